#!/usr/bin/env bats
# sr-map: sums per key, the window only when asked for, rejects, CSV, and a memory budget that flushes partial sums.

load helper
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout
TOOL=sr-map

NOW='--now 2026-11-30T00:00:00Z'		# the window [2026-11-23T00:00:00Z, 2026-11-30T00:00:00Z)
T=2026-11-25T10:00:00Z				# a time inside it
H='timestamp\tproduct_id\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_id'
USAGE='usage: sr-map [-S size] [--counters] [--csv] [--growing file] [--max-rejects n]
              [--part k/n] [--progress] [--rejects file] [--strict] [--now time]
              [--days n | --since time --until time] [file ...]\n'

# A log line (printf %b form): sale TIME PRODUCT CATEGORY QTY
sale() {
	printf '%s\\t%s\\t%s\\t%s\\t9.99\\ts\\tb\\n' "$1" "$2" "$3" "$4"
}

# sr-map with its output sorted, for tables of several keys: the map order is unspecified.
sorted() {
	local s=0
	sr-map "$@" > .unsorted || s=$?
	sort .unsorted
	return "$s"
}

# N sales, each of its own product, over 13 categories; then the same again with one more each.
distinct() {
	awk -v n="$1" 'BEGIN { for (r = 0; r < 2; r++) for (i = 0; i < n; i++)
	    printf "2026-11-25T10:00:00Z\tp%d\tc%d\t%d\t9.99\ts\tb\n", i, i % 13, i % 5 + r }'
}

forever() {
	awk 'BEGIN { for (i = 0; ; i++) printf "2026-11-25T10:00:00Z\tp%d\tc\t1\t9.99\ts\tb\n", i }'
}

@test "sr-map: --help, --version, bad options" {
	check_help_version
	check 2 "-S" "" "" "$TOOL: option requires an argument -- 'S'\n$USAGE"
	check 2 "--buffer-size" "" "" "$TOOL: option '--buffer-size' requires an argument\n$USAGE"
	check 2 "-m" "" "" "$TOOL: option requires an argument -- 'm'\n$USAGE"
	check 2 "--memory" "" "" "$TOOL: option '--memory' requires an argument\n$USAGE"
	check 2 "--strict=1" "" "" "$TOOL: option '--strict' doesn't allow an argument\n$USAGE"
}

@test "sr-map: a full disk is a write error at once" {
	check_dev_full "-S 1M" forever
}

@test "sr-map: | head -1 ends it quietly" {
	check_head "" "distinct 150000" $'c*\tp*\t[0-9]'
}

@test "sr-map: operands: a directory, a missing file, - for stdin" {
	printf "$(sale $T p c 1)" > a.tsv
	printf "$H\n$(sale $T p c 2)" > b.tsv
	mkdir dir
	check 1 "a.tsv dir b.tsv" "" "c\tp\t3\n" "$TOOL: dir: Is a directory\n"
	check 1 "nosuch a.tsv" "" "c\tp\t1\n" "$TOOL: nosuch: No such file or directory\n"
	check 0 "a.tsv - b.tsv -" "$H\n$(sale $T p c 4)" "c\tp\t7\n"
	check 0 "-" "$(sale $T p c 4)" "c\tp\t4\n"
	check 0 "" "" ""
	check 1 "b.tsv - a.tsv" "\n" "c\tp\t3\n" "$TOOL: stdin:1: empty line\n$TOOL: 1 of 3 lines rejected\n"
	check 0 "b.tsv b.tsv" "" "c\tp\t4\n"
}

@test "sr-map: the header is skipped wherever it is, as cat of files with headers gives it" {
	check 0 "" "$H\n$(sale $T p c 1)" "c\tp\t1\n"
	check 0 "" "$H\r\n$(sale $T p c 1)" "c\tp\t1\n"
	check 0 "" "$H\n" ""
	check 0 "" "$(sale $T p c 1)$H\n" "c\tp\t1\n"
	check 0 "" "$H\n$(sale $T p c 1)$H\r\n$(sale $T p c 2)$H" "c\tp\t3\n"
	check 0 "" "$H\n$H\n$H\r\n$H" ""
	# another header-like line is still an error
	check 1 "" "$H\n$(sale $T p c 1)${H/qty/QTY}\n" "c\tp\t1\n" \
	    "$TOOL: stdin:3: a header line, but not the log's: want its seven field names in order\n$TOOL: 1 of 2 lines rejected\n"
	check 1 "" "$H\tx\n" "" "$TOOL: stdin:1: too many fields: 8 (want 7)\n$TOOL: 1 of 1 lines rejected\n"
	printf "$H\n$(sale $T p c 1)" > a.tsv
	printf "$H\r\n$(sale $T p c 2)" > b.tsv
	cat a.tsv b.tsv a.tsv > ab.tsv
	check 0 "ab.tsv" "" "c\tp\t4\n"
	# --csv: the header quoted or not, anywhere
	check 0 "--csv" "timestamp,product_id,category_id,qty,total_price,seller_id,buyer_id\n$T,p,c,1,9.99,s,b\n\"timestamp\",product_id,\"category_id\",qty,total_price,seller_id,buyer_id\r\n$T,p,c,2,9.99,s,b\n" "c\tp\t3\n"
}

