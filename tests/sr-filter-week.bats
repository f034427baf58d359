#!/usr/bin/env bats
# sr-filter-week: the window [from, to), every timestamp form, rejects and their reports, CSV in and TSV out.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout

load helper
TOOL=sr-filter-week

NOW='--now 2026-11-30T00:00:00Z'		# the window [2026-11-23T00:00:00Z, 2026-11-30T00:00:00Z)
ALL='--since 0000-01-01T00:00:00Z --until 9999-12-31T23:59:59Z'
L='\tp\tc\t1\t9.99\ts\tb\n'		# a valid line after its timestamp
G="2026-11-25T10:00:00Z$L"		# a valid line inside every window used here
H='timestamp\tproduct_id\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_id'
USAGE='usage: sr-filter-week [--counters] [--csv] [--growing file] [--max-rejects n]
                      [--part k/n] [--progress] [--rejects file] [--strict] [--now time]
                      [--days n | --since time --until time] [file ...]\n'

# One line LINE (without its newline) rejected for WHY, alone in the input.
rejected() {
	check 1 "$ALL" "$1\n" "" "$TOOL: stdin:1: $2\n$TOOL: 1 of 1 lines rejected\n"
}

# A timestamp TS rejected for WHY.
bad_ts() {
	rejected "$1${L%\\n}" "field 1 (timestamp): $2: '$1'"
}

# N copies of a line in the window, each product its own: p0, p1, ...
many() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "2026-11-25T10:00:00Z\tp%d\tc\t1\t9.99\ts\tb\n", i }'
}

forever() {
	yes "$(printf '2026-11-25T10:00:00Z\tp\tc\t1\t9.99\ts\tb')"
}

@test "sr-filter-week: --help, --version, bad options" {
	check_help_version
	check 2 "--rejects" "" "" "$TOOL: option '--rejects' requires an argument\n$USAGE"
	check 2 "-x" "" "" "$TOOL: invalid option -- 'x'\n$USAGE"
	check 2 "$NOW --now" "" "" "$TOOL: option '--now' requires an argument\n$USAGE"
}

@test "sr-filter-week: a full disk is a write error at once" {
	check_dev_full "$NOW" forever
}

@test "sr-filter-week: | head -1 ends it quietly" {
	check_head "$NOW" "many 300000" $'2026-11-25T10:00:00Z\tp0\tc\t1\t9.99\ts\tb'
}

@test "sr-filter-week: operands: a directory, a missing file, - for stdin" {
	printf "2026-11-24T00:00:00Z$L" > a.tsv
	printf "$H\n2026-11-26T00:00:00Z$L" > b.tsv
	mkdir dir
	check 1 "$NOW a.tsv dir b.tsv" "" "2026-11-24T00:00:00Z$L""2026-11-26T00:00:00Z$L" "$TOOL: dir: Is a directory\n"
	check 1 "$NOW nosuch a.tsv" "" "2026-11-24T00:00:00Z$L" "$TOOL: nosuch: No such file or directory\n"
	check 1 "$NOW a.tsv nosuch" "" "2026-11-24T00:00:00Z$L" "$TOOL: nosuch: No such file or directory\n"
	check 0 "$NOW a.tsv - b.tsv" "$H\n$G" "2026-11-24T00:00:00Z$L$G""2026-11-26T00:00:00Z$L"
	check 0 "$NOW -" "$G" "$G"
	check 0 "$NOW" "" ""
	# Line numbers count within each operand; the summary counts all of them.
	check 1 "$NOW a.tsv - b.tsv" "$G\nx\n" "2026-11-24T00:00:00Z$L$G""2026-11-26T00:00:00Z$L" \
	    "$TOOL: stdin:2: empty line\n$TOOL: stdin:3: too few fields: 1 (want 7)\n$TOOL: 2 of 5 lines rejected\n"
	printf "$G\n" > c.tsv
	check 1 "$NOW c.tsv" "" "$G" "$TOOL: c.tsv:2: empty line\n$TOOL: 1 of 2 lines rejected\n"
}

@test "sr-filter-week: the header is skipped wherever it is" {
	check 0 "$NOW" "$H\n$G" "$G"
	check 0 "$NOW" "$H\r\n$G" "$G"
	check 0 "$NOW" "$H\n" ""
	check 0 "$NOW" "$H" ""
	check 0 "$NOW" "$G$H\n$G" "$G$G"
	check 0 "$NOW" "$H\n$H\n" ""
	check 0 "$NOW" "$H\r\n$G$H\n$G$H\r\n" "$G$G"
	check 1 "$NOW" "$H\n$G${H/qty/QTY}\n$G" "$G$G" \
	    "$TOOL: stdin:3: a header line, but not the log's: want its seven field names in order\n$TOOL: 1 of 3 lines rejected\n"
	check 1 "$NOW" "$H\tx\n" "" "$TOOL: stdin:1: too many fields: 8 (want 7)\n$TOOL: 1 of 1 lines rejected\n"
	check 1 "$NOW" "${H/qty/QTY}\n" "" \
	    "$TOOL: stdin:1: a header line, but not the log's: want its seven field names in order\n$TOOL: 1 of 1 lines rejected\n"
}

