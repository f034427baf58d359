/* keytab: a hash table from key bytes to a 64-bit sum, held within a memory budget. */
#define _DEFAULT_SOURCE		/* MAP_ANONYMOUS, madvise, getrandom */
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/auxv.h>
#include <sys/random.h>
#endif

#include "ident.h"
#include "keytab.h"
#include "msg.h"

#define SLOTS_MIN 4096
#define HUGE_MIN ((size_t)4 << 20)	/* tables this big get their own mapping */
#define ARENA_MIN ((size_t)64 * 1024)

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

/*
 * Zeroed memory for slots. A big table is its own mapping, asked to be backed
 * by huge pages: lookups land anywhere in it, and with 4 KiB pages nearly
 * each one would also miss the TLB.
 */
static void *
slots_alloc(size_t size)
{
	void *p;

	if (size < HUGE_MIN)
		return calloc(1, size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

static void
slots_free(void *p, size_t size)
{
	if (size < HUGE_MIN)
		free(p);
	else
		munmap(p, size);
}

/* Bytes held: both tables and the arena; what the budget bounds. */
static size_t
held(const struct keytab *kt)
{
	return (kt->mask + 1) * sizeof *kt->slots + (kt->pmask + 1) * sizeof *kt->pslots + kt->asize;
}

void
keytab_init(struct keytab *kt, size_t budget)
{
	hash_seed_init();
	memset(kt, 0, sizeof *kt);
	kt->budget = budget;
	kt->mask = kt->pmask = SLOTS_MIN - 1;
	kt->slots = slots_alloc(SLOTS_MIN * sizeof *kt->slots);
	kt->pslots = slots_alloc(SLOTS_MIN * sizeof *kt->pslots);
	kt->asize = ARENA_MIN;
	kt->arena = malloc(kt->asize);
	if (kt->slots == NULL || kt->pslots == NULL || kt->arena == NULL)
		fatal(EXIT_DATA, "out of memory");
}

/* Double the slots if the old and new tables fit the budget with all else held. */
static int
grow_slots(struct keytab *kt)
{
	size_t n = kt->mask + 1, i, j;
	struct keyslot *s;

	if (held(kt) + 2 * n * sizeof *s > kt->budget || 2 * n > (size_t)UINT32_MAX + 1)
		return -1;
	if ((s = slots_alloc(2 * n * sizeof *s)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (kt->slots[i].len == 0)
			continue;
		for (j = kt->slots[i].hash & (2 * n - 1); s[j].len != 0; j = (j + 1) & (2 * n - 1))
			;
		s[j] = kt->slots[i];
	}
	slots_free(kt->slots, n * sizeof *s);
	kt->slots = s;
	kt->mask = 2 * n - 1;
	return 0;
}

/* grow_slots for the packed keys. */
static int
grow_packed(struct keytab *kt)
{
	size_t n = kt->pmask + 1, i, j;
	struct packslot *s;

	if (held(kt) + 2 * n * sizeof *s > kt->budget || 2 * n > (size_t)UINT32_MAX + 1)
		return -1;
	if ((s = slots_alloc(2 * n * sizeof *s)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (kt->pslots[i].key == 0)
			continue;
		j = keytab_packed_hash(kt->pslots[i].key) & (2 * n - 1);
		for (; s[j].key != 0; j = (j + 1) & (2 * n - 1))
			;
		s[j] = kt->pslots[i];
	}
	slots_free(kt->pslots, n * sizeof *s);
	kt->pslots = s;
	kt->pmask = 2 * n - 1;
	return 0;
}

static int
grow_arena(struct keytab *kt, size_t need)
{
	size_t size = kt->asize;
	char *a;

	while (size < kt->alen + need)
		size *= 2;
	if (held(kt) - kt->asize + size > kt->budget)
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

/* keytab_sum for a key packed by keytab_pack, of hash keytab_packed_hash. */
int64_t *
keytab_sum_packed(struct keytab *kt, uint64_t key, uint32_t h)
{
	size_t i;

	for (i = h & kt->pmask; kt->pslots[i].key != 0; i = (i + 1) & kt->pmask)
		if (kt->pslots[i].key == key)
			return &kt->pslots[i].sum;
	/* Four 16-byte slots to a cache line: three quarters full, a probe still mostly stays in one. */
	if (4 * (kt->pcount + 1) > 3 * (kt->pmask + 1)) {
		if (grow_packed(kt) < 0)
			return NULL;
		for (i = h & kt->pmask; kt->pslots[i].key != 0; i = (i + 1) & kt->pmask)
			;
	}
	kt->pslots[i].key = key;
	kt->pslots[i].sum = 0;
	kt->pcount++;
	return &kt->pslots[i].sum;
}

/*
 * Packing. A plain integer of at most max digits ("0", or no leading zero)
 * becomes v * 10^(max - n) * (max + 1) + n for its value v and n digits: the
 * digits padded with zeros on the right, then the length. Comparing these
 * compares the texts byte by byte, a shorter text before a longer one it
 * begins. The first id takes the high bits, so packed keys order as
 * "A<TAB>B" does.
 */
#define PACK_A 5		/* digits of the first id */
#define PACK_B 12		/* digits of the second */
_Static_assert(KEYTAB_PACK_TEXT >= PACK_A + 1 + PACK_B, "room for a packed key's text");
#define PACK_SHIFT 44		/* (PACK_B + 1) * 10^PACK_B < 2^44; (PACK_A + 1) * 10^PACK_A < 2^20 */

static const uint64_t pow10[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000ULL, 100000000000ULL, 1000000000000ULL
};

static uint64_t
pack_id(const char *p, size_t n, size_t max)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > max || (p[0] == '0' && n > 1))
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)(p[i] - '0') > 9)
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return v * pow10[max - n] * (max + 1) + n;
}

/*
 * The text of a packed id at buf (room for max bytes); returns its length.
 * The padded value written in max digits begins with the text: only constant
 * divisors, which compile to multiplies.
 */
static inline size_t
unpack_id(uint64_t k, size_t max, char *buf)
{
	uint64_t v = k / (max + 1);
	size_t i;

	for (i = max; i > 0; i--, v /= 10)
		buf[i - 1] = (char)('0' + v % 10);
	return (size_t)(k % (max + 1));
}

/*
 * Pack the key "A<TAB>B" into *key when A has at most 5 digits and B at most
 * 12, both plain integers; returns 1, or 0 when the key must go as text.
 */
int
keytab_pack(const char *a, size_t alen, const char *b, size_t blen, uint64_t *key)
{
	uint64_t ka = pack_id(a, alen, PACK_A), kb;

	if (ka == 0 || (kb = pack_id(b, blen, PACK_B)) == 0)
		return 0;
	*key = ka << PACK_SHIFT | kb;
	return 1;
}

/* The text of a packed key at buf (room for KEYTAB_PACK_TEXT bytes); returns its length. */
size_t
keytab_unpack(uint64_t key, char *buf)
{
	size_t n = unpack_id(key >> PACK_SHIFT, PACK_A, buf);

	buf[n++] = '\t';
	return n + unpack_id(key & (((uint64_t)1 << PACK_SHIFT) - 1), PACK_B, buf + n);
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

	return bytes_cmp(keytab_key(sorting, a), a->len, keytab_key(sorting, b), b->len);
}

/* The text keys' *np entries in byte order, in a; NULL if the arrays cannot be had. */
static struct sortent *
sort_text(struct keytab *kt, struct sortent **a, size_t *np)
{
	struct sortent *v;
	size_t i, j, n = 0;

	if ((*a = malloc(2 * kt->count * sizeof **a + 1)) == NULL)
		return NULL;
	for (i = 0; i <= kt->mask; i++)
		if (kt->slots[i].len != 0) {
			(*a)[n].slot = &kt->slots[i];
			(*a)[n++].prefix = key_prefix(keytab_key(kt, &kt->slots[i]), kt->slots[i].len);
		}
	v = n > 0 ? radix_sort(*a, *a + n, n) : *a;
	sorting = kt;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].prefix == v[i].prefix; j++)
			;
		if (j - i > 1)
			qsort(v + i, j - i, sizeof *v, key_order);
	}
	*np = n;
	return v;
}

