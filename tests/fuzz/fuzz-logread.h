/* fuzz-logread: the body of the log reader targets: the input as a file through logread(), as a tool reads it. */
#ifndef SR_FUZZ_LOGREAD_H
#define SR_FUZZ_LOGREAD_H

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "logread.h"
#include "msg.h"
#include "timestamp.h"
#include "unpack.h"

/*
 * The input lives in a memfd that logread() opens by its /proc name, so it
 * goes through open, read and the line buffer like any operand. Rejects are
 * reported on stderr, but only the first REJECT_SHOW of the whole run: the
 * rest are counted. Strict mode would exit, so it stays off.
 */
static int csv;
static int memfd = -1;
static char memfd_path[64];
static size_t records;

/* Every record handed on is valid: no control characters, the timestamp in range, raw as the mode says. */
static void
check_logrec(const struct logrec *r, const struct line *raw, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NFIELDS; i++)
		CHECK(r->f[i].len > 0 && no_controls(r->f[i].p, r->f[i].len));
	CHECK(r->ts.sec >= INSTANT_MIN_SEC && r->ts.sec <= INSTANT_MAX_SEC);
	CHECK(r->ts.nsec >= 0 && r->ts.nsec < 1000000000);
	if (csv) {
		CHECK(raw == NULL);
	} else {
		CHECK(raw != NULL && raw->more == 0 && raw->cont == 0);
		for (i = 0; i < NFIELDS; i++)
			CHECK(within(raw->p, raw->len, r->f[i].p, r->f[i].len));
	}
	records++;
}

static void
fuzz_logread_init(const char *name, int csvmode)
{
	static char progbuf[32];
	char *argv[] = { progbuf, NULL };

	snprintf(progbuf, sizeof progbuf, "%s", name);
	prog_init(argv);
	csv = csvmode;
	if (csv)
		logread_option(OPT_LOG_CSV, NULL);
	logread_start(NULL);
	if ((memfd = memfd_create("sr-fuzz-input", 0)) < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d", memfd);
}

static int
fuzz_logread_one(const uint8_t *data, size_t size)
{
	size_t lines = 1, i;
	ssize_t n;
	int packed = unpack_kind((const char *)data, size) != UNPACK_NONE;

	if (ftruncate(memfd, 0) != 0 || (n = pwrite(memfd, data, size, 0)) < 0 ||
	    (size_t)n != size) {
		perror("memfd write");
		exit(1);
	}
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	records = 0;
	/* Compressed input that is corrupt or truncated is an error (reported), nothing else is. */
	CHECK(logread(memfd_path, check_logrec, NULL) == 0 || packed);
	/* Compressed, the lines are those of the decompressed text, not counted here. */
	CHECK(packed || records <= lines);
	return 0;
}

#endif
