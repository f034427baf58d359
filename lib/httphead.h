/* httphead: a strict check of an HTTP/1.x request head, a line at a time, before libevent parses it. */
#ifndef SR_HTTPHEAD_H
#define SR_HTTPHEAD_H

#include <stddef.h>
#include <stdint.h>

#define HTTPHEAD_MAX 8192	/* request line and headers, bytes */
#define HTTPHEAD_BODY_MAX 1024	/* a request body (only GET and HEAD are served) */

/* What the lines of one head said so far; all zero before its first line. */
struct httphead {
	unsigned lines;
	int nobody;		/* HEAD or TRACE: libevent reads no body for them */
	int lengths;		/* Content-Length headers */
	int64_t length;
	int chunked;		/* a Transfer-Encoding header */
};

enum { HTTPHEAD_MORE, HTTPHEAD_DONE, HTTPHEAD_REFUSED };

/*
 * One line of a head, without its CRLF or LF. HTTPHEAD_MORE: more lines to
 * come; HTTPHEAD_DONE: the empty line that ends a good head, h->length bytes
 * of body follow; HTTPHEAD_REFUSED: *status and *why (a constant phrase
 * without quotes) say why. Only what libevent's parser reads the same way
 * passes: one request line "METHOD target HTTP/1.x", headers "Name: value".
 */
int httphead_line(struct httphead *h, const char *line, size_t len, int *status, const char **why);

/*
 * The statuses sr-serve answers, with their reason phrases: the one table
 * of them (replies, refusals and the counts in /metrics all use it).
 */
#define HTTP_NSTATUS 13
struct http_status {
	int code;
	const char *reason;
};
extern const struct http_status http_statuses[HTTP_NSTATUS];

/* The index of status in http_statuses, or HTTP_NSTATUS if it is not there. */
size_t http_status_index(int status);
/* The reason phrase of status, "Error" if it is not in the table. */
const char *http_reason(int status);

#endif
