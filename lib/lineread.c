/* lineread: lines from a file or stdin through a large buffer, counted, with a cap on line length. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineread.h"
#include "fileid.h"
#include "msg.h"
#include "unpack.h"

#define READ_SIZE ((size_t)1024 * 1024)

/*
 * Returns 0, or -1 with errno set and a message already given. A file that is
 * stdout too ends the tool (status 1).
 */
int
lr_open(struct lineread *lr, const char *path)
{
	memset(lr, 0, sizeof *lr);
	if (path == NULL || strcmp(path, "-") == 0) {
		lr->fd = STDIN_FILENO;
		lr->name = "stdin";
	} else {
		lr->name = path;
		lr->fd = open(path, O_RDONLY);
		if (lr->fd < 0) {
			warnmsg("%s: %s", path, strerror(errno));
			return -1;
		}
	}
	/* Read while written to, as with `tool f >> f`, the input would never end. */
	if (same_as_stdout(lr->fd))
		fatal(EXIT_DATA, "%s: is the output too (stdout): refusing to read it", lr->name);
	lr->size = READ_SIZE + LINE_MAX_BYTES;
	lr->buf = calloc(1, lr->size + LR_PAD);
	if (lr->buf == NULL)
		fatal(EXIT_DATA, "out of memory");
	return 0;
}

void
lr_close(struct lineread *lr)
{
	unpack_end(lr->unpack);
	lr->unpack = NULL;
	if (lr->fd != STDIN_FILENO)
		close(lr->fd);
	if (lr->child > 0)
		(void)unpack_wait(lr->child, NULL);
	lr->child = 0;
	free(lr->buf);
	lr->buf = NULL;
}

/* Read into the buffer after its end: the file's bytes, or those decompressed from them. */
static ssize_t
read_more(struct lineread *lr, size_t want)
{
	ssize_t n;

	if (lr->unpack != NULL)
		return unpack_read(lr->unpack, lr->buf + lr->end, want);
	do
		n = lr->nparts > 0 ? pread(lr->fd, lr->buf + lr->end, want, (off_t)lr->off) :
		    read(lr->fd, lr->buf + lr->end, want);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		warnmsg("%s: %s", lr->name, strerror(errno));
	return n;
}

/*
 * The input's first bytes, enough to tell a compressed one by its magic (a
 * pipe may give fewer at a time): if it is, they go to the decompressor, and
 * the lines are read from what it makes of the input.
 */
static int
probe(struct lineread *lr)
{
	enum unpack_kind kind;
	ssize_t n;
	int fd;

	lr->probed = 1;
	while (lr->end < UNPACK_MAGIC_MAX && !lr->eof) {
		if ((n = read_more(lr, lr->size - lr->end)) < 0)
			return -1;
		lr->eof = n == 0;
		lr->end += (size_t)n;
		lr->bytes += (uint64_t)n;
		lr->off += (uint64_t)n;
	}
	if ((kind = unpack_kind(lr->buf, lr->end)) == UNPACK_NONE)
		return 0;
	lr->unpack = unpack_start(kind, lr->fd, lr->name, lr->buf, lr->end);
	lr->end = 0;
	lr->eof = 0;
	lr->bytes = lr->off = 0;
	/* In a child process if one can be had: then the lines come through a pipe. */
	if ((fd = unpack_child(lr->unpack, lr->buf, lr->size, &lr->child)) >= 0) {
		unpack_end(lr->unpack);
		lr->unpack = NULL;
		if (lr->fd != STDIN_FILENO)
			close(lr->fd);
		lr->fd = fd;
	}
	return 0;
}

/* Refill after the unread tail; -1 on a read error (reported here). */
static int
fill(struct lineread *lr)
{
	ssize_t n;
	size_t want;
	uint64_t left;

	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	if (!lr->probed && lr->nparts == 0) {
		if (probe(lr) < 0)
			return -1;
		if (lr->end > 0 || lr->eof)
			return 0;
	}
	want = lr->size - lr->end;
	/* A part reads up to its block's end, then only what finishes the last line. */
	if (lr->nparts > 0) {
		left = (lr->off < lr->limit ? lr->limit - lr->off : 0) + 4096;
		if (want > left)
			want = (size_t)left;
	}
	if ((n = read_more(lr, want)) < 0)
		return -1;
	if (n == 0 && lr->child > 0) {
		n = unpack_wait(lr->child, lr->name);
		lr->child = 0;
		if (n < 0)
			return -1;
	}
	if (n == 0)
		lr->eof = 1;
	lr->end += (size_t)n;
	lr->bytes += (uint64_t)n;
	lr->off += (uint64_t)n;
	return 0;
}

/*
 * Go to block blk of a part: to the first line that starts in it, the one
 * after the first newline at or after the block's first byte - 1. Past the
 * file's end, or with no line starting in the block, there is nothing more:
 * blocks with no line start are skipped. Returns 0, or -1 on a read error.
 */
