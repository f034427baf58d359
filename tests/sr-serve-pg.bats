#!/usr/bin/env bats
# sr-serve from PostgreSQL: the same bytes as from SQLite, a new load noticed within a second, two instances on a hot standby behind nginx, the standby stopped and started.
#
# The file starts its own primary and streaming hot standby (tests/pg-replica.sh)
# and gives each test a database of its own on the primary. Without
# PostgreSQL or nginx the tests are skipped, saying why; with CI=true they
# fail instead. Needs curl, jq and python3.

load helper
load serve/serve
load pg
TOOL=sr-serve
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout
# run.sh: waits 50

NOW=2026-11-30T00:00:00Z
END=1795996800 # NOW, epoch seconds

setup_file() {
	pg_start pg-replica.sh
}

teardown_file() {
	pg_stop
}

# Each test in an empty directory and an empty database of its own on the primary, named by --db $PG.
setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	pg_database
}

teardown() {
	stop_all ${NGINX_PID-}
	if [ -n "${STOPPED-}" ]; then
		standby_signal CONT || true
	fi
	if [ -z "$SR_PG_SKIP" ] && [ -f "$SR_PG_ENV.standby" ]; then
		"$BATS_TEST_DIRNAME/pg-replica.sh" start-standby "$SR_PG_ENV" 2> /dev/null || true
	fi
}

# primary, standby: the PG* settings of that server (PGDATABASE kept).
primary() {
	local db=${PGDATABASE-}
	# shellcheck disable=SC1090
	. "$SR_PG_ENV"
	[ -z "$db" ] || export PGDATABASE=$db
}
standby() {
	local db=${PGDATABASE-}
	# shellcheck disable=SC1090
	. "$SR_PG_ENV.standby"
	[ -z "$db" ] || export PGDATABASE=$db
}

need() {
	command -v "$1" > /dev/null && return 0
	[ "${CI:-}" != true ] || { echo "$1 is needed in CI ($2) and is not installed"; return 1; }
	skip "$1 is not installed: $2 is not tested"
}

# load_pg RANKING [sr-load options]: load RANKING into $PG on the primary (the tables made first if need be).
load_pg() {
	local file=$1
	shift
	if sr-load --help 2>&1 | grep -q -e '--init' && [ -z "${PG_INITED-}" ]; then
		sr-load --init --db "$PG" > /dev/null
		PG_INITED=1
	fi
	(primary && sr-load --db "$PG" --now "$NOW" "$@" "$file")
}

# edge_ids: rewrite a generated log's product and category ids, some of them, to ids that JSON, URLs and SQL
# must all carry exactly: UTF-8 of 2, 3 and 4 bytes, 255-byte ids, quotes, backslashes, URL delimiters.
edge_ids() {
	awk -F '\t' -v OFS='\t' 'BEGIN {
		e = "\303\251"; for (i = 0; i < 127; i++) long2 = long2 e;	# 254 bytes of é
		for (i = 0; i < 250; i++) longa = longa "p";
		n = split("caf\303\251|\346\227\245\346\234\254\350\252\236|\360\237\233\222 cart|a\"b|back\\slash|q'"'"'uote|" \
		    "sp ace|%41&x=1+2#h?y/z;|<tag>|\\u0041|" long2 "x|" longa "tail!", cats, "|")
	}
	{
		if ($3 % 3 == 0) $3 = cats[int($3 / 3) % n + 1]
		if ($2 % 5 == 0) $2 = longa sprintf("%05d", $2 % 100000)
		else if ($2 % 5 == 1) $2 = "\"" $2 "\\" "\303\251\360\237\233\222"
		print
	}'
}

# ranking SEED CATEGORIES K EDGE: sr-topk output of a 20,000-row generated week (edge ids if EDGE is 1).
ranking() {
	sr-gen -n 20000 --seed "$1" --categories "$2" --products 3000 --end "$END" --format epoch |
	    if [ "$4" = 1 ]; then edge_ids; else cat; fi |
	    sr-map --now "$NOW" | sr-sort | sr-reduce | sr-topk -n "$3"
}

