#!/usr/bin/env bats
# The suite itself: every bats file has a timeout, and a test that hangs, however it hangs, fails within it, named.

BATS_TEST_TIMEOUT=120
load timeout

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
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
	local b=$PWD/bin start took
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
	start=$(date +%s)
	# A bats of its own, without this one's BATS_ variables.
	run env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" timeout 120 bats --tap hang.bats
	took=$(($(date +%s) - start))
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
	local start took
	{
		printf 'BATS_TEST_TIMEOUT=60\nload %s/timeout\n' "$BATS_TEST_DIRNAME"
		printf '@test "%s" { %s; }\n' 'wait' 'sleep 1 & wait' 'wait -n' 'sleep 1 & sleep 2 & wait -n; wait'
	} > wait.bats
	start=$(date +%s)
	run env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" timeout 120 bats --tap wait.bats
	took=$(($(date +%s) - start))
	echo "$output"
	[ "$status" -eq 0 ]
	echo "# 2 tests with their own wait done in $took s" >&3
	[ "$took" -lt 40 ]
}
