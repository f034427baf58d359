/* sr-serve: the read API: the ranking of a sales_rank database over HTTP, from memory, reloaded as loads land. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "health.h"
#include "httpconn.h"
#include "httphead.h"
#include "ident.h"
#include "msg.h"
#include "number.h"
#include "rodb.h"
#include "timestamp.h"

#define DB_DEFAULT "sales_rank.db"
#define LISTEN_DEFAULT "127.0.0.1:8080"
#define CONN_DEFAULT 2048
#define CONN_MAX 1000000
#define POLL_MS 250		/* how often the generation is polled */
#define TIMEOUT_S 10		/* without progress in reading a request or writing a reply; idle */
#define LIMIT_MAX 1000000
#define ACCEPT_PAUSE_MS 100	/* no accept() for this long once the connections are all taken */

enum {
	OPT_DB = CHAR_MAX + 1, OPT_HELP, OPT_LISTEN, OPT_MAX_AGE, OPT_MAX_CONNECTIONS, OPT_MAX_FAILED_RELOADS,
	OPT_VERSION
};

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
    "usage: sr-serve [--db path] [--listen address:port] [--max-age duration]\n"
    "                [--max-connections n] [--max-failed-reloads n]\n";

static const char abouttext[] =
    "\nServe the ranking in the sales_rank table of a SQLite database (default\n"
    "sales_rank.db, opened read-only) over HTTP on 127.0.0.1:8080: GET\n"
    "/api/v1/popular?category_id=ID[&limit=N], /api/v1/categories, /healthz,\n"
    "/metrics, and a page at /. Reloads within a second of a new load, and at once\n"
    "on SIGHUP. /healthz answers 503 when the ranking is older than --max-age\n"
    "(default 2h; s, m, h, d) or the last --max-failed-reloads (default 3) failed;\n"
    "0 turns either check off. See sr-serve(1).\n"
    "\n"
    "  --db path                 the SQLite database (default sales_rank.db)\n"
    "  --listen address:port     listen there (default 127.0.0.1:8080)\n"
    "  --max-age duration        /healthz fails past this age of the ranking\n"
    "  --max-connections n       serve at most n connections at once\n"
    "  --max-failed-reloads n    /healthz fails after n failed reloads in a row\n"
    "  --help                    print this help and exit\n"
    "  --version                 print the version and exit\n";

/* The page at /: self-contained, it reads the API as any client would. */
static const char page[] =
    "<!doctype html>\n"
    "<html lang='en'>\n"
    "<head>\n"
    "<meta charset='utf-8'>\n"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
    "<title>Sales rank by category</title>\n"
    "<style>\n"
    "body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 52em; padding: 0 1em; color: #222; }\n"
    "h1 { font-size: 1.4em; }\n"
    "#meta, #status { color: #555; font-size: 0.9em; }\n"
    "#status.error { color: #b00; }\n"
    "table { border-collapse: collapse; width: 100%; margin-top: 1em; }\n"
    "th, td { padding: 0.25em 0.5em; border-bottom: 1px solid #ddd; text-align: left; }\n"
    "td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }\n"
    "td.bar { width: 45%; }\n"
    "td.bar div { background: #3a7bd5; height: 1em; min-width: 1px; }\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<h1>Sales rank by category</h1>\n"
    "<p><label>Category <select id='category'></select></label>\n"
    "<label>show <select id='limit'><option>10</option><option>25</option><option selected>100</option></select></label></p>\n"
    "<p id='meta'></p>\n"
    "<table id='ranking'>\n"
    "<thead><tr><th class='n'>rank</th><th>product</th><th class='n'>sold</th><th>sold, as a bar</th></tr></thead>\n"
    "<tbody></tbody>\n"
    "</table>\n"
    "<p id='status'>loading&hellip;</p>\n"
    "<script>\n"
    "'use strict';\n"
    "const sel = document.getElementById('category'), lim = document.getElementById('limit');\n"
    "const status = document.getElementById('status'), meta = document.getElementById('meta');\n"
    "const body = document.querySelector('#ranking tbody');\n"
    "\n"
    "async function getJSON(url) {\n"
    "\tconst r = await fetch(url);\n"
    "\tconst j = await r.json();\n"
    "\tif (!r.ok)\n"
    "\t\tthrow new Error(j.error || r.statusText);\n"
    "\treturn j;\n"
    "}\n"
    "\n"
    "function cell(tr, text, cls) {\n"
    "\tconst td = tr.insertCell();\n"
    "\ttd.textContent = text;\n"
    "\tif (cls)\n"
    "\t\ttd.className = cls;\n"
    "\treturn td;\n"
    "}\n"
    "\n"
    "function render(j) {\n"
    "\tconst max = Math.max(1, ...j.products.map(p => p.total_sold));\n"
    "\tbody.replaceChildren();\n"
    "\tfor (const p of j.products) {\n"
    "\t\tconst tr = body.insertRow();\n"
    "\t\tcell(tr, p.rank, 'n');\n"
    "\t\tcell(tr, p.product_id);\n"
    "\t\tcell(tr, p.total_sold.toLocaleString('en'), 'n');\n"
    "\t\tconst bar = document.createElement('div');\n"
    "\t\tbar.style.width = (Math.max(0, p.total_sold) / max * 100).toFixed(1) + '%';\n"
    "\t\tcell(tr, '', 'bar').appendChild(bar);\n"
    "\t}\n"
    "\tconst w = j.window.since ? j.window.since + ' to ' + j.window.until : 'not recorded';\n"
    "\tmeta.textContent = 'Window: ' + w + '. Ranking loaded ' + j.loaded_at +\n"
    "\t    ' (generation ' + j.generation + '); refreshed ' + new Date().toISOString() + '.';\n"
    "}\n"
    "\n"
    "async function show() {\n"
    "\tconst id = sel.value;\n"
    "\thistory.replaceState(null, '', '#category_id=' + encodeURIComponent(id));\n"
    "\ttry {\n"
    "\t\trender(await getJSON('api/v1/popular?category_id=' + encodeURIComponent(id) + '&limit=' + lim.value));\n"
    "\t\tstatus.textContent = '';\n"
    "\t\tstatus.className = '';\n"
    "\t\tdocument.body.dataset.shown = id;\n"
    "\t} catch (e) {\n"
    "\t\tstatus.textContent = 'Error: ' + e.message;\n"
    "\t\tstatus.className = 'error';\n"
    "\t}\n"
    "}\n"
    "\n"
    "async function start() {\n"
    "\ttry {\n"
    "\t\tconst j = await getJSON('api/v1/categories');\n"
    "\t\tfor (const c of j.categories)\n"
    "\t\t\tsel.add(new Option(c.category_id + ' (' + c.products + ')', c.category_id));\n"
    "\t\tconst m = /^#category_id=(.*)$/.exec(location.hash);\n"
    "\t\tif (m)\n"
    "\t\t\tsel.value = decodeURIComponent(m[1]);\n"
    "\t\tif (sel.selectedIndex < 0)\n"
    "\t\t\tsel.selectedIndex = 0;\n"
    "\t\tawait show();\n"
    "\t} catch (e) {\n"
    "\t\tstatus.textContent = 'Error: ' + e.message;\n"
    "\t\tstatus.className = 'error';\n"
    "\t}\n"
    "}\n"
    "\n"
    "sel.addEventListener('change', show);\n"
    "lim.addEventListener('change', show);\n"
    "start();\n"
    "setInterval(() => { if (sel.value) show(); }, 10000);\n"
    "</script>\n"
    "</body>\n"
    "</html>\n";

