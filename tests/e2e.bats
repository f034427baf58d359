#!/usr/bin/env bats
# End to end: the six stages composed as the README runs them, on the textbook's sample and on generated logs.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$BATS_TEST_DIRNAME/bench:$PATH"
	TD="$BATS_TEST_DIRNAME/../testdata"
	NOW=2026-11-30T00:00:00Z
	T="$BATS_TEST_TMPDIR"
}

pipeline() {
	sr-filter-week --now "$NOW" "$@" | sr-map | sr-sort | sr-reduce
}

@test "textbook sample: the sums of the design's example" {
	run pipeline "$TD/textbook.tsv"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'category1\tproduct1\t2\ncategory1\tproduct2\t3\ncategory1\tproduct4\t1\ncategory2\tproduct1\t3\ncategory2\tproduct3\t7')" ]
}

@test "textbook sample: ranked best first and loaded into SQLite" {
	pipeline "$TD/textbook.tsv" | sr-topk -n 100 | sr-load --db "$T/r.db" --now "$NOW"
	run sqlite3 -separator ' ' "$T/r.db" \
	    'SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY category_id, rank'
	[ "$output" = "$(printf 'category1 1 product2 3\ncategory1 2 product1 2\ncategory1 3 product4 1\ncategory2 1 product3 7\ncategory2 2 product1 3')" ]
	run sqlite3 "$T/r.db" 'SELECT generation, row_count, category_count, window_since, window_until FROM sales_rank_meta'
	[ "$output" = "1|5|2|2026-11-23T00:00:00Z|2026-11-30T00:00:00Z" ]
}

@test "each stage runs alone on files and gives what the pipe gives" {
	sr-filter-week --now "$NOW" "$TD/sales.tsv" > "$T/1"
	sr-map "$T/1" > "$T/2"
	sr-sort "$T/2" > "$T/3"
	sr-reduce "$T/3" > "$T/4"
	sr-topk -n 10 "$T/4" > "$T/5"
	pipeline "$TD/sales.tsv" | sr-topk -n 10 > "$T/piped"
	cmp "$T/5" "$T/piped"
	[ "$(wc -l < "$T/5")" -gt 30 ]
}

@test "sr-map with the window options equals sr-filter-week | sr-map" {
	sr-map --now "$NOW" "$TD/sales.tsv" | sr-sort | sr-reduce > "$T/a"
	pipeline "$TD/sales.tsv" > "$T/b"
	cmp "$T/a" "$T/b"
}

@test "CSV input (libcsv) and TSV input give identical results" {
	# The same log as CSV, quoting some fields the way servers do.
	awk -F '\t' 'BEGIN { OFS = "," } { $1 = $1 } NR % 3 == 0 { $2 = "\"" $2 "\""; $5 = "\"" $5 "\"" } { print }' \
	    "$TD/sales.tsv" > "$T/sales.csv"
	grep -q '^[^,]*,"' "$T/sales.csv"
	sr-filter-week --csv --now "$NOW" "$T/sales.csv" | sr-map | sr-sort | sr-reduce > "$T/csv"
	pipeline "$TD/sales.tsv" > "$T/tsv"
	cmp "$T/csv" "$T/tsv"
	sr-map --csv --now "$NOW" "$T/sales.csv" | sr-sort | sr-reduce > "$T/csv2"
	cmp "$T/csv2" "$T/tsv"
}

@test "sr-filter-week --csv writes the same lines as the TSV log, as TSV" {
	tr '\t' , < "$TD/sales.tsv" > "$T/sales.csv"
	sr-filter-week --csv --now "$NOW" "$T/sales.csv" > "$T/a"
	sr-filter-week --now "$NOW" "$TD/sales.tsv" > "$T/b"
	cmp "$T/a" "$T/b"
}

@test "a tiny sr-map memory budget changes the partials, not the totals" {
	sr-gen -n 200000 --products 100000 --categories 50 --seed 3 > "$T/log"
	sr-map -S 1M "$T/log" > "$T/small"
	sr-map "$T/log" > "$T/big"
	[ "$(wc -l < "$T/small")" -gt "$(wc -l < "$T/big")" ]
	sr-sort "$T/small" | sr-reduce > "$T/a"
	sr-sort "$T/big" | sr-reduce > "$T/b"
	cmp "$T/a" "$T/b"
}

@test "sr-reduce as a combiner: reduced partials merged and reduced again give the totals" {
	sr-gen -n 100000 --products 5000 --categories 20 --seed 4 > "$T/log"
	head -n 50000 "$T/log" | sr-map | sr-sort | sr-reduce > "$T/p1"
	tail -n +50001 "$T/log" | sr-map | sr-sort | sr-reduce > "$T/p2"
	sr-sort -m "$T/p1" "$T/p2" | sr-reduce > "$T/merged"
	sr-map "$T/log" | sr-sort | sr-reduce > "$T/whole"
	cmp "$T/merged" "$T/whole"
}

@test "a second load replaces the ranking and bumps the generation" {
	pipeline "$TD/textbook.tsv" | sr-topk | sr-load --db "$T/r.db"
	pipeline "$TD/sales.tsv" | sr-topk -n 5 | sr-load --db "$T/r.db"
	run sqlite3 "$T/r.db" "SELECT count(*) FROM sales_rank WHERE category_id LIKE 'category%'"
	[ "$output" = 0 ]
	run sqlite3 "$T/r.db" 'SELECT generation, row_count = (SELECT count(*) FROM sales_rank) FROM sales_rank_meta'
	[ "$output" = "2|1" ]
}
