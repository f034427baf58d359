/* store: the ranking's tables (sales_rank and its meta row), written once, in SQLite or PostgreSQL. */
#ifndef SR_STORE_H
#define SR_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A connection to the ranking in one database: a SQLite file, or a
 * PostgreSQL server named by a URI (postgresql:// or postgres://; the rest of
 * its settings from the PG* variables and ~/.pgpass, as libpq takes them).
 * Every function that can fail returns 0 or -1 and says why in err (errsize
 * bytes), one line, without the program's name. The stores of a process are
 * used from one thread (the SQLite back end's read-only VFS is process-wide).
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

/* Whether where names a PostgreSQL server rather than a SQLite file (sr-hourly asks too). */
static inline int
store_is_pg(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

/*
 * Whether where may be used, before anything is read or connected: a
 * PostgreSQL URI libpq can parse, with no password in it (ps and shell
 * history would show it: PGPASSWORD or ~/.pgpass instead); an empty SQLite
 * path is refused. 0, or -1 with the reason (a usage error) in err.
 */
int store_check_where(const char *where, char *err, size_t errsize);
/*
 * The longest wait, in seconds, for PostgreSQL's answer to one statement
 * (libpq alone waits for ever); 600 until set, for a reader too. Past it the
 * call fails ("no answer from the server in N s"). SQLite waits at most
 * 10 s for a writer's lock, 1 s for a reader's, whatever this says.
 */
void store_set_timeout(struct store *s, int seconds);

/* --- The write side (sr-load) --- */

/*
 * Open where to replace its ranking; NULL on failure. A SQLite file is made
 * if there is none. PostgreSQL's WARNING messages come out on stderr in sr's
 * format ("prog: postgresql: warning: ..."), never raw; lesser ones are dropped.
 */
struct store *store_open_writer(const char *where, char *err, size_t errsize);
/*
 * Create the tables and index if neither table is there (sr-load --init): the
 * one step that needs CREATE. Tables there already are checked as
 * store_begin does; nothing else is changed.
 */
int store_init(struct store *s, char *err, size_t errsize);
/*
 * Begin the transaction that replaces the ranking: the schema checked (a
 * table sr did not make is refused, nothing changed), the old rows deleted.
 * Where neither table exists, a SQLite file gets them (its owner may create
 * them: the quick start's first load), while PostgreSQL is refused with a
 * hint to run sr-load --init, so that the loading role needs no CREATE.
 * Concurrent writers take turns (SQLite's lock, PostgreSQL's advisory lock).
 */
int store_begin(struct store *s, char *err, size_t errsize);
/* Add row id (counted from 1) to the new ranking. */
int store_row(struct store *s, const struct store_row *r, int64_t id, char *err, size_t errsize);
/* Commit: the meta row written (generation one more), readers told (PostgreSQL NOTIFY). */
int store_commit(struct store *s, const struct store_meta *m, char *err, size_t errsize);
/* Roll back whatever was begun: the old ranking stays. */
void store_abandon(struct store *s);

/* --- The read side (sr-serve): read-only, never creating or changing anything --- */

/*
 * Only SELECT is run (no CREATE, no temporary table): a role with SELECT on
 * the two tables suffices. SQLite: the file is opened read-only for each call
 * and closed after it; the connection never checkpoints and never makes,
 * changes or removes the -wal and -shm files of a database it does not own
 * (it needs the ones sr-load keeps). PostgreSQL: one connection, made here
 * and kept, in the server's encoding (ids come as stored), LISTENing on
 * sr_ranking where the server allows it. After any failure of a PostgreSQL
 * reader (the server gone, a timeout) the caller closes it and opens another.
 */
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
 * standby gets no NOTIFY: poll it too. store_notified consumes what came;
 * call it each time the descriptor is readable, then store_version. The
 * descriptor is the store's (an epoll of the connection's socket and of a
 * pipe): a notification that libpq took in with the answer to a query,
 * which leaves the socket quiet, makes it readable too. It is the same
 * until store_close; never close it yourself.
 */
int store_notify_fd(struct store *s);
void store_notified(struct store *s);
/*
 * The version of what the last successful store_read read (SQLite: the file
 * it opened, which may be another than store_version's if one was renamed
 * over it between the two calls); generation 0 if none was read yet.
 */
void store_read_version(struct store *s, struct store_version *v);

void store_close(struct store *s);

#endif
