/* ident: product, category, seller and buyer identifiers: what is valid and how they order. */
#include <string.h>

#include "ident.h"

/*
 * An id is 1..IDENT_MAX bytes with no control character (0x00-0x1f, 0x7f).
 * Other bytes, UTF-8 or not, are the id. Keeping tab and everything below it
 * out makes a bytewise sort of "category<TAB>product<TAB>..." lines group
 * each key, which the sort stage relies on.
 */
const char *
ident_check(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i;

	if (n == 0)
		return "empty";
	if (n > IDENT_MAX)
		return "longer than " IDENT_STR(IDENT_MAX) " bytes";
	for (i = 0; i < n; i++)
		if (u[i] < 0x20 || u[i] == 0x7f)
			return "control character in id";
	return NULL;
}

/* Digits without a leading zero ("0" itself is one). */
static int
is_canonical_uint(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || (p[0] == '0' && n > 1))
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/*
 * The order of ties in a ranking: ids that are plain non-negative integers
 * come first, in numeric order (of any length); all others follow in byte
 * order. A total order, so sorting and heaps stay consistent.
 */
int
ident_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int ia = is_canonical_uint(a, an), ib = is_canonical_uint(b, bn);

	if (ia && ib) {
		if (an != bn)
			return an < bn ? -1 : 1;
		return memcmp(a, b, an);
	}
	if (ia != ib)
		return ia ? -1 : 1;
	return bytes_cmp(a, an, b, bn);
}
