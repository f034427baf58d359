# timeout: loaded at the top of every bats file, after it sets BATS_TEST_TIMEOUT:
# a test that hangs is ended within BATS_TEST_TIMEOUT seconds and reported
# "not ok N NAME # timeout after Ns", with all it started.
#
# bats-core (1.7 to at least 1.8.2) signals the test at the timeout, then kills
# only the test's direct children (pkill -P). A process started by run, by $(...)
# or in a pipeline is a grandchild: it survives, holds the pipe the test reads,
# and the test waits for it as long as it runs (a hung sr-load, forever). This
# replaces bats' function of that name: the whole tree of the test's processes
# is stopped from the top, so that none starts another, then killed.

bats_require_minimum_version 1.7.0

# The processes under pid, each stopped before its children are listed, the
# process self (bats' countdown, which calls this) left out.
_sr_tree() {
	local child
	for child in $(pgrep -P "$1"); do
		[ "$child" = "$2" ] && continue
		kill -STOP "$child" 2> /dev/null
		echo "$child"
		_sr_tree "$child" "$2"
	done
}

bats_kill_childprocesses_of() {
	local self=$BASHPID pids
	# The test, signalled, may end first, and its end signals this countdown to stop.
	trap '' ABRT
	pids=$(_sr_tree "$1" "$self")
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2> /dev/null
	return 0
}
