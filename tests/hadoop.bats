#!/usr/bin/env bats
# Hadoop Streaming, emulated with the real binaries: M map tasks on random splits, a combiner, R reducers by KeyFieldBasedPartitioner -k1,1; the ranking equals the single pipe.
#
# What Hadoop does, step by step, as README.md's command sets it up
# (stream.num.map.output.key.fields=2, KeyFieldBasedPartitioner with -k1,1):
#   - the input is cut into splits at line boundaries, one map task each;
#     the mapper reads the lines of its split on stdin (TextInputFormat
#     passes the line alone);
#   - each map output line is key = fields 1-2, value = field 3; it goes to
#     the reducer (field 1's bytes hashed as Java does) % R;
#   - each task's output for a reducer is sorted by key (bytes) in one or
#     more spills, and the combiner runs on each sorted spill;
#   - each reducer merges the spills of every task for it, sorted by key, and
#     the reducer reads them on stdin; its output is a part file.
# The ranking is then made from the parts, as README.md shows.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout

NOW=2026-11-30T00:00:00Z

setup_file() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$BATS_TEST_DIRNAME/bench:$PATH"
	cd "$BATS_FILE_TMPDIR" || return 1
	sr-gen -n 200000 --seed 41 --products 100000 --categories 40 --returns 3 \
	    --format mixed --header > log.tsv
	# Some ids with bytes above 0x7f, which Java hashes as negative bytes.
	printf '%s\tp\xe9\t\xc3\xa9t\xc3\xa9\t5\t1.00\t1\t1\n' 1795900000 1795900001 >> log.tsv
	printf '%s\tq\t\xff\x80\t-2\t1.00\t1\t1\n' 1795900002 >> log.tsv
	sr-map --now $NOW log.tsv | sr-sort | sr-reduce | sr-topk -n 25 > single
}

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$BATS_TEST_DIRNAME/bench:$PATH"
	D=$BATS_FILE_TMPDIR
	TAB=$(printf '\t')
	cd "$BATS_TEST_TMPDIR" || return 1
}

# split_input M SEED: cut log.tsv into M splits at random line boundaries: split.0 ... split.M-1.
split_input() {
	awk -v m="$1" -v seed="$2" -v n="$(wc -l < "$D/log.tsv")" '
	    BEGIN {
		srand(seed)
		cuts = 0
		while (cuts < m - 1) {
			c = 1 + int(rand() * (n - 1))
			if (!(c in cut)) { cut[c] = 1; cuts++ }
		}
	    }
	    { print > ("split." t) }
	    NR in cut { close("split." t); t++ }' t=0 "$D/log.tsv"
}

# partition R: map output on stdin to part.0 ... part.R-1, by the Java hash
# of field 1 as KeyFieldBasedPartitioner -k1,1 computes it:
# h = 31 * h + (signed) byte, then (h & Integer.MAX_VALUE) % R.
partition() {
	awk -F '\t' -v r="$1" '
	    BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i < 128 ? i : i - 256 }
	    {
		h = 0
		n = length($1)
		for (i = 1; i <= n; i++)
			h = (31 * h + ord[substr($1, i, 1)] + 4294967296) % 4294967296
		print > ("part." (h % 2147483648) % r)
	    }'
}

# keysort: sort by key, fields 1-2 as bytes, values of a key in arrival order, as Hadoop does.
keysort() {
	sort -s -t "$TAB" -k1,2 "$@"
}

# hadoop M R SEED COMBINE: run the job; COMBINE is none, once or twice (two
# spills per task and reducer, each combined, then merged and combined again).
# The reducers' outputs are out/part-0000r; the mappers' stderr, map.err.
hadoop() {
	local m=$1 r=$2 seed=$3 combine=$4 t p
	rm -rf split.* task.* out
	mkdir out
	split_input "$m" "$seed"
	for ((t = 0; t < m; t++)); do
		mkdir "task.$t"
		# A task has an output for each reducer, empty if none of its keys go there.
		for ((p = 0; p < r; p++)); do
			: > "task.$t/part.$p"
		done
		(cd "task.$t" && mapreduce_task_id="attempt_1_0001_m_00000${t}_0" \
		    sr-map --now $NOW < "../split.$t" 2>> ../map.err | partition "$r") || return 1
		for p in "task.$t"/part.?; do
			case $combine in
			none) keysort "$p" > "$p.spill" ;;
			once) keysort "$p" | sr-reduce > "$p.spill" ;;
			twice)
				split -n l/2 "$p" "$p.s"
				keysort "$p.saa" | sr-reduce > "$p.1"
				keysort "$p.sab" | sr-reduce > "$p.2"
				keysort -m "$p.1" "$p.2" | sr-reduce > "$p.spill" ;;
			esac
		done
	done
	for ((p = 0; p < r; p++)); do
		keysort -m task.*/"part.$p.spill" < /dev/null | sr-reduce > "out/part-0000$p" || return 1
	done
}

