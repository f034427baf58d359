/* reject: what happens to a bad log line: a message, a count, a copy in the rejects file, or a stop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileid.h"
#include "logrec.h"
#include "msg.h"
#include "reject.h"

static struct rejectopts opts;
static FILE *rejfile;
static uint64_t nrejected;
static struct timespec started, lastreport;

/* operands: the inputs (NULL-terminated; none means stdin), which the rejects file must not be. */
void
reject_init(const struct rejectopts *o, char *const operands[])
{
	const char *task;

	opts = *o;
	task = getenv("mapreduce_task_id");
	if (task == NULL)
		task = getenv("mapred_task_id");
	if (task != NULL && *task != '\0')
		opts.counters = 1;
	if (opts.path != NULL &&
	    (rejfile = fdopen(output_open("--rejects", opts.path, operands, NULL), "w")) == NULL)
		fatal(EXIT_DATA, "%s: %s", opts.path, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &started);
	lastreport = started;
}

/* A copy of the line as it was read, so that nothing is lost. */
void
reject_more(const char *raw, size_t len, int newline)
{
	if (rejfile == NULL)
		return;
	fwrite(raw, 1, len, rejfile);
	if (newline)
		putc('\n', rejfile);
}

static void
close_rejects(void)
{
	if (rejfile != NULL && (fflush(rejfile) == EOF || ferror(rejfile) ||
	    fclose(rejfile) == EOF))
		fatal(EXIT_DATA, "%s: write error: %s", opts.path, strerror(errno));
	rejfile = NULL;
}

void
reject(const struct rejection *r, const char *raw, size_t len, int newline)
{
	nrejected++;
	reject_more(raw, len, newline);
	if (nrejected > REJECT_SHOW && !opts.strict) {
		if (nrejected == REJECT_SHOW + 1)
			warnmsg("further rejected lines are counted, not shown");
		return;
	}
	warn_at(r->name, r->lineno, r->field, r->field < 0 ? NULL : field_names[r->field],
	    r->why, r->value, r->vlen);
	if (opts.strict) {
		close_rejects();
		fatal(EXIT_DATA, "stopped at the first rejected line (--strict)");
	}
}

static double
since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
report(uint64_t bytes, uint64_t lines, const struct timespec *now)
{
	double t = since(&started, now);

	warnmsg("progress: %.1f MB, %llu lines, %.0f MB/s, %llu rejected",
	    (double)bytes / 1e6, (unsigned long long)lines,
	    t > 0 ? (double)bytes / 1e6 / t : 0.0, (unsigned long long)nrejected);
}

/* Called for every line; looks at the clock once in 65536 lines. */
void
reject_progress(uint64_t bytes, uint64_t lines)
{
	struct timespec now;

	if (!opts.progress || (lines & 0xffff) != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&lastreport, &now) < 1.0)
		return;
	lastreport = now;
	report(bytes, lines, &now);
}

/* The summary, lines counted in unit (lines, records); returns 1 if more lines were rejected than --max-rejects allows (0 by default), else 0. */
int
reject_finish(uint64_t bytes, uint64_t lines, const char *unit)
{
	struct timespec now;

	close_rejects();
	if (opts.progress) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		report(bytes, lines, &now);
	}
	if (nrejected > 0 && opts.max == 0)
		warnmsg("%llu of %llu %s rejected", (unsigned long long)nrejected,
		    (unsigned long long)lines, unit);
	else if (nrejected > 0)
		warnmsg("%llu of %llu %s rejected, %s --max-rejects %llu", (unsigned long long)nrejected,
		    (unsigned long long)lines, unit, nrejected > opts.max ? "more than" : "within",
		    (unsigned long long)opts.max);
	if (opts.counters) {
		fprintf(stderr, "reporter:counter:sr,input_lines,%llu\n",
		    (unsigned long long)lines);
		fprintf(stderr, "reporter:counter:sr,rejected_lines,%llu\n",
		    (unsigned long long)nrejected);
	}
	return nrejected > opts.max;
}