/* A growing text; a failed allocation is remembered and reported once, at the end. */
struct text {
	char *p;
	size_t len, cap;
	int failed;
};

/*
 * One category's reply, pre-rendered in the cache's text: at head, the JSON
 * up to "products":[, then its n products, each ending at ends[first + i].
 * The reply with a limit of k is text[head .. ends[first + k - 1]) and "]}\n".
 */
struct category {
	size_t id, idlen;	/* the id's bytes, as stored */
	size_t head;
	size_t first, n;
};

/* One generation of the ranking, read in one transaction; never changed once built. */
struct cache {
	int64_t generation;
	struct text text;
	size_t *ends, nends, capends;
	struct category *cats;
	size_t ncats, capcats;
	size_t meta, metalen;	/* "generation":...,"window":{...} */
	size_t list, listlen;	/* the /api/v1/categories reply */
	size_t health, healthlen;	/* what the /healthz reply says of the ranking */
	struct instant loaded;	/* its loaded_at, if has_loaded */
	int has_loaded;
	const char *why;	/* why it could not be read, if SQLite does not say */
	char whybuf[96];
	size_t rows;
	unsigned epoch;		/* of the database file it was read from: see db_follow */
	int refs;		/* the event loop's: current, and replies being written */
};

enum endpoint { EP_POPULAR, EP_CATEGORIES, EP_HEALTHZ, EP_METRICS, EP_PAGE, EP_OTHER, EP_COUNT };
static const char *const epnames[] = { "popular", "categories", "healthz", "metrics", "page", "other" };
static const int statuses[] = { 200, 304, 400, 404, 405, 408, 413, 414, 417, 431, 501, 503, 505 };
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* The reply to send: a body (and a tail after it) or none; a body in a cache is sent from there. */
struct reply {
	int status;
	const char *type, *cache, *etag;
	const char *body, *tail;
	size_t len;
	struct cache *from;
};

/* What a /api/v1/popular query asks for. */
struct query {
	char id[IDENT_MAX + 1];
	size_t idlen;
	int64_t limit;		/* 0: all */
	int has_id, has_limit;
};

static const char *dbpath = DB_DEFAULT;
static sqlite3 *db;			/* the loader thread's, open while it reads */
static struct cache *current;		/* the event loop's */
static _Atomic(struct cache *) fresh;	/* the loader hands a new cache over here */
static atomic_int stopping;
static atomic_ulong reloads, reload_errors;
static int64_t loaded_generation;	/* the loader's */
static unsigned db_epoch;		/* how many times the file was found replaced */
static unsigned long counts[EP_COUNT][NSTATUS + 1], accept_pauses;
static struct event *resume_accept;

