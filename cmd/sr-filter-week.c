/* sr-filter-week: pass the sales log lines whose timestamp lies inside the ranking window. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "logread.h"
#include "msg.h"
#include "out.h"
#include "window.h"

static const struct option longopts[] = {
	LOGREAD_OPTIONS,
	WINDOW_OPTIONS,
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-filter-week [--counters] [--csv] [--growing file] [--max-rejects n]\n"
    "                      [--part k/n] [--progress] [--rejects file] [--strict] [--now time]\n"
    "                      [--days n | --since time --until time] [file ...]\n";

static struct window window;

static const char abouttext[] =
    "\nPass the log lines whose timestamp is in [now - days, now) or [since, until).\n"
    "A line passes unchanged; CSV input (--csv) comes out as TSV. See sr-filter-week(1).\n"
    "\n"
    LOGREAD_HELP
    WINDOW_HELP
    "  --help              print this help and exit\n"
    "  --version           print the version and exit\n";

/*
 * Lines that pass one after another in the read buffer, waiting to be
 * written in one copy: in a log written in time order, nearly all of those
 * of the window, a buffer at a time.
 */
static const char *span;
static size_t spanlen;

static void
release(void)
{
	if (spanlen > 0)
		out_write(span, spanlen);
	spanlen = 0;
}

/* A TSV line is written as read; a CSV record as the equivalent TSV line. */
static void
pass(const struct logrec *r, const struct line *raw, void *arg)
{
	int i;

	(void)arg;
	if (!window_contains(&window, r->ts))
		return;
	if (raw != NULL && raw->newline) {	/* the line and the newline after it */
		if (spanlen > 0 && raw->p == span + spanlen) {
			spanlen += raw->len + 1;
			return;
		}
		release();
		span = raw->p;
		spanlen = raw->len + 1;
		return;
	}
	release();
	if (raw != NULL)
		out_write(raw->p, raw->len);
	else
		for (i = 0; i < NFIELDS; i++) {
			if (i > 0)
				out_char('\t');
			out_write(r->f[i].p, r->f[i].len);
		}
	out_char('\n');
}

int
main(int argc, char *argv[])
{
	int c, status = 0;

	prog_init(argv);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (!window_option(&window, c, optarg) && !logread_option(c, optarg))
			std_option(c, usagetext, abouttext);
	argv += optind;
	window_finish(&window);
	logread_start(argv);
	logread_hold(release);
	if (logread_all(argv, pass, NULL) < 0)
		status = EXIT_DATA;
	if (logread_finish())
		status = EXIT_DATA;
	release();
	out_close();
	return status;
}
