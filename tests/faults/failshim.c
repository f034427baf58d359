/*
 * failshim: an LD_PRELOAD library for the fault sweep (tests/faults/sweep.sh) that
 * counts the calls of each kind a process makes and fails the N-th with an errno.
 *
 * libfiu's fiu-run -x fails a call at random or always, but cannot pick "the
 * n-th write": this shim can, in the style of SQLite's I/O-error and OOM tests.
 *
 * Environment (all optional; without FAIL_KIND it only counts):
 *   FAIL_KIND    the kind to fail: open read write rename fsync close mmap malloc
 *                fork exec ftruncate unlink mkdir pipe
 *   FAIL_N       fail the N-th call of that kind (1 is the first)
 *   FAIL_ERRNO   the errno, by name (ENOSPC EIO EMFILE ENFILE ENOMEM EINTR EAGAIN
 *                EDQUOT EACCES) or number; default EIO (malloc: always ENOMEM)
 *   FAIL_PERSIST 1: fail every call of the kind from the N-th on, as a full disk
 *                does; default: only the N-th
 *   FAIL_PROG    a comma-separated list of program names (as in /proc/self/comm):
 *                only those processes count and fail; default: every process
 *   FAIL_SKIPFD  a comma-separated list of descriptors whose read, write and close
 *                are neither counted nor failed; default "2", so that a failure
 *                message can still appear ("" counts stderr too)
 *   FAIL_REPORT  a file to which each counting process appends, at exit, one line:
 *                "comm pid injected kind=count ..." (injected: how many calls it failed)
 *   FAIL_LOG     a file to which each failed call appends "comm pid kind n errno"
 *
 * Kinds and the calls they cover (the calls a program makes through the PLT;
 * glibc's own internal calls, as fopen's open, are reached through the stdio
 * wrappers here instead):
 *   open: open openat creat (and 64) fopen fopen64; read: read pread
 *   readv recv recvfrom; write: write writev pwrite send sendto, and fflush or fclose of a stream with bytes
 *   pending (see fail_stream); rename: rename
 *   renameat renameat2; fsync: fsync fdatasync; close: close fclose (the
 *   descriptor is closed, as Linux does, then the error returned); mmap: mmap;
 *   malloc: malloc calloc realloc; fork: fork vfork posix_spawn posix_spawnp;
 *   exec: execve execv execvp; ftruncate: ftruncate; unlink: unlink unlinkat;
 *   mkdir: mkdir mkdirat; pipe: pipe pipe2.
 *
 * malloc goes to glibc's __libc_malloc and friends, never through dlsym (which
 * itself calls calloc). The shim cannot be preloaded into an ASan build.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum kind { K_OPEN, K_READ, K_WRITE, K_RENAME, K_FSYNC, K_CLOSE, K_MMAP, K_MALLOC, K_FORK,
	K_EXEC, K_FTRUNCATE, K_UNLINK, K_MKDIR, K_PIPE, NKIND };

static const char *const kindname[NKIND] = { "open", "read", "write", "rename", "fsync",
	"close", "mmap", "malloc", "fork", "exec", "ftruncate", "unlink", "mkdir", "pipe" };

#define MAXSKIP 8
#define COMMSIZE 32

static unsigned long counts[NKIND];
static unsigned long injected;
static int active;		/* this process counts */
static int failkind = -1;
static unsigned long failn;
static int failerrno = EIO;
static int persist;
static int skipfd[MAXSKIP], nskip;
static char comm[COMMSIZE] = "?";
static const char *logpath;
static __thread int inside __attribute__((tls_model("initial-exec")));	/* a call made by the shim itself */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

/* The next definition of name, as a function pointer, without ISO C's cast warning. */
static void *
next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (real_##name == NULL) { void *p_ = next(#name); memcpy(&real_##name, &p_, sizeof p_); }

static const struct { const char *name; int value; } errnames[] = {
	{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EMFILE", EMFILE }, { "ENFILE", ENFILE },
	{ "ENOMEM", ENOMEM }, { "EINTR", EINTR }, { "EAGAIN", EAGAIN }, { "EDQUOT", EDQUOT },
	{ "EACCES", EACCES }, { "EFBIG", EFBIG }, { "EROFS", EROFS },
};

static int
errno_value(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (strcmp(s, errnames[i].name) == 0)
			return errnames[i].value;
	return atoi(s) > 0 ? atoi(s) : EIO;
}

/* Whether name is one of the comma-separated list. */
static int
listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p += len + (e != NULL);
	}
	return 0;
}

