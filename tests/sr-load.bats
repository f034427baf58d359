#!/usr/bin/env bats
# sr-load: a ranking into SQLite in one transaction: the rows, the metadata, and the old ranking kept whenever the new one is refused.

load helper
TOOL=sr-load

USAGE='usage: sr-load [--allow-empty] [--db path | uri] [--now time] [--days n | --since time
               --until time] [file ...]\n'
RANKING='a\t1\tp\t5\na\t2\tq\t3\nb\t1\tr\t9\n'
ROWS='a 1 p 5\na 2 q 3\nb 1 r 9'
NOW='--now 2026-11-30T00:00:00Z'

# db_is SQL EXPECTED: the rows of SQL on t.db, fields separated by spaces, are EXPECTED (printf %b).
db_is() {
	local got
	got=$(sqlite3 -separator ' ' "${DB:-t.db}" "$1")
	[ "$got" = "$(printf '%b' "$2")" ] || { echo "-- $1"; echo "-- expected:"; printf '%b\n' "$2"; echo "-- actual:"; echo "$got"; return 1; }
}

rows_are() {
	db_is 'SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY id' "$1"
}

# generation, window_since, window_until, row_count, category_count
meta_is() {
	db_is "SELECT generation, coalesce(window_since, 'NULL'), coalesce(window_until, 'NULL'), row_count, category_count FROM sales_rank_meta" "$1"
}

# refused INPUT MESSAGE: INPUT is not loaded into t.db, which holds RANKING as generation 1, and stays so.
refused() {
	check 1 "--db t.db" "$1" "" "$TOOL: $2\n"
	rows_are "$ROWS"
	meta_is "1 NULL NULL 3 2"
}

@test "sr-load: --help, --version, bad options" {
	check_help_version
	check 2 "--db" "" "" "$TOOL: option '--db' requires an argument\n$USAGE"
	check 2 "-n 3" "" "" "$TOOL: invalid option -- 'n'\n$USAGE"
	check 2 "--db ''" "$RANKING" "" "$TOOL: --db: empty path\n"
	[ ! -e sales_rank.db ]
}

@test "sr-load: it writes nothing to stdout, so /dev/full and | head -1 do not matter" {
	printf "$RANKING" > in
	"$TOOL" --db t.db < in > /dev/full
	rows_are "$ROWS"
	check_head "--help" "true" "usage: $TOOL *"
	[ -z "$("$TOOL" --db u.db < in | head -1)" ]
	DB=u.db rows_are "$ROWS"
}

@test "sr-load: loads the rows, with a unique index on (category_id, rank), in WAL mode" {
	check 0 "--db t.db" "$RANKING" ""
	rows_are "$ROWS"
	meta_is "1 NULL NULL 3 2"
	db_is "SELECT name, \"unique\" FROM pragma_index_list('sales_rank')" "sales_rank_category_rank 1"
	db_is "SELECT name FROM pragma_index_info('sales_rank_category_rank')" "category_id\nrank"
	db_is "PRAGMA journal_mode" "wal"
	db_is "SELECT typeof(category_id), typeof(rank), typeof(product_id), typeof(total_sold) FROM sales_rank LIMIT 1" \
	    "text integer text integer"
	run sqlite3 t.db "INSERT INTO sales_rank (category_id, rank, product_id, total_sold) VALUES ('a', 1, 'x', 1)"
	[ "$status" -ne 0 ]
	[[ $output == *"UNIQUE constraint failed: sales_rank.category_id, sales_rank.rank"* ]]
	# Ids are stored as the bytes given; extreme totals exactly.
	check 0 "--db t.db" "\xc3\xa9 \\\\\t1\t0\t9223372036854775807\n\xc3\xa9 \\\\\t2\t'; DROP TABLE x; --\t-9223372036854775808\n" ""
	rows_are "\xc3\xa9 \\\\ 1 0 9223372036854775807\n\xc3\xa9 \\\\ 2 '; DROP TABLE x; -- -9223372036854775808"
}

@test "sr-load: the default database is sales_rank.db here" {
	check 0 "" "$RANKING" ""
	DB=sales_rank.db rows_are "$ROWS"
}

@test "sr-load: each load replaces the ranking and counts a generation; the window is recorded" {
	local t
	check 0 "--db t.db $NOW" "$RANKING" ""
	meta_is "1 2026-11-23T00:00:00Z 2026-11-30T00:00:00Z 3 2"
	check 0 "--db t.db" "c\t1\tz\t1\n" ""
	rows_are "c 1 z 1"
	meta_is "2 NULL NULL 1 1"
	check 0 "--db t.db --now 2026-11-30T01:00:00+01:00 --days 2" "$RANKING" ""
	meta_is "3 2026-11-28T00:00:00Z 2026-11-30T00:00:00Z 3 2"
	check 0 "--db t.db --since 2026-11-23T00:00:00.25+00:00 --until 1795996800.5" "$RANKING" ""
	meta_is "4 2026-11-23T00:00:00.250000000Z 2026-11-30T00:00:00.500000000Z 3 2"
	check 0 "--db t.db --days 1" "$RANKING" ""
	db_is "SELECT generation, round((julianday(window_until) - julianday(window_since)) * 24, 3) FROM sales_rank_meta" "5 24.0"
	t=$(sqlite3 t.db 'SELECT loaded_at FROM sales_rank_meta')
	[[ $t == 20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]*Z ]]
	db_is "SELECT abs(julianday('now') - julianday(loaded_at)) < 1.0 / 24 FROM sales_rank_meta" "1"
	db_is "SELECT count(*) FROM sales_rank_meta" "1"
}

