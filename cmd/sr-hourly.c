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
	OPT_CSV = CHAR_MAX + 1, OPT_DB, OPT_FULL, OPT_HOUR, OPT_HOURS, OPT_JOBS, OPT_LATE, OPT_LOG,
	OPT_LOGS, OPT_MAXREJ, OPT_METRICS, OPT_NOW, OPT_STATE
};

static const struct option longopts[] = {
	{ "count", required_argument, NULL, 'n' },
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
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "quiet", no_argument, NULL, 'q' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-hourly --logs dir --state dir [-q] [--csv] [--db path | uri] [--full]\n"
    "       [--hour hour ...] [--hours n] [--jobs n] [--late n] [--log file]\n"
    "       [--max-rejects n] [--metrics file] [-n count] [--now time]\n";

static const char abouttext[] =
    "\nMap each hour of sales whose partial is missing or older than its log files,\n"
    "rank the window of the last --hours complete hours (default 168) from running\n"
    "sums of the partials (sr-reduce -m | sr-topk), and load it with sr-load.\n"
    "Log files are named for the UTC hour they were written in: LOGS/HOUR*,\n"
    "HOUR as YYYY-MM-DDTHH.\n"
    "\n"
    "  --csv            the log files are CSV, as sr-map --csv reads them\n"
    "  --db path|uri    load the ranking into this SQLite file or PostgreSQL URI\n"
    "  --full           make the running sums afresh from all the partials\n"
    "  --hour hour      map this hour (YYYY-MM-DDTHH) again; may be repeated\n"
    "  --hours n        the window: the last n complete hours (default 168)\n"
    "  --jobs n         map up to n hours at once (default: the processors)\n"
    "  --late n         a sale may be in the files of n hours after its own (default 1)\n"
    "  --log file       append every message to file; a failure still says why on stderr\n"
    "  --logs dir       the directory of the log files (required)\n"
    "  --max-rejects n  an hour may have up to n rejected lines (default 0)\n"
    "  --metrics file   write a node_exporter textfile-collector file of the run\n"
    "  -n, --count count  rank the best count products of each category (default 100)\n"
    "  --now time       the window ends at the hour of time (RFC 3339 or epoch seconds)\n"
    "  -q, --quiet      nothing on stderr when the run succeeds\n"
    "  --state dir      the directory of the partials, the ranking and the lock (required)\n"
    "  --help, --version\n"
    "\n"
    "Exit 0 on success, 1 on a failure, 2 on a usage error, 75 when another run\n"
    "holds the lock. See sr-hourly(1).\n";

static struct hourly run;

/* What main hands to the end of the run. */
static const char *metrics;
static struct instant started;

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void finish(int status) __attribute__((noreturn));
static void die(const char *what, const char *why) __attribute__((noreturn));

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
set_option(int c, const char *arg, const char **now, const char **logfile, int *quiet)
{
	switch (c) {
	case OPT_CSV: run.csv = 1; break;
	case OPT_DB: run.db = arg; break;
	case OPT_FULL: run.full = 1; break;
	case OPT_HOUR: add_hour_option(arg); break;
	case OPT_HOURS: run.span = count("--hours", arg, 1, SPAN_MAX); break;
	case OPT_JOBS: run.jobs = count("--jobs", arg, 1, JOBS_MAX); break;
	case OPT_LATE: run.late = count("--late", arg, 0, LATE_MAX); break;
	case OPT_LOG: *logfile = arg; break;
	case OPT_LOGS: run.logs = arg; break;
	case OPT_MAXREJ: run.maxrej = count("--max-rejects", arg, 0, REJECTS_MAX); break;
	case OPT_METRICS: metrics = arg; break;
	case 'n': run.topk = count("-n", arg, 1, TOPK_MAX); break;
	case OPT_NOW: *now = arg; break;
	case 'q': *quiet = 1; break;
	case OPT_STATE: run.state = arg; break;
	default: std_option(c, usagetext, abouttext);
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
parse_options(int argc, char *argv[], int *quiet)
{
	const char *now = NULL, *logfile = NULL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	run.span = SPAN_DEFAULT;
	run.late = LATE_DEFAULT;
	run.topk = TOPK_DEFAULT;
	run.jobs = cpus < 1 ? 1 : cpus > JOBS_MAX ? JOBS_MAX : cpus;
	while ((c = getopt_long(argc, argv, "n:q", longopts, NULL)) != -1)
		set_option(c, optarg, &now, &logfile, quiet);
	if (optind < argc)
		usage_error("unexpected operand '%s'", argv[optind]);
	if (run.logs == NULL || run.state == NULL)
		usage_error("%s", "--logs and --state are required");
	set_window(now);
	return logfile;
}

/*
 * The end of the run with status: its temporary files removed, the metrics
 * written (with --metrics), the summary of a failure said. A metrics file
 * that cannot be written is said on the standard error, the status kept.
 */
static void
finish(int status)
{
	struct instant end;
	const char *op;

	spawn_end();
	if (run.rundir != NULL && rm_tree(run.rundir) < 0)
		complain("%s: cannot remove: %s", run.rundir, strerror(errno));
	if (metrics != NULL && status != EXIT_LOCKED && status != EXIT_USAGE) {
		end = instant_now();
		if (metrics_write(metrics, status, (double)started.sec + started.nsec / 1e9,
		    (double)end.sec + end.nsec / 1e9, &op) < 0)
			alert("%s: cannot %s the metrics: %s%s", metrics, op, strerror(errno),
			    status == 0 ? " (the run itself succeeded)" : "");
	}
	exit(runlog_end(status));
}

static void
die(const char *what, const char *why)
{
	if (why != NULL)
		complain("%s: %s", what, why);
	else
		complain("%s", what);
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
			complain("%s: cannot remove: %s", p, strerror(errno));
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
		die(lock, pathf("cannot open the lock file: %s", strerror(errno)));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		complain("another run holds %s; nothing done", lock);
		finish(EXIT_LOCKED);
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
		die(run.state, pathf("cannot make the state directory: %s", strerror(errno)));
	run.hours = pathf("%s/hours", run.state);
	if (mkdir(run.hours, 0777) < 0 && errno != EEXIST)
		die(run.hours, pathf("cannot make the directory of the partials: %s", strerror(errno)));
	take_lock();
	run.started = started.sec;
	run.rundir = pathf("%s/.tmp.%ld", run.state, (long)getpid());
	if (mkdir(run.rundir, 0777) < 0) {
		run.rundir = NULL;
		die(run.state, pathf("cannot write in the state directory: %s", strerror(errno)));
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
		complain("%s: cannot remove: %s", errno == ENOENT ? rej : src, strerror(errno));
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

/* What STATE/loaded says of the last load: the window and the database, a line. */
static char *
load_record(void)
{
	return pathf("%lld %lld %s\n", (long long)run.since, (long long)run.until, run.db);
}

/*
 * Whether the database already holds this ranking: the new ranking is byte
 * for byte the previous one, and STATE/loaded says the last run loaded it
 * with the same window into the same database (a run in the same hour with
 * no new sales). --full loads all the same.
 */
static int
loaded_already(const char *loaded)
{
	char *want = load_record(), *got;
	size_t n;
	int same = 0;

	if (run.same && !run.full && (got = read_whole(loaded, &n)) != NULL) {
		same = n == strlen(want) && memcmp(got, want, n) == 0;
		free(got);
	}
	free(want);
	return same;
}

/*
 * The ranking into the database, with its window, by sr-load, unless it is
 * there already; STATE/loaded is removed before and written after a load
 * that succeeded, so that a failed load is made again by the next run.
 */
static void
load(void)
{
	char *argv[] = { "sr-load", "--db", (char *)run.db, "--since", NULL, "--until", NULL,
	    NULL, NULL };
	char *loaded = pathf("%s/loaded", run.state), *tmp = pathf("%s/loaded", run.rundir), *rec;
	const char *op;
	struct errchan err;
	struct stage st;
	struct pipeline p;

	if (loaded_already(loaded)) {
		say("the ranking and its window are those the last run loaded into %s: not loaded again",
		    run.db);
		free(loaded);
		free(tmp);
		return;
	}
	if (unlink(loaded) < 0 && errno != ENOENT)
		die(loaded, pathf("cannot remove: %s", strerror(errno)));
	argv[4] = pathf("%lld", (long long)run.since);
	argv[6] = pathf("%lld", (long long)run.until);
	argv[7] = pathf("%s/ranking.tsv", run.state);
	memset(&st, 0, sizeof st);
	st.argv = argv;
	p.stage = &st;
	p.n = 1;
	if (pipeline_start(&p, run.devnull, -1, errchan_open(&err, "load") == 0 ? &err : NULL) < 0 ||
	    (errchan_started(&err), pipeline_wait(&p) < 0)) {
		errchan_close(&err);
		pipeline_report(&p, "load", complain);
		complain("sr-load failed: the previous ranking stays in %s", run.db);
		finish(EXIT_DATA);
	}
	errchan_close(&err);
	rec = load_record();
	if (write_whole(tmp, loaded, rec, strlen(rec), 1, &op) < 0)
		complain("%s: cannot %s: %s (the next run loads again)", loaded, op, strerror(errno));
	say("loaded into %s", run.db);
	free(rec);
	free(loaded);
	free(tmp);
	free(argv[4]);
	free(argv[6]);
	free(argv[7]);
}

int
main(int argc, char *argv[])
{
	char since[TS_BUFSIZE], until[TS_BUFSIZE];
	struct instant t = { 0, 0 };
	const char *logfile;
	struct stat st;
	int64_t failed = 0, mapped, pruned;
	int status, quiet = 0;

	prog_init(argv);
	started = instant_now();
	spawn_init(stage_line);
	fatal_hook(finish);
	logfile = parse_options(argc, argv, &quiet);
	check_outputs(&run, logfile, metrics);
	if (runlog_open(logfile, quiet) < 0)
		die(logfile, pathf("cannot open the log: %s", strerror(errno)));
	if (stat(run.logs, &st) < 0 || !S_ISDIR(st.st_mode))
		die(run.logs, "not a directory of log files");
	if ((run.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		die("/dev/null", strerror(errno));
	spawn_catch();
	open_state();
	t.sec = run.since;
	ts_format(since, t);
	t.sec = run.until;
	say("window %s to %s (%lld hours), logs in %s", since, ts_format(until, t),
	    (long long)run.span, run.logs);
	if ((status = plan_hours(&run)) != 0)
		finish(status);
	mapped = map_hours(&run, &failed);
	metrics_mapped(mapped);
	pruned = prune();
	if (spawn_stopped())
		die("stopped by a signal: the ranking is not refreshed", NULL);
	if (failed > 0) {
		complain("hours failed %lld: the ranking is not refreshed", (long long)failed);
		finish(EXIT_DATA);
	}
	if (rank_window(&run) < 0)
		die("ranking failed: the previous ranking stays", NULL);
	metrics_rows(run.rows);
	if (run.db != NULL)
		load();
	say("done in %lld s: hours mapped %lld, up to date %lld, pruned %lld",
	    (long long)(instant_now().sec - started.sec), (long long)mapped,
	    (long long)(run.span - mapped - failed), (long long)pruned);
	finish(0);
}
