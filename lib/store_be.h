/* store_be: what lib/store.c shares with its two back ends (store_sqlite.c, store_pg.c); not for the tools. */
#ifndef SR_STORE_BE_H
#define SR_STORE_BE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A back end's functions; a store is one of its structures, whose first member is a struct store. */
struct store_ops {
	int (*init)(struct store *s, char *err, size_t errsize);
	int (*begin)(struct store *s, char *err, size_t errsize);
	int (*row)(struct store *s, const struct store_row *r, int64_t id, char *err, size_t errsize);
	int (*commit)(struct store *s, const struct store_meta *m, char *err, size_t errsize);
	void (*abandon)(struct store *s);
	int (*version)(struct store *s, struct store_version *v, char *err, size_t errsize);
	int (*read)(struct store *s, int (*meta)(void *, const struct store_meta *),
	    int (*row)(void *, const struct store_row *), void *ctx, char *err, size_t errsize);
	int (*notify_fd)(struct store *s);
	void (*notified)(struct store *s);
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	int writer;			/* opened by store_open_writer */
	int timeout;			/* seconds, for PostgreSQL */
	struct store_version lastread;	/* what store_read read last */
};

struct store *store_sqlite_open(const char *path, int writer, char *err, size_t errsize);
struct store *store_pg_open(const char *uri, int writer, char *err, size_t errsize);
int store_pg_check_uri(const char *uri, char *err, size_t errsize);
/* A back end's read found the meta row m: v takes its version, then the reader's callback has it; its result. */
int store_meta_read(const struct store_meta *m, struct store_version *v, int (*cb)(void *, const struct store_meta *),
    void *ctx);

/* --- The schema, written once: both back ends' DDL and checks are made from it --- */

enum store_coltype {
	STORE_ROWID,	/* the ranking's row number: primary key */
	STORE_METAID,	/* the meta row's key, always 1 */
	STORE_ID,	/* an id of sr's: text, compared as bytes, never NULL */
	STORE_INT,	/* a 64-bit integer */
	STORE_TEXT	/* text */
};

struct store_column {
	const char *name;
	enum store_coltype type;
	int notnull;
};

#define STORE_MAXCOLS 8

struct store_table {
	const char *name;
	struct store_column col[STORE_MAXCOLS];
	int ncols;
	const char *index, *indexcols;	/* a unique index besides the key, or NULL */
};

enum { STORE_RANK_TABLE, STORE_META_TABLE, STORE_TABLES };
extern const struct store_table store_tables[STORE_TABLES];

/* The CREATE statements (IF NOT EXISTS) of every table and index, for SQLite (pg 0) or PostgreSQL (1). */
const char *store_ddl(int pg);

/*
 * The parts of a PostgreSQL table that the schema check compares, as its
 * catalog query (store_pg.c) renders them.
 */
enum { STORE_PG_KIND, STORE_PG_COLUMNS, STORE_PG_CONSTRAINTS, STORE_PG_INDEXES, STORE_PG_OTHERS, STORE_PG_PARTS };
extern const char *const store_pg_part_names[STORE_PG_PARTS];
const char *store_pg_expect(int table, int part);

/* The messages both back ends give. */
#define STORE_REFUSED "not loaded: %s (sr-load loads only into the tables it creates)"
#define STORE_META_SQL "SELECT generation, loaded_at, window_since, window_until, row_count, category_count" \
    " FROM sales_rank_meta WHERE id = 1"
#define STORE_VERSION_SQL "SELECT generation, loaded_at FROM sales_rank_meta WHERE id = 1"
#define STORE_ROWS_SQL "SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY category_id, rank"

#endif
