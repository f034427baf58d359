#!/usr/bin/env bats
# lib/store's read side, through tests/store/storetest: SQLite and PostgreSQL give the same
# ranking in byte order, refuse ids that are not text, never write, and tell of new loads.
#
# The PostgreSQL tests start a throwaway server (tests/pg.sh), and a hot standby
# of it for the LISTEN that fails there; without PostgreSQL they are skipped,
# saying why (with CI=true they fail instead).

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout
# run.sh: waits 20

load helper
load pg

STORETEST=${SR_STORETEST:-$BATS_TEST_DIRNAME/store/storetest}
NOW='--now 2026-11-30T00:00:00Z'
RANKING='a\t1\tp\t5\na\t2\tq\t3\nb\t1\tr\t9\n'

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	[ -x "$STORETEST" ] || skip "no $STORETEST: make store-test"
	unset "${!PG@}"
}

# tables WHERE: sr's tables, empty but for a meta row, made as sr-load makes them.
tables() {
	if [[ $1 == postgresql://* ]]; then
		sr-load --db "$1" --init
	fi
	sr-load --db "$1" --allow-empty $NOW < /dev/null
}

# ranking SEED: a ranking of ids in a mixed alphabet (case, punctuation, UTF-8
# of 2 to 4 bytes), one row a line as sr-topk writes it, in no order.
ranking() {
	python3 - "$1" <<-'EOF'
	import random, sys
	r = random.Random(int(sys.argv[1]))
	alpha = ["a", "A", "b", "B", "z", "Z", "0", "9", "_", "-", ".", "é", "É", "ü", "€", "𝄞", "~"]
	cats = set()
	while len(cats) < r.randint(1, 40):
	    cats.add("".join(r.choice(alpha) for _ in range(r.randint(1, 4))))
	rows = []
	for c in cats:
	    total = r.randint(0, 10**12)
	    for rank in range(1, r.randint(1, 6) + 1):
	        rows.append((c, rank, "p%d-%s" % (rank, r.choice(alpha)), total))
	        total -= r.randint(0, 1000)
	r.shuffle(rows)
	for c, rank, p, t in rows:
	    print("%s\t%d\t%s\t%d" % (c, rank, p, t))
	EOF
}

# insert_sql FILE: FILE's rows as INSERTs into sales_rank, ids in a shuffled order, for either back end.
insert_sql() {
	awk -F '\t' 'BEGIN { srand(7) } { gsub(/'\''/, "'\'''\''"); printf "INSERT INTO sales_rank (id, category_id, rank, product_id, total_sold) VALUES (%d, '\''%s'\'', %s, '\''%s'\'', %s);\n", NR * 1000 - int(rand() * 999), $1, $2, $3, $4 }' "$1"
}

# The oracle: a ranking in byte order of category, then by rank.
byte_order() {
	LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2n "$1"
}

@test "SQLite: no file, a file without the tables, then a load: version and read say each" {
	run "$STORETEST" version none.db
	[ "$status" -eq 1 ] && [ "$output" = "storetest: version: unable to open database file" ]
	sqlite3 empty.db 'CREATE TABLE other (x)'
	run "$STORETEST" version empty.db
	[ "$status" -eq 0 ] && [[ $output == "version 0 - "* ]]
	run "$STORETEST" read empty.db
	[ "$status" -eq 1 ] && [ "${lines[0]}" = "error no such table: sales_rank_meta" ]
	printf "$RANKING" | sr-load --db r.db $NOW --days 7
	run "$STORETEST" read r.db
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "meta 1 $(sqlite3 r.db 'SELECT loaded_at FROM sales_rank_meta') 2026-11-23T00:00:00Z 2026-11-30T00:00:00Z 3 2" ]
	[ "$(printf '%s\n' "${lines[@]:1:3}")" = "$(printf "$RANKING")" ]
	# What was read is the version store_version reports: generation, load time, the file's dev:ino.
	[ "${lines[4]#read }" = "$("$STORETEST" version r.db | sed 's/^version //')" ]
	[ "${lines[4]##* }" = "$(stat -c '%d:%i' r.db)" ]
}

@test "SQLite: 20 rankings inserted in shuffled order come back in byte order of category, then rank" {
	local seed
	for seed in $(seq 1 20); do
		rm -f r.db r.db-wal r.db-shm
		ranking "$seed" > in.tsv
		tables r.db
		insert_sql in.tsv | sqlite3 r.db
		"$STORETEST" read r.db | sed '1d;$d' > got.tsv
		byte_order in.tsv > want.tsv
		cmp want.tsv got.tsv || { echo "seed $seed"; diff want.tsv got.tsv | head; return 1; }
	done
}

