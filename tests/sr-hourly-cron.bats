#!/usr/bin/env bats
# sr-hourly under cron and monitoring: what a failed run says on stderr whatever --log and --quiet, the stages' messages with their hour, the tools beside it under cron's PATH, unwritable state and log, a logs directory of other names, no reload when nothing changed, --metrics, --now as the tools read times.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-600}
load timeout

setup() {
	export LC_ALL=C
	BIN=${SR_BIN:-$BATS_TEST_DIRNAME/../bin}
	PATH="$BIN:$BATS_TEST_DIRNAME/bench:$PATH"
	cd "$BATS_TEST_TMPDIR" || return 1
	NOW=1795996800 # 2026-11-30T00:00:00Z
}

teardown() {
	if [ -n "${TESTUSER:-}" ]; then
		userdel "$TESTUSER" 2> /dev/null || true
	fi
	if [ -n "${SHARED:-}" ]; then
		rm -rf "$SHARED"
	fi
}

# logs: sales of the last 30 hours before NOW + 1 hour, a file per hour; every 10th in the next hour's file.
logs() {
	local e n=30
	mkdir -p logs
	sr-gen -n 6000 --seed 3 --products 500 --categories 4 --days 2 --end $((NOW + 3600)) --returns 5 \
	    --format epoch | awk -F '\t' -v s=$((NOW - n * 3600)) '$1 >= s' > all.tsv
	for ((e = NOW - n * 3600; e <= NOW + 3600; e += 3600)); do
		echo "$e $(date -u -d "@$e" +%Y-%m-%dT%H)"
	done > hours
	awk 'NR == FNR { name[$1] = $2; next }
	    { h = $1 - $1 % 3600; if (FNR % 10 == 0) h += 3600; if (h in name) print > ("logs/" name[h] ".tsv") }' \
	    hours FS='\t' all.tsv
}

