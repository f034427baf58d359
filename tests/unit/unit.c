/* unit: table-driven tests of lib/ (timestamps, numbers, ids, keytab, topk, heap, radix sort, window); exit 0 iff all pass. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "ident.h"
#include "keypack.h"
#include "keytab.h"
#include "msg.h"
#include "number.h"
#include "radix.h"
#include "timestamp.h"
#include "topk.h"
#include "window.h"

/* A string literal as pointer and length, so ids with a NUL inside keep their length. */
#define S(lit) lit, sizeof lit - 1

/* 2026-11-25T19:04:05Z, the example timestamp of the error messages. */
#define T0 1795633445LL
#define NS_MAX 999999999

static int npass, nfail;

static void check_at(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Counts one check; a failure names the line of the test, or of the table row, and what differed. */
static void
check_at(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		npass++;
		return;
	}
	nfail++;
	printf("FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define CHECK(ok, ...) check_at((ok), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_ROW(line, ok, ...) check_at((ok), __FILE__, (line), __VA_ARGS__)

/* An expected error is matched by a substring, so messages may gain detail without breaking tests. */
static int
why_matches(const char *why, const char *want)
{
	if (want == NULL)
		return why == NULL;
	return why != NULL && strstr(why, want) != NULL;
}

static const char *
show(const char *why)
{
	return why != NULL ? why : "(ok)";
}

/* Bytes made printable for a failure message; one static buffer, so one use per message. */
static const char *
q(const char *p, size_t n)
{
	static char buf[128];

	return quote(buf, sizeof buf, p, n);
}

static const char *
q2(const char *p, size_t n)
{
	static char buf[128];

	return quote(buf, sizeof buf, p, n);
}

/* ---- timestamp ---- */

struct ts_case {
	const char *in;
	int64_t sec;
	int32_t nsec;
	const char *err;	/* NULL: parses to sec, nsec */
	int line;
};

#define TS_OK(in, sec, nsec) { in, sec, nsec, NULL, __LINE__ }
#define TS_ERR(in, err) { in, 0, 0, err, __LINE__ }

static const struct ts_case ts_cases[] = {
	TS_OK("2026-11-25T19:04:05Z", T0, 0),
	TS_OK("2026-11-25t19:04:05z", T0, 0),
	TS_OK("2026-11-25 19:04:05Z", T0, 0),
	TS_OK("2026-11-25T19:04:05.1Z", T0, 100000000),
	TS_OK("2026-11-25T19:04:05.12Z", T0, 120000000),
	TS_OK("2026-11-25T19:04:05.123Z", T0, 123000000),
	TS_OK("2026-11-25T19:04:05.1234Z", T0, 123400000),
	TS_OK("2026-11-25T19:04:05.12345Z", T0, 123450000),
	TS_OK("2026-11-25T19:04:05.123456Z", T0, 123456000),
	TS_OK("2026-11-25T19:04:05.1234567Z", T0, 123456700),
	TS_OK("2026-11-25T19:04:05.12345678Z", T0, 123456780),
	TS_OK("2026-11-25T19:04:05.123456789Z", T0, 123456789),
	TS_OK("2026-11-25T19:04:05.000000001Z", T0, 1),
	TS_OK("2026-11-25T19:04:05.999999999Z", T0, NS_MAX),
	TS_ERR("2026-11-25T19:04:05.1234567890Z", "more than 9 fraction digits"),
	TS_ERR("2026-11-25T19:04:05.Z", "no digits after the decimal point"),
	TS_OK("2026-11-25T19:04:05+05:30", T0 - 19800, 0),
	TS_OK("2026-11-25T19:04:05.5-00:00", T0, 500000000),
	TS_OK("2026-11-25T02:00:00+05:30", 1795552200, 0),	/* the day before in UTC */
	TS_OK("2026-11-25T20:00:00-08:00", 1795665600, 0),	/* the day after in UTC */
	TS_OK("2027-01-01T00:59:59+01:00", 1798761599, 0),	/* the year before in UTC */
	TS_ERR("2026-11-25T19:04:05+0530", "colon"),
	TS_ERR("2026-11-25T19:04:05+24:00", "UTC offset out of range"),
	TS_ERR("2026-11-25T19:04:05+05:60", "UTC offset out of range"),
	TS_ERR("2026-11-25T19:04:05+5:30", "bad UTC offset"),
	TS_ERR("2026-11-25T19:04:05Zjunk", "bad UTC offset"),
	TS_ERR("2026-11-25T19:04:05.5", "no UTC offset"),
	TS_ERR("2026-11-25T19:04:05", "not a timestamp"),
	TS_OK("2026-12-31T23:59:60Z", 1798761599, NS_MAX),
	TS_OK("2026-12-31T23:59:60.5Z", 1798761599, NS_MAX),
	TS_ERR("2026-12-31T23:59:61Z", "time of day out of range"),
	TS_OK("2024-02-29T00:00:00Z", 1709164800, 0),
	TS_OK("2024-03-01T00:00:00Z", 1709251200, 0),
	TS_ERR("2023-02-29T00:00:00Z", "date out of range"),
	TS_OK("2000-02-29T00:00:00Z", 951782400, 0),
	TS_ERR("1900-02-29T00:00:00Z", "date out of range"),
	TS_OK("1900-01-01T00:00:00Z", -2208988800LL, 0),
	TS_ERR("2026-13-01T00:00:00Z", "date out of range"),
	TS_ERR("2026-00-01T00:00:00Z", "date out of range"),
	TS_ERR("2026-01-32T00:00:00Z", "date out of range"),
	TS_ERR("2026-04-31T00:00:00Z", "date out of range"),
	TS_ERR("2026-01-00T00:00:00Z", "date out of range"),
	TS_ERR("2026-11-25T24:00:00Z", "time of day out of range"),
	TS_ERR("2026-11-25T23:60:00Z", "time of day out of range"),
	TS_OK("0000-01-01T00:00:00Z", INSTANT_MIN_SEC, 0),
	TS_OK("0000-02-29T00:00:00Z", INSTANT_MIN_SEC + 59 * 86400, 0),
	TS_OK("0000-01-01T05:00:00+05:00", INSTANT_MIN_SEC, 0),
	TS_ERR("0000-01-01T00:00:00+00:01", "out of range"),
	TS_OK("0001-01-01T00:00:00Z", -62135596800LL, 0),
	TS_OK("9999-12-31T23:59:59.999999999Z", INSTANT_MAX_SEC, NS_MAX),
	TS_ERR("9999-12-31T23:59:59-00:01", "out of range"),
	TS_OK("1795996800", 1795996800, 0),
	TS_OK("1795996800.5", 1795996800, 500000000),
	TS_OK("0", 0, 0),
	TS_OK("-0", 0, 0),
	TS_OK("-1", -1, 0),
	TS_OK("-1.5", -2, 500000000),
	TS_OK("-0.5", -1, 500000000),
	TS_OK("0.000000001", 0, 1),
	TS_OK("253402300799.999999999", INSTANT_MAX_SEC, NS_MAX),
	TS_OK("-62167219200", INSTANT_MIN_SEC, 0),
	TS_ERR("253402300800", "out of range"),
	TS_ERR("-62167219201", "out of range"),
	TS_ERR("-62167219200.5", "out of range"),
	TS_ERR("999999999999999", "out of range"),
	TS_ERR("99999999999999999999999999", "out of range"),
	TS_ERR("1.1234567890", "more than 9 fraction digits"),
	TS_ERR("1.", "no digits after the decimal point"),
	TS_ERR("", "empty"),
	TS_ERR("-", "not a timestamp"),
	TS_ERR("+5", "not a timestamp"),
	TS_ERR(" 1", "not a timestamp"),
	TS_ERR("1 ", "not a timestamp"),
	TS_ERR(".5", "not a timestamp"),
	TS_ERR("1e9", "not a timestamp"),
	TS_ERR("abc", "not a timestamp"),
	TS_ERR("2026-11-25", "not a timestamp"),
	TS_ERR("2026/11/25T19:04:05Z", "not a timestamp"),
	TS_ERR("2026-11-25X19:04:05Z", "not a timestamp"),
	TS_ERR("2026-1a-25T19:04:05Z", "not a timestamp"),
	TS_ERR("2026-11-25T19-04-05Z", "not a timestamp"),
	TS_ERR("20261125T190405Z", "not a timestamp"),
	TS_ERR("+026-11-25T19:04:05Z", "not a timestamp"),
};

static void
test_ts_parse(void)
{
	const struct ts_case *c;
	struct instant t;
	const char *why;

	for (c = ts_cases; c < ts_cases + sizeof ts_cases / sizeof *ts_cases; c++) {
		t.sec = -12345, t.nsec = -1;
		why = ts_parse(c->in, strlen(c->in), &t);
		if (c->err != NULL) {
			CHECK_ROW(c->line, why_matches(why, c->err), "ts_parse('%s'): got %s, want error '%s'",
			    c->in, show(why), c->err);
			continue;
		}
		CHECK_ROW(c->line, why == NULL && t.sec == c->sec && t.nsec == c->nsec,
		    "ts_parse('%s'): got %s %" PRId64 ".%09" PRId32 ", want %" PRId64 ".%09" PRId32,
		    c->in, show(why), t.sec, t.nsec, c->sec, c->nsec);
	}
}

/* Fields are not NUL-terminated: the parser must stop at n, not at a terminator. */
static void
test_ts_length(void)
{
	static const char line[] = "2026-11-25T19:04:05Z\t1795996800.5\t";
	struct instant t;
	const char *why;

	why = ts_parse(line, 20, &t);
	CHECK(why == NULL && t.sec == T0 && t.nsec == 0, "rfc3339 field: %s", show(why));
	why = ts_parse(line + 21, 12, &t);
	CHECK(why == NULL && t.sec == 1795996800 && t.nsec == 500000000, "epoch field: %s", show(why));
	why = ts_parse(line + 21, 10, &t);
	CHECK(why == NULL && t.sec == 1795996800 && t.nsec == 0, "epoch prefix: %s", show(why));
	why = ts_parse(line, 19, &t);
	CHECK(why != NULL, "timestamp cut before its offset was accepted");
}

static const struct {
	struct instant t;
	const char *want;
	int line;
} fmt_cases[] = {
	{ { T0, 0 }, "2026-11-25T19:04:05Z", __LINE__ },
	{ { T0, 500000000 }, "2026-11-25T19:04:05.500000000Z", __LINE__ },
	{ { T0, 1 }, "2026-11-25T19:04:05.000000001Z", __LINE__ },
	{ { 0, 0 }, "1970-01-01T00:00:00Z", __LINE__ },
	{ { -1, 0 }, "1969-12-31T23:59:59Z", __LINE__ },
	{ { -2, 500000000 }, "1969-12-31T23:59:58.500000000Z", __LINE__ },
	{ { -86400, 0 }, "1969-12-31T00:00:00Z", __LINE__ },
	{ { 951782400, 0 }, "2000-02-29T00:00:00Z", __LINE__ },
	{ { -2208988800LL, 0 }, "1900-01-01T00:00:00Z", __LINE__ },
	{ { INSTANT_MIN_SEC, 0 }, "0000-01-01T00:00:00Z", __LINE__ },
	{ { INSTANT_MAX_SEC, NS_MAX }, "9999-12-31T23:59:59.999999999Z", __LINE__ },
};

static void
test_ts_format(void)
{
	char buf[TS_BUFSIZE];
	size_t i;

	for (i = 0; i < sizeof fmt_cases / sizeof *fmt_cases; i++) {
		ts_format(buf, fmt_cases[i].t);
		CHECK_ROW(fmt_cases[i].line, strcmp(buf, fmt_cases[i].want) == 0,
		    "ts_format: got %s, want %s", buf, fmt_cases[i].want);
	}
}

/* Format then parse must give the same instant back; the text is left in buf for a message. */
static int
round_trips(struct instant t, char buf[TS_BUFSIZE], struct instant *u)
{
	u->sec = 0, u->nsec = 0;
	ts_format(buf, t);
	return ts_parse(buf, strlen(buf), u) == NULL && instant_cmp(t, *u) == 0;
}

static void
test_ts_round_trip(void)
{
	const struct ts_case *c;
	char buf[TS_BUFSIZE];
	struct instant t, u;
	int64_t s;
	int ok = 1;

	for (c = ts_cases; c < ts_cases + sizeof ts_cases / sizeof *ts_cases; c++) {
		if (c->err != NULL)
			continue;
		t.sec = c->sec, t.nsec = c->nsec;
		ok = round_trips(t, buf, &u);
		CHECK_ROW(c->line, ok, "round trip via %s gave %" PRId64 ".%09" PRId32,
		    buf, u.sec, u.nsec);
	}
	ok = 1;
	/* A sweep over the whole range, odd steps so every month, weekday and time of day is hit. */
	for (s = INSTANT_MIN_SEC; s <= INSTANT_MAX_SEC && ok; s += 86400LL * 6007 + 3593) {
		t.sec = s, t.nsec = (int32_t)((s % 1000000000 + 1000000000) % 1000000000);
		ok = round_trips(t, buf, &u);
	}
	CHECK(ok, "round-trip sweep: %" PRId64 ".%09" PRId32 " via %s gave %" PRId64 ".%09" PRId32,
	    t.sec, t.nsec, buf, u.sec, u.nsec);
}

static void
test_instant_cmp(void)
{
	static const struct {
		struct instant a, b;
		int want;
		int line;
	} c[] = {
		{ { 0, 0 }, { 0, 0 }, 0, __LINE__ },
		{ { 1, 0 }, { 0, NS_MAX }, 1, __LINE__ },
		{ { 0, 1 }, { 0, 2 }, -1, __LINE__ },
		{ { -1, NS_MAX }, { 0, 0 }, -1, __LINE__ },
		{ { -2, 500000000 }, { -1, 0 }, -1, __LINE__ },
		{ { INSTANT_MIN_SEC, 0 }, { INSTANT_MAX_SEC, NS_MAX }, -1, __LINE__ },
		{ { INT64_MAX, 0 }, { INT64_MIN, 0 }, 1, __LINE__ },
		{ { T0, 5 }, { T0, 5 }, 0, __LINE__ },
	};
	size_t i;
	int ab, ba;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		ab = instant_cmp(c[i].a, c[i].b);
		ba = instant_cmp(c[i].b, c[i].a);
		CHECK_ROW(c[i].line, ab == c[i].want && ba == -c[i].want,
		    "instant_cmp: got %d and %d reversed, want %d", ab, ba, c[i].want);
	}
}

/* ---- number ---- */

static const struct {
	const char *p;
	size_t n;
	int64_t v;
	const char *err;
	int line;
} i64_cases[] = {
#define I64_OK(lit, v) { S(lit), v, NULL, __LINE__ }
#define I64_ERR(lit, err) { S(lit), 0, err, __LINE__ }
	I64_OK("0", 0),
	I64_OK("-0", 0),
	I64_OK("+0", 0),
	I64_OK("+5", 5),
	I64_OK("-5", -5),
	I64_OK("007", 7),
	I64_OK("9223372036854775807", INT64_MAX),
	I64_OK("+9223372036854775807", INT64_MAX),
	I64_OK("-9223372036854775808", INT64_MIN),
	I64_OK("-9223372036854775807", INT64_MIN + 1),
	I64_OK("00000000000000000000009223372036854775807", INT64_MAX),
	I64_ERR("9223372036854775808", "out of range"),
	I64_ERR("-9223372036854775809", "out of range"),
	I64_ERR("9223372036854775810", "out of range"),
	I64_ERR("18446744073709551616", "out of range"),
	I64_ERR("99999999999999999999999", "out of range"),
	I64_ERR("", "empty"),
	I64_ERR("-", "not an integer"),
	I64_ERR("+", "not an integer"),
	I64_ERR("--1", "not an integer"),
	I64_ERR("1x", "not an integer"),
	I64_ERR(" 1", "not an integer"),
	I64_ERR("1 ", "not an integer"),
	I64_ERR("0x10", "not an integer"),
	I64_ERR("1.0", "not an integer"),
	I64_ERR("1e3", "not an integer"),
	I64_ERR("1\0", "not an integer"),
	{ "12345", 3, 123, NULL, __LINE__ },	/* a field ends at n */
	{ "-9x", 2, -9, NULL, __LINE__ },
#undef I64_OK
#undef I64_ERR
};

static void
test_parse_i64(void)
{
	size_t i;
	int64_t v;
	const char *why;

	for (i = 0; i < sizeof i64_cases / sizeof *i64_cases; i++) {
		v = 424242;
		why = parse_i64(i64_cases[i].p, i64_cases[i].n, &v);
		if (i64_cases[i].err != NULL)
			CHECK_ROW(i64_cases[i].line, why_matches(why, i64_cases[i].err),
			    "parse_i64(%s): got %s, want error '%s'",
			    q(i64_cases[i].p, i64_cases[i].n), show(why), i64_cases[i].err);
		else
			CHECK_ROW(i64_cases[i].line, why == NULL && v == i64_cases[i].v,
			    "parse_i64(%s): got %s %" PRId64 ", want %" PRId64,
			    q(i64_cases[i].p, i64_cases[i].n), show(why), v, i64_cases[i].v);
	}
}

/* parse_i64_code, which arg_count decides by: each row's code is the one its message names. */
static void
test_parse_i64_code(void)
{
	static const char *const msgs[] = {
		[NUM_EMPTY] = "empty", [NUM_NOT_INTEGER] = "not an integer",
		[NUM_RANGE] = "out of range for a 64-bit integer",
	};
	enum num_error e;
	size_t i;
	int64_t v;
	const char *why;

	for (i = 0; i < sizeof i64_cases / sizeof *i64_cases; i++) {
		e = parse_i64_code(i64_cases[i].p, i64_cases[i].n, &v);
		why = parse_i64(i64_cases[i].p, i64_cases[i].n, &v);
		CHECK_ROW(i64_cases[i].line, e == NUM_OK ? why == NULL : why != NULL && strcmp(why, msgs[e]) == 0,
		    "parse_i64_code(%s): code %d, message %s", q(i64_cases[i].p, i64_cases[i].n), (int)e, show(why));
	}
}

static const struct {
	const char *p;
	size_t n;
	const char *err;
	int line;
} dec_cases[] = {
#define DEC_OK(lit) { S(lit), NULL, __LINE__ }
#define DEC_ERR(lit, err) { S(lit), err, __LINE__ }
	DEC_OK("20.00"),
	DEC_OK("-3.5"),
	DEC_OK("0"),
	DEC_OK("0.00"),
	DEC_OK("-0"),
	DEC_OK("123456789012345678"),
	DEC_OK("-123456789012345678"),
	DEC_OK("12345678901234567.8"),
	DEC_OK("0.00000000000000001"),
	DEC_ERR("1234567890123456789", "more than 18 digits"),
	DEC_ERR("12345678901234567.89", "more than 18 digits"),
	DEC_ERR("0.000000000000000001", "more than 18 digits"),
	DEC_ERR("1.", "not a decimal number"),
	DEC_ERR(".5", "not a decimal number"),
	DEC_ERR("-.5", "not a decimal number"),
	DEC_ERR(".", "not a decimal number"),
	DEC_ERR("1e5", "not a decimal number"),
	DEC_ERR("1.2.3", "not a decimal number"),
	DEC_ERR("1,000", "not a decimal number"),
	DEC_ERR("--1", "not a decimal number"),
	DEC_ERR(" 1", "not a decimal number"),
	DEC_ERR("1 ", "not a decimal number"),
	DEC_ERR("1\0", "not a decimal number"),
	DEC_ERR("", "empty"),
	DEC_ERR("-", "not a decimal number"),
	{ "20.00x", 5, NULL, __LINE__ },	/* a field ends at n */
	{ "20.", 3, "not a decimal number", __LINE__ },
#undef DEC_OK
#undef DEC_ERR
};

static void
test_check_decimal(void)
{
	size_t i;
	const char *why;

	for (i = 0; i < sizeof dec_cases / sizeof *dec_cases; i++) {
		why = check_decimal(dec_cases[i].p, dec_cases[i].n);
		CHECK_ROW(dec_cases[i].line, why_matches(why, dec_cases[i].err),
		    "check_decimal(%s): got %s, want %s", q(dec_cases[i].p, dec_cases[i].n),
		    show(why), show(dec_cases[i].err));
	}
}

/* ---- ident ---- */

static const struct {
	const char *p;
	size_t n;
	const char *err;
	int line;
} idck_cases[] = {
#define ID_OK(lit) { S(lit), NULL, __LINE__ }
#define ID_ERR(lit, err) { S(lit), err, __LINE__ }
	ID_OK("P123"),
	ID_OK("0"),
	ID_OK("a b"),
	ID_OK("~"),
	ID_OK("caf\xc3\xa9"),
	ID_OK("\xe2\x82\xac"),
	ID_OK("\xff\xfe"),
	ID_OK("\x80"),
	ID_OK("\xc3"),
	ID_ERR("", "empty"),
	ID_ERR("a\tb", "control character"),
	ID_ERR("a\0b", "control character"),
	ID_ERR("\0", "control character"),
	ID_ERR("ab\n", "control character"),
	ID_ERR("\r", "control character"),
	ID_ERR("\x1f", "control character"),
	ID_ERR("a\x7f", "control character"),
	{ "ab\tc", 2, NULL, __LINE__ },	/* a field ends at n */
#undef ID_OK
#undef ID_ERR
};

static void
test_ident_check(void)
{
	char buf[IDENT_MAX + 2];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof idck_cases / sizeof *idck_cases; i++) {
		why = ident_check(idck_cases[i].p, idck_cases[i].n);
		CHECK_ROW(idck_cases[i].line, why_matches(why, idck_cases[i].err),
		    "ident_check(%s): got %s, want %s", q(idck_cases[i].p, idck_cases[i].n),
		    show(why), show(idck_cases[i].err));
	}
	memset(buf, 'x', sizeof buf);
	why = ident_check(buf, IDENT_MAX);
	CHECK(why == NULL, "ident_check of 255 bytes: %s", show(why));
	why = ident_check(buf, IDENT_MAX + 1);
	CHECK(why_matches(why, "longer than 255 bytes"), "ident_check of 256 bytes: %s", show(why));
	buf[IDENT_MAX - 1] = '\t';
	why = ident_check(buf, IDENT_MAX);
	CHECK(why_matches(why, "control character"), "ident_check, tab in last byte: %s", show(why));
}

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static const struct {
	const char *a;
	size_t an;
	const char *b;
	size_t bn;
	int want;
	int line;
} idcmp_cases[] = {
#define CMP(a, b, want) { S(a), S(b), want, __LINE__ }
	CMP("2", "10", -1),
	CMP("9", "10", -1),
	CMP("0", "1", -1),
	CMP("0", "00", -1),	/* "00" has a leading zero: not an integer */
	CMP("7", "007", -1),
	CMP("8", "007", -1),	/* integers first, whatever their value */
	CMP("99999999999999999999999", "a", -1),
	CMP("123456789012345678901234567890", "123456789012345678901234567891", -1),
	CMP("99999999999999999999", "100000000000000000000", -1),
	CMP("1", "1a", -1),
	CMP("10", "-1", -1),
	CMP("a", "b", -1),
	CMP("a", "ab", -1),
	CMP("B", "a", -1),
	CMP("z", "\xc3\xa9", -1),	/* bytes compare unsigned */
	CMP("a\0b", "a\0c", -1),
	CMP("a", "a\0", -1),
	CMP("5", "5", 0),
	CMP("007", "007", 0),
	CMP("", "", 0),
	{ "10x", 2, "9", 1, 1, __LINE__ },	/* "10" > "9" once cut at n */
#undef CMP
};