@test "sr-filter-week: the window includes from and excludes to" {
	check 0 "$NOW" "2026-11-23T00:00:00Z$L" "2026-11-23T00:00:00Z$L"
	check 0 "$NOW" "2026-11-22T23:59:59.999999999Z$L" ""
	check 0 "$NOW" "2026-11-29T23:59:59.999999999Z$L" "2026-11-29T23:59:59.999999999Z$L"
	check 0 "$NOW" "2026-11-30T00:00:00Z$L" ""
	check 0 "$NOW" "2026-11-30T01:00:00+01:00$L" ""
	check 0 "$NOW" "2026-11-30T00:59:59+01:00$L" "2026-11-30T00:59:59+01:00$L"
	check 0 "$NOW" "2026-11-22T19:00:00-05:00$L" "2026-11-22T19:00:00-05:00$L"
	check 0 "$NOW" "2026-11-22T18:59:59-05:00$L" ""
	check 0 "$NOW" "1795392000$L" "1795392000$L"
	check 0 "$NOW" "1795391999.999999999$L" ""
	check 0 "$NOW" "1795996799.999999999$L" "1795996799.999999999$L"
	check 0 "$NOW" "1795996800$L" ""
	check 0 "--now 1795996800" "2026-11-23T00:00:00Z$L""2026-11-30T00:00:00Z$L" "2026-11-23T00:00:00Z$L"
	check 0 "--now 2026-11-30T01:00:00+01:00" "2026-11-23T00:00:00Z$L""2026-11-30T00:00:00Z$L" "2026-11-23T00:00:00Z$L"
	check 0 "--now 2026-11-30T00:00:00.5Z" "2026-11-23T00:00:00Z$L" ""
	check 0 "--now 2026-11-30T00:00:00.5Z" "2026-11-23T00:00:00.5Z$L" "2026-11-23T00:00:00.5Z$L"
	check 0 "--now 2026-11-30T00:00:00.5Z" "2026-11-30T00:00:00.499999999Z$L" "2026-11-30T00:00:00.499999999Z$L"
	check 0 "--now 2026-11-30T00:00:00.5Z" "2026-11-30T00:00:00.5Z$L" ""
	check 0 "$NOW --days 1" "2026-11-29T00:00:00Z$L""2026-11-28T23:59:59Z$L" "2026-11-29T00:00:00Z$L"
	check 0 "$NOW --days 36500" "1926-12-24T23:59:59Z$L""1926-12-25T00:00:00Z$L" "1926-12-25T00:00:00Z$L"
	check 0 "--days 3 $NOW" "2026-11-27T00:00:00Z$L""2026-11-26T23:59:59Z$L" "2026-11-27T00:00:00Z$L"
	check 0 "--since 2026-11-01T00:00:00Z --until 2026-11-02T00:00:00Z" \
	    "2026-10-31T23:59:59Z$L""2026-11-01T00:00:00Z$L""2026-11-01T23:59:59.999999999Z$L""2026-11-02T00:00:00Z$L" \
	    "2026-11-01T00:00:00Z$L""2026-11-01T23:59:59.999999999Z$L"
	check 0 "--since 1 --until 1" "1$L" ""
	check 0 "--since -1.5 --until -1" "-1.6$L-1.5$L-1.000000001$L-1$L""1969-12-31T23:59:58.5Z$L" \
	    "-1.5$L-1.000000001$L""1969-12-31T23:59:58.5Z$L"
}

@test "sr-filter-week: without a window option the window is the last 7 days of the clock" {
	local now
	now=$(date +%s)
	check 0 "" "$((now - 60))$L$((now + 60))$L$((now - 6 * 86400))$L$((now - 8 * 86400))$L" \
	    "$((now - 60))$L$((now - 6 * 86400))$L"
	check 0 "--days 1" "$((now - 60))$L$((now - 2 * 86400))$L" "$((now - 60))$L"
}

@test "sr-filter-week: window options that conflict or are bad are usage errors" {
	local since='--since 2026-11-23T00:00:00Z' until='--until 2026-11-30T00:00:00Z'
	local want='(want 2026-11-25T19:04:05Z or epoch seconds)'
	check 2 "$since" "$G" "" "$TOOL: --since and --until go together\n"
	check 2 "$until" "$G" "" "$TOOL: --since and --until go together\n"
	check 2 "$since $until $NOW" "$G" "" "$TOOL: --since/--until and --now/--days exclude each other\n"
	check 2 "$since $until --days 7" "$G" "" "$TOOL: --since/--until and --now/--days exclude each other\n"
	check 2 "--since 2026-11-30T00:00:00Z --until 2026-11-23T00:00:00Z" "$G" "" \
	    "$TOOL: --since is after --until: 2026-11-30T00:00:00Z > 2026-11-23T00:00:00Z\n"
	check 2 "--days 0" "$G" "" "$TOOL: --days: count is too small: 0 (at least 1)\n"
	check 2 "--days 36501" "$G" "" "$TOOL: --days: count is too large: 36501 (at most 36500)\n"
	check 2 "--days 99999999999999999999" "$G" "" "$TOOL: --days: count is too large: 99999999999999999999\n"
	check 2 "--days 1x" "$G" "" "$TOOL: --days: not a number: '1x'\n"
	check 2 "--days ''" "$G" "" "$TOOL: --days: not a number: ''\n"
	check 2 "--now yesterday" "$G" "" "$TOOL: --now: not a timestamp $want: 'yesterday'\n"
	check 2 "--now 2026-11-30T00:00:00" "$G" "" "$TOOL: --now: not a timestamp $want: '2026-11-30T00:00:00'\n"
	check 2 "--since 2026-13-01T00:00:00Z $until" "$G" "" "$TOOL: --since: date out of range: '2026-13-01T00:00:00Z'\n"
	check 2 "$since --until 2026-11-30T00:00:00+0100" "$G" "" \
	    "$TOOL: --until: UTC offset needs a colon (+hh:mm): '2026-11-30T00:00:00+0100'\n"
}

