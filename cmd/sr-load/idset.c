/* idset: a set of ids (byte strings), for the products of one category; cleared for the next. */
#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "keytab.h"

#define SLOTS_FIRST 64		/* a power of two */
#define BYTES_FIRST 4096

void
idset_init(struct idset *s)
{
	memset(s, 0, sizeof *s);
	hash_seed_init();
}

static void
place(struct idset *s, size_t i)
{
	size_t k = (size_t)s->ent[i].hash & s->mask;

	while (s->slot[k] != 0)
		k = (k + 1) & s->mask;
	s->slot[k] = (uint32_t)(i + 1);
	s->ent[i].slot = (uint32_t)k;
}

/* Room for one more entry, at most half the slots full; -1 out of memory. */
static int
grow(struct idset *s, size_t n)
{
	size_t nslots = s->slot == NULL ? SLOTS_FIRST : (s->mask + 1) * 2, i;
	uint32_t *slot;
	char *b;
	void *e;

	if (s->count >= UINT32_MAX - 1)
		return -1;
	if (s->bsize - s->blen < n) {
		size_t size = s->bsize > 0 ? s->bsize : BYTES_FIRST;

		while (size - s->blen < n)
			size *= 2;
		if ((b = realloc(s->bytes, size)) == NULL)
			return -1;
		s->bytes = b;
		s->bsize = size;
	}
	if (s->count == s->entcap) {
		size_t cap = s->entcap > 0 ? s->entcap * 2 : SLOTS_FIRST / 2;

		if ((e = realloc(s->ent, cap * sizeof *s->ent)) == NULL)
			return -1;
		s->ent = e;
		s->entcap = cap;
	}
	if (s->slot != NULL && (s->count + 1) * 2 <= s->mask + 1)
		return 0;
	if ((slot = calloc(nslots, sizeof *slot)) == NULL)
		return -1;
	free(s->slot);
	s->slot = slot;
	s->mask = nslots - 1;
	for (i = 0; i < s->count; i++)
		place(s, i);
	return 0;
}

int
idset_add(struct idset *s, const char *p, size_t n)
{
	uint64_t h = hash_bytes(p, n);
	size_t k;
	struct idset_entry *e;

	if (grow(s, n) < 0)
		return -1;
	for (k = (size_t)h & s->mask; s->slot[k] != 0; k = (k + 1) & s->mask) {
		e = &s->ent[s->slot[k] - 1];
		if (e->hash == h && e->len == n && memcmp(s->bytes + e->off, p, n) == 0)
			return 0;
	}
	e = &s->ent[s->count];
	e->off = s->blen;
	e->len = (uint32_t)n;
	e->hash = h;
	if (n > 0)
		memcpy(s->bytes + s->blen, p, n);
	s->blen += n;
	place(s, s->count++);
	return 1;
}

void
idset_clear(struct idset *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		s->slot[s->ent[i].slot] = 0;
	s->count = 0;
	s->blen = 0;
}

void
idset_free(struct idset *s)
{
	free(s->slot);
	free(s->ent);
	free(s->bytes);
	memset(s, 0, sizeof *s);
}
