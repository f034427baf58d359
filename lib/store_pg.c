/* store_pg: the ranking in PostgreSQL, replaced in one transaction that readers are told of (NOTIFY sr_ranking). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ident.h"
#include "msg.h"
#include "number.h"
#include "store_be.h"

#define COPY_BUFSIZE 65536
#define FETCH_ROWS "10000"
#define MSG_SIZE 1024
#define LOCK_KEY "hashtext('sr-load sales_rank')"	/* the advisory lock loads take turns by */
#define UNDEFINED_TABLE "42P01"
#define READER_CONNECT_S "10"	/* a reader's wait for a new connection, unless the URI or PGCONNECT_TIMEOUT says */

struct pgs {
	struct store base;
	PGconn *conn;
	int incopy;		/* a COPY is open */
	int listening;		/* LISTEN sr_ranking succeeded */
	int ep, pipe[2];	/* the notify fd: an epoll of the socket and of pipe[0] */
	char copybuf[COPY_BUFSIZE];
	size_t copylen;
};

static const char copy_sql[] =
    "COPY sales_rank (id, category_id, rank, product_id, total_sold) FROM STDIN";

static const char meta_sql[] =
    "INSERT INTO sales_rank_meta AS m (id, generation, loaded_at, window_since,"
    " window_until, row_count, category_count) VALUES (1, 1, $1, $2, $3, $4, $5)"
    " ON CONFLICT (id) DO UPDATE SET generation = m.generation + 1,"
    " loaded_at = excluded.loaded_at, window_since = excluded.window_since,"
    " window_until = excluded.window_until, row_count = excluded.row_count,"
    " category_count = excluded.category_count";

/*
 * What PostgreSQL says of each table, in the parts store_pg_expect gives:
 * its kind and persistence (an ordinary, logged table, without row
 * security), its columns, its constraints, its indexes, and how many
 * triggers, rules, policies and inheritance links it has.
 */
static const char objects_sql[] =
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
 * An error: its message (and context) in err, res cleared. A writer's
 * connection is closed, which rolls its transaction back on the server, so
 * the old ranking stays; a reader's is left for the caller to close.
 */
static int
fail(struct pgs *s, PGresult *res, char *err, size_t errsize)
{
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	char msg[MSG_SIZE], where[256];

	if (s->conn == NULL)
		snprintf(msg, sizeof msg, "the connection is closed after an error");
	else
		oneline(msg, sizeof msg, primary != NULL ? primary : PQerrorMessage(s->conn));
	oneline(where, sizeof where, context != NULL ? context : "");
	PQclear(res);
	if (s->base.writer) {
		PQfinish(s->conn);
		s->conn = NULL;
		s->incopy = 0;
	}
	if (*where != '\0')
		snprintf(err, errsize, "%s (%s)", msg, where);
	else
		snprintf(err, errsize, "%s", msg);
	return -1;
}

/* A message of the store's own: the connection closed as by fail. */
static int
fail_msg(struct pgs *s, const char *msg, char *err, size_t errsize)
{
	snprintf(err, errsize, "%s", msg);
	if (s->base.writer) {
		PQfinish(s->conn);
		s->conn = NULL;
		s->incopy = 0;
	}
	return -1;
}

/*
 * The next result of what was sent into *out (NULL: no more), waiting at
 * most the timeout for the server: libpq alone waits for ever, as when it
 * runs out of memory in the middle of a message and then waits for more.
 */
static int
next_result(struct pgs *s, PGresult **out, char *err, size_t errsize)
{
	struct pollfd pfd;
	time_t end = time(NULL) + s->base.timeout;
	char msg[MSG_SIZE];
	int n;

	*out = NULL;
	if (s->conn == NULL)
		return fail(s, NULL, err, errsize);
	pfd.fd = PQsocket(s->conn);
	pfd.events = POLLIN;
	while (PQisBusy(s->conn)) {
		if (time(NULL) >= end) {
			snprintf(msg, sizeof msg, "no answer from the server in %d s%s", s->base.timeout,
			    s->base.writer ? " (--timeout): not loaded" : "");
			return fail_msg(s, msg, err, errsize);
		}
		n = poll(&pfd, 1, (int)(end - time(NULL)) * 1000);
		if (n < 0 && errno != EINTR) {
			snprintf(msg, sizeof msg, "poll: %s", strerror(errno));
			return fail_msg(s, msg, err, errsize);
		}
		if (n > 0 && !PQconsumeInput(s->conn))
			return fail(s, NULL, err, errsize);
	}
	*out = PQgetResult(s->conn);
	return 0;
}