@test "sr-filter-week: every accepted timestamp form" {
	local ts
	for ts in 2026-11-25T10:00:00Z 2026-11-25t10:00:00z "2026-11-25 10:00:00Z" 2026-11-25T10:00:00+05:30 \
	    2026-11-25T10:00:00-23:59 2026-11-25T10:00:00.5Z 2026-11-25T10:00:00.123456789+01:00 \
	    2026-11-25T23:59:60Z 2024-02-29T00:00:00Z 2000-02-29T12:00:00Z 0000-01-01T00:00:00Z \
	    9999-12-31T23:59:58.999999999Z 1795600000 1795600000.5 1795600000.000000001 0 -1 -1.5 \
	    -62167219200 253402300798; do
		check 0 "$ALL" "$ts$L" "$ts$L"
	done
	# A leap second is the last nanosecond of its second 59.
	check 0 "--since 2026-11-29T23:59:59.999999999Z --until 2026-11-30T00:00:00Z" "2026-11-29T23:59:60Z$L" "2026-11-29T23:59:60Z$L"
	check 0 "--since 2026-11-29T23:59:59Z --until 2026-11-29T23:59:59.999999999Z" "2026-11-29T23:59:60Z$L" ""
}

@test "sr-filter-week: every kind of bad timestamp" {
	local ts='not a timestamp (want 2026-11-25T19:04:05Z or epoch seconds)'
	bad_ts "" "empty"
	bad_ts "yesterday" "$ts"
	bad_ts "2026-11-25T10:00:00" "$ts"
	bad_ts "2026-11-25T10:00" "$ts"
	bad_ts "2026/11/25T10:00:00Z" "$ts"
	bad_ts "2026-11-25X10:00:00Z" "$ts"
	bad_ts "2026-1a-25T10:00:00Z" "$ts"
	bad_ts "1e9" "$ts"
	bad_ts "+1795600000" "$ts"
	bad_ts "1795600000 " "$ts"
	bad_ts "1795600000." "no digits after the decimal point"
	bad_ts "1.1234567890" "more than 9 fraction digits"
	bad_ts "253402300800" "epoch seconds out of range"
	bad_ts "-62167219201" "epoch seconds out of range"
	bad_ts "99999999999999999999999" "epoch seconds out of range"
	bad_ts "2026-11-25T10:00:00.Z" "no digits after the decimal point"
	bad_ts "2026-11-25T10:00:00.1234567890Z" "more than 9 fraction digits"
	bad_ts "2026-11-25T10:00:00.5" "no UTC offset (Z or +hh:mm)"
	bad_ts "2026-11-25T10:00:00X" "bad UTC offset (want Z or +hh:mm)"
	bad_ts "2026-11-25T10:00:00Z " "bad UTC offset (want Z or +hh:mm)"
	bad_ts "2026-11-25T10:00:00+01" "bad UTC offset (want Z or +hh:mm)"
	bad_ts "2026-11-25T10:00:00+0100" "UTC offset needs a colon (+hh:mm)"
	bad_ts "2026-11-25T10:00:00+24:00" "UTC offset out of range"
	bad_ts "2026-11-25T10:00:00-01:60" "UTC offset out of range"
	bad_ts "2026-02-29T10:00:00Z" "date out of range"
	bad_ts "1900-02-29T10:00:00Z" "date out of range"
	bad_ts "2026-04-31T10:00:00Z" "date out of range"
	bad_ts "2026-00-01T10:00:00Z" "date out of range"
	bad_ts "2026-13-01T10:00:00Z" "date out of range"
	bad_ts "2026-11-00T10:00:00Z" "date out of range"
	bad_ts "2026-11-25T24:00:00Z" "time of day out of range"
	bad_ts "2026-11-25T23:60:00Z" "time of day out of range"
	bad_ts "2026-11-25T23:59:61Z" "time of day out of range"
	bad_ts "0000-01-01T00:00:00+00:01" "timestamp out of range"
	bad_ts "9999-12-31T23:59:59-00:01" "timestamp out of range"
}

