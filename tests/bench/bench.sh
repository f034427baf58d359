#!/usr/bin/env bash
# bench.sh: times sr against DuckDB, datamash, mawk, sqlite3 and the textbook's Python MapReduce on the same logs.
#
# usage: tests/bench/bench.sh [ROWS ...]        (default: 1000000 10000000)
#
# For each size it writes one epoch-format log with sr-gen (untimed) to a temp
# directory under TMPDIR, then runs every tool BENCH_RUNS times (default 3),
# interleaved, each computing the top 10 per category of the window
# [2026-11-23T00:00:00Z, 2026-11-30T00:00:00Z) from that file; every output is
# compared byte for byte with sr's. It also times each sr stage alone on a file
# of its input, the floors `cat` and `wc -l`, and sr-map as two GNU parallel
# jobs against one. Medians of wall time; peak RSS from /usr/bin/time -f %M.
#
# Writes the Markdown report to stdout and tests/bench/results.md, the raw
# medians to results.csv and a log-log plot to bench.png (BENCH_OUT=DIR to put
# them elsewhere); progress goes to stderr. Exit status 1 if any output differs
# from sr's or any tool fails, 2 on bad usage.
#
# Installs what is missing, saying so: Debian packages datamash sqlite3 mawk
# python3 gnuplot-nox time parallel (and nodejs, npm if there is no node), and
# the npm package @duckdb/node-api into SR_BENCH_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/sr-bench), outside the work tree.
#
# Environment: BENCH_RUNS (runs per tool), BENCH_SEED (sr-gen seed, default 1),
# BENCH_TOOLS (the end-to-end tools to run, of: sr sr_filter duckdb datamash mawk
# sqlite textbook; sr and duckdb always run),
# BENCH_KEEP=1 (keep the temp directory), SR_BIN (the sr tools, default bin/),
# TMPDIR (where the logs go).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${SR_BIN:-$root/bin}
gen=$here/sr-gen
outdir=${BENCH_OUT:-$here}
runs=${BENCH_RUNS:-3}
seed=${BENCH_SEED:-1}
cache=${SR_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sr-bench}
duckdb_version=1.5.6-r.1
py=/usr/bin/python3

now=2026-11-30T00:00:00Z
since=1795392000 # now - 7 days, epoch seconds
until=1795996800 # now
topk=10
tab=$(printf '\t')
# Bytes of temp space per log row: the log (~46), the stage inputs kept for the
# per-stage runs, sort's and parallel's temp files; measured at 10M rows, rounded up.
disk_per_row=160

# End-to-end tools, in the order they run and are reported; BENCH_TOOLS picks
# some (sr and duckdb always run: the ratios are to them), e.g. for a 100M-row
# growth run without the slow peers.
all_tools="sr sr_filter duckdb datamash mawk sqlite textbook"
tools=$all_tools
if [ -n "${BENCH_TOOLS:-}" ]; then
	tools="sr duckdb"
	for t in $all_tools; do
		case " $BENCH_TOOLS " in *" $t "*) case " $tools " in *" $t "*) ;; *) tools="$tools $t" ;; esac ;; esac
	done
fi
declare -A label=(
	[sr]="**sr**: sr-map --now \\| sr-sort \\| sr-reduce \\| sr-topk -n 10"
	[sr_filter]="sr: sr-filter-week --now \\| sr-map \\| sr-sort \\| sr-reduce \\| sr-topk"
	[duckdb]="**DuckDB** (@duckdb/node-api, read_csv + row_number())"
	[datamash]="mawk filter \\| sort \\| datamash -g 1,2 sum 3 \\| sort \\| mawk"
	[mawk]="mawk (sum in an array) \\| sort \\| mawk"
	[sqlite]="sqlite3 CLI: .import + SQL window function"
	[textbook]="textbook 2-step MapReduce, Python streaming + GNU sort"
	[cat]="floor: cat LOG > /dev/null"
	[wc]="floor: wc -l LOG"
)
# Shorter names for the plot's key.
declare -A short=(
	[sr]="sr" [sr_filter]="sr with sr-filter-week" [duckdb]="DuckDB" [datamash]="datamash + sort"
	[mawk]="mawk + sort" [sqlite]="sqlite3" [textbook]="textbook Python MapReduce" [cat]="cat (floor)"
)
stages="filter map sort reduce topk load"
declare -A stage_label=(
	[filter]="sr-filter-week --now > /dev/null" [map]="sr-map --now" [sort]="sr-sort < input"
	[reduce]="sr-reduce" [topk]="sr-topk -n 10" [load]="sr-load (SQLite)"
)
declare -A stage_input=(
	[filter]="log" [map]="log" [sort]="sr-map output" [reduce]="sr-sort output"
	[topk]="sr-reduce output" [load]="ranking"
)

