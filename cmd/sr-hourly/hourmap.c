/* hourmap: sr-hourly's mapping of hours, sr-map | sr-sort | sr-reduce, --jobs at a time, each partial put in place whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "hourly.h"
#include "msg.h"
#include "spawn.h"

/* A mapping of one hour: sr-map | sr-sort | sr-reduce into a temporary partial. */
struct job {
	struct pipeline p;
	struct stage st[3];
	struct errchan err;	/* the stages' messages, labelled with the hour */
	char label[HOUR_LEN + 8];
	char **mapargv;
	int64_t hour;
	int out;
	char *tmp, *rej;
	struct timespec stamp;	/* when the mapping started, as the file system tells it */
};

/* sr-map's arguments for hour i, each allocated: its files and those of its late hours, its sales only. */
static char **
map_argv(struct hourly *h, const struct job *jb)
{
	int64_t i = jb->hour, j;
	size_t n = 0, k, cap = 16;
	char **a;

	for (j = i; j <= i + h->late; j++)
		cap += 3 * h->hour[j].nfiles;	/* a file, and "--growing FILE" */
	a = xmalloc(cap * sizeof *a);
	a[n++] = pathf("%s", "sr-map");
	if (h->csv)
		a[n++] = pathf("%s", "--csv");
	a[n++] = pathf("%s", "--max-rejects");
	a[n++] = pathf("%lld", (long long)h->maxrej);
	a[n++] = pathf("%s", "--since");
	a[n++] = pathf("%lld", (long long)h->since + (long long)i * HOUR_SECONDS);
	a[n++] = pathf("%s", "--until");
	a[n++] = pathf("%lld", (long long)h->since + (long long)(i + 1) * HOUR_SECONDS);
	a[n++] = pathf("%s", "--rejects");
	a[n++] = pathf("%s", jb->rej);
	a[n++] = pathf("%s", "--counters");
	/*
	 * The files of the hour now being written, and of later ones, may end
	 * mid-line: sr-map reads them (after the others) without that line.
	 */
	for (j = i; j <= i + h->late; j++)
		for (k = 0; j >= h->span && k < h->hour[j].nfiles; k++) {
			a[n++] = pathf("%s", "--growing");
			a[n++] = pathf("%s/%s", h->logs, h->hour[j].files[k]);
		}
	a[n++] = pathf("%s", "--");
	for (j = i; j <= i + h->late && j < h->span; j++)
		for (k = 0; k < h->hour[j].nfiles; k++)
			a[n++] = pathf("%s/%s", h->logs, h->hour[j].files[k]);
	a[n] = NULL;
	return a;
}

/*
 * Start mapping hour i into a temporary partial; the time it started is the
 * file's own, from the file system's clock, to which the logs' times compare.
 * -1 if it could not start.
 */