static void
test_ident_cmp_cases(void)
{
	size_t i;
	int ab, ba;

	for (i = 0; i < sizeof idcmp_cases / sizeof *idcmp_cases; i++) {
		ab = sign(ident_cmp(idcmp_cases[i].a, idcmp_cases[i].an, idcmp_cases[i].b, idcmp_cases[i].bn));
		ba = sign(ident_cmp(idcmp_cases[i].b, idcmp_cases[i].bn, idcmp_cases[i].a, idcmp_cases[i].an));
		CHECK_ROW(idcmp_cases[i].line, ab == idcmp_cases[i].want && ba == -idcmp_cases[i].want,
		    "ident_cmp(%s, %s) = %d, reversed %d; want %d",
		    q(idcmp_cases[i].a, idcmp_cases[i].an), q2(idcmp_cases[i].b, idcmp_cases[i].bn),
		    ab, ba, idcmp_cases[i].want);
	}
}

/* Ids in their expected order: every pair must compare that way, both ways round. */
static const char *const id_order[] = {
	"0", "1", "2", "9", "10", "99", "100", "18446744073709551615", "18446744073709551616",
	" 1", "-1", "00", "007", "01", "1a", "B", "a", "ab", "abc", "\xc3\xa9", "\xff",
};

static void
test_ident_cmp_order(void)
{
	size_t n = sizeof id_order / sizeof *id_order, i, j, li, lj;
	int ij, ji;

	for (i = 0; i < n; i++) {
		li = strlen(id_order[i]);
		CHECK(ident_cmp(id_order[i], li, id_order[i], li) == 0, "ident_cmp(%s, itself) != 0",
		    q(id_order[i], li));
		for (j = i + 1; j < n; j++) {
			lj = strlen(id_order[j]);
			ij = ident_cmp(id_order[i], li, id_order[j], lj);
			ji = ident_cmp(id_order[j], lj, id_order[i], li);
			CHECK(ij < 0 && ji > 0, "ident_cmp(%s, %s) = %d, reversed %d; want < 0, > 0",
			    q(id_order[i], li), q2(id_order[j], lj), ij, ji);
		}
	}
}

