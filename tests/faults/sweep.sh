#!/usr/bin/env bash
# sweep: the fault-injection sweep of issue 11: every tool, and sr-hourly, with the n-th call of each kind failing.
#
# usage: tests/faults/sweep.sh [--short | --long] [--case REGEX] [--kind REGEX] [--jobs N] [--keep]
#                              [--known FILE]
#
# For each case (a tool and its options, on small generated inputs) the sweep
# runs the case once without faults, with tests/faults/failshim.so preloaded
# to count the calls of each kind (open read write rename fsync close mmap malloc
# fork exec ftruncate unlink mkdir pipe) that each program of the case makes;
# then, for each program, kind and errno that applies to the kind (ENOSPC EIO
# EMFILE ENOMEM EINTR EAGAIN...; ENOSPC+ is a full disk: that call and every
# later one of the kind fail), it runs the case again with the n-th call failing,
# for n = 1 .. the count (--long: every n, up to LONG_CAP values evenly spread;
# --short: a sample of n) and classifies the outcome:
#   OK-RETRIED     exit 0 and every output identical to the run without faults
#   FAILED-CLEAN   exit 1 (or another status below 124), a message on stderr
#                  (a line that the run without faults did not print), and
#                  every atomic output (a file renamed into place, the database)
#                  either as before the run or complete; stream outputs (stdout,
#                  --rejects, --tee), which the status condemns, may be cut short
#   FAILED-EINTR   as FAILED-CLEAN, but the failed call was an EINTR (not retried)
#   HALF-WRITTEN   exit non-zero, but an atomic output is neither old nor complete
#   SILENTLY-WRONG exit 0 with an output that differs; or no message; or a crash
#                  by a signal; or (cases with state: sr-load, sr-hourly) the next
#                  run without faults does not give exactly the full recompute
#   NOT-REACHED    the run made fewer than n calls of the kind (nothing failed)
# A run that hangs is killed after RUN_TIMEOUT seconds (default 60): SILENTLY-WRONG.
# It prints the injections tried and the outcomes by kind, then each
# HALF-WRITTEN and SILENTLY-WRONG case with a one-line reproducer, and exits 1
# if there is any. With --known FILE, a wrong outcome whose result line
# ("CASE PROG KIND ERRNO N OUTCOME why") matches one of FILE's extended regular
# expressions (one a line, # comments) is a KNOWN-WRONG: listed with its
# reproducer, but not failing the sweep (make check's way to stay green on a
# class found and reported but not yet fixed; make faults takes no --known).
#
# Environment: SR_BIN (the tools, default ./bin: a plain build, since an ASan
# build cannot be preloaded), FAILSHIM (default $SR_BIN/../tests/faults/failshim.so),
# FAULTS_HOURLY=0 to leave sr-hourly out (it is in by default), FAULTS_HOURLY_N
# (the n values tried per program, kind and errno of sr-hourly, default 3 short,
# 12 long), FAULTS_PG=1 (0) to put sr-load into PostgreSQL in (out of) a short
# (long) sweep, FAULTS_HOURLY_PROGS (a regex of the programs of sr-hourly whose calls
# fail: short, the sr tools, sr-hourly itself and sort; long, all of them: awk, mv,
# sync...), LONG_CAP (default 400), FAULTS_SEED.
set -u
export LC_ALL=C TZ=UTC

root=$(cd "$(dirname "$0")/../.." && pwd)
mode=short
case_re=.
kind_re=.
jobs=2
keep=0
known=/dev/null
while [ $# -gt 0 ]; do
	case $1 in
	--short) mode=short ;;
	--long) mode=long ;;
	--case) case_re=$2; shift ;;
	--kind) kind_re=$2; shift ;;
	--jobs) jobs=$2; shift ;;
	--keep) keep=1 ;;
	--known) known=$2; shift ;;
	*) echo "usage: sweep.sh [--short | --long] [--case REGEX] [--kind REGEX] [--jobs N] [--keep] [--known FILE]" >&2; exit 2 ;;
	esac
	shift
