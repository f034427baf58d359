/* unpack: gzip and zstd input decompressed as it is read, told by its magic bytes, not by its name. */
#ifndef SR_UNPACK_H
#define SR_UNPACK_H

#include <stddef.h>
#include <sys/types.h>

/* Bytes that tell the formats apart: gzip has 2 magic bytes, zstd 4. */
#define UNPACK_MAGIC_MAX 4

enum unpack_kind { UNPACK_NONE, UNPACK_GZIP, UNPACK_ZSTD };

struct unpack;

enum unpack_kind unpack_kind(const char *p, size_t n);
const char *unpack_name(enum unpack_kind kind);
struct unpack *unpack_start(enum unpack_kind kind, int fd, const char *name,
    const char *head, size_t headlen);
ssize_t unpack_read(struct unpack *u, char *buf, size_t want);
void unpack_end(struct unpack *u);
int unpack_child(struct unpack *u, char *buf, size_t size, pid_t *pid);
int unpack_wait(pid_t pid, const char *name);

#endif
