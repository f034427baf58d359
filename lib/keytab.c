/* keytab: a hash table from key bytes to a 64-bit sum, held within a memory budget. */
#define _GNU_SOURCE		/* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "hugemem.h"
#include "ident.h"
#include "keypack.h"
#include "keytab.h"
#include "msg.h"
#include "radix.h"

#define SLOTS_MIN 4096
#define ARENA_MIN ((size_t)64 * 1024)
#define TEXT_DIGIT_BITS 8	/* the radix sort of the text keys' 8-byte prefixes: a byte a pass */
#define PACKED_DIGIT_BITS 11	/* of the packed keys: 6 passes, of which the top ones are mostly skipped */
#define SORT_PREFETCH 16	/* slots of text keys fetched ahead of the merge of the sorted keys */

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
	kt->slots = huge_calloc(SLOTS_MIN * sizeof *kt->slots);
	kt->pslots = huge_calloc(SLOTS_MIN * sizeof *kt->pslots);
	kt->asize = ARENA_MIN;
	kt->arena = malloc(kt->asize);
	if (kt->slots == NULL || kt->pslots == NULL || kt->arena == NULL)
		fatal(EXIT_DATA, "out of memory");
}

/* Whether the slot s of the text (packed 0) or packed (1) keys' table holds a key. */
static int
slot_used(const char *s, int packed)
{
	return packed ? ((const struct packslot *)s)->key != 0 : ((const struct keyslot *)s)->len != 0;
}

static uint32_t
slot_hash(const char *s, int packed)
{
	return packed ? keytab_packed_hash(((const struct packslot *)s)->key) : ((const struct keyslot *)s)->hash;
}

/*
 * The n slots of size bytes at old, of the text (packed 0) or packed (1)
 * keys, moved to a table of twice as many, which is returned; old is freed.
 * NULL, with nothing changed, if the old and new tables do not fit the
 * budget with all else held, or the new one cannot be had.
 */
static void *
grow(const struct keytab *kt, void *old, size_t n, size_t size, int packed)
{
	size_t mask = 2 * n - 1, i, j;
	char *s;

	if (held(kt) + 2 * n * size > kt->budget || 2 * n > (size_t)UINT32_MAX + 1)
		return NULL;
	if ((s = huge_calloc(2 * n * size)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!slot_used((char *)old + i * size, packed))
			continue;
		for (j = slot_hash((char *)old + i * size, packed) & mask; slot_used(s + j * size, packed);
		    j = (j + 1) & mask)
			;
		memcpy(s + j * size, (char *)old + i * size, size);
	}
	huge_free(old, n * size);
	return s;
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
		if ((s = grow(kt, kt->slots, kt->mask + 1, sizeof *kt->slots, 0)) == NULL)
			return NULL;
		kt->slots = s;
		kt->mask = 2 * kt->mask + 1;
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

/* keytab_sum for a key packed by key_pack, of hash keytab_packed_hash. */
int64_t *
keytab_sum_packed(struct keytab *kt, uint64_t key, uint32_t h)
{
	struct packslot *s;
	size_t i;

	for (i = h & kt->pmask; kt->pslots[i].key != 0; i = (i + 1) & kt->pmask)
		if (kt->pslots[i].key == key)
			return &kt->pslots[i].sum;
	/* Four 16-byte slots to a cache line: three quarters full, a probe still mostly stays in one. */
	if (4 * (kt->pcount + 1) > 3 * (kt->pmask + 1)) {
		if ((s = grow(kt, kt->pslots, kt->pmask + 1, sizeof *kt->pslots, 1)) == NULL)
			return NULL;
		kt->pslots = s;
		kt->pmask = 2 * kt->pmask + 1;
		for (i = h & kt->pmask; kt->pslots[i].key != 0; i = (i + 1) & kt->pmask)
			;
	}
	kt->pslots[i].key = key;
	kt->pslots[i].sum = 0;
	kt->pcount++;
	return &kt->pslots[i].sum;
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

/* A text key to sort: the radix sort orders the prefixes, qsort_r the keys of one prefix. */
struct sortent {
	uint64_t prefix;
	const struct keyslot *slot;
};

/* The byte order of two sortents' keys in the table ctx. */
static int
key_order(const void *x, const void *y, void *ctx)
{
	const struct keytab *kt = ctx;
	const struct keyslot *a = ((const struct sortent *)x)->slot;
	const struct keyslot *b = ((const struct sortent *)y)->slot;

	return bytes_cmp(keytab_key(kt, a), a->len, keytab_key(kt, b), b->len);
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
	v = radix_sort(*a, *a + n, n, sizeof **a, TEXT_DIGIT_BITS);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].prefix == v[i].prefix; j++)
			;
		if (j - i > 1)
			qsort_r(v + i, j - i, sizeof *v, key_order, kt);
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
	struct packslot *a = kt->pslots, *b = a + kt->pcount;
	size_t n = 0, i;

	*spare = NULL;
	if (2 * kt->pcount > kt->pmask + 1 &&
	    (b = *spare = malloc(kt->pcount * sizeof *b + 1)) == NULL)
		return NULL;
	for (i = 0; i <= kt->pmask; i++)
		if (kt->pslots[i].key != 0)
			a[n++] = kt->pslots[i];
	return radix_sort(a, b, n, sizeof *a, PACKED_DIGIT_BITS);
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
	char ptext[KEY_PACK_TEXT];
	const struct keyslot *s;

	if ((v = sort_text(kt, &a, &n)) == NULL)
		return -1;
	if ((pv = sort_packed(kt, &spare)) == NULL) {
		free(a);
		return -1;
	}
	if (pn > 0)
		plen = key_unpack(pv[0].key, ptext);
	while (i < n || j < pn) {
		if (i + SORT_PREFETCH < n)
			__builtin_prefetch(v[i + SORT_PREFETCH].slot);
		if (i < n && (j == pn ||
		    bytes_cmp(keytab_key(kt, v[i].slot), v[i].slot->len, ptext, plen) < 0)) {
			s = v[i++].slot;
			fn(keytab_key(kt, s), s->len, s->sum);
		} else {
			fn(ptext, plen, pv[j].sum);
			if (++j < pn)
				plen = key_unpack(pv[j].key, ptext);
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
	char ptext[KEY_PACK_TEXT];
	size_t i;

	for (i = 0; i <= kt->mask; i++) {
		s = &kt->slots[i];
		if (s->len != 0)
			fn(keytab_key(kt, s), s->len, s->sum);
	}
	for (i = 0; i <= kt->pmask; i++)
		if (kt->pslots[i].key != 0)
			fn(ptext, key_unpack(kt->pslots[i].key, ptext), kt->pslots[i].sum);
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
	huge_free(kt->slots, (kt->mask + 1) * sizeof *kt->slots);
	huge_free(kt->pslots, (kt->pmask + 1) * sizeof *kt->pslots);
	free(kt->arena);
}
