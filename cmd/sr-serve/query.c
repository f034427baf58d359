/* query: the query string of /api/v1/popular, decoded and checked: category_id=ID and an optional limit=N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode n bytes of a query component at p into out (size bytes, NUL added):
 * "+" is a space, "%HH" the byte HH. The length, or -1 if a "%" is not
 * followed by two hex digits, a NUL is decoded, or it does not fit.
 */
static long
unescape(const char *p, size_t n, char *out, size_t size)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= size)
			return -1;
		if (p[i] == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(p[i + 1])) < 0 || (lo = hexval(p[i + 2])) < 0 ||
			    (hi | lo) == 0)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (p[i] == '+')
			out[o++] = ' ';
		else
			out[o++] = p[i];
	}
	out[o] = '\0';
	return (long)o;
}

/* One name=value pair of the query into q; NULL, or why it is refused. */
static const char *
query_pair(const char *p, size_t n, struct query *q)
{
	static char msg[64];
	const char *eq = memchr(p, '=', n), *why;
	char name[32], value[IDENT_MAX + 2];
	long vl;

	if (eq == NULL)
		return "a query parameter has no value";
	if (unescape(p, (size_t)(eq - p), name, sizeof name) < 0 ||
	    (vl = unescape(eq + 1, n - (size_t)(eq - p) - 1, value, sizeof value)) < 0)
		return "bad percent-encoding, or a parameter too long";
	if (strcmp(name, "category_id") == 0 && !q->has_id) {
		if ((why = ident_check(value, (size_t)vl)) != NULL) {
			snprintf(msg, sizeof msg, "category_id: %s", why);
			return msg;
		}
		memcpy(q->id, value, (size_t)vl + 1);
		q->idlen = (size_t)vl;
		q->has_id = 1;
	} else if (strcmp(name, "limit") == 0 && !q->has_limit) {
		if (vl == 0 || vl > 7 || strspn(value, "0123456789") != (size_t)vl ||
		    (q->limit = strtol(value, NULL, 10)) < 1 || q->limit > LIMIT_MAX)
			return "limit: not an integer from 1 to 1000000";
		q->has_limit = 1;
	} else
		return strcmp(name, "category_id") == 0 || strcmp(name, "limit") == 0 ?
		    "a query parameter is given twice" : "unknown query parameter (want category_id, limit)";
	return NULL;
}

const char *
query_parse(const char *s, struct query *q)
{
	const char *amp, *why;
	size_t n;

	memset(q, 0, sizeof *q);
	for (; s != NULL && *s != '\0'; s = *amp != '\0' ? amp + 1 : amp) {
		amp = s + strcspn(s, "&");
		n = (size_t)(amp - s);
		if (n > 0 && (why = query_pair(s, n, q)) != NULL)
			return why;
	}
	return q->has_id ? NULL : "missing query parameter: category_id";
}
