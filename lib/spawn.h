/* spawn: pipelines of the sr tools as child processes, each stage's status from waitpid. */
#ifndef SR_SPAWN_H
#define SR_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* A stage: argv[0] names the tool; keep, the descriptors it reads as /dev/fd/N. */
struct stage {
	char **argv;
	const int *keep;
	size_t nkeep;
	pid_t pid;
	int status;		/* as waitpid gives it, once reaped */
};

#define ERRCHAN_LINE_MAX 4096	/* a longer line of a stage is said in pieces of this size */

/*
 * The standard error of stages, read by this program through a pipe and said
 * a line at a time with a label (such as the hour), whatever the stages write:
 * no line lost, none cut by another stage's, no stage blocked on a full pipe
 * while its pipeline is waited for.
 */
struct errchan {
	const char *label;
	int rfd, wfd;		/* -1 once closed */
	char *buf;
	size_t len;
};

/* Stages run with each one's output the next one's input. */
struct pipeline {
	struct stage *stage;
	size_t n;
	size_t running;		/* stages started and not yet reaped */
	int failed;		/* a stage could not be started, or failed */
	struct errchan *err;	/* where the stages' standard error goes, or NULL: this program's */
};

void spawn_init(void (*line)(const char *label, const char *s, size_t n));
int errchan_open(struct errchan *c, const char *label);
void errchan_started(struct errchan *c);
void errchan_close(struct errchan *c);
int pipeline_start(struct pipeline *p, int in, int out, struct errchan *err);
struct pipeline *pipeline_reap(struct pipeline *const *ps, size_t n);
int pipeline_wait(struct pipeline *p);
int pipeline_report(const struct pipeline *p, const char *what, void (*say)(const char *, ...));
void spawn_catch(void);
int spawn_stopped(void);
void spawn_end(void);

#endif
