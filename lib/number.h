/* number: exact integer and decimal parsing for data fields and for command-line arguments. */
#ifndef SR_NUMBER_H
#define SR_NUMBER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The value of the 8 bytes at p as decimal digits, or -1 if they are not all
 * digits: a word at a time, pairing digits, then pairs, then fours (D.
 * Lemire's method).
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The value of a word of 8 digit values, 0 to 9 a byte, the first in the lowest byte. */
static inline int64_t
digits_word(uint64_t w)
{
	w = w * 2561 >> 8;
	w = (w & 0x00ff00ff00ff00ffULL) * 6553601 >> 16;
	return (int64_t)((w & 0x0000ffff0000ffffULL) * 42949672960001ULL >> 32);
}
#endif

static inline int64_t
digits8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	w -= 0x3030303030303030ULL;
	if ((w | (w + 0x7676767676767676ULL)) & 0x8080808080808080ULL)
		return -1;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return digits_word(w);
#else
	return (int64_t)((((((((w >> 56) * 10 + (w >> 48 & 0xff)) * 10 + (w >> 40 & 0xff)) * 10 +
	    (w >> 32 & 0xff)) * 10 + (w >> 24 & 0xff)) * 10 + (w >> 16 & 0xff)) * 10 +
	    (w >> 8 & 0xff)) * 10 + (w & 0xff));
#endif
}

/*
 * The value of the n (1 to 8) bytes at p, known to be digits; 8 bytes at p
 * may be read. The word is shifted so that the digits end it, and zeros fill
 * its start: then it is digits8's.
 */
static inline int64_t
digits_upto8(const char *p, size_t n)
{
	uint64_t w;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&w, p, 8);
	w -= 0x3030303030303030ULL;
	if (n < 8)
		w <<= 8 * (8 - n);
	return digits_word(w);
#else
	int64_t v = 0;

	(void)w;
	while (n-- > 0)
		v = v * 10 + (*p++ - '0');
	return v;
#endif
}

/*
 * A total of signed 64-bit parts, exact whatever their order: lo wraps as
 * two's complement does, and carry counts the wraps, so the total is
 * lo + carry * 2^64. As lo is a 64-bit value, that form is unique: the total
 * fits in 64 bits exactly when carry is 0, and it is then lo. The add costs
 * what an overflow check did; carry changes only on a wrap.
 */
struct total {
	int64_t lo, carry;
};

static inline void
total_add(struct total *t, int64_t v)
{
	if (__builtin_add_overflow(t->lo, v, &t->lo))
		t->carry += v < 0 ? -1 : 1;
}

/* What parse_i64_code finds wrong with a number. */
enum num_error { NUM_OK, NUM_EMPTY, NUM_NOT_INTEGER, NUM_RANGE };

enum num_error parse_i64_code(const char *p, size_t n, int64_t *v);
const char *parse_i64(const char *p, size_t n, int64_t *v);
const char *check_decimal(const char *p, size_t n);
int64_t arg_count(const char *opt, const char *s, int64_t min, int64_t max);
int64_t arg_size(const char *opt, const char *s, int64_t min, int64_t max);

#endif
