#!/usr/bin/env bats
# sr-load with least privilege: the owner makes the tables once (--init), a loader with DML
# rights only loads, a SELECT-only reader reads and cannot load, all as sr-load(1) says.
#
# Against a throwaway server (tests/pg.sh) whose public schema has PostgreSQL 15's default
# privileges: CREATE on it for its owner (pg_database_owner) only. Without PostgreSQL the tests
# are skipped, saying why (with CI=true they fail instead).

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-180}
load timeout

load helper
load pg
TOOL=sr-load

RANKING='a\t1\tp\t5\na\t2\tq\t3\nb\t1\tr\t9\n'
NOW='--now 2026-11-30T00:00:00Z'
STORETEST=${SR_STORETEST:-$BATS_TEST_DIRNAME/store/storetest}

setup_file() {
	pg_start || return 1
	[ -z "$SR_PG_SKIP" ] || return 0
	pg_env
	psql -qX -v ON_ERROR_STOP=1 -c 'CREATE ROLE sr_owner LOGIN' -c 'CREATE ROLE sr_loader LOGIN' \
	    -c 'CREATE ROLE sr_reader LOGIN' > /dev/null
}

teardown_file() {
	pg_stop
}

# Each test a database of its own, owned by sr_owner, without sr's tables; $DB names it (no user).
setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	pg_database sr_owner
	DB=$PG
}

# as ROLE COMMAND...: COMMAND with libpq connecting as ROLE.
as() {
	local role=$1
	shift
	PGUSER=$role "$@"
}

# sql QUERY: its rows, as the superuser.
sql() {
	PGUSER=postgres psql -qXAt -v ON_ERROR_STOP=1 -c "$1"
}

# load_as ROLE [ARGS...]: sr-load RANKING as ROLE; status in $status, stderr in err.
load_as() {
	local role=$1
	shift
	status=0
	printf "$RANKING" | PGUSER=$role sr-load --db "$DB" $NOW "$@" 2> err || status=$?
}

# dump ARGS: pg_dump ARGS, without the random key of its \restrict lines.
dump() {
	pg_dump "$@" | grep -v '^\\\(un\)\{0,1\}restrict '
}

# The GRANT statements of sr-load(1), as printed there.
man_grants() {
	sed -n '/^CREATE ROLE sr_loader LOGIN;$/,/^\.Ed$/p' "$BATS_TEST_DIRNAME/../man/sr-load.1" | grep -v '^CREATE ROLE\|^\.Ed'
}

@test "roles: the premise: PostgreSQL 15's defaults, neither the loader nor the reader may create in public" {
	[ "$(sql "SELECT current_setting('server_version_num')::int >= 150000")" = t ] ||
	    skip "PostgreSQL before 15 gives PUBLIC CREATE on public"
	[ "$(sql "SELECT has_schema_privilege('sr_loader', 'public', 'CREATE'),
	    has_schema_privilege('sr_reader', 'public', 'CREATE'), has_schema_privilege('sr_owner', 'public', 'CREATE'),
	    has_schema_privilege('sr_loader', 'public', 'USAGE')")" = "f|f|t|t" ]
	[ "$(man_grants | grep -c '^GRANT')" = 3 ]
}

@test "roles: --init as the owner; the loader, with only the man page's GRANTs, loads and bumps the generation, stderr empty" {
	local i
	# Before --init: a plain load, even the owner's, is refused with the hint, and creates nothing.
	for role in sr_loader sr_owner; do
		load_as "$role"
		[ "$status" -eq 1 ] && [ "$(cat err)" = "$TOOL: postgresql: not loaded: the database has no tables sales_rank and sales_rank_meta: run sr-load --init first, as a role that may create them (see sr-load(1))" ] ||
		    { echo "$role: $status: $(cat err)"; return 1; }
	done
	[ "$(sql "SELECT count(*) FROM pg_class WHERE relname LIKE 'sales_rank%'")" = 0 ]
	# The loader may not create them.
	run as sr_loader sr-load --init --db "$DB"
	[ "$status" -eq 1 ] && [ "$output" = "$TOOL: postgresql: permission denied for schema public" ]
	# The owner does, and again changes nothing.
	run as sr_owner sr-load --init --db "$DB"
	[ "$status" -eq 0 ] && [ -z "$output" ]
	dump -s > before
	run as sr_owner sr-load --init --db "$DB"
	[ "$status" -eq 0 ] && [ -z "$output" ]
	dump -s | diff before -
	[ "$(sql "SELECT string_agg(tableowner, ' ') FROM pg_tables WHERE tablename LIKE 'sales_rank%'")" = "sr_owner sr_owner" ]
	man_grants | as sr_owner psql -qX -v ON_ERROR_STOP=1 > /dev/null
	for i in 1 2 3; do
		load_as sr_loader --days 7
		[ "$status" -eq 0 ] && [ ! -s err ] || { echo "load $i: $status: $(cat err)"; return 1; }
		[ "$(sql "SELECT generation, row_count, category_count, window_since FROM sales_rank_meta")" = "$i|3|2|2026-11-23T00:00:00Z" ]
	done
	[ "$(sql "SELECT string_agg(category_id || rank || product_id || total_sold, ' ' ORDER BY id) FROM sales_rank")" = "a1p5 a2q3 b1r9" ]
	# The loader still owns nothing and may create nothing.
	[ "$(sql "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'sr_loader'")" = 0 ]
}

