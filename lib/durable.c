/* durable: files written whole under a temporary name, synced and renamed into place, or not at all. */
#define _GNU_SOURCE		/* O_DIRECTORY, O_NOFOLLOW with fdopendir and unlinkat */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"

/* All of buf to fd: 0, or -1 with errno. */
int
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The file open as fd under the name tmp, complete, becomes path: synced
 * (if sync), closed and renamed over it. On a failure the temporary file is
 * removed, path is left as it was, *op names the step that failed and errno
 * says why: -1. fd is closed either way.
 */
int
commit_fd(int fd, const char *tmp, const char *path, int sync, const char **op)
{
	int err;

	*op = "sync";
	if (sync && fsync(fd) < 0)
		goto fail;
	*op = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	*op = "rename";
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = err;
	return -1;
}

/* buf as the whole of path, through tmp, as commit_fd. */
int
write_whole(const char *tmp, const char *path, const void *buf, size_t n, int sync,
    const char **op)
{
	int fd, err;

	*op = "create";
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
		return -1;
	*op = "write";
	if (write_all(fd, buf, n) < 0) {
		err = errno;
		close(fd);
		unlink(tmp);
		errno = err;
		return -1;
	}
	return commit_fd(fd, tmp, path, sync, op);
}

/* Make the names in dir durable: its entries made or renamed. */
int
sync_dir(const char *dir)
{
	int fd, r, err;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	err = errno;
	close(fd);
	errno = err;
	return r;
}

/* The whole of path, NUL-terminated, its length in *n; NULL with errno. */
char *
read_whole(const char *path, size_t *n)
{
	char *buf = NULL, *p;
	size_t cap = 0, len = 0;
	ssize_t r;
	int fd, err;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 8192;
			if ((p = realloc(buf, cap)) == NULL)
				break;
			buf = p;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0) {
				close(fd);
				buf[len] = '\0';
				*n = len;
				return buf;
			}
			break;
		}
		len += (size_t)r;
	}
	err = errno;
	close(fd);
	free(buf);
	errno = err;
	return NULL;
}

/* Remove the entries of the directory open as dfd, and close it. */
static int
empty_dir(int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int fd, r = 0;

	if (d == NULL) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0)
			continue;
		fd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || empty_dir(fd) < 0 || unlinkat(dfd, e->d_name, AT_REMOVEDIR) < 0)
			r = -1;
	}
	closedir(d);
	return r;
}

/* Remove path, a file or a directory and all it holds, as rm -rf; a missing path is no error. */
int
rm_tree(const char *path)
{
	int fd;

	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (empty_dir(fd) < 0)
		return -1;
	return rmdir(path);
}
