/* fuzz-number: libFuzzer target for the integer and decimal parsers, against snprintf, strtoll and a matcher. */
#include <errno.h>

#include "fuzz.h"
#include "number.h"

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits from p on; returns how many. */
static size_t
span_digits(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && isdig(*q))
		q++;
	return (size_t)(q - p);
}

/* [+-]?digits */
static int
is_plain_integer(const char *p, size_t n)
{
	size_t s = n > 0 && (*p == '+' || *p == '-');

	return n > s && span_digits(p + s, p + n) == n - s;
}

/* [+-]?digits(.digits)? with at most 18 digits: what check_decimal must accept, and only that. */
static int
is_decimal(const char *p, size_t n)
{
	const char *end = p + n;
	size_t whole, frac = 0;

	if (p < end && (*p == '+' || *p == '-'))
		p++;
	whole = span_digits(p, end);
	if (whole == 0)
		return 0;
	p += whole;
	if (p < end && *p == '.') {
		p++;
		if ((frac = span_digits(p, end)) == 0)
			return 0;
		p += frac;
	}
	return p == end && whole + frac <= 18;
}

static void
check_integer(const char *p, size_t n)
{
	char s[32], *z;
	int64_t v, w;
	long long l;
	const char *why = parse_i64(p, n, &v);

	if (why == NULL) {
		snprintf(s, sizeof s, "%lld", (long long)v);
		CHECK(parse_i64(s, strlen(s), &w) == NULL && w == v);
	}
	if (!is_plain_integer(p, n)) {
		CHECK(why != NULL);
		return;
	}
	if ((z = malloc(n + 1)) == NULL)
		abort();
	memcpy(z, p, n);
	z[n] = '\0';
	errno = 0;
	l = strtoll(z, NULL, 10);
	CHECK((why == NULL) == (errno != ERANGE));
	CHECK(why != NULL || l == v);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = input_copy(data, size);

	check_integer(buf, size);
	CHECK((check_decimal(buf, size) == NULL) == is_decimal(buf, size));
	free(buf);
	return 0;
}