failed=0
say() { printf 'bench: %s\n' "$*" >&2; }
loud() {
	printf '\nbench: !!!!!!!! %s !!!!!!!!\n\n' "$*" >&2
	failed=1
}

usage() {
	echo "usage: tests/bench/bench.sh [ROWS ...]" >&2
	exit 2
}

# Installs the Debian packages and the npm package the peers need, if missing, saying which.
install_peers() {
	local p missing=""
	for p in datamash sqlite3 mawk python3 gnuplot-nox time parallel; do
		case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
		*"install ok installed"*) ;;
		*) missing="$missing $p" ;;
		esac
	done
	command -v node > /dev/null || missing="$missing nodejs"
	command -v npm > /dev/null || missing="$missing npm"
	if [ -n "$missing" ]; then
		say "installing Debian packages:$missing"
		[ "$(id -u)" -eq 0 ] || { say "not root: run  apt-get install$missing  as root"; exit 1; }
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
	fi
	if [ ! -f "$cache/node_modules/@duckdb/node-api/package.json" ]; then
		say "installing npm package @duckdb/node-api@$duckdb_version into $cache"
		mkdir -p "$cache"
		npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
			"@duckdb/node-api@$duckdb_version" >&2
	fi
	export SR_BENCH_NODE_MODULES=$cache
}

build_sr() {
	local t
	for t in sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load; do
		[ -x "$bin/$t" ] || { say "building sr (make all)"; make -C "$root" all >&2; break; }
	done
	[ -x "$gen" ] || make -C "$root" all >&2
}

# Runs a command under /usr/bin/time, appending its peak RSS in KiB and its user
# and system CPU seconds (its waited children's included) to $rssdir/KEY.
rss() {
	local key=$1
	shift
	/usr/bin/time -a -o "$rssdir/$key" -f '%M %U %S' "$@"
}

# The tools. Each writes its ranking to stdout; KEY.STAGE names each process's RSS.
tool_sr() {
	rss sr.map "$bin/sr-map" --now "$now" "$log" | rss sr.sort "$bin/sr-sort" |
		rss sr.reduce "$bin/sr-reduce" | rss sr.topk "$bin/sr-topk" -n "$topk"
}
tool_sr_filter() {
	rss sr_filter.filter "$bin/sr-filter-week" --now "$now" "$log" | rss sr_filter.map "$bin/sr-map" |
		rss sr_filter.sort "$bin/sr-sort" | rss sr_filter.reduce "$bin/sr-reduce" |
		rss sr_filter.topk "$bin/sr-topk" -n "$topk"
}
tool_duckdb() {
	rss duckdb.node node "$here/duckdb.mjs" "$log" "$since" "$until" "$topk"
}
# Ranks "category<TAB>product<TAB>total" lines sorted by category, total desc, product.
rank_awk='$1 != c { c = $1; n = 0 } ++n <= k { print $1 "\t" n "\t" $2 "\t" $3 }'
tool_datamash() {
	rss datamash.filter mawk -F '\t' -v lo="$since" -v hi="$until" \
		'$1 >= lo && $1 < hi { print $3 "\t" $2 "\t" $4 }' "$log" |
		rss datamash.sort1 sort -t "$tab" -k1,1 -k2,2 |
		rss datamash.datamash datamash -g 1,2 sum 3 |
		rss datamash.sort2 sort -t "$tab" -k1,1 -k3,3nr -k2,2n |
		rss datamash.rank mawk -F '\t' -v k="$topk" "$rank_awk"
}
tool_mawk() {
	rss mawk.sum mawk -F '\t' -v lo="$since" -v hi="$until" \
		'$1 >= lo && $1 < hi { s[$3 "\t" $2] += $4 } END { for (key in s) print key "\t" s[key] }' "$log" |
		rss mawk.sort sort -t "$tab" -k1,1 -k3,3nr -k2,2n |
		rss mawk.rank mawk -F '\t' -v k="$topk" "$rank_awk"
}
tool_sqlite() {
	rss sqlite.sqlite3 sqlite3 -batch < "$work/rank.sql"
}
tool_textbook() {
	rss textbook.map1 "$py" "$here/textbook_mapper.py" --since "$since" --until "$until" < "$log" |
		rss textbook.sort1 sort -t "$tab" -k1,1 -k2,2 |
		rss textbook.reduce1 "$py" "$here/textbook_reducer.py" |
		rss textbook.map2 "$py" "$here/textbook_mapper.py" --step 2 |
		rss textbook.sort2 sort -t "$tab" -k1,1 -k2,2nr -k3,3n |
		rss textbook.reduce2 "$py" "$here/textbook_reducer.py" --step 2 -n "$topk"
}
tool_cat() { cat "$log"; }
tool_wc() { wc -l < "$log"; }

