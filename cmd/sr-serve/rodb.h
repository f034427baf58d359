/* rodb: a SQLite database opened to be read only: no file beside it made, changed or removed for another user. */
#ifndef SR_RODB_H
#define SR_RODB_H

#include <sqlite3.h>
#include <sys/stat.h>

/*
 * Open path read-only into *db, and say which file it is in *st; 0, or -1
 * with the reason in err (*db is then NULL). The connection never
 * checkpoints and never removes the -wal and -shm files. A user who does not
 * own the database never makes them either (they would be that user's, and
 * the owner's next write would fail "attempt to write a readonly database"):
 * such a reader needs the ones the writer keeps (sr-load does), and reads
 * them read-only, as SQLite allows since 3.22.
 */
int rodb_open(const char *path, sqlite3 **db, struct stat *st, char *err, size_t errsize);

#endif