done

bin=$(cd "${SR_BIN:-$root/bin}" && pwd) || exit 2
shim=${FAILSHIM:-$bin/../tests/faults/failshim.so}
[ -f "$shim" ] || { echo "sweep: no shim $shim: make $bin/../tests/faults/failshim.so" >&2; exit 2; }
shim=$(cd "$(dirname "$shim")" && pwd)/$(basename "$shim")
if nm -D "$bin/sr-map" 2>/dev/null | grep -q __asan_init || nm "$bin/sr-map" 2>/dev/null | grep -q __asan_init; then
	echo "sweep: $bin is an ASan build, which cannot be preloaded: use a plain build" >&2
	exit 2
fi
hourly=$bin/sr-hourly
[ -x "$hourly" ] || hourly=$root/cmd/sr-hourly
LONG_CAP=${LONG_CAP:-400}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}
# The programs of sr-hourly (a black box of many) whose calls are failed.
if [ "$mode" = long ]; then prog_re=${FAULTS_HOURLY_PROGS:-.}; else prog_re=${FAULTS_HOURLY_PROGS:-'^(sr-|sort$)'}; fi
if [ "$mode" = long ]; then hourly_n=${FAULTS_HOURLY_N:-12}; else hourly_n=${FAULTS_HOURLY_N:-3}; fi
PATH=$bin:$root/tests/bench:$PATH
export PATH
NOW=1795996800 # 2026-11-30T00:00:00Z

work=$(mktemp -d "${TMPDIR:-/tmp}/sr-faults.XXXXXX")
pg=0
cleanup() {
	[ "$pg" -eq 1 ] && "$root/tests/pg.sh" stop "$work/pg.env"
	[ "$keep" -eq 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# sr-load into PostgreSQL (--long, or FAULTS_PG=1): a throwaway server, tests/pg.sh.
if [ "${FAULTS_PG:-$([ "$mode" = long ] && echo 1 || echo 0)}" = 1 ]; then
	unset "${!PG@}"
	if "$root/tests/pg.sh" start "$work/pg.env" > "$work/pg.log" 2>&1; then
		pg=1
		# shellcheck disable=SC1091
		. "$work/pg.env"
	else
		echo "faults: no PostgreSQL (tests/pg.sh start: $(tr '\n' ' ' < "$work/pg.log")): sr-load into it left out"
	fi
fi

# The errnos tried for each kind; a + is a full disk (that call and every later one fail).
errnos_of() {
	case $1 in
	open) echo "EMFILE ENOSPC EIO EINTR ENOMEM" ;;
	read) echo "EIO EINTR" ;;
	write) echo "ENOSPC ENOSPC+ EIO EINTR" ;;
	rename) echo "ENOSPC EIO" ;;
	fsync) echo "EIO ENOSPC" ;;
	close) echo "EIO ENOSPC" ;;
	mmap) echo "ENOMEM" ;;
	malloc) echo "ENOMEM ENOMEM+" ;;
	fork) echo "EAGAIN ENOMEM" ;;
	exec) echo "ENOMEM" ;;
	ftruncate) echo "EIO" ;;
	unlink) echo "EIO" ;;
	mkdir) echo "ENOSPC EIO" ;;
	pipe) echo "EMFILE" ;;
	esac
}

# ---- fixtures: small generated inputs, made once

