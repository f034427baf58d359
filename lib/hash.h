/* hash: keyed hashes of byte strings and of 64-bit numbers, their key drawn once a process. */
#ifndef SR_HASH_H
#define SR_HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * The per-process key of both hashes, drawn by hash_seed_init: with it
 * unknown, no fixed set of ids can be chosen to collide, so no input makes
 * a hash table slow.
 */
extern uint64_t hash_seed[2];

void hash_seed_init(void);
uint64_t hash_bytes(const char *p, size_t n);

/*
 * A number's hash: the number under the seed, then mixed (a xorshift, two
 * multiplies) so that every bit of it moves the high half of the result,
 * whose bits depend on every bit below them.
 */
static inline uint64_t
hash_u64(uint64_t k)
{
	k ^= hash_seed[0];
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 29;
	k *= 0xc4ceb9fe1a85ec53ULL;
	return k;
}

#endif