# full UNTIL [HOURS]: the ranking of the window by one pipe over every log file.
full() {
	sr-map --since $(($1 - ${2:-24} * 3600)) --until "$1" logs/* | sr-sort | sr-reduce | sr-topk -n 20
}

hourly() {
	timeout 120 sr-hourly --logs logs --state state --hours 24 -n 20 "$@"
}

@test "stderr under cron: nothing on success with --log or --quiet, a short summary of a failure whatever the options" {
	local opts status
	logs
	# Success: --log and --quiet say nothing on stdout or stderr; without them, the run's lines on stderr.
	hourly --now $NOW --log run.log > out 2> err || { cat err run.log; return 1; }
	[ ! -s out ] && [ ! -s err ]
	grep -q 'ranked the window from all 24 partials' run.log
	touch logs/2026-11-29T10.tsv
	hourly --now $NOW --quiet > out 2> err || { cat err; return 1; }
	[ ! -s out ] && [ ! -s err ]
	touch logs/2026-11-29T10.tsv
	hourly --now $NOW -q --log run.log > out 2> err || { cat err; return 1; }
	[ ! -s out ] && [ ! -s err ]
	touch logs/2026-11-29T10.tsv
	hourly --now $NOW > out 2> err || { cat err; return 1; }
	[ ! -s out ]
	# The window, the two hours mapped, the ranking, the end; every line "sr-hourly: TIME: ".
	[ "$(wc -l < err)" -eq 5 ] || { cat err; return 1; }
	[ "$(grep -cE '^sr-hourly: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z: ' err)" -eq 5 ]
	cp state/ranking.tsv good
	# Failures, each with every combination of --log and --quiet: status 1, the cause on stderr in a few lines.
	printf 'garbage\n' >> logs/2026-11-29T10.tsv
	for opts in "" "--log run.log" "--quiet" "--quiet --log run.log"; do
		status=0
		# shellcheck disable=SC2086
		hourly --now $NOW $opts > out 2> err || status=$?
		[ "$status" -eq 1 ] && [ ! -s out ] || { echo "$opts: status $status"; return 1; }
		grep -q '^sr-hourly: [^ ]*: hour 2026-11-29T[01][09]: sr-map: logs/2026-11-29T10.tsv:[0-9]*: too few fields' err
		grep -q '^sr-hourly: [^ ]*: hour 2026-11-29T[01][09]: sr-map exited with status 1$' err
		[ "$(tail -n "$([[ $opts == *--log* ]] && echo 2 || echo 1)" err | head -1 | cut -d' ' -f3-)" = \
		    "hours failed 2: the ranking is not refreshed" ] || { echo "$opts"; cat err; return 1; }
		if [[ $opts == *--log* ]]; then
			[ "$(tail -1 err)" = "sr-hourly: the whole log of the run is in run.log" ]
			[ "$(wc -l < err)" -le 8 ] || { echo "$opts"; cat err; return 1; }
		fi
		cmp good state/ranking.tsv
	done
	# Many failing lines: the summary keeps its first lines and the last, and counts the rest.
	for ((status = 0; status < 50; status++)); do printf 'bad\n'; done >> logs/2026-11-29T12.tsv
	hourly --now $NOW --log run.log --max-rejects 10 2> err && return 1
	[ "$(wc -l < err)" -eq 8 ] || { cat err; return 1; }
	grep -q '^sr-hourly: \.\.\. [0-9]* more lines in run.log$' err
	[ "$(sed -n 7p err | cut -d' ' -f3-)" = "hours failed 2: the ranking is not refreshed" ]
	# A failure before anything runs: a missing logs directory, an unopenable log.
	run hourly --now $NOW --logs nowhere --log run.log --quiet
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == "sr-hourly: "*": nowhere: not a directory of log files" ]]
	run hourly --now $NOW --log nodir/run.log
	[ "$status" -eq 1 ]
	[[ $output == "sr-hourly: "*": nodir/run.log: cannot open the log: No such file or directory" ]]
	# The lock: status 75, said even with --quiet and --log.
	run flock state/lock timeout 60 sr-hourly --logs logs --state state --now $NOW --quiet --log run.log
	[ "$status" -eq 75 ]
	[[ ${lines[0]} == "sr-hourly: "*": another run holds state/lock; nothing done" ]]
}

@test "the stages' messages: each line said with its hour, none lost or cut, however many and however long, with --jobs 3" {
	local pid hour n i
	logs
	# Copies of the tools, with an sr-sort that writes 3000 numbered lines (beyond a pipe's
	# 64 KiB), one of 10000 bytes and an unterminated one to stderr before sorting.
	mkdir tools
	cp "$BIN"/sr-* tools/
	mv tools/sr-sort tools/sr-sort.real
	# It reads all of sr-map's output first: the stages of an hour share one channel,
	# so an unterminated line would run into sr-map's last messages if sr-map were
	# still writing them.
	cat > tools/sr-sort <<-'EOF'
	#!/bin/bash
	in=$(mktemp) && cat > "$in" || exit 1
	for ((i = 1; i <= 3000; i++)); do echo "fake-sort $$ line $i of 3000 padding-padding-padding"; done >&2
	printf 'fake-sort %s long %s\n' $$ "$(head -c 10000 /dev/zero | tr '\0' x)" >&2
	printf 'fake-sort %s unterminated' $$ >&2
	"$(dirname "$0")/sr-sort.real" "$@" < "$in"
	st=$?
	rm -f "$in"
	exit "$st"
	EOF
	chmod +x tools/sr-sort
	# And an sr-topk, in the last merge, that writes 5000 lines: labelled "ranking".
	mv tools/sr-topk tools/sr-topk.real
	cat > tools/sr-topk <<-'EOF'
	#!/bin/bash
	for ((i = 1; i <= 5000; i++)); do echo "fake-topk $$ line $i"; done >&2
	exec "$(dirname "$0")/sr-topk.real" "$@"
	EOF
	chmod +x tools/sr-topk
	timeout 300 tools/sr-hourly --logs logs --state state --hours 24 -n 20 --now $NOW --jobs 3 --log run.log ||
	    { tail run.log; return 1; }
	full $NOW | cmp - state/ranking.tsv
	# Each sr-sort's lines are all there, in order, under the hour of its job.
	[ "$(grep -c 'fake-sort [0-9]* line 1 of' run.log)" -eq 24 ]
	n=0
	for pid in $(sed -n 's/.*: fake-sort \([0-9]*\) line 1 of.*/\1/p' run.log); do
		hour=$(grep -m1 "fake-sort $pid line 1 of" run.log | sed 's/^sr-hourly: [^ ]* hour \([^:]*\): .*/\1/')
		[[ $hour == 2026-11-2[89]T[0-9][0-9] ]] || { echo "no hour: $hour"; return 1; }
		# This hour's lines, in order, are exactly what its stages wrote: no byte lost, none of another hour.
		grep "^sr-hourly: [^ ]*: hour $hour: " run.log | grep -v "^[^ ]* [^ ]* hour $hour: new: mapped " |
		    sed 's/^sr-hourly: [^ ]*: hour [^:]*: //' > mine
		{
			for ((i = 1; i <= 3000; i++)); do echo "fake-sort $pid line $i of 3000 padding-padding-padding"; done
			printf 'fake-sort %s long %s\n' "$pid" "$(head -c 10000 /dev/zero | tr '\0' x)"
			printf 'fake-sort %s unterminated\n' "$pid"
		} > want
		# The long line in three pieces of at most 4096 bytes, each with its hour.
		[ "$(wc -l < mine)" -eq 3004 ] || { echo "$hour: $(wc -l < mine) lines"; return 1; }
		cmp <(tr -d '\n' < want) <(tr -d '\n' < mine) || { echo "$hour: lines lost or cut"; return 1; }
		head -3000 mine | cmp - <(head -3000 want)
		[ "$(awk 'length($0) > 4096' mine | wc -l)" -eq 0 ]
		n=$((n + 1))
	done
	[ "$n" -eq 24 ]
	for pid in $(sed -n 's/.*: ranking: fake-topk \([0-9]*\) line 1$/\1/p' run.log); do
		sed -n "s/^sr-hourly: [^ ]*: ranking: fake-topk $pid line \([0-9]*\)\$/\1/p" run.log | cmp - <(seq 5000)
		n=$((n + 1))
	done
	[ "$n" -ge 25 ]
	[ "$(grep -c 'fake-topk' run.log)" -eq $(((n - 24) * 5000)) ]
}

