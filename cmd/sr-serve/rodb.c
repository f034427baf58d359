/* rodb: a SQLite database opened to be read only: no file beside it made, changed or removed for another user. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rodb.h"

#define BUSY_MS 1000		/* how long a read waits for a lock */
#define VFS_NAME "sr-serve-readonly"

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

int
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
