/* sr-load: replace the ranking (sales_rank and its meta row) of a SQLite or PostgreSQL database, atomically. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <unistd.h>

#include "idset.h"
#include "ident.h"
#include "lineread.h"
#include "msg.h"
#include "number.h"
#include "store.h"
#include "window.h"

#define DB_DEFAULT "sales_rank.db"
#define COPY_BUFSIZE 65536
#define TIMEOUT_DEFAULT 600	/* seconds a PostgreSQL statement may take */
#define TIMEOUT_MAX 86400
#define ERR_SIZE 1536

enum { OPT_ALLOW_EMPTY = CHAR_MAX + 1, OPT_DB, OPT_INIT, OPT_TIMEOUT };

static const struct option longopts[] = {
	{ "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
	{ "db", required_argument, NULL, OPT_DB },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "version", no_argument, NULL, OPT_VERSION },
	WINDOW_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const char usagetext[] =
    "usage: sr-load [--allow-empty] [--db path | uri] [--init] [--now time]\n"
    "               [--days n | --since time --until time] [--timeout seconds] [file ...]\n";

static const char abouttext[] =
    "\nLoad sr-topk output (category_id<TAB>rank<TAB>product_id<TAB>total_sold) into the\n"
    "sales_rank table of a SQLite database (default sales_rank.db) or, given a\n"
    "postgresql:// URI, of a PostgreSQL database, replacing the previous ranking in\n"
    "one transaction. The tables are made by sr-load --init (a new SQLite file gets\n"
    "them at its first load too), so that loads need no right to create. See sr-load(1).\n"
    "\n"
    "  --allow-empty       load an empty ranking instead of refusing it\n"
    "  --db path|uri       the SQLite file or PostgreSQL URI (default sales_rank.db)\n"
    "  --init              create the tables if there are none, check them if there\n"
    "                      are, and load nothing\n"
    "  --timeout seconds   the longest wait for PostgreSQL's answer to a statement\n"
    "The window the ranking covers, recorded with it:\n"
    WINDOW_HELP
    "  --help              print this help and exit\n"
    "  --version           print the version and exit\n";

/* The fields of a ranking line, as sr-topk writes them. */
enum { F_CATEGORY, F_RANK, F_PRODUCT, F_TOTAL, NFIELDS };

static const char *const names[NFIELDS] = {
	[F_CATEGORY] = "category_id", [F_RANK] = "rank", [F_PRODUCT] = "product_id", [F_TOTAL] = "total_sold"
};

/* A ranking row as sr-topk writes it. */
struct rankrow {
	struct { const char *p; size_t len; } f[NFIELDS];
	int64_t rank, total;
};

/* What the rows so far must be followed by, to be a ranking. */
struct rankstate {
	char cat[IDENT_MAX];
	size_t catlen;
	int64_t rank, total;
	int64_t rows, categories;
	struct idset products;	/* of the current category */
};

static const char *dbpath = DB_DEFAULT;
static const char *dbname;	/* in messages: the SQLite file, or "postgresql" */
static int timeout = TIMEOUT_DEFAULT;
static struct store *store;	/* open while the database is written */

/* A database error ends the load; what was begun is rolled back, the old ranking stays. */
static noreturn void
dbfail(const char *err)
{
	store_abandon(store);
	fatal(EXIT_DATA, "%s: %s", dbname, err);
}

static void
db_open(void)
{
	char err[ERR_SIZE];

	if ((store = store_open_writer(dbpath, err, sizeof err)) == NULL)
		fatal(EXIT_DATA, "%s: %s", dbname, err);
	store_set_timeout(store, timeout);
}

/* The ranking, for both */

static noreturn void
bad(const struct lineread *lr, int field, const char *why, const char *v, size_t n)
{
	store_abandon(store);
	warn_at(lr->name, lr->lineno, field, field < 0 ? NULL : names[field], why, v, n);
	exit(EXIT_DATA);
}

/*
 * The length of the valid UTF-8 that s starts with: the offset of the first
 * byte that does not start or continue a character as RFC 3629 allows it (no
 * overlong form, no surrogate, nothing above U+10FFFF), or n.
 */
static size_t
utf8_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len, k;
	unsigned char lo, hi;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80, hi = 0xbf;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			len = 3, lo = p[i] == 0xe0 ? 0xa0 : 0x80, hi = p[i] == 0xed ? 0x9f : 0xbf;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			len = 4, lo = p[i] == 0xf0 ? 0x90 : 0x80, hi = p[i] == 0xf4 ? 0x8f : 0xbf;
		else
			return i;
		if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (k = 2; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
		i += len;
	}
	return n;
}

