/* topk: the best K products of one category by total, in a bounded heap; ties by product id. */
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "topk.h"

void
topk_init(struct topk *t, size_t k)
{
	memset(t, 0, sizeof *t);
	t->k = k;
}

/* (total, id) ranks before b: a larger total, or the same total and the smaller id. */
static int
before(const struct topk *t, int64_t total, const char *id, size_t len, const struct ranked *b)
{
	if (total != b->total)
		return total > b->total;
	return ident_cmp(id, len, t->ids + (size_t)b->slot * IDENT_MAX, b->len) < 0;
}

static int
ranks_before(const struct topk *t, const struct ranked *a, const struct ranked *b)
{
	return before(t, a->total, t->ids + (size_t)a->slot * IDENT_MAX, a->len, b);
}

static void
sift_up(struct topk *t, size_t i)
{
	struct ranked x = t->v[i];

	while (i > 0 && ranks_before(t, &t->v[(i - 1) / 2], &x)) {
		t->v[i] = t->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	t->v[i] = x;
}

/* The heap of v[0..n) with v[0] out of place: the worst-ranked goes up. */
static void
sift_down(struct topk *t, size_t n)
{
	struct ranked x = t->v[0];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && ranks_before(t, &t->v[c], &t->v[c + 1]))
			c++;
		if (!ranks_before(t, &x, &t->v[c]))
			break;
		t->v[i] = t->v[c];
		i = c;
	}
	t->v[i] = x;
}

/*
 * Keep the product if it is among the best K so far; the heap root is the one
 * to drop, and the new one takes its slot. Most products of a large category
 * rank below the root: one comparison of totals turns them away.
 */
void
topk_push(struct topk *t, const char *id, size_t len, int64_t total)
{
	struct ranked *r;
	int grows = t->k == 0 || t->n < t->k;

	if (grows) {
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : (t->k && t->k < 1024 ? t->k : 1024);
			if ((t->v = realloc(t->v, t->cap * sizeof *t->v)) == NULL ||
			    (t->ids = realloc(t->ids, t->cap * IDENT_MAX)) == NULL)
				fatal(EXIT_DATA, "out of memory");
		}
		r = &t->v[t->n];
		r->slot = (uint32_t)t->n;
	} else if (total < t->v[0].total || !before(t, total, id, len, &t->v[0]))
		return;
	else
		r = &t->v[0];
	r->total = total;
	r->len = (uint32_t)len;
	memcpy(t->ids + (size_t)r->slot * IDENT_MAX, id, len);
	if (grows)
		sift_up(t, t->n++);
	else
		sift_down(t, t->n);
}

/* Order v[0..n) best first, ready to be written as ranks 1..n: the worst leaves the heap first, to the end. */
void
topk_sort(struct topk *t)
{
	struct ranked x;
	size_t n;

	for (n = t->n; n > 1; n--) {
		x = t->v[0];
		t->v[0] = t->v[n - 1];
		t->v[n - 1] = x;
		sift_down(t, n - 1);
	}
}

void
topk_clear(struct topk *t)
{
	t->n = 0;
}

void
topk_free(struct topk *t)
{
	free(t->v);
	free(t->ids);
}
