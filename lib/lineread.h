/* lineread: lines from a file or stdin through a large buffer, counted, with a cap on line length. */
#ifndef SR_LINEREAD_H
#define SR_LINEREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define LINE_MAX_BYTES ((size_t)64 * 1024)
/* Bytes past buf + size that may be read, never written: block scans may overrun a line. */
#define LR_PAD 64

/* A part of a file (lr_part) is every nparts-th block of this many bytes. */
#define LR_BLOCK ((uint64_t)4 << 20)

struct lineread {
	int fd;
	const char *name;	/* for messages: the operand, or "stdin" */
	char *buf;
	size_t size, start, end;
	int eof;
	int inlong;		/* inside a line longer than LINE_MAX_BYTES */
	uint64_t lineno;	/* of the line last returned; in a part, counted from its start */
	uint64_t bytes;		/* read so far */
	uint64_t off;		/* input offset of buf[end] */
	uint64_t lineoff;	/* input offset of the line last returned */
	/* lr_part: the lines that start in blocks blk, blk + nparts, ... of the file */
	uint64_t nparts, blk, limit, fsize;
	uint64_t nlbefore, nloff;	/* newlines counted before nloff, for lr_lineno */
	struct unpack *unpack;	/* a compressed input, decompressed as read; or NULL */
	pid_t child;		/* or a process that decompresses it into fd, a pipe; or 0 */
	int probed;		/* the first bytes were looked at for a compression's magic */
	int growing;		/* may still be appended to: an unterminated last line is not read */
	size_t unfinished;	/* bytes of that line left unread at the end */
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

/*
 * The bytes read and not yet taken: *p, and how many (LR_PAD more may be
 * read); in a part, only those before its current block ends.
 */
static inline size_t
lr_unread(const struct lineread *lr, char **p)
{
	uint64_t at = lr->off - (lr->end - lr->start);

	*p = lr->buf + lr->start;
	if (lr->inlong || (lr->nparts > 0 && at >= lr->limit))
		return 0;
	if (lr->nparts > 0 && lr->limit - at < lr->end - lr->start)
		return (size_t)(lr->limit - at);
	return lr->end - lr->start;
}

/* Take a line of len bytes and its newline, found in lr_unread's bytes by the caller. */
static inline void
lr_take(struct lineread *lr, size_t len)
{
	lr->lineoff = lr->off - (lr->end - lr->start);
	lr->start += len + 1;
	lr->lineno++;
}

/* Bytes lr_copy may read and write past n: room a buffer it copies into keeps. */
#define LR_COPY_SLACK 32

/*
 * Copy n bytes from src, in a read buffer (so LR_COPY_SLACK bytes may be read
 * there), to dst, which has room for at least LR_COPY_SLACK: two 16-byte moves when n <= 32,
 * which the compiler cannot turn back into a call to memcpy of n bytes, and
 * which a later load of dst can take straight from the store buffer.
 */
static inline void
lr_copy(void *dst, const void *src, size_t n)
{
#ifdef __SSE2__
	if (n <= 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)src);
		__m128i b = _mm_loadu_si128((const __m128i *)((const char *)src + 16));

		_mm_storeu_si128((__m128i *)dst, a);
		_mm_storeu_si128((__m128i *)((char *)dst + 16), b);
		return;
	}
#endif
	memcpy(dst, src, n);
}

int lr_open(struct lineread *lr, const char *path);
int lr_part(struct lineread *lr, uint64_t part, uint64_t nparts);
uint64_t lr_lineno(struct lineread *lr);
int lr_next(struct lineread *lr, struct line *l);
void lr_close(struct lineread *lr);

#endif
