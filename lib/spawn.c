/* spawn: pipelines of the sr tools as child processes, each stage's status from waitpid. */
#define _GNU_SOURCE		/* strsignal */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
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

/* spawn_end: how often it looks, and how long the stages have to end on SIGTERM before SIGKILL. */
#define SPAWN_TICK_MS 10
#define SPAWN_KILL_TICKS (10 * 1000 / SPAWN_TICK_MS)

/* A pipe written by the signal handlers, so that a wait for the stages' messages wakes for them. */
static int wake[2] = { -1, -1 };

/* Where a line of a stage's standard error goes, with its channel's label. */
static void (*errline)(const char *label, const char *s, size_t n);

/* Where the sibling tools are; line, where the lines of the channels go. */
void
spawn_init(void (*line)(const char *label, const char *s, size_t n))
{
	ssize_t n = readlink("/proc/self/exe", selfdir, sizeof selfdir - 1);
	char *slash;

	selfdir[n > 0 ? n : 0] = '\0';
	slash = strrchr(selfdir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		selfdir[0] = '\0';
	errline = line;
	/*
	 * A stage's own children (sort under sr-sort) that it leaves behind
	 * become ours, not init's, so that spawn_end can wait for them too.
	 */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/* A channel for the standard error of stages: a pipe whose read end never blocks. -1 if none. */
int
errchan_open(struct errchan *c, const char *label)
{
	int fd[2];

	memset(c, 0, sizeof *c);
	c->label = label;
	c->rfd = c->wfd = -1;
	if (errline == NULL || pipe2(fd, O_CLOEXEC) < 0)
		return -1;
	if (fcntl(fd[0], F_SETFL, O_NONBLOCK) < 0 || (c->buf = malloc(ERRCHAN_LINE_MAX)) == NULL) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	c->rfd = fd[0];
	c->wfd = fd[1];
	return 0;
}

/* The last stage writing to c was started: this program's write end goes, so that the end of the stages is an end of file. */
void
errchan_started(struct errchan *c)
{
	if (c != NULL && c->wfd >= 0) {
		close(c->wfd);
		c->wfd = -1;
	}
}

/* The complete lines of c's buffer said; a line as long as the buffer said as it is. */
static void
errchan_lines(struct errchan *c, int all)
{
	char *nl;
	size_t start = 0, n;

	while ((nl = memchr(c->buf + start, '\n', c->len - start)) != NULL) {
		n = (size_t)(nl - (c->buf + start));
		errline(c->label, c->buf + start, n);
		start += n + 1;
	}
	if ((all || c->len - start == ERRCHAN_LINE_MAX) && c->len > start) {
		errline(c->label, c->buf + start, c->len - start);
		start = c->len;
	}
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
}

/* Read what is in c's pipe now, without waiting; its end closes it. */
static void
errchan_drain(struct errchan *c)
{
	ssize_t r;

	while (c != NULL && c->rfd >= 0) {
		r = read(c->rfd, c->buf + c->len, ERRCHAN_LINE_MAX - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return;
		c->len += (size_t)r;
		errchan_lines(c, r == 0);
		if (r == 0) {
			close(c->rfd);
			c->rfd = -1;
		}
	}
}

/* Once every stage writing to c was reaped: what is left of its messages said, and c closed. */
void
errchan_close(struct errchan *c)
{
	errchan_started(c);
	errchan_drain(c);
	if (c->len > 0)
		errchan_lines(c, 1);
	if (c->rfd >= 0)
		close(c->rfd);
	c->rfd = -1;
	free(c->buf);
	c->buf = NULL;
}

/* Room in the list of children for one more, made before the fork: 0, or -1 (out of memory). */
static int
live_reserve(void)
{
	pid_t *more;

	if (nlive < caplive)
		return 0;
	if ((more = realloc(live, (caplive ? 2 * caplive : 64) * sizeof *live)) == NULL)
		return -1;
	live = more;
	caplive = caplive ? 2 * caplive : 64;
	return 0;
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

/* Send sig to every stage still running, and to the children it started (its process group). */
static void
spawn_kill(int sig)
{
	size_t i;

	for (i = 0; i < nlive; i++)
		kill(-live[i], sig);
}

/*
 * Before this program exits, whatever the reason: end every child still
 * running and wait for it, so that none outlives it (holding a lock it
 * inherited, or writing where the next run looks).
 */
void
spawn_end(void)
{
	static const struct timespec tick = { 0, SPAWN_TICK_MS * 1000L * 1000 };
	int status, ticks;
	pid_t pid;

	spawn_kill(SIGTERM);
	/* Every descendant: the stages, and theirs, which come to us as they are orphaned. */
	for (ticks = 0;; ticks++) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0)
			continue;
		if (pid < 0 && errno == ECHILD)
			break;
		/* The groups of stages already reaped too: their children may still run. */
		if (ticks == SPAWN_KILL_TICKS)
			spawn_kill(SIGKILL);
		nanosleep(&tick, NULL);
	}
	nlive = 0;
}

static void
on_signal(int sig)
{
	int err = errno;

	if (sig != SIGCHLD)
		stopsig = sig;
	if (wake[1] >= 0)
		(void)!write(wake[1], "", 1);
	errno = err;
}

/*
 * SIGHUP, SIGINT and SIGTERM stop the run: the children are ended at the next
 * wait (not from the handler, which may come while the list of children is
 * being changed), their pipelines fail, and the caller cleans up. They and
 * SIGCHLD wake a wait for the stages' messages.
 */
void
spawn_catch(void)
{
	struct sigaction sa;

	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0)
		wake[0] = wake[1] = -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
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
child_exec(const struct stage *s, int in, int out, const struct errchan *err)
{
	char path[PATH_MAX + NAME_MAX + 2];
	sigset_t none;
	size_t i;

	if ((in >= 0 && in != 0 && dup2(in, 0) < 0) || (out >= 0 && out != 1 && dup2(out, 1) < 0) ||
	    (err != NULL && err->wfd >= 0 && dup2(err->wfd, 2) < 0))
		_exit(126);
	for (i = 0; i < s->nkeep; i++)
		fcntl(s->keep[i], F_SETFD, 0);
	/* A group of its own, for spawn_kill to reach its children too. */
	setpgid(0, 0);
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
	s->pid = live_reserve() < 0 ? (errno = ENOMEM, -1) : fork();
	if (s->pid < 0) {
		warnmsg("cannot start %s: %s", s->argv[0], strerror(errno));
		p->failed = 1;
		return -1;
	}
	if (s->pid == 0)
		child_exec(s, in, out, p->err);
	live[nlive++] = s->pid;
	p->running++;
	return 0;
}

/*
 * Start the stages, the first reading in and the last writing out (-1: this
 * program's own); the pipes between them are closed here once handed on.
 * Every descriptor this program opens is close-on-exec, so a child holds only
 * its own. The stages' standard error goes to err (if not NULL), which
 * must be open. -1 if a stage could not be started: those started run on,
 * to be reaped as usual.
 */
int
pipeline_start(struct pipeline *p, int in, int out, struct errchan *err)
{
	int fd[2], next = in;
	size_t i;

	p->running = 0;
	p->failed = 0;
	p->err = err != NULL && err->rfd >= 0 ? err : NULL;
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

/* Read the channels of ps until one has more to say, a signal came or a child ended. */
static void
wait_messages(struct pipeline *const *ps, size_t n)
{
	struct pollfd *fds = calloc(n + 1, sizeof *fds);
	char buf[64];
	size_t i, k = 0;

	if (fds == NULL)
		fatal(EXIT_DATA, "out of memory");
	if (wake[0] >= 0) {
		fds[k].fd = wake[0];
		fds[k++].events = POLLIN;
	}
	for (i = 0; i < n; i++)
		if (ps[i] != NULL && ps[i]->err != NULL && ps[i]->err->rfd >= 0) {
			fds[k].fd = ps[i]->err->rfd;
			fds[k++].events = POLLIN;
		}
	/* Without the wake pipe (no spawn_catch), look for ended children now and then. */
	if (poll(fds, k, wake[0] >= 0 ? -1 : 100) > 0)
		for (i = 0; i < n; i++)
			if (ps[i] != NULL)
				errchan_drain(ps[i]->err);
	while (wake[0] >= 0 && read(wake[0], buf, sizeof buf) > 0)
		;
	free(fds);
}

/*
 * Wait for a child of the pipelines ps (NULL entries skipped) until one of
 * them has ended whole, and return it, its stages' messages said; NULL when
 * none is running. Meanwhile the stages' messages are read as they come, so
 * that none blocks on a full pipe. A stop signal ends every child first.
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
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return NULL;
		if (pid == 0) {
			wait_messages(ps, n);
			continue;
		}
		live_remove(pid);
		if ((done = record(ps, n, pid, status)) != NULL) {
			/* Its stages ended: all they wrote is in the pipe. */
			errchan_drain(done->err);
			return done;
		}
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
