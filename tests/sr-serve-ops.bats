#!/usr/bin/env bats
# sr-serve in production: run as its own user against a database another user loads, SIGHUP, /healthz's thresholds, /metrics under promtool.
#
# The two-user tests need root (they add two users and remove them after);
# without root they are skipped, saying why, except with CI=true, where they
# fail. promtool comes with Debian's prometheus package.

load helper
load serve/serve
TOOL=sr-serve
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout
# run.sh: waits 95

NOW=2026-11-30T00:00:00Z

# Two rankings of testdata/sales.tsv, in a directory every user may read.
setup_file() {
	local td="$BATS_TEST_DIRNAME/../testdata"
	SHARED=$(mktemp -d "${TMPDIR:-/tmp}/sr-serve-ops.XXXXXX")
	chmod 755 "$SHARED"
	export SHARED RANK_A="$SHARED/a.tsv" RANK_B="$SHARED/b.tsv"
	sr-filter-week --now "$NOW" "$td/sales.tsv" | sr-map | sr-sort | sr-reduce | sr-topk -n 10 > "$RANK_A"
	sr-filter-week --now "$NOW" --days 2 "$td/sales.tsv" | sr-map | sr-sort | sr-reduce |
	    sr-topk -n 3 > "$RANK_B"
	chmod 644 "$RANK_A" "$RANK_B"
	! cmp -s "$RANK_A" "$RANK_B" || false
}

teardown_file() {
	rm -rf "$SHARED"
}

teardown() {
	local p u
	for p in ${SERVE_PIDS-} ${HAMMER_PID-}; do
		kill "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
	for u in ${USERS_MADE-}; do
		userdel "$u" || true
	done
	[ -z "${DATA-}" ] || rm -rf "$DATA"
}

# two_users: make users A and B (names in $A and $B, removed in teardown) and DATA, a directory of A's.
two_users() {
	if [ "$(id -u)" -ne 0 ]; then
		[ "${CI:-}" != true ] || { echo "the two-user tests need root in CI"; return 1; }
		skip "not root: cannot add the two users"
	fi
	A=srw$$
	B=srr$$
	useradd -M -N -s /usr/sbin/nologin "$A"
	USERS_MADE="$A"
	useradd -M -N -s /usr/sbin/nologin "$B"
	USERS_MADE="$A $B"
	DATA=$(mktemp -d "$SHARED/data.XXXXXX")
	chown "$A" "$DATA"
	chmod 755 "$DATA"
}

# as USER COMMAND...: run COMMAND as USER, with no other group.
as() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$(id -g "$u")" --clear-groups -- "$@"
}

# served GENERATION RANKING [MS]: within MS (default 2000) ms category 1 is served from GENERATION,
# exactly as RANKING (a TSV file) has it; sets MS to how long it took.
served() {
	local gen=$1 want limit=${3:-2000} t0
	want=$(grep '^1	' "$2" | cut -f 2-)
	t0=$(date +%s%N)
	while :; do
		get '/api/v1/popular?category_id=1'
		[ "$STATUS" = 200 ] && [ "$(jq .generation .body)" = "$gen" ] && [ "$(products_tsv .body)" = "$want" ] &&
		    break
		MS=$((($(date +%s%N) - t0) / 1000000))
		[ "$MS" -lt "$limit" ] || { echo "generation $gen not served after $MS ms: $STATUS"; cat .body; return 1; }
		sleep 0.02
	done
	MS=$((($(date +%s%N) - t0) / 1000000))
}

# hammer URL SECONDS: GET URL over one connection for SECONDS; prints "requests failures" and each failure.
hammer() {
	python3 - "$@" <<-'EOF'
	import http.client, sys, time, urllib.parse
	u = urllib.parse.urlsplit(sys.argv[1])
	end = time.time() + float(sys.argv[2])
	c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
	n, bad = 0, []
	while time.time() < end:
	    c.request("GET", u.path + "?" + u.query)
	    r = c.getresponse()
	    b = r.read()
	    n += 1
	    if r.status != 200 or not b.endswith(b"]}\n"):
	        bad.append((r.status, b[:200]))
	print(n, len(bad))
	for b in bad:
	    print(b)
	EOF
}

