/* store_sqlite: the ranking in a SQLite file, written in one transaction, read without making or changing any file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_be.h"

#define WRITE_BUSY_MS 10000	/* how long a load waits for the lock */
#define READ_BUSY_MS 1000	/* how long a read waits */
#define VFS_NAME "sr-store-readonly"
#define SCHEMA_OBJECTS 16	/* more on sr's tables than this: not its schema */

struct sq {
	struct store base;
	char *path;
	sqlite3 *db;
	sqlite3_stmt *ins;
};

static const struct store_ops sq_ops;

static const char insert_sql[] =
    "INSERT INTO sales_rank (id, category_id, rank, product_id, total_sold) VALUES (?, ?, ?, ?, ?)";

static const char meta_sql[] =
    "INSERT OR REPLACE INTO sales_rank_meta (id, generation, loaded_at, window_since,"
    " window_until, row_count, category_count) VALUES (1,"
    " coalesce((SELECT generation FROM sales_rank_meta WHERE id = 1), 0) + 1,"
    " ?, ?, ?, ?, ?)";

/*
 * The objects on sr's tables, as SQLite stores them: those of a database
 * are compared with those store_ddl makes in an empty one. Names are matched
 * without case, as SQLite resolves them.
 */
static const char objects_sql[] =
    "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master"
    " WHERE lower(tbl_name) IN ('sales_rank', 'sales_rank_meta')"
    " OR lower(name) IN ('sales_rank', 'sales_rank_meta', 'sales_rank_category_rank')"
    " ORDER BY lower(name), type";

/* --- The write side --- */

/* The write ended: what was begun is rolled back, the old ranking stays, the database is closed. */
static void
rollback_close(struct sq *s)
{
	sqlite3_finalize(s->ins);
	s->ins = NULL;
	if (s->db != NULL)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	s->db = NULL;
}

