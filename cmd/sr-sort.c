/* sr-sort: sort (or merge) intermediate lines for sr-reduce with GNU sort, set up the way it must be. */
#define _GNU_SOURCE	/* splice(2) */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ident.h"
#include "msg.h"
#include "number.h"
#include "out.h"
#include "runmerge.h"

#define BUFFER_DEFAULT "1G"
#define TMPDIRS_MAX 8		/* -T options, at most */
#define PARALLEL_MAX 1024	/* --parallel, at most */
#define PARALLEL_DEFAULT_MAX 8	/* sorts at once by default: one a processor, up to this many */
/* sort's arguments besides the operands and -T's: sort, -S size, --parallel, --compress-program, -m, --, NULL, and room to spare. */
#define SORT_ARGS_FIXED 16
#define GNU_SORT_VERSION "sort (GNU coreutils)"	/* how GNU sort's --version begins */
#define RELAY_CHUNK (1 << 20)	/* bytes of sort's output spliced at once, and its pipe's size */
#define RELAY_BUF (1 << 16)	/* bytes of sort's output read at once where splice cannot be */
#define VERSION_READ_MAX 256	/* bytes of sort --version read, at most */

enum { OPT_COMPRESS = CHAR_MAX + 1, OPT_PARALLEL };

static const struct option longopts[] = {
	{ "buffer-size", required_argument, NULL, 'S' },
	{ "compress-program", required_argument, NULL, OPT_COMPRESS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "merge", no_argument, NULL, 'm' },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "temporary-directory", required_argument, NULL, 'T' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-sort [-m] [-S size] [-T dir] [--compress-program prog] [--parallel n]\n"
    "               [file ...]\n";

static const char abouttext[] =
    "\nSort category_id<TAB>product_id<TAB>sum lines in byte order for sr-reduce with\n"
    "GNU sort (LC_ALL=C); -m merges files that are sorted already. See sr-sort(1).\n"
    "\n"
    "  -m, --merge                     merge files that are sorted already\n"
    "  -S, --buffer-size size          use size of memory (b, K, M, G, T, P, E or %)\n"
    "  -T, --temporary-directory dir   put temporary files in dir\n"
    "  --compress-program prog         compress temporary files with prog\n"
    "  --parallel n                    run up to n sorts at once\n"
    "  --help                          print this help and exit\n"
    "  --version                       print the version and exit\n";

static const char **sortargv;
static int nsortarg, maxsortarg;

static void
arg(const char *a)
{
	if (nsortarg == maxsortarg - 1)
		fatal(EXIT_DATA, "too many arguments");
	sortargv[nsortarg++] = a;
}

/* The sort program, which must be GNU sort: others lack the options relied on. */
static const char *
sort_program(void)
{
	const char *p = getenv("SR_SORT");

	return p != NULL && *p != '\0' ? p : "sort";
}

static void
check_gnu_sort(const char *prog)
{
	int fd[2], status;
	char buf[VERSION_READ_MAX] = "";
	ssize_t n;
	pid_t pid;

	if (pipe(fd) < 0 || (pid = fork()) < 0)
		fatal(EXIT_DATA, "cannot run %s: %s", prog, strerror(errno));
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]), close(fd[1]);
		execlp(prog, prog, "--version", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	n = read(fd[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		fatal(EXIT_DATA, "cannot run '%s': not found (install GNU coreutils or set SR_SORT)",
		    prog);
	if (strncmp(buf, GNU_SORT_VERSION, strlen(GNU_SORT_VERSION)) != 0)
		fatal(EXIT_DATA, "'%s' is not GNU sort (install GNU coreutils or set SR_SORT)",
		    prog);
}

/* A -T directory is a bad option argument (status 2); TMPDIR's, a runtime error (1). */
static void
check_tmpdir(const char *dir, int status)
{
	struct stat st;

	/* dir is a -T argument, never NULL: getopt_long gives required arguments. */
	if (stat(dir, &st) < 0) /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
		fatal(status, "temporary directory %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) < 0)
		fatal(status, "temporary directory %s: not a writable directory", dir);
}

/*
 * -S size, checked here because sort may never see it (input in order is not
 * sorted): digits, then at most one of b (bytes), K, M, G, T, P, E (powers
 * of 1024; k, m, g, t too), or % (of memory, 1 to 100); digits alone are
 * KiB, as in sort(1), which takes no other suffix that fits. The bytes must
 * fit in 64 bits.
 */
#define SIZE_UNITS "bKMGTPE"
#define SIZE_SUFFIXES "bKkMmGgTtPE"

static void
check_size(const char *arg)
{
	const char *p = arg, *unit;
	uint64_t n = 0, scale = 1024;
	int shift;

	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, (uint64_t)(*p - '0'), &n))
			fatal(EXIT_USAGE, "-S: size is too large: '%s'", arg);
	if (p == arg || (p[0] != '\0' && p[1] != '\0'))
		fatal(EXIT_USAGE, "-S: not a size (digits, then b, K, M, G, T, P, E or %%): '%s'", arg);
	if (*p == '%') {
		if (n < 1 || n > 100)
			fatal(EXIT_USAGE, "-S: a percentage of memory is 1%% to 100%%: '%s'", arg);
		return;
	}
	if (*p != '\0') {
		if (strchr(SIZE_SUFFIXES, *p) == NULL ||
		    (unit = strchr(SIZE_UNITS, *p == 'b' ? 'b' : toupper((unsigned char)*p))) == NULL)
			fatal(EXIT_USAGE, "-S: not a size (digits, then b, K, M, G, T, P, E or %%): '%s'",
			    arg);
		shift = 10 * (int)(unit - SIZE_UNITS);
		scale = (uint64_t)1 << shift;
	}
	if (__builtin_mul_overflow(n, scale, &n))
		fatal(EXIT_USAGE, "-S: size is too large: '%s'", arg);
}

/*
 * --compress-program: a program that can be run, by path or found in PATH,
 * checked here because sort runs it only when its input is too large for
 * its buffer.
 */
static void
check_program(const char *prog)
{
	const char *path = getenv("PATH"), *end;
	char full[PATH_MAX];
	struct stat st;
	size_t dirlen;

	if (*prog == '\0')
		fatal(EXIT_USAGE, "--compress-program: no program given");
	if (strchr(prog, '/') != NULL) {
		if (stat(prog, &st) < 0 || (S_ISREG(st.st_mode) && access(prog, X_OK) < 0))
			fatal(EXIT_USAGE, "--compress-program: cannot run '%s': %s", prog,
			    strerror(errno));
		if (!S_ISREG(st.st_mode))
			fatal(EXIT_USAGE, "--compress-program: cannot run '%s': not a file", prog);
		return;
	}
	for (path = path != NULL ? path : "/usr/bin:/bin"; ; path = end + 1) {
		end = strchr(path, ':');
		dirlen = end != NULL ? (size_t)(end - path) : strlen(path);
		if (snprintf(full, sizeof full, "%.*s%s%s", (int)dirlen, path, dirlen > 0 ? "/" : "",
		    prog) < (int)sizeof full && stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(full, X_OK) == 0)
			return;
		if (end == NULL)
			break;
	}
	fatal(EXIT_USAGE, "--compress-program: cannot run '%s': not found in PATH", prog);
}

/*
 * GNU sort stops at the first operand it cannot read; sr-sort reports each
 * such operand, sorts the others, and exits 1. Only stat and access: opening
 * a named pipe here would take its data from sort.
 */
static int
readable(const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return 1;
	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		warnmsg("%s: %s", path, strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		warnmsg("%s: %s", path, strerror(EISDIR));
		return 0;
	}
	return 1;
}

/*
 * Move sort's output to stdout, with splice(2) where the kernel can, so that a
 * write error is sr-sort's to report like any tool's. Returns 0, or errno.
 */
static int
relay(int from)
{
	static char buf[RELAY_BUF];
	ssize_t n, w, off;
	int use_splice = 1;

	for (;;) {
		n = use_splice ? splice(from, NULL, STDOUT_FILENO, NULL, RELAY_CHUNK, SPLICE_F_MOVE) : -1;
		if (n < 0 && use_splice && errno == EINVAL) {
			use_splice = 0;
			continue;
		}
		if (n < 0 && use_splice && errno != EINTR)
			return errno;
		if (!use_splice && (n = read(from, buf, sizeof buf)) < 0 && errno != EINTR)
			return errno;
		if (n == 0)
			return 0;
		for (off = 0; !use_splice && off < n; off += w)
			if ((w = write(STDOUT_FILENO, buf + off, (size_t)(n - off))) < 0)
				return errno;
	}
}

/*
 * Input that is in order already, as sr-map's is when it fits its memory,
 * need not go through sort, and input of a few runs in order, as sr-map
 * writes when it fills its memory and starts again, needs only merging
 * (lib/runmerge.c); otherwise sort gets what was read and the rest.
 */
static struct runs head;

/* Write all of p..n to fd; returns 0, or errno. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	for (; n > 0; p += w, n -= (size_t)w)
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			return errno;
		}
	return 0;
}

/*
 * Give sort what was read of stdin, then the rest; sort writes nothing until
 * it has all. A sort that ends early (EPIPE) ends the feeding: how it ended
 * is reported after.
 */
static void
feed(int to)
{
	int err;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	err = write_all(to, head.buf, head.len);
	while (err == 0) {
		if ((n = read(STDIN_FILENO, head.buf, head.size)) < 0) {
			if (errno == EINTR)
				continue;
			fatal(EXIT_DATA, "stdin: %s", strerror(errno));
		}
		if (n == 0)
			break;
		err = write_all(to, head.buf, (size_t)n);
	}
	if (err != 0 && err != EPIPE)
		fatal(EXIT_DATA, "writing to sort: %s", strerror(err));
	close(to);
	signal(SIGPIPE, SIG_DFL);
}

/*
 * Run sort and speak for it: its status 2 is a runtime error here, 1; a broken
 * pipe stays one. With fed set, its input is what feed gives it.
 */
static int
run_sort(const char *prog, int fed)
{
	pid_t pid;
	int status, fd[2], in[2] = { -1, -1 }, err;

	if (pipe(fd) < 0 || (fed && pipe(in) < 0))
		fatal(EXIT_DATA, "cannot run %s: %s", prog, strerror(errno));
	/* Fewer wake-ups than with the default 64 KiB: best effort. */
	(void)fcntl(fd[1], F_SETPIPE_SZ, RELAY_CHUNK);
	if ((pid = fork()) < 0)
		fatal(EXIT_DATA, "cannot run %s: %s", prog, strerror(errno));
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]), close(fd[1]);
		if (fed) {
			dup2(in[0], STDIN_FILENO);
			close(in[0]), close(in[1]);
		}
		execvp(prog, (char *const *)sortargv);
		warnmsg("cannot run %s: %s", prog, strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	if (fed) {
		close(in[0]);
		feed(in[1]);
	}
	if ((err = relay(fd[0])) != 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		fatal(EXIT_DATA, "write error: %s", strerror(err));
	}
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fatal(EXIT_DATA, "waiting for %s: %s", prog, strerror(errno));
	if (WIFSIGNALED(status))
		fatal(EXIT_DATA, "%s was killed by signal %d", prog, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		fatal(EXIT_DATA, "%s failed (exit status %d)", prog, WEXITSTATUS(status));
	if (close(STDOUT_FILENO) < 0)
		fatal(EXIT_DATA, "write error: %s", strerror(errno));
	return 0;
}

/* Stdin, sorted: passed through when in order already, merged when in a few runs, else through sort. */
static int
sort_stdin(const char *prog)
{
	if (!runs_read(&head, STDIN_FILENO))
		return run_sort(prog, 1);
	if (head.n == 1)
		out_write(head.buf, head.len);
	else
		runs_merge(&head);
	out_close();
	return 0;
}

/* The options, as given. */
struct opts {
	int merge;
	const char *buffer, *compress, *parallel;
	const char *tmpdirs[TMPDIRS_MAX];
	int ntmp;
};

static void
parse_options(int argc, char *argv[], struct opts *o)
{
	int c;

	while ((c = getopt_long(argc, argv, "mS:T:", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->merge = 1;
			break;
		case 'S':
			o->buffer = optarg;
			break;
		case 'T':
			if (o->ntmp == TMPDIRS_MAX)
				fatal(EXIT_USAGE, "-T: at most %d temporary directories", TMPDIRS_MAX);
			o->tmpdirs[o->ntmp++] = optarg;
			break;
		case OPT_COMPRESS:
			o->compress = optarg;
			break;
		case OPT_PARALLEL:
			o->parallel = optarg;
			break;
		default:
			std_option(c, usagetext, abouttext);
		}
	}
}

/* Check what sort may never see, and take TMPDIR (or /tmp) when no -T is given. */
static void
check_options(struct opts *o)
{
	int i;

	if (o->buffer != NULL)
		check_size(o->buffer);
	if (o->compress != NULL)
		check_program(o->compress);
	for (i = 0; i < o->ntmp; i++)
		check_tmpdir(o->tmpdirs[i], EXIT_USAGE);
	if (o->parallel != NULL)
		(void)arg_count("--parallel", o->parallel, 1, PARALLEL_MAX);
	if (o->ntmp == 0) {
		o->tmpdirs[0] = getenv("TMPDIR");
		if (o->tmpdirs[0] == NULL || *o->tmpdirs[0] == '\0')
			o->tmpdirs[0] = "/tmp";
		check_tmpdir(o->tmpdirs[0], EXIT_DATA);
		o->ntmp = 1;
	}
}

/* sort's command line up to its operands, in sortargv, with room for noperands more. */
static void
sort_options(const struct opts *o, const char *prog, int noperands)
{
	static char pbuf[32], cbuf[PATH_MAX + 32];
	long n = o->parallel != NULL ? (long)arg_count("--parallel", o->parallel, 1, PARALLEL_MAX) :
	    sysconf(_SC_NPROCESSORS_ONLN);
	int i;

	maxsortarg = noperands + 2 * o->ntmp + SORT_ARGS_FIXED;
	if ((sortargv = calloc((size_t)maxsortarg, sizeof *sortargv)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	arg(prog);
	/* A merge reads its inputs a line at a time: a large buffer only costs the time to map it. */
	if (!o->merge || o->buffer != NULL) {
		arg("-S");
		arg(o->buffer != NULL ? o->buffer : BUFFER_DEFAULT);
	}
	for (i = 0; i < o->ntmp; i++) {
		arg("-T");
		arg(o->tmpdirs[i]);
	}
	if (o->parallel == NULL)
		n = n < 1 ? 1 : n > PARALLEL_DEFAULT_MAX ? PARALLEL_DEFAULT_MAX : n;
	snprintf(pbuf, sizeof pbuf, "--parallel=%ld", n);
	arg(pbuf);
	if (o->compress != NULL) {
		snprintf(cbuf, sizeof cbuf, "--compress-program=%s", o->compress);
		arg(cbuf);
	}
	if (o->merge)
		arg("-m");
	arg("--");
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	int status = 0, noperands, nreadable = 0;
	const char *prog;

	prog_init(argv);
	parse_options(argc, argv, &o);
	argv += optind;
	check_options(&o);
	prog = sort_program();
	check_gnu_sort(prog);
	for (noperands = 0; argv[noperands] != NULL; noperands++)
		;
	sort_options(&o, prog, noperands);
	for (; *argv != NULL; argv++) {
		if (readable(*argv)) {
			arg(*argv);
			nreadable++;
		} else
			status = EXIT_DATA;
	}
	/* With no operand left, sort would read stdin instead: there is nothing to sort. */
	if (noperands > 0 && nreadable == 0)
		return status;
	if (setenv("LC_ALL", "C", 1) < 0)
		fatal(EXIT_DATA, "setenv: %s", strerror(errno));
	if (!o.merge && noperands == 0)
		return sort_stdin(prog);
	return run_sort(prog, 0) | status;
}
