#!/usr/bin/env bats
# sr-sort: byte order whatever the locale, -m, the sort program and temporary directories checked first, options passed on.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout

load helper
TOOL=sr-sort

USAGE='usage: sr-sort [-m] [-S size] [-T dir] [--compress-program prog] [--parallel n]
               [file ...]\n'

# A stand-in for GNU sort that prints its environment and arguments, or does what FAKE says.
fake_sort() {
	cat > fakesort <<'EOF'
#!/bin/sh
if [ "$1" = --version ]; then echo 'sort (GNU coreutils) 9.1'; exit 0; fi
case $FAKE in
exit*) exit "${FAKE#exit}" ;;
kill*) kill -"${FAKE#kill}" $$ ;;
esac
echo "LC_ALL=$LC_ALL"
printf '%s\n' "$@"
EOF
	chmod +x fakesort
}

# The --parallel sr-sort gives sort by default: the CPUs, at most 8.
parallel_default() {
	local p
	p=$(getconf _NPROCESSORS_ONLN)
	[ "$p" -le 8 ] && echo "$p" || echo 8
}

# Input that sr-sort must give to sort: 65 runs in order, more than it merges itself.
MANY=$(seq -w 65 -1 1 | awk '{ printf "%s\\n", $0 }')

# N lines in no order: c<n mod 97> TAB p<n> TAB 1.
lines() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "c%d\tp%d\t1\n", (i * 7919) % 97, i }'
}

@test "sr-sort: --help, --version, bad options" {
	check_help_version
	check 2 "-S" "" "" "$TOOL: option requires an argument -- 'S'\n$USAGE"
	check 2 "-u" "" "" "$TOOL: invalid option -- 'u'\n$USAGE"
	check 2 "--parallel" "" "" "$TOOL: option '--parallel' requires an argument\n$USAGE"
}

@test "sr-sort: a full disk is its own write error, status 1" {
	check_dev_full "" "lines 300000" "sr-sort: write error: No space left on device"
}

@test "sr-sort: | head -1 ends it quietly" {
	check_head "" "lines 300000" $'c0\tp0\t1'
}

@test "sr-sort: operands: a directory, a missing file, - for stdin" {
	printf 'b\t1\t1\nd\t1\t1\n' > a
	printf 'a\t1\t1\n' > c
	printf 'x\n' > -r
	mkdir dir
	check 0 "a - c" "c\t1\t1\n" "a\t1\t1\nb\t1\t1\nc\t1\t1\nd\t1\t1\n"
	check 0 "-" "b\na\n" "a\nb\n"
	check 0 "-- -r a" "" "b\t1\t1\nd\t1\t1\nx\n"
	check 1 "a dir c" "" "a\t1\t1\nb\t1\t1\nd\t1\t1\n" "$TOOL: dir: Is a directory\n"
	check 1 "nosuch a - c" "b\t0\t1\n" "a\t1\t1\nb\t0\t1\nb\t1\t1\nd\t1\t1\n" "$TOOL: nosuch: No such file or directory\n"
	check 1 "-m a nosuch" "" "b\t1\t1\nd\t1\t1\n" "$TOOL: nosuch: No such file or directory\n"
	# No operand left to sort: not the standard input either.
	check 1 "nosuch dir" "b\na\n" "" "$TOOL: nosuch: No such file or directory\n$TOOL: dir: Is a directory\n"
}

@test "sr-sort: whole lines in byte order" {
	check 0 "" "" ""
	check 0 "" "a\nB\nb\nA\n" "A\nB\na\nb\n"
	check 0 "" "ab\t1\t1\na\tb\t1\n" "a\tb\t1\nab\t1\t1\n"
	check 0 "" "a b\t1\t1\na\tb\t1\n" "a\tb\t1\na b\t1\t1\n"
	check 0 "" "c\tp\t9\nc\tp\t10\nc\tp\t-1\n" "c\tp\t-1\nc\tp\t10\nc\tp\t9\n"
	check 0 "" "\xc3\xa9\tp\t1\nz\tp\t1\nZ\tp\t1\n\x7e\tp\t1\n" "Z\tp\t1\nz\tp\t1\n~\tp\t1\n\xc3\xa9\tp\t1\n"
	check 0 "" "10\tp\t1\n9\tp\t1\n010\tp\t1\n" "010\tp\t1\n10\tp\t1\n9\tp\t1\n"
	check 0 "" "b\tp\t1\na\tp\t1\nb\tp\t1\n" "a\tp\t1\nb\tp\t1\nb\tp\t1\n"
	check 0 "" "b\na" "a\nb\n"
	LC_ALL=C.UTF-8 check 0 "" "a\nB\n\xc3\xa9\n" "B\na\n\xc3\xa9\n"
}

