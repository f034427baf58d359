/* weeksums: sr-hourly's ranking of the window from running sums of its partials, switched into place whole or not at all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "hourly.h"
#include "msg.h"
#include "spawn.h"

#define DAY_SECONDS 86400
#define HALVES_FROM 16		/* with --jobs > 1, sums made afresh from more partials merge in halves */
#define FD_RESERVE 16		/* descriptors a merge needs beside its inputs */
#define FANIN_MAX 1024		/* inputs of one merge at most, whatever the limit */

/* An input of a merge: a file, or the read end of a pipe as /dev/fd/N. */
struct input {
	char *path;
	int fd;
};

struct inputs {
	struct input *v;
	size_t n, cap;
};

/*
 * The running sums: STATE/week links to STATE/week.N, which holds sums.tsv
 * (every key of the partials in in/), made (when they were last made from
 * the partials alone), boot (the boot they were written in) and in/ (hard
 * links to the very partials added, so that one replaced or pruned since can
 * still be taken away). They are a cache, not synced: after a reboot they are
 * made afresh.
 */
struct week {
	long n;			/* N of the current week.N, 0 if none */
	char *old;		/* STATE/week.N if its sums can be gone on from, else NULL */
	int64_t made;
	char *new;		/* this run's week, in its temporary directory */
	struct inputs add, sub;
	int afresh;		/* made from all the partials */
	struct pipeline **ps;	/* the merges started */
	size_t nps;
	struct errchan err;	/* their messages, labelled "ranking" */
	struct errchan *errp;	/* &err if open, else NULL */
};

static void
push(struct inputs *in, char *path, int fd)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? 2 * in->cap : 64;
		in->v = realloc(in->v, in->cap * sizeof *in->v);
		if (in->v == NULL)
			fatal(EXIT_DATA, "out of memory");
	}
	in->v[in->n].path = path;
	in->v[in->n++].fd = fd;
}

