/* msg: program name, diagnostics on stderr and the exit statuses every tool shares. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

#ifndef SR_VERSION
#define SR_VERSION "unknown"
#endif

const char *progname = "sr";
static void (*atfatal)(int status);

/*
 * Descriptors 0, 1 and 2 are never left closed: the next file opened would
 * take the number, and output meant for stdout or stderr would land in it.
 * A closed one is opened on /dev/null: stdin reads as empty, messages to
 * stderr go nowhere, and stdout is opened for reading only, so that every
 * write to it fails (EBADF) and the tool reports a write error rather than
 * losing its output in silence. Without /dev/null nothing is safe: status 1.
 */
static void
std_fds_open(void)
{
	static const int mode[3] = { O_RDONLY, O_RDONLY, O_WRONLY };
	int fd, got;

	for (fd = 0; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free number is fd: those below it are open. */
		if ((got = open("/dev/null", mode[fd])) != fd) {
			if (got >= 0)
				close(got);
			_exit(EXIT_DATA);
		}
	}
}

/*
 * The program's name without its directory, also in argv[0] so that
 * getopt_long's messages use it. A tool killed by SIGPIPE ends quietly, as
 * `| head` expects; a parent that ignored the signal (some job runners do)
 * must not turn it into EPIPE errors.
 */
void
prog_init(char *argv[])
{
	const char *slash;

	std_fds_open();
	if (argv[0] != NULL && *argv[0] != '\0') {
		slash = strrchr(argv[0], '/');
		progname = slash != NULL ? slash + 1 : argv[0];
		argv[0] = (char *)progname;
	}
	signal(SIGPIPE, SIG_DFL);
}

static void
vmsg(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	/* ap was started by the caller; the analyzer does not follow it here. */
	vfprintf(stderr, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	fputc('\n', stderr);
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/*
 * f to be called by fatal, once, after its message and instead of exit: a
 * program with children or files to clean up ends the same way whichever
 * failure, in it or in lib/, stopped it. f must not return.
 */
void
fatal_hook(void (*f)(int status))
{
	atfatal = f;
}

void
fatal(int status, const char *fmt, ...)
{
	void (*f)(int) = atfatal;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	atfatal = NULL;
	if (f != NULL)
		f(status);
	exit(status);
}

/* A usage error: the synopsis on stderr, status 2. */
void
usage_exit(const char *usage)
{
	fputs(usage, stderr);
	exit(EXIT_USAGE);
}

/* --help: the text on stdout, status 0 (or 1 if it could not be written). */
void
help(const char *usage, const char *about)
{
	fputs(usage, stdout);
	fputs(about, stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		fatal(EXIT_DATA, "write error: %s", strerror(errno));
	exit(0);
}

void
version(void)
{
	printf("%s (sr) %s\n", progname, SR_VERSION);
	if (fflush(stdout) == EOF || ferror(stdout))
		fatal(EXIT_DATA, "write error: %s", strerror(errno));
	exit(0);
}

/*
 * An option the tool does not take itself, as getopt_long returned it:
 * --help, --version, or else a usage error ('?': getopt_long has said why).
 */
void
std_option(int opt, const char *usage, const char *about)
{
	if (opt == OPT_HELP)
		help(usage, about);
	if (opt == OPT_VERSION)
		version();
	usage_exit(usage);
}

/*
 * The one form of a message about input data: "file:line: problem", or with a
 * field (field >= 0, counted from 0) "file:line: field N (name): problem: 'value'".
 */
void
warn_at(const char *file, unsigned long long line, int field, const char *fieldname,
    const char *why, const char *value, size_t vlen)
{
	char q[96];

	if (field < 0)
		warnmsg("%s:%llu: %s", file, line, why);
	else
		warnmsg("%s:%llu: field %d (%s): %s: %s", file, line, field + 1, fieldname,
		    why, quote(q, sizeof q, value, vlen));
}

/*
 * Quote a field value for a message: 'value', with bytes that would break the
 * one-line message shown as \t, \r, \n or \xHH, cut to fit buf.
 */
char *
quote(char *buf, size_t size, const char *p, size_t n)
{
	size_t o = 0, i;
	unsigned char c;

	buf[o++] = '\'';
	for (i = 0; i < n && o + 8 < size; i++) {
		c = (unsigned char)p[i];
		if (c == '\t')
			o += (size_t)snprintf(buf + o, size - o, "\\t");
		else if (c == '\r')
			o += (size_t)snprintf(buf + o, size - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(buf + o, size - o, "\\n");
		else if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, size - o,
			    c == '\\' ? "\\\\" : "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (i < n)
		o += (size_t)snprintf(buf + o, size - o, "...");
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}
