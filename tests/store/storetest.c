/*
 * storetest: lib/store's read side driven from the command line, for tests/store.bats.
 *
 *   storetest version WHERE          generation, loaded_at, dev:ino
 *   storetest read WHERE [N]         meta, then each row (category, rank, product, total), the
 *                                    row callback failing at row N; then the version read
 *   storetest watch WHERE S K [D]    "listening" or "polling", then (after D s and a
 *                                    store_version, which may take in a notification with
 *                                    its answer) up to K times: wait S s for the notify fd,
 *                                    read, and print the generation read
 *   storetest twice WHERE            two reads on one connection, each row count printed
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "store.h"

struct ctx {
	char *err;
	size_t errsize;
	int64_t n, failat;
	int quiet;
};

static int
on_meta(void *p, const struct store_meta *m)
{
	struct ctx *c = p;

	if (!c->quiet)
		printf("meta %" PRId64 " %s %s %s %" PRId64 " %" PRId64 "\n", m->generation,
		    m->loaded_at != NULL ? m->loaded_at : "NULL", m->window_since != NULL ? m->window_since : "NULL",
		    m->window_until != NULL ? m->window_until : "NULL", m->rows, m->categories);
	return 0;
}

static int
on_row(void *p, const struct store_row *r)
{
	struct ctx *c = p;

	if (++c->n == c->failat) {
		snprintf(c->err, c->errsize, "refused at row %" PRId64, c->n);
		return -1;
	}
	if (!c->quiet)
		printf("%.*s\t%" PRId64 "\t%.*s\t%" PRId64 "\n", (int)r->categorylen, r->category, r->rank,
		    (int)r->productlen, r->product, r->total);
	return 0;
}

static struct store *
open_or_die(const char *where)
{
	char err[512];
	struct store *s = store_open_reader(where, err, sizeof err);

	if (s == NULL)
		fatal(EXIT_DATA, "%s: %s", where, err);
	return s;
}

static void
print_version(struct store *s)
{
	struct store_version v;
	char err[512];

	if (store_version(s, &v, err, sizeof err) < 0)
		fatal(EXIT_DATA, "version: %s", err);
	printf("version %" PRId64 " %s %llu:%llu\n", v.generation, v.loaded_at[0] != '\0' ? v.loaded_at : "-",
	    v.dev, v.ino);
}

int
main(int argc, char *argv[])
{
	char err[512];
	struct ctx c = { err, sizeof err, 0, 0, 0 };
	struct store_version v;
	struct store *s;
	int i, k, fd;

	prog_init(argv);
	if (argc < 3)
		fatal(EXIT_USAGE, "usage: storetest version|read|watch|twice WHERE ...");
	s = open_or_die(argv[2]);
	if (strcmp(argv[1], "version") == 0) {
		print_version(s);
	} else if (strcmp(argv[1], "read") == 0) {
		c.failat = argc > 3 ? atoll(argv[3]) : 0;
		if (store_read(s, on_meta, on_row, &c, err, sizeof err) < 0) {
			printf("error %s\n", err);
			/* The connection is usable after a callback's refusal. */
			print_version(s);
			store_close(s);
			return EXIT_DATA;
		}
		store_read_version(s, &v);
		printf("read %" PRId64 " %s %llu:%llu\n", v.generation, v.loaded_at, v.dev, v.ino);
	} else if (strcmp(argv[1], "twice") == 0) {
		c.quiet = 1;
		for (i = 0; i < 2; i++) {
			c.n = 0;
			if (store_read(s, on_meta, on_row, &c, err, sizeof err) < 0)
				fatal(EXIT_DATA, "read: %s", err);
			printf("rows %" PRId64 "\n", c.n);
		}
	} else if (strcmp(argv[1], "watch") == 0 && (argc == 5 || argc == 6)) {
		fd = store_notify_fd(s);
		printf("%s\n", fd < 0 ? "polling" : "listening");
		fflush(stdout);
		if (argc == 6) {
			sleep((unsigned)atoi(argv[5]));
			print_version(s);
			fflush(stdout);
		}
		for (k = 0; fd >= 0 && k < atoi(argv[4]); k++) {
			struct pollfd p = { fd, POLLIN, 0 };

			if (poll(&p, 1, atoi(argv[3]) * 1000) <= 0) {
				printf("timeout\n");
				break;
			}
			store_notified(s);
			c.quiet = 1;
			if (store_read(s, on_meta, on_row, &c, err, sizeof err) < 0)
				fatal(EXIT_DATA, "read: %s", err);
			store_read_version(s, &v);
			printf("notified %" PRId64 "\n", v.generation);
			fflush(stdout);
		}
	} else {
		fatal(EXIT_USAGE, "usage: storetest version|read|watch|twice WHERE ...");
	}
	store_close(s);
	return 0;
}