static void
text_add(struct text *t, const char *p, size_t n)
{
	size_t cap;
	char *np;

	if (t->failed)
		return;
	if (t->len + n > t->cap) {
		cap = t->cap != 0 ? t->cap : 65536;
		while (cap < t->len + n)
			cap *= 2;
		if ((np = realloc(t->p, cap)) == NULL) {
			t->failed = 1;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
	if (p != NULL)
		memcpy(t->p + t->len, p, n);
	t->len += n;
}

/* Append len bytes that t holds at off: t->p may move as it grows. */
static void
text_repeat(struct text *t, size_t off, size_t len)
{
	size_t at = t->len;

	text_add(t, NULL, len);
	if (!t->failed)
		memcpy(t->p + at, t->p + off, len);
}

static void
text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
text_printf(struct text *t, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	/* ap is started just above; the analyzer does not always see it (as in msg.c). */
	n = vsnprintf(buf, sizeof buf, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		t->failed = 1;
	else
		text_add(t, buf, (size_t)n);
}

/* The length of the UTF-8 sequence at p (at most n bytes), or 0 if it is not a valid one. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * s (n bytes) as a JSON string: '"' and '\' escaped, control bytes as \u00XX,
 * and each byte that is not part of valid UTF-8 as U+FFFD, so the reply is
 * always valid JSON in UTF-8 whatever bytes an id holds.
 */
static void
text_json_string(struct text *t, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;

	text_add(t, "\"", 1);
	while (i < n) {
		if (p[i] == '"' || p[i] == '\\') {
			text_add(t, "\\", 1);
			text_add(t, s + i++, 1);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			text_printf(t, "\\u%04x", p[i++]);
		} else if ((run = utf8_len(p + i, n - i)) == 0) {
			text_str(t, "\xef\xbf\xbd");
			i++;
		} else {
			text_add(t, s + i, run);
			i += run;
		}
	}
	text_add(t, "\"", 1);
}

static void
text_json_column(struct text *t, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		text_str(t, "null");
	else
		text_json_string(t, (const char *)sqlite3_column_text(st, col),
		    (size_t)sqlite3_column_bytes(st, col));
}

static void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	free(c->text.p);
	free(c->ends);
	free(c->cats);
	free(c);
}

/* Grow an array of *cap elements of size each to hold one more; 0 or -1. */
static int
grow(void *arrayp, size_t *cap, size_t n, size_t size)
{
	void **array = arrayp, *p;
	size_t ncap = *cap != 0 ? *cap * 2 : 1024;

	if (n < *cap)
		return 0;
	if ((p = realloc(*array, ncap * size)) == NULL)
		return -1;
	*array = p;
	*cap = ncap;
	return 0;
}

/* Start category id in c: its id bytes, then the head of its reply. */
static int
category_start(struct cache *c, const char *id, size_t idlen)
{
	struct category *cat;

	if (grow(&c->cats, &c->capcats, c->ncats, sizeof *c->cats) < 0) {
		c->why = "out of memory";
		return -1;
	}
	cat = &c->cats[c->ncats++];
	cat->id = c->text.len;
	cat->idlen = idlen;
	text_add(&c->text, id, idlen);
	cat->head = c->text.len;
	text_str(&c->text, "{\"category_id\":");
	text_json_string(&c->text, id, idlen);
	text_add(&c->text, ",", 1);
	text_repeat(&c->text, c->meta, c->metalen);
	text_str(&c->text, ",\"products\":[");
	cat->first = c->nends;
	cat->n = 0;
	return 0;
}

/*
 * Whether the id in column col of st can be served: text, valid UTF-8 and
 * what ident_check allows. Ids are served as JSON strings and asked for as
 * percent-encoded UTF-8: only for such ids is each rendered once, unlike any
 * other, and found again as listed. Another is a failed reload.
 */
static int
id_servable(struct cache *c, sqlite3_stmt *st, int col, const char *name)
{
	int type = sqlite3_column_type(st, col);
	const unsigned char *p = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col), i, run;
	const char *why = NULL;

	if (type != SQLITE_TEXT)
		why = "not text";
	else if (p == NULL)
		why = "out of memory";
	else if ((why = ident_check((const char *)p, n)) == NULL)
		for (i = 0; i < n; i += run)
			if ((run = utf8_len(p + i, n - i)) == 0) {
				why = "not valid UTF-8";
				break;
			}
	if (why == NULL)
		return 1;
	snprintf(c->whybuf, sizeof c->whybuf, "row %zu (%s): %s", c->rows + 1, name, why);
	c->why = c->whybuf;
	return 0;
}

/* Append a row of sales_rank (category_id, rank, product_id, total_sold) to c. */
static int
cache_add_row(struct cache *c, sqlite3_stmt *st)
{
	struct category *cat = c->ncats > 0 ? &c->cats[c->ncats - 1] : NULL;
	const char *id;
	size_t idlen;
	int cmp;

	/* Checked first: sqlite3_column_type is only true before a conversion. */
	if (!id_servable(c, st, 0, "category_id") || !id_servable(c, st, 2, "product_id"))
		return -1;
	c->rows++;
	id = (const char *)sqlite3_column_text(st, 0);
	idlen = (size_t)sqlite3_column_bytes(st, 0);
	if (id == NULL || c->text.failed) {
		c->why = "out of memory";
		return -1;
	}
	cmp = cat == NULL ? 1 : bytes_cmp(id, idlen, c->text.p + cat->id, cat->idlen);
	if (cmp < 0) {
		c->why = "categories out of byte order: are all ids text?";
		return -1;
	}
	if (cmp > 0 && category_start(c, id, idlen) < 0)
		return -1;
	cat = &c->cats[c->ncats - 1];
	if (grow(&c->ends, &c->capends, c->nends, sizeof *c->ends) < 0) {
		c->why = "out of memory";
		return -1;
	}
	text_printf(&c->text, "%s{\"rank\":%" PRId64 ",\"product_id\":", cat->n > 0 ? "," : "",
	    (int64_t)sqlite3_column_int64(st, 1));
	text_json_column(&c->text, st, 2);
	text_printf(&c->text, ",\"total_sold\":%" PRId64 "}", (int64_t)sqlite3_column_int64(st, 3));
	c->ends[c->nends++] = c->text.len;
	cat->n++;
	return 0;
}

/* The meta row into c: the generation, and the fragment every reply repeats. */
static int
cache_read_meta(struct cache *c)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT generation, loaded_at, window_since, window_until"
	    " FROM sales_rank_meta WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->generation = sqlite3_column_int64(st, 0);
		c->meta = c->text.len;
		text_printf(&c->text, "\"generation\":%" PRId64 ",\"loaded_at\":", c->generation);
		text_json_column(&c->text, st, 1);
		c->has_loaded = sqlite3_column_type(st, 1) == SQLITE_TEXT &&
		    ts_parse((const char *)sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1),
		    &c->loaded) == NULL;
		text_str(&c->text, ",\"window\":{\"since\":");
		text_json_column(&c->text, st, 2);
		text_str(&c->text, ",\"until\":");
		text_json_column(&c->text, st, 3);
		text_str(&c->text, "}");
		c->metalen = c->text.len - c->meta;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
