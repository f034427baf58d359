/* ident: product, category, seller and buyer identifiers: what is valid and how they order. */
#ifndef SR_IDENT_H
#define SR_IDENT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define IDENT_MAX 255		/* bytes */
#define IDENT_KEY_MAX (2 * IDENT_MAX + 1)	/* bytes of a key, "category_id<TAB>product_id" */
#define IDENT_STR_(x) #x
#define IDENT_STR(x) IDENT_STR_(x)		/* a constant's value as a string literal, for a message */

/*
 * The first byte at or after p that cannot be in an id (below 0x20, or 0x7f),
 * or end. Eight bytes a word: of the bytes the masks flag, the lowest is
 * always a true one, so counting trailing zeros finds it.
 */
static inline const char *
ident_end(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t w, m;

	for (; end - p >= 8; p += 8) {
		memcpy(&w, p, 8);
		m = ((w - 0x20 * ones) & ~w & highs) | ((((w ^ 0x7f * ones) - ones) & ~(w ^ 0x7f * ones)) & highs);
		if (m != 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(m) >> 3);
#else
			break;
#endif
		}
	}
	for (; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return p;
	return end;
}

const char *ident_check(const char *p, size_t n);
int ident_cmp(const char *a, size_t an, const char *b, size_t bn);

/*
 * Byte order, as memcmp and then the shorter first: that of sr-sort. Keys are
 * a dozen bytes, compared for every line of a merge or a reduce: eight bytes
 * at a time, as big-endian words, is cheaper than a call to memcmp.
 */
static inline int
bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn, i = 0;
	uint64_t x, y;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; n - i >= 8; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
			x = __builtin_bswap64(x);
			y = __builtin_bswap64(y);
			return x < y ? -1 : 1;
		}
	}
#else
	(void)x, (void)y;
#endif
	for (; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

#endif
