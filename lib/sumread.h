/* sumread: the intermediate "category_id TAB product_id TAB sum" stream, checked for form and order. */
#ifndef SR_SUMREAD_H
#define SR_SUMREAD_H

#include <stddef.h>
#include <stdint.h>

#include "lineread.h"

struct sumrec {
	const char *cat, *prod, *sumtext;
	size_t catlen, prodlen, sumlen;
	int64_t sum;
	int samekey;		/* sumread_next: the key is the line before's */
};

struct sumread {
	char **operands;	/* NULL-terminated; none means stdin */
	int opened, unique;
	struct lineread lr;
	char prev[2 * 255 + 2];	/* key of the previous line */
	size_t prevlen;
	int status;		/* 1 if an operand could not be read */
};

void sumread_init(struct sumread *sr, char **operands, int unique);
int sumread_next(struct sumread *sr, struct sumrec *r);
int sumread_line(struct sumread *sr, struct sumrec *r);
void sumread_fail(const struct sumread *sr, const struct sumrec *r, int sum, const char *why)
    __attribute__((__noreturn__));
void sumrec_write(const char *key, size_t len, int64_t sum);
const char *sumrec_parse(const char *p, size_t len, struct sumrec *r, int *field);
int sumrec_scan(const char *p, size_t n, struct sumrec *r, size_t *len);

#endif