cache_read_rows(struct cache *c)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT category_id, rank, product_id, total_sold"
	    " FROM sales_rank ORDER BY category_id, rank", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cache_add_row(c, st) < 0)
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The replies that cover all categories: the list and the health check. */
static void
cache_finish(struct cache *c)
{
	size_t i;

	c->list = c->text.len;
	text_str(&c->text, "{");
	text_repeat(&c->text, c->meta, c->metalen);
	text_str(&c->text, ",\"categories\":[");
	for (i = 0; i < c->ncats; i++) {
		text_str(&c->text, i > 0 ? ",{\"category_id\":" : "{\"category_id\":");
		text_json_string(&c->text, c->text.p + c->cats[i].id, c->cats[i].idlen);
		text_printf(&c->text, ",\"products\":%zu}", c->cats[i].n);
	}
	text_str(&c->text, "]}\n");
	c->listlen = c->text.len - c->list;
	c->health = c->text.len;
	text_repeat(&c->text, c->meta, c->metalen);
	text_printf(&c->text, ",\"categories\":%zu,\"products\":%zu", c->ncats, c->nends);
	c->healthlen = c->text.len - c->health;
}

/*
 * The whole ranking and its meta row, in one read transaction so that they
 * belong to the same load; NULL with the reason in err on failure.
 */