@test "sr-map: sums per key (category, product)" {
	TOOL=sorted check 0 "" "$(sale $T p c 1)$(sale $T p c 2)$(sale $T q c 5)$(sale $T p d 7)$(sale $T p c 4)" \
	    "c\tp\t7\nc\tq\t5\nd\tp\t7\n"
	check 0 "" "$(sale $T p c 5)$(sale $T p c -2)" "c\tp\t3\n"
	check 0 "" "$(sale $T p c 5)$(sale $T p c -7)" "c\tp\t-2\n"
	check 0 "" "$(sale $T p c 5)$(sale $T p c -5)" "c\tp\t0\n"
	check 0 "" "$(sale $T p c +5)$(sale $T p c 0)$(sale $T p c -0)" "c\tp\t5\n"
	check 0 "" "$(sale $T p c 9223372036854775807)" "c\tp\t9223372036854775807\n"
	check 0 "" "$(sale $T p c -9223372036854775808)" "c\tp\t-9223372036854775808\n"
	check 0 "" "$(sale $T p c 9223372036854775807)$(sale $T p c -1)" "c\tp\t9223372036854775806\n"
	# Ids are bytes: case, spaces and UTF-8 make different keys.
	TOOL=sorted check 0 "" "$(sale $T p c 1)$(sale $T P c 2)$(sale $T 'p ' c 3)$(sale $T p C 4)$(sale $T 'é' c 5)" \
	    "C\tp\t4\nc\tP\t2\nc\tp\t1\nc\tp \t3\nc\t\xc3\xa9\t5\n"
}

@test "sr-map: a sum that would overflow is written as it stands and started again" {
	local max=9223372036854775807
	check 0 "" "$(sale $T p c $max)$(sale $T p c 1)" "c\tp\t$max\nc\tp\t1\n"
	check 0 "" "$(sale $T p c -$max)$(sale $T p c -2)" "c\tp\t-$max\nc\tp\t-2\n"
}

@test "sr-map: without a window option every valid sale counts" {
	check 0 "" "$(sale 0000-01-01T00:00:00Z p c 1)$(sale 9999-12-31T23:59:59Z p c 2)$(sale 1 p c 4)" "c\tp\t7\n"
}

@test "sr-map: a window option counts only the sales in [from, to)" {
	local lines
	lines="$(sale 2026-11-22T23:59:59.999999999Z p c 1)$(sale 2026-11-23T00:00:00Z p c 2)"
	lines+="$(sale 2026-11-29T23:59:59.999999999Z p c 4)$(sale 2026-11-30T00:00:00Z p c 8)"
	lines+="$(sale 2026-11-22T19:00:00-05:00 p c 16)$(sale 2026-11-30T01:00:00+01:00 p c 32)"
	lines+="$(sale 1795392000.5 p c 64)$(sale 1795996799.999999999 p c 128)$(sale 1795996800 p c 256)"
	check 0 "$NOW" "$lines" "c\tp\t214\n"
	check 0 "$NOW --days 7" "$lines" "c\tp\t214\n"
	check 0 "--now 1795996800" "$lines" "c\tp\t214\n"
	check 0 "--since 2026-11-23T00:00:00Z --until 2026-11-30T00:00:00Z" "$lines" "c\tp\t214\n"
	check 0 "--since 2026-11-23T00:00:00.5Z --until 2026-11-30T00:00:00Z" "$lines" "c\tp\t196\n"
	check 0 "$NOW --days 1" "$(sale 2026-11-29T00:00:00Z p c 1)$(sale 2026-11-28T23:59:59Z p c 2)" "c\tp\t1\n"
	check 0 "--since 1 --until 1" "$(sale 1 p c 1)" ""
	# A key with no sale in the window is not written; rejects count whatever the time.
	TOOL=sorted check 0 "$NOW" "$(sale $T p c 1)$(sale 2026-01-01T00:00:00Z q c 1)" "c\tp\t1\n"
	check 1 "$NOW" "$(sale 2026-01-01T00:00:00Z p c x)" "" \
	    "$TOOL: stdin:1: field 4 (qty): not an integer: 'x'\n$TOOL: 1 of 1 lines rejected\n"
}

@test "sr-map: without --now, the window ends at the clock" {
	local now
	now=$(date +%s)
	check 0 "--days 7" "$(sale $((now - 60)) p c 1)$(sale $((now + 60)) p c 2)$(sale $((now - 8 * 86400)) p c 4)" "c\tp\t1\n"
}