/* An id that is not UTF-8, shown with every byte above 0x7f as \xHH, since a terminal would not show it. */
static noreturn void
bad_utf8(const struct lineread *lr, int field, const char *v, size_t n)
{
	char q[96];
	size_t o = 0, i;

	for (i = 0; i < n && o + 8 < sizeof q; i++) {
		if ((unsigned char)v[i] >= 0x80)
			o += (size_t)snprintf(q + o, sizeof q - o, "\\x%02x", (unsigned char)v[i]);
		else if (v[i] == '\\')
			o += (size_t)snprintf(q + o, sizeof q - o, "\\\\");
		else
			q[o++] = v[i];
	}
	q[o] = '\0';
	store_abandon(store);
	warnmsg("%s:%llu: field %d (%s): not valid UTF-8: '%s%s'", lr->name, (unsigned long long)lr->lineno,
	    field + 1, names[field], q, i < n ? "..." : "");
	exit(EXIT_DATA);
}

/* Field f of r is refused, for why. */
static noreturn void
bad_field(const struct lineread *lr, const struct rankrow *r, int f, const char *why)
{
	bad(lr, f, why, r->f[f].p, r->f[f].len);
}

/* The fields of a line, in order: each id what ident_check allows and valid UTF-8, each number an integer. */
static void
parse(const struct lineread *lr, const struct line *l, struct rankrow *r)
{
	int64_t *const number[NFIELDS] = { [F_RANK] = &r->rank, [F_TOTAL] = &r->total };
	const char *p = l->p, *end = l->p + l->len, *tab, *why;
	int i;

	for (i = 0; i < NFIELDS; i++) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if ((tab == NULL) != (i == NFIELDS - 1))
			bad(lr, -1, i < NFIELDS - 1 ? "too few fields (want 4)" : "too many fields (want 4)",
			    NULL, 0);
		r->f[i].p = p;
		r->f[i].len = (size_t)((tab != NULL ? tab : end) - p);
		if (tab != NULL)
			p = tab + 1;
	}
	for (i = 0; i < NFIELDS; i++) {
		if (number[i] != NULL) {
			if ((why = parse_i64(r->f[i].p, r->f[i].len, number[i])) != NULL)
				bad_field(lr, r, i, why);
			continue;
		}
		if ((why = ident_check(r->f[i].p, r->f[i].len)) != NULL)
			bad_field(lr, r, i, why);
		if (utf8_prefix(r->f[i].p, r->f[i].len) != r->f[i].len)
			bad_utf8(lr, i, r->f[i].p, r->f[i].len);
	}
}

/*
 * A ranking, as sr-topk writes it: categories in byte order, each once, ranks
 * 1, 2, 3, ... within each, totals never rising, each product once. Anything else is refused
 * rather than served as a wrong ranking.
 */
