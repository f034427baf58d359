/* query: the query string of /api/v1/popular, decoded and checked: category_id=ID and an optional limit=N. */
#ifndef SR_QUERY_H
#define SR_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"

#define LIMIT_MAX 1000000

/* What a /api/v1/popular query asks for. */
struct query {
	char id[IDENT_MAX + 1];
	size_t idlen;
	int64_t limit;		/* 0: all */
	int has_id, has_limit;
};

/* The query s (NULL: none) into q; NULL, or why it is refused. */
const char *query_parse(const char *s, struct query *q);

#endif