/* ---- keytab ---- */

/* Key i: "c<i mod 97><TAB>p<i>", the shape sr-map builds, of varied lengths. */
static size_t
make_key(char *buf, size_t i)
{
	return (size_t)sprintf(buf, "c%zu\tp%zu", i % 97, i);
}

static int64_t
key_sum(size_t i)
{
	return (int64_t)i * 3 - 100000;
}

/* Adds key_sum(i) to key i in two halves; returns how many lookups failed. */
static size_t
keytab_add_all(struct keytab *kt, size_t n, int half)
{
	char key[64];
	size_t i, bad = 0;
	int64_t *sum;

	for (i = 0; i < n; i++) {
		if ((sum = keytab_sum(kt, key, make_key(key, i))) == NULL) {
			bad++;
			continue;
		}
		*sum += half == 0 ? (int64_t)i : key_sum(i) - (int64_t)i;
	}
	return bad;
}

/* Every used slot holds one of the n keys with its full sum; returns how many do not. */
static size_t
keytab_bad_slots(const struct keytab *kt, size_t n, size_t *used)
{
	char key[64];
	size_t i, idx, bad = 0;
	const struct keyslot *s;

	*used = 0;
	for (i = 0; i <= kt->mask; i++) {
		s = &kt->slots[i];
		if (s->len == 0)
			continue;
		++*used;
		if (s->len >= sizeof key) {
			bad++;
			continue;
		}
		memcpy(key, keytab_key(kt, s), s->len);
		key[s->len] = '\0';
		if (sscanf(key, "c%*u\tp%zu", &idx) != 1 || idx >= n || s->sum != key_sum(idx))
			bad++;
	}
	return bad;
}

