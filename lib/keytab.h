/* keytab: a hash table from key bytes to a 64-bit sum, held within a memory budget. */
#ifndef SR_KEYTAB_H
#define SR_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

#define KEY_INLINE 16

/*
 * 32 bytes, two to a cache line. A key of up to KEY_INLINE bytes lives in the
 * slot, so finding it touches one line; a longer one is in the arena.
 */
struct keyslot {
	int64_t sum;
	uint32_t hash;		/* low 32 bits of the key's hash */
	uint32_t len;		/* 0: empty slot */
	union {
		char bytes[KEY_INLINE];
		uint64_t off;	/* in the arena, when len > KEY_INLINE */
	} key;
};

/*
 * 16 bytes, four to a line: the key "A<TAB>B" where A and B are small plain
 * integers, packed by key_pack (keypack.h) into a number whose order is the
 * byte order of the text. Key 0: empty slot.
 */
struct packslot {
	uint64_t key;
	int64_t sum;
};

struct keytab {
	struct keyslot *slots;
	size_t mask;		/* slot count - 1; a power of two */
	size_t count;
	char *arena;
	size_t alen, asize;
	struct packslot *pslots;	/* the packed keys, a table of their own */
	size_t pmask, pcount;
	size_t budget;		/* bytes for both tables and the arena together */
};

void keytab_init(struct keytab *kt, size_t budget);
int64_t *keytab_sum(struct keytab *kt, const char *key, size_t len);
int64_t *keytab_sum_hashed(struct keytab *kt, const char *key, size_t len, uint32_t h);
int64_t *keytab_sum_packed(struct keytab *kt, uint64_t key, uint32_t h);
int keytab_each_sorted(struct keytab *kt, void (*fn)(const char *, size_t, int64_t));
void keytab_each(struct keytab *kt, void (*fn)(const char *, size_t, int64_t));
void keytab_clear(struct keytab *kt);
void keytab_free(struct keytab *kt);

/*
 * The hashes of a text key and of a packed one (hash.h), under a seed drawn
 * once a process (keytab_init draws it). Nothing depends on the order of a
 * table's slots but keytab_each's, which is unspecified.
 */
#define keytab_hash(key, len) ((uint32_t)hash_bytes((key), (len)))
#define keytab_packed_hash(k) ((uint32_t)(hash_u64(k) >> 32))

/* Start loading the slot where a key of hash h would be, for a lookup soon after. */
static inline void
keytab_prefetch(const struct keytab *kt, uint32_t h)
{
	__builtin_prefetch(&kt->slots[h & kt->mask]);
}

/* Start loading the slot where a packed key of hash h would be. */
static inline void
keytab_prefetch_packed(const struct keytab *kt, uint32_t h)
{
	__builtin_prefetch(&kt->pslots[h & kt->pmask]);
}

#define keytab_key(kt, s) \
	((s)->len <= KEY_INLINE ? (s)->key.bytes : (kt)->arena + (s)->key.off)

#endif
