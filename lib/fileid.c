/* fileid: file identity, so that no tool writes over a file it reads. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fileid.h"
#include "msg.h"

/*
 * Whether st is the regular file operand names: the file itself, or stdin
 * for "-" (and NULL). A symbolic link, a hard link, another spelling of the
 * path or /dev/stdin all come to the same device and inode. Only regular
 * files count: /dev/null or a terminal may well be read and written at once.
 */
static int
same_file(const struct stat *st, const char *operand)
{
	struct stat in;
	int rc;

	if (operand == NULL || strcmp(operand, "-") == 0)
		rc = fstat(STDIN_FILENO, &in);
	else
		rc = stat(operand, &in);
	return rc == 0 && S_ISREG(in.st_mode) && in.st_dev == st->st_dev && in.st_ino == st->st_ino;
}

/* Whether st is the regular file open on fd. */
static int
same_as_fd(const struct stat *st, int fd)
{
	struct stat o;

	return fstat(fd, &o) == 0 && S_ISREG(o.st_mode) && o.st_dev == st->st_dev &&
	    o.st_ino == st->st_ino;
}

static void
refuse(const char *opt, const char *path, const struct stat *st, char *const list[])
{
	for (; list != NULL && *list != NULL; list++)
		if (same_file(st, *list))
			fatal(EXIT_USAGE, "%s %s: is the input %s: refusing to write over it",
			    opt, path, strcmp(*list, "-") == 0 ? "stdin" : *list);
}

/*
 * Open the output file path, given by option opt, for writing: made if
 * missing, emptied only once it is known not to be one of the inputs, the
 * operands (NULL-terminated; none means stdin) and more (NULL-terminated,
 * or NULL), and not the standard output or error either, which would write
 * over it from another offset. The check is made on the opened file, so that
 * no rename between a check and the open can slip past it. Such a file ends
 * the tool with status 2, untouched; one that cannot be opened, status 1.
 */
int
output_open(const char *opt, const char *path, char *const operands[], char *const more[])
{
	static char *const stdin_only[] = { "-", NULL };
	struct stat st;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT, 0666)) < 0)
		fatal(EXIT_DATA, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		fatal(EXIT_DATA, "%s: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		refuse(opt, path, &st, operands != NULL && *operands != NULL ? operands : stdin_only);
		refuse(opt, path, &st, more);
		if (same_as_fd(&st, STDOUT_FILENO) || same_as_fd(&st, STDERR_FILENO))
			fatal(EXIT_USAGE, "%s %s: is the standard %s too: refusing to write it twice",
			    opt, path, same_as_fd(&st, STDOUT_FILENO) ? "output" : "error");
		if (ftruncate(fd, 0) < 0)
			fatal(EXIT_DATA, "%s: %s", path, strerror(errno));
	}
	return fd;
}

/* Whether fd, an input, is the regular file stdout writes to (`tool f >> f` would never end). */
int
same_as_stdout(int fd)
{
	struct stat in, out;

	return fstat(fd, &in) == 0 && fstat(STDOUT_FILENO, &out) == 0 && S_ISREG(in.st_mode) &&
	    in.st_dev == out.st_dev && in.st_ino == out.st_ino;
}