static struct cache *
cache_read(char *err, size_t errsize)
{
	struct cache *c = calloc(1, sizeof *c);
	int ok;

	if (c == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	ok = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
	    cache_read_meta(c) == 0 && cache_read_rows(c) == 0;
	snprintf(err, errsize, "%s", c->why != NULL ? c->why : sqlite3_errmsg(db));
	sqlite3_exec(db, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	if (ok) {
		cache_finish(c);
		if (c->text.failed)
			snprintf(err, errsize, "out of memory");
		ok = !c->text.failed;
	}
	if (!ok) {
		cache_free(c);
		return NULL;
	}
	return c;
}

/*
 * The generation loaded last: 0 if there is none yet (no table, or no row),
 * -1 on error; and its load time into loaded (loadsize bytes), which tells
 * apart the loads of two files made afresh, both at generation 1 (a file
 * made again may even get the inode of the one removed).
 */
static int64_t
db_generation(char *loaded, size_t loadsize, char *err, size_t errsize)
{
	sqlite3_stmt *st;
	int64_t gen = -1;
	int rc;

	loaded[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT generation, loaded_at FROM sales_rank_meta WHERE id = 1",
	    -1, &st, NULL) != SQLITE_OK) {
		if (strncmp(sqlite3_errmsg(db), "no such table", 13) == 0)
			return 0;
		snprintf(err, errsize, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		gen = sqlite3_column_int64(st, 0);
		if (sqlite3_column_text(st, 1) != NULL)
			snprintf(loaded, loadsize, "%s", (const char *)sqlite3_column_text(st, 1));
	} else if (rc == SQLITE_DONE)
		gen = 0;
	else
		snprintf(err, errsize, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return gen;
}

/*
 * Open the database read-only as db, and say which file it is in *st; 0, or
 * -1 with the reason in err. It is held open only while it is read: a
 * reader that keeps a WAL database open keeps its -wal file, which a file
 * made afresh or renamed over it at the same path would then be read with.
 */
static int
db_open(struct stat *st, char *err, size_t errsize)
{
	return rodb_open(dbpath, &db, st, err, errsize);
}

static void
db_close(void)
{
	sqlite3_close(db);
	db = NULL;
}

/*
 * Read a new cache if the database holds a generation other than the one
 * read last, or is another file (removed and made again, or renamed over),
 * or if forced (SIGHUP), and hand it to the event loop. A failure keeps the
 * old one served; it is counted, and reported when it is not the same as
 * the last. What happened on SIGHUP is always reported.
 */
static void
refresh(int forced)
{
	static char lasterr[256];
	static dev_t loaded_dev;
	static ino_t loaded_ino;
	static char loaded_at[64];
	char err[256], at[64];
	struct cache *c = NULL;
	struct stat st;
	int64_t gen;
	int same;

	if (db_open(&st, err, sizeof err) == 0) {
		gen = db_generation(at, sizeof at, err, sizeof err);
		same = loaded_generation > 0 && st.st_dev == loaded_dev && st.st_ino == loaded_ino &&
		    strcmp(at, loaded_at) == 0;
		if (gen == 0 || (!forced && same && gen == loaded_generation)) {
			db_close();
			health_polled();
			if (forced)
				warnmsg("%s: SIGHUP: no ranking loaded yet", dbpath);
			return;
		}
		if (gen > 0)
			c = cache_read(err, sizeof err);
		db_close();
	}
	if (c != NULL) {
		if (loaded_generation > 0 && c->generation <= loaded_generation)
			db_epoch++;	/* another file, or the same read again: tags must differ */
		loaded_generation = c->generation;
		loaded_dev = st.st_dev;
		loaded_ino = st.st_ino;
		snprintf(loaded_at, sizeof loaded_at, "%s", at);
		c->epoch = db_epoch;
		if (forced)
			warnmsg("%s: SIGHUP: read generation %" PRId64, dbpath, c->generation);
		cache_free(atomic_exchange(&fresh, c));
		atomic_fetch_add(&reloads, 1);
		health_reloaded();
		lasterr[0] = '\0';
		return;
	}
	atomic_fetch_add(&reload_errors, 1);
	health_failed();
	if (forced || strcmp(err, lasterr) != 0)
		warnmsg("%s: %s: %s", dbpath, forced ? "SIGHUP: reload" : "reload", err);
	snprintf(lasterr, sizeof lasterr, "%s", err);
}

/* The loader waits here between polls; SIGHUP (hup set) or the end (stopping set) wakes it at once. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static int hup;

static void
loader_wake(int sighup)
{
	pthread_mutex_lock(&wake_lock);
	if (sighup)
		hup = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&wake_lock);
}

/* Whether to read now on SIGHUP (1), or poll (0), after waiting at most a poll's time for one. */
static int
loader_wait(void)
{
	struct timespec until;
	int forced;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += POLL_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&wake_lock);
	while (!hup && !atomic_load(&stopping) && pthread_cond_timedwait(&wake, &wake_lock, &until) == 0)
		;
	forced = hup;
	hup = 0;
	pthread_mutex_unlock(&wake_lock);
	return forced;
}

/* The loader thread: poll the generation, reload on a change or SIGHUP, until told to stop. */
static void *
loader(void *arg)
{
	int forced;

	(void)arg;
	while (!atomic_load(&stopping)) {
		forced = loader_wait();
		if (!atomic_load(&stopping))
			refresh(forced);
	}
	return NULL;
}

/*
 * A reply's body is written from its cache, not copied: the cache lives until
 * the last reply from it is written, also after a newer one replaced it.
 */
static void
cache_unref(const void *data, size_t len, void *arg)
{
	struct cache *c = arg;

	(void)data;
	(void)len;
	if (--c->refs == 0)
		cache_free(c);
}

/* The event loop takes the newest cache, if the loader has read one since. */
static void
take_fresh(void)
{
	struct cache *c;

	if (atomic_load_explicit(&fresh, memory_order_relaxed) == NULL)
		return;
	if ((c = atomic_exchange(&fresh, NULL)) != NULL) {
		if (current != NULL)
			cache_unref(NULL, 0, current);
		current = c;
		current->refs = 1;
	}
}

static void
count(enum endpoint ep, int status)
{
	size_t i;

	for (i = 0; i < NSTATUS && statuses[i] != status; i++)
		;
	counts[ep][i]++;
}

/* A request refused before evhttp parsed it (see httpconn), counted as of no endpoint. */
static void
count_refused(int status)
{
	count(EP_OTHER, status);
}

/*
 * evhttp writes a reply when epoll next says the socket is writable: two
 * epoll_ctl calls and one more turn of the loop per request. Running the
 * connection's write event now, in this turn, writes it at once, and the
 * changes to what is polled cancel out. The event is a member of struct
 * bufferevent, which libevent calls deprecated to reach: only with the
 * 2.1 series, whose layout is known; another (or -DSR_NO_WRITE_NOW) writes
 * in the next turn. It halved the epoll_ctl calls per request; in req/s
 * (wrk -t1 -c32, 8 interleaved runs, shared machine) the medians were
 * 75.6k with it and 73.7k without, a difference within the noise.
 */
#if EVENT__NUMERIC_VERSION >= 0x02010000 && EVENT__NUMERIC_VERSION < 0x02020000 && !defined(SR_NO_WRITE_NOW)
#include <event2/bufferevent_struct.h>
static void
write_now(struct bufferevent *bev)
{
	if (bev != NULL)
		event_active(&bev->ev_write, EV_WRITE, 1);
}
#else
static void
write_now(struct bufferevent *bev)
{
	(void)bev;
}
#endif

/* Send r; a HEAD request gets the same headers, Content-Length too, and no body. */
static void
send_reply(struct evhttp_request *req, enum endpoint ep, const struct reply *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	size_t taillen = r->tail != NULL ? strlen(r->tail) : 0;
	char len[32];

	count(ep, r->status);
	if (r->type != NULL)
		evhttp_add_header(h, "Content-Type", r->type);
	if (r->cache != NULL)
		evhttp_add_header(h, "Cache-Control", r->cache);
	if (r->etag != NULL)
		evhttp_add_header(h, "ETag", r->etag);
	if (r->status == 405)
		evhttp_add_header(h, "Allow", "GET, HEAD");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof len, "%zu", r->len + taillen);
		evhttp_add_header(h, "Content-Length", len);
	} else if (r->from != NULL) {
		r->from->refs++;
		if (evbuffer_add_reference(out, r->body, r->len, cache_unref, r->from) < 0)
			cache_unref(NULL, 0, r->from);
		evbuffer_add(out, r->tail, taillen);
	} else {
		evbuffer_add(out, r->body, r->len);
		evbuffer_add(out, r->tail, taillen);
	}
	evhttp_send_reply(req, r->status, http_reason(r->status), NULL);
	write_now(bev);
}

