/* sr-reduce: add up the sums of each (category_id, product_id) key of sorted intermediate lines. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "out.h"
#include "sumread.h"

enum { OPT_HELP = CHAR_MAX + 1, OPT_VERSION };

static const struct option longopts[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] = "usage: sr-reduce [file ...]\n";

static const char abouttext[] =
    "\nSum category_id<TAB>product_id<TAB>sum lines per key. The input must be sorted\n"
    "(sr-sort); the output has the same form, one line per key. See sr-reduce(1).\n";

/*
 * Sorted input puts each key's lines together: one running total is all it
 * takes. A key is written when its first line comes, from where it was read,
 * and its total when the next key starts.
 */
static int
reduce(char **operands)
{
	struct sumread in;
	struct sumrec r;
	int64_t total = 0;
	int started = 0;
	char q[96];

	sumread_init(&in, operands, 0);
	while (sumread_next(&in, &r)) {
		if (r.samekey) {
			if (__builtin_add_overflow(total, r.sum, &total))
				fatal(EXIT_DATA, "%s:%llu: field 3 (sum): total of key %s "
				    "overflows 64 bits", in.lr.name, (unsigned long long)in.lr.lineno,
				    quote(q, sizeof q, in.prev, in.prevlen));
			continue;
		}
		if (started) {
			out_char('\t');
			out_i64(total);
			out_char('\n');
		}
		out_write(r.cat, r.catlen + 1 + r.prodlen);
		total = r.sum;
		started = 1;
	}
	if (started) {
		out_char('\t');
		out_i64(total);
		out_char('\n');
	}
	return in.status;
}

int
main(int argc, char *argv[])
{
	int c, status;

	prog_init(argv);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_HELP:
			help(usagetext, abouttext);
		case OPT_VERSION:
			version();
		default:
			usage_exit(usagetext);
		}
	}
	argv += optind;
	status = reduce(argv);
	out_close();
	return status;
}
