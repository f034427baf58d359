/* logrec: the sales log record, its seven fields, the header line and what makes a record valid. */
#include <string.h>

#include "ident.h"
#include "logrec.h"
#include "number.h"

const char *const field_names[NFIELDS] = {
	"timestamp", "product_id", "category_id", "qty", "total_price",
	"seller_id", "buyer_id",
};

/*
 * Check every field of r and fill in its timestamp and quantity. Returns NULL,
 * or the problem with *field set to the index of the first bad field.
 */
const char *
logrec_check(struct logrec *r, int *field)
{
	const struct field *f = r->f;
	const char *why;

	if ((why = ts_parse(f[F_TIMESTAMP].p, f[F_TIMESTAMP].len, &r->ts)) != NULL)
		return *field = F_TIMESTAMP, why;
	if ((why = ident_check(f[F_PRODUCT].p, f[F_PRODUCT].len)) != NULL)
		return *field = F_PRODUCT, why;
	if ((why = ident_check(f[F_CATEGORY].p, f[F_CATEGORY].len)) != NULL)
		return *field = F_CATEGORY, why;
	if ((why = parse_i64(f[F_QTY].p, f[F_QTY].len, &r->qty)) != NULL)
		return *field = F_QTY, why;
	if ((why = check_decimal(f[F_PRICE].p, f[F_PRICE].len)) != NULL)
		return *field = F_PRICE, why;
	if ((why = ident_check(f[F_SELLER].p, f[F_SELLER].len)) != NULL)
		return *field = F_SELLER, why;
	if ((why = ident_check(f[F_BUYER].p, f[F_BUYER].len)) != NULL)
		return *field = F_BUYER, why;
	return NULL;
}

/*
 * Split a TSV line (without its newline; a final '\r' is dropped) at tabs into
 * r's fields. Returns the field count, which may exceed NFIELDS: only the
 * first NFIELDS are kept.
 */
size_t
logrec_split(struct logrec *r, const char *p, size_t len)
{
	const char *end = p + len, *tab;
	size_t n = 0;

	if (len > 0 && end[-1] == '\r')
		end--;
	for (;;) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if (n < NFIELDS) {
			r->f[n].p = p;
			r->f[n].len = (size_t)((tab ? tab : end) - p);
		}
		n++;
		if (tab == NULL)
			return n;
		p = tab + 1;
	}
}

int
fields_are_header(const struct field *f, size_t n)
{
	size_t i;

	if (n != NFIELDS)
		return 0;
	for (i = 0; i < n; i++)
		if (f[i].len != strlen(field_names[i]) ||
		    memcmp(f[i].p, field_names[i], f[i].len) != 0)
			return 0;
	return 1;
}
