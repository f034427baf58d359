#!/usr/bin/env bats
# sr-serve from PostgreSQL under a hostile operator: the server hung while sr-serve is asked to stop.
#
# The file starts its own throwaway server (tests/pg.sh) and gives each test a
# database of its own. Without PostgreSQL the tests are skipped, saying why;
# with CI=true they fail instead. Needs curl and python3.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout
# run.sh: waits 70
load helper
load serve/serve
load pg
TOOL=sr-serve

NOW=2026-11-30T00:00:00Z

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	pg_database
	sr-load --init --db "$PG" > /dev/null
	printf 'a\t1\tp\t5\na\t2\tq\t3\nb\t1\tr\t9\n' | sr-load --db "$PG" --now "$NOW"
}

teardown() {
	local p
	[ -z "${STOPPED-}" ] || pg_signal CONT || true
	for p in ${SERVE_PIDS-}; do
		kill -KILL "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
}

# pg_signal SIGNAL: send SIGNAL to the server's postmaster and every process it started.
pg_signal() {
	local pm
	pm=$(head -n 1 "$SR_PG_DIR/data/postmaster.pid")
	# shellcheck disable=SC2046
	kill -"$1" "$pm" $(ps -o pid= --ppid "$pm")
}

# stops_within PID MS: PID, sent SIGTERM, has exited (0) within MS milliseconds; sets MS to how long it took.
stops_within() {
	local t0 i
	t0=$(date +%s%N)
	kill -TERM "$1"
	for ((i = 0; i < $2 / 20; i++)); do
		kill -0 "$1" 2> /dev/null || break
		sleep 0.02
	done
	MS=$((($(date +%s%N) - t0) / 1000000))
	! kill -0 "$1" 2> /dev/null || { echo "sr-serve still running $MS ms after SIGTERM"; return 1; }
	wait "$1" || { echo "sr-serve exited with $?"; return 1; }
}

@test "sr-serve --db postgresql://: SIGTERM while the loader waits on a hung server (a query, then a new connection, no connect_timeout): stopped within 2 s, replies from memory until then" {
	local at tries=0
	for at in 0.5 3 12; do
		SERVE_PIDS=""
		serve "$PG"
		pg_signal STOP
		STOPPED=1
		sleep "$at"
		get '/api/v1/popular?category_id=a' --max-time 2
		tries=$((tries + 1))
		[ "$STATUS" = 200 ] && grep -q '"product_id":"p"' .body || { echo "at $at s: $STATUS"; cat .body; return 1; }
		stops_within "$SERVE_PID" 2000 || { echo "SIGTERM $at s after the server hung"; cat "$SERVE_LOG"; return 1; }
		! grep -e '--timeout' "$SERVE_LOG" || { echo "an option sr-serve does not have"; return 1; }
		pg_signal CONT
		STOPPED=""
		echo "# SIGTERM $at s after the server hung: stopped in $MS ms" >&3
	done
}

@test "sr-serve --db postgresql://: a hung server, no connect_timeout in the URI nor PGCONNECT_TIMEOUT: /healthz 503 and sr_serve_db_up 0 within 60 s, replies from memory meanwhile; 200 again after SIGCONT" {
	local i t0 ms tries=0
	unset PGCONNECT_TIMEOUT
	serve "$PG" --max-failed-reloads 3
	t0=$(date +%s%N)
	pg_signal STOP
	STOPPED=1
	for ((i = 0; i < 600; i++)); do
		get '/api/v1/popular?category_id=a' --max-time 2
		tries=$((tries + 1))
		[ "$STATUS" = 200 ] && grep -q '"product_id":"p"' .body || { echo "try $tries: $STATUS"; cat .body; return 1; }
		get /healthz --max-time 2
		[ "$STATUS" != 503 ] || break
		sleep 0.1
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$STATUS" = 503 ] && ((ms < 60000)) || { echo "/healthz $STATUS after $ms ms, $tries replies"; cat .body "$SERVE_LOG"; return 1; }
	curl -sS "$URL/metrics" | grep -qx 'sr_serve_db_up 0'
	echo "# server hung: $tries replies from memory, /healthz 503 after $ms ms" >&3
	pg_signal CONT
	STOPPED=""
	for ((i = 0; i < 300; i++)); do
		get /healthz --max-time 2
		[ "$STATUS" != 200 ] || break
		sleep 0.1
	done
	[ "$STATUS" = 200 ] || { echo "/healthz $STATUS 30 s after SIGCONT"; cat .body "$SERVE_LOG"; return 1; }
	curl -sS "$URL/metrics" | grep -qx 'sr_serve_db_up 1'
}

