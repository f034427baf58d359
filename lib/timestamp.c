/* timestamp: RFC 3339 and Unix epoch timestamps parsed to instants, compared and printed. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "number.h"
#include "timestamp.h"

#define BAD_TIMESTAMP "not a timestamp (want 2026-11-25T19:04:05Z or epoch seconds)"

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at p as a number, or -1. */
static int
digits(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdig(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* A fraction ".ddd" of 1..9 digits at *pp, advanced past it. */
static const char *
fraction(const char **pp, const char *end, int32_t *nsec)
{
	const char *p = *pp + 1;
	int ndig = 0;
	int32_t v = 0;

	while (p < end && isdig(*p) && ndig < 10) {
		v = ndig < 9 ? v * 10 + (*p - '0') : v;
		ndig++;
		p++;
	}
	if (ndig == 0)
		return "no digits after the decimal point";
	if (ndig > 9)
		return "more than 9 fraction digits";
	while (ndig++ < 9)
		v *= 10;
	*nsec = v;
	*pp = p;
	return NULL;
}

static const char *
parse_epoch_slow(const char *p, const char *end, struct instant *t)
{
	int neg = 0;
	int64_t s = 0;
	const char *why;

	t->nsec = 0;
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p == end || !isdig(*p))
		return BAD_TIMESTAMP;
	for (; p < end && isdig(*p); p++) {
		s = s * 10 + (*p - '0');
		if (s > INSTANT_MAX_SEC + 1)
			return "epoch seconds out of range";
	}
	if (p < end && *p == '.' && (why = fraction(&p, end, &t->nsec)) != NULL)
		return why;
	if (p != end)
		return BAD_TIMESTAMP;
	if (neg) {
		s = -s;
		if (t->nsec > 0) {
			s -= 1;
			t->nsec = 1000000000 - t->nsec;
		}
	}
	if (s < INSTANT_MIN_SEC || s > INSTANT_MAX_SEC)
		return "epoch seconds out of range";
	t->sec = s;
	return NULL;
}

/* Epoch seconds; the common form, 8 to 12 digits alone, without a check per digit. */
static const char *
parse_epoch(const char *p, const char *end, struct instant *t)
{
	const char *q = p + 8;
	int64_t v;

	if (end - p >= 8 && end - p <= 12 && (v = digits8(p)) >= 0) {
		for (; q < end && isdig(*q); q++)
			v = v * 10 + (*q - '0');
		if (q == end && v <= INSTANT_MAX_SEC) {
			t->sec = v;
			t->nsec = 0;
			return NULL;
		}
	}
	return parse_epoch_slow(p, end, t);
}

/* "Z" or "+hh:mm"/"-hh:mm" as seconds east of UTC. */
static const char *
offset(const char *p, const char *end, int *off)
{
	int h, m;

	if (end - p == 1 && (*p == 'Z' || *p == 'z')) {
		*off = 0;
		return NULL;
	}
	if (p == end)
		return "no UTC offset (Z or +hh:mm)";
	if (*p != '+' && *p != '-')
		return "bad UTC offset (want Z or +hh:mm)";
	if (end - p == 5 && digits(p + 1, 4) >= 0)
		return "UTC offset needs a colon (+hh:mm)";
	if (end - p != 6 || p[3] != ':' || (h = digits(p + 1, 2)) < 0 ||
	    (m = digits(p + 4, 2)) < 0)
		return "bad UTC offset (want Z or +hh:mm)";
	if (h > 23 || m > 59)
		return "UTC offset out of range";
	*off = (*p == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return NULL;
}

/*
 * "YYYY-MM-DDTHH" as seconds since the epoch (before any offset). Log lines
 * come in time order, so the last answer is kept: most lines reuse it.
 */
static const char *
date_hour(const char *p, int64_t *base)
{
	static char last[13];
	static int64_t lastbase;
	static int have;
	int y, mo, d, h;

	if (have && memcmp(p, last, 13) == 0) {
		*base = lastbase;
		return NULL;
	}
	if (p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' '))
		return BAD_TIMESTAMP;
	y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2), h = digits(p + 11, 2);
	if (y < 0 || mo < 0 || d < 0 || h < 0 || p[13] != ':' || p[16] != ':' ||
	    digits(p + 14, 2) < 0 || digits(p + 17, 2) < 0)
		return BAD_TIMESTAMP;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return "date out of range";
	if (h > 23)
		return "time of day out of range";
	*base = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600;
	memcpy(last, p, 13);
	lastbase = *base;
	have = 1;
	return NULL;
}

/*
 * RFC 3339 date-time. A leap second (:60) is taken as the last nanosecond of
 * its minute's second 59: POSIX time has no place for it, and this keeps it
 * inside the same hour and day.
 */
static const char *
parse_rfc3339(const char *p, const char *end, struct instant *t)
{
	int mi, s, off;
	int64_t base;
	int32_t nsec = 0;
	const char *q = p + 19, *why;

	if (end - p < 20)
		return BAD_TIMESTAMP;
	if ((why = date_hour(p, &base)) != NULL)
		return why;
	if (p[13] != ':' || p[16] != ':' || (mi = digits(p + 14, 2)) < 0 ||
	    (s = digits(p + 17, 2)) < 0)
		return BAD_TIMESTAMP;
	if (mi > 59 || s > 60)
		return "time of day out of range";
	if (*q == '.' && (why = fraction(&q, end, &nsec)) != NULL)
		return why;
	if ((why = offset(q, end, &off)) != NULL)
		return why;
	if (s == 60) {
		s = 59;
		nsec = 999999999;
	}
	t->sec = base + (int64_t)mi * 60 + s - off;
	t->nsec = nsec;
	if (t->sec < INSTANT_MIN_SEC || t->sec > INSTANT_MAX_SEC)
		return "timestamp out of range";
	return NULL;
}

/* Returns NULL, or what is wrong with the text. */
const char *
ts_parse(const char *p, size_t n, struct instant *t)
{
	const char *end = p + n;

	if (n == 0)
		return "empty";
	if (n >= 20 && p[4] == '-')
		return parse_rfc3339(p, end, t);
	return parse_epoch(p, end, t);
}

struct instant
instant_now(void)
{
	struct timespec ts;
	struct instant t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t.sec = ts.tv_sec;
	t.nsec = (int32_t)ts.tv_nsec;
	return t;
}

/* As RFC 3339 in UTC, with a fraction only when there is one. */
char *
ts_format(char buf[TS_BUFSIZE], struct instant t)
{
	int64_t days = t.sec >= 0 ? t.sec / 86400 : -((-t.sec + 86399) / 86400);
	int64_t rem = t.sec - days * 86400, z, era, doe, yoe, y, doy, mp, d, m;
	size_t n;

	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, TS_BUFSIZE, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld",
	    (long long)y, (long long)m, (long long)d, (long long)(rem / 3600),
	    (long long)(rem / 60 % 60), (long long)(rem % 60));
	n = strlen(buf);
	if (t.nsec != 0)
		snprintf(buf + n, TS_BUFSIZE - n, ".%09ldZ", (long)t.nsec);
	else
		snprintf(buf + n, TS_BUFSIZE - n, "Z");
	return buf;
}
