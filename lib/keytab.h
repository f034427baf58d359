/* keytab: a hash table from key bytes to a 64-bit sum, held within a memory budget. */
#ifndef SR_KEYTAB_H
#define SR_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

struct keyslot {
	uint64_t hash;
	int64_t sum;
	uint32_t off;		/* key bytes in the arena */
	uint32_t len;		/* 0: empty slot */
};

struct keytab {
	struct keyslot *slots;
	size_t mask;		/* slot count - 1; a power of two */
	size_t count;
	char *arena;
	size_t alen, asize;
	size_t budget;		/* bytes for slots and arena together */
};

void keytab_init(struct keytab *kt, size_t budget);
int64_t *keytab_sum(struct keytab *kt, const char *key, size_t len);
void keytab_clear(struct keytab *kt);
void keytab_free(struct keytab *kt);
uint64_t hash_bytes(const char *p, size_t n);

#define keytab_key(kt, s) ((kt)->arena + (s)->off)

#endif
