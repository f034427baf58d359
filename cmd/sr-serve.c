/*
 * sr-serve: the read API: the ranking of a sales_rank database over HTTP, from memory, reloaded as loads land.
 * This file: the options and the event loop; the parts are in cmd/sr-serve/ (see routes.h, loader.h).
 */
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "health.h"
#include "httpconn.h"
#include "httphead.h"
#include "listen.h"
#include "loader.h"
#include "metrics.h"
#include "msg.h"
#include "number.h"
#include "routes.h"
#include "store.h"

#define DB_DEFAULT "sales_rank.db"
#define LISTEN_DEFAULT "127.0.0.1:8080"
#define CONN_DEFAULT 2048
#define CONN_MAX 1000000
#define TIMEOUT_S 10		/* without progress in reading a request or writing a reply; idle */

enum { OPT_DB = CHAR_MAX + 1, OPT_LISTEN, OPT_MAX_AGE, OPT_MAX_CONNECTIONS, OPT_MAX_FAILED_RELOADS };

static const struct option longopts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "max-failed-reloads", required_argument, NULL, OPT_MAX_FAILED_RELOADS },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-serve [--db path | uri] [--listen address:port] [--max-age duration]\n"
    "                [--max-connections n] [--max-failed-reloads n]\n";

static const char abouttext[] =
    "\nServe the ranking in the sales_rank table of a SQLite database (default\n"
    "sales_rank.db, opened read-only) or of PostgreSQL (a postgresql:// URI, the\n"
    "rest from the PG* variables and ~/.pgpass; SELECT only) over HTTP on\n"
    "127.0.0.1:8080: GET /api/v1/popular?category_id=ID[&limit=N],\n"
    "/api/v1/categories, /healthz, /metrics, and a page at /. Reloads within a\n"
    "second of a new load (PostgreSQL: at its NOTIFY, or polled on a standby), and\n"
    "at once on SIGHUP; serves the last ranking while the database is away.\n"
    "/healthz answers 503 when the ranking is older than --max-age (default 2h; s,\n"
    "m, h, d) or the last --max-failed-reloads (default 3) failed; 0 turns either\n"
    "check off. See sr-serve(1).\n"
    "\n"
    "  --db path | uri           the SQLite database (default sales_rank.db), or a\n"
    "                            PostgreSQL URI without a password\n"
    "  --listen address:port     listen there (default 127.0.0.1:8080)\n"
    "  --max-age duration        /healthz fails past this age of the ranking\n"
    "  --max-connections n       serve at most n connections at once\n"
    "  --max-failed-reloads n    /healthz fails after n failed reloads in a row\n"
    "  --help                    print this help and exit\n"
    "  --version                 print the version and exit\n";

/* SIGTERM and SIGINT end the loop; SIGHUP has the loader read the database now. */
static void
on_signal(evutil_socket_t sig, short what, void *base)
{
	(void)what;
	if (sig == SIGHUP)
		loader_hup();
	else
		event_base_loopexit(base, NULL);
}

#define NSIGNALS 3

/* Before anything is read: a SIGHUP from then on is a reload, never the end. */
static void
signals_watch(struct event_base *base, struct event *ev[NSIGNALS])
{
	static const int sigs[NSIGNALS] = { SIGTERM, SIGINT, SIGHUP };
	size_t i;

	for (i = 0; i < NSIGNALS; i++)
		if ((ev[i] = evsignal_new(base, sigs[i], on_signal, base)) == NULL || evsignal_add(ev[i], NULL) < 0)
			fatal(EXIT_DATA, "cannot set up the event loop");
}

static struct evhttp *
http_new(struct event_base *base, struct evconnlistener *lev, long maxconn)
{
	struct evhttp *http = evhttp_new(base);

	if (http == NULL || evhttp_bind_listener(http, lev) == NULL)
		fatal(EXIT_DATA, "cannot set up the HTTP server");
	evhttp_set_gencb(http, routes_request, NULL);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	/*
	 * httpconn checks each head against the limits first; evhttp's own
	 * check also counts bytes after the head, so it is set looser.
	 */
	evhttp_set_max_headers_size(http, 2 * (ev_ssize_t)HTTPHEAD_MAX);
	evhttp_set_max_body_size(http, HTTPHEAD_BODY_MAX);
	evhttp_set_timeout(http, TIMEOUT_S);
	httpconn_watch(http, maxconn, metrics_count_refused);
	return http;
}

/* Serve until SIGTERM or SIGINT; the loader thread polls the database meanwhile. */
static int
serve(const char *dbpath, const char *addr, long maxconn)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;
	struct event *sigs[NSIGNALS];
	struct evhttp *http;
	pthread_t thread;
	size_t i;

	/*
	 * The changelist merges the epoll_ctl calls a request makes (reading
	 * off, writing on, writing off, reading on) into fewer.
	 */
	if (cfg == NULL || event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) < 0 ||
	    (base = event_base_new_with_config(cfg)) == NULL)
		fatal(EXIT_DATA, "cannot set up the event loop");
	event_config_free(cfg);
	signals_watch(base, sigs);
	loader_first(dbpath);
	routes_take_fresh();
	http = http_new(base, listen_on(base, addr), maxconn);
	limit_connections(maxconn);
	loader_start(&thread);
	event_base_dispatch(base);
	loader_stop(thread);
	httpconn_free();
	evhttp_free(http);
	for (i = 0; i < NSIGNALS; i++)
		event_free(sigs[i]);
	listen_free();
	event_base_free(base);
	routes_free();
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *dbpath = DB_DEFAULT, *addr = LISTEN_DEFAULT;
	long maxconn = CONN_DEFAULT;
	char err[256];
	int c;

	prog_init(argv);	/* first: closed descriptors 0-2 get /dev/null before anything is opened */
	signal(SIGPIPE, SIG_IGN);	/* a client that goes away is not the server's end */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			dbpath = optarg;
			break;
		case OPT_LISTEN:
			addr = optarg;
			break;
		case OPT_MAX_AGE:
			health_max_age = health_parse_duration("--max-age", optarg, HEALTH_MAX_AGE_MAX);
			break;
		case OPT_MAX_CONNECTIONS:
			maxconn = (long)arg_count("--max-connections", optarg, 1, CONN_MAX);
			break;
		case OPT_MAX_FAILED_RELOADS:
			health_max_failed = arg_count("--max-failed-reloads", optarg, 0, HEALTH_MAX_FAILED_MAX);
			break;
		default:
			std_option(c, usagetext, abouttext);
		}
	}
	if (optind < argc)
		usage_exit(usagetext);
	if (store_check_where(dbpath, err, sizeof err) < 0)
		fatal(EXIT_USAGE, "--db: %s", err);
	listen_check(addr);
	return serve(dbpath, addr, maxconn);
}
