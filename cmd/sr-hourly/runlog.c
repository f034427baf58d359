/* runlog: where sr-hourly's messages go: each line, its own and its stages', to --log or the standard error, and after a failure a short summary to the standard error. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "hourly.h"
#include "msg.h"
#include "timestamp.h"

#define SAY_MAX (ERRCHAN_LINE_MAX + 256)	/* a line of a stage with the time and its label */
#define SHOWN_MAX 6		/* lines of the summary of a failure, beside the last one */

/*
 * Where the lines go: with --log, all to the log file; without, to the
 * standard error unless --quiet. The lines that say what went wrong are kept
 * (the first SHOWN_MAX and the last), so that a failure writes them to the
 * standard error whatever went to the log: cron mails it.
 */
static struct {
	int logfd;
	const char *logname;
	int quiet;
	int logerr;		/* errno of the first write to the log that failed, else 0 */
	char *shown[SHOWN_MAX];
	char *last;
	long long nbad;		/* lines that said what went wrong */
} rl = { -1, NULL, 0, 0, { NULL }, NULL, 0 };

/* The messages to file (NULL: the standard error), none on a success with quiet; -1 with errno if file cannot be opened. */
int
runlog_open(const char *file, int quiet)
{
	rl.quiet = quiet;
	rl.logname = file;
	if (file != NULL && (rl.logfd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) < 0) {
		rl.logname = NULL;
		return -1;
	}
	return 0;
}

static char *
copy(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A line (with its newline) of the log, bad if it says what went wrong. */
static void
put(const char *line, size_t n, int bad)
{
	if (rl.logfd >= 0) {
		if (write_all(rl.logfd, line, n) < 0 && rl.logerr == 0)
			rl.logerr = errno;
	} else if (!rl.quiet)
		(void)write_all(2, line, n);
	if (!bad)
		return;
	if (rl.nbad < SHOWN_MAX)
		rl.shown[rl.nbad] = copy(line, n);
	free(rl.last);
	rl.last = copy(line, n);
	rl.nbad++;
}

/* "sr-hourly: TIME: " and the message, cut to fit the line, with its newline; the length. */
static int
format(char line[SAY_MAX], const char *label, const char *fmt, va_list ap)
{
	char t[TS_BUFSIZE];
	struct instant now = instant_now();
	int n, m;

	now.nsec = 0;
	n = snprintf(line, SAY_MAX, "%s: %s: %s%s", progname, ts_format(t, now),
	    label != NULL ? label : "", label != NULL ? ": " : "");
	m = vsnprintf(line + n, SAY_MAX - (size_t)n - 1, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	if (m > 0)
		n = n + m > SAY_MAX - 2 ? SAY_MAX - 2 : n + m;
	line[n++] = '\n';
	return n;
}

/* A line "sr-hourly: TIME: [LABEL: ]message", in one write; kept for the summary of a failure. */
static void
vsay(const char *label, int kept, const char *fmt, va_list ap)
{
	char line[SAY_MAX];
	int n;

	n = format(line, label, fmt, ap);
	put(line, (size_t)n, kept);
}

/* A line of what the run did. */
void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(NULL, 0, fmt, ap);
	va_end(ap);
}

/* A line that says what went wrong: as say, and kept for the summary of a failure. */
void
complain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(NULL, 1, fmt, ap);
	va_end(ap);
}

static void
say_labelled(const char *label, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(label, 1, fmt, ap);
	va_end(ap);
}

/* A line that must be read whatever --log and --quiet say: to the log, and to the standard error. */
void
alert(const char *fmt, ...)
{
	char line[SAY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = format(line, NULL, fmt, ap);
	va_end(ap);
	if (rl.logfd >= 0 && write_all(rl.logfd, line, (size_t)n) < 0 && rl.logerr == 0)
		rl.logerr = errno;
	(void)write_all(2, line, (size_t)n);
}

/*
 * A line of a stage's standard error, with the label of its channel (the
 * hour): "sr-hourly: TIME: hour 2026-11-29T14: sr-map: ...". sr-map's
 * counters are counted, not said.
 */
void
stage_line(const char *label, const char *s, size_t n)
{
	if (metrics_counter(s, n))
		return;
	say_labelled(label, "%.*s", (int)n, s);
}

/*
 * The end of the run with status: after a failure, with --log or --quiet,
 * the lines that said what went wrong to the standard error. A log that could
 * not be written is said there too; the status stays the run's own.
 */
int
runlog_end(int status)
{
	char line[SAY_MAX];
	long long i, shown;

	if (rl.logfd >= 0 && close(rl.logfd) < 0 && rl.logerr == 0)
		rl.logerr = errno;
	if (rl.logfd >= 0 && rl.logerr != 0)
		fprintf(stderr, "%s: %s: cannot write the log: %s%s\n", progname, rl.logname,
		    strerror(rl.logerr), status == 0 ? " (the run itself succeeded)" : "");
	if (status != 0 && (rl.logfd >= 0 || rl.quiet)) {
		shown = rl.nbad <= SHOWN_MAX ? rl.nbad : SHOWN_MAX - 1;
		for (i = 0; i < shown; i++)
			fputs(rl.shown[i], stderr);
		if (rl.nbad > SHOWN_MAX) {
			snprintf(line, sizeof line, "%s: ... %lld more lines%s%s\n", progname,
			    rl.nbad - SHOWN_MAX, rl.logname != NULL ? " in " : "",
			    rl.logname != NULL ? rl.logname : "");
			fputs(line, stderr);
			fputs(rl.last, stderr);
		}
		if (rl.logname != NULL)
			fprintf(stderr, "%s: the whole log of the run is in %s\n", progname, rl.logname);
	}
	for (i = 0; i < SHOWN_MAX && i < rl.nbad; i++)
		free(rl.shown[i]);
	free(rl.last);
	fflush(stderr);
	return status;
}
