/* sr-load: replace the sales_rank table of a SQLite database with a ranking, atomically. */
#include <getopt.h>
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
    "usage: sr-load [--allow-empty] [--db path] [--now time] [--days n | --since time\n"
    "               --until time] [file ...]\n";

static const char abouttext[] =
    "\nLoad sr-topk output (category_id<TAB>rank<TAB>product_id<TAB>total_sold) into the\n"
    "sales_rank table of a SQLite database (default sales_rank.db), replacing the\n"
    "previous ranking in one transaction. See sr-load(1).\n";

static const char schema[] =
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

static const char insert_row[] =
    "INSERT INTO sales_rank (category_id, rank, product_id, total_sold) VALUES (?, ?, ?, ?)";

static const char update_meta[] =
    "INSERT OR REPLACE INTO sales_rank_meta (id, generation, loaded_at, window_since,"
    " window_until, row_count, category_count) VALUES (1,"
    " coalesce((SELECT generation FROM sales_rank_meta WHERE id = 1), 0) + 1,"
    " ?, ?, ?, ?, ?)";

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

static const char *const names[] = { "category_id", "rank", "product_id", "total_sold" };
static sqlite3 *db;
static const char *dbpath = DB_DEFAULT;

/* A database error ends the load; the open transaction is rolled back, the old ranking stays. */
static void
dbfail(const char *what)
{
	char msg[512];

	snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
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

static noreturn void
bad(const struct lineread *lr, int field, const char *why, const char *v, size_t n)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
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

static void
insert(sqlite3_stmt *ins, const struct rankrow *r)
{
	sqlite3_bind_text(ins, 1, r->f[0].p, (int)r->f[0].len, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, r->rank);
	sqlite3_bind_text(ins, 3, r->f[2].p, (int)r->f[2].len, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 4, r->total);
	if (sqlite3_step(ins) != SQLITE_DONE)
		dbfail("insert");
	sqlite3_reset(ins);
}

/* Rows of one operand into the open transaction; -1 if it could not be read. */
static int
load_file(const char *path, sqlite3_stmt *ins, struct rankstate *st)
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
		insert(ins, &r);
	}
	lr_close(&lr);
	return rc < 0 ? -1 : 0;
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
update_metadata(const struct window *w, const struct rankstate *st)
{
	sqlite3_stmt *meta;

	if (sqlite3_prepare_v2(db, update_meta, -1, &meta, NULL) != SQLITE_OK)
		dbfail("prepare");
	bind_time(meta, 1, &(struct window){ .set = 1 }, instant_now());
	bind_time(meta, 2, w, w->from);
	bind_time(meta, 3, w, w->to);
	sqlite3_bind_int64(meta, 4, st->rows);
	sqlite3_bind_int64(meta, 5, st->categories);
	if (sqlite3_step(meta) != SQLITE_DONE)
		dbfail("metadata");
	sqlite3_finalize(meta);
}

/*
 * One write transaction: readers on WAL see the old ranking until COMMIT and
 * the new one after, never a mix. Any failure before COMMIT leaves the old one.
 */
static int
load(char **operands, const struct window *w, int allow_empty)
{
	sqlite3_stmt *ins;
	struct rankstate st;
	int status = 0;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		dbfail("open");
	sqlite3_busy_timeout(db, BUSY_MS);
	set_wal();
	exec_sql("PRAGMA synchronous = FULL", "set synchronous");
	exec_sql("BEGIN IMMEDIATE", "begin");
	exec_sql(schema, "create tables");
	exec_sql("DELETE FROM sales_rank", "delete old ranking");
	if (sqlite3_prepare_v2(db, insert_row, -1, &ins, NULL) != SQLITE_OK)
		dbfail("prepare");
	memset(&st, 0, sizeof st);
	keytab_init(&st.products, SIZE_MAX);
	if (*operands == NULL && load_file(NULL, ins, &st) < 0)
		status = EXIT_DATA;
	for (; *operands != NULL; operands++)
		if (load_file(*operands, ins, &st) < 0)
			status = EXIT_DATA;
	sqlite3_finalize(ins);
	keytab_free(&st.products);
	if (status != 0 || (st.rows == 0 && !allow_empty))
		exec_sql("ROLLBACK", "rollback");
	if (status != 0)
		fatal(status, "%s: not loaded: an input could not be read", dbpath);
	if (st.rows == 0 && !allow_empty)
		fatal(EXIT_DATA, "%s: not loaded: the input has no rows (see --allow-empty)", dbpath);
	update_metadata(w, &st);
	exec_sql("COMMIT", "commit");
	if (sqlite3_close(db) != SQLITE_OK)
		dbfail("close");
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
	if (w.set)
		window_finish(&w);
	return load(argv, &w, allow_empty);
}
