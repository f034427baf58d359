#!/bin/bash
# Build the libFuzzer targets of tests/fuzz, replay each seed corpus, then fuzz each for SECONDS (default 10),
# FUZZ_JOBS targets at a time (default: the number of processors); lib/ is compiled once for all of them.
#
# Usage: tests/fuzz/run.sh [SECONDS]
# Environment: FUZZ_BUILD (build directory, default "${TMPDIR:-/tmp}/sr-fuzz"), FUZZ_CC (default clang),
# FUZZ_JOBS.
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
# A target links libFuzzer (its main); lib/ is only instrumented for it.
common="-g -O1 -fno-sanitize-recover=all -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Ilib"
flags="-fsanitize=fuzzer,address,undefined $common"
libflags="-fsanitize=fuzzer-no-link,address,undefined $common"

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

jobs=${FUZZ_JOBS:-$(nproc)}

# throttle: wait until fewer than $jobs background jobs run.
throttle() {
	while [ "$(jobs -pr | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
}

# lib/ without the ranking store (it needs libpq, and no target reads it),
# instrumented for coverage but without libFuzzer's main: one object a file.
mkdir -p "$build/lib" || exit 1
libobj=()
for f in lib/*.c; do
	case $f in
	lib/store*) continue ;;
	esac
	o=$build/lib/$(basename "$f" .c).o
	libobj+=("$o")
	throttle
	# shellcheck disable=SC2086 # libflags is a list of words
	"$cc" $libflags -c "$f" -o "$o" > "$o.log" 2>&1 &
done
wait
for o in "${libobj[@]}"; do
	if [ ! -s "$o" ] || [ -s "$o.log" ]; then
		cat "$o.log" >&2
		echo "run.sh: ${o##*/}: build failed"
		exit 1
	fi
done

# fuzz TARGET: build it, replay its seeds, fuzz it; its one line of result in
# $build/TARGET.result, which starts with "ok" or "FAILED".
fuzz() {
	local t=$1 name=${1#fuzz-} bin=$build/$1 log=$build/$1.log res=$build/$1.result crashes rc f
	# shellcheck disable=SC2086
	if ! "$cc" $flags "tests/fuzz/$t.c" "${libobj[@]}" -lcsv -lsqlite3 -lz -lzstd -o "$bin" \
	    > "$build/$t.build.log" 2>&1; then
		cat "$build/$t.build.log" >&2
		echo "FAILED $t: build failed" > "$res"
		return
	fi
	rm -rf "$build/$t.corpus" "$build/$t.crashes"
	mkdir -p "$build/$t.crashes" || return
	cp -R "tests/fuzz/corpus/$name" "$build/$t.corpus" || return
	# Replay: each seed once, by name, so nothing is written beside it.
	if ! "$bin" -artifact_prefix="$build/$t.crashes/" tests/fuzz/corpus/"$name"/* > "$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "FAILED $t: replay of tests/fuzz/corpus/$name failed (log: $log)" > "$res"
		return
	fi
	"$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 \
	    -artifact_prefix="$build/$t.crashes/" "$build/$t.corpus" > "$log" 2>&1
	rc=$?
	crashes=$(find "$build/$t.crashes" -type f | wc -l)
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1
	fi
	if [ "$crashes" -eq 0 ]; then
		echo "ok $t: $(execs "$log") execs, 0 crashes" > "$res"
		return
	fi
	tail -n 40 "$log" >&2
	for f in "$build/$t.crashes"/*; do
		[ -f "$f" ] && echo "$t: reproduce with: $bin $f" >&2
	done
	echo "FAILED $t: $(execs "$log") execs, $crashes crashes" > "$res"
}

targets=()
for src in tests/fuzz/fuzz-*.c; do
	targets+=("$(basename "$src" .c)")
done
for t in "${targets[@]}"; do
	rm -f "$build/$t.result"
	throttle
	fuzz "$t" &
done
wait
failed=0
for t in "${targets[@]}"; do
	line=$(cat "$build/$t.result" 2> /dev/null) || line="FAILED $t: no result"
	echo "${line#ok }"
	case $line in ok*) ;; *) failed=1 ;; esac
done
exit "$failed"
