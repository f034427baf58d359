#!/usr/bin/env bats
# sr-load under kill -9, concurrent readers, full and read-only disks, bad input and hostile ids: old ranking or new, never a mix.
#
# make check: 20 kill -9 trials, 100 reloads; make soak (SR_SOAK=1): 200 and 1000.
# SR_CRASH_TRIALS and SR_RELOADS set them.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-600}
load timeout

if [ "${SR_SOAK:-0}" = 1 ]; then
	TRIALS=200 RELOADS=1000
else
	TRIALS=20 RELOADS=100
fi
# Under ASan, no leak check in the sr-loads started by the hundred (valgrind's pass checks leaks):
# LeakSanitizer at exit makes each slower, and once hung one at exit (issue 14).
NOLEAKS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

setup_file() {
	export LC_ALL=C
	export PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$PATH"
	F="$BATS_FILE_TMPDIR"
	cc -std=c11 -O2 -Wall -Wextra -o "$F/sr-snapshot" "$BATS_TEST_DIRNAME/load/sr-snapshot.c" -lsqlite3
	# Big rankings for the kill test, small ones for the reload loop. B has one category more
	# than A and product ids that name it, so meta.row_count and every row tell them apart.
	ranking A 1000 200 > "$F/A.tsv"
	ranking B 1001 200 > "$F/B.tsv"
	ranking a 100 50 > "$F/a.tsv"
	ranking b 101 50 > "$F/b.tsv"
}

setup() {
	export LC_ALL=C
	F="$BATS_FILE_TMPDIR"
	T="$BATS_TEST_TMPDIR"
	M="$T/mnt"
	SNAP="$F/sr-snapshot"
	WIN_A="--since 2026-01-01T00:00:00Z --until 2026-01-08T00:00:00Z"
	WIN_B="--since 2026-02-01T00:00:00Z --until 2026-02-08T00:00:00Z"
}

teardown() {
	if mountpoint -q "$M" 2>/dev/null; then
		umount "$M"
	fi
}

# ranking NAME CATEGORIES RANKS: sr-topk output whose product ids start with NAME.
ranking() {
	awk -v n="$1" -v c="$2" -v k="$3" 'BEGIN {
		for (i = 0; i < c; i++)
			for (r = 1; r <= k; r++)
				printf "cat%04d\t%d\t%s-%04d-%03d\t%d\n", i, r, n, i, r, 100000 + i - 7 * r
	}'
}

# signature FILE WINDOW-OPTIONS: what sr-snapshot prints for FILE loaded with those options, without its generation.
signature() {
	# shellcheck disable=SC2086
	set -- "$1" $2
	awk -F '\t' -v since="$3" -v until="$5" '
		{ n++; s += $4; if (n == 1 || $3 < lo) lo = $3; if (n == 1 || $3 > hi) hi = $3 }
		$1 != cat { cat = $1; c++ }
		END { printf "%d|%.0f|%s|%s|%d|%d|%d|%s|%s\n", n, s, lo, hi, c, n, c, since, until }' "$1"
}