static void
read_comm(void)
{
	int fd;
	ssize_t n;

	REAL(open);
	REAL(read);
	REAL(close);
	if ((fd = real_open("/proc/self/comm", O_RDONLY)) < 0)
		return;
	n = real_read(fd, comm, sizeof comm - 1);
	real_close(fd);
	if (n <= 0)
		n = 1;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

__attribute__((constructor)) static void
init(void)
{
	const char *s;

	inside++;
	read_comm();
	s = getenv("FAIL_PROG");
	active = s == NULL || *s == '\0' || listed(s, comm);
	if ((s = getenv("FAIL_KIND")) != NULL)
		for (int k = 0; k < NKIND; k++)
			if (strcmp(s, kindname[k]) == 0)
				failkind = k;
	if ((s = getenv("FAIL_N")) != NULL)
		failn = strtoul(s, NULL, 10);
	if ((s = getenv("FAIL_ERRNO")) != NULL)
		failerrno = errno_value(s);
	persist = (s = getenv("FAIL_PERSIST")) != NULL && strcmp(s, "1") == 0;
	s = getenv("FAIL_SKIPFD");
	if (s == NULL)
		s = "2";
	while (*s != '\0' && nskip < MAXSKIP) {
		skipfd[nskip++] = atoi(s);
		s += strcspn(s, ",");
		s += *s == ',';
	}
	logpath = getenv("FAIL_LOG");
	inside--;
}

/* Append a line to the file the environment variable var names. */
static void
append(const char *var, const char *line)
{
	const char *path = getenv(var);
	int fd;

	REAL(open);
	REAL(write);
	REAL(close);
	if (path == NULL || *path == '\0')
		return;
	if ((fd = real_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666)) < 0)
		return;
	(void)!real_write(fd, line, strlen(line));
	real_close(fd);
}

__attribute__((destructor)) static void
report(void)
{
	char line[1024];
	size_t o;

	if (!active)
		return;
	inside++;
	o = (size_t)snprintf(line, sizeof line, "%s %ld %lu", comm, (long)getpid(), injected);
	for (int k = 0; k < NKIND && o < sizeof line; k++)
		o += (size_t)snprintf(line + o, sizeof line - o, " %s=%lu", kindname[k], counts[k]);
	if (o < sizeof line - 1)
		memcpy(line + o, "\n", 2);
	append("FAIL_REPORT", line);
	inside--;
}

/* Count a call of kind k; whether it is to fail (errno is then set). */
static int
fail(enum kind k)
{
	unsigned long n;

	if (!active || inside)
		return 0;
	n = __atomic_add_fetch(&counts[k], 1, __ATOMIC_RELAXED);
	if ((int)k != failkind || failn == 0 || (persist ? n < failn : n != failn))
		return 0;
	__atomic_add_fetch(&injected, 1, __ATOMIC_RELAXED);
	if (logpath != NULL) {
		char line[128];

		inside++;
		snprintf(line, sizeof line, "%s %ld %s %lu %d\n", comm, (long)getpid(), kindname[k],
		    n, k == K_MALLOC ? ENOMEM : failerrno);
		append("FAIL_LOG", line);
		inside--;
	}
	errno = k == K_MALLOC ? ENOMEM : failerrno;
	return 1;
}

static int
skipped(int fd)
{
	for (int i = 0; i < nskip; i++)
		if (skipfd[i] == fd)
			return 1;
	return 0;
}

/*
 * A read or write that fails on a socket fails as a lost connection does, for
 * both ends: a peer left waiting on a live socket (libpq waits for the
 * server's answer after a failed send) would hang the run instead.
 */
