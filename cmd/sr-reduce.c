/* sr-reduce: add up the sums of each (category_id, product_id) key of sorted intermediate lines. */
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "ident.h"
#include "keypack.h"
#include "msg.h"
#include "out.h"
#include "sumread.h"

enum { OPT_TEE = CHAR_MAX + 1 };

static const struct option longopts[] = {
	{ "merge", no_argument, NULL, 'm' },
	{ "subtract", required_argument, NULL, 's' },
	{ "tee", required_argument, NULL, OPT_TEE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] = "usage: sr-reduce [-m] [-s file] [--tee file] [file ...]\n";

static const char abouttext[] =
    "\nSum category_id<TAB>product_id<TAB>sum lines per key. The input must be sorted\n"
    "(sr-sort); the output has the same form, one line per key. See sr-reduce(1).\n"
    "\n"
    "  -m, --merge          merge the sorted files instead of reading one after another\n"
    "  -s, --subtract=FILE  merge in the sorted FILE with its sums taken away (repeatable)\n"
    "      --tee=FILE       write the output to FILE too\n"
    "      --help           print this help and exit\n"
    "      --version        print the version and exit\n";

/* An input of a merge: its next line, r, and whether its sums are taken away. */
struct input {
	struct sumread sr;
	struct sumrec r;
	uint64_t pk;		/* the key packed (key_pack), or 0 */
	char *operand[2];
	int neg;
	int64_t wrapped;	/* 1: r.sum is 2^64 too small (-INT64_MIN taken away wraps) */
};

static struct input *given;
static size_t ngiven;
/*
 * In a pass of a merge in passes (merge_passes): a total beyond 64 bits is
 * written as several lines of the key, for the next pass to add up.
 */
static int passing;
/*
 * With many inputs, a line is compared a dozen times on its way through the
 * heap: keys of two plain integers are packed into numbers that order as
 * the text does (as sr-map's table holds them), once, and compared as such.
 */
static int packing;

/* A key's total does not fit: stop, naming the key's last line, and the key. */
static __attribute__((__noreturn__, __cold__)) void
overflow(const char *name, uint64_t lineno, const char *key, size_t keylen)
{
	sumrec_fail_at(name, lineno, SUMREC_SUM, "total of the key overflows 64 bits", key, keylen);
}

/*
 * The total of the key just written, the last keylen bytes of the output
 * buffer: overflow if it does not fit, naming the key's last line.
 */
static inline void
end_key(const struct total *t, const char *lastname, uint64_t lastno, size_t keylen)
{
	if (t->carry != 0)
		overflow(lastname, lastno, out_buf + out_len - keylen, keylen);
	out_char('\t');
	out_i64(t->lo);
	out_char('\n');
}

/*
 * Sorted input puts each key's lines together: one running total is all it
 * takes, exact whatever the order of the sums (struct total); only a key's
 * final total must fit. A key is written when its first line comes, from
 * where it was read, and its total when the next key starts: until then the
 * key is the last keylen bytes of the output buffer, which is where a
 * message finds it.
 */
static int
reduce(char **operands)
{
	struct sumread in;
	struct sumrec r;
	struct total total = { 0, 0 };
	const char *lastname = NULL;
	uint64_t lastno = 0;
	size_t keylen = 0;
	int started = 0;

	sumread_init(&in, operands, 0);
	while (sumread_next(&in, &r)) {
		if (r.samekey) {
			total_add(&total, r.sum);
			lastname = in.lr.name, lastno = in.lr.lineno;
			continue;
		}
		if (started)
			end_key(&total, lastname, lastno, keylen);
		keylen = r.catlen + 1 + r.prodlen;
		out_write32(r.cat, keylen);
		total.lo = r.sum, total.carry = 0;	/* one line never overflows: no position kept */
		started = 1;
	}
	if (started)
		end_key(&total, lastname, lastno, keylen);
	return in.status;
}

/* The given of a merge: the operands (stdin if none), then the files to take away. */
static void
make_inputs(char **operands, char **subtract, size_t nsubtract)
{
	static char *dash[] = { "-", NULL };
	size_t nops, i;

	if (*operands == NULL)
		operands = dash;
	for (nops = 0; operands[nops] != NULL; nops++)
		;
	ngiven = nops + nsubtract;	/* at least the one operand */
	if ((given = calloc(ngiven + 1, sizeof *given)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	for (i = 0; i < ngiven; i++) {
		given[i].operand[0] = i < nops ? operands[i] : subtract[i - nops];
		given[i].neg = i >= nops;
		sumread_init(&given[i].sr, given[i].operand, 0);
	}
}

static inline __attribute__((always_inline)) int
key_cmp(const struct input *a, const struct input *b)
{
	if (a->pk != 0 && b->pk != 0)
		return (a->pk > b->pk) - (a->pk < b->pk);
	return bytes_cmp(a->r.cat, a->r.catlen + 1 + a->r.prodlen,
	    b->r.cat, b->r.catlen + 1 + b->r.prodlen);
}

/* Read the input's next line, its sum turned if taken away; 0 at its end. */
static __attribute__((__noinline__)) int
advance(struct input *in)
{
	if (!sumread_line(&in->sr, &in->r))
		return 0;
	if (packing && !key_pack(in->r.cat, in->r.catlen, in->r.prod, in->r.prodlen, &in->pk))
		in->pk = 0;
	if (in->neg) {
		in->wrapped = in->r.sum == INT64_MIN;
		in->r.sum = (int64_t)(0 - (uint64_t)in->r.sum);
	}
	return 1;
}

/* The heap's order: the input of the least key first. */
static inline __attribute__((__always_inline__)) int
input_less(const void *a, const void *b, void *ctx)
{
	(void)ctx;
	return key_cmp(*(struct input *const *)a, *(struct input *const *)b) < 0;
}

/* Bytes of the longest total sr-reduce writes: "-9223372036854775808". */
#define SUM_TEXT_MAX 20

/*
 * The sum's text is as sr-reduce writes a total: no '+', no leading zero, no
 * "-0"; so, as it is a 64-bit value, at most SUM_TEXT_MAX bytes.
 */
static int
canonical(const char *t, size_t n)
{
	if (*t == '-')
		return n > 1 && t[1] != '0';
	return *t != '+' && (*t != '0' || n == 1);
}

/*
 * Write the key of line, of keylen bytes, and its total; or, for a key of a
 * single line whose sum is written as a total would be (most keys of the
 * week's sums in an hourly merge), the line as it was read, in one copy.
 */
static void
put(const char *line, size_t keylen, size_t len, int single, int64_t total)
{
	if (single) {
		out_write32(line, len + 1);
		return;
	}
	out_write32(line, keylen);
	out_char('\t');
	out_i64(total);
	out_char('\n');
}

/*
 * A pass's total beyond 64 bits, carry * 2^64 more than what put writes:
 * 2^64 as MAX + MAX + 2, or -2^64 as MIN + MIN, a line each, first.
 */
static __attribute__((__noinline__, __cold__)) void
put_carry(const char *line, size_t keylen, int64_t carry)
{
	for (; carry != 0; carry -= carry > 0 ? 1 : -1) {
		sumrec_write(line, keylen, carry > 0 ? INT64_MAX : INT64_MIN);
		sumrec_write(line, keylen, carry > 0 ? INT64_MAX : INT64_MIN);
		if (carry > 0)
			sumrec_write(line, keylen, 2);
	}
}

/*
 * A key of a merge done: its total put; one beyond 64 bits stops the merge
 * (naming the key's last line) or, in a pass that spills, goes first as
 * lines of its own.
 */
static inline void
put_key(const char *line, size_t keylen, size_t len, int single, const struct total *t, int spill,
    const char *lastname, uint64_t lastno)
{
	if (t->carry != 0) {
		if (!spill)
			overflow(lastname, lastno, line, keylen);
		put_carry(line, keylen, t->carry);
	}
	put(line, keylen, len, single, t->lo);
}

/*
 * Merge the sorted inputs as sr-sort -m would, and add up each key's sums
 * on the way. The least key's input is on top of a heap; its next line is
 * checked against the key just taken from it (the order check of that input)
 * and against the least of the other inputs (the runner-up, found again only
 * when the heap changes): an input that runs ahead of the others, as the
 * week's sums do against an hour's partials, costs two comparisons a line.
 */
static int
merge(struct input *inputs, size_t ninputs)
{
	enum { SAME, AFTER, UNKNOWN } top_is = UNKNOWN;	/* the top's line against key */
	struct input **heap, *top;
	/*
	 * The key's first line, if it fits: any canonical one does, with room
	 * for lr_copy. A sum may have any number of leading zeros up to the line
	 * limit: then only the key is kept.
	 */
	char line[IDENT_KEY_MAX + 1 + SUM_TEXT_MAX + 1 + LR_COPY_SLACK];
	size_t n = 0, i, keylen = 0, len = 0, ru = 0;
	struct total total = { 0, 0 };
	const char *lastname = NULL;
	uint64_t lastno = 0;
	int c, started = 0, single = 0, status = 0, spill = passing;

	/* ninputs is a count of open inputs, far from SIZE_MAX: the analyzer cannot see it */
	if ((heap = calloc(ninputs + 1, sizeof(struct input *))) == NULL)	/* NOLINT(clang-analyzer-optin.portability.UnixAPI) */
		fatal(EXIT_DATA, "out of memory");
	packing = ninputs > 8;
	for (i = 0; i < ninputs; i++) {
		if (advance(&inputs[i]))
			heap[n++] = &inputs[i];
		else if (inputs[i].sr.status != 0)
			status = inputs[i].sr.status;
	}
	heap_make(heap, n, sizeof(struct input *), input_less, NULL);
	while (n > 0) {
		top = heap[0];
		if (started && top_is == UNKNOWN)
			top_is = bytes_cmp(top->r.cat, top->r.catlen + 1 + top->r.prodlen,
			    line, keylen) == 0 ? SAME : AFTER;
		if (started && top_is == SAME) {
			total_add(&total, top->r.sum);
			total.carry += top->wrapped;
			single = 0;
			lastname = top->sr.lr.name, lastno = top->sr.lr.lineno;
		} else {
			if (started)
				put_key(line, keylen, len, single, &total, spill, lastname, lastno);
			keylen = top->r.catlen + 1 + top->r.prodlen;
			len = keylen + 1 + top->r.sumlen;
			if (__builtin_expect(len >= sizeof line - LR_COPY_SLACK, 0)) {
				/* a sum of many leading zeros: not canonical, and only the key is kept */
				lr_copy(line, top->r.cat, keylen + 1);
				single = 0;
			} else {
				lr_copy(line, top->r.cat, len + 1);
				if (top->r.cat[len] != '\n')	/* the last line, without one */
					line[len] = '\n';
				single = !top->neg && canonical(top->r.sumtext, top->r.sumlen);
			}
			total.lo = top->r.sum, total.carry = top->wrapped;
			started = 1;
			/* The position of the key's last line, kept only where a total can overflow. */
			if (total.carry != 0)
				lastname = top->sr.lr.name, lastno = top->sr.lr.lineno;
		}
		if (!advance(top)) {
			if (top->sr.status != 0)
				status = top->sr.status;
			n = heap_pop(heap, n, sizeof(struct input *), input_less, NULL);
			ru = 0;
			top_is = UNKNOWN;
			continue;
		}
		if ((c = bytes_cmp(top->r.cat, top->r.catlen + 1 + top->r.prodlen, line, keylen)) < 0)
			sumread_fail(&top->sr, &top->r, 0, "input is not sorted (run sr-sort first)");
		/* Equal to key, the line is still the least: every other is at least key. */
		top_is = c == 0 ? SAME : AFTER;
		if (c == 0 || n == 1)
			continue;
		if (ru == 0)
			ru = n > 2 && key_cmp(heap[2], heap[1]) < 0 ? 2 : 1;
		if (key_cmp(heap[ru], top) < 0) {
			heap_down(heap, n, 0, sizeof(struct input *), input_less, NULL);
			ru = 0;
			top_is = UNKNOWN;
		}
	}
	if (started)
		put_key(line, keylen, len, single, &total, spill, lastname, lastno);
	free(heap);
	return status;
}

/* Descriptors kept for other than the inputs: 0-2, --tee, a pass's file and a spare of stdout, and slack. */
#define FD_RESERVE 16
/* Inputs merged at once, at most: each holds a read buffer of about 1 MiB while open. */
#ifndef FANIN_MAX
#define FANIN_MAX 1024
#endif

/*
 * How many inputs can be open at once when want are to be: the soft limit
 * on descriptors, less FD_RESERVE, raised first toward the hard limit if it
 * is too low for want; at most FANIN_MAX. *limit: the soft limit in force.
 */
static size_t
open_inputs_max(size_t want, unsigned long long *limit)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		*limit = 0;
		return FANIN_MAX;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need && rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	*limit = rl.rlim_cur == RLIM_INFINITY ? ULLONG_MAX : (unsigned long long)rl.rlim_cur;
	if (*limit >= FANIN_MAX + FD_RESERVE)
		return FANIN_MAX;
	return *limit > FD_RESERVE + 2 ? (size_t)*limit - FD_RESERVE : 2;
}

/*
 * Merge the n inputs at in into a file of its own, made in TMPDIR and
 * unlinked at once, and make *to an input that reads it back.
 */
static int
merge_pass(struct input *in, size_t n, struct input *to)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd, saved, status;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof path, "%s/sr-reduce.XXXXXX", dir) >= sizeof path)
		fatal(EXIT_DATA, "TMPDIR is too long: %s", dir);
	if ((fd = mkstemp(path)) < 0)
		fatal(EXIT_DATA, "%s: %s", path, strerror(errno));
	(void)unlink(path);
	out_flush();
	if ((saved = dup(STDOUT_FILENO)) < 0 || dup2(fd, STDOUT_FILENO) < 0)
		fatal(EXIT_DATA, "merge pass: %s", strerror(errno));
	status = merge(in, n);
	out_flush();
	if (dup2(saved, STDOUT_FILENO) < 0 || close(saved) < 0 || lseek(fd, 0, SEEK_SET) != 0)
		fatal(EXIT_DATA, "merge pass: %s", strerror(errno));
	/* Opened anew by name: /dev/fd/N reads the unlinked file from its start. */
	if ((to->operand[0] = malloc(32)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	snprintf(to->operand[0], 32, "/dev/fd/%d", fd);
	sumread_init(&to->sr, to->operand, 0);
	return status;
}

/*
 * Merge the n inputs at in, written to --tee too (checked against the
 * operands ops and the files to take away; opened after the passes, which
 * write through stdout). More inputs than can be open at once go in two passes: groups of g, each merged into a file of its own, then
 * those files; exact, as a pass writes a total beyond 64 bits as several
 * lines. g is at most half what can be open, so that the group being merged
 * and the files already made fit together; more than g * g inputs is an
 * error.
 */
static int
merge_passes(struct input *in, size_t n, const char *tee, char *const ops[],
    char *const subtract[])
{
	unsigned long long limit;
	size_t max = open_inputs_max(n, &limit), g = max / 2, ntemp, i;
	struct input *temps;
	int status = 0, st;

	if (n <= max) {
		if (tee != NULL)
			out_tee(tee, ops, subtract);
		return merge(in, n);
	}
	if (g < 2 || (n + g - 1) / g > g)
		fatal(EXIT_DATA, "too many files to merge: %zu (the limit of %llu open files allows %zu; "
		    "raise it with ulimit -n)", n, limit, g < 2 ? (size_t)1 : g * g);
	ntemp = (n + g - 1) / g;
	if ((temps = calloc(ntemp, sizeof *temps)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	passing = 1;
	for (i = 0; i < ntemp; i++)
		if ((st = merge_pass(in + i * g, i + 1 < ntemp ? g : n - i * g, &temps[i])) != 0)
			status = st;
	passing = 0;
	if (tee != NULL)
		out_tee(tee, ops, subtract);
	if ((st = merge(temps, ntemp)) != 0)
		status = st;
	for (i = 0; i < ntemp; i++) {
		(void)close(atoi(temps[i].operand[0] + strlen("/dev/fd/")));
		free(temps[i].operand[0]);
	}
	free(temps);
	return status;
}

int
main(int argc, char *argv[])
{
	char **subtract;
	const char *tee = NULL;
	size_t nsubtract = 0;
	int c, status, merging = 0;

	prog_init(argv);
	if ((subtract = calloc((size_t)argc, sizeof *subtract)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	while ((c = getopt_long(argc, argv, "ms:", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			merging = 1;
			break;
		case 's':
			subtract[nsubtract++] = optarg;
			merging = 1;
			break;
		case OPT_TEE:
			tee = optarg;
			break;
		default:
			std_option(c, usagetext, abouttext);
		}
	}
	argv += optind;
	if (merging) {
		make_inputs(argv, subtract, nsubtract);
		status = merge_passes(given, ngiven, tee, argv, subtract);
	} else {
		if (tee != NULL)
			out_tee(tee, argv, subtract);
		status = reduce(argv);
	}
	out_close();
	free(given);
	free(subtract);
	return status;
}
