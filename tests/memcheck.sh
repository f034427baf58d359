#!/bin/sh
# Run every tool under valgrind memcheck on a small log: 0 errors and 0 leaks, or the run fails.
set -u
cd "$(dirname "$0")/.." || exit 1
export LC_ALL=C
bin=${SR_BIN:-bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now=2026-11-30T00:00:00Z
passed=0 failed=0

# judge NAME CLEAN: count the run NAME, clean if CLEAN is 0 and valgrind logged nothing.
judge() {
	if [ "$2" -eq 0 ] && [ ! -s "$tmp/$1.vg" ]; then
		passed=$((passed + 1))
		echo "ok $1"
	else
		failed=$((failed + 1))
		echo "not ok $1"
		cat "$tmp/$1.vg" "$tmp/$1.err"
	fi
}

vg() {
	name=$1
	shift
	# The tools' own status (1 for the rejects planted in the log) is not
	# what is judged here: valgrind's 99 and its log are.
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect,possible \
	    --log-file="$tmp/$name.vg" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
	st=$?
	[ "$st" -eq 99 ] || st=0
	judge "$name" "$st"
}

# A log with good lines, every kind of reject, CRLF and no final newline.
{
	cat testdata/sales.tsv
	printf '2026-11-25T00:00:00Z\tp1\tc1\t2x\t1.00\ts\tb\n'
	printf 'bad line\n\n2026-11-25T00:00:00+0100\tp1\tc1\t2\t1.00\ts\tb\r\n'
	printf '2026-11-25T00:00:00Z\tp1\tc1\t2\t1.00\ts\tb'
} > "$tmp/log"
tr '\t' , < testdata/sales.tsv > "$tmp/log.csv"

vg filter "$bin/sr-filter-week" --now "$now" --rejects "$tmp/rej" "$tmp/log"
vg filter-csv "$bin/sr-filter-week" --csv --now "$now" "$tmp/log.csv"
vg map "$bin/sr-map" -S 1M --now "$now" "$tmp/log"
"$bin/sr-map" --now "$now" testdata/sales.tsv > "$tmp/mapped"
vg sort "$bin/sr-sort" "$tmp/mapped"
sort "$tmp/mapped" > "$tmp/sorted"
vg reduce "$bin/sr-reduce" "$tmp/sorted"
vg reduce-merge "$bin/sr-reduce" -m "$tmp/sorted" "$tmp/sorted" -s "$tmp/sorted" --tee "$tmp/tee"
# Over 8 files, keys are compared packed.
vg reduce-many "$bin/sr-reduce" -m "$tmp/sorted" "$tmp/sorted" "$tmp/sorted" "$tmp/sorted" \
    "$tmp/sorted" "$tmp/sorted" "$tmp/sorted" "$tmp/sorted" "$tmp/sorted" -s "$tmp/sorted"
"$bin/sr-reduce" "$tmp/sorted" > "$tmp/reduced"
vg topk "$bin/sr-topk" -n 5 "$tmp/reduced"
vg topk-all "$bin/sr-topk" --all "$tmp/reduced"
"$bin/sr-topk" "$tmp/reduced" > "$tmp/ranking"
vg load "$bin/sr-load" --db "$tmp/r.db" --now "$now" "$tmp/ranking"
vg load-again "$bin/sr-load" --db "$tmp/r.db" "$tmp/ranking"

# sr-serve: requests of every kind, a reload, then SIGTERM; valgrind judges at the exit.
serve_requests() {
	port=""
	for _ in $(seq 150); do
		port=$(sed -n 's|^sr-serve: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/serve.err")
		[ -n "$port" ] && break
		sleep 0.2
	done
	for u in 'api/v1/popular?category_id=1&limit=3' 'api/v1/popular?category_id=%zz' \
	    api/v1/categories healthz metrics '' nope; do
		curl -s -o /dev/null "http://127.0.0.1:$port/$u"
	done
	curl -s -o /dev/null -X POST "http://127.0.0.1:$port/"
	"$bin/sr-load" --db "$tmp/r.db" --allow-empty < /dev/null
	sleep 3
	curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/categories"
	kill -TERM "$serve_pid"
}
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
    --log-file="$tmp/serve.vg" "$bin/sr-serve" --db "$tmp/r.db" --listen 127.0.0.1:0 2> "$tmp/serve.err" &
serve_pid=$!
serve_requests
wait "$serve_pid"
judge serve "$?"

echo "memcheck: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
