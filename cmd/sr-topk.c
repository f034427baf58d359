/* sr-topk: the top K products of each category from reduced totals, ranked 1..K. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "number.h"
#include "out.h"
#include "sumread.h"
#include "topk.h"

#define K_DEFAULT 100
#define K_MAX 100000000

static const struct option longopts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "count", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] = "usage: sr-topk [-a | -n count] [file ...]\n";

static const char abouttext[] =
    "\nRank the products of each category by total, best first, from sr-reduce output;\n"
    "write category_id<TAB>rank<TAB>product_id<TAB>total_sold for the top -n (default\n"
    "100) or --all. Ties go to the smaller product id. See sr-topk(1).\n"
    "\n"
    "  -a, --all          rank every product of each category\n"
    "  -n, --count count  rank the best count products of each category (default 100)\n"
    "  --help             print this help and exit\n"
    "  --version          print the version and exit\n";

static void
emit(const char *cat, size_t catlen, struct topk *t)
{
	size_t i;

	topk_sort(t);
	for (i = 0; i < t->n; i++) {
		out_write(cat, catlen);
		out_char('\t');
		out_u64(i + 1);
		out_char('\t');
		out_write(topk_id(t, i), t->v[i].len);
		out_char('\t');
		out_i64(t->v[i].total);
		out_char('\n');
	}
	topk_clear(t);
}

/* Categories arrive one after another (the input is sorted), so one heap serves them all. */
static int
rank(char **operands, size_t k)
{
	struct sumread in;
	struct sumrec r;
	struct topk t;
	char cat[IDENT_MAX];
	size_t catlen = 0;

	sumread_init(&in, operands, 1);
	topk_init(&t, k);
	while (sumread_next(&in, &r)) {
		if (bytes_cmp(cat, catlen, r.cat, r.catlen) != 0) {
			if (catlen > 0)
				emit(cat, catlen, &t);
			memcpy(cat, r.cat, r.catlen);
			catlen = r.catlen;
		}
		topk_push(&t, r.prod, r.prodlen, r.sum);
	}
	if (catlen > 0)
		emit(cat, catlen, &t);
	topk_free(&t);
	return in.status;
}

int
main(int argc, char *argv[])
{
	int c, all = 0, status;
	int64_t k = K_DEFAULT;
	const char *count = NULL;

	prog_init(argv);
	while ((c = getopt_long(argc, argv, "an:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'n':
			count = optarg;
			break;
		default:
			std_option(c, usagetext, abouttext);
		}
	}
	argv += optind;
	if (all && count != NULL)
		fatal(EXIT_USAGE, "-a and -n exclude each other");
	if (count != NULL)
		k = arg_count("-n", count, 1, K_MAX);
	status = rank(argv, all ? 0 : (size_t)k);
	out_close();
	return status;
}
