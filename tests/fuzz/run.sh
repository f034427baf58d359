#!/bin/sh
# Build the libFuzzer targets of tests/fuzz, replay each seed corpus, then fuzz each for SECONDS (default 10).
#
# Usage: tests/fuzz/run.sh [SECONDS]
# Environment: FUZZ_BUILD (build directory, default "${TMPDIR:-/tmp}/sr-fuzz"), FUZZ_CC (default clang).
# Fuzzing works on a copy of each corpus; the committed one is never written. A crash leaves its input,
# the log and the reproducing command in the build directory. Exit status: 0 clean, 1 a crash or a
# failed build, 2 usage.
set -u
cd "$(dirname "$0")/../.." || exit 1

secs=${1:-10}
case "$secs" in
'' | *[!0-9]*)
	echo "usage: tests/fuzz/run.sh [SECONDS]" >&2
	exit 2
	;;
esac
cc=${FUZZ_CC:-clang}
build=${FUZZ_BUILD:-${TMPDIR:-/tmp}/sr-fuzz}
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Ilib"

if ! command -v "$cc" > /dev/null 2>&1; then
	echo "run.sh: $cc not found: the fuzz targets need clang with libFuzzer (apt-get install clang)" >&2
	exit 1
fi
mkdir -p "$build" || exit 1
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    > "$build/probe.c"
# shellcheck disable=SC2086 # flags is a list of words
if ! "$cc" $flags -o "$build/probe" "$build/probe.c" > "$build/probe.log" 2>&1; then
	cat "$build/probe.log" >&2
	echo "run.sh: $cc cannot build a libFuzzer target (-fsanitize=fuzzer): is libFuzzer installed?" >&2
	exit 1
fi

# Last "#N" status line, or "Done N runs": how many inputs a run executed.
execs() {
	n=$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$1" | tail -n 1)
	[ -n "$n" ] || n=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$1" | tail -n 1)
	echo "${n:-0}"
}

# lib/ without the ranking store, which needs libpq and which no target reads.
libsrc=""
for f in lib/*.c; do
	case $f in
	lib/store*) ;;
	*) libsrc="$libsrc $f" ;;
	esac
done
failed=0
for src in tests/fuzz/fuzz-*.c; do
	t=$(basename "$src" .c)
	name=${t#fuzz-}
	bin="$build/$t"
	log="$build/$t.log"
	# shellcheck disable=SC2086
	if ! "$cc" $flags "$src" $libsrc -lcsv -lsqlite3 -lz -lzstd -o "$bin" > "$build/$t.build.log" 2>&1; then
		cat "$build/$t.build.log" >&2
		echo "$t: build failed"
		failed=1
		continue
	fi
	rm -rf "$build/$t.corpus" "$build/$t.crashes"
	mkdir -p "$build/$t.crashes" || exit 1
	cp -R "tests/fuzz/corpus/$name" "$build/$t.corpus" || exit 1
	# Replay: each seed once, by name, so nothing is written beside it.
	if ! "$bin" -artifact_prefix="$build/$t.crashes/" tests/fuzz/corpus/"$name"/* > "$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "$t: replay of tests/fuzz/corpus/$name failed (log: $log)"
		failed=1
		continue
	fi
	"$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 \
	    -artifact_prefix="$build/$t.crashes/" "$build/$t.corpus" > "$log" 2>&1
	rc=$?
	crashes=$(find "$build/$t.crashes" -type f | wc -l)
	crashes=$((crashes))
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1
	fi
	echo "$t: $(execs "$log") execs, $crashes crashes"
	if [ "$crashes" -ne 0 ]; then
		tail -n 40 "$log" >&2
		for f in "$build/$t.crashes"/*; do
			[ -f "$f" ] && echo "$t: reproduce with: $bin $f" >&2
		done
		failed=1
	fi
done
exit "$failed"
