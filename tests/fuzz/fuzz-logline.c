/* fuzz-logline: libFuzzer target for the TSV log line: splitting, the header test, the field checks. */
#include <errno.h>

#include "fuzz.h"
#include "ident.h"
#include "logrec.h"
#include "msg.h"
#include "number.h"

/* The line without a final '\r' is exactly LOG_HEADER. */
static int
is_header_text(const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n == strlen(LOG_HEADER) && memcmp(p, LOG_HEADER, n) == 0;
}

/* Fields are consecutive tab-free spans of the buffer, starting at its start. */
static void
check_split(const struct logrec *r, size_t nf, const char *buf, size_t size)
{
	size_t kept = nf < NFIELDS ? nf : NFIELDS, i, sum = 0, tabs = 0;
	const char *end;

	for (i = 0; i < size; i++)
		tabs += buf[i] == '\t';
	CHECK(nf == tabs + 1);
	CHECK(r->f[0].p == buf);
	for (i = 0; i < kept; i++) {
		CHECK(within(buf, size, r->f[i].p, r->f[i].len));
		CHECK(memchr(r->f[i].p, '\t', r->f[i].len) == NULL);
		if (i > 0)
			CHECK(r->f[i].p == r->f[i - 1].p + r->f[i - 1].len + 1);
		sum += r->f[i].len;
	}
	CHECK(sum + kept - 1 <= size);
	if (nf <= NFIELDS) {
		end = r->f[kept - 1].p + r->f[kept - 1].len;
		CHECK(end == buf + size || (end == buf + size - 1 && buf[size - 1] == '\r'));
	}
}

/* The qty field as strtoll reads it: the parser's value, by another route. */
static int64_t
qty_by_strtoll(const struct field *f)
{
	char *s = malloc(f->len + 1);
	long long v;

	if (s == NULL)
		abort();
	memcpy(s, f->p, f->len);
	s[f->len] = '\0';
	errno = 0;
	v = strtoll(s, NULL, 10);
	CHECK(errno == 0);
	free(s);
	return v;
}

static void
check_record(struct logrec *r)
{
	char q[96];
	int field = -1, i;

	if (logrec_check(r, &field) != NULL) {
		CHECK(field >= 0 && field < NFIELDS);
		quote(q, sizeof q, r->f[field].p, r->f[field].len);
		CHECK(strlen(q) < sizeof q && q[0] == '\'' && no_controls(q, strlen(q)));
		return;
	}
	CHECK(r->ts.sec >= INSTANT_MIN_SEC && r->ts.sec <= INSTANT_MAX_SEC);
	CHECK(r->ts.nsec >= 0 && r->ts.nsec < 1000000000);
	CHECK(r->qty == qty_by_strtoll(&r->f[F_QTY]));
	CHECK(check_decimal(r->f[F_PRICE].p, r->f[F_PRICE].len) == NULL);
	for (i = 0; i < NFIELDS; i++) {
		if (i == F_PRODUCT || i == F_CATEGORY || i == F_SELLER || i == F_BUYER)
			CHECK(ident_check(r->f[i].p, r->f[i].len) == NULL);
		CHECK(r->f[i].len > 0 && no_controls(r->f[i].p, r->f[i].len));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = input_copy(data, size);
	struct logrec r;
	size_t nf;

	/* Garbage, so that a field or value left unset is seen. */
	memset(&r, 0xa5, sizeof r);
	nf = logrec_split(&r, buf, size);
	check_split(&r, nf, buf, size);
	CHECK(fields_are_header(r.f, nf) == is_header_text(buf, size));
	if (nf == NFIELDS)
		check_record(&r);
	free(buf);
	return 0;
}
