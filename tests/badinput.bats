#!/usr/bin/env bats
# The bad-input catalogue: every case is rejected with its message, counted, kept verbatim, or accepted as documented.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout

bats_require_minimum_version 1.5.0

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$PATH"
	T="$BATS_TEST_TMPDIR"
	GOOD='2026-11-25T10:00:00Z\tp1\tc1\t2\t20.00\ts1\tb1'
}

# rejected NAME LINE MESSAGE: LINE (printf %b escapes) alone is rejected by
# both log readers with "TOOL: stdin:2: MESSAGE" after a good line 1, counted
# in the summary, copied byte for byte to --rejects, and the good line still
# comes through; the status is 1.
rejected() {
	local name=$1 line=$2 msg=$3 tool out
	printf "%b\n%b\n" "$GOOD" "$line" > "$T/in"
	printf "%b\n" "$line" > "$T/want-rejects"
	for tool in sr-filter-week sr-map; do
		"$tool" --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z \
		    --rejects "$T/rej" < "$T/in" > "$T/out" 2> "$T/err" && status=0 || status=$?
		out="$tool: stdin:2: $msg
$tool: 1 of 2 lines rejected"
		if [ "$status" -ne 1 ] || [ "$(cat "$T/err")" != "$out" ] ||
		    ! cmp -s "$T/rej" "$T/want-rejects" || [ "$(wc -l < "$T/out")" -ne 1 ]; then
			echo "case '$name' ($tool): status $status, stderr:"
			cat "$T/err"
			echo "want:"
			echo "$out"
			echo "rejects file:"
			od -c "$T/rej" | head -5
			return 1
		fi
	done
}

# accepted NAME INPUT EXPECTED: sr-map turns INPUT into EXPECTED with status 0 and no message.
accepted() {
	local name=$1 input=$2 want=$3
	printf "%b" "$input" | sr-map > "$T/out" 2> "$T/err" && status=0 || status=$?
	if [ "$status" -ne 0 ] || [ -s "$T/err" ] || [ "$(cat "$T/out")" != "$(printf "%b" "$want")" ]; then
		echo "case '$name': status $status, stdout '$(cat "$T/out")', stderr '$(cat "$T/err")'"
		return 1
	fi
}

@test "bad field counts and empty fields" {
	rejected "too few fields" '2026-11-25T10:00:00Z\tp1\tc1\t2\t20.00\ts1' "too few fields: 6 (want 7)"
	rejected "too many fields" "$GOOD"'\tx' "too many fields: 8 (want 7)"
	rejected "trailing tab" "$GOOD"'\t' "too many fields: 8 (want 7)"
	rejected "one field" 'hello' "too few fields: 1 (want 7)"
	rejected "empty line" '' "empty line"
	rejected "empty timestamp" '\tp1\tc1\t2\t20.00\ts1\tb1' "field 1 (timestamp): empty: ''"
	rejected "empty product" '2026-11-25T10:00:00Z\t\tc1\t2\t20.00\ts1\tb1' "field 2 (product_id): empty: ''"
	rejected "empty category" '2026-11-25T10:00:00Z\tp1\t\t2\t20.00\ts1\tb1' "field 3 (category_id): empty: ''"
	rejected "empty qty" '2026-11-25T10:00:00Z\tp1\tc1\t\t20.00\ts1\tb1' "field 4 (qty): empty: ''"
	rejected "empty buyer" '2026-11-25T10:00:00Z\tp1\tc1\t2\t20.00\ts1\t' "field 7 (buyer_id): empty: ''"
	rejected "a header unlike the log's" 'timestamp\tproduct\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_id' \
	    "a header line, but not the log's: want its seven field names in order"
}

