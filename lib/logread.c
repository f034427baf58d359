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

/*
 * Where a CSV record stands, byte by byte, by libcsv's strict rules: at the
 * start of a field, in an unquoted field, in a quoted one, or just after a
 * quote in a quoted field (its end, or the first of a doubled quote).
 */
enum csvpos { AT_FIELD, IN_BARE, IN_QUOTES, AFTER_QUOTE };

/*
 * State of the current operand while CSV records are assembled across lines.
 * The record's end is found by the quote rules alone, so that a record too
 * long to keep is still followed to its real end and parsing picks up in
 * step at the next one; libcsv parses each whole record short enough.
 */
struct csvstate {
	struct csv_parser parser;
	char *raw;		/* physical lines of the record so far, each with '\n' */
	size_t rawlen, rawsize;
	char *fbuf;		/* the fields' bytes, end to end; off[] marks them */
	size_t flen, fsize;
	size_t off[NFIELDS + 1];
	size_t nf;
	int nrec;		/* records libcsv saw in the record's text */
	uint64_t startline;
	enum csvpos pos;
	int bad;		/* the current line broke the quote rules: the record ends with it */
	int toolong;		/* the record is rejected; its lines go on to the rejects file */
	int heldcr;		/* a '\r' ended the last piece of a long line: a CRLF's, or data */
	struct lineread *lr;
	logrec_fn *fn;
	void *arg;
};

static int csvmode;
static void (*release)(void);	/* logread_hold */
static uint64_t nlines, nbytes;
static uint64_t part, nparts;	/* --part part/nparts; nparts 0: all of each file */
static struct rejectopts ropts;
static const char **growing;	/* --growing: files that may still be appended to */
static size_t ngrowing;

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
	const char **more;

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
	case OPT_LOG_GROWING:
		if ((more = realloc(growing, (ngrowing + 1) * sizeof *growing)) == NULL)
			fatal(EXIT_DATA, "out of memory");
		growing = more;
		growing[ngrowing++] = arg;
		break;
	default:
		return 0;
	}
	return 1;
}

/*
 * After option parsing: opens the rejects file, which must not be one of the
 * inputs: the operands (NULL-terminated) and the --growing files.
 */