@test "sr-map: window options that conflict or are bad are usage errors" {
	local s
	s=$(sale $T p c 1)
	check 2 "--since $T" "$s" "" "$TOOL: --since and --until go together\n"
	check 2 "--until $T" "$s" "" "$TOOL: --since and --until go together\n"
	check 2 "--since $T --until $T $NOW" "$s" "" "$TOOL: --since/--until and --now/--days exclude each other\n"
	check 2 "--since $T --until $T --days 1" "$s" "" "$TOOL: --since/--until and --now/--days exclude each other\n"
	check 2 "--since 2026-11-26T00:00:00Z --until $T" "$s" "" "$TOOL: --since is after --until: 2026-11-26T00:00:00Z > $T\n"
	check 2 "--days 0" "$s" "" "$TOOL: --days: count is too small: 0 (at least 1)\n"
	check 2 "--days 36501" "$s" "" "$TOOL: --days: count is too large: 36501 (at most 36500)\n"
	check 2 "--now 2026-11-30" "$s" "" "$TOOL: --now: not a timestamp (want 2026-11-25T19:04:05Z or epoch seconds): '2026-11-30'\n"
}

@test "sr-map: every timestamp form" {
	check 0 "$NOW" "$(sale 2026-11-25T10:00:00Z p c 1)$(sale 2026-11-25t10:00:00z p c 2)$(sale '2026-11-25 10:00:00Z' p c 4)" "c\tp\t7\n"
	check 0 "$NOW" "$(sale 2026-11-25T10:00:00+05:30 p c 1)$(sale 2026-11-25T10:00:00-08:00 p c 2)$(sale 2026-11-25T10:00:00.123456789Z p c 4)" "c\tp\t7\n"
	check 0 "$NOW" "$(sale 1795600000 p c 1)$(sale 1795600000.5 p c 2)$(sale 2026-11-29T23:59:60Z p c 4)" "c\tp\t7\n"
	check 1 "$NOW" "$(sale 2026-11-25T10:00:00 p c 1)" "" \
	    "$TOOL: stdin:1: field 1 (timestamp): not a timestamp (want 2026-11-25T19:04:05Z or epoch seconds): '2026-11-25T10:00:00'\n$TOOL: 1 of 1 lines rejected\n"
	check 1 "$NOW" "$(sale 2026-11-25T10:00:00.5+0100 p c 1)" "" \
	    "$TOOL: stdin:1: field 1 (timestamp): UTC offset needs a colon (+hh:mm): '2026-11-25T10:00:00.5+0100'\n$TOOL: 1 of 1 lines rejected\n"
	check 1 "$NOW" "$(sale 1795600000.1234567890 p c 1)" "" \
	    "$TOOL: stdin:1: field 1 (timestamp): more than 9 fraction digits: '1795600000.1234567890'\n$TOOL: 1 of 1 lines rejected\n"
}

@test "sr-map: CRLF lines and a last line without a newline" {
	check 0 "" "$T\tp\tc\t1\t9.99\ts\tb\r\n$T\tp\tc\t2\t9.99\ts\tb" "c\tp\t3\n"
	check 0 "" "$T\tp\tc\t1\t9.99\ts\tb\r" "c\tp\t1\n"
}

@test "sr-map: every kind of reject, with its exact message" {
	local r="$TOOL: 1 of 1 lines rejected\n"
	check 1 "" "\n" "" "$TOOL: stdin:1: empty line\n$r"
	check 1 "" "$T\tp\tc\t1\t9.99\ts\n" "" "$TOOL: stdin:1: too few fields: 6 (want 7)\n$r"
	check 1 "" "$T\tp\tc\t1\t9.99\ts\tb\tx\n" "" "$TOOL: stdin:1: too many fields: 8 (want 7)\n$r"
	check 1 "" "\tp\tc\t1\t9.99\ts\tb\n" "" "$TOOL: stdin:1: field 1 (timestamp): empty: ''\n$r"
	check 1 "" "$T\t\tc\t1\t9.99\ts\tb\n" "" "$TOOL: stdin:1: field 2 (product_id): empty: ''\n$r"
	check 1 "" "$T\tp\tc\x1f\t1\t9.99\ts\tb\n" "" "$TOOL: stdin:1: field 3 (category_id): control character in id: 'c\\\\x1f'\n$r"
	check 1 "" "$T\tp\tc\t2x\t9.99\ts\tb\n" "" "$TOOL: stdin:1: field 4 (qty): not an integer: '2x'\n$r"
	check 1 "" "$T\tp\tc\t9223372036854775808\t9.99\ts\tb\n" "" "$TOOL: stdin:1: field 4 (qty): out of range for a 64-bit integer: '9223372036854775808'\n$r"
	check 1 "" "$T\tp\tc\t1\t9,99\ts\tb\n" "" "$TOOL: stdin:1: field 5 (total_price): not a decimal number: '9,99'\n$r"
	check 1 "" "$T\tp\tc\t1\t1234567890123456789\ts\tb\n" "" "$TOOL: stdin:1: field 5 (total_price): more than 18 digits: '1234567890123456789'\n$r"
	check 1 "" "$T\tp\tc\t1\t9.99\t$(printf '%0256d' 0)\tb\n" "" "$TOOL: stdin:1: field 6 (seller_id): longer than 255 bytes: '$(printf '%087d' 0)...'\n$r"
	check 0 "" "$T\tp\tc\t1\t9.99\ts\t\\\\\n" "c\tp\t1\n"
	check 1 "" "$T\tp\tc\t1\t9.99\ts\t\n" "" "$TOOL: stdin:1: field 7 (buyer_id): empty: ''\n$r"
}

