# timeout: loaded at the top of every bats file, after it sets BATS_TEST_TIMEOUT:
# a test that hangs is ended within BATS_TEST_TIMEOUT seconds and reported
# "not ok N NAME # timeout after Ns", with all it started.
#
# This replaces bats-core's countdown (1.7 to at least 1.8.2), which has two
# faults. At the timeout it kills only the test's direct children (pkill -P): a
# process started by run, by $(...) or in a pipeline is a grandchild, survives,
# holds the pipe the test reads, and the test waits for it as long as it runs
# (a hung sr-load, forever). And the countdown is a background job of the test,
# so a test's own bare "wait" waits for it, that is for the timeout. Here the
# countdown is no job of the test's, and at the timeout the whole tree of the
# test's processes is stopped from the top (so that none starts another), the
# test signalled, then the tree killed.

bats_require_minimum_version 1.7.0

# The processes under pid, each stopped before its children are listed, the
# process self left out.
_sr_tree() {
	local child
	for child in $(pgrep -P "$1"); do
		[ "$child" = "$2" ] && continue
		kill -STOP "$child" 2> /dev/null
		echo "$child"
		_sr_tree "$child" "$2"
	done
}

# Called by bats-exec-test before each test, which takes $! as the countdown to
# stop (with SIGABRT) when the test ends in time.
bats_start_timeout_countdown() {
	local -ri timeout=$1 target=$$
	# shellcheck disable=SC2064
	trap "bats_timeout_trap $target" ABRT
	(
		sleep "$timeout" &
		# shellcheck disable=SC2064
		trap "kill $!; exit 0" ABRT
		wait
		# The test, signalled, may end first, and its end stops this countdown.
		trap '' ABRT
		self=$BASHPID
		pids=$(_sr_tree "$target" "$self")
		kill -ABRT "$target"
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids
	) &> /dev/null &
	disown "$!"
}
