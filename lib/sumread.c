/* sumread: the intermediate "category_id TAB product_id TAB sum" stream, checked for form and order. */
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>

#include "ident.h"
#include "msg.h"
#include "number.h"
#include "out.h"
#include "sumread.h"

static const char *const names[] = {
	[SUMREC_CATEGORY] = "category_id", [SUMREC_PRODUCT] = "product_id", [SUMREC_SUM] = "sum"
};

/*
 * Operands are read as one stream, as cat(1) would join them. With unique,
 * keys must strictly increase (sr-topk: one line per key); otherwise they
 * may repeat (sr-reduce: sums to add up).
 */
void
sumread_init(struct sumread *sr, char **operands, int unique)
{
	memset(sr, 0, sizeof *sr);
	sr->operands = operands;
	sr->unique = unique;
}

/*
 * Stop at a bad line: name:lineno, the field (a SUMREC_ number, or -1 for
 * the line as a whole), what is wrong, and the n bytes of value v, as
 * warn_at writes every data message; status 1.
 */
noreturn void
sumrec_fail_at(const char *name, uint64_t lineno, int field, const char *why, const char *v, size_t n)
{
	warn_at(name, lineno, field, field < 0 ? NULL : names[field], why, v, n);
	exit(EXIT_DATA);
}

static noreturn void
bad(const struct sumread *sr, int field, const char *why, const char *v, size_t n)
{
	sumrec_fail_at(sr->lr.name, sr->lr.lineno, field, why, v, n);
}

/* Open the next operand; 0 when there is none left. */
static int
next_operand(struct sumread *sr)
{
	if (sr->lr.buf != NULL)
		lr_close(&sr->lr);
	if (!sr->opened) {
		sr->opened = 1;
		if (*sr->operands == NULL)
			return lr_open(&sr->lr, NULL) == 0;
	}
	while (*sr->operands != NULL) {
		if (lr_open(&sr->lr, *sr->operands++) == 0)
			return 1;
		sr->status = EXIT_DATA;
	}
	return 0;
}

/*
 * Parse one intermediate line into r. Returns NULL, or the problem with
 * *field set to the bad field's index (-1 for the line as a whole).
 */
const char *
sumrec_parse(const char *p, size_t len, struct sumrec *r, int *field)
{
	const char *end = p + len, *t1, *t2, *why;

	*field = -1;
	if ((t1 = memchr(p, '\t', len)) == NULL ||
	    (t2 = memchr(t1 + 1, '\t', (size_t)(end - t1 - 1))) == NULL)
		return "too few fields (want 3: category_id, product_id, sum)";
	if (memchr(t2 + 1, '\t', (size_t)(end - t2 - 1)) != NULL)
		return "too many fields (want 3: category_id, product_id, sum)";
	r->cat = p, r->catlen = (size_t)(t1 - p);
	r->prod = t1 + 1, r->prodlen = (size_t)(t2 - t1 - 1);
	r->sumtext = t2 + 1, r->sumlen = (size_t)(end - t2 - 1);
	if ((why = ident_check(r->cat, r->catlen)) != NULL)
		return *field = SUMREC_CATEGORY, why;
	if ((why = ident_check(r->prod, r->prodlen)) != NULL)
		return *field = SUMREC_PRODUCT, why;
	if ((why = parse_i64(r->sumtext, r->sumlen, &r->sum)) != NULL)
		return *field = SUMREC_SUM, why;
	return NULL;
}

/*
 * The fast path straight from a read buffer: if the n bytes at p begin with a
 * whole line "id TAB id TAB sum" that sumrec_parse would take, with a sum of
 * at most 18 digits, fill r, set *len to the line's length without its
 * newline, and return 1; else 0, and the line takes the full parse. One pass,
 * and no search for the newline first. LR_PAD bytes past p + n may be read,
 * as a read buffer has them, whatever they hold.
 */

