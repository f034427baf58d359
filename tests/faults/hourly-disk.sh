#!/bin/bash
# hourly-disk: sr-hourly with its state directory on a small tmpfs filled to N KiB free, for N across what a run needs: each run is exact or fails leaving the previous ranking and whole sums, and the next run with space is exact.
#
# usage: hourly-disk.sh [--short]
#   --short  every 8 KiB, incremental runs only (make check, through tests/sr-hourly.bats)
#   default  every 4 KiB (a page of tmpfs), incremental runs, --full runs and --jobs 1 (make faults)
# N goes from 0 to the size of the running sums and 96 KiB more: past what a run writes.
# Needs root (mount) and the tools in SR_BIN (default: bin/ beside tests/), sr-gen in tests/bench.
# Prints one line per silently wrong outcome and a summary; exits 1 if there was any, or if the
# sweep did not cross from failing runs to succeeding ones.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${SR_BIN:-$here/../bin}:$here/bench:$PATH"
NOW=1795996800 # 2026-11-30T00:00:00Z
STEP_KB=4 MODES="plain full jobs1"
if [ "${1:-}" = --short ]; then
	STEP_KB=8 MODES=plain
fi

work=$(mktemp -d)
state=$work/state
mkdir "$state"
mount -t tmpfs -o size=8m tmpfs "$state" || { echo "hourly-disk: cannot mount a tmpfs (root?)"; exit 1; }
trap 'umount "$state"; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
cd "$work" || exit 1

# 9 days of sales in files named for their hour; every 20th in the next hour's file.
mkdir logs
sr-gen -n 40000 --seed 7 --products 20000 --categories 6 --days 9 --end $((NOW + 7200)) \
    --returns 5 --format epoch > all.tsv
for ((e = NOW - 10 * 86400; e <= NOW + 7200; e += 3600)); do
	echo "$e $(date -u -d "@$e" +%Y-%m-%dT%H)"
done > hours
awk 'NR == FNR { name[$1] = $2; next }
    { h = $1 - $1 % 3600; if (FNR % 20 == 0) h += 3600; print > ("logs/" name[h] ".tsv") }' \
    hours FS='\t' all.tsv

full() {
	sr-map --since $((NOW - 168 * 3600)) --until "$NOW" logs/* | sr-sort | sr-reduce | sr-topk -n 20
}

hourly() {
	sr-hourly --logs logs --state "$state" -n 20 --now "$NOW" "$@" 2>> run.log
}

# sums_whole: the running sums are those of the partials they say they hold (keys of 0 aside).
sums_whole() {
	local week
	week=$state/$(readlink "$state/week") || return 1
	cmp -s <(sr-reduce -m "$week"/in/*.tsv | awk -F '\t' '$3 != "0"') \
	    <(awk -F '\t' '$3 != "0"' "$week/sums.tsv")
}

# fill KB: leave KB KiB free on the state file system.
fill() {
	local avail
	rm -f "$state/filler"
	avail=$(($(stat -f -c '%a * %S' "$state")))
	if ((avail > $1 * 1024)); then
		fallocate -l $((avail - $1 * 1024)) "$state/filler" || return 1
	fi
}

hourly || { echo "hourly-disk: the first run failed"; cat run.log; exit 1; }
full | cmp -s - "$state/ranking.tsv" || { echo "hourly-disk: the first run is not exact"; exit 1; }
# What a run writes: the running sums, two partials, the ranking and small files; a margin beyond.
MAX_KB=$(($(du -k "$state/week/sums.tsv" | cut -f1) + 96))

tried=0 ok=0 failed=0 wrong=0 i=0
for mode in $MODES; do
	case $mode in
	plain) args=() ;;
	full) args=(--full) ;;
	jobs1) args=(--jobs 1) ;;
	esac
	for ((kb = 0; kb <= MAX_KB; kb += STEP_KB)); do
		i=$((i + 1))
		# Correct an hour's log: a sale that enters the ranking, so a stale ranking shows.
		h=$(sed -n "$((i % 160 + 30))p" hours)
		printf '%s\tp%dz\t%d\t%d\t1\t1\t1\n' $((${h% *} + 60)) "$i" $((i % 6 + 1)) $((100000 + i)) \
		    >> "logs/${h#* }.tsv"
		cp "$state/ranking.tsv" prev
		full > want
		fill "$kb" || { echo "hourly-disk: cannot fill to $kb KiB"; exit 1; }
		tried=$((tried + 1))
		status=0
		hourly "${args[@]}" || status=$?
		if [ "$status" -eq 0 ] && cmp -s want "$state/ranking.tsv"; then
			ok=$((ok + 1))
		elif [ "$status" -eq 1 ] && cmp -s prev "$state/ranking.tsv" && sums_whole &&
		    [ -z "$(find "$state" -name '.tmp*')" ]; then
			failed=$((failed + 1))
		else
			wrong=$((wrong + 1))
			echo "hourly-disk: $mode, $kb KiB free: status $status, ranking $(cmp -s want "$state/ranking.tsv" &&
			    echo new || { cmp -s prev "$state/ranking.tsv" && echo previous || echo other; })"
		fi
		# With the space back, the next run is exact.
		rm -f "$state/filler"
		status=0
		hourly "${args[@]}" || status=$?
		if [ "$status" -ne 0 ] || ! cmp -s want "$state/ranking.tsv" || ! sums_whole; then
			wrong=$((wrong + 1))
			echo "hourly-disk: $mode, after $kb KiB free: the next run with space: status $status," \
			    "ranking $(cmp -s want "$state/ranking.tsv" && echo exact || echo wrong)"
		fi
	done
done
echo "hourly-disk: $tried fill levels tried: $ok exact, $failed failed leaving the previous ranking, $wrong silently wrong"
[ "$wrong" -eq 0 ] && [ "$ok" -gt 0 ] && [ "$failed" -gt 0 ]