static void
test_keytab_many(void)
{
	enum { N = 200000 };
	struct keytab kt;
	size_t bad, used;

	keytab_init(&kt, (size_t)1 << 30);
	bad = keytab_add_all(&kt, N, 0);
	CHECK(bad == 0 && kt.count == N, "keytab: first pass: %zu NULL, count %zu", bad, kt.count);
	bad = keytab_add_all(&kt, N, 1);
	CHECK(bad == 0 && kt.count == N, "keytab: second pass: %zu NULL, count %zu", bad, kt.count);
	CHECK(kt.mask + 1 >= 2 * (size_t)N, "keytab: %zu slots for %d keys, want load <= 1/2",
	    kt.mask + 1, N);
	bad = keytab_bad_slots(&kt, N, &used);
	CHECK(bad == 0 && used == N, "keytab: %zu of %zu used slots wrong", bad, used);
	keytab_free(&kt);
}

/* The sum of "A<TAB>B" as sr-map finds it: packed when it can be. */
static int64_t *
keytab_sum_any(struct keytab *kt, const char *key, size_t len)
{
	const char *tab = memchr(key, '\t', len);
	uint64_t k;

	if (tab != NULL && key_pack(key, (size_t)(tab - key), tab + 1, len - (size_t)(tab - key) - 1, &k))
		return keytab_sum_packed(kt, k, keytab_packed_hash(k));
	return keytab_sum(kt, key, len);
}

/* Which keys pack, and that they come back as they went in. */
static void
test_key_pack(void)
{
	static const struct {
		const char *key;
		int packs;
	} t[] = {
		{ "0\t0", 1 }, { "1\t2", 1 }, { "99999\t999999999999", 1 }, { "10000\t100000000000", 1 },
		{ "100000\t1", 0 },	/* 6 digits: too long for the first id */
		{ "1\t1000000000000", 0 },	/* 13 digits */
		{ "01\t1", 0 }, { "1\t00", 0 }, { "\t1", 0 }, { "1\t", 0 }, { "1a\t1", 0 },
		{ "1\t-1", 0 }, { "1\t 1", 0 }, { "1\t1.0", 0 },
	};
	char buf[KEY_PACK_TEXT];
	const char *tab;
	size_t i, len, n;
	uint64_t k, k2;
	char a[40], b[40];
	int packs, c1, c2, bad = 0;
	uint64_t x = 2463534242ULL;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		len = strlen(t[i].key);
		tab = strchr(t[i].key, '\t');
		packs = key_pack(t[i].key, (size_t)(tab - t[i].key), tab + 1, len - (size_t)(tab - t[i].key) - 1, &k);
		CHECK_ROW(__LINE__, packs == t[i].packs, "key_pack '%s': %d, want %d", t[i].key, packs, t[i].packs);
		if (packs) {
			n = key_unpack(k, buf);
			CHECK(n == len && memcmp(buf, t[i].key, n) == 0, "key_unpack of '%s': '%.*s'",
			    t[i].key, (int)n, buf);
		}
	}
	/* Packed keys order as their texts do, byte by byte, over ids of every length. */
	for (i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		sprintf(a, "%llu", (unsigned long long)(x % 100000 / ((x >> 20 & 3) == 0 ? 1000 : 1)));
		sprintf(b, "%llu", (unsigned long long)((x >> 24) % 1000000000000ULL / (1ULL << (x >> 60))));
		if (!key_pack(a, strlen(a), b, strlen(b), &k))
			bad++;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		sprintf(a + 20, "%llu", (unsigned long long)(x % 100000 / ((x >> 20 & 3) == 0 ? 1000 : 1)));
		sprintf(b + 20, "%llu", (unsigned long long)((x >> 24) % 1000000000000ULL / (1ULL << (x >> 60))));
		if (!key_pack(a + 20, strlen(a + 20), b + 20, strlen(b + 20), &k2))
			bad++;
		c1 = strcmp(a, a + 20) != 0 ? strcmp(a, a + 20) : strcmp(b, b + 20);
		c2 = (k > k2) - (k < k2);
		if ((c1 > 0) - (c1 < 0) != c2)
			bad++;
	}
	CHECK(bad == 0, "key_pack: %d of 200000 pairs out of byte order or not packed", bad);
}

/* Packed and text keys share the budget: filling with both stops within it, losing nothing. */
static void
test_keytab_packed_budget(size_t budget)
{
	struct keytab kt;
	char key[64];
	size_t n, i, len, bad = 0;
	int64_t *sum;

	keytab_init(&kt, budget);
	for (n = 0; n < 1000000; n++) {
		len = (size_t)sprintf(key, n % 5 == 0 ? "x%zu\t%zu" : "%zu\t%zu", n % 1000, n);
		if ((sum = keytab_sum_any(&kt, key, len)) == NULL)
			break;
		*sum = (int64_t)n;
	}
	CHECK(n < 1000000 && kt.pcount > 0 && kt.count > 0, "keytab: mixed keys: %zu taken, %zu packed",
	    n, kt.pcount);
	CHECK((kt.mask + 1) * sizeof *kt.slots + (kt.pmask + 1) * sizeof *kt.pslots + kt.asize <= budget,
	    "keytab: mixed keys exceed budget %zu", budget);
	for (i = 0; i < n; i++) {
		len = (size_t)sprintf(key, i % 5 == 0 ? "x%zu\t%zu" : "%zu\t%zu", i % 1000, i);
		if ((sum = keytab_sum_any(&kt, key, len)) == NULL || *sum != (int64_t)i)
			bad++;
	}
	CHECK(bad == 0, "keytab: mixed keys: %zu of %zu sums lost", bad, n);
	keytab_free(&kt);
}

/* keytab_each_sorted: every key once, in strictly increasing byte order, with its sum. */
static char sorted_prev[600];
static size_t sorted_prevlen, sorted_n, sorted_bad;

static void
sorted_visit(const char *key, size_t len, int64_t sum)
{
	(void)sum;
	if (sorted_n > 0 && bytes_cmp(sorted_prev, sorted_prevlen, key, len) >= 0)
		sorted_bad++;
	memcpy(sorted_prev, key, len);
	sorted_prevlen = len;
	sorted_n++;
}

