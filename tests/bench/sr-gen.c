/* sr-gen: deterministic generator of synthetic sales logs for testing and benchmarking sr. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "usage: sr-gen [-n rows] [--seed N] [--products N] [--categories N]" \
	" [--days D] [--end EPOCH] [--format rfc3339|epoch|mixed] [--returns PERCENT]" \
	" [--header]\n"
#define HEADER "timestamp\tproduct_id\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_id\n"

/* Keeps every local time (offsets up to +14:00) inside RFC 3339's four-digit years. */
#define MAX_END 253402214400ULL
#define JITTER 300
#define MAX_SELLER 100000
#define MAX_BUYER 50000000
#define OUTBUF_SIZE (1u << 20)
/* A row is well under this; flushing early lets rows be written without bounds checks. */
#define ROW_MAX 256

enum fmt { FMT_RFC3339, FMT_EPOCH, FMT_MIXED };

struct config {
	uint64_t rows, seed, products, categories, days, end;
	double returns;
	enum fmt format;
	int header;
};

struct rng { uint64_t s[4]; };

struct gen {
	struct config cfg;
	struct rng main, fmt;
	uint64_t start, span, scr_mul, scr_add, ret_thresh;
	uint64_t zipf_log2; /* log2(products + 1), fixed point Q26 */
	int64_t cached_day;
	char cached_date[10];
};

struct out {
	char buf[OUTBUF_SIZE];
	size_t len;
};

static struct out out;

static void die_write(void)
{
	fprintf(stderr, "sr-gen: write error: %s\n", strerror(errno));
	exit(1);
}

