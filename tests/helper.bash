# helper: what every per-tool bats file shares: the environment, the table-driven check and the common cases.
#
# Each file sets TOOL and does `load helper`. Tests run in their own empty
# directory ($BATS_TEST_TMPDIR), so file operands in a table can be bare names.

export LC_ALL=C
PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$PATH"

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Show a stream that differs, expected then actual, with tabs and line ends visible.
_differs() {
	echo "-- $1: expected"
	cat -A "$2"
	echo "-- $1: actual"
	cat -A "$3"
}

# check STATUS ARGS STDIN STDOUT [STDERR]: run "$TOOL" ARGS (split as the shell
# would, so quotes work) with STDIN, and compare the status and both output
# streams exactly. STDIN, STDOUT and STDERR take printf %b escapes (\t, \n,
# \r, \xHH); STDERR not given means it must be empty.
check() {
	local want=$1 args=$2 in=$3 out=$4 err=${5-} status=0 bad=0
	local -a argv
	eval "argv=($args)"
	printf '%b' "$in" > .in
	printf '%b' "$out" > .want-out
	printf '%b' "$err" > .want-err
	"$TOOL" "${argv[@]}" < .in > .out 2> .err || status=$?
	if [ "$status" -ne "$want" ]; then
		echo "-- status: expected $want, actual $status"
		bad=1
	fi
	cmp -s .want-out .out || { _differs stdout .want-out .out; bad=1; }
	cmp -s .want-err .err || { _differs stderr .want-err .err; bad=1; }
	if [ "$bad" -ne 0 ]; then
		echo "-- in case: check $want '$args' '$in'"
		return 1
	fi
}

# check_dev_full ARGS GENERATOR [STDERR]: the output of GENERATOR (a command,
# which may run forever) through "$TOOL" ARGS > /dev/full ends the tool at the
# first failed write, within 20 seconds, with status 1 and STDERR (default:
# "TOOL: write error: No space left on device"); STDERR may be a glob.
check_dev_full() {
	local args=$1 gen=$2 err=${3-"$TOOL: write error: No space left on device"} status
	local -a argv
	eval "argv=($args)"
	eval "$gen" | { timeout 20 "$TOOL" "${argv[@]}" > /dev/full 2> .err && echo 0 > .status ||
		echo $? > .status; }
	status=$(cat .status)
	# shellcheck disable=SC2053 # err is a pattern
	if [ "$status" -ne 1 ] || [[ $(cat .err) != $err ]]; then
		echo "-- /dev/full: status $status (want 1; 124 is a timeout), stderr:"
		cat .err
		echo "-- want stderr like: $err"
		return 1
	fi
}

# check_head ARGS GENERATOR LINE: the output of GENERATOR, saved to a file,
# through "$TOOL" ARGS | head -1: head gets one line that matches the glob LINE,
# and the tool, cut off by the closed pipe, ends quietly (killed by SIGPIPE, or
# status 0 if it had finished) with nothing on stderr.
check_head() {
	local args=$1 gen=$2 line=$3 status got
	local -a argv
	eval "argv=($args)"
	eval "$gen" > .big
	"$TOOL" "${argv[@]}" < .big 2> .err | head -1 > .out
	status=${PIPESTATUS[0]}
	got=$(cat .out)
	# shellcheck disable=SC2053 # line is a pattern
	if [ "$(wc -l < .out)" -ne 1 ] || [[ $got != $line ]] || [ -s .err ] ||
	    { [ "$status" -ne 141 ] && [ "$status" -ne 0 ]; }; then
		echo "-- | head -1: tool status $status (want 141 or 0), head got:"
		cat -A .out
		echo "-- want a line like: $line"
		echo "-- tool stderr (want none):"
		cat .err
		return 1
	fi
}

# check_help_version: --version names the tool and the suite; --help writes the
# usage and more to stdout, status 0; an unknown option gives the same usage on
# stderr, status 2; --help to /dev/full is a write error, status 1.
check_help_version() {
	local usage status=0
	"$TOOL" --version > .out 2> .err || status=$?
	[[ $status -eq 0 && $(cat .out) == "$TOOL (sr) "[0-9]* && ! -s .err ]] ||
		{ echo "--version: status $status:"; cat .out .err; return 1; }
	"$TOOL" --help > .help 2> .err || status=$?
	[[ $status -eq 0 && $(head -1 .help) == "usage: $TOOL "* && ! -s .err ]] ||
		{ echo "--help: status $status:"; cat .help .err; return 1; }
	[ "$(wc -l < .help)" -gt 3 ] || { echo "--help is only the usage"; return 1; }
	usage=$(sed '/^$/,$d' .help)
	check 2 "--no-such-option" "" "" "$TOOL: unrecognized option '--no-such-option'\n$usage\n"
	"$TOOL" --help > /dev/full 2> .err || status=$?
	[[ $status -eq 1 && $(cat .err) == "$TOOL: write error: No space left on device" ]] ||
		{ echo "--help > /dev/full: status $status:"; cat .err; return 1; }
}
