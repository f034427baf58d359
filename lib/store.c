/* store: the ranking's schema, written once, and the calls handed to the SQLite or PostgreSQL back end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_be.h"

#define TIMEOUT_DEFAULT 600
#define DDL_SIZE 2048
#define EXPECT_SIZE 512

/*
 * sr's two tables. ids are text compared as bytes in both back ends
 * (PostgreSQL: COLLATE "C"); the meta row is the one row with id 1.
 */
const struct store_table store_tables[STORE_TABLES] = {
	{ "sales_rank", {
		{ "id", STORE_ROWID, 1 },
		{ "category_id", STORE_ID, 1 },
		{ "product_id", STORE_ID, 1 },
		{ "total_sold", STORE_INT, 1 },
		{ "rank", STORE_INT, 1 } }, 5,
	  "sales_rank_category_rank", "category_id, rank" },
	{ "sales_rank_meta", {
		{ "id", STORE_METAID, 1 },
		{ "generation", STORE_INT, 1 },
		{ "loaded_at", STORE_TEXT, 1 },
		{ "window_since", STORE_TEXT, 0 },
		{ "window_until", STORE_TEXT, 0 },
		{ "row_count", STORE_INT, 1 },
		{ "category_count", STORE_INT, 1 } }, 7,
	  NULL, NULL },
};

const char *const store_pg_part_names[STORE_PG_PARTS] = {
	"kind", "columns", "constraints", "indexes", "triggers, rules, policies and inheritance"
};

/* Each type's declaration in each back end's DDL: [type][pg]. */
static const char *const decl[][2] = {
	[STORE_ROWID] = { "INTEGER PRIMARY KEY", "bigint PRIMARY KEY" },
	[STORE_METAID] = { "INTEGER PRIMARY KEY CHECK (id = 1)", "integer PRIMARY KEY CHECK (id = 1)" },
	[STORE_ID] = { "TEXT", "text COLLATE \"C\"" },
	[STORE_INT] = { "INTEGER", "bigint" },
	[STORE_TEXT] = { "TEXT", "text" },
};

/* And as PostgreSQL's catalog shows it (store_pg.c's query): format_type, then the collation. */
static const char *const pg_shown[] = {
	[STORE_ROWID] = "bigint%s",
	[STORE_METAID] = "integer%s",
	[STORE_ID] = "text%s collate C",
	[STORE_INT] = "bigint%s",
	[STORE_TEXT] = "text%s collate default",
};

static size_t
add(char *buf, size_t size, size_t n, const char *fmt, const char *a, const char *b)
{
	int k = n < size ? snprintf(buf + n, size - n, fmt, a, b) : 0;

	return n + (k > 0 ? (size_t)k : 0);
}

const char *
store_ddl(int pg)
{
	static char ddl[2][DDL_SIZE];
	const struct store_table *t;
	const struct store_column *c;
	size_t n = 0;
	int i, k;

	pg = pg != 0;
	if (ddl[pg][0] != '\0')
		return ddl[pg];
	for (i = 0; i < STORE_TABLES; i++) {
		t = &store_tables[i];
		n = add(ddl[pg], DDL_SIZE, n, "CREATE TABLE IF NOT EXISTS %s (%s", t->name, "");
		for (k = 0; k < t->ncols; k++) {
			c = &t->col[k];
			n = add(ddl[pg], DDL_SIZE, n, " %s %s", c->name, decl[c->type][pg]);
			n = add(ddl[pg], DDL_SIZE, n, "%s%s", c->notnull && c->type != STORE_ROWID &&
			    c->type != STORE_METAID ? " NOT NULL" : "", k + 1 < t->ncols ? "," : ");");
		}
		if (t->index != NULL) {
			n = add(ddl[pg], DDL_SIZE, n, "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s", t->index, t->name);
			n = add(ddl[pg], DDL_SIZE, n, " (%s);%s", t->indexcols, "");
		}
	}
	if (n >= DDL_SIZE)
		abort();	/* the schema above outgrew DDL_SIZE */
	return ddl[pg];
}

static void
pg_columns(const struct store_table *t, char *buf, size_t size)
{
	char type[64];
	size_t n = 0;
	int k;

	for (k = 0; k < t->ncols; k++) {
		snprintf(type, sizeof type, pg_shown[t->col[k].type], t->col[k].notnull ? " not null" : "");
		n = add(buf, size, n, k > 0 ? ", %s %s" : "%s %s", t->col[k].name, type);
	}
}

