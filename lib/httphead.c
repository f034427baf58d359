/* httphead: a strict check of an HTTP/1.x request head, a line at a time, before libevent parses it. */
#include <string.h>
#include <strings.h>

#include "httphead.h"

#define REFUSE(s, w) do { *status = (s); *why = (w); return HTTPHEAD_REFUSED; } while (0)

/* Methods libevent knows; CONNECT is left out: its target is an authority that libevent parses apart. */
static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH" };

static int
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Visible ASCII: percent-encoding is the business of whoever decodes the target. */
static int
target_chars_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * "/path?query" (not "//", which libevent takes for an authority), or
 * "http://host[:port]/path": a host of letters, digits, dots and dashes and
 * a port of at most 65535, as libevent's URI parser wants them.
 */
static int
target_ok(const char *p, size_t n)
{
	size_t i, skip, digits = 0;
	long port = 0;

	if (!target_chars_ok(p, n))
		return 0;
	if (n >= 1 && p[0] == '/')
		return n == 1 || p[1] != '/';
	if (n > 7 && strncasecmp(p, "http://", 7) == 0)
		skip = 7;
	else if (n > 8 && strncasecmp(p, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	for (i = skip; i < n && p[i] != '/' && p[i] != ':'; i++)
		if (!(p[i] >= '0' && p[i] <= '9') && !(p[i] >= 'a' && p[i] <= 'z') &&
		    !(p[i] >= 'A' && p[i] <= 'Z') && p[i] != '.' && p[i] != '-')
			return 0;
	if (i == skip)
		return 0;
	if (i < n && p[i] == ':') {
		for (i++; i < n && p[i] >= '0' && p[i] <= '9' && digits < 6; i++, digits++)
			port = port * 10 + (p[i] - '0');
		if (digits == 0 || port > 65535)
			return 0;
	}
	return i == n || (p[i] == '/' && (i + 1 == n || p[i + 1] != '/'));
}

static int
request_line(struct httphead *h, const char *line, size_t len, int *status, const char **why)
{
	const char *sp1 = memchr(line, ' ', len), *sp2, *ver;
	size_t i, mlen, vlen;

	if (len == 0)
		REFUSE(400, "empty request line");
	if (sp1 == NULL)
		REFUSE(400, "malformed request line (want METHOD target HTTP/1.1)");
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (sp2 == NULL)
		REFUSE(400, "no HTTP version in the request line (HTTP/0.9 is not served)");
	ver = sp2 + 1;
	vlen = len - (size_t)(ver - line);
	mlen = (size_t)(sp1 - line);
	if (mlen == 0 || sp2 == sp1 + 1 || memchr(ver, ' ', vlen) != NULL)
		REFUSE(400, "malformed request line (want METHOD target HTTP/1.1)");
	if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1')) {
		if (vlen == 8 && memcmp(ver, "HTTP/", 5) == 0 && ver[5] >= '0' && ver[5] <= '9' &&
		    ver[6] == '.' && ver[7] >= '0' && ver[7] <= '9')
			REFUSE(505, "HTTP version not supported (want HTTP/1.0 or HTTP/1.1)");
		REFUSE(400, "malformed HTTP version (want HTTP/1.0 or HTTP/1.1)");
	}
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strlen(methods[i]) == mlen && memcmp(methods[i], line, mlen) == 0)
			break;
	if (i == sizeof methods / sizeof methods[0]) {
		if (mlen == 7 && memcmp(line, "CONNECT", 7) == 0)
			REFUSE(405, "method not allowed (want GET or HEAD)");
		REFUSE(501, "method not implemented (want GET or HEAD)");
	}
	h->nobody = strcmp(methods[i], "HEAD") == 0 || strcmp(methods[i], "TRACE") == 0;
	if (!target_ok(sp1 + 1, (size_t)(sp2 - sp1 - 1)))
		REFUSE(400, "malformed request target (want /path?query)");
	return HTTPHEAD_MORE;
}

static int
name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* A Content-Length: digits only, once, and no more than a body may hold. */
static int
content_length(struct httphead *h, const char *v, size_t n, int *status, const char **why)
{
	size_t i;

	if (++h->lengths > 1)
		REFUSE(400, "more than one Content-Length");
	for (i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++)
		;
	if (n == 0 || i < n)
		REFUSE(400, "Content-Length is not a number");
	for (i = 0; i < n && h->length <= HTTPHEAD_BODY_MAX; i++)
		h->length = h->length * 10 + (v[i] - '0');
	if (h->length > HTTPHEAD_BODY_MAX)
		REFUSE(413, "request body too large (at most 1024 bytes)");
	return HTTPHEAD_MORE;
}

static int
header_line(struct httphead *h, const char *line, size_t len, int *status, const char **why)
{
	const char *colon = memchr(line, ':', len), *v;
	size_t i, nlen, vlen;

	if (line[0] == ' ' || line[0] == '\t')
		REFUSE(400, "folded header line");
	if (colon == NULL)
		REFUSE(400, "malformed header line (want Name: value)");
	nlen = (size_t)(colon - line);
	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)line[i]))
			break;
	if (nlen == 0 || i < nlen)
		REFUSE(400, "malformed header line (want Name: value)");
	for (i = nlen + 1; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			REFUSE(400, "control character in a header");
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (name_is(line, nlen, "Content-Length"))
		return content_length(h, v, vlen, status, why);
	if (name_is(line, nlen, "Transfer-Encoding"))
		h->chunked = 1;
	else if (name_is(line, nlen, "Expect") && !(vlen == 12 && strncasecmp(v, "100-continue", 12) == 0))
		REFUSE(417, "expectation failed (only Expect: 100-continue is understood)");
	return HTTPHEAD_MORE;
}

/* The empty line: what the head says of its body. */
static int
head_end(struct httphead *h, int *status, const char **why)
{
	if (h->chunked && h->lengths > 0)
		REFUSE(400, "both Content-Length and Transfer-Encoding");
	if (h->chunked)
		REFUSE(501, "Transfer-Encoding not implemented");
	if (h->nobody && h->length > 0)
		REFUSE(400, "a body on a HEAD or TRACE request");
	return HTTPHEAD_DONE;
}

int
httphead_line(struct httphead *h, const char *line, size_t len, int *status, const char **why)
{
	if (h->lines++ == 0)
		return request_line(h, line, len, status, why);
	if (len == 0)
		return head_end(h, status, why);
	return header_line(h, line, len, status, why);
}

const struct http_status http_statuses[] = {
	{ 200, "OK" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 417, "Expectation Failed" },
	{ 431, "Request Header Fields Too Large" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

size_t
http_status_index(int status)
{
	size_t i;

	for (i = 0; i < HTTP_NSTATUS && http_statuses[i].code != status; i++)
		;
	return i;
}

const char *
http_reason(int status)
{
	size_t i = http_status_index(status);

	return i < HTTP_NSTATUS ? http_statuses[i].reason : "Error";
}
