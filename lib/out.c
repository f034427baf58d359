/* out: buffered standard output with checked writes; a write error ends the tool with status 1. */
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "out.h"

#define OUT_SIZE ((size_t)256 * 1024)

static char outbuf[OUT_SIZE];
static size_t outlen;
static int started;

void
out_flush(void)
{
	size_t off = 0;
	ssize_t n;

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
	while (off < outlen) {
		n = write(STDOUT_FILENO, outbuf + off, outlen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal(EXIT_DATA, "write error: %s", strerror(errno));
		off += (size_t)n;
	}
	outlen = 0;
}

void
out_write(const void *p, size_t n)
{
	if (n > OUT_SIZE - outlen) {
		out_flush();
		if (n > OUT_SIZE) {
			memcpy(outbuf, p, OUT_SIZE);
			outlen = OUT_SIZE;
			out_flush();
			out_write((const char *)p + OUT_SIZE, n - OUT_SIZE);
			return;
		}
	}
	memcpy(outbuf + outlen, p, n);
	outlen += n;
}

void
out_char(char c)
{
	if (outlen == OUT_SIZE)
		out_flush();
	outbuf[outlen++] = c;
}

void
out_u64(uint64_t v)
{
	char buf[24], *p = buf + sizeof buf;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	out_write(p, (size_t)(buf + sizeof buf - p));
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
	if (close(STDOUT_FILENO) < 0 && errno != EBADF)
		fatal(EXIT_DATA, "write error: %s", strerror(errno));
}