@test "sr-load: operands are one ranking; a directory or a missing file loads nothing" {
	printf 'a\t1\tp\t5\na\t2\tq\t3\n' > a.tsv
	printf 'b\t1\tr\t9\n' > b.tsv
	printf 'a\t5\tx\t1\n' > bad.tsv
	mkdir dir
	check 0 "--db t.db a.tsv b.tsv" "" ""
	rows_are "$ROWS"
	check 0 "--db t.db a.tsv - b.tsv" "a\t3\ts\t2\n" ""
	rows_are "a 1 p 5\na 2 q 3\na 3 s 2\nb 1 r 9"
	check 0 "--db t.db -" "$RANKING" ""
	check 1 "--db t.db a.tsv dir b.tsv" "" "" "$TOOL: dir: Is a directory\n$TOOL: t.db: not loaded: an input could not be read\n"
	check 1 "--db t.db nosuch a.tsv b.tsv" "" "" "$TOOL: nosuch: No such file or directory\n$TOOL: t.db: not loaded: an input could not be read\n"
	# The operands after a missing one are still read.
	check 1 "--db t.db nosuch a.tsv bad.tsv" "" "" "$TOOL: nosuch: No such file or directory\n$TOOL: bad.tsv:1: field 2 (rank): ranks must run 1, 2, 3, ... within a category: '5'\n"
	check 1 "--db t.db b.tsv a.tsv" "" "" "$TOOL: a.tsv:1: field 1 (category_id): categories out of order (want sr-topk output): 'a'\n"
	rows_are "$ROWS"
	meta_is "3 NULL NULL 3 2"
}

@test "sr-load: empty input is refused, unless --allow-empty" {
	check 0 "--db t.db" "$RANKING" ""
	refused "" "t.db: not loaded: the input has no rows (see --allow-empty)"
	touch empty
	check 1 "--db t.db empty empty" "" "" "$TOOL: t.db: not loaded: the input has no rows (see --allow-empty)\n"
	meta_is "1 NULL NULL 3 2"
	check 0 "--db t.db --allow-empty" "" ""
	rows_are ""
	meta_is "2 NULL NULL 0 0"
	check 0 "--db t.db --allow-empty" "$RANKING" ""
	rows_are "$ROWS"
}

@test "sr-load: a ranking that is not one is refused, and the old one stays" {
	check 0 "--db t.db" "$RANKING" ""
	refused "a\t2\tp\t5\n" "stdin:1: field 2 (rank): a category's ranks must start at 1: '2'"
	refused "a\t0\tp\t5\n" "stdin:1: field 2 (rank): a category's ranks must start at 1: '0'"
	refused "a\t1\tp\t5\nb\t2\tq\t3\n" "stdin:2: field 2 (rank): a category's ranks must start at 1: '2'"
	refused "a\t1\tp\t5\na\t3\tq\t3\n" "stdin:2: field 2 (rank): ranks must run 1, 2, 3, ... within a category: '3'"
	refused "a\t1\tp\t5\na\t1\tq\t5\n" "stdin:2: field 2 (rank): ranks must run 1, 2, 3, ... within a category: '1'"
	refused "a\t1\tp\t5\na\t2\tq\t6\n" "stdin:2: field 4 (total_sold): total is larger than the one ranked above it: '6'"
	refused "b\t1\tp\t5\na\t1\tq\t6\n" "stdin:2: field 1 (category_id): categories out of order (want sr-topk output): 'a'"
	refused "a\t1\tp\t5\nb\t1\tq\t6\na\t2\tx\t1\n" "stdin:3: field 1 (category_id): categories out of order (want sr-topk output): 'a'"
	refused "a\t1\tp\t5\nB\t1\tq\t6\n" "stdin:2: field 1 (category_id): categories out of order (want sr-topk output): 'B'"
	refused "a\t1\tp\t5\na\t2\tp\t3\n" "stdin:2: field 3 (product_id): product ranked twice in its category: 'p'"
	refused "a\t1\tp\t5\na\t2\tq\t3\na\t3\tp\t3\n" "stdin:3: field 3 (product_id): product ranked twice in its category: 'p'"
	# A bad line after many good ones: the rows inserted before it are rolled back.
	awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "c\t%d\tp%d\t1\n", i, i; print "c\t5002\tx\t1" }' > long
	check 1 "--db t.db long" "" "" "$TOOL: long:5001: field 2 (rank): ranks must run 1, 2, 3, ... within a category: '5002'\n"
	rows_are "$ROWS"
	meta_is "1 NULL NULL 3 2"
	# What is a ranking: a product in several categories, equal and negative totals.
	check 0 "--db t.db" "a\t1\tp\t5\na\t2\tq\t5\na\t3\tr\t-1\nb\t1\tp\t0\n" ""
	rows_are "a 1 p 5\na 2 q 5\na 3 r -1\nb 1 p 0"
}