@test "SQLite: an id that is not text is the store's error, naming the row and column; the callback's own error is kept" {
	local col type
	for col in category_id product_id; do
		# A TEXT column converts numbers to text: only a blob is not text.
		for type in "x'61'" "x''" "zeroblob(3)"; do
			rm -f r.db r.db-wal r.db-shm
			printf "$RANKING" | sr-load --db r.db $NOW
			sqlite3 r.db "UPDATE sales_rank SET $col = $type WHERE id = 2"
			# Blobs sort after text: a blob category is the last row.
			run "$STORETEST" read r.db
			[ "$status" -eq 1 ] && [ "${lines[-2]}" = "error row $([ $col = category_id ] && echo 3 || echo 2) ($col): not text" ] ||
			    { echo "$col = $type: $output"; return 1; }
		done
	done
	printf "$RANKING" > in.tsv
	rm -f r.db r.db-wal r.db-shm
	sr-load --db r.db $NOW in.tsv
	run "$STORETEST" read r.db 3
	[ "$status" -eq 1 ] && [ "${lines[-2]}" = "error refused at row 3" ]
}

@test "SQLite: a read never writes: the database and a WAL with frames in it are left byte for byte, no checkpoint" {
	# (The -shm is shared memory where every reader marks what it reads: it may change.)
	printf "$RANKING" | sr-load --db r.db $NOW
	# A writer that ends without closing leaves its frames in the WAL.
	python3 -c '
import os, sqlite3
c = sqlite3.connect("r.db", isolation_level=None)
c.execute("UPDATE sales_rank SET total_sold = 4 WHERE id = 2")
os._exit(0)'
	[ "$(stat -c %s r.db-wal)" -gt 0 ]
	sum=$(cat r.db r.db-wal | md5sum)
	for _ in 1 2 3; do
		"$STORETEST" read r.db > out
		"$STORETEST" version r.db > /dev/null
	done
	grep -q "^a	2	q	4$" out
	[ "$(cat r.db r.db-wal | md5sum)" = "$sum" ]
}

@test "SQLite: each call opens the file anew: one renamed over it is read, with its own dev:ino" {
	printf "$RANKING" | sr-load --db r.db $NOW
	printf 'c\t1\tx\t1\n' | sr-load --db new.db $NOW
	v1=$("$STORETEST" version r.db)
	mv new.db r.db
	mv new.db-wal r.db-wal
	mv new.db-shm r.db-shm
	v2=$("$STORETEST" version r.db)
	[ "${v1##* }" != "${v2##* }" ] && [ "${v2##* }" = "$(stat -c '%d:%i' r.db)" ]
	run "$STORETEST" read r.db
	[ "${lines[1]}" = "$(printf 'c\t1\tx\t1')" ]
}

@test "SQLite: a reader that does not own the database makes no -wal or -shm, and says which is missing" {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to read as nobody"
	# In /tmp, which nobody reaches (bats' own directories it may not).
	d=$(mktemp -d /tmp/sr-store.XXXXXX)
	chmod 0755 "$d"
	install -m 0755 "$STORETEST" "$d/storetest"
	printf "$RANKING" | sr-load --db "$d/r.db" $NOW
	chmod 0644 "$d"/r.db*
	run setpriv --reuid nobody --regid nogroup --clear-groups -- "$d/storetest" read "$d/r.db"
	[ "$status" -eq 0 ] && [ "${lines[3]}" = "$(printf 'b\t1\tr\t9')" ]
	for f in wal shm; do
		mv "$d/r.db-$f" "$d/keep-$f"
		chmod 0777 "$d"	# nobody could make the file: the store must not
		run setpriv --reuid nobody --regid nogroup --clear-groups -- "$d/storetest" version "$d/r.db"
		chmod 0755 "$d"
		[ "$status" -eq 1 ] && [[ $output == *"$d/r.db-$f does not exist, and a reader that does not own the database makes none"* ]] ||
		    { echo "$output"; return 1; }
		[ ! -e "$d/r.db-$f" ]
		mv "$d/keep-$f" "$d/r.db-$f"
	done
	rm -rf "$d"
}

teardown() {
	if [ -n "${d:-}" ] && [[ $d == /tmp/sr-store.* ]]; then
		rm -rf "$d"
	fi
}

@test "PostgreSQL: the same ranking as SQLite, in byte order, over 20 shuffled rankings and one of 25,000 rows (3 cursor batches)" {
	pg_database
	local seed
	for seed in $(seq 1 20); do
		psql -qX -c 'DROP TABLE IF EXISTS sales_rank, sales_rank_meta' > /dev/null
		rm -f r.db r.db-wal r.db-shm
		ranking "$seed" > in.tsv
		tables "$PG"
		tables r.db
		insert_sql in.tsv | psql -qX -v ON_ERROR_STOP=1 > /dev/null
		insert_sql in.tsv | sqlite3 r.db
		"$STORETEST" read "$PG" | sed '1d;$d' > got.tsv
		"$STORETEST" read r.db | sed '1d;$d' > lite.tsv
		byte_order in.tsv > want.tsv
		cmp want.tsv got.tsv || { echo "seed $seed"; diff want.tsv got.tsv | head; return 1; }
		cmp lite.tsv got.tsv
	done
	awk 'BEGIN { for (i = 1; i <= 25000; i++) printf "c%05d\t1\tp\t%d\n", i, i }' > big.tsv
	sr-load --db "$PG" $NOW big.tsv
	"$STORETEST" read "$PG" | sed '1d;$d' > got.tsv
	cmp big.tsv got.tsv
	run "$STORETEST" twice "$PG"
	[ "$output" = "$(printf 'rows 25000\nrows 25000')" ]
}

