/* ident: product, category, seller and buyer identifiers: what is valid and how they order. */
#ifndef SR_IDENT_H
#define SR_IDENT_H

#include <stddef.h>

#define IDENT_MAX 255		/* bytes */

const char *ident_check(const char *p, size_t n);
int ident_cmp(const char *a, size_t an, const char *b, size_t bn);
int bytes_cmp(const char *a, size_t an, const char *b, size_t bn);

#endif
