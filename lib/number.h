/* number: exact integer and decimal parsing for data fields and for command-line arguments. */
#ifndef SR_NUMBER_H
#define SR_NUMBER_H

#include <stddef.h>
#include <stdint.h>

const char *parse_i64(const char *p, size_t n, int64_t *v);
const char *check_decimal(const char *p, size_t n);
int64_t arg_count(const char *opt, const char *s, int64_t min, int64_t max);
int64_t arg_size(const char *opt, const char *s, int64_t min, int64_t max);

#endif