/* A database error ends the write, saying why. */
static int
fail(struct sq *s, const char *what, char *err, size_t errsize)
{
	snprintf(err, errsize, "%s: %s", what, s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
	rollback_close(s);
	return -1;
}

static int
exec_sql(struct sq *s, const char *sql, const char *what, char *err, size_t errsize)
{
	if (s->db == NULL)
		return snprintf(err, errsize, "%s: the database is closed after an error", what), -1;
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(s, what, err, errsize);
}

/* The rows of objects_sql: each object's type, name, and all it is. */
struct objects {
	int n, more, nomem;
	char *type[SCHEMA_OBJECTS], *name[SCHEMA_OBJECTS], *all[SCHEMA_OBJECTS];
};

/* count columns of the row from first, joined by 0x1f, in memory of their own. */
static char *
column_copy(sqlite3_stmt *st, int first, int count)
{
	size_t len = 0, n;
	char *p;
	int i;

	for (i = first; i < first + count; i++)
		len += (size_t)sqlite3_column_bytes(st, i) + 1;
	if ((p = malloc(len)) == NULL)
		return NULL;
	for (len = 0, i = first; i < first + count; i++) {
		n = (size_t)sqlite3_column_bytes(st, i);
		if (n > 0)
			memcpy(p + len, sqlite3_column_text(st, i), n);
		p[len + n] = '\037';
		len += n + 1;
	}
	p[len - 1] = '\0';
	return p;
}

static int
read_objects(sqlite3 *d, struct objects *o)
{
	sqlite3_stmt *st;
	int rc;

	memset(o, 0, sizeof *o);
	if (sqlite3_prepare_v2(d, objects_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (o->n == SCHEMA_OBJECTS) {
			o->more = 1;
			continue;
		}
		o->type[o->n] = column_copy(st, 0, 1);
		o->name[o->n] = column_copy(st, 1, 1);
		o->all[o->n] = column_copy(st, 0, 4);
		if (o->type[o->n] == NULL || o->name[o->n] == NULL || o->all[o->n] == NULL)
			o->nomem = 1;
		o->n++;
		if (o->nomem)
			break;
	}
	sqlite3_finalize(st);
	return o->nomem || (rc != SQLITE_DONE && rc != SQLITE_ROW) ? -1 : 0;
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
 * Whether the database has sr's tables exactly as store_ddl creates them
 * (1), none of them (0), or is refused (-1, the database closed): a table of
 * another schema would convert or reject what is loaded into it.
 */
static int
has_schema(struct sq *s, char *err, size_t errsize)
{
	struct objects want, have;
	sqlite3 *mem = NULL;
	char why[256];
	int differ, rc;

	memset(&want, 0, sizeof want);
	memset(&have, 0, sizeof have);
	rc = sqlite3_open(":memory:", &mem) != SQLITE_OK ||
	    sqlite3_exec(mem, store_ddl(0), NULL, NULL, NULL) != SQLITE_OK ? -1 : read_objects(mem, &want);
	sqlite3_close(mem);
	if (rc < 0) {
		free_objects(&want);
		sqlite3_close(s->db);
		s->db = NULL;
		return snprintf(err, errsize, "out of memory"), -1;
	}
	if (read_objects(s->db, &have) < 0) {
		free_objects(&want);
		free_objects(&have);
		return fail(s, "read schema", err, errsize);
	}
	differ = have.n > 0 && objects_differ(&want, &have, why, sizeof why);
	rc = have.n > 0;
	free_objects(&want);
	free_objects(&have);
	if (differ) {
		fail(s, "schema", err, errsize);
		snprintf(err, errsize, STORE_REFUSED, why);
		return -1;
	}
	return rc;
}

/*
 * Switching a new database to WAL needs it to itself, and SQLite answers
 * "locked" at once instead of calling the busy handler when another load is
 * doing the same: so try again, for as long as a lock is waited for.
 */
static int
set_wal(struct sq *s, char *err, size_t errsize)
{
	struct timespec pause = { 0, 10000000L };	/* 10 ms */
	int rc, waited;

	for (waited = 0;; waited += 10) {
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc != SQLITE_BUSY || waited >= WRITE_BUSY_MS)
			break;
		nanosleep(&pause, NULL);
	}
	return rc == SQLITE_OK ? 0 : fail(s, "set WAL mode", err, errsize);
}

/*
 * The file opened (made if missing) to be written. The -wal and -shm files
 * stay when the write ends (emptied): a reader run as another user reads
 * them read-only but may not make them.
 */
static int
open_rw(struct sq *s, char *err, size_t errsize)
{
	int keep = 1;

	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		return fail(s, "open", err, errsize);
	sqlite3_busy_timeout(s->db, WRITE_BUSY_MS);
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep) != SQLITE_OK)
		return fail(s, "keep the WAL files", err, errsize);
	return exec_sql(s, "PRAGMA journal_size_limit = 0", "set journal_size_limit", err, errsize);
}

/*
 * The write transaction, with the tables there: checked before anything is
 * changed (WAL mode included), and again under the lock, where a file
 * without them gets them.
 */
static int
begin_locked(struct sq *s, char *err, size_t errsize)
{
	int have;

	if (s->db == NULL && open_rw(s, err, errsize) < 0)
		return -1;
	if (has_schema(s, err, errsize) < 0 || set_wal(s, err, errsize) < 0 ||
	    exec_sql(s, "PRAGMA synchronous = FULL", "set synchronous", err, errsize) < 0 ||
	    exec_sql(s, "BEGIN IMMEDIATE", "begin", err, errsize) < 0)
		return -1;
	if ((have = has_schema(s, err, errsize)) < 0)
		return -1;
	return have ? 0 : exec_sql(s, store_ddl(0), "create tables", err, errsize);
}

/* COMMIT, then the database closed: a writer's last step. */
static int
commit_close(struct sq *s, char *err, size_t errsize)
{
	if (exec_sql(s, "COMMIT", "commit", err, errsize) < 0)
		return -1;
	if (sqlite3_close(s->db) != SQLITE_OK)
		return fail(s, "close", err, errsize);
	s->db = NULL;
	return 0;
}

static int
sq_init(struct store *b, char *err, size_t errsize)
{
	struct sq *s = (struct sq *)b;

	return begin_locked(s, err, errsize) < 0 ? -1 : commit_close(s, err, errsize);
}

