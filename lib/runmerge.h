/* runmerge: read input whole when it is a few runs in byte order, and merge those runs. */
#ifndef SR_RUNMERGE_H
#define SR_RUNMERGE_H

#include <stddef.h>

#define RUNS_MAX 64				/* runs merged here, at most */
#define RUNS_READ_MAX ((size_t)256 << 20)	/* bytes read looking for them, at most */

/*
 * What runs_read took of its input: len bytes at buf (size allocated), and
 * where each of the n runs starts in it; start[n] is len.
 */
struct runs {
	char *buf;
	size_t len, size;
	size_t start[RUNS_MAX + 1];
	int n;
};

int runs_read(struct runs *r, int fd);
void runs_merge(const struct runs *r);
void runs_free(struct runs *r);

#endif
