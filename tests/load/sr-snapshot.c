/* sr-snapshot: read the sales_rank table and its meta row in one read transaction, as a read API would. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A snapshot's signature is
 *   rows|sum(total_sold)|min(product_id)|max(product_id)|categories|
 *   meta.row_count|meta.category_count|meta.window_since|meta.window_until
 * which the tests compute for a ranking file with awk. Two rankings whose
 * product ids differ in every row (A-..., B-...) and whose windows differ give
 * different signatures, and any mix of them, a partly deleted table or a meta
 * row of the other ranking gives neither.
 */
static const char table_sql[] =
    "SELECT count(*), coalesce(sum(total_sold), 0), coalesce(min(product_id), ''),"
    " coalesce(max(product_id), ''), count(DISTINCT category_id) FROM sales_rank";
static const char meta_sql[] =
    "SELECT generation, row_count, category_count, coalesce(window_since, ''),"
    " coalesce(window_until, '') FROM sales_rank_meta WHERE id = 1";

#define BUSY_MS 10000
#define SIGMAX 1200

struct reader {
	sqlite3 *db;
	sqlite3_stmt *table, *meta;
};

static void
die(const char *what, sqlite3 *db)
{
	fprintf(stderr, "sr-snapshot: %s: %s\n", what, db != NULL ? sqlite3_errmsg(db) : "out of memory");
	exit(1);
}

static void
reader_open(struct reader *r, const char *path)
{
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(path, r->db);
	sqlite3_busy_timeout(r->db, BUSY_MS);
	if (sqlite3_prepare_v2(r->db, table_sql, -1, &r->table, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, meta_sql, -1, &r->meta, NULL) != SQLITE_OK)
		die("prepare", r->db);
}

/* One read transaction: the signature into sig, the generation into *gen; nonzero and a message on error. */
static int
snapshot(struct reader *r, char *sig, size_t n, long long *gen, char *err, size_t errn)
{
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(r->table) != SQLITE_ROW)
		goto fail;
	if (sqlite3_step(r->meta) != SQLITE_ROW) {
		snprintf(err, errn, "no meta row");
		goto end;
	}
	snprintf(sig, n, "%lld|%lld|%s|%s|%lld|%lld|%lld|%s|%s",
	    sqlite3_column_int64(r->table, 0), sqlite3_column_int64(r->table, 1),
	    (const char *)sqlite3_column_text(r->table, 2), (const char *)sqlite3_column_text(r->table, 3),
	    sqlite3_column_int64(r->table, 4), sqlite3_column_int64(r->meta, 1),
	    sqlite3_column_int64(r->meta, 2), (const char *)sqlite3_column_text(r->meta, 3),
	    (const char *)sqlite3_column_text(r->meta, 4));
	*gen = sqlite3_column_int64(r->meta, 0);
	sqlite3_reset(r->table);
	sqlite3_reset(r->meta);
	if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	snprintf(err, errn, "%s", sqlite3_errmsg(r->db));
end:
	sqlite3_reset(r->table);
	sqlite3_reset(r->meta);
	sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Which of the expected signatures sig is: its index, or -1. */
static int
which(const char *sig, char **expect, int nexpect)
{
	int i;

	for (i = 0; i < nexpect; i++)
		if (strcmp(sig, expect[i]) == 0)
			return i;
	return -1;
}

/*
 * Snapshots until stopfile exists, plus one more after it does, so the last
 * one sees the database as the writers left it. Creates readyfile after the
 * first. A snapshot is partial if its signature is none of the expected ones
 * or its generation is lower than one seen before.
 */
static int
loop(struct reader *r, const char *readyfile, const char *stopfile, char **expect, int nexpect)
{
	char sig[SIGMAX], err[512];
	long long gen, last = -1, iterations = 0, partial = 0, errors = 0, generations = 0;
	int stop = 0;
	FILE *f;

	while (!stop) {
		stop = access(stopfile, F_OK) == 0;
		if (iterations++ == 1 && (f = fopen(readyfile, "w")) != NULL)
			fclose(f);
		if (snapshot(r, sig, sizeof sig, &gen, err, sizeof err) < 0) {
			if (errors++ < 3)
				fprintf(stderr, "sr-snapshot: error: %s\n", err);
		} else if (which(sig, expect, nexpect) < 0 || gen < last) {
			if (partial++ < 3)
				fprintf(stderr, "sr-snapshot: partial: generation %lld (after %lld): %s\n",
				    gen, last, sig);
		} else if (gen != last) {
			generations++;
			last = gen;
		}
	}
	printf("iterations=%lld partial=%lld errors=%lld generations=%lld last=%lld\n",
	    iterations, partial, errors, generations, last);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct reader r;
	char sig[SIGMAX], err[512];
	long long gen;

	if (argc != 2 && argc < 5) {
		fputs("usage: sr-snapshot db\n"
		      "       sr-snapshot db readyfile stopfile signature ...\n", stderr);
		return 2;
	}
	reader_open(&r, argv[1]);
	if (argc > 2)
		return loop(&r, argv[2], argv[3], argv + 4, argc - 4);
	if (snapshot(&r, sig, sizeof sig, &gen, err, sizeof err) < 0) {
		fprintf(stderr, "sr-snapshot: %s: %s\n", argv[1], err);
		return 1;
	}
	printf("%s\t%lld\n", sig, gen);
	return 0;
}
