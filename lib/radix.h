/* radix: one LSD radix sort, on a 64-bit key at the start of each element, the digit width a parameter. */
#ifndef SR_RADIX_H
#define SR_RADIX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RADIX_BITS_MAX 12	/* digit width, at most: the counts, 8 bytes a digit, are on the stack */

/*
 * Sort the n elements of size bytes at a, each beginning with its key, a
 * uint64_t, by key, stably: a pass a digit of bits bits (1..RADIX_BITS_MAX),
 * the lowest first, moving the elements between a and tmp (room for n);
 * a digit all keys share costs a count and no moves. Returns a or tmp,
 * whichever holds the sorted elements. Always inlined, so that with a
 * constant size and digit width each caller's copy is as fast as one
 * written for its element type.
 */
static inline __attribute__((__always_inline__)) void *
radix_sort(void *a, void *tmp, size_t n, size_t size, unsigned bits)
{
	size_t count[(size_t)1 << RADIX_BITS_MAX], ndigits = (size_t)1 << bits, i, pos, c;
	uint64_t mask = ndigits - 1, k;
	char *from = a, *to = tmp, *t;
	unsigned shift;

	for (shift = 0; shift < 64 && n > 0; shift += bits) {
		memset(count, 0, ndigits * sizeof *count);
		for (i = 0; i < n; i++) {
			memcpy(&k, from + i * size, sizeof k);
			count[k >> shift & mask]++;
		}
		memcpy(&k, from, sizeof k);
		if (count[k >> shift & mask] == n)
			continue;
		for (i = 0, pos = 0; i < ndigits; i++) {
			c = count[i];
			count[i] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++) {
			memcpy(&k, from + i * size, sizeof k);
			memcpy(to + count[k >> shift & mask]++ * size, from + i * size, size);
		}
		t = from, from = to, to = t;
	}
	return from;
}

#endif