/* One write transaction: readers on WAL see the old ranking until COMMIT and the new one after, never a mix. */
static int
sq_begin(struct store *b, char *err, size_t errsize)
{
	struct sq *s = (struct sq *)b;

	if (begin_locked(s, err, errsize) < 0 ||
	    exec_sql(s, "DELETE FROM sales_rank", "delete old ranking", err, errsize) < 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, insert_sql, -1, &s->ins, NULL) != SQLITE_OK)
		return fail(s, "prepare", err, errsize);
	return 0;
}

static int
sq_row(struct store *b, const struct store_row *r, int64_t id, char *err, size_t errsize)
{
	struct sq *s = (struct sq *)b;

	if (s->ins == NULL)
		return snprintf(err, errsize, "insert: no load begun"), -1;
	sqlite3_bind_int64(s->ins, 1, id);
	sqlite3_bind_text(s->ins, 2, r->category, (int)r->categorylen, SQLITE_STATIC);
	sqlite3_bind_int64(s->ins, 3, r->rank);
	sqlite3_bind_text(s->ins, 4, r->product, (int)r->productlen, SQLITE_STATIC);
	sqlite3_bind_int64(s->ins, 5, r->total);
	if (sqlite3_step(s->ins) != SQLITE_DONE)
		return fail(s, "insert", err, errsize);
	sqlite3_reset(s->ins);
	return 0;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* The meta row, generation one more than the last (m->generation is not used), then COMMIT. */
static int
sq_commit(struct store *b, const struct store_meta *m, char *err, size_t errsize)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *meta;

	if (s->ins == NULL)
		return snprintf(err, errsize, "commit: no load begun"), -1;
	sqlite3_finalize(s->ins);
	s->ins = NULL;
	if (sqlite3_prepare_v2(s->db, meta_sql, -1, &meta, NULL) != SQLITE_OK)
		return fail(s, "prepare", err, errsize);
	bind_text(meta, 1, m->loaded_at);
	bind_text(meta, 2, m->window_since);
	bind_text(meta, 3, m->window_until);
	sqlite3_bind_int64(meta, 4, m->rows);
	sqlite3_bind_int64(meta, 5, m->categories);
	if (sqlite3_step(meta) != SQLITE_DONE) {
		sqlite3_finalize(meta);
		return fail(s, "metadata", err, errsize);
	}
	sqlite3_finalize(meta);
	return commit_close(s, err, errsize);
}

static void
sq_abandon(struct store *b)
{
	rollback_close((struct sq *)b);
}

/* --- The read side: no file beside the database made, changed or removed for another user --- */

/*
 * The default VFS, but its xOpen makes no -wal (or journal) file when
 * may_create is 0. SQLite opens the -wal read-write and creating, also for a
 * read-only connection; the -shm is kept from being made by readonly_shm=1.
 */
static sqlite3_vfs vfs, *base;
static int may_create;

static int
vfs_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *outflags)
{
	(void)v;
	if (!may_create && (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) != 0)
		flags &= ~SQLITE_OPEN_CREATE;
	return base->xOpen(base, name, f, flags, outflags);
}

static int
vfs_register(void)
{
	if (base != NULL)
		return 0;
	if ((base = sqlite3_vfs_find(NULL)) == NULL)
		return -1;
	vfs = *base;
	vfs.zName = VFS_NAME;
	vfs.pNext = NULL;
	vfs.xOpen = vfs_open;
	return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? 0 : -1;
}

