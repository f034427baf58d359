/* sqlsource: the ranking read from a SQLite file, opened read-only: no file beside it made, changed or removed for another user. */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"

#define BUSY_MS 1000		/* how long a read waits for a lock */
#define VFS_NAME "sr-serve-readonly"

struct source {
	sqlite3 *db;
	struct stat st;		/* which file it is */
};
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
 * Open path read-only into *db, and say which file it is in *st; 0, or -1
 * with the reason in err (*db is then NULL). The connection never
 * checkpoints and never removes the -wal and -shm files. A user who does not
 * own the database never makes them either (they would be that user's, and
 * the owner's next write would fail "attempt to write a readonly database"):
 * such a reader needs the ones the writer keeps (sr-load does), and reads
 * them read-only, as SQLite allows since 3.22.
 */
static int
rodb_open(const char *path, sqlite3 **db, struct stat *st, char *err, size_t errsize)
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
	    sqlite3_busy_timeout(*db, BUSY_MS) != SQLITE_OK ||
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

struct source *
source_open(const char *where, char *err, size_t errsize)
{
	struct source *s = calloc(1, sizeof *s);

	if (s == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	if (rodb_open(where, &s->db, &s->st, err, errsize) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
source_close(struct source *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s);
}

/*
 * Its load time tells apart the loads of two files made afresh, both at
 * generation 1 (a file made again may even get the inode of the one removed).
 */
int
source_version(struct source *s, struct store_version *v, char *err, size_t errsize)
{
	sqlite3_stmt *st;
	int rc;

	memset(v, 0, sizeof *v);
	v->dev = (unsigned long long)s->st.st_dev;
	v->ino = (unsigned long long)s->st.st_ino;
	if (sqlite3_prepare_v2(s->db, "SELECT generation, loaded_at FROM sales_rank_meta WHERE id = 1",
	    -1, &st, NULL) != SQLITE_OK) {
		if (strncmp(sqlite3_errmsg(s->db), "no such table", 13) == 0)
			return 0;
		snprintf(err, errsize, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v->generation = sqlite3_column_int64(st, 0);
		if (sqlite3_column_text(st, 1) != NULL)
			snprintf(v->loaded_at, sizeof v->loaded_at, "%s", (const char *)sqlite3_column_text(st, 1));
	} else if (rc != SQLITE_DONE)
		snprintf(err, errsize, "%s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Column col as NUL-terminated text, or NULL where it is NULL. */
static const char *
column_text(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, col);
}

/* The meta row, to meta: 1 if it was handed over, 0 if it refused it, -1 on an error of SQLite's. */
static int
read_meta(struct source *s, int (*meta)(void *, const struct store_meta *), void *ctx, char *err,
    size_t errsize)
{
	struct store_meta m = { 0 };
	sqlite3_stmt *st;
	int rc, ok = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT generation, loaded_at, window_since, window_until"
	    " FROM sales_rank_meta WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m.generation = sqlite3_column_int64(st, 0);
		m.loaded_at = column_text(st, 1);
		m.window_since = column_text(st, 2);
		m.window_until = column_text(st, 3);
		ok = meta(ctx, &m) == 0;
	} else if (rc == SQLITE_DONE) {
		snprintf(err, errsize, "no meta row");
		ok = 0;
	}
	sqlite3_finalize(st);
	return ok;
}

/* Whether the id in column col of row n is text; if not, the reason in err. */
static int
id_text(sqlite3_stmt *st, int col, int64_t n, const char *name, char *err, size_t errsize)
{
	if (sqlite3_column_type(st, col) == SQLITE_TEXT)
		return 1;
	snprintf(err, errsize, "row %" PRId64 " (%s): not text", n, name);
	return 0;
}

/* Each row, to row: 1 if all were handed over, 0 if one was refused, -1 on an error of SQLite's. */
static int
read_rows(struct source *s, int (*row)(void *, const struct store_row *), void *ctx, char *err, size_t errsize)
{
	struct store_row r;
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc, ok = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT category_id, rank, product_id, total_sold"
	    " FROM sales_rank ORDER BY category_id, rank", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* Checked first: sqlite3_column_type is only true before a conversion. */
		if (!id_text(st, 0, ++n, "category_id", err, errsize) ||
		    !id_text(st, 2, n, "product_id", err, errsize))
			break;
		r.category = (const char *)sqlite3_column_text(st, 0);
		r.categorylen = (size_t)sqlite3_column_bytes(st, 0);
		r.product = (const char *)sqlite3_column_text(st, 2);
		r.productlen = (size_t)sqlite3_column_bytes(st, 2);
		r.rank = sqlite3_column_int64(st, 1);
		r.total = sqlite3_column_int64(st, 3);
		if (r.category == NULL || r.product == NULL) {
			snprintf(err, errsize, "out of memory");
			break;
		}
		if (row(ctx, &r) < 0)
			break;
	}
	if (rc == SQLITE_DONE)
		ok = 1;
	else if (rc == SQLITE_ROW)
		ok = 0;
	sqlite3_finalize(st);
	return ok;
}

int
source_read(struct source *s, int (*meta)(void *ctx, const struct store_meta *m),
    int (*row)(void *ctx, const struct store_row *r), void *ctx, char *err, size_t errsize)
{
	int ok = -1;

	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
	    (ok = read_meta(s, meta, ctx, err, errsize)) == 1)
		ok = read_rows(s, row, ctx, err, errsize);
	if (ok < 0)
		snprintf(err, errsize, "%s", sqlite3_errmsg(s->db));
	sqlite3_exec(s->db, ok == 1 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	return ok == 1 ? 0 : -1;
}

const char *
source_lib_version(void)
{
	return sqlite3_libversion();
}
