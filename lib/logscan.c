/* logscan: the fast path of the log-line parser, one pass over a line that is valid. */
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ident.h"
#include "logscan.h"
#include "number.h"

/* An id ending at a tab (or at end when last): its end, or NULL. */
static const char *
scan_id(struct field *f, const char *p, const char *end, int last)
{
	const char *q = ident_end(p, end);

	if (q == p || q - p > IDENT_MAX || (last ? q != end : q == end || *q != '\t'))
		return NULL;
	f->p = p;
	f->len = (size_t)(q - p);
	return last ? q : q + 1;
}

/* qty: optional '-', 1-18 digits (so no overflow check is needed), then a tab. */
static const char *
scan_qty(struct logrec *r, const char *p, const char *end)
{
	const char *s = p;
	int64_t v = 0;
	int neg = p < end && *p == '-';

	p += neg;
	for (; p < end && *p >= '0' && *p <= '9' && p - s - neg < 18; p++)
		v = v * 10 + (*p - '0');
	if (p == s + neg || p == end || *p != '\t')
		return NULL;
	r->f[F_QTY].p = s;
	r->f[F_QTY].len = (size_t)(p - s);
	r->qty = neg ? -v : v;
	return p + 1;
}

/* total_price: optional '-', digits, optionally '.' and digits, at most 18 in all, then a tab. */
static const char *
scan_price(struct field *f, const char *p, const char *end)
{
	const char *s = p, *d;
	int ndig = 0;

	p += p < end && *p == '-';
	for (d = p; p < end && *p >= '0' && *p <= '9'; p++)
		ndig++;
	if (p == d)
		return NULL;
	if (p < end && *p == '.') {
		for (d = ++p; p < end && *p >= '0' && *p <= '9'; p++)
			ndig++;
		if (p == d)
			return NULL;
	}
	if (ndig > 18 || p == end || *p != '\t')
		return NULL;
	f->p = s;
	f->len = (size_t)(p - s);
	return p + 1;
}

#ifdef __SSE2__
/* Bit i set for byte i of the 64 at p: what each kind of byte the fast path looks for is. */
struct classes {
	uint64_t tab;
	uint64_t ctl;		/* cannot be in an id: below 0x20 or 0x7f (tabs too) */
	uint64_t digit;
	uint64_t dot;
};

static inline __attribute__((always_inline)) void
classify64(const char *p, struct classes *c)
{
	const __m128i tab = _mm_set1_epi8('\t'), x1f = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
	const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), dot = _mm_set1_epi8('.');
	__m128i b, d;
	size_t i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < 4; i++) {
		b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		d = _mm_sub_epi8(b, zero);
		c->tab |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, tab)) << 16 * i;
		c->ctl |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(_mm_max_epu8(b, x1f), x1f), _mm_cmpeq_epi8(b, del))) << 16 * i;
		c->digit |= (uint64_t)(unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_max_epu8(d, nine), nine)) << 16 * i;
		c->dot |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, dot)) << 16 * i;
	}
}

/* Bits from..to-1. */
static uint64_t
span(size_t from, size_t to)
{
	return (to == 64 ? ~0ULL : (1ULL << to) - 1) & ~((1ULL << from) - 1);
}

/* qty at bits from..to-1: 1 to 18 digits, no sign (the scalar scan takes the rest). */
static int
masked_qty(struct logrec *r, const char *p, size_t from, size_t to, const struct classes *c)
{
	int64_t v = 0;
	size_t i;

	if (to - from > 18 || (c->digit & span(from, to)) != span(from, to))
		return scan_qty(r, p + from, p + to + 1) == p + to + 1;
	for (i = from; i < to; i++)
		v = v * 10 + (p[i] - '0');
	r->qty = v;
	return 1;
}

/* total_price at bits from..to-1: digits with at most one '.' between two of them. */
static int
masked_price(struct logrec *r, const char *p, size_t from, size_t to, const struct classes *c)
{
	uint64_t all = span(from, to), dot = c->dot & all;

	if ((c->digit & all) == all && to - from <= 18)
		return 1;
	if ((dot & (dot - 1)) == 0 && dot != 0 && ((c->digit | dot) & all) == all &&
	    (dot & (1ULL << from | 1ULL << (to - 1))) == 0 && to - from <= 19)
		return 1;
	return scan_price(&r->f[F_PRICE], p + from, p + to + 1) == p + to + 1;
}