static void
test_keytab_sorted(void)
{
	struct keytab kt;
	char key[600];
	size_t i, len, n = 0;
	int64_t *sum;
	uint64_t x = 88172645463325252ULL;

	keytab_init(&kt, (size_t)1 << 30);
	for (i = 0; i < 50000; i++) {
		/* xorshift: keys of 1 to 40 bytes sharing prefixes, some long enough for the arena */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = (size_t)sprintf(key, "%s%llu\t%llu", (x & 1) ? "category-" : "",
		    (unsigned long long)(x % 7), (unsigned long long)(x >> 40));
		if (x & 2)
			len += (size_t)sprintf(key + len, "-%0*d", (int)(x >> 60), 0);
		if ((x & 12) == 12)	/* ids around the limits of packing */
			len = (size_t)sprintf(key, "%llu\t%llu", (unsigned long long)(x % 1000003),
			    (unsigned long long)(x >> 20) % 10000000000003ULL / ((x >> 4 & 3) * 1000 + 1));
		sum = keytab_sum_any(&kt, key, len);
		n += *sum == 0;
		*sum += 1;
	}
	CHECK(kt.count > 1000 && kt.pcount > 1000, "keytab: %zu text keys, %zu packed: want both",
	    kt.count, kt.pcount);
	sorted_n = sorted_bad = 0;
	CHECK(keytab_each_sorted(&kt, sorted_visit) == 0, "keytab_each_sorted failed");
	CHECK(sorted_n == kt.count + kt.pcount && sorted_n == n, "keytab_each_sorted: %zu keys of %zu",
	    sorted_n, n);
	CHECK(sorted_bad == 0, "keytab_each_sorted: %zu keys out of order", sorted_bad);
	keytab_free(&kt);
}

/* A packed table more than half full sorts with a spare array: still every key once, in order. */
static void
test_keytab_sorted_full(void)
{
	struct keytab kt;
	char key[64];
	size_t i, len;
	int64_t *sum;

	keytab_init(&kt, (size_t)1 << 30);
	for (i = 0; i < 3000; i++) {
		len = (size_t)sprintf(key, "%zu\t%zu", (i * 7919) % 1000, i);
		if ((sum = keytab_sum_any(&kt, key, len)) != NULL)
			*sum += 1;
	}
	CHECK(2 * kt.pcount > kt.pmask + 1, "keytab: %zu packed keys in %zu slots: want over half full",
	    kt.pcount, kt.pmask + 1);
	sorted_n = sorted_bad = 0;
	CHECK(keytab_each_sorted(&kt, sorted_visit) == 0, "keytab_each_sorted (over half full) failed");
	CHECK(sorted_n == 3000 && sorted_bad == 0, "keytab_each_sorted (over half full): %zu keys, %zu out of order",
	    sorted_n, sorted_bad);
	keytab_free(&kt);
}

/* Key i padded to width digits, so the arena fills at a known rate. */
static size_t
make_wide_key(char *buf, size_t i, int width)
{
	return (size_t)sprintf(buf, "%0*zu", width, i);
}

/*
 * Fill a table of the given budget until keytab_sum says full: it must stop
 * within the budget, lose nothing, take no partial key, and work again after
 * keytab_clear.
 */
static void
test_keytab_budget(size_t budget, int width)
{
	struct keytab kt;
	char key[256];
	size_t n, i, bad = 0, fill;
	int64_t *sum;

	keytab_init(&kt, budget);
	for (n = 0; n < 1000000 && (sum = keytab_sum(&kt, key, make_wide_key(key, n, width))) != NULL; n++)
		*sum = (int64_t)n + 1;
	fill = n;
	CHECK(n < 1000000, "keytab budget %zu, width %d: never full", budget, width);
	CHECK(kt.count == n, "keytab: count %zu after %zu keys", kt.count, n);
	CHECK((kt.mask + 1) * sizeof *kt.slots + (kt.pmask + 1) * sizeof *kt.pslots + kt.asize <= budget,
	    "keytab: %zu slots + %zu arena bytes exceed budget %zu", kt.mask + 1, kt.asize, budget);
	CHECK(keytab_sum(&kt, key, make_wide_key(key, n, width)) == NULL && kt.count == n,
	    "keytab: a full table took the key after all");
	for (i = 0; i < n; i++)
		if ((sum = keytab_sum(&kt, key, make_wide_key(key, i, width))) == NULL || *sum != (int64_t)i + 1)
			bad++;
	CHECK(bad == 0 && kt.count == n, "keytab: full table lost %zu of %zu sums", bad, n);
	keytab_clear(&kt);
	CHECK(kt.count == 0, "keytab_clear: count %zu", kt.count);
	sum = keytab_sum(&kt, key, make_wide_key(key, 0, width));
	CHECK(sum != NULL && *sum == 0, "keytab_clear: an old key kept its sum");
	for (bad = 0, n = 0; n < fill; n++)
		if (keytab_sum(&kt, key, make_wide_key(key, n, width)) == NULL)
			bad++;
	CHECK(bad == 0 && kt.count == fill, "keytab after clear: %zu NULL, count %zu, want %zu",
	    bad, kt.count, fill);
	keytab_free(&kt);
}

static void
test_hash_bytes(void)
{
	char a[80], b[88];
	size_t n, off, bad;

	for (n = 0; n < sizeof a; n++)
		a[n] = (char)(n * 37 + 11);
	for (n = 0; n <= 64; n++) {
		/* The same bytes at every alignment, since words are read at any address. */
		for (bad = 0, off = 0; off < 8; off++) {
			memcpy(b + off, a, n);
			if (hash_bytes(b + off, n) != hash_bytes(a, n))
				bad++;
		}
		CHECK(bad == 0, "hash_bytes of %zu equal bytes differs at %zu alignments", n, bad);
	}
	CHECK(hash_bytes("abc", 3) == hash_bytes("abcdef", 3), "hash_bytes reads past n");
	CHECK(hash_bytes("a", 1) != hash_bytes("a\0", 2), "hash_bytes ignores the length");
	CHECK(hash_bytes("c1\tp1", 5) != hash_bytes("c1\tp2", 5), "hash_bytes ignores a byte");
}

/*
 * The hashes as they were before they had a seed: the crafted keys below
 * collide under them, as an attacker's would under any fixed hash.
 */
static uint32_t
old_packed_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	return (uint32_t)(k ^ k >> 33);
}

static uint32_t
old_hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL), w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 29;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * 0x94d049bb133111ebULL;
	}
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/*
 * Key number i of a kind, as text: packed kind "7<TAB>" and a 12-digit
 * product; text kind "c<TAB>p" and the number in base 62. crafted_key(i)
 * is the i-th of those whose old hash has its low bits bits 0 (so that all
 * crowd into 2^(slot bits - bits) home slots of a table); returns the length.
 */
static size_t
kind_key(int text, uint64_t i, char *buf)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t n = 3;

	if (!text)
		return (size_t)sprintf(buf, "7\t%012llu", (unsigned long long)(100000000000ULL + i));
	memcpy(buf, "c\tp", 3);
	do
		buf[n++] = digits[i % 62];
	while ((i /= 62) != 0);
	return n;
}

/* The old hash of a key of kind_key. */
static uint32_t
old_hash(int text, const char *key, size_t len)
{
	uint64_t k;

	if (text)
		return old_hash_bytes(key, len);
	if (!key_pack(key, 1, key + 2, len - 2, &k))
		abort();
	return old_packed_hash(k);
}

/* Text key i + 1 from key i, in place, as kind_key would write it: a base-62 odometer, low digit first. */
static int
text_next(char *key, size_t *len)
{
	static const char next[128] = {
		['0'] = '1', ['1'] = '2', ['2'] = '3', ['3'] = '4', ['4'] = '5', ['5'] = '6', ['6'] = '7',
		['7'] = '8', ['8'] = '9', ['9'] = 'A', ['Z'] = 'a', ['z'] = 0,
	};
	size_t i;
	char c;

	for (i = 3; i < *len; i++) {
		c = key[i];
		c = next[(unsigned char)c] != 0 ? next[(unsigned char)c] :
		    (c >= 'A' && c < 'Z') || (c >= 'a' && c < 'z') ? (char)(c + 1) : 0;
		if (c != 0) {
			key[i] = c;
			return 1;
		}
		key[i] = '0';
	}
	key[(*len)++] = '1';
	return 1;
}

/*
 * Write n crafted keys of a kind, one a line; or, random, the first n keys.
 * A packed key is made as a number (as key_pack would make it: checked
 * once), as this loop runs 2^bits times a key.
 */
