/* text: a growing buffer of bytes, and the JSON written into it (strings always valid UTF-8). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define TEXT_FIRST_CAP 65536

void
text_add(struct text *t, const char *p, size_t n)
{
	size_t cap;
	char *np;

	if (t->failed)
		return;
	if (t->len + n > t->cap) {
		cap = t->cap != 0 ? t->cap : TEXT_FIRST_CAP;
		while (cap < t->len + n)
			cap *= 2;
		if ((np = realloc(t->p, cap)) == NULL) {
			t->failed = 1;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
	if (p != NULL)
		memcpy(t->p + t->len, p, n);
	t->len += n;
}

void
text_repeat(struct text *t, size_t off, size_t len)
{
	size_t at = t->len;

	text_add(t, NULL, len);
	if (!t->failed)
		memcpy(t->p + at, t->p + off, len);
}

void
text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

void
text_printf(struct text *t, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	/* ap is started just above; the analyzer does not always see it (as in msg.c). */
	n = vsnprintf(buf, sizeof buf, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		t->failed = 1;
	else
		text_add(t, buf, (size_t)n);
}

size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void
text_json_string(struct text *t, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;

	text_add(t, "\"", 1);
	while (i < n) {
		if (p[i] == '"' || p[i] == '\\') {
			text_add(t, "\\", 1);
			text_add(t, s + i++, 1);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			text_printf(t, "\\u%04x", p[i++]);
		} else if ((run = utf8_len(p + i, n - i)) == 0) {
			text_str(t, "\xef\xbf\xbd");
			i++;
		} else {
			text_add(t, s + i, run);
			i += run;
		}
	}
	text_add(t, "\"", 1);
}

void
text_json_or_null(struct text *t, const char *s)
{
	if (s == NULL)
		text_str(t, "null");
	else
		text_json_string(t, s, strlen(s));
}