static int
fail_fd(enum kind k, int fd)
{
	struct stat st;
	int e;

	if (skipped(fd) || !fail(k))
		return 0;
	e = errno;
	if ((k == K_READ || k == K_WRITE) && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
		shutdown(fd, SHUT_RDWR);
	errno = e;
	return 1;
}

/* malloc */

void *
malloc(size_t size)
{
	return fail(K_MALLOC) ? NULL : __libc_malloc(size);
}

void *
calloc(size_t n, size_t size)
{
	return fail(K_MALLOC) ? NULL : __libc_calloc(n, size);
}

void *
realloc(void *p, size_t size)
{
	return fail(K_MALLOC) ? NULL : __libc_realloc(p, size);
}

/* open */

static mode_t
open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ?
	    (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_WRAPPER(name) \
int name(const char *path, int flags, ...) \
{ \
	va_list ap; \
	mode_t mode; \
	REAL(name); \
	va_start(ap, flags); \
	mode = open_mode(flags, ap); \
	va_end(ap); \
	if (fail(K_OPEN)) \
		return -1; \
	return real_##name(path, flags, mode); \
}
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

#define OPENAT_WRAPPER(name) \
int name(int dirfd, const char *path, int flags, ...) \
{ \
	va_list ap; \
	mode_t mode; \
	REAL(name); \
	va_start(ap, flags); \
	mode = open_mode(flags, ap); \
	va_end(ap); \
	if (fail(K_OPEN)) \
		return -1; \
	return real_##name(dirfd, path, flags, mode); \
}
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

int
creat(const char *path, mode_t mode)
{
	REAL(creat);
	return fail(K_OPEN) ? -1 : real_creat(path, mode);
}

int
creat64(const char *path, mode_t mode)
{
	REAL(creat64);
	return fail(K_OPEN) ? -1 : real_creat64(path, mode);
}

FILE *
fopen(const char *path, const char *mode)
{
	REAL(fopen);
	return fail(K_OPEN) ? NULL : real_fopen(path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
	REAL(fopen64);
	return fail(K_OPEN) ? NULL : real_fopen64(path, mode);
}

/* read */

ssize_t
read(int fd, void *buf, size_t n)
{
	REAL(read);
	return fail_fd(K_READ, fd) ? -1 : real_read(fd, buf, n);
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	REAL(pread);
	return fail_fd(K_READ, fd) ? -1 : real_pread(fd, buf, n, off);
}

ssize_t
pread64(int fd, void *buf, size_t n, off_t off)
{
	REAL(pread64);
	return fail_fd(K_READ, fd) ? -1 : real_pread64(fd, buf, n, off);
}

ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	REAL(readv);
	return fail_fd(K_READ, fd) ? -1 : real_readv(fd, iov, n);
}

ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	REAL(recv);
	return fail_fd(K_READ, fd) ? -1 : real_recv(fd, buf, n, flags);
}

ssize_t
recvfrom(int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG addr, socklen_t *len)
{
	REAL(recvfrom);
	return fail_fd(K_READ, fd) ? -1 : real_recvfrom(fd, buf, n, flags, addr, len);
}

/* write */

ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	REAL(send);
	return fail_fd(K_WRITE, fd) ? -1 : real_send(fd, buf, n, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	REAL(sendto);
	return fail_fd(K_WRITE, fd) ? -1 : real_sendto(fd, buf, n, flags, addr, len);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(write);
	return fail_fd(K_WRITE, fd) ? -1 : real_write(fd, buf, n);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	REAL(writev);
	return fail_fd(K_WRITE, fd) ? -1 : real_writev(fd, iov, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite);
	return fail_fd(K_WRITE, fd) ? -1 : real_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite64);
	return fail_fd(K_WRITE, fd) ? -1 : real_pwrite64(fd, buf, n, off);
}

/*
 * stdio writes reach the kernel inside glibc, out of the shim's reach, so a
 * stream's write is failed where the program asks for its buffer to go out:
 * fflush or fclose with bytes pending. The bytes are dropped and the stream
 * marked in error, as when the write inside fails. (Writes of a full buffer
 * inside fwrite are not failed.)
 */
static int
fail_stream(FILE *f)
{
	if (f == NULL || __fpending(f) == 0 || !fail_fd(K_WRITE, fileno(f)))
		return 0;
	__fpurge(f);
	f->_flags |= _IO_ERR_SEEN;
	return 1;
}

