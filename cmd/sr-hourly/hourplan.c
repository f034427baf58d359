/* hourplan: which hours of sr-hourly's window must be mapped again, from their log files and partials. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "durable.h"
#include "hourly.h"
#include "msg.h"

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add_file(struct hour *ho, const char *name, const struct stat *st)
{
	if (ho->nfiles == ho->cap) {
		ho->cap = ho->cap ? 2 * ho->cap : 4;
		ho->files = realloc(ho->files, ho->cap * sizeof *ho->files);
		if (ho->files == NULL)
			fatal(EXIT_DATA, "out of memory");
	}
	ho->files[ho->nfiles] = xmalloc(strlen(name) + 1);
	memcpy(ho->files[ho->nfiles++], name, strlen(name) + 1);
	if (st->st_mtim.tv_sec > ho->newest.tv_sec ||
	    (st->st_mtim.tv_sec == ho->newest.tv_sec && st->st_mtim.tv_nsec > ho->newest.tv_nsec))
		ho->newest = st->st_mtim;
}

/*
 * No log file of the window's hours: a log directory of other names
 * (sales-2026112914.tsv), or logs that stopped coming. Said with an example
 * of a name not read, before anything is done.
 */
static int
no_logs(const struct hourly *h, size_t others, const char *other)
{
	int64_t i;

	for (i = 0; i < h->span + h->late; i++)
		if (h->hour[i].nfiles > 0)
			return 0;
	if (others > 0)
		complain("%s: no log file named for an hour of the window (YYYY-MM-DDTHH, %s to %s): "
		    "%zu files of other names or hours, such as '%s', are not read; nothing done",
		    h->logs, h->name[0], h->name[h->span + h->late - 1], others, other);
	else
		complain("%s: no log file named for an hour of the window (YYYY-MM-DDTHH, %s to %s); "
		    "nothing done", h->logs, h->name[0], h->name[h->span + h->late - 1]);
	return -1;
}

/* The log files of each hour of the run: regular files (or links to them) named for it. */
static int
list_logs(struct hourly *h)
{
	char other[256] = "";
	size_t others = 0;
	struct dirent *e;
	struct stat st;
	int64_t i;
	DIR *d;
	char *p;

	h->hour = calloc((size_t)(h->span + h->late), sizeof *h->hour);
	if (h->hour == NULL)
		fatal(EXIT_DATA, "out of memory");
	if ((d = opendir(h->logs)) == NULL) {
		complain("%s: cannot list the log files: %s", h->logs, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if ((i = hour_index(h, e->d_name, strlen(e->d_name))) < 0) {
			if (e->d_name[0] != '.' && others++ == 0)
				snprintf(other, sizeof other, "%s", e->d_name);
			continue;
		}
		p = pathf("%s/%s", h->logs, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			add_file(&h->hour[i], e->d_name, &st);
		free(p);
	}
	closedir(d);
	for (i = 0; i < h->span + h->late; i++)
		if (h->hour[i].nfiles > 1)
			qsort(h->hour[i].files, h->hour[i].nfiles, sizeof *h->hour[i].files, name_cmp);
	return no_logs(h, others, other);
}

/* Append the path, a backslash and a newline in it escaped, and a newline, to buf. */
static void
append_path(char **buf, size_t *len, const char *dir, const char *name)
{
	char *p = pathf("%s/%s", dir, name), *q;
	size_t i, n = strlen(p);

	q = realloc(*buf, *len + 2 * n + 2);
	if (q == NULL)
		fatal(EXIT_DATA, "out of memory");
	*buf = q;
	for (i = 0; i < n; i++) {
		if (p[i] == '\\' || p[i] == '\n')
			q[(*len)++] = '\\';
		q[(*len)++] = (char)(p[i] == '\n' ? 'n' : p[i]);
	}
	q[(*len)++] = '\n';
	q[*len] = '\0';
	free(p);
}

/*
 * What hours/HOUR.src says of hour i: the log files its partial is made from,
 * of the hour and its late hours, a line each.
 */
char *
sources(const struct hourly *h, int64_t i, size_t *len)
{
	char *buf = xmalloc(1);
	int64_t j;
	size_t k;

	*len = 0;
	buf[0] = '\0';
	for (j = i; j <= i + h->late; j++)
		for (k = 0; k < h->hour[j].nfiles; k++)
			append_path(&buf, len, h->logs, h->hour[j].files[k]);
	return buf;
}

/* The content of an .src file without its empty lines, as older runs wrote one for no files. */
static void
drop_empty_lines(char *s, size_t *n)
{
	size_t i, o = 0;

	for (i = 0; i < *n; i++)
		if (s[i] != '\n' || (o > 0 && s[o - 1] != '\n'))
			s[o++] = s[i];
	*n = o;
}

static int
newer(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* Why the partial of hour i must be made again, or NULL if it is up to date. */
static const char *
why_map(const struct hourly *h, int64_t i)
{
	char *tsv = pathf("%s/%s.tsv", h->hours, h->name[i]);
	char *src = pathf("%s/%s.src", h->hours, h->name[i]);
	char *got, *want;
	size_t gotn, wantn;
	struct stat st;
	const char *why = NULL;
	int64_t j;

	want = sources(h, i, &wantn);
	if (stat(tsv, &st) < 0 || (got = read_whole(src, &gotn)) == NULL)
		why = "new";
	else {
		drop_empty_lines(got, &gotn);
		if (h->hour[i].forced)
			why = h->hour[i].forced == 1 ? "asked for (--hour)" :
			    "its late sales are in the file of an --hour";
		else if (gotn != wantn || memcmp(got, want, gotn) != 0)
			why = "log files added or removed";
		for (j = i; why == NULL && j <= i + h->late; j++)
			if (h->hour[j].nfiles > 0 && newer(h->hour[j].newest, st.st_mtim))
				why = "a log file changed";
		free(got);
	}
	free(want);
	free(tsv);
	free(src);
	return why;
}

/*
 * The --hour names, each in the window, or -1; each hour's partial
 * is made again, and so are those of the --late hours before it, whose late
 * sales its files hold.
 */
static int
mark_asked(struct hourly *h)
{
	size_t k;
	int64_t i, j;

	for (k = 0; k < h->nasked; k++) {
		i = hour_index(h, h->asked[k], HOUR_LEN);
		if (i < 0 || i >= h->span) {
			complain("--hour %s is not in the window; nothing done", h->asked[k]);
			return -1;
		}
		h->hour[i].forced = 1;
		for (j = i - h->late; j < i; j++)
			if (j >= 0 && h->hour[j].forced == 0)
				h->hour[j].forced = 2;
	}
	return 0;
}

/* The number of log files the partial of hour i is made from. */
size_t
nsources(const struct hourly *h, int64_t i)
{
	size_t n = 0;
	int64_t j;

	for (j = i; j <= i + h->late; j++)
		n += h->hour[j].nfiles;
	return n;
}

/*
 * The log files of every hour, and why each hour of the window must be
 * mapped again: 0, EXIT_DATA if the logs cannot be listed or none is of an
 * hour of the window, EXIT_USAGE for an --hour outside the window.
 */
int
plan_hours(struct hourly *h)
{
	int64_t i;

	if (list_logs(h) < 0)
		return EXIT_DATA;
	if (mark_asked(h) < 0)
		return EXIT_USAGE;
	for (i = 0; i < h->span; i++)
		h->hour[i].why = why_map(h, i);
	return 0;
}