/* The rest of the results of what was sent, dropped. */
static int
drain(struct pgs *s, char *err, size_t errsize)
{
	PGresult *res;

	do {
		if (next_result(s, &res, err, errsize) < 0)
			return -1;
		PQclear(res);
	} while (res != NULL);
	return 0;
}

/*
 * Run sql (with nparams params, if any), one statement or several, and
 * check the last result's status; the result into *out if out is not NULL.
 */
static int
run(struct pgs *s, const char *sql, int nparams, const char *const *params, ExecStatusType want,
    PGresult **out, char *err, size_t errsize)
{
	PGresult *res, *last = NULL;
	int sent;

	if (s->conn == NULL)
		return fail(s, NULL, err, errsize);
	sent = nparams > 0 ? PQsendQueryParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0) :
	    PQsendQuery(s->conn, sql);
	if (!sent)
		return fail(s, NULL, err, errsize);
	for (;;) {
		if (next_result(s, &res, err, errsize) < 0) {
			PQclear(last);
			return -1;
		}
		if (res == NULL)
			break;
		PQclear(last);
		last = res;
		if (PQresultStatus(res) == PGRES_COPY_IN || PQresultStatus(res) == PGRES_FATAL_ERROR)
			break;
	}
	if (PQresultStatus(last) != want) {
		if (PQresultStatus(last) == PGRES_FATAL_ERROR && !s->base.writer && drain(s, err, errsize) < 0) {
			PQclear(last);
			return -1;
		}
		return fail(s, last, err, errsize);
	}
	if (out != NULL)
		*out = last;
	else
		PQclear(last);
	return 0;
}

static int
exec_ok(struct pgs *s, const char *sql, char *err, size_t errsize)
{
	return run(s, sql, 0, NULL, PGRES_COMMAND_OK, NULL, err, errsize);
}

/* PostgreSQL's warnings in sr's format on stderr, never raw; notices and the like are dropped. */
static void
notice(void *arg, const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char msg[MSG_SIZE];

	(void)arg;
	if (severity == NULL || strcmp(severity, "WARNING") != 0 || primary == NULL)
		return;
	oneline(msg, sizeof msg, primary);
	warnmsg("postgresql: warning: %s", msg);
}

/*
 * A password given in --db would be seen by every user in ps(1) and kept in
 * shell history; libpq reads it from PGPASSWORD or ~/.pgpass instead.
 */
int
store_pg_check_uri(const char *uri, char *err, size_t errsize)
{
	PQconninfoOption *opts, *o;
	char *perr = NULL;
	int rc = 0;

	if ((opts = PQconninfoParse(uri, &perr)) == NULL) {
		oneline(err, errsize, perr != NULL ? perr : "out of memory");
		PQfreemem(perr);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
			snprintf(err, errsize, "no password in the URI, where ps and shell history"
			    " show it: give it in PGPASSWORD or ~/.pgpass");
			rc = -1;
		}
	PQconninfoFree(opts);
	return rc;
}

/* --- The write side --- */

/* A database with a table sr did not make: nothing is changed. */
static int
refuse(struct pgs *s, const char *why, char *err, size_t errsize)
{
	char msg[MSG_SIZE + 128];

	snprintf(msg, sizeof msg, STORE_REFUSED, why);
	return fail_msg(s, msg, err, errsize);
}

/*
 * Which of sr's tables the database has: both as store_ddl makes them (1),
 * neither (0), or refused (-1, the connection closed).
 */
static int
has_schema(struct pgs *s, char *err, size_t errsize)
{
	PGresult *res;
	char why[MSG_SIZE];
	const char *have;
	int i, k;

	if (run(s, objects_sql, 0, NULL, PGRES_TUPLES_OK, &res, err, errsize) < 0)
		return -1;
	if (PQntuples(res) != STORE_TABLES || PQnfields(res) != STORE_PG_PARTS + 2)
		return fail(s, res, err, errsize);
	if (strcmp(PQgetvalue(res, 0, 1), "f") == 0 && strcmp(PQgetvalue(res, 1, 1), "f") == 0) {
		PQclear(res);
		return 0;
	}
	/* The query's rows are in name order, as store_tables is. */
	for (i = 0; i < STORE_TABLES; i++) {
		if (strcmp(PQgetvalue(res, i, 1), "f") == 0) {
			snprintf(why, sizeof why, "table %s is missing", PQgetvalue(res, i, 0));
			PQclear(res);
			return refuse(s, why, err, errsize);
		}
		for (k = 0; k < STORE_PG_PARTS; k++) {
			have = PQgetvalue(res, i, k + 2);
			if (strcmp(have, store_pg_expect(i, k)) == 0)
				continue;
			snprintf(why, sizeof why, "table %s is not as sr-load creates it: %s: '%s'",
			    PQgetvalue(res, i, 0), store_pg_part_names[k], have);
			PQclear(res);
			return refuse(s, why, err, errsize);
		}
	}
	PQclear(res);
	return 1;
}

