/* out: buffered standard output with checked writes; a write error ends the tool with status 1. */
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fileid.h"
#include "msg.h"
#include "out.h"

char out_buf[OUT_SIZE];
size_t out_len;
static int started;

static int teefd = -1;
static const char *teename;

/* All of p[0..len) to fd; a failure ends the tool, naming what if it is not stdout. */
static void
write_all(int fd, const char *p, size_t len, const char *what)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && what != NULL)
			fatal(EXIT_DATA, "%s: write error: %s", what, strerror(errno));
		if (n < 0)
			fatal(EXIT_DATA, "write error: %s", strerror(errno));
		off += (size_t)n;
	}
}

/*
 * Write everything to the file path too, made or emptied now: what tee(1)
 * would, without its process and its copies of 8 KiB at a time. The file
 * must not be one of the inputs, operands and more (see output_open).
 */
void
out_tee(const char *path, char *const operands[], char *const more[])
{
	teefd = output_open("--tee", path, operands, more);
	teename = path;
}

void
out_flush(void)
{

	/*
	 * A pipe of 64 KiB, Linux's default, wakes the reader four times per
	 * buffer written: between stages a larger one halves the context
	 * switches. Best effort: a limit or another kernel leaves the default.
	 */
#ifdef F_SETPIPE_SZ
	if (!started) {
		started = 1;
		(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, (int)OUT_SIZE);
	}
#endif
	if (teefd >= 0)
		write_all(teefd, out_buf, out_len, teename);
	write_all(STDOUT_FILENO, out_buf, out_len, NULL);
	out_len = 0;
}

/*
 * What does not fit in the buffer's room: flush first; what is at least a
 * buffer long is written from where it is, with no copy.
 */
void
out_write_long(const void *p, size_t n)
{
	out_flush();
	if (n < OUT_SIZE) {
		memcpy(out_buf, p, n);
		out_len = n;
		return;
	}
	if (teefd >= 0)
		write_all(teefd, p, n, teename);
	write_all(STDOUT_FILENO, p, n, NULL);
}

/* The digits go straight into the buffer, from the last: their count first. */
void
out_u64(uint64_t v)
{
	uint64_t t = v;
	size_t n = 1;
	char *p;

	while ((t /= 10) != 0)
		n++;
	if (OUT_SIZE - out_len < n)
		out_flush();
	out_len += n;
	p = out_buf + out_len;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
}

void
out_i64(int64_t v)
{
	if (v < 0) {
		out_char('-');
		out_u64((uint64_t)0 - (uint64_t)v);
	} else
		out_u64((uint64_t)v);
}

/* Flush, then close stdout so that a deferred error (NFS, a full disk) is seen too. */
void
out_close(void)
{
	out_flush();
	if (teefd >= 0 && close(teefd) < 0)
		fatal(EXIT_DATA, "%s: write error: %s", teename, strerror(errno));
	if (close(STDOUT_FILENO) < 0 && errno != EBADF)
		fatal(EXIT_DATA, "write error: %s", strerror(errno));
}