@test "bad timestamps" {
	local t='\tp1\tc1\t2\t20.00\ts1\tb1' why="not a timestamp (want 2026-11-25T19:04:05Z or epoch seconds)"
	rejected "words" "yesterday$t" "field 1 (timestamp): $why: 'yesterday'"
	rejected "no offset" "2026-11-25T10:00:00$t" "field 1 (timestamp): $why: '2026-11-25T10:00:00'"
	rejected "offset without colon" "2026-11-25T10:00:00+0100$t" \
	    "field 1 (timestamp): UTC offset needs a colon (+hh:mm): '2026-11-25T10:00:00+0100'"
	rejected "offset out of range" "2026-11-25T10:00:00+24:00$t" \
	    "field 1 (timestamp): UTC offset out of range: '2026-11-25T10:00:00+24:00'"
	rejected "February 30" "2026-02-30T10:00:00Z$t" "field 1 (timestamp): date out of range: '2026-02-30T10:00:00Z'"
	rejected "February 29, no leap year" "2025-02-29T10:00:00Z$t" \
	    "field 1 (timestamp): date out of range: '2025-02-29T10:00:00Z'"
	rejected "month 13" "2026-13-01T10:00:00Z$t" "field 1 (timestamp): date out of range: '2026-13-01T10:00:00Z'"
	rejected "hour 24" "2026-11-25T24:00:00Z$t" "field 1 (timestamp): time of day out of range: '2026-11-25T24:00:00Z'"
	rejected "second 61" "2026-11-25T23:59:61Z$t" "field 1 (timestamp): time of day out of range: '2026-11-25T23:59:61Z'"
	rejected "ten fraction digits" "2026-11-25T10:00:00.1234567890Z$t" \
	    "field 1 (timestamp): more than 9 fraction digits: '2026-11-25T10:00:00.1234567890Z'"
	rejected "empty fraction" "2026-11-25T10:00:00.Z$t" \
	    "field 1 (timestamp): no digits after the decimal point: '2026-11-25T10:00:00.Z'"
	rejected "epoch out of range" "99999999999999$t" "field 1 (timestamp): epoch seconds out of range: '99999999999999'"
	rejected "epoch with junk" "1795600000s$t" "field 1 (timestamp): $why: '1795600000s'"
}

@test "bad quantities and prices" {
	local a='2026-11-25T10:00:00Z\tp1\tc1\t' b='\ts1\tb1'
	rejected "qty not an integer" "${a}2x\t20.00$b" "field 4 (qty): not an integer: '2x'"
	rejected "qty a decimal" "${a}1.5\t20.00$b" "field 4 (qty): not an integer: '1.5'"
	rejected "qty past int64" "${a}9223372036854775808\t20.00$b" \
	    "field 4 (qty): out of range for a 64-bit integer: '9223372036854775808'"
	rejected "qty below int64" "${a}-9223372036854775809\t20.00$b" \
	    "field 4 (qty): out of range for a 64-bit integer: '-9223372036854775809'"
	rejected "qty with a space" "${a} 2\t20.00$b" "field 4 (qty): not an integer: ' 2'"
	rejected "price with two points" "${a}2\t1.2.3$b" "field 5 (total_price): not a decimal number: '1.2.3'"
	rejected "price with an exponent" "${a}2\t1e5$b" "field 5 (total_price): not a decimal number: '1e5'"
	rejected "price without integer digits" "${a}2\t.5$b" "field 5 (total_price): not a decimal number: '.5'"
	rejected "price ending in a point" "${a}2\t5.$b" "field 5 (total_price): not a decimal number: '5.'"
	rejected "price with 19 digits" "${a}2\t1234567890123456789$b" \
	    "field 5 (total_price): more than 18 digits: '1234567890123456789'"
	rejected "price with a comma" "${a}2\t20,00$b" "field 5 (total_price): not a decimal number: '20,00'"
}

@test "bad ids: control characters, NUL, length" {
	local a='2026-11-25T10:00:00Z\t' b='\tc1\t2\t20.00\ts1\tb1' long
	long=$(printf '%0256d' 0)
	rejected "control character" "${a}p\001x$b" "field 2 (product_id): control character in id: 'p\\x01x'"
	rejected "NUL byte" "${a}p\000x$b" "field 2 (product_id): control character in id: 'p\\x00x'"
	rejected "DEL" "${a}p\177$b" "field 2 (product_id): control character in id: 'p\\x7f'"
	rejected "CR inside a field" "${a}p\rx$b" "field 2 (product_id): control character in id: 'p\\rx'"
	rejected "id of 256 bytes" "${a}$long$b" "field 2 (product_id): longer than 255 bytes: '$(printf '%087d' 0)...'"
}

@test "a line of 1 MiB is rejected, kept whole, and the next line still counts" {
	{
		printf '2026-11-25T10:00:00Z\tp1\tc1\t2\t20.00\ts1\t'
		head -c 1048576 /dev/zero | tr '\0' b
		printf '\n2026-11-25T10:00:00Z\tp2\tc1\t3\t20.00\ts1\tb1\n'
	} > "$T/in"
	run --separate-stderr sr-map --rejects "$T/rej" "$T/in"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'c1\tp2\t3')" ]
	[ "$stderr" = "$(printf 'sr-map: %s:1: line too long (65536 bytes or more)\nsr-map: 1 of 2 lines rejected' "$T/in")" ]
	cmp "$T/rej" <(head -n 1 "$T/in")
}