/* An error as JSON: {"error":"what"}; never cached. */
static void
send_error(struct evhttp_request *req, enum endpoint ep, int status, const char *what)
{
	struct text t = { 0 };
	struct reply r = { status, "application/json", "no-store", NULL, NULL, NULL, 0, NULL };

	text_str(&t, "{\"error\":");
	text_json_string(&t, what, strlen(what));
	text_str(&t, "}\n");
	r.body = t.failed ? "{\"error\":\"out of memory\"}\n" : t.p;
	r.len = t.failed ? strlen(r.body) : t.len;
	send_reply(req, ep, &r);
	free(t.p);
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

/* A cacheable reply: 304 if the client holds it already. */
static void
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

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode n bytes of a query component at p into out (size bytes, NUL added):
 * "+" is a space, "%HH" the byte HH. The length, or -1 if a "%" is not
 * followed by two hex digits, a NUL is decoded, or it does not fit.
 */
static long
unescape(const char *p, size_t n, char *out, size_t size)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= size)
			return -1;
		if (p[i] == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(p[i + 1])) < 0 || (lo = hexval(p[i + 2])) < 0 ||
			    (hi | lo) == 0)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (p[i] == '+')
			out[o++] = ' ';
		else
			out[o++] = p[i];
	}
	out[o] = '\0';
	return (long)o;
}

/* One name=value pair of the query into q; NULL, or why it is refused. */
static const char *
query_pair(const char *p, size_t n, struct query *q)
{
	static char msg[64];
	const char *eq = memchr(p, '=', n), *why;
	char name[32], value[IDENT_MAX + 2];
	long vl;

	if (eq == NULL)
		return "a query parameter has no value";
	if (unescape(p, (size_t)(eq - p), name, sizeof name) < 0 ||
	    (vl = unescape(eq + 1, n - (size_t)(eq - p) - 1, value, sizeof value)) < 0)
		return "bad percent-encoding, or a parameter too long";
	if (strcmp(name, "category_id") == 0 && !q->has_id) {
		if ((why = ident_check(value, (size_t)vl)) != NULL) {
			snprintf(msg, sizeof msg, "category_id: %s", why);
			return msg;
		}
		memcpy(q->id, value, (size_t)vl + 1);
		q->idlen = (size_t)vl;
		q->has_id = 1;
	} else if (strcmp(name, "limit") == 0 && !q->has_limit) {
		if (vl == 0 || vl > 7 || strspn(value, "0123456789") != (size_t)vl ||
		    (q->limit = strtol(value, NULL, 10)) < 1 || q->limit > LIMIT_MAX)
			return "limit: not an integer from 1 to 1000000";
		q->has_limit = 1;
	} else
		return strcmp(name, "category_id") == 0 || strcmp(name, "limit") == 0 ?
		    "a query parameter is given twice" : "unknown query parameter (want category_id, limit)";
	return NULL;
}

/* The query of /api/v1/popular; NULL, or why it is refused. */
static const char *
query_parse(const char *s, struct query *q)
{
	const char *amp, *why;
	size_t n;

	memset(q, 0, sizeof *q);
	for (; s != NULL && *s != '\0'; s = *amp != '\0' ? amp + 1 : amp) {
		amp = s + strcspn(s, "&");
		n = (size_t)(amp - s);
		if (n > 0 && (why = query_pair(s, n, q)) != NULL)
			return why;
	}
	return q->has_id ? NULL : "missing query parameter: category_id";
}

