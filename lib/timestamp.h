/* timestamp: RFC 3339 and Unix epoch timestamps parsed to instants, compared and printed. */
#ifndef SR_TIMESTAMP_H
#define SR_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since 1970-01-01T00:00:00Z and nanoseconds 0..999999999 after them. */
struct instant {
	int64_t sec;
	int32_t nsec;
};

/* Years 0000..9999, the range RFC 3339 can write; epoch seconds are held to the same. */
#define INSTANT_MIN_SEC (-62167219200LL)	/* 0000-01-01T00:00:00Z */
#define INSTANT_MAX_SEC 253402300799LL	/* 9999-12-31T23:59:59Z */

const char *ts_parse(const char *p, size_t n, struct instant *t);
/* Which comes first: -1, 0 or 1. Inline: sr-filter-week asks twice a line. */
static inline int
instant_cmp(struct instant a, struct instant b)
{
	if (a.sec != b.sec)
		return a.sec < b.sec ? -1 : 1;
	if (a.nsec != b.nsec)
		return a.nsec < b.nsec ? -1 : 1;
	return 0;
}
struct instant instant_now(void);
#define TS_BUFSIZE 80
char *ts_format(char buf[TS_BUFSIZE], struct instant t);

#endif
