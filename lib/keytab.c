/* keytab: a hash table from key bytes to a 64-bit sum, held within a memory budget. */
#define _DEFAULT_SOURCE		/* MAP_ANONYMOUS, madvise */
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

#include "keytab.h"
#include "msg.h"

#define SLOTS_MIN 4096
#define HUGE_MIN ((size_t)4 << 20)	/* tables this big get their own mapping */
#define ARENA_MIN ((size_t)64 * 1024)

/* A multiply-xorshift hash over 8-byte words: fast for short keys and well mixed. */
uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL), w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 29;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * 0x94d049bb133111ebULL;
	}
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/*
 * Zeroed slots. A big table is its own mapping, asked to be backed by huge
 * pages: lookups land anywhere in it, and with 4 KiB pages nearly each one
 * would also miss the TLB.
 */
static struct keyslot *
slots_alloc(size_t n)
{
	size_t size = n * sizeof(struct keyslot);
	void *p;

	if (size < HUGE_MIN)
		return calloc(n, sizeof(struct keyslot));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

static void
slots_free(struct keyslot *s, size_t n)
{
	if (n * sizeof *s < HUGE_MIN)
		free(s);
	else
		munmap(s, n * sizeof *s);
}

void
keytab_init(struct keytab *kt, size_t budget)
{
	memset(kt, 0, sizeof *kt);
	kt->budget = budget;
	kt->mask = SLOTS_MIN - 1;
	kt->slots = slots_alloc(SLOTS_MIN);
	kt->asize = ARENA_MIN;
	kt->arena = malloc(kt->asize);
	if (kt->slots == NULL || kt->arena == NULL)
		fatal(EXIT_DATA, "out of memory");
}

/* Double the slots if the old and new tables and the arena fit the budget together. */
static int
grow_slots(struct keytab *kt)
{
	size_t n = kt->mask + 1, i, j;
	struct keyslot *s;

	if ((3 * n) * sizeof *s + kt->asize > kt->budget || 2 * n > (size_t)UINT32_MAX + 1)
		return -1;
	if ((s = slots_alloc(2 * n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (kt->slots[i].len == 0)
			continue;
		for (j = kt->slots[i].hash & (2 * n - 1); s[j].len != 0; j = (j + 1) & (2 * n - 1))
			;
		s[j] = kt->slots[i];
	}
	slots_free(kt->slots, n);
	kt->slots = s;
	kt->mask = 2 * n - 1;
	return 0;
}

static int
grow_arena(struct keytab *kt, size_t need)
{
	size_t size = kt->asize;
	char *a;

	while (size < kt->alen + need)
		size *= 2;
	if ((kt->mask + 1) * sizeof *kt->slots + size > kt->budget)
		return -1;
	if ((a = realloc(kt->arena, size)) == NULL)
		return -1;
	kt->arena = a;
	kt->asize = size;
	return 0;
}

/*
 * The sum for key (1 byte or more: length 0 marks an empty slot), a new one
 * set to 0 if the key is new; NULL if a new key does not fit the budget (the
 * caller flushes and clears the table).
 */
int64_t *
keytab_sum(struct keytab *kt, const char *key, size_t len)
{
	return keytab_sum_hashed(kt, key, len, keytab_hash(key, len));
}

/* keytab_sum with the key's keytab_hash already computed. */
int64_t *
keytab_sum_hashed(struct keytab *kt, const char *key, size_t len, uint32_t h)
{
	size_t i;
	struct keyslot *s;

	for (i = h & kt->mask; kt->slots[i].len != 0; i = (i + 1) & kt->mask) {
		s = &kt->slots[i];
		if (s->hash == h && s->len == len && memcmp(keytab_key(kt, s), key, len) == 0)
			return &s->sum;
	}
	if (2 * (kt->count + 1) > kt->mask + 1) {
		if (grow_slots(kt) < 0)
			return NULL;
		for (i = h & kt->mask; kt->slots[i].len != 0; i = (i + 1) & kt->mask)
			;
	}
	s = &kt->slots[i];
	if (len > KEY_INLINE) {
		if (kt->alen + len > kt->asize && grow_arena(kt, len) < 0)
			return NULL;
		memcpy(kt->arena + kt->alen, key, len);
		s->key.off = kt->alen;
		kt->alen += len;
	} else
		memcpy(s->key.bytes, key, len);
	s->hash = h, s->sum = 0, s->len = (uint32_t)len;
	kt->count++;
	return &s->sum;
}

/* A key's first 8 bytes, big-endian and zero-padded: ordering these orders the keys, up to ties. */
static uint64_t
key_prefix(const char *k, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		v = v << 8 | (i < len ? (unsigned char)k[i] : 0);
	return v;
}

struct sortent {
	uint64_t prefix;
	const struct keyslot *slot;
};

/* LSD radix sort on the prefixes, a byte a pass, skipping bytes all entries share. */
static struct sortent *
radix_sort(struct sortent *a, struct sortent *tmp, size_t n)
{
	size_t count[256], i, pos, c;
	struct sortent *t;
	int shift;

	for (shift = 0; shift < 64; shift += 8) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[a[i].prefix >> shift & 0xff]++;
		if (count[a[0].prefix >> shift & 0xff] == n)
			continue;
		for (i = 0, pos = 0; i < 256; i++) {
			c = count[i];
			count[i] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[a[i].prefix >> shift & 0xff]++] = a[i];
		t = a, a = tmp, tmp = t;
	}
	return a;
}

/* qsort has no context argument; the table being sorted is this one (one sort at a time). */
static const struct keytab *sorting;

static int
key_order(const void *x, const void *y)
{
	const struct keyslot *a = ((const struct sortent *)x)->slot;
	const struct keyslot *b = ((const struct sortent *)y)->slot;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(keytab_key(sorting, a), keytab_key(sorting, b), n);

	return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

/*
 * Call fn for every key in byte order. Sorted output costs little here and
 * spares sort(1) most of its work later. The two sort arrays take at most
 * half the slots' bytes, within what keytab_sum keeps free for growing.
 * Returns -1, having called nothing, if they cannot be had.
 */
int
keytab_each_sorted(struct keytab *kt, void (*fn)(const char *, size_t, int64_t))
{
	struct sortent *a, *v;
	size_t i, j, n = 0;

	if ((a = malloc(2 * kt->count * sizeof *a + 1)) == NULL)
		return -1;
	for (i = 0; i <= kt->mask; i++)
		if (kt->slots[i].len != 0) {
			a[n].slot = &kt->slots[i];
			a[n++].prefix = key_prefix(keytab_key(kt, &kt->slots[i]), kt->slots[i].len);
		}
	v = n > 0 ? radix_sort(a, a + n, n) : a;
	sorting = kt;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].prefix == v[i].prefix; j++)
			;
		if (j - i > 1)
			qsort(v + i, j - i, sizeof *v, key_order);
	}
	for (i = 0; i < n; i++) {
		if (i + 16 < n)
			__builtin_prefetch(v[i + 16].slot);
		fn(keytab_key(kt, v[i].slot), v[i].slot->len, v[i].slot->sum);
	}
	free(a);
	return 0;
}

void
keytab_clear(struct keytab *kt)
{
	memset(kt->slots, 0, (kt->mask + 1) * sizeof *kt->slots);
	kt->count = 0;
	kt->alen = 0;
}

void
keytab_free(struct keytab *kt)
{
	slots_free(kt->slots, kt->mask + 1);
	free(kt->arena);
}
