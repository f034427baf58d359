#!/usr/bin/env bats
# sr-load into PostgreSQL: the rows and metadata the SQLite path writes, atomic reloads under readers, refusals, connections.
#
# The file starts its own throwaway server (tests/pg.sh) and gives each test a
# database of its own. Without PostgreSQL installed the tests are skipped,
# saying why; with CI=true they fail instead.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-600}
load timeout
# run.sh: waits 45

load helper
load pg
TOOL=sr-load

RANKING='a\t1\tp\t5\na\t2\tq\t3\nb\t1\tr\t9\n'
ROWS='1 a 1 p 5\n2 a 2 q 3\n3 b 1 r 9'
NOW='--now 2026-11-30T00:00:00Z'

# Each test in an empty directory and an empty database of its own, named by --db $PG.
setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	pg_database
	# The tables, as the database's owner makes them once (sr-load --init); loads need no CREATE.
	"$TOOL" --init --db "$PG"
}

# sql QUERY: its rows, fields separated by spaces (or by $SEP), NULL as NULL.
sql() {
	psql -qXAt -v ON_ERROR_STOP=1 -F "${SEP:- }" -P null=NULL -c "$1"
}

# db_is SQL EXPECTED: the rows of SQL are EXPECTED (printf %b).
db_is() {
	local got
	got=$(sql "$1")
	[ "$got" = "$(printf '%b' "$2")" ] || { echo "-- $1"; echo "-- expected:"; printf '%b\n' "$2"; echo "-- actual:"; echo "$got"; return 1; }
}

rows_are() {
	db_is 'SELECT id, category_id, rank, product_id, total_sold FROM sales_rank ORDER BY id' "$1"
}

# generation, window_since, window_until, row_count, category_count
meta_is() {
	db_is 'SELECT generation, window_since, window_until, row_count, category_count FROM sales_rank_meta' "$1"
}

# refused INPUT MESSAGE: INPUT is not loaded, the database keeps RANKING as generation 1.
refused() {
	check 1 "--db $PG" "$1" "" "$TOOL: $2\n"
	rows_are "$ROWS"
	meta_is "1 NULL NULL 3 2"
}

# await SQL: wait up to 20 seconds for SQL to give t.
await() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(sql "$1")" = t ] && return 0
		sleep 0.1
	done
	echo "-- still not true after 20 s: $1"
	return 1
}

# ranking NAME CATEGORIES RANKS: sr-topk output whose product ids start with NAME.
ranking() {
	awk -v n="$1" -v c="$2" -v k="$3" 'BEGIN {
		for (i = 0; i < c; i++)
			for (r = 1; r <= k; r++)
				printf "cat%04d\t%d\t%s-%04d-%03d\t%d\n", i, r, n, i, r, 100000 + i - 7 * r
	}'
}

@test "sr-load postgresql: the SQLite schema, with a unique index on (category_id, rank) and ids compared as bytes" {
	check 0 "--db $PG" "$RANKING" ""
	rows_are "$ROWS"
	meta_is "1 NULL NULL 3 2"
	db_is "SELECT column_name, data_type, is_nullable, coalesce(collation_name, '-') FROM information_schema.columns
	    WHERE table_name = 'sales_rank' ORDER BY ordinal_position" \
	    "id bigint NO -\ncategory_id text NO C\nproduct_id text NO C\ntotal_sold bigint NO -\nrank bigint NO -"
	db_is "SELECT column_name, data_type, is_nullable FROM information_schema.columns
	    WHERE table_name = 'sales_rank_meta' ORDER BY ordinal_position" \
	    "id integer NO\ngeneration bigint NO\nloaded_at text NO\nwindow_since text YES\nwindow_until text YES\nrow_count bigint NO\ncategory_count bigint NO"
	db_is "SELECT indexdef FROM pg_indexes WHERE indexname = 'sales_rank_category_rank'" \
	    "CREATE UNIQUE INDEX sales_rank_category_rank ON public.sales_rank USING btree (category_id, rank)"
	run sql "INSERT INTO sales_rank VALUES (9, 'a', 'x', 1, 1)"
	[ "$status" -ne 0 ]
	[[ $output == *'duplicate key value violates unique constraint "sales_rank_category_rank"'* ]]
	run sql "INSERT INTO sales_rank_meta VALUES (2, 1, 'x', NULL, NULL, 0, 0)"
	[[ $output == *'violates check constraint'* ]]
	# Extreme totals exactly; the ids in byte order, as sr sorts them.
	check 0 "--db $PG" "B\t1\tx\t9223372036854775807\na\t1\tx\t-9223372036854775808\n" ""
	db_is "SELECT category_id, total_sold FROM sales_rank ORDER BY category_id" "B 9223372036854775807\na -9223372036854775808"
}

