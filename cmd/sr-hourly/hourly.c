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

/* Whether the name (n bytes) starts with an hour, YYYY-MM-DDTHH, as a log file's does; its start in *sec. */
int
hour_named(const char *name, size_t n, int64_t *sec)
{
	char buf[HOUR_LEN + 8];
	struct instant t;

	if (n < HOUR_LEN)
		return 0;
	memcpy(buf, name, HOUR_LEN);
	memcpy(buf + HOUR_LEN, ":00:00Z", 8);
	if (buf[4] != '-' || buf[7] != '-' || buf[10] != 'T' || ts_parse(buf, strlen(buf), &t) != NULL)
		return 0;
	*sec = t.sec;
	return 1;
}

/* Which hour of the run, counted from the first of the window, the name starts with; -1 if none. */
int64_t
hour_index(const struct hourly *h, const char *name, size_t n)
{
	int64_t sec, i;

	if (!hour_named(name, n, &sec) || sec < h->since)
		return -1;
	i = (sec - h->since) / HOUR_SECONDS;
	return i < h->span + h->late ? i : -1;
}
