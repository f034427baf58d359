/* etag: the tags of the cacheable replies, and 304 Not Modified for a client that holds the reply already. */
#ifndef SR_ETAG_H
#define SR_ETAG_H

#include <stddef.h>

#include <event2/http.h>

#include "cache.h"
#include "reply.h"

#define ETAG_SIZE 64

/* The tag of the reply of category index cat of c with its first n products, into tag (ETAG_SIZE bytes). */
void etag_popular(char *tag, const struct cache *c, size_t cat, size_t n);
/* The tag of c's reply named name (one per generation). */
void etag_whole(char *tag, const struct cache *c, const char *name);

/* Send r, which has a tag: 304 if the request's If-None-Match names it. */
void send_cached(struct evhttp_request *req, enum endpoint ep, struct reply *r);

#endif
