/* health: whether sr-serve's ranking is fit to serve: its age and the reloads that failed in a row, for /healthz and /metrics. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "msg.h"
#include "number.h"

int64_t health_max_age = HEALTH_MAX_AGE_DEFAULT, health_max_failed = HEALTH_MAX_FAILED_DEFAULT;

static atomic_ulong failed_in_a_row;
static atomic_llong last_reload_ns, last_failure_ns;	/* since the epoch; 0: never */

int64_t
health_parse_duration(const char *opt, const char *s, int64_t max)
{
	static const char units[] = "smhd";
	static const int64_t unit_s[] = { 1, 60, 3600, 86400 };
	size_t n = strlen(s);
	int64_t v, mult = 1;
	const char *u;

	if (n > 0 && (u = strchr(units, s[n - 1])) != NULL) {
		mult = unit_s[u - units];
		n--;
	}
	if (n == 0 || s[0] == '+' || s[0] == '-' || parse_i64(s, n, &v) != NULL)
		fatal(EXIT_USAGE, "%s: not a duration: '%s' (want seconds, or a number and s, m, h or d)",
		    opt, s);
	if (v > max / mult)
		fatal(EXIT_USAGE, "%s: duration is too long: %s (at most %llds)", opt, s, (long long)max);
	return v * mult;
}

static long long
now_ns(void)
{
	struct instant t = instant_now();

	return (long long)t.sec * 1000000000LL + t.nsec;
}

static struct instant
instant_of(long long ns)
{
	struct instant t = { ns / 1000000000LL, (int32_t)(ns % 1000000000LL) };

	return t;
}

void
health_reloaded(void)
{
	atomic_store(&last_reload_ns, now_ns());
	atomic_store(&failed_in_a_row, 0);
}

void
health_polled(void)
{
	atomic_store(&failed_in_a_row, 0);
}

void
health_failed(void)
{
	atomic_store(&last_failure_ns, now_ns());
	atomic_fetch_add(&failed_in_a_row, 1);
}

unsigned long
health_failed_in_a_row(void)
{
	return atomic_load(&failed_in_a_row);
}

struct instant
health_last_reload(void)
{
	return instant_of(atomic_load(&last_reload_ns));
}

struct instant
health_last_failure(void)
{
	return instant_of(atomic_load(&last_failure_ns));
}

int64_t
health_age(struct instant loaded, struct instant now)
{
	return now.sec - loaded.sec - (now.nsec < loaded.nsec ? 1 : 0);
}

const char *
health_verdict(const struct instant *loaded, struct instant now, char *why, size_t size)
{
	unsigned long failed = health_failed_in_a_row();
	int64_t age;
	size_t len;

	why[0] = '\0';
	if (health_max_age > 0 && loaded == NULL)
		snprintf(why, size, "the ranking's load time is not known (--max-age %llds)",
		    (long long)health_max_age);
	else if (health_max_age > 0 && (age = health_age(*loaded, now)) > health_max_age)
		snprintf(why, size, "the ranking is %llds old, more than --max-age %llds",
		    (long long)age, (long long)health_max_age);
	len = strlen(why);
	if (health_max_failed > 0 && failed >= (unsigned long)health_max_failed)
		snprintf(why + len, size - len, "%sthe last %lu reloads failed (--max-failed-reloads %lld)",
		    len > 0 ? "; " : "", failed, (long long)health_max_failed);
	return why[0] != '\0' ? why : NULL;
}