@test "sr-sort: -m merges files that are sorted, and does not sort them" {
	printf 'a\t1\t1\nc\t1\t1\n' > s1
	printf 'b\t1\t1\nd\t1\t1\n' > s2
	printf 'b\na\n' > u
	printf 'c\n' > v
	check 0 "-m s1 s2" "" "a\t1\t1\nb\t1\t1\nc\t1\t1\nd\t1\t1\n"
	check 0 "--merge s2 - s1" "b\t0\t1\n" "a\t1\t1\nb\t0\t1\nb\t1\t1\nc\t1\t1\nd\t1\t1\n"
	check 0 "-m u v" "" "b\na\nc\n"
	check 0 "u v" "" "a\nb\nc\n"
}

@test "sr-sort: the sort program must be found and be GNU sort" {
	printf '#!/bin/sh\necho "sort (BSD) 1.0"\n' > notgnu
	chmod +x notgnu
	SR_SORT=/nonexistent check 1 "" "b\na\n" "" "$TOOL: cannot run '/nonexistent': not found (install GNU coreutils or set SR_SORT)\n"
	SR_SORT=./notgnu check 1 "" "b\na\n" "" "$TOOL: './notgnu' is not GNU sort (install GNU coreutils or set SR_SORT)\n"
	SR_SORT='sort' check 0 "" "b\na\n" "a\nb\n"
	SR_SORT=$(command -v sort) check 0 "" "b\na\n" "a\nb\n"
	SR_SORT='' check 0 "" "b\na\n" "a\nb\n"
}

@test "sr-sort: another GNU coreutils program is not GNU sort" {
	SR_SORT=true check 1 "" "b\na\n" "" "$TOOL: 'true' is not GNU sort (install GNU coreutils or set SR_SORT)\n"
}

@test "sr-sort: the options reach sort(1), with LC_ALL=C and the defaults" {
	local p
	p=$(parallel_default)
	fake_sort
	mkdir t1 t2
	SR_SORT=./fakesort TMPDIR=/tmp check 0 "" "$MANY" "LC_ALL=C\n-S\n1G\n-T\n/tmp\n--parallel=$p\n--\n"
	SR_SORT=./fakesort TMPDIR='' check 0 "" "$MANY" "LC_ALL=C\n-S\n1G\n-T\n/tmp\n--parallel=$p\n--\n"
	touch x y
	SR_SORT=./fakesort TMPDIR=t1 check 0 "x y" "" "LC_ALL=C\n-S\n1G\n-T\nt1\n--parallel=$p\n--\nx\ny\n"
	SR_SORT=./fakesort TMPDIR=/tmp LC_ALL=C.UTF-8 check 0 "-" "" "LC_ALL=C\n-S\n1G\n-T\n/tmp\n--parallel=$p\n--\n-\n"
	SR_SORT=./fakesort check 0 "-S 10M -T t1 -T t2 --parallel 3 --compress-program gzip -m x y" "" \
	    "LC_ALL=C\n-S\n10M\n-T\nt1\n-T\nt2\n--parallel=3\n--compress-program=gzip\n-m\n--\nx\ny\n"
	touch ./-m
	SR_SORT=./fakesort check 0 "--buffer-size=50% --temporary-directory=t2 --parallel=1024 --merge -- -m" "" \
	    "LC_ALL=C\n-S\n50%\n-T\nt2\n--parallel=1024\n-m\n--\n-m\n"
	SR_SORT=./fakesort TMPDIR=/tmp check 1 "x nosuch y" "" "LC_ALL=C\n-S\n1G\n-T\n/tmp\n--parallel=$p\n--\nx\ny\n" \
	    "$TOOL: nosuch: No such file or directory\n"
	SR_SORT=./fakesort TMPDIR=/tmp check 0 "-T t1 -T t1 -T t1 -T t1 -T t1 -T t1 -T t1 -T t1" "$MANY" \
	    "LC_ALL=C\n-S\n1G\n-T\nt1\n-T\nt1\n-T\nt1\n-T\nt1\n-T\nt1\n-T\nt1\n-T\nt1\n-T\nt1\n--parallel=$p\n--\n"
}

