/* sr-hourly: the hourly refresh for cron: maps each new or changed hour of the sales log once into a sorted partial, then ranks the window from running sums of the partials. */
#define _GNU_SOURCE		/* flock */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "hourly.h"
#include "msg.h"
#include "number.h"
#include "spawn.h"
#include "timestamp.h"

#define EXIT_LOCKED 75		/* another run holds the lock */
#define SPAN_DEFAULT 168
#define SPAN_MAX 8784		/* a leap year of hours */
#define LATE_DEFAULT 1
#define LATE_MAX 24
#define JOBS_MAX 1024
#define TOPK_DEFAULT 100
#define TOPK_MAX 1000000
#define REJECTS_MAX 999999999

enum {
	OPT_CSV = CHAR_MAX + 1, OPT_DB, OPT_FULL, OPT_HELP, OPT_HOUR, OPT_HOURS, OPT_JOBS,
	OPT_LATE, OPT_LOG, OPT_LOGS, OPT_MAXREJ, OPT_NOW, OPT_STATE, OPT_VERSION
};

static const struct option longopts[] = {
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "db", required_argument, NULL, OPT_DB },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "hour", required_argument, NULL, OPT_HOUR },
	{ "hours", required_argument, NULL, OPT_HOURS },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "late", required_argument, NULL, OPT_LATE },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "logs", required_argument, NULL, OPT_LOGS },
	{ "max-rejects", required_argument, NULL, OPT_MAXREJ },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-hourly --logs dir --state dir [--csv] [--db path | uri] [--full] [--hour hour ...]\n"
    "       [--hours n] [--jobs n] [--late n] [--log file] [--max-rejects n] [-n count]\n"
    "       [--now time]\n";

static const char abouttext[] =
    "\nMap each hour of sales whose partial is missing or older than its log files,\n"
    "rank the window of the last --hours complete hours (default 168) from running\n"
    "sums of the partials (sr-reduce -m | sr-topk), and load it with sr-load.\n"
    "Log files are named for the UTC hour they were written in: LOGS/HOUR*,\n"
    "HOUR as YYYY-MM-DDTHH. Exit 0 on success, 1 on a failure, 2 on a usage\n"
    "error, 75 when another run holds the lock. See sr-hourly(1).\n";

static struct hourly run;

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A usage error: what is wrong, then the synopsis; status 2. */
static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	fputc('\n', stderr);
	usage_exit(usagetext);
}

/* A count for opt in [min, max], or a usage error. */
static int64_t
count(const char *opt, const char *s, int64_t min, int64_t max)
{
	int digits = s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
	int64_t v;

	if (!digits)
		usage_error("%s: not a count: '%s'", opt, s);
	if (parse_i64(s, strlen(s), &v) != NULL)
		v = INT64_MAX;	/* all digits, too many */
	if (v < min || v > max)
		usage_error("%s: count is too %s: %s", opt, v < min ? "small" : "large", s);
	return v;
}