static void
craft_keys(int text, size_t n, unsigned bits, int random, FILE *f)
{
	char key[64];
	uint64_t i = 0, k, base;
	size_t len, found = 0;
	uint32_t mask = (1U << bits) - 1;

	len = kind_key(0, 0, key);
	if (!key_pack(key, 1, key + 2, len - 2, &base))
		abort();
	for (; found < n; i++) {
		if (!text) {
			k = base + 13 * i;	/* a 12-digit id of value v packs to 13 v + 12 */
			if (!random && (old_packed_hash(k) & mask) != 0)
				continue;
			len = kind_key(0, i, key);
			if (old_hash(0, key, len) != old_packed_hash(k))
				abort();
		} else {
			if (i == 0 || text_next(key, &len) == 0)
				len = kind_key(1, i, key);
			/* text 2: the product id alone collides (sr-load's check of a category's products) */
			if (!random && (old_hash_bytes(key + 2 * (text == 2), len - 2 * (text == 2)) & mask) != 0)
				continue;
		}
		fprintf(f, "%.*s\n", (int)len, key);
		found++;
	}
}

/* Probes past its home slot that finding each key takes, summed, in table kt. */
static uint64_t
displacement(const struct keytab *kt)
{
	uint64_t d = 0;
	size_t i;

	for (i = 0; i <= kt->mask; i++)
		if (kt->slots[i].len != 0)
			d += (i - (kt->slots[i].hash & kt->mask)) & kt->mask;
	for (i = 0; i <= kt->pmask; i++)
		if (kt->pslots[i].key != 0)
			d += (i - (keytab_packed_hash(kt->pslots[i].key) & kt->pmask)) & kt->pmask;
	return d;
}

/* The same under the old hash: a linear-probing table of the final size, filled in the same order. */
static uint64_t
old_displacement(int text, char **keys, size_t n, size_t slots)
{
	char *used = calloc(slots, 1);
	uint64_t d = 0;
	size_t i, j;

	if (used == NULL)
		abort();
	for (i = 0; i < n; i++) {
		for (j = old_hash(text, keys[i], strlen(keys[i])) & (slots - 1); used[j]; j = (j + 1) & (slots - 1))
			d++;
		used[j] = 1;
	}
	free(used);
	return d;
}

/* Displacement of n keys of a kind, crafted or random, in a keytab; *old: under the old hash. */
static uint64_t
kind_displacement(int text, size_t n, unsigned bits, int random, uint64_t *old)
{
	char *buf = NULL, *line, **keys;
	size_t size = 0, i = 0;
	FILE *f = open_memstream(&buf, &size);
	struct keytab kt;
	int64_t *sum;
	uint64_t d;

	if (f == NULL || (keys = calloc(n, sizeof *keys)) == NULL)
		abort();
	craft_keys(text, n, bits, random, f);
	fclose(f);
	keytab_init(&kt, (size_t)1 << 30);
	for (line = strtok(buf, "\n"); line != NULL && i < n; line = strtok(NULL, "\n")) {
		keys[i++] = line;
		if ((sum = keytab_sum_any(&kt, line, strlen(line))) == NULL)
			abort();
		++*sum;
	}
	d = displacement(&kt);
	*old = old_displacement(text, keys, n, text ? kt.mask + 1 : kt.pmask + 1);
	keytab_free(&kt);
	free(keys);
	free(buf);
	return d;
}

/*
 * Keys crafted to collide under the old, fixed hash (low bits alike) cost no
 * more probes than random ones under the seeded hash (within 2x, and some
 * slack for small counts); under the old hash they cost many times more, so
 * the test can fail.
 */
static void
test_keytab_crafted(void)
{
	enum { N = 20000, BITS = 11 };
	uint64_t crafted, random, old_crafted, old_random;
	int text;

	for (text = 0; text <= 1; text++) {
		crafted = kind_displacement(text, N, BITS, 0, &old_crafted);
		random = kind_displacement(text, N, BITS, 1, &old_random);
		CHECK(old_crafted > 20 * old_random + N, "crafted %s keys: %llu probes under the old hash, "
		    "random %llu: the crafting does not work", text ? "text" : "packed",
		    (unsigned long long)old_crafted, (unsigned long long)old_random);
		CHECK(crafted <= 2 * random + N, "crafted %s keys: %llu probes, random %llu",
		    text ? "text" : "packed", (unsigned long long)crafted, (unsigned long long)random);
		if (getenv("SR_UNIT_VERBOSE") != NULL)
			printf("# %s keys: seeded: crafted %llu, random %llu probes; old: crafted %llu, random %llu\n",
			    text ? "text" : "packed", (unsigned long long)crafted, (unsigned long long)random,
			    (unsigned long long)old_crafted, (unsigned long long)old_random);
	}
}

/* ---- topk ---- */

/* xorshift64: the same pseudo-random sets on every run, so a failure can be replayed. */
static uint64_t
rnd(void)
{
	static uint64_t x = 0x2545f4914f6cdd1dULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* A product to push. */
struct product {
	int64_t total;
	size_t len;
	char id[IDENT_MAX];
};

/* The order sr-topk promises: total descending, then ident_cmp ascending. */
static int
rank_cmp(const void *pa, const void *pb)
{
	const struct product *a = pa, *b = pb;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return ident_cmp(a->id, a->len, b->id, b->len);
}

/* n distinct ids of mixed kinds (integers, leading zeros, words, UTF-8), shuffled. */
static void
make_products(struct product *v, size_t n, int ties)
{
	static const char *const forms[] = { "%zu", "0%zu", "p%zu", "P-%zu-\xc3\xa9" };
	static const int64_t extremes[] = { INT64_MAX, INT64_MIN, 0, -1 };
	struct product tmp;
	size_t i, j;

	for (i = 0; i < n; i++) {
		v[i].len = (size_t)sprintf(v[i].id, forms[i % 4], i / 4);
		if (ties)
			v[i].total = (int64_t)(rnd() % 4);
		else if (rnd() % 50 == 0)
			v[i].total = extremes[rnd() % 4];
		else
			v[i].total = (int64_t)(rnd() % 2000000) - 1000000;
	}
	for (i = n; i > 1; i--) {
		j = (size_t)(rnd() % i);
		tmp = v[i - 1], v[i - 1] = v[j], v[j] = tmp;
	}
}

/* Index of the first difference between the heap's sorted result and want, or -1. */
static long
first_difference(const struct topk *t, const struct product *want, size_t nwant)
{
	size_t i;

	for (i = 0; i < t->n && i < nwant; i++)
		if (t->v[i].total != want[i].total || t->v[i].len != want[i].len ||
		    memcmp(topk_id(t, i), want[i].id, want[i].len) != 0)
			return (long)i;
	return t->n == nwant ? -1 : (long)i;
}

/* Push n products forwards, compare; clear, push them backwards, compare again. */
static void
test_topk_one(size_t k, size_t n, int ties)
{
	struct product *v = malloc((n + 1) * sizeof *v), *sorted = malloc((n + 1) * sizeof *v);
	size_t nwant = k == 0 || k > n ? n : k, i;
	struct topk t;
	long d;

	if (v == NULL || sorted == NULL)
		abort();
	make_products(v, n, ties);
	memcpy(sorted, v, n * sizeof *v);
	qsort(sorted, n, sizeof *sorted, rank_cmp);
	topk_init(&t, k);
	for (i = 0; i < n; i++)
		topk_push(&t, v[i].id, v[i].len, v[i].total);
	topk_sort(&t);
	d = first_difference(&t, sorted, nwant);
	CHECK(d < 0, "topk k=%zu n=%zu ties=%d: %zu kept, want %zu; first difference at rank %ld",
	    k, n, ties, t.n, nwant, d + 1);
	topk_clear(&t);
	for (i = n; i > 0; i--)
		topk_push(&t, v[i - 1].id, v[i - 1].len, v[i - 1].total);
	topk_sort(&t);
	d = first_difference(&t, sorted, nwant);
	CHECK(d < 0, "topk after clear, k=%zu n=%zu ties=%d: first difference at rank %ld",
	    k, n, ties, d + 1);
	topk_free(&t);
	free(v);
	free(sorted);
}

static void
test_topk(void)
{
	static const size_t ks[] = { 1, 3, 100, 0 };
	static const size_t ns[] = { 0, 1, 2, 3, 4, 7, 99, 100, 101, 1000, 5000 };
	size_t i, j;
	int ties;

	for (i = 0; i < sizeof ks / sizeof *ks; i++)
		for (j = 0; j < sizeof ns / sizeof *ns; j++)
			for (ties = 0; ties <= 1; ties++)
				test_topk_one(ks[i], ns[j], ties);
}

/* ---- heap and radix sort ---- */

/* An element to order: key first (as radix_sort wants), then where it was, then bytes that must move with it. */
struct item {
	uint64_t key;
	uint64_t seq;
	uint64_t check;		/* key ^ seq ^ a constant: an element torn apart in a move shows */
};

#define ITEM_CHECK 0x5bd1e9955bd1e995ULL

static int heap_ctx_bad;	/* calls of item_less without the context the heap was given */

/* The heap's order under ctx: by key, ascending (ctx 0) or descending (ctx 1). */
static int
item_less(const void *a, const void *b, void *ctx)
{
	const struct item *x = a, *y = b;
	const int *desc = ctx;

	if (desc == NULL || (*desc != 0 && *desc != 1)) {
		heap_ctx_bad++;
		return 0;
	}
	return *desc ? x->key > y->key : x->key < y->key;
}

/* The oracle's order: by key (as item_less under desc), then seq, so that equal keys compare as well. */
static int item_cmp_desc;

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->key != y->key)
		return (x->key < y->key) == !item_cmp_desc ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* A key of one of the kinds the sweeps use: wide, few distinct, only low bits, only high bits, all equal. */