fix=$work/fixtures
# The long sweep's logs are larger: more keys, sort's temporary files, more reads.
if [ "$mode" = long ]; then rows=40000 products=20000; else rows=4000 products=400; fi
mkdir -p "$fix"
(
	cd "$fix" || exit 1
	sr-gen -n "$rows" --seed "${FAULTS_SEED:-11}" --products "$products" --categories 12 --days 9 \
	    --end "$NOW" --returns 5 > logs.tsv
	printf 'not a log line\n2026-11-29T00:00:00Z\t1\tc1\tx\t1.00\t1\t1\n' >> logs.tsv
	sed 's/\t/,/g' logs.tsv > logs.csv
	printf '"a,b",1,2\n' >> logs.csv
	sr-map --now $NOW --days 7 logs.tsv > mapped.tsv 2>/dev/null
	sr-sort < mapped.tsv > sorted.tsv
	# Three parts of the window, each sorted and summed, for the merges.
	for i in 0 1 2; do
		awk -v i=$i 'NR % 3 == i' logs.tsv | sr-map --now $NOW --days 7 2>/dev/null | sr-sort | sr-reduce > part$i.tsv
	done
	shuf --random-source=<(yes) mapped.tsv > shuffled.tsv
	sr-reduce sorted.tsv > reduced.tsv
	sr-topk -n 10 reduced.tsv > ranking.tsv
	sr-gen -n 500 --seed 5 --products 50 --categories 12 --days 7 --end "$NOW" |
	    sr-map | sr-sort | sr-reduce | sr-topk -n 10 > old-ranking.tsv
	sr-load --db old.db --now $NOW --days 7 old-ranking.tsv
	# sr-hourly: logs in hour files; a state made by an hour-earlier run.
	mkdir -p hlogs
	sr-gen -n 6000 --seed 21 --products 600 --categories 6 --days 3 --end $((NOW + 3600)) \
	    --returns 5 --format epoch > hall.tsv
	awk -F '\t' '{ h = $1 - $1 % 3600; print > ("hlogs/" strftime("%Y-%m-%dT%H", h, 1) ".tsv") }' hall.tsv
) || { echo "sweep: cannot make the fixtures" >&2; exit 2; }

# ---- cases
# Each case_NAME sets: progs (the programs whose calls are failed, as
# /proc/self/comm names them), argv (the command, run in a copy of the case's
# directory), input (stdin, a file of the fixtures or /dev/null), atomic (files
# that must be as before or complete), stream (files that may be cut short when
# the status says so), state (a command printing the durable state, or empty),
# rerun (a command run without faults after a failure, whose state must then be
# that of the run without faults), norm (a filter that stdout goes through before
# it is compared: sr-map's order of keys is free, and so is its summing of
# repeated keys: a key may come out twice when the table cannot grow), prep (a command run before
# each run, in its directory), and fills its directory $1 (given one).

dbdump='sqlite3 -readonly r.db "pragma integrity_check; select category_id, rank, product_id, total_sold from sales_rank order by 1, 2; select window_since, window_until, row_count, category_count from sales_rank_meta"'

pgdump='psql -AtX -c "select category_id, rank, product_id, total_sold from sales_rank order by 1, 2" -c "select window_since, window_until, row_count, category_count from sales_rank_meta"'

