/* runmerge: read input whole when it is a few runs in byte order, and merge those runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "ident.h"
#include "msg.h"
#include "out.h"
#include "runmerge.h"

#define READ_MIN ((size_t)64 << 10)	/* room for this much at least, each read */
#define BUF_FIRST ((size_t)1 << 20)

/* Room for at least READ_MIN more, within RUNS_READ_MAX (and a byte for a last newline). */
static void
grow(struct runs *r)
{
	char *p;

	if (r->size - r->len >= READ_MIN)
		return;
	r->size = r->size == 0 ? BUF_FIRST : 2 * r->size;
	if (r->size > RUNS_READ_MAX)
		r->size = RUNS_READ_MAX;
	if ((p = realloc(r->buf, r->size + 1)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	r->buf = p;
}

/*
 * Read fd, up to RUNS_READ_MAX bytes, checking the order of each line against
 * the one before as sort -C would and noting where each run starts. Returns
 * 1 if it all came in at most RUNS_MAX runs (buf ends in a newline then),
 * else 0, with what was read in buf for the caller to pass on.
 */
int
runs_read(struct runs *r, int fd)
{
	size_t prev = 0, prevlen = 0, line = 0, scan = 0;
	ssize_t n;
	char *nl;

	r->n = 0;
	for (;;) {
		if (r->len >= RUNS_READ_MAX)
			return 0;
		grow(r);
		if ((n = read(fd, r->buf + r->len, r->size - r->len)) < 0) {
			if (errno == EINTR)
				continue;
			fatal(EXIT_DATA, "stdin: %s", strerror(errno));
		}
		r->len += (size_t)n;
		if (n == 0 && r->len > line && r->buf[r->len - 1] != '\n')
			r->buf[r->len++] = '\n';	/* sort ends the last line so too */
		for (; (nl = memchr(r->buf + scan, '\n', r->len - scan)) != NULL; scan = line) {
			if (r->n == 0 || bytes_cmp(r->buf + prev, prevlen, r->buf + line,
			    (size_t)(nl - r->buf) - line) > 0) {
				if (r->n == RUNS_MAX)
					return 0;
				r->start[r->n++] = line;
			}
			prev = line;
			prevlen = (size_t)(nl - r->buf) - line;
			line = (size_t)(nl - r->buf) + 1;
		}
		scan = r->len;
		if (n == 0) {
			r->start[r->n] = r->len;
			return 1;
		}
	}
}

/* A run being merged: its current line at p, len bytes with the newline. */
struct run {
	const char *p, *end;
	size_t len;
};

static inline __attribute__((__always_inline__)) int
run_less(const void *a, const void *b, void *ctx)
{
	const struct run *x = a, *y = b;

	(void)ctx;
	return bytes_cmp(x->p, x->len - 1, y->p, y->len - 1) < 0;
}

static void
run_line(struct run *r)
{
	r->len = (size_t)((const char *)memchr(r->p, '\n', (size_t)(r->end - r->p)) - r->p) + 1;
}

/* Write the runs of r merged, with out_write, through a heap of their current lines. */
void
runs_merge(const struct runs *r)
{
	struct run h[RUNS_MAX];
	size_t n;

	for (n = 0; n < (size_t)r->n; n++) {
		h[n].p = r->buf + r->start[n];
		h[n].end = r->buf + r->start[n + 1];
		run_line(&h[n]);
	}
	heap_make(h, n, sizeof *h, run_less, NULL);
	while (n > 0) {
		out_write(h[0].p, h[0].len);
		h[0].p += h[0].len;
		if (h[0].p == h[0].end) {
			n = heap_pop(h, n, sizeof *h, run_less, NULL);
			continue;
		}
		run_line(&h[0]);
		heap_down(h, n, 0, sizeof *h, run_less, NULL);
	}
}

void
runs_free(struct runs *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->size = 0;
}