write_sqlite_script() {
	cat > "$work/rank.sql" <<EOF
CREATE TABLE sales (ts INTEGER, product INTEGER, category TEXT, qty INTEGER,
	price TEXT, seller TEXT, buyer TEXT);
.mode tabs
.import "$log" sales
.headers off
WITH totals AS (
	SELECT category, product, sum(qty) AS total FROM sales
	WHERE ts >= $since AND ts < $until
	GROUP BY category, product
), ranked AS (
	SELECT category, product, total,
		row_number() OVER (PARTITION BY category ORDER BY total DESC, product ASC) AS rank
	FROM totals
)
SELECT category, rank, product, total FROM ranked WHERE rank <= $topk ORDER BY category, rank;
EOF
}

# Runs FUNCTION [ARG ...] with stdout to OUT, appending its wall seconds to $tdir/KEY.
timed() {
	local key=$1 out=$2 t0 t1 status=0
	shift 2
	# The last run's output goes first: emptying it (200 MB of sr-map's at
	# 100M rows) is not the work of the run that follows. A file only: OUT
	# may be /dev/null.
	if [ -f "$out" ]; then
		rm -f "$out"
	fi
	t0=$EPOCHREALTIME
	"$@" > "$out" || status=$?
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >> "$tdir/$key"
	if [ "$status" -ne 0 ]; then
		loud "$key ($rows rows) FAILED with status $status"
		echo "FAILED" > "$tdir/$key.status"
	fi
	return 0
}

# Compares OUT with sr's ranking; a difference is loud and fails the run.
check_same() {
	local key=$1 out=$2
	if ! cmp -s "$ref" "$out"; then
		loud "$key ($rows rows): output differs from sr's: $(cmp "$ref" "$out" 2>&1 | head -1)"
		diff "$ref" "$out" | head -6 >&2 || true
		echo "MISMATCH" > "$tdir/$key.status"
	fi
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Largest RSS, in KiB, of the files $rssdir/PREFIX*; time's own status lines are skipped.
peak_rss() { cat "$rssdir/$1"* 2> /dev/null | awk '/^[0-9]+ / && $1 > m { m = $1 } END { print m + 0 }'; }
# Median over the runs of the CPU seconds (user + system) of all the processes $rssdir/PREFIX*:
# line N of each file is run N.
cpu_median() {
	local f
	for f in "$rssdir/$1"*; do
		[ -f "$f" ] && awk '/^[0-9]+ / { print $2 + $3 }' "$f" > "$f.cpu"
	done
	# shellcheck disable=SC2046 # one file name per process
	paste $(ls "$rssdir/$1"*.cpu 2> /dev/null) < /dev/null | awk '{ t = 0; for (i = 1; i <= NF; i++) t += $i; print t }' > "$rssdir/cpu.sum"
	rm -f "$rssdir/$1"*.cpu
	if [ -s "$rssdir/cpu.sum" ]; then median "$rssdir/cpu.sum"; else echo 0; fi
}
status_of() { if [ -f "$tdir/$1.status" ]; then cat "$tdir/$1.status"; else echo "identical"; fi; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
fmt_s() { awk -v s="$1" 'BEGIN { printf (s < 10 ? "%.3f" : "%.2f"), s }'; }
# Numbers with thousands separators, for reading.
thousands() { printf '%s' "$1" | sed ':a;s/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/;ta'; }

check_disk() {
	local need avail
	need=$((rows * disk_per_row / 1024))
	avail=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
	if [ "$avail" -lt "$need" ]; then
		say "$rows rows need about $((need / 1024)) MiB in $work, only $((avail / 1024)) MiB free"
		exit 1
	fi
}

run_e2e() {
	local r t
	for r in $(seq "$runs"); do
		say "$rows rows: end to end, run $r of $runs"
		for t in $tools cat wc; do
			case $t in
			cat) timed "$t" /dev/null "tool_$t" ;;
			*) timed "$t" "$work/out.$t" "tool_$t" ;;
			esac
			case $t in
			sr)
				if [ ! -s "$ref" ] && [ ! -f "$tdir/sr.status" ]; then cp "$work/out.sr" "$ref"; fi
				[ -s "$ref" ] || { loud "sr gave no ranking at $rows rows: nothing to compare with"; exit 1; }
				check_same "$t" "$work/out.$t"
				;;
			cat | wc) ;;
			*) check_same "$t" "$work/out.$t" ;;
			esac
		done
	done
}