@test "PostgreSQL: version 0 without tables; a SELECT-only role without TEMP reads; the connection is usable after a callback's refusal" {
	pg_database
	run "$STORETEST" version "$PG"
	[ "$status" -eq 0 ] && [ "$output" = "version 0 - 0:0" ]
	run "$STORETEST" read "$PG"
	[ "$status" -eq 1 ] && [ "${lines[0]}" = 'error relation "sales_rank_meta" does not exist' ] &&
	    [ "${lines[1]}" = "version 0 - 0:0" ]
	tables "$PG"
	printf "$RANKING" | sr-load --db "$PG" $NOW
	psql -qX -c "DROP ROLE IF EXISTS rd$BATS_TEST_NUMBER" -c "CREATE ROLE rd$BATS_TEST_NUMBER LOGIN" \
	    -c "REVOKE TEMP ON DATABASE $PGDATABASE FROM PUBLIC" \
	    -c "GRANT SELECT ON sales_rank, sales_rank_meta TO rd$BATS_TEST_NUMBER" \
	    -c "ALTER ROLE rd$BATS_TEST_NUMBER SET default_transaction_read_only = on" > /dev/null
	run env PGUSER=rd$BATS_TEST_NUMBER "$STORETEST" read "$PG"
	[ "$status" -eq 0 ] && [ "${lines[3]}" = "$(printf 'b\t1\tr\t9')" ] && [[ ${lines[4]} == "read 2 "* ]]
	run env PGUSER=rd$BATS_TEST_NUMBER "$STORETEST" read "$PG" 2
	[ "$status" -eq 1 ] && [ "${lines[-2]}" = "error refused at row 2" ] && [[ ${lines[-1]} == "version 2 "* ]]
}

@test "PostgreSQL: NOTIFY sr_ranking makes the notify fd readable, also when it came in with a query's answer" {
	pg_database
	tables "$PG"
	local p1 p2
	timeout 20 "$STORETEST" watch "$PG" 5 1 > w1.out &
	p1=$!
	# The second watcher takes a store_version 2 s after LISTEN: the NOTIFY sent in between comes with its answer.
	timeout 20 "$STORETEST" watch "$PG" 5 1 2 > w2.out &
	p2=$!
	sleep 1
	psql -qX -c 'NOTIFY sr_ranking'
	wait "$p1" "$p2"
	[ "$(cat w1.out)" = "$(printf 'listening\nnotified 1')" ]
	[ "$(sed -n '1p;3p' w2.out)" = "$(printf 'listening\nnotified 1')" ]
	# And no notification: the fd stays quiet.
	run "$STORETEST" watch "$PG" 1 1
	[ "$output" = "$(printf 'listening\ntimeout')" ]
}

@test "PostgreSQL: on a hot standby LISTEN fails: the notify fd is -1 (poll), and the standby's ranking reads" {
	pg_database
	tables "$PG"
	printf "$RANKING" | sr-load --db "$PG" $NOW
	local sd as=()
	sd=$(mktemp -d /tmp/sr-stby.XXXXXX)
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$sd"
		as=(runuser -u postgres --)
	fi
	timeout 60 "${as[@]}" "$SR_PG_BIN/pg_basebackup" -D "$sd/data" -R -h "$PGHOST" -p "$PGPORT" -U postgres \
	    -X stream -c fast
	timeout 60 "${as[@]}" "$SR_PG_BIN/pg_ctl" -D "$sd/data" -l "$sd/log" -w -t 30 \
	    -o "-c listen_addresses='' -c unix_socket_directories='$sd' -p 5433" start > /dev/null
	run env PGHOST="$sd" PGPORT=5433 "$STORETEST" watch "$PG" 1 1
	local watched=$output
	run env PGHOST="$sd" PGPORT=5433 "$STORETEST" read "$PG"
	"${as[@]}" "$SR_PG_BIN/pg_ctl" -D "$sd/data" -m immediate -w stop > /dev/null 2>&1 || true
	rm -rf "$sd"
	[ "$watched" = polling ]
	[ "$status" -eq 0 ] && [ "${lines[3]}" = "$(printf 'b\t1\tr\t9')" ]
}
