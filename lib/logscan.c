/* logscan: the fast path of the log-line parser, one pass over a line that is valid. */
#include <stdint.h>
#include <string.h>

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

/*
 * Parse a TSV log line (without newline; a final '\r' is dropped) that is
 * valid, filling r as logrec_split and logrec_check would. Returns 1, or 0
 * when the line is not one this path takes: the caller then runs the full
 * checks, which accept or reject it and say why. It never accepts a line the
 * full checks reject.
 */
int
logrec_scan(struct logrec *r, const char *p, size_t len)
{
	const char *end = p + len, *tab;

	if (len > 0 && end[-1] == '\r')
		end--;
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
