/* etag: the tags of the cacheable replies, and 304 Not Modified for a client that holds the reply already. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "etag.h"

/*
 * A file made afresh starts again at generation 1: the tags of its replies
 * name which file it is, after the first, so that they differ from those of
 * the file it replaced.
 */
static const char *
epoch_tag(const struct cache *c, char *buf, size_t size)
{
	if (c->epoch == 0)
		return "";
	snprintf(buf, size, ".f%u", c->epoch);
	return buf;
}

void
etag_popular(char *tag, const struct cache *c, size_t cat, size_t n)
{
	char epoch[24];

	snprintf(tag, ETAG_SIZE, "\"%" PRId64 ".%zu.%zu%s\"", c->generation, cat, n,
	    epoch_tag(c, epoch, sizeof epoch));
}

void
etag_whole(char *tag, const struct cache *c, const char *name)
{
	char epoch[24];

	snprintf(tag, ETAG_SIZE, "\"%" PRId64 ".%s%s\"", c->generation, name, epoch_tag(c, epoch, sizeof epoch));
}

/* Whether the request's If-None-Match names etag (or is "*"): weak comparison, as for GET. */
static int
not_modified(struct evhttp_request *req, const char *etag)
{
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");

	if (inm == NULL)
		return 0;
	inm += strspn(inm, " \t");
	return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
}

void
send_cached(struct evhttp_request *req, enum endpoint ep, struct reply *r)
{
	if (not_modified(req, r->etag)) {
		r->status = 304;
		r->body = r->tail = NULL;
		r->len = 0;
		r->type = NULL;
	}
	send_reply(req, ep, r);
}
