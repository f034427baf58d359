#!/usr/bin/env bats
# faults: the short fault-injection sweep (tests/faults/sweep.sh) over every tool: 0 silently wrong; the shim itself.
#
# The sweep preloads tests/faults/failshim.so, which an ASan build cannot take:
# under make check-sanitize these tests skip, and make test (a plain build) runs
# them. The long sweep is make faults.
#
# sr-hourly's part (SR_FAULTS_HOURLY=0 leaves it out) failed on the shell script
# that sr-hourly was, which recorded a stage's failure on the disk that had just
# filled; the C driver takes the statuses from waitpid.
# tests/faults/known lists the wrong outcomes found, reported and not yet fixed.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-240}
load timeout
HOURLY=${SR_FAULTS_HOURLY:-1}

setup() {
	export LC_ALL=C
	bin=$(cd "${SR_BIN:-$BATS_TEST_DIRNAME/../bin}" && pwd)
	PATH="$bin:$BATS_TEST_DIRNAME/bench:$PATH"
	shim=${FAILSHIM:-$bin/../tests/faults/failshim.so}
	cd "$BATS_TEST_TMPDIR" || return 1
	if nm "$bin/sr-topk" 2>/dev/null | grep -q __asan_init; then
		skip "an ASan build cannot be preloaded: the sweep runs on the plain build"
	fi
	[ -f "$shim" ] || { echo "no $shim: make $shim"; return 1; }
}

# preload ENV... -- COMMAND...: COMMAND with the shim and the FAIL_* settings ENV, status in .status.
preload() {
	local -a vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	env "${vars[@]}" LD_PRELOAD="$shim" "$@" > .out 2> .err && echo 0 > .status || echo $? > .status
}

@test "the shim counts each kind of call, and fails exactly the n-th with the errno asked" {
	printf 'c\tp1\t3\nc\tp2\t5\n' > in.tsv
	preload FAIL_REPORT=report -- sr-topk in.tsv
	[ "$(cat .status)" -eq 0 ]
	read -r comm _ injected rest < report
	[ "$comm" = sr-topk ] && [ "$injected" -eq 0 ]
	[[ " $rest " == *" open=1 "* && " $rest " == *" write=1 "* && " $rest " == *" rename=0 "* ]]
	# The first write fails: the tool says so, status 1.
	preload FAIL_KIND=write FAIL_N=1 FAIL_ERRNO=ENOSPC FAIL_LOG=log -- sr-topk in.tsv
	[ "$(cat .status)" -eq 1 ]
	[ "$(cat .err)" = "sr-topk: write error: No space left on device" ]
	[ "$(cat log)" = "sr-topk $(cut -d ' ' -f 2 log) write 1 28" ]
	# A second write there is not: nothing fails.
	rm -f log
	preload FAIL_KIND=write FAIL_N=2 FAIL_ERRNO=ENOSPC FAIL_LOG=log -- sr-topk in.tsv
	[ "$(cat .status)" -eq 0 ] && [ ! -e log ]
	# The first open, with EMFILE; malloc, always ENOMEM.
	preload FAIL_KIND=open FAIL_N=1 FAIL_ERRNO=EMFILE -- sr-topk in.tsv
	[ "$(cat .status)" -eq 1 ] && [ "$(cat .err)" = "sr-topk: in.tsv: Too many open files" ]
	preload FAIL_KIND=malloc FAIL_N=1 -- sr-topk in.tsv
	[ "$(cat .status)" -eq 1 ] && [ "$(cat .err)" = "sr-topk: out of memory" ]
	# Another program's name: nothing counted, nothing failed.
	rm -f report
	preload FAIL_PROG=sr-map FAIL_KIND=open FAIL_N=1 FAIL_REPORT=report -- sr-topk in.tsv
	[ "$(cat .status)" -eq 0 ] && [ ! -e report ]
	# The descriptors of FAIL_SKIPFD are spared: here stdout.
	preload FAIL_KIND=write FAIL_N=1 FAIL_ERRNO=EIO FAIL_SKIPFD=1,2 FAIL_LOG=log -- sr-topk in.tsv
	[ "$(cat .status)" -eq 0 ] && [ "$(wc -l < .out)" -eq 2 ] && [ ! -e log ]
}

