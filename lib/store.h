/* store: the ranking's tables (sales_rank and its meta row), written once, in SQLite or PostgreSQL. */
#ifndef SR_STORE_H
#define SR_STORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A connection to the ranking in one database: a SQLite file, or a
 * PostgreSQL server named by a URI (postgresql:// or postgres://; the rest of
 * its settings from the PG* variables and ~/.pgpass, as libpq takes them).
 * Every function that can fail returns 0 or -1 and says why in err (errsize
 * bytes), one line, without the program's name.
 */
struct store;

/* A row of the ranking, as sr-topk writes it and sr-serve serves it. */
struct store_row {
	const char *category;	/* bytes, not NUL-terminated */
	size_t categorylen;
	const char *product;
	size_t productlen;
	int64_t rank, total;
};

/* The meta row. Text fields are NUL-terminated, NULL where the column is NULL. */
struct store_meta {
	int64_t generation;	/* 1 for the first load, one more for each; 0: none yet */
	const char *loaded_at;	/* UTC, as ts_format writes it */
	const char *window_since, *window_until;
	int64_t rows, categories;
};

/* What tells one ranking from another: a new load, or a SQLite file made anew. */
struct store_version {
	int64_t generation;	/* 0: no ranking yet (no tables, or no meta row) */
	char loaded_at[64];
	unsigned long long dev, ino;	/* the SQLite file; 0 for PostgreSQL */
};

/* Whether where names a PostgreSQL server rather than a SQLite file. */
int store_is_pg(const char *where);

/* --- The write side (sr-load) --- */

/* Open where to replace its ranking; NULL on failure. */
struct store *store_open_writer(const char *where, char *err, size_t errsize);
/* Create the tables and index if they are not there (sr-load --init): the one step that needs CREATE. */
int store_init(struct store *s, char *err, size_t errsize);
/*
 * Begin the transaction that replaces the ranking: the schema checked (a
 * table sr did not make is refused, nothing changed), the old rows deleted.
 */
int store_begin(struct store *s, char *err, size_t errsize);
/* Add row id (counted from 1) to the new ranking. */
int store_row(struct store *s, const struct store_row *r, int64_t id, char *err, size_t errsize);
/* Commit: the meta row written (generation one more), readers told (PostgreSQL NOTIFY). */
int store_commit(struct store *s, const struct store_meta *m, char *err, size_t errsize);
/* Roll back whatever was begun: the old ranking stays. */
void store_abandon(struct store *s);

/* --- The read side (sr-serve): read-only, never creating or changing anything --- */

struct store *store_open_reader(const char *where, char *err, size_t errsize);
/* The ranking the store holds now, cheaply (one small query). */
int store_version(struct store *s, struct store_version *v, char *err, size_t errsize);
/*
 * The whole ranking in one consistent read (one transaction: SQLite's BEGIN,
 * PostgreSQL's REPEATABLE READ READ ONLY): meta first, then every row
 * ordered by category (bytes) and rank. A callback returning -1 stops the
 * read; its reason is what it wrote in err. A row whose id is not text is an
 * error of the store's ("row N (category_id): not text").
 */
int store_read(struct store *s, int (*meta)(void *ctx, const struct store_meta *m),
    int (*row)(void *ctx, const struct store_row *r), void *ctx, char *err, size_t errsize);
/*
 * A descriptor that becomes readable when a load may have committed
 * (PostgreSQL LISTEN on a primary), or -1: then poll store_version. A hot
 * standby gets no NOTIFY: poll it too. store_notified consumes what came.
 */
int store_notify_fd(struct store *s);
void store_notified(struct store *s);

void store_close(struct store *s);

#endif