@test "sr-filter-week: every kind of bad field, with its exact message" {
	local t=2026-11-25T10:00:00Z
	rejected "" "empty line"
	rejected "\r" "empty line"
	rejected "$t" "too few fields: 1 (want 7)"
	rejected "$t\tp\tc\t1\t9.99\ts" "too few fields: 6 (want 7)"
	rejected "$t\tp\tc\t1\t9.99\ts\tb\t" "too many fields: 8 (want 7)"
	rejected "$t\tp\tc\t1\t9.99\ts\tb\tx\ty" "too many fields: 9 (want 7)"
	rejected "\t\t\t\t\t\t" "field 1 (timestamp): empty: ''"
	rejected "$t\t\tc\t1\t9.99\ts\tb" "field 2 (product_id): empty: ''"
	rejected "$t\tp\t\t1\t9.99\ts\tb" "field 3 (category_id): empty: ''"
	rejected "$t\tp\tc\t\t9.99\ts\tb" "field 4 (qty): empty: ''"
	rejected "$t\tp\tc\t1\t\ts\tb" "field 5 (total_price): empty: ''"
	rejected "$t\tp\tc\t1\t9.99\t\tb" "field 6 (seller_id): empty: ''"
	rejected "$t\tp\tc\t1\t9.99\ts\t" "field 7 (buyer_id): empty: ''"
	rejected "$t\tp\tc\t1\t9.99\ts\t\r" "field 7 (buyer_id): empty: ''"
	rejected "$t\tp\x01\tc\t1\t9.99\ts\tb" "field 2 (product_id): control character in id: 'p\\\\x01'"
	rejected "$t\tp\rq\tc\t1\t9.99\ts\tb" "field 2 (product_id): control character in id: 'p\\\\rq'"
	rejected "$t\tp\tc\x7f\t1\t9.99\ts\tb" "field 3 (category_id): control character in id: 'c\\\\x7f'"
	rejected "$t\tp\tc\t1\t9.99\ts\\\\\x1b\tb" "field 6 (seller_id): control character in id: 's\\\\\\\\\\\\x1b'"
	rejected "$t\tp\tc\t1\t9.99\ts\tb\r\r" "field 7 (buyer_id): control character in id: 'b\\\\r'"
	rejected "$t\t$(printf '%0256d' 0)\tc\t1\t9.99\ts\tb" \
	    "field 2 (product_id): longer than 255 bytes: '$(printf '%087d' 0)...'"
	rejected "$t\tp\tc\t1x\t9.99\ts\tb" "field 4 (qty): not an integer: '1x'"
	rejected "$t\tp\tc\t-\t9.99\ts\tb" "field 4 (qty): not an integer: '-'"
	rejected "$t\tp\tc\t1.0\t9.99\ts\tb" "field 4 (qty): not an integer: '1.0'"
	rejected "$t\tp\tc\t 1\t9.99\ts\tb" "field 4 (qty): not an integer: ' 1'"
	rejected "$t\tp\tc\t9223372036854775808\t9.99\ts\tb" \
	    "field 4 (qty): out of range for a 64-bit integer: '9223372036854775808'"
	rejected "$t\tp\tc\t-9223372036854775809\t9.99\ts\tb" \
	    "field 4 (qty): out of range for a 64-bit integer: '-9223372036854775809'"
	rejected "$t\tp\tc\t1\t1e3\ts\tb" "field 5 (total_price): not a decimal number: '1e3'"
	rejected "$t\tp\tc\t1\t1,50\ts\tb" "field 5 (total_price): not a decimal number: '1,50'"
	rejected "$t\tp\tc\t1\t1.\ts\tb" "field 5 (total_price): not a decimal number: '1.'"
	rejected "$t\tp\tc\t1\t.5\ts\tb" "field 5 (total_price): not a decimal number: '.5'"
	rejected "$t\tp\tc\t1\t1.2.3\ts\tb" "field 5 (total_price): not a decimal number: '1.2.3'"
	rejected "$t\tp\tc\t1\t\$5\ts\tb" "field 5 (total_price): not a decimal number: '\$5'"
	rejected "$t\tp\tc\t1\t1234567890.123456789\ts\tb" "field 5 (total_price): more than 18 digits: '1234567890.123456789'"
	# The first bad field is the one named.
	rejected "x\t\tc\tq\t\t\t" "field 1 (timestamp): not a timestamp (want 2026-11-25T19:04:05Z or epoch seconds): 'x'"
	# Edge values that are valid.
	check 0 "$ALL" "$t\tp\tc\t-3\t-1.50\ts\tb\n$t\tp\tc\t+3\t+2\ts\tb\n$t\tp\tc\t0\t0.0\ts\tb\n" \
	    "$t\tp\tc\t-3\t-1.50\ts\tb\n$t\tp\tc\t+3\t+2\ts\tb\n$t\tp\tc\t0\t0.0\ts\tb\n"
	check 0 "$ALL" "$t\tp q\t\xc3\xa9 \\\\\t1\t123456789.123456789\t\x80\t~\n" "$t\tp q\t\xc3\xa9 \\\\\t1\t123456789.123456789\t\x80\t~\n"
	check 0 "$ALL" "$t\t$(printf '%0255d' 0)\tc\t1\t9.99\ts\tb\n" "$t\t$(printf '%0255d' 0)\tc\t1\t9.99\ts\tb\n"
}