# ask URL PATHS_FILE: every path of PATHS_FILE from URL over one connection, status line, headers and body each,
# with what may differ between two servers of the same ranking normalised: the Date header, and /healthz's
# age_seconds (a whole number: two servers read a second apart may differ by one).
ask() {
	sed "s|^|url = \"$1|; s|\$|\"|" "$2" > .curlcfg
	curl -sS -i --max-time 60 --config .curlcfg |
	    sed -e '/^Date: /d' -e 's/"age_seconds":[0-9][0-9]*/"age_seconds":N/'
}

# metric_names URL: the names of the series of /metrics, and the values of the generation and health.
metric_names() {
	curl -sS "$1/metrics" | awk '/^sr_serve_(cache_generation|healthy) / { print } !/^#/ { sub(/[{ ].*/, ""); print }' | sort -u
}

# caught_up TRIES GEN: both instances ($P1, $P2) healthy, database up, at generation GEN, asked
# every 50 ms up to TRIES times; counts the replies in $tries.
caught_up() {
	local i p down
	for ((i = 0; i < $1; i++)); do
		down=0
		for p in $P1 $P2; do
			tries=$((${tries:-0} + 1))
			URL=http://127.0.0.1:$p
			get /healthz
			[ "$STATUS" = 200 ] && [ "$(jq .generation .body)" = "$2" ] && [ "$(metric "$URL" sr_serve_db_up)" = 1 ] ||
			    down=$((down + 1))
		done
		[ "$down" -gt 0 ] || return 0
		sleep 0.05
	done
	echo "not caught up after $tries tries"
	cat .body
	return 1
}

@test "sr-serve --db postgresql://: the same bytes as --db file.db for the same ranking, every endpoint, 8 rankings with edge ids" {
	local i seed cats k edge n at paths=0 cmp=0 sq pg
	need sr-gen "sr-gen (make gen) makes the rankings"
	for ((i = 1; i <= 8; i++)); do
		seed=$((RANDOM + i)) cats=$((i % 4 == 1 ? 1 : i * 37)) k=$((i % 3 == 0 ? 1 : i * 13)) edge=$((i % 2))
		ranking "$seed" "$cats" "$k" "$edge" > r$i.tsv
		[ -s r$i.tsv ]
		sr-load --db r$i.db --now "$NOW" r$i.tsv
		PG=postgresql:///t${BATS_TEST_NUMBER}_$i PG_INITED=""
		psql -qX -c "CREATE DATABASE t${BATS_TEST_NUMBER}_$i" > /dev/null
		load_pg r$i.tsv
		# The load time is the only field the two loads wrote differently: PostgreSQL gets SQLite's, to the byte.
		at=$(sqlite3 r$i.db 'SELECT loaded_at FROM sales_rank_meta')
		psql -qX -d "t${BATS_TEST_NUMBER}_$i" -c "UPDATE sales_rank_meta SET loaded_at = '$at'" > /dev/null
		serve r$i.db
		sq=$URL
		serve "$PG"
		pg=$URL
		# Every path: the page, the list, the health check, each category's ranking whole and cut, errors.
		curl -sS "$sq/api/v1/categories" | jq -r '.categories[].category_id | @uri' > cats
		n=$(wc -l < cats)
		[ "$n" -eq "$(cut -f 1 r$i.tsv | uniq | wc -l)" ]
		{
			printf '%s\n' / /api/v1/categories /healthz /api/v1/popular '/api/v1/popular?category_id=nope' /nope
			sed 's|^|/api/v1/popular?category_id=|' cats
			sed 's|^|/api/v1/popular?category_id=|; s|$|\&limit=1|' cats
			sed 's|^|/api/v1/popular?category_id=|; s|$|\&limit=7|' cats
		} > paths
		ask "$sq" paths > sqlite.out
		ask "$pg" paths > pg.out
		# Every category's ranking is there (200), and the rows are the file's.
		[ "$(grep -c '^HTTP/1.1 200 ' sqlite.out)" -eq $((3 * n + 3)) ] || { grep '^HTTP' sqlite.out | sort | uniq -c; return 1; }
		cmp sqlite.out pg.out || { diff sqlite.out pg.out | head -n 20; echo "ranking $i: seed $seed, $cats categories, top $k, edge $edge"; return 1; }
		# /metrics: the same series, the same generation and health.
		diff <(metric_names "$sq") <(metric_names "$pg")
		paths=$((paths + $(wc -l < paths)))
		cmp=$((cmp + $(wc -c < pg.out)))
		kill $SERVE_PIDS
		wait $SERVE_PIDS 2> /dev/null || true
		SERVE_PIDS=""
	done
	echo "# 8 rankings (1 to 296 categories, top 1 to 91, 4 with edge ids): $paths requests each way, $cmp bytes the same" >&3
}

