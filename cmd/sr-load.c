/* sr-load: replace the sales_rank table of a SQLite or PostgreSQL database with a ranking, atomically. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ident.h"
#include "keytab.h"
#include "lineread.h"
#include "msg.h"
#include "number.h"
#include "window.h"

#define DB_DEFAULT "sales_rank.db"
#define BUSY_MS 10000
#define COPY_BUFSIZE 65536
#define TIMEOUT_DEFAULT 600	/* seconds a PostgreSQL statement may take */
#define TIMEOUT_MAX 86400
#define SCHEMA_OBJECTS 16	/* more on sr-load's tables than this: not its schema */

enum { OPT_ALLOW_EMPTY = CHAR_MAX + 1, OPT_DB, OPT_HELP, OPT_TIMEOUT, OPT_VERSION };

static const struct option longopts[] = {
	{ "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
	{ "db", required_argument, NULL, OPT_DB },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "version", no_argument, NULL, OPT_VERSION },
	WINDOW_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-load [--allow-empty] [--db path | uri] [--now time] [--days n | --since time\n"
    "               --until time] [--timeout seconds] [file ...]\n";

static const char abouttext[] =
    "\nLoad sr-topk output (category_id<TAB>rank<TAB>product_id<TAB>total_sold) into the\n"
    "sales_rank table of a SQLite database (default sales_rank.db) or, given a\n"
    "postgresql:// URI, of a PostgreSQL database, replacing the previous ranking in\n"
    "one transaction. See sr-load(1).\n"
    "\n"
    "  --allow-empty       load an empty ranking instead of refusing it\n"
    "  --db path|uri       the SQLite file or PostgreSQL URI (default sales_rank.db)\n"
    "  --timeout seconds   the longest wait for PostgreSQL's answer to a statement\n"
    "The window the ranking covers, recorded with it:\n"
    WINDOW_HELP
    "  --help              print this help and exit\n"
    "  --version           print the version and exit\n";

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

/*
 * The objects on sr-load's tables, as SQLite stores them: those of a database
 * are compared with those the schema above makes in an empty one. Names are
 * matched without case, as SQLite resolves them.
 */
static const char sqlite_objects[] =
    "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master"
    " WHERE lower(tbl_name) IN ('sales_rank', 'sales_rank_meta')"
    " OR lower(name) IN ('sales_rank', 'sales_rank_meta', 'sales_rank_category_rank')"
    " ORDER BY lower(name), type";

/*
 * What PostgreSQL says of each table, in the parts compared with pg_tables
 * below: its kind and persistence (an ordinary, logged table, without row
 * security), its columns, its constraints, its indexes, and how many
 * triggers, rules, policies and inheritance links it has.
 */
static const char pg_objects[] =
    "SELECT t.n, t.r IS NOT NULL,"
    " (SELECT c.relkind::text || c.relpersistence::text || CASE WHEN c.relrowsecurity THEN ' rls' ELSE '' END"
    "   FROM pg_class c WHERE c.oid = t.r),"
    " (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
    "     || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END"
    "     || CASE WHEN a.attcollation <> 0 THEN ' collate '"
    "       || (SELECT l.collname FROM pg_collation l WHERE l.oid = a.attcollation) ELSE '' END"
    "     || CASE WHEN a.atthasdef THEN ' default' ELSE '' END"
    "     || CASE WHEN a.attidentity <> '' OR a.attgenerated <> '' THEN ' generated' ELSE '' END,"
    "     ', ' ORDER BY a.attnum)"
    "   FROM pg_attribute a WHERE a.attrelid = t.r AND a.attnum > 0 AND NOT a.attisdropped),"
    " (SELECT coalesce(string_agg(d, ', ' ORDER BY d COLLATE \"C\"), '') FROM"
    "   (SELECT pg_get_constraintdef(k.oid) AS d FROM pg_constraint k WHERE k.conrelid = t.r) x),"
    " (SELECT coalesce(string_agg(d, ', ' ORDER BY d COLLATE \"C\"), '') FROM"
    "   (SELECT regexp_replace(pg_get_indexdef(i.indexrelid), ' ON .* USING ', ' USING ') AS d"
    "   FROM pg_index i WHERE i.indrelid = t.r) x),"
    " ((SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = t.r AND NOT g.tgisinternal)"
    "   + (SELECT count(*) FROM pg_rewrite w WHERE w.ev_class = t.r)"
    "   + (SELECT count(*) FROM pg_policy p WHERE p.polrelid = t.r)"
    "   + (SELECT count(*) FROM pg_inherits h WHERE h.inhparent = t.r OR h.inhrelid = t.r))::text"
    " FROM (SELECT n, to_regclass(n) AS r FROM unnest(ARRAY['sales_rank', 'sales_rank_meta']) AS u(n)) t"
    " ORDER BY t.n";

/* pg_objects' parts for the tables as pg_schema makes them. */
#define PG_PARTS 5
static const char *const pg_part_names[PG_PARTS] = {
	"kind", "columns", "constraints", "indexes", "triggers, rules, policies and inheritance"
};
/* Each part one literal, some split over lines: no comma is missing. */
/* NOLINTBEGIN(bugprone-suspicious-missing-comma) */
static const char *const pg_tables[2][PG_PARTS] = {
	{ "rp",
	  "id bigint not null, category_id text not null collate C, product_id text not null collate C,"
	  " total_sold bigint not null, rank bigint not null",
	  "PRIMARY KEY (id)",
	  "CREATE UNIQUE INDEX sales_rank_category_rank USING btree (category_id, rank),"
	  " CREATE UNIQUE INDEX sales_rank_pkey USING btree (id)",
	  "0" },
	{ "rp",
	  "id integer not null, generation bigint not null, loaded_at text not null collate default,"
	  " window_since text collate default, window_until text collate default,"
	  " row_count bigint not null, category_count bigint not null",
	  "CHECK ((id = 1)), PRIMARY KEY (id)",
	  "CREATE UNIQUE INDEX sales_rank_meta_pkey USING btree (id)",
	  "0" },
};
/* NOLINTEND(bugprone-suspicious-missing-comma) */

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

/* The database has a table sr-load did not create: nothing is changed. */
static noreturn void
refuse_schema(const char *why)
{
	be->abandon();
	fatal(EXIT_DATA, "%s: not loaded: %s (sr-load loads only into the tables it creates)", dbname, why);
}

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

/* The rows of sqlite_objects: each object's type, name, and all it is. */
struct objects {
	int n, more;
	char *type[SCHEMA_OBJECTS], *name[SCHEMA_OBJECTS], *all[SCHEMA_OBJECTS];
};

/* count columns of the row from first, joined by 0x1f, in memory of their own. */
static char *
column_copy(sqlite3_stmt *st, int first, int count)
{
	size_t len = 0, n;
	char *s;
	int i;

	for (i = first; i < first + count; i++)
		len += (size_t)sqlite3_column_bytes(st, i) + 1;
	if ((s = malloc(len)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	for (len = 0, i = first; i < first + count; i++) {
		n = (size_t)sqlite3_column_bytes(st, i);
		memcpy(s + len, sqlite3_column_text(st, i), n);
		s[len + n] = '\037';
		len += n + 1;
	}
	s[len - 1] = '\0';
	return s;
}

static int
read_objects(sqlite3 *d, struct objects *o)
{
	sqlite3_stmt *st;
	int rc;

	memset(o, 0, sizeof *o);
	if (sqlite3_prepare_v2(d, sqlite_objects, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (o->n == SCHEMA_OBJECTS) {
			o->more = 1;
			continue;
		}
		o->type[o->n] = column_copy(st, 0, 1);
		o->name[o->n] = column_copy(st, 1, 1);
		o->all[o->n] = column_copy(st, 0, 4);
		o->n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
free_objects(struct objects *o)
{
	int i;

	for (i = 0; i < o->n; i++) {
		free(o->type[i]);
		free(o->name[i]);
		free(o->all[i]);
	}
}

static int
find_object(const struct objects *o, const char *name)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (sqlite3_stricmp(o->name[i], name) == 0)
			return i;
	return -1;
}

/* What in have differs from want, into why; 0 if nothing. */
static int
objects_differ(const struct objects *want, const struct objects *have, char *why, size_t size)
{
	int i, j;

	for (i = 0; i < want->n; i++) {
		if ((j = find_object(have, want->name[i])) < 0)
			return snprintf(why, size, "%s %s is missing", want->type[i], want->name[i]), 1;
		if (strcmp(have->name[j], want->name[i]) != 0 || strcmp(have->all[j], want->all[i]) != 0)
			return snprintf(why, size, "%s %s is not as sr-load creates it", have->type[j],
			    have->name[j]), 1;
	}
	for (j = 0; j < have->n; j++)
		if (find_object(want, have->name[j]) < 0)
			return snprintf(why, size, "%s %s is not one sr-load creates", have->type[j],
			    have->name[j]), 1;
	if (have->more)
		return snprintf(why, size, "more than %d objects on its tables", SCHEMA_OBJECTS), 1;
	return 0;
}

/*
 * Whether the database has sr-load's tables exactly as it creates them (1),
 * none of them (0), or is refused: a table of another schema would convert or
 * reject what is loaded into it.
 */
static int
sqlite_has_schema(void)
{
	struct objects want, have;
	sqlite3 *mem;
	char why[256];
	int differ;

	if (sqlite3_open(":memory:", &mem) != SQLITE_OK ||
	    sqlite3_exec(mem, sqlite_schema, NULL, NULL, NULL) != SQLITE_OK || read_objects(mem, &want) < 0)
		fatal(EXIT_DATA, "out of memory");
	sqlite3_close(mem);
	if (read_objects(db, &have) < 0)
		dbfail("read schema");
	differ = have.n > 0 && objects_differ(&want, &have, why, sizeof why);
	free_objects(&want);
	free_objects(&have);
	if (differ)
		refuse_schema(why);
	return have.n > 0;
}

/*
 * One write transaction: readers on WAL see the old ranking until COMMIT and
 * the new one after, never a mix. Any failure before COMMIT leaves the old one.
 * The schema is checked before anything is changed (WAL mode included), and
 * again under the lock.
 */
static void
sqlite_begin(void)
{
	int keep = 1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		dbfail("open");
	sqlite3_busy_timeout(db, BUSY_MS);
	/*
	 * The -wal and -shm files stay when the load ends (emptied): sr-serve
	 * run as another user reads them read-only but may not make them.
	 */
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep) != SQLITE_OK)
		dbfail("keep the WAL files");
	exec_sql("PRAGMA journal_size_limit = 0", "set journal_size_limit");
	sqlite_has_schema();
	set_wal();
	exec_sql("PRAGMA synchronous = FULL", "set synchronous");
	exec_sql("BEGIN IMMEDIATE", "begin");
	if (!sqlite_has_schema())
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
static int pg_timeout = TIMEOUT_DEFAULT;
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

/*
 * The next result of what was sent, waiting at most --timeout seconds for
 * the server: libpq alone waits for ever, as when it runs out of memory in
 * the middle of a message and then waits for more of it.
 */
static PGresult *
pg_result(void)
{
	struct pollfd pfd = { PQsocket(pg), POLLIN, 0 };
	time_t end = time(NULL) + pg_timeout;
	int n;

	while (PQisBusy(pg)) {
		if (time(NULL) >= end)
			fatal(EXIT_DATA, "postgresql: no answer from the server in %d s (--timeout): "
			    "not loaded", pg_timeout);
		n = poll(&pfd, 1, (int)(end - time(NULL)) * 1000);
		if (n < 0 && errno != EINTR)
			fatal(EXIT_DATA, "postgresql: poll: %s", strerror(errno));
		if (n > 0 && !PQconsumeInput(pg))
			pgfail(NULL);
	}
	return PQgetResult(pg);
}

/* Run sql, one statement or several, and check the last result's status. */
static void
pg_exec(const char *sql, ExecStatusType want)
{
	PGresult *res, *last = NULL;

	if (!PQsendQuery(pg, sql))
		pgfail(NULL);
	while ((res = pg_result()) != NULL) {
		PQclear(last);
		last = res;
		if (PQresultStatus(res) == PGRES_COPY_IN || PQresultStatus(res) == PGRES_FATAL_ERROR)
			break;
	}
	if (PQresultStatus(last) != want)
		pgfail(last);
	PQclear(last);
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

/* sr-load's tables are created if neither exists; refused unless both are as pg_schema makes them. */
static void
pg_check_schema(void)
{
	PGresult *res, *extra;
	char why[1024];
	const char *have;
	int i, k;

	if (!PQsendQuery(pg, pg_objects))
		pgfail(NULL);
	res = pg_result();
	while ((extra = pg_result()) != NULL)
		PQclear(extra);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 2 || PQnfields(res) != PG_PARTS + 2)
		pgfail(res);
	if (strcmp(PQgetvalue(res, 0, 1), "f") == 0 && strcmp(PQgetvalue(res, 1, 1), "f") == 0) {
		PQclear(res);
		pg_exec(pg_schema, PGRES_COMMAND_OK);
		return;
	}
	for (i = 0; i < 2; i++) {
		if (strcmp(PQgetvalue(res, i, 1), "f") == 0) {
			snprintf(why, sizeof why, "table %s is missing", PQgetvalue(res, i, 0));
			PQclear(res);
			refuse_schema(why);
		}
		for (k = 0; k < PG_PARTS; k++) {
			have = PQgetvalue(res, i, k + 2);
			if (strcmp(have, pg_tables[i][k]) == 0)
				continue;
			snprintf(why, sizeof why, "table %s is not as sr-load creates it: %s: '%s'",
			    PQgetvalue(res, i, 0), pg_part_names[k], have);
			PQclear(res);
			refuse_schema(why);
		}
	}
	PQclear(res);
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
	pg_check_schema();
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
	PGresult *res, *extra;

	pg_flush();
	if (PQputCopyEnd(pg, NULL) != 1)
		pgfail(NULL);
	if (PQresultStatus(res = pg_result()) != PGRES_COMMAND_OK)
		pgfail(res);
	PQclear(res);
	while ((res = pg_result()) != NULL)
		PQclear(res);
	params[0] = ts_format(times[0], instant_now());
	params[1] = w->set ? ts_format(times[1], w->from) : NULL;
	params[2] = w->set ? ts_format(times[2], w->to) : NULL;
	snprintf(rows, sizeof rows, "%" PRId64, st->rows);
	snprintf(cats, sizeof cats, "%" PRId64, st->categories);
	params[3] = rows;
	params[4] = cats;
	if (!PQsendQueryParams(pg, pg_meta, 5, NULL, params, NULL, NULL, 0))
		pgfail(NULL);
	if (PQresultStatus(res = pg_result()) != PGRES_COMMAND_OK)
		pgfail(res);
	PQclear(res);
	while ((res = pg_result()) != NULL)
		PQclear(res);
	if (!PQsendQuery(pg, "COMMIT"))
		pgfail(NULL);
	if (PQresultStatus(res = pg_result()) != PGRES_COMMAND_OK)
		pgfail(res);
	while ((extra = pg_result()) != NULL)
		PQclear(extra);
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
		while ((res = pg_result()) != NULL)
			PQclear(res);
	PQfinish(pg);
}

static const struct backend pg_backend = { pg_begin, pg_row, pg_commit, pg_abandon };

/* The ranking, for both */

static int begun;	/* be->begin was called: the database is locked */

static noreturn void
bad(const struct lineread *lr, int field, const char *why, const char *v, size_t n)
{
	if (begun)
		be->abandon();
	warn_at(lr->name, lr->lineno, field, field < 0 ? NULL : names[field], why, v, n);
	exit(EXIT_DATA);
}

/*
 * The length of the valid UTF-8 that s starts with: the offset of the first
 * byte that does not start or continue a character as RFC 3629 allows it (no
 * overlong form, no surrogate, nothing above U+10FFFF), or n.
 */
static size_t
utf8_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len, k;
	unsigned char lo, hi;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80, hi = 0xbf;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			len = 3, lo = p[i] == 0xe0 ? 0xa0 : 0x80, hi = p[i] == 0xed ? 0x9f : 0xbf;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			len = 4, lo = p[i] == 0xf0 ? 0x90 : 0x80, hi = p[i] == 0xf4 ? 0x8f : 0xbf;
		else
			return i;
		if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (k = 2; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
		i += len;
	}
	return n;
}

/* An id that is not UTF-8, shown with every byte above 0x7f as \xHH, since a terminal would not show it. */
static noreturn void
bad_utf8(const struct lineread *lr, int field, const char *v, size_t n)
{
	char q[96];
	size_t o = 0, i;

	for (i = 0; i < n && o + 8 < sizeof q; i++) {
		if ((unsigned char)v[i] >= 0x80)
			o += (size_t)snprintf(q + o, sizeof q - o, "\\x%02x", (unsigned char)v[i]);
		else if (v[i] == '\\')
			o += (size_t)snprintf(q + o, sizeof q - o, "\\\\");
		else
			q[o++] = v[i];
	}
	q[o] = '\0';
	if (begun)
		be->abandon();
	warnmsg("%s:%llu: field %d (%s): not valid UTF-8: '%s%s'", lr->name, (unsigned long long)lr->lineno,
	    field + 1, names[field], q, i < n ? "..." : "");
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
	if (utf8_prefix(r->f[0].p, r->f[0].len) != r->f[0].len)
		bad_utf8(lr, 0, r->f[0].p, r->f[0].len);
	if ((why = parse_i64(r->f[1].p, r->f[1].len, &r->rank)) != NULL)
		bad(lr, 1, why, r->f[1].p, r->f[1].len);
	if ((why = ident_check(r->f[2].p, r->f[2].len)) != NULL)
		bad(lr, 2, why, r->f[2].p, r->f[2].len);
	if (utf8_prefix(r->f[2].p, r->f[2].len) != r->f[2].len)
		bad_utf8(lr, 2, r->f[2].p, r->f[2].len);
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


/*
 * The checked ranking waits in an unlinked temporary file until the database
 * is locked: read in memory, a ranking of 10 million rows would take some
 * 400 MB; in the file it takes disk space in TMPDIR, and the page cache.
 */
static int spool = -1;
static const char *spooldir;
static char spoolbuf[COPY_BUFSIZE];
static size_t spoollen;

static void
spool_open(void)
{
	char path[PATH_MAX];

	if ((spooldir = getenv("TMPDIR")) == NULL || *spooldir == '\0')
		spooldir = "/tmp";
	if (snprintf(path, sizeof path, "%s/sr-load.XXXXXX", spooldir) >= (int)sizeof path)
		fatal(EXIT_DATA, "%s: path too long for a temporary file", spooldir);
	if ((spool = mkstemp(path)) < 0)
		fatal(EXIT_DATA, "%s: temporary file: %s", spooldir, strerror(errno));
	unlink(path);
}

static void
spool_flush(void)
{
	size_t done = 0;
	ssize_t n;

	while (done < spoollen) {
		if ((n = write(spool, spoolbuf + done, spoollen - done)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal(EXIT_DATA, "%s: temporary file: write error: %s", spooldir,
			    n < 0 ? strerror(errno) : "no progress");
		done += (size_t)n;
	}
	spoollen = 0;
}

/* A checked line, with its newline; it is at most 4 fields of IDENT_MAX or 20 bytes. */
static void
spool_line(const struct line *l)
{
	if (sizeof spoolbuf - spoollen < l->len + 1)
		spool_flush();
	memcpy(spoolbuf + spoollen, l->p, l->len);
	spoolbuf[spoollen + l->len] = '\n';
	spoollen += l->len + 1;
}

/* Lines of one operand, checked as part of the ranking, into the spool; -1 if it could not be read. */
static int
read_file(const char *path, struct rankstate *st)
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
		spool_line(&l);
	}
	lr_close(&lr);
	return rc < 0 ? -1 : 0;
}

/* The spooled rows into the open transaction; -1 if the spool could not be read back whole. */
static int
send_rows(int64_t rows)
{
	struct lineread lr;
	struct line l;
	struct rankrow r;
	int64_t id = 0;
	int rc;

	if (lseek(spool, 0, SEEK_SET) != 0)
		return warnmsg("%s: temporary file: %s", spooldir, strerror(errno)), -1;
	/* lineread reads any descriptor: stdin's reader, pointed at the spool. */
	lr_open(&lr, NULL);
	lr.fd = spool;
	lr.name = "temporary file";
	while ((rc = lr_next(&lr, &l)) > 0) {
		parse(&lr, &l, &r);
		be->row(&r, ++id);
	}
	lr_close(&lr);
	spool = -1;
	if (rc == 0 && id != rows)
		warnmsg("%s: temporary file: %" PRId64 " rows read back of %" PRId64, spooldir, id, rows);
	return rc < 0 || id != rows ? -1 : 0;
}

/*
 * The operands, read and checked whole as one ranking, replace the old one,
 * or nothing changes. The database is opened and locked only then, so that it
 * is held for the time of the load itself, not of the stages before it.
 */
static int
load(char **operands, const struct window *w, int allow_empty)
{
	struct rankstate st;
	int status = 0;

	spool_open();
	memset(&st, 0, sizeof st);
	keytab_init(&st.products, SIZE_MAX);
	if (*operands == NULL && read_file(NULL, &st) < 0)
		status = EXIT_DATA;
	for (; *operands != NULL; operands++)
		if (read_file(*operands, &st) < 0)
			status = EXIT_DATA;
	keytab_free(&st.products);
	if (status != 0)
		fatal(status, "%s: not loaded: an input could not be read", dbname);
	if (st.rows == 0 && !allow_empty)
		fatal(EXIT_DATA, "%s: not loaded: the input has no rows (see --allow-empty)", dbname);
	spool_flush();
	be->begin();
	begun = 1;
	if (send_rows(st.rows) < 0) {
		be->abandon();
		fatal(EXIT_DATA, "%s: not loaded: the temporary file could not be read back", dbname);
	}
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
		case OPT_TIMEOUT:
			pg_timeout = (int)arg_count("--timeout", optarg, 1, TIMEOUT_MAX);
			break;
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