@test "cron's environment: env -i PATH=/usr/bin:/bin with the tools only in a directory of their own, or reached by a link" {
	local d
	logs
	if env -i PATH=/usr/bin:/bin sh -c 'command -v sr-map' > /dev/null; then
		skip "sr-map is in /usr/bin or /bin: the test needs it absent from cron's PATH"
	fi
	d=$(mktemp -d)
	cp "$BIN"/sr-* "$d"/
	timeout 120 env -i PATH=/usr/bin:/bin "$d/sr-hourly" --logs logs --state state --hours 24 -n 20 --now $NOW \
	    2> err || { cat err; rm -rf "$d"; return 1; }
	full $NOW | cmp - state/ranking.tsv
	[ "$(grep -c ': mapped ' err)" -eq 24 ]
	# Through a symbolic link elsewhere, as /usr/local/bin/sr-hourly -> /opt/sr/bin/sr-hourly.
	mkdir linkdir
	ln -s "$d/sr-hourly" linkdir/sr-hourly
	rm -rf state
	timeout 120 env -i PATH=/usr/bin:/bin linkdir/sr-hourly --logs logs --state state --hours 24 -n 20 \
	    --now $NOW 2> err || { cat err; rm -rf "$d"; return 1; }
	full $NOW | cmp - state/ranking.tsv
	# With a tool missing: the hour fails, the message names it.
	rm "$d/sr-reduce"
	touch logs/2026-11-29T10.tsv
	run timeout 120 env -i PATH=/usr/bin:/bin "$d/sr-hourly" --logs logs --state state --hours 24 -n 20 --now $NOW
	rm -rf "$d"
	[ "$status" -eq 1 ]
	[[ $output == *"hour 2026-11-29T10: sr-hourly: sr-reduce: No such file or directory"* ]]
	[[ $output == *"hour 2026-11-29T10: sr-reduce exited with status 127"* ]]
}

