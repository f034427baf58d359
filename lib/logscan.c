/* logscan: the fast path of the log-line parser, one pass over a line that is valid. */
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ident.h"
#include "logscan.h"

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * The first byte at or after p that cannot be in an id (below 0x20, or 0x7f),
 * or end. Eight bytes a word: of the bytes the masks flag, the lowest is
 * always a true one, so counting trailing zeros finds it.
 */
static const char *
id_end(const char *p, const char *end)
{
	uint64_t w, m;

	for (; end - p >= 8; p += 8) {
		memcpy(&w, p, 8);
		m = ((w - 0x20 * ONES) & ~w & HIGHS) | ((((w ^ 0x7f * ONES) - ONES) & ~(w ^ 0x7f * ONES)) & HIGHS);
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

/* An id ending at a tab (or at end when last): its end, or NULL. */
static const char *
scan_id(struct field *f, const char *p, const char *end, int last)
{
	const char *q = id_end(p, end);

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
/*
 * Bit i set when byte i of the 64 at p is a tab, in *tab, or cannot be in an
 * id (below 0x20, or 0x7f; tabs too), in *ctl.
 */
static void
classify64(const char *p, uint64_t *tab, uint64_t *ctl)
{
	const __m128i t = _mm_set1_epi8('\t'), c = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
	__m128i b;
	uint64_t tm = 0, cm = 0;
	size_t i;

	for (i = 0; i < 4; i++) {
		b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		tm |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, t)) << 16 * i;
		cm |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(_mm_max_epu8(b, c), c), _mm_cmpeq_epi8(b, del))) << 16 * i;
	}
	*tab = tm;
	*ctl = cm;
}

/*
 * A line of at most 64 bytes with 64 readable at p: one classification finds
 * the six tabs and proves the ids free of control bytes; what is left is the
 * numbers.
 */
static int
scan_short(struct logrec *r, const char *p, size_t len)
{
	uint64_t tab, ctl, keep = len == 64 ? ~0ULL : (1ULL << len) - 1;
	size_t at[NFIELDS + 1], i;
	const char *q;

	classify64(p, &tab, &ctl);
	tab &= keep;
	if ((ctl & keep) != tab)
		return 0;
	at[0] = 0;
	for (i = 1; i < NFIELDS; i++) {
		if (tab == 0)
			return 0;
		at[i] = (size_t)__builtin_ctzll(tab) + 1;
		tab &= tab - 1;
	}
	if (tab != 0)
		return 0;
	at[NFIELDS] = len + 1;
	for (i = 0; i < NFIELDS; i++) {
		r->f[i].p = p + at[i];
		r->f[i].len = at[i + 1] - at[i] - 1;
		if (r->f[i].len == 0)
			return 0;
	}
	q = p + at[F_QTY];
	return ts_parse(p, r->f[F_TIMESTAMP].len, &r->ts) == NULL &&
	    scan_qty(r, q, p + len) == q + r->f[F_QTY].len + 1 &&
	    scan_price(&r->f[F_PRICE], p + at[F_PRICE], p + len) == p + at[F_SELLER];
}
#endif

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