/*
 * The transaction of a write, loads taking turns: the advisory lock makes
 * concurrent loads wait for each other, and READ COMMITTED, whatever the
 * database's default, lets the DELETE after it see the rows that the load
 * before committed, so that none is left over; lock_timeout bounds the wait.
 * Then, in it, which of sr's tables the database has (has_schema's answer).
 */
static int
begin_locked(struct pgs *s, char *err, size_t errsize)
{
	if (exec_ok(s, "BEGIN ISOLATION LEVEL READ COMMITTED", err, errsize) < 0 ||
	    run(s, "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", 0, NULL, PGRES_TUPLES_OK, NULL, err, errsize) < 0)
		return -1;
	return has_schema(s, err, errsize);
}

/* Commit, which of a transaction that failed succeeds, saying ROLLBACK. */
static int
commit(struct pgs *s, char *err, size_t errsize)
{
	PGresult *res;

	if (run(s, "COMMIT", 0, NULL, PGRES_COMMAND_OK, &res, err, errsize) < 0)
		return -1;
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		PQclear(res);
		return fail_msg(s, "not loaded: the transaction was rolled back", err, errsize);
	}
	PQclear(res);
	return 0;
}

/* The tables, if neither is there: the one step that needs CREATE on the schema. */
static int
pg_init(struct store *b, char *err, size_t errsize)
{
	struct pgs *s = (struct pgs *)b;
	int have = begin_locked(s, err, errsize);

	if (have < 0 || (!have && exec_ok(s, store_ddl(1), err, errsize) < 0))
		return -1;
	return commit(s, err, errsize);
}

/*
 * The old rows are deleted and the new ones copied in, in one transaction.
 * Readers are never blocked: DELETE and COPY take ROW EXCLUSIVE on the table,
 * which does not conflict with a SELECT's ACCESS SHARE, and by MVCC a reader
 * sees the old rows until COMMIT and the new ones after, never a mix. Copying
 * into a new table and renaming it would take ACCESS EXCLUSIVE, which queues
 * every reader behind the load and behind any long query.
 */
static int
pg_begin(struct store *b, char *err, size_t errsize)
{
	struct pgs *s = (struct pgs *)b;
	int have;

	if ((have = begin_locked(s, err, errsize)) < 0)
		return -1;
	if (!have)
		return fail_msg(s, "not loaded: the database has no tables sales_rank and sales_rank_meta:"
		    " run sr-load --init first, as a role that may create them (see sr-load(1))", err, errsize);
	if (exec_ok(s, "DELETE FROM sales_rank", err, errsize) < 0 ||
	    run(s, copy_sql, 0, NULL, PGRES_COPY_IN, NULL, err, errsize) < 0)
		return -1;
	s->incopy = 1;
	s->copylen = 0;
	return 0;
}

static int
flush(struct pgs *s, char *err, size_t errsize)
{
	if (s->copylen > 0 && PQputCopyData(s->conn, s->copybuf, (int)s->copylen) != 1)
		return fail(s, NULL, err, errsize);
	s->copylen = 0;
	return 0;
}

/* An id in COPY's text format, where a backslash starts an escape and tab and newline end a field. */
static void
copy_id(struct pgs *s, const char *p, size_t n, char end)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *esc = p[i] == '\\' ? "\\\\" : p[i] == '\t' ? "\\t" :
		    p[i] == '\n' ? "\\n" : p[i] == '\r' ? "\\r" : NULL;

		if (esc == NULL) {
			s->copybuf[s->copylen++] = p[i];
		} else {
			s->copybuf[s->copylen++] = esc[0];
			s->copybuf[s->copylen++] = esc[1];
		}
	}
	s->copybuf[s->copylen++] = end;
}

