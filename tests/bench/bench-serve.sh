#!/usr/bin/env bash
# bench-serve.sh: sr-serve's /api/v1/popular under wrk, from SQLite and from PostgreSQL, direct and through nginx, against nginx serving the same body from memory, and under reloads.
#
# usage: tests/bench/bench-serve.sh
#
# Ranks a generated log into the seed's shape, 1000 categories x top 100
# (100,000 rows), loads it with sr-load and starts sr-serve on a free loopback
# port. Then, BENCH_ROUNDS times (default 2), interleaved: wrk -t1 -c32 for
# BENCH_SECONDS (default 10) on /api/v1/popular?category_id=C (all 100
# products, about 6 KB) and on &limit=10, and the same on nginx answering the
# 100-product body with `return 200` from its configuration. The same ranking
# is also loaded into a throwaway PostgreSQL server (tests/pg.sh) and served
# by a second sr-serve from it (--db postgresql:///bench): each run on the
# SQLite one is paired with the same run on the PostgreSQL one, their order
# swapped every round, and both are measured through nginx as a reverse
# proxy too (tests/serve/nginx.conf's proxy settings). Replies come from
# memory either way, so the PostgreSQL rate should be within 10% of SQLite's
# (the table says whether it is; the per-round ratios are printed). Last, a run on
# sr-serve while sr-load replaces the ranking every second, alternating two
# rankings, with a wrk script that checks each body against the ranking of
# its generation: a torn body (a mix of two loads) or any error fails it.
#
# Prints a Markdown table: req/s, p99 and the server's CPU time per request of each
# run, the best of the rounds,
# and the ratio of sr-serve to nginx. Targets (issue 5): >= 40,000 req/s,
# p99 <= 5 ms, >= 0.6x nginx; 0 errors and 0 torn bodies under reloads. Exit
# status 1 if a correctness check fails (never for speed alone: the machine is
# shared), 2 on bad usage.
#
# Environment: SR_BIN (the sr tools, default bin/), BENCH_SECONDS, BENCH_ROUNDS,
# BENCH_KEEP=1 (keep the temp directory), BENCH_PG=0 (SQLite only; also when
# PostgreSQL cannot be started, which is said). Needs wrk, nginx, curl, jq (tests/deps.sh).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${SR_BIN:-$root/bin}
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-2}
now=2026-11-30T00:00:00Z
end=1795996800 # now, epoch seconds

