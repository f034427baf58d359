# sr: sales rank by category, a toolchain of small filters. See README.md and man/sr.7.
#
# CC, CFLAGS, CPPFLAGS and LDFLAGS come from the environment or the command line
# (a packager's dpkg-buildflags, CC=clang); the flags sr needs are added to them,
# never replace them. The version is written here only.

VERSION = 0.1.0
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
SYSTEMDUNITDIR = $(PREFIX)/lib/systemd/system

CFLAGS ?= -O2 -g
WARNFLAGS = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
# What sr needs, then the user's flags, which have the last word (-std=, -Wno-...).
SR_CPPFLAGS = -Ilib -D_POSIX_C_SOURCE=200809L -DSR_VERSION='"$(VERSION)"' $(CPPFLAGS)
SR_CFLAGS = -std=c11 $(WARNFLAGS) $(CFLAGS)
# A tool's own libraries: $(O)/bin/TOOL: private SR_LDLIBS += -lfoo (a variable of
# the Makefile's, so that CPPFLAGS or LDLIBS given on the command line cannot drop them).
SR_LDLIBS = -lcsv -lsqlite3 -lz -lzstd

# O: where objects and binaries go; another O keeps a sanitizer build apart.
O = .

TOOLS = sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load sr-serve sr-hourly
# The tools that need neither libpq (sr-load) nor libevent (sr-serve): make filters.
FILTERS = sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-hourly
BIN = $(TOOLS:%=$(O)/bin/%)
# The ranking store (lib/store*.c) is an archive of its own, linked only by
# the tools that use a database: its PostgreSQL half needs libpq's headers,
# which make filters must not.
STORESRC = $(wildcard lib/store*.c)
STOREOBJ = $(STORESRC:lib/%.c=$(O)/lib/%.o)
STOREA = $(O)/lib/libsrstore.a
LIBSRC = $(filter-out $(STORESRC),$(wildcard lib/*.c))
LIBOBJ = $(LIBSRC:lib/%.c=$(O)/lib/%.o)
LIBHDR = $(wildcard lib/*.h)
LIBA = $(O)/lib/libsr.a
MAN1 = $(TOOLS:%=man/%.1)
MAN7 = man/sr.7
UNIT = $(O)/tests/unit/unit
GEN = $(O)/tests/bench/sr-gen
# The systemd units (see man/sr-serve.1 and man/sr-hourly.1), made with $(BINDIR) in them.
UNITS = $(O)/cmd/systemd/sr-serve.service $(O)/cmd/systemd/sr-hourly.service $(O)/cmd/systemd/sr-hourly.timer

SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# make builds the tools only; the unit tests and the generator have targets of their own.
all: $(BIN) $(UNITS)

filters: $(FILTERS:%=$(O)/bin/%)

unit: $(UNIT)

gen: $(GEN)

# One rule builds every tool the same way: cmd/TOOL.c, its modules of its own
# in cmd/TOOL/ if it has any (sr-hourly, sr-serve), and lib.
.SECONDEXPANSION:
# bin/.needs-TOOL, first, checks the headers the tool needs (NEEDS_TOOL),
# before anything of it (the store, which includes libpq's) is compiled.
$(O)/bin/%: $(O)/bin/.needs-% cmd/%.c $$(wildcard cmd/%/*.c cmd/%/*.h) $$(STORE_$$*) $(LIBA) $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(SR_CPPFLAGS) -Icmd/$* $(SR_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(STORELINK) $(LIBA) $(LDLIBS) $(SR_LDLIBS)

# sr-load and sr-serve use the ranking store, which also speaks to PostgreSQL,
# through libpq: without its headers make says so and stops there (make
# filters, or make -k, builds the others).
PG_CONFIG = pg_config
PGINC := $(shell $(PG_CONFIG) --includedir 2> /dev/null)
STORE_sr-load = $(STOREA)
STORE_sr-serve = $(STOREA)
$(O)/bin/sr-load $(O)/bin/sr-serve: private STORELINK = $(STOREA)
$(O)/bin/sr-load $(O)/bin/sr-serve: private SR_CPPFLAGS += $(PGINC:%=-I%)
$(O)/bin/sr-load $(O)/bin/sr-serve: private SR_LDLIBS += -lpq
NEEDS_sr-load = libpq-fe.h=libpq-dev

# sr-serve, the read API, is an HTTP server on libevent, with a thread that reloads.
NEEDS_sr-serve = event2/event.h=libevent-dev libpq-fe.h=libpq-dev
$(O)/bin/sr-serve: private SR_LDLIBS += -levent -pthread
# Its page is cmd/sr-serve/page.html, whose bytes od and sed write out as a C
# initializer, $(O)/cmd/sr-serve/page.inc, which cmd/sr-serve/page.c includes.
$(O)/bin/sr-serve: $(O)/cmd/sr-serve/page.inc
$(O)/bin/sr-serve: private SR_CPPFLAGS += -I$(O)/cmd/sr-serve
$(O)/cmd/sr-serve/page.inc: cmd/sr-serve/page.html
	@mkdir -p $(@D)
	od -An -v -tx1 cmd/sr-serve/page.html | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' > $@.tmp
	mv -f $@.tmp $@

$(TOOLS:%=$(O)/bin/.needs-%): $(O)/bin/.needs-%:
	@for h in $(NEEDS_$*); do \
	    printf '#include <%s>\n' "$${h%%=*}" | $(CC) $(SR_CPPFLAGS) $(PGINC:%=-I%) -E -o /dev/null - 2> /dev/null || { \
	    echo "make: $* needs <$${h%%=*}>: apt-get install $${h#*=}; make filters builds the tools that do not" >&2; \
	    exit 1; }; done
	@mkdir -p $(@D) && touch $@

$(O)/lib/%.o: lib/%.c $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(SR_CPPFLAGS) $(SR_CFLAGS) -c -o $@ $<

$(O)/lib/store_pg.o: private SR_CPPFLAGS += $(PGINC:%=-I%)

$(LIBA): $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(STOREA): $(STOREOBJ)
	rm -f $@
	ar rcs $@ $(STOREOBJ)

# The store's own test driver (tests/store.bats).
STORETEST = $(O)/tests/store/storetest
store-test: $(STORETEST)
$(STORETEST): tests/store/storetest.c $(STOREA) $(LIBA) $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(SR_CPPFLAGS) $(SR_CFLAGS) $(LDFLAGS) -o $@ tests/store/storetest.c $(STOREA) $(LIBA) $(LDLIBS) $(SR_LDLIBS) -lpq

$(UNIT): tests/unit/unit.c $(LIBA) $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(SR_CPPFLAGS) $(SR_CFLAGS) $(LDFLAGS) -o $@ tests/unit/unit.c $(LIBA) $(LDLIBS) $(SR_LDLIBS)

# The fault sweep's LD_PRELOAD shim (tests/faults/README), built without the
# sanitizers, whose runtime cannot be preloaded beside it.
SHIM = $(O)/tests/faults/failshim.so
$(SHIM): tests/faults/failshim.c
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANITIZE),$(CFLAGS)) -fPIC -shared -o $@ tests/faults/failshim.c -ldl

$(GEN): tests/bench/sr-gen.c
	@mkdir -p $(@D)
	$(CC) $(SR_CPPFLAGS) $(SR_CFLAGS) $(LDFLAGS) -o $@ tests/bench/sr-gen.c

# A unit names the tools by $(BINDIR), which make install may give anew: made
# every time, the file replaced only when it changes.
$(O)/cmd/systemd/%: cmd/systemd/%.in FORCE
	@mkdir -p $(@D)
	@sed 's|@BINDIR@|$(BINDIR)|g' cmd/systemd/$*.in > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; echo "made $@ for $(BINDIR)"; fi

FORCE:

# Installs the Debian packages the build and the tests need (says which), if missing.
deps:
	@sh tests/deps.sh

deps-build:
	@sh tests/deps.sh build

# The quick suite: unit tests, then the bats files against $(O)/bin (sr-gen
# from $(O)/tests/bench when the tree has none of its own).
test: all $(UNIT) $(GEN) $(SHIM) $(STORETEST)
	@PATH="$$PATH:$(abspath $(O)/tests/bench)" SR_BIN=$(O)/bin SR_UNIT=$(UNIT) SR_STORETEST=$(abspath $(STORETEST)) bash tests/run.sh

# Everything CI runs: the suite under ASan+UBSan, valgrind, fuzzing, then the
# suite itself, whose "N passed, N failed" line ends the output. Each bats file
# shows its tests as they end; the soaks run in their short form (make soak).
check: deps
	@$(MAKE) --no-print-directory check-sanitize
	@$(MAKE) --no-print-directory memcheck
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test

# The bats files that test only shell and driver logic (GNU parallel, the Hadoop
# emulation, the suite's own timeouts) run in the plain pass only.
SANITIZE_SKIP = tests/hadoop.bats tests/parallel.bats tests/suite.bats
check-sanitize:
	@SR_BATS="$${SR_BATS:-$(filter-out $(SANITIZE_SKIP),$(wildcard tests/*.bats))}" \
	    $(MAKE) --no-print-directory O=build/sanitize CC=clang \
	    CFLAGS="-O1 -g -std=c11 -Wall -Wextra -Wpedantic -Werror $(SANITIZE)" LDFLAGS="$(SANITIZE)" test

memcheck: all
	@sh tests/memcheck.sh

# The soaks in their long form (SR_SOAK=1; make check runs them short): 200
# kill -9 trials and 1000 reloads under 4 readers (sr-load-crash.bats), every
# invalid UTF-8 id a process (sr-load.bats), every refused PostgreSQL schema
# (sr-load-pg.bats); under ASan+UBSan, then on the plain build. The long fault
# sweep is make faults.
SOAK_BATS = tests/sr-load-crash.bats tests/sr-load.bats tests/sr-load-pg.bats
soak:
	@SR_SOAK=1 SR_BATS="$(SOAK_BATS)" BATS_TEST_TIMEOUT=3600 SR_FILE_TIMEOUT=14400 \
	    $(MAKE) --no-print-directory check-sanitize
	@SR_SOAK=1 SR_BATS="$(SOAK_BATS)" BATS_TEST_TIMEOUT=3600 SR_FILE_TIMEOUT=14400 \
	    $(MAKE) --no-print-directory test

FUZZ_SECONDS = 60
fuzz:
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# The long fault-injection sweep: the n-th call of each kind failing, for every n
# (up to LONG_CAP), in every tool and sr-hourly; then sr-hourly on a small tmpfs
# filled to every level (as root). tests/faults.bats and sr-hourly.bats run short ones.
faults: all $(SHIM)
	@SR_BIN=$(O)/bin FAILSHIM=$(SHIM) bash tests/faults/sweep.sh --long
	@SR_BIN=$(abspath $(O)/bin) bash tests/faults/hourly-disk.sh

# Times sr against DuckDB, datamash, mawk, sqlite3 and the textbook's Python on
# generated logs (installs those peers); BENCH_SIZES="10000000 100000000" for more.
BENCH_SIZES =
bench: all $(GEN)
	@bash tests/bench/bench.sh $(BENCH_SIZES)

# sr-serve under wrk, against nginx serving the same body, and while sr-load reloads every second.
bench-serve: all $(GEN)
	@SR_BIN=$(O)/bin bash tests/bench/bench-serve.sh

# sr-hourly against a full recompute of the week, at BENCH_RATE sales an hour (the
# textbook's rate: about 12 GB of logs in TMPDIR); prints the medians and ratios.
BENCH_RATE = 1400000
bench-hourly: all $(GEN)
	@SR_BIN=$(O)/bin bash tests/bench/bench-hourly.sh $(BENCH_RATE)

demo: deps-build
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

# Static checks. cppcheck's variableScope is off: declarations open each
# block, as in style(9).
TIDY_CHECKS = -*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
lint: $(O)/cmd/sr-serve/page.inc
	mandoc -Tlint -W warning $(MAN1) $(MAN7)
	shellcheck -S warning tests/*.sh tests/fuzz/*.sh tests/bench/*.sh tests/faults/*.sh .ci/run
	cppcheck --error-exitcode=1 --quiet --std=c11 --enable=warning,style,performance,portability \
	    --suppress=variableScope --inline-suppr $(SR_CPPFLAGS) cmd lib tests/unit tests/bench tests/load tests/fuzz tests/faults
	@$(MAKE) --no-print-directory -j$(NPROC) $(TIDY_SRC:%=%.tidy)

# clang-tidy, a source file at a time, as many at once as there are processors.
NPROC = $(shell nproc 2> /dev/null || echo 1)
TIDY_SRC = $(wildcard cmd/*.c cmd/*/*.c lib/*.c)
%.c.tidy: FORCE $(O)/cmd/sr-serve/page.inc
	clang-tidy --quiet --warnings-as-errors='*' --checks='$(TIDY_CHECKS)' $*.c -- $(SR_CPPFLAGS) -Icmd/sr-hourly -Icmd/sr-load -Icmd/sr-serve -I$(O)/cmd/sr-serve $(PGINC:%=-I%) -std=c11

# install(1) with explicit modes, whatever the umask; it removes the old file and
# writes a new one, so installing over a running sr-serve works (cp: "Text file busy").
install: $(BIN) $(UNITS)
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7
	install -m 0644 $(UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(DESTDIR)$(MANDIR)/man7/sr.7
	rm -f $(UNITS:$(O)/cmd/systemd/%=$(DESTDIR)$(SYSTEMDUNITDIR)/%)

clean:
	rm -rf bin build $(UNITS:$(O)/%=%) cmd/sr-serve/page.inc lib/*.o lib/libsr.a lib/libsrstore.a tests/store/storetest tests/unit/unit tests/bench/sr-gen tests/faults/failshim.so
	rm -f sales_rank.db sales_rank.db-wal sales_rank.db-shm

.PHONY: FORCE all filters unit gen store-test deps deps-build test check check-sanitize memcheck soak fuzz faults bench bench-serve bench-hourly demo lint install uninstall clean