# reload_under_reader DIRMODE: A loads into DATA (mode DIRMODE) while B serves it; see the tests below.
# With 2750, as sr-serve(1) has it, DATA and the database are of B's group and closed to others.
reload_under_reader() {
	local mode=$1 db i r worst=0 n=0
	two_users
	[ "$mode" != 2750 ] || chgrp "$(id -g "$B")" "$DATA"
	chmod "$mode" "$DATA"
	db=$DATA/rank.db
	as "$A" sr-load --db "$db" --now "$NOW" "$RANK_A"
	[ "$mode" != 2750 ] || chmod 640 "$db"
	serve as "$B" "$db"
	served 1 "$RANK_A"
	# B can read but not write anything there.
	! as "$B" sh -c ": >> '$db'" 2> /dev/null || false
	! as "$B" sh -c ": >> '$db-shm'" 2> /dev/null || false
	hammer "$URL/api/v1/popular?category_id=1" 15 > hammer.out &
	HAMMER_PID=$!
	# Each load waited for, then loads back to back: every load succeeds, each one waited for is served.
	for ((i = 2; i <= 41; i++)); do
		if ((i % 2)); then r=$RANK_A; else r=$RANK_B; fi
		as "$A" sr-load --db "$db" --now "$NOW" "$r" 2> load.err || { echo "load $i failed:"; cat load.err; return 1; }
		[ ! -s load.err ] || { echo "load $i said:"; cat load.err; return 1; }
		n=$((n + 1))
		if ((i <= 21)); then
			served "$i" "$r" || { echo "$mode: load $i"; return 1; }
			((MS > worst)) && worst=$MS
		fi
	done
	served 41 "$RANK_A"
	wait "$HAMMER_PID"
	read -r req bad < hammer.out
	echo "# dir $mode: $n loads by $A under $B's sr-serve, 0 failed, 20 each served within $worst ms; $req requests, $bad failed" >&3
	[ "$bad" -eq 0 ] || { cat hammer.out; return 1; }
	# Nothing there is B's, nothing was ever said but that it listens.
	[ -z "$(find "$DATA" -user "$B")" ] || { ls -l "$DATA"; return 1; }
	[ "$(grep -cv '^sr-serve: listening on ' "$SERVE_LOG")" -eq 0 ] || { cat "$SERVE_LOG"; return 1; }
	get /healthz
	[ "$STATUS" = 200 ]
	[ "$(jq .failed_reloads .body)" = 0 ]
}

@test "sr-serve-ops: another user's sr-serve on a read-only directory: 40 loads under it, none fails, each served" {
	reload_under_reader 755
}

@test "sr-serve-ops: another user's sr-serve reading through its group only, as sr-serve(1) sets it up (directory 2750, database 640)" {
	reload_under_reader 2750
}

@test "sr-serve-ops: another user's sr-serve in a shared writable directory (1777 and 0777): 40 loads, none fails, no file of its own" {
	reload_under_reader 1777
	teardown
	SERVE_PIDS="" HAMMER_PID="" USERS_MADE="" DATA=""
	reload_under_reader 777
}

@test "sr-serve-ops: -wal and -shm removed (as sqlite3 does, closing last): the reader makes neither, says why, keeps serving; the next load mends it" {
	local db i f
	two_users
	chmod 1777 "$DATA"
	db=$DATA/rank.db
	as "$A" sr-load --db "$db" --now "$NOW" "$RANK_A"
	for f in -wal -shm; do
		serve as "$B" "$db" --max-failed-reloads 3
		served 1 "$RANK_A"
		rm "$db$f"
		sleep 1.2
		# The last good ranking is served; /healthz says the reloads fail; nothing was made.
		served 1 "$RANK_A"
		get /healthz
		[ "$STATUS" = 503 ]
		jq -e '.status == "unhealthy" and (.error | test("^the last [0-9]+ reloads failed \\(--max-failed-reloads 3\\)$"))' .body
		[ ! -e "$db$f" ]
		grep -qx "sr-serve: $db: reload: $db$f does not exist, and a reader that does not own the database makes none (sr-load keeps it: load again)" "$SERVE_LOG"
		# Nor at the start.
		run as "$B" sr-serve --db "$db" --listen 127.0.0.1:0
		[ "$status" -eq 1 ]
		[ "$output" = "sr-serve: $db: open: $db$f does not exist, and a reader that does not own the database makes none (sr-load keeps it: load again)" ]
		[ -z "$(find "$DATA" -user "$B")" ]
		as "$A" sr-load --db "$db" --now "$NOW" "$RANK_B"
		[ -e "$db-wal" ] && [ -e "$db-shm" ]
		served 2 "$RANK_B"
		get /healthz
		[ "$STATUS" = 200 ]
		kill "$SERVE_PID"
		wait "$SERVE_PID"
		rm -f "$db" "$db-wal" "$db-shm"
		as "$A" sr-load --db "$db" --now "$NOW" "$RANK_A"
	done
}