/*
 * The packed keys in order, sorted where they lie: gathered at the start of
 * their table, with the next pcount slots for the radix sort's second array
 * when the table is at most half full, else *spare, allocated here (the
 * caller frees it). NULL, with nothing moved, if *spare cannot be had. The
 * table is no hash table after.
 */
static struct packslot *
sort_packed(struct keytab *kt, struct packslot **spare)
{
	struct packslot *a = kt->pslots, *b = a + kt->pcount, *t;
	size_t n = 0, i, pos, c, count[1 << 11];
	int shift;

	*spare = NULL;
	if (2 * kt->pcount > kt->pmask + 1 &&
	    (b = *spare = malloc(kt->pcount * sizeof *b + 1)) == NULL)
		return NULL;
	for (i = 0; i <= kt->pmask; i++)
		if (kt->pslots[i].key != 0)
			a[n++] = kt->pslots[i];
	for (shift = 0; shift < 64 && n > 0; shift += 11) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[a[i].key >> shift & 0x7ff]++;
		if (count[a[0].key >> shift & 0x7ff] == n)
			continue;
		for (i = 0, pos = 0; i < 1 << 11; i++) {
			c = count[i];
			count[i] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			b[count[a[i].key >> shift & 0x7ff]++] = a[i];
		t = a, a = b, b = t;
	}
	return a;
}

