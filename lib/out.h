/* out: buffered standard output with checked writes; a write error ends the tool with status 1. */
#ifndef SR_OUT_H
#define SR_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define OUT_SIZE ((size_t)256 * 1024)

/* The buffer, open to the inline writers below: out_len bytes wait in out_buf. */
extern char out_buf[OUT_SIZE];
extern size_t out_len;

void out_flush(void);
void out_tee(const char *path, char *const operands[], char *const more[]);
void out_write_long(const void *p, size_t n);

/* Most writes are a few bytes: a copy into the buffer, no call. */
static inline void
out_write(const void *p, size_t n)
{
	if (n > OUT_SIZE - out_len) {
		out_write_long(p, n);
		return;
	}
	memcpy(out_buf + out_len, p, n);
	out_len += n;
}

/*
 * The same for n <= 32 when 32 bytes at p may be read (a line in a read
 * buffer, which has LR_PAD more): one fixed copy instead of a call to memcpy.
 */
static inline void
out_write32(const void *p, size_t n)
{
	if (n > 32 || OUT_SIZE - out_len < 32) {
		out_write(p, n);
		return;
	}
	memcpy(out_buf + out_len, p, 32);
	out_len += n;
}

static inline void
out_char(char c)
{
	if (out_len == OUT_SIZE)
		out_flush();
	out_buf[out_len++] = c;
}

void out_i64(int64_t v);
void out_u64(uint64_t v);
void out_close(void);

#endif