@test "the shim fails a stream's flush, a rename, an fsync, a fork and a pipe" {
	printf 'not a log line\n' > bad.tsv
	preload FAIL_KIND=write FAIL_N=1 FAIL_ERRNO=EIO -- sr-map --max-rejects 1 --rejects rej.tsv bad.tsv
	[ "$(cat .status)" -eq 1 ] && [[ $(cat .err) == *"rej.tsv: write error: Input/output error" ]]
	preload FAIL_KIND=rename FAIL_N=1 -- mv bad.tsv b2.tsv
	[ "$(cat .status)" -ne 0 ] && [ -e bad.tsv ]
	preload FAIL_KIND=fsync FAIL_N=1 -- sync bad.tsv
	[ "$(cat .status)" -ne 0 ]
	seq 100 | awk '{ print "c\tp" $1 "\t1" }' | shuf > runs.tsv
	preload FAIL_KIND=fork FAIL_N=1 FAIL_ERRNO=EAGAIN -- sr-sort -S 1M runs.tsv
	[ "$(cat .status)" -eq 1 ] && [[ $(cat .err) == *"Resource temporarily unavailable"* ]]
	preload FAIL_KIND=pipe FAIL_N=1 FAIL_ERRNO=EMFILE -- sr-sort -S 1M runs.tsv
	[ "$(cat .status)" -eq 1 ] && [[ $(cat .err) == *"Too many open files"* ]]
}

@test "the sweep finds a tool that hides its failures" {
	# sr-topk wrapped so that it exits 0 whatever happens: silently wrong.
	mkdir fake
	for t in "$bin"/sr-*; do ln -s "$t" fake/; done
	rm fake/sr-topk
	printf '#!/bin/sh\n%s "$@"\nexit 0\n' "$bin/sr-topk" > fake/sr-topk
	chmod +x fake/sr-topk
	run env SR_BIN=fake FAILSHIM="$shim" FAULTS_HOURLY=0 bash "$BATS_TEST_DIRNAME/faults/sweep.sh" --short --case '^topk$'
	[ "$status" -eq 1 ]
	[[ $output == *"topk SILENTLY-WRONG: sr-topk write ENOSPC n=1: exit 0, output differs"* ]]
	[[ $output == *"FAIL_PROG=sr-topk FAIL_KIND=write FAIL_N=1 FAIL_ERRNO=ENOSPC FAIL_PERSIST=0 LD_PRELOAD="* ]]
}

@test "the short sweep over every tool: no silently wrong outcome, no half-written file" {
	# With PostgreSQL when tests/pg.sh can start one; classes reported but not yet
	# fixed are listed in tests/faults/known (and shown, as KNOWN-WRONG).
	run env SR_BIN="$bin" FAILSHIM="$shim" FAULTS_HOURLY=0 FAULTS_PG=1 RUN_TIMEOUT=20 timeout 200 \
	    bash "$BATS_TEST_DIRNAME/faults/sweep.sh" --short --known "$BATS_TEST_DIRNAME/faults/known"
	echo "$output"
	sed -n '/^faults: .* sweep: [0-9]* injections/,/^total /p; /^faults: 0 silently/p' <<< "$output" | sed 's/^/# /' >&3
	[ "$status" -eq 0 ]
	[[ $output == *"faults: 0 silently wrong, 0 half-written"* ]]
	# Every tool was tried, with hundreds of injections.
	for c in filter map_tsv map_csv sort_small sort_runs reduce_m reduce_s reduce_tee topk load; do
		[[ $output == *"  $c FAILED-CLEAN "* ]]
	done
	tried=$(sed -n 's/^faults: short sweep: \([0-9]*\) injections tried.*/\1/p' <<< "$output")
	[ "$tried" -ge 500 ]
}

@test "the short sweep of sr-hourly: no silently wrong outcome" {
	[ "$HOURLY" = 1 ] || skip "SR_FAULTS_HOURLY=0"
	run env SR_BIN="$bin" FAILSHIM="$shim" timeout 220 bash "$BATS_TEST_DIRNAME/faults/sweep.sh" --short \
	    --case '^hourly$' --known "$BATS_TEST_DIRNAME/faults/known"
	echo "$output"
	sed -n '/^faults: .* sweep: [0-9]* injections/,/^total /p; /^faults: 0 silently/p' <<< "$output" | sed 's/^/# /' >&3
	[ "$status" -eq 0 ]
	[[ $output == *"faults: 0 silently wrong, 0 half-written"* ]]
}