@test "sr-sort: how sort(1) ended is how sr-sort ends" {
	fake_sort
	SR_SORT=./fakesort FAKE=exit2 check 1 "" "$MANY" "" "$TOOL: ./fakesort failed (exit status 2)\n"
	SR_SORT=./fakesort FAKE=exit3 check 1 "" "$MANY" "" "$TOOL: ./fakesort failed (exit status 3)\n"
	SR_SORT=./fakesort FAKE=killTERM check 1 "" "$MANY" "" "$TOOL: ./fakesort was killed by signal 15\n"
	# sr-sort reads sort's output itself: a SIGPIPE of sort is not the reader going away.
	SR_SORT=./fakesort FAKE=killPIPE check 1 "" "$MANY" "" "$TOOL: ./fakesort was killed by signal 13\n"
	# A sort that ends before it has read all it is given ends the same way.
	lines 200000 > in
	SR_SORT=./fakesort FAKE=exit3 "$TOOL" < in > out 2> err && return 1
	[ "$(cat err)" = "$TOOL: ./fakesort failed (exit status 3)" ]
}

@test "sr-sort: bad --parallel and too many -T are usage errors" {
	check 2 "--parallel x" "" "" "$TOOL: --parallel: not a number: 'x'\n"
	check 2 "--parallel ''" "" "" "$TOOL: --parallel: not a number: ''\n"
	check 2 "--parallel 0" "" "" "$TOOL: --parallel: count is too small: 0 (at least 1)\n"
	check 2 "--parallel 1025" "" "" "$TOOL: --parallel: count is too large: 1025 (at most 1024)\n"
	check 2 "--parallel 99999999999999999999" "" "" "$TOOL: --parallel: count is too large: 99999999999999999999\n"
	check 2 "-T . -T . -T . -T . -T . -T . -T . -T . -T ." "" "" "$TOOL: -T: at most 8 temporary directories\n"
	SR_SORT=/nonexistent check 2 "--parallel 0" "" "" "$TOOL: --parallel: count is too small: 0 (at least 1)\n"
}

@test "sr-sort: temporary directories are checked before sorting" {
	printf 'x\n' > file
	check 2 "-T /nonexistent" "b\na\n" "" "$TOOL: temporary directory /nonexistent: No such file or directory\n"
	check 2 "-T . -T nodir" "b\na\n" "" "$TOOL: temporary directory nodir: No such file or directory\n"
	check 2 "-T file" "b\na\n" "" "$TOOL: temporary directory file: not a writable directory\n"
	TMPDIR=/nonexistent check 1 "" "b\na\n" "" "$TOOL: temporary directory /nonexistent: No such file or directory\n"
	TMPDIR=/nonexistent check 0 "-T ." "b\na\n" "a\nb\n"
}

@test "sr-sort: a read-only temporary directory is refused" {
	local dir status=0
	command -v setpriv > /dev/null || skip "no setpriv to run as an unprivileged user"
	dir=$(mktemp -d /tmp/sr-sort-test.XXXXXX)
	chmod 555 "$dir"
	printf 'b\na\n' > in
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid 65534 --regid 65534 --clear-groups "$(command -v "$TOOL")" -T "$dir" < in > out 2> err ||
		    status=$?
	else
		"$TOOL" -T "$dir" < in > out 2> err || status=$?
	fi
	rmdir "$dir"
	[ "$status" -eq 2 ]
	[ ! -s out ]
	[ "$(cat err)" = "$TOOL: temporary directory $dir: not a writable directory" ]
}