[ $# -eq 0 ] || { echo "usage: tests/bench/bench-serve.sh" >&2; exit 2; }
for c in wrk nginx curl jq; do
	command -v "$c" > /dev/null || { echo "bench-serve: $c is needed (sh tests/deps.sh)" >&2; exit 1; }
done

tmp=$(mktemp -d)
pids=()
pg=""
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
	if [ -n "$pg" ]; then "$root/tests/pg.sh" stop "$tmp/pg.env"; fi
	if [ "${BENCH_KEEP:-}" = 1 ]; then echo "bench-serve: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# rank SEED FILE: a week's ranking of a 2M-row generated log, top 100 of 1000 categories.
rank() {
	"$here/sr-gen" -n 2000000 --seed "$1" --categories 1000 --end "$end" --format epoch |
	    "$bin/sr-map" --now "$now" | "$bin/sr-sort" | "$bin/sr-reduce" | "$bin/sr-topk" -n 100 > "$2"
}

echo "bench-serve: ranking two generated logs" >&2
rank 1 "$tmp/a.tsv"
rank 2 "$tmp/b.tsv"
"$bin/sr-load" --db "$tmp/r.db" --now "$now" "$tmp/a.tsv"
# The category with the most products in both rankings; its replies are compared below.
cat=$(cut -f 1 "$tmp/a.tsv" | uniq -c | sort -k1,1nr -k2,2 | awk 'NR == 1 { print $2 }')

# listen_port ERRFILE: the port sr-serve says it listens on in ERRFILE, once it says so.
listen_port() {
	local p=""
	for _ in $(seq 200); do
		p=$(sed -n 's|^sr-serve: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$1")
		[ -n "$p" ] && break
		sleep 0.05
	done
	[ -n "$p" ] || { cat "$1" >&2; return 1; }
	echo "$p"
}

"$bin/sr-serve" --db "$tmp/r.db" --listen 127.0.0.1:0 2> "$tmp/serve.err" &
pids+=($!)
serve_pid=$!
port=$(listen_port "$tmp/serve.err")
url="http://127.0.0.1:$port/api/v1/popular?category_id=$cat"
curl -sf "$url" > "$tmp/body.json"
jq -e '.products | length == 100' "$tmp/body.json" > /dev/null

# The same ranking in PostgreSQL, served by a second sr-serve; its body the same but for the load time.
pg_why=""
if [ "${BENCH_PG:-1}" = 0 ]; then
	pg_why="BENCH_PG=0"
elif ! "$root/tests/pg.sh" start "$tmp/pg.env" 2> "$tmp/pg.err"; then
	pg_why="tests/pg.sh could not start a server: $(tr '\n' ' ' < "$tmp/pg.err")"
else
	pg=1
	(
		# shellcheck disable=SC1091
		. "$tmp/pg.env"
		psql -qX -c "CREATE DATABASE bench" > /dev/null
		if "$bin/sr-load" --help 2>&1 | grep -q -e '--init'; then
			"$bin/sr-load" --init --db postgresql:///bench > /dev/null
		fi
		"$bin/sr-load" --db postgresql:///bench --now "$now" "$tmp/a.tsv"
	)
	(
		# shellcheck disable=SC1091
		. "$tmp/pg.env"
		exec "$bin/sr-serve" --db postgresql:///bench --listen 127.0.0.1:0
	) 2> "$tmp/pgserve.err" &
	pids+=($!)
	pg_pid=$!
	pgport=$(listen_port "$tmp/pgserve.err")
	pgurl="http://127.0.0.1:$pgport/api/v1/popular?category_id=$cat"
	cmp <(jq -c 'del(.loaded_at)' "$tmp/body.json") <(curl -sf "$pgurl" | jq -c 'del(.loaded_at)') ||
	    { echo "bench-serve: the body from PostgreSQL differs" >&2; exit 1; }
fi

# nginx: the same body, from memory, with the same Content-Type.
nport=$(free_port)
sqport=$(free_port)
pgpport=$(free_port)
mkdir -p "$tmp/nginx/tmp"
# nginx takes a string of at most 4 KB in its configuration: the body goes in pieces, joined by return.
sets=""
vars=""
body=$(cat "$tmp/body.json")
for ((i = 0; i < ${#body}; i += 3000)); do
	sets="$sets		set \$p$i '${body:i:3000}';
"
	vars="$vars\$p$i"
done
cat > "$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path tmp/body;
	proxy_temp_path tmp/proxy;
	fastcgi_temp_path tmp/fastcgi;
	uwsgi_temp_path tmp/uwsgi;
	scgi_temp_path tmp/scgi;
	server {
		listen 127.0.0.1:$nport;
		location = /api/v1/popular {
			default_type application/json;
$sets			return 200 "$vars
";
		}
	}
	# Reverse proxies to the sr-serve of SQLite and that of PostgreSQL, set as tests/serve/nginx.conf.
	upstream sr_sqlite {
		server 127.0.0.1:$port;
		keepalive 32;
	}
	upstream sr_pg {
		server 127.0.0.1:${pgport:-$port};
		keepalive 32;
	}
	server {
		listen 127.0.0.1:$sqport;
		location / {
			proxy_pass http://sr_sqlite;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
	server {
		listen 127.0.0.1:$pgpport;
		location / {
			proxy_pass http://sr_pg;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
}
EOF
nginx -p "$tmp/nginx" -e stderr -c "$tmp/nginx/nginx.conf" 2> "$tmp/nginx.err" &
pids+=($!)
nurl="http://127.0.0.1:$nport/api/v1/popular?category_id=$cat"
for _ in $(seq 100); do
	curl -sf -o "$tmp/nbody.json" "$nurl" && break
	sleep 0.05
done
cmp "$tmp/body.json" "$tmp/nbody.json" || { echo "bench-serve: nginx's body differs" >&2; exit 1; }
nginx_worker=$(pgrep -P "${pids[-1]}")

# cpu PID[,PID...]: the CPU time of the processes so far (all their threads, user and system), in clock ticks.
cpu() {
	local p t=0
	for p in ${1//,/ }; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}
hz=$(getconf CLK_TCK)

# run NAME PID URL [wrk options]: one wrk run against the server PID; appends
# "NAME req/s p99-ms errors cpu-us-per-request" to runs.
run() {
	local name=$1 pid=$2 u=$3 out rps p99 errs c0 c1 reqs us
	shift 3
	c0=$(cpu "$pid")
	out=$(wrk -t1 -c32 -d"${secs}s" --latency "$@" "$u")
	c1=$(cpu "$pid")
	echo "$out" > "$tmp/wrk.$name.$RANDOM"
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<< "$out")
	p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; print v }' <<< "$out")
	errs=$(awk '/Socket errors|Non-2xx/ { n += 1 } END { print n + 0 }' <<< "$out")
	reqs=$(awk '/ requests in / { print $1 }' <<< "$out")
	us=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v n="$reqs" 'BEGIN { printf "%.1f", c / hz * 1e6 / n }')
	echo "$name $rps $p99 $errs $us" >> "$tmp/runs"
	echo "bench-serve: $name: $rps req/s, p99 $p99 ms, $us us of CPU per request" >&2
}

sqpurl="http://127.0.0.1:$sqport/api/v1/popular?category_id=$cat"
pgpurl="http://127.0.0.1:$pgpport/api/v1/popular?category_id=$cat"
cmp "$tmp/body.json" <(curl -sf "$sqpurl") || { echo "bench-serve: the body through nginx differs" >&2; exit 1; }

# pair NAME URL-SQLITE URL-PG [wrk options]: the run on SQLite's sr-serve and the same on PostgreSQL's,
# in the order of the round (swapped every round); without PostgreSQL, SQLite's alone. The CPU
# time is sr-serve's, and also that of the processes in $also (comma-separated), if set.
pair() {
	local name=$1 su=$2 pu=$3 sp=$serve_pid${also:+,$also} pp=${pg_pid-}${also:+,$also}
	shift 3
	if [ -z "$pg" ]; then
		run "$name" "$sp" "$su" "$@"
	elif ((r % 2)); then
		run "$name" "$sp" "$su" "$@"
		run "$name-pg" "$pp" "$pu" "$@"
	else
		run "$name-pg" "$pp" "$pu" "$@"
		run "$name" "$sp" "$su" "$@"
	fi
}

for ((r = 1; r <= rounds; r++)); do
	pair sr-serve "$url" "${pgurl-}"
	run nginx "$nginx_worker" "$nurl"
	pair sr-serve-limit10 "$url&limit=10" "${pgurl-}&limit=10"
	also=$nginx_worker pair via-nginx "$sqpurl" "$pgpurl"
done

# Under reloads: two rankings alternate every second; each body must be exactly its generation's.
"$bin/sr-load" --db "$tmp/r.db" --now "$now" "$tmp/b.tsv"
sleep 1
curl -sf "$url" | jq -c '.products' > "$tmp/even.json"
"$bin/sr-load" --db "$tmp/r.db" --now "$now" "$tmp/a.tsv"
sleep 1
curl -sf "$url" | jq -c '.products' > "$tmp/odd.json"
gen0=$(curl -sf "$url" | jq .generation)
((gen0 % 2 == 1)) && ! cmp -s "$tmp/odd.json" "$tmp/even.json"
cat > "$tmp/check.lua" <<EOF
local want = {}
want[1] = io.open("$tmp/odd.json"):read("*a"):gsub("\n\$", "")
want[0] = io.open("$tmp/even.json"):read("*a"):gsub("\n\$", "")
torn, gens, seen = 0, {}, 0
response = function(status, headers, body)
	local g = tonumber(body:match('"generation":(%d+)'))
	local p = body:match('"products":(%b[])')
	if g == nil or p ~= want[g % 2] or body:sub(-3) ~= "]}\n" then torn = torn + 1 end
	if g ~= nil and gens[g] == nil then gens[g] = true; seen = seen + 1 end
end
local threads = {}
setup = function(t) table.insert(threads, t) end
done = function()
	for _, t in ipairs(threads) do
		io.write(string.format("torn %d generations %d\n", t:get("torn"), t:get("seen")))
	end
end
EOF
(
	i=0
	while :; do
		sleep 1
		if ((i++ % 2)); then f=a; else f=b; fi
		"$bin/sr-load" --db "$tmp/r.db" --now "$now" "$tmp/$f.tsv" || echo "sr-load failed" >> "$tmp/load.err"
	done
) &
pids+=($!)
run reloading "$serve_pid" "$url" -s "$tmp/check.lua"
kill "${pids[-1]}"
torn=$(cat "$tmp"/wrk.reloading.* | awk '$1 == "torn" { print $2 }')
gens=$(cat "$tmp"/wrk.reloading.* | awk '$1 == "torn" { print $4 }')
reload_errors=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "sr_serve_reload_errors_total" { print $2 }')

# best NAME FIELD: the best of the rounds (highest req/s; lowest p99 or CPU).
best() {
	awk -v n="$1" -v f="$2" '$1 == n { if (b == "" || (f == 2 ? $f > b : $f < b)) b = $f } END { print b }' "$tmp/runs"
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
# side_by_side: SQLite and PostgreSQL, the best of the rounds and the ratio of each round's pair.
side_by_side() {
	local n s p
	if [ -z "$pg" ]; then
		printf '\nPostgreSQL not measured: %s\n' "$pg_why"
		return
	fi
	printf '\n## The same ranking from SQLite and from PostgreSQL (two sr-serve, runs paired, order swapped each round)\n\n'
	printf '| run | SQLite req/s | PostgreSQL req/s | PostgreSQL ÷ SQLite (best) | per round | SQLite CPU µs/req | PostgreSQL CPU µs/req | CPU SQLite ÷ PostgreSQL | within 10%% (req/s, CPU) |\n'
	printf '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |\n'
	for n in sr-serve sr-serve-limit10 via-nginx; do
		s=$(best "$n" 2)
		p=$(best "$n-pg" 2)
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		    "$(case $n in sr-serve) echo "direct, 100 products" ;; sr-serve-limit10) echo "direct, &limit=10" ;;
		    *) echo "through nginx (proxy_pass, keepalive; CPU: sr-serve and nginx)" ;; esac)" "$s" "$p" "$(ratio "$p" "$s")" \
		    "$(paste <(awk -v n="$n" '$1 == n { print $2 }' "$tmp/runs") <(awk -v n="$n-pg" '$1 == n { print $2 }' "$tmp/runs") |
		    awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $2 / $1 }')" \
		    "$(best "$n" 5)" "$(best "$n-pg" 5)" "$(ratio "$(best "$n" 5)" "$(best "$n-pg" 5)")" \
		    "$(awk -v a="$p" -v b="$s" -v c="$(best "$n-pg" 5)" -v d="$(best "$n" 5)" \
		    'BEGIN { print (a >= 0.9 * b ? "yes" : "NO") ", " (d >= 0.9 * c ? "yes" : "NO") }')"
	done
	printf '\nThe CPU time per request is the steadier measure on a shared machine; req/s of one run moves by more than 10%%.\n\n'
}
sr=$(best sr-serve 2)
ng=$(best nginx 2)
ngc=$(best nginx 5)
cat <<EOF

## sr-serve under wrk -t1 -c32, ${secs} s per run, best of $rounds rounds

$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m); 1000 categories x top 100; the body of category $cat: $(wc -c < "$tmp/body.json") bytes, 100 products.

| server | req/s | p99 ms | × nginx | CPU µs per request | × nginx's CPU |
| --- | ---: | ---: | ---: | ---: | ---: |
| sr-serve, /api/v1/popular (100 products) | $sr | $(best sr-serve 3) | $(ratio "$sr" "$ng") | $(best sr-serve 5) | $(ratio "$ngc" "$(best sr-serve 5)") |
| sr-serve, &limit=10 | $(best sr-serve-limit10 2) | $(best sr-serve-limit10 3) | $(ratio "$(best sr-serve-limit10 2)" "$ng") | $(best sr-serve-limit10 5) | $(ratio "$ngc" "$(best sr-serve-limit10 5)") |
| nginx, the same body from memory (\`return 200\`) | $ng | $(best nginx 3) | 1.00 | $ngc | 1.00 |
| sr-serve while sr-load reloads every second | $(best reloading 2) | $(best reloading 3) | $(ratio "$(best reloading 2)" "$ng") | $(best reloading 5) | $(ratio "$ngc" "$(best reloading 5)") |

Under reloads: $gens generations served, $torn torn or wrong bodies, $(awk '$1 == "reloading" { print $4 }' "$tmp/runs") wrk error lines, $reload_errors failed reloads.
The CPU time per request (the server's user and system time over the requests it
answered) moves less than req/s when other jobs share the machine.
$(side_by_side)
Every run: $(awk '{ printf "%s%s %s req/s p99 %s ms %s us/req", (NR > 1 ? "; " : ""), $1, $2, $3, $5 }' "$tmp/runs").
EOF
[ "$torn" -eq 0 ] && [ "$gens" -ge 2 ] && [ "$reload_errors" -eq 0 ] && [ ! -s "$tmp/load.err" ] &&
    [ "$(awk '$1 == "reloading" { print $4 }' "$tmp/runs")" -eq 0 ]
