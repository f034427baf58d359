# pg.bash: a throwaway PostgreSQL server for a bats file, and a database of its own for each test;
# shared by store.bats, sr-load-pg.bats, sr-load-roles.bats and sr-serve-pg.bats (`load pg`).
#
# Without PostgreSQL the tests that need it are skipped, saying why; with CI=true
# the file fails instead. A file that needs more (another server, roles) defines
# its own setup_file and teardown_file, calling pg_start and pg_stop.

setup_file() {
	pg_start
}

teardown_file() {
	pg_stop
}

# pg_start [SCRIPT]: in setup_file, start the server(s) with tests/SCRIPT (default pg.sh; pg-replica.sh
# for a primary and a hot standby), its settings in $SR_PG_ENV; if it cannot, SR_PG_SKIP says why.
pg_start() {
	local script=${1:-pg.sh} out
	export SR_PG_ENV="$BATS_FILE_TMPDIR/pg.env" SR_PG_SKIP="" SR_PG_SCRIPT=$script
	if ! out=$(timeout 120 "$BATS_TEST_DIRNAME/$script" start "$SR_PG_ENV" 2>&1); then
		out=$(printf '%s' "$out" | tr '\n' ' ')
		if [ "${CI:-}" = true ]; then
			echo "PostgreSQL is needed in CI, and tests/$script could not start it: $out" >&2
			return 1
		fi
		SR_PG_SKIP="no PostgreSQL server (tests/$script start: $out)"
	fi
}

# pg_stop: in teardown_file, stop what pg_start started.
pg_stop() {
	if [ -z "$SR_PG_SKIP" ]; then
		"$BATS_TEST_DIRNAME/$SR_PG_SCRIPT" stop "$SR_PG_ENV"
	fi
}

# pg_env: only the settings of the throwaway server (of the primary), none of the caller's PG* variables.
pg_env() {
	unset "${!PG@}"
	# shellcheck disable=SC1090
	. "$SR_PG_ENV"
}

# pg_database [OWNER]: this test's own empty database t$BATS_TEST_NUMBER (owned by OWNER), named by
# PGDATABASE and by the URI $PG; the test is skipped if there is no server.
pg_database() {
	[ -z "$SR_PG_SKIP" ] || skip "$SR_PG_SKIP"
	pg_env
	psql -qX -d postgres -c "CREATE DATABASE t$BATS_TEST_NUMBER${1:+ OWNER $1}" > /dev/null
	export PGDATABASE=t$BATS_TEST_NUMBER
	PG=postgresql:///$PGDATABASE
}
