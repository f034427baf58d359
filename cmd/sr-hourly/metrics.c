/* metrics: what sr-hourly's runs did, for Prometheus: a node_exporter textfile-collector file (--metrics), replaced whole by a rename. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "hourly.h"
#include "msg.h"
#include "number.h"

#define COUNTER_PREFIX "reporter:counter:sr,"	/* sr-map --counters, on its standard error */
#define METRICS_MAX 4096

/* This run's counts. */
static struct {
	int64_t read, rejected, mapped, rows;
} tally = { 0, 0, 0, -1 };

/* The values kept from the previous file, by name. */
struct kept {
	const char *name;
	double value;
};

static struct kept kept[] = {
	{ "sr_hourly_last_success_timestamp_seconds", 0 },
	{ "sr_hourly_ranking_rows", 0 },
	{ "sr_hourly_runs_total", 0 },
	{ "sr_hourly_failed_runs_total", 0 },
	{ "sr_hourly_partials_mapped_total", 0 },
	{ "sr_hourly_lines_read_total", 0 },
	{ "sr_hourly_lines_rejected_total", 0 },
};

enum { K_SUCCESS, K_ROWS, K_RUNS, K_FAILED, K_HOURS, K_READ, K_REJECTED, K_N };

/* A line of sr-map's counters, "reporter:counter:sr,NAME,N", counted: 1; any other line: 0. */
int
metrics_counter(const char *s, size_t n)
{
	size_t p = sizeof COUNTER_PREFIX - 1, comma;
	int64_t v;

	if (n <= p || memcmp(s, COUNTER_PREFIX, p) != 0)
		return 0;
	for (comma = p; comma < n && s[comma] != ','; comma++)
		;
	if (comma == n || parse_i64(s + comma + 1, n - comma - 1, &v) != NULL || v < 0)
		return 0;
	if (comma - p == 11 && memcmp(s + p, "input_lines", 11) == 0)
		tally.read += v;
	else if (comma - p == 14 && memcmp(s + p, "rejected_lines", 14) == 0)
		tally.rejected += v;
	else
		return 0;
	return 1;
}

void
metrics_mapped(int64_t hours)
{
	tally.mapped = hours;
}

void
metrics_rows(int64_t rows)
{
	tally.rows = rows;
}

/* The values of the previous file that go on: counters, the last success and its ranking's rows. */
static void
read_kept(const char *file)
{
	size_t n, i, len;
	char *buf = read_whole(file, &n), *line, *next, *end;
	double v;

	for (line = buf; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		for (i = 0; i < K_N; i++) {
			len = strlen(kept[i].name);
			if (strncmp(line, kept[i].name, len) == 0 && line[len] == ' ') {
				v = strtod(line + len + 1, &end);
				if (*end == '\0' && v >= 0)
					kept[i].value = v;
			}
		}
	}
	free(buf);
}

static size_t
metric(char *buf, size_t at, const char *name, const char *type, const char *help, double v)
{
	int n;

	if (at >= METRICS_MAX)
		return at;
	n = snprintf(buf + at, METRICS_MAX - at, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help,
	    name, type, name, v);
	return n < 0 ? at : at + (size_t)n;
}

/*
 * The file of the run that ended with status, at end after start (epoch
 * seconds): written to a temporary file beside it, synced and renamed over
 * it, so that the collector reads the old file or the new one whole. A
 * failed run keeps the last success's time and rows. -1 with errno if it
 * could not be written, *op saying which step failed.
 */
int
metrics_write(const char *file, int status, double start, double end, const char **op)
{
	char buf[METRICS_MAX], *tmp = pathf("%s.%ld.tmp", file, (long)getpid());
	size_t n = 0;
	int r;

	read_kept(file);
	if (status == 0) {
		kept[K_SUCCESS].value = end;
		kept[K_ROWS].value = (double)(tally.rows > 0 ? tally.rows : 0);
	}
	kept[K_RUNS].value += 1;
	kept[K_FAILED].value += status != 0;
	kept[K_HOURS].value += (double)tally.mapped;
	kept[K_READ].value += (double)tally.read;
	kept[K_REJECTED].value += (double)tally.rejected;
	n = metric(buf, n, "sr_hourly_last_run_timestamp_seconds", "gauge",
	    "When the last run of sr-hourly ended.", end);
	n = metric(buf, n, "sr_hourly_last_run_duration_seconds", "gauge",
	    "How long the last run of sr-hourly took.", end - start);
	n = metric(buf, n, "sr_hourly_last_run_exit_status", "gauge",
	    "The exit status of the last run: 0 success, 1 failure.", status);
	n = metric(buf, n, kept[K_SUCCESS].name, "gauge",
	    "When the last successful run of sr-hourly ended (0: none yet).", kept[K_SUCCESS].value);
	n = metric(buf, n, kept[K_ROWS].name, "gauge",
	    "Rows of the ranking of the last successful run.", kept[K_ROWS].value);
	n = metric(buf, n, kept[K_RUNS].name, "counter", "Runs of sr-hourly.", kept[K_RUNS].value);
	n = metric(buf, n, kept[K_FAILED].name, "counter", "Runs of sr-hourly that failed.",
	    kept[K_FAILED].value);
	n = metric(buf, n, kept[K_HOURS].name, "counter", "Hours of sales mapped into partials (sr-map | sr-sort | sr-reduce).",
	    kept[K_HOURS].value);
	n = metric(buf, n, kept[K_READ].name, "counter",
	    "Log lines read by sr-map (a file read for two hours counts twice).", kept[K_READ].value);
	n = metric(buf, n, kept[K_REJECTED].name, "counter", "Log lines rejected by sr-map.",
	    kept[K_REJECTED].value);
	r = write_whole(tmp, file, buf, n < METRICS_MAX ? n : METRICS_MAX - 1, 1, op);
	free(tmp);
	return r;
}
