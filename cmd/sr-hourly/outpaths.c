/* outpaths: the files sr-hourly writes (--log, --metrics, --db) are none of the files it reads or keeps. */
#include <sys/stat.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "hourly.h"
#include "msg.h"
#include "store.h"

/* The names sr-hourly keeps in its state directory, and the prefixes of others. */
static const char *const state_names[] = {
	"ranking.tsv", "lock", "loaded", "hours", "week", "rejects", NULL
};
static const char *const state_prefixes[] = { "week.", ".tmp.", NULL };

/* An output: its option, its path, its directory and its base name. */
struct out {
	const char *opt, *path;
	char *dir;
	const char *base;
};

/* Whether name starts as a log file of some hour does: any hour, not only this run's. */
static int
log_named(const char *name)
{
	int64_t sec;

	return hour_named(name, strlen(name), &sec);
}

/* Whether paths a and b are the same directory: the same device and inode, or, missing, spelt alike. */
static int
same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return S_ISDIR(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return strcmp(a, b) == 0;
}

/* Whether the existing path is the same file as st. */
static int
same_file(const char *path, const struct stat *st)
{
	struct stat s;

	return stat(path, &s) == 0 && s.st_dev == st->st_dev && s.st_ino == st->st_ino;
}

static int
listed(const char *name, const char *const names[], int prefix)
{
	for (; *names != NULL; names++)
		if (prefix ? strncmp(name, *names, strlen(*names)) == 0 : strcmp(name, *names) == 0)
			return 1;
	return 0;
}

static void
refuse(const struct out *o, const char *what)
{
	fatal(EXIT_USAGE, "%s %s: is %s: refusing to write over it", o->opt, o->path, what);
}

/* An output in the directory of the logs under a log file's name, or a log file itself (a link to one). */
static void
check_logs(const struct hourly *h, const struct out *o)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	char *p;

	if (same_dir(o->dir, h->logs) && log_named(o->base))
		refuse(o, "named as a log file in --logs");
	if (stat(o->path, &st) < 0 || !S_ISREG(st.st_mode) || (d = opendir(h->logs)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!log_named(e->d_name))
			continue;
		p = pathf("%s/%s", h->logs, e->d_name);
		if (same_file(p, &st)) {
			free(p);
			closedir(d);
			refuse(o, "a log file in --logs");
		}
		free(p);
	}
	closedir(d);
}

/* An output that is a file or directory of the state, or in one of its directories. */
static void
check_state(const struct hourly *h, const struct out *o)
{
	const char *const *n;
	struct stat st;
	char *p;

	if (same_dir(o->dir, h->state) && (listed(o->base, state_names, 0) || listed(o->base, state_prefixes, 1)))
		refuse(o, "a file of --state");
	for (n = state_names; *n != NULL; n++) {
		p = pathf("%s/%s", h->state, *n);
		if (same_dir(o->dir, p) || (stat(p, &st) == 0 && S_ISREG(st.st_mode) && same_file(o->path, &st))) {
			free(p);
			refuse(o, "in --state");
		}
		free(p);
	}
}

static void
split(struct out *o, const char *opt, const char *path)
{
	const char *slash = strrchr(path, '/');

	o->opt = opt;
	o->path = path;
	o->base = slash != NULL ? slash + 1 : path;
	if (slash == NULL)
		o->dir = pathf(".");
	else if (slash == path)
		o->dir = pathf("/");
	else
		o->dir = pathf("%.*s", (int)(slash - path), path);
}

/*
 * Refuse, with status 2 and before anything is written, a --log, --metrics
 * or --db (a file, not a PostgreSQL URI) that would write over what
 * sr-hourly reads or keeps: a log file of --logs (or a name that a later run
 * would read as one), a file of --state, or another of these outputs.
 */
void
check_outputs(const struct hourly *h, const char *logfile, const char *metrics)
{
	const char *opt[] = { "--log", "--metrics", "--db" };
	const char *path[] = { logfile, metrics, h->db };
	struct out o[3];
	struct stat st;
	size_t i, j, n = 0;

	for (i = 0; i < 3; i++) {
		if (path[i] == NULL || (i == 2 && store_is_pg(path[i])))
			continue;
		split(&o[n], opt[i], path[i]);
		check_logs(h, &o[n]);
		check_state(h, &o[n]);
		for (j = 0; j < n; j++)
			if ((same_dir(o[j].dir, o[n].dir) && strcmp(o[j].base, o[n].base) == 0) ||
			    (stat(o[j].path, &st) == 0 && S_ISREG(st.st_mode) && same_file(o[n].path, &st)))
				fatal(EXIT_USAGE, "%s %s: is also %s: refusing to write it twice", o[n].opt,
				    o[n].path, o[j].opt);
		n++;
	}
	for (i = 0; i < n; i++)
		free(o[i].dir);
}