# load_ok FILE WINDOW-OPTIONS [sr-load options]: a load that must succeed.
load_ok() {
	local file=$1 win=$2
	shift 2
	# shellcheck disable=SC2086
	sr-load --db "$T/r.db" $win "$@" "$file"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

@test "kill -9 at random points of a 200k-row load: integrity ok, exactly the old or the new ranking" {
	local trials=${SR_CRASH_TRIALS:-$TRIALS} sig_a sig_b t0 range slot i file win old new
	local ms snap expect_old expect_new gen cur rc wal n_new_a=0 n_old=0 n_old_wal=0 n_new=0 n_new_killed=0
	sig_a=$(signature "$F/A.tsv" "$WIN_A")
	sig_b=$(signature "$F/B.tsv" "$WIN_B")
	[ "$sig_a" = "200000|19959200000|A-0000-001|A-0999-200|1000|200000|1000|2026-01-01T00:00:00Z|2026-01-08T00:00:00Z" ]
	[ "$sig_b" = "200200|19979259300|B-0000-001|B-1000-200|1001|200200|1001|2026-02-01T00:00:00Z|2026-02-08T00:00:00Z" ]

	# Kills are spread over twice the time a replacing load takes here, one slot per trial,
	# so that some land before the first write, many between BEGIN and COMMIT and some after the end.
	load_ok "$F/A.tsv" "$WIN_A"
	t0=$(now_ms)
	load_ok "$F/B.tsv" "$WIN_B"
	load_ok "$F/A.tsv" "$WIN_A"
	range=$(($(now_ms) - t0))
	slot=$((range / trials + 1))
	run "$SNAP" "$T/r.db"
	[ "$output" = "$sig_a	3" ]
	gen=3 cur=A

	for ((i = 0; i < trials; i++)); do
		# The ranking that is not in the database, so that a mix would show.
		if [ "$cur" = A ]; then
			file=B old=$sig_a new=$sig_b win=$WIN_B
		else
			file=A old=$sig_b new=$sig_a win=$WIN_A
		fi
		# The first is killed at once, before it can have written anything.
		ms=$((i == 0 ? 0 : i * slot + RANDOM % slot))
		# A WAL with frames after the kill was written by the killed load, not left from before.
		[ "$(stat -c %s "$T/r.db-wal" 2>/dev/null || echo 0)" -eq 0 ]
		# shellcheck disable=SC2086
		ASAN_OPTIONS=$NOLEAKS sr-load --db "$T/r.db" $win "$F/$file.tsv" > "$T/out" 2>&1 3>&- &
		if ((ms > 0)); then sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"; fi
		kill -9 $! 2>/dev/null || true
		rc=0
		{ wait $!; } 2>/dev/null || rc=$?
		wal=$(stat -c %s "$T/r.db-wal" 2>/dev/null || echo 0)
		# Either killed (128 + 9) or done before the kill; a load that ends on its own must have succeeded.
		[ "$rc" -eq 137 ] || [ "$rc" -eq 0 ] || { echo "trial $i: status $rc: $(cat "$T/out")"; false; }

		run sqlite3 "$T/r.db" 'PRAGMA integrity_check'
		[ "$output" = ok ] || { echo "trial $i ($file, ${ms} ms): integrity_check: $output"; false; }
		run "$SNAP" "$T/r.db"
		[ "$status" -eq 0 ] || { echo "trial $i: $output"; false; }
		snap=$output
		expect_old="$old	$gen"
		expect_new="$new	$((gen + 1))"
		case "$snap" in
		"$expect_old")
			n_old=$((n_old + 1))
			[ "$rc" -eq 137 ] || { echo "trial $i: sr-load exited 0 but the old ranking is there"; false; }
			if [ "$wal" -gt 0 ]; then n_old_wal=$((n_old_wal + 1)); fi
			;;
		"$expect_new")
			n_new=$((n_new + 1)) gen=$((gen + 1)) cur=$file
			if [ "$file" = A ]; then n_new_a=$((n_new_a + 1)); fi
			if [ "$rc" -ne 0 ]; then n_new_killed=$((n_new_killed + 1)); fi
			;;
		*)
			echo "trial $i: loading $file, killed after ${ms} ms: a mix or a wrong meta row:"
			echo " got      $snap"
			echo " old was  $expect_old"
			echo " new is   $expect_new"
			false
			;;
		esac
	done
	echo "# kill -9: $trials trials over ${range} ms: $n_old old ($((n_old - n_old_wal)) killed before writing, $n_old_wal mid-transaction with uncommitted frames in the WAL), $n_new new ($n_new_a B to A, $((n_new - n_new_a)) A to B; $n_new_killed killed after COMMIT, $((n_new - n_new_killed)) exited before the kill)" >&3
	[ $((n_old + n_new)) -eq "$trials" ]
	[ "$n_old" -gt 0 ]
	[ "$n_old_wal" -gt 0 ]
	[ "$n_new" -gt 0 ]
}