@test "sr-map: ten rejects are shown, the rest counted; good lines still count" {
	local i in="" err=""
	for i in $(seq 2 13); do
		in+="x\n"
		[ "$i" -le 11 ] && err+="$TOOL: stdin:$i: too few fields: 1 (want 7)\n"
	done
	check 1 "" "$(sale $T p c 1)$in$(sale $T p c 2)" "c\tp\t3\n" \
	    "$err$TOOL: further rejected lines are counted, not shown\n$TOOL: 12 of 14 lines rejected\n"
}

@test "sr-map: --strict stops at the first rejected line" {
	check 1 "--strict" "x\n$(sale $T p c 1)" "" \
	    "$TOOL: stdin:1: too few fields: 1 (want 7)\n$TOOL: stopped at the first rejected line (--strict)\n"
	check 0 "--strict" "$(sale $T p c 1)" "c\tp\t1\n"
}

@test "sr-map: --rejects gets every bad line verbatim; --counters" {
	local c='reporter:counter:sr'
	printf "$(sale $T p c 1)$T\tp\tc\t1x\t9.99\ts\tb\r\n%070000d\n$(sale $T p c 2)x" 0 > in.tsv
	printf "$T\tp\tc\t1x\t9.99\ts\tb\r\n%070000d\nx\n" 0 > want
	check 1 "--rejects rej --counters in.tsv" "" "c\tp\t3\n" \
	    "$TOOL: in.tsv:2: field 4 (qty): not an integer: '1x'\n$TOOL: in.tsv:3: line too long (65536 bytes or more)\n$TOOL: in.tsv:5: too few fields: 1 (want 7)\n$TOOL: 3 of 5 lines rejected\n$c,input_lines,5\n$c,rejected_lines,3\n"
	cmp rej want
	cat in.tsv | "$TOOL" --rejects rej > /dev/null 2>&1 || true
	cmp rej want
	check 0 "--rejects rej --counters" "$H\n$(sale $T p c 1)" "c\tp\t1\n" "$c,input_lines,1\n$c,rejected_lines,0\n"
	[ ! -s rej ]
	mapreduce_task_id=attempt_1 check 0 "" "$(sale $T p c 1)" "c\tp\t1\n" "$c,input_lines,1\n$c,rejected_lines,0\n"
	check 1 "--rejects nodir/rej" "$(sale $T p c 1)" "" "$TOOL: nodir/rej: No such file or directory\n"
}

@test "sr-map: --csv: quoted fields, records over lines, bad quoting" {
	local r="$TOOL: 1 of 1 records rejected\n"
	TOOL=sorted check 0 "--csv" "${H//\\t/,}\r\n$T,\"p,1\",\"c \"\"x\"\"\",2,9.99,s,b\r\n$T,\"p,1\",\"c \"\"x\"\"\",3,\"9.99\",s,b\n$T,p,c,-1,9.99,\" s\",b" \
	    "c\tp\t-1\nc \"x\"\tp,1\t5\n"
	check 1 "--csv" "$T,\"p\nq\",c,1,9.99,s,b\n$T,p,c,1,9.99,s,b\n" "c\tp\t1\n" \
	    "$TOOL: stdin:1: field 2 (product_id): control character in id: 'p\\\\nq'\n$TOOL: 1 of 2 records rejected\n"
	check 1 "--csv" "$T,\"p\"q,c,1,9.99,s,b\n" "" "$TOOL: stdin:1: bad CSV quoting\n$r"
	check 1 "--csv" "$T,p\"q,c,1,9.99,s,b\n" "" "$TOOL: stdin:1: bad CSV quoting\n$r"
	check 1 "--csv" "$T,p,c,1,9.99,s,\"b" "" "$TOOL: stdin:1: CSV quoted field not closed at end of input\n$r"
	check 1 "--csv" "$T,p,c,1,9.99,s\n" "" "$TOOL: stdin:1: too few fields: 6 (want 7)\n$r"
	check 1 "--csv" "$T,p,c, 1,9.99,s,b\n" "" "$TOOL: stdin:1: field 4 (qty): not an integer: ' 1'\n$r"
	check 1 "--csv --strict" "$T,\"p\"q,c,1,9.99,s,b\n$T,p,c,1,9.99,s,b\n" "" \
	    "$TOOL: stdin:1: bad CSV quoting\n$TOOL: stopped at the first rejected line (--strict)\n"
	check 0 "--csv $NOW" "$T,p,c,1,9.99,s,b\n2026-11-30T00:00:00Z,p,c,2,9.99,s,b\n" "c\tp\t1\n"
}

@test "sr-map: -S 1M with 100000 keys: partial sums that reduce to the right totals" {
	distinct 100000 > in.tsv
	"$TOOL" -S 1M in.tsv > map
	[ "$(wc -l < map)" -gt 100000 ]		# the table was flushed: keys repeat
	sort map | sr-reduce > got
	awk -F '\t' '{ s[$3 "\t" $2] += $4 } END { for (k in s) print k "\t" s[k] }' in.tsv | sort > want
	[ "$(wc -l < want)" -eq 100000 ]
	cmp got want
	# The default budget holds them all: one line per key.
	"$TOOL" in.tsv | sort > map
	cmp map want
	"$TOOL" --buffer-size 1048576 in.tsv | sort | sr-reduce > got
	cmp got want
}

