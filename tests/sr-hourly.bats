#!/usr/bin/env bats
# sr-hourly: the hourly refresh from partials equals a full recompute of the window, exactly, through new hours, corrected logs and pruning; the lock; failures.

# A test that hangs fails; the sanitizer build is several times slower.
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-900}
load timeout

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$BATS_TEST_DIRNAME/bench:$PATH"
	cd "$BATS_TEST_TMPDIR" || return 1
	NOW=1795996800 # 2026-11-30T00:00:00Z
}

# logs: 9 days of generated sales with returns, before NOW + 2 hours, in files
# named for their hour; every 20th sale is written to the next hour's file, as
# at the turn of an hour.
logs() {
	local e
	mkdir -p logs
	sr-gen -n 40000 --seed "${1:-21}" --products 3000 --categories 6 --days 9 \
	    --end $((NOW + 7200)) --returns 5 --format epoch > all.tsv
	for ((e = NOW - 10 * 86400; e <= NOW + 7200; e += 3600)); do
		echo "$e $(date -u -d "@$e" +%Y-%m-%dT%H)"
	done > hours
	awk 'NR == FNR { name[$1] = $2; next }
	    { h = $1 - $1 % 3600; if (FNR % 20 == 0) h += 3600; print > ("logs/" name[h] ".tsv") }' \
	    hours FS='\t' all.tsv
}

# full UNTIL [HOURS]: the ranking of the window before UNTIL by one pipe over every log file.
full() {
	sr-map --since $(($1 - ${2:-168} * 3600)) --until "$1" logs/* | sr-sort | sr-reduce | sr-topk -n 20
}

# hourly ARGS: run sr-hourly on logs and state, its messages in .err.
hourly() {
	sr-hourly --logs logs --state state -n 20 "$@" 2> .err
}

# mapped: the hours the last run mapped, one a line.
# The hours a run mapped, in order: the jobs (--jobs) may finish in any.
mapped() {
	sed -n 's/^sr-hourly: [^ ]*: hour \([^:]*\): .*: mapped .*/\1/p' .err | sort
}

@test "the first run maps every hour of the window and equals a full recompute" {
	logs
	hourly --now $NOW || { cat .err; return 1; }
	full $NOW > want
	[ "$(wc -l < want)" -eq 120 ]
	cmp want state/ranking.tsv
	[ "$(mapped | wc -l)" -eq 168 ]
	[ "$(mapped | head -1)" = 2026-11-23T00 ]
	[ "$(mapped | tail -1)" = 2026-11-29T23 ]
	[ "$(find state/hours -name '*.tsv' | wc -l)" -eq 168 ]
	grep -q 'ranked the window from all 168 partials: 120 rows in state/ranking.tsv' .err
	# Each partial is sorted and reduced: one line per key.
	sort -C state/hours/2026-11-25T12.tsv
	[ "$(cut -f1,2 state/hours/2026-11-25T12.tsv | uniq -d | wc -l)" -eq 0 ]
	# The late sales at the turn of an hour count: the hour's own file is not all of it.
	awk -F '\t' -v s=$((NOW - 3600)) '$1 >= s && $1 < s + 3600' logs/2026-11-30T00.tsv | grep -q .
	sr-map logs/2026-11-29T23.tsv | sr-sort | sr-reduce > own
	if cmp -s own state/hours/2026-11-29T23.tsv; then return 1; fi
}

@test "a second run maps nothing and gives the same ranking; loads into SQLite" {
	logs
	hourly --now $NOW --db r.db
	cp state/ranking.tsv first
	hourly --now $((NOW + 1799)) --db r.db || { cat .err; return 1; }
	[ "$(mapped | wc -l)" -eq 0 ]
	grep -q 'hours mapped 0, up to date 168, pruned 0' .err
	cmp first state/ranking.tsv
	sqlite3 -separator "$(printf '\t')" r.db \
	    'SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY category_id, rank' > db
	cmp db first
	# Nothing changed, the same window: not loaded again.
	grep -q 'the ranking and its window are those the last run loaded into r.db: not loaded again' .err
	[ "$(sqlite3 r.db 'SELECT generation, window_since, window_until FROM sales_rank_meta')" = \
	    "1|2026-11-23T00:00:00Z|2026-11-30T00:00:00Z" ]
}

@test "the next hour maps only the new hour, prunes the oldest, and equals a full recompute" {
	logs
	hourly --now $NOW
	hourly --now $((NOW + 3600 + 300)) || { cat .err; return 1; }
	[ "$(mapped)" = 2026-11-30T00 ]
	grep -q 'pruned the partials of 1 hours before 2026-11-23T01' .err
	[ ! -e state/hours/2026-11-23T00.tsv ]
	[ ! -e state/hours/2026-11-23T00.src ]
	[ "$(find state/hours -name '*.tsv' | wc -l)" -eq 168 ]
	full $((NOW + 3600)) | cmp - state/ranking.tsv
	# Two hours on: the one before is mapped again, its late file having grown.
	printf '%s\tp901x\t1\t5000\t9.99\t1\t1\n' $((NOW + 3600 + 10)) >> logs/2026-11-30T02.tsv
	printf '%s\tp901x\t1\t7000\t9.99\t1\t1\n' $((NOW + 3600 + 20)) >> logs/2026-11-30T01.tsv
	hourly --now $((NOW + 7200)) || { cat .err; return 1; }
	[ "$(mapped | tr '\n' ' ')" = "2026-11-30T00 2026-11-30T01 " ]
	grep -q 'hour 2026-11-30T00: a log file changed' .err
	grep -q 'hour 2026-11-30T01: new' .err
	full $((NOW + 7200)) | cmp - state/ranking.tsv
	grep -q "^1	1	p901x	12000$" state/ranking.tsv
}

