/* topk: the best K products of one category by total, in a bounded heap; ties by product id. */
#ifndef SR_TOPK_H
#define SR_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"

struct ranked {
	int64_t total;
	size_t len;
	char id[IDENT_MAX];
};

struct topk {
	struct ranked *v;	/* a heap with the worst-ranked product at v[0] */
	size_t n, cap;
	size_t k;		/* 0: no limit (--all) */
};

void topk_init(struct topk *t, size_t k);
void topk_push(struct topk *t, const char *id, size_t len, int64_t total);
void topk_sort(struct topk *t);
void topk_clear(struct topk *t);
void topk_free(struct topk *t);

#endif
