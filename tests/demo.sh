#!/bin/sh
# The quick-start demo: the whole pipeline on testdata/sales.tsv into SQLite, then the top products it ranked.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
db=sales_rank.db
now=2026-11-30T00:00:00Z

echo "sr-filter-week --now $now testdata/sales.tsv | sr-map | sr-sort | sr-reduce |"
echo "    sr-topk -n 100 | sr-load --db $db --now $now"
sr-filter-week --now "$now" testdata/sales.tsv | sr-map | sr-sort | sr-reduce |
	sr-topk -n 100 | sr-load --db "$db" --now "$now"

echo
echo "Loaded into $db (window, rows, generation):"
sqlite3 -header -column "$db" \
	'SELECT window_since, window_until, row_count, category_count, generation FROM sales_rank_meta'
for cat in 1 2 3; do
	echo
	echo "Top 5 of category $cat:"
	sqlite3 -header -column "$db" "SELECT rank, product_id, total_sold FROM sales_rank
	    WHERE category_id = '$cat' ORDER BY rank LIMIT 5"
done