@test "sr-filter-week: CRLF lines pass as they are; a last line gets its newline" {
	check 0 "$NOW" "2026-11-25T10:00:00Z\tp\tc\t1\t9.99\ts\tb\r\n" "2026-11-25T10:00:00Z\tp\tc\t1\t9.99\ts\tb\r\n"
	check 0 "$NOW" "$G""2026-11-26T10:00:00Z\tp\tc\t1\t9.99\ts\tb" "$G""2026-11-26T10:00:00Z\tp\tc\t1\t9.99\ts\tb\n"
	check 0 "$NOW" "2026-11-26T10:00:00Z\tp\tc\t1\t9.99\ts\tb\r" "2026-11-26T10:00:00Z\tp\tc\t1\t9.99\ts\tb\r\n"
}

@test "sr-filter-week: ten rejects are shown, the rest counted; good lines still pass" {
	local i in="" err=""
	for i in $(seq 2 12); do
		in+="x\n"
		[ "$i" -le 11 ] && err+="$TOOL: stdin:$i: too few fields: 1 (want 7)\n"
	done
	check 1 "$NOW" "$G$in$G" "$G$G" "$err$TOOL: further rejected lines are counted, not shown\n$TOOL: 11 of 13 lines rejected\n"
	in=${in#x\\n}
	check 1 "$NOW" "$G$in$G" "$G$G" "$err$TOOL: 10 of 12 lines rejected\n"
}

@test "sr-filter-week: --strict stops at the first rejected line" {
	check 1 "$NOW --strict --rejects rej" "x\n$G\ny\n" "" \
	    "$TOOL: stdin:1: too few fields: 1 (want 7)\n$TOOL: stopped at the first rejected line (--strict)\n"
	[ "$(cat rej)" = x ]
	check 0 "$NOW --strict" "$H\n$G$G" "$G$G"
}

@test "sr-filter-week: --rejects gets every bad line verbatim" {
	printf "$G%070000d\n2026-11-25T10:00:00Z\tp\tc\tx\t9.99\ts\tb\r\n$G""y" 0 > in.tsv
	printf "%070000d\n2026-11-25T10:00:00Z\tp\tc\tx\t9.99\ts\tb\r\ny\n" 0 > want
	check 1 "$NOW --rejects rej in.tsv" "" "$G$G" \
	    "$TOOL: in.tsv:2: line too long (65536 bytes or more)\n$TOOL: in.tsv:3: field 4 (qty): not an integer: 'x'\n$TOOL: in.tsv:5: too few fields: 1 (want 7)\n$TOOL: 3 of 5 lines rejected\n"
	cmp rej want
	cat in.tsv | "$TOOL" $NOW --rejects rej > /dev/null 2>&1 || true
	cmp rej want
	# No rejects: an empty file. One that cannot be written: status 1.
	check 0 "$NOW --rejects rej" "$G" "$G"
	[ ! -s rej ]
	check 1 "$NOW --rejects nodir/rej" "$G" "" "$TOOL: nodir/rej: No such file or directory\n"
	check 1 "$NOW --rejects /dev/full" "x\n" "" \
	    "$TOOL: stdin:1: too few fields: 1 (want 7)\n$TOOL: /dev/full: write error: No space left on device\n"
}

@test "sr-filter-week: a line over 64 KiB is 'line too long', from a file or a pipe" {
	printf "$G%070000d" 0 > end.tsv
	check 1 "$NOW end.tsv" "" "$G" "$TOOL: end.tsv:2: line too long (65536 bytes or more)\n$TOOL: 1 of 2 lines rejected\n"
	printf "$G%070000d\n$G" 0 > in.tsv
	cat in.tsv | "$TOOL" $NOW > out 2> err || true
	check 1 "$NOW in.tsv" "" "$G$G" "$TOOL: in.tsv:2: line too long (65536 bytes or more)\n$TOOL: 1 of 3 lines rejected\n"
	[ "$(cat err)" = "$TOOL: stdin:2: line too long (65536 bytes or more)
$TOOL: 1 of 3 lines rejected" ]
	# The limit: 65535 bytes and a newline are a line (a bad one), 65536 are too long.
	printf "$G%065535d\n%065536d\n" 0 0 > edge.tsv
	check 1 "$NOW edge.tsv" "" "$G" "$TOOL: edge.tsv:2: too few fields: 1 (want 7)\n$TOOL: edge.tsv:3: line too long (65536 bytes or more)\n$TOOL: 2 of 3 lines rejected\n"
}

@test "sr-filter-week: --counters, or a Hadoop task id, adds counter lines" {
	local c='reporter:counter:sr'
	check 0 "$NOW --counters" "$H\n$G$G" "$G$G" "$c,input_lines,2\n$c,rejected_lines,0\n"
	check 1 "$NOW --counters" "$G""x\n" "$G" \
	    "$TOOL: stdin:2: too few fields: 1 (want 7)\n$TOOL: 1 of 2 lines rejected\n$c,input_lines,2\n$c,rejected_lines,1\n"
	mapreduce_task_id=attempt_1 check 0 "$NOW" "$G" "$G" "$c,input_lines,1\n$c,rejected_lines,0\n"
	mapred_task_id=attempt_1 check 0 "$NOW" "$G" "$G" "$c,input_lines,1\n$c,rejected_lines,0\n"
	mapreduce_task_id='' check 0 "$NOW" "$G" "$G"
}

@test "sr-filter-week: --progress ends with a report of the lines read" {
	"$TOOL" $NOW --progress < <(printf "$G$G""x\n") > out 2> err && status=0 || status=$?
	[ "$status" -eq 1 ]
	[ "$(cat out)" = "$(printf "$G$G")" ]
	[ "$(sed -n 1p err)" = "$TOOL: stdin:3: too few fields: 1 (want 7)" ]
	[ "$(sed -n 3,\$p err)" = "$TOOL: 1 of 3 lines rejected" ]
	[[ $(sed -n 2p err) == "$TOOL: progress: 0.0 MB, 3 lines, "*" MB/s, 1 rejected" ]]
}

@test "sr-filter-week: --csv reads CSV and writes TSV" {
	local c="$TOOL: stdin"
	check 0 "$NOW --csv" "${H//\\t/,}\r\n2026-11-25T10:00:00Z,\"p,1\",\"c \"\"x\"\"\",2,9.99,s,b\r\n" \
	    "2026-11-25T10:00:00Z\tp,1\tc \"x\"\t2\t9.99\ts\tb\n"
	check 1 "$NOW --csv" "\"2026-11-25T10:00:00Z\",\"p\",c,\"\",9.99,s,b\n" "" "$c:1: field 4 (qty): empty: ''\n$TOOL: 1 of 1 records rejected\n"
	check 0 "$NOW --csv" "2026-11-25T10:00:00Z,p,c,1,9.99,s,b" "2026-11-25T10:00:00Z\tp\tc\t1\t9.99\ts\tb\n"
	check 0 "$NOW --csv" "2026-11-25T10:00:00Z,p,c,1,9.99,s,b\n2026-11-20T10:00:00Z,p,c,1,9.99,s,b\n" \
	    "2026-11-25T10:00:00Z\tp\tc\t1\t9.99\ts\tb\n"
	check 1 "$NOW --csv" "2026-11-25T10:00:00Z,\"p\nq\",c,1,9.99,s,b\nx,p,c,1,9.99,s,b\n" "" \
	    "$c:1: field 2 (product_id): control character in id: 'p\\\\nq'\n$c:3: field 1 (timestamp): not a timestamp (want 2026-11-25T19:04:05Z or epoch seconds): 'x'\n$TOOL: 2 of 2 records rejected\n"
	check 1 "$NOW --csv" "2026-11-25T10:00:00Z,\"p\tq\",c,1,9.99,s,b\n" "" \
	    "$c:1: field 2 (product_id): control character in id: 'p\\\\tq'\n$TOOL: 1 of 1 records rejected\n"
	check 1 "$NOW --csv" "2026-11-25T10:00:00Z,a\"b,c,1,9.99,s,b\n" "" "$c:1: bad CSV quoting\n$TOOL: 1 of 1 records rejected\n"
	check 1 "$NOW --csv" "2026-11-25T10:00:00Z,\"ab\"c,c,1,9.99,s,b\n" "" "$c:1: bad CSV quoting\n$TOOL: 1 of 1 records rejected\n"
	check 1 "$NOW --csv" "2026-11-25T10:00:00Z,p,c,1,9.99,s,\"b\n" "" \
	    "$c:1: CSV quoted field not closed at end of input\n$TOOL: 1 of 1 records rejected\n"
	check 1 "$NOW --csv" "\n" "" "$c:1: empty line\n$TOOL: 1 of 1 records rejected\n"
	check 1 "$NOW --csv" "2026-11-25T10:00:00Z,p,c,1,9.99,s\n" "" "$c:1: too few fields: 6 (want 7)\n$TOOL: 1 of 1 records rejected\n"
	check 1 "$NOW --csv" "2026-11-25T10:00:00Z,p,c,1,9.99,s,b,\n" "" "$c:1: too many fields: 8 (want 7)\n$TOOL: 1 of 1 records rejected\n"
	check 0 "$NOW --csv" "2026-11-25T10:00:00Z,p,c,1,9.99,s,b\n${H//\\t/,}\n" "2026-11-25T10:00:00Z\tp\tc\t1\t9.99\ts\tb\n"
	check 1 "$NOW --csv" "${H//\\t/,}\n${H//\\t/;}\n" "" \
	    "$c:2: too few fields: 1 (want 7)\n$TOOL: 1 of 1 records rejected\n"
	# A TSV line is one CSV field: too few.
	check 1 "$NOW --csv" "$G" "" "$c:1: too few fields: 1 (want 7)\n$TOOL: 1 of 1 records rejected\n"
}

@test "sr-filter-week: --csv --rejects keeps a record over several lines whole" {
	check 1 "$NOW --csv --rejects rej" "2026-11-25T10:00:00Z,\"p\r\nq\",c,1,9.99,s,b\r\n2026-11-25T10:00:00Z,a\"b,c,1,9.99,s,b\n2026-11-25T10:00:00Z,p,c,1,9.99,s,b\n" \
	    "2026-11-25T10:00:00Z\tp\tc\t1\t9.99\ts\tb\n" \
	    "$TOOL: stdin:1: field 2 (product_id): control character in id: 'p\\\\nq'\n$TOOL: stdin:3: bad CSV quoting\n$TOOL: 2 of 3 records rejected\n"
	printf '2026-11-25T10:00:00Z,"p\r\nq",c,1,9.99,s,b\r\n2026-11-25T10:00:00Z,a"b,c,1,9.99,s,b\n' > want
	cmp rej want
}

@test "sr-filter-week: --csv: a record over 64 KiB is one reject and the next record is read" {
	awk 'BEGIN { printf "2026-11-25T10:00:00Z,p,c,1,9.99,s,\"";
	    for (i = 0; i < 2000; i++) print "0123456789012345678901234567890123456789";
	    print "\"\n2026-11-25T10:00:00Z,p,c,1,9.99,s,b" }' > in.csv
	"$TOOL" $NOW --csv in.csv > out 2> err || true
	[ "$(cat err)" = "$TOOL: in.csv:1: CSV record too long (65536 bytes or more)
$TOOL: 1 of 2 records rejected" ] && [ "$(cat out)" = "$(printf '2026-11-25T10:00:00Z\tp\tc\t1\t9.99\ts\tb')" ]
}

@test "sr-filter-week: --part k/n: the parts pass each line once, and the whole between them" {
	local k
	awk 'BEGIN { for (i = 1; i <= 300000; i++)
	    printf "%d\t%d\t%d\t1\t9.99\ts%d\tb%d\n", 1795000000 + i, i, i % 17, i, i }' > log
	[ "$(wc -c < log)" -gt $((8 * 1024 * 1024)) ]
	"$TOOL" --now 1795400000 log | sort > want
	for k in 1 2 3; do
		"$TOOL" --part "$k/3" --now 1795400000 log > "part.$k"
		[ -s "part.$k" ]
	done
	sort part.1 part.2 part.3 > got
	cmp got want
}

@test "sr-filter-week: runs of passing lines among failing and rejected ones, over many read buffers, from a file or a pipe" {
	# Passing lines go out in spans from the read buffer: runs of every
	# length, broken by lines outside the window, rejected lines and CRLF
	# lines, across buffer ends; the output is the lines that pass, in order.
	awk 'BEGIN { srand(7)
		for (i = 0; i < 300000; i++) {
			if (rand() < 0.02) run = int(rand() * 4)
			ts = run == 1 ? 1795000000 + i : 1795300000 + i % 50000
			qty = run == 2 && rand() < 0.5 ? "x" : 1
			printf "%d\tp%d\tc%d\t%s\t9.99\ts\tb%s\n", ts, i, i % 7, qty, run == 3 && rand() < 0.3 ? "\r" : ""
		}
		printf "1795300001\tlast\tc\t1\t1\ts\tb" }' > log
	[ "$(wc -c < log)" -gt $((4 * 1024 * 1024)) ]
	# (awk's print gives the last line its newline, as sr-filter-week does)
	awk -F '\t' '$1 >= 1795200000 && $1 < 1795400000 && $4 != "x"' log > want
	[ "$(wc -l < want)" -gt 100000 ]
	"$TOOL" --since 1795200000 --until 1795400000 log > got 2> err || [ "$?" -eq 1 ]
	cmp got want
	grep -q "lines rejected" err
	cat log | "$TOOL" --since 1795200000 --until 1795400000 > got 2> err || [ "$?" -eq 1 ]
	cmp got want
}