@test "sr-serve --db postgresql://: a password in the URI refused as sr-load refuses it; PG* variables, .pgpass, a role with SELECT only" {
	local uri want
	# The password: refused before connecting, in sr-load's words.
	for uri in 'postgresql://sr_pw:sr-secret@/sr_pw' 'postgres://u:x@h/db' 'postgresql:///db?password=x' \
	    'postgresql://sr_pw@/sr_pw?sslmode=disable&password=sr-secret'; do
		run timeout 10 sr-load --db "$uri" /dev/null
		want=${output//sr-load:/sr-serve:}
		[ "$status" -eq 2 ]
		run timeout 10 sr-serve --db "$uri" --listen 127.0.0.1:0
		[ "$status" -eq 2 ] && [ "$output" = "$want" ] || { echo "-- $uri: $status: $output (want $want)"; return 1; }
	done
	# The role sr_pw's own database, loaded with PGPASSWORD, served through ~/.pgpass (PGPASSFILE).
	printf 'a\t1\tp\t5\na\t2\tq\t3\nb\t1\tr\t9\n' > r.tsv
	PG=postgresql://sr_pw@/sr_pw
	PGPASSWORD=sr-secret load_pg r.tsv
	printf '*:*:sr_pw:sr_pw:sr-secret\n' > pgpass
	chmod 600 pgpass
	PGPASSFILE=$PWD/pgpass serve "$PG"
	get '/api/v1/popular?category_id=a'
	[ "$STATUS" = 200 ] && [ "$(products_tsv .body | tr '\t\n' ' ')" = "1 p 5 2 q 3 " ]
	# Without it: refused, said on one line.
	run timeout 10 env PGPASSFILE=/nonexistent sr-serve --db "$PG" --listen 127.0.0.1:0
	[ "$status" -eq 1 ] && [[ $output == "sr-serve: "*"password"* ]] || { echo "$status: $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ]
	# A role that may only SELECT the two tables serves them; one that may not is refused.
	PG=postgresql:///$PGDATABASE PG_INITED=""
	load_pg r.tsv
	psql -qX -v ON_ERROR_STOP=1 -c "CREATE ROLE sr_reader$BATS_TEST_NUMBER LOGIN" \
	    -c "GRANT SELECT ON sales_rank, sales_rank_meta TO sr_reader$BATS_TEST_NUMBER" > /dev/null
	PGUSER=sr_reader$BATS_TEST_NUMBER serve "$PG"
	get '/api/v1/popular?category_id=b'
	[ "$STATUS" = 200 ] && [ "$(products_tsv .body | tr '\t\n' ' ')" = "1 r 9 " ]
	psql -qX -c "REVOKE SELECT ON sales_rank, sales_rank_meta FROM sr_reader$BATS_TEST_NUMBER" > /dev/null
	run timeout 10 env PGUSER=sr_reader$BATS_TEST_NUMBER sr-serve --db "$PG" --listen 127.0.0.1:0
	[ "$status" -eq 1 ] && [[ $output == *"permission denied"* ]] || { echo "$status: $output"; return 1; }
}

# The rankings of the next tests: load number L (its generation, the database being new) encoded in its rows,
# so that a reply shows whether it is whole: 2 + L % 3 categories c0, c1...; category c has 1 + (L + c) % 4
# products g<L>-c<c>-r<rank>, each sold L * 1000 + 100 - rank.
gen_rankings() {
	awk -v from="$1" -v to="$2" 'BEGIN {
		for (l = from; l <= to; l++) {
			f = "g" l ".tsv"
			for (c = 0; c < 2 + l % 3; c++)
				for (r = 1; r <= 1 + (l + c) % 4; r++)
					printf "c%d\t%d\tg%d-c%d-r%d\t%d\n", c, r, l, c, r, l * 1000 + 100 - r > f
			close(f)
		}
	}'
}

# The checker and driver of the next tests: see its usage.
write_driver() {
	cat > driver.py <<-'EOF'
	"""driver.py delays URLS -- LOAD... | torn URL SECONDS -- LOAD...

	whole(): whether a reply of /api/v1/popular?category_id=c0 or /api/v1/categories is one load's, as
	gen_rankings wrote it. delays: run each LOAD command (a load of the next generation) and time until
	every URL shows that generation (the last URL, nginx, twice in a row); print the delays. torn: run the
	LOADs back to back while asking URL over one connection; print requests, torn, generations seen.
	"""
	import http.client, json, subprocess, sys, threading, time, urllib.parse

	def whole(path, body):
	    try:
	        d = json.loads(body)
	    except ValueError:
	        return None
	    g = d.get("generation")
	    if not isinstance(g, int) or g < 1:
	        return None
	    if "categories" in d:
	        cats = d["categories"]
	        ok = len(cats) == 2 + g % 3 and all(
	            x["category_id"] == "c%d" % c and x["products"] == 1 + (g + c) % 4 for c, x in enumerate(cats))
	    else:
	        ps = d["products"]
	        ok = len(ps) == 1 + g % 4 and all(
	            p["rank"] == r and p["product_id"] == "g%d-c0-r%d" % (g, r) and p["total_sold"] == g * 1000 + 100 - r
	            for r, p in enumerate(ps, 1))
	    return g if ok else None

	PATHS = ["/api/v1/popular?category_id=c0", "/api/v1/categories"]

	class Client:
	    def __init__(self, url):
	        u = urllib.parse.urlsplit(url)
	        self.host, self.port, self.conn = u.hostname, u.port, None
	    def get(self, path):
	        for attempt in (0, 1):
	            try:
	                if self.conn is None:
	                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
	                self.conn.request("GET", path)
	                r = self.conn.getresponse()
	                return r.status, r.read()
	            except (http.client.HTTPException, OSError):
	                self.conn = None
	                if attempt:
	                    raise
	    # The generation served, checked whole; raises on a torn reply or an error status.
	    def generation(self, path):
	        status, body = self.get(path)
	        g = whole(path, body)
	        if status != 200 or g is None:
	            raise SystemExit("torn or failed reply: %d %r" % (status, body[:300]))
	        return g

	def delays(urls, loads):
	    out = []
	    clients = [Client(u) for u in urls]
	    for n, cmd in enumerate(loads):
	        want = clients[0].generation(PATHS[0]) + 1
	        t0 = time.time()
	        subprocess.run(cmd, shell=True, check=True)
	        t1 = time.time()
	        todo, streak, tries = list(range(len(clients))), 0, 0
	        while todo:
	            if time.time() - t0 > 10:
	                raise SystemExit("load %d: generation %d not served after 10 s" % (n, want))
	            for i in list(todo):
	                tries += 1
	                g = clients[i].generation(PATHS[tries % 2])
	                if g > want:
	                    raise SystemExit("generation %d served, want %d" % (g, want))
	                if i == len(clients) - 1 and len(clients) > 1:
	                    streak = streak + 1 if g == want else 0
	                    if streak >= 2:
	                        todo.remove(i)
	                elif g == want:
	                    todo.remove(i)
	            time.sleep(0.005)
	        t2 = time.time()
	        out.append((t2 - t1, t2 - t0, tries))
	    return out

	def torn(url, seconds, loads):
	    errors = []
	    def loader():
	        try:
	            for cmd in loads:
	                subprocess.run(cmd, shell=True, check=True)
	        except Exception as e:
	            errors.append(e)
	    t = threading.Thread(target=loader)
	    c = Client(url)
	    n, bad, seen = 0, 0, set()
	    t.start()
	    end = time.time() + seconds
	    while t.is_alive() or time.time() < end:
	        status, body = c.get(PATHS[n % 2])
	        g = whole(PATHS[n % 2], body)
	        n += 1
	        if status != 200 or g is None:
	            bad += 1
	            if bad <= 5:
	                print("torn or failed: %d %r" % (status, body[:300]), file=sys.stderr)
	        else:
	            seen.add(g)
	    t.join()
	    if errors:
	        raise SystemExit("a load failed: %s" % errors[0])
	    print(n, bad, len(seen))

	mode, args = sys.argv[1], sys.argv[2:]
	sep = args.index("--")
	if mode == "delays":
	    for d in delays(args[:sep], args[sep + 1:]):
	        print("%.3f %.3f %d" % d)
	else:
	    torn(args[0], float(args[1]), args[sep + 1:])
	EOF
}

# loads FROM TO: the sr-load commands of generations FROM to TO, on the primary.
loads() {
	local l
	for ((l = $1; l <= $2; l++)); do
		printf '%s\n' "sr-load --db postgresql:///$PGDATABASE --now $NOW g$l.tsv"
	done
}

# stats FILE: "max M s, median D s" of the first column of FILE.
stats() {
	sort -n -k"${2:-1},${2:-1}" "$1" | awk -v k="${2:-1}" '{ v[NR] = $k } END {
		printf "max %.3f s, median %.3f s", v[NR], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# wait_standby GENERATION: until the standby's meta row says GENERATION (at most 10 s).
wait_standby() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(standby && psql -qXAt -c 'SELECT generation FROM sales_rank_meta' 2> /dev/null)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "the standby does not have generation $1"
	return 1
}

@test "sr-serve on the primary: LISTEN/NOTIFY: 20 loads each served within a second; the primary restarted: served again" {
	local -a l
	gen_rankings 1 40
	write_driver
	load_pg g1.tsv
	serve "$PG"
	mapfile -t l < <(loads 2 21)
	timeout 120 python3 driver.py delays "$URL" -- "${l[@]}" > d.out
	echo "# primary, NOTIFY: 20 loads, load's end to served: $(stats d.out 1); load's start to served: $(stats d.out 2)" >&3
	awk '$2 >= 1.0 { print "slower than a second:", $0; bad = 1 } END { exit bad }' d.out
	# The server restarted under sr-serve: the last ranking served meanwhile, the next load seen after it.
	primary
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$SR_PG_BIN/pg_ctl" -D "$SR_PG_DIR/data" -m fast -w restart > /dev/null
	else
		"$SR_PG_BIN/pg_ctl" -D "$SR_PG_DIR/data" -m fast -w restart > /dev/null
	fi
	get '/api/v1/popular?category_id=c0'
	[ "$STATUS" = 200 ] && [ "$(jq .generation .body)" = 21 ]
	mapfile -t l < <(loads 22 24)
	timeout 60 python3 driver.py delays "$URL" -- "${l[@]}" > d2.out
	echo "# after the primary's restart: 3 loads, load's start to served: $(stats d2.out 2)" >&3
	awk '$2 >= 6.0 { print "slow after the restart:", $0; bad = 1 } END { exit bad }' d2.out
}

# replicas: two sr-serve instances on the standby ($P1, $P2) behind nginx ($PN), generation 1 loaded.
replicas() {
	local i
	need nginx "sr-serve on replicas behind a reverse proxy"
	gen_rankings 1 90
	write_driver
	load_pg g1.tsv
	wait_standby 1
	(standby && serve "$PG" "$@" && echo "$PORT $SERVE_PID" > s1)
	(standby && serve "$PG" "$@" && echo "$PORT $SERVE_PID" > s2)
	read -r P1 S1 < s1
	read -r P2 S2 < s2
	SERVE_PIDS="$S1 $S2"
	PN=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p nginx/tmp
	sed -e "s/127.0.0.1:8080;/127.0.0.1:$PN;/" -e "s/127.0.0.1:8081 /127.0.0.1:$P1 /" \
	    -e "s/127.0.0.1:8082 /127.0.0.1:$P2 /" "$BATS_TEST_DIRNAME/serve/nginx.conf" > nginx/nginx.conf
	grep -q "$PN;" nginx/nginx.conf && grep -q "$P1 " nginx/nginx.conf && grep -q "$P2 " nginx/nginx.conf
	nginx -p "$PWD/nginx" -e stderr -c "$PWD/nginx/nginx.conf" 2> nginx.err 3>&- &
	NGINX_PID=$!
	for ((i = 0; i < 100; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$PN/healthz" && return 0
		sleep 0.05
	done
	cat nginx.err
	return 1
}

@test "sr-serve on a hot standby, two instances behind nginx: 20 loads each served within 2 s of its commit; 0 torn replies under 60 loads back to back" {
	local -a l
	local i n bad seen
	replicas
	mapfile -t l < <(loads 2 21)
	timeout 120 python3 driver.py delays "http://127.0.0.1:$P1" "http://127.0.0.1:$P2" "http://127.0.0.1:$PN" -- "${l[@]}" > d.out
	echo "# standby, 2 instances, nginx: 20 loads; load's end to served by both and nginx: $(stats d.out 1); load's start to served: $(stats d.out 2); $(awk '{ n += $3 } END { print n }' d.out) requests" >&3
	awk '$2 >= 2.0 { print "slower than 2 s:", $0; bad = 1 } END { exit bad }' d.out
	mapfile -t l < <(loads 22 81)
	timeout 120 python3 driver.py torn "http://127.0.0.1:$PN" 3 -- "${l[@]}" > t.out
	read -r n bad seen < t.out
	echo "# 60 loads back to back on the primary: $n replies through nginx, $bad torn or failed, $seen generations seen" >&3
	[ "$bad" -eq 0 ] && [ "$seen" -ge 4 ] && [ "$n" -ge 100 ]
	# Each instance ends at the last load, within 2 s.
	for ((i = 0; i < 40; i++)); do
		[ "$(curl -sS "http://127.0.0.1:$P1/api/v1/popular?category_id=c0" | jq .generation)" = 81 ] &&
		    [ "$(curl -sS "http://127.0.0.1:$P2/api/v1/popular?category_id=c0" | jq .generation)" = 81 ] && break
		sleep 0.05
	done
	((i < 40))
}

# metric URL NAME: the value of a metric.
metric() {
	curl -sS "$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}

@test "sr-serve on a hot standby stopped and started: the last ranking served, /healthz 503 and sr_serve_db_up 0 meanwhile, caught up after" {
	local i p tries=0 down=0 t0
	replicas --max-failed-reloads 2
	"$BATS_TEST_DIRNAME/pg-replica.sh" stop-standby "$SR_PG_ENV"
	load_pg g2.tsv
	# Until both say the database is gone: every reply still generation 1, whole.
	for ((i = 0; i < 150; i++)); do
		for p in $P1 $P2 $PN; do
			tries=$((tries + 1))
			URL=http://127.0.0.1:$p
			get '/api/v1/popular?category_id=c0'
			[ "$STATUS" = 200 ] && [ "$(products_tsv .body | tr '\t\n' ' ')" = "1 g1-c0-r1 1099 2 g1-c0-r2 1098 " ] &&
			    [ "$(jq .generation .body)" = 1 ] || { echo "try $tries, port $p: $STATUS"; cat .body; return 1; }
		done
		down=0
		for p in $P1 $P2; do
			URL=http://127.0.0.1:$p
			get /healthz
			[ "$STATUS" = 503 ] && jq -e '.status == "unhealthy" and .generation == 1 and
			    (.error | test("reloads failed"))' .body > /dev/null &&
			    [ "$(metric "$URL" sr_serve_db_up)" = 0 ] && [ "$(metric "$URL" sr_serve_reload_errors_total)" -ge 2 ] &&
			    down=$((down + 1))
		done
		[ "$down" -lt 2 ] || break
		sleep 0.1
	done
	[ "$down" -eq 2 ] || { echo "after $tries tries:"; cat .body; curl -sS "$URL/metrics" | grep -e db_up -e reload; return 1; }
	# And for 3 s more (the reconnection's wait grows to 2 s and more meanwhile): the same, whole.
	t0=$(date +%s%N)
	while (($(date +%s%N) - t0 < 3000000000)); do
		for p in $P1 $P2 $PN; do
			tries=$((tries + 1))
			URL=http://127.0.0.1:$p
			get '/api/v1/popular?category_id=c0'
			[ "$STATUS" = 200 ] && [ "$(products_tsv .body | tr '\t\n' ' ')" = "1 g1-c0-r1 1099 2 g1-c0-r2 1098 " ] ||
			    { echo "try $tries, port $p: $STATUS"; cat .body; return 1; }
		done
	done
	[ "$(metric "http://127.0.0.1:$P1" sr_serve_db_up)" = 0 ] && [ "$(metric "http://127.0.0.1:$P2" sr_serve_db_up)" = 0 ]
	echo "# standby down for 3 s and more: $tries replies of the last ranking, whole; $(metric "http://127.0.0.1:$P1" sr_serve_reload_errors_total) and $(metric "http://127.0.0.1:$P2" sr_serve_reload_errors_total) failed tries to reconnect" >&3
	"$BATS_TEST_DIRNAME/pg-replica.sh" start-standby "$SR_PG_ENV"
	t0=$(date +%s%N)
	tries=0
	caught_up 300 2 || return 1
	echo "# standby up again: both instances at the new generation, healthy, after $(( ($(date +%s%N) - t0) / 1000000 )) ms ($tries tries)" >&3
	URL=http://127.0.0.1:$PN
	get '/api/v1/popular?category_id=c0'
	[ "$STATUS" = 200 ] && [ "$(products_tsv .body | tr '\t\n' ' ')" = "1 g2-c0-r1 2099 2 g2-c0-r2 2098 3 g2-c0-r3 2097 " ]
}

# standby_signal SIGNAL: send SIGNAL to the standby's postmaster and every process it started.
standby_signal() {
	local pm
	pm=$(head -n 1 "$SR_PG_DIR/standby/postmaster.pid")
	kill "-$1" "$pm" $(pgrep -P "$pm")
}

@test "sr-serve on a hung hot standby (SIGSTOP): replies go on from memory, each whole; /healthz 503 within 30 s; caught up after SIGCONT" {
	local i p tries=0 down=0 t0 ms
	PG="postgresql:///$PGDATABASE?connect_timeout=2"
	replicas --max-failed-reloads 2
	primary
	t0=$(date +%s%N)
	standby_signal STOP
	STOPPED=1
	load_pg g2.tsv
	for ((i = 0; i < 300; i++)); do
		for p in $P1 $P2 $PN; do
			tries=$((tries + 1))
			URL=http://127.0.0.1:$p
			get '/api/v1/popular?category_id=c0' --max-time 2
			[ "$STATUS" = 200 ] && [ "$(products_tsv .body | tr '\t\n' ' ')" = "1 g1-c0-r1 1099 2 g1-c0-r2 1098 " ] ||
			    { echo "try $tries, port $p: $STATUS"; cat .body; return 1; }
		done
		down=0
		for p in $P1 $P2; do
			URL=http://127.0.0.1:$p
			get /healthz --max-time 2
			[ "$STATUS" = 503 ] && [ "$(metric "$URL" sr_serve_db_up)" = 0 ] && down=$((down + 1))
		done
		[ "$down" -lt 2 ] || break
		sleep 0.1
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$down" -eq 2 ] && ((ms < 30000)) || { echo "not unhealthy after $ms ms, $tries tries"; return 1; }
	echo "# standby hung: $tries replies of the last ranking, whole, until both said so after $ms ms" >&3
	standby_signal CONT
	STOPPED=""
	t0=$(date +%s%N)
	caught_up 400 2 || return 1
	echo "# standby going again: both instances at the new generation after $((($(date +%s%N) - t0) / 1000000)) ms" >&3
}
