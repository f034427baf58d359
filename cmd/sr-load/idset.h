/* idset: a set of ids (byte strings), for the products of one category; cleared for the next. */
#ifndef SR_IDSET_H
#define SR_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset_entry {
	size_t off;		/* the id's bytes in the arena */
	uint32_t len;
	uint32_t slot;		/* where in the table: cleared by it */
	uint64_t hash;
};

/* Open addressing: slot[i] is an entry's index + 1, or 0. Grows; clearing costs the entries, not the table. */
struct idset {
	uint32_t *slot;
	size_t mask;
	struct idset_entry *ent;
	size_t count, entcap;
	char *bytes;
	size_t blen, bsize;
};

void idset_init(struct idset *s);
/* Add the n bytes at p: 1 if they were not in the set, 0 if they were, -1 out of memory. */
int idset_add(struct idset *s, const char *p, size_t n);
void idset_clear(struct idset *s);
void idset_free(struct idset *s);

#endif