static void out_flush(void)
{
	if (out.len > 0 && fwrite(out.buf, 1, out.len, stdout) != out.len)
		die_write();
	out.len = 0;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Stateless hash: products keep the same categories, price and seller whatever the seed. */
static uint64_t hash64(uint64_t x)
{
	return splitmix64(&x);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Fixed-point log2 in Q26, integer-only so output is bit-identical on every platform. */
static uint64_t log2_q26(uint64_t x)
{
	int k = 63;
	uint64_t m, frac = 0;

	while (!(x >> k))
		k--;
	m = (x << 31) >> k; /* mantissa in [1,2), Q31; x <= 2^32 so no overflow */
	for (int i = 0; i < 26; i++) {
		m = (m * m) >> 31;
		frac <<= 1;
		if (m >> 32) {
			m >>= 1;
			frac |= 1;
		}
	}
	return ((uint64_t)k << 26) | frac;
}

/* 2^(i/64) in Q31; interpolating between entries is far more precise than Zipf needs. */
static const uint64_t exp2_tab[65] = {
	2147483648, 2170868212, 2194507417, 2218404036, 2242560872, 2266980759,
	2291666561, 2316621173, 2341847524, 2367348571, 2393127307, 2419186755,
	2445529972, 2472160047, 2499080105, 2526293303, 2553802834, 2581611923,
	2609723834, 2638141863, 2666869345, 2695909648, 2725266179, 2754942382,
	2784941738, 2815267765, 2845924021, 2876914102, 2908241642, 2939910317,
	2971923842, 3004285971, 3037000500, 3070071267, 3103502151, 3137297074,
	3171459999, 3205994934, 3240905930, 3276197082, 3311872529, 3347936457,
	3384393094, 3421246719, 3458501653, 3496162267, 3534232978, 3572718252,
	3611622603, 3650950594, 3690706840, 3730896002, 3771522796, 3812591987,
	3854108391, 3896076880, 3938502376, 3981389855, 4024744348, 4068570940,
	4112874773, 4157661043, 4202935003, 4248701965, 4294967296,
};

/* floor(2^e) for e in Q26, e < 32. */
static uint64_t exp2_floor(uint64_t e)
{
	unsigned k = (unsigned)(e >> 26);
	uint64_t f = e & ((1u << 26) - 1);
	uint64_t i = f >> 20, r = f & ((1u << 20) - 1);
	uint64_t m = exp2_tab[i] + (((exp2_tab[i + 1] - exp2_tab[i]) * r) >> 20);

	return k >= 31 ? m << (k - 31) : m >> (31 - k);
}

/*
 * Zipf s=1 via the continuous inverse CDF: rank = floor((N+1)^u) gives
 * P(rank = k) = log(1 + 1/k) / log(N+1), about 1/k, in O(1) without tables.
 */
static uint64_t zipf_rank(struct gen *g)
{
	uint64_t u = rng_next(&g->main) >> 32;
	uint64_t rank = exp2_floor((u * g->zipf_log2) >> 32);

	if (rank < 1)
		rank = 1;
	return rank > g->cfg.products ? g->cfg.products : rank;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Affine permutation of 0..N-1 so the most popular products are scattered ids. */
static void scramble_init(struct gen *g)
{
	uint64_t n = g->cfg.products;

	g->scr_mul = n > 1 ? 0x9e3779b97f4a7c15ULL % n : 1;
	if (g->scr_mul == 0)
		g->scr_mul = 1;
	while (gcd(g->scr_mul, n) != 1)
		g->scr_mul = g->scr_mul % (n - 1) + 1;
	g->scr_add = 0x2545f4914f6cdd1dULL % n;
}

static uint64_t product_of_rank(const struct gen *g, uint64_t rank)
{
	/* products <= 2^32 - 1 keeps the product below 2^64 */
	return ((rank - 1) * g->scr_mul + g->scr_add) % g->cfg.products + 1;
}

static uint64_t product_category(struct gen *g, uint64_t p)
{
	uint64_t count = 1 + hash64(p) % 3;
	uint64_t j = rng_next(&g->main) % count;

	return 1 + hash64(p * 0x100000001b3ULL + j + 1) % g->cfg.categories;
}

/* Price tiers give a spread from cheap items to expensive ones. */
static uint64_t product_cents(uint64_t p)
{
	static const uint64_t tier_max[4] = { 1000, 5000, 20000, 100000 };
	uint64_t h = hash64(p ^ 0x5851f42d4c957f2dULL);

	return 99 + (h >> 8) % tier_max[h & 3];
}

static uint64_t product_seller(uint64_t p)
{
	return 1 + hash64(p ^ 0xd1342543de82ef95ULL) % MAX_SELLER;
}

/* Separate draws keep non-return rows identical whatever --returns says. */
static int64_t draw_qty(struct gen *g)
{
	uint64_t r = rng_next(&g->main);
	uint64_t q = rng_next(&g->main);

	if ((r >> 11) < g->ret_thresh)
		return -(int64_t)(1 + (r & 0xff) % 3);
	if (q % 10 < 7)
		return 1;
	return (int64_t)(2 + (q >> 32) % 4);
}

/* Base time advances evenly through the file; i*span/rows is kept as quotient+remainder. */
static uint64_t draw_time(struct gen *g, uint64_t *base_q, uint64_t *base_r)
{
	uint64_t rows = g->cfg.rows;
	int64_t t = (int64_t)(g->start + *base_q);

	t += (int64_t)(rng_next(&g->main) % (2 * JITTER + 1)) - JITTER;
	if (t < (int64_t)g->start)
		t = (int64_t)g->start;
	if (t >= (int64_t)g->cfg.end)
		t = (int64_t)g->cfg.end - 1;
	*base_q += g->span / rows;
	*base_r += g->span % rows;
	if (*base_r >= rows) {
		*base_r -= rows;
		(*base_q)++;
	}
	return (uint64_t)t;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* Hinnant's civil_from_days; days may be negative for offsets just before 1970. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	uint64_t doe = (uint64_t)(z - era * 146097);
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Rows mostly share a date, so caching it avoids the divisions on the hot path. */
static char *put_date(struct gen *g, char *p, int64_t day)
{
	if (day != g->cached_day) {
		int64_t y;
		unsigned m, d;
		char *q = g->cached_date;

		civil_from_days(day, &y, &m, &d);
		q = put_2(q, (unsigned)(y / 100));
		q = put_2(q, (unsigned)(y % 100));
		*q++ = '-';
		q = put_2(q, m);
		*q++ = '-';
		put_2(q, d);
		g->cached_day = day;
	}
	memcpy(p, g->cached_date, 10);
	return p + 10;
}

/* Local date-time for instant t shifted by off seconds; t + off stays >= -14h. */
static char *put_datetime(struct gen *g, char *p, uint64_t t, int64_t off, char tee)
{
	int64_t local = (int64_t)t + off;
	int64_t day = (local >= 0 ? local : local - 86399) / 86400;
	unsigned sod = (unsigned)(local - day * 86400);

	p = put_date(g, p, day);
	*p++ = tee;
	p = put_2(p, sod / 3600);
	*p++ = ':';
	p = put_2(p, sod / 60 % 60);
	*p++ = ':';
	return put_2(p, sod % 60);
}

/* Sub-second digits are extra detail only: the whole second of the instant never changes. */
static char *put_fraction(struct gen *g, char *p, int digits)
{
	uint64_t r = rng_next(&g->fmt);

	*p++ = '.';
	for (int i = 0; i < digits; i++) {
		*p++ = (char)('0' + r % 10);
		r /= 10;
	}
	return p;
}

static char *put_offset(char *p, int minutes)
{
	unsigned a = (unsigned)(minutes < 0 ? -minutes : minutes);

	*p++ = minutes < 0 ? '-' : '+';
	p = put_2(p, a / 60);
	*p++ = ':';
	return put_2(p, a % 60);
}

/* Real-world zones, including half and quarter hours and both extremes. */
static const int offsets[] = {
	0, 60, 120, 180, 330, 345, 480, 540, 570, 765, 840,
	-210, -300, -480, -570, -600, -720,
};

static char *put_mixed_rfc3339(struct gen *g, char *p, uint64_t t, uint64_t r)
{
	int lower = (r >> 8) % 8 == 0;
	int frac = (r >> 16) % 3 == 0;
	int off = (r >> 24) % 3 == 0
		? offsets[(r >> 32) % (sizeof offsets / sizeof offsets[0])] : 0;

	p = put_datetime(g, p, t, (int64_t)off * 60, lower ? 't' : 'T');
	if (frac)
		p = put_fraction(g, p, (r >> 40) % 2 ? 3 : 1 + (int)((r >> 44) % 9));
	if (off != 0 || (r >> 48) % 16 == 0)
		return put_offset(p, off);
	*p++ = lower ? 'z' : 'Z';
	return p;
}

/* Format choices come from their own stream so instants never depend on --format. */
static char *put_time(struct gen *g, char *p, uint64_t t)
{
	uint64_t r;

	switch (g->cfg.format) {
	case FMT_EPOCH:
		return put_u64(p, t);
	case FMT_RFC3339:
		p = put_datetime(g, p, t, 0, 'T');
		*p++ = 'Z';
		return p;
	default:
		break;
	}
	r = rng_next(&g->fmt);
	if (r % 100 < 60)
		return put_mixed_rfc3339(g, p, t, r);
	p = put_u64(p, t);
	if (r % 100 < 80)
		return p;
	return put_fraction(g, p, 1 + (int)((r >> 8) % 9));
}

static char *put_price(char *p, int64_t qty, uint64_t cents)
{
	uint64_t v = (uint64_t)(qty < 0 ? -qty : qty) * cents;

	if (qty < 0)
		*p++ = '-';
	p = put_u64(p, v / 100);
	*p++ = '.';
	return put_2(p, (unsigned)(v % 100));
}

static void emit_row(struct gen *g, uint64_t *base_q, uint64_t *base_r)
{
	uint64_t t = draw_time(g, base_q, base_r);
	uint64_t prod = product_of_rank(g, zipf_rank(g));
	uint64_t cat = product_category(g, prod);
	int64_t qty = draw_qty(g);
	uint64_t buyer = 1 + rng_next(&g->main) % MAX_BUYER;
	char *p = out.buf + out.len;

	p = put_time(g, p, t);
	*p++ = '\t';
	p = put_u64(p, prod);
	*p++ = '\t';
	p = put_u64(p, cat);
	*p++ = '\t';
	if (qty < 0)
		*p++ = '-';
	p = put_u64(p, (uint64_t)(qty < 0 ? -qty : qty));
	*p++ = '\t';
	p = put_price(p, qty, product_cents(prod));
	*p++ = '\t';
	p = put_u64(p, product_seller(prod));
	*p++ = '\t';
	p = put_u64(p, buyer);
	*p++ = '\n';
	out.len = (size_t)(p - out.buf);
}

static void generate(struct gen *g)
{
	uint64_t base_q = 0, base_r = 0;

	if (g->cfg.header) {
		memcpy(out.buf + out.len, HEADER, sizeof HEADER - 1);
		out.len += sizeof HEADER - 1;
	}
	for (uint64_t i = 0; i < g->cfg.rows; i++) {
		if (out.len > OUTBUF_SIZE - ROW_MAX)
			out_flush();
		emit_row(g, &base_q, &base_r);
	}
	out_flush();
	if (fflush(stdout) != 0 || ferror(stdout))
		die_write();
	if (fclose(stdout) != 0)
		die_write();
}

static void usage_error(const char *what, const char *problem, const char *arg)
{
	if (arg)
		fprintf(stderr, "sr-gen: %s: %s: '%s'\n", what, problem, arg);
	else
		fprintf(stderr, "sr-gen: %s: %s\n", what, problem);
	exit(2);
}

/* strtoull alone would accept signs, spaces and empty strings. */
static uint64_t parse_u64(const char *what, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		usage_error(what, "not a number", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		usage_error(what, "not a number", s);
	if (errno == ERANGE || v < min || v > max)
		usage_error(what, "out of range", s);
	return v;
}

static double parse_percent(const char *what, const char *s)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		usage_error(what, "not a number", s);
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s)
		usage_error(what, "not a number", s);
	if (errno == ERANGE || !(v >= 0.0 && v <= 100.0))
		usage_error(what, "out of range", s);
	return v;
}

static enum fmt parse_format(const char *s)
{
	if (strcmp(s, "rfc3339") == 0)
		return FMT_RFC3339;
	if (strcmp(s, "epoch") == 0)
		return FMT_EPOCH;
	if (strcmp(s, "mixed") == 0)
		return FMT_MIXED;
	usage_error("--format", "unknown format", s);
	return FMT_RFC3339;
}

enum {
	OPT_SEED = CHAR_MAX + 1, OPT_PRODUCTS, OPT_CATEGORIES, OPT_DAYS,
	OPT_END, OPT_FORMAT, OPT_RETURNS, OPT_HEADER, OPT_HELP,
};

static const struct option long_opts[] = {
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "products", required_argument, NULL, OPT_PRODUCTS },
	{ "categories", required_argument, NULL, OPT_CATEGORIES },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "end", required_argument, NULL, OPT_END },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "returns", required_argument, NULL, OPT_RETURNS },
	{ "header", no_argument, NULL, OPT_HEADER },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void apply_option(struct config *c, int opt, const char *arg)
{
	switch (opt) {
	case 'n': c->rows = parse_u64("-n", arg, 0, UINT64_MAX / 2); break;
	case OPT_SEED: c->seed = parse_u64("--seed", arg, 0, UINT64_MAX); break;
	case OPT_PRODUCTS: c->products = parse_u64("--products", arg, 1, UINT32_MAX); break;
	case OPT_CATEGORIES: c->categories = parse_u64("--categories", arg, 1, UINT32_MAX); break;
	case OPT_DAYS: c->days = parse_u64("--days", arg, 1, MAX_END / 86400); break;
	case OPT_END: c->end = parse_u64("--end", arg, 1, MAX_END); break;
	case OPT_FORMAT: c->format = parse_format(arg); break;
	case OPT_RETURNS: c->returns = parse_percent("--returns", arg); break;
	case OPT_HEADER: c->header = 1; break;
	case OPT_HELP:
		fputs(USAGE, stdout);
		exit(fclose(stdout) == 0 ? 0 : 1);
	default:
		fputs(USAGE, stderr);
		exit(2);
	}
}

static void parse_args(struct config *c, int argc, char **argv)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "n:", long_opts, NULL)) != -1)
		apply_option(c, opt, optarg);
	if (optind < argc)
		usage_error(argv[optind], "unexpected argument", NULL);
	if (c->days * 86400 > c->end)
		usage_error("--days", "reaches before 1970-01-01 with this --end", NULL);
}

static void gen_init(struct gen *g)
{
	g->start = g->cfg.end - g->cfg.days * 86400;
	g->span = g->cfg.days * 86400;
	g->zipf_log2 = log2_q26(g->cfg.products + 1);
	g->ret_thresh = (uint64_t)(g->cfg.returns / 100.0 * 9007199254740992.0);
	g->cached_day = INT64_MIN;
	rng_seed(&g->main, g->cfg.seed);
	rng_seed(&g->fmt, g->cfg.seed ^ 0x6a09e667f3bcc909ULL);
	scramble_init(g);
}

int main(int argc, char **argv)
{
	static struct gen g = {
		.cfg = {
			.rows = 1000000, .seed = 1, .products = 10000000,
			.categories = 1000, .days = 10, .end = 1795996800ULL,
			.format = FMT_RFC3339,
		},
	};

	parse_args(&g.cfg, argc, argv);
	gen_init(&g);
	generate(&g);
	return 0;
}