/* The timestamp: epoch seconds of 8 to 11 digits, always in range, at once; any other form by ts_parse. */
static int
masked_time(struct logrec *r, const char *p, size_t n, const struct classes *c)
{
	int64_t v;
	size_t i;

	if (n < 8 || n > 11 || (c->digit & span(0, n)) != span(0, n))
		return ts_parse(p, n, &r->ts) == NULL;
	v = digits8(p);
	for (i = 8; i < n; i++)
		v = v * 10 + (p[i] - '0');
	r->ts.sec = v;
	r->ts.nsec = 0;
	return 1;
}

/*
 * A line of len bytes, at most 64, classified in c: the six tabs are found and
 * the ids are proved free of control bytes at once; what is left is the
 * numbers, whose digits are known too.
 */
static inline __attribute__((always_inline)) int
scan_masked(struct logrec *r, const char *p, size_t len, const struct classes *c)
{
	uint64_t keep = span(0, len), tab = c->tab & keep, t = tab;
	size_t at[NFIELDS + 1], i;

	/*
	 * Six tabs (five taken off leave one) and no other control byte; no
	 * field empty: no tab first, last, or next to another.
	 */
	for (i = 1; i < NFIELDS - 1; i++)
		t &= t - 1;
	if (len == 0 || (c->ctl & keep) != tab || t == 0 || (t & (t - 1)) != 0 ||
	    (tab & (tab >> 1 | 1 | 1ULL << (len - 1))) != 0)
		return 0;
	t = tab;
	at[0] = 0;
	for (i = 1; i < NFIELDS; i++) {	/* unrolled: a fixed count */
		at[i] = (size_t)__builtin_ctzll(t) + 1;
		t &= t - 1;
	}
	at[NFIELDS] = len + 1;
	for (i = 0; i < NFIELDS; i++) {
		r->f[i].p = p + at[i];
		r->f[i].len = at[i + 1] - at[i] - 1;
	}
	return masked_time(r, p, r->f[F_TIMESTAMP].len, c) &&
	    masked_qty(r, p, at[F_QTY], at[F_PRICE] - 1, c) &&
	    masked_price(r, p, at[F_PRICE], at[F_SELLER] - 1, c);
}

/* A line of at most 64 bytes with 64 readable at p. */
static int
scan_short(struct logrec *r, const char *p, size_t len)
{
	struct classes c;

	classify64(p, &c);
	return scan_masked(r, p, len, &c);
}
#endif

/*
 * The fast path straight from a read buffer: if the n bytes at p (n > 0; 64
 * may be read whatever n) begin with a line of at most 64 bytes that ends in
 * a newline and that logrec_scan takes, fill r and return the line's length
 * without the newline; else -1, and the caller takes the line the slow way.
 * It saves finding the newline first: the same classification finds it.
 */
long
logrec_scan_line(struct logrec *r, const char *p, size_t n)
{
#ifdef __SSE2__
	struct classes c;
	uint64_t other;
	size_t len;

	classify64(p, &c);
	if ((other = c.ctl & ~c.tab) == 0)
		return -1;
	len = (size_t)__builtin_ctzll(other);
	if (len >= n || p[len] != '\n' || !scan_masked(r, p, len, &c))
		return -1;
	return (long)len;
#else
	(void)r, (void)p, (void)n;
	return -1;
#endif
}

/*
 * Parse a TSV log line (without newline; a final '\r' is dropped) that is
 * valid, filling r as logrec_split and logrec_check would. Returns 1, or 0
 * when the line is not one this path takes: the caller then runs the full
 * checks, which accept or reject it and say why. It never accepts a line the
 * full checks reject. Bytes up to p + avail (avail >= len) may be read, and
 * are, whatever they hold, in blocks.
 */
int
logrec_scan(struct logrec *r, const char *p, size_t len, size_t avail)
{
	const char *end = p + len, *tab;

	if (len > 0 && end[-1] == '\r')
		end--, len--;
#ifdef __SSE2__
	if (len <= 64 && avail >= 64)
		return scan_short(r, p, len);
#else
	(void)avail;
#endif
	if ((tab = memchr(p, '\t', (size_t)(end - p))) == NULL ||
	    ts_parse(p, (size_t)(tab - p), &r->ts) != NULL)
		return 0;
	r->f[F_TIMESTAMP].p = p;
	r->f[F_TIMESTAMP].len = (size_t)(tab - p);
	p = tab + 1;
	if ((p = scan_id(&r->f[F_PRODUCT], p, end, 0)) == NULL ||
	    (p = scan_id(&r->f[F_CATEGORY], p, end, 0)) == NULL ||
	    (p = scan_qty(r, p, end)) == NULL ||
	    (p = scan_price(&r->f[F_PRICE], p, end)) == NULL ||
	    (p = scan_id(&r->f[F_SELLER], p, end, 0)) == NULL ||
	    scan_id(&r->f[F_BUYER], p, end, 1) == NULL)
		return 0;
	return 1;
}