@test "sr-serve-ops: the owner's own sr-serve may still make the -wal and -shm (as after sqlite3 closed the database)" {
	local db=r.db run=()
	if [ "$(id -u)" -eq 0 ]; then
		two_users
		db=$DATA/r.db
		run=(as "$A")
	fi
	"${run[@]}" sr-load --db "$db" --now "$NOW" "$RANK_A"
	"${run[@]}" sqlite3 "$db" 'SELECT count(*) FROM sales_rank' > /dev/null
	[ ! -e "$db-wal" ] && [ ! -e "$db-shm" ]
	serve "${run[@]}" "$db"
	served 1 "$RANK_A"
	[ -e "$db-wal" ] && [ -e "$db-shm" ]
	"${run[@]}" sr-load --db "$db" --now "$NOW" "$RANK_B"
	served 2 "$RANK_B"
}

@test "sr-serve-ops: SIGHUP rereads at once, also a ranking changed by hand under the same generation; 50 more leave it serving; TERM ends it with 0" {
	local i before after etag status
	sr-load --db r.db --now "$NOW" "$RANK_A"
	serve r.db
	served 1 "$RANK_A"
	etag=$(header ETag)
	before=$(jq -c .products .body)
	# Same generation, same loaded_at, same file: polling does not see it.
	sqlite3 r.db "UPDATE sales_rank SET total_sold = total_sold + 1000 WHERE category_id = '1'"
	sleep 1
	get '/api/v1/popular?category_id=1'
	[ "$(jq -c .products .body)" = "$before" ]
	kill -HUP "$SERVE_PID"
	local t0
	t0=$(date +%s%N)
	for ((i = 0; i < 100; i++)); do
		get '/api/v1/popular?category_id=1'
		[ "$(jq -c .products .body)" = "$before" ] || break
		sleep 0.01
	done
	MS=$((($(date +%s%N) - t0) / 1000000))
	after=$(jq -r '.products[] | [.rank, .product_id, .total_sold - 1000] | @tsv' .body)
	[ "$after" = "$(grep '^1	' "$RANK_A" | cut -f 2-)" ] || { echo "after SIGHUP: $(cat .body)"; return 1; }
	[ "$(header ETag)" != "$etag" ]
	echo "# the change made by hand was served $MS ms after SIGHUP" >&3
	((MS < 1000))
	grep -qx "sr-serve: r.db: SIGHUP: read generation 1" "$SERVE_LOG"
	# A storm of SIGHUPs, while serving.
	hammer "$URL/api/v1/popular?category_id=1" 3 > hammer.out &
	HAMMER_PID=$!
	for ((i = 0; i < 50; i++)); do
		kill -HUP "$SERVE_PID"
		sleep 0.02
	done
	wait "$HAMMER_PID"
	read -r n bad < hammer.out
	[ "$bad" -eq 0 ] || { cat hammer.out; return 1; }
	kill -0 "$SERVE_PID"
	get /healthz
	[ "$STATUS" = 200 ]
	# A new load after the storm, then SIGTERM: status 0.
	sr-load --db r.db --now "$NOW" "$RANK_B"
	served 2 "$RANK_B"
	kill -TERM "$SERVE_PID"
	status=0
	wait "$SERVE_PID" || status=$?
	[ "$status" -eq 0 ]
	SERVE_PIDS=""
}

@test "sr-serve-ops: SIGHUP with no ranking yet says so; a failed reread on SIGHUP is said each time" {
	sqlite3 r.db 'PRAGMA journal_mode = WAL' > /dev/null
	serve r.db
	kill -HUP "$SERVE_PID"
	sleep 0.3
	grep -qx "sr-serve: r.db: SIGHUP: no ranking loaded yet" "$SERVE_LOG"
	sr-load --db r.db --now "$NOW" "$RANK_A"
	served 1 "$RANK_A"
	mv r.db gone.db
	kill -HUP "$SERVE_PID"
	sleep 0.3
	kill -HUP "$SERVE_PID"
	sleep 0.3
	[ "$(grep -cx "sr-serve: r.db: SIGHUP: reload: unable to open database file" "$SERVE_LOG")" -eq 2 ]
	kill -0 "$SERVE_PID"
}

