/* spawn: pipelines of the sr tools as child processes, each stage's status from waitpid. */
#define _GNU_SOURCE		/* strsignal */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "spawn.h"

/* The directory of the running program, where its sibling tools are looked for first. */
static char selfdir[PATH_MAX];

/* The children started and not reaped, so that a stopped run can end them. */
static pid_t *live;
static size_t nlive, caplive;

/* The signal that asks this program to stop, once one came. */
static volatile sig_atomic_t stopsig;

void
spawn_init(void)
{
	ssize_t n = readlink("/proc/self/exe", selfdir, sizeof selfdir - 1);
	char *slash;

	selfdir[n > 0 ? n : 0] = '\0';
	slash = strrchr(selfdir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		selfdir[0] = '\0';
}

static void
live_add(pid_t pid)
{
	if (nlive == caplive) {
		caplive = caplive ? 2 * caplive : 64;
		live = realloc(live, caplive * sizeof *live);
		if (live == NULL)
			fatal(EXIT_DATA, "out of memory");
	}
	live[nlive++] = pid;
}

static void
live_remove(pid_t pid)
{
	size_t i;

	for (i = 0; i < nlive; i++)
		if (live[i] == pid) {
			live[i] = live[--nlive];
			return;
		}
}

/* Send sig to every child still running. */
static void
spawn_kill(int sig)
{
	size_t i;

	for (i = 0; i < nlive; i++)
		kill(live[i], sig);
}

static void
on_stop(int sig)
{
	stopsig = sig;
}

/*
 * SIGHUP, SIGINT and SIGTERM stop the run: the children are ended at the next
 * wait (not from the handler, which may come while the list of children is
 * being changed), their pipelines fail, and the caller cleans up.
 */
void
spawn_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The signal that stopped the run, or 0. */
int
spawn_stopped(void)
{
	return stopsig;
}

/*
 * In the child: in and out as its standard input and output, the kept
 * descriptors open across exec, the signals as a new program expects them,
 * and the tool next to this program, else from the PATH. Never returns.
 */
static void
child_exec(const struct stage *s, int in, int out)
{
	char path[PATH_MAX + NAME_MAX + 2];
	sigset_t none;
	size_t i;

	if ((in >= 0 && in != 0 && dup2(in, 0) < 0) || (out >= 0 && out != 1 && dup2(out, 1) < 0))
		_exit(126);
	for (i = 0; i < s->nkeep; i++)
		fcntl(s->keep[i], F_SETFD, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (selfdir[0] != '\0' && strchr(s->argv[0], '/') == NULL) {
		snprintf(path, sizeof path, "%s/%s", selfdir, s->argv[0]);
		if (access(path, X_OK) == 0)
			execv(path, s->argv);
	}
	execvp(s->argv[0], s->argv);
	dprintf(2, "%s: %s: %s\n", progname, s->argv[0], strerror(errno));
	_exit(127);
}

static int
start_stage(struct pipeline *p, struct stage *s, int in, int out)
{
	s->pid = fork();
	if (s->pid < 0) {
		warnmsg("cannot start %s: %s", s->argv[0], strerror(errno));
		p->failed = 1;
		return -1;
	}
	if (s->pid == 0)
		child_exec(s, in, out);
	live_add(s->pid);
	p->running++;
	return 0;
}

/*
 * Start the stages, the first reading in and the last writing out (-1: this
 * program's own); the pipes between them are closed here once handed on.
 * Every descriptor this program opens is close-on-exec, so a child holds only
 * its own. -1 if a stage could not be started: those started run on, to be
 * reaped as usual.
 */
int
pipeline_start(struct pipeline *p, int in, int out)
{
	int fd[2], next = in;
	size_t i;

	p->running = 0;
	p->failed = 0;
	for (i = 0; i < p->n; i++) {
		p->stage[i].pid = -1;
		p->stage[i].status = 0;
	}
	for (i = 0; i < p->n; i++) {
		fd[0] = fd[1] = -1;
		if (i + 1 < p->n && (pipe(fd) < 0 || fcntl(fd[0], F_SETFD, FD_CLOEXEC) < 0 ||
		    fcntl(fd[1], F_SETFD, FD_CLOEXEC) < 0)) {
			warnmsg("cannot make a pipe: %s", strerror(errno));
			p->failed = 1;
		}
		if (!p->failed)
			start_stage(p, &p->stage[i], next, i + 1 < p->n ? fd[1] : out);
		if (next != in)
			close(next);
		if (fd[1] >= 0)
			close(fd[1]);
		next = fd[0];
		if (p->failed)
			break;
	}
	if (next != in && next >= 0)
		close(next);
	return p->failed ? -1 : 0;
}

/* Record a reaped child in its pipeline; the pipeline if that was its last stage running. */
static struct pipeline *
record(struct pipeline *const *ps, size_t n, pid_t pid, int status)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; ps[i] != NULL && j < ps[i]->n; j++)
			if (ps[i]->stage[j].pid == pid) {
				ps[i]->stage[j].status = status;
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					ps[i]->failed = 1;
				return --ps[i]->running == 0 ? ps[i] : NULL;
			}
	return NULL;
}

/*
 * Wait for a child of the pipelines ps (NULL entries skipped) until one of
 * them has ended whole, and return it; NULL when none is running. A stop
 * signal ends every child first.
 */
struct pipeline *
pipeline_reap(struct pipeline *const *ps, size_t n)
{
	struct pipeline *done;
	pid_t pid;
	int status;

	for (;;) {
		if (stopsig != 0)
			spawn_kill(SIGTERM);
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return NULL;
		live_remove(pid);
		if ((done = record(ps, n, pid, status)) != NULL)
			return done;
	}
}

/* Wait until every stage of p has ended: 0 if each exited with status 0. */
int
pipeline_wait(struct pipeline *p)
{
	struct pipeline *ps[1];

	ps[0] = p;
	while (p->running > 0)
		if (pipeline_reap(ps, 1) == NULL)
			break;
	return p->failed || p->running > 0 ? -1 : 0;
}

/* Say which stages of p failed, as "what: sr-map exited with status 1", with say; how many. */
int
pipeline_report(const struct pipeline *p, const char *what, void (*say)(const char *, ...))
{
	const struct stage *s;
	int n = 0;
	size_t i;

	for (i = 0; i < p->n; i++) {
		s = &p->stage[i];
		if (s->pid < 0)
			continue;
		if (WIFEXITED(s->status) && WEXITSTATUS(s->status) != 0)
			say("%s: %s exited with status %d", what, s->argv[0], WEXITSTATUS(s->status));
		else if (WIFSIGNALED(s->status))
			say("%s: %s was killed by signal %d (%s)", what, s->argv[0],
			    WTERMSIG(s->status), strsignal(WTERMSIG(s->status)));
		else
			continue;
		n++;
	}
	return n;
}
