/* durable: files written whole under a temporary name, synced and renamed into place, or not at all. */
#ifndef SR_DURABLE_H
#define SR_DURABLE_H

#include <stddef.h>

int write_all(int fd, const void *buf, size_t n);
int commit_fd(int fd, const char *tmp, const char *path, int sync, const char **op);
int write_whole(const char *tmp, const char *path, const void *buf, size_t n, int sync,
    const char **op);
int sync_dir(const char *dir);
char *read_whole(const char *path, size_t *n);
int rm_tree(const char *path);

#endif
