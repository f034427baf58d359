/* hourly: what sr-hourly's driver and its ranking share: memory, paths, the hours of the run. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "hourly.h"
#include "msg.h"
#include "timestamp.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal(EXIT_DATA, "out of memory");
	return p;
}

/* A path made as printf would, allocated. */
char *
pathf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	if (n < 0)
		fatal(EXIT_DATA, "out of memory");
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	return p;
}

/* Which hour of the run, counted from the first of the window, the name starts with; -1 if none. */
int64_t
hour_index(const struct hourly *h, const char *name, size_t n)
{
	char buf[HOUR_LEN + 8];
	struct instant t;
	int64_t i;

	if (n < HOUR_LEN)
		return -1;
	memcpy(buf, name, HOUR_LEN);
	memcpy(buf + HOUR_LEN, ":00:00Z", 8);
	if (buf[4] != '-' || buf[7] != '-' || buf[10] != 'T' || ts_parse(buf, strlen(buf), &t) != NULL)
		return -1;
	i = (t.sec - h->since) / HOUR_SECONDS;
	if (t.sec < h->since || i >= h->span + h->late)
		return -1;
	return i;
}