@test "a corrected log of an old hour maps that hour only, and equals a full recompute" {
	logs
	hourly --now $NOW
	# Correct the quantities of an old hour's log: every sale now sold 9.
	awk -F '\t' -v OFS='\t' '{ $4 = 9; print }' logs/2026-11-25T07.tsv > fixed
	mv fixed logs/2026-11-25T07.tsv
	hourly --now $NOW || { cat .err; return 1; }
	# Its sales are counted in its own hour and the one before (the late ones).
	[ "$(mapped | tr '\n' ' ')" = "2026-11-25T06 2026-11-25T07 " ]
	full $NOW | cmp - state/ranking.tsv
	# A new log file of an old hour, with an old modification time: the list of files changed.
	printf '%s\tp777x\t2\t100000\t9.99\t1\t1\n' $((NOW - 3 * 86400)) > logs/2026-11-27T00.extra.tsv
	touch -d @$((NOW - 5 * 86400)) logs/2026-11-27T00.extra.tsv
	hourly --now $NOW || { cat .err; return 1; }
	[ "$(mapped | tr "\n" " ")" = "2026-11-26T23 2026-11-27T00 " ] || { cat .err; return 1; }
	grep -q 'hour 2026-11-27T00: log files added or removed' .err
	full $NOW | cmp - state/ranking.tsv
	grep -q "^2	1	p777x	100000$" state/ranking.tsv
	# Removed again.
	rm logs/2026-11-27T00.extra.tsv
	hourly --now $NOW
	[ "$(mapped | tr "\n" " ")" = "2026-11-26T23 2026-11-27T00 " ] || { cat .err; return 1; }
	full $NOW | cmp - state/ranking.tsv
}

@test "--hour maps that hour again; an hour outside the window is refused" {
	logs
	hourly --now $NOW
	hourly --now $NOW --hour 2026-11-24T05 --hour=2026-11-28T17 || { cat .err; return 1; }
	# And the hour before each, whose late sales its file holds (--late 1).
	[ "$(mapped | tr '\n' ' ')" = "2026-11-24T04 2026-11-24T05 2026-11-28T16 2026-11-28T17 " ]
	grep -q 'hour 2026-11-24T05: asked for (--hour): mapped 2 log files into [0-9]* keys' .err
	grep -q 'hour 2026-11-24T04: its late sales are in the file of an --hour: mapped 2 log files' .err
	full $NOW | cmp - state/ranking.tsv
	run hourly --now $NOW --hour 2026-11-30T00
	[ "$status" -eq 2 ]
	grep -q 'hour 2026-11-30T00 is not in the window; nothing done' .err
}

@test "a longer window and pruning over a day: still equal to a full recompute" {
	logs 22
	hourly --now $((NOW - 86400)) --hours 48
	[ "$(find state/hours -name '*.tsv' | wc -l)" -eq 48 ]
	full $((NOW - 86400)) 48 | cmp - state/ranking.tsv
	hourly --now $NOW --hours 48 || { cat .err; return 1; }
	[ "$(mapped | wc -l)" -eq 24 ]
	grep -q 'pruned the partials of 24 hours before 2026-11-28T00' .err
	[ "$(find state/hours -name '*.tsv' | wc -l)" -eq 48 ]
	[ "$(ls state/hours | head -1)" = 2026-11-28T00.src ]
	full $NOW 48 | cmp - state/ranking.tsv
	# An earlier --now later: the partials after its window stay, its own are remade.
	hourly --now $((NOW - 86400)) --hours 24
	full $((NOW - 86400)) 24 | cmp - state/ranking.tsv
	[ -e state/hours/2026-11-29T23.tsv ]
}

