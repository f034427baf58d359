/* lineread: lines from a file or stdin through a large buffer, counted, with a cap on line length. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineread.h"
#include "msg.h"

#define READ_SIZE ((size_t)1024 * 1024)

/* Returns 0, or -1 with errno set and a message already given. */
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
	lr->size = READ_SIZE + LINE_MAX_BYTES;
	lr->buf = calloc(1, lr->size + LR_PAD);
	if (lr->buf == NULL)
		fatal(EXIT_DATA, "out of memory");
	return 0;
}

void
lr_close(struct lineread *lr)
{
	if (lr->fd != STDIN_FILENO)
		close(lr->fd);
	free(lr->buf);
	lr->buf = NULL;
}

/* Refill after the unread tail; -1 on a read error (reported here). */
static int
fill(struct lineread *lr)
{
	ssize_t n;

	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	do
		n = read(lr->fd, lr->buf + lr->end, lr->size - lr->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		warnmsg("%s: %s", lr->name, strerror(errno));
		return -1;
	}
	if (n == 0)
		lr->eof = 1;
	lr->end += (size_t)n;
	lr->bytes += (uint64_t)n;
	return 0;
}

static void
take(struct lineread *lr, struct line *l, size_t len, size_t skip)
{
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
		nl = memchr(lr->buf + lr->start, '\n', have);
		len = nl != NULL ? (size_t)(nl - (lr->buf + lr->start)) : have;
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
