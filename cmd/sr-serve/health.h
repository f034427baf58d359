/* health: whether sr-serve's ranking is fit to serve: its age and the reloads that failed in a row, for /healthz and /metrics. */
#ifndef SR_HEALTH_H
#define SR_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "timestamp.h"

#define HEALTH_MAX_AGE_DEFAULT ((int64_t)2 * 3600)	/* two of sr-hourly's refreshes */
#define HEALTH_MAX_AGE_MAX ((int64_t)366 * 86400)
#define HEALTH_MAX_FAILED_DEFAULT 3
#define HEALTH_MAX_FAILED_MAX 1000000

/* Set by the options; 0 turns a check off. */
extern int64_t health_max_age, health_max_failed;

/* A duration: seconds, or a number and s, m, h or d; exits 2 with the reason if it is not one. */
int64_t health_parse_duration(const char *opt, const char *s, int64_t max);

/*
 * The loader's news, from its thread: a new ranking read; a poll that found
 * nothing new to read; a reload (or poll) that failed. Either of the first
 * two ends a run of failures.
 */
void health_reloaded(void);
void health_polled(void);
void health_failed(void);

/* What the loader said, for the event loop: failures in a row; times (0: never) of the last of each. */
unsigned long health_failed_in_a_row(void);
struct instant health_last_reload(void);
struct instant health_last_failure(void);

/* The whole seconds from loaded to now (negative if loaded is ahead). */
int64_t health_age(struct instant loaded, struct instant now);

/*
 * Why a ranking loaded at *loaded (NULL: not known) is unfit to serve now,
 * into why (size bytes, more than one reason joined by "; "); NULL if it is fit.
 */
const char *health_verdict(const struct instant *loaded, struct instant now, char *why, size_t size);

#endif
