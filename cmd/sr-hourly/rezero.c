/* rezero: the categories of a ranking that reached totals of 0, ranked again exactly from the partials of the window. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "hourly.h"
#include "spawn.h"

/* A category: bytes in a ranking or a partial. */
struct cat {
	const char *p;
	size_t n;
};

/* Byte order of the first field, as sort -k1,1 in the C locale. */
static int
cat_cmp(const void *a, const void *b)
{
	const struct cat *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* The first field of the line at p, and the start of the next line. */
static struct cat
first_field(const char *p, const char *end, const char **next)
{
	struct cat c;
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*next = nl != NULL ? nl + 1 : end;
	c.p = p;
	c.n = strcspn(p, "\t\n");
	if (c.p + c.n > *next)
		c.n = (size_t)(*next - p);
	return c;
}

/* The categories of the ranking buf whose ranking reached a total of 0, sorted; how many. */
static size_t
zero_categories(const char *buf, size_t len, struct cat **cats)
{
	const char *p = buf, *end = buf + len, *next, *nl;
	size_t n = 0;
	struct cat c;

	*cats = xmalloc((len / 8 + 1) * sizeof **cats);
	for (; p < end; p = next) {
		c = first_field(p, end, &next);
		nl = next[-1] == '\n' ? next - 1 : next;
		if (nl - p >= 2 && nl[-1] == '0' && nl[-2] == '\t' &&
		    (n == 0 || cat_cmp(&(*cats)[n - 1], &c) != 0))
			(*cats)[n++] = c;
	}
	qsort(*cats, n, sizeof **cats, cat_cmp);
	return n;
}

/* The lines of the window's partials in those categories, into fd; -1 if they could not all go. */
static int
feed_partials(const struct hourly *h, const struct cat *cats, size_t ncats, int fd)
{
	const char *p, *end, *next;
	char *path, *buf;
	struct cat c;
	size_t len;
	int64_t i;

	for (i = 0; i < h->span; i++) {
		path = pathf("%s/week/in/%s.tsv", h->rundir, h->name[i]);
		buf = read_whole(path, &len);
		if (buf == NULL)
			complain("%s: %s", path, strerror(errno));
		free(path);
		if (buf == NULL)
			return -1;
		for (p = buf, end = buf + len; p < end; p = next) {
			c = first_field(p, end, &next);
			if (bsearch(&c, cats, ncats, sizeof *cats, cat_cmp) != NULL &&
			    write_all(fd, p, (size_t)(next - p)) < 0) {
				free(buf);
				return -1;
			}
		}
		free(buf);
	}
	return 0;
}

/*
 * Rank those categories again from the partials: their lines first into a
 * file (so that no stage waits on this program while it writes), then
 * sr-sort | sr-reduce | sr-topk from it into exact.
 */
static int
rank_exactly(const struct hourly *h, const struct cat *cats, size_t ncats, const char *exact)
{
	static char *sortargv[] = { "sr-sort", NULL }, *reduceargv[] = { "sr-reduce", NULL };
	char *topkargv[] = { "sr-topk", "-n", NULL, NULL };
	char *lines = pathf("%s/zero-lines.tsv", h->rundir);
	struct errchan err;
	struct stage st[3];
	struct pipeline p;
	int in = -1, out = -1, r = -1;

	memset(st, 0, sizeof st);
	st[0].argv = sortargv;
	st[1].argv = reduceargv;
	st[2].argv = topkargv;
	p.stage = st;
	p.n = 3;
	if ((in = open(lines, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0 ||
	    feed_partials(h, cats, ncats, in) < 0 || lseek(in, 0, SEEK_SET) < 0)
		complain("%s: %s", lines, strerror(errno));
	else if ((out = open(exact, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
		complain("%s: %s", exact, strerror(errno));
	else {
		topkargv[2] = pathf("%lld", (long long)h->topk);
		pipeline_start(&p, in, out, errchan_open(&err, "ranking") == 0 ? &err : NULL);
		errchan_started(&err);
		r = pipeline_wait(&p);
		errchan_close(&err);
		if (r < 0 && pipeline_report(&p, "ranking categories with totals of 0 again", complain) == 0)
			complain("ranking categories with totals of 0 again: failed");
		free(topkargv[2]);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(lines);
	return r;
}

/*
 * The ranking with the categories of cats replaced by their lines of exact,
 * in the order of the categories, into out (of at least rlen + elen bytes);
 * its length.
 */
static size_t
splice(const char *r, size_t rlen, const char *e, size_t elen, const struct cat *cats,
    size_t ncats, char *out)
{
	const char *rend = r + rlen, *eend = e + elen, *rnext = rend, *enext = eend;
	struct cat rc = { r, 0 }, ec = { e, 0 };
	size_t o = 0;

	while (r < rend || e < eend) {
		if (r < rend) {
			rc = first_field(r, rend, &rnext);
			if (bsearch(&rc, cats, ncats, sizeof *cats, cat_cmp) != NULL) {
				r = rnext;
				continue;
			}
		}
		if (e < eend)
			ec = first_field(e, eend, &enext);
		if (e >= eend || (r < rend && cat_cmp(&rc, &ec) <= 0)) {
			memcpy(out + o, r, (size_t)(rnext - r));
			o += (size_t)(rnext - r);
			r = rnext;
		} else {
			memcpy(out + o, e, (size_t)(enext - e));
			o += (size_t)(enext - e);
			e = enext;
		}
	}
	return o;
}

/*
 * A category whose ranking reached totals of 0 may show a key whose hours all
 * left the window (the sums keep it, at 0, until made afresh): rank those
 * categories again from the partials of the window, which is exact.
 */
int
rezero(const struct hourly *h, const char *ranking)
{
	char *exact = pathf("%s/exact.tsv", h->rundir), *tmp = pathf("%s/ranking.new", h->rundir);
	char *r, *e = NULL, *out = NULL;
	size_t rlen, elen, ncats, n;
	struct cat *cats = NULL;
	const char *op = "read";
	int ret = -1;

	if ((r = read_whole(ranking, &rlen)) == NULL)
		complain("%s: %s", ranking, strerror(errno));
	else if ((ncats = zero_categories(r, rlen, &cats)) == 0)
		ret = 0;
	else if (rank_exactly(h, cats, ncats, exact) == 0) {
		if ((e = read_whole(exact, &elen)) != NULL) {
			out = xmalloc(rlen + elen + 1);
			n = splice(r, rlen, e, elen, cats, ncats, out);
			ret = write_whole(tmp, ranking, out, n, 0, &op);
		}
		if (ret < 0)
			complain("%s: cannot %s: %s", ranking, op, strerror(errno));
		else
			say("ranked %zu categories with totals of 0 again from the partials", ncats);
	}
	free(cats);
	free(r);
	free(e);
	free(out);
	free(exact);
	free(tmp);
	return ret;
}
