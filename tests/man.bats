#!/usr/bin/env bats
# The manuals keep up with the code: every tool has a lint-clean page, and every option it accepts is documented there.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout

TOOLS="sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load sr-serve sr-hourly"

setup() {
	export LC_ALL=C
	cd "$BATS_TEST_DIRNAME/.."
	PATH="${SR_BIN:-$PWD/bin}:$PWD/cmd:$PATH"
}

# The long options a tool's source accepts, from its option table and the shared ones it includes;
# of a script, the branches of its option case.
long_options() {
	local src="cmd/$1.c"
	if [ ! -f "$src" ]; then
		grep -oE '^[[:space:]]+--[a-z-]+\)' "cmd/$1" | sed -E 's/[^a-z-]//g; s/^--//' | sort -u
		return
	fi
	{
		grep -oE '^[[:space:]]*\{ "[a-z-]+", [a-z_]+_argument,' "$src"
		grep -q LOGREAD_OPTIONS "$src" && grep -oE '\{ "[a-z-]+", [a-z_]+_argument,' lib/logread.h
		grep -q WINDOW_OPTIONS "$src" && grep -oE '\{ "[a-z-]+", [a-z_]+_argument,' lib/window.h
	} | sed -E 's/.*"([a-z-]+)".*/\1/' | sort -u
}

@test "every page is mandoc -Tlint clean, the overview too" {
	run mandoc -Tlint -W warning man/*.1 man/sr.7
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "every tool has a page with the sections a user looks for" {
	local t s
	for t in $TOOLS; do
		[ -f "man/$t.1" ]
		for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO"; do
			grep -q "^\.Sh $s" "man/$t.1" || { echo "$t.1 lacks $s"; return 1; }
		done
		grep -q "^\.Xr sr 7" "man/$t.1" || { echo "$t.1 does not point to sr(7)"; return 1; }
	done
}

@test "every long option a tool accepts is documented in its page" {
	local t o n=0
	for t in $TOOLS; do
		for o in $(long_options "$t"); do
			n=$((n + 1))
			grep -qE "Fl -$o( |$)" "man/$t.1" || { echo "$t: --$o is not in $t.1"; return 1; }
		done
	done
	[ "$n" -gt 30 ]
}

@test "every option in a tool's usage line is in its SYNOPSIS" {
	local t o
	for t in $TOOLS; do
		for o in $("$t" --help | sed "/^$/,\$d; s/^usage: $t//" | grep -oE '\-\-?[a-z][a-z-]*'); do
			sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "man/$t.1" |
			    grep -qE "(Fl|[|]) ${o#-}( |$)" || { echo "$t: $o is not in the SYNOPSIS"; return 1; }
		done
	done
}

# The short options of a tool's source, one "letter long-name" line each (long-name "-" when none has the letter).
short_options() {
	local src="cmd/$1.c" letters l names n
	letters=$(grep -oE 'getopt_long\(argc, argv, "[^"]*"' "$src" | sed -E 's/.*"(.*)"/\1/; s/://g')
	for l in $(echo "$letters" | grep -o .); do
		names=$(grep -oE "\\{ \"[a-z-]+\", [a-z_]+_argument, NULL, '$l' \\}" "$src" | sed -E 's/.*"([a-z-]+)".*/\1/')
		[ -n "$names" ] || names=-
		for n in $names; do echo "$l $n"; done
	done
}

# Former spellings kept so that a user's cron line still runs (sr-map(1) says so): tool:letter and tool:--name.
FORMER="sr-map:m sr-map:--memory"

@test "each short option means one thing in every tool, and has a long name" {
	local t l n pairs="" tries=0 meaning
	for t in $TOOLS; do
		while read -r l n; do
			[ -n "$l" ] || continue
			tries=$((tries + 1))
			case " $FORMER " in *" $t:$l "*|*" $t:--$n "*) continue ;; esac
			[ "$n" != - ] || { echo "$t: -$l has no long name"; return 1; }
			pairs="$pairs$l $n $t"$'\n'
		done < <(short_options "$t")
	done
	for l in $(printf '%s' "$pairs" | cut -d' ' -f1 | sort -u); do
		meaning=$(printf '%s' "$pairs" | awk -v l="$l" '$1 == l { print $2 }' | sort -u)
		[ "$(echo "$meaning" | wc -l)" -eq 1 ] ||
		    { echo "-$l means:"; printf '%s' "$pairs" | awk -v l="$l" '$1 == l'; return 1; }
	done
	echo "$tries short options" >&3
	[ "$tries" -ge 10 ]
}

@test "every long option of a tool's table is in its --help" {
	local t o help n=0
	for t in $TOOLS; do
		help=$("$t" --help)
		for o in $(long_options "$t"); do
			n=$((n + 1))
			grep -qE -- "--$o([^a-z-]|$)" <<< "$help" || { echo "$t: --$o is not in its --help"; return 1; }
		done
	done
	echo "$n long options" >&3
	[ "$n" -gt 60 ]
}

@test "the overview names every tool and every inter-stage format" {
	local t
	for t in $TOOLS; do
		grep -q "$t" man/sr.7 || { echo "sr.7 does not mention $t"; return 1; }
	done
	grep -q 'sales_rank_meta' man/sr.7
	grep -q 'total_sold' man/sr.7
}

# Issue 11: README and sr(7) state the fault model, and sr-hourly(1) says what an
# operator sees and does after each kind of failure. README lost its section once,
# in a rewrite; this names what each must keep.
@test "README, sr(7) and sr-hourly(1) state what sr promises under faults" {
	local f what
	f=$(awk '/^## When things go wrong$/ { on = 1; next } /^## / { on = 0 } on' README.md | tr '\n' ' ')
	for what in "never silently wrong" "full disk" "I/O error" "kill -9" "previous ranking" \
	    "full recompute" "hostile clients" "sr-hourly(1)" "sr(7)" "make faults"; do
		[[ $f == *"$what"* ]] || { echo "README.md, When things go wrong: no '$what'"; return 1; }
	done
	f=$(MANWIDTH=200 man -l man/sr.7 2> /dev/null | awk '/^FAULTS$/ { on = 1; next } /^[A-Z]/ { on = 0 } on' | tr -s ' \n' '  ')
	for what in "never silently wrong" "full disk" "I/O error" "killed" "previous ranking" \
	    "full recompute" "request head" "connection limit"; do
		[[ $f == *"$what"* ]] || { echo "sr(7), FAULTS: no '$what'"; return 1; }
	done
	f=$(MANWIDTH=200 man -l man/sr-hourly.1 2> /dev/null | awk '/^ +After a failure$/ { on = 1; next } /^ +The options are/ { on = 0 } on' | tr -s ' \n' '  ')
	for what in "A full disk" "I/O error" "A killed run" "A stage failing" "previous ranking stays"; do
		[[ $f == *"$what"* ]] || { echo "sr-hourly(1), After a failure: no '$what'"; return 1; }
	done
}
