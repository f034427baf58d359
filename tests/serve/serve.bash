# serve.bash: starting sr-serve for a test and asking it, shared by sr-serve.bats, sr-serve-ops.bats and sr-serve-pg.bats.

# serve [as USER] DB [options]: start sr-serve on a free loopback port; sets URL, PORT, SERVE_PID, SERVE_LOG.
serve() {
	local i run=()
	# setpriv execs sr-serve: SERVE_PID is sr-serve's own.
	[ "$1" != as ] || { run=(setpriv --reuid "$2" --regid "$(id -g "$2")" --clear-groups --); shift 2; }
	SERVE_LOG="$BATS_TEST_TMPDIR/serve.$RANDOM.err"
	: > "$SERVE_LOG"
	"${run[@]}" sr-serve --db "$@" --listen 127.0.0.1:0 2> "$SERVE_LOG" 3>&- &
	SERVE_PID=$!
	SERVE_PIDS="${SERVE_PIDS-} $SERVE_PID"
	PORT=""
	for ((i = 0; i < 200; i++)); do
		PORT=$(sed -n 's|^sr-serve: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$SERVE_LOG")
		[ -z "$PORT" ] || break
		sleep 0.05
	done
	[ -n "$PORT" ] || { echo "sr-serve did not start:"; cat "$SERVE_LOG"; return 1; }
	URL=http://127.0.0.1:$PORT
}

# stop_all [PID...]: in teardown, end the processes PID and every sr-serve that serve started, and wait for them.
stop_all() {
	local p
	for p in "$@" ${SERVE_PIDS-}; do
		kill "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
}

# get PATH [curl options]: sets STATUS; the body is in .body (none: no file), the headers in .headers.
get() {
	local path=$1
	shift
	rm -f .body .headers
	STATUS=$(curl -sS --max-time 10 -o .body -D .headers -w '%{http_code}' "$@" "$URL$path")
}

# header NAME: the value of a header of the last reply.
header() {
	sed -n "s/^$1: \(.*\)\r\$/\1/Ip" .headers
}

# products_tsv FILE: a reply's products as rank, product_id, total_sold lines.
products_tsv() {
	jq -r '.products[] | [.rank, .product_id, .total_sold] | @tsv' "$@"
}