# Each stage alone on a file of its input; KEY stage.NAME.
stage_run() {
	case $1 in
	# Into /dev/null, as the floors: into a file, its 3.2 GB at 100M rows
	# would time the disk's writeback; into a pipe, the reader too.
	filter) rss stage.filter "$bin/sr-filter-week" --now "$now" "$log" > /dev/null ;;
	map) rss stage.map "$bin/sr-map" --now "$now" "$log" ;;
	sort) rss stage.sort "$bin/sr-sort" < "$st/map" ;; # stdin, as in the pipeline
	reduce) rss stage.reduce "$bin/sr-reduce" "$st/sort" ;;
	topk) rss stage.topk "$bin/sr-topk" -n "$topk" "$st/reduce" ;;
	load)
		rm -f "$st/x.db" "$st/x.db-wal" "$st/x.db-shm"
		rss stage.load "$bin/sr-load" --db "$st/x.db" --now "$now" "$st/topk"
		;;
	esac
}

run_stages() {
	local r s
	for r in $(seq "$runs"); do
		say "$rows rows: stages alone, run $r of $runs"
		for s in $stages; do
			timed "stage.$s" "$st/$s" stage_run "$s"
		done
	done
	check_same "stage.topk" "$st/topk"
	declare -gA stage_in_bytes stage_in_rows
	for s in $stages; do
		case $s in
		filter | map) stage_in_bytes[$s]=$log_bytes; stage_in_rows[$s]=$log_rows ;;
		sort) stage_in_bytes[$s]=$(wc -c < "$st/map"); stage_in_rows[$s]=$(wc -l < "$st/map") ;;
		reduce) stage_in_bytes[$s]=$(wc -c < "$st/sort"); stage_in_rows[$s]=$(wc -l < "$st/sort") ;;
		topk) stage_in_bytes[$s]=$(wc -c < "$st/reduce"); stage_in_rows[$s]=$(wc -l < "$st/reduce") ;;
		load) stage_in_bytes[$s]=$(wc -c < "$st/topk"); stage_in_rows[$s]=$(wc -l < "$st/topk") ;;
		esac
	done
	window_rows=$("$bin/sr-filter-week" --now "$now" "$log" | wc -l)
}

map_one() { "$bin/sr-map" --now "$now" "$log"; }
map_two() { parallel --will-cite --pipepart -a "$log" --block -1 -j2 "$bin/sr-map" --now "$now"; }
map_part() { parallel --will-cite -j2 "$bin/sr-map" --now "$now" --part '{}/2' "$log" ::: 1 2; }
# The control: two whole sr-map runs side by side, which two real cores finish in the time of one.
map_pair() { { map_one > /dev/null & map_one > /dev/null; wait; } > /dev/null; }
chain_one() { map_one | "$bin/sr-sort" | "$bin/sr-reduce"; }
chain_two() { map_two | "$bin/sr-sort" | "$bin/sr-reduce"; }
chain_part() { map_part | "$bin/sr-sort" | "$bin/sr-reduce"; }
twocore_runs="map_one map_two map_part map_pair chain_one chain_two chain_part"