/* sumrec_scan for a line sumrec_scan32 has not taken: longer than 32 bytes, or not one it takes. */
static int
scan_long(const char *p, size_t n, struct sumrec *r, size_t *len)
{
	const char *end = p + n, *t1, *t2, *q, *d;
	int64_t v = 0;

	t1 = ident_end(p, end);
	if (t1 == p || t1 == end || *t1 != '\t' || t1 - p > IDENT_MAX)
		return 0;
	t2 = ident_end(t1 + 1, end);
	if (t2 == t1 + 1 || t2 == end || *t2 != '\t' || t2 - t1 - 1 > IDENT_MAX)
		return 0;
	q = t2 + 1;
	q += q < end && (*q == '-' || *q == '+');
	for (d = q; q < end && *q >= '0' && *q <= '9' && q - d < 18; q++)
		v = v * 10 + (*q - '0');
	if (q == d || q == end || *q != '\n')
		return 0;
	r->cat = p, r->catlen = (size_t)(t1 - p);
	r->prod = t1 + 1, r->prodlen = (size_t)(t2 - t1 - 1);
	r->sumtext = t2 + 1, r->sumlen = (size_t)(q - t2 - 1);
	r->sum = *r->sumtext == '-' ? -v : v;
	*len = (size_t)(q - p);
	return 1;
}

int
sumrec_scan(const char *p, size_t n, struct sumrec *r, size_t *len)
{
	return sumrec_scan32(p, n, r, len) > 0 || scan_long(p, n, r, len);
}

static void
parse(struct sumread *sr, const struct line *l, struct sumrec *r)
{
	static const char *const empty = "";
	const char *why, *v[3];
	size_t n[3];
	int field;

	if ((why = sumrec_parse(l->p, l->len, r, &field)) == NULL)
		return;
	v[0] = r->cat, v[1] = r->prod, v[2] = r->sumtext;
	n[0] = r->catlen, n[1] = r->prodlen, n[2] = r->sumlen;
	bad(sr, field, why, field < 0 ? empty : v[field], field < 0 ? 0 : n[field]);
}

/* Keys must come in byte order: anything else means a skipped or broken sort. */
static void
check_order(struct sumread *sr, struct sumrec *r)
{
	size_t len = r->catlen + 1 + r->prodlen;
	int c = bytes_cmp(r->cat, len, sr->prev, sr->prevlen);

	if (sr->prevlen > 0 && (c < 0 || (c == 0 && sr->unique)))
		bad(sr, -1, c < 0 ? "input is not sorted (run sr-sort first)" :
		    "key repeated (run sr-reduce first)", NULL, 0);
	r->samekey = sr->prevlen > 0 && c == 0;
	if (r->samekey)
		return;
	lr_copy(sr->prev, r->cat, len);
	sr->prevlen = len;
}

/* sumread_line, the whole of it: every line sumrec_scan32 does not take. */
int
sumread_line_slow(struct sumread *sr, struct sumrec *r)
{
	struct line l;
	size_t n;
	int rc;

	if (!sr->opened && !next_operand(sr))
		return 0;
	/* sumread_line has tried sumrec_scan32 on what is unread (none, just opened). */
	if ((n = lr_unread(&sr->lr, &l.p)) > 0 && scan_long(l.p, n, r, &l.len)) {
		lr_take(&sr->lr, l.len);
		return 1;
	}
	while ((rc = lr_next(&sr->lr, &l)) <= 0) {
		if (rc < 0)
			sr->status = EXIT_DATA;
		if (!next_operand(sr))
			return 0;
	}
	if (l.more)
		bad(sr, -1, "line too long", NULL, 0);
	parse(sr, &l, r);
	return 1;
}

/* The next record, 1; or 0 at the end of the last operand. Bad input is fatal. */
int
sumread_next(struct sumread *sr, struct sumrec *r)
{
	if (!sumread_line(sr, r))
		return 0;
	check_order(sr, r);
	return 1;
}

/* Stop at the line last read with a message: why, about the sum if sum, else the line. */
void
sumread_fail(const struct sumread *sr, const struct sumrec *r, int sum, const char *why)
{
	if (sum)
		bad(sr, SUMREC_SUM, why, r->sumtext, r->sumlen);
	bad(sr, -1, why, NULL, 0);
}

/* One intermediate line: key is "category_id TAB product_id". */
void
sumrec_write(const char *key, size_t len, int64_t sum)
{
	out_write(key, len);
	out_char('\t');
	out_i64(sum);
	out_char('\n');
}
