/* cache: one generation of the ranking in memory, every reply pre-rendered, built from the rows the store hands it. */
#ifndef SR_CACHE_H
#define SR_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "text.h"
#include "timestamp.h"

/*
 * One category's reply, pre-rendered in the cache's text: at head, the JSON
 * up to "products":[, then its n products, each ending at ends[first + i].
 * The reply with a limit of k is text[head .. ends[first + k - 1]) and "]}\n".
 */
struct category {
	size_t id, idlen;	/* the id's bytes, as stored */
	size_t head;
	size_t first, n;
};

/* One generation of the ranking, read in one transaction; never changed once built. */
struct cache {
	int64_t generation;
	struct text text;
	size_t *ends, nends, capends;
	struct category *cats;
	size_t ncats, capcats;
	size_t meta, metalen;	/* "generation":...,"window":{...} */
	size_t list, listlen;	/* the /api/v1/categories reply */
	size_t health, healthlen;	/* what the /healthz reply says of the ranking */
	struct instant loaded;	/* its loaded_at, if has_loaded */
	int has_loaded, has_meta;
	size_t rows;
	unsigned epoch;		/* of the database file it was read from: see the loader */
	int refs;		/* the event loop's: current, and replies being written */
};

/*
 * A cache being built: the ctx of cache_meta and cache_row, which have
 * store_read's callbacks' shape. One that refuses what it is handed returns
 * -1 with the reason in err (errsize bytes).
 */
struct cache_build {
	struct cache *cache;
	char *err;
	size_t errsize;
};

/* An empty cache, or NULL (out of memory). */
struct cache *cache_new(void);
/* The meta row: first, once. */
int cache_meta(void *build, const struct store_meta *m);
/*
 * The next row, in the order of category (bytes) and rank. Its ids must be
 * servable: valid UTF-8 and what ident_check allows (ids are served as JSON
 * strings and asked for as percent-encoded UTF-8: only such ids are each
 * rendered once, unlike any other, and found again as listed).
 */
int cache_row(void *build, const struct store_row *r);
/* After the last row: the replies that cover all categories. 0, or -1 with the reason in err. */
int cache_finish(struct cache *c, char *err, size_t errsize);

/* The category of id (idlen bytes), or NULL. */
const struct category *cache_category(const struct cache *c, const char *id, size_t idlen);

void cache_free(struct cache *c);
/*
 * Drop a reference (refs) and free the cache with the last one. Shaped as
 * evbuffer's cleanup, arg the cache: a reply's body is written from its
 * cache, not copied, and the cache lives until the last reply from it is
 * written, also after a newer one replaced it.
 */
void cache_unref(const void *data, size_t len, void *arg);

#endif
