/* sr-map: sales log lines to "category_id TAB product_id TAB qty", summed in memory like a combiner. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "keypack.h"
#include "keytab.h"
#include "logread.h"
#include "msg.h"
#include "number.h"
#include "out.h"
#include "sumread.h"
#include "window.h"

#define MEMORY_DEFAULT (512LL << 20)
#define MEMORY_MIN (1LL << 20)

static const struct option longopts[] = {
	LOGREAD_OPTIONS,
	WINDOW_OPTIONS,
	{ "buffer-size", required_argument, NULL, 'S' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "memory", required_argument, NULL, 'S' },	/* the former name, still accepted */
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-map [-S size] [--counters] [--csv] [--growing file] [--max-rejects n]\n"
    "              [--part k/n] [--progress] [--rejects file] [--strict] [--now time]\n"
    "              [--days n | --since time --until time] [file ...]\n";

static const char abouttext[] =
    "\nTurn sales log lines into category_id<TAB>product_id<TAB>qty lines, summing repeated\n"
    "keys in at most -S bytes (default 512M). With a window option, only sales in\n"
    "the window count. See sr-map(1).\n"
    "\n"
    "  -S, --buffer-size size  hold the sums in size bytes (default 512M)\n"
    "                      (formerly -m, --memory, still accepted)\n"
    LOGREAD_HELP
    WINDOW_HELP
    "  --help              print this help and exit\n"
    "  --version           print the version and exit\n";

static struct window window;
static struct keytab table;

/*
 * Write every partial sum and empty the table: the budget is what bounds
 * memory. The sums go out in byte order when the sort arrays can be had,
 * which leaves sr-sort little to do.
 */
static void
flush(void)
{
	if (keytab_each_sorted(&table, sumrec_write) < 0)
		keytab_each(&table, sumrec_write);
	keytab_clear(&table);
}

/*
 * Sales wait in a batch of BATCH keys: their slots are prefetched together,
 * so that the cache misses of a table larger than the cache overlap instead
 * of coming one after another. A key of two small plain integers, the usual
 * kind, goes packed into a number; any other as text.
 */
#define BATCH 16

struct pending {
	uint64_t packed;	/* 0: the key is text */
	uint32_t hash;
	int64_t qty;
	size_t len;
	char text[IDENT_KEY_MAX];
};

static struct pending batch[BATCH];
static size_t nbatch;

static int64_t *
sum_of(const struct pending *b)
{
	if (b->packed != 0)
		return keytab_sum_packed(&table, b->packed, b->hash);
	return keytab_sum_hashed(&table, b->text, b->len, b->hash);
}

/* The key's text, for a sum written out early. */
static void
write_early(const struct pending *b, int64_t sum)
{
	char text[KEY_PACK_TEXT];

	if (b->packed != 0)
		sumrec_write(text, key_unpack(b->packed, text), sum);
	else
		sumrec_write(b->text, b->len, sum);
}

/*
 * Add a sale to its key's sum. A sum that would overflow is written out as it
 * stands and started afresh: a partial sum is valid map output, and
 * sr-reduce reports the overflow of the real total.
 */
static void
add(const struct pending *b)
{
	int64_t *sum, total;

	if ((sum = sum_of(b)) == NULL) {
		flush();
		if ((sum = sum_of(b)) == NULL)
			fatal(EXIT_DATA, "-S: the buffer is too small for one key");
	}
	if (__builtin_add_overflow(*sum, b->qty, &total)) {
		write_early(b, *sum);
		total = b->qty;
	}
	*sum = total;
}

static void
drain(void)
{
	size_t i;

	for (i = 0; i < nbatch; i++)
		if (batch[i].packed != 0)
			keytab_prefetch_packed(&table, batch[i].hash);
		else
			keytab_prefetch(&table, batch[i].hash);
	for (i = 0; i < nbatch; i++)
		add(&batch[i]);
	nbatch = 0;
}

static void
map(const struct logrec *r, const struct line *raw, void *arg)
{
	struct pending *b = &batch[nbatch];
	const struct field *cat = &r->f[F_CATEGORY], *prod = &r->f[F_PRODUCT];

	(void)raw, (void)arg;
	if (window.set && !window_contains(&window, r->ts))
		return;
	if (key_pack(cat->p, cat->len, prod->p, prod->len, &b->packed))
		b->hash = keytab_packed_hash(b->packed);
	else {
		b->packed = 0;
		memcpy(b->text, cat->p, cat->len);
		b->text[cat->len] = '\t';
		memcpy(b->text + cat->len + 1, prod->p, prod->len);
		b->len = cat->len + 1 + prod->len;
		b->hash = keytab_hash(b->text, b->len);
	}
	b->qty = r->qty;
	if (++nbatch == BATCH)
		drain();
}

int
main(int argc, char *argv[])
{
	int c, status = 0;
	int64_t memory = MEMORY_DEFAULT;

	prog_init(argv);
	/* -m and --memory are -S's former names: cron lines written with them still run. */
	while ((c = getopt_long(argc, argv, "S:m:", longopts, NULL)) != -1) {
		if (window_option(&window, c, optarg) || logread_option(c, optarg))
			continue;
		switch (c) {
		case 'S':
		case 'm':
			memory = arg_size("-S", optarg, MEMORY_MIN, INT64_MAX / 2);
			break;
		default:
			std_option(c, usagetext, abouttext);
		}
	}
	argv += optind;
	if (window.set)
		window_finish(&window);
	logread_start(argv);
	keytab_init(&table, (size_t)memory);
	if (logread_all(argv, map, NULL) < 0)
		status = EXIT_DATA;
	drain();
	flush();
	if (logread_finish())
		status = EXIT_DATA;
	out_close();
	return status;
}
