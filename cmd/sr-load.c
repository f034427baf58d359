/* sr-load: replace the sales_rank table of a SQLite or PostgreSQL database with a ranking, atomically. */
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <time.h>

#include "ident.h"
#include "keytab.h"
#include "lineread.h"
#include "msg.h"
#include "number.h"
#include "window.h"

#define DB_DEFAULT "sales_rank.db"
#define BUSY_MS 10000
#define COPY_BUFSIZE 65536

enum { OPT_ALLOW_EMPTY = CHAR_MAX + 1, OPT_DB, OPT_HELP, OPT_VERSION };

static const struct option longopts[] = {
	{ "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
	{ "db", required_argument, NULL, OPT_DB },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	WINDOW_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-load [--allow-empty] [--db path | uri] [--now time] [--days n | --since time\n"
    "               --until time] [file ...]\n";

static const char abouttext[] =
    "\nLoad sr-topk output (category_id<TAB>rank<TAB>product_id<TAB>total_sold) into the\n"
    "sales_rank table of a SQLite database (default sales_rank.db) or, given a\n"
    "postgresql:// URI, of a PostgreSQL database, replacing the previous ranking in\n"
    "one transaction. See sr-load(1).\n";

/* The same tables in both back ends; ids are compared as bytes in both. */
static const char sqlite_schema[] =
    "CREATE TABLE IF NOT EXISTS sales_rank ("
    " id INTEGER PRIMARY KEY,"
    " category_id TEXT NOT NULL,"
    " product_id TEXT NOT NULL,"
    " total_sold INTEGER NOT NULL,"
    " rank INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS sales_rank_category_rank"
    " ON sales_rank (category_id, rank);"
    "CREATE TABLE IF NOT EXISTS sales_rank_meta ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " generation INTEGER NOT NULL,"
    " loaded_at TEXT NOT NULL,"
    " window_since TEXT,"
    " window_until TEXT,"
    " row_count INTEGER NOT NULL,"
    " category_count INTEGER NOT NULL);";

static const char pg_schema[] =
    "CREATE TABLE IF NOT EXISTS sales_rank ("
    " id bigint PRIMARY KEY,"
    " category_id text COLLATE \"C\" NOT NULL,"
    " product_id text COLLATE \"C\" NOT NULL,"
    " total_sold bigint NOT NULL,"
    " rank bigint NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS sales_rank_category_rank"
    " ON sales_rank (category_id, rank);"
    "CREATE TABLE IF NOT EXISTS sales_rank_meta ("
    " id integer PRIMARY KEY CHECK (id = 1),"
    " generation bigint NOT NULL,"
    " loaded_at text NOT NULL,"
    " window_since text,"
    " window_until text,"
    " row_count bigint NOT NULL,"
    " category_count bigint NOT NULL);";

static const char sqlite_insert[] =
    "INSERT INTO sales_rank (id, category_id, rank, product_id, total_sold) VALUES (?, ?, ?, ?, ?)";

static const char sqlite_meta[] =
    "INSERT OR REPLACE INTO sales_rank_meta (id, generation, loaded_at, window_since,"
    " window_until, row_count, category_count) VALUES (1,"
    " coalesce((SELECT generation FROM sales_rank_meta WHERE id = 1), 0) + 1,"
    " ?, ?, ?, ?, ?)";

static const char pg_copy[] =
    "COPY sales_rank (id, category_id, rank, product_id, total_sold) FROM STDIN";

static const char pg_meta[] =
    "INSERT INTO sales_rank_meta AS m (id, generation, loaded_at, window_since,"
    " window_until, row_count, category_count) VALUES (1, 1, $1, $2, $3, $4, $5)"
    " ON CONFLICT (id) DO UPDATE SET generation = m.generation + 1,"
    " loaded_at = excluded.loaded_at, window_since = excluded.window_since,"
    " window_until = excluded.window_until, row_count = excluded.row_count,"
    " category_count = excluded.category_count";

/* A ranking row as sr-topk writes it. */
struct rankrow {
	struct { const char *p; size_t len; } f[4];
	int64_t rank, total;
};

/* What the rows so far must be followed by, to be a ranking. */
struct rankstate {
	char cat[IDENT_MAX];
	size_t catlen;
	int64_t rank, total;
	int64_t rows, categories;
	struct keytab products;	/* of the current category */
};

/*
 * A database: begin opens the transaction that replaces the ranking, row adds
 * a checked row (id is its number, from 1), and then either commit or abandon
 * ends it. Only commit makes the new ranking visible.
 */
struct backend {
	void (*begin)(void);
	void (*row)(const struct rankrow *r, int64_t id);
	void (*commit)(const struct window *w, const struct rankstate *st);
	void (*abandon)(void);
};

static const char *const names[] = { "category_id", "rank", "product_id", "total_sold" };
static const char *dbpath = DB_DEFAULT;
static const char *dbname;	/* in messages: the SQLite file, or "postgresql" */
static const struct backend *be;

/* SQLite */

static sqlite3 *db;
static sqlite3_stmt *ins;

/* A database error ends the load; the open transaction is rolled back, the old ranking stays. */
static void
dbfail(const char *what)
{
	char msg[512];

	snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(ins);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	fatal(EXIT_DATA, "%s: %s: %s", dbpath, what, msg);
}

static void
exec_sql(const char *sql, const char *what)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		dbfail(what);
}

/*
 * Switching a new database to WAL needs it to itself, and SQLite answers
 * "locked" at once instead of calling the busy handler when another load is
 * doing the same: so try again, for as long as a lock is waited for.
 */
static void
set_wal(void)
{
	struct timespec pause = { 0, 10000000L };	/* 10 ms */
	int rc, waited;

	for (waited = 0;; waited += 10) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc != SQLITE_BUSY || waited >= BUSY_MS)
			break;
		nanosleep(&pause, NULL);
	}
	if (rc != SQLITE_OK)
		dbfail("set WAL mode");
}

