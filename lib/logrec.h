/* logrec: the sales log record, its seven fields, the header line and what makes a record valid. */
#ifndef SR_LOGREC_H
#define SR_LOGREC_H

#include <stddef.h>
#include <stdint.h>

#include "timestamp.h"

enum { F_TIMESTAMP, F_PRODUCT, F_CATEGORY, F_QTY, F_PRICE, F_SELLER, F_BUYER, NFIELDS };

struct field {
	const char *p;
	size_t len;
};

struct logrec {
	struct field f[NFIELDS];
	struct instant ts;
	int64_t qty;
};

extern const char *const field_names[NFIELDS];

#define LOG_HEADER "timestamp\tproduct_id\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_id"

size_t logrec_split(struct logrec *r, const char *p, size_t len);
const char *logrec_check(struct logrec *r, int *field);
int fields_are_header(const struct field *f, size_t n);

#endif
