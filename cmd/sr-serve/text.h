/* text: a growing buffer of bytes, and the JSON written into it (strings always valid UTF-8). */
#ifndef SR_TEXT_H
#define SR_TEXT_H

#include <stddef.h>

/* A growing text; a failed allocation is remembered (failed) and reported once, at the end. */
struct text {
	char *p;
	size_t len, cap;
	int failed;
};

/* Append n bytes from p (NULL: n bytes left to be written by the caller). */
void text_add(struct text *t, const char *p, size_t n);
/* Append len bytes that t holds at off: t->p may move as it grows. */
void text_repeat(struct text *t, size_t off, size_t len);
void text_str(struct text *t, const char *s);
/* At most 127 bytes; longer is a failure. */
void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The length of the UTF-8 sequence at p (at most n bytes, n > 0), or 0 if it is not a valid one. */
size_t utf8_len(const unsigned char *p, size_t n);

/*
 * s (n bytes) as a JSON string: '"' and '\' escaped, control bytes as \u00XX,
 * and each byte that is not part of valid UTF-8 as U+FFFD, so the reply is
 * always valid JSON in UTF-8 whatever bytes an id holds.
 */
void text_json_string(struct text *t, const char *s, size_t n);
/* s as a JSON string, or null if s is NULL. */
void text_json_or_null(struct text *t, const char *s);

#endif
