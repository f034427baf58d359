/* reply: how sr-serve answers a request: a body from a cache (not copied) or its own, errors as JSON, each reply counted. */
#ifndef SR_REPLY_H
#define SR_REPLY_H

#include <stddef.h>

#include <event2/http.h>

#include "cache.h"
#include "metrics.h"

/* The reply to send: a body (and a tail after it) or none; a body in a cache is sent from there. */
struct reply {
	int status;
	const char *type, *cache, *etag;
	const char *body, *tail;
	size_t len;
	struct cache *from;
};

/* Send r, counted for ep; a HEAD request gets the same headers, Content-Length too, and no body. */
void send_reply(struct evhttp_request *req, enum endpoint ep, const struct reply *r);
/* An error as JSON: {"error":"what"}; never cached. */
void send_error(struct evhttp_request *req, enum endpoint ep, int status, const char *what);

#endif
