#!/bin/sh
# A throwaway PostgreSQL server for the tests, on a unix socket in a temporary directory, nothing on the network.
#
#   tests/pg.sh start FILE   create and start a cluster, write its PG* settings to FILE (sh syntax)
#   tests/pg.sh stop FILE    stop the cluster FILE names and remove its directory
#
# As root, initdb and the server run as the user postgres (Debian's postgresql
# package creates it), since PostgreSQL refuses to run as root. The cluster
# trusts every local connection, except for the role sr_pw, which needs the
# password sr-secret: the tests of PGPASSWORD and .pgpass use it.
set -eu

usage() {
	echo "usage: tests/pg.sh start|stop FILE" >&2
	exit 2
}

# The newest PostgreSQL installed: pg_config's bindir (libpq-dev) or Debian's /usr/lib/postgresql/N/bin.
server_bindir() {
	found=""
	for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			found=$d
		fi
	done
	[ -n "$found" ] || { echo "pg.sh: no initdb and pg_ctl: install Debian's postgresql" >&2; return 1; }
	echo "$found"
}

as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# fail MESSAGE LOG: say why on one line, then the end of the log, and give up, leaving no directory.
fail() {
	echo "pg.sh: $1" >&2
	if [ -f "$2" ]; then
		tail -n 5 "$2" >&2
	fi
	if [ -n "${dir:-}" ]; then
		rm -rf "$dir"
	fi
	exit 1
}

start() {
	# The server takes defaults from some PG* variables too (PGCLIENTENCODING): none of the caller's.
	for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do
		unset "$v"
	done
	bin=$(server_bindir)
	if [ "$(id -u)" -eq 0 ]; then
		id postgres > /dev/null 2>&1 || fail "no user postgres to run the server as: install postgresql" ""
		# In /tmp, whatever TMPDIR says: the user postgres must reach it.
		dir=$(mktemp -d /tmp/sr-pg.XXXXXX)
		chown postgres "$dir"
	else
		dir=$(mktemp -d "${TMPDIR:-/tmp}/sr-pg.XXXXXX")
	fi
	as_server "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
	    > "$dir/initdb.log" 2>&1 || fail "initdb failed in $dir" "$dir/initdb.log"
	as_server sh -c 'f=$1/pg_hba.conf && { echo "local all sr_pw scram-sha-256"; cat "$f"; } > "$f.new" &&
	    mv "$f.new" "$f"' sh "$dir/data"
	as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
	    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p 5432 -c fsync=off" start \
	    > /dev/null 2>&1 || fail "the server did not start in $dir" "$dir/server.log"
	cat > "$1" <<-EOF
	PGHOST='$dir'
	PGPORT=5432
	PGUSER=postgres
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
	SR_PG_DIR='$dir'
	SR_PG_BIN='$bin'
	EOF
	PGHOST=$dir PGPORT=5432 PGUSER=postgres PGDATABASE=postgres "$bin/psql" -qX -v ON_ERROR_STOP=1 \
	    -c "CREATE ROLE sr_pw LOGIN PASSWORD 'sr-secret'" -c "CREATE DATABASE sr_pw OWNER sr_pw" \
	    > /dev/null 2>&1 || { stop "$1"; dir=""; fail "could not create the role sr_pw" ""; }
}

stop() {
	SR_PG_DIR="" SR_PG_BIN=""
	# shellcheck disable=SC1090
	. "$1"
	[ -n "$SR_PG_DIR" ] && [ -d "$SR_PG_DIR" ] || return 0
	as_server "$SR_PG_BIN/pg_ctl" -D "$SR_PG_DIR/data" -m immediate -w stop > /dev/null 2>&1 || true
	rm -rf "$SR_PG_DIR"
}

[ $# -eq 2 ] || usage
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
*) usage ;;
esac