# Found by the sweep in CI: out of memory while sr-load ran, sr-hourly exited
# and sr-load, holding the inherited lock, outlived it, so the next run found
# the lock taken. Every way out (a lib/ fatal too) now ends and reaps the
# children first: swept here over every 8th of sr-hourly's own allocations,
# each failing from there on, the lock must be free the moment it exits.
@test "sr-hourly that fails at any point leaves no child behind: the lock is free when it exits" {
	[ "$HOURLY" = 1 ] || skip "SR_FAULTS_HOURLY=0"
	now=1795996800
	mkdir logs
	sr-gen -n 3000 --seed 4 --products 300 --categories 5 --days 2 --end $now --format epoch |
	    awk -F '\t' '{ h = $1 - $1 % 3600; print > ("logs/" strftime("%Y-%m-%dT%H", h, 1) ".tsv") }'
	hourly=(sr-hourly --logs logs --state state --db r.db --hours 48 -n 5 --now)
	"${hourly[@]}" $((now - 3600)) 2> /dev/null
	touch -d @$((now - 7200)) logs/*
	cp -a . ../base
	preload FAIL_PROG=sr-hourly FAIL_REPORT=report -- "${hourly[@]}" $now
	[ "$(cat .status)" -eq 0 ]
	count=$(grep -o ' malloc=[0-9]*' report | cut -d = -f 2 | sort -n | tail -n 1)
	[ "$count" -gt 100 ]
	tries=0 failed=0
	# Every 8th allocation under make check, every one under make soak (SR_SOAK=1).
	step=$([ "${SR_SOAK:-0}" = 1 ] && echo 1 || echo 8)
	for ((n = 1; n <= count; n += step)); do
		rm -rf ../t && cp -a ../base ../t && cd ../t
		touch "logs/$(date -u -d @$((now - 5 * 3600)) +%Y-%m-%dT%H).tsv"
		preload FAIL_PROG=sr-hourly FAIL_KIND=malloc FAIL_N=$n FAIL_PERSIST=1 -- "${hourly[@]}" $now
		flock -n state/lock true || { echo "n=$n: the lock is still held after exit $(cat .status)"; false; }
		[ "$(cat .status)" -eq 0 ] || failed=$((failed + 1))
		# Left only if it said so (removing needs memory too); the next run removes it.
		[ -z "$(ls -A state | grep '^\.tmp')" ] || grep -q 'cannot remove' .err ||
		    { echo "n=$n: a run directory is left, unsaid"; false; }
		tries=$((tries + 1))
	done
	echo "# $tries points of failure, $failed failed runs, the lock free after each" >&3
	[ "$failed" -gt 10 ]
}

# The same promise when a signal stops the run, at every moment of it: the
# stages' own children too (GNU sort under sr-sort) are gone when it exits.
@test "sr-hourly stopped by SIGTERM at any moment leaves no process behind holding the lock" {
	now=1795996800
	mkdir logs
	sr-gen -n 200000 --seed 9 --products 20000 --categories 50 --days 2 --end $now --format epoch |
	    awk -F '\t' '{ h = $1 - $1 % 3600; print > ("logs/" strftime("%Y-%m-%dT%H", h, 1) ".tsv") }'
	start=$(date +%s%N)
	sr-hourly --logs logs --state full --hours 48 -n 5 --now $now 2> /dev/null
	ms=$((($(date +%s%N) - start) / 1000000))
	tries=0 stopped=0
	for ((t = 0; t <= ms + 20; t += ms / 50 + 1)); do
		rm -rf state
		sr-hourly --logs logs --state state --hours 48 -n 5 --now $now 2> /dev/null &
		pid=$!
		sleep "$(awk -v t="$t" 'BEGIN { print t / 1000 }')"
		kill -TERM $pid 2> /dev/null || true
		wait $pid && status=0 || status=$?
		[ "$status" -eq 0 ] || stopped=$((stopped + 1))
		flock -n state/lock true || { echo "killed at ${t} ms: the lock is still held"; ps -ef; false; }
		tries=$((tries + 1))
	done
	echo "# $tries moments over a run of $ms ms, $stopped runs stopped, the lock free after each" >&3
	[ "$stopped" -gt 5 ]
}