@test "an unwritable state or log as another user: status 1 and sr-hourly's own message, never 2" {
	[ "$(id -u)" -eq 0 ] || skip "makes a user: needs root"
	command -v runuser > /dev/null || skip "runuser is not installed"
	local st msg tried=0
	TESTUSER=srhc$$
	useradd --system --no-create-home --shell /usr/sbin/nologin "$TESTUSER"
	SHARED=$(mktemp -d /tmp/sr-hourly-cron.XXXXXX)
	chmod 755 "$SHARED"
	cp "$BIN"/sr-* "$SHARED"/
	cd "$SHARED" || return 1
	logs
	chmod -R a+rX logs
	mkdir ro rw
	chmod 755 ro
	chown "$TESTUSER" rw
	as() {
		timeout 120 runuser -u "$TESTUSER" -- "$SHARED/sr-hourly" --logs logs --hours 24 -n 20 --now $NOW "$@"
	}
	as --state rw/state 2> err || { cat err; return 1; }
	# state: its parent, itself, hours/, the lock, each unwritable; the log, its directory.
	mkdir ro/state ro/state2 ro/state2/hours
	chmod 755 ro/state2
	cp -r rw/state rw/state3
	chown -R "$TESTUSER" rw/state3
	chown root rw/state3/hours
	chmod 755 rw/state3/hours
	touch logs/2026-11-29T10.tsv
	cp -r rw/state rw/state4
	chown -R "$TESTUSER" rw/state4
	chown root rw/state4/lock
	chmod 644 rw/state4/lock
	touch ro/run.log
	while IFS=$'\t' read -r st msg; do
		tried=$((tried + 1))
		run as $st
		[ "$status" -eq 1 ] || { echo "$st: status $status: $output"; return 1; }
		[[ $output == *"$msg"* ]] || { echo "$st: $output"; return 1; }
		[[ $output != *usage* && $output != *line\ [0-9]* ]] || { echo "$st: $output"; return 1; }
	done <<-EOF
	--state ro/new	ro/new: cannot make the state directory: Permission denied
	--state ro/state	ro/state/hours: cannot make the directory of the partials: Permission denied
	--state ro/state2	ro/state2/lock: cannot open the lock file: Permission denied
	--state rw/state3	rw/state3/hours/2026-11-29T10.tsv: cannot rename: Permission denied
	--state rw/state4	rw/state4/lock: cannot open the lock file: Permission denied
	--state rw/state --log ro/run.log	ro/run.log: cannot open the log: Permission denied
	--state rw/state --log ro/new.log	ro/new.log: cannot open the log: Permission denied
	--state rw/state --log ro/new.log --quiet	ro/new.log: cannot open the log: Permission denied
	EOF
	[ "$tried" -eq 8 ]
	# A metrics file it cannot write: said on stderr even with --quiet; the status is the run's own.
	run as --state rw/state --quiet --metrics ro/sr.prom
	[ "$status" -eq 0 ]
	[[ $output == "sr-hourly: "*": ro/sr.prom: cannot create the metrics: Permission denied (the run itself succeeded)" ]]
	printf 'garbage\n' >> logs/2026-11-29T10.tsv
	run as --state rw/state --quiet --metrics ro/sr.prom
	[ "$status" -eq 1 ]
	[[ $output == *"ro/sr.prom: cannot create the metrics: Permission denied"* ]]
	[[ $output == *"hours failed 2: the ranking is not refreshed"* ]]
}