run_two_core() {
	local r k
	for r in $(seq "$runs"); do
		say "$rows rows: two-core check, run $r of $runs"
		for k in $twocore_runs; do
			timed "twocore.$k" "$work/tc.$k" "$k"
		done
	done
	for k in chain_two chain_part; do
		if ! cmp -s "$work/tc.chain_one" "$work/tc.$k" || ! cmp -s "$work/tc.chain_one" "$st/reduce"; then
			loud "two-core check ($rows rows): sr-reduce output after two sr-map jobs ($k) differs from one"
			echo "MISMATCH" > "$tdir/twocore.$k.status"
		fi
	done
}

csv_row() { printf '%s\n' "$(IFS=,; echo "$*")" >> "$csv"; }

# Appends this size's tables to the report and its medians to the CSV.
report_size() {
	local t s m duck srm k c duckcpu
	for t in $tools cat wc; do median_of[$t]=$(median "$tdir/$t"); done
	duck=${median_of[duckdb]}
	srm=${median_of[sr]}
	{
		echo
		echo "## $(thousands "$rows") rows"
		echo
		echo "Log $(awk -v b="$log_bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB, $(thousands "$log_rows") lines," \
			"$(thousands "$window_rows") in the window; ranking $(wc -l < "$ref") lines."
		echo
		echo "| tool | median wall s | × DuckDB | × sr | CPU s | CPU × DuckDB | peak RSS MiB | output vs sr |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
		duckcpu=$(cpu_median duckdb.)
		for t in $tools cat wc; do
			m=${median_of[$t]}
			case $t in
			cat | wc) echo "| ${label[$t]} | $(fmt_s "$m") | $(ratio "$m" "$duck") | $(ratio "$m" "$srm") | – | – | – | – |" ;;
			*)
				c=$(cpu_median "$t.")
				echo "| ${label[$t]} | $(fmt_s "$m") | $(ratio "$m" "$duck") | $(ratio "$m" "$srm") |" \
					"$(fmt_s "$c") | $(ratio "$c" "$duckcpu") | $(mib "$(peak_rss "$t.")") | $(status_of "$t") |"
				;;
			esac
			k=$(status_of "$t")
			case $t in cat | wc) k="" ;; esac
			csv_row "$rows" e2e "$t" "$runs" "$m" "$(ratio "$m" "$duck")" "$(peak_rss "$t.")" "$log_bytes" "$log_rows" "" "" "$k"
		done
		echo
		printf '%s' "Peak RSS of the largest process for the peers; sr's stages in the pipeline (MiB):" \
			" sr-map $(mib "$(peak_rss sr.map)"), sr-sort $(mib "$(peak_rss sr.sort)")," \
			" sr-reduce $(mib "$(peak_rss sr.reduce)"), sr-topk $(mib "$(peak_rss sr.topk)")"
		case " $tools " in
		*" sr_filter "*)
			printf '%s' "; with sr-filter-week in front: sr-filter-week $(mib "$(peak_rss sr_filter.filter)")," \
				" sr-map $(mib "$(peak_rss sr_filter.map)")" ;;
		esac
		echo "."
		echo
		echo "| sr stage alone | input | MB in | rows in | median s | MB/s | rows/s | peak RSS MiB |"
		echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
		for s in $stages; do
			m=$(median "$tdir/stage.$s")
			echo "| ${stage_label[$s]} | ${stage_input[$s]} |" \
				"$(awk -v b="${stage_in_bytes[$s]}" 'BEGIN { printf "%.1f", b / 1e6 }') |" \
				"$(thousands "${stage_in_rows[$s]}") | $(fmt_s "$m") |" \
				"$(awk -v b="${stage_in_bytes[$s]}" -v s="$m" 'BEGIN { printf "%.0f", b / 1e6 / s }') |" \
				"$(thousands "$(awk -v n="${stage_in_rows[$s]}" -v s="$m" 'BEGIN { printf "%.0f", n / s }')") |" \
				"$(mib "$(peak_rss "stage.$s")") |"
			csv_row "$rows" stage "$s" "$runs" "$m" "" "$(peak_rss "stage.$s")" "${stage_in_bytes[$s]}" "${stage_in_rows[$s]}" \
				"$(awk -v b="${stage_in_bytes[$s]}" -v s="$m" 'BEGIN { printf "%.1f", b / 1e6 / s }')" \
				"$(awk -v n="${stage_in_rows[$s]}" -v s="$m" 'BEGIN { printf "%.0f", n / s }')" "$(status_of "stage.$s")"
		done
		for m in cat wc; do
			echo "| ${label[$m]} | log | $(awk -v b="$log_bytes" 'BEGIN { printf "%.1f", b / 1e6 }') |" \
				"$(thousands "$log_rows") | $(fmt_s "${median_of[$m]}") |" \
				"$(awk -v b="$log_bytes" -v s="${median_of[$m]}" 'BEGIN { printf "%.0f", b / 1e6 / s }') |" \
				"$(thousands "$(awk -v n="$log_rows" -v s="${median_of[$m]}" 'BEGIN { printf "%.0f", n / s }')") | – |"
		done
		echo
		for k in $twocore_runs; do
			median_of[twocore.$k]=$(median "$tdir/twocore.$k")
			csv_row "$rows" twocore "$k" "$runs" "${median_of[twocore.$k]}" "" "" "$log_bytes" "$log_rows" "" "" "$(status_of "twocore.$k")"
		done
		echo "Two cores: the map side as two GNU parallel jobs (\`parallel --pipepart --block -1 -j2 sr-map\`)" \
			"takes $(fmt_s "${median_of[twocore.map_two]}") s against $(fmt_s "${median_of[twocore.map_one]}") s" \
			"for one sr-map, speedup **$(ratio "${median_of[twocore.map_one]}" "${median_of[twocore.map_two]}")×**;" \
			"followed by \`sr-sort | sr-reduce\`: $(fmt_s "${median_of[twocore.chain_two]}") s against" \
			"$(fmt_s "${median_of[twocore.chain_one]}") s, speedup" \
			"**$(ratio "${median_of[twocore.chain_one]}" "${median_of[twocore.chain_two]}")×**" \
			"(totals $(status_of twocore.chain_two)); the two jobs hand sr-sort $(thousands "$(wc -l < "$work/tc.map_two")") lines," \
			"one sr-map $(thousands "$(wc -l < "$work/tc.map_one")")."
		echo
		echo "With \`sr-map --part {}/2\` as the two jobs (\`parallel -j2 sr-map --part {}/2 LOG ::: 1 2\`: each reads" \
			"its own 4 MiB blocks of the file, no copy through parallel): $(fmt_s "${median_of[twocore.map_part]}") s," \
			"speedup **$(ratio "${median_of[twocore.map_one]}" "${median_of[twocore.map_part]}")×**;" \
			"followed by \`sr-sort | sr-reduce\`: $(fmt_s "${median_of[twocore.chain_part]}") s, speedup" \
			"**$(ratio "${median_of[twocore.chain_one]}" "${median_of[twocore.chain_part]}")×** (totals $(status_of twocore.chain_part))," \
			"the two jobs handing sr-sort $(thousands "$(wc -l < "$work/tc.map_part")") lines."
		echo
		echo "Control: two whole sr-map runs side by side take $(fmt_s "${median_of[twocore.map_pair]}") s, against" \
			"$(fmt_s "${median_of[twocore.map_one]}") s for one: the machine gives" \
			"**$(awk -v a="${median_of[twocore.map_one]}" -v b="${median_of[twocore.map_pair]}" 'BEGIN { printf "%.2f", 2 * a / b }')×**" \
			"the throughput of one sr-map with both cores busy, the most two jobs could reach here." \
			"On a shared machine the second core may be busy: see the load average."
	} >> "$md"
	sr_median_at[$rows]=$srm
	for t in $tools; do echo "$rows ${median_of[$t]}" >> "$work/plot.$t"; done
	echo "$rows ${median_of[cat]}" >> "$work/plot.cat"
}