int
fflush(FILE *f)
{
	REAL(fflush);
	return fail_stream(f) ? EOF : real_fflush(f);
}

/* rename */

int
rename(const char *from, const char *to)
{
	REAL(rename);
	return fail(K_RENAME) ? -1 : real_rename(from, to);
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	REAL(renameat);
	return fail(K_RENAME) ? -1 : real_renameat(fd1, from, fd2, to);
}

int
renameat2(int fd1, const char *from, int fd2, const char *to, unsigned int flags)
{
	REAL(renameat2);
	return fail(K_RENAME) ? -1 : real_renameat2(fd1, from, fd2, to, flags);
}

/* fsync */

int
fsync(int fd)
{
	REAL(fsync);
	return fail(K_FSYNC) ? -1 : real_fsync(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);
	return fail(K_FSYNC) ? -1 : real_fdatasync(fd);
}

/* close: Linux releases the descriptor even when close fails. */

int
close(int fd)
{
	int e;

	REAL(close);
	if (!fail_fd(K_CLOSE, fd))
		return real_close(fd);
	e = errno;
	real_close(fd);
	errno = e;
	return -1;
}

int
fclose(FILE *f)
{
	int e;

	REAL(fclose);
	if (!fail_stream(f) && (f == NULL || !fail_fd(K_CLOSE, fileno(f))))
		return real_fclose(f);
	e = errno;
	real_fclose(f);
	errno = e;
	return EOF;
}

/* mmap */

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap);
	return fail(K_MMAP) ? MAP_FAILED : real_mmap(addr, len, prot, flags, fd, off);
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap64);
	return fail(K_MMAP) ? MAP_FAILED : real_mmap64(addr, len, prot, flags, fd, off);
}

/* fork and exec */

pid_t
fork(void)
{
	REAL(fork);
	return fail(K_FORK) ? -1 : real_fork();
}

pid_t
vfork(void)
{
	/* A vfork through a wrapper's frame is not safe: a fork does the same job. */
	return fork();
}

int
posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	REAL(posix_spawn);
	return fail(K_FORK) ? errno : real_posix_spawn(pid, path, fa, attr, argv, envp);
}

int
posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	REAL(posix_spawnp);
	return fail(K_FORK) ? errno : real_posix_spawnp(pid, file, fa, attr, argv, envp);
}

/* The report of a process that execs is made before the image goes. */
static int
fail_exec(void)
{
	if (fail(K_EXEC))
		return 1;
	report();
	return 0;
}

int
execve(const char *path, char *const argv[], char *const envp[])
{
	REAL(execve);
	return fail_exec() ? -1 : real_execve(path, argv, envp);
}

int
execv(const char *path, char *const argv[])
{
	REAL(execv);
	return fail_exec() ? -1 : real_execv(path, argv);
}

int
execvp(const char *file, char *const argv[])
{
	REAL(execvp);
	return fail_exec() ? -1 : real_execvp(file, argv);
}

/* ftruncate, unlink, mkdir, pipe */

int
ftruncate(int fd, off_t len)
{
	REAL(ftruncate);
	return fail(K_FTRUNCATE) ? -1 : real_ftruncate(fd, len);
}

int
ftruncate64(int fd, off_t len)
{
	REAL(ftruncate64);
	return fail(K_FTRUNCATE) ? -1 : real_ftruncate64(fd, len);
}

int
unlink(const char *path)
{
	REAL(unlink);
	return fail(K_UNLINK) ? -1 : real_unlink(path);
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	REAL(unlinkat);
	return fail(K_UNLINK) ? -1 : real_unlinkat(dirfd, path, flags);
}

int
mkdir(const char *path, mode_t mode)
{
	REAL(mkdir);
	return fail(K_MKDIR) ? -1 : real_mkdir(path, mode);
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
	REAL(mkdirat);
	return fail(K_MKDIR) ? -1 : real_mkdirat(dirfd, path, mode);
}

int
pipe(int fd[2])
{
	REAL(pipe);
	return fail(K_PIPE) ? -1 : real_pipe(fd);
}

int
pipe2(int fd[2], int flags)
{
	REAL(pipe2);
	return fail(K_PIPE) ? -1 : real_pipe2(fd, flags);
}
