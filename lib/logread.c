/* logread: sales log records from files or stdin, as TSV or CSV, with bad lines handed to reject. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logread.h"
#include "logscan.h"
#include "msg.h"
#include "number.h"
#include "reject.h"

/* State of the current operand while CSV records are assembled across lines. */
struct csvstate {
	struct csv_parser parser;
	char *raw;		/* physical lines of the record so far */
	size_t rawlen, rawsize;
	char *fbuf;		/* the fields' bytes, end to end; off[] marks them */
	size_t flen, fsize;
	size_t off[NFIELDS + 1];
	size_t nf;
	uint64_t startline;
	int inquotes;		/* skipping the rest of a record too long to keep */
	struct lineread *lr;
	logrec_fn *fn;
	void *arg;
};

static int csvmode;
static void (*release)(void);	/* logread_hold */
static uint64_t nlines, nbytes;
static uint64_t part, nparts;	/* --part part/nparts; nparts 0: all of each file */
static struct rejectopts ropts;

/* --part K/N: 1 <= K <= N <= 1024. */
static void
parse_part(const char *arg)
{
	const char *slash = strchr(arg, '/');
	char k[24];

	if (slash == NULL || (size_t)(slash - arg) >= sizeof k)
		fatal(EXIT_USAGE, "--part: want K/N, as 1/4: '%s'", arg);
	memcpy(k, arg, (size_t)(slash - arg));
	k[slash - arg] = '\0';
	nparts = (uint64_t)arg_count("--part", slash + 1, 1, 1024);
	part = (uint64_t)arg_count("--part", k, 1, (int64_t)nparts);
}

/* Returns 1 if opt was a log reader option (and records it), else 0. */
int
logread_option(int opt, const char *arg)
{
	switch (opt) {
	case OPT_LOG_COUNTERS:
		ropts.counters = 1;
		break;
	case OPT_LOG_CSV:
		csvmode = 1;
		break;
	case OPT_LOG_PROGRESS:
		ropts.progress = 1;
		break;
	case OPT_LOG_REJECTS:
		ropts.path = arg;
		break;
	case OPT_LOG_STRICT:
		ropts.strict = 1;
		break;
	case OPT_LOG_MAX_REJECTS:
		ropts.max = (uint64_t)arg_count("--max-rejects", arg, 0, INT64_MAX);
		break;
	case OPT_LOG_PART:
		parse_part(arg);
		break;
	default:
		return 0;
	}
	return 1;
}

/* After option parsing: opens the rejects file, which must not be one of the operands (NULL-terminated). */
void
logread_start(char *const operands[])
{
	if (nparts > 0 && csvmode)
		fatal(EXIT_USAGE, "--part does not work with --csv: a quoted field may hold a newline");
	if (ropts.strict && ropts.max > 0)
		fatal(EXIT_USAGE, "--strict and --max-rejects conflict: --strict stops at the first");
	reject_init(&ropts, operands);
}

static void
grow(char **p, size_t *size, size_t need)
{
	if (need <= *size)
		return;
	while (*size < need)
		*size = *size ? *size * 2 : 4096;
	if ((*p = realloc(*p, *size)) == NULL)
		fatal(EXIT_DATA, "out of memory");
}

/*
 * Check the fields and hand on the record, or reject the raw text. The line
 * number is lineno, or with 0 lr's, found only for a message (see lr_lineno).
 */
static void
dispatch(struct logrec *r, size_t nf, struct lineread *lr, uint64_t lineno,
    const struct line *raw, logrec_fn *fn, void *arg)
{
	struct rejection rj = { lr->name, lineno, -1, NULL, NULL, 0 };
	static char why[64];

	if (nf != NFIELDS) {
		snprintf(why, sizeof why, "%s fields: %zu (want 7)",
		    nf < NFIELDS ? "too few" : "too many", nf);
		rj.why = why;
		if (nf == 1 && r->f[0].len == 0)
			rj.why = "empty line";
	} else if (fields_are_header(r->f, nf))
		rj.why = "header line in the middle of the input";
	else if ((rj.why = logrec_check(r, &rj.field)) != NULL) {
		rj.value = r->f[rj.field].p;
		rj.vlen = r->f[rj.field].len;
	}
	if (rj.why == NULL)
		fn(r, csvmode ? NULL : raw, arg);
	else {
		if (rj.lineno == 0)
			rj.lineno = lr_lineno(lr);
		reject(&rj, raw->p, raw->len, 1);
	}
}

