/* reject: what happens to a bad log line: a message, a count, a copy in the rejects file, or a stop. */
#ifndef SR_REJECT_H
#define SR_REJECT_H

#include <stddef.h>
#include <stdint.h>

#define REJECT_SHOW 10		/* messages in full; later rejects are only counted */

struct rejectopts {
	int strict;		/* stop with status 1 at the first bad line */
	int counters;		/* Hadoop Streaming counters on stderr at the end */
	int progress;		/* a report line on stderr about every second */
	const char *path;	/* rejects file, or NULL */
	uint64_t max;		/* rejected lines that still leave the status 0 */
};

/* Where a rejected line came from and what is wrong with it; field is -1 for the whole line. */
struct rejection {
	const char *name;
	uint64_t lineno;
	int field;
	const char *why;
	const char *value;
	size_t vlen;
};

void reject_init(const struct rejectopts *o, char *const operands[]);
void reject(const struct rejection *r, const char *raw, size_t len, int newline);
void reject_more(const char *raw, size_t len, int newline);
void reject_progress(uint64_t bytes, uint64_t lines);
int reject_finish(uint64_t bytes, uint64_t lines, const char *unit);

#endif