@test "sr-load postgresql: the whole input is read and checked before connecting; a load waiting for input blocks no other" {
	local pid status=0 t0 conns
	ranking x 30 100 > big
	check 0 "--db $PG" "$RANKING" ""
	mkfifo fifo
	# A slow upstream: the first half now, the rest after another load has come and gone.
	timeout 60 sr-load --db "$PG" < fifo 2> err1 3>&- &
	pid=$!
	exec 4> fifo
	head -n 1500 big >&4
	sleep 0.5
	kill -0 "$pid"
	# Not even connected: no advisory lock, no DELETE, no statement_timeout running.
	db_is "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sr-load'" "0"
	db_is "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'" "0"
	t0=$(date +%s%N)
	printf 'c\t1\tz\t1\n' | timeout 5 sr-load --db "$PG" 2> err2 || status=$?
	[ "$status" -eq 0 ] && [ ! -s err2 ] || { echo "-- the second load: status $status: $(cat err2)"; return 1; }
	[ $(($(date +%s%N) - t0)) -lt 3000000000 ]
	rows_are "1 c 1 z 1"
	tail -n +1501 big >&4
	exec 4>&-
	wait "$pid"
	[ ! -s err1 ]
	db_is "SELECT count(*), min(product_id), max(product_id) FROM sales_rank" "3000 x-0000-001 x-0029-100"
	meta_is "3 NULL NULL 3000 30"
	# A bad line at the end: never connected, the database as it was.
	printf 'a\t1\tq\t1\n' >> big
	dump > before
	mkfifo fifo2
	timeout 60 sr-load --db "$PG" < fifo2 2> err3 3>&- &
	pid=$!
	exec 4> fifo2
	head -n 2000 big >&4
	sleep 0.5
	db_is "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sr-load'" "0"
	tail -n +2001 big >&4
	exec 4>&-
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 1 ]
	[ "$(cat err3)" = "$TOOL: stdin:3001: field 1 (category_id): categories out of order (want sr-topk output): 'a'" ]
	dump | diff before -
}