# boundary_logs DIR: sales logs whose lines fall on the line reader's edges:
# lines of 64 KiB - 2 to 192 KiB (the cap where a line is rejected), with and
# without a CR, that start or end at the first read buffer's end (1 MiB +
# 64 KiB) or d = -2..2 bytes from it, between good lines; and in one 13 MiB log,
# on the --part blocks' edges (4 MiB). Beside each N.log: N.want (its good
# lines) and N.rej (its long lines, as rejected).
boundary_logs() {
	python3 - "$1" <<'PY'
import sys
out = sys.argv[1]
BUF, BLOCK = (1 << 20) + (1 << 16), 4 << 20
LENS = [65534, 65535, 65536, 65537, 65538, 131071, 131072, 131073, 196608]
n = 0
def good(i, width=0):
    return "2026-11-25T10:00:00Z\tp%0*d\tc\t1\t9.99\ts\tb\n" % (width, i)
def pad_to(lines, size, at):
    """Good lines from offset at up to exactly size (the last one widened to fit)."""
    i = len(lines)
    while size - at > 200:
        lines.append(good(i)); at += len(lines[-1]); i += 1
    if size > at:
        w = size - at - len(good(i, 0)) + len(str(i))
        line = good(i, max(w, 1)) if w >= 1 else None
        if line is None or len(line) != size - at:
            return at
        lines.append(line); at += len(line)
    return at
def write(lines):
    global n
    good_lines = [l for l in lines if l.startswith("2026")]
    with open("%s/%d.log" % (out, n), "w", newline="") as f: f.write("".join(lines))
    with open("%s/%d.want" % (out, n), "w", newline="") as f: f.write("".join(good_lines))
    with open("%s/%d.rej" % (out, n), "w", newline="") as f: f.write("".join(l for l in lines if not l.startswith("2026")))
    n += 1
for L in LENS:
    for cr in ("", "\r"):
        for d in (-2, -1, 0, 1, 2):
            for ends in (0, 1):
                lines = []
                start = BUF + d - (L + 1 if ends else 0)
                at = pad_to(lines, start, 0)
                assert at == start, (L, d, ends)
                lines.append("x" * (L - len(cr)) + cr + "\n")
                at += L + 1
                pad_to(lines, at + 3000, at)
                write(lines)
# --part: long lines on each block's edge, good lines on the others.
lines, at = [], 0
# A long line across the first edge, one that ends at the second, one that starts at the third.
for k, d, L in ((1, -3, 65537), (2, -65537, 65536), (3, 0, 131072)):
    at = pad_to(lines, k * BLOCK + d, at)
    assert at == k * BLOCK + d, (k, d)
    lines.append("y" * L + "\n"); at += L + 1
at = pad_to(lines, at + 5000, at)
write(lines)
print(n)
PY
}