@test "a logs directory with no file named for an hour of the window: a warning, status 1, the previous ranking kept" {
	local d
	logs
	hourly --now $NOW --db r.db 2> err || { cat err; return 1; }
	cp state/ranking.tsv good
	mkdir other empty old
	# Files named otherwise, as sales-2026112914.tsv; none at all; only hours long gone.
	for d in logs/*; do
		cp "$d" "other/sales-$(basename "$d" .tsv | tr -d 'T-').tsv"
	done
	cp logs/2026-11-29T10.tsv old/2026-10-01T10.tsv
	for d in other empty old; do
		run timeout 60 sr-hourly --logs $d --state state --hours 24 -n 20 --now $NOW --db r.db --quiet
		[ "$status" -eq 1 ] || { echo "$d: status $status"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$d: $output"; return 1; }
		cmp good state/ranking.tsv
		[ "$(sqlite3 r.db 'SELECT generation FROM sales_rank_meta')" -eq 1 ]
	done
	run timeout 60 sr-hourly --logs other --state state --hours 24 -n 20 --now $NOW
	[[ ${lines[1]} == "sr-hourly: "*": other: no log file named for an hour of the window (YYYY-MM-DDTHH, 2026-11-29T00 to 2026-11-30T00): "*" files of other names or hours, such as '"*"', are not read; nothing done" ]]
	run timeout 60 sr-hourly --logs empty --state state --hours 24 -n 20 --now $NOW
	[[ ${lines[1]} == "sr-hourly: "*": empty: no log file named for an hour of the window (YYYY-MM-DDTHH, 2026-11-29T00 to 2026-11-30T00); nothing done" ]]
	# One file of the window's hours is enough: a quiet shop is not an error.
	cp logs/2026-11-29T10.tsv empty/
	timeout 60 sr-hourly --logs empty --state state2 --hours 24 -n 20 --now $NOW --quiet
}

@test "no reload when nothing changed: same window and the same ranking; every change, a new window, --full or a failed load reloads" {
	logs
	gen() { sqlite3 r.db 'SELECT generation FROM sales_rank_meta'; }
	hourly --now $NOW --db r.db 2> err || { cat err; return 1; }
	[ "$(gen)" -eq 1 ]
	# The same hour, nothing new: not loaded. Later in the hour too.
	hourly --now $((NOW + 1200)) --db r.db 2> err
	grep -q 'the ranking and its window are those the last run loaded into r.db: not loaded again' err
	[ "$(gen)" -eq 1 ]
	# A log touched, mapped again, the same ranking: not loaded.
	touch logs/2026-11-29T05.tsv
	hourly --now $NOW --db r.db 2> err
	grep -q 'hour 2026-11-29T05: a log file changed' err
	grep -q 'not loaded again' err
	[ "$(gen)" -eq 1 ]
	# A sale that changes the ranking: loaded.
	printf '%s\tpnew\t1\t999999\t1\t1\t1\n' $((NOW - 5000)) >> logs/2026-11-29T22.tsv
	hourly --now $NOW --db r.db 2> err
	grep -q 'loaded into r.db' err
	[ "$(gen)" -eq 2 ]
	full $NOW | cmp - state/ranking.tsv
	# --full loads.
	hourly --now $NOW --db r.db --full 2> err
	[ "$(gen)" -eq 3 ]
	# Another database: loaded there.
	hourly --now $NOW --db r2.db 2> err
	grep -q 'loaded into r2.db' err
	# Back to r.db: the record is of r2.db, so loaded.
	hourly --now $NOW --db r.db 2> err
	[ "$(gen)" -eq 4 ]
	# A failed load (the database made unreadable) of a change: the next run loads again.
	printf '%s\tpnew2\t2\t999999\t1\t1\t1\n' $((NOW - 5000)) >> logs/2026-11-29T22.tsv
	mv r.db r.db.away
	mkdir r.db
	hourly --now $NOW --db r.db 2> err && return 1
	grep -q 'sr-load failed' err
	rmdir r.db
	mv r.db.away r.db
	hourly --now $NOW --db r.db 2> err || { cat err; return 1; }
	[ "$(gen)" -eq 5 ]
	# The next hour: the window moved, loaded even if the ranking had not changed.
	hourly --now $((NOW + 3600)) --db r.db 2> err || { cat err; return 1; }
	[ "$(gen)" -eq 6 ]
	[ "$(sqlite3 r.db 'SELECT window_until FROM sales_rank_meta')" = 2026-11-30T01:00:00Z ]
	hourly --now $((NOW + 3600)) --db r.db 2> err
	[ "$(gen)" -eq 6 ]
	[ "$(cat state/loaded)" = "$((NOW - 23 * 3600)) $((NOW + 3600)) r.db" ]
}

@test "--metrics: promtool-clean textfile-collector file, replaced whole; counts against oracles; a failure keeps the last success" {
	command -v promtool > /dev/null || skip "promtool (Debian prometheus) is not installed"
	local m t0 t1 lines
	logs
	value() { sed -n "s/^$1 //p" metrics/sr.prom; }
	mkdir metrics
	t0=$(date +%s)
	hourly --now $NOW --metrics metrics/sr.prom --quiet || return 1
	t1=$(date +%s)
	promtool check metrics < metrics/sr.prom
	[ "$(ls -A metrics)" = sr.prom ]
	for m in last_run_timestamp_seconds last_run_duration_seconds last_run_exit_status \
	    last_success_timestamp_seconds ranking_rows runs_total failed_runs_total partials_mapped_total \
	    lines_read_total lines_rejected_total; do
		grep -q "^# TYPE sr_hourly_$m " metrics/sr.prom || { echo "no $m"; return 1; }
	done
	[ "$(value sr_hourly_last_run_exit_status)" = 0 ]
	[ "$(value sr_hourly_runs_total)" = 1 ]
	[ "$(value sr_hourly_failed_runs_total)" = 0 ]
	[ "$(value sr_hourly_partials_mapped_total)" = 24 ]
	[ "$(value sr_hourly_ranking_rows)" = "$(wc -l < state/ranking.tsv)" ]
	[ "$(value sr_hourly_last_success_timestamp_seconds)" = "$(value sr_hourly_last_run_timestamp_seconds)" ]
	awk -v a="$t0" -v b="$t1" -v t="$(value sr_hourly_last_run_timestamp_seconds)" \
	    'BEGIN { exit !(t >= a && t <= b + 1) }'
	# Lines read: each hour reads its own file and the next one's.
	lines=0
	for ((h = 0; h < 24; h++)); do
		lines=$((lines + $(cat "logs/$(date -u -d @$((NOW - 86400 + h * 3600)) +%Y-%m-%dT%H).tsv" \
		    "logs/$(date -u -d @$((NOW - 86400 + (h + 1) * 3600)) +%Y-%m-%dT%H).tsv" | wc -l)))
	done
	[ "$(value sr_hourly_lines_read_total)" = "$lines" ]
	[ "$(value sr_hourly_lines_rejected_total)" = 0 ]
	# A failed run: recorded, the last success and its rows kept, the counters go on.
	cp metrics/sr.prom before
	printf 'garbage\n' >> logs/2026-11-29T10.tsv
	hourly --now $NOW --metrics metrics/sr.prom --quiet 2> /dev/null && return 1
	promtool check metrics < metrics/sr.prom
	[ "$(value sr_hourly_last_run_exit_status)" = 1 ]
	[ "$(value sr_hourly_runs_total)" = 2 ]
	[ "$(value sr_hourly_failed_runs_total)" = 1 ]
	[ "$(value sr_hourly_lines_rejected_total)" = 2 ]
	[ "$(value sr_hourly_partials_mapped_total)" = 24 ]
	[ "$(sed -n 's/^sr_hourly_last_success_timestamp_seconds //p' before)" = \
	    "$(value sr_hourly_last_success_timestamp_seconds)" ]
	[ "$(sed -n 's/^sr_hourly_ranking_rows //p' before)" = "$(value sr_hourly_ranking_rows)" ]
	# A failure before the state is opened is recorded too.
	hourly --now $NOW --logs nowhere --metrics metrics/sr.prom --quiet 2> /dev/null && return 1
	[ "$(value sr_hourly_failed_runs_total)" = 2 ]
	# Read while 30 runs rewrite it: always whole, always promtool-clean.
	sed -i '$d' logs/2026-11-29T10.tsv
	(for ((i = 0; i < 30; i++)); do hourly --now $NOW --metrics metrics/sr.prom --quiet; done) &
	local writer=$! reads=0
	while kill -0 "$writer" 2> /dev/null; do
		cp metrics/sr.prom snap
		[ "$(grep -c '^# TYPE' snap)" -eq 10 ] || { echo "a partial file:"; cat snap; return 1; }
		reads=$((reads + 1))
	done
	wait "$writer"
	promtool check metrics < metrics/sr.prom
	[ "$(value sr_hourly_runs_total)" = 33 ]
	[ "$(ls -A metrics)" = sr.prom ]
	echo "# $reads reads of the metrics file while it was rewritten" >&3
}

@test "--now and every time as the tools read times: a table against sr-filter-week --now" {
	local t fw hs until line tried=0 accepted=0
	mkdir logs
	while IFS= read -r t; do
		tried=$((tried + 1))
		# sr-filter-week: does it accept t, and which hour is its now in? Lines 1 ns before the hour passes...
		fw=0
		timeout 10 sr-filter-week --now "$t" --days 1 < /dev/null > /dev/null 2>&1 || fw=$?
		hs=0
		timeout 60 sr-hourly --logs logs --state state --hours 2 --now "$t" 2> err || hs=$?
		if [ "$fw" -eq 2 ]; then
			[ "$hs" -eq 2 ] || { echo "--now '$t': sr-filter-week refuses it, sr-hourly status $hs"; return 1; }
			grep -qxF "sr-hourly: --now: not a time: '$t'" err || { echo "'$t'"; cat err; return 1; }
			continue
		fi
		[ "$fw" -eq 0 ] || { echo "--now '$t': sr-filter-week status $fw"; return 1; }
		# Accepted by both (sr-hourly fails with 1 on the empty logs directory, after the window).
		[ "$hs" -eq 1 ] || { echo "--now '$t': sr-filter-week accepts it, sr-hourly status $hs"; cat err; return 1; }
		until=$(sed -n 's/^sr-hourly: [^ ]*: window [^ ]* to \([^ ]*\) (2 hours).*/\1/p' err)
		[ -n "$until" ] || { cat err; return 1; }
		# The hour of sr-filter-week's now: the instant 1 ns before until passes, 1 ns before the next hour does not.
		u=$(date -u -d "$until" +%s)
		line=$(printf '%s.999999999Z\tp\tc\t1\t1\t1\t1\n%s.999999999Z\tq\tc\t1\t1\t1\t1\n' \
		    "$(date -u -d @$((u - 1)) +%Y-%m-%dT%H:%M:%S)" "$(date -u -d @$((u + 3599)) +%Y-%m-%dT%H:%M:%S)")
		[ "$(printf '%s\n' "$line" | sr-filter-week --now "$t" --days 1 | cut -f2 | tr -d '\n')" = p ] ||
		    { echo "--now '$t': sr-hourly's window ends at $until, sr-filter-week's now is in another hour"; return 1; }
		accepted=$((accepted + 1))
	done <<-'EOF'
	1795996800
	1795996800.5
	1795996799.999999999
	1795999199
	1795999200
	0
	1
	-3600
	-1
	253402300799
	2026-11-30T00:05:00Z
	2026-11-30T00:05:00+01:00
	2026-11-30T00:05:00-05:30
	2026-11-30T00:05:00.123456789Z
	2026-11-30t00:05:00z
	2026-11-30 00:05:00Z
	2026-12-31T23:59:60Z
	2016-12-31T23:59:60Z
	2027-01-01T00:59:60+01:00
	2024-02-29T12:00:00Z
	2026-11-30T00:05:00 +01:00
	2026-11-30T00:05:00
	2026-11-30
	2026-02-29T12:00:00Z
	2026-11-30T24:00:00Z
	2026-11-30T00:60:00Z
	2026-11-30T00:05:61Z
	2026-11-30T00:05:00+24:00
	2026-11-30T00:05:00.Z
	1795996800.
	.5
	+1795996800
	 1795996800
	1795996800 
	1e9
	0x6B0E4B00
	17959968001795996800
	yesterday
	now

	EOF
	echo "# $tried times tried, $accepted accepted by both" >&3
	[ "$tried" -eq 40 ]
	[ "$accepted" -ge 15 ]
}

@test "--help names every option of the table, and the man page documents each" {
	local o
	run sr-hourly --help
	[ "$status" -eq 0 ]
	for o in $(grep '_argument, NULL' "$BATS_TEST_DIRNAME/../cmd/sr-hourly.c" | cut -d'"' -f2); do
		[[ $output == *"--$o"* ]] || { echo "--help lacks --$o"; return 1; }
		grep -q "^\.It Fl -$o\|^\.It Fl [a-z]\( Ar [a-z]*\)\? , Fl -$o" "$BATS_TEST_DIRNAME/../man/sr-hourly.1" ||
		    { echo "the man page lacks --$o"; return 1; }
	done
	[[ $output == *"-n, --count count"* && $output == *"-q, --quiet"* ]]
}
