#!/usr/bin/env bats
# --help, --version and an option a tool does not take behave the same in every tool (std_option in lib/msg.c).

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout

TOOLS="sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load sr-serve sr-hourly"

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$PATH"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# expect TOOL STATUS STDOUT STDERR ARGS...: TOOL ARGS, with stdin empty, ends with STATUS
# and writes exactly STDOUT and STDERR (files); within 10 seconds, so that a
# tool that took --help for a run of its own fails rather than waits.
expect() {
	local t=$1 want=$2 out=$3 err=$4 status=0
	shift 4
	timeout 10 "$t" "$@" < /dev/null > .out 2> .err || status=$?
	if [ "$status" -ne "$want" ] || ! cmp -s "$out" .out || ! cmp -s "$err" .err; then
		echo "-- $t $*: status $status (want $want); stdout, then stderr:"
		cat -A .out .err
		echo "-- want stdout, then stderr:"
		cat -A "$out" "$err"
		return 1
	fi
}

@test "every tool: --help and --version on stdout, status 0, whatever follows them; abbreviated alike" {
	local t n=0
	: > empty
	for t in $TOOLS; do
		"$t" --help > help 2> .err
		[[ $(head -1 help) == "usage: $t "* && ! -s .err ]] || { echo "$t --help:"; cat help .err; return 1; }
		"$t" --version > version 2> .err
		[[ $(cat version) == "$t (sr) "[0-9]* && $(wc -l < version) -eq 1 && ! -s .err ]] ||
			{ echo "$t --version:"; cat version .err; return 1; }
		expect "$t" 0 help empty --he
		expect "$t" 0 version empty --vers
		expect "$t" 0 help empty --help --version
		expect "$t" 0 version empty --version --help
		expect "$t" 0 help empty --help --no-such-option
		expect "$t" 0 version empty --version -%
		expect "$t" 0 help empty --help operand
		n=$((n + 7))
	done
	# Nothing was made: no database, no state, no rejects file.
	[ "$(ls -A | sort | tr '\n' ' ')" = ".err .out empty help version " ] || { ls -A; return 1; }
	echo "$n cases" >&3
}

@test "every tool: an option it does not take, or an argument to --help or --version, is the usage on stderr, status 2" {
	local t n=0
	: > empty
	for t in $TOOLS; do
		"$t" --help | sed '/^$/,$d' > usage
		[ -s usage ]
		{ echo "$t: unrecognized option '--no-such-option'"; cat usage; } > err
		expect "$t" 2 empty err --no-such-option
		expect "$t" 2 empty err --no-such-option --help
		{ echo "$t: invalid option -- '%'"; cat usage; } > err
		expect "$t" 2 empty err -% --version
		{ echo "$t: option '--help' doesn't allow an argument"; cat usage; } > err
		expect "$t" 2 empty err --help=x
		{ echo "$t: option '--version' doesn't allow an argument"; cat usage; } > err
		expect "$t" 2 empty err --version=
		n=$((n + 5))
	done
	echo "$n cases" >&3
}

@test "every tool: --help or --version that cannot be written is a write error, status 1" {
	local t o status n=0
	for t in $TOOLS; do
		for o in --help --version; do
			status=0
			"$t" "$o" > /dev/full 2> .err || status=$?
			[[ $status -eq 1 && $(cat .err) == "$t: write error: No space left on device" ]] ||
				{ echo "$t $o > /dev/full: status $status:"; cat .err; return 1; }
			status=0
			"$t" "$o" >&- 2> .err || status=$?
			[[ $status -eq 1 && $(cat .err) == "$t: write error: Bad file descriptor" ]] ||
				{ echo "$t $o >&-: status $status:"; cat .err; return 1; }
			n=$((n + 2))
		done
	done
	echo "$n cases" >&3
}