static void
copy_int(struct pgs *s, int64_t v, char end)
{
	s->copylen += (size_t)snprintf(s->copybuf + s->copylen, sizeof s->copybuf - s->copylen,
	    "%" PRId64 "%c", v, end);
}

static int
pg_row(struct store *b, const struct store_row *r, int64_t id, char *err, size_t errsize)
{
	struct pgs *s = (struct pgs *)b;

	if (!s->incopy)
		return fail(s, NULL, err, errsize);
	/* Escaped ids take at most twice their bytes; three integers and tabs, 3 × 21. */
	if (r->categorylen > IDENT_MAX || r->productlen > IDENT_MAX)
		return fail_msg(s, "an id longer than sr's ids", err, errsize);
	if (sizeof s->copybuf - s->copylen < 4 * IDENT_MAX + 3 * 21 + 2 && flush(s, err, errsize) < 0)
		return -1;
	copy_int(s, id, '\t');
	copy_id(s, r->category, r->categorylen, '\t');
	copy_int(s, r->rank, '\t');
	copy_id(s, r->product, r->productlen, '\t');
	copy_int(s, r->total, '\n');
	return 0;
}

/* The meta row (generation one more; m->generation is not used), readers told, COMMIT. */
static int
pg_commit(struct store *b, const struct store_meta *m, char *err, size_t errsize)
{
	struct pgs *s = (struct pgs *)b;
	char rows[24], cats[24];
	const char *params[5];
	PGresult *res;

	if (!s->incopy)
		return fail(s, NULL, err, errsize);
	if (flush(s, err, errsize) < 0)
		return -1;
	s->incopy = 0;
	if (PQputCopyEnd(s->conn, NULL) != 1)
		return fail(s, NULL, err, errsize);
	if (next_result(s, &res, err, errsize) < 0)
		return -1;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return fail(s, res, err, errsize);
	PQclear(res);
	if (drain(s, err, errsize) < 0)
		return -1;
	snprintf(rows, sizeof rows, "%" PRId64, m->rows);
	snprintf(cats, sizeof cats, "%" PRId64, m->categories);
	params[0] = m->loaded_at;
	params[1] = m->window_since;
	params[2] = m->window_until;
	params[3] = rows;
	params[4] = cats;
	if (run(s, meta_sql, 5, params, PGRES_COMMAND_OK, NULL, err, errsize) < 0 ||
	    exec_ok(s, "NOTIFY sr_ranking", err, errsize) < 0 || commit(s, err, errsize) < 0)
		return -1;
	PQfinish(s->conn);
	s->conn = NULL;
	return 0;
}

/* The COPY is failed on purpose, so that the server logs why; closing the connection rolls back. */
static void
pg_abandon(struct store *b)
{
	struct pgs *s = (struct pgs *)b;
	PGresult *res;
	char err[MSG_SIZE];

	if (s->conn == NULL || !s->base.writer)
		return;
	if (s->incopy && PQputCopyEnd(s->conn, "sr-load: the ranking was refused") == 1) {
		do {
			if (next_result(s, &res, err, sizeof err) < 0)
				break;
			PQclear(res);
		} while (res != NULL);
	}
	s->incopy = 0;
	PQfinish(s->conn);
	s->conn = NULL;
}

/* --- The read side --- */

/* Whether notifications came: they are dropped, and the pipe told (once) so that the notify fd stays readable. */
static void
notes_pending(struct pgs *s)
{
	PGnotify *n;
	int any = 0;

	while ((n = PQnotifies(s->conn)) != NULL) {
		PQfreemem(n);
		any = 1;
	}
	if (any && s->ep >= 0 && write(s->pipe[1], "n", 1) < 0) {
		/* The pipe is full: it is readable already. */
	}
}

static int
pg_version(struct store *b, struct store_version *v, char *err, size_t errsize)
{
	struct pgs *s = (struct pgs *)b;
	const char *state;
	PGresult *res;
	int64_t gen;

	if (s->conn == NULL)
		return fail(s, NULL, err, errsize);
	if (!PQsendQuery(s->conn, STORE_VERSION_SQL))
		return fail(s, NULL, err, errsize);
	if (next_result(s, &res, err, errsize) < 0)
		return -1;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && (state == NULL || strcmp(state, UNDEFINED_TABLE) != 0))
		return drain(s, err, errsize) < 0 ? (PQclear(res), -1) : fail(s, res, err, errsize);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		if (parse_i64(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), &gen) != NULL) {
			PQclear(res);
			drain(s, err, errsize);
			return snprintf(err, errsize, "generation: not a number"), -1;
		}
		v->generation = gen;
		snprintf(v->loaded_at, sizeof v->loaded_at, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	if (drain(s, err, errsize) < 0)
		return -1;
	notes_pending(s);
	return 0;
}

