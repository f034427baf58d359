# sr: sales rank by category, a toolchain of small filters. See README.md and man/sr.7.

VERSION = 0.1.0
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man

CC = cc
CFLAGS = -O2 -g -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -DSR_VERSION=\"$(VERSION)\" -Ilib
LDLIBS = -lcsv -lsqlite3 -lz -lzstd

# O: where objects and binaries go; another O keeps a sanitizer build apart.
O = .

TOOLS = sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load sr-serve sr-hourly
BIN = $(TOOLS:%=$(O)/bin/%)
LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(LIBSRC:lib/%.c=$(O)/lib/%.o)
LIBHDR = $(wildcard lib/*.h)
LIBA = $(O)/lib/libsr.a
MAN1 = $(TOOLS:%=man/%.1)
MAN7 = man/sr.7
UNIT = $(O)/tests/unit/unit
GEN = tests/bench/sr-gen

SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

all: $(BIN) $(UNIT) $(GEN)

# One rule builds every tool the same way: cmd/TOOL.c, its modules of its own
# in cmd/TOOL/ if it has any (sr-hourly, sr-serve), and lib.
.SECONDEXPANSION:
$(O)/bin/%: cmd/%.c $$(wildcard cmd/%/*.c cmd/%/*.h) $(LIBA) $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Icmd/$* $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(LIBA) $(LDLIBS)

# sr-load also writes to PostgreSQL, through libpq.
PGINC = $(shell pg_config --includedir)
$(O)/bin/sr-load: private CPPFLAGS += -I$(PGINC)
$(O)/bin/sr-load: private LDLIBS += -lpq

# sr-serve, the read API, is an HTTP server on libevent, with a thread that reloads.
$(O)/bin/sr-serve: private LDLIBS += -levent -pthread

$(O)/lib/%.o: lib/%.c $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(UNIT): tests/unit/unit.c $(LIBA) $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/unit.c $(LIBA) $(LDLIBS)

$(GEN): tests/bench/sr-gen.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ tests/bench/sr-gen.c

# Installs the Debian packages the build and the tests need (says which), if missing.
deps:
	@sh tests/deps.sh

deps-build:
	@sh tests/deps.sh build

# The quick suite: unit tests, then the bats files against $(O)/bin.
test: all
	@SR_BIN=$(O)/bin SR_UNIT=$(UNIT) sh tests/run.sh

# Everything CI runs: the suite under ASan+UBSan, valgrind, fuzzing, then the
# suite itself, whose "N passed, N failed" line ends the output.
check: deps
	@$(MAKE) --no-print-directory check-sanitize
	@$(MAKE) --no-print-directory memcheck
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test

check-sanitize:
	@$(MAKE) --no-print-directory O=build/sanitize CC=clang \
	    CFLAGS="-O1 -g -std=c11 -Wall -Wextra -Wpedantic -Werror $(SANITIZE)" LDFLAGS="$(SANITIZE)" test

memcheck: all
	@sh tests/memcheck.sh

FUZZ_SECONDS = 60
fuzz:
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# Times sr against DuckDB, datamash, mawk, sqlite3 and the textbook's Python on
# generated logs (installs those peers); BENCH_SIZES="10000000 100000000" for more.
BENCH_SIZES =
bench: all
	@bash tests/bench/bench.sh $(BENCH_SIZES)

# sr-serve under wrk, against nginx serving the same body, and while sr-load reloads every second.
bench-serve: all
	@SR_BIN=$(O)/bin bash tests/bench/bench-serve.sh

# sr-hourly against a full recompute of the week, at BENCH_RATE sales an hour (the
# textbook's rate: about 12 GB of logs in TMPDIR); prints the medians and ratios.
BENCH_RATE = 1400000
bench-hourly: all
	@SR_BIN=$(O)/bin bash tests/bench/bench-hourly.sh $(BENCH_RATE)

demo: deps-build
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

# Static checks. cppcheck's variableScope is off: declarations open each
# block, as in style(9).
TIDY_CHECKS = -*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
lint:
	mandoc -Tlint -W warning $(MAN1) $(MAN7)
	shellcheck -S warning tests/*.sh tests/fuzz/*.sh tests/bench/*.sh .ci/run
	cppcheck --error-exitcode=1 --quiet --std=c11 --enable=warning,style,performance,portability \
	    --suppress=variableScope --inline-suppr $(CPPFLAGS) cmd lib tests/unit tests/bench tests/load tests/fuzz
	clang-tidy --quiet --warnings-as-errors='*' --checks='$(TIDY_CHECKS)' cmd/*.c cmd/*/*.c lib/*.c -- $(CPPFLAGS) -Icmd/sr-hourly -Icmd/sr-serve -I$(PGINC) -std=c11

install: $(BIN)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	cp $(BIN) $(DESTDIR)$(BINDIR)/
	cp $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp $(MAN7) $(DESTDIR)$(MANDIR)/man7/

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(DESTDIR)$(MANDIR)/man7/sr.7

clean:
	rm -rf bin build lib/*.o lib/libsr.a tests/unit/unit $(GEN)
	rm -f sales_rank.db sales_rank.db-wal sales_rank.db-shm

.PHONY: all deps deps-build test check check-sanitize memcheck fuzz bench bench-serve bench-hourly demo lint install uninstall clean