# schema_variants: "label<TAB>SQL" lines: sr-load's own schema ("same"), then that schema changed in one way each.
schema_variants() {
	python3 - <<'PY'
SR = [("id", "bigint", "PRIMARY KEY"), ("category_id", 'text COLLATE "C"', "NOT NULL"),
      ("product_id", 'text COLLATE "C"', "NOT NULL"), ("total_sold", "bigint", "NOT NULL"), ("rank", "bigint", "NOT NULL")]
META = [("id", "integer", "PRIMARY KEY CHECK (id = 1)"), ("generation", "bigint", "NOT NULL"),
        ("loaded_at", "text", "NOT NULL"), ("window_since", "text", ""), ("window_until", "text", ""),
        ("row_count", "bigint", "NOT NULL"), ("category_count", "bigint", "NOT NULL")]
INDEX = "CREATE UNIQUE INDEX sales_rank_category_rank ON sales_rank (category_id, rank);"
TYPES = ["smallint", "integer", "bigint", "numeric", "real", "double precision", "text", 'text COLLATE "C"',
         'text COLLATE "POSIX"', 'varchar(255) COLLATE "C"', "varchar", "char(255)", "bytea", "jsonb"]

def table(name, cols, opts=""):
    return "CREATE %sTABLE %s ( %s)%s;" % ("UNLOGGED " if opts == "unlogged" else "", name,
        ", ".join(" ".join(x for x in c if x) for c in cols), "" if opts == "unlogged" else opts)

def schema(sr=SR, meta=META, index=INDEX, extra="", sr_opts="", meta_opts=""):
    out = []
    if sr is not None:
        out.append(table("sales_rank", sr, sr_opts))
    if index:
        out.append(index)
    if meta is not None:
        out.append(table("sales_rank_meta", meta, meta_opts))
    return " ".join(out) + (" " + extra if extra else "")

def put(label, sql):
    print(label + "\t" + sql)

put("same", schema())
for tname, cols in (("sales_rank", SR), ("sales_rank_meta", META)):
    def with_cols(c):
        names = [x[0] for x in c]
        index = INDEX
        for k, x in enumerate(SR):
            n = x[0]
            if n in ("category_id", "rank") and n not in names:
                index = index.replace("(%s," % n, "(%s," % names[k]).replace(" %s)" % n, " %s)" % names[k]) \
                    if len(names) == len(SR) else ""
        return schema(sr=c, index=index) if tname == "sales_rank" else schema(meta=c)
    def at(i, *new):
        return cols[:i] + list(new) + cols[i + 1:]
    for i, (n, t, d) in enumerate(cols):
        for nt in TYPES:
            if nt != t:
                # A check of a number as a string where the type is not a number.
                dd = d if nt in ("smallint", "integer", "bigint", "numeric", "real", "double precision") \
                    else d.replace("(id = 1)", "(id::text = '1')")
                put("%s.%s type %s" % (tname, n, nt), with_cols(at(i, (n, nt, dd))))
        for new in (n + "_x", '"%s"' % n.upper()):
            put("%s.%s renamed %s" % (tname, n, new), with_cols(at(i, (new, t, d.replace("(id ", "(%s " % new)))))
        if n != "id":
            put("%s.%s dropped" % (tname, n), with_cols(at(i)))
        if i + 1 < len(cols):
            put("%s.%s swapped with the next" % (tname, n), with_cols(cols[:i] + [cols[i + 1], cols[i]] + cols[i + 2:]))
        if "NOT NULL" in d:
            put("%s.%s nullable" % (tname, n), with_cols(at(i, (n, t, d.replace("NOT NULL", "")))))
        elif "PRIMARY" not in d:
            put("%s.%s not null" % (tname, n), with_cols(at(i, (n, t, "NOT NULL"))))
        put("%s.%s with a default" % (tname, n), with_cols(at(i, (n, t, d + (" DEFAULT 'x'" if "text" in t else " DEFAULT 1")))))
        if "PRIMARY KEY" not in d:
            put("%s.%s unique" % (tname, n), with_cols(at(i, (n, t, d + " UNIQUE"))))
            put("%s.%s checked" % (tname, n), with_cols(at(i, (n, t, d + " CHECK (%s IS NOT NULL)" % n))))
        if t == "bigint":
            put("%s.%s generated" % (tname, n), with_cols(at(i, (n, t, d + " GENERATED BY DEFAULT AS IDENTITY"))))
    put("%s: a column added" % tname, with_cols(cols + [("extra", "text", "")]))
    put("%s: a column added, not null" % tname, with_cols(cols + [("extra", "integer", "NOT NULL DEFAULT 0")]))
    put("%s: first column last" % tname, with_cols(cols[1:] + cols[:1]))
    put("%s: without its primary key" % tname, with_cols([(cols[0][0], cols[0][1], cols[0][2].replace("PRIMARY KEY", ""))] + cols[1:]))
    put("%s: primary key unique instead" % tname, with_cols([(cols[0][0], cols[0][1], cols[0][2].replace("PRIMARY KEY", "UNIQUE NOT NULL"))] + cols[1:]))
    opt = lambda o: schema(sr_opts=o) if tname == "sales_rank" else schema(meta_opts=o)
    put("%s: unlogged" % tname, opt("unlogged"))
    # A unique index of a partitioned table must hold the key: the index goes too.
    put("%s: partitioned" % tname, (schema(sr_opts=" PARTITION BY RANGE (id)", index="")
        if tname == "sales_rank" else opt(" PARTITION BY RANGE (id)")) +
        " CREATE TABLE %s_all PARTITION OF %s DEFAULT;" % (tname, tname))
    put("%s: a trigger" % tname, schema(extra="CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
        " CREATE TRIGGER t BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION f();" % tname))
    put("%s: a rule" % tname, schema(extra="CREATE RULE r AS ON INSERT TO %s DO ALSO NOTIFY x;" % tname))
    put("%s: row security" % tname, schema(extra="ALTER TABLE %s ENABLE ROW LEVEL SECURITY;" % tname))
    put("%s: a policy" % tname, schema(extra="CREATE POLICY p ON %s USING (true);" % tname))
    put("%s: a child table" % tname, schema(extra="CREATE TABLE child () INHERITS (%s);" % tname))
    put("%s: an index more" % tname, schema(extra="CREATE INDEX x ON %s (id);" % tname))
    put("%s: a column added and dropped" % tname, schema(extra="ALTER TABLE %s ADD COLUMN extra text; ALTER TABLE %s DROP COLUMN id;" % (tname, tname)))
put("sales_rank_meta: without its check", schema(meta=[("id", "integer", "PRIMARY KEY")] + META[1:]))
put("sales_rank_meta: another check", schema(meta=[("id", "integer", "PRIMARY KEY CHECK (id = 2)")] + META[1:]))
put("index missing", schema(index=""))
put("index not unique", schema(index=INDEX.replace("UNIQUE ", "")))
put("index on category_id only", schema(index=INDEX.replace("(category_id, rank)", "(category_id)")))
put("index on rank, category_id", schema(index=INDEX.replace("(category_id, rank)", "(rank, category_id)")))
put("index on category_id, product_id", schema(index=INDEX.replace("(category_id, rank)", "(category_id, product_id)")))
put("index descending", schema(index=INDEX.replace("rank)", "rank DESC)")))
put("index partial", schema(index=INDEX.replace(";", " WHERE rank > 0;")))
put("index hash", schema(index="CREATE INDEX sales_rank_category_rank ON sales_rank USING hash (category_id);"))
put("index of another collation", schema(index=INDEX.replace("(category_id,", '(category_id COLLATE "POSIX",')))
put("index of another name", schema(index=INDEX.replace("sales_rank_category_rank", "sales_rank_cr")))
put("index as a constraint", schema(index="ALTER TABLE sales_rank ADD CONSTRAINT sales_rank_category_rank UNIQUE (category_id, rank);"))
put("sales_rank_meta missing", schema(meta=None))
put("sales_rank missing", schema(sr=None, index=""))
put("sales_rank a view", schema(sr=None, index="", extra="CREATE TABLE base (id bigint, category_id text, product_id text, total_sold bigint, rank bigint); CREATE VIEW sales_rank AS SELECT * FROM base;"))
put("sales_rank_meta a view", schema(meta=None, extra="CREATE VIEW sales_rank_meta AS SELECT 1 AS id;"))
put("meta of another shape", schema(meta=[("key", "text", "PRIMARY KEY"), ("value", "text", "")]))
put("the issue's table", "CREATE TABLE sales_rank (id bigint, category_id bigint, product_id bigint, total_sold bigint, rank bigint);")
PY
}