@test "4 readers during back-to-back loads: every snapshot is exactly one ranking with its own meta row" {
	local reloads=${SR_RELOADS:-$RELOADS} sig sig_a sig_b i n file win failed=0 t0 t1 line
	sig_a=$(signature "$F/a.tsv" "$WIN_A")
	sig_b=$(signature "$F/b.tsv" "$WIN_B")
	[ "$sig_a" = "5000|499355000|a-0000-001|a-0099-050|100|5000|100|2026-01-01T00:00:00Z|2026-01-08T00:00:00Z" ]
	[ "$sig_b" = "5050|504351075|b-0000-001|b-0100-050|101|5050|101|2026-02-01T00:00:00Z|2026-02-08T00:00:00Z" ]
	load_ok "$F/a.tsv" "$WIN_A"

	for n in 1 2 3 4; do
		"$SNAP" "$T/r.db" "$T/ready.$n" "$T/stop" "$sig_a" "$sig_b" > "$T/reader.$n" 2> "$T/reader.$n.err" 3>&- &
	done
	for ((i = 0; i < 100; i++)); do
		[ -e "$T/ready.1" ] && [ -e "$T/ready.2" ] && [ -e "$T/ready.3" ] && [ -e "$T/ready.4" ] && break
		sleep 0.1
	done
	t0=$(now_ms)
	for ((i = 1; i <= reloads; i++)); do
		if ((i % 2)); then file=b win=$WIN_B; else file=a win=$WIN_A; fi
		# shellcheck disable=SC2086
		ASAN_OPTIONS=$NOLEAKS timeout 60 sr-load --db "$T/r.db" $win "$F/$file.tsv" 2>> "$T/load.err" ||
		    { echo "load $i: status $?" >> "$T/load.err"; failed=$((failed + 1)); }
	done
	t1=$(now_ms)
	touch "$T/stop"
	wait

	echo "# readers: $reloads loads in $((t1 - t0)) ms, $failed failed" >&3
	for n in 1 2 3 4; do
		echo "# reader $n: $(cat "$T/reader.$n")" >&3
	done
	cat "$T/load.err" "$T"/reader.*.err
	[ "$failed" -eq 0 ]
	[ ! -s "$T/load.err" ]
	for n in 1 2 3 4; do
		line=$(cat "$T/reader.$n")
		[[ "$line" =~ ^iterations=([0-9]+)\ partial=0\ errors=0\ generations=([0-9]+)\ last=$((reloads + 1))$ ]]
		[ "${BASH_REMATCH[1]}" -gt 1 ]
		[ "${BASH_REMATCH[2]}" -ge 2 ]
		[ ! -s "$T/reader.$n.err" ]
	done
	if ((reloads % 2)); then sig=$sig_b; else sig=$sig_a; fi
	run "$SNAP" "$T/r.db"
	[ "$output" = "$sig	$((reloads + 1))" ]
}

@test "the readers' check sees a mix and a meta row of the other ranking" {
	local sig_a sig_b
	sig_a=$(signature "$F/a.tsv" "$WIN_A")
	sig_b=$(signature "$F/b.tsv" "$WIN_B")
	load_ok "$F/a.tsv" "$WIN_A"
	touch "$T/stop"
	run "$SNAP" "$T/r.db" "$T/ready" "$T/stop" "$sig_a" "$sig_b"
	[ "$output" = "iterations=1 partial=0 errors=0 generations=1 last=1" ]
	sqlite3 "$T/r.db" "UPDATE sales_rank SET product_id = 'b-0000-001' WHERE product_id = 'a-0000-001'"
	run "$SNAP" "$T/r.db" "$T/ready" "$T/stop" "$sig_a" "$sig_b"
	[ "${lines[0]}" = "sr-snapshot: partial: generation 1 (after -1): 5000|499355000|a-0000-002|b-0000-001|100|5000|100|2026-01-01T00:00:00Z|2026-01-08T00:00:00Z" ]
	[ "${lines[1]}" = "iterations=1 partial=1 errors=0 generations=0 last=-1" ]
	sqlite3 "$T/r.db" "UPDATE sales_rank SET product_id = 'a-0000-001' WHERE product_id = 'b-0000-001'; UPDATE sales_rank_meta SET window_since = '2026-02-01T00:00:00Z'"
	run "$SNAP" "$T/r.db" "$T/ready" "$T/stop" "$sig_a" "$sig_b"
	[ "${lines[1]}" = "iterations=1 partial=1 errors=0 generations=0 last=-1" ]
}

