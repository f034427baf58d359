/* loader: the thread that reads the ranking anew whenever the source holds another, and hands it to the event loop. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "health.h"
#include "loader.h"
#include "msg.h"
#include "source.h"

#define POLL_MS 250		/* how often the generation is polled */
#define ERR_SIZE 256

static const char *where;
static _Atomic(struct cache *) fresh;	/* the loader hands a new cache over here */
static atomic_int stopping;
static atomic_ulong reloads, reload_errors;

/* The loader's own: what it read last, and how many times the file was found replaced. */
static struct store_version loaded;
static unsigned epoch;

/* The whole ranking into a new cache; NULL with the reason in err. */
static struct cache *
read_cache(struct source *s, char *err, size_t errsize)
{
	struct cache_build b = { cache_new(), err, errsize };

	if (b.cache == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	if (source_read(s, cache_meta, cache_row, &b, err, errsize) < 0 ||
	    cache_finish(b.cache, err, errsize) < 0) {
		cache_free(b.cache);
		return NULL;
	}
	return b.cache;
}

/* Hand c over to the event loop as the newest, read from the source at version v. */
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

/*
 * Read a new cache if the source holds a generation other than the one read
 * last, or is another file (removed and made again, or renamed over), or if
 * forced (SIGHUP), and hand it to the event loop. A failure keeps the old
 * one served; it is counted, and reported when it is not the same as the
 * last. What happened on SIGHUP is always reported.
 */
static void
refresh(int forced)
{
	static char lasterr[ERR_SIZE];
	char err[ERR_SIZE];
	struct cache *c = NULL;
	struct store_version v;
	struct source *s;
	int same;

	if ((s = source_open(where, err, sizeof err)) != NULL) {
		if (source_version(s, &v, err, sizeof err) == 0) {
			same = loaded.generation > 0 && v.dev == loaded.dev && v.ino == loaded.ino &&
			    strcmp(v.loaded_at, loaded.loaded_at) == 0 && v.generation == loaded.generation;
			if (v.generation == 0 || (!forced && same)) {
				source_close(s);
				health_polled();
				if (forced)
					warnmsg("%s: SIGHUP: no ranking loaded yet", where);
				return;
			}
			c = read_cache(s, err, sizeof err);
		}
		source_close(s);
	}
	if (c != NULL) {
		if (forced)
			warnmsg("%s: SIGHUP: read generation %" PRId64, where, c->generation);
		publish(c, &v);
		lasterr[0] = '\0';
		return;
	}
	atomic_fetch_add(&reload_errors, 1);
	health_failed();
	if (forced || strcmp(err, lasterr) != 0)
		warnmsg("%s: %s: %s", where, forced ? "SIGHUP: reload" : "reload", err);
	snprintf(lasterr, sizeof lasterr, "%s", err);
}

/* The loader waits here between polls; SIGHUP (hup set) or the end (stopping set) wakes it at once. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static int hup;

static void
loader_wake(int sighup)
{
	pthread_mutex_lock(&wake_lock);
	if (sighup)
		hup = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&wake_lock);
}

void
loader_hup(void)
{
	loader_wake(1);
}

/* Whether to read now on SIGHUP (1), or poll (0), after waiting at most a poll's time for one. */
static int
loader_wait(void)
{
	struct timespec until;
	int forced;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += POLL_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&wake_lock);
	while (!hup && !atomic_load(&stopping) && pthread_cond_timedwait(&wake, &wake_lock, &until) == 0)
		;
	forced = hup;
	hup = 0;
	pthread_mutex_unlock(&wake_lock);
	return forced;
}

/* The loader thread: poll the generation, reload on a change or SIGHUP, until told to stop. */
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
	return NULL;
}

void
loader_first(const char *w)
{
	char err[ERR_SIZE];
	struct source *s;

	where = w;
	if ((s = source_open(where, err, sizeof err)) == NULL)
		fatal(EXIT_DATA, "%s: open: %s", where, err);
	source_close(s);
	refresh(0);
}

/* The loader thread, its wake-up timed by the monotonic clock. */
void
loader_start(pthread_t *thread)
{
	pthread_condattr_t attr;

	if (pthread_condattr_init(&attr) != 0 || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&wake, &attr) != 0)
		fatal(EXIT_DATA, "cannot set up the loader thread");
	pthread_condattr_destroy(&attr);
	if ((errno = pthread_create(thread, NULL, loader, NULL)) != 0)
		fatal(EXIT_DATA, "cannot start the loader thread: %s", strerror(errno));
}

void
loader_stop(pthread_t thread)
{
	atomic_store(&stopping, 1);
	loader_wake(0);
	pthread_join(thread, NULL);
	cache_free(atomic_exchange(&fresh, NULL));
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