@test "the running sums: added and taken away hour by hour, equal to --full and to a full recompute" {
	logs
	hourly --now $NOW
	local i
	for ((i = 1; i <= 3; i++)); do
		hourly --now $((NOW + i * 3600 - 7200)) || { cat .err; return 1; }
		grep -q 'ranked the window from the running sums, [0-9]* partials added and [0-9]* taken away' .err
		full $((NOW + i * 3600 - 7200)) | cmp - state/ranking.tsv
	done
	[ "$(readlink state/week)" = week.4 ]
	[ "$(ls -d state/week.*)" = state/week.4 ]
	[ "$(ls state/week.4/in | wc -l)" -eq 168 ]
	cp state/ranking.tsv running
	hourly --now $((NOW + 3600)) --full
	grep -q 'ranked the window from all 168 partials' .err
	cmp running state/ranking.tsv
	# A week over a day old is made afresh, and so are lost sums.
	echo 1 > state/week.5/made
	hourly --now $((NOW + 3600))
	grep -q 'ranked the window from all 168 partials' .err
	rm state/week.6/sums.tsv
	hourly --now $((NOW + 3600))
	grep -q 'ranked the window from all 168 partials' .err
	cmp running state/ranking.tsv
	[ "$(ls -d state/week.*)" = state/week.7 ]
	# Sums written in another boot may not have reached the disk: made afresh.
	[ "$(cat state/week.7/boot)" = "$(cat /proc/sys/kernel/random/boot_id)" ]
	echo another-boot > state/week.7/boot
	hourly --now $((NOW + 3600))
	grep -q 'ranked the window from all 168 partials' .err
	cmp running state/ranking.tsv
	hourly --now $((NOW + 3600))
	grep -q 'ranked the window from the running sums, 0 partials added and 0 taken away' .err
	cmp running state/ranking.tsv
}

