#!/usr/bin/env bash
# bench-hourly.sh: what an hourly refresh with sr-hourly costs against a full recompute of the week, and how big the map output is against the sales.
#
# usage: tests/bench/bench-hourly.sh [RATE]      (sales an hour; default 1400000, the textbook's 233M a week)
#
# 1. Writes BENCH_HOURS (default 168) + BENCH_RUNS + 1 hours of sales at RATE
#    an hour with sr-gen, in files named for their hour (untimed), and builds
#    the partials of the first window with sr-hourly (timed: the first run).
# 2. BENCH_RUNS times (default 3), one hour later each time: times the hourly
#    refresh (sr-hourly, which maps the new hour and the one before it, whose
#    late file grew, and ranks the week from the partials) and a full recompute
#    of the same window (sr-map over the window's log files | sr-sort |
#    sr-reduce | sr-topk), and checks that the two rankings are identical.
# 3. Maps growing numbers of sales of the same catalogue with sr-map, one job
#    and two under GNU parallel, and counts the lines out against the distinct
#    keys: the map output is bounded by the keys, not the sales.
# Prints medians of wall time and the ratios; the machine is shared, so the
# ratios within a run are what to compare. Exit status 1 if a ranking differs
# or a tool fails.
#
# Environment: BENCH_RUNS, BENCH_HOURS, BENCH_KEEP=1 (keep the temp
# directory), BENCH_LOGS=DIR (write the logs there and keep them, or use those
# already there, from a run at the same RATE), SR_BIN (the sr tools, default
# bin/), TMPDIR (where the logs go: about 46 bytes a sale).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(cd "${SR_BIN:-$root/bin}" && pwd)
export PATH="$bin:$here:$PATH"
rate=${1:-1400000}
runs=${BENCH_RUNS:-3}
span=${BENCH_HOURS:-168}
topk=100
end=1795996800 # 2026-11-30T00:00:00Z: the first window ends here

case $rate in '' | *[!0-9]* | 0) echo "usage: bench-hourly.sh [RATE]" >&2; exit 2 ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/sr-bench-hourly.XXXXXX")
if [ "${BENCH_KEEP:-0}" = 1 ]; then
	echo "keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
cd "$work"

# wall COMMAND...: run COMMAND, its output to stderr, and print its wall time in seconds.
wall() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >&2
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# ratio A B: A / B to 3 places.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); printf "%.2f", NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2 }'
}

# 1. The logs: hours [end - span h, end + runs h], and one more for the late sales.
hours=$((span + runs + 1))
start=$((end - span * 3600))
days=$(((hours + 23) / 24))
for ((e = start - 86400; e <= start + days * 86400 + 3600; e += 3600)); do
	echo "$e $(date -u -d "@$e" +%Y-%m-%dT%H)"
done > hournames
if [ -n "${BENCH_LOGS-}" ] && [ -d "$BENCH_LOGS" ]; then
	echo "using the logs in $BENCH_LOGS" >&2
	ln -s "$BENCH_LOGS" logs
else
	echo "writing $((rate * days * 24)) sales over $days days at $rate an hour, to files per hour" >&2
	if [ -n "${BENCH_LOGS-}" ]; then
		mkdir -p "$BENCH_LOGS"
		ln -s "$BENCH_LOGS" logs
	else
		mkdir logs
	fi
	sr-gen -n $((rate * days * 24)) --seed 7 --days "$days" --end $((start + days * 86400)) --format epoch |
    mawk 'NR == FNR { name[$1] = $2; next } { h = $1 - $1 % 3600; print > ("logs/" name[h] ".tsv") }' \
	hournames FS='\t' -
fi
du -shL logs >&2

first=$(wall sr-hourly --logs logs --state state --hours "$span" --now "$end" -n "$topk" 2> first.log)
echo "first run: $(grep -c ': mapped ' first.log) hours mapped in $first s" >&2

