/* keytab: a hash table from key bytes to a 64-bit sum, held within a memory budget. */
#ifndef SR_KEYTAB_H
#define SR_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

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
 * integers, packed by keytab_pack into a number whose order is the byte
 * order of the text. Key 0: empty slot.
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
int keytab_pack(const char *a, size_t alen, const char *b, size_t blen, uint64_t *key);
int64_t *keytab_sum_packed(struct keytab *kt, uint64_t key, uint32_t h);
#define KEYTAB_PACK_TEXT 18
size_t keytab_unpack(uint64_t key, char *buf);
int keytab_each_sorted(struct keytab *kt, void (*fn)(const char *, size_t, int64_t));
void keytab_each(struct keytab *kt, void (*fn)(const char *, size_t, int64_t));
void keytab_clear(struct keytab *kt);
void keytab_free(struct keytab *kt);
uint64_t hash_bytes(const char *p, size_t n);
void hash_seed_init(void);

/*
 * The per-process key of both hashes, drawn by hash_seed_init (keytab_init
 * calls it): with it unknown, no fixed set of ids can be chosen to collide,
 * so no input makes a table slow. Nothing depends on the order of a table's
 * slots but keytab_each's, which is unspecified.
 */
extern uint64_t hash_seed[2];

#define keytab_hash(key, len) ((uint32_t)hash_bytes((key), (len)))

/*
 * A packed key's hash: the key under the seed, then mixed (a xorshift, two
 * multiplies) so that every bit of both ids moves the low bits; the high half
 * of the last product, whose bits depend on every bit below them.
 */
static inline uint32_t
keytab_packed_hash(uint64_t k)
{
	k ^= hash_seed[0];
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 29;
	k *= 0xc4ceb9fe1a85ec53ULL;
	return (uint32_t)(k >> 32);
}

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
