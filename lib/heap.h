/* heap: the binary heap of every tool that keeps one, over elements of any type, least at [0]. */
#ifndef SR_HEAP_H
#define SR_HEAP_H

#include <stddef.h>
#include <string.h>

/* Whether element a goes before element b; ctx is the caller's, passed through. */
typedef int heap_less_fn(const void *a, const void *b, void *ctx);

/* Bytes of an element, at most: one is held aside while others move. */
#define HEAP_ELEM_MAX 64

#define HEAP_AT(base, i, size) ((char *)(base) + (i) * (size))

/*
 * The functions are always inlined: where a caller passes a constant size
 * and its own less, the compiler makes a heap of that type with the
 * comparison inlined, as fast as one written by hand for it.
 *
 * heap_down: the heap of n elements of size bytes at base, with element i
 * perhaps after its children, made a heap again by moving it down.
 */
static inline __attribute__((__always_inline__)) void
heap_down(void *base, size_t n, size_t i, size_t size, heap_less_fn *less, void *ctx)
{
	_Alignas(max_align_t) unsigned char x[HEAP_ELEM_MAX];	/* given to less as an element */
	size_t c;

	if (size > HEAP_ELEM_MAX)	/* a constant test, gone once inlined */
		__builtin_trap();
	memcpy(x, HEAP_AT(base, i, size), size);
	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && less(HEAP_AT(base, c + 1, size), HEAP_AT(base, c, size), ctx))
			c++;
		if (!less(HEAP_AT(base, c, size), x, ctx))
			break;
		memcpy(HEAP_AT(base, i, size), HEAP_AT(base, c, size), size);
		i = c;
	}
	memcpy(HEAP_AT(base, i, size), x, size);
}

/* The heap of elements 0..i, with element i perhaps before its parent, made a heap by moving it up. */
static inline __attribute__((__always_inline__)) void
heap_up(void *base, size_t i, size_t size, heap_less_fn *less, void *ctx)
{
	_Alignas(max_align_t) unsigned char x[HEAP_ELEM_MAX];	/* given to less as an element */

	if (size > HEAP_ELEM_MAX)
		__builtin_trap();
	memcpy(x, HEAP_AT(base, i, size), size);
	for (; i > 0 && less(x, HEAP_AT(base, (i - 1) / 2, size), ctx); i = (i - 1) / 2)
		memcpy(HEAP_AT(base, i, size), HEAP_AT(base, (i - 1) / 2, size), size);
	memcpy(HEAP_AT(base, i, size), x, size);
}

/* Make the n elements at base a heap. */
static inline __attribute__((__always_inline__)) void
heap_make(void *base, size_t n, size_t size, heap_less_fn *less, void *ctx)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		heap_down(base, n, i, size, less, ctx);
}

/* Take the least element away from the heap of n: the last takes its place. Returns n - 1. */
static inline __attribute__((__always_inline__)) size_t
heap_pop(void *base, size_t n, size_t size, heap_less_fn *less, void *ctx)
{
	if (--n > 0) {
		memcpy(base, HEAP_AT(base, n, size), size);
		heap_down(base, n, 0, size, less, ctx);
	}
	return n;
}

#endif
