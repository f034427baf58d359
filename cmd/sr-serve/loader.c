/* loader: the thread that reads the ranking anew whenever the store holds another, and hands it to the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "health.h"
#include "loader.h"
#include "msg.h"
#include "store.h"

#define POLL_MS 250		/* how often the generation is polled, without NOTIFY */
#define NOTIFY_POLL_MS 1000	/* and with it: a lost connection is found within this */
#define BACKOFF_MIN_MS 100	/* the first wait before connecting to PostgreSQL again */
#define BACKOFF_MAX_MS 5000	/* the longest: it doubles from the first up to this */
#define ANSWER_S 10		/* the longest wait for PostgreSQL's answer to one statement: a hung server is left */
#define STOP_WAIT_MS 1000	/* the longest SIGTERM waits for the loader: one blocked in libpq is left to the exit */
#define STOP_TICK_MS 10
#define ERR_SIZE 256

static const char *where;
static int is_pg;
static _Atomic(struct cache *) fresh;	/* the loader hands a new cache over here */
static atomic_int stopping, finished, hup, db_up;
static atomic_ulong reloads, reload_errors;
static int wake_pipe[2] = { -1, -1 };	/* SIGHUP and the end wake the loader's poll here */

/*
 * The loader's own: its connection (PostgreSQL: one, kept; NULL while the
 * server is away), the wait before connecting again, what it read last, and
 * how many times the file was found replaced.
 */
static struct store *store;
static int backoff_ms;
static struct store_version loaded;
static unsigned epoch;

