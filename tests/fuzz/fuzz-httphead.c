/* fuzz-httphead: libFuzzer target for sr-serve's request-head check, against its contract and a second reading. */
#include <strings.h>

#include "fuzz.h"
#include "httphead.h"

static const char tchars[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* A refusal's phrase goes into JSON as it is: printable ASCII, no quote or backslash. */
static int
json_safe(const char *why)
{
	size_t i, n = strlen(why);

	for (i = 0; i < n; i++)
		if (why[i] < 0x20 || why[i] > 0x7e || why[i] == '"' || why[i] == '\\')
			return 0;
	return n > 0 && n < 200;
}

/* The request line of a passed head, read another way: three fields split by single spaces. */
static int
request_line_ok(const char *p, size_t n)
{
	static const char *const methods[] = { "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ",
	    "TRACE ", "PATCH " };
	size_t i, m = 0, spaces = 0;
	const char *target;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strncmp(p, methods[i], strlen(methods[i])) == 0)
			m = strlen(methods[i]);
	for (i = 0; i < n; i++)
		spaces += p[i] == ' ';
	if (m == 0 || spaces != 2 || n < m + 10)
		return 0;
	if (memcmp(p + n - 9, " HTTP/1.0", 9) != 0 && memcmp(p + n - 9, " HTTP/1.1", 9) != 0)
		return 0;
	target = p + m;
	for (i = m; i < n - 9; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return 0;
	return (target[0] == '/' && target[1] != '/') || strncasecmp(target, "http://", 7) == 0 ||
	    strncasecmp(target, "https://", 8) == 0;
}

static int
header_ok(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t i;

	if (colon == NULL || colon == p)
		return 0;
	for (i = 0; p + i < colon; i++)
		if (strchr(tchars, p[i]) == NULL || p[i] == '\0')
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = input_copy(data, size), *line = in, *end = in + size, *nl;
	struct httphead h = { 0 };
	const char *why = NULL;
	size_t n;
	int r = HTTPHEAD_MORE, status = 0, first = 1;

	while (r == HTTPHEAD_MORE && line < end && (nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
		n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		char *copy = input_copy((const uint8_t *)line, n);
		r = httphead_line(&h, copy, n, &status, &why);
		CHECK(r == HTTPHEAD_MORE || r == HTTPHEAD_DONE || r == HTTPHEAD_REFUSED);
		if (r == HTTPHEAD_REFUSED) {
			CHECK(why != NULL && json_safe(why));
			CHECK(status == 400 || status == 405 || status == 413 || status == 417 ||
			    status == 501 || status == 505);
			CHECK(strcmp(http_reason(status), "Error") != 0);
		} else if (first)
			CHECK(request_line_ok(copy, n));
		else if (r == HTTPHEAD_MORE)
			CHECK(header_ok(copy, n));
		if (r == HTTPHEAD_DONE) {
			CHECK(!first && n == 0);
			CHECK(h.lengths <= 1 && !h.chunked && h.length >= 0 && h.length <= HTTPHEAD_BODY_MAX);
			CHECK(!h.nobody || h.length == 0);
		}
		free(copy);
		first = 0;
		line = nl + 1;
	}
	free(in);
	return 0;
}