static void
check(const struct lineread *lr, const struct rankrow *r, struct rankstate *st)
{
	int c = bytes_cmp(r->f[F_CATEGORY].p, r->f[F_CATEGORY].len, st->cat, st->catlen), added;

	if (st->rows > 0 && c < 0)
		bad_field(lr, r, F_CATEGORY, "categories out of order (want sr-topk output)");
	if (st->rows == 0 || c > 0) {
		if (r->rank != 1)
			bad_field(lr, r, F_RANK, "a category's ranks must start at 1");
		memcpy(st->cat, r->f[F_CATEGORY].p, r->f[F_CATEGORY].len);
		st->catlen = r->f[F_CATEGORY].len;
		st->categories++;
		idset_clear(&st->products);
	} else if (r->rank != st->rank + 1)
		bad_field(lr, r, F_RANK, "ranks must run 1, 2, 3, ... within a category");
	else if (r->total > st->total)
		bad_field(lr, r, F_TOTAL, "total is larger than the one ranked above it");
	if ((added = idset_add(&st->products, r->f[F_PRODUCT].p, r->f[F_PRODUCT].len)) < 0)
		fatal(EXIT_DATA, "out of memory");
	if (added == 0)
		bad_field(lr, r, F_PRODUCT, "product ranked twice in its category");
	st->rank = r->rank;
	st->total = r->total;
	st->rows++;
}

/*
 * The checked ranking waits in an unlinked temporary file until the database
 * is locked: read in memory, a ranking of 10 million rows would take some
 * 400 MB; in the file it takes disk space in TMPDIR, and the page cache.
 */
static int spool = -1;
static const char *spooldir;
static char spoolbuf[COPY_BUFSIZE];
static size_t spoollen;

static void
spool_open(void)
{
	char path[PATH_MAX];

	if ((spooldir = getenv("TMPDIR")) == NULL || *spooldir == '\0')
		spooldir = "/tmp";
	if (snprintf(path, sizeof path, "%s/sr-load.XXXXXX", spooldir) >= (int)sizeof path)
		fatal(EXIT_DATA, "%s: path too long for a temporary file", spooldir);
	if ((spool = mkstemp(path)) < 0)
		fatal(EXIT_DATA, "%s: temporary file: %s", spooldir, strerror(errno));
	unlink(path);
}

