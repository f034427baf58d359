#!/bin/sh
# Run every test: the C unit tests of lib/, then the bats files; end with one "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== unit tests (tests/unit)"
"${SR_UNIT:-tests/unit/unit}" > "$out" 2>&1
cat "$out"
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

echo "== bats tests (tests/*.bats)"
SR_BIN=$(cd "${SR_BIN:-bin}" && pwd) LC_ALL=C bats --tap tests/*.bats > "$out" 2>&1
cat "$out"
p=$(grep -c '^ok .*# skip' "$out")
skipped=$((skipped + p))
p=$(grep -c '^ok ' "$out")
passed=$((passed + p - $(grep -c '^ok .*# skip' "$out")))
f=$(grep -c '^not ok ' "$out")
failed=$((failed + f))
if ! grep -q '^1\.\.[0-9]' "$out"; then
	echo "bats did not run"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