static void
add_hour_option(const char *s)
{
	struct instant t;
	char buf[HOUR_LEN + 8];

	if (strlen(s) != HOUR_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T')
		usage_error("--hour: not an hour YYYY-MM-DDTHH: '%s'", s);
	snprintf(buf, sizeof buf, "%s:00:00Z", s);
	if (ts_parse(buf, strlen(buf), &t) != NULL)
		usage_error("--hour: not an hour YYYY-MM-DDTHH: '%s'", s);
	run.asked = realloc(run.asked, (run.nasked + 1) * sizeof *run.asked);
	if (run.asked == NULL)
		fatal(EXIT_DATA, "out of memory");
	run.asked[run.nasked++] = s;
}

static void
set_option(int c, const char *arg, const char **now, const char **logfile)
{
	switch (c) {
	case OPT_CSV: run.csv = 1; break;
	case OPT_DB: run.db = arg; break;
	case OPT_FULL: run.full = 1; break;
	case OPT_HELP: help(usagetext, abouttext);
	case OPT_HOUR: add_hour_option(arg); break;
	case OPT_HOURS: run.span = count("--hours", arg, 1, SPAN_MAX); break;
	case OPT_JOBS: run.jobs = count("--jobs", arg, 1, JOBS_MAX); break;
	case OPT_LATE: run.late = count("--late", arg, 0, LATE_MAX); break;
	case OPT_LOG: *logfile = arg; break;
	case OPT_LOGS: run.logs = arg; break;
	case OPT_MAXREJ: run.maxrej = count("--max-rejects", arg, 0, REJECTS_MAX); break;
	case 'n': run.topk = count("-n", arg, 1, TOPK_MAX); break;
	case OPT_NOW: *now = arg; break;
	case OPT_STATE: run.state = arg; break;
	case OPT_VERSION: version();
	default: usage_exit(usagetext);
	}
}

/*
 * The window: the last span complete hours before now, [since, until), and
 * their names with the late hours after them; a window that RFC 3339 cannot
 * write (before year 0000 or after 9999) is a usage error.
 */
static void
set_window(const char *now)
{
	struct instant t = instant_now();
	char buf[TS_BUFSIZE];
	int64_t i;

	if (now != NULL && ts_parse(now, strlen(now), &t) != NULL)
		usage_error("--now: not a time: '%s'", now);
	run.until = t.sec - ((t.sec % HOUR_SECONDS) + HOUR_SECONDS) % HOUR_SECONDS;
	run.since = run.until - run.span * HOUR_SECONDS;
	if (run.since < INSTANT_MIN_SEC || run.until + run.late * HOUR_SECONDS > INSTANT_MAX_SEC + 1)
		usage_error("--now: the window and its late hours must lie in the years 0000 to 9999: '%s'",
		    now != NULL ? now : "now");
	run.name = xmalloc((size_t)(run.span + run.late) * sizeof *run.name);
	for (i = 0; i < run.span + run.late; i++) {
		t.sec = run.since + i * HOUR_SECONDS;
		t.nsec = 0;
		memcpy(run.name[i], ts_format(buf, t), HOUR_LEN);
		run.name[i][HOUR_LEN] = '\0';
	}
}

static const char *
parse_options(int argc, char *argv[])
{
	const char *now = NULL, *logfile = NULL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	run.span = SPAN_DEFAULT;
	run.late = LATE_DEFAULT;
	run.topk = TOPK_DEFAULT;
	run.jobs = cpus < 1 ? 1 : cpus > JOBS_MAX ? JOBS_MAX : cpus;
	while ((c = getopt_long(argc, argv, "n:", longopts, NULL)) != -1)
		set_option(c, optarg, &now, &logfile);
	if (optind < argc)
		usage_error("unexpected operand '%s'", argv[optind]);
	if (run.logs == NULL || run.state == NULL)
		usage_error("%s", "--logs and --state are required");
	set_window(now);
	return logfile;
}

/* Every message to file from now on, the children's too. */
static void
open_log(const char *file)
{
	int fd;

	if (file == NULL)
		return;
	if ((fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) < 0)
		fatal(EXIT_DATA, "%s: %s", file, strerror(errno));
	if (dup2(fd, 2) < 0)
		fatal(EXIT_DATA, "%s: %s", file, strerror(errno));
	close(fd);
}

/* End the run: this run's temporary files go. */
static void
finish(int status)
{
	if (run.rundir != NULL && rm_tree(run.rundir) < 0)
		say("%s: cannot remove: %s", run.rundir, strerror(errno));
	exit(status);
}

static void
die(const char *what, const char *why)
{
	if (why != NULL)
		say("%s: %s", what, why);
	else
		say("%s", what);
	finish(EXIT_DATA);
}

/* Remove in dir what a run killed before its end left behind: the entries starting with prefix. */
static void
remove_leftovers(const char *dir, const char *prefix, const char *keep)
{
	struct dirent *e;
	DIR *d;
	char *p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    (keep != NULL && strcmp(e->d_name, keep) == 0))
			continue;
		p = pathf("%s/%s", dir, e->d_name);
		if (rm_tree(p) < 0)
			say("%s: cannot remove: %s", p, strerror(errno));
		free(p);
	}
	closedir(d);
}

/*
 * One run at a time: the lock is held, on a descriptor the children inherit,
 * until this process and all its children end; then what a killed run left
 * behind is removed, no other run writing now.
 */
static void
take_lock(void)
{
	char *lock = pathf("%s/lock", run.state), current[NAME_MAX + 1];
	char *week = pathf("%s/week", run.state);
	ssize_t n;
	int fd;

	if ((fd = open(lock, O_WRONLY | O_APPEND | O_CREAT, 0666)) < 0)
		die(lock, "cannot open the lock file");
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		say("another run holds %s; nothing done", lock);
		exit(EXIT_LOCKED);
	}
	remove_leftovers(run.state, ".tmp.", NULL);
	remove_leftovers(run.hours, ".tmp.", NULL);
	n = readlink(week, current, sizeof current - 1);
	current[n > 0 ? n : 0] = '\0';
	remove_leftovers(run.state, "week.", current);
	free(lock);
	free(week);
}