static void
spool_flush(void)
{
	size_t done = 0;
	ssize_t n;

	while (done < spoollen) {
		if ((n = write(spool, spoolbuf + done, spoollen - done)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal(EXIT_DATA, "%s: temporary file: write error: %s", spooldir,
			    n < 0 ? strerror(errno) : "no progress");
		done += (size_t)n;
	}
	spoollen = 0;
}

/* A checked line, with its newline; it is at most 4 fields of IDENT_MAX or 20 bytes. */
static void
spool_line(const struct line *l)
{
	if (sizeof spoolbuf - spoollen < l->len + 1)
		spool_flush();
	memcpy(spoolbuf + spoollen, l->p, l->len);
	spoolbuf[spoollen + l->len] = '\n';
	spoollen += l->len + 1;
}

/* Lines of one operand, checked as part of the ranking, into the spool; -1 if it could not be read. */
static int
read_file(const char *path, struct rankstate *st)
{
	struct lineread lr;
	struct line l;
	struct rankrow r;
	int rc;

	if (lr_open(&lr, path) < 0)
		return -1;
	while ((rc = lr_next(&lr, &l)) > 0) {
		if (l.more)
			bad(&lr, -1, "line too long", NULL, 0);
		if (!l.newline)
			bad(&lr, -1, "last line has no newline: input cut short?", NULL, 0);
		parse(&lr, &l, &r);
		check(&lr, &r, st);
		spool_line(&l);
	}
	lr_close(&lr);
	return rc < 0 ? -1 : 0;
}

/* The spooled rows into the open transaction; -1 if the spool could not be read back whole. */
static int
send_rows(int64_t rows)
{
	struct lineread lr;
	struct line l;
	struct rankrow r;
	struct store_row row;
	char err[ERR_SIZE];
	int64_t id = 0;
	int rc;

	if (lseek(spool, 0, SEEK_SET) != 0)
		return warnmsg("%s: temporary file: %s", spooldir, strerror(errno)), -1;
	/* lineread reads any descriptor: stdin's reader, pointed at the spool. */
	lr_open(&lr, NULL);
	lr.fd = spool;
	lr.name = "temporary file";
	while ((rc = lr_next(&lr, &l)) > 0) {
		parse(&lr, &l, &r);
		row.category = r.f[F_CATEGORY].p;
		row.categorylen = r.f[F_CATEGORY].len;
		row.product = r.f[F_PRODUCT].p;
		row.productlen = r.f[F_PRODUCT].len;
		row.rank = r.rank;
		row.total = r.total;
		if (store_row(store, &row, ++id, err, sizeof err) < 0)
			dbfail(err);
	}
	lr_close(&lr);
	spool = -1;
	if (rc == 0 && id != rows)
		warnmsg("%s: temporary file: %" PRId64 " rows read back of %" PRId64, spooldir, id, rows);
	return rc < 0 || id != rows ? -1 : 0;
}

/* The meta row of the new ranking: when it was loaded, the window it covers, its counts. */
static void
commit(const struct window *w, const struct rankstate *st)
{
	char times[3][TS_BUFSIZE], err[ERR_SIZE];
	struct store_meta m = { 0 };

	m.loaded_at = ts_format(times[0], instant_now());
	m.window_since = w->set ? ts_format(times[1], w->from) : NULL;
	m.window_until = w->set ? ts_format(times[2], w->to) : NULL;
	m.rows = st->rows;
	m.categories = st->categories;
	if (store_commit(store, &m, err, sizeof err) < 0)
		dbfail(err);
	store_close(store);
	store = NULL;
}

/*
 * The operands, read and checked whole as one ranking, replace the old one,
 * or nothing changes. The database is opened and locked only then, so that it
 * is held for the time of the load itself, not of the stages before it.
 */
static int
load(char **operands, const struct window *w, int allow_empty)
{
	struct rankstate st;
	char err[ERR_SIZE];
	int status = 0;

	spool_open();
	memset(&st, 0, sizeof st);
	idset_init(&st.products);
	if (*operands == NULL && read_file(NULL, &st) < 0)
		status = EXIT_DATA;
	for (; *operands != NULL; operands++)
		if (read_file(*operands, &st) < 0)
			status = EXIT_DATA;
	idset_free(&st.products);
	if (status != 0)
		fatal(status, "%s: not loaded: an input could not be read", dbname);
	if (st.rows == 0 && !allow_empty)
		fatal(EXIT_DATA, "%s: not loaded: the input has no rows (see --allow-empty)", dbname);
	spool_flush();
	db_open();
	if (store_begin(store, err, sizeof err) < 0)
		dbfail(err);
	if (send_rows(st.rows) < 0) {
		store_abandon(store);
		fatal(EXIT_DATA, "%s: not loaded: the temporary file could not be read back", dbname);
	}
	commit(w, &st);
	return 0;
}

/* sr-load --init: the tables made where there are none (the one step that needs CREATE), nothing loaded. */
static int
init(void)
{
	char err[ERR_SIZE];

	db_open();
	if (store_init(store, err, sizeof err) < 0)
		dbfail(err);
	store_close(store);
	store = NULL;
	return 0;
}

int
main(int argc, char *argv[])
{
	int c, allow_empty = 0, init_only = 0;
	struct window w = { 0 };
	char err[ERR_SIZE];

	prog_init(argv);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (window_option(&w, c, optarg))
			continue;
		switch (c) {
		case OPT_ALLOW_EMPTY:
			allow_empty = 1;
			break;
		case OPT_DB:
			dbpath = optarg;
			break;
		case OPT_INIT:
			init_only = 1;
			break;
		case OPT_TIMEOUT:
			timeout = (int)arg_count("--timeout", optarg, 1, TIMEOUT_MAX);
			break;
		default:
			std_option(c, usagetext, abouttext);
		}
	}
	argv += optind;
	if (store_check_where(dbpath, err, sizeof err) < 0)
		fatal(EXIT_USAGE, "--db: %s", err);
	dbname = store_is_pg(dbpath) ? "postgresql" : dbpath;
	if (init_only && (*argv != NULL || w.set || allow_empty))
		fatal(EXIT_USAGE, "--init loads nothing: it takes no file, --allow-empty or window (load after it)");
	if (init_only)
		return init();
	if (w.set)
		window_finish(&w);
	return load(argv, &w, allow_empty);
}
