/* keypack: the key "A<TAB>B" of two small plain integers as one number that orders as its text does. */
#ifndef SR_KEYPACK_H
#define SR_KEYPACK_H

#include <stddef.h>
#include <stdint.h>

#define KEY_PACK_A 5		/* digits of the first id, at most */
#define KEY_PACK_B 12		/* digits of the second */
#define KEY_PACK_TEXT 18	/* bytes of a packed key's text, at most */

int key_pack(const char *a, size_t alen, const char *b, size_t blen, uint64_t *key);
size_t key_unpack(uint64_t key, char *buf);

#endif
