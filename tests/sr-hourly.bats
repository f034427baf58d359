#!/usr/bin/env bats
# sr-hourly: the hourly refresh from partials equals a full recompute of the window, exactly, through new hours, corrected logs and pruning; the lock; failures.

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$BATS_TEST_DIRNAME/../cmd:$BATS_TEST_DIRNAME/bench:$PATH"
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
	[ "$(sqlite3 r.db 'SELECT generation, window_since, window_until FROM sales_rank_meta')" = \
	    "2|2026-11-23T00:00:00Z|2026-11-30T00:00:00Z" ]
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
	grep -q '^sr-map: logs/2026-11-26T10.tsv:[0-9]*: ' .err
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
	for ((i = 1; i <= 8; i++)); do
		# Work to do: the new hour, two old hours changed, and now and then all of it.
		touch "logs/2026-11-2$((i % 7 + 3))T1$i.tsv" "logs/2026-11-2$((i % 5 + 3))T0$i.tsv"
		if ((i % 3 == 0)); then
			sr-hourly --logs logs --state state -n 20 --now $((NOW + i * 3600)) --full 2> /dev/null &
		else
			sr-hourly --logs logs --state state -n 20 --now $((NOW + i * 3600)) 2> /dev/null &
		fi
		pid=$!
		sleep "0.$(printf '%03d' $((i * 23)))"
		kill -9 "$pid" 2> /dev/null || true
		wait "$pid" || [ "$?" -ne 137 ] || killed=$((killed + 1))
		# Its children hold the lock until they end.
		for ((d = 0; d < 100; d++)); do
			flock -n state/lock true && break
			sleep 0.1
		done
	done
	[ "$killed" -ge 4 ] || { echo "only $killed runs were killed before their end"; return 1; }
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
	    "--logs x --state y --jobs two"; do
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
