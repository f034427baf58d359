/* unpack: gzip and zstd input decompressed as it is read, told by its magic bytes, not by its name. */
#define _GNU_SOURCE		/* F_SETPIPE_SZ, where there is one (Linux) */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "msg.h"
#include "unpack.h"

#define UNPACK_IN_SIZE ((size_t)256 * 1024)
#define UNPACK_PIPE_SIZE (1024 * 1024)	/* Linux's largest for any user, by default */
#define GZIP_WINDOW_BITS (15 + 16)	/* zlib's largest window, gzip format only */

/*
 * One compressed input: the bytes read and not yet decompressed in in[pos..len);
 * fd is read when they run out. A gzip stream is one or more members end to end
 * (cat a.gz b.gz), a zstd stream one or more frames: a whole one is
 * complete (atend) and may end the input; a part of one is a truncated file.
 */
struct unpack {
	enum unpack_kind kind;
	int fd;
	const char *name;
	unsigned char *in;
	size_t pos, len;
	int ineof;
	int atend;		/* the input so far is whole members or frames */
	z_stream z;
	ZSTD_DCtx *zd;
};

enum unpack_kind
unpack_kind(const char *p, size_t n)
{
	if (n >= 2 && memcmp(p, "\x1f\x8b", 2) == 0)
		return UNPACK_GZIP;
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return UNPACK_ZSTD;
	return UNPACK_NONE;
}

const char *
unpack_name(enum unpack_kind kind)
{
	return kind == UNPACK_GZIP ? "gzip" : "zstd";
}

/*
 * Start decompressing fd, whose first headlen bytes, already read, are at
 * head. Only runs out of memory (fatal); errors in the data come as it is read.
 */