# 2. Hourly refresh against full recompute, one hour later each run.
hourly=() full=() maptimes=()
for ((i = 1; i <= runs; i++)); do
	now=$((end + i * 3600))
	# As in production, the file of the hour before was still being written at
	# the last run: it is newer now, and its hour before it is mapped again.
	touch "logs/$(date -u -d "@$((now - 3600))" +%Y-%m-%dT%H).tsv"
	t=$(wall sr-hourly --logs logs --state state --hours "$span" --now "$now" -n "$topk" 2> run.log)
	hourly+=("$t")
	grep -q "hours mapped 2, up to date $((span - 2)), pruned 1" run.log ||
	    { echo "run $i did not map 2 hours:" >&2; cat run.log >&2; exit 1; }
	cp state/ranking.tsv hourly.tsv
	# The full recompute reads the files of the window's hours and of the hour after.
	files=()
	for ((e = now - span * 3600; e <= now; e += 3600)); do
		files+=(logs/"$(date -u -d "@$e" +%Y-%m-%dT%H)".tsv)
	done
	t=$(wall eval 'sr-map --since $((now - span * 3600)) --until $now "${files[@]}" | sr-sort | sr-reduce |
	    sr-topk -n $topk > full.tsv')
	full+=("$t")
	cmp -s hourly.tsv full.tsv || { echo "run $i: the hourly ranking differs from the full recompute" >&2; exit 1; }
	# What the hourly run spends on mapping its two hours, each from its own
	# file and the next, the rest being the ranking.
	t=$(wall eval 'sr-map --since $((now - 7200)) --until $((now - 3600)) "${files[@]: -3:2}" |
	    sr-sort | sr-reduce > /dev/null && sr-map --since $((now - 3600)) --until $now "${files[@]: -2}" |
	    sr-sort | sr-reduce > /dev/null')
	maptimes+=("$t")
	echo "run $i: hourly ${hourly[-1]} s, full ${full[-1]} s, mapping two hours alone ${maptimes[-1]} s" >&2
done
# The same ranking from all the partials, as without the running sums.
naive=$(wall sr-hourly --logs logs --state state --hours "$span" --now "$now" -n "$topk" --full 2> full.log)
cmp -s state/ranking.tsv full.tsv || { echo "--full: the ranking differs from the full recompute" >&2; exit 1; }
partial_lines=$(cat state/hours/*.tsv | wc -l)
week_keys=$(sr-map --since $((end + runs * 3600 - span * 3600)) --until $((end + runs * 3600)) "${files[@]}" |
    sr-sort | sr-reduce | wc -l)
week_sales=$(cat "${files[@]}" | wc -l)
h=$(median "${hourly[@]}") f=$(median "${full[@]}") m=$(median "${maptimes[@]}")

echo "## Hourly refresh against a full recompute"
echo
echo "$rate sales an hour, a window of $span hours: $week_sales sales in the window's files"
echo "($(du -shL logs | cut -f1) of logs in all), $week_keys distinct keys in the week, $partial_lines lines in the"
echo "$span partials; top $topk. Median of $runs runs, wall seconds."
echo
echo "| run | wall s | × full |"
echo "| --- | ---: | ---: |"
echo "| full recompute: sr-map --since --until (window's files) \\| sr-sort \\| sr-reduce \\| sr-topk | $f | 1 |"
echo "| sr-hourly, one hour later: maps 2 hours, adds 2 partials to the running sums and takes 2 away | $h | $(ratio "$h" "$f") |"
echo "| of which mapping the 2 hours | $m | $(ratio "$m" "$f") |"
echo "| sr-hourly --full: maps nothing, merges all $span partials (one run) | $(printf "%.2f" "$naive") | $(ratio "$naive" "$f") |"
echo "| sr-hourly, first run: maps $span hours | $(printf "%.2f" "$first") | $(ratio "$first" "$f") |"
echo
# The running sums are made afresh from all the partials once a day: that
# run costs about what --full does, so a day of hourly runs averages this.
day=$(awk -v h="$h" -v n="$naive" 'BEGIN { printf "%.2f", (23 * h + n) / 24 }')
echo "Once a day the running sums are made afresh from the partials, a run like --full:"
echo "over a day, an hourly run averages (23 × $h + $(printf "%.2f" "$naive")) / 24 = $day s, $(ratio "$day" "$f") of a full recompute."
echo

# 3. The map output against the sales: the same catalogue, more and more sales.
echo "## Map output against sales"
echo
echo "sr-gen, 200000 products in 1000 categories; map output lines, one sr-map and two under"
echo "GNU parallel --pipepart, against the distinct keys."
echo
echo "| sales | log MB | keys | 1 job: lines out | 2 jobs: lines out | 2 jobs: MB out |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for n in 1000000 4000000 16000000; do
	sr-gen -n "$n" --seed 3 --products 200000 --format epoch > g.tsv
	one=$(sr-map g.tsv | wc -l)
	parallel --pipepart -a g.tsv --block -1 -j 2 sr-map > two
	keys=$(sr-sort two | sr-reduce | wc -l)
	echo "| $n | $(($(stat -c %s g.tsv) / 1000000)) | $keys | $one | $(wc -l < two) | $(($(stat -c %s two) / 1000000)) |"
done
echo
echo "## Two cores"
echo
t1s=() t2s=()
t3s=()
for ((i = 0; i < runs; i++)); do
	t=$(wall eval 'sr-map g.tsv > /dev/null')
	t1s+=("$t")
	t=$(wall eval 'parallel --pipepart -a g.tsv --block -1 -j 2 sr-map > /dev/null')
	t2s+=("$t")
	t=$(wall eval 'parallel -j 2 sr-map --part {}/2 g.tsv ::: 1 2 > /dev/null')
	t3s+=("$t")
done
a=$(median "${t1s[@]}") b=$(median "${t2s[@]}") c=$(median "${t3s[@]}")
echo "sr-map on the 16M-sale log: one job $a s, two jobs under parallel --pipepart $b s:"
echo "$(ratio "$a" "$b")×; two jobs under parallel, each with --part k/2, $c s: $(ratio "$a" "$c")×"
echo "(median of $runs; $(nproc) CPUs)."
