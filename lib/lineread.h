/* lineread: lines from a file or stdin through a large buffer, counted, with a cap on line length. */
#ifndef SR_LINEREAD_H
#define SR_LINEREAD_H

#include <stddef.h>
#include <stdint.h>

#define LINE_MAX_BYTES ((size_t)64 * 1024)
/* Bytes past buf + size that may be read, never written: block scans may overrun a line. */
#define LR_PAD 64

struct lineread {
	int fd;
	const char *name;	/* for messages: the operand, or "stdin" */
	char *buf;
	size_t size, start, end;
	int eof;
	int inlong;		/* inside a line longer than LINE_MAX_BYTES */
	uint64_t lineno;	/* of the line last returned */
	uint64_t bytes;		/* read so far */
};

/*
 * One line without its newline (a '\r' before it is kept). A line longer than
 * LINE_MAX_BYTES comes in pieces: all but the last have more set, and lineno
 * stays that of the line's start.
 */
struct line {
	char *p;
	size_t len;
	int newline;		/* ended by '\n' (not by end of input) */
	int more;		/* a piece of a long line; more pieces follow */
	int cont;		/* a later piece of a long line */
};

/* The bytes read and not yet taken: *p, and how many (LR_PAD more may be read). */
static inline size_t
lr_unread(const struct lineread *lr, char **p)
{
	*p = lr->buf + lr->start;
	return lr->inlong ? 0 : lr->end - lr->start;
}

/* Take a line of len bytes and its newline, found in lr_unread's bytes by the caller. */
static inline void
lr_take(struct lineread *lr, size_t len)
{
	lr->start += len + 1;
	lr->lineno++;
}

int lr_open(struct lineread *lr, const char *path);
int lr_next(struct lineread *lr, struct line *l);
void lr_close(struct lineread *lr);

#endif