@test "sr-map: -S: bad sizes are usage errors, under every name of the option" {
	local want='(want bytes, or a number and K, M, G or T)' o n=0
	for o in -S --buffer-size -m --memory; do
		check 2 "$o 1K" "" "" "$TOOL: -S: size is too small: 1K (at least 1048576 bytes)\n"
		check 2 "$o 1048575" "" "" "$TOOL: -S: size is too small: 1048575 (at least 1048576 bytes)\n"
		check 2 "$o 0" "" "" "$TOOL: -S: size is too small: 0 (at least 1048576 bytes)\n"
		check 2 "$o x" "" "" "$TOOL: -S: not a size: 'x' $want\n"
		check 2 "$o ''" "" "" "$TOOL: -S: not a size: '' $want\n"
		check 2 "$o M" "" "" "$TOOL: -S: not a size: 'M' $want\n"
		check 2 "$o -1M" "" "" "$TOOL: -S: not a size: '-1M' $want\n"
		check 2 "$o +1M" "" "" "$TOOL: -S: not a size: '+1M' $want\n"
		check 2 "$o 1.5M" "" "" "$TOOL: -S: not a size: '1.5M' $want\n"
		check 2 "$o 1MB" "" "" "$TOOL: -S: not a size: '1MB' $want\n"
		check 2 "$o 9999999T" "" "" "$TOOL: -S: size is too large: 9999999T\n"
		check 2 "$o 99999999999999999999" "" "" "$TOOL: -S: not a size: '99999999999999999999' $want\n"
		check 0 "$o 1M" "$(sale $T p c 1)" "c\tp\t1\n"
		check 0 "$o 2m" "$(sale $T p c 1)" "c\tp\t1\n"
		check 0 "$o 1g" "$(sale $T p c 1)" "c\tp\t1\n"
		n=$((n + 15))
	done
	check 0 "--buffer-size=1048576" "$(sale $T p c 1)" "c\tp\t1\n"
	check 0 "--memory=1048576" "$(sale $T p c 1)" "c\tp\t1\n"
	check 0 "-S1M" "$(sale $T p c 1)" "c\tp\t1\n"
	check 0 "-m1M" "$(sale $T p c 1)" "c\tp\t1\n"
	[ "$n" -eq 60 ]
}

# A log of N lines in time order over 3 days, with qty 'x' on the lines numbered in BAD (space-separated).
timed_log() {
	awk -v n="$1" -v bad=" $2 " 'BEGIN { for (i = 1; i <= n; i++)
	    printf "%d\t%d\t%d\t%s\t9.99\ts%d\tb%d\n", 1795000000 + int(i * 259200 / n), i % 9973, i % 17,
	        index(bad, " " i " ") ? "x" : i % 3 + 1, i, i }'
}

@test "sr-map: --part k/n: the parts hold each line once, and add up to the whole" {
	local k
	timed_log 400000 "7 150001 399999" > log
	[ "$(wc -c < log)" -gt $((12 * 1024 * 1024)) ]	# four blocks of 4 MiB at least
	sr-map --now 1795200000 log 2> err.whole | sr-sort | sr-reduce > want || true
	for k in 1 2 3; do
		sr-map --part "$k/3" --now 1795200000 --rejects "rej.$k" log 2> "err.$k" > "part.$k" || true
		[ -s "part.$k" ]	# every part has lines in the window: the blocks take turns
	done
	cat part.1 part.2 part.3 | sr-sort | sr-reduce > got
	cmp got want
	# the messages give the line in the whole file, each bad line once
	grep -h ': field 4' err.1 err.2 err.3 | sort > got.err
	grep ': field 4' err.whole | sort > want.err
	cmp got.err want.err
	[ "$(grep -c . want.err)" -eq 3 ]
	[ "$(cat rej.1 rej.2 rej.3 | wc -l)" -eq 3 ]
	# a part past the blocks there are is empty, and fine
	check 0 "--part 1000/1000 log" "" ""
}

@test "sr-map: --part needs a regular file, a k/n in range, and no --csv" {
	timed_log 10 "" > log
	# stdin will do when it is a file, not when it is a pipe
	check 0 "--part 1/1" "$(head -1 log)\n" "1\t1\t2\n"
	run sr-map --part 1/2 < <(cat log)
	[ "$status" -eq 1 ] && [ "$output" = "$TOOL: stdin: --part needs a regular file" ]
	check 2 "--part 0/2 log" "" "" "$TOOL: --part: count is too small: 0 (at least 1)\n"
	check 2 "--part 3/2 log" "" "" "$TOOL: --part: count is too large: 3 (at most 2)\n"
	check 2 "--part 1/1025 log" "" "" "$TOOL: --part: count is too large: 1025 (at most 1024)\n"
	check 2 "--part 1 log" "" "" "$TOOL: --part: want K/N, as 1/4: '1'\n"
	check 2 "--part a/2 log" "" "" "$TOOL: --part: not a number: 'a'\n"
	check 2 "--csv --part 1/2 log" "" "" "$TOOL: --part does not work with --csv: a quoted field may hold a newline\n"
}