void
logread_start(char *const operands[])
{
	char **inputs;
	size_t n = 0, i;

	if (nparts > 0 && csvmode)
		fatal(EXIT_USAGE, "--part does not work with --csv: a quoted field may hold a newline");
	if (nparts > 0 && ngrowing > 0)
		fatal(EXIT_USAGE, "--part does not work with --growing: a part has no last line");
	if (ropts.strict && ropts.max > 0)
		fatal(EXIT_USAGE, "--strict and --max-rejects conflict: --strict stops at the first");
	while (operands != NULL && operands[n] != NULL)
		n++;
	if ((inputs = calloc(n + ngrowing + 1, sizeof *inputs)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	if (n > 0)
		memcpy(inputs, operands, n * sizeof *inputs);
	for (i = 0; i < ngrowing; i++)
		inputs[n + i] = (char *)growing[i];
	reject_init(&ropts, inputs);
	free(inputs);
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
	} else if (r->f[F_TIMESTAMP].len == strlen(field_names[F_TIMESTAMP]) &&
	    memcmp(r->f[F_TIMESTAMP].p, field_names[F_TIMESTAMP], r->f[F_TIMESTAMP].len) == 0)
		rj.why = "a header line, but not the log's: want its seven field names in order";
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
	/* The header, first or again where files with one were joined (cat, zcat). */
	if (fields_are_header(r.f, nf)) {
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

/* libcsv found a record's end: counted only, so that one that disagrees on where is caught. */
static void
csv_record(int c, void *data)
{
	struct csvstate *cs = data;

	(void)c;
	cs->nrec++;
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

/* Ready for the next record; a parser left mid-record by an error starts afresh. */
static void
csv_reset(struct csvstate *cs, int restart)
{
	cs->rawlen = cs->flen = cs->nf = 0;
	cs->nrec = 0;
	cs->pos = AT_FIELD;
	cs->bad = cs->toolong = cs->heldcr = 0;
	if (restart) {
		csv_free(&cs->parser);
		csv_start(cs);
	}
}

static void
csv_reject(struct csvstate *cs, const char *why)
{
	struct rejection rj = { cs->lr->name, cs->startline, -1, why, NULL, 0 };

	reject(&rj, cs->raw, cs->rawlen > 0 ? cs->rawlen - 1 : 0, 1);
}

/*
 * Follow the quote rules over p[0..n), which holds no newline, a quote at a
 * time: the bytes between quotes matter only for the one before a quote.
 * After a break of the rules the rest of the line is not looked at.
 */
static void
csv_track(struct csvstate *cs, const char *p, size_t n)
{
	const char *end = p + n, *q;

	while (p < end && !cs->bad) {
		switch (cs->pos) {
		case IN_QUOTES:
			if ((q = memchr(p, '"', (size_t)(end - p))) == NULL)
				return;
			cs->pos = AFTER_QUOTE;
			p = q + 1;
			break;
		case AFTER_QUOTE:	/* a doubled quote, or the field's end */
			if (*p == '"')
				cs->pos = IN_QUOTES;
			else if (*p == ',')
				cs->pos = AT_FIELD;
			else
				cs->bad = 1;
			p++;
			break;
		default:		/* a quote may only open a field */
			if ((q = memchr(p, '"', (size_t)(end - p))) == NULL) {
				cs->pos = end[-1] == ',' ? AT_FIELD : IN_BARE;
				return;
			}
			if (q > p)
				cs->pos = q[-1] == ',' ? AT_FIELD : IN_BARE;
			if (cs->pos == AT_FIELD)
				cs->pos = IN_QUOTES;
			else
				cs->bad = 1;
			p = q + 1;
			break;
		}
	}
}

/*
 * One piece of a line: the bytes the parser sees, without a '\r' that ends
 * the line (a CRLF), then the line's end (at the end of input too), which
 * ends the record unless inside quotes, or after a break of the rules. A
 * '\r' at the end of a piece of a long line is held until the next piece
 * tells which it is. Returns 1 if the record ends with the piece.
 */
static int
csv_track_piece(struct csvstate *cs, const struct line *l)
{
	size_t len = l->len;

	if (cs->heldcr && (l->more || len > 0))
		csv_track(cs, "\r", 1);
	cs->heldcr = 0;
	if (len > 0 && l->p[len - 1] == '\r') {
		len--;
		cs->heldcr = l->more;
	}
	csv_track(cs, l->p, len);
	return !l->more && (cs->bad || cs->pos != IN_QUOTES);
}

/*
 * A whole record of fewer than LINE_MAX_BYTES: its text, with each line's
 * CRLF as LF, through libcsv; checked and handed on, or rejected.
 */
static void
csv_parse_record(struct csvstate *cs)
{
	struct logrec r;
	struct line raw = { cs->raw, cs->rawlen - 1, 1, 0, 0 };
	const char *p, *end = cs->raw + cs->rawlen, *nl;
	size_t i, n;
	int failed = 0;

	/* raw ends in '\n': every line in it is whole. */
	for (p = cs->raw; p < end && !failed; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		failed = csv_parse(&cs->parser, p, n, csv_field, csv_record, cs) != n ||
		    csv_parse(&cs->parser, "\n", 1, csv_field, csv_record, cs) != 1;
	}
	/* libcsv out of memory is no fault of the line: stop, rather than reject good data. */
	if (failed && csv_error(&cs->parser) == CSV_ENOMEM)
		fatal(EXIT_DATA, "%s: out of memory", cs->lr->name);
	if (failed || cs->nrec != 1) {
		csv_reject(cs, "bad CSV quoting");
		csv_reset(cs, 1);
		return;
	}
	for (i = 0; i < cs->nf && i < NFIELDS; i++) {
		r.f[i].p = cs->fbuf + cs->off[i];
		r.f[i].len = cs->off[i + 1] - cs->off[i];
	}
	if (cs->nf == 0) {
		r.f[0].p = "";
		r.f[0].len = 0;
		cs->nf = 1;
	}
	if (fields_are_header(r.f, cs->nf))
		nlines--;
	else
		dispatch(&r, cs->nf, cs->lr, cs->startline, &raw, cs->fn, cs->arg);
	csv_reset(cs, 0);
}

/*
 * Feed one piece of a physical line (a whole line, unless it is 65536 bytes
 * or more). A quoted field may hold a newline, so a record can span lines;
 * its raw text is kept until it ends so that a reject is verbatim. A record
 * of LINE_MAX_BYTES or more, counting its line ends, is rejected as soon as
 * it is known to be, and the rest of it goes to the rejects file as it
 * comes: memory stays bounded, and the next record is found all the same.
 */
static void
csv_piece(struct csvstate *cs, const struct line *l)
{
	struct rejection rj = { cs->lr->name, 0, -1,
		"CSV record too long (65536 bytes or more)", NULL, 0 };
	int end, lineend = !l->more;

	if (cs->rawlen == 0 && !cs->toolong && !l->cont)
		cs->startline = cs->lr->lineno;
	end = csv_track_piece(cs, l);
	if (cs->toolong)
		reject_more(l->p, l->len, lineend);
	else if (cs->rawlen + l->len + (size_t)lineend >= LINE_MAX_BYTES) {
		rj.lineno = cs->startline;
		reject(&rj, cs->raw, cs->rawlen, 0);
		reject_more(l->p, l->len, lineend);
		cs->toolong = 1;
	} else {
		grow(&cs->raw, &cs->rawsize, cs->rawlen + l->len + 1);
		/* grow() has made raw non-NULL: it asked for at least one byte. */
		memcpy(cs->raw + cs->rawlen, l->p, l->len); /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
		cs->rawlen += l->len;
		if (lineend)
			cs->raw[cs->rawlen++] = '\n';
	}
	if (!end)
		return;
	nlines++;
	if (cs->toolong)
		csv_reset(cs, 0);
	else if (cs->bad) {
		csv_reject(cs, "bad CSV quoting");
		csv_reset(cs, 1);
	} else
		csv_parse_record(cs);
}

/* The end of the operand: a record still open is in an unclosed quote. */
static void
csv_end(struct csvstate *cs)
{
	if (cs->rawlen > 0 || cs->toolong) {
		nlines++;
		if (!cs->toolong)
			csv_reject(cs, "CSV quoted field not closed at end of input");
	}
	csv_free(&cs->parser);
}

/* Keep the raw lines handed to the record function until release is called. */
void
logread_hold(void (*fn)(void))
{
	release = fn;
}

/*
 * One input; returns 0, or -1 if it could not be opened or read (reported).
 * One that may grow has its unterminated last line, and a CSV record it
 * leaves open, left for a later read: neither read nor counted.
 */
static int
read_log(const char *path, int maygrow, logrec_fn *fn, void *arg)
{
	struct lineread lr;
	struct line l;
	struct csvstate cs;
	struct rejection rj = { NULL, 0, -1, "line too long (65536 bytes or more)", NULL, 0 };
	int rc;

	if (lr_open(&lr, path) < 0)
		return -1;
	lr.growing = maygrow;
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
		if (csvmode) {
			csv_piece(&cs, &l);
			reject_progress(nbytes + lr.bytes, nlines);
			continue;
		}
		if (l.cont) {
			reject_more(l.p, l.len, !l.more);
			continue;
		}
		nlines++;
		if (l.more) {
			rj.name = lr.name, rj.lineno = lr_lineno(&lr);
			reject(&rj, l.p, l.len, 0);
		} else
			tsv_line(&lr, &l, fn, arg);
		reject_progress(nbytes + lr.bytes, nlines);
	}
	if (csvmode && maygrow && rc == 0 && (cs.rawlen > 0 || cs.toolong)) {
		lr.unfinished += cs.rawlen;
		csv_free(&cs.parser);
	} else if (csvmode)
		csv_end(&cs);
	if (ropts.progress && lr.unfinished > 0)
		warnmsg("%s: an unfinished last line (%zu bytes) left for a later read (--growing)",
		    lr.name, lr.unfinished);
	free(cs.raw);
	free(cs.fbuf);
	nbytes += lr.bytes;
	lr_close(&lr);
	return rc < 0 ? -1 : 0;
}

int
logread(const char *path, logrec_fn *fn, void *arg)
{
	return read_log(path, 0, fn, arg);
}

/*
 * Every input in turn: the operands (none: the standard input, unless there
 * are --growing files), then the --growing files. Returns 0, or -1 if any
 * could not be opened or read.
 */
int
logread_all(char *const operands[], logrec_fn *fn, void *arg)
{
	int status = 0;
	size_t i;

	if (operands[0] == NULL && ngrowing == 0)
		return logread(NULL, fn, arg);
	for (; *operands != NULL; operands++)
		if (logread(*operands, fn, arg) < 0)
			status = -1;
	for (i = 0; i < ngrowing; i++)
		if (read_log(growing[i], 1, fn, arg) < 0)
			status = -1;
	return status;
}

/* After the last operand: the summary; returns 1 if any line was rejected. */
int
logread_finish(void)
{
	return reject_finish(nbytes, nlines, csvmode ? "records" : "lines");
}