# ranking K: categories c0 to c4, category c with (K mod 7) + 3 + c rows, product ids gK-cC-rR.
ranking() {
	awk -v k="$1" 'BEGIN { for (c = 0; c < 5; c++) for (r = 1; r <= k % 7 + 3 + c; r++)
		printf "c%d\t%d\tg%d-c%d-r%d\t%d\n", c, r, k, c, r, 1000 - r }'
}

@test "sr-serve --db postgresql://: its connection and sr-load's terminated in a loop, loads (some refused) and SIGHUP back to back for 15 s: every reply whole, of one load; /healthz 200 and the last load served after" {
	local end i pids tries bad rankings k=1
	ranking 0 | sr-load --db "$PG" --now "$NOW"
	serve "$PG"
	end=$((SECONDS + 15))
	(while ((SECONDS < end)); do
		psql -qAtX -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		    WHERE application_name IN ('sr-serve', 'sr-load') AND pid <> pg_backend_pid()" > /dev/null 2>&1
		sleep 0.0$((RANDOM % 10))
	done) 3>&- &
	pids=$!
	(while ((SECONDS < end)); do kill -HUP "$SERVE_PID"; sleep 0.05; done) 3>&- &
	pids="$pids $!"
	(while ((SECONDS < end)); do
		((k % 5)) || printf 'c0\t1\tx\tnot a number\n' | sr-load --db "$PG" --now "$NOW" 2> /dev/null || true
		ranking $k | sr-load --db "$PG" --now "$NOW" 2> /dev/null || true
		k=$((k + 1))
	done) 3>&- &
	pids="$pids $!"
	python3 - "$URL" 15 << 'PY' > check.out
import json, sys, time, urllib.request
url, end = sys.argv[1], time.time() + float(sys.argv[2])
tries = bad = 0
seen = set()
while time.time() < end:
    for c in range(5):
        with urllib.request.urlopen(f"{url}/api/v1/popular?category_id=c{c}&limit=100", timeout=5) as r:
            ps = json.loads(r.read())["products"]
        tries += 1
        tags = {p["product_id"].split("-")[0] for p in ps}
        k = int(next(iter(tags))[1:]) if len(tags) == 1 else -1
        seen.add(k)
        if k < 0 or len(ps) != k % 7 + 3 + c or [p["rank"] for p in ps] != list(range(1, len(ps) + 1)):
            bad += 1
            print("torn:", c, ps)
print(tries, bad, len(seen))
PY
	# shellcheck disable=SC2086
	wait $pids
	read -r tries bad rankings < <(tail -n 1 check.out)
	cat check.out
	[ "$bad" -eq 0 ] && [ "$rankings" -gt 5 ]
	# The last load, after the storm: served, and /healthz 200 again.
	ranking 999 | sr-load --db "$PG" --now "$NOW"
	for ((i = 0; i < 100; i++)); do
		get '/api/v1/popular?category_id=c0' && grep -q g999-c0-r1 .body && get /healthz && [ "$STATUS" = 200 ] && break
		sleep 0.1
	done
	[ "$STATUS" = 200 ] && grep -q '"generation"' .body || { echo "not recovered: $STATUS"; cat .body "$SERVE_LOG"; return 1; }
	echo "# $tries replies, $bad torn, $rankings rankings seen under the storm" >&3
}