# dump: the database, as pg_dump writes it, without the random key of its \restrict lines.
dump() {
	pg_dump | grep -v '^\\\(un\)\{0,1\}restrict '
}

@test "sr-load postgresql: tables sr-load did not make are refused and left as they were; ids are never converted" {
	local label sql n=0 status
	local in='007\t1\t0042\t5\n007\t2\t42\t5\n1e3\t1\t+1\t3\n'
	export PGOPTIONS='-c client_min_messages=warning'
	schema_variants > variants
	[ "$(wc -l < variants)" -gt 250 ]
	# Every variant under make soak (SR_SOAK=1); every 4th and the good one under make check.
	if [ "${SR_SOAK:-0}" != 1 ]; then
		awk -F '\t' 'NR % 4 == 1 || $1 == "same"' variants > some-variants
		mv some-variants variants
	fi
	while IFS=$'\t' read -r label sql; do
		psql -qX -v ON_ERROR_STOP=1 -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' -c "$sql" > /dev/null ||
		    { echo "-- $label: the variant cannot be made: $sql"; return 1; }
		sql "INSERT INTO sales_rank (id, category_id, product_id, total_sold, rank) VALUES (1, 'old', 'p', 1, 1)" \
		    > /dev/null 2>&1 || true
		dump > before
		status=0
		printf '%b' "$in" | timeout 20 sr-load --db "$PG" 2> err || status=$?
		dump > after
		if [ "$label" = same ]; then
			[ "$status" -eq 0 ] && [ ! -s err ] || { echo "-- $label: status $status: $(cat err)"; return 1; }
			rows_are "1 007 1 0042 5\n2 007 2 42 5\n3 1e3 1 +1 3"
		else
			[ "$status" -eq 1 ] && cmp -s before after &&
			    [[ $(cat err) == "$TOOL: postgresql: not loaded: "*" (sr-load loads only into the tables it creates)" ]] || {
				echo "-- $label: status $status, stderr: $(cat err)"
				diff before after
				return 1
			}
		fi
		n=$((n + 1))
	done < variants
	echo "# $n schemas tried" >&3
	schema_variants | grep -E '^(sales_rank.category_id type integer|index missing|sales_rank_meta missing|sales_rank: a trigger)	' > some
	while IFS=$'\t' read -r label sql; do
		psql -qX -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' -c "$sql" > /dev/null
		printf '%b' "$in" | timeout 20 sr-load --db "$PG" 2>> msgs || true
	done < some
	diff - msgs <<-EOF
	$TOOL: postgresql: not loaded: table sales_rank is not as sr-load creates it: columns: 'id bigint not null, category_id integer not null, product_id text not null collate C, total_sold bigint not null, rank bigint not null' (sr-load loads only into the tables it creates)
	$TOOL: postgresql: not loaded: table sales_rank is not as sr-load creates it: triggers, rules, policies and inheritance: '1' (sr-load loads only into the tables it creates)
	$TOOL: postgresql: not loaded: table sales_rank is not as sr-load creates it: indexes: 'CREATE UNIQUE INDEX sales_rank_pkey USING btree (id)' (sr-load loads only into the tables it creates)
	$TOOL: postgresql: not loaded: table sales_rank_meta is missing (sr-load loads only into the tables it creates)
	EOF
}

