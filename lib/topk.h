/* topk: the best K products of one category by total, in a bounded heap; ties by product id. */
#ifndef SR_TOPK_H
#define SR_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"

/* A product kept: its id is in slot of the id store, so the heap moves 16 bytes. */
struct ranked {
	int64_t total;
	uint32_t len;
	uint32_t slot;
};

struct topk {
	struct ranked *v;	/* a heap with the worst-ranked product at v[0] */
	char *ids;		/* cap slots of IDENT_MAX bytes */
	size_t n, cap;
	size_t k;		/* 0: no limit (--all) */
};

/* The id of v[i]. */
static inline const char *
topk_id(const struct topk *t, size_t i)
{
	return t->ids + (size_t)t->v[i].slot * IDENT_MAX;
}

void topk_init(struct topk *t, size_t k);
void topk_push(struct topk *t, const char *id, size_t len, int64_t total);
void topk_sort(struct topk *t);
void topk_clear(struct topk *t);
void topk_free(struct topk *t);

#endif
