/* window: the time window [since, until) of the ranking, from --now/--days or --since/--until. */
#include <stddef.h>
#include <string.h>

#include "msg.h"
#include "number.h"
#include "window.h"

#define DAYS_MAX 36500

/* Returns 1 if opt was a window option (and records it), else 0. */
int
window_option(struct window *w, int opt, const char *arg)
{
	switch (opt) {
	case OPT_WINDOW_NOW:
		w->now = arg;
		break;
	case OPT_WINDOW_DAYS:
		w->days = arg;
		break;
	case OPT_WINDOW_SINCE:
		w->since = arg;
		break;
	case OPT_WINDOW_UNTIL:
		w->until = arg;
		break;
	default:
		return 0;
	}
	w->set = 1;
	return 1;
}

static struct instant
option_time(const char *opt, const char *arg)
{
	struct instant t;
	const char *why = ts_parse(arg, strlen(arg), &t);

	if (why != NULL)
		fatal(EXIT_USAGE, "%s: %s: '%s'", opt, why, arg);
	return t;
}

/*
 * Check the combination and compute [from, to): --since/--until together, or
 * --now (default: the clock) and --days (default 7). Conflicts are usage errors.
 */
void
window_finish(struct window *w)
{
	int64_t days;

	if ((w->since != NULL) != (w->until != NULL))
		fatal(EXIT_USAGE, "--since and --until go together");
	if (w->since != NULL && (w->now != NULL || w->days != NULL))
		fatal(EXIT_USAGE, "--since/--until and --now/--days exclude each other");
	if (w->since != NULL) {
		w->from = option_time("--since", w->since);
		w->to = option_time("--until", w->until);
		if (instant_cmp(w->from, w->to) > 0)
			fatal(EXIT_USAGE, "--since is after --until: %s > %s", w->since, w->until);
		return;
	}
	days = w->days != NULL ? arg_count("--days", w->days, 1, DAYS_MAX) : 7;
	w->to = w->now != NULL ? option_time("--now", w->now) : instant_now();
	w->from = w->to;
	w->from.sec -= days * 86400;
}
