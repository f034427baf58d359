/* number: exact integer and decimal parsing for data fields and for command-line arguments. */
#include <stdint.h>
#include <string.h>

#include "msg.h"
#include "number.h"

/* What parse_i64 says of each of its codes but NUM_OK. */
static const char *const num_why[] = {
	[NUM_EMPTY] = "empty",
	[NUM_NOT_INTEGER] = "not an integer",
	[NUM_RANGE] = "out of range for a 64-bit integer",
};

/* A signed 64-bit decimal integer, optional sign, no spaces: NUM_OK, with *v set, or what is wrong. */
enum num_error
parse_i64_code(const char *p, size_t n, int64_t *v)
{
	const char *end = p + n;
	uint64_t u = 0, lim;
	int neg = 0;

	if (n == 0)
		return NUM_EMPTY;
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (p == end)
		return NUM_NOT_INTEGER;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return NUM_NOT_INTEGER;
		if (u > (lim - (uint64_t)(*p - '0')) / 10)
			return NUM_RANGE;
		u = u * 10 + (uint64_t)(*p - '0');
	}
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return NUM_OK;
}

/* parse_i64_code for a message: NULL, or the problem. */
const char *
parse_i64(const char *p, size_t n, int64_t *v)
{
	enum num_error e = parse_i64_code(p, n, v);

	return e == NUM_OK ? NULL : num_why[e];
}

/*
 * A decimal price: optional sign, digits, optionally '.' and digits; at most 18
 * digits in all, so it is exact as a scaled 64-bit integer. No exponent, no
 * grouping: such text is never a price a sales server meant.
 */
const char *
check_decimal(const char *p, size_t n)
{
	const char *end = p + n;
	int ndig = 0, before = 0, dot = 0;

	if (n == 0)
		return "empty";
	if (*p == '-' || *p == '+')
		p++;
	for (; p < end; p++) {
		if (*p == '.' && !dot) {
			dot = 1;
			before = ndig;
			continue;
		}
		if (*p < '0' || *p > '9')
			return "not a decimal number";
		ndig++;
	}
	if (ndig == 0 || (dot && (before == 0 || ndig == before)))
		return "not a decimal number";
	if (ndig > 18)
		return "more than 18 digits";
	return NULL;
}

/* A count from the command line in [min, max], or exit 2 saying why not. */
int64_t
arg_count(const char *opt, const char *s, int64_t min, int64_t max)
{
	int64_t v;
	enum num_error e = parse_i64_code(s, strlen(s), &v);

	if (e == NUM_RANGE)
		fatal(EXIT_USAGE, "%s: count is too large: %s", opt, s);
	if (e != NUM_OK)
		fatal(EXIT_USAGE, "%s: not a number: '%s'", opt, s);
	if (v < min)
		fatal(EXIT_USAGE, "%s: count is too small: %s (at least %lld)",
		    opt, s, (long long)min);
	if (v > max)
		fatal(EXIT_USAGE, "%s: count is too large: %s (at most %lld)",
		    opt, s, (long long)max);
	return v;
}

/* A byte count with an optional K, M, G or T suffix (powers of 1024). */
int64_t
arg_size(const char *opt, const char *s, int64_t min, int64_t max)
{
	size_t n = strlen(s);
	int64_t v, mult = 1;

	if (n > 0 && strchr("kKmMgGtT", s[n - 1]) != NULL) {
		switch (s[n - 1]) {
		case 'k': case 'K': mult = 1LL << 10; break;
		case 'm': case 'M': mult = 1LL << 20; break;
		case 'g': case 'G': mult = 1LL << 30; break;
		default: mult = 1LL << 40; break;
		}
		n--;
	}
	if (n == 0 || parse_i64(s, n, &v) != NULL || s[0] == '+' || s[0] == '-')
		fatal(EXIT_USAGE, "%s: not a size: '%s' (want bytes, or a number and K, M, G or T)",
		    opt, s);
	if (v > max / mult)
		fatal(EXIT_USAGE, "%s: size is too large: %s", opt, s);
	if (v * mult < min)
		fatal(EXIT_USAGE, "%s: size is too small: %s (at least %lld bytes)",
		    opt, s, (long long)min);
	return v * mult;
}
