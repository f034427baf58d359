/* sumread: the intermediate "category_id TAB product_id TAB sum" stream, checked for form and order. */
#ifndef SR_SUMREAD_H
#define SR_SUMREAD_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "lineread.h"
#include "number.h"

/* The fields of a line, numbered from 0. */
enum { SUMREC_CATEGORY, SUMREC_PRODUCT, SUMREC_SUM };

struct sumrec {
	const char *cat, *prod, *sumtext;
	size_t catlen, prodlen, sumlen;
	int64_t sum;
	int samekey;		/* sumread_next: the key is the line before's */
};

struct sumread {
	char **operands;	/* NULL-terminated; none means stdin */
	int opened, unique;
	struct lineread lr;
	char prev[IDENT_KEY_MAX + LR_COPY_SLACK];	/* key of the previous line */
	size_t prevlen;
	int status;		/* 1 if an operand could not be read */
};

#ifdef __SSE2__
/*
 * A line of at most 32 bytes, as most are: one classification of the 32
 * bytes at p (readable whatever n) finds both tabs and the newline and
 * proves the ids free of control bytes and the sum's digits digits.
 * Returns 1 with r filled, or -1: the general path decides. Inline, and in
 * this header, for the loops of sr-reduce and sr-topk: a call a line costs.
 */
static inline __attribute__((__always_inline__)) int
sumrec_scan32(const char *p, size_t n, struct sumrec *r, size_t *len)
{
	const __m128i x1f = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f), tab = _mm_set1_epi8('\t');
	const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	const __m128i minus = _mm_set1_epi8('-'), plus = _mm_set1_epi8('+');
	__m128i b0 = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i b1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	uint32_t ctl, tabs, digit, sign, t1, t2, q, s;
	int64_t v = 0;
	uint32_t i;

#define CTL(b) _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(b, x1f), x1f), _mm_cmpeq_epi8(b, del)))
#define DIGIT(b) _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(_mm_sub_epi8(b, zero), nine), nine))
	ctl = (uint32_t)CTL(b0) | (uint32_t)CTL(b1) << 16;
	tabs = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b0, tab)) |
	    (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b1, tab)) << 16;
	digit = (uint32_t)DIGIT(b0) | (uint32_t)DIGIT(b1) << 16;
	sign = (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(b0, minus), _mm_cmpeq_epi8(b0, plus))) |
	    (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(b1, minus), _mm_cmpeq_epi8(b1, plus))) << 16;
#undef CTL
#undef DIGIT
	if ((ctl & ~tabs) == 0)
		return -1;
	q = (uint32_t)__builtin_ctz(ctl & ~tabs);	/* the first control byte not a tab */
	tabs &= (1U << q) - 1;
	if (q >= n || p[q] != '\n' || tabs == 0)
		return -1;
	t1 = (uint32_t)__builtin_ctz(tabs);
	tabs &= tabs - 1;
	if (tabs == 0 || t1 == 0)
		return -1;
	t2 = (uint32_t)__builtin_ctz(tabs);
	if ((tabs & (tabs - 1)) != 0 || t2 == t1 + 1)
		return -1;
	s = t2 + 1 + ((sign >> (t2 + 1)) & 1);
	if (s >= q || q - s > 18 || (digit | ~(((1U << q) - 1) & ~((1U << s) - 1))) != ~0U)
		return -1;
	if (q - s <= 8)
		v = digits_upto8(p + s, q - s);
	else
		for (i = s; i < q; i++)
			v = v * 10 + (p[i] - '0');
	r->cat = p, r->catlen = t1;
	r->prod = p + t1 + 1, r->prodlen = t2 - t1 - 1;
	r->sumtext = p + t2 + 1, r->sumlen = q - t2 - 1;
	r->sum = *r->sumtext == '-' ? -v : v;
	*len = q;
	return 1;
}
#else
static inline int
sumrec_scan32(const char *p, size_t n, struct sumrec *r, size_t *len)
{
	(void)p, (void)n, (void)r, (void)len;
	return -1;
}
#endif

void sumread_init(struct sumread *sr, char **operands, int unique);
int sumread_next(struct sumread *sr, struct sumrec *r);
int sumread_line_slow(struct sumread *sr, struct sumrec *r);

/*
 * The next record without the order check, 1; or 0 at the end of the last
 * operand. Bad input is fatal. r points into the read buffer: it holds until
 * the next call. A line of the usual kind is taken here, inline.
 */
static inline __attribute__((__always_inline__)) int
sumread_line(struct sumread *sr, struct sumrec *r)
{
	char *p;
	size_t n, len;

	if (sr->opened && (n = lr_unread(&sr->lr, &p)) > 0 && sumrec_scan32(p, n, r, &len) > 0) {
		lr_take(&sr->lr, len);
		return 1;
	}
	return sumread_line_slow(sr, r);
}
void sumrec_fail_at(const char *name, uint64_t lineno, int field, const char *why, const char *v,
    size_t n) __attribute__((__noreturn__));
void sumread_fail(const struct sumread *sr, const struct sumrec *r, int sum, const char *why)
    __attribute__((__noreturn__));
void sumrec_write(const char *key, size_t len, int64_t sum);
const char *sumrec_parse(const char *p, size_t len, struct sumrec *r, int *field);
int sumrec_scan(const char *p, size_t n, struct sumrec *r, size_t *len);

#endif