# state: the snapshot and the whole meta row (loaded_at included), to compare before and after a failed load.
state() {
	"$SNAP" "$1" && sqlite3 "$1" 'PRAGMA integrity_check; SELECT * FROM sales_rank_meta'
}

@test "disk full during the load: status 1, the database named, the previous ranking kept" {
	local before
	mkdir "$M"
	mount -t tmpfs -o size=300k tmpfs "$M" || skip "cannot mount a tmpfs (not root, or no CAP_SYS_ADMIN)"
	ranking s 20 5 > "$T/s.tsv"
	# shellcheck disable=SC2086
	sr-load --db "$M/r.db" $WIN_A "$T/s.tsv"
	before=$(state "$M/r.db")
	[ "${before%%	*}" = "$(signature "$T/s.tsv" "$WIN_A")" ]

	# shellcheck disable=SC2086
	run sr-load --db "$M/r.db" $WIN_B "$F/B.tsv"
	[ "$status" -eq 1 ]
	[[ "$output" =~ ^sr-load:\ $M/r\.db:\ (delete\ old\ ranking|insert|metadata|commit):\ database\ or\ disk\ is\ full$ ]]
	[ "$(state "$M/r.db")" = "$before" ]
	# The space the failed load took is given back: a load that fits still succeeds.
	# shellcheck disable=SC2086
	sr-load --db "$M/r.db" $WIN_B "$T/s.tsv"
	run "$SNAP" "$M/r.db"
	[ "$output" = "$(signature "$T/s.tsv" "$WIN_B")	2" ]
}

@test "TMPDIR full or missing: status 1, the temporary file named, the database never opened" {
	mkdir "$M"
	mount -t tmpfs -o size=300k tmpfs "$M" || skip "cannot mount a tmpfs (not root, or no CAP_SYS_ADMIN)"
	run env TMPDIR="$M" sr-load --db "$T/r.db" "$F/B.tsv"
	[ "$status" -eq 1 ]
	[ "$output" = "sr-load: $M: temporary file: write error: No space left on device" ]
	[ ! -e "$T/r.db" ]
	# The unlinked file went with the process: the space is free again.
	[ "$(df --output=used -k "$M" | tail -1 | tr -d ' ')" -lt 100 ]
	run env TMPDIR="$T/nosuch" sr-load --db "$T/r.db" "$F/b.tsv"
	[ "$status" -eq 1 ]
	[ "$output" = "sr-load: $T/nosuch: temporary file: No such file or directory" ]
	[ ! -e "$T/r.db" ]
	# An empty TMPDIR is /tmp.
	TMPDIR="" sr-load --db "$T/r.db" "$F/b.tsv"
	[ "$(sqlite3 "$T/r.db" 'SELECT count(*) FROM sales_rank')" = 5050 ]
}