@test "sr-load postgresql: the same pipeline loaded into SQLite and into PostgreSQL gives identical rows and metadata" {
	local td="$BATS_TEST_DIRNAME/../testdata" q
	sr-filter-week $NOW "$td/sales.tsv" | sr-map | sr-sort | sr-reduce | sr-topk -n 10 > ranking
	# Ids that COPY would misread unescaped, among the generated ones.
	printf 'zz\\t\t1\t\\N\t3\nzz\\t\t2\t\\.\t2\nzz\\t\t3\tq\\\\\t1\n' >> ranking
	[ "$(wc -l < ranking)" -gt 30 ]
	sr-load --db r.db $NOW ranking
	sr-load --db "$PG" $NOW ranking
	q='SELECT id, category_id, rank, product_id, total_sold FROM sales_rank ORDER BY category_id, rank'
	sqlite3 -separator ' ' r.db "$q" > sqlite.rows
	sql "$q" > pg.rows
	cmp sqlite.rows pg.rows
	[ "$(wc -l < pg.rows)" -eq "$(wc -l < ranking)" ]
	# Both read back as the input, byte for byte.
	SEP=$'\t' sql "SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY id" | cmp - ranking
	q='SELECT generation, window_since, window_until, row_count, category_count FROM sales_rank_meta'
	[ "$(sqlite3 -separator ' ' r.db "$q")" = "$(sql "$q")" ]
	meta_is "1 2026-11-23T00:00:00Z 2026-11-30T00:00:00Z $(wc -l < ranking) $(cut -f 1 ranking | uniq | wc -l)"
}

@test "sr-load postgresql: each load replaces the ranking and counts a generation; the window is recorded" {
	local t
	check 0 "--db $PG $NOW" "$RANKING" ""
	meta_is "1 2026-11-23T00:00:00Z 2026-11-30T00:00:00Z 3 2"
	check 0 "--db $PG" "c\t1\tz\t1\n" ""
	rows_are "1 c 1 z 1"
	meta_is "2 NULL NULL 1 1"
	check 0 "--db $PG --since 2026-11-23T00:00:00.25+00:00 --until 1795996800.5" "$RANKING" ""
	rows_are "$ROWS"
	meta_is "3 2026-11-23T00:00:00.250000000Z 2026-11-30T00:00:00.500000000Z 3 2"
	t=$(sql 'SELECT loaded_at FROM sales_rank_meta')
	[[ $t == 20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]*Z ]]
	db_is "SELECT abs(extract(epoch FROM now() - loaded_at::timestamptz)) < 3600 FROM sales_rank_meta" "t"
	# postgres:// too, and nothing but the PG* environment.
	check 0 "--db postgres:///$PGDATABASE" "$RANKING" ""
	check 0 "--db postgresql://" "$RANKING" ""
	meta_is "5 NULL NULL 3 2"
	db_is "SELECT count(*) FROM sales_rank_meta" "1"
}

@test "sr-load postgresql: empty input is refused, unless --allow-empty" {
	check 0 "--db $PG" "$RANKING" ""
	refused "" "postgresql: not loaded: the input has no rows (see --allow-empty)"
	check 0 "--db $PG --allow-empty" "" ""
	rows_are ""
	meta_is "2 NULL NULL 0 0"
	check 0 "--db $PG --allow-empty" "$RANKING" ""
	rows_are "$ROWS"
	meta_is "3 NULL NULL 3 2"
}