static uint64_t
sweep_key(int kind)
{
	switch (kind) {
	case 0: return rnd();
	case 1: return rnd() % 7;
	case 2: return rnd() & 0xfff;
	case 3: return rnd() & 0xfff0000000000000ULL;
	default: return 42;
	}
}

#define SWEEP_KINDS 5

static void
make_items(struct item *v, size_t n, int kind)
{
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].key = sweep_key(kind);
		v[i].seq = i;
		v[i].check = v[i].key ^ v[i].seq ^ ITEM_CHECK;
	}
}

/* Whether the keys of got are those of want in order, every element whole, and every seq of 0..n-1 once. */
static int
items_match(const struct item *got, const struct item *want, size_t n, unsigned char *seen)
{
	size_t i;

	memset(seen, 0, n + 1);
	for (i = 0; i < n; i++) {
		if (got[i].key != want[i].key || got[i].seq >= n || seen[got[i].seq] ||
		    got[i].check != (got[i].key ^ got[i].seq ^ ITEM_CHECK))
			return 0;
		seen[got[i].seq] = 1;
	}
	return 1;
}

/*
 * One heap case: n items of a kind, ascending or descending. Made at once and
 * popped, pushed one at a time and popped, and sorted in place by popping
 * each least to the end, each against qsort; then pushes and pops at random against a linear
 * search for the least. Returns the number of cases that failed.
 */
static int
heap_case(size_t n, int kind, int desc)
{
	struct item *v = calloc(n + 1, sizeof *v), *h = calloc(n + 1, sizeof *v);
	struct item *want = calloc(n + 1, sizeof *v), *got = calloc(n + 1, sizeof *v);
	unsigned char *seen = malloc(n + 1);
	size_t i, m, j, least, np;
	int bad = 0, ok;

	if (v == NULL || h == NULL || want == NULL || got == NULL || seen == NULL)
		abort();
	make_items(v, n, kind);
	memcpy(want, v, n * sizeof *v);
	item_cmp_desc = desc;
	qsort(want, n, sizeof *want, item_cmp);

	memcpy(h, v, n * sizeof *v);
	heap_make(h, n, sizeof *h, item_less, &desc);
	for (m = n, i = 0; m > 0; i++) {
		got[i] = h[0];
		m = heap_pop(h, m, sizeof *h, item_less, &desc);
	}
	bad += !items_match(got, want, n, seen);

	for (m = 0; m < n; m++) {
		h[m] = v[m];
		heap_up(h, m, sizeof *h, item_less, &desc);
	}
	for (i = 0; m > 0; i++) {
		got[i] = h[0];
		m = heap_pop(h, m, sizeof *h, item_less, &desc);
	}
	bad += !items_match(got, want, n, seen);

	/* Sorted in place, as topk_sort does: each least popped to the end, so greatest first. */
	memcpy(h, v, n * sizeof *v);
	heap_make(h, n, sizeof *h, item_less, &desc);
	for (m = n; m > 1;) {
		got[0] = h[0];
		m = heap_pop(h, m, sizeof *h, item_less, &desc);
		h[m] = got[0];
	}
	for (i = 0; i < n; i++)
		got[i] = h[n - 1 - i];
	bad += !items_match(got, want, n, seen);

	/* Random pushes and pops; the oracle is the least key by a linear search of what is in. */
	for (i = 0, m = 0, ok = 1, np = 0; i < n || m > 0;) {
		if (i < n && (m == 0 || rnd() % 3 != 0)) {
			h[m] = v[i++];
			heap_up(h, m++, sizeof *h, item_less, &desc);
			continue;
		}
		for (j = 1, least = 0; j < m; j++)
			if (item_less(&h[j], &h[least], &desc))
				least = j;
		ok &= h[0].key == h[least].key && h[0].check == (h[0].key ^ h[0].seq ^ ITEM_CHECK);
		m = heap_pop(h, m, sizeof *h, item_less, &desc);
		np++;
	}
	bad += !ok || np != n;
	free(v), free(h), free(want), free(got), free(seen);
	return bad;
}

/* Every size 0..300, then some larger, of every kind of key, both orders: heap_case against qsort. */
static void
test_heap(void)
{
	static const size_t big[] = { 511, 512, 513, 1000, 4096, 20000 };
	size_t n, i, ncases = 0;
	int kind, desc, bad = 0;

	for (kind = 0; kind < SWEEP_KINDS; kind++)
		for (desc = 0; desc <= 1; desc++) {
			for (n = 0; n <= 300; n++, ncases += 4)
				bad += heap_case(n, kind, desc);
			for (i = 0; i < sizeof big / sizeof *big; i++, ncases += 4)
				bad += heap_case(big[i], kind, desc);
		}
	CHECK(bad == 0, "heap: %d of %zu cases (make/pop, up/pop, pop to the end, random push and pop) wrong", bad, ncases);
	CHECK(heap_ctx_bad == 0, "heap: less called %d times without its context", heap_ctx_bad);
	printf("heap: %zu cases\n", ncases);
}

/* An element of another size for radix_sort: the key, where it was, and bytes that must move with it. */
struct wide_item {
	uint64_t key;
	uint32_t seq;
	char tail[13];
};

/*
 * radix_sort of n items of a kind in digits of bits, for elements of 24 bytes
 * (struct item) and of 32 (struct wide_item): the same as qsort by key then
 * seq, that is sorted and stable. Returns the number of cases that failed.
 */
static int
radix_case(size_t n, int kind, unsigned bits)
{
	struct item *v = malloc((2 * n + 1) * sizeof *v), *want = malloc((n + 1) * sizeof *v), *got;
	struct wide_item *w = malloc((2 * n + 1) * sizeof *w), *wgot;
	unsigned char *seen = malloc(n + 1);
	size_t i;
	int bad = 0, ok = 1;

	if (v == NULL || want == NULL || w == NULL || seen == NULL)
		abort();
	make_items(v, n, kind);
	for (i = 0; i < n; i++) {
		w[i].key = v[i].key;
		w[i].seq = (uint32_t)i;
		memset(w[i].tail, (int)(i & 0xff), sizeof w[i].tail);
	}
	memcpy(want, v, n * sizeof *v);
	item_cmp_desc = 0;
	qsort(want, n, sizeof *want, item_cmp);

	got = radix_sort(v, v + n, n, sizeof *v, bits);
	bad += (got != v && got != v + n) || !items_match(got, want, n, seen);
	for (i = 0; i < n; i++)
		ok &= got[i].seq == want[i].seq;	/* stable: equal keys keep their order */

	wgot = radix_sort(w, w + n, n, sizeof *w, bits);
	for (i = 0; i < n; i++)
		ok &= wgot[i].key == want[i].key && wgot[i].seq == want[i].seq &&
		    wgot[i].tail[0] == (char)(want[i].seq & 0xff) && wgot[i].tail[12] == (char)(want[i].seq & 0xff);
	bad += !ok;
	free(v), free(want), free(w), free(seen);
	return bad;
}

