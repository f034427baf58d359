# sr: sales rank by category, a toolchain of small filters. See README.md and man/sr.7.

VERSION = 0.1.0
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man

CC = cc
CFLAGS = -O2 -g -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -DSR_VERSION=\"$(VERSION)\" -Ilib
LDLIBS = -lcsv -lsqlite3

TOOLS = sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load
BIN = $(TOOLS:%=bin/%)
LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(LIBSRC:.c=.o)
LIBHDR = $(wildcard lib/*.h)
MAN1 = $(TOOLS:%=man/%.1)
MAN7 = man/sr.7
UNIT = tests/unit/unit
GEN = tests/bench/sr-gen

all: $(BIN) $(GEN)

# One rule builds every tool the same way.
bin/%: cmd/%.c lib/libsr.a $(LIBHDR)
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/libsr.a $(LDLIBS)

lib/%.o: lib/%.c $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

lib/libsr.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(UNIT): tests/unit/unit.c lib/libsr.a $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/unit.c lib/libsr.a $(LDLIBS)

$(GEN): tests/bench/sr-gen.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ tests/bench/sr-gen.c

# Installs what the build and the tests need (Debian packages), then builds.
deps:
	@sh tests/deps.sh

check: deps all $(UNIT)
	@sh tests/run.sh

demo: deps all
	@sh tests/demo.sh

lint:
	mandoc -Tlint -W warning $(MAN1) $(MAN7)
	shellcheck -S warning tests/*.sh .ci/run

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	cp $(BIN) $(DESTDIR)$(BINDIR)/
	cp $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp $(MAN7) $(DESTDIR)$(MANDIR)/man7/

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1) $(DESTDIR)$(MANDIR)/man7/sr.7

clean:
	rm -rf bin lib/*.o lib/libsr.a $(UNIT) $(GEN) sales_rank.db sales_rank.db-wal sales_rank.db-shm

.PHONY: all deps check demo lint install uninstall clean
