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

/* a ranks before b: a larger total, or the same total and the smaller id. */
static int
ranks_before(const struct ranked *a, const struct ranked *b)
{
	if (a->total != b->total)
		return a->total > b->total;
	return ident_cmp(a->id, a->len, b->id, b->len) < 0;
}

static void
swap(struct ranked *a, struct ranked *b)
{
	struct ranked t = *a;

	*a = *b;
	*b = t;
}

static void
sift_up(struct ranked *v, size_t i)
{
	while (i > 0 && ranks_before(&v[(i - 1) / 2], &v[i])) {
		swap(&v[(i - 1) / 2], &v[i]);
		i = (i - 1) / 2;
	}
}

static void
sift_down(struct ranked *v, size_t n, size_t i)
{
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && ranks_before(&v[c], &v[c + 1]))
			c++;
		if (!ranks_before(&v[i], &v[c]))
			return;
		swap(&v[i], &v[c]);
		i = c;
	}
}

/* Keep the product if it is among the best K so far; the heap root is the one to drop. */
void
topk_push(struct topk *t, const char *id, size_t len, int64_t total)
{
	struct ranked r;

	r.total = total;
	r.len = len;
	memcpy(r.id, id, len);
	if (t->k == 0 || t->n < t->k) {
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : (t->k && t->k < 1024 ? t->k : 1024);
			if ((t->v = realloc(t->v, t->cap * sizeof *t->v)) == NULL)
				fatal(EXIT_DATA, "out of memory");
		}
		t->v[t->n] = r;
		sift_up(t->v, t->n++);
	} else if (ranks_before(&r, &t->v[0])) {
		t->v[0] = r;
		sift_down(t->v, t->n, 0);
	}
}

static int
rank_order(const void *a, const void *b)
{
	return ranks_before(a, b) ? -1 : ranks_before(b, a);
}

/* Order v[0..n) best first, ready to be written as ranks 1..n. */
void
topk_sort(struct topk *t)
{
	if (t->n > 1)
		qsort(t->v, t->n, sizeof *t->v, rank_order);
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
}