static void
tsv_line(struct lineread *lr, struct line *l, logrec_fn *fn, void *arg)
{
	struct logrec r;
	size_t nf;

	if (logrec_scan(&r, l->p, l->len, (size_t)(lr->buf + lr->size + LR_PAD - l->p))) {
		fn(&r, l, arg);
		return;
	}
	nf = logrec_split(&r, l->p, l->len);
	if (lr->lineoff == 0 && fields_are_header(r.f, nf)) {
		nlines--;
		return;
	}
	dispatch(&r, nf, lr, 0, l, fn, arg);
}

/*
 * The lines in the buffer that the fast path takes, one after another, without
 * finding each newline first; returns at the first line it does not take.
 */
static void
tsv_fast(struct lineread *lr, logrec_fn *fn, void *arg)
{
	struct logrec r;
	struct line l = { NULL, 0, 1, 0, 0 };
	size_t n;
	long len;

	while ((n = lr_unread(lr, &l.p)) > 0 && (len = logrec_scan_line(&r, l.p, n)) >= 0) {
		l.len = (size_t)len;
		lr_take(lr, l.len);
		nlines++;
		fn(&r, &l, arg);
		reject_progress(nbytes + lr->bytes, nlines);
	}
}

static void
csv_field(void *s, size_t len, void *data)
{
	struct csvstate *cs = data;

	if (cs->nf < NFIELDS) {
		grow(&cs->fbuf, &cs->fsize, cs->flen + len + 1);
		cs->off[cs->nf] = cs->flen;
		if (len > 0)
			memcpy(cs->fbuf + cs->flen, s, len);
		cs->flen += len;
		cs->off[cs->nf + 1] = cs->flen;
	}
	cs->nf++;
}

static void
csv_reset(struct csvstate *cs)
{
	cs->rawlen = cs->flen = cs->nf = 0;
}

static void
csv_record(int c, void *data)
{
	struct csvstate *cs = data;
	struct logrec r;
	struct line raw = { cs->raw, cs->rawlen - 1, 1, 0, 0 };
	size_t i;

	(void)c;
	for (i = 0; i < cs->nf && i < NFIELDS; i++) {
		r.f[i].p = cs->fbuf + cs->off[i];
		r.f[i].len = cs->off[i + 1] - cs->off[i];
	}
	if (cs->nf == 0) {
		r.f[0].p = "";
		r.f[0].len = 0;
		cs->nf = 1;
	}
	if (cs->startline == 1 && fields_are_header(r.f, cs->nf))
		nlines--;
	else
		dispatch(&r, cs->nf, cs->lr, cs->startline, &raw, cs->fn, cs->arg);
	csv_reset(cs);
}

