/* metrics: the counts of requests by endpoint and status, and GET /metrics in the Prometheus text format. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "health.h"
#include "httpconn.h"
#include "httphead.h"
#include "loader.h"
#include "metrics.h"
#include "reply.h"

const char *const endpoint_names[EP_COUNT] = { "popular", "categories", "healthz", "metrics", "page", "other" };

/* Of the event loop; a status not in the table is counted in the last column, and not shown. */
static unsigned long counts[EP_COUNT][HTTP_NSTATUS + 1], accept_pauses;

void
metrics_count(enum endpoint ep, int status)
{
	counts[ep][http_status_index(status)]++;
}

void
metrics_count_refused(int status)
{
	metrics_count(EP_OTHER, status);
}

void
metrics_accept_paused(void)
{
	accept_pauses++;
}

/* The request counters, by endpoint and status, and those answered with an error. */
static void
metrics_requests(struct evbuffer *b)
{
	unsigned long errors = 0;
	size_t e, s;

	evbuffer_add_printf(b, "# HELP sr_serve_requests_total Requests answered, by endpoint and status.\n"
	    "# TYPE sr_serve_requests_total counter\n");
	for (e = 0; e < EP_COUNT; e++)
		for (s = 0; s < HTTP_NSTATUS; s++) {
			if (counts[e][s] > 0)
				evbuffer_add_printf(b, "sr_serve_requests_total{endpoint=\"%s\",status=\"%d\"} %lu\n",
				    endpoint_names[e], http_statuses[s].code, counts[e][s]);
			if (http_statuses[s].code >= 400)
				errors += counts[e][s];
		}
	evbuffer_add_printf(b, "# HELP sr_serve_request_errors_total Requests answered with a 4xx or 5xx status.\n"
	    "# TYPE sr_serve_request_errors_total counter\nsr_serve_request_errors_total %lu\n", errors);
}

/* A gauge of seconds: t as seconds since the epoch, with milliseconds. */
static void
metric_seconds(struct evbuffer *b, const char *name, const char *help, int64_t ns)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %s%" PRId64 ".%03" PRId64 "\n", name, help,
	    name, name, ns < 0 ? "-" : "", (ns < 0 ? -ns : ns) / 1000000000, (ns < 0 ? -ns : ns) / 1000000 % 1000);
}

static int64_t
ns_of(struct instant t)
{
	return t.sec * 1000000000 + t.nsec;
}

/* The ranking's age, the reloads' times and health, and the build. */
static void
metrics_health(struct evbuffer *b, const struct cache *current)
{
	struct instant now = instant_now();
	char why[256];
	int fit = current != NULL &&
	    health_verdict(current->has_loaded ? &current->loaded : NULL, now, why, sizeof why) == NULL;

	if (current != NULL && current->has_loaded) {
		metric_seconds(b, "sr_serve_ranking_loaded_timestamp_seconds",
		    "When the ranking served was loaded (its loaded_at).", ns_of(current->loaded));
		metric_seconds(b, "sr_serve_ranking_age_seconds", "How long ago the ranking served was loaded.",
		    ns_of(now) - ns_of(current->loaded));
	}
	metric_seconds(b, "sr_serve_reload_last_success_timestamp_seconds",
	    "When a new ranking was last read, 0 if never.", ns_of(health_last_reload()));
	metric_seconds(b, "sr_serve_reload_last_failure_timestamp_seconds",
	    "When a reload last failed, 0 if never.", ns_of(health_last_failure()));
	evbuffer_add_printf(b, "# HELP sr_serve_reload_failures_in_a_row Reloads failed since the last good one.\n"
	    "# TYPE sr_serve_reload_failures_in_a_row gauge\nsr_serve_reload_failures_in_a_row %lu\n"
	    "# HELP sr_serve_healthy 1 when /healthz answers 200, else 0.\n"
	    "# TYPE sr_serve_healthy gauge\nsr_serve_healthy %d\n"
	    "# HELP sr_serve_db_up 1 when the last poll or read reached the database, 0 while it cannot.\n"
	    "# TYPE sr_serve_db_up gauge\nsr_serve_db_up %d\n"
	    "# HELP sr_serve_max_age_seconds --max-age, 0 if off.\n"
	    "# TYPE sr_serve_max_age_seconds gauge\nsr_serve_max_age_seconds %" PRId64 "\n"
	    "# HELP sr_build_info The version of sr, and of the SQLite and libevent it runs with.\n"
	    "# TYPE sr_build_info gauge\nsr_build_info{version=\"%s\",sqlite=\"%s\",libevent=\"%s\"} 1\n",
	    health_failed_in_a_row(), fit, loader_db_up(), health_max_age, SR_VERSION, sqlite3_libversion(),
	    event_get_version());
}

void
serve_metrics(struct evhttp_request *req, const struct cache *current)
{
	struct evbuffer *b = evbuffer_new();
	struct reply r = { 200, "text/plain; version=0.0.4", "no-store", NULL, NULL, NULL, 0, NULL };

	if (b == NULL) {
		send_error(req, EP_METRICS, 503, "out of memory");
		return;
	}
	metrics_requests(b);
	evbuffer_add_printf(b, "# HELP sr_serve_cache_generation The generation of the ranking served, 0 if none.\n"
	    "# TYPE sr_serve_cache_generation gauge\nsr_serve_cache_generation %" PRId64 "\n"
	    "# HELP sr_serve_reloads_total New generations read from the database.\n"
	    "# TYPE sr_serve_reloads_total counter\nsr_serve_reloads_total %lu\n"
	    "# HELP sr_serve_reload_errors_total Reloads that failed; the old ranking stayed.\n"
	    "# TYPE sr_serve_reload_errors_total counter\nsr_serve_reload_errors_total %lu\n"
	    "# HELP sr_serve_accept_pauses_total Times every connection was taken and accepting paused.\n"
	    "# TYPE sr_serve_accept_pauses_total counter\nsr_serve_accept_pauses_total %lu\n"
	    "# HELP sr_serve_connections_dropped_total Connections closed at the limit for a new one.\n"
	    "# TYPE sr_serve_connections_dropped_total counter\nsr_serve_connections_dropped_total %lu\n"
	    "# HELP sr_serve_requests_late_total Requests not whole within the deadline, answered 408.\n"
	    "# TYPE sr_serve_requests_late_total counter\nsr_serve_requests_late_total %lu\n",
	    current != NULL ? current->generation : 0, loader_reloads(),
	    loader_errors(), accept_pauses, httpconn_dropped(), httpconn_late());
	metrics_health(b, current);
	r.len = evbuffer_get_length(b);
	r.body = (const char *)evbuffer_pullup(b, -1);
	send_reply(req, EP_METRICS, &r);
	evbuffer_free(b);
}