@test "read-only file system: status 1, the database named, the previous ranking kept" {
	local before
	mkdir "$M"
	mount -t tmpfs -o size=1m tmpfs "$M" || skip "cannot mount a tmpfs (not root, or no CAP_SYS_ADMIN)"
	ranking s 20 5 > "$T/s.tsv"
	# shellcheck disable=SC2086
	sr-load --db "$M/r.db" $WIN_A "$T/s.tsv"
	before=$(state "$M/r.db")
	mount -o remount,ro "$M" || skip "cannot remount the tmpfs read-only"
	touch "$M/probe" 2>/dev/null && skip "the read-only remount still allows writes"

	# shellcheck disable=SC2086
	run sr-load --db "$M/r.db" $WIN_B "$F/b.tsv"
	[ "$status" -eq 1 ]
	[ "$output" = "sr-load: $M/r.db: read schema: unable to open database file" ]
	# A WAL database on a read-only file system cannot be opened without its -shm file,
	# by sqlite3 either; look once the file system is writable again.
	mount -o remount,rw "$M"
	[ "$(state "$M/r.db")" = "$before" ]
}

@test "malformed input mid-way or at the end, or an unreadable operand: status 1, the previous ranking kept" {
	local before
	load_ok "$F/A.tsv" "$WIN_A"
	before=$(state "$T/r.db")
	[ "${before%%	*}" = "$(signature "$F/A.tsv" "$WIN_A")" ]

	awk -F '\t' -v OFS='\t' 'NR == 100001 { $2 = "2x" } 1' "$F/B.tsv" > "$T/bad-rank.tsv"
	# shellcheck disable=SC2086
	run sr-load --db "$T/r.db" $WIN_B "$T/bad-rank.tsv"
	[ "$status" -eq 1 ]
	[ "$output" = "sr-load: $T/bad-rank.tsv:100001: field 2 (rank): not an integer: '2x'" ]
	[ "$(state "$T/r.db")" = "$before" ]

	awk -F '\t' -v OFS='\t' '{ print } END { print $1, $2 + 2, $3 "x", $4 }' "$F/B.tsv" > "$T/bad-last.tsv"
	# shellcheck disable=SC2086
	run sr-load --db "$T/r.db" $WIN_B "$T/bad-last.tsv"
	[ "$status" -eq 1 ]
	[ "$output" = "sr-load: $T/bad-last.tsv:200201: field 2 (rank): ranks must run 1, 2, 3, ... within a category: '202'" ]
	[ "$(state "$T/r.db")" = "$before" ]

	# shellcheck disable=SC2086
	run sr-load --db "$T/r.db" $WIN_B "$F/B.tsv" "$T/missing.tsv"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "sr-load: $T/missing.tsv: No such file or directory" ]
	[ "${lines[1]}" = "sr-load: $T/r.db: not loaded: an input could not be read" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(state "$T/r.db")" = "$before" ]
}

@test "ids made of quotes and SQL are stored verbatim" {
	printf '%s\t%s\t%s\t%s\n' \
	    '"; --' 1 "x'); DROP TABLE sales_rank; --" 5 \
	    '"; --' 2 "O'Brien" 3 \
	    "O'Brien" 1 '"; --' 9 \
	    "x'); DROP TABLE sales_rank; --" 1 "'); DELETE FROM sales_rank_meta; --" 2 \
	    "x'); DROP TABLE sales_rank; --" 2 "%s%n%q%Q'\\" 2 > "$T/evil.tsv"
	sr-load --db "$T/r.db" "$T/evil.tsv"
	run sqlite3 -separator '	' "$T/r.db" \
	    'SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY category_id, rank'
	[ "$output" = "$(cat "$T/evil.tsv")" ]
	run sqlite3 "$T/r.db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
	[ "$output" = "$(printf 'sales_rank\nsales_rank_meta')" ]
	run sqlite3 "$T/r.db" 'SELECT generation, row_count, category_count FROM sales_rank_meta'
	[ "$output" = "1|5|3" ]
}