/*
 * One write transaction: readers on WAL see the old ranking until COMMIT and
 * the new one after, never a mix. Any failure before COMMIT leaves the old one.
 */
static void
sqlite_begin(void)
{
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		dbfail("open");
	sqlite3_busy_timeout(db, BUSY_MS);
	set_wal();
	exec_sql("PRAGMA synchronous = FULL", "set synchronous");
	exec_sql("BEGIN IMMEDIATE", "begin");
	exec_sql(sqlite_schema, "create tables");
	exec_sql("DELETE FROM sales_rank", "delete old ranking");
	if (sqlite3_prepare_v2(db, sqlite_insert, -1, &ins, NULL) != SQLITE_OK)
		dbfail("prepare");
}

static void
sqlite_row(const struct rankrow *r, int64_t id)
{
	sqlite3_bind_int64(ins, 1, id);
	sqlite3_bind_text(ins, 2, r->f[0].p, (int)r->f[0].len, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 3, r->rank);
	sqlite3_bind_text(ins, 4, r->f[2].p, (int)r->f[2].len, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 5, r->total);
	if (sqlite3_step(ins) != SQLITE_DONE)
		dbfail("insert");
	sqlite3_reset(ins);
}

static void
bind_time(sqlite3_stmt *st, int i, const struct window *w, struct instant t)
{
	char buf[TS_BUFSIZE];

	if (w->set)
		sqlite3_bind_text(st, i, ts_format(buf, t), -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void
sqlite_commit(const struct window *w, const struct rankstate *st)
{
	sqlite3_stmt *meta;

	sqlite3_finalize(ins);
	ins = NULL;
	if (sqlite3_prepare_v2(db, sqlite_meta, -1, &meta, NULL) != SQLITE_OK)
		dbfail("prepare");
	bind_time(meta, 1, &(struct window){ .set = 1 }, instant_now());
	bind_time(meta, 2, w, w->from);
	bind_time(meta, 3, w, w->to);
	sqlite3_bind_int64(meta, 4, st->rows);
	sqlite3_bind_int64(meta, 5, st->categories);
	if (sqlite3_step(meta) != SQLITE_DONE)
		dbfail("metadata");
	sqlite3_finalize(meta);
	exec_sql("COMMIT", "commit");
	if (sqlite3_close(db) != SQLITE_OK)
		dbfail("close");
}

static void
sqlite_abandon(void)
{
	sqlite3_finalize(ins);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

static const struct backend sqlite_backend = { sqlite_begin, sqlite_row, sqlite_commit, sqlite_abandon };

/* PostgreSQL */

static PGconn *pg;
static char copybuf[COPY_BUFSIZE];
static size_t copylen;

/* libpq's text on one line: a line break and the indent after it become "; ". */
static void
oneline(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	while (*src != '\0' && n + 3 < size) {
		if (*src != '\n') {
			dst[n++] = *src++;
			continue;
		}
		src += strspn(src, "\n\t ");
		if (*src != '\0') {
			dst[n++] = ';';
			dst[n++] = ' ';
		}
	}
	dst[n] = '\0';
}

/*
 * An error ends the load. Closing the connection rolls the transaction back
 * on the server, so the old ranking stays.
 */
static noreturn void
pgfail(PGresult *res)
{
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	char msg[1024], where[256];

	oneline(msg, sizeof msg, primary != NULL ? primary : PQerrorMessage(pg));
	oneline(where, sizeof where, context != NULL ? context : "");
	PQclear(res);
	PQfinish(pg);
	if (*where != '\0')
		fatal(EXIT_DATA, "postgresql: %s (%s)", msg, where);
	fatal(EXIT_DATA, "postgresql: %s", msg);
}

static void
pg_exec(const char *sql, ExecStatusType want)
{
	PGresult *res = PQexec(pg, sql);

	if (PQresultStatus(res) != want)
		pgfail(res);
	PQclear(res);
}

/*
 * A password given in --db would be seen by every user in ps(1) and kept in
 * shell history; libpq reads it from PGPASSWORD or ~/.pgpass instead.
 */
static void
pg_check_uri(const char *uri)
{
	PQconninfoOption *opts, *o;
	char *err = NULL, msg[512];

	if ((opts = PQconninfoParse(uri, &err)) == NULL) {
		oneline(msg, sizeof msg, err != NULL ? err : "out of memory");
		PQfreemem(err);
		fatal(EXIT_USAGE, "--db: %s", msg);
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
			PQconninfoFree(opts);
			fatal(EXIT_USAGE, "--db: no password in the URI, where ps and shell history"
			    " show it: give it in PGPASSWORD or ~/.pgpass");
		}
	PQconninfoFree(opts);
}

/*
 * The old rows are deleted and the new ones copied in, in one transaction.
 * Readers are never blocked: DELETE and COPY take ROW EXCLUSIVE on the table,
 * which does not conflict with a SELECT's ACCESS SHARE, and by MVCC a reader
 * sees the old rows until COMMIT and the new ones after, never a mix. Copying
 * into a new table and renaming it would take ACCESS EXCLUSIVE, which queues
 * every reader behind the load and behind any long query. The advisory lock
 * makes concurrent loads take turns, and READ COMMITTED, whatever the
 * database's default, lets the DELETE after it see the rows that the load
 * before committed, so that none is left over; lock_timeout bounds the wait
 * as for SQLite.
 * The client encoding is the server's, so the id bytes are stored as given.
 */
static void
pg_begin(void)
{
	static const char *const keys[] = { "dbname", "fallback_application_name", NULL };
	const char *values[] = { dbpath, "sr-load", NULL };
	const char *enc;

	if ((pg = PQconnectdbParams(keys, values, 1)) == NULL)
		fatal(EXIT_DATA, "postgresql: out of memory");
	if (PQstatus(pg) != CONNECTION_OK)
		pgfail(NULL);
	if ((enc = PQparameterStatus(pg, "server_encoding")) != NULL && PQsetClientEncoding(pg, enc) != 0)
		pgfail(NULL);
	pg_exec("SET client_min_messages = warning; SET lock_timeout = '10s'", PGRES_COMMAND_OK);
	pg_exec("BEGIN ISOLATION LEVEL READ COMMITTED", PGRES_COMMAND_OK);
	pg_exec("SELECT pg_advisory_xact_lock(hashtext('sr-load sales_rank'))", PGRES_TUPLES_OK);
	pg_exec(pg_schema, PGRES_COMMAND_OK);
	pg_exec("DELETE FROM sales_rank", PGRES_COMMAND_OK);
	pg_exec(pg_copy, PGRES_COPY_IN);
	copylen = 0;
}

static void
pg_flush(void)
{
	if (copylen > 0 && PQputCopyData(pg, copybuf, (int)copylen) != 1)
		pgfail(NULL);
	copylen = 0;
}

/* An id in COPY's text format, where a backslash starts an escape and tab and newline end a field. */
static void
copy_id(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *esc = p[i] == '\\' ? "\\\\" : p[i] == '\t' ? "\\t" :
		    p[i] == '\n' ? "\\n" : p[i] == '\r' ? "\\r" : NULL;

		if (esc == NULL) {
			copybuf[copylen++] = p[i];
		} else {
			copybuf[copylen++] = esc[0];
			copybuf[copylen++] = esc[1];
		}
	}
}

static void
copy_int(int64_t v, char end)
{
	copylen += (size_t)snprintf(copybuf + copylen, sizeof copybuf - copylen, "%" PRId64 "%c", v, end);
}

static void
pg_row(const struct rankrow *r, int64_t id)
{
	/* Escaped ids take at most twice their bytes; three integers and tabs, 3 × 21. */
	if (sizeof copybuf - copylen < 4 * IDENT_MAX + 3 * 21 + 2)
		pg_flush();
	copy_int(id, '\t');
	copy_id(r->f[0].p, r->f[0].len);
	copybuf[copylen++] = '\t';
	copy_int(r->rank, '\t');
	copy_id(r->f[2].p, r->f[2].len);
	copybuf[copylen++] = '\t';
	copy_int(r->total, '\n');
}

static void
pg_commit(const struct window *w, const struct rankstate *st)
{
	char times[3][TS_BUFSIZE], rows[24], cats[24];
	const char *params[5];
	PGresult *res;

	pg_flush();
	if (PQputCopyEnd(pg, NULL) != 1)
		pgfail(NULL);
	if (PQresultStatus(res = PQgetResult(pg)) != PGRES_COMMAND_OK)
		pgfail(res);
	PQclear(res);
	while ((res = PQgetResult(pg)) != NULL)
		PQclear(res);
	params[0] = ts_format(times[0], instant_now());
	params[1] = w->set ? ts_format(times[1], w->from) : NULL;
	params[2] = w->set ? ts_format(times[2], w->to) : NULL;
	snprintf(rows, sizeof rows, "%" PRId64, st->rows);
	snprintf(cats, sizeof cats, "%" PRId64, st->categories);
	params[3] = rows;
	params[4] = cats;
	res = PQexecParams(pg, pg_meta, 5, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		pgfail(res);
	PQclear(res);
	res = PQexec(pg, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		pgfail(res);
	/* COMMIT of a transaction that failed succeeds, saying ROLLBACK. */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		PQclear(res);
		PQfinish(pg);
		fatal(EXIT_DATA, "postgresql: not loaded: the transaction was rolled back");
	}
	PQclear(res);
	PQfinish(pg);
}

/* The COPY is failed on purpose, so that the server logs why; closing the connection rolls back. */
static void
pg_abandon(void)
{
	PGresult *res;

	if (PQputCopyEnd(pg, "sr-load: the ranking was refused") == 1)
		while ((res = PQgetResult(pg)) != NULL)
			PQclear(res);
	PQfinish(pg);
}

static const struct backend pg_backend = { pg_begin, pg_row, pg_commit, pg_abandon };

/* The ranking, for both */

static noreturn void
bad(const struct lineread *lr, int field, const char *why, const char *v, size_t n)
{
	be->abandon();
	warn_at(lr->name, lr->lineno, field, field < 0 ? NULL : names[field], why, v, n);
	exit(EXIT_DATA);
}

static void
parse(const struct lineread *lr, const struct line *l, struct rankrow *r)
{
	const char *p = l->p, *end = l->p + l->len, *tab, *why;
	int i;

	for (i = 0; i < 4; i++) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if ((tab == NULL) != (i == 3))
			bad(lr, -1, i < 3 ? "too few fields (want 4)" : "too many fields (want 4)",
			    NULL, 0);
		r->f[i].p = p;
		r->f[i].len = (size_t)((tab != NULL ? tab : end) - p);
		if (tab != NULL)
			p = tab + 1;
	}
	if ((why = ident_check(r->f[0].p, r->f[0].len)) != NULL)
		bad(lr, 0, why, r->f[0].p, r->f[0].len);
	if ((why = parse_i64(r->f[1].p, r->f[1].len, &r->rank)) != NULL)
		bad(lr, 1, why, r->f[1].p, r->f[1].len);
	if ((why = ident_check(r->f[2].p, r->f[2].len)) != NULL)
		bad(lr, 2, why, r->f[2].p, r->f[2].len);
	if ((why = parse_i64(r->f[3].p, r->f[3].len, &r->total)) != NULL)
		bad(lr, 3, why, r->f[3].p, r->f[3].len);
}

/*
 * A ranking, as sr-topk writes it: categories in byte order, each once, ranks
 * 1, 2, 3, ... within each, totals never rising, each product once. Anything else is refused
 * rather than served as a wrong ranking.
 */
static void
check(const struct lineread *lr, const struct rankrow *r, struct rankstate *st)
{
	int c = bytes_cmp(r->f[0].p, r->f[0].len, st->cat, st->catlen);
	int64_t *seen;

	if (st->rows > 0 && c < 0)
		bad(lr, 0, "categories out of order (want sr-topk output)", r->f[0].p, r->f[0].len);
	if (st->rows == 0 || c > 0) {
		if (r->rank != 1)
			bad(lr, 1, "a category's ranks must start at 1", r->f[1].p, r->f[1].len);
		memcpy(st->cat, r->f[0].p, r->f[0].len);
		st->catlen = r->f[0].len;
		st->categories++;
		keytab_clear(&st->products);
	} else if (r->rank != st->rank + 1)
		bad(lr, 1, "ranks must run 1, 2, 3, ... within a category", r->f[1].p, r->f[1].len);
	else if (r->total > st->total)
		bad(lr, 3, "total is larger than the one ranked above it", r->f[3].p, r->f[3].len);
	if ((seen = keytab_sum(&st->products, r->f[2].p, r->f[2].len)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	if ((*seen)++ > 0)
		bad(lr, 2, "product ranked twice in its category", r->f[2].p, r->f[2].len);
	st->rank = r->rank;
	st->total = r->total;
	st->rows++;
}

/* Rows of one operand into the open transaction; -1 if it could not be read. */
static int
load_file(const char *path, struct rankstate *st)
{
	struct lineread lr;
	struct line l;
	struct rankrow r;
	int rc;

	if (lr_open(&lr, path) < 0)
		return -1;
	while ((rc = lr_next(&lr, &l)) > 0) {
		if (l.more)
			bad(&lr, -1, "line too long", NULL, 0);
		if (!l.newline)
			bad(&lr, -1, "last line has no newline: input cut short?", NULL, 0);
		parse(&lr, &l, &r);
		check(&lr, &r, st);
		be->row(&r, st->rows);
	}
	lr_close(&lr);
	return rc < 0 ? -1 : 0;
}

/* The operands, checked as one ranking, replace the old one, or nothing changes. */
static int
load(char **operands, const struct window *w, int allow_empty)
{
	struct rankstate st;
	int status = 0;

	be->begin();
	memset(&st, 0, sizeof st);
	keytab_init(&st.products, SIZE_MAX);
	if (*operands == NULL && load_file(NULL, &st) < 0)
		status = EXIT_DATA;
	for (; *operands != NULL; operands++)
		if (load_file(*operands, &st) < 0)
			status = EXIT_DATA;
	keytab_free(&st.products);
	if (status != 0 || (st.rows == 0 && !allow_empty))
		be->abandon();
	if (status != 0)
		fatal(status, "%s: not loaded: an input could not be read", dbname);
	if (st.rows == 0 && !allow_empty)
		fatal(EXIT_DATA, "%s: not loaded: the input has no rows (see --allow-empty)", dbname);
	be->commit(w, &st);
	return 0;
}

int
main(int argc, char *argv[])
{
	int c, allow_empty = 0;
	struct window w = { 0 };

	prog_init(argv);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (window_option(&w, c, optarg))
			continue;
		switch (c) {
		case OPT_ALLOW_EMPTY:
			allow_empty = 1;
			break;
		case OPT_DB:
			dbpath = optarg;
			break;
		case OPT_HELP:
			help(usagetext, abouttext);
		case OPT_VERSION:
			version();
		default:
			usage_exit(usagetext);
		}
	}
	argv += optind;
	if (*dbpath == '\0')
		fatal(EXIT_USAGE, "--db: empty path");
	if (strncmp(dbpath, "postgresql://", 13) == 0 || strncmp(dbpath, "postgres://", 11) == 0) {
		pg_check_uri(dbpath);
		be = &pg_backend;
		dbname = "postgresql";
	} else {
		be = &sqlite_backend;
		dbname = dbpath;
	}
	if (w.set)
		window_finish(&w);
	return load(argv, &w, allow_empty);
}