static const struct category *
category_find(const struct cache *c, const char *id, size_t idlen)
{
	size_t lo = 0, hi = c->ncats, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = bytes_cmp(id, idlen, c->text.p + c->cats[mid].id, c->cats[mid].idlen);
		if (cmp == 0)
			return &c->cats[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * A file made afresh starts again at generation 1: the tags of its replies
 * name which file it is, after the first, so that they differ from those of
 * the file it replaced.
 */
static const char *
epoch_tag(const struct cache *c)
{
	static char tag[24];

	if (c->epoch == 0)
		return "";
	snprintf(tag, sizeof tag, ".f%u", c->epoch);
	return tag;
}

/* GET /api/v1/popular?category_id=ID[&limit=N]: a prefix of the category's pre-rendered reply. */
static void
serve_popular(struct evhttp_request *req)
{
	const struct category *cat;
	struct query q;
	const char *why;
	char etag[64];
	size_t n;
	struct reply r = { 200, "application/json", "public, max-age=1", etag, NULL, "]}\n", 0, NULL };

	if ((why = query_parse(evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)), &q)) != NULL)
		send_error(req, EP_POPULAR, 400, why);
	else if (current == NULL)
		send_error(req, EP_POPULAR, 503, "no ranking loaded yet");
	else if ((cat = category_find(current, q.id, q.idlen)) == NULL)
		send_error(req, EP_POPULAR, 404, "unknown category");
	else {
		n = q.limit == 0 || (uint64_t)q.limit > cat->n ? cat->n : (size_t)q.limit;
		snprintf(etag, sizeof etag, "\"%" PRId64 ".%zu.%zu%s\"", current->generation,
		    (size_t)(cat - current->cats), n, epoch_tag(current));
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
	char etag[64];
	struct reply r = { 200, "application/json", "public, max-age=1", etag, NULL, NULL, 0, NULL };

	if (current == NULL) {
		send_error(req, EP_CATEGORIES, 503, "no ranking loaded yet");
		return;
	}
	snprintf(etag, sizeof etag, "\"%" PRId64 ".%s%s\"", current->generation, epnames[EP_CATEGORIES],
	    epoch_tag(current));
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

/* The request counters, by endpoint and status, and those answered with an error. */
static void
metrics_requests(struct evbuffer *b)
{
	unsigned long errors = 0;
	size_t e, s;

	evbuffer_add_printf(b, "# HELP sr_serve_requests_total Requests answered, by endpoint and status.\n"
	    "# TYPE sr_serve_requests_total counter\n");
	for (e = 0; e < EP_COUNT; e++)
		for (s = 0; s < NSTATUS; s++) {
			if (counts[e][s] > 0)
				evbuffer_add_printf(b, "sr_serve_requests_total{endpoint=\"%s\",status=\"%d\"} %lu\n",
				    epnames[e], statuses[s], counts[e][s]);
			if (statuses[s] >= 400)
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
metrics_health(struct evbuffer *b)
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
	    "# HELP sr_serve_max_age_seconds --max-age, 0 if off.\n"
	    "# TYPE sr_serve_max_age_seconds gauge\nsr_serve_max_age_seconds %" PRId64 "\n"
	    "# HELP sr_build_info The version of sr, and of the SQLite and libevent it runs with.\n"
	    "# TYPE sr_build_info gauge\nsr_build_info{version=\"%s\",sqlite=\"%s\",libevent=\"%s\"} 1\n",
	    health_failed_in_a_row(), fit, health_max_age, SR_VERSION, sqlite3_libversion(), event_get_version());
}

/* GET /metrics, in the Prometheus text format. */
static void
serve_metrics(struct evhttp_request *req)
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
	    current != NULL ? current->generation : 0, atomic_load(&reloads),
	    atomic_load(&reload_errors), accept_pauses, httpconn_dropped(), httpconn_late());
	metrics_health(b);
	r.len = evbuffer_get_length(b);
	r.body = (const char *)evbuffer_pullup(b, -1);
	send_reply(req, EP_METRICS, &r);
	evbuffer_free(b);
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

static void
on_request(struct evhttp_request *req, void *arg)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	enum endpoint ep = endpoint_of(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)));
	struct reply page_reply = { 200, "text/html; charset=utf-8", "public, max-age=60",
	    "\"" SR_VERSION "\"", page, NULL, sizeof page - 1, NULL };

	(void)arg;
	take_fresh();
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD)
		send_error(req, ep, 405, "method not allowed (want GET or HEAD)");
	else if (ep == EP_POPULAR)
		serve_popular(req);
	else if (ep == EP_CATEGORIES)
		serve_categories(req);
	else if (ep == EP_HEALTHZ)
		serve_health(req);
	else if (ep == EP_METRICS)
		serve_metrics(req);
	else if (ep == EP_PAGE)
		send_cached(req, ep, &page_reply);
	else
		send_error(req, ep, 404, "not found (see /api/v1/popular, /api/v1/categories, /healthz, /metrics, /)");
}

/*
 * accept() failed: with EMFILE, every connection the open-file limit allows
 * is taken, so stop accepting for a while instead of spinning on the error;
 * new connections wait in the listen queue.
 */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct timeval pause = { 0, ACCEPT_PAUSE_MS * 1000L };
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
		warnmsg("accept: %s", strerror(err));
	accept_pauses++;
	evconnlistener_disable(lev);
	evtimer_add(resume_accept, &pause);
}

static void
on_resume_accept(evutil_socket_t fd, short what, void *lev)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(lev);
}

/* SIGTERM and SIGINT end the loop; SIGHUP has the loader read the database now. */
static void
on_signal(evutil_socket_t sig, short what, void *base)
{
	(void)what;
	if (sig == SIGHUP)
		loader_wake(1);
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

/* The loader thread, its wake-up timed by the monotonic clock. */
static void
loader_start(pthread_t *thread)
{
	pthread_condattr_t attr;

	if (pthread_condattr_init(&attr) != 0 || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&wake, &attr) != 0)
		fatal(EXIT_DATA, "cannot set up the loader thread");
	pthread_condattr_destroy(&attr);
	if ((errno = pthread_create(thread, NULL, loader, NULL)) != 0)
		fatal(EXIT_DATA, "cannot start the loader thread: %s", strerror(errno));
}