@test "sr-load postgresql: bad input is refused with the SQLite path's messages, and the old ranking stays" {
	check 0 "--db $PG" "$RANKING" ""
	refused "a\t2\tp\t5\n" "stdin:1: field 2 (rank): a category's ranks must start at 1: '2'"
	refused "a\t1\tp\t5\na\t2\tq\t6\n" "stdin:2: field 4 (total_sold): total is larger than the one ranked above it: '6'"
	refused "b\t1\tp\t5\na\t1\tq\t6\n" "stdin:2: field 1 (category_id): categories out of order (want sr-topk output): 'a'"
	refused "a\t1\tp\t5\na\t2\tp\t3\n" "stdin:2: field 3 (product_id): product ranked twice in its category: 'p'"
	refused "a\t1\tp\n" "stdin:1: too few fields (want 4)"
	refused "a\t1\tp\x01\t5\n" "stdin:1: field 3 (product_id): control character in id: 'p\\\\x01'"
	refused "a\t1\tp\t5\na\t2\tq\t3" "stdin:2: last line has no newline: input cut short?"
	# A bad line after many good ones, more than one COPY buffer: nothing of them stays.
	ranking x 300 100 > long
	printf 'cat0299\t101\tx\t999999\n' >> long
	check 1 "--db $PG long" "" "" "$TOOL: long:30001: field 4 (total_sold): total is larger than the one ranked above it: '999999'\n"
	rows_are "$ROWS"
	meta_is "1 NULL NULL 3 2"
	mkdir dir
	check 1 "--db $PG dir" "" "" "$TOOL: dir: Is a directory\n$TOOL: postgresql: not loaded: an input could not be read\n"
	check 1 "--db $PG nosuch" "" "" "$TOOL: nosuch: No such file or directory\n$TOOL: postgresql: not loaded: an input could not be read\n"
	rows_are "$ROWS"
	meta_is "1 NULL NULL 3 2"
	# Bytes that are not UTF-8 are refused before the server sees them.
	check 1 "--db $PG" "a\t1\tp\t5\na\t2\tq\xff\t3\n" "" \
	    "$TOOL: stdin:2: field 3 (product_id): not valid UTF-8: 'q\\\\xff'\n"
	rows_are "$ROWS"
	meta_is "1 NULL NULL 3 2"
}

@test "sr-load postgresql: every id sr-load accepts as UTF-8 the server stores, character for character" {
	# Each boundary of each UTF-8 length, noncharacters, C1 controls, and about 2800 code points at random.
	python3 - <<'PY' > valid.tsv
import random, sys
random.seed(11)
cps = [0x20, 0x7e, 0x80, 0x9f, 0xa0, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfdd0, 0xfffd, 0xfffe, 0xffff, 0x10000,
       0x1fffe, 0x10fffe, 0x10ffff]
while len(cps) < 3000:
    c = random.choice([random.randrange(0x80, 0x800), random.randrange(0x800, 0x10000), random.randrange(0x10000, 0x110000)])
    if not 0xd800 <= c <= 0xdfff:
        cps.append(c)
ids = sorted(set(("c" + chr(c)).encode("utf-8") for c in cps))
for i in ids:
    sys.stdout.buffer.write(i + b"\t1\tp\t1\n")
PY
	[ "$(wc -l < valid.tsv)" -ge 2500 ]
	sr-load --db "$PG" valid.tsv
	# COPY's bytes, not psql's table, which drops characters it cannot show.
	psql -qX -c "COPY (SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY id) TO STDOUT" |
	    cmp - valid.tsv
	db_is "SELECT count(*) FROM sales_rank WHERE length(category_id) = 2" "$(wc -l < valid.tsv)"
}

@test "sr-load postgresql: ids with backslashes, quotes, COPY escapes and unicode are stored verbatim" {
	# Categories in byte order: '"', "'", '\'.
	local in="\"q\"\t1\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xa6 \xe6\x97\xa5\t3\n'\t1\t'; DROP TABLE sales_rank; --\t4\n"
	in+='\\\t1\t\\\\\t9\n\\\t2\t\\N\t8\n\\\t3\t\\.\t7\n\\\t4\tx\\\t6\n\\\t5\t\\t\\n\\r\t5\n'
	check 0 "--db $PG" "$in" ""
	printf '%b' "$in" > want
	SEP=$'\t' sql "SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY id" > got
	cmp want got
	db_is "SELECT product_id FROM sales_rank WHERE product_id IS NULL OR length(product_id) < 3 ORDER BY id" '\\\\\n\\N\n\\.\nx\\'
	db_is "SELECT octet_length(product_id), length(product_id) FROM sales_rank WHERE category_id = '\"q\"'" "13 5"
	# Looked up by a literal: standard strings take a backslash as itself.
	db_is "SELECT rank FROM sales_rank WHERE category_id = '\\' AND product_id = '\\t\\n\\r'" "5"
}

@test "sr-load postgresql: a reader in a long transaction does not block a load, and keeps its snapshot" {
	local q='SELECT count(*), min(product_id) FROM sales_rank'
	ranking a 10 10 > a.tsv
	ranking b 10 10 > b.tsv
	sr-load --db "$PG" a.tsv
	psql -qXAt -c 'BEGIN ISOLATION LEVEL REPEATABLE READ' -c "$q" -c 'SELECT pg_sleep(6)' -c "$q" -c COMMIT \
	    > reader 3>&- &
	await "SELECT count(*) = 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(6)'"
	# The load takes no lock that waits for the reader, whose table it empties and refills.
	timeout 4 sr-load --db "$PG" b.tsv
	db_is "$q" "100 b-0000-001"
	wait $!
	[ "$(sed '/^$/d' reader)" = "$(printf '100|a-0000-001\n100|a-0000-001')" ]
}

