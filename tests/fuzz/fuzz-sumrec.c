/* fuzz-sumrec: libFuzzer target for the intermediate "category TAB product TAB sum" line parser. */
#include "fuzz.h"
#include "ident.h"
#include "number.h"
#include "sumread.h"

static size_t
count_tabs(const char *p, size_t n)
{
	size_t i, tabs = 0;

	for (i = 0; i < n; i++)
		tabs += p[i] == '\t';
	return tabs;
}

/* The three fields joined by tabs are the line, byte for byte. */
static void
check_rejoin(const struct sumrec *r, const char *buf, size_t size)
{
	CHECK(r->catlen + r->prodlen + r->sumlen + 2 == size);
	CHECK(r->cat == buf && r->prod == buf + r->catlen + 1 &&
	    r->sumtext == r->prod + r->prodlen + 1);
	CHECK(memcmp(r->cat, buf, r->catlen) == 0 && buf[r->catlen] == '\t');
	CHECK(memcmp(r->prod, buf + r->catlen + 1, r->prodlen) == 0 &&
	    buf[r->catlen + 1 + r->prodlen] == '\t');
	CHECK(memcmp(r->sumtext, buf + size - r->sumlen, r->sumlen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = input_copy(data, size), *padded;
	struct sumrec r, fast;
	size_t len, i;
	int64_t v;
	int field = 99;
	const char *why;

	memset(&r, 0xa5, sizeof r);
	why = sumrec_parse(buf, size, &r, &field);
	CHECK(field >= -1 && field <= 2);
	CHECK((why != NULL && field == -1) == (count_tabs(buf, size) != 2));
	if (why == NULL) {
		CHECK(field == -1);
		CHECK(ident_check(r.cat, r.catlen) == NULL);
		CHECK(ident_check(r.prod, r.prodlen) == NULL);
		CHECK(parse_i64(r.sumtext, r.sumlen, &v) == NULL && v == r.sum);
	}
	if (why == NULL || field >= 0) {
		CHECK(within(buf, size, r.cat, r.catlen));
		CHECK(within(buf, size, r.prod, r.prodlen));
		CHECK(within(buf, size, r.sumtext, r.sumlen));
		check_rejoin(&r, buf, size);
	}
	/*
	 * The fast path takes only a first line that the full parse takes, with
	 * the same fields. It may read LR_PAD bytes past the n it is given, as a
	 * read buffer has them: here tabs, digits and newlines, which a careless
	 * mask would take for the line's.
	 */
	if ((padded = malloc(size + LR_PAD)) == NULL)
		abort();
	if (size > 0)
		memcpy(padded, buf, size);
	for (i = 0; i < LR_PAD; i++)
		padded[size + i] = "\t7\n"[i % 3];
	if (sumrec_scan(padded, size, &fast, &len)) {
		CHECK(len < size && padded[len] == '\n');
		CHECK(sumrec_parse(padded, len, &r, &field) == NULL);
		CHECK(fast.cat == r.cat && fast.catlen == r.catlen && fast.prod == r.prod &&
		    fast.prodlen == r.prodlen && fast.sumtext == r.sumtext && fast.sumlen == r.sumlen &&
		    fast.sum == r.sum);
	}
	free(padded);
	free(buf);
	return 0;
}