@test "sr-map: --max-rejects n: up to n rejected lines leave the status 0, and are still reported" {
	local in
	in="$(sale "$T" p1 c1 2)$(sale "$T" p1 c1 x)$(sale "$T" p2 c1 1)$(sale "$T" p2 c1 -)"
	check 0 "--max-rejects 2" "$in" "c1\tp1\t2\nc1\tp2\t1\n" \
	    "$TOOL: stdin:2: field 4 (qty): not an integer: 'x'\n$TOOL: stdin:4: field 4 (qty): not an integer: '-'\n$TOOL: 2 of 4 lines rejected, within --max-rejects 2\n"
	check 1 "--max-rejects 1 --rejects rej" "$in" "c1\tp1\t2\nc1\tp2\t1\n" \
	    "$TOOL: stdin:2: field 4 (qty): not an integer: 'x'\n$TOOL: stdin:4: field 4 (qty): not an integer: '-'\n$TOOL: 2 of 4 lines rejected, more than --max-rejects 1\n"
	[ "$(wc -l < rej)" -eq 2 ]
	check 0 "--max-rejects 0" "$(sale "$T" p1 c1 2)" "c1\tp1\t2\n"
	check 2 "--max-rejects -1" "" "" "$TOOL: --max-rejects: count is too small: -1 (at least 0)\n"
	check 2 "--strict --max-rejects 1" "" "" "$TOOL: --strict and --max-rejects conflict: --strict stops at the first\n"
}