@test "sr-serve-ops: --max-age and --max-failed-reloads: accepted forms, refused ones" {
	local a want
	sr-load --db r.db --now "$NOW" "$RANK_A"
	for a in 0:0 90:90 90s:90 2m:120 1h:3600 1d:86400 366d:31622400 007:7; do
		want=${a#*:}
		serve r.db --max-age "${a%%:*}"
		get /metrics
		grep -qx "sr_serve_max_age_seconds $want" .body || { echo "--max-age ${a%%:*}"; grep max_age .body; return 1; }
		kill "$SERVE_PID"
		wait "$SERVE_PID"
	done
	for a in '' x 1.5h -1 +1 1w h 2H ' 1' 1s2; do
		check 2 "--max-age '$a'" "" "" \
		    "$TOOL: --max-age: not a duration: '$a' (want seconds, or a number and s, m, h or d)\n"
	done
	check 2 "--max-age 367d" "" "" "$TOOL: --max-age: duration is too long: 367d (at most 31622400s)\n"
	check 2 "--max-age 31622401" "" "" "$TOOL: --max-age: duration is too long: 31622401 (at most 31622400s)\n"
	check 2 "--max-age 99999999999999999999" "" "" \
	    "$TOOL: --max-age: not a duration: '99999999999999999999' (want seconds, or a number and s, m, h or d)\n"
	check 2 "--max-failed-reloads -1" "" "" "$TOOL: --max-failed-reloads: count is too small: -1 (at least 0)\n"
	check 2 "--max-failed-reloads x" "" "" "$TOOL: --max-failed-reloads: not a number: 'x'\n"
	check 2 "--max-failed-reloads 1000001" "" "" \
	    "$TOOL: --max-failed-reloads: count is too large: 1000001 (at most 1000000)\n"
}

# set_loaded SECONDS_AGO: the ranking in r.db was loaded SECONDS_AGO (a decimal) before now; a new generation.
set_loaded() {
	local at
	at=$(python3 -c 'import datetime, sys, time; print(datetime.datetime.fromtimestamp(time.time() - float(sys.argv[1]), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))' "$1")
	sqlite3 r.db "UPDATE sales_rank_meta SET loaded_at = '$at', generation = generation + 1"
	kill -HUP "$SERVE_PID"
}

@test "sr-serve-ops: /healthz and --max-age: a sweep across the edge; 200 up to --max-age seconds old, 503 past it, as the ranking ages" {
	local ago i age want seen200=0 seen503=0 tries=0 gen at_edge=0 past_edge=0
	sr-load --db r.db --now "$NOW" "$RANK_A"
	serve r.db --max-age 30s
	for ago in 28 28.5 29 29.3 29.6 29.9 30.2 30.5 30.8 31.1 31.5 32 33; do
		gen=$(sqlite3 r.db 'SELECT generation + 1 FROM sales_rank_meta')
		set_loaded "$ago"
		for ((i = 0; i < 50; i++)); do
			get /healthz
			[ "$(jq .generation .body)" = "$gen" ] && break
			sleep 0.02
		done
		# The verdict agrees with the age the reply gives, and that age with loaded_at.
		age=$(jq .age_seconds .body)
		[ "$age" -ge "${ago%.*}" ] && [ "$age" -le $((${ago%.*} + 2)) ] || { echo "$ago s ago: age $age"; return 1; }
		if [ "$age" -gt 30 ]; then
			want=503
			seen503=$((seen503 + 1))
			jq -e --arg e "the ranking is ${age}s old, more than --max-age 30s" '.status == "unhealthy" and .error == $e' .body
		else
			want=200
			seen200=$((seen200 + 1))
			jq -e '.status == "ok" and (has("error") | not)' .body
		fi
		[ "$STATUS" = "$want" ] || { echo "age $age: $STATUS"; cat .body; return 1; }
		[ "$age" != 30 ] || at_edge=$((at_edge + 1))
		[ "$age" != 31 ] || past_edge=$((past_edge + 1))
		[ "$(header Cache-Control)" = no-store ]
		tries=$((tries + 1))
	done
	# Exactly --max-age old (200) and one second more (503) were both among them.
	[ "$seen200" -ge 3 ] && [ "$seen503" -ge 3 ] && [ "$at_edge" -ge 1 ] && [ "$past_edge" -ge 1 ]
	# Aging alone, with no reload, turns it: 29.5 s old now, more than 30 s a little later.
	set_loaded 29.5
	sleep 0.3
	get /healthz
	[ "$STATUS" = 200 ]
	sleep 1.5
	get /healthz
	[ "$STATUS" = 503 ]
	# --max-age 0: no age is too old; an unknown load time is then no matter either.
	kill "$SERVE_PID"
	wait "$SERVE_PID"
	serve r.db --max-age 0
	set_loaded 315360000
	sleep 0.3
	get /healthz
	[ "$STATUS" = 200 ]
	sqlite3 r.db "UPDATE sales_rank_meta SET loaded_at = 'yesterday', generation = generation + 1"
	kill -HUP "$SERVE_PID"
	sleep 0.3
	get /healthz
	[ "$STATUS" = 200 ]
	[ "$(jq .age_seconds .body)" = null ]
	kill "$SERVE_PID"
	wait "$SERVE_PID"
	serve r.db
	get /healthz
	[ "$STATUS" = 503 ]
	jq -e '.error == "the ranking'"'"'s load time is not known (--max-age 7200s)"' .body
	echo "# $tries ages across --max-age 30s: $seen200 answered 200 ($at_edge of them 30 s old), $seen503 answered 503 ($past_edge 31 s old)" >&3
}

@test "sr-serve-ops: /healthz and --max-failed-reloads N: 200 after N-1 failures in a row, 503 from the Nth, 200 again at the next good load" {
	local n i f seen gen
	for n in 1 3 5; do
		rm -f r.db r.db-wal r.db-shm
		sr-load --db r.db --now "$NOW" "$RANK_A"
		serve r.db --max-failed-reloads "$n"
		get /healthz
		[ "$STATUS" = 200 ] && [ "$(jq .failed_reloads .body)" = 0 ]
		# A ranking sr-serve cannot serve: an id that is not UTF-8. Each poll (every 0.25 s) fails again.
		sqlite3 r.db "BEGIN; INSERT INTO sales_rank (category_id, product_id, total_sold, rank) VALUES (CAST(x'63fe' AS TEXT), 'p', 1, 1); UPDATE sales_rank_meta SET generation = generation + 1; COMMIT;"
		seen=" "
		for ((i = 0; i < 300; i++)); do
			get /healthz
			f=$(jq .failed_reloads .body)
			if [ "$f" -ge "$n" ]; then
				[ "$STATUS" = 503 ] || { echo "N=$n: $f failed, $STATUS"; return 1; }
				jq -e --arg e "the last $f reloads failed (--max-failed-reloads $n)" '.error == $e and .generation == 1' .body
			else
				[ "$STATUS" = 200 ] || { echo "N=$n: $f failed, $STATUS"; return 1; }
			fi
			[[ $seen == *" $f "* ]] || seen="$seen$f "
			[ "$f" -lt $((n + 2)) ] || break
			sleep 0.02
		done
		# Each count from N-1 (the first may come before a look) to N+1 was seen: both sides of the edge.
		for ((f = n > 1 ? n - 1 : 1; f <= n + 1; f++)); do
			[[ $seen == *" $f "* ]] || { echo "N=$n: $f failures never seen in:$seen"; return 1; }
		done
		get /metrics
		grep -qx 'sr_serve_healthy 0' .body
		grep -q '^sr_serve_reload_failures_in_a_row [1-9]' .body
		awk -v now="$(date +%s)" '$1 == "sr_serve_reload_last_failure_timestamp_seconds" { ok = $2 > now - 5 && $2 <= now + 1 } END { exit !ok }' .body
		! command -v promtool > /dev/null || promtool check metrics < .body
		# The next good load ends it.
		sr-load --db r.db --now "$NOW" "$RANK_B"
		gen=$(sqlite3 r.db 'SELECT generation FROM sales_rank_meta')
		for ((i = 0; i < 100; i++)); do
			get /healthz
			[ "$(jq .generation .body)" = "$gen" ] && break
			sleep 0.02
		done
		[ "$STATUS" = 200 ]
		[ "$(jq .failed_reloads .body)" = 0 ]
		kill "$SERVE_PID"
		wait "$SERVE_PID"
	done
	# --max-failed-reloads 0: never unhealthy for failures.
	serve r.db --max-failed-reloads 0
	mv r.db gone.db
	sleep 1.2
	get /healthz
	[ "$STATUS" = 200 ]
	[ "$(jq .failed_reloads .body)" -ge 3 ]
	mv gone.db r.db
}

@test "sr-serve-ops: both reasons at once, joined; the times of the last good and failed reloads" {
	sr-load --db r.db --now "$NOW" "$RANK_A"
	serve r.db --max-age 60 --max-failed-reloads 2
	sqlite3 r.db "BEGIN; INSERT INTO sales_rank (category_id, product_id, total_sold, rank) VALUES (CAST(x'63fe' AS TEXT), 'p', 1, 1); UPDATE sales_rank_meta SET generation = generation + 1, loaded_at = '2026-01-01T00:00:00Z'; COMMIT;"
	# The ranking served (generation 1) was loaded just now: only the failures count.
	sleep 1
	get /healthz
	[ "$STATUS" = 503 ]
	jq -e '.error | test("^the last [0-9]+ reloads failed \\(--max-failed-reloads 2\\)$")' .body
	# An old ranking that also cannot be reread: two reasons.
	kill "$SERVE_PID"
	wait "$SERVE_PID"
	sqlite3 r.db "DELETE FROM sales_rank WHERE category_id = CAST(x'63fe' AS TEXT); UPDATE sales_rank_meta SET generation = generation + 1"
	serve r.db --max-age 60 --max-failed-reloads 2
	sqlite3 r.db "INSERT INTO sales_rank (category_id, product_id, total_sold, rank) VALUES (CAST(x'63fe' AS TEXT), 'p', 1, 1); UPDATE sales_rank_meta SET generation = generation + 1"
	sleep 1
	get /healthz
	[ "$STATUS" = 503 ]
	jq -e '.error | test("^the ranking is [0-9]+s old, more than --max-age 60s; the last [0-9]+ reloads failed \\(--max-failed-reloads 2\\)$")' .body
	get /metrics
	grep -qx 'sr_serve_healthy 0' .body
	awk -v now="$(date +%s)" '$1 == "sr_serve_reload_last_success_timestamp_seconds" { ok = $2 > now - 5 && $2 <= now + 1 } END { exit !ok }' .body
	awk '$1 == "sr_serve_ranking_loaded_timestamp_seconds" { ok = $2 == 1767225600 } END { exit !ok }' .body
	awk '$1 == "sr_serve_ranking_age_seconds" { ok = $2 > 60 } END { exit !ok }' .body
}

@test "sr-serve-ops: /metrics passes promtool check metrics with no ranking, healthy and unhealthy, and names the build" {
	command -v promtool > /dev/null || {
		[ "${CI:-}" != true ] || { echo "promtool (Debian prometheus) is needed in CI"; return 1; }
		skip "promtool is not installed (Debian package prometheus)"
	}
	sqlite3 r.db 'PRAGMA journal_mode = WAL' > /dev/null
	serve r.db --max-age 30
	get /metrics
	promtool check metrics < .body
	! grep -q '^sr_serve_ranking_age_seconds' .body || false
	grep -qx 'sr_serve_healthy 0' .body
	sr-load --db r.db --now "$NOW" "$RANK_A"
	served 1 "$RANK_A"
	get /metrics
	[ "$(header Content-Type)" = "text/plain; version=0.0.4" ]
	promtool check metrics < .body
	grep -qx 'sr_serve_healthy 1' .body
	grep -qx 'sr_serve_cache_generation 1' .body
	grep -qx "sr_build_info{version=\"$(sr-serve --version | awk '{ print $NF }')\",sqlite=\"$(sqlite3 --version | cut -d' ' -f1)\",libevent=\"[0-9.]*-stable\"} 1" .body
	grep -qx 'sr_serve_reload_last_failure_timestamp_seconds 0.000' .body
	awk '$1 == "sr_serve_ranking_age_seconds" { ok = $2 >= 0 && $2 < 5 } END { exit !ok }' .body
	set_loaded 40
	sleep 0.3
	get /metrics
	promtool check metrics < .body
	grep -qx 'sr_serve_healthy 0' .body
	awk '$1 == "sr_serve_ranking_age_seconds" { ok = $2 >= 40 && $2 < 45 } END { exit !ok }' .body
}
