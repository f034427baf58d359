/* keypack: the key "A<TAB>B" of two small plain integers as one number that orders as its text does. */
#include "keypack.h"

/*
 * A plain integer of at most max digits ("0", or no leading zero) becomes
 * v * 10^(max - n) * (max + 1) + n for its value v and n digits: the digits
 * padded with zeros on the right, then the length. Comparing these compares
 * the texts byte by byte, a shorter text before a longer one it begins. The
 * first id takes the high bits, so packed keys order as "A<TAB>B" does. No
 * key packs to 0: a table may take 0 for an empty slot.
 */
_Static_assert(KEY_PACK_TEXT >= KEY_PACK_A + 1 + KEY_PACK_B, "room for a packed key's text");
#define PACK_SHIFT 44		/* (KEY_PACK_B + 1) * 10^KEY_PACK_B < 2^44; (KEY_PACK_A + 1) * 10^KEY_PACK_A < 2^20 */

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
 * Pack the key "A<TAB>B" into *key when A has at most KEY_PACK_A digits and
 * B at most KEY_PACK_B, both plain integers; returns 1, or 0 when the key
 * must go as text.
 */
int
key_pack(const char *a, size_t alen, const char *b, size_t blen, uint64_t *key)
{
	uint64_t ka = pack_id(a, alen, KEY_PACK_A), kb;

	if (ka == 0 || (kb = pack_id(b, blen, KEY_PACK_B)) == 0)
		return 0;
	*key = ka << PACK_SHIFT | kb;
	return 1;
}

/* The text of a packed key at buf (room for KEY_PACK_TEXT bytes); returns its length. */
size_t
key_unpack(uint64_t key, char *buf)
{
	size_t n = unpack_id(key >> PACK_SHIFT, KEY_PACK_A, buf);

	buf[n++] = '\t';
	return n + unpack_id(key & (((uint64_t)1 << PACK_SHIFT) - 1), KEY_PACK_B, buf + n);
}