static int
seek_block(struct lineread *lr)
{
	char chunk[4096], *nl;
	uint64_t b, pos;
	ssize_t n;

	for (;; lr->blk += lr->nparts) {
		lr->start = lr->end = 0;
		lr->inlong = 0;
		b = lr->blk * LR_BLOCK;
		lr->eof = b >= lr->fsize;
		if (lr->eof)
			return 0;
		lr->off = b;
		lr->limit = b + LR_BLOCK;
		if (b == 0)
			return 0;
		for (pos = b - 1; pos < lr->limit; pos += (uint64_t)n) {
			if ((n = pread(lr->fd, chunk, sizeof chunk, (off_t)pos)) < 0) {
				if (errno == EINTR) {
					n = 0;
					continue;
				}
				warnmsg("%s: %s", lr->name, strerror(errno));
				return -1;
			}
			if (n == 0)
				break;
			if ((nl = memchr(chunk, '\n', (size_t)n)) != NULL) {
				lr->off = pos + (uint64_t)(nl - chunk) + 1;
				if (lr->off < lr->limit && lr->off < lr->fsize)
					return 0;
				break;
			}
		}
	}
}

/*
 * From now on, only the lines of a regular file that start in its blocks of
 * LR_BLOCK bytes numbered part - 1, part - 1 + nparts, ...: part (1 to
 * nparts) of nparts that together hold each line once. Returns 0, or -1
 * with a message (not a regular file, a read error).
 */
int
lr_part(struct lineread *lr, uint64_t part, uint64_t nparts)
{
	struct stat st;
	char magic[UNPACK_MAGIC_MAX];
	ssize_t n;
	enum unpack_kind kind;

	if (fstat(lr->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		warnmsg("%s: --part needs a regular file", lr->name);
		return -1;
	}
	n = pread(lr->fd, magic, sizeof magic, 0);
	if ((kind = unpack_kind(magic, n > 0 ? (size_t)n : 0)) != UNPACK_NONE) {
		warnmsg("%s: --part needs an uncompressed file: this one is %s data", lr->name,
		    unpack_name(kind));
		return -1;
	}
	lr->fsize = (uint64_t)st.st_size;
	lr->nparts = nparts;
	lr->blk = part - 1;
	return seek_block(lr);
}

/*
 * The number of the line last returned, in the whole input. A part counts the
 * newlines before the line only when asked, for a message: the lines come in
 * order, so each count goes on from the last.
 */
uint64_t
lr_lineno(struct lineread *lr)
{
	char chunk[65536];
	const char *p, *end;
	ssize_t n;

	if (lr->nparts == 0)
		return lr->lineno;
	while (lr->nloff < lr->lineoff) {
		n = pread(lr->fd, chunk, (size_t)(lr->lineoff - lr->nloff < sizeof chunk ?
		    lr->lineoff - lr->nloff : sizeof chunk), (off_t)lr->nloff);
		if (n <= 0)
			return 0;
		for (p = chunk, end = chunk + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			lr->nlbefore++;
		lr->nloff += (uint64_t)n;
	}
	return lr->nlbefore + 1;
}

static void
take(struct lineread *lr, struct line *l, size_t len, size_t skip)
{
	if (!lr->inlong)
		lr->lineoff = lr->off - (lr->end - lr->start);
	l->p = lr->buf + lr->start;
	l->len = len;
	l->newline = skip != 0;
	l->cont = lr->inlong;
	lr->start += len + skip;
}

/*
 * Returns 1 with a line (or piece), 0 at end of input, -1 on a read error.
 * A line of LINE_MAX_BYTES or more comes as pieces of at most that size.
 */
int
lr_next(struct lineread *lr, struct line *l)
{
	char *nl;
	size_t have, len;

	for (;;) {
		have = lr->end - lr->start;
		if (lr->nparts > 0 && !lr->inlong && have > 0 && lr->off - have >= lr->limit) {
			lr->blk += lr->nparts;
			if (seek_block(lr) < 0)
				return -1;
			continue;
		}
		nl = memchr(lr->buf + lr->start, '\n', have);
		len = nl != NULL ? (size_t)(nl - (lr->buf + lr->start)) : have;
		if (nl == NULL && lr->eof && lr->growing && have < LINE_MAX_BYTES) {
			/* An unterminated last line may be one still being written. */
			lr->unfinished = have;
			lr->start = lr->end;
			return 0;
		}
		if (nl != NULL || have >= LINE_MAX_BYTES || (lr->eof && (have > 0 || lr->inlong))) {
			if (!lr->inlong)
				lr->lineno++;
			l->more = len >= LINE_MAX_BYTES;
			if (l->more)
				take(lr, l, LINE_MAX_BYTES, 0);
			else
				take(lr, l, len, nl != NULL);
			lr->inlong = l->more;
			return 1;
		}
		if (lr->eof)
			return 0;
		if (fill(lr) < 0)
			return -1;
	}
}