static int
only_newline(unsigned char c)
{
	return c == '\n';
}

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void
csv_start(struct csvstate *cs)
{
	if (csv_init(&cs->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
		fatal(EXIT_DATA, "out of memory");
	csv_set_term_func(&cs->parser, only_newline);
	csv_set_space_func(&cs->parser, no_space);
}

static void
csv_fail(struct csvstate *cs, const char *why)
{
	struct rejection rj = { cs->lr->name, cs->startline, -1, why, NULL, 0 };

	reject(&rj, cs->raw, cs->rawlen > 0 ? cs->rawlen - 1 : 0, cs->rawlen > 0);
	csv_free(&cs->parser);
	csv_start(cs);
	csv_reset(cs);
}

/* Whether the text leaves a quoted field open ("" inside one toggles twice). */
static int
odd_quotes(const char *p, size_t n)
{
	int odd = 0;
	size_t i;

	for (i = 0; i < n; i++)
		odd ^= p[i] == '"';
	return odd;
}

/*
 * A record past the length limit is rejected at once; its remaining lines go
 * to the rejects file as they come, until its quotes close, so that parsing
 * picks up again at the next record and memory stays bounded.
 */
static void
csv_too_long(struct csvstate *cs)
{
	struct rejection rj = { cs->lr->name, cs->startline, -1,
		"CSV record too long (65536 bytes or more)", NULL, 0 };

	cs->inquotes = odd_quotes(cs->raw, cs->rawlen);
	reject(&rj, cs->raw, cs->rawlen, 0);
	if (!cs->inquotes)
		reject_more("", 0, 1);
	csv_free(&cs->parser);
	csv_start(cs);
	csv_reset(cs);
}

/*
 * Feed one physical line. A quoted field may hold a newline, so a record can
 * span lines; its raw text is kept until it ends so that a reject is verbatim.
 * A trailing '\r' is a CRLF line end, not data.
 */
static void
csv_line(struct csvstate *cs, const struct line *l)
{
	size_t len = l->len;

	if (cs->inquotes) {
		reject_more(l->p, l->len, 1);
		cs->inquotes ^= odd_quotes(l->p, l->len);
		return;
	}
	if (cs->rawlen == 0)
		cs->startline = cs->lr->lineno;
	grow(&cs->raw, &cs->rawsize, cs->rawlen + l->len + 1);
	/* grow() has made raw non-NULL: it asked for at least one byte. */
	memcpy(cs->raw + cs->rawlen, l->p, l->len); /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
	cs->rawlen += l->len;
	cs->raw[cs->rawlen++] = '\n';
	if (len > 0 && l->p[len - 1] == '\r')
		len--;
	if (csv_parse(&cs->parser, l->p, len, csv_field, csv_record, cs) != len ||
	    csv_parse(&cs->parser, "\n", 1, csv_field, csv_record, cs) != 1)
		csv_fail(cs, "bad CSV quoting");
	else if (cs->rawlen >= LINE_MAX_BYTES)
		csv_too_long(cs);
}

static void
csv_end(struct csvstate *cs)
{
	if (csv_fini(&cs->parser, csv_field, csv_record, cs) != 0 || cs->rawlen > 0)
		csv_fail(cs, "CSV quoted field not closed at end of input");
	csv_free(&cs->parser);
	free(cs->raw);
	free(cs->fbuf);
}

/* Keep the raw lines handed to the record function until release is called. */
void
logread_hold(void (*fn)(void))
{
	release = fn;
}

/* One operand; returns 0, or -1 if it could not be opened or read (reported). */
int
logread(const char *path, logrec_fn *fn, void *arg)
{
	struct lineread lr;
	struct line l;
	struct csvstate cs;
	struct rejection rj = { NULL, 0, -1, "line too long (65536 bytes or more)", NULL, 0 };
	int rc;

	if (lr_open(&lr, path) < 0)
		return -1;
	if (nparts > 0 && lr_part(&lr, part, nparts) < 0) {
		lr_close(&lr);
		return -1;
	}
	memset(&cs, 0, sizeof cs);
	cs.lr = &lr, cs.fn = fn, cs.arg = arg;
	if (csvmode)
		csv_start(&cs);
	for (;;) {
		if (!csvmode)
			tsv_fast(&lr, fn, arg);
		if (release != NULL)
			release();
		if ((rc = lr_next(&lr, &l)) <= 0)
			break;
		if (l.cont) {
			reject_more(l.p, l.len, !l.more);
			continue;
		}
		nlines++;
		if (l.more) {
			rj.name = lr.name, rj.lineno = lr_lineno(&lr);
			if (csvmode && cs.rawlen > 0)
				csv_fail(&cs, "CSV record cut by a line too long");
			reject(&rj, l.p, l.len, 0);
		} else if (csvmode)
			csv_line(&cs, &l);
		else
			tsv_line(&lr, &l, fn, arg);
		reject_progress(nbytes + lr.bytes, nlines);
	}
	if (csvmode)
		csv_end(&cs);
	nbytes += lr.bytes;
	lr_close(&lr);
	return rc < 0 ? -1 : 0;
}

/* After the last operand: the summary; returns 1 if any line was rejected. */
int
logread_finish(void)
{
	return reject_finish(nbytes, nlines);
}