static void
pg_indexes(const struct store_table *t, char *buf, size_t size)
{
	char key[128], other[128];

	snprintf(key, sizeof key, "CREATE UNIQUE INDEX %s_pkey USING btree (id)", t->name);
	if (t->index == NULL) {
		snprintf(buf, size, "%s", key);
		return;
	}
	snprintf(other, sizeof other, "CREATE UNIQUE INDEX %s USING btree (%s)", t->index, t->indexcols);
	/* In byte order, as the query sorts them. */
	if (strcmp(key, other) < 0)
		snprintf(buf, size, "%s, %s", key, other);
	else
		snprintf(buf, size, "%s, %s", other, key);
}

const char *
store_pg_expect(int table, int part)
{
	static char expect[STORE_TABLES][STORE_PG_PARTS][EXPECT_SIZE];
	const struct store_table *t = &store_tables[table];
	char *e = expect[table][part];

	if (*e != '\0')
		return e;
	switch (part) {
	case STORE_PG_KIND:	/* an ordinary, logged table, without row security */
		snprintf(e, EXPECT_SIZE, "rp");
		break;
	case STORE_PG_COLUMNS:
		pg_columns(t, e, EXPECT_SIZE);
		break;
	case STORE_PG_CONSTRAINTS:
		snprintf(e, EXPECT_SIZE, "%sPRIMARY KEY (id)", t->col[0].type == STORE_METAID ? "CHECK ((id = 1)), " : "");
		break;
	case STORE_PG_INDEXES:
		pg_indexes(t, e, EXPECT_SIZE);
		break;
	default:
		snprintf(e, EXPECT_SIZE, "0");
		break;
	}
	return e;
}

int
store_check_where(const char *where, char *err, size_t errsize)
{
	if (store_is_pg(where))
		return store_pg_check_uri(where, err, errsize);
	if (*where == '\0')
		return snprintf(err, errsize, "empty path"), -1;
	return 0;
}

static struct store *
open_store(const char *where, int writer, char *err, size_t errsize)
{
	struct store *s;

	if (store_check_where(where, err, errsize) < 0)
		return NULL;
	s = store_is_pg(where) ? store_pg_open(where, writer, err, errsize) :
	    store_sqlite_open(where, writer, err, errsize);
	if (s != NULL) {
		s->writer = writer;
		s->timeout = TIMEOUT_DEFAULT;
	}
	return s;
}

struct store *
store_open_writer(const char *where, char *err, size_t errsize)
{
	return open_store(where, 1, err, errsize);
}

struct store *
store_open_reader(const char *where, char *err, size_t errsize)
{
	return open_store(where, 0, err, errsize);
}

void
store_set_timeout(struct store *s, int seconds)
{
	s->timeout = seconds;
}

int
store_init(struct store *s, char *err, size_t errsize)
{
	if (!s->writer)
		return snprintf(err, errsize, "opened to be read only"), -1;
	return s->ops->init(s, err, errsize);
}

int
store_begin(struct store *s, char *err, size_t errsize)
{
	if (!s->writer)
		return snprintf(err, errsize, "opened to be read only"), -1;
	return s->ops->begin(s, err, errsize);
}

int
store_row(struct store *s, const struct store_row *r, int64_t id, char *err, size_t errsize)
{
	return s->ops->row(s, r, id, err, errsize);
}

int
store_commit(struct store *s, const struct store_meta *m, char *err, size_t errsize)
{
	return s->ops->commit(s, m, err, errsize);
}

void
store_abandon(struct store *s)
{
	if (s != NULL)
		s->ops->abandon(s);
}

int
store_version(struct store *s, struct store_version *v, char *err, size_t errsize)
{
	memset(v, 0, sizeof *v);
	return s->ops->version(s, v, err, errsize);
}

int
store_read(struct store *s, int (*meta)(void *ctx, const struct store_meta *m),
    int (*row)(void *ctx, const struct store_row *r), void *ctx, char *err, size_t errsize)
{
	return s->ops->read(s, meta, row, ctx, err, errsize);
}

int
store_meta_read(const struct store_meta *m, struct store_version *v, int (*cb)(void *, const struct store_meta *),
    void *ctx)
{
	v->generation = m->generation;
	snprintf(v->loaded_at, sizeof v->loaded_at, "%s", m->loaded_at != NULL ? m->loaded_at : "");
	return cb(ctx, m);
}

void
store_read_version(struct store *s, struct store_version *v)
{
	*v = s->lastread;
}

int
store_notify_fd(struct store *s)
{
	return s->ops->notify_fd(s);
}

void
store_notified(struct store *s)
{
	s->ops->notified(s);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}
