#!/bin/sh
# Run every test: the C unit tests of lib/, then the bats files one at a time,
# each line shown as it comes; end with one "N passed, N failed, N skipped"
# line, which CI reads.
#
# SR_BATS: the bats files to run (default tests/*.bats). SR_SOAK=1 runs the
# long forms of the soaks (make soak). SR_FILE_TIMEOUT: seconds a file may take
# (default 1800), a backstop for what BATS_TEST_TIMEOUT does not cover (a
# setup_file that hangs).
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0 failed=0 skipped=0
out=$(mktemp)
all=$(mktemp)
trap 'rm -f "$out" "$all"' EXIT

echo "== unit tests (tests/unit)"
"${SR_UNIT:-tests/unit/unit}" 2>&1 | tee "$out"
line=$(tail -n 1 "$out")
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
echo "== bats tests of $bin${SR_SOAK:+ (SR_SOAK=$SR_SOAK)}"
for file in ${SR_BATS:-tests/*.bats}; do
	echo "== $file"
	start=$(date +%s)
	SR_BIN=$bin LC_ALL=C timeout -k 30 "$limit" bats --tap --timing "$file" 2>&1 | tee "$out"
	cat "$out" >> "$all"
	took=$(($(date +%s) - start))
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | head -n 1)
	reported=$(grep -c -E '^(not )?ok ' "$out")
	if [ -z "$plan" ]; then
		echo "== $file: bats did not run"
		failed=$((failed + 1))
	elif [ "$took" -ge "$limit" ] || [ "$reported" -lt "$plan" ]; then
		echo "== $file: $reported of $plan tests reported after $took s (SR_FILE_TIMEOUT=$limit)"
		failed=$((failed + 1))
	else
		echo "== $file: $took s"
	fi
done

skip=$(grep -c '^ok .*# skip' "$all")
skipped=$((skipped + skip))
passed=$((passed + $(grep -c '^ok ' "$all") - skip))
failed=$((failed + $(grep -c '^not ok ' "$all")))

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