struct unpack *
unpack_start(enum unpack_kind kind, int fd, const char *name, const char *head, size_t headlen)
{
	struct unpack *u = calloc(1, sizeof *u);

	if (u == NULL || (u->in = malloc(headlen > UNPACK_IN_SIZE ? headlen : UNPACK_IN_SIZE)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	u->kind = kind, u->fd = fd, u->name = name;
	memcpy(u->in, head, headlen);
	u->len = headlen;
	if (kind == UNPACK_GZIP) {
		if (inflateInit2(&u->z, GZIP_WINDOW_BITS) != Z_OK)
			fatal(EXIT_DATA, "out of memory");
	} else if ((u->zd = ZSTD_createDCtx()) == NULL)
		fatal(EXIT_DATA, "out of memory");
	return u;
}

/* More compressed bytes when those read are used up; -1 on a read error (reported). */
static int
refill(struct unpack *u)
{
	ssize_t n;

	if (u->pos < u->len || u->ineof)
		return 0;
	do
		n = read(u->fd, u->in, UNPACK_IN_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		warnmsg("%s: %s", u->name, strerror(errno));
		return -1;
	}
	u->pos = 0;
	u->len = (size_t)n;
	u->ineof = n == 0;
	return 0;
}

static ssize_t
truncated(struct unpack *u)
{
	warnmsg("%s: %s data truncated: the file ends inside a compressed %s", u->name,
	    unpack_name(u->kind), u->kind == UNPACK_GZIP ? "member" : "frame");
	return -1;
}

static ssize_t
corrupt(struct unpack *u, const char *why)
{
	warnmsg("%s: %s data corrupt: %s", u->name, unpack_name(u->kind), why);
	return -1;
}

/* Every member in turn; after one ends, anything but another is corrupt data. */
static ssize_t
gzip_read(struct unpack *u, char *buf, size_t want)
{
	int rc;

	u->z.next_out = (unsigned char *)buf;
	u->z.avail_out = (uInt)want;
	while (u->z.avail_out == want) {
		if (refill(u) < 0)
			return -1;
		if (u->atend) {
			if (u->pos == u->len)
				return 0;
			if (inflateReset(&u->z) != Z_OK)
				return corrupt(u, "cannot restart");
			u->atend = 0;
		}
		u->z.next_in = u->in + u->pos;
		u->z.avail_in = (uInt)(u->len - u->pos);
		rc = inflate(&u->z, Z_NO_FLUSH);
		u->pos = u->len - u->z.avail_in;
		if (rc == Z_STREAM_END)
			u->atend = 1;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return corrupt(u, u->z.msg != NULL ? u->z.msg : "inflate failed");
		else if (u->z.avail_out == want && u->pos == u->len && u->ineof)
			return truncated(u);
	}
	return (ssize_t)(want - u->z.avail_out);
}

/* Frames one after another, as libzstd reads them; a frame of nothing is allowed. */
static ssize_t
zstd_read(struct unpack *u, char *buf, size_t want)
{
	ZSTD_outBuffer out = { buf, want, 0 };
	ZSTD_inBuffer in;
	size_t rc, from;

	while (out.pos == 0) {
		if (refill(u) < 0)
			return -1;
		in.src = u->in, in.size = u->len, in.pos = from = u->pos;
		rc = ZSTD_decompressStream(u->zd, &out, &in);
		u->pos = in.pos;
		if (ZSTD_isError(rc))
			return corrupt(u, ZSTD_getErrorName(rc));
		/* A call that did nothing says what the next frame needs, not whether the last is whole. */
		if (out.pos > 0 || in.pos > from)
			u->atend = rc == 0;
		if (out.pos == 0 && u->pos == u->len && u->ineof)
			return u->atend ? 0 : truncated(u);
	}
	return (ssize_t)out.pos;
}

/* Up to want decompressed bytes into buf: how many, 0 at the end, -1 on an error (reported). */
ssize_t
unpack_read(struct unpack *u, char *buf, size_t want)
{
	if (want > (size_t)1 << 30)
		want = (size_t)1 << 30;
	return u->kind == UNPACK_GZIP ? gzip_read(u, buf, want) : zstd_read(u, buf, want);
}

void
unpack_end(struct unpack *u)
{
	if (u == NULL)
		return;
	if (u->kind == UNPACK_GZIP)
		inflateEnd(&u->z);
	else
		ZSTD_freeDCtx(u->zd);
	free(u->in);
	free(u);
}

/* All of p[0..n) to fd; -1 on an error (the reader has gone: nothing to say). */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0 && errno != EINTR)
			return -1;
		if (w > 0)
			p += w, n -= (size_t)w;
	}
	return 0;
}

/*
 * Decompress in a child process, which writes into a pipe, buf[0..size) its
 * buffer: with two cores the reader's parsing then overlaps the
 * decompressing, as in `zcat file | tool`. Returns the pipe's end to read,
 * with *pid set; or -1 if no child could be had, and the caller decompresses
 * with u itself. The child reports its errors and exits 1 after them.
 */
int
unpack_child(struct unpack *u, char *buf, size_t size, pid_t *pid)
{
	int fds[2];
	ssize_t n;

	if (pipe(fds) < 0)
		return -1;
#ifdef F_SETPIPE_SZ
	/* Fewer, larger writes and reads: a third less system time than 64 KiB. */
	(void)fcntl(fds[1], F_SETPIPE_SZ, UNPACK_PIPE_SIZE);
#endif
	if ((*pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (*pid == 0) {
		close(fds[0]);
		while ((n = unpack_read(u, buf, size)) > 0)
			if (write_all(fds[1], buf, (size_t)n) < 0)
				_exit(EXIT_DATA);
		_exit(n < 0 ? EXIT_DATA : 0);
	}
	close(fds[1]);
	return fds[0];
}

/*
 * The end of unpack_child's child: 0, or -1 if it failed (it said why) or
 * was killed (said here, if name is not NULL: the reader still wanted it).
 */
int
unpack_wait(pid_t pid, const char *name)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			if (name != NULL)
				warnmsg("%s: decompressing: %s", name, strerror(errno));
			return -1;
		}
	if (WIFSIGNALED(status) && name != NULL)
		warnmsg("%s: decompressing: killed by signal %d", name, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