static int
int_field(PGresult *res, int row, int col, int64_t *v)
{
	return PQgetisnull(res, row, col) ||
	    parse_i64(PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col), v) != NULL ? -1 : 0;
}

static const char *
text_field(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int
read_meta(struct pgs *s, int (*cb)(void *, const struct store_meta *), void *ctx, struct store_version *v,
    char *err, size_t errsize)
{
	struct store_meta m;
	PGresult *res;
	int rc;

	if (run(s, STORE_META_SQL, 0, NULL, PGRES_TUPLES_OK, &res, err, errsize) < 0)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return snprintf(err, errsize, "no ranking loaded yet"), -1;
	}
	m.loaded_at = text_field(res, 0, 1);
	m.window_since = text_field(res, 0, 2);
	m.window_until = text_field(res, 0, 3);
	if (int_field(res, 0, 0, &m.generation) < 0 || int_field(res, 0, 4, &m.rows) < 0 ||
	    int_field(res, 0, 5, &m.categories) < 0) {
		PQclear(res);
		return snprintf(err, errsize, "sales_rank_meta: a count is not a number"), -1;
	}
	rc = store_meta_read(&m, v, cb, ctx);
	PQclear(res);
	return rc;
}

/* The rows, a batch at a time through a cursor: a ranking of millions is not held twice in memory. */
static int
read_rows(struct pgs *s, int (*cb)(void *, const struct store_row *), void *ctx, char *err, size_t errsize)
{
	struct store_row r;
	PGresult *res;
	int64_t n = 0;
	int i, count;

	if (exec_ok(s, "DECLARE sr_rows NO SCROLL CURSOR FOR " STORE_ROWS_SQL, err, errsize) < 0)
		return -1;
	do {
		if (run(s, "FETCH " FETCH_ROWS " FROM sr_rows", 0, NULL, PGRES_TUPLES_OK, &res, err, errsize) < 0)
			return -1;
		count = PQntuples(res);
		for (i = 0; i < count; i++) {
			n++;
			r.category = PQgetvalue(res, i, 0);
			r.categorylen = (size_t)PQgetlength(res, i, 0);
			r.product = PQgetvalue(res, i, 2);
			r.productlen = (size_t)PQgetlength(res, i, 2);
			if (int_field(res, i, 1, &r.rank) < 0 || int_field(res, i, 3, &r.total) < 0) {
				snprintf(err, errsize, "row %" PRId64 " (%s): not a number", n,
				    int_field(res, i, 1, &r.rank) < 0 ? "rank" : "total_sold");
				PQclear(res);
				return -1;
			}
			if (cb(ctx, &r) < 0) {
				PQclear(res);
				return -1;
			}
		}
		PQclear(res);
	} while (count > 0);
	return 0;
}

/*
 * Meta and rows in one snapshot: REPEATABLE READ READ ONLY, which a hot
 * standby allows too. Ids are text by the schema; ORDER BY category_id is
 * byte order by their collation "C".
 */
static int
pg_read(struct store *b, int (*meta)(void *, const struct store_meta *),
    int (*row)(void *, const struct store_row *), void *ctx, char *err, size_t errsize)
{
	struct pgs *s = (struct pgs *)b;
	struct store_version v;
	char ignored[MSG_SIZE] = "";
	int ok;

	memset(&v, 0, sizeof v);
	if (exec_ok(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errsize) < 0)
		return -1;
	ok = read_meta(s, meta, ctx, &v, err, errsize) == 0 && read_rows(s, row, ctx, err, errsize) == 0;
	/* Ended either way, so that the connection can be used again after a callback refused a row. */
	if (exec_ok(s, ok ? "COMMIT" : "ROLLBACK", ok ? err : ignored, ok ? errsize : sizeof ignored) < 0)
		ok = 0;
	if (s->conn != NULL)
		notes_pending(s);
	if (ok)
		s->base.lastread = v;
	return ok ? 0 : -1;
}

static int
pg_notify_fd(struct store *b)
{
	struct pgs *s = (struct pgs *)b;

	return s->listening ? s->ep : -1;
}