@test "sr-load postgresql: readers during 100 reloads see one whole ranking and its own meta row, never a mix or none" {
	local reloads=${SR_PG_RELOADS:-100} i file failed=0 n bad
	ranking a 100 50 > a.tsv
	ranking b 101 50 > b.tsv
	sr-load --db "$PG" --since 2026-01-01T00:00:00Z --until 2026-01-08T00:00:00Z a.tsv
	# One statement is one snapshot: the rows and the meta row of the same load.
	cat > reader.sql <<-'EOF'
	SELECT count(*), count(DISTINCT category_id), min(product_id), max(product_id), sum(total_sold),
	    (SELECT row_count || '/' || category_count || '/' || window_since FROM sales_rank_meta) FROM sales_rank;
	EOF
	for n in 1 2; do
		(
			while [ ! -e stop ]; do
				for i in 1 2 3 4 5 6 7 8 9 10; do cat reader.sql; done | psql -qXAt -v ON_ERROR_STOP=1 || exit 1
			done
		) > "reader.$n" 2> "reader.$n.err" 3>&- &
	done
	for ((i = 1; i <= reloads; i++)); do
		if ((i % 2)); then file=b.tsv; else file=a.tsv; fi
		sr-load --db "$PG" --since 2026-0$((i % 2 + 1))-01T00:00:00Z --until 2026-0$((i % 2 + 1))-08T00:00:00Z \
		    "$file" 2>> load.err || failed=$((failed + 1))
	done
	touch stop
	wait
	cat load.err reader.*.err
	[ "$failed" -eq 0 ]
	[ ! -s load.err ]
	cat reader.1 reader.2 | sort | uniq -c
	bad=$(cat reader.1 reader.2 | grep -vcxF -e '5000|100|a-0000-001|a-0099-050|499355000|5000/100/2026-01-01T00:00:00Z' \
	    -e '5050|101|b-0000-001|b-0100-050|504351075|5050/101/2026-02-01T00:00:00Z' || true)
	[ "$bad" -eq 0 ]
	# Both rankings were seen, many times.
	[ "$(grep -c '^5000|' reader.1 reader.2 | awk -F: '{ s += $2 } END { print s }')" -gt 10 ]
	[ "$(grep -c '^5050|' reader.1 reader.2 | awk -F: '{ s += $2 } END { print s }')" -gt 10 ]
	meta_is "$((reloads + 1)) 2026-0$((reloads % 2 + 1))-01T00:00:00Z 2026-0$((reloads % 2 + 1))-08T00:00:00Z $((5000 + 50 * (reloads % 2))) $((100 + reloads % 2))"
}

@test "sr-load postgresql: concurrent first loads take turns; a killed load leaves the old ranking" {
	local n pid
	for n in 1 2 3 4; do
		ranking "l$n" "$((10 + n))" 20 > "l$n.tsv"
		# Whatever isolation the database defaults to, a load sees what the one before committed.
		PGOPTIONS='-c default_transaction_isolation=serializable' sr-load --db "$PG" "l$n.tsv" 2> "err.$n" 3>&- &
	done
	wait
	cat err.*
	[ "$(cat err.*)" = "" ]
	meta_is "4 NULL NULL $(sql 'SELECT count(*) FROM sales_rank') $(sql 'SELECT count(DISTINCT category_id) FROM sales_rank')"
	db_is "SELECT count(DISTINCT substr(product_id, 1, 2)) FROM sales_rank" "1"
	check 0 "--db $PG" "$RANKING" ""
	# Killed in the middle of its COPY, which comes once the input is read whole:
	# a COPY of a million rows lasts long enough to be seen. The server rolls it back.
	ranking k 2000 500 > k.tsv
	timeout 120 sr-load --db "$PG" k.tsv 3>&- &
	pid=$!
	await "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'sr-load' AND query LIKE 'COPY%'"
	kill -9 "$pid"
	wait "$pid" || true
	rows_are "$ROWS"
	meta_is "5 NULL NULL 3 2"
}

@test "sr-load postgresql: a failed connection is one line on stderr, status 1" {
	check 1 "--db postgresql:///nosuch" "$RANKING" "" \
	    "$TOOL: postgresql: connection to server on socket \"$PGHOST/.s.PGSQL.5432\" failed: FATAL:  database \"nosuch\" does not exist\n"
	mkdir empty
	PGHOST=$PWD/empty check 1 "--db $PG" "$RANKING" "" \
	    "$TOOL: postgresql: connection to server on socket \"$PWD/empty/.s.PGSQL.5432\" failed: No such file or directory; Is the server running locally and accepting connections on that socket?\n"
	check 1 "--db postgresql://127.0.0.1:1/x?connect_timeout=5" "$RANKING" "" \
	    "$TOOL: postgresql: connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the server running on that host and accepting TCP/IP connections?\n"
	# A malformed URI is a usage error.
	check 2 "--db postgresql:///x?nosuch=1" "$RANKING" "" "$TOOL: --db: invalid URI query parameter: \"nosuch\"\n"
}