/* The whole ranking into a new cache; NULL with the reason in err. */
static struct cache *
read_cache(struct store *s, char *err, size_t errsize)
{
	struct cache_build b = { cache_new(), err, errsize };

	if (b.cache == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	if (store_read(s, cache_meta, cache_row, &b, err, errsize) < 0 ||
	    cache_finish(b.cache, err, errsize) < 0) {
		cache_free(b.cache);
		return NULL;
	}
	return b.cache;
}

/* Hand c over to the event loop as the newest, read from the store at version v. */
static void
publish(struct cache *c, const struct store_version *v)
{
	if (loaded.generation > 0 && c->generation <= loaded.generation)
		epoch++;	/* another file, or the same read again: tags must differ */
	loaded = *v;
	loaded.generation = c->generation;
	c->epoch = epoch;
	cache_free(atomic_exchange(&fresh, c));
	atomic_fetch_add(&reloads, 1);
	health_reloaded();
}

/* The store opened, with the wait for an answer bounded; NULL with the reason in err. */
static struct store *
open_store(char *err, size_t errsize)
{
	struct store *s = store_open_reader(where, err, errsize);

	if (s != NULL)
		store_set_timeout(s, ANSWER_S);
	return s;
}

/*
 * Whether the store holds a ranking other than the one read last: another
 * generation or load, or another file (removed and made again, or renamed
 * over). 1, 0, or -1 with the reason in err.
 */
static int
changed(struct store_version *v, char *err, size_t errsize)
{
	if (store == NULL && (store = open_store(err, errsize)) == NULL)
		return -1;
	if (store_version(store, v, err, errsize) < 0)
		return -1;
	atomic_store(&db_up, 1);
	return v->generation != 0 && !(loaded.generation > 0 && v->dev == loaded.dev && v->ino == loaded.ino &&
	    strcmp(v->loaded_at, loaded.loaded_at) == 0 && v->generation == loaded.generation);
}

/*
 * Read a new cache if the store holds another ranking, or if forced
 * (SIGHUP), and hand it to the event loop. A failure keeps the old one
 * served; it is counted, and reported when it is not the same as the last.
 * What happened on SIGHUP is always reported. After a failure a PostgreSQL
 * connection is closed, and made again after a wait that doubles with each
 * failure in a row.
 */
static void
refresh(int forced)
{
	static char lasterr[ERR_SIZE];
	char err[ERR_SIZE];
	struct cache *c = NULL;
	struct store_version v;
	int ch = changed(&v, err, sizeof err);

	if (ch == 0 && !forced) {
		health_polled();
		return;
	}
	if (ch >= 0 && v.generation == 0) {
		health_polled();
		warnmsg("%s: SIGHUP: no ranking loaded yet", where);
		return;
	}
	if (ch >= 0 && (c = read_cache(store, err, sizeof err)) != NULL) {
		if (forced)
			warnmsg("%s: SIGHUP: read generation %" PRId64, where, c->generation);
		store_read_version(store, &v);
		publish(c, &v);
		backoff_ms = 0;
		lasterr[0] = '\0';
		return;
	}
	if (ch < 0)
		atomic_store(&db_up, 0);
	if (is_pg && store != NULL) {
		store_close(store);
		store = NULL;
	}
	if (is_pg)
		backoff_ms = backoff_ms == 0 ? BACKOFF_MIN_MS :
		    backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : 2 * backoff_ms;
	atomic_fetch_add(&reload_errors, 1);
	health_failed();
	if (forced || strcmp(err, lasterr) != 0)
		warnmsg("%s: %s: %s", where, forced ? "SIGHUP: reload" : "reload", err);
	snprintf(lasterr, sizeof lasterr, "%s", err);
}

static void
loader_wake(void)
{
	ssize_t n = write(wake_pipe[1], "", 1);

	(void)n;	/* full: a wake-up is pending anyway */
}

void
loader_hup(void)
{
	atomic_store(&hup, 1);
	loader_wake();
}

/*
 * Wait for what comes first: SIGHUP or the end (the wake pipe), a NOTIFY of
 * a load (PostgreSQL on a primary), or the time to poll the generation
 * (without NOTIFY, more often) or to connect again. Whether to read at once
 * (SIGHUP).
 */
static int
loader_wait(void)
{
	struct pollfd p[2] = { { wake_pipe[0], POLLIN, 0 }, { -1, POLLIN, 0 } };
	char buf[64];
	int ms = POLL_MS;

	if (store == NULL && backoff_ms > 0)
		ms = backoff_ms;
	else if (store != NULL && (p[1].fd = store_notify_fd(store)) >= 0)
		ms = NOTIFY_POLL_MS;
	if (poll(p, 2, ms) > 0) {
		if (p[0].revents != 0)
			while (read(wake_pipe[0], buf, sizeof buf) > 0)
				;
		if (p[1].revents != 0)
			store_notified(store);
	}
	return atomic_exchange(&hup, 0);
}

/* The loader thread: wait, reload on a new generation or SIGHUP, until told to stop. */
static void *
loader(void *arg)
{
	int forced;

	(void)arg;
	while (!atomic_load(&stopping)) {
		forced = loader_wait();
		if (!atomic_load(&stopping))
			refresh(forced);
	}
	atomic_store(&finished, 1);
	return NULL;
}

void
loader_first(const char *w)
{
	char err[ERR_SIZE];
	struct store_version v;

	where = w;
	is_pg = store_is_pg(where);
	if ((store = open_store(err, sizeof err)) == NULL || store_version(store, &v, err, sizeof err) < 0)
		fatal(EXIT_DATA, "%s: open: %s", where, err);
	refresh(0);
}

void
loader_start(pthread_t *thread)
{
	int i;

	if (pipe(wake_pipe) < 0)
		fatal(EXIT_DATA, "cannot set up the loader thread: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		if (fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK) < 0 || fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC) < 0)
			fatal(EXIT_DATA, "cannot set up the loader thread: %s", strerror(errno));
	if ((errno = pthread_create(thread, NULL, loader, NULL)) != 0)
		fatal(EXIT_DATA, "cannot start the loader thread: %s", strerror(errno));
}

/*
 * The loader told to end, and waited for STOP_WAIT_MS at most: one that
 * waits in libpq for a hung server or a new connection (up to 10 s for an
 * answer, for ever to connect without connect_timeout) is left running, with
 * its store and wake pipe, to end with the process.
 */
void
loader_stop(pthread_t thread)
{
	struct timespec tick = { 0, STOP_TICK_MS * 1000000L };
	int i;

	atomic_store(&stopping, 1);
	loader_wake();
	for (i = 0; i < STOP_WAIT_MS / STOP_TICK_MS && !atomic_load(&finished); i++)
		nanosleep(&tick, NULL);
	if (!atomic_load(&finished)) {
		warnmsg("%s: stopped without waiting for the read of the database under way", where);
		pthread_detach(thread);
		return;
	}
	pthread_join(thread, NULL);
	cache_free(atomic_exchange(&fresh, NULL));
	if (store != NULL)
		store_close(store);
	store = NULL;
	close(wake_pipe[0]);
	close(wake_pipe[1]);
}

struct cache *
loader_take(void)
{
	if (atomic_load_explicit(&fresh, memory_order_relaxed) == NULL)
		return NULL;
	return atomic_exchange(&fresh, NULL);
}

unsigned long
loader_reloads(void)
{
	return atomic_load(&reloads);
}

unsigned long
loader_errors(void)
{
	return atomic_load(&reload_errors);
}

int
loader_db_up(void)
{
	return atomic_load(&db_up);
}
