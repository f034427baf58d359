/* routes: each request to its endpoint, answered from the newest ranking the loader has read. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etag.h"
#include "health.h"
#include "loader.h"
#include "metrics.h"
#include "page.h"
#include "query.h"
#include "reply.h"
#include "routes.h"
#include "text.h"

static struct cache *current;		/* the event loop's */

void
routes_take_fresh(void)
{
	struct cache *c = loader_take();

	if (c != NULL) {
		if (current != NULL)
			cache_unref(NULL, 0, current);
		current = c;
		current->refs = 1;
	}
}

void
routes_free(void)
{
	if (current != NULL)
		cache_unref(NULL, 0, current);
	current = NULL;
}

/* GET /api/v1/popular?category_id=ID[&limit=N]: a prefix of the category's pre-rendered reply. */
static void
serve_popular(struct evhttp_request *req)
{
	const struct category *cat;
	struct query q;
	const char *why;
	char etag[ETAG_SIZE];
	size_t n;
	struct reply r = { 200, "application/json", "public, max-age=1", etag, NULL, "]}\n", 0, NULL };

	if ((why = query_parse(evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)), &q)) != NULL)
		send_error(req, EP_POPULAR, 400, why);
	else if (current == NULL)
		send_error(req, EP_POPULAR, 503, "no ranking loaded yet");
	else if ((cat = cache_category(current, q.id, q.idlen)) == NULL)
		send_error(req, EP_POPULAR, 404, "unknown category");
	else {
		n = q.limit == 0 || (uint64_t)q.limit > cat->n ? cat->n : (size_t)q.limit;
		etag_popular(etag, current, (size_t)(cat - current->cats), n);
		r.body = current->text.p + cat->head;
		r.from = current;
		r.len = current->ends[cat->first + n - 1] - cat->head;
		send_cached(req, EP_POPULAR, &r);
	}
}

/* /api/v1/categories: the reply of the whole generation. */
static void
serve_categories(struct evhttp_request *req)
{
	char etag[ETAG_SIZE];
	struct reply r = { 200, "application/json", "public, max-age=1", etag, NULL, NULL, 0, NULL };

	if (current == NULL) {
		send_error(req, EP_CATEGORIES, 503, "no ranking loaded yet");
		return;
	}
	etag_whole(etag, current, endpoint_names[EP_CATEGORIES]);
	r.body = current->text.p + current->list;
	r.len = current->listlen;
	r.from = current;
	send_cached(req, EP_CATEGORIES, &r);
}

/* GET /healthz: the ranking served, its age and the failed reloads: 200, or 503 saying why. Never cached. */
static void
serve_health(struct evhttp_request *req)
{
	struct instant now = instant_now();
	struct text t = { 0 };
	char why[256];
	const char *bad;
	struct reply r = { 200, "application/json", "no-store", NULL, NULL, NULL, 0, NULL };

	if (current == NULL) {
		send_error(req, EP_HEALTHZ, 503, "no ranking loaded yet");
		return;
	}
	if ((bad = health_verdict(current->has_loaded ? &current->loaded : NULL, now, why, sizeof why)) != NULL) {
		r.status = 503;
		text_str(&t, "{\"status\":\"unhealthy\",\"error\":");
		text_json_string(&t, bad, strlen(bad));
		text_add(&t, ",", 1);
	} else
		text_str(&t, "{\"status\":\"ok\",");
	text_add(&t, current->text.p + current->health, current->healthlen);
	if (current->has_loaded)
		text_printf(&t, ",\"age_seconds\":%" PRId64, health_age(current->loaded, now));
	else
		text_str(&t, ",\"age_seconds\":null");
	text_printf(&t, ",\"failed_reloads\":%lu}\n", health_failed_in_a_row());
	if (t.failed)
		send_error(req, EP_HEALTHZ, 503, "out of memory");
	else {
		r.body = t.p;
		r.len = t.len;
		send_reply(req, EP_HEALTHZ, &r);
	}
	free(t.p);
}

static enum endpoint
endpoint_of(const char *path)
{
	if (path == NULL)
		return EP_OTHER;
	if (strcmp(path, "/api/v1/popular") == 0)
		return EP_POPULAR;
	if (strcmp(path, "/api/v1/categories") == 0)
		return EP_CATEGORIES;
	if (strcmp(path, "/healthz") == 0)
		return EP_HEALTHZ;
	if (strcmp(path, "/metrics") == 0)
		return EP_METRICS;
	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
		return EP_PAGE;
	return EP_OTHER;
}

void
routes_request(struct evhttp_request *req, void *arg)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	enum endpoint ep = endpoint_of(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)));
	struct reply page_reply = { 200, "text/html; charset=utf-8", "public, max-age=60",
	    "\"" SR_VERSION "\"", (const char *)page_html, NULL, page_html_len, NULL };

	(void)arg;
	routes_take_fresh();
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD)
		send_error(req, ep, 405, "method not allowed (want GET or HEAD)");
	else if (ep == EP_POPULAR)
		serve_popular(req);
	else if (ep == EP_CATEGORIES)
		serve_categories(req);
	else if (ep == EP_HEALTHZ)
		serve_health(req);
	else if (ep == EP_METRICS)
		serve_metrics(req, current);
	else if (ep == EP_PAGE)
		send_cached(req, ep, &page_reply);
	else
		send_error(req, ep, 404, "not found (see /api/v1/popular, /api/v1/categories, /healthz, /metrics, /)");
}