@test "sr-load: a malformed line is refused, and the old ranking stays" {
	check 0 "--db t.db" "$RANKING" ""
	refused "a\t1\tp\n" "stdin:1: too few fields (want 4)"
	refused "a\n" "stdin:1: too few fields (want 4)"
	refused "\n" "stdin:1: too few fields (want 4)"
	refused "a\t1\tp\t5\t6\n" "stdin:1: too many fields (want 4)"
	refused "a\t1\tp\t5\t\n" "stdin:1: too many fields (want 4)"
	refused "a\tx\tp\t5\n" "stdin:1: field 2 (rank): not an integer: 'x'"
	refused "a\t\tp\t5\n" "stdin:1: field 2 (rank): empty: ''"
	refused "a\t1\tp\t2x\n" "stdin:1: field 4 (total_sold): not an integer: '2x'"
	refused "a\t1\tp\t5\r\n" "stdin:1: field 4 (total_sold): not an integer: '5\\\\r'"
	refused "a\t1\tp\t9223372036854775808\n" "stdin:1: field 4 (total_sold): out of range for a 64-bit integer: '9223372036854775808'"
	refused "\t1\tp\t5\n" "stdin:1: field 1 (category_id): empty: ''"
	refused "a\t1\t\t5\n" "stdin:1: field 3 (product_id): empty: ''"
	refused "a\t1\tp\x01\t5\n" "stdin:1: field 3 (product_id): control character in id: 'p\\\\x01'"
	refused "$(printf '%0256d' 0)\t1\tp\t5\n" "stdin:1: field 1 (category_id): longer than 255 bytes: '$(printf '%087d' 0)...'"
	refused "a\t1\tp\t$(printf '%070000d' 0)\n" "stdin:1: line too long"
	refused "a\t1\tp\t5\na\t2\tq\t3" "stdin:2: last line has no newline: input cut short?"
}

@test "sr-load: a database that cannot be opened or written: status 1, nothing changed" {
	local dir status=0
	check 1 "--db nodir/t.db" "$RANKING" "" "$TOOL: nodir/t.db: open: unable to open database file\n"
	mkdir dir
	check 1 "--db dir" "$RANKING" "" "$TOOL: dir: open: unable to open database file\n"
	echo 'not a database' > junk.db
	check 1 "--db junk.db" "$RANKING" "" "$TOOL: junk.db: set WAL mode: file is not a database\n"
	[ "$(cat junk.db)" = 'not a database' ]
	# A read-only database: root writes it anyway, so load it as nobody.
	command -v setpriv > /dev/null || skip "no setpriv to run as an unprivileged user"
	dir=$(mktemp -d /tmp/sr-load-test.XXXXXX)
	chmod 777 "$dir"
	printf "$RANKING" | "$TOOL" --db "$dir/t.db"
	chmod 444 "$dir/t.db"
	printf 'c\t1\tz\t1\n' > in
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid 65534 --regid 65534 --clear-groups "$(command -v "$TOOL")" --db "$dir/t.db" < in > out 2> err ||
		    status=$?
	else
		"$TOOL" --db "$dir/t.db" < in > out 2> err || status=$?
	fi
	DB=$dir/t.db rows_are "$ROWS"
	rm -r "$dir"
	[ "$status" -eq 1 ]
	[ ! -s out ]
	[ "$(cat err)" = "$TOOL: $dir/t.db: delete old ranking: attempt to write a readonly database" ]
}

@test "sr-load: window options that conflict or are bad are usage errors" {
	check 2 "--db t.db --since 2026-11-23T00:00:00Z" "$RANKING" "" "$TOOL: --since and --until go together\n"
	check 2 "--db t.db --since 2026-11-23T00:00:00Z --until 2026-11-30T00:00:00Z $NOW" "$RANKING" "" \
	    "$TOOL: --since/--until and --now/--days exclude each other\n"
	check 2 "--db t.db --now 2026-11-30" "$RANKING" "" \
	    "$TOOL: --now: not a timestamp (want 2026-11-25T19:04:05Z or epoch seconds): '2026-11-30'\n"
	check 2 "--db t.db --days 0" "$RANKING" "" "$TOOL: --days: count is too small: 0 (at least 1)\n"
	[ ! -e t.db ]
}