/* path as a SQLite URI (file:...) with query q: every byte but [A-Za-z0-9/._~-] percent-encoded. */
static char *
uri_of(const char *path, const char *q)
{
	static const char keep[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._~-";
	size_t n = strlen(path), size = sizeof "file://" + 3 * n + strlen(q), o;
	char *u = malloc(size);

	if (u == NULL)
		return NULL;
	o = (size_t)sprintf(u, "%s", path[0] == '/' ? "file://" : "file:");
	for (; *path != '\0'; path++)
		if (strchr(keep, *path) != NULL)
			u[o++] = *path;
		else
			o += (size_t)sprintf(u + o, "%%%02X", (unsigned char)*path);
	snprintf(u + o, size - o, "%s", q);
	return u;
}

/* Why a reader that may not make the -wal and -shm files cannot read, if that is why. */
static int
companion_missing(const char *path, char *err, size_t errsize)
{
	static const char *const suffix[] = { "-wal", "-shm" };
	size_t n = strlen(path), i;
	char *name = malloc(n + sizeof "-wal");
	int missing = 0;

	if (name == NULL)
		return 0;
	memcpy(name, path, n);
	for (i = 0; i < 2 && !missing; i++) {
		memcpy(name + n, suffix[i], sizeof "-wal");
		missing = access(name, F_OK) < 0 && errno == ENOENT;
	}
	if (missing)
		snprintf(err, errsize, "%s does not exist, and a reader that does not own the database"
		    " makes none (sr-load keeps it: load again)", name);
	free(name);
	return missing;
}

/*
 * path opened read-only into *db, which file it is in *st; 0, or -1 with
 * the reason in err (*db then NULL). The connection never checkpoints and
 * never removes the -wal and -shm files. A user who does not own the
 * database never makes them either (they would be that user's, and the
 * owner's next write would fail "attempt to write a readonly database"):
 * such a reader needs the ones the writer keeps, and reads them read-only,
 * as SQLite allows since 3.22.
 */
static int
open_ro(const char *path, sqlite3 **db, struct stat *st, char *err, size_t errsize)
{
	int one = 1;
	char *uri;

	*db = NULL;
	if (stat(path, st) < 0) {
		snprintf(err, errsize, "%s", errno == ENOENT ? sqlite3_errstr(SQLITE_CANTOPEN) : strerror(errno));
		return -1;
	}
	may_create = geteuid() == 0 || geteuid() == st->st_uid;
	if (vfs_register() < 0 || (uri = uri_of(path, may_create ? "" : "?readonly_shm=1")) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, VFS_NAME) != SQLITE_OK ||
	    sqlite3_busy_timeout(*db, READ_BUSY_MS) != SQLITE_OK ||
	    sqlite3_db_config(*db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL) != SQLITE_OK ||
	    sqlite3_file_control(*db, "main", SQLITE_FCNTL_PERSIST_WAL, &one) != SQLITE_OK ||
	    sqlite3_exec(*db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
		if (may_create || !companion_missing(path, err, errsize))
			snprintf(err, errsize, "%s", *db != NULL ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		free(uri);
		return -1;
	}
	free(uri);
	return 0;
}

/* The generation and load time in v, from the open db: 0 if no table or no row. */
static int
read_version(sqlite3 *db, struct store_version *v, char *err, size_t errsize)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, STORE_VERSION_SQL, -1, &st, NULL) != SQLITE_OK) {
		if (strncmp(sqlite3_errmsg(db), "no such table", 13) == 0)
			return 0;
		return snprintf(err, errsize, "%s", sqlite3_errmsg(db)), -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v->generation = sqlite3_column_int64(st, 0);
		if (sqlite3_column_text(st, 1) != NULL)
			snprintf(v->loaded_at, sizeof v->loaded_at, "%s", (const char *)sqlite3_column_text(st, 1));
	} else if (rc != SQLITE_DONE)
		snprintf(err, errsize, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_version(struct store *b, struct store_version *v, char *err, size_t errsize)
{
	struct sq *s = (struct sq *)b;
	struct stat st;
	sqlite3 *db;
	int rc;

	if (open_ro(s->path, &db, &st, err, errsize) < 0)
		return -1;
	v->dev = (unsigned long long)st.st_dev;
	v->ino = (unsigned long long)st.st_ino;
	rc = read_version(db, v, err, errsize);
	sqlite3_close(db);
	return rc;
}

static const char *
text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, col);
}

