/* metrics: the counts of requests by endpoint and status, and GET /metrics in the Prometheus text format. */
#ifndef SR_METRICS_H
#define SR_METRICS_H

#include <event2/http.h>

#include "cache.h"

enum endpoint { EP_POPULAR, EP_CATEGORIES, EP_HEALTHZ, EP_METRICS, EP_PAGE, EP_OTHER, EP_COUNT };

/* The endpoints' names, as /metrics labels them. */
extern const char *const endpoint_names[EP_COUNT];

/* A reply to a request of endpoint ep. */
void metrics_count(enum endpoint ep, int status);
/* A request refused before evhttp parsed it (see httpconn), counted as of no endpoint. */
void metrics_count_refused(int status);
/* Accepting paused: every connection was taken. */
void metrics_accept_paused(void);

/* GET /metrics, of the ranking current (NULL: none yet). */
void serve_metrics(struct evhttp_request *req, const struct cache *current);

#endif
