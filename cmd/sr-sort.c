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

#define BUFFER_DEFAULT "1G"

enum { OPT_COMPRESS = CHAR_MAX + 1, OPT_HELP, OPT_PARALLEL, OPT_VERSION };

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
	char buf[256] = "";
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
	if (strncmp(buf, "sort (GNU coreutils)", 20) != 0)
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
	static char buf[1 << 16];
	ssize_t n, w, off;
	int use_splice = 1;

	for (;;) {
		n = use_splice ? splice(from, NULL, STDOUT_FILENO, NULL, 1 << 20, SPLICE_F_MOVE) : -1;
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
 * writes when it fills its memory and starts again, needs only merging:
 * stdin is read, up to PASS_MAX bytes, checking the order of each line
 * against the one before as sort -C would and noting where each run starts.
 * If it all came, in at most RUNS_MAX runs, the runs are merged here and
 * written out as sort would have; otherwise sort gets what was read and the
 * rest.
 */
#define PASS_MAX ((size_t)256 << 20)
#define RUNS_MAX 64

static char *inbuf;
static size_t inlen, insize;
static size_t runs[RUNS_MAX + 1];	/* where each run starts in inbuf */
static int nruns;

/* Room for at least 64 KiB more, within PASS_MAX (and a byte for a last newline). */
static void
grow_inbuf(void)
{
	char *p;

	if (insize - inlen >= (1 << 16))
		return;
	insize = insize == 0 ? (size_t)1 << 20 : 2 * insize;
	if (insize > PASS_MAX)
		insize = PASS_MAX;
	if ((p = realloc(inbuf, insize + 1)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	inbuf = p;
}

/*
 * Read all of stdin into inbuf, noting its runs; returns 1 if it all came
 * in at most RUNS_MAX runs (inbuf ends in a newline then), else 0.
 */
static int
read_runs(void)
{
	size_t prev = 0, prevlen = 0, line = 0, scan = 0;
	ssize_t n;
	char *nl;

	nruns = 0;
	for (;;) {
		if (inlen >= PASS_MAX)
			return 0;
		grow_inbuf();
		if ((n = read(STDIN_FILENO, inbuf + inlen, insize - inlen)) < 0) {
			if (errno == EINTR)
				continue;
			fatal(EXIT_DATA, "stdin: %s", strerror(errno));
		}
		inlen += (size_t)n;
		if (n == 0 && inlen > line && inbuf[inlen - 1] != '\n')
			inbuf[inlen++] = '\n';	/* sort ends the last line so too */
		for (; (nl = memchr(inbuf + scan, '\n', inlen - scan)) != NULL; scan = line) {
			if (nruns == 0 || bytes_cmp(inbuf + prev, prevlen, inbuf + line,
			    (size_t)(nl - inbuf) - line) > 0) {
				if (nruns == RUNS_MAX)
					return 0;
				runs[nruns++] = line;
			}
			prev = line;
			prevlen = (size_t)(nl - inbuf) - line;
			line = (size_t)(nl - inbuf) + 1;
		}
		scan = inlen;
		if (n == 0) {
			runs[nruns] = inlen;
			return 1;
		}
	}
}

/* A run being merged: its current line at p, len bytes with the newline. */
struct run {
	const char *p, *end;
	size_t len;
};

static int
run_less(const struct run *a, const struct run *b)
{
	return bytes_cmp(a->p, a->len - 1, b->p, b->len - 1) < 0;
}

static void
run_sift(struct run *h, int n, int i)
{
	struct run t;
	int c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && run_less(&h[c + 1], &h[c]))
			c++;
		if (!run_less(&h[c], &h[i]))
			break;
		t = h[i], h[i] = h[c], h[c] = t;
	}
}

static void
run_line(struct run *r)
{
	r->len = (size_t)((const char *)memchr(r->p, '\n', (size_t)(r->end - r->p)) - r->p) + 1;
}

/* Merge the runs of inbuf to stdout with a heap of their current lines. */
static void
merge_runs(void)
{
	struct run h[RUNS_MAX];
	int n, i;

	for (n = 0; n < nruns; n++) {
		h[n].p = inbuf + runs[n];
		h[n].end = inbuf + runs[n + 1];
		run_line(&h[n]);
	}
	for (i = n / 2 - 1; i >= 0; i--)
		run_sift(h, n, i);
	while (n > 0) {
		out_write(h[0].p, h[0].len);
		h[0].p += h[0].len;
		if (h[0].p == h[0].end)
			h[0] = h[--n];
		else
			run_line(&h[0]);
		run_sift(h, n, 0);
	}
}

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
	err = write_all(to, inbuf, inlen);
	while (err == 0) {
		if ((n = read(STDIN_FILENO, inbuf, insize)) < 0) {
			if (errno == EINTR)
				continue;
			fatal(EXIT_DATA, "stdin: %s", strerror(errno));
		}
		if (n == 0)
			break;
		err = write_all(to, inbuf, (size_t)n);
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
	(void)fcntl(fd[1], F_SETPIPE_SZ, 1 << 20);
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
	if (!read_runs())
		return run_sort(prog, 1);
	if (nruns == 1)
		out_write(inbuf, inlen);
	else
		merge_runs();
	out_close();
	return 0;
}

static char *
parallel_default(void)
{
	static char buf[32];
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	snprintf(buf, sizeof buf, "--parallel=%ld", n < 1 ? 1 : n > 8 ? 8 : n);
	return buf;
}

int
main(int argc, char *argv[])
{
	int c, merge = 0, ntmp = 0, status = 0, noperands = 0, nreadable = 0;
	const char *buffer = NULL, *compress = NULL, *parallel = NULL, *prog;
	const char *tmpdirs[8];
	static char pbuf[32], cbuf[PATH_MAX + 32];

	prog_init(argv);
	while ((c = getopt_long(argc, argv, "mS:T:", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			merge = 1;
			break;
		case 'S':
			buffer = optarg;
			break;
		case 'T':
			if (ntmp == 8)
				fatal(EXIT_USAGE, "-T: at most 8 temporary directories");
			tmpdirs[ntmp++] = optarg;
			break;
		case OPT_COMPRESS:
			compress = optarg;
			break;
		case OPT_PARALLEL:
			parallel = optarg;
			break;
		case OPT_HELP:
			help(usagetext, abouttext);
		case OPT_VERSION:
			version();
		default:
			usage_exit(usagetext);
		}
	}
	argv += optind;
	if (buffer != NULL)
		check_size(buffer);
	if (compress != NULL)
		check_program(compress);
	for (c = 0; c < ntmp; c++)
		check_tmpdir(tmpdirs[c], EXIT_USAGE);
	if (parallel != NULL)
		snprintf(pbuf, sizeof pbuf, "--parallel=%lld",
		    (long long)arg_count("--parallel", parallel, 1, 1024));
	if (ntmp == 0) {
		tmpdirs[ntmp] = getenv("TMPDIR");
		if (tmpdirs[ntmp] == NULL || *tmpdirs[ntmp] == '\0')
			tmpdirs[ntmp] = "/tmp";
		check_tmpdir(tmpdirs[ntmp], EXIT_DATA);
		ntmp++;
	}
	maxsortarg = argc + 2 * ntmp + 16;
	if ((sortargv = calloc((size_t)maxsortarg, sizeof *sortargv)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	prog = sort_program();
	check_gnu_sort(prog);
	arg(prog);
	/* A merge reads its inputs a line at a time: a large buffer only costs the time to map it. */
	if (!merge || buffer != NULL) {
		arg("-S");
		arg(buffer != NULL ? buffer : BUFFER_DEFAULT);
	}
	for (c = 0; c < ntmp; c++) {
		arg("-T");
		arg(tmpdirs[c]);
	}
	arg(parallel != NULL ? pbuf : parallel_default());
	if (compress != NULL) {
		snprintf(cbuf, sizeof cbuf, "--compress-program=%s", compress);
		arg(cbuf);
	}
	if (merge)
		arg("-m");
	arg("--");
	for (; *argv != NULL; argv++, noperands++) {
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
	if (!merge && noperands == 0)
		return sort_stdin(prog);
	return run_sort(prog, 0) | status;
}
