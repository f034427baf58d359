/*
 * source: where sr-serve reads the ranking, in the shape of lib/store.h's
 * read side (store_open_reader, store_version, store_read, store_close), so
 * that the store can take its place: today a SQLite file (sqlsource.c).
 */
#ifndef SR_SOURCE_H
#define SR_SOURCE_H

#include <stddef.h>

#include "store.h"

struct source;

/*
 * Open where read-only; NULL with the reason in err. No file beside it is
 * made, changed or removed for another user. It is held open only while it
 * is read: a reader that keeps a WAL database open keeps its -wal file,
 * which a file made afresh or renamed over it at the same path would then
 * be read with.
 */
struct source *source_open(const char *where, char *err, size_t errsize);
/* The ranking it holds now (generation 0: none yet, no table or no meta row); 0, or -1. */
int source_version(struct source *s, struct store_version *v, char *err, size_t errsize);
/*
 * The whole ranking in one transaction: meta, then each row in the order of
 * category (bytes) and rank. A callback returning -1 stops the read, its
 * reason in err (which it reaches through ctx); an id that is not text is
 * the source's error ("row N (category_id): not text").
 */
int source_read(struct source *s, int (*meta)(void *ctx, const struct store_meta *m),
    int (*row)(void *ctx, const struct store_row *r), void *ctx, char *err, size_t errsize);
void source_close(struct source *s);

/* The version of the library the source reads with, for /metrics. */
const char *source_lib_version(void);

#endif