H='timestamp\tproduct_id\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_id'

@test "accepted as documented: CRLF, no final newline, leap second, UTF-8 and other bytes, returns" {
	accepted "CRLF" "$GOOD\r\n$GOOD\r\n" 'c1\tp1\t4'
	accepted "no final newline" "$GOOD\n$GOOD" 'c1\tp1\t4'
	accepted "leap second" '2016-12-31T23:59:60Z\tp1\tc1\t1\t1.00\ts\tb\n' 'c1\tp1\t1'
	accepted "UTF-8 ids" '1795600000\tcafé\tkaffee\t1\t1.00\ts\tb\n' 'kaffee\tcafé\t1'
	accepted "invalid UTF-8 ids are bytes" '1795600000\tp\377\tc\t1\t1.00\ts\tb\n' 'c\tp\377\t1'
	accepted "a return subtracts" "$GOOD\n"'2026-11-25T11:00:00Z\tp1\tc1\t-5\t-50.00\ts1\tb1\n' 'c1\tp1\t-3'
	accepted "header first" 'timestamp\tproduct_id\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_id\n'"$GOOD\n" 'c1\tp1\t2'
	accepted "header again, as cat of two files gives" "$H\n$GOOD\n$H\r\n$GOOD\n$H" 'c1\tp1\t4'
	accepted "only a header" 'timestamp\tproduct_id\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_id\n' ''
	accepted "empty input" '' ''
	accepted "quotes are data in TSV" '1795600000\t"p"\tc\t1\t1.00\ts\tb\n' 'c\t"p"\t1'
}

@test "CSV: bad quoting and an unclosed quote are rejected verbatim" {
	printf '2026-11-25T10:00:00Z,p1,c1,2,20.00,s1,b1\n2026-11-25T10:00:00Z,"p"x,c1,2,20.00,s1,b1\n2026-11-25T10:00:00Z,"p2,c1,2,20.00,s1,b1\n' > "$T/in"
	run --separate-stderr sr-map --csv --rejects "$T/rej" "$T/in"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'c1\tp1\t2')" ]
	[ "$stderr" = "$(printf 'sr-map: %s:2: bad CSV quoting\nsr-map: %s:3: CSV quoted field not closed at end of input\nsr-map: 2 of 3 records rejected' "$T/in" "$T/in")" ]
	cmp "$T/rej" <(tail -n 2 "$T/in")
}

@test "--strict stops at the first bad line with status 1" {
	printf '%b\nbad\n%b\n' "$GOOD" "$GOOD" > "$T/in"
	run --separate-stderr sr-map --strict "$T/in"
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[ "$stderr" = "$(printf 'sr-map: %s:2: too few fields: 1 (want 7)\nsr-map: stopped at the first rejected line (--strict)' "$T/in")" ]
}

# Issue 11, item 11: a quoted field holding a line of 64 KiB or more (every
# length about the edge, LF or CRLF) is one rejected record, copied whole to
# --rejects, and every record after it is read.
@test "CSV: a record with a line of 64 KiB or more is one reject and hides nothing after it" {
	local len eol i
	for len in 65534 65535 65536 65537 131072; do
		for eol in '\n' '\r\n'; do
			{
				printf "2026-11-25T10:00:00Z,p0,c1,1,9.99,s,\"%s$eol\"$eol" "$(head -c "$len" /dev/zero | tr '\0' x)"
				for ((i = 1; i <= 50; i++)); do printf "2026-11-25T10:00:00Z,p$i,c1,1,9.99,s,b$eol"; done
			} > "$T/in"
			run --separate-stderr sr-map --csv --rejects "$T/rej" "$T/in"
			[ "$status" -eq 1 ] && [ "$(echo "$output" | wc -l)" -eq 50 ] &&
			    [ "$stderr" = "sr-map: $T/in:1: CSV record too long (65536 bytes or more)
sr-map: 1 of 51 records rejected" ] && cmp -s "$T/rej" <(head -n 2 "$T/in") ||
			    { echo "-- line of $len bytes, eol $eol: status $status"; echo "$stderr"; return 1; }
		done
	done
}
