/* window: the time window [since, until) of the ranking, from --now/--days or --since/--until. */
#ifndef SR_WINDOW_H
#define SR_WINDOW_H

#include "timestamp.h"

struct window {
	const char *now, *days, *since, *until;	/* option arguments as given */
	int set;				/* any window option given */
	struct instant from, to;		/* the window: from <= t < to */
};

/* Long-option numbers of the window options, for each tool's option table. */
enum {
	OPT_WINDOW_NOW = 0x1000, OPT_WINDOW_DAYS, OPT_WINDOW_SINCE, OPT_WINDOW_UNTIL
};

#define WINDOW_OPTIONS \
	{ "days", required_argument, NULL, OPT_WINDOW_DAYS }, \
	{ "now", required_argument, NULL, OPT_WINDOW_NOW }, \
	{ "since", required_argument, NULL, OPT_WINDOW_SINCE }, \
	{ "until", required_argument, NULL, OPT_WINDOW_UNTIL }

/* The --help lines of WINDOW_OPTIONS. */
#define WINDOW_HELP \
	"  --days n            the window is the n days before --now (default 7)\n" \
	"  --now time          the window ends at time (RFC 3339 or epoch seconds)\n" \
	"  --since time        the window starts at time, inclusive\n" \
	"  --until time        the window ends at time, exclusive\n"

int window_option(struct window *w, int opt, const char *arg);
void window_finish(struct window *w);

static inline int
window_contains(const struct window *w, struct instant t)
{
	return instant_cmp(w->from, t) <= 0 && instant_cmp(t, w->to) < 0;
}

#endif