static int
read_meta(sqlite3 *db, int (*cb)(void *, const struct store_meta *), void *ctx, struct store_version *v,
    char *err, size_t errsize)
{
	struct store_meta m;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, STORE_META_SQL, -1, &st, NULL) != SQLITE_OK)
		return snprintf(err, errsize, "%s", sqlite3_errmsg(db)), -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		snprintf(err, errsize, "%s", rc == SQLITE_DONE ? "no ranking loaded yet" : sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	m.generation = sqlite3_column_int64(st, 0);
	m.loaded_at = text_or_null(st, 1);
	m.window_since = text_or_null(st, 2);
	m.window_until = text_or_null(st, 3);
	m.rows = sqlite3_column_int64(st, 4);
	m.categories = sqlite3_column_int64(st, 5);
	if ((m.loaded_at == NULL && sqlite3_column_type(st, 1) != SQLITE_NULL) ||
	    (m.window_since == NULL && sqlite3_column_type(st, 2) != SQLITE_NULL) ||
	    (m.window_until == NULL && sqlite3_column_type(st, 3) != SQLITE_NULL)) {
		sqlite3_finalize(st);
		return snprintf(err, errsize, "out of memory"), -1;
	}
	rc = store_meta_read(&m, v, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

/* An id column of row n: text (checked before any conversion), or why not. */
static const char *
id_column(sqlite3_stmt *st, int col, size_t *len, int64_t n, const char *name, char *err, size_t errsize)
{
	const char *p;

	if (sqlite3_column_type(st, col) != SQLITE_TEXT) {
		snprintf(err, errsize, "row %lld (%s): not text", (long long)n, name);
		return NULL;
	}
	if ((p = (const char *)sqlite3_column_text(st, col)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	*len = (size_t)sqlite3_column_bytes(st, col);
	return p;
}

static int
read_rows(sqlite3 *db, int (*cb)(void *, const struct store_row *), void *ctx, char *err, size_t errsize)
{
	struct store_row r;
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	if (sqlite3_prepare_v2(db, STORE_ROWS_SQL, -1, &st, NULL) != SQLITE_OK)
		return snprintf(err, errsize, "%s", sqlite3_errmsg(db)), -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if ((r.category = id_column(st, 0, &r.categorylen, n, "category_id", err, errsize)) == NULL ||
		    (r.product = id_column(st, 2, &r.productlen, n, "product_id", err, errsize)) == NULL) {
			sqlite3_finalize(st);
			return -1;
		}
		r.rank = sqlite3_column_int64(st, 1);
		r.total = sqlite3_column_int64(st, 3);
		if (cb(ctx, &r) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errsize, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Meta and rows in one read transaction, so that they belong to the same load. */
static int
sq_read(struct store *b, int (*meta)(void *, const struct store_meta *),
    int (*row)(void *, const struct store_row *), void *ctx, char *err, size_t errsize)
{
	struct sq *s = (struct sq *)b;
	struct store_version v;
	struct stat st;
	sqlite3 *db;
	int ok;

	if (open_ro(s->path, &db, &st, err, errsize) < 0)
		return -1;
	memset(&v, 0, sizeof v);
	v.dev = (unsigned long long)st.st_dev;
	v.ino = (unsigned long long)st.st_ino;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsize, "%s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	ok = read_meta(db, meta, ctx, &v, err, errsize) == 0 && read_rows(db, row, ctx, err, errsize) == 0;
	sqlite3_exec(db, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	if (ok)
		s->base.lastread = v;
	return ok ? 0 : -1;
}

static int
sq_notify_fd(struct store *b)
{
	(void)b;
	return -1;
}

static void
sq_notified(struct store *b)
{
	(void)b;
}

static void
sq_close(struct store *b)
{
	struct sq *s = (struct sq *)b;

	sq_abandon(b);
	free(s->path);
	free(s);
}

static const struct store_ops sq_ops = {
	sq_init, sq_begin, sq_row, sq_commit, sq_abandon, sq_version, sq_read, sq_notify_fd, sq_notified, sq_close
};

/* Nothing is opened yet: a writer opens the file at init or begin, a reader at each call. */
struct store *
store_sqlite_open(const char *path, int writer, char *err, size_t errsize)
{
	struct sq *s = calloc(1, sizeof *s);

	if (s == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	s->base.ops = &sq_ops;
	(void)writer;
	return &s->base;
}
