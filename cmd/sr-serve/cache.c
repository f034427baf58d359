/* cache: one generation of the ranking in memory, every reply pre-rendered, built from the rows the store hands it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "ident.h"
#include "number.h"

#define ARRAY_FIRST_CAP 1024

struct cache *
cache_new(void)
{
	return calloc(1, sizeof(struct cache));
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	free(c->text.p);
	free(c->ends);
	free(c->cats);
	free(c);
}

void
cache_unref(const void *data, size_t len, void *arg)
{
	struct cache *c = arg;

	(void)data;
	(void)len;
	if (--c->refs == 0)
		cache_free(c);
}

/* Grow an array of *cap elements of size each to hold one more; 0 or -1. */
static int
grow(void *arrayp, size_t *cap, size_t n, size_t size)
{
	void **array = arrayp, *p;
	size_t ncap = *cap != 0 ? *cap * 2 : ARRAY_FIRST_CAP;

	if (n < *cap)
		return 0;
	if ((p = realloc(*array, ncap * size)) == NULL)
		return -1;
	*array = p;
	*cap = ncap;
	return 0;
}

static int
refuse(struct cache_build *b, const char *why)
{
	snprintf(b->err, b->errsize, "%s", why);
	return -1;
}

int
cache_meta(void *build, const struct store_meta *m)
{
	struct cache_build *b = build;
	struct cache *c = b->cache;

	c->generation = m->generation;
	c->meta = c->text.len;
	text_printf(&c->text, "\"generation\":%" PRId64 ",\"loaded_at\":", c->generation);
	text_json_or_null(&c->text, m->loaded_at);
	c->has_loaded = m->loaded_at != NULL && ts_parse(m->loaded_at, strlen(m->loaded_at), &c->loaded) == NULL;
	text_str(&c->text, ",\"window\":{\"since\":");
	text_json_or_null(&c->text, m->window_since);
	text_str(&c->text, ",\"until\":");
	text_json_or_null(&c->text, m->window_until);
	text_str(&c->text, "}");
	c->metalen = c->text.len - c->meta;
	c->has_meta = 1;
	return 0;
}

/* Start category id in c: its id bytes, then the head of its reply. */
static int
category_start(struct cache *c, const char *id, size_t idlen)
{
	struct category *cat;

	if (grow(&c->cats, &c->capcats, c->ncats, sizeof *c->cats) < 0)
		return -1;
	cat = &c->cats[c->ncats++];
	cat->id = c->text.len;
	cat->idlen = idlen;
	text_add(&c->text, id, idlen);
	cat->head = c->text.len;
	text_str(&c->text, "{\"category_id\":");
	text_json_string(&c->text, id, idlen);
	text_add(&c->text, ",", 1);
	text_repeat(&c->text, c->meta, c->metalen);
	text_str(&c->text, ",\"products\":[");
	cat->first = c->nends;
	cat->n = 0;
	return 0;
}

/* Whether an id can be served (see cache_row); if not, the reason in b's err. */
static int
id_servable(struct cache_build *b, const char *id, size_t n, const char *name)
{
	const unsigned char *p = (const unsigned char *)id;
	const char *why;
	size_t i, run;

	if ((why = ident_check(id, n)) == NULL)
		for (i = 0; i < n; i += run)
			if ((run = utf8_len(p + i, n - i)) == 0) {
				why = "not valid UTF-8";
				break;
			}
	if (why == NULL)
		return 1;
	snprintf(b->err, b->errsize, "row %zu (%s): %s", b->cache->rows + 1, name, why);
	return 0;
}

int
cache_row(void *build, const struct store_row *r)
{
	struct cache_build *b = build;
	struct cache *c = b->cache;
	struct category *cat;
	int cmp = 1;

	if (!c->has_meta)
		return refuse(b, "a row before the meta row");
	if (!id_servable(b, r->category, r->categorylen, "category_id") ||
	    !id_servable(b, r->product, r->productlen, "product_id"))
		return -1;
	c->rows++;
	if (c->text.failed)
		return refuse(b, "out of memory");
	if (c->ncats > 0)
		cmp = bytes_cmp(r->category, r->categorylen, c->text.p + c->cats[c->ncats - 1].id,
		    c->cats[c->ncats - 1].idlen);
	if (cmp < 0)
		return refuse(b, "categories out of byte order: are all ids text?");
	if (cmp > 0 && category_start(c, r->category, r->categorylen) < 0)
		return refuse(b, "out of memory");
	cat = &c->cats[c->ncats - 1];
	if (grow(&c->ends, &c->capends, c->nends, sizeof *c->ends) < 0)
		return refuse(b, "out of memory");
	text_printf(&c->text, "%s{\"rank\":%" PRId64 ",\"product_id\":", cat->n > 0 ? "," : "", r->rank);
	text_json_string(&c->text, r->product, r->productlen);
	text_printf(&c->text, ",\"total_sold\":%" PRId64 "}", r->total);
	c->ends[c->nends++] = c->text.len;
	cat->n++;
	return 0;
}

int
cache_finish(struct cache *c, char *err, size_t errsize)
{
	size_t i;

	if (!c->has_meta) {
		snprintf(err, errsize, "no meta row");
		return -1;
	}
	c->list = c->text.len;
	text_str(&c->text, "{");
	text_repeat(&c->text, c->meta, c->metalen);
	text_str(&c->text, ",\"categories\":[");
	for (i = 0; i < c->ncats; i++) {
		text_str(&c->text, i > 0 ? ",{\"category_id\":" : "{\"category_id\":");
		text_json_string(&c->text, c->text.p + c->cats[i].id, c->cats[i].idlen);
		text_printf(&c->text, ",\"products\":%zu}", c->cats[i].n);
	}
	text_str(&c->text, "]}\n");
	c->listlen = c->text.len - c->list;
	c->health = c->text.len;
	text_repeat(&c->text, c->meta, c->metalen);
	text_printf(&c->text, ",\"categories\":%zu,\"products\":%zu", c->ncats, c->nends);
	c->healthlen = c->text.len - c->health;
	if (c->text.failed) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

const struct category *
cache_category(const struct cache *c, const char *id, size_t idlen)
{
	size_t lo = 0, hi = c->ncats, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = bytes_cmp(id, idlen, c->text.p + c->cats[mid].id, c->cats[mid].idlen);
		if (cmp == 0)
			return &c->cats[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
