/* hourly: what sr-hourly's driver and its ranking share: the run, its log lines, its paths. */
#ifndef SR_HOURLY_H
#define SR_HOURLY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "spawn.h"

#define HOUR_LEN 13		/* YYYY-MM-DDTHH */
#define HOUR_SECONDS 3600
#define BOOT_MAX 64

typedef char hourname[HOUR_LEN + 1];

/* An hour of the run: the log files named for it, and what its partial needs. */
struct hour {
	char **files;		/* names in LOGS, sorted */
	size_t nfiles, cap;
	struct timespec newest;	/* the latest modification of those files */
	const char *why;	/* why its partial is made again, or NULL */
	int forced;		/* 1: named by --hour; 2: its late sales are in the file of one */
};

/* One run: its options, its window and where it writes. */
struct hourly {
	const char *logs, *state, *db;
	int csv, full;
	int64_t span, late, jobs, topk, maxrej;
	int64_t since, until, started;
	hourname *name;		/* the span hours of the window, then the late ones after it */
	struct hour *hour;	/* the same hours' log files */
	const char **asked;	/* the --hour names */
	size_t nasked;
	int devnull;		/* the children's standard input */
	char *hours;		/* STATE/hours */
	char *rundir;		/* STATE/.tmp.PID: this run's temporary files */
	char boot[BOOT_MAX];	/* the boot the running sums are written in */
	int same;		/* the new ranking is byte for byte the previous one */
	int64_t rows;		/* of the new ranking */
};

/* runlog.c */
int runlog_open(const char *file, int quiet);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void stage_line(const char *label, const char *s, size_t n);
int runlog_end(int status);

/* metrics.c */
int metrics_counter(const char *s, size_t n);
void metrics_mapped(int64_t hours);
void metrics_rows(int64_t rows);
int metrics_write(const char *file, int status, double start, double end, const char **op);

/* hourly.c */
char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);
int hour_named(const char *name, size_t n, int64_t *sec);
int64_t hour_index(const struct hourly *h, const char *name, size_t n);

/* outpaths.c */
void check_outputs(const struct hourly *h, const char *logfile, const char *metrics);

/* hourplan.c */
int plan_hours(struct hourly *h);
char *sources(const struct hourly *h, int64_t i, size_t *len);
size_t nsources(const struct hourly *h, int64_t i);

/* hourmap.c */
int64_t map_hours(struct hourly *h, int64_t *failed);

/* weeksums.c */
int rank_window(struct hourly *h);

/* rezero.c */
int rezero(const struct hourly *h, const char *ranking);

#endif
