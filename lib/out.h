/* out: buffered standard output with checked writes; a write error ends the tool with status 1. */
#ifndef SR_OUT_H
#define SR_OUT_H

#include <stddef.h>
#include <stdint.h>

void out_write(const void *p, size_t n);
void out_char(char c);
void out_i64(int64_t v);
void out_u64(uint64_t v);
void out_flush(void);
void out_close(void);

#endif
