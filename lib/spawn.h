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

/* Stages run with each one's output the next one's input. */
struct pipeline {
	struct stage *stage;
	size_t n;
	size_t running;		/* stages started and not yet reaped */
	int failed;		/* a stage could not be started, or failed */
};

void spawn_init(void);
int pipeline_start(struct pipeline *p, int in, int out);
struct pipeline *pipeline_reap(struct pipeline *const *ps, size_t n);
int pipeline_wait(struct pipeline *p);
int pipeline_report(const struct pipeline *p, const char *what, void (*say)(const char *, ...));
void spawn_catch(void);
int spawn_stopped(void);

#endif