/*
 * Call fn for every key in byte order. Sorted output costs little here and
 * spares sort(1) most of its work later. The text keys' two sort arrays take
 * at most half their slots' bytes, within what keytab_sum keeps free for
 * growing; the packed keys sort in their own table, or with a spare array
 * when it is more than half full. Returns -1, having
 * called nothing, if the arrays cannot be had. After it, the table is only
 * fit for keytab_clear or keytab_free.
 */
int
keytab_each_sorted(struct keytab *kt, void (*fn)(const char *, size_t, int64_t))
{
	struct sortent *a, *v;
	struct packslot *pv, *spare;
	size_t i = 0, j = 0, n, pn = kt->pcount, plen = 0;
	char ptext[KEYTAB_PACK_TEXT];
	const struct keyslot *s;

	if ((v = sort_text(kt, &a, &n)) == NULL)
		return -1;
	if ((pv = sort_packed(kt, &spare)) == NULL) {
		free(a);
		return -1;
	}
	if (pn > 0)
		plen = keytab_unpack(pv[0].key, ptext);
	while (i < n || j < pn) {
		if (i + 16 < n)
			__builtin_prefetch(v[i + 16].slot);
		if (i < n && (j == pn ||
		    bytes_cmp(keytab_key(kt, v[i].slot), v[i].slot->len, ptext, plen) < 0)) {
			s = v[i++].slot;
			fn(keytab_key(kt, s), s->len, s->sum);
		} else {
			fn(ptext, plen, pv[j].sum);
			if (++j < pn)
				plen = keytab_unpack(pv[j].key, ptext);
		}
	}
	free(a);
	free(spare);
	return 0;
}

/* Call fn for every key, in no order. */
void
keytab_each(struct keytab *kt, void (*fn)(const char *, size_t, int64_t))
{
	const struct keyslot *s;
	char ptext[KEYTAB_PACK_TEXT];
	size_t i;

	for (i = 0; i <= kt->mask; i++) {
		s = &kt->slots[i];
		if (s->len != 0)
			fn(keytab_key(kt, s), s->len, s->sum);
	}
	for (i = 0; i <= kt->pmask; i++)
		if (kt->pslots[i].key != 0)
			fn(ptext, keytab_unpack(kt->pslots[i].key, ptext), kt->pslots[i].sum);
}

void
keytab_clear(struct keytab *kt)
{
	memset(kt->slots, 0, (kt->mask + 1) * sizeof *kt->slots);
	memset(kt->pslots, 0, (kt->pmask + 1) * sizeof *kt->pslots);
	kt->count = kt->pcount = 0;
	kt->alen = 0;
}

void
keytab_free(struct keytab *kt)
{
	slots_free(kt->slots, (kt->mask + 1) * sizeof *kt->slots);
	slots_free(kt->pslots, (kt->pmask + 1) * sizeof *kt->pslots);
	free(kt->arena);
}
