/* httpconn: sr-serve's guard over evhttp's connections: strict request heads, a deadline for each request, the limit. */
#ifndef SR_HTTPCONN_H
#define SR_HTTPCONN_H

#include <event2/http.h>

#define HTTPCONN_DEADLINE_S 10	/* for a whole request, from its first byte */

/*
 * Watch every connection http accepts from now on: at most max open (at the
 * limit, the one that has waited longest for a request is dropped for a new
 * one); each request head checked by httphead before evhttp parses it, and
 * one that fails, or is not whole within the deadline, answered with a JSON
 * error and the connection closed. count(status) is told of each such answer.
 */
void httpconn_watch(struct evhttp *http, long max, void (*count)(int status));

/* Connections dropped at the limit, and requests cut off at the deadline, so far. */
unsigned long httpconn_dropped(void);
unsigned long httpconn_late(void);

/* Before evhttp_free, which then frees the connections: free what is left of those evhttp never took up. */
void httpconn_free(void);

#endif
