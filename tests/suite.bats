#!/usr/bin/env bats
# The suite itself: every bats file has a timeout, and a test that hangs, however it hangs, fails within it, named.

BATS_TEST_TIMEOUT=120
load timeout
# run.sh: waits 20

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# bats_alone FILE: run FILE with a bats of its own, without this one's BATS_
# variables; its output and status as run sets them, the seconds it took in took.
bats_alone() {
	local start
	start=$(date +%s)
	run env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" timeout 120 bats --tap "$1"
	took=$(($(date +%s) - start))
}

@test "every bats file sets BATS_TEST_TIMEOUT and loads timeout before its first test" {
	local f n=0 bad=0 head
	for f in "$BATS_TEST_DIRNAME"/*.bats; do
		head=$(sed '/^@test /q' "$f")
		if ! grep -qE '^BATS_TEST_TIMEOUT=[^[:space:]]+' <<< "$head" ||
		    ! grep -qx 'load timeout' <<< "$head"; then
			echo "-- ${f##*/}: no BATS_TEST_TIMEOUT=N and load timeout before its first @test"
			bad=$((bad + 1))
		fi
		n=$((n + 1))
	done
	echo "# $n bats files checked" >&3
	[ "$n" -gt 20 ] && [ "$bad" -eq 0 ]
}

@test "a test that hangs, in any of 8 ways, fails within its timeout named, and leaves no process behind" {
	local b=$PWD/bin took
	# The processes that hang are named by their path, which is this test's alone.
	mkdir bin
	cp /bin/sleep "$b/sleep"
	printf '#!/bin/bash\nwhile :; do :; done\n' > "$b/spin"
	printf '#!/bin/bash\nwhile :; do %s 0.01; done\n' "$b/sleep" > "$b/loop"
	chmod +x "$b/spin" "$b/loop"
	# Written by printf: a line that starts with @test would be a test of this file.
	{
		printf 'BATS_TEST_TIMEOUT=2\nload %s/timeout\n' "$BATS_TEST_DIRNAME"
		printf '@test "%s" { %s; }\n' \
		    'a command' "$b/sleep 1000" \
		    'run' "run $b/sleep 1000" \
		    'a command substitution of a pipeline' "x=\$($b/sleep 1000 | cat)" \
		    'a busy loop in a pipeline' "$b/spin | cat" \
		    'a loop of commands' "for i in 1 2 3; do $b/sleep 1000; done" \
		    'run of a loop that starts processes' "run $b/loop" \
		    'wait for a background job' "$b/sleep 1000 & wait" \
		    'a pipeline in a background subshell' "( $b/sleep 1000 | cat ) & wait" \
		    'after them, a test that passes' true
	} > hang.bats
	bats_alone hang.bats
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^not ok [1-8] .* # timeout after 2s$' <<< "$output")" -eq 8 ]
	grep -qx 'ok 9 after them, a test that passes' <<< "$output"
	echo "# 8 hangs ended in $took s" >&3
	# Each within its 2 s and the killing: the file well within 8 x 10 s.
	[ "$took" -lt 80 ]
	sleep 1
	! pgrep -f "$b/"
}

@test "a test's own bare wait waits for its jobs, not for the timeout" {
	local took
	{
		printf 'BATS_TEST_TIMEOUT=60\nload %s/timeout\n' "$BATS_TEST_DIRNAME"
		printf '@test "%s" { %s; }\n' 'wait' 'sleep 1 & wait' 'wait -n' 'sleep 1 & sleep 2 & wait -n; wait'
	} > wait.bats
	bats_alone wait.bats
	echo "$output"
	[ "$status" -eq 0 ]
	echo "# 2 tests with their own wait done in $took s" >&3
	[ "$took" -lt 40 ]
}

@test "run.sh: the files that wait run side by side, each shown whole; every pass, failure, skip and unfinished file is counted" {
	local start took i
	mkdir -p t/tests
	cp "$BATS_TEST_DIRNAME/run.sh" t/tests/
	printf '#!/bin/sh\necho "2 passed, 0 failed"\n' > t/unit
	chmod +x t/unit
	# Four files that each wait 3 s, one of them failing a test and one skipping one, one
	# that outlives SR_FILE_TIMEOUT, and one that computes.
	for i in 1 2 3 4; do
		{
			printf 'BATS_TEST_TIMEOUT=30\nload %s/timeout\n# run.sh: waits %s\n' "$BATS_TEST_DIRNAME" "$i"
			printf '@test "w%s a" { sleep 3; }\n' "$i"
			case $i in
			1) printf '@test "w1 b" { false; }\n' ;;
			2) printf '@test "w2 b" { skip "why"; }\n' ;;
			esac
		} > "t/tests/w$i.bats"
	done
	printf 'BATS_TEST_TIMEOUT=30\nload %s/timeout\n@test "alone" { :; }\n' "$BATS_TEST_DIRNAME" > t/tests/alone.bats
	printf 'BATS_TEST_TIMEOUT=30\nload %s/timeout\n# run.sh: waits 9\n@test "b1" { :; }\n@test "b2" { sleep 20; }\n' \
	    "$BATS_TEST_DIRNAME" > t/tests/broken.bats
	start=$(date +%s)
	run env -u SR_BATS -u SR_SOAK SR_UNIT="$PWD/t/unit" SR_BIN=/ SR_JOBS=3 SR_FILE_TIMEOUT=5 timeout 120 bash t/tests/run.sh
	took=$(($(date +%s) - start))
	echo "$output"
	[ "$status" -eq 1 ]
	# 2 unit + alone + w1..w4 a + b1; w1 b fails, and broken.bats did not end.
	[ "$(tail -n 1 <<< "$output")" = "8 passed, 2 failed, 1 skipped" ]
	grep -qx '== tests/broken.bats: 1 of 2 tests reported after [56] s (SR_FILE_TIMEOUT=5)' <<< "$output"
	# Each file's lines together, after its name.
	for i in 1 2 3 4; do
		[ "$(grep -A1 -x "== tests/w$i.bats" <<< "$output" | tail -n 1)" = "1..$((i <= 2 ? 2 : 1))" ]
	done
	# Four files of 3 s and one of 5, three at a time: about 6 s, not 17.
	echo "# 4 waiting files of 3 s and one of 5 in $took s" >&3
	[ "$took" -lt 11 ]
	run env -u SR_SOAK SR_UNIT="$PWD/t/unit" SR_BIN=/ SR_JOBS=1 SR_FILE_TIMEOUT=60 SR_BATS="tests/w3.bats tests/w4.bats" timeout 120 bash t/tests/run.sh
	[ "$status" -eq 0 ]
	[ "$(tail -n 1 <<< "$output")" = "4 passed, 0 failed, 0 skipped" ]
}
