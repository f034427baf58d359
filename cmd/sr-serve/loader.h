/* loader: the thread that reads the ranking anew whenever the store holds another, and hands it to the event loop. */
#ifndef SR_LOADER_H
#define SR_LOADER_H

#include <pthread.h>

#include "cache.h"

/*
 * Check that where can be opened (exits 1 saying why if not), then read
 * what it holds, once, in this thread: loader_take has it if there was one.
 */
void loader_first(const char *where);
/* Start polling where in a thread of its own. */
void loader_start(pthread_t *thread);
/* SIGHUP: read now, whatever the generation, and say what came of it. */
void loader_hup(void);
/* End the thread, and free a cache it read that nobody took. */
void loader_stop(pthread_t thread);

/* The newest cache read since the last call, or NULL; the caller owns it. */
struct cache *loader_take(void);

/* New rankings read, and reloads that failed, so far. */
unsigned long loader_reloads(void);
unsigned long loader_errors(void);
/* Whether the last poll or read reached the database (1) or not (0). */
int loader_db_up(void);

#endif