@test "sr-load postgresql: no password in the URI; PGPASSWORD and .pgpass are used" {
	local msg="$TOOL: --db: no password in the URI, where ps and shell history show it: give it in PGPASSWORD or ~/.pgpass\n"
	check 2 "--db postgresql://sr_pw:sr-secret@/sr_pw" "$RANKING" "" "$msg"
	check 2 "--db 'postgresql:///sr_pw?user=sr_pw&password=sr-secret'" "$RANKING" "" "$msg"
	check 2 "--db postgres://sr_pw:sr-secret@localhost:1/sr_pw" "$RANKING" "" "$msg"
	check 1 "--db postgresql://sr_pw@/sr_pw" "$RANKING" "" \
	    "$TOOL: postgresql: connection to server on socket \"$PGHOST/.s.PGSQL.5432\" failed: fe_sendauth: no password supplied\n"
	PGPASSWORD=sr-secret "$TOOL" --init --db postgresql://sr_pw@/sr_pw
	PGPASSWORD=sr-secret check 0 "--db postgresql://sr_pw@/sr_pw" "$RANKING" ""
	echo "*:*:sr_pw:sr_pw:sr-secret" > pgpass
	chmod 600 pgpass
	PGPASSFILE=$PWD/pgpass check 0 "--db postgresql://sr_pw@/sr_pw" "$RANKING" ""
	PGUSER=sr_pw PGDATABASE=sr_pw PGPASSFILE=$PWD/pgpass check 0 "--db postgresql://" "$RANKING" ""
	PGDATABASE=sr_pw meta_is "3 NULL NULL 3 2"
}

@test "sr-load postgresql: a load, a refused load, a failed connection, a refused URI: no memory errors or leaks" {
	local i status
	local -a vg=() args=("--db $PG in" "--db $PG bad" "--db postgresql:///nosuch in" "--db postgresql://u:pw@/x in") want=(0 1 1 2)
	# An ASan build checks itself, leaks too; any other runs under valgrind.
	if ! grep -q __asan_init "$(command -v sr-load)"; then
		command -v valgrind > /dev/null || skip "no valgrind"
		vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --log-file=vg)
	fi
	printf "$RANKING" > in
	printf 'a\t2\tp\t5\n' > bad
	for i in 0 1 2 3; do
		: > vg
		status=0
		# shellcheck disable=SC2086
		"${vg[@]}" "$(command -v sr-load)" ${args[i]} 2> err || status=$?
		if [ "$status" -ne "${want[i]}" ] || [ -s vg ] || grep -q Sanitizer err; then
			echo "-- sr-load ${args[i]}: status $status (want ${want[i]})"
			cat vg err
			return 1
		fi
	done
	rows_are "$ROWS"
}

@test "sr-load postgresql: a load that commits tells the listeners (NOTIFY sr_ranking); one that fails tells none" {
	local storetest=${SR_STORETEST:-$BATS_TEST_DIRNAME/store/storetest} pid
	[ -x "$storetest" ] || skip "no $storetest: make store-test"
	check 0 "--db $PG" "$RANKING" ""
	psql -qX -c "DROP ROLE IF EXISTS ro$BATS_TEST_NUMBER" -c "CREATE ROLE ro$BATS_TEST_NUMBER LOGIN" \
	    -c "GRANT SELECT ON sales_rank, sales_rank_meta TO ro$BATS_TEST_NUMBER" > /dev/null
	# A load that fails inside its transaction (no right to delete): no notification in 3 s.
	timeout 20 "$storetest" watch "$PG" 3 1 > w1 &
	pid=$!
	sleep 0.5
	PGUSER=ro$BATS_TEST_NUMBER check 1 "--db $PG" "$RANKING" "" "$TOOL: postgresql: permission denied for table sales_rank\n"
	wait "$pid"
	[ "$(cat w1)" = "$(printf 'listening\ntimeout')" ]
	# Three loads that commit: each seen, the generation read after it at least as new.
	timeout 30 "$storetest" watch "$PG" 5 3 > w2 &
	pid=$!
	sleep 0.5
	for g in 2 3 4; do
		check 0 "--db $PG" "$RANKING" ""
		sleep 0.5
	done
	wait "$pid"
	[ "$(cat w2)" = "$(printf 'listening\nnotified 2\nnotified 3\nnotified 4')" ]
}
