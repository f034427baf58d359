#!/bin/sh
# A throwaway PostgreSQL primary and a streaming hot standby of it, on unix sockets in one temporary directory.
#
#   tests/pg-replica.sh start FILE          start both; FILE gets the primary's PG* settings,
#                                           FILE.standby the standby's (sh syntax)
#   tests/pg-replica.sh stop-standby FILE   stop the standby (fast shutdown), keeping its data
#   tests/pg-replica.sh start-standby FILE  start it again: it streams what it missed
#   tests/pg-replica.sh stop FILE           stop both and remove the directory
#
# The primary is tests/pg.sh's server (port 5432; wal_level replica and
# max_wal_senders are PostgreSQL's defaults, and initdb's trust lines let
# local replication connections in). The standby is made from it by
# `pg_basebackup -R` with a replication slot of its own (so the primary keeps
# the WAL a stopped standby has not had yet), and runs with hot_standby on,
# on port 5433 in the same socket directory. No TCP anywhere. As root, both
# run as the user postgres. FILE.standby also names SR_PG_PRIMARY_PORT.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
STANDBY_PORT=5433

usage() {
	echo "usage: tests/pg-replica.sh start|stop|stop-standby|start-standby FILE" >&2
	exit 2
}

as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

load() {
	SR_PG_DIR="" SR_PG_BIN=""
	# shellcheck disable=SC1090
	. "$1"
}

standby_start() {
	load "$1"
	as_server "$SR_PG_BIN/pg_ctl" -D "$SR_PG_DIR/standby" -l "$SR_PG_DIR/standby.log" -w -t 30 \
	    -o "-c listen_addresses='' -c unix_socket_directories='$SR_PG_DIR' -p $STANDBY_PORT -c fsync=off -c hot_standby=on" \
	    start > /dev/null 2>&1 || { echo "pg-replica.sh: the standby did not start in $SR_PG_DIR" >&2;
		tail -n 5 "$SR_PG_DIR/standby.log" >&2; return 1; }
}

standby_stop() {
	load "$1"
	[ -n "$SR_PG_DIR" ] && [ -f "$SR_PG_DIR/standby/postmaster.pid" ] || return 0
	as_server "$SR_PG_BIN/pg_ctl" -D "$SR_PG_DIR/standby" -m fast -w -t 30 stop > /dev/null 2>&1
}

start() {
	"$here/pg.sh" start "$1"
	load "$1"
	if ! as_server "$SR_PG_BIN/pg_basebackup" -h "$SR_PG_DIR" -p "$PGPORT" -U postgres -D "$SR_PG_DIR/standby" \
	    -R -C -S sr_standby -X stream -c fast --no-sync > "$SR_PG_DIR/basebackup.log" 2>&1; then
		echo "pg-replica.sh: pg_basebackup failed" >&2
		tail -n 5 "$SR_PG_DIR/basebackup.log" >&2
		"$here/pg.sh" stop "$1"
		exit 1
	fi
	standby_start "$1" || { "$here/pg.sh" stop "$1"; exit 1; }
	cat > "$1.standby" <<-EOF
	PGHOST='$SR_PG_DIR'
	PGPORT=$STANDBY_PORT
	PGUSER=postgres
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
	SR_PG_DIR='$SR_PG_DIR'
	SR_PG_BIN='$SR_PG_BIN'
	SR_PG_PRIMARY_PORT=$PGPORT
	EOF
	# Ready when it answers as a standby.
	i=0
	until [ "$(PGHOST=$SR_PG_DIR PGPORT=$STANDBY_PORT PGUSER=postgres PGDATABASE=postgres \
	    "$SR_PG_BIN/psql" -qXAt -c 'SELECT pg_is_in_recovery()' 2> /dev/null)" = t ]; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || { echo "pg-replica.sh: the standby does not answer" >&2; stop "$1"; exit 1; }
		sleep 0.1
	done
}

stop() {
	standby_stop "$1" || true
	if [ -n "$SR_PG_DIR" ] && [ -f "$SR_PG_DIR/standby/postmaster.pid" ]; then
		as_server "$SR_PG_BIN/pg_ctl" -D "$SR_PG_DIR/standby" -m immediate -w stop > /dev/null 2>&1 || true
	fi
	"$here/pg.sh" stop "$1"
	rm -f "$1.standby"
}

[ $# -eq 2 ] || usage
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
stop-standby) standby_stop "$2" ;;
start-standby) standby_start "$2" ;;
*) usage ;;
esac