case_filter() {
	progs=sr-filter-week argv=(sr-filter-week --now "$NOW" --days 7 --max-rejects 5 --rejects rej.tsv logs.tsv)
	input=/dev/null atomic="" stream="rej.tsv" state="" rerun=""
	[ -n "$1" ] || return 0
	cp "$fix/logs.tsv" "$1/"
}
case_map_tsv() {
	norm="sr-sort | sr-reduce"
	progs=sr-map argv=(sr-map --now "$NOW" --days 7 --max-rejects 5 --rejects rej.tsv logs.tsv)
	input=/dev/null atomic="" stream="rej.tsv" state="" rerun=""
	[ -n "$1" ] || return 0
	cp "$fix/logs.tsv" "$1/"
}
case_map_csv() {
	norm="sr-sort | sr-reduce"
	progs=sr-map argv=(sr-map --csv --now "$NOW" --days 7 --max-rejects 5 --rejects rej.tsv logs.csv)
	input=/dev/null atomic="" stream="rej.tsv" state="" rerun=""
	[ -n "$1" ] || return 0
	cp "$fix/logs.csv" "$1/"
}
# A lenient --max-rejects: a failure must still not pass for rejected lines.
case_map_csv_lenient() {
	norm="sr-sort | sr-reduce"
	progs=sr-map argv=(sr-map --csv --now "$NOW" --days 7 --max-rejects 1000000 logs.csv)
	input=/dev/null atomic="" stream="" state="" rerun=""
	[ -n "$1" ] || return 0
	cp "$fix/logs.csv" "$1/"
}
case_map_stdin() {
	norm="sr-sort | sr-reduce"
	progs=sr-map argv=(sr-map --now "$NOW" --days 7 --max-rejects 5)
	input=$fix/logs.tsv atomic="" stream="" state="" rerun=""
}
case_sort_small() {
	progs=sr-sort argv=(sr-sort)
	input=$fix/mapped.tsv atomic="" stream="" state="" rerun=""
}
case_sort_runs() {
	progs=sr-sort,sort argv=(sr-sort -S 1M)
	input=$fix/shuffled.tsv atomic="" stream="" state="" rerun=""
}
case_sort_merge() {
	progs=sr-sort,sort argv=(sr-sort -m part0.tsv part1.tsv part2.tsv)
	input=/dev/null atomic="" stream="" state="" rerun=""
	[ -n "$1" ] || return 0
	cp "$fix"/part?.tsv "$1/"
}
case_reduce() {
	progs=sr-reduce argv=(sr-reduce)
	input=$fix/sorted.tsv atomic="" stream="" state="" rerun=""
}
case_reduce_m() {
	progs=sr-reduce argv=(sr-reduce -m part0.tsv part1.tsv part2.tsv)
	input=/dev/null atomic="" stream="" state="" rerun=""
	[ -n "$1" ] || return 0
	cp "$fix"/part?.tsv "$1/"
}
case_reduce_s() {
	progs=sr-reduce argv=(sr-reduce -m reduced.tsv part2.tsv -s part0.tsv -s part1.tsv)
	input=/dev/null atomic="" stream="" state="" rerun=""
	[ -n "$1" ] || return 0
	cp "$fix"/part?.tsv "$fix/reduced.tsv" "$1/"
}
case_reduce_tee() {
	progs=sr-reduce argv=(sr-reduce --tee tee.tsv)
	input=$fix/sorted.tsv atomic="" stream="tee.tsv" state="" rerun=""
}
case_topk() {
	progs=sr-topk argv=(sr-topk -n 10 reduced.tsv)
	input=/dev/null atomic="" stream="" state="" rerun=""
	[ -n "$1" ] || return 0
	cp "$fix/reduced.tsv" "$1/"
}
case_load() {
	progs=sr-load argv=(sr-load --db r.db --now "$NOW" --days 7 ranking.tsv)
	input=/dev/null atomic="" stream="" state=$dbdump
	rerun="sr-load --db r.db --now $NOW --days 7 ranking.tsv"
	[ -n "$1" ] || return 0
	cp "$fix/ranking.tsv" "$1/"
	cp "$fix/old.db" "$1/r.db"
}
case_load_stdin() {
	progs=sr-load argv=(sr-load --db r.db --now "$NOW" --days 7)
	input=$fix/ranking.tsv atomic="" stream="" state=$dbdump
	rerun="sr-load --db r.db --now $NOW --days 7 < $fix/ranking.tsv"
	[ -n "$1" ] || return 0
	cp "$fix/old.db" "$1/r.db"
}
# The same into PostgreSQL: each run on a copy (a database made from the
# template sr_old) of a database holding the older ranking.
case_load_pg() {
	progs=sr-load argv=(sr-load --db postgresql:// --timeout 10 --now "$NOW" --days 7 ranking.tsv)
	input=/dev/null atomic="" stream="" state=$pgdump
	rerun="sr-load --db postgresql:// --now $NOW --days 7 ranking.tsv"
	prep='psql -qX -d postgres -c "drop database if exists $PGDATABASE" -c "create database $PGDATABASE template sr_old"'
	[ -n "$1" ] || return 0
	cp "$fix/ranking.tsv" "$1/"
	psql -qX -d postgres -c "drop database if exists sr_old" -c "create database sr_old" > /dev/null 2>&1 &&
	    PGDATABASE=sr_old sr-load --db postgresql:// --init &&
	    PGDATABASE=sr_old sr-load --db postgresql:// --now $NOW --days 7 "$fix/old-ranking.tsv"
}
# sr-hourly, a black box: a state made an hour before, then the run at NOW
# (one new hour, one hour's log corrected) with the faults; the next run
# without faults must equal a full recompute of the window, file and database.
case_hourly() {
	progs=all argv=("$hourly" --logs logs --state state --db r.db --hours 48 -n 10 --now "$NOW")
	input=/dev/null atomic="state/ranking.tsv" stream="" state=$dbdump
	oracle="sr-map --since $((NOW - 48 * 3600)) --until $NOW logs/* | sr-sort | sr-reduce | sr-topk -n 10"
	oracle_file=state/ranking.tsv
	rerun="$hourly --logs logs --state state --db r.db --hours 48 -n 10 --now $NOW"
	[ -n "$1" ] || return 0
	cp -a "$fix/hlogs" "$1/logs"
	(cd "$1" && "$hourly" --logs logs --state state --db r.db --hours 48 -n 10 --now $((NOW - 3600)) \
	    2>/dev/null) || { echo "sweep: sr-hourly: the first run failed" >&2; return 1; }
	touch -d @$((NOW - 7200)) "$1"/logs/*
	touch "$1/logs/$(date -u -d @$((NOW - 5 * 3600)) +%Y-%m-%dT%H).tsv"
}

cases="filter map_tsv map_csv map_csv_lenient map_stdin sort_small sort_runs sort_merge reduce reduce_m
	reduce_s reduce_tee topk load load_stdin"
[ "$pg" = 1 ] && cases="$cases load_pg"
[ "${FAULTS_HOURLY:-1}" = 1 ] && cases="$cases hourly"

# ---- running
norm="cat" prep=""

# run DIR OUT [FAIL_* settings...]: run the case in DIR (argv, input), its
# stdout, stderr and status into OUT.{out,err,status}.
run() {
	local dir=$1 out=$2 st=0
	shift 2
	# (The shell's own "Segmentation fault" notices go to /dev/null: the status tells.)
	{ (cd "$dir" && exec timeout -k 5 "$RUN_TIMEOUT" env "$@" LD_PRELOAD="$shim" "${argv[@]}" \
	    < "$input" > "$out.out" 2> "$out.err"); } 2> /dev/null || st=$?
	echo "$st" > "$out.status"
}

# signature DIR: what the run left: each atomic and stream file (or "absent")
# and the durable state, as one text to compare.
signature() {
	local f
	for f in $atomic $stream; do
		if [ -e "$1/$f" ]; then echo "== $f"; cat "$1/$f"; else echo "== $f absent"; fi
	done
	if [ -n "$state" ]; then
		echo "== state"
		(cd "$1" && eval "$state") 2>&1
	fi
}

# atomic_ok DIR PRE GOOD: every atomic file and the state are as in PRE or as in GOOD.
atomic_ok() {
	local f
	for f in $atomic; do
		if [ -e "$1/$f" ]; then
			cmp -s "$1/$f" "$3/$f" 2>/dev/null || cmp -s "$1/$f" "$2/$f" 2>/dev/null || return 1
		elif [ -e "$2/$f" ]; then
			return 1
		fi
	done
	[ -z "$state" ] && return 0
	(cd "$1" && eval "$state") > "$1.state" 2>&1
	cmp -s "$1.state" "$2.state" || cmp -s "$1.state" "$3.state"
}

# stream_ok DIR GOOD: every stream file is absent or a prefix of its complete self.
stream_ok() {
	local f n
	for f in $stream; do
		[ -e "$1/$f" ] || continue
		n=$(stat -c %s "$1/$f")
		cmp -s -n "$n" "$1/$f" "$3/$f" || return 1
	done
}

# one CASE PROG KIND ERRNO N: one injection; prints "CASE PROG KIND ERRNO N OUTCOME why".
one() {
	local c=$1 p=$2 k=$3 e=$4 n=$5 d=$work/run.$BASHPID st injected why="" outcome persist=0 err=$4
	case $e in *+) persist=1 err=${e%+} ;; esac
	rm -rf "$d" "$d.state"
	cp -a "$work/$c.pre" "$d"
	export PGDATABASE=f$BASHPID
	(cd "$d" && eval "$prep") > /dev/null 2>&1
	run "$d" "$d.r" FAIL_PROG="$p" FAIL_KIND="$k" FAIL_N="$n" FAIL_ERRNO="$err" FAIL_PERSIST=$persist \
	    FAIL_LOG="$d.log"
	st=$(cat "$d.r.status")
	injected=$( [ -f "$d.log" ] && wc -l < "$d.log" || echo 0)
	rm -f "$d.log"
	if [ "$st" -eq 124 ]; then
		outcome=SILENTLY-WRONG why="hung: killed after $RUN_TIMEOUT s"
	elif [ "$st" -ge 128 ]; then
		outcome=SILENTLY-WRONG why="killed by signal $((st - 128))"
	elif [ "$st" -eq 0 ]; then
		signature "$d" > "$d.sig"
		if ! cmp -s "$d.sig" "$work/$c.sig" || ! eval "$norm" < "$d.r.out" | cmp -s - "$work/$c.good.norm"; then
			outcome=SILENTLY-WRONG why="exit 0, output differs from the run without faults"
		elif [ "$injected" -eq 0 ]; then
			outcome=NOT-REACHED
		else
			outcome=OK-RETRIED
		fi
	elif ! grep -q -v -x -F -f "$work/$c.good.r.err" "$d.r.err"; then
		outcome=SILENTLY-WRONG why="exit $st with no message (none but those of the run without faults)"
	elif ! atomic_ok "$d" "$work/$c.pre" "$work/$c.good"; then
		outcome=HALF-WRITTEN why="exit $st, but a file or the database is neither old nor complete"
	elif ! stream_ok "$d" "$work/$c.pre" "$work/$c.good"; then
		outcome=SILENTLY-WRONG why="exit $st, and a stream output is not a prefix of the right one"
	elif [ "$err" = EINTR ]; then
		outcome=FAILED-EINTR
	else
		outcome=FAILED-CLEAN
	fi
	# After a failure, the next run without faults must give the full recompute.
	if [ -n "$rerun" ] && [ "$outcome" != SILENTLY-WRONG ] && [ "$outcome" != NOT-REACHED ]; then
		if ! (cd "$d" && eval "$rerun") > /dev/null 2> "$d.rerr"; then
			outcome=SILENTLY-WRONG why="after exit $st, the next run without faults fails: $(head -c 200 "$d.rerr" | tr '\n' ' ')"
		else
			signature "$d" > "$d.sig"
			if ! cmp -s "$d.sig" "$work/$c.sig"; then
				outcome=SILENTLY-WRONG why="after exit $st, the next run without faults differs from a full recompute"
			fi
		fi
	fi
	if [ "$outcome" = SILENTLY-WRONG ] || [ "$outcome" = HALF-WRITTEN ]; then
		why="$why; stderr: $(head -c 300 "$d.r.err" | tr '\n' ' ')"
	fi
	echo "$c $p $k $e $n $outcome $why"
	rm -rf "$d" "$d".*
}

# sample COUNT CAP: the n to try: all of 1..COUNT if that is at most CAP
# values, else 1, 2, 3, the last two and CAP - 5 spread evenly between.
sample() {
	local count=$1 cap=$2 i
	if [ "$count" -le "$cap" ]; then
		seq 1 "$count"
		return
	fi
	{
		seq 1 3
		for ((i = 1; i <= cap - 5; i++)); do echo $((3 + i * (count - 4) / (cap - 4))); done
		echo $((count - 1)) "$count"
	} | sort -n -u
}

# group CASE PROG KIND ERRNO COUNT: the injections of one program, kind and errno, into results/.
group() {
	local c=$1 p=$2 k=$3 e=$4 count=$5 cap n out
	if [ "$c" = hourly ]; then cap=$hourly_n
	elif [ "$mode" = long ]; then cap=$LONG_CAP
	else cap=12; fi
	out=$work/results/$c.$p.$k.$e
	norm="cat" prep=""
	"case_$c" ""   # sets argv and the rest
	for n in $(sample "$count" "$cap"); do
		one "$c" "$p" "$k" "$e" "$n"
		# Past the count (a run that made fewer calls): no more to fail.
		[ "$(tail -n 1 "$out.tmp" 2>/dev/null | cut -d ' ' -f 6)" = NOT-REACHED ] && [ "$n" -gt 1 ] && break
	done > "$out.tmp"
	mv "$out.tmp" "$out"
}

mkdir -p "$work/results"
echo "faults: $mode sweep of $bin, shim $shim"
started=$(date +%s)
groups=$work/groups
: > "$groups"
for c in $cases; do
	[[ $c =~ $case_re ]] || continue
	mkdir -p "$work/$c.pre"
	norm="cat" oracle="" prep=""
	"case_$c" "$work/$c.pre" || continue
	# The run without faults, twice: its outputs must be the same both times.
	PGDATABASE=sr_old; (cd "$work/$c.pre" && eval "$state") > "$work/$c.pre.state" 2>&1
	for g in good good2; do
		rm -rf "$work/$c.$g"
		cp -a "$work/$c.pre" "$work/$c.$g"
		export PGDATABASE=f$g
		(cd "$work/$c.$g" && eval "$prep") > /dev/null 2>&1
		rm -f "$work/$c.$g.report"
		run "$work/$c.$g" "$work/$c.$g.r" FAIL_REPORT="$work/$c.$g.report"
		[ "$(cat "$work/$c.$g.r.status")" -eq 0 ] ||
		    { echo "sweep: $c: fails without faults:"; cat "$work/$c.$g.r.err"; exit 1; }
		signature "$work/$c.$g" > "$work/$c.$g.sig"
	done
	cmp -s "$work/$c.good.sig" "$work/$c.good2.sig" && cmp -s "$work/$c.good.r.out" "$work/$c.good2.r.out" ||
	    { echo "sweep: $c: two runs without faults differ"; exit 1; }
	cp "$work/$c.good.sig" "$work/$c.sig"
	eval "$norm" < "$work/$c.good.r.out" > "$work/$c.good.norm"
	# Where there is one, the oracle: the run without faults equals a full recompute.
	if [ -n "$oracle" ]; then
		(cd "$work/$c.good" && eval "$oracle") > "$work/$c.oracle" 2>/dev/null
		cmp -s "$work/$c.oracle" "$work/$c.good/$oracle_file" ||
		    { echo "sweep: $c: without faults, $oracle_file differs from a full recompute"; exit 1; }
	fi
	PGDATABASE=fgood; (cd "$work/$c.good" && eval "$state") > "$work/$c.good.state" 2>&1
	# The programs, and for each kind the most calls one process of it made.
	awk -v want="$progs" -v kre="$kind_re" '
	    BEGIN { n = split(want, w, ","); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
	    want == "all" || ($1 in ok) {
		for (i = 4; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[2] + 0 > 0 && kv[2] + 0 > max[$1 " " kv[1]] + 0) max[$1 " " kv[1]] = kv[2] + 0
		}
	    }
	    END { for (pk in max) { split(pk, a, " "); if (a[2] ~ kre) print a[1], a[2], max[pk] } }' \
	    "$work/$c.good.report" | sort > "$work/$c.counts"
	while read -r p k count; do
		[[ $p =~ $prog_re ]] || continue
		for e in $(errnos_of "$k"); do
			echo "$c $p $k $e $count" >> "$groups"
		done
	done < "$work/$c.counts"
done

# The groups, $jobs at a time.
running=0
while read -r c p k e count; do
	group "$c" "$p" "$k" "$e" "$count" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done < "$groups"
wait

# ---- the report
cat "$work"/results/* > "$work/all" 2>/dev/null
grep -v -E '^[[:space:]]*(#|$)' "$known" > "$work/known" || true
if [ -s "$work/known" ]; then
	awk 'NR == FNR { re[++n] = $0; next }
	    $6 == "SILENTLY-WRONG" || $6 == "HALF-WRITTEN" {
		for (i = 1; i <= n; i++)
			if ($0 ~ re[i]) { $6 = "KNOWN-WRONG"; break }
	    }
	    { print }' "$work/known" "$work/all" > "$work/all.k" && mv "$work/all.k" "$work/all"
fi
awk -v secs=$(($(date +%s) - started)) -v mode=$mode '
{
	kind = $3; out = $6
	t[kind, out]++; t["total", out]++
	if (out != "NOT-REACHED") { tried[kind]++; tried["total"]++ }
	kinds[kind] = 1
}
END {
	printf "faults: %s sweep: %d injections tried in %d s\n", mode, tried["total"], secs
	printf "%-10s %6s %10s %12s %12s %12s %14s %11s\n", "kind", "tried", "OK-RETRIED", "FAILED-CLEAN",
	    "FAILED-EINTR", "HALF-WRITTEN", "SILENTLY-WRONG", "KNOWN-WRONG"
	n = split("open read write rename fsync close mmap malloc fork exec ftruncate unlink mkdir pipe total", order, " ")
	for (i = 1; i <= n; i++) {
		k = order[i]
		if (!(k in kinds) && k != "total") continue
		printf "%-10s %6d %10d %12d %12d %12d %14d %11d\n", k, tried[k], t[k, "OK-RETRIED"],
		    t[k, "FAILED-CLEAN"], t[k, "FAILED-EINTR"], t[k, "HALF-WRITTEN"], t[k, "SILENTLY-WRONG"],
		    t[k, "KNOWN-WRONG"]
	}
}' "$work/all"

bad=$(grep -c -E ' (SILENTLY-WRONG|HALF-WRITTEN) ' "$work/all")
knownbad=$(grep -c -E ' KNOWN-WRONG ' "$work/all")
echo "faults: by case and outcome:"
awk '{ n[$1 " " $6]++ } END { for (k in n) print "  " k, n[k] }' "$work/all" | sort
if [ "$bad" -gt 0 ] || [ "$knownbad" -gt 0 ]; then
	# The directory stays for the reproducers, unless all are known ones.
	[ "$bad" -eq 0 ] || keep=1
	echo "faults: $bad silently wrong or half-written, $knownbad known (--known $known);" \
	    "reproducers (in a copy of the case directory$([ "$keep" -eq 1 ] && echo ", kept in $work")):"
	while read -r c p k e n outcome why; do
		persist=0 err=$e
		case $e in *+) persist=1 err=${e%+} ;; esac
		"case_$c" ""
		printf '  %s %s: %s\n    cp -a %s /tmp/f && cd /tmp/f && FAIL_PROG=%s FAIL_KIND=%s FAIL_N=%s FAIL_ERRNO=%s FAIL_PERSIST=%s LD_PRELOAD=%s %s < %s\n' \
		    "$c" "$outcome" "$p $k $e n=$n: $why" "$work/$c.pre" "$p" "$k" "$n" "$err" "$persist" "$shim" \
		    "${argv[*]}" "$input"
	done < <(grep -E ' (SILENTLY-WRONG|HALF-WRITTEN|KNOWN-WRONG) ' "$work/all")
	[ "$bad" -eq 0 ] || exit 1
fi
echo "faults: 0 silently wrong, 0 half-written"