bench_size() {
	rows=$1
	log=$work/log.tsv
	ref=$work/ref.tsv
	st=$work/stages
	tdir=$work/times.$rows
	rssdir=$work/rss.$rows
	mkdir -p "$st" "$tdir" "$rssdir"
	rm -f "$ref"
	check_disk
	say "$rows rows: generating the log (sr-gen -n $rows --seed $seed --format epoch), untimed"
	"$gen" -n "$rows" --seed "$seed" --format epoch > "$log"
	log_bytes=$(wc -c < "$log")
	log_rows=$(wc -l < "$log")
	cat "$log" > /dev/null # into the page cache, so that every tool reads it from memory
	write_sqlite_script
	run_e2e
	run_stages
	run_two_core
	report_size
	rm -rf "$log" "$st" "$work"/out.* "$work"/tc.*
}

plot() {
	local t gp term sep="" lo hi
	lo=$(printf '%s\n' "${sizes[@]}" | sort -n | head -1)
	hi=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
	term="png noenhanced size 1100,640"
	gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo && term="pngcairo noenhanced size 1100,640 font ',10'"
	gp="set terminal $term; set output '$outdir/bench.png';"
	gp="$gp set logscale xy; set grid; set key outside right top; set format x '%.0s%c';"
	gp="$gp set xrange [$lo / 2.0:$hi * 2.0]; set xlabel 'rows in the log (log scale)';"
	gp="$gp set ylabel 'median wall time, s (log scale)'; set title 'sr vs peers: top 10 per category of a week ($runs runs, median)';"
	gp="$gp plot"
	for t in $tools cat; do
		[ -s "$work/plot.$t" ] || continue
		gp="$gp$sep '$work/plot.$t' using 1:2 with linespoints lw 2 title '${short[$t]}'"
		sep=","
	done
	gnuplot -e "$gp"
}