@test "--jobs: the hours mapped one at a time or several at once, the sums made in one merge or two halves, all the same" {
	logs
	hourly --now $NOW --jobs 1 || { cat .err; return 1; }
	cp state/ranking.tsv one
	cp -r state/hours hours1
	sr-reduce -m state/week/in/*.tsv > want-sums
	cmp want-sums state/week/sums.tsv
	rm -rf state
	hourly --now $NOW --jobs 3 || { cat .err; return 1; }
	[ "$(mapped | wc -l)" -eq 168 ]
	cmp one state/ranking.tsv
	diff -r hours1 state/hours
	cmp want-sums state/week/sums.tsv
	# Made afresh in two halves, each merged by a process of its own, then one.
	hourly --now $NOW --jobs 2 --full || { cat .err; return 1; }
	cmp one state/ranking.tsv
	cmp want-sums state/week/sums.tsv
	[ ! -e state/week/half.1 ] && [ ! -e state/week/half.2 ]
	full $NOW | cmp - state/ranking.tsv
}

@test "the running sums: products whose total is 0, or whose sales all left the window, rank as in a full recompute" {
	local h e
	mkdir logs
	# Three categories of few products, over 40 hours: sales and returns that
	# cancel out, products sold once and then gone, a category that empties.
	for ((h = 0; h < 40; h++)); do
		e=$((NOW - 40 * 3600 + h * 3600))
		{
			printf '%s	a%s	c1	%s	1	1	1
' $((e + 1)) $((h % 4)) $((h % 3 - 1))
			printf '%s	b%s	c1	1	1	1	1
' $((e + 2)) "$h"
			printf '%s	z	c2	%s	1	1	1
' $((e + 3)) $((h % 2 ? -1 : 1))
			[ "$h" -ge 20 ] || printf '%s	q	c3	2	1	1	1
' $((e + 4))
		} > "logs/$(date -u -d "@$e" +%Y-%m-%dT%H).tsv"
	done
	hourly --now $((NOW - 31 * 3600)) --hours 8
	for ((h = 30; h >= 0; h--)); do
		hourly --now $((NOW - h * 3600)) --hours 8 || { cat .err; return 1; }
		grep -q 'from the running sums, 1 partials added and 1 taken away' .err
		full $((NOW - h * 3600)) 8 | cmp - state/ranking.tsv || { echo "at -$h h"; return 1; }
		grep -h 'with totals of 0 again' .err >> again || true
	done
	# Those were ranked again from the partials, most hours.
	[ "$(grep -c 'ranked [12] categories with totals of 0 again from the partials' again)" -gt 10 ]
	# c3 has left; c2's z is there with 0 or 1.
	cut -f1 state/ranking.tsv | uniq | tr '\n' ' ' | grep -qx 'c1 c2 '
}

@test "--csv: CSV logs give the same ranking" {
	local f
	logs
	mkdir csv
	for f in logs/*.tsv; do
		{ echo timestamp,product_id,category_id,qty,total_price,seller_id,buyer_id; tr '\t' , < "$f"; } \
		    > "csv/$(basename "$f" .tsv).csv"
	done
	sr-hourly --logs csv --state state -n 20 --now $NOW --csv 2> .err || { cat .err; return 1; }
	full $NOW | cmp - state/ranking.tsv
	run sr-hourly --logs csv --state state2 -n 20 --now $NOW
	[ "$status" -eq 1 ]
}

@test "the lock: a second run exits at once with status 75 and does nothing" {
	logs
	hourly --now $NOW
	cp state/ranking.tsv first
	touch logs/2026-11-26T10.tsv
	run flock state/lock sr-hourly --logs logs --state state --now $NOW
	[ "$status" -eq 75 ]
	[[ $output == "sr-hourly: "*": another run holds state/lock; nothing done" ]]
	# Held in the background too, by a running process.
	(exec 9>> state/lock && flock 9 && exec sleep 30) &
	local holder=$!
	local i
	for ((i = 0; i < 100; i++)); do
		flock -n state/lock true || break
		sleep 0.1
	done
	run timeout 5 sr-hourly --logs logs --state state --now $NOW
	kill "$holder"
	wait "$holder" || true
	[ "$status" -eq 75 ]
	# Released: the next run goes ahead and maps the touched hour.
	hourly --now $NOW
	[ "$(mapped | tr '\n' ' ')" = "2026-11-26T09 2026-11-26T10 " ]
	cmp first state/ranking.tsv
}

@test "a failing stage fails the run, keeps the old partial and loads nothing" {
	logs
	hourly --now $NOW --db r.db
	cp state/ranking.tsv first
	cp state/hours/2026-11-26T10.tsv old-partial
	# A rejected line: sr-map fails for both hours that read the file (the
	# file's own, and the hour before, whose late sales it may hold), the
	# line is kept, the ranking is not refreshed.
	printf 'garbage\n' >> logs/2026-11-26T10.tsv
	run hourly --now $NOW --db r.db
	[ "$status" -eq 1 ]
	# The stage's message, with the hour it was mapping.
	grep -q '^sr-hourly: [^ ]*: hour 2026-11-26T10: sr-map: logs/2026-11-26T10.tsv:[0-9]*: ' .err
	grep -q '^sr-hourly: [^ ]*: hour 2026-11-26T09: sr-map: logs/2026-11-26T10.tsv:[0-9]*: ' .err
	grep -q 'hour 2026-11-26T10: sr-map exited with status 1' .err
	grep -q 'hours failed 2: the ranking is not refreshed' .err
	[ "$(cat state/rejects/2026-11-26T09.tsv)" = garbage ]
	[ "$(cat state/rejects/2026-11-26T10.tsv)" = garbage ]
	cmp old-partial state/hours/2026-11-26T10.tsv
	cmp first state/ranking.tsv
	[ "$(sqlite3 r.db 'SELECT generation FROM sales_rank_meta')" -eq 1 ]
	[ -z "$(find state -name '.tmp*')" ]
	# No sort: sr-sort fails.
	sed -i '$d' logs/2026-11-26T10.tsv
	export SR_SORT=/nonexistent
	run hourly --now $NOW --db r.db
	unset SR_SORT
	[ "$status" -eq 1 ]
	grep -q 'hour 2026-11-26T10: sr-sort exited with status 1' .err
	cmp old-partial state/hours/2026-11-26T10.tsv
	# Fixed: the rejects go, the hour is mapped again.
	hourly --now $NOW --db r.db
	[ -z "$(ls state/rejects)" ]
	full $NOW | cmp - state/ranking.tsv
	# A partial replaced by one that is not sorted: sr-reduce fails the ranking.
	printf '9\t9\t1\n1\t1\t1\n' > bad
	touch -d '+1 hour' bad
	mv bad state/hours/2026-11-27T00.tsv
	run hourly --now $NOW --db r.db
	[ "$status" -eq 1 ]
	grep -q 'ranking: sr-reduce exited with status 1' .err
	grep -q 'ranking failed: the previous ranking stays' .err
	# The load fails: status 1.
	run hourly --now $NOW --db r.db --hour 2026-11-27T00 --db /nonexistent/r.db
	[ "$status" -eq 1 ]
	grep -q 'sr-load failed' .err
}

@test "--max-rejects: an hour with a few bad lines is mapped without them, which are kept" {
	logs
	hourly --now $NOW
	printf 'garbage\n' >> logs/2026-11-26T10.tsv
	hourly --now $NOW --max-rejects 1 || { cat .err; return 1; }
	[ "$(cat state/rejects/2026-11-26T10.tsv)" = garbage ]
	grep -q 'hour 2026-11-26T10: 1 rejected lines (within --max-rejects 1) are in state/rejects/2026-11-26T10.tsv' .err
	grep -q 'sr-map: 1 of [0-9]* lines rejected, within --max-rejects 1' .err
	full $NOW 2> /dev/null | cmp - state/ranking.tsv
	# Two bad lines in one hour are too many: it fails, and with it the run.
	printf 'garbage\n' >> logs/2026-11-26T10.tsv
	run hourly --now $NOW --max-rejects 1
	[ "$status" -eq 1 ]
	grep -q 'hours failed 2: the ranking is not refreshed' .err
	[ "$(wc -l < state/rejects/2026-11-26T10.tsv)" -eq 2 ]
}

@test "what a killed run left behind is removed; --log appends there" {
	logs
	mkdir -p state/hours
	touch state/hours/.tmp.1.2026-11-26T10 state/.tmp.1.ranking
	hourly --now $NOW --log run.log
	[ ! -s .err ]
	[ -z "$(find state -name '.tmp*')" ]
	grep -q 'ranked the window from all 168 partials' run.log
	hourly --now $NOW --log run.log
	[ "$(grep -c 'ranked the window from' run.log)" -eq 2 ]
}

@test "runs killed with SIGKILL at any moment leave a state from which the next run is exact" {
	local i pid d killed=0
	logs
	hourly --now $NOW
	# Kills at 0 to 59 ms, until 8 runs were killed before their end: a run of
	# the C driver often ends sooner.
	for ((i = 1; i <= 60 && killed < 8; i++)); do
		# Work to do: the new hour, two old hours changed, and now and then all of it.
		touch "logs/2026-11-2$((i % 7 + 3))T1$((i % 10)).tsv" "logs/2026-11-2$((i % 5 + 3))T0$((i % 10)).tsv"
		if ((i % 3 == 0)); then
			sr-hourly --logs logs --state state -n 20 --now $((NOW + (i % 9) * 3600)) --full 2> /dev/null &
		else
			sr-hourly --logs logs --state state -n 20 --now $((NOW + (i % 9) * 3600)) 2> /dev/null &
		fi
		pid=$!
		sleep "0.0$(printf '%02d' $((i * 37 % 60)))"
		kill -9 "$pid" 2> /dev/null || true
		wait "$pid" || [ "$?" -ne 137 ] || killed=$((killed + 1))
		# Its children hold the lock until they end.
		for ((d = 0; d < 100; d++)); do
			flock -n state/lock true && break
			sleep 0.1
		done
	done
	[ "$killed" -ge 8 ] || { echo "only $killed runs of $i were killed before their end"; return 1; }
	hourly --now $((NOW + 9 * 3600)) || { cat .err; return 1; }
	full $((NOW + 9 * 3600)) | cmp - state/ranking.tsv
	[ -z "$(find state -name '.tmp*')" ]
	[ "$(ls -d state/week.*)" = "state/$(readlink state/week)" ]
	hourly --now $((NOW + 10 * 3600)) || { cat .err; return 1; }
	grep -q 'ranked the window from the running sums' .err
	full $((NOW + 10 * 3600)) | cmp - state/ranking.tsv
}

@test "--help, --version, usage errors with status 2" {
	run sr-hourly --version
	[ "$status" -eq 0 ]
	[[ $output == "sr-hourly (sr) "[0-9]* ]]
	run sr-hourly --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: sr-hourly --logs dir --state dir "* ]]
	local c
	for c in "" "--logs x" "--no-such-option --logs x --state y" "--logs x --state y --hours 0" \
	    "--logs x --state y --hours 9999" "--logs x --state y -n x" "--logs x --state y --late 25" \
	    "--logs x --state y --now yesterday" "--logs x --state y --hour 2026-11-27" \
	    "--logs x --state y operand" "--logs" "--csv=1 --logs x --state y" "--logs x --state y --jobs 0" \
	    "--logs x --state y --jobs two" "--logs x --state y --count 0" "--logs x --state y --count=x"; do
		# shellcheck disable=SC2086
		run sr-hourly $c
		[ "$status" -eq 2 ] || { echo "sr-hourly $c: status $status"; return 1; }
		[[ ${lines[1]} == "usage: sr-hourly "* ]] || { echo "sr-hourly $c: $output"; return 1; }
	done
	[ ! -e y ]
	run sr-hourly --logs nowhere --state s
	[ "$status" -eq 1 ]
	[[ $output == *"nowhere: not a directory of log files" ]]
	run sr-hourly --help
	sr-hourly --help > /dev/full && return 1 || true
}

# snapshot: every file under logs and state, and the files beside them, with their sums.
snapshot() {
	find . -path ./.err -prune -o -path ./snap.\* -prune -o -type f -print0 | sort -z | xargs -0 md5sum
	find . -path ./.err -prune -o -path ./snap.\* -prune -o -print | sort
}

# Issue 11, case 6 for sr-hourly: --log appended its messages to a log file it
# then read, --metrics renamed itself over a log file or over ranking.tsv, exit
# 0. Every output option against every kind of file it must not write over.
@test "--log, --metrics, --db naming a log file (or a link to one, or a log's name), a file of the state, or each other: status 2, nothing written" {
	logs
	hourly --now $((NOW - 3600)) --db r.db || { cat .err; return 1; }
	ln logs/2026-11-29T10.tsv hard.tsv
	ln -s logs/2026-11-29T10.tsv sym.tsv
	snapshot > snap.before
	local opt target why n=0 t
	local -a targets=(
	    "logs/2026-11-29T10.tsv:is named as a log file in --logs"
	    "./logs/../logs/2026-11-29T10.tsv:is named as a log file in --logs"
	    "logs/2030-01-01T00.next:is named as a log file in --logs"
	    "hard.tsv:is a log file in --logs"
	    "sym.tsv:is a log file in --logs"
	    "state/ranking.tsv:is a file of --state"
	    "state/lock:is a file of --state"
	    "state/loaded:is a file of --state"
	    "state/week:is a file of --state"
	    "state/.tmp.1:is a file of --state"
	    "state/hours/2026-11-29T10.tsv:is in --state"
	    "state/hours/new:is in --state")
	for opt in --log --metrics --db; do
		for t in "${targets[@]}"; do
			target=${t%%:*} why=${t#*:}
			run sr-hourly --logs logs --state state -n 20 --now $NOW "$opt" "$target"
			[ "$status" -eq 2 ] && [ "$output" = "sr-hourly: $opt $target: $why: refusing to write over it" ] ||
			    { echo "$opt $target: status $status: $output"; return 1; }
			snapshot | cmp -s - snap.before || { echo "$opt $target: written"; snapshot | diff snap.before -; return 1; }
			n=$((n + 1))
		done
	done
	# Two of them the same file.
	for t in "--log x --metrics x:--metrics x:--log" "--log x --db ./x:--db ./x:--log" \
	    "--metrics state/m --db state/../state/m:--db state/../state/m:--metrics" "--log hard.tsv --db hard.tsv:--log hard.tsv:"; do
		# shellcheck disable=SC2086
		run sr-hourly --logs logs --state state -n 20 --now $NOW ${t%%:*}
		why=${t#*:}
		[ "$status" -eq 2 ] || { echo "${t%%:*}: status $status: $output"; return 1; }
		[ -z "${why#*:}" ] || [ "$output" = "sr-hourly: ${why%%:*}: is also ${why#*:}: refusing to write it twice" ] ||
		    { echo "${t%%:*}: $output"; return 1; }
		snapshot | cmp -s - snap.before || { echo "${t%%:*}: written"; return 1; }
		n=$((n + 1))
	done
	echo "# $n outputs refused, nothing written" >&3
	# Beside the logs and in the state under names of their own, they are fine.
	full $NOW > want
	sr-hourly -q --logs logs --state state -n 20 --now $NOW --log logs/hourly.log --metrics state/hourly.prom \
	    --db state/sales_rank.db
	cmp want state/ranking.tsv
	grep -q '^sr_hourly_last_run_exit_status 0$' state/hourly.prom
	[ "$(sqlite3 state/sales_rank.db 'SELECT count(*) FROM sales_rank')" -eq "$(wc -l < state/ranking.tsv)" ]
}

@test "names are data: a space, a newline and a backslash in log file names and in the --state path" {
	local st=$'my state/s\nx\\y'
	logs
	mv logs/2026-11-26T10.tsv "logs/2026-11-26T10 api 1.tsv"
	mv logs/2026-11-26T11.tsv $'logs/2026-11-26T11\n.api-2.tsv'
	mv logs/2026-11-26T12.tsv 'logs/2026-11-26T12\n.tsv'
	mkdir -p 'my state'
	sr-hourly --logs logs --state "$st" -n 20 --now $NOW 2> .err || { cat .err; return 1; }
	full $NOW | cmp - "$st/ranking.tsv"
	[ "$(mapped | wc -l)" -eq 168 ]
	# Nothing changed: nothing mapped, the running sums gone on from (not made afresh).
	sr-hourly --logs logs --state "$st" --count 20 --now $NOW 2> .err || { cat .err; return 1; }
	full $NOW | cmp - "$st/ranking.tsv"
	[ "$(mapped | wc -l)" -eq 0 ]
	grep -q 'ranked the window from the running sums, 0 partials added and 0 taken away' .err
	# The file with a newline changed: its hour and the one before, only.
	printf '%s\tp5n\t2\t80000\t1\t1\t1\n' $((NOW - 4 * 86400 + 11 * 3600 + 5)) >> $'logs/2026-11-26T11\n.api-2.tsv'
	sr-hourly --logs logs --state "$st" -n 20 --now $NOW 2> .err || { cat .err; return 1; }
	[ "$(mapped | tr '\n' ' ')" = "2026-11-26T10 2026-11-26T11 " ]
	full $NOW | cmp - "$st/ranking.tsv"
	grep -q "^2	1	p5n	80000$" "$st/ranking.tsv"
	# The same with files removed and added under such names.
	mv $'logs/2026-11-26T11\n.api-2.tsv' $'logs/2026-11-26T11\n.api-3.tsv'
	sr-hourly --logs logs --state "$st" -n 20 --now $NOW 2> .err || { cat .err; return 1; }
	grep -q 'hour 2026-11-26T11: log files added or removed' .err
	full $NOW | cmp - "$st/ranking.tsv"
}

@test "--hour H after correcting H's file remakes the --late hours before it, whose late sales it holds" {
	local late h start f i
	logs
	for late in 1 2; do
		rm -rf state
		hourly --now $NOW --late "$late" || { cat .err; return 1; }
		for h in 2026-11-25T07 2026-11-27T19; do
			start=$(date -u -d "${h}:00:00Z" +%s)
			f=logs/$h.tsv
			# Late sales of the hours before, in H's file, kept at its old time.
			for ((i = 1; i <= late; i++)); do
				printf '%s\tp%s%s%sx\t3\t%s\t1\t1\t1\n' $((start - i * 3600 + 10)) "$late" "$i" \
				    "${h:8:2}" $((900000 + i)) >> "$f"
			done
			touch -d @$((NOW - 5 * 86400)) "$f"
			hourly --now $NOW --late "$late" --hour "$h" || { cat .err; return 1; }
			[ "$(mapped | wc -l)" -eq $((late + 1)) ]
			sr-map --since $((NOW - 168 * 3600)) --until $NOW logs/* | sr-sort | sr-reduce |
			    sr-topk -n 20 | cmp - state/ranking.tsv
			grep -q "^3	[1-9]	p${late}1${h:8:2}x	900001$" state/ranking.tsv
		done
	done
}

@test "--hours 1100 within ulimit -n 1024 (and 64): the partials merged in groups, equal to a full recompute" {
	local e
	# Under ASan, no leak check in the thousands of stages mapping 1100 hours (valgrind's pass checks leaks).
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	mkdir logs
	sr-gen -n 30000 --seed 5 --products 2000 --categories 4 --days 47 --end $NOW --returns 5 \
	    --format epoch > all.tsv
	for ((e = NOW - 48 * 86400; e < NOW; e += 3600)); do
		echo "$e $(date -u -d "@$e" +%Y-%m-%dT%H)"
	done > hours
	awk 'NR == FNR { name[$1] = $2; next } { print > ("logs/" name[$1 - $1 % 3600] ".tsv") }' \
	    hours FS='\t' all.tsv
	full $NOW 1100 > want
	[ "$(wc -l < want)" -eq 80 ]
	(ulimit -n 1024 && hourly --now $NOW --hours 1100 --jobs 2) || { tail .err; return 1; }
	cmp want state/ranking.tsv
	grep -q 'ranked the window from all 1100 partials' .err
	(ulimit -n 1024 && hourly --now $NOW --hours 1100 --full --jobs 1) || { tail .err; return 1; }
	cmp want state/ranking.tsv
	# Two levels of groups: 24 inputs a merge at most.
	(ulimit -n 64 && hourly --now $NOW --hours 1100 --full) || { tail .err; return 1; }
	cmp want state/ranking.tsv
	sr-reduce -m state/week/in/*.tsv | cmp - state/week/sums.tsv
	# An hour later, from the running sums.
	(ulimit -n 64 && hourly --now $((NOW + 3600)) --hours 1100) || { tail .err; return 1; }
	grep -q 'ranked the window from the running sums, 1 partials added and 1 taken away' .err
	full $((NOW + 3600)) 1100 | cmp - state/ranking.tsv
}

@test "--now: RFC 3339 with an offset or a fraction, epoch with a fraction; a window outside the years 0000 to 9999 is a usage error" {
	local t
	# A file for each window tried: a logs directory without one fails.
	mkdir logs
	touch logs/2026-11-29T23.tsv logs/0000-01-01T01.tsv logs/9999-12-31T22.tsv
	for t in 2026-11-30T00:59:59Z 2026-11-30T01:30:00+01:00 2026-11-29T19:00:00.5-05:00 1795996800.999 \
	    1795999199; do
		hourly --now "$t" --hours 2 || { cat .err; return 1; }
		grep -q 'window 2026-11-29T22:00:00Z to 2026-11-30T00:00:00Z (2 hours)' .err ||
		    { echo "--now $t"; cat .err; return 1; }
	done
	hourly --now 0000-01-01T02:00:00Z --hours 2 || { cat .err; return 1; }
	hourly --now 9999-12-31T23:59:59Z --hours 2 --late 1 || { cat .err; return 1; }
	for t in "0000-01-01T01:59:59Z --hours 2" "0000-01-01T02:00:00Z --hours 3" \
	    "9999-12-31T23:59:59Z --late 2" "-62167219201" "10000-01-01T00:00:00Z"; do
		# shellcheck disable=SC2086
		run sr-hourly --logs logs --state state --now $t
		[ "$status" -eq 2 ] || { echo "--now $t: status $status: $output"; return 1; }
		[[ ${lines[1]} == "usage: sr-hourly "* ]]
	done
	run sr-hourly --logs logs --state state --now 0000-01-01T01:00:00Z --hours 2
	[[ ${lines[0]} == "sr-hourly: --now: the window and its late hours must lie in the years 0000 to 9999: "* ]]
}

@test "a full disk: each run is exact or fails leaving the previous ranking and whole sums; the next run with space is exact" {
	[ "$(id -u)" -eq 0 ] || skip "mounts a tmpfs: needs root"
	run timeout 600 bash "$BATS_TEST_DIRNAME/faults/hourly-disk.sh" --short
	echo "$output"
	echo "# ${lines[-1]}" >&3
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == *"fill levels tried: "*", 0 silently wrong" ]]
}

@test "a stage killed by a signal, and the run stopped by SIGTERM: the hour fails, the previous ranking stays" {
	logs
	hourly --now $NOW
	cp state/ranking.tsv first
	# An sr-sort that kills itself, first in the PATH: the siblings of sr-hourly come first.
	mkdir fake
	printf '#!/bin/sh\nkill -9 $$\n' > fake/sr-sort
	chmod +x fake/sr-sort
	touch logs/2026-11-26T10.tsv
	PATH=$PWD/fake:$PATH hourly --now $NOW || { cat .err; return 1; }
	[ "$(mapped | tr '\n' ' ')" = "2026-11-26T09 2026-11-26T10 " ]
	# With cron's PATH, which has none of the tools: those beside sr-hourly.
	touch logs/2026-11-26T10.tsv
	env PATH=/usr/bin:/bin "$(command -v sr-hourly)" --logs logs --state state -n 20 --now $NOW 2> .err ||
	    { cat .err; return 1; }
	[ "$(mapped | tr '\n' ' ')" = "2026-11-26T09 2026-11-26T10 " ]
	# Without its siblings beside it, from the PATH: the fake one is run, killed.
	cp "$(command -v sr-hourly)" fake/
	touch logs/2026-11-26T10.tsv
	run env PATH="$PWD/fake:$PATH" fake/sr-hourly --logs logs --state state -n 20 --now $NOW
	[ "$status" -eq 1 ]
	[[ $output == *"hour 2026-11-26T10: sr-sort was killed by signal 9"* ]]
	[[ $output == *"hours failed 2: the ranking is not refreshed"* ]]
	cmp first state/ranking.tsv
	# SIGTERM while mapping everything: status 1, nothing of the run left, the ranking kept.
	printf '#!/bin/sh\nexec sleep 30\n' > fake/sr-sort
	rm -rf state/hours/2026-11-2[67]*
	env PATH="$PWD/fake:$PATH" fake/sr-hourly --logs logs --state state -n 20 --now $NOW 2> .err &
	local pid=$! i status=0
	for ((i = 0; i < 100; i++)); do
		[ -z "$(find state -name '*.rej')" ] || break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || status=$?
	[ "$status" -eq 1 ]
	grep -q 'stopped by a signal: the ranking is not refreshed' .err
	cmp first state/ranking.tsv
	[ -z "$(find state -name '.tmp*')" ]
	hourly --now $NOW || { cat .err; return 1; }
	full $NOW | cmp - state/ranking.tsv
}

@test "I/O errors (libfiu: fsync, rename, write, open fail at random in sr-hourly and its stages): each run exact or failed with the previous ranking" {
	command -v fiu-run > /dev/null || skip "fiu-run (fiu-utils) is not installed"
	# Faults injected into a sanitizer's own calls (LeakSanitizer's mmap, the
	# symbolizer it starts) make it report or hang: this runs on the plain build.
	if nm "$(command -v sr-sort)" 2> /dev/null | grep -q __asan_init; then
		skip "libfiu's faults are not for an ASan build: the plain build runs this"
	fi
	local fault p i status tried=0 ok=0 failed=0 wrong=0
	logs
	hourly --now $NOW
	for fault in posix/io/sync/fsync posix/io/dir/rename posix/io/rw/write posix/io/oc/open posix/io/rw/read posix/mm/mmap; do
		for p in 0.02 0.1 0.3; do
			for ((i = 0; i < 3; i++)); do
				tried=$((tried + 1))
				printf '%s\tq%dz\t%d\t%d\t1\t1\t1\n' $((NOW - tried * 3000)) "$tried" $((tried % 6 + 1)) \
				    $((200000 + tried)) >> "logs/$(date -u -d @$((NOW - tried * 3000)) +%Y-%m-%dT%H).tsv"
				cp state/ranking.tsv prev
				full $NOW > want
				status=0
				fiu-run -x -c "enable_random name=$fault,probability=$p" \
				    sr-hourly --logs logs --state state -n 20 --now $NOW 2> .err || status=$?
				if [ "$status" -eq 0 ] && cmp -s want state/ranking.tsv; then
					ok=$((ok + 1))
				elif [ "$status" -ne 0 ] && cmp -s prev state/ranking.tsv; then
					failed=$((failed + 1))
				else
					wrong=$((wrong + 1))
					echo "$fault at $p: status $status, a ranking neither the previous nor the exact one"
				fi
				# Without faults, exact again (a killed stage's lock is waited for).
				flock state/lock true
				hourly --now $NOW || { echo "$fault at $p: the next run failed"; cat .err; return 1; }
				cmp want state/ranking.tsv || { echo "$fault at $p: the next run is not exact"; return 1; }
			done
		done
	done
	echo "# $tried runs with faults: $ok exact, $failed failed, $wrong silently wrong" >&3
	[ "$wrong" -eq 0 ]
	[ "$failed" -gt 0 ]
}

@test "the hour being written: its file cut mid-line at every third byte of a line, gzip'd hours beside it: exact, status 0" {
	local cur last full_line cut n=0 gz=0
	logs
	cur=logs/2026-11-30T00.tsv
	# Earlier hours compressed as logrotate leaves them; the current hour's file as it grows.
	for f in logs/2026-11-2[89]T*.tsv; do gzip "$f"; gz=$((gz + 1)); done
	cp "$cur" whole
	last=$(tail -n 1 whole)
	head -n -1 whole > base
	# The recompute counts what a writer has finished: the lines ending in a newline.
	for ((cut = 0; cut <= ${#last}; cut += 3)); do
		{ cat base; printf '%s' "${last:0:cut}"; } > "$cur"
		hourly --now $NOW || { echo "cut $cut"; cat .err; return 1; }
		mv "$cur" hold && cp base "$cur"
		full $NOW > want
		mv hold "$cur"
		cmp want state/ranking.tsv || { echo "cut $cut"; return 1; }
		! grep -q 'rejected' .err
		n=$((n + 1))
	done
	# The line once finished counts.
	cp whole "$cur"
	touch -d "@$(( $(date +%s) + 5 ))" "$cur"
	hourly --now $NOW || { cat .err; return 1; }
	full $NOW > want
	cmp want state/ranking.tsv
	echo "# $n cuts of the current hour's last line, $gz hours gzip'd" >&3
}