static void
pg_notified(struct store *b)
{
	struct pgs *s = (struct pgs *)b;
	PGnotify *n;
	char buf[64];

	if (s->ep < 0 || s->conn == NULL)
		return;
	while (read(s->pipe[0], buf, sizeof buf) > 0) {
		/* emptied */
	}
	PQconsumeInput(s->conn);
	while ((n = PQnotifies(s->conn)) != NULL)
		PQfreemem(n);
}

static void
pg_close(struct store *b)
{
	struct pgs *s = (struct pgs *)b;

	pg_abandon(b);
	PQfinish(s->conn);
	if (s->ep >= 0) {
		close(s->ep);
		close(s->pipe[0]);
		close(s->pipe[1]);
	}
	free(s);
}

static const struct store_ops pg_ops = {
	pg_init, pg_begin, pg_row, pg_commit, pg_abandon, pg_version, pg_read, pg_notify_fd, pg_notified, pg_close
};

/*
 * The notify fd: the socket, and a pipe written when a query's answer
 * brought a notification with it (libpq queues it, and the socket will not
 * become readable for it), in one epoll descriptor. -1 if LISTEN fails, as
 * it does on a hot standby ("cannot execute LISTEN during recovery").
 */
static int
listen_on(struct pgs *s, char *err, size_t errsize)
{
	struct epoll_event ev;
	PGresult *res;
	int i;

	if (!PQsendQuery(s->conn, "LISTEN sr_ranking"))
		return fail(s, NULL, err, errsize);
	if (next_result(s, &res, err, errsize) < 0)
		return -1;
	s->listening = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (drain(s, err, errsize) < 0)
		return -1;
	if (!s->listening)
		return 0;
	if (pipe(s->pipe) < 0)
		return snprintf(err, errsize, "pipe: %s", strerror(errno)), -1;
	for (i = 0; i < 2; i++)
		if (fcntl(s->pipe[i], F_SETFL, O_NONBLOCK) < 0 || fcntl(s->pipe[i], F_SETFD, FD_CLOEXEC) < 0)
			break;
	if (i < 2 || (s->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errsize, "notify: %s", strerror(errno));
		close(s->pipe[0]);
		close(s->pipe[1]);
		return -1;
	}
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, PQsocket(s->conn), &ev) < 0 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->pipe[0], &ev) < 0)
		return snprintf(err, errsize, "epoll: %s", strerror(errno)), -1;
	return 0;
}

/*
 * The connection, in the server's encoding (the id bytes are stored and read
 * as given), WARNINGs reformatted; a writer's locks wait 10 s at most, as
 * SQLite's; a reader LISTENs. A reader waits READER_CONNECT_S for a new
 * connection unless told otherwise (the URI's parameters override it): libpq
 * alone waits for ever on a server that accepts and does not answer, and a
 * server that keeps a reader waiting so would not count as a failed reload.
 */
struct store *
store_pg_open(const char *uri, int writer, char *err, size_t errsize)
{
	static const char *const keys[] = { "connect_timeout", "dbname", "fallback_application_name", NULL };
	const char *values[] = { READER_CONNECT_S, uri, progname, NULL };
	int first = writer || getenv("PGCONNECT_TIMEOUT") != NULL;	/* 1: no connect_timeout of the store's */
	struct pgs *s = calloc(1, sizeof *s);
	const char *enc;

	if (s == NULL)
		return snprintf(err, errsize, "out of memory"), NULL;
	s->base.ops = &pg_ops;
	s->base.writer = writer;
	s->base.timeout = 600;
	s->ep = -1;
	if ((s->conn = PQconnectdbParams(keys + first, values + first, 1)) == NULL) {
		free(s);
		return snprintf(err, errsize, "out of memory"), NULL;
	}
	PQsetNoticeReceiver(s->conn, notice, NULL);
	if (PQstatus(s->conn) != CONNECTION_OK ||
	    ((enc = PQparameterStatus(s->conn, "server_encoding")) != NULL && PQsetClientEncoding(s->conn, enc) != 0)) {
		fail(s, NULL, err, errsize);
		pg_close(&s->base);
		return NULL;
	}
	if (exec_ok(s, writer ? "SET client_min_messages = warning; SET lock_timeout = '10s'" :
	    "SET client_min_messages = warning", err, errsize) < 0 || (!writer && listen_on(s, err, errsize) < 0)) {
		pg_close(&s->base);
		return NULL;
	}
	return &s->base;
}