@test "sr-sort: a full temporary directory is sort's write error" {
	local status=0
	unshare -m true 2> /dev/null || skip "cannot make a mount namespace here (a chroot, or no privileges)"
	lines 200000 > in
	mkdir full
	unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs full || exit 99
	    exec "$0" -S 64K -T full < in > out 2> err' "$(command -v "$TOOL")" || status=$?
	[ "$status" -ne 99 ] || skip "cannot mount a small file system here (needs privileges)"
	[ "$status" -eq 1 ]
	[ ! -s out ]
	[[ $(cat err) == "sort: "*"full/"*": No space left on device
$TOOL: sort failed (exit status 2)" ]]
}

@test "sr-sort: stdin in order already is passed through, and in a few runs merged, without sort" {
	fake_sort
	# FAKE=exit3: sort is not run, or the case fails.
	SR_SORT=./fakesort FAKE=exit3 check 0 "" "a\tb\t1\na\tb\t1\na\tb\t2\na\tb1\t1\nb\t\t1\n" \
	    "a\tb\t1\na\tb\t1\na\tb\t2\na\tb1\t1\nb\t\t1\n"
	SR_SORT=./fakesort FAKE=exit3 check 0 "" "a\nb" "a\nb\n"
	SR_SORT=./fakesort FAKE=exit3 check 0 "" "" ""
	SR_SORT=./fakesort FAKE=exit3 check 0 "" "\n\n" "\n\n"
	# a few runs in order, as sr-map writes when it fills its memory, are merged here
	SR_SORT=./fakesort FAKE=exit3 check 0 "" "a\nb\na\n" "a\na\nb\n"
	SR_SORT=./fakesort FAKE=exit3 check 0 "" "ab\na\n" "a\nab\n"
	SR_SORT=./fakesort FAKE=exit3 check 0 "" "b\td\t1\nc\t\t2\na\tb\t3\nb\td\t1\nb\td\t0\nb" \
	    "a\tb\t3\nb\nb\td\t0\nb\td\t1\nb\td\t1\nc\t\t2\n"
	# more than 64 runs go to sort
	seq -w 65 -1 1 > in
	SR_SORT=./fakesort FAKE=exit3 "$TOOL" < in > out 2> err && return 1
	[ "$(cat err)" = "$TOOL: ./fakesort failed (exit status 3)" ]
	seq -w 64 -1 1 | SR_SORT=./fakesort FAKE=exit3 "$TOOL" > out
	seq -w 64 -1 1 | LC_ALL=C sort | cmp - out
	# in order for 200000 lines, then not: all of it is sorted
	lines 200000 | LC_ALL=C sort > in
	printf 'a\n' >> in
	LC_ALL=C sort in > want
	"$TOOL" < in > got
	cmp got want
	# the same through the pass: sr-map's own output
	"$TOOL" < want > got
	cmp got want
	# in 7 runs, merged
	awk 'NR % 7 == 0' want > runs; awk 'NR % 7 != 0' want >> runs
	for k in 1 2 3 4 5; do awk -v k="$k" 'NR % 5 == k - 1' want; done >> runs
	"$TOOL" < runs > got
	LC_ALL=C sort runs | cmp - got
}

@test "sr-sort: with -S, -T, --parallel and --compress-program it still sorts right" {
	lines 200000 > in
	LC_ALL=C sort in > want
	mkdir tmp
	"$TOOL" -S 64K -T tmp --parallel 2 --compress-program gzip in > got
	cmp got want
	[ -z "$(ls -A tmp)" ]
	"$TOOL" -S 64K --parallel 1 < in > got
	cmp got want
	split -l 50000 want part.
	"$TOOL" -m part.* > got
	cmp got want
}

@test "sr-sort: a named pipe as operand is read, not probed away" {
	local status=0
	mkfifo fifo
	printf 'b\na\n' > fifo 3>&- &
	timeout 5 "$TOOL" fifo > out 2> err || status=$?
	kill "$!" 2> /dev/null || true
	[ "$status" -eq 0 ] && [ "$(cat out)" = "$(printf 'a\nb')" ] && [ ! -s err ]
}

@test "sr-sort: -m gives sort no -S unless asked: a merge reads a line of each input at a time" {
	local p
	p=$(parallel_default)
	fake_sort
	touch x y
	SR_SORT=./fakesort TMPDIR=/tmp check 0 "-m x y" "" "LC_ALL=C\n-T\n/tmp\n--parallel=$p\n-m\n--\nx\ny\n"
	SR_SORT=./fakesort TMPDIR=/tmp check 0 "-m -S 1G x y" "" "LC_ALL=C\n-S\n1G\n-T\n/tmp\n--parallel=$p\n-m\n--\nx\ny\n"
}

# Every option's bad values, against inputs sort never sees (empty, in order,
# a few runs merged here) and inputs it sorts (more than 64 runs, operands,
# -m): always status 2, nothing on stdout, one message, whatever the data.
@test "sr-sort: a bad option argument is status 2 whatever the input" {
	local opt input status tries=0
	local -a argv
	printf 'x\n' > file
	mkdir ro && chmod 555 ro
	touch noexec
	seq -w 65 -1 1 > many
	printf 'a\nb\n' > sorted
	for opt in "-S foo" "-S ''" "-S -1" "-S 1.5G" "-S 1G2" "-S 1KB" "-S ' 1'" "-S '1 '" "-S 1Z" "-S 1Q" \
	    "-S 1B" "-S 1p" "-S 1e" "-S 16E" "-S 99999999999999999999" "-S 0%" "-S 101%" "-S %" "-S K" "--buffer-size=x" \
	    "-T /nonexistent" "-T file" "-T . -T nodir" "--temporary-directory=" \
	    "--parallel x" "--parallel 0" "--parallel 1025" "--parallel ''" \
	    "--compress-program /nonexistent" "--compress-program no-such-program-sr" \
	    "--compress-program ''" "--compress-program ." "--compress-program ./noexec"; do
		for input in "< /dev/null" "< sorted" "< many" "sorted many" "- < many" "-m sorted sorted" \
		    "-m many < /dev/null"; do
			eval "argv=($opt)"
			status=0
			eval "\"\$TOOL\" \"\${argv[@]}\" $input" > out 2> err || status=$?
			if [ "$status" -ne 2 ] || [ -s out ] || [ "$(wc -l < err)" -ne 1 ] ||
			    [[ $(cat err) != "$TOOL: "* ]]; then
				echo "-- $TOOL $opt $input: status $status, stdout, stderr:"
				cat out err
				return 1
			fi
			tries=$((tries + 1))
		done
	done
	echo "# $tries bad runs" >&3
	[ "$tries" -eq 231 ]
}

# What sr-sort accepts, sort(1) accepts too: a good -S sorts small and large input alike.
@test "sr-sort: every -S it accepts, sort accepts, on small and large input" {
	local s tries=0
	seq -w 65 -1 1 > many
	LC_ALL=C sort many > want
	for s in 0 1 1b 1k 1K 64K 1m 1M 1g 1G 1t 1T 1P 1E 15E 1% 50% 100% 007K; do
		sort -S "$s" < /dev/null || { echo "sort refuses -S $s"; return 1; }
		"$TOOL" -S "$s" < many > got && cmp -s got want || { echo "-S $s, large"; return 1; }
		printf 'b\na\n' | "$TOOL" -S "$s" > got && [ "$(cat got)" = "$(printf 'a\nb')" ] ||
		    { echo "-S $s, small"; return 1; }
		tries=$((tries + 1))
	done
	[ "$tries" -eq 19 ]
}

@test "sr-sort: 1 to 64 runs of random lines are merged without sort, as sort would order them" {
	fake_sort
	# Each case: r runs, each sorted, of lines drawn from a small alphabet (duplicates, prefixes,
	# empty lines, bytes above 0x7f), the last line with or without its newline; the oracle is sort(1).
	local r seed tried=0 wrong=0
	for r in $(seq 1 64); do
		for seed in 1 2; do
			awk -v r="$r" -v seed="$seed" 'BEGIN {
				srand(r * 100 + seed); split("a|b|ab|\t|c\t1|\xc3\xa9|z|0|~", alpha, "|")
				for (k = 0; k < r; k++) {
					n = int(rand() * 40)
					for (i = 0; i < n; i++) {
						line = ""; m = int(rand() * 4)
						for (j = 0; j < m; j++) line = line alpha[1 + int(rand() * 9)]
						print line
					}
				}
			}' > lines
			# deal the lines at random to r runs and sort each: at most r runs in order
			awk -v r="$r" -v seed="$seed" 'BEGIN { srand(r * 7 + seed) } { print int(rand() * r) "\t" $0 }' lines |
			    LC_ALL=C sort -s -t "$(printf '\t')" -k1,1n -k2 | cut -f2- > runs
			[ "$seed" = 2 ] && [ -s runs ] && head -c -1 runs > runs.t && mv runs.t runs
			tried=$((tried + 1))
			if ! SR_SORT=./fakesort FAKE=exit3 "$TOOL" < runs > got 2> err ||
			    ! LC_ALL=C sort runs | cmp -s - got; then
				wrong=$((wrong + 1))
				echo "# $r runs, seed $seed: wrong" >&3
			fi
		done
	done
	echo "# $tried cases, $wrong wrong" >&3
	[ "$tried" -eq 128 ] && [ "$wrong" -eq 0 ]
}