/* The state directory, this run's temporary directory in it, the lock, the boot. */
static void
open_state(void)
{
	char *boot;
	size_t n;

	if (mkdir(run.state, 0777) < 0 && errno != EEXIST)
		die(run.state, "cannot make the state directory");
	run.hours = pathf("%s/hours", run.state);
	if (mkdir(run.hours, 0777) < 0 && errno != EEXIST)
		die(run.state, "cannot make the state directory");
	take_lock();
	run.started = (int64_t)time(NULL);
	run.rundir = pathf("%s/.tmp.%ld", run.state, (long)getpid());
	if (mkdir(run.rundir, 0777) < 0) {
		run.rundir = NULL;
		die(run.state, "cannot write in the state directory");
	}
	if ((boot = read_whole("/proc/sys/kernel/random/boot_id", &n)) != NULL) {
		n = strcspn(boot, "\n");
		snprintf(run.boot, sizeof run.boot, "%.*s", (int)n, boot);
		free(boot);
	}
	if (run.boot[0] == '\0')
		snprintf(run.boot, sizeof run.boot, "none.%ld.%lld", (long)getpid(),
		    (long long)run.started);
}

/* Remove the partial of an hour before the window, its list of files and its rejected lines. */
static void
prune_hour(const char *name)
{
	char *tsv = pathf("%s/%s.tsv", run.hours, name), *src = pathf("%s/%s.src", run.hours, name);
	char *rej = pathf("%s/rejects/%s.tsv", run.state, name);

	if (unlink(tsv) < 0 && errno != ENOENT)
		die(tsv, "cannot remove");
	if ((unlink(src) < 0 && errno != ENOENT) || (unlink(rej) < 0 && errno != ENOENT))
		say("%s: cannot remove: %s", errno == ENOENT ? rej : src, strerror(errno));
	free(tsv);
	free(src);
	free(rej);
}

/* Partials of the hours before the window go; those after it (a run with an earlier --now) stay. */
static int64_t
prune(void)
{
	char name[NAME_MAX + 1];
	struct dirent *e;
	int64_t n = 0;
	size_t len;
	DIR *d;

	if ((d = opendir(run.hours)) == NULL)
		die(run.hours, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".tsv") != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(len - 4), e->d_name);
		if (strcmp(name, run.name[0]) < 0) {
			prune_hour(name);
			n++;
		}
	}
	closedir(d);
	if (n > 0)
		say("pruned the partials of %lld hours before %s", (long long)n, run.name[0]);
	if (sync_dir(run.hours) < 0)
		die(run.hours, "cannot sync");
	return n;
}

/* The ranking into the database, with its window, by sr-load. */
static void
load(void)
{
	char *argv[] = { "sr-load", "--db", (char *)run.db, "--since", NULL, "--until", NULL,
	    NULL, NULL };
	struct stage st;
	struct pipeline p;

	argv[4] = pathf("%lld", (long long)run.since);
	argv[6] = pathf("%lld", (long long)run.until);
	argv[7] = pathf("%s/ranking.tsv", run.state);
	memset(&st, 0, sizeof st);
	st.argv = argv;
	p.stage = &st;
	p.n = 1;
	if (pipeline_start(&p, run.devnull, -1) < 0 || pipeline_wait(&p) < 0) {
		pipeline_report(&p, "load", say);
		say("sr-load failed: the previous ranking stays in %s", run.db);
		finish(EXIT_DATA);
	}
	say("loaded into %s", run.db);
}

int
main(int argc, char *argv[])
{
	struct stat st;
	int64_t failed = 0, mapped, pruned;
	int status;

	prog_init(argv);
	spawn_init();
	open_log(parse_options(argc, argv));
	if (stat(run.logs, &st) < 0 || !S_ISDIR(st.st_mode))
		die(run.logs, "not a directory of log files");
	if ((run.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		die("/dev/null", strerror(errno));
	spawn_catch();
	open_state();
	say("window %s to %s (%lld hours, since %lld until %lld), logs in %s", run.name[0],
	    run.name[run.span - 1], (long long)run.span, (long long)run.since,
	    (long long)run.until, run.logs);
	if ((status = plan_hours(&run)) != 0)
		finish(status);
	mapped = map_hours(&run, &failed);
	pruned = prune();
	if (spawn_stopped())
		die("stopped by a signal: the ranking is not refreshed", NULL);
	if (failed > 0) {
		say("hours failed %lld: the ranking is not refreshed", (long long)failed);
		finish(EXIT_DATA);
	}
	if (rank_window(&run) < 0)
		die("ranking failed: the previous ranking stays", NULL);
	if (run.db != NULL)
		load();
	say("done in %lld s: hours mapped %lld, up to date %lld, pruned %lld",
	    (long long)time(NULL) - run.started, (long long)mapped,
	    (long long)(run.span - mapped - failed), (long long)pruned);
	finish(0);
}