static int
start_job(struct hourly *h, struct job *jb, int64_t i)
{
	static char *sortargv[] = { "sr-sort", NULL }, *reduceargv[] = { "sr-reduce", NULL };
	struct stat st;
	int r;

	memset(jb, 0, sizeof *jb);
	jb->err.rfd = jb->err.wfd = -1;
	jb->hour = i;
	jb->tmp = pathf("%s/%s.tsv", h->rundir, h->name[i]);
	jb->rej = pathf("%s/%s.rej", h->rundir, h->name[i]);
	jb->out = open(jb->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (jb->out < 0 || fstat(jb->out, &st) < 0) {
		complain("%s: %s", jb->tmp, strerror(errno));
		return -1;
	}
	jb->stamp = st.st_mtim;
	if (nsources(h, i) == 0)
		return 0;
	jb->mapargv = map_argv(h, jb);
	jb->st[0].argv = jb->mapargv;
	jb->st[1].argv = sortargv;
	jb->st[2].argv = reduceargv;
	jb->p.stage = jb->st;
	jb->p.n = 3;
	snprintf(jb->label, sizeof jb->label, "hour %s", h->name[i]);
	r = pipeline_start(&jb->p, h->devnull, jb->out,
	    errchan_open(&jb->err, jb->label) == 0 ? &jb->err : NULL);
	errchan_started(&jb->err);
	return r;
}

/* The lines of the file open as fd; -1 if it cannot be read. */
static long long
count_lines(int fd)
{
	char buf[65536];
	long long n = 0;
	off_t off = 0;
	ssize_t r, k;

	while ((r = pread(fd, buf, sizeof buf, off)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		for (k = 0; k < r; k++)
			n += buf[k] == '\n';
		off += r;
	}
	return n;
}

/*
 * The rejected lines of a mapping, complete and synced, to rejects/HOUR.tsv;
 * none removes the old ones. -1 if they could not be kept.
 */
static int
keep_rejects(struct hourly *h, const struct job *jb, int ok)
{
	char *dir = pathf("%s/rejects", h->state);
	char *path = pathf("%s/%s.tsv", dir, h->name[jb->hour]);
	const char *op = "open";
	long long n;
	int fd, r = 0;

	if ((fd = open(jb->rej, O_RDONLY | O_CLOEXEC)) < 0 || (n = count_lines(fd)) == 0) {
		if (fd >= 0)
			close(fd);
		unlink(jb->rej);
		if (ok && unlink(path) < 0 && errno != ENOENT)
			complain("%s: cannot remove: %s", path, strerror(errno));
	} else if ((mkdir(dir, 0777) < 0 && errno != EEXIST) ||
	    commit_fd(fd, jb->rej, path, 1, &op) < 0) {
		complain("hour %s: cannot keep the rejected lines in %s: %s: %s", h->name[jb->hour],
		    path, op, strerror(errno));
		r = -1;
	} else if (ok)
		say("hour %s: %lld rejected lines (within --max-rejects %lld) are in %s",
		    h->name[jb->hour], n, (long long)h->maxrej, path);
	else
		complain("hour %s: rejected lines are in %s", h->name[jb->hour], path);
	free(dir);
	free(path);
	return r;
}

/*
 * The partial, complete, synced and dated when its mapping started, replaces
 * the hour's; then the list of its log files. -1 if either failed: the
 * partial is then either the old one or the new one whole.
 */
static int
commit_partial(struct hourly *h, struct job *jb, long long *keys)
{
	struct timespec times[2];
	char *path = pathf("%s/%s.tsv", h->hours, h->name[jb->hour]);
	char *src = pathf("%s/%s.src", h->hours, h->name[jb->hour]);
	char *tmpsrc = pathf("%s/%s.src", h->rundir, h->name[jb->hour]);
	const char *op = "read", *bad = jb->tmp;
	char *list;
	size_t n;
	int fd, r = -1;

	times[0] = times[1] = jb->stamp;
	list = sources(h, jb->hour, &n);
	if ((*keys = count_lines(jb->out)) >= 0) {
		op = "set the time of";
		if (futimens(jb->out, times) == 0) {
			fd = jb->out;
			jb->out = -1;
			bad = path;
			if (commit_fd(fd, jb->tmp, path, 1, &op) == 0) {
				bad = src;
				r = write_whole(tmpsrc, src, list, n, 1, &op);
			}
		}
	}
	if (r < 0)
		complain("%s: cannot %s: %s", bad, op, strerror(errno));
	free(list);
	free(path);
	free(src);
	free(tmpsrc);
	return r;
}

/* What a job allocated: its paths, and sr-map's arguments. */
static void
free_job(struct job *jb)
{
	char **a = jb->mapargv;
	size_t i;

	if (a != NULL) {
		for (i = 0; a[i] != NULL; i++)
			free(a[i]);
		free(a);
	}
	free(jb->tmp);
	free(jb->rej);
	jb->mapargv = NULL;
	jb->tmp = jb->rej = NULL;
}

/* After the mapping of an hour ended: its partial in place, or its failure said; 0 if mapped. */
static int
end_job(struct hourly *h, struct job *jb, const char *why)
{
	const char *name = h->name[jb->hour];
	char what[HOUR_LEN + 8];
	long long keys = 0;
	int ok = !jb->p.failed && !spawn_stopped();

	snprintf(what, sizeof what, "hour %s", name);
	if (jb->p.n > 0)
		errchan_close(&jb->err);
	if (jb->p.n > 0 && pipeline_report(&jb->p, what, complain) == 0 && jb->p.failed)
		complain("%s: a stage could not be started", what);
	if (keep_rejects(h, jb, ok) < 0)
		ok = 0;
	if (ok && commit_partial(h, jb, &keys) < 0)
		ok = 0;
	if (jb->out >= 0) {
		close(jb->out);
		unlink(jb->tmp);
	}
	if (ok)
		say("hour %s: %s: mapped %zu log files into %lld keys", name, why,
		    nsources(h, jb->hour), keys);
	else
		complain("hour %s: failed, its previous partial is kept", name);
	free_job(jb);
	return ok ? 0 : -1;
}

/*
 * Start the next hours to map while fewer than --jobs run (an hour without
 * log files is done at once); the number running.
 */
static int64_t
start_jobs(struct hourly *h, struct job *jobs, struct pipeline **ps, int64_t *next, int64_t *done,
    int64_t *failed)
{
	int64_t k, running = 0;

	for (k = 0; k < h->jobs; k++) {
		while (ps[k] == NULL && *next < h->span && !spawn_stopped()) {
			if (h->hour[*next].why == NULL) {
				++*next;
				continue;
			}
			start_job(h, &jobs[k], (*next)++);
			if (jobs[k].p.running > 0)
				ps[k] = &jobs[k].p;
			else if (end_job(h, &jobs[k], h->hour[jobs[k].hour].why) == 0)
				++*done;
			else
				++*failed;
		}
		running += ps[k] != NULL;
	}
	return running;
}

/* Map the hours that need it, --jobs at a time: the number mapped, and failed in *failed. */
int64_t
map_hours(struct hourly *h, int64_t *failed)
{
	struct job *jobs = calloc((size_t)h->jobs, sizeof *jobs);
	struct pipeline **ps = calloc((size_t)h->jobs, sizeof(struct pipeline *)), *p;
	int64_t next = 0, done = 0, k;

	if (jobs == NULL || ps == NULL)
		fatal(EXIT_DATA, "out of memory");
	while (start_jobs(h, jobs, ps, &next, &done, failed) > 0) {
		if ((p = pipeline_reap(ps, (size_t)h->jobs)) == NULL)
			fatal(EXIT_DATA, "lost the children: %s", strerror(errno));
		for (k = 0; ps[k] != p; k++)
			;
		ps[k] = NULL;
		if (end_job(h, &jobs[k], h->hour[jobs[k].hour].why) == 0)
			done++;
		else
			++*failed;
	}
	for (; next < h->span; next++)
		*failed += h->hour[next].why != NULL;
	free(jobs);
	free(ps);
	return done;
}