# A lint, not a proof: the behaviour is the test above, and for PostgreSQL
# sr-load-pg.bats. It holds sr-load.c to one shape: SQL text is string literals
# or named constants; data goes in through sqlite3_bind_*, as PostgreSQL
# parameters, or as escaped COPY data.
# each_call GREP_RE ALLOWED_RE FILE...: every match of GREP_RE in the files matches ALLOWED_RE; at least one.
each_call() {
	local grep_re=$1 allowed=$2 call
	shift 2
	run grep -hoE "$grep_re" "$@"
	[ "${#lines[@]}" -ge 1 ] || { echo "no match of $grep_re"; return 1; }
	for call in "${lines[@]}"; do
		[[ "$call" =~ $allowed ]] || { echo "$call"; return 1; }
	done
}

@test "sr-load and the store build no SQL from data" {
	local top="$BATS_TEST_DIRNAME/.." store sql
	store=("$top"/lib/store*.c)
	# sr-load speaks to no database but through lib/store, and has no SQL of the ranking's.
	run grep -nE 'sqlite3_|PQ[a-z]|(SELECT|INSERT|DELETE|CREATE|UPDATE|COPY) .*sales_rank' "$top/cmd/sr-load.c"
	[ "$status" -eq 1 ]
	run grep -nE 'sqlite3_v?mprintf|sqlite3_str_|sqlite3_snprintf|PQescape|%[qQw]' "${store[@]}"
	[ "$status" -eq 1 ]
	# Statements are literals, the named constants, the schema (store_ddl), or the parameter of
	# exec_sql and run, whose callers are checked in turn. Data goes in as bound parameters or COPY rows.
	sql='("[^"]*"( [A-Z_]+)?( "[^"]*")?|ok \? "COMMIT" : "ROLLBACK"|(insert|meta|objects|copy)_sql|STORE_[A-Z]+_SQL|store_ddl\([01]\))'
	each_call 'sqlite3_exec\([^,]*, [^,]*,' "^sqlite3_exec\((s->db|db|\*db|mem), ($sql|sql),\$" "${store[@]}"
	each_call '[^_a-z]exec_sql\([^,]*, [^,]*,' "^.exec_sql\(s, $sql,\$" "${store[@]}"
	each_call 'sqlite3_prepare[_v23]*\([^,]*, [^,]*,' "^sqlite3_prepare_v2\((s->db|db|d), $sql,\$" "${store[@]}"
	each_call '(PQexec|PQexecParams|PQprepare|PQsendQuery|PQsendQueryParams|PQsendPrepare)\([^,)]*[,)] ?[^,)]*[,)]' \
	    "^PQsendQuery(Params)?\(s->conn, ($sql|sql)[,)]\$" "${store[@]}"
	each_call '[^_a-z](run|exec_ok)\([^,]*, [^,]*,' "^.(run|exec_ok)\(s, ($sql|sql),\$" "${store[@]}"
	# The schema's DDL is made from nothing but the constant table: store_ddl takes only which back end.
	grep -q '^const struct store_table store_tables\[STORE_TABLES\] = {$' "$top/lib/store.c"
	grep -q '^store_ddl(int pg)$' "$top/lib/store.c"
}

@test "4 loads at once on a new database: each waits its turn, all succeed, one ranking stays" {
	local n failed=0
	for n in 1 2 3 4; do
		if ((n % 2)); then
			# shellcheck disable=SC2086
			sr-load --db "$T/r.db" $WIN_A "$F/a.tsv" 2>> "$T/err" 3>&- &
		else
			# shellcheck disable=SC2086
			sr-load --db "$T/r.db" $WIN_B "$F/b.tsv" 2>> "$T/err" 3>&- &
		fi
	done
	for n in 1 2 3 4; do
		wait -n || failed=$((failed + 1))
	done
	cat "$T/err"
	[ "$failed" -eq 0 ]
	[ ! -s "$T/err" ]
	run "$SNAP" "$T/r.db"
	[ "$output" = "$(signature "$F/a.tsv" "$WIN_A")	4" ] || [ "$output" = "$(signature "$F/b.tsv" "$WIN_B")	4" ]
	run sqlite3 "$T/r.db" 'PRAGMA journal_mode; PRAGMA integrity_check'
	[ "$output" = "$(printf 'wal\nok')" ]
}