@test "hadoop emulation: the ranking from the reducers' parts equals the single pipe, for several M and R" {
	local mr m r seed
	[ "$(wc -l < "$D/single")" -gt 1000 ]
	seed=1
	for mr in 1,1 2,1 3,2 7,5 16,3 5,8; do
		m=${mr%,*} r=${mr#*,}
		seed=$((seed + 1))
		hadoop "$m" "$r" "$seed" once
		sr-sort -m out/part-* | sr-topk -n 25 > ranking
		cmp "$D/single" ranking || { echo "M=$m R=$r differs"; return 1; }
		# Each part is sorted, reduced, and holds whole categories.
		for p in out/part-*; do
			sort -C "$p"
			[ "$(cut -f1,2 "$p" | uniq -d | wc -l)" -eq 0 ]
		done
		[ "$(cut -f1 out/part-* | sort -u | wc -l)" -eq "$(cut -f1 out/part-* | uniq | wc -l)" ]
		# With more categories than reducers, no reducer is idle.
		[ "$(find out -size +0 -name 'part-*' | wc -l)" -eq "$r" ]
	done
	# The ranking of each part alone is its categories' part of the whole ranking.
	for p in out/part-*; do
		sr-topk -n 25 "$p"
	done | sort | cmp - <(sort "$D/single")
}

@test "hadoop emulation: the combiner may run never, once or twice" {
	local c
	for c in none once twice; do
		hadoop 4 3 9 "$c"
		sr-sort -m out/part-* | sr-topk -n 25 | cmp - "$D/single"
	done
	# The combiner makes the shuffle smaller: no more lines than keys per task and reducer.
	hadoop 4 3 9 none
	local before after
	before=$(cat task.*/part.?.spill | wc -l)
	hadoop 4 3 9 once
	after=$(cat task.*/part.?.spill | wc -l)
	[ "$after" -le "$before" ]
}

@test "hadoop emulation: the mappers report their counters on stderr under Hadoop's environment" {
	hadoop 6 2 3 once
	[ "$(grep -c '^reporter:counter:sr,input_lines,[0-9]*$' map.err)" -eq 6 ]
	[ "$(grep -c '^reporter:counter:sr,rejected_lines,0$' map.err)" -eq 6 ]
	# Every line but the header, counted once.
	[ "$(sed -n 's/^reporter:counter:sr,input_lines,//p' map.err | awk '{ s += $1 } END { print s }')" -eq \
	    $(($(wc -l < "$D/log.tsv") - 1)) ]
	[ "$(grep -vc '^reporter:counter:' map.err)" -eq 0 ]
	# mapred_task_id (the old name) and --counters do it too; without them, nothing.
	printf 'bad\n' | mapred_task_id=attempt_1 sr-map > /dev/null 2> err || true
	grep -qx 'reporter:counter:sr,rejected_lines,1' err
	printf 'bad\n' | sr-map --counters > /dev/null 2> err || true
	grep -qx 'reporter:counter:sr,input_lines,1' err
	printf 'bad\n' | sr-map > /dev/null 2> err || true
	! grep -q reporter err
}

@test "hadoop emulation: a mapper with a bad line fails its task, as Hadoop Streaming sees it" {
	printf 'not a sale\n' | mapreduce_task_id=attempt_1 sr-map --now $NOW > out 2> err && return 1
	grep -qx 'reporter:counter:sr,rejected_lines,1' err
	# sr-reduce as the combiner or reducer of a partition that is not sorted fails, never sums wrong.
	printf 'b\t1\t1\na\t1\t1\n' | sr-reduce > out 2> err && return 1
	grep -q 'sr-reduce: ' err
}

@test "the Hadoop commands of README.md and sr(7) are the ones emulated" {
	local f
	for f in "$BATS_TEST_DIRNAME/../README.md" "$BATS_TEST_DIRNAME/../man/sr.7"; do
		grep -q 'stream.num.map.output.key.fields=2' "$f"
		grep -q 'mapreduce.partition.keypartitioner.options=-k1,1' "$f"
		grep -q 'org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner' "$f"
		grep -q -- "-mapper 'sr-map --now 2026-11-30T00:00:00Z" "$f"
		grep -q -- '-combiner sr-reduce' "$f"
		grep -q -- '-reducer sr-reduce' "$f"
	done
}
