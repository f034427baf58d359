/* sr-reduce: add up the sums of each (category_id, product_id) key of sorted intermediate lines. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "keytab.h"
#include "msg.h"
#include "out.h"
#include "sumread.h"

enum { OPT_HELP = CHAR_MAX + 1, OPT_TEE, OPT_VERSION };

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
    "      --tee=FILE       write the output to FILE too\n";

/* An input of a merge: its next line, r, and whether its sums are taken away. */
struct input {
	struct sumread sr;
	struct sumrec r;
	uint64_t pk;		/* the key packed (keytab_pack), or 0 */
	char *operand[2];
	int neg;
	int64_t wrapped;	/* 1: r.sum is 2^64 too small (-INT64_MIN taken away wraps) */
};

static struct input *inputs;
static size_t ninputs;
/*
 * With many inputs, a line is compared a dozen times on its way through the
 * heap: keys of two plain integers are packed into numbers that order as
 * the text does (as sr-map's table holds them), once, and compared as such.
 */
static int packing;

/* A key's total does not fit: stop, naming the key's last line. */
static void
overflow(const char *name, uint64_t lineno, const char *key, size_t keylen)
{
	char q[96];

	fatal(EXIT_DATA, "%s:%llu: field 3 (sum): total of key %s overflows 64 bits",
	    name, (unsigned long long)lineno, quote(q, sizeof q, key, keylen));
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
		if (started) {
			if (total.carry != 0)
				overflow(lastname, lastno, out_buf + out_len - keylen, keylen);
			out_char('\t');
			out_i64(total.lo);
			out_char('\n');
		}
		keylen = r.catlen + 1 + r.prodlen;
		out_write32(r.cat, keylen);
		total.lo = r.sum, total.carry = 0;
		lastname = in.lr.name, lastno = in.lr.lineno;
		started = 1;
	}
	if (started) {
		if (total.carry != 0)
			overflow(lastname, lastno, out_buf + out_len - keylen, keylen);
		out_char('\t');
		out_i64(total.lo);
		out_char('\n');
	}
	return in.status;
}

/* The inputs of a merge: the operands (stdin if none), then the files to take away. */
static void
make_inputs(char **operands, char **subtract, size_t nsubtract)
{
	static char *dash[] = { "-", NULL };
	size_t nops, i;

	if (*operands == NULL)
		operands = dash;
	for (nops = 0; operands[nops] != NULL; nops++)
		;
	ninputs = nops + nsubtract;	/* at least the one operand */
	if ((inputs = calloc(ninputs + 1, sizeof *inputs)) == NULL)
		fatal(EXIT_DATA, "out of memory");
	for (i = 0; i < ninputs; i++) {
		inputs[i].operand[0] = i < nops ? operands[i] : subtract[i - nops];
		inputs[i].neg = i >= nops;
		sumread_init(&inputs[i].sr, inputs[i].operand, 0);
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
static int
advance(struct input *in)
{
	if (!sumread_line(&in->sr, &in->r))
		return 0;
	if (packing && !keytab_pack(in->r.cat, in->r.catlen, in->r.prod, in->r.prodlen, &in->pk))
		in->pk = 0;
	if (in->neg) {
		in->wrapped = in->r.sum == INT64_MIN;
		in->r.sum = (int64_t)(0 - (uint64_t)in->r.sum);
	}
	return 1;
}

/* Restore the heap of inputs, least key first, below position i. */
static void
sift(struct input **heap, size_t n, size_t i)
{
	struct input *t = heap[i];
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && key_cmp(heap[c + 1], heap[c]) < 0)
			c++;
		if (key_cmp(heap[c], t) >= 0)
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = t;
}

/* Bytes of the longest total sr-reduce writes: "-9223372036854775808". */
#define SUM_TEXT_MAX 20

/*
 * The sum's text is as sr-reduce writes a total: no '+', no leading zero, no
 * "-0"; so at most SUM_TEXT_MAX bytes. A sum may be written with any number
 * of leading zeros up to the line limit: only a canonical one is copied.
 */
static int
canonical(const char *t, size_t n)
{
	if (n > SUM_TEXT_MAX)
		return 0;
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
put(char *line, size_t keylen, size_t len, int single, const struct total *total)
{
	if (single) {
		out_write32(line, len + 1);
		return;
	}
	out_write32(line, keylen);
	out_char('\t');
	out_i64(total->lo);
	out_char('\n');
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
merge(void)
{
	enum { SAME, AFTER, UNKNOWN } top_is = UNKNOWN;	/* the top's line against key */
	struct input **heap, *top;
	/* The key, and its first line's sum and newline if single; 32 more for lr_copy. */
	char line[2 * IDENT_MAX + 1 + 1 + SUM_TEXT_MAX + 1 + 32];
	size_t n = 0, i, keylen = 0, len = 0, ru = 0;
	struct total total = { 0, 0 };
	const char *lastname = NULL;
	uint64_t lastno = 0;
	int c, started = 0, single = 0, status = 0;

	if ((heap = calloc(ninputs + 1, sizeof(struct input *))) == NULL)
		fatal(EXIT_DATA, "out of memory");
	packing = ninputs > 8;
	for (i = 0; i < ninputs; i++) {
		if (advance(&inputs[i]))
			heap[n++] = &inputs[i];
		else if (inputs[i].sr.status != 0)
			status = inputs[i].sr.status;
	}
	for (i = n / 2; i-- > 0;)
		sift(heap, n, i);
	while (n > 0) {
		top = heap[0];
		if (started && top_is == UNKNOWN)
			top_is = bytes_cmp(top->r.cat, top->r.catlen + 1 + top->r.prodlen,
			    line, keylen) == 0 ? SAME : AFTER;
		if (started && top_is == SAME) {
			total_add(&total, top->r.sum);
			total.carry += top->wrapped;
			single = 0;
		} else {
			if (started && total.carry != 0)
				overflow(lastname, lastno, line, keylen);
			if (started)
				put(line, keylen, len, single, &total);
			keylen = top->r.catlen + 1 + top->r.prodlen;
			single = !top->neg && canonical(top->r.sumtext, top->r.sumlen);
			len = single ? keylen + 1 + top->r.sumlen : keylen;
			lr_copy(line, top->r.cat, len + 1);
			if (single && top->r.cat[len] != '\n')	/* the last line, without one */
				line[len] = '\n';
			total.lo = top->r.sum, total.carry = top->wrapped;
			started = 1;
		}
		lastname = top->sr.lr.name, lastno = top->sr.lr.lineno;
		if (!advance(top)) {
			if (top->sr.status != 0)
				status = top->sr.status;
			heap[0] = heap[--n];
			sift(heap, n, 0);
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
			sift(heap, n, 0);
			ru = 0;
			top_is = UNKNOWN;
		}
	}
	if (started && total.carry != 0)
		overflow(lastname, lastno, line, keylen);
	if (started)
		put(line, keylen, len, single, &total);
	free(heap);
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
		case OPT_HELP:
			help(usagetext, abouttext);
		case OPT_VERSION:
			version();
		default:
			usage_exit(usagetext);
		}
	}
	argv += optind;
	if (tee != NULL)
		out_tee(tee);
	if (merging) {
		make_inputs(argv, subtract, nsubtract);
		status = merge();
	} else
		status = reduce(argv);
	out_close();
	free(inputs);
	free(subtract);
	return status;
}