/* Every digit width 1..RADIX_BITS_MAX, sizes 0..130 and some larger, every kind of key: against qsort. */
static void
test_radix(void)
{
	static const size_t big[] = { 255, 256, 257, 2047, 2048, 2049, 4095, 4096, 4097, 30000 };
	size_t n, i, ncases = 0;
	unsigned bits;
	int kind, bad = 0;

	for (bits = 1; bits <= RADIX_BITS_MAX; bits++)
		for (kind = 0; kind < SWEEP_KINDS; kind++) {
			for (n = 0; n <= 130; n++, ncases += 2)
				bad += radix_case(n, kind, bits);
			for (i = 0; i < sizeof big / sizeof *big; i++, ncases += 2)
				bad += radix_case(big[i], kind, bits);
		}
	CHECK(bad == 0, "radix_sort: %d of %zu cases (two element sizes) unsorted, unstable or torn", bad, ncases);
	printf("radix: %zu cases\n", ncases);
}

/* ---- window ---- */

static struct instant
at(int64_t sec, int32_t nsec)
{
	struct instant t;

	t.sec = sec, t.nsec = nsec;
	return t;
}

/* t moved by one nanosecond, dir -1 or +1. */
static struct instant
nudge(struct instant t, int dir)
{
	t.nsec += dir;
	if (t.nsec < 0)
		t.sec--, t.nsec += 1000000000;
	else if (t.nsec > NS_MAX)
		t.sec++, t.nsec -= 1000000000;
	return t;
}

static void
window_from_options(struct window *w, const char *now, const char *days, const char *since,
    const char *until)
{
	memset(w, 0, sizeof *w);
	if (now != NULL)
		window_option(w, OPT_WINDOW_NOW, now);
	if (days != NULL)
		window_option(w, OPT_WINDOW_DAYS, days);
	if (since != NULL)
		window_option(w, OPT_WINDOW_SINCE, since);
	if (until != NULL)
		window_option(w, OPT_WINDOW_UNTIL, until);
	window_finish(w);
}

static const struct {
	const char *now, *days, *since, *until;
	struct instant from, to;
	int line;
} win_cases[] = {
	{ "2026-11-30T00:00:00Z", "7", NULL, NULL, { 1795392000, 0 }, { 1795996800, 0 }, __LINE__ },
	{ "2026-11-30T00:00:00Z", NULL, NULL, NULL, { 1795392000, 0 }, { 1795996800, 0 }, __LINE__ },
	{ "2026-11-30T00:00:00Z", "1", NULL, NULL, { 1795910400, 0 }, { 1795996800, 0 }, __LINE__ },
	{ "1795996800.25", NULL, NULL, NULL, { 1795392000, 250000000 }, { 1795996800, 250000000 }, __LINE__ },
	{ "2026-11-30T01:00:00+01:00", "36500", NULL, NULL,
	    { 1795996800LL - 36500LL * 86400, 0 }, { 1795996800, 0 }, __LINE__ },
	{ NULL, NULL, "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z",
	    { 1795392000, 0 }, { 1795996800, 0 }, __LINE__ },
	{ NULL, NULL, "1795392000.5", "2026-11-30T00:00:00.000000001Z",
	    { 1795392000, 500000000 }, { 1795996800, 1 }, __LINE__ },
	{ NULL, NULL, "-1.5", "0", { -2, 500000000 }, { 0, 0 }, __LINE__ },
	{ NULL, NULL, "2026-11-25T19:04:05Z", "1795633445", { T0, 0 }, { T0, 0 }, __LINE__ },
	{ NULL, NULL, "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
	    { INSTANT_MIN_SEC, 0 }, { INSTANT_MAX_SEC, NS_MAX }, __LINE__ },
};

/* From is in the window, to is not, and so are their neighbours a nanosecond away. */
static void
check_window_bounds(const struct window *w, int line)
{
	int empty = instant_cmp(w->from, w->to) == 0;

	CHECK_ROW(line, window_contains(w, w->from) == !empty, "window_contains(from) = %d",
	    window_contains(w, w->from));
	CHECK_ROW(line, !window_contains(w, nudge(w->from, -1)), "window_contains(from - 1ns)");
	CHECK_ROW(line, window_contains(w, nudge(w->to, -1)) == !empty, "window_contains(to - 1ns) = %d",
	    window_contains(w, nudge(w->to, -1)));
	CHECK_ROW(line, !window_contains(w, w->to), "window_contains(to)");
	CHECK_ROW(line, !window_contains(w, nudge(w->to, 1)), "window_contains(to + 1ns)");
}

static void
test_window_cases(void)
{
	struct window w;
	size_t i;

	for (i = 0; i < sizeof win_cases / sizeof *win_cases; i++) {
		window_from_options(&w, win_cases[i].now, win_cases[i].days, win_cases[i].since,
		    win_cases[i].until);
		CHECK_ROW(win_cases[i].line, w.set && instant_cmp(w.from, win_cases[i].from) == 0 &&
		    instant_cmp(w.to, win_cases[i].to) == 0,
		    "window: set %d, [%" PRId64 ".%09" PRId32 ", %" PRId64 ".%09" PRId32 ")",
		    w.set, w.from.sec, w.from.nsec, w.to.sec, w.to.nsec);
		check_window_bounds(&w, win_cases[i].line);
	}
}

/* Without --now the window ends at the clock, read while window_finish ran. */
static void
test_window_clock(void)
{
	struct window w;
	struct instant before, after;

	before = instant_now();
	window_from_options(&w, NULL, "2", NULL, NULL);
	after = instant_now();
	CHECK(instant_cmp(before, w.to) <= 0 && instant_cmp(w.to, after) <= 0,
	    "window: to %" PRId64 " not between clock reads %" PRId64 " and %" PRId64,
	    w.to.sec, before.sec, after.sec);
	CHECK(w.from.sec == w.to.sec - 2 * 86400 && w.from.nsec == w.to.nsec,
	    "window --days 2: from %" PRId64 ", to %" PRId64, w.from.sec, w.to.sec);
	check_window_bounds(&w, __LINE__);
}

static void
test_window_option(void)
{
	static const int others[] = { 0, 'm', '?', OPT_WINDOW_NOW - 1, OPT_WINDOW_UNTIL + 1 };
	struct window w;
	size_t i;
	int r;

	memset(&w, 0, sizeof w);
	for (i = 0; i < sizeof others / sizeof *others; i++) {
		r = window_option(&w, others[i], "x");
		CHECK(r == 0 && !w.set && w.now == NULL && w.days == NULL && w.since == NULL &&
		    w.until == NULL, "window_option(%d) took a non-window option", others[i]);
	}
	r = window_option(&w, OPT_WINDOW_SINCE, "0");
	CHECK(r == 1 && w.set && w.since != NULL && strcmp(w.since, "0") == 0,
	    "window_option(--since) = %d, set %d", r, w.set);
	w.from = at(10, 0), w.to = at(20, 0);
	CHECK(window_contains(&w, at(10, 0)) && window_contains(&w, at(19, NS_MAX)) &&
	    !window_contains(&w, at(9, NS_MAX)) && !window_contains(&w, at(20, 0)),
	    "window_contains on [10, 20)");
}

int
main(int argc, char *argv[])
{
	prog_init(argv);
	/* unit --craft packed|text|product N BITS: keys for the tests against crafted ids */
	if (argc == 5 && strcmp(argv[1], "--craft") == 0) {
		craft_keys(strcmp(argv[2], "text") == 0 ? 1 : strcmp(argv[2], "product") == 0 ? 2 : 0,
		    (size_t)atol(argv[3]), (unsigned)atoi(argv[4]), 0, stdout);
		return fflush(stdout) != 0;
	}
	if (argc == 4 && strcmp(argv[1], "--random") == 0) {
		craft_keys(strcmp(argv[2], "text") == 0, (size_t)atol(argv[3]), 0, 1, stdout);
		return fflush(stdout) != 0;
	}
	test_ts_parse();
	test_ts_length();
	test_ts_format();
	test_ts_round_trip();
	test_instant_cmp();
	test_parse_i64();
	test_parse_i64_code();
	test_check_decimal();
	test_ident_check();
	test_ident_cmp_cases();
	test_ident_cmp_order();
	test_keytab_many();
	test_key_pack();
	test_keytab_packed_budget((size_t)1 << 20);
	test_keytab_sorted();
	test_keytab_sorted_full();
	test_keytab_budget((size_t)1 << 20, 8);		/* slots run out first */
	test_keytab_budget((size_t)1 << 20, 200);	/* the arena runs out first */
	test_keytab_budget((size_t)4 << 20, 20);
	test_hash_bytes();
	test_keytab_crafted();
	test_topk();
	test_heap();
	test_radix();
	test_window_cases();
	test_window_clock();
	test_window_option();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