@test "sr-filter-week: lines around every edge of the line reader pass or are rejected whole, none cut or lost" {
	local n last i status from k tries=0
	command -v python3 > /dev/null || skip "no python3"
	last=$(boundary_logs .)
	for ((i = 0; i < last; i++)); do
		for from in file pipe; do
			status=0
			if [ "$from" = file ]; then
				"$TOOL" $NOW --rejects rej "$i.log" > out 2> err || status=$?
			else
				cat "$i.log" | "$TOOL" $NOW --rejects rej > out 2> err || status=$?
			fi
			n=$(grep -c '' "$i.rej")
			[ "$status" -eq 1 ] && cmp -s out "$i.want" && cmp -s rej "$i.rej" &&
			    [ "$(tail -1 err)" = "$TOOL: $n of $(grep -c '' "$i.log") lines rejected" ] ||
			    { echo "-- $i.log from a $from: status $status"; tail -2 err; cmp out "$i.want"; cmp rej "$i.rej"; return 1; }
			tries=$((tries + 1))
		done
		# sr-map, the other log reader: a sum of 1 for each good line, the same rejects.
		sr-map --rejects rej "$i.log" 2> /dev/null | cut -f 2 | sort > out || true
		cut -f 2 "$i.want" | sort | cmp -s - out && cmp -s rej "$i.rej" ||
		    { echo "-- sr-map $i.log: lines lost"; return 1; }
		tries=$((tries + 1))
	done
	# The last log, 13 MiB, in three parts: each line in one part, as a whole.
	i=$((last - 1))
	[ "$(wc -c < "$i.log")" -gt $((12 * 1024 * 1024)) ]
	for k in 1 2 3; do
		"$TOOL" $NOW --part "$k/3" --rejects "rej.$k" "$i.log" > "out.$k" 2> /dev/null || true
	done
	sort out.1 out.2 out.3 | cmp - <(sort "$i.want")
	sort rej.1 rej.2 rej.3 | cmp - <(sort "$i.rej")
	echo "# $tries runs (sr-filter-week from a file and a pipe, sr-map) over $last logs, and the 3 parts of a 13 MiB one" >&3
}