main() {
	local rows_arg prev="" n
	case "$runs" in '' | *[!0-9]* | 0) usage ;; esac
	sizes=("$@")
	[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
	for rows_arg in "${sizes[@]}"; do
		case "$rows_arg" in '' | *[!0-9]* | 0*) usage ;; esac
	done
	install_peers
	build_sr
	mkdir -p "$outdir"
	work=$(mktemp -d "${TMPDIR:-/tmp}/sr-bench.XXXXXX")
	[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM
	md=$work/results.md
	csv=$work/results.csv
	declare -gA median_of sr_median_at
	echo "rows,kind,name,runs,median_s,ratio_duckdb,peak_rss_kib,input_bytes,input_rows,mb_per_s,rows_per_s,status" > "$csv"
	{
		echo "# sr benchmark"
		echo
		echo "Machine: $(nproc) CPUs ($(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //'))," \
			"$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME");" \
			"$(date -u +%Y-%m-%dT%H:%M:%SZ); load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
		echo
		echo "Each tool reads the same log (\`sr-gen --seed $seed --format epoch\`, in the page cache) and writes the" \
			"top $topk of every category for [2026-11-23T00:00:00Z, $now); every output is compared with sr's (cmp)." \
			"Median wall time of $runs runs, the tools interleaved; × DuckDB and × sr are ratios of medians (lower is faster)." \
			"CPU s is the median of the user and system time of all of a tool's processes, which another load on the machine" \
			"changes less than the wall time: DuckDB's threads and sr's stages both count."
		echo "Versions: sr $("$bin/sr-map" --version 2>&1 | head -1 | awk '{ print $NF }'), @duckdb/node-api $duckdb_version (node $(node --version))," \
			"sqlite3 $(sqlite3 --version | cut -d' ' -f1), $(datamash --version | head -1 | sed 's/.*) //;s/^/datamash /'), mawk $(mawk -W version 2>&1 | head -1 | awk '{ print $2 }')," \
			"$("$py" --version), GNU sort $(sort --version | head -1 | awk '{ print $NF }')."
	} > "$md"
	for n in "${sizes[@]}"; do
		bench_size "$n"
	done
	{
		echo
		for n in "${sizes[@]}"; do
			if [ -n "$prev" ] && [ "$n" -gt "$prev" ]; then
				echo "Growth: sr takes $(ratio "${sr_median_at[$n]}" "${sr_median_at[$prev]}")× as long for" \
					"$(thousands "$n") rows as for $(thousands "$prev") ($(ratio "$n" "$prev")× the rows)."
			fi
			prev=$n
		done
		echo
		echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
		[ "$failed" -eq 0 ] || echo "**FAILED: an output differed from sr's or a tool failed; see the messages above.**"
	} >> "$md"
	cp "$md" "$outdir/results.md"
	cp "$csv" "$outdir/results.csv"
	plot || loud "gnuplot failed"
	cat "$md"
	say "wrote $outdir/results.md, $outdir/results.csv, $outdir/bench.png"
	return "$failed"
}

main "$@"
