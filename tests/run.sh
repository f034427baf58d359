#!/bin/bash
# Run every test: the C unit tests of lib/, then the bats files; end with one
# "N passed, N failed, N skipped" line, which CI reads.
#
# Most bats files run one at a time, each line shown as it comes. A file that
# spends its time waiting rather than computing (on a server's timeouts, on
# clients that trickle, on a database that is made to hang) says so before its
# first test with a line
#	# run.sh: waits N
# (N: about how many seconds it takes under ASan, so that the longest start
# first). Those run after the others, SR_JOBS of them at a time, each shown
# whole when it ends: side by side they take the time of the longest instead of
# the sum, and they leave the processors idle enough not to slow each other's
# timed checks. A file that computes never runs beside another.
#
# SR_BATS: the bats files to run (default tests/*.bats). SR_JOBS: how many
# waiting files at once (default 3; 1 runs everything one at a time).
# SR_SOAK=1 runs the long forms of the soaks (make soak). SR_FILE_TIMEOUT:
# seconds a file may take (default 1800), a backstop for what
# BATS_TEST_TIMEOUT does not cover (a setup_file that hangs).
set -u
cd "$(dirname "$0")/.." || exit 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

echo "== unit tests (tests/unit)"
"${SR_UNIT:-tests/unit/unit}" 2>&1 | tee "$tmp/unit"
line=$(tail -n 1 "$tmp/unit")
case "$line" in
*" passed, "*" failed")
	passed=$((passed + ${line%% passed*}))
	f=${line#*passed, }
	failed=$((failed + ${f%% failed}))
	;;
*)
	echo "unit tests did not finish"
	failed=$((failed + 1))
	;;
esac

bin=$(cd "${SR_BIN:-bin}" && pwd)
limit=${SR_FILE_TIMEOUT:-1800}
jobs=${SR_JOBS:-3}

# bats_file FILE: its TAP lines, with timings.
bats_file() {
	SR_BIN=$bin LC_ALL=C timeout -k 30 "$limit" bats --tap --timing "$1" 2>&1
}

# judge FILE TAP SECONDS: the line that ends a file; a file that did not run
# or did not report every test it planned counts as a failure.
judge() {
	local plan reported
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$2" | head -n 1)
	reported=$(grep -c -E '^(not )?ok ' "$2")
	if [ -z "$plan" ]; then
		echo "== $1: bats did not run"
		echo "$1" >> "$tmp/broken"
	elif [ "$3" -ge "$limit" ] || [ "$reported" -lt "$plan" ]; then
		echo "== $1: $reported of $plan tests reported after $3 s (SR_FILE_TIMEOUT=$limit)"
		echo "$1" >> "$tmp/broken"
	else
		echo "== $1: $3 s"
	fi
}

# waits FILE: the seconds its "# run.sh: waits N" line gives, or nothing.
waits() {
	sed -n '/^@test/q; s/^# run\.sh: waits \([0-9][0-9]*\)$/\1/p' "$1" | head -n 1
}

alone="" waiting=""
for file in ${SR_BATS:-tests/*.bats}; do
	w=$(waits "$file")
	if [ -n "$w" ] && [ "$jobs" -gt 1 ]; then
		waiting="$waiting$w $file"$'\n'
	else
		alone="$alone $file"
	fi
done

echo "== bats tests of $bin${SR_SOAK:+ (SR_SOAK=$SR_SOAK)}"
n=0
for file in $alone; do
	echo "== $file"
	n=$((n + 1))
	start=$(date +%s)
	bats_file "$file" | tee "$tmp/$n.tap"
	judge "$file" "$tmp/$n.tap" $(($(date +%s) - start))
done

if [ -n "$waiting" ]; then
	echo "== the files that mostly wait, $jobs at a time, each shown when it ends"
	running=0
	for file in $(printf '%s' "$waiting" | sort -k1,1nr | cut -d' ' -f2); do
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
		n=$((n + 1))
		echo "== $file started"
		(
			start=$(date +%s)
			bats_file "$file" > "$tmp/$n.tap"
			{
				echo "== $file"
				cat "$tmp/$n.tap"
				judge "$file" "$tmp/$n.tap" $(($(date +%s) - start))
			} > "$tmp/$n.shown"
			flock "$tmp" cat "$tmp/$n.shown"
		) &
		running=$((running + 1))
	done
	wait
fi

cat "$tmp"/*.tap > "$tmp/all" 2> /dev/null
skipped=$(grep -c '^ok .*# skip' "$tmp/all")
passed=$((passed + $(grep -c '^ok ' "$tmp/all") - skipped))
failed=$((failed + $(grep -c '^not ok ' "$tmp/all")))
[ -e "$tmp/broken" ] && failed=$((failed + $(wc -l < "$tmp/broken")))

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