@test "roles: the SELECT-only reader cannot load (status 1, one line, nothing changed) and reads through the store" {
	as sr_owner sr-load --init --db "$DB"
	man_grants | as sr_owner psql -qX -v ON_ERROR_STOP=1 > /dev/null
	load_as sr_loader
	[ "$status" -eq 0 ]
	dump -a > before
	load_as sr_reader
	[ "$status" -eq 1 ] && [ "$(cat err)" = "$TOOL: postgresql: permission denied for table sales_rank" ] ||
	    { echo "$status: $(cat err)"; return 1; }
	run as sr_reader sr-load --init --db "$DB"
	[ "$status" -eq 1 ] && [ "$output" = "$TOOL: postgresql: permission denied for schema public" ]
	dump -a | diff before -
	if [ -x "$STORETEST" ]; then
		run as sr_reader "$STORETEST" read "$DB"
		[ "$status" -eq 0 ] && [ "${lines[3]}" = "$(printf 'b\t1\tr\t9')" ] && [[ ${lines[4]} == "read 1 "* ]]
	fi
	# A loader lacking any one of the rights the man page grants it is refused with one line too,
	# and changes nothing: each is needed.
	local right tbl grant n=0
	man_grants | tr '\n' ' ' | tr ';' '\n' | sed -n 's/^ *GRANT \(.*\) ON \(.*\) TO sr_loader *$/\1:\2/p' |
	    tr -d ' ' > needed
	while IFS=: read -r grant tbl; do
		for right in ${grant//,/ }; do
			as sr_owner psql -qX -c "REVOKE $right ON $tbl FROM sr_loader" > /dev/null
			load_as sr_loader
			as sr_owner psql -qX -c "GRANT $right ON $tbl TO sr_loader" > /dev/null
			[ "$status" -eq 1 ] && [ "$(cat err)" = "$TOOL: postgresql: permission denied for table $tbl" ] ||
			    { echo "without $right on $tbl: $status: $(cat err)"; return 1; }
			dump -a | diff before -
			n=$((n + 1))
		done
	done < needed
	[ "$n" -eq 5 ]
	echo "# $n rights of the loader, each needed" >&3
}

@test "roles: 4 concurrent --init on a new database take turns: all succeed, one set of tables" {
	local i pids=()
	for i in 1 2 3 4; do
		as sr_owner timeout 60 sr-load --init --db "$DB" 2> "err.$i" &
		pids+=($!)
	done
	for i in 0 1 2 3; do
		wait "${pids[i]}"
	done
	cat err.*
	[ -z "$(cat err.*)" ]
	[ "$(sql "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'sales_rank%'")" = 2 ]
	[ "$(sql "SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'sales_rank%'")" = 3 ]
}

@test "roles: a server WARNING is one line in sr's format, never libpq's raw WARNING:" {
	# An event trigger that warns on every CREATE: --init runs two CREATE TABLEs and a CREATE INDEX.
	sql "CREATE FUNCTION warn() RETURNS event_trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE WARNING 'sr test: %', tg_tag; END \$\$;
	    CREATE EVENT TRIGGER warn ON ddl_command_start EXECUTE FUNCTION warn();" > /dev/null
	run as sr_owner sr-load --init --db "$DB"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' "$TOOL: postgresql: warning: sr test: CREATE TABLE" "$TOOL: postgresql: warning: sr test: CREATE INDEX" \
	    "$TOOL: postgresql: warning: sr test: CREATE TABLE")" ]
	[[ $output != *WARNING* ]]
}