/* The content of a small file of the week, without its trailing newlines; NULL if none. */
static char *
read_line(const char *dir, const char *name)
{
	char *p = pathf("%s/%s", dir, name), *s;
	size_t n;

	s = read_whole(p, &n);
	free(p);
	while (s != NULL && n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

/* The current week, and whether its sums can be gone on from: there, of this boot. */
static void
find_week(const struct hourly *h, struct week *w)
{
	char *link = pathf("%s/week", h->state), target[64], *boot, *made, *sums, *end;
	ssize_t n = readlink(link, target, sizeof target - 1);
	struct stat st;

	target[n > 0 ? n : 0] = '\0';
	w->n = strtol(target + (strncmp(target, "week.", 5) == 0 ? 5 : 0), &end, 10);
	if (strncmp(target, "week.", 5) != 0 || target[5] < '1' || target[5] > '9' || *end != '\0')
		w->n = 0;
	w->old = pathf("%s/week.%ld", h->state, w->n);
	sums = pathf("%s/sums.tsv", w->old);
	boot = read_line(w->old, "boot");
	made = read_line(w->old, "made");
	if (stat(sums, &st) < 0 || !S_ISREG(st.st_mode) || made == NULL || boot == NULL ||
	    strcmp(boot, h->boot) != 0) {
		free(w->old);
		w->old = NULL;
	} else
		w->made = strspn(made, "0123456789") == strlen(made) ? strtoll(made, NULL, 10) : 0;
	free(link);
	free(sums);
	free(boot);
	free(made);
}

/* The new week's in/: a hard link to each partial of the window. */
static int
link_partials(const struct hourly *h, struct week *w)
{
	char *in = pathf("%s/in", w->new), *from, *to;
	int64_t i;
	int r = 0;

	if (mkdir(w->new, 0777) < 0 || mkdir(in, 0777) < 0) {
		complain("%s: cannot make: %s", w->new, strerror(errno));
		r = -1;
	}
	for (i = 0; r == 0 && i < h->span; i++) {
		from = pathf("%s/%s.tsv", h->hours, h->name[i]);
		to = pathf("%s/%s.tsv", in, h->name[i]);
		if (link(from, to) < 0) {
			complain("%s: cannot link to %s: %s", from, to, strerror(errno));
			r = -1;
		}
		free(from);
		free(to);
	}
	free(in);
	return r;
}

/* The inode of path, 0 if there is none. */
static ino_t
inode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/*
 * Going on from the old week: the partials to add (new or replaced since)
 * and to take away (replaced, or left the window), as the inodes of in/
 * tell. The number added.
 */
static size_t
diff_week(const struct hourly *h, struct week *w)
{
	char *oldin = pathf("%s/in", w->old), *cur, *had;
	size_t n = 0, len;
	struct dirent *e;
	ino_t ci, hi;
	int64_t i;
	DIR *d;

	push(&w->add, pathf("%s/sums.tsv", w->old), -1);
	for (i = 0; i < h->span; i++) {
		cur = pathf("%s/in/%s.tsv", w->new, h->name[i]);
		had = pathf("%s/%s.tsv", oldin, h->name[i]);
		ci = inode(cur);
		hi = inode(had);
		if (hi == 0 || hi != ci) {
			push(&w->add, cur, -1);
			n++;
			cur = NULL;
		}
		if (hi != 0 && hi != ci) {
			push(&w->sub, had, -1);
			had = NULL;
		}
		free(cur);
		free(had);
	}
	if ((d = opendir(oldin)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			len = strlen(e->d_name);
			i = hour_index(h, e->d_name, len);
			if (e->d_name[0] != '.' && len == HOUR_LEN + 4 && (i < 0 || i >= h->span))
				push(&w->sub, pathf("%s/%s", oldin, e->d_name), -1);
		}
		closedir(d);
	} else
		n = SIZE_MAX;	/* the old partials cannot be listed: afresh */
	free(oldin);
	return n;
}

static void
clear_inputs(struct inputs *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		free(in->v[i].path);
	in->n = 0;
}

/*
 * What to merge: from the old sums with the partials added and taken away,
 * or afresh from all the partials of the window, with --full, once a day,
 * when a quarter of the window changed, or when there are no sums to go on
 * from. How, said in *how.
 */
static void
plan_merge(const struct hourly *h, struct week *w, char **how)
{
	size_t added;
	int64_t i;

	if (w->old != NULL && !h->full && h->started - w->made < DAY_SECONDS) {
		added = diff_week(h, w);
		if (added <= (size_t)h->span / 4) {
			*how = pathf("from the running sums, %zu partials added and %zu taken away",
			    added, w->sub.n);
			return;
		}
		clear_inputs(&w->add);
		clear_inputs(&w->sub);
	}
	w->made = h->started;
	w->afresh = 1;
	for (i = 0; i < h->span; i++)
		push(&w->add, pathf("%s/in/%s.tsv", w->new, h->name[i]), -1);
	*how = pathf("from all %lld partials", (long long)h->span);
}

/* The inputs one merge may open within the open-file limit: a pipe's /dev/fd/N counts twice. */
static size_t
fanin(void)
{
	struct rlimit rl;
	rlim_t n = FANIN_MAX * 2 + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < n)
		n = rl.rlim_cur;
	return n < FD_RESERVE + 4 ? 2 : (size_t)(n - FD_RESERVE) / 2;
}

/* Start sr-reduce -m of in[from, to) into a pipe, the last of w->ps; its read end, or -1. */
static int
start_group(struct week *w, const struct input *in, size_t from, size_t to)
{
	struct pipeline *p = xmalloc(sizeof *p);
	struct stage *st = xmalloc(sizeof *st);
	char **argv = xmalloc((to - from + 4) * sizeof *argv);
	int *keep = xmalloc((to - from + 1) * sizeof *keep), fd[2];
	size_t i, n = 0, k = 0;

	memset(p, 0, sizeof *p);	/* no channel until started */

	argv[n++] = "sr-reduce";
	argv[n++] = "-m";
	argv[n++] = "--";
	for (i = from; i < to; i++) {
		argv[n++] = in[i].path;
		if (in[i].fd >= 0)
			keep[k++] = in[i].fd;
	}
	argv[n] = NULL;
	memset(st, 0, sizeof *st);
	st->argv = argv;
	st->keep = keep;
	st->nkeep = k;
	p->stage = st;
	p->n = 1;
	w->ps[w->nps++] = p;
	if (pipe(fd) < 0 || fcntl(fd[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(fd[1], F_SETFD, FD_CLOEXEC) < 0) {
		complain("cannot make a pipe: %s", strerror(errno));
		p->failed = 1;
		p->running = 0;
		return -1;
	}
	pipeline_start(p, -1, fd[1], w->errp);
	close(fd[1]);
	return fd[0];
}

static void
close_inputs(const struct inputs *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (in->v[i].fd >= 0)
			close(in->v[i].fd);
}

/*
 * Merge the n inputs at in, in the groups a merge can open (per at most),
 * into one pipe: the read end, or -1 if a merge could not start. Depth
 * first, so that this program holds few pipes at once: those of the
 * groups done at each level of the tree.
 */
static int
merge_tree(struct week *w, const struct input *in, size_t n, size_t per)
{
	struct inputs mid = { NULL, 0, 0 };
	size_t g, k = (n + per - 1) / per;
	int fd, r = 0;

	if (n <= per)
		return start_group(w, in, 0, n);
	if (k > per)
		k = per;
	for (g = 0; g < k; g++) {
		fd = merge_tree(w, in + g * n / k, (g + 1) * n / k - g * n / k, per);
		if (fd < 0)
			r = -1;
		else
			push(&mid, pathf("/dev/fd/%d", fd), fd);
	}
	fd = r < 0 ? -1 : start_group(w, mid.v, 0, mid.n);
	close_inputs(&mid);
	clear_inputs(&mid);
	free(mid.v);
	return fd;
}

/*
 * The inputs made at most max, each merge opening per at most: any number
 * of partials within the open-file limit, and the groups on several cores.
 * -1 if a merge could not start.
 */
static int
group_inputs(struct week *w, struct inputs *in, size_t max, size_t per)
{
	struct inputs out = { NULL, 0, 0 };
	size_t g, k = max;
	int fd, r = 0;

	if (in->n <= max)
		return 0;
	for (g = 0; g < k; g++) {
		/* The merges' memory is in w->ps, freed by free_week: the analyzer loses it. */
		fd = merge_tree(w, in->v + g * in->n / k, /* NOLINT(clang-analyzer-unix.Malloc) */
		    (g + 1) * in->n / k - g * in->n / k, per);
		if (fd < 0)
			r = -1;
		else
			push(&out, pathf("/dev/fd/%d", fd), fd);
	}
	close_inputs(in);
	clear_inputs(in);
	free(in->v);
	*in = out;
	return r;
}

/* made and boot of the new week; its sums come from the merge. */
static int
write_week_files(const struct hourly *h, const struct week *w)
{
	char made[32], *mpath = pathf("%s/made", w->new), *bpath = pathf("%s/boot", w->new);
	char *tmp = pathf("%s/tmp", w->new), *buf = pathf("%s\n", h->boot);
	const char *op;
	int r;

	snprintf(made, sizeof made, "%lld\n", (long long)w->made);
	r = write_whole(tmp, mpath, made, strlen(made), 0, &op);
	if (r == 0)
		r = write_whole(tmp, bpath, buf, strlen(buf), 0, &op);
	if (r < 0)
		complain("%s: cannot %s: %s", w->new, op, strerror(errno));
	free(mpath);
	free(bpath);
	free(tmp);
	free(buf);
	return r;
}

/* The last merge: sr-reduce -m --tee NEW/sums.tsv [-s SUB]... -- ADD... | sr-topk -n count. */
static struct pipeline *
top_merge(const struct hourly *h, struct week *w)
{
	struct pipeline *p = xmalloc(sizeof *p);
	struct stage *st = xmalloc(2 * sizeof *st);
	char **argv = xmalloc((2 * w->sub.n + w->add.n + 8) * sizeof *argv);
	int *keep = xmalloc((w->sub.n + w->add.n + 1) * sizeof *keep);
	char **topk = xmalloc(4 * sizeof *topk);
	size_t i, n = 0, k = 0;

	memset(p, 0, sizeof *p);	/* no channel until started */

	argv[n++] = "sr-reduce";
	argv[n++] = "-m";
	argv[n++] = "--tee";
	argv[n++] = pathf("%s/sums.tsv", w->new);
	for (i = 0; i < w->sub.n; i++) {
		argv[n++] = "-s";
		argv[n++] = w->sub.v[i].path;
		if (w->sub.v[i].fd >= 0)
			keep[k++] = w->sub.v[i].fd;
	}
	argv[n++] = "--";
	for (i = 0; i < w->add.n; i++) {
		argv[n++] = w->add.v[i].path;
		if (w->add.v[i].fd >= 0)
			keep[k++] = w->add.v[i].fd;
	}
	argv[n] = NULL;
	topk[0] = "sr-topk";
	topk[1] = "-n";
	topk[2] = pathf("%lld", (long long)h->topk);
	topk[3] = NULL;
	memset(st, 0, 2 * sizeof *st);
	st[0].argv = argv;
	st[0].keep = keep;
	st[0].nkeep = k;
	st[1].argv = topk;
	p->stage = st;
	p->n = 2;
	return p;
}

/* Wait for every merge; 0 if each stage of each exited with status 0, else say which failed. */
static int
wait_merges(struct week *w)
{
	size_t i;
	int r = 0;

	while (pipeline_reap(w->ps, w->nps) != NULL)
		;
	if (w->errp != NULL)
		errchan_close(w->errp);
	for (i = 0; i < w->nps; i++)
		if (w->ps[i]->failed || w->ps[i]->running > 0) {
			if (pipeline_report(w->ps[i], "ranking", complain) == 0)
				complain("ranking: a stage could not be started");
			r = -1;
		}
	return r;
}

/*
 * The ranking of the window into the file ranking, and the new sums into the
 * new week: the partials grouped to fit the open-file limit (and, made
 * afresh with --jobs > 1, in two halves on two cores), then merged.
 */
static int
merge_week(const struct hourly *h, struct week *w, const char *ranking)
{
	size_t per = fanin(), maxadd = w->add.n, maxsub = w->sub.n, ntree;
	struct pipeline *top;
	int out, r = 0;

	if (maxadd + maxsub > per) {
		maxsub = maxsub < per / 2 ? maxsub : maxadd < per / 2 ? per - maxadd : per / 2;
		maxadd = per - maxsub;
	}
	if (w->afresh && h->jobs > 1 && w->add.n > HALVES_FROM)
		maxadd = 2;
	ntree = 2 * (w->add.n + w->sub.n) + 4;
	w->ps = xmalloc(ntree * sizeof(struct pipeline *));
	w->errp = errchan_open(&w->err, "ranking") == 0 ? &w->err : NULL;
	if (group_inputs(w, &w->add, maxadd, per) < 0 || group_inputs(w, &w->sub, maxsub, per) < 0)
		r = -1;
	top = top_merge(h, w);
	w->ps[w->nps++] = top;
	top->running = 0;
	top->failed = 1;
	if ((out = open(ranking, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
		complain("%s: %s", ranking, strerror(errno));
	else if (r == 0)
		pipeline_start(top, h->devnull, out, w->errp);
	errchan_started(w->errp);
	if (out >= 0)
		close(out);
	close_inputs(&w->add);
	close_inputs(&w->sub);
	return wait_merges(w) < 0 || r < 0 || out < 0 ? -1 : 0;
}

/* The file made durable: synced, through a descriptor of its own. */
static int
sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r, err;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	err = errno;
	if (close(fd) < 0 && r == 0)
		return -1;
	errno = err;
	return r;
}

/*
 * The new week in place of the old: its directory renamed to week.N+1, then
 * the link week renamed over, each whole or not at all. A failure leaves the
 * old week current (and a week.N+1 that the next run removes).
 */
static int
switch_week(const struct hourly *h, const struct week *w)
{
	char *next = pathf("%s/week.%ld", h->state, w->n + 1), *name = pathf("week.%ld", w->n + 1);
	char *tmplink = pathf("%s/week.link", h->rundir), *link = pathf("%s/week", h->state);
	int r = -1;

	if (rm_tree(next) == 0 && rename(w->new, next) == 0 && symlink(name, tmplink) == 0 &&
	    rename(tmplink, link) == 0)
		r = 0;
	else
		complain("%s: cannot switch the running sums to %s: %s", link, name, strerror(errno));
	free(next);
	free(name);
	free(tmplink);
	free(link);
	return r;
}

/*
 * The ranking into place by a rename, made durable by a sync of the
 * directory; if that sync fails, the previous ranking is put back (from a
 * link kept to it), so that a failed run always leaves it.
 */
static int
replace_ranking(const struct hourly *h, const char *ranking)
{
	char *final = pathf("%s/ranking.tsv", h->state), *keep = pathf("%s/ranking.old", h->rundir);
	int had = link(final, keep) == 0, r = -1, err;

	if (!had && errno != ENOENT)
		complain("%s: cannot link to %s: %s", final, keep, strerror(errno));
	else if (rename(ranking, final) < 0)
		complain("%s: cannot rename to %s: %s", ranking, final, strerror(errno));
	else if (sync_dir(h->state) < 0) {
		err = errno;
		if (had ? rename(keep, final) < 0 : unlink(final) < 0)
			complain("%s: cannot put the previous ranking back: %s", final, strerror(errno));
		complain("%s: cannot sync: %s", h->state, strerror(err));
	} else
		r = 0;
	free(final);
	free(keep);
	return r;
}

/*
 * The ranking, synced, and the new week go into place: first the week, then
 * the ranking. A failure leaves the previous ranking, and sums that are the
 * old or the new, each whole.
 */
static int
commit_week(const struct hourly *h, const struct week *w, const char *ranking)
{
	char *old = pathf("%s/week.%ld", h->state, w->n);
	int r = -1;

	if (sync_file(ranking) < 0)
		complain("%s: cannot sync: %s", ranking, strerror(errno));
	else if (switch_week(h, w) == 0 && replace_ranking(h, ranking) == 0)
		r = 0;
	if (r == 0 && w->n > 0 && rm_tree(old) < 0)
		complain("%s: cannot remove: %s", old, strerror(errno));
	free(old);
	return r;
}

static long long
count_rows(const char *path)
{
	size_t n, i;
	long long rows = 0;
	char *buf = read_whole(path, &n);

	for (i = 0; buf != NULL && i < n; i++)
		rows += buf[i] == '\n';
	free(buf);
	return rows;
}

/* Whether the files a and b hold the same bytes; 0 if either cannot be read. */
static int
same_bytes(const char *a, const char *b)
{
	size_t na, nb;
	char *x = read_whole(a, &na), *y = read_whole(b, &nb);
	int same = x != NULL && y != NULL && na == nb && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

static void
free_inputs(struct inputs *in)
{
	clear_inputs(in);
	free(in->v);
}

/* What a week's merges took: the pipelines, their arguments and inputs. */
static void
free_week(struct week *w)
{
	struct pipeline *p;
	size_t i;

	for (i = 0; i < w->nps; i++) {
		p = w->ps[i];
		if (p->n == 2) {	/* the top merge: its own sums path and count */
			free(p->stage[0].argv[3]);
			free(p->stage[1].argv[2]);
			free(p->stage[1].argv);
		}
		free(p->stage[0].argv);
		free((void *)p->stage[0].keep);
		free(p->stage);
		free(p);
	}
	free(w->ps);
	free_inputs(&w->add);
	free_inputs(&w->sub);
	free(w->old);
	free(w->new);
}

/* The ranking of the window into STATE/ranking.tsv, and the running sums made from the last ones. */
int
rank_window(struct hourly *h)
{
	struct week w;
	char *ranking = pathf("%s/ranking.tsv", h->rundir), *how = NULL;
	char *previous = pathf("%s/ranking.tsv", h->state);
	long long rows;
	int r = -1;

	memset(&w, 0, sizeof w);
	find_week(h, &w);
	w.new = pathf("%s/week", h->rundir);
	if (link_partials(h, &w) == 0) {
		plan_merge(h, &w, &how);
		if (write_week_files(h, &w) == 0 && merge_week(h, &w, ranking) == 0 &&
		    rezero(h, ranking) == 0) {
			rows = count_rows(ranking);
			h->rows = rows;
			h->same = same_bytes(ranking, previous);
			if (commit_week(h, &w, ranking) == 0) {
				say("ranked the window %s: %lld rows in %s/ranking.tsv", how, rows, h->state);
				r = 0;
			}
		}
	}
	free_week(&w);
	free(how);
	free(ranking);
	free(previous);
	return r;
}