/* address:port, the address numeric, IPv6 in brackets, port 0 for any; exits 2 if it is not. */
static void
parse_listen(const char *s, struct sockaddr_storage *ss, int *salen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':'), *h = s;
	char host[64];
	size_t hl = colon != NULL ? (size_t)(colon - s) : 0;
	long port = -1;
	int v6 = hl >= 2 && s[0] == '[' && s[hl - 1] == ']';

	memset(ss, 0, sizeof *ss);
	if (colon != NULL && colon[1] != '\0' && strlen(colon + 1) <= 5 &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1))
		port = strtol(colon + 1, NULL, 10);
	if (v6) {
		h++;
		hl -= 2;
	}
	if (port >= 0 && port <= 65535 && hl > 0 && hl < sizeof host) {
		memcpy(host, h, hl);
		host[hl] = '\0';
		if (v6) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)port);
			*salen = (int)sizeof *sin6;
			if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1)
				return;
		} else {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)port);
			*salen = (int)sizeof *sin;
			if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
				return;
		}
	}
	fatal(EXIT_USAGE, "--listen: want a numeric address and a port, as 127.0.0.1:8080 or [::1]:8080: '%s'", s);
}

/*
 * The open-file limit allows what is open now, max connections (httpconn
 * keeps to that many) and a few for SQLite. Should accept() still fail with
 * EMFILE, on_accept_error pauses accepting.
 */
static void
limit_connections(long max)
{
	struct rlimit rl;
	int probe = dup(STDERR_FILENO);

	if (probe >= 0)
		close(probe);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		fatal(EXIT_DATA, "getrlimit: %s", strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && (rlim_t)(probe + max + 16) > rl.rlim_max)
		fatal(EXIT_DATA, "--max-connections: %ld is more than the open-file limit allows (%llu)",
		    max, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = (rlim_t)(probe + max + 16);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		fatal(EXIT_DATA, "setrlimit: %s", strerror(errno));
}

/* Bind and listen on addr, and say where on stderr (its port may have been 0). */
static struct evconnlistener *
listen_on(struct event_base *base, const char *addr)
{
	struct sockaddr_storage sa;
	int salen;
	char host[64];
	struct evconnlistener *lev;

	parse_listen(addr, &sa, &salen);
	lev = evconnlistener_new_bind(base, NULL, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 1024,
	    (struct sockaddr *)&sa, salen);
	if (lev == NULL)
		fatal(EXIT_DATA, "--listen: %s: %s", addr, strerror(errno));
	salen = (int)sizeof sa;
	getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sa, (socklen_t *)&salen);
	if (sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof host);
		warnmsg("listening on http://[%s]:%d/", host, ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
		warnmsg("listening on http://%s:%d/", host, ntohs(((struct sockaddr_in *)&sa)->sin_port));
	}
	return lev;
}

/* Open the database read-only, check it is one, and read what it holds. */
static void
open_db(void)
{
	char err[256];
	struct stat st;

	if (db_open(&st, err, sizeof err) < 0)
		fatal(EXIT_DATA, "%s: open: %s", dbpath, err);
	db_close();
	refresh(0);
	take_fresh();
}

static struct evhttp *
http_new(struct event_base *base, struct evconnlistener *lev, long maxconn)
{
	struct evhttp *http = evhttp_new(base);

	if (http == NULL || evhttp_bind_listener(http, lev) == NULL)
		fatal(EXIT_DATA, "cannot set up the HTTP server");
	evhttp_set_gencb(http, on_request, NULL);
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
	httpconn_watch(http, maxconn, count_refused);
	evconnlistener_set_error_cb(lev, on_accept_error);
	return http;
}

/* Serve until SIGTERM or SIGINT; the loader thread polls the database meanwhile. */
static int
serve(const char *addr, long maxconn)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;
	struct event *sigs[NSIGNALS];
	struct evconnlistener *lev;
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
	open_db();
	lev = listen_on(base, addr);
	http = http_new(base, lev, maxconn);
	if ((resume_accept = evtimer_new(base, on_resume_accept, lev)) == NULL)
		fatal(EXIT_DATA, "cannot set up the event loop");
	limit_connections(maxconn);
	loader_start(&thread);
	event_base_dispatch(base);
	atomic_store(&stopping, 1);
	loader_wake(0);
	pthread_join(thread, NULL);
	httpconn_free();
	evhttp_free(http);
	for (i = 0; i < NSIGNALS; i++)
		event_free(sigs[i]);
	event_free(resume_accept);
	event_base_free(base);
	if (current != NULL)
		cache_unref(NULL, 0, current);
	cache_free(atomic_exchange(&fresh, NULL));
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *addr = LISTEN_DEFAULT;
	long maxconn = CONN_DEFAULT;
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
		case OPT_HELP:
			help(usagetext, abouttext);
		case OPT_VERSION:
			version();
		default:
			usage_exit(usagetext);
		}
	}
	if (optind < argc)
		usage_exit(usagetext);
	if (*dbpath == '\0')
		fatal(EXIT_USAGE, "--db: empty path");
	parse_listen(addr, &(struct sockaddr_storage){ 0 }, &(int){ 0 });
	return serve(addr, maxconn);
}
