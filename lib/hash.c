/* hash: keyed hashes of byte strings and of 64-bit numbers, their key drawn once a process. */
#define _DEFAULT_SOURCE		/* getrandom */
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/auxv.h>
#include <sys/random.h>
#endif

#include "hash.h"

uint64_t hash_seed[2];

/* n (at most 16) random bytes at p from the kernel: getrandom, not waiting, else AT_RANDOM; 0 if none. */
static int
kernel_random(void *p, size_t n)
{
#ifdef __linux__
	if (getrandom(p, n, GRND_NONBLOCK) == (ssize_t)n)
		return 1;
	if (n <= 16 && getauxval(AT_RANDOM) != 0) {
		memcpy(p, (const void *)getauxval(AT_RANDOM), n);
		return 1;
	}
#endif
	(void)p, (void)n;
	return 0;
}

/*
 * 16 random bytes for the hash seed: the kernel's, else the clock, the
 * process id and an address. Once a process.
 */
void
hash_seed_init(void)
{
	static int done;
	struct timespec ts;
	uint64_t s[2] = { 0, 0 };

	if (done)
		return;
	done = 1;
	if (!kernel_random(s, sizeof s)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		s[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec;
		s[1] = (uint64_t)getpid() * 0xbf58476d1ce4e5b9ULL ^ (uint64_t)(uintptr_t)&ts;
	}
	hash_seed[0] = s[0], hash_seed[1] = s[1];
}

/*
 * A multiply-xorshift hash over 8-byte words, keyed: the seed starts the
 * state and is mixed in again before the finish, so that which keys collide
 * changes from process to process. Fast for short keys and well mixed.
 */
uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = hash_seed[0] ^ 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL), w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 29;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * 0x94d049bb133111ebULL;
		h ^= h >> 29;
	}
	h ^= hash_seed[1];
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}