@test "sr-map: quantities near the 64-bit limits, in any order: its sums reduce to the exact totals" {
	check 0 "" "$(sale $T p c -9223372036854775808)$(sale $T p c -1)$(sale $T p c 2)" \
	    "c\tp\t-9223372036854775808\nc\tp\t1\n"
	printf '%b' "$(sale $T p c -9223372036854775808)$(sale $T p c -1)$(sale $T p c 2)" |
	    sr-map | sr-sort | sr-reduce > got
	[ "$(cat got)" = $'c\tp\t-9223372036854775807' ]
	python3 - <<'PY' >&3
import random, subprocess, sys
rng = random.Random(3)
LO, HI = -2**63, 2**63 - 1
near = [LO, LO + 1, -2**62, -1, 0, 1, 2, 2**62, HI - 1, HI]
cases = wrong = 0
for trial in range(60):
    keys = ["%s\t%s" % (c, p) for c in ("7", "c") for p in ("1", "12", "p", "p2")]
    sales, want = [], {}
    for k in keys:
        parts = [rng.choice(near) if rng.random() < 0.7 else rng.randint(LO, HI) for _ in range(rng.randint(1, 8))]
        while not LO <= sum(parts) <= HI:
            parts.append(max(LO, min(HI, -sum(parts) // 2)))
        want[k] = sum(parts)
        sales += [(k, q) for q in parts]
    rng.shuffle(sales)
    log = "".join("2026-11-25T10:00:00Z\t%s\t%s\t%d\t9.99\ts\tb\n" % (k.split("\t")[1], k.split("\t")[0], q)
                  for k, q in sales)
    for mem in ([], ["-S", "1M"]):
        cases += 1
        r = subprocess.run("sr-map %s | sr-sort | sr-reduce" % " ".join(mem), shell=True,
                           input=log, capture_output=True, text=True)
        exp = "".join("%s\t%d\n" % (k, want[k]) for k in sorted(want, key=str.encode))
        if r.returncode != 0 or r.stdout != exp or r.stderr != "":
            wrong += 1
            print("trial %d: status %d %r" % (trial, r.returncode, r.stderr))
print("# %d cases, %d wrong" % (cases, wrong))
sys.exit(wrong != 0)
PY
}

# best_of N FILE: the least wall time, in ms, of N runs of sr-map on FILE.
best_of() {
	local i t best=999999
	for i in $(seq "$1"); do
		t=$( { TIMEFORMAT=%R; time sr-map "$2" > /dev/null; } 2>&1 )
		t=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
		[ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}

@test "sr-map: ids crafted to collide under a fixed hash take no longer than random ones" {
	unit=${SR_UNIT:-$BATS_TEST_DIRNAME/unit/unit}
	# make test names it from the top of the tree (./tests/unit/unit); the test runs elsewhere.
	case $unit in /*) ;; *) unit=$BATS_TEST_DIRNAME/../$unit ;; esac
	[ -x "$unit" ] || skip "no $unit (make unit builds it)"
	# 100,000 keys whose hashes under the old, unseeded hash share their low
	# 12 (packed keys) or 11 (text keys) bits: 4 to 13 times slower there.
	for kind in "packed 12" "text 11"; do
		set -- $kind
		"$unit" --craft "$1" 100000 "$2" > crafted.keys
		"$unit" --random "$1" 100000 > random.keys
		for k in crafted random; do
			awk -F '\t' '{ printf "2026-11-25T10:00:00Z\t%s\t%s\t1\t9.99\ts\tb\n", $2, $1 }' $k.keys > $k.log
		done
		sr-map crafted.log | cut -f 1,2 | cmp - <(sort crafted.keys)
		crafted=$(best_of 5 crafted.log)
		random=$(best_of 5 random.log)
		echo "# $1 keys: crafted $crafted ms, random $random ms" >&3
		[ "$crafted" -le $((2 * random + 50)) ]
	done
}

# N log lines of one key, qty 1 to N, each with a header first when asked.
small_log() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "2026-11-25T10:00:%02dZ\tp\tc\t%d\t9.99\ts%d\tb%d\n", i % 60, i, i, i }'
}

@test "sr-map: .gz and .zst logs, told by their magic bytes, from files and stdin" {
	{ printf "$H\n"; small_log 100; } > log
	gzip -c log > log.gz
	zstd -q -c log > log.zst
	cp log.gz plain-name.tsv
	want="c\tp\t5050\n"
	check 0 "log.gz" "" "$want"
	check 0 "log.zst" "" "$want"
	check 0 "plain-name.tsv" "" "$want"
	check 0 "log log.gz log.zst -" "$(cat log.zst | od -An -tx1 -v | tr -d '\n' | sed 's/ /\\x/g')" "c\tp\t20200\n"
	# several members or frames, each file with its header, as cat a.gz b.gz gives
	cat log.gz log.gz log.gz > three.gz
	cat log.zst log.zst > two.zst
	check 0 "three.gz two.zst" "" "c\tp\t25250\n"
	# members of nothing and an empty frame are fine
	: | gzip -c > empty.gz
	: | zstd -q -c > empty.zst
	cat empty.gz log.gz empty.gz > e.gz
	cat empty.zst log.zst empty.zst > e.zst
	check 0 "empty.gz empty.zst e.gz e.zst" "" "c\tp\t10100\n"
	# line numbers count the decompressed lines
	{ small_log 2; printf 'bad\n'; } | gzip -c > bad.gz
	check 1 "bad.gz" "" "c\tp\t3\n" "$TOOL: bad.gz:3: too few fields: 1 (want 7)\n$TOOL: 1 of 3 lines rejected\n"
	# a file too short for a magic is read as it is
	printf '\x1f' > short
	check 1 "short" "" "" "$TOOL: short:1: too few fields: 1 (want 7)\n$TOOL: 1 of 1 lines rejected\n"
}

@test "sr-map: .gz and .zst: --part refuses them; data after the last member is an error" {
	small_log 10 | gzip -c > log.gz
	small_log 10 | zstd -q -c > log.zst
	check 1 "--part 1/2 log.gz" "" "" "$TOOL: log.gz: --part needs an uncompressed file: this one is gzip data\n$TOOL: 0 of 0 lines rejected\n" ||
	    check 1 "--part 1/2 log.gz" "" "" "$TOOL: log.gz: --part needs an uncompressed file: this one is gzip data\n"
	check 1 "--part 2/2 log.zst" "" "" "$TOOL: log.zst: --part needs an uncompressed file: this one is zstd data\n"
	{ cat log.gz; printf 'trailing junk\n'; } > junk.gz
	run sr-map junk.gz
	[ "$status" -eq 1 ]
	[[ "$output" == *"sr-map: junk.gz: gzip data corrupt: "* ]]
}

# truncations FILE [BOUNDARY]: every truncation of FILE (1 to size-1 bytes) must fail
# with status 1 and a message naming the file, but at BOUNDARY, where a whole
# member ends; prints the count of cases.
truncations() {
	local f=$1 boundary=${2:-0} size i n=0 s
	size=$(wc -c < "$f")
	for ((i = 1; i < size; i++)); do
		head -c "$i" "$f" > cut
		[ "$i" -ne "$boundary" ] || continue
		s=0
		sr-map cut > /dev/null 2> err || s=$?
		if [ "$s" -ne 1 ] || ! grep -q '^sr-map: cut\(:[0-9]*\)\?: ' err; then
			echo "truncated at $i of $size: status $s, stderr: $(cat err)"
			return 1
		fi
		n=$((n + 1))
	done
	echo "$n"
}

@test "sr-map: a .gz or .zst cut short at every byte is an error naming the file" {
	# Under ASan, no leak check in these hundreds of sr-maps (valgrind's pass checks leaks).
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	small_log 40 > log
	gzip -c log > log.gz
	zstd -q -c log > log.zst
	zstd -q -c --no-check log > nocheck.zst
	cat log.gz log.gz > two.gz
	local total=0 f n
	for f in log.gz log.zst nocheck.zst two.gz; do
		n=$(truncations "$f" "$([ "$f" != two.gz ] || wc -c < log.gz)") || { echo "$n"; return 1; }
		total=$((total + n))
	done
	echo "# $total truncations tried" >&3
	[ "$total" -gt 1000 ]
}

@test "sr-map: a .gz or .zst with a byte corrupted: an error naming the file, or the same sums" {
	# Under ASan, no leak check in these hundreds of sr-maps (valgrind's pass checks leaks).
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	small_log 200 > log
	gzip -c log > log.gz
	zstd -q -c log > log.zst
	sr-map log > want
	local f i size pos s err=0 same=0
	for f in log.gz log.zst; do
		size=$(wc -c < "$f")
		for ((i = 0; i < 300; i++)); do
			pos=$(( (i * 7919 + 13) % size ))
			cp "$f" bad
			printf "\\x$(printf %02x $(( (i * 37 + 1) % 255 + 1 )))" |
			    dd of=bad bs=1 seek="$pos" conv=notrunc status=none
			s=0
			sr-map bad > out 2> errs || s=$?
			if [ "$s" -eq 0 ] && cmp -s out want && [ ! -s errs ]; then
				same=$((same + 1))
			elif [ "$s" -eq 1 ] && grep -q '^sr-map: bad\(:[0-9]*\)\?: ' errs; then
				err=$((err + 1))
			else
				echo "$f byte $pos: status $s, stderr: $(cat errs)"
				return 1
			fi
		done
	done
	echo "# 600 corruptions: $err errors, $same harmless (header bytes)" >&3
	[ "$err" -gt 500 ]
}

@test "sr-map: --growing: an unterminated last line is left unread, cut at every byte" {
	local line len k want
	small_log 3 > head
	line=$(small_log 4 | tail -1)
	len=${#line}
	for ((k = 0; k <= len; k++)); do
		{ cat head; printf '%s' "${line:0:k}"; } > grow
		check 0 "--growing grow" "" "c\tp\t6\n"
		# the writer finishes the line: it is read when its newline comes
		printf '%s\n' "${line:k}" >> grow
		check 0 "--growing grow" "" "c\tp\t10\n"
	done
	# as an operand, the same line is read (or rejected) as always
	{ cat head; printf '%s' "${line:0:20}"; } > grow
	check 1 "grow" "" "c\tp\t6\n" \
	    "$TOOL: grow:4: too few fields: 1 (want 7)\n$TOOL: 1 of 4 lines rejected\n"
	run sh -c 'sr-map --progress --growing grow > /dev/null'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$TOOL: grow: an unfinished last line (20 bytes) left for a later read (--growing)" ]
	[[ "${lines[1]}" == "$TOOL: progress: 0.0 MB, 3 lines, "* ]]
	# with operands too: those are read first, then the growing files
	check 0 "head --growing grow head" "" "c\tp\t18\n"
	# with none, stdin is not read
	check 0 "--growing grow" "$(small_log 1)" "c\tp\t6\n"
	check 0 "--growing -" "$(small_log 2)x" "c\tp\t1\n"
	# a CSV record still open in its quotes is left too
	check 0 "--csv --growing -" "2026-11-25T10:00:00Z,p,c,1,9.99,s,b\n2026-11-25T10:00:00Z,p,c,2,9.99,\"s\n" "c\tp\t1\n"
	check 2 "--part 1/2 --growing grow" "" "" "$TOOL: --part does not work with --growing: a part has no last line\n"
}

@test "sr-map: --growing while a writer appends in blocks: every read succeeds, the last has every sale" {
	small_log 3000 > full
	: > grow
	(
		exec 3>> grow
		for ((i = 0; i < 120; i++)); do
			tail -c +$((i * 997 + 1)) full | head -c 997 >&3
			sleep 0.01
		done
		tail -c +$((120 * 997 + 1)) full >&3
	) &
	local writer=$! runs=0 s
	while kill -0 "$writer" 2> /dev/null; do
		s=0
		sr-map --growing grow > out 2> err || s=$?
		if [ "$s" -ne 0 ] || [ -s err ]; then
			echo "run $runs: status $s, stderr: $(cat err)"
			return 1
		fi
		runs=$((runs + 1))
	done
	wait "$writer"
	check 0 "--growing grow" "" "c\tp\t$((3000 * 3001 / 2))\n"
	echo "# $runs reads while written" >&3
	[ "$runs" -ge 5 ]
}

@test "sr-map: with no process to spare (fork fails), a .gz or .zst is decompressed in sr-map itself" {
	command -v fiu-run > /dev/null || skip "fiu-run (fiu-utils) is not installed"
	# libfiu's preload leaks a string of its own, which LeakSanitizer would count as sr-map's.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	small_log 3000 > log
	gzip -c log > log.gz
	zstd -q -c log > log.zst
	head -c 2000 log.gz > cut.gz
	local f
	for f in log.gz log.zst; do
		fiu-run -x -c "enable name=posix/proc/fork" sr-map "$f" > out
		[ "$(cat out)" = "$(printf 'c\tp\t%d' $((3000 * 3001 / 2)))" ]
	done
	run fiu-run -x -c "enable name=posix/proc/fork" sr-map cut.gz
	[ "$status" -eq 1 ]
	[[ "$output" == *"sr-map: cut.gz: gzip data truncated: the file ends inside a compressed member"* ]]
}
