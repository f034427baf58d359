/* logread: sales log records from files or stdin, as TSV or CSV, with bad lines handed to reject. */
#ifndef SR_LOGREAD_H
#define SR_LOGREAD_H

#include "lineread.h"
#include "logrec.h"

/*
 * Called with each valid record. raw is the line as read (without its
 * newline, a '\r' kept) for TSV input, NULL for CSV input. raw->p stays
 * valid until the function given to logread_hold, if any, is called: before
 * more of the input is read or it is closed. Lines of one read buffer come
 * one after another in it.
 */
typedef void logrec_fn(const struct logrec *r, const struct line *raw, void *arg);

/* Long-option numbers of the options every log reader takes. */
enum {
	OPT_LOG_COUNTERS = 0x1100, OPT_LOG_CSV, OPT_LOG_GROWING, OPT_LOG_MAX_REJECTS, OPT_LOG_PART, OPT_LOG_PROGRESS,
	OPT_LOG_REJECTS, OPT_LOG_STRICT
};

#define LOGREAD_OPTIONS \
	{ "counters", no_argument, NULL, OPT_LOG_COUNTERS }, \
	{ "csv", no_argument, NULL, OPT_LOG_CSV }, \
	{ "growing", required_argument, NULL, OPT_LOG_GROWING }, \
	{ "max-rejects", required_argument, NULL, OPT_LOG_MAX_REJECTS }, \
	{ "part", required_argument, NULL, OPT_LOG_PART }, \
	{ "progress", no_argument, NULL, OPT_LOG_PROGRESS }, \
	{ "rejects", required_argument, NULL, OPT_LOG_REJECTS }, \
	{ "strict", no_argument, NULL, OPT_LOG_STRICT }

/* The --help lines of LOGREAD_OPTIONS, in their order. */
#define LOGREAD_HELP \
	"  --counters          write the lines read and rejected as Hadoop counters\n" \
	"  --csv               the input is CSV (RFC 4180), not TSV\n" \
	"  --growing file      read file last, leaving an unterminated last line unread\n" \
	"  --max-rejects n     exit 0 although up to n lines were rejected\n" \
	"  --part k/n          read only part k of n of each file, split at line ends\n" \
	"  --progress          report the bytes and lines read about once a second\n" \
	"  --rejects file      copy every rejected line to file\n" \
	"  --strict            stop at the first rejected line\n"

int logread_option(int opt, const char *arg);
void logread_start(char *const operands[]);
void logread_hold(void (*release)(void));
int logread(const char *path, logrec_fn *fn, void *arg);
int logread_all(char *const operands[], logrec_fn *fn, void *arg);
int logread_finish(void);

#endif