@test "sr-filter-week: .gz and .zst logs with a header each, as files, joined, and through zcat" {
	local i
	for i in 1 2 3; do
		printf "$H\n$G$G" > "h$i.tsv"
		gzip -c "h$i.tsv" > "h$i.tsv.gz"
		zstd -q -c "h$i.tsv" > "h$i.tsv.zst"
	done
	check 0 "$NOW h1.tsv.gz h2.tsv.zst h3.tsv" "" "$G$G$G$G$G$G"
	cat h1.tsv.gz h2.tsv.gz > joined.gz
	check 0 "$NOW joined.gz h3.tsv.zst" "" "$G$G$G$G$G$G"
	# the man page's example: zcat of several files, each with its header
	zcat h1.tsv.gz h2.tsv.gz h3.tsv.gz > zcat.out
	check 0 "$NOW zcat.out" "" "$G$G$G$G$G$G"
	head -c 30 h1.tsv.gz > cut.gz
	check 1 "$NOW cut.gz h2.tsv" "" "$G$G" \
	    "$TOOL: cut.gz: gzip data truncated: the file ends inside a compressed member\n"
	# --growing: the file being written, its last line unfinished
	printf "$G$G" > grow
	printf '2026-11-25T10:00:00Z\tp\tc' >> grow
	check 0 "$NOW h1.tsv --growing grow" "" "$G$G$G$G"
}
