#!/usr/bin/env bats
# Oracle: the pipeline's ranking of a generated log equals an independent awk + sort computation, exactly.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$BATS_TEST_DIRNAME/bench:$PATH"
	T="$BATS_TEST_TMPDIR"
	NOW=2026-11-30T00:00:00Z
	NOW_EPOCH=1795996800
}

# The ranking computed without sr: epoch-second timestamps compared as numbers,
# sums in awk, order by GNU sort (category bytes, total down, product id up).
oracle() {
	awk -F '\t' -v to="$NOW_EPOCH" -v from=$((NOW_EPOCH - 7 * 86400)) \
	    '$1 >= from && $1 < to { s[$3 "\t" $2] += $4 } END { for (k in s) print k "\t" s[k] }' "$1" |
	    sort -t "$(printf '\t')" -k1,1 -k3,3nr -k2,2n |
	    awk -F '\t' -v k="$2" '$1 != c { c = $1; r = 0 } ++r <= k { print $1 "\t" r "\t" $2 "\t" $3 }'
}

@test "oracle: 150000 rows in mixed timestamp forms, with returns, top 100" {
	sr-gen -n 150000 --seed 11 --products 20000 --categories 40 --end "$NOW_EPOCH" \
	    --returns 3 --format epoch > "$T/epoch.tsv"
	sr-gen -n 150000 --seed 11 --products 20000 --categories 40 --end "$NOW_EPOCH" \
	    --returns 3 --format mixed --header > "$T/mixed.tsv"
	sr-filter-week --now "$NOW" "$T/mixed.tsv" | sr-map | sr-sort | sr-reduce |
	    sr-topk -n 100 > "$T/sr"
	oracle "$T/epoch.tsv" 100 > "$T/oracle"
	[ "$(wc -l < "$T/oracle")" -eq 4000 ]
	cmp "$T/sr" "$T/oracle"
}

@test "oracle: every product ranked (--all), small memory budget, through SQLite" {
	sr-gen -n 120000 --seed 12 --products 50000 --categories 7 --end "$NOW_EPOCH" \
	    --format epoch > "$T/log.tsv"
	sr-map -S 1M --now "$NOW" "$T/log.tsv" | sr-sort -S 1M | sr-reduce |
	    sr-topk --all | sr-load --db "$T/r.db"
	sqlite3 -separator "$(printf '\t')" "$T/r.db" \
	    'SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY category_id, rank' > "$T/sr"
	oracle "$T/log.tsv" 1000000000 > "$T/oracle"
	[ "$(wc -l < "$T/oracle")" -gt 20000 ]
	cmp "$T/sr" "$T/oracle"
}
