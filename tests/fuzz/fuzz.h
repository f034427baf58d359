/* fuzz: what the libFuzzer targets share: invariant checks that abort, spans, an exact-size input copy. */
#ifndef SR_FUZZ_H
#define SR_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken invariant is a crash to libFuzzer: say which, then abort. */
#define CHECK(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #c); \
		abort(); \
	} \
} while (0)

/* Whether p..p+len lies within base..base+size (compared as integers: p may be wild). */
static inline int
within(const char *base, size_t size, const char *p, size_t len)
{
	uintptr_t b = (uintptr_t)base, q = (uintptr_t)p;

	return q >= b && q - b <= size && len <= size - (q - b);
}

/* The input in a heap block of exactly its size, so that ASan reports a read past its end. */
static inline char *
input_copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size);

	if (p == NULL)
		abort();
	if (size > 0)
		memcpy(p, data, size);
	return p;
}

/* No control character (0x00-0x1f, 0x7f): what an id may not hold. */
static inline int
no_controls(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

#endif
