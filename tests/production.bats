#!/usr/bin/env bats
# production: issue 12's "Done when", end to end, as an operator runs it: sr-hourly from cron
# (env -i PATH=/usr/bin:/bin, the tools in a directory of their own, -q --log --metrics) as the
# writer user, over hourly logs of several writers, gzip'd, zstd'd and plain, each with its header,
# the current hour's files cut mid-line, hour after hour: each ranking that of an independent full
# recompute (awk and sort), in ranking.tsv, in SQLite and through sr-serve run as another user, the
# generation moving only when the ranking does; a failed run mails a short summary and keeps all.
#
# The details are tested elsewhere (package.bats, sr-hourly-cron.bats, sr-serve-ops.bats); this is
# the whole of them together. It adds two users and removes them after: root only (CI is root).

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout

C0=1795996800 # 2026-11-30T00:00:00Z: the hour of the first run
HOURS=24      # the window
TOP=40        # sr-hourly -n
STEPS=6       # hours run, twice each

setup_file() {
	export LC_ALL=C
	[ "$(id -u)" -eq 0 ] || return 0
	local bin=${SR_BIN:-$BATS_TEST_DIRNAME/../bin} t first last e
	PATH="$BATS_TEST_DIRNAME/bench:$bin:$PATH"
	SHARED=$(mktemp -d /tmp/sr-production.XXXXXX)
	chmod 755 "$SHARED"
	# The writer (as user sr of the package) and the reader, in the writer's group (as sr-serve.service).
	W=srpw$$
	R=srpr$$
	export SHARED W R
	useradd -M -U -s /usr/sbin/nologin "$W"
	useradd -M -U -G "$W" -s /usr/sbin/nologin "$R"
	# The tools only, in a directory of their own, as installed.
	mkdir -m 755 "$SHARED/bin"
	for t in sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load sr-serve sr-hourly; do
		install -m 755 "$bin/$t" "$SHARED/bin/$t"
	done
	# The sales of hours first .. last, each in the file of its hour (every 10th in the next
	# hour's: a late sale), of one of three writers; late ones first, then by time; a header each.
	first=$((C0 - (HOURS + 2) * 3600))
	last=$((C0 + STEPS * 3600))
	for ((e = first; e <= last; e += 3600)); do
		printf '%s\t%s\n' "$e" "$(date -u -d "@$e" +%Y-%m-%dT%H)"
	done > "$SHARED/hours"
	cd "$SHARED" || return 1
	mkdir full
	sr-gen -n 45000 --seed 12 --products 300 --categories 4 --days 2 --end "$last" --returns 3 \
	    --format epoch --header > gen.tsv
	head -1 gen.tsv > header
	tail -n +2 gen.tsv | awk -F '\t' -v first="$first" 'NR == FNR { name[$1] = $2; next }
	    $1 >= first { fh = $1 - $1 % 3600; late = FNR % 10 == 0; fh += late * 3600
	        print (late ? 0 : 1) "\t" $0 > ("full/" name[fh] ".api-" FNR % 3 + 1 ".tsv.u") }' hours -
	for t in full/*.u; do
		{ cat header; sort -s -t "$(printf '\t')" -k1,1n -k2,2n "$t" | cut -f 2-; } > "${t%.u}"
		rm "$t"
	done
	rm gen.tsv
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	userdel "$R" || true
	userdel "$W" || true
	groupdel "$R" 2> /dev/null || true
	groupdel "$W" 2> /dev/null || true
	rm -rf "$SHARED"
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "not root: adds a writer and a reader user"
	export LC_ALL=C
	cd "$BATS_TEST_TMPDIR" || return 1
	HEADER=$(cat "$SHARED/header")
	declare -gA EPOCH INDEX
	local e n i=0
	while IFS=$'\t' read -r e n; do
		EPOCH[$n]=$e
		INDEX[$n]=$i
		i=$((i + 1))
	done < "$SHARED/hours"
	# The server: logs/ root's and readable; the state directory the writer's, 0750, as
	# StateDirectoryMode= has it; run/ for --log and --metrics.
	D=$(mktemp -d "$SHARED/t.XXXXXX")
	chmod 755 "$D"
	LOGS=$D/logs STATE=$D/state DB=$D/state/sales_rank.db RUNLOG=$D/run/sr-hourly.log PROM=$D/run/sr.prom
	mkdir -m 755 "$LOGS"
	install -d -o "$W" -g "$W" -m 750 "$STATE" "$D/run"
	SERVE_PID=
}

teardown() {
	if [ -n "${SERVE_PID-}" ]; then
		kill "$SERVE_PID" 2> /dev/null || true
		wait "$SERVE_PID" 2> /dev/null || true
	fi
	[ -z "${D-}" ] || rm -rf "$D"
}

hour() { date -u -d "@$1" +%Y-%m-%dT%H; }
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# as USER COMMAND...: COMMAND as USER, with the user's groups.
as() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$u" --init-groups -- "$@"
}

# cron NOW [options]: sr-hourly as cron runs it, as the writer, umask 027 (as the unit's UMask=);
# sets STATUS; what cron would mail is in mail (stdout in out).
# A sanitizer's options, when the build under test is one, are kept: they are not cron's but the build's.
cron() {
	local now=$1 v san=()
	shift
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -z "${!v-}" ] || san+=("$v=${!v}")
	done
	STATUS=0
	(umask 027 && timeout 120 setpriv --reuid "$W" --regid "$W" --init-groups -- \
	    env -i PATH=/usr/bin:/bin HOME=/nonexistent "${san[@]}" "$SHARED/bin/sr-hourly" --logs "$LOGS" --state "$STATE" \
	    --db "$DB" --hours "$HOURS" -n "$TOP" --now "$now" -q --log "$RUNLOG" --metrics "$PROM" "$@") \
	    > out 2> mail || STATUS=$?
}

# The log files of hour H (a name as 2026-11-29T23): their names in full/.
files_of() { (cd "$SHARED/full" && ls "$1".*); }

# offset NAME LINE P: the byte offset P bytes into line LINE (1 is the header) of full/NAME, at
# most to the end of the line before its newline: a cut in the middle of that line.
offset() {
	awk -v l="$2" -v p="$3" 'NR < l { o += length($0) + 1 } NR == l { if (p > length($0)) p = length($0)
	    if (p < 1) p = 1; print o + p; exit }' "$SHARED/full/$1"
}

# late NAME: how many late sales (of the hour before) full/NAME starts with.
late() {
	awk -F '\t' -v h="${EPOCH[${1:0:13}]}" 'NR > 1 && $1 < h { n++ } END { print n + 0 }' "$SHARED/full/$1"
}

# write NAME [OFFSET]: logs/NAME as the writer has it at OFFSET bytes (all of it without), appended to.
write() {
	local f=$LOGS/$1 have=0 want
	want=${2:-$(wc -c < "$SHARED/full/$1")}
	[ ! -e "$f" ] || have=$(wc -c < "$f")
	[ "$want" -ge "$have" ]
	tail -c +$((have + 1)) "$SHARED/full/$1" | head -c $((want - have)) >> "$f"
}

# rotate NAME: as logrotate leaves an hour over: gzip'd, zstd'd or left plain, by hour and writer;
# in place, keeping the file's time, as gzip and zstd do.
rotate() {
	local w=${1#*.api-}
	w=${w%%.*}
	case $(((INDEX[${1:0:13}] + w) % 3)) in
	0) gzip "$LOGS/$1" ;;
	1) zstd -q --rm "$LOGS/$1" ;;
	esac
}

# current HOUR RUN STEP: write the files of HOUR, the one being written, to where run a or b of
# STEP finds them: each cut in the middle of a line (in one of them just before its newline).
# Run a of an even step cuts among the late sales, so that run b changes the ranking; of an odd
# step after them, so that run b adds only sales of HOUR, outside the window.
current() {
	local n w l p late
	for n in $(files_of "$1"); do
		w=${n#*.api-}
		w=${w%%.*}
		late=$(late "$n")
		if [ "$2" = a ] && (($3 % 2 == 0)); then
			l=$((2 + late * w / 4))
		elif [ "$2" = a ]; then
			l=$((late + 2 + 5 * w))
		else
			l=$((late + 32 + w))
		fi
		p=$((($3 * 5 + w * 7) % 12 + 1))
		[ "$w" -ne 3 ] || p=100000
		write "$n" "$(offset "$n" "$l" "$p")"
	done
}

# The logs as they are at run a of STEP 0: the hours before the last rotated, the last whole and
# plain, the current one cut.
logs_at_start() {
	local e n
	for ((e = C0 - (HOURS + 2) * 3600; e < C0; e += 3600)); do
		for n in $(files_of "$(hour "$e")"); do
			write "$n"
			[ "$e" -eq $((C0 - 3600)) ] || rotate "$n"
		done
	done
	current "$(hour "$C0")" a 0
}

# oracle UNTIL: the ranking of the window of HOURS hours before UNTIL, from the logs as they are,
# computed without sr: each file decompressed by its own tool, its header lines and an unfinished
# last line dropped; the sales of the window in the file of their hour or the next summed by awk,
# ordered by sort (category bytes, total down, product id up), the first TOP of each category.
oracle() {
	local f n
	for f in "$LOGS"/*; do
		n=${f##*/}
		case $n in
		*.gz) gzip -dc "$f" ;;
		*.zst) zstd -dcq "$f" ;;
		*) cat "$f" ;;
		esac > dec
		[ -z "$(tail -c 1 dec)" ] || sed -i '$d' dec
		grep -vxF "$HEADER" dec | sed "s/^/${EPOCH[${n:0:13}]}\t/" || true
	done | awk -F '\t' -v since=$(($1 - HOURS * 3600)) -v until="$1" \
	    '{ sh = $2 - $2 % 3600 } $2 >= since && $2 < until && (sh == $1 || sh == $1 - 3600) { s[$4 "\t" $3] += $5 }
	    END { for (k in s) print k "\t" s[k] }' |
	    sort -t "$(printf '\t')" -k1,1 -k3,3nr -k2,2n |
	    awk -F '\t' -v k="$TOP" '$1 != c { c = $1; r = 0 } ++r <= k { print $1 "\t" r "\t" $2 "\t" $3 }'
}

# pipeline UNTIL: the full recompute by the tools themselves, as an operator checks a run by hand:
# one sr-map over every log file of the window's hours and the next, the current hour's --growing.
pipeline() (
	set -o pipefail
	local f n files=() growing=()
	for f in "$LOGS"/*; do
		n=${f##*/}
		((EPOCH[${n:0:13}] >= $1 - HOURS * 3600 && EPOCH[${n:0:13}] <= $1)) || continue
		if ((EPOCH[${n:0:13}] == $1)); then growing+=(--growing "$f"); else files+=("$f"); fi
	done
	"$SHARED/bin/sr-map" --since $(($1 - HOURS * 3600)) --until "$1" "${files[@]}" "${growing[@]}" |
	    "$SHARED/bin/sr-sort" | "$SHARED/bin/sr-reduce" | "$SHARED/bin/sr-topk" -n "$TOP"
)

# The database as the reader reads it by hand (sqlite3 -readonly, as sr-serve(1) says).
db() { as "$R" sqlite3 -readonly -separator "$(printf '\t')" "$DB" "$@"; }
db_ranking() { db 'SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY category_id, rank'; }

# serve: sr-serve as the reader on a free port; sets URL, SERVE_PID.
serve() {
	local i port=
	# setpriv execs sr-serve: SERVE_PID is sr-serve's own (not a subshell's, as with the function as).
	setpriv --reuid "$R" --regid "$R" --init-groups -- "$SHARED/bin/sr-serve" --db "$DB" --listen 127.0.0.1:0 \
	    --max-age 2h 2> serve.err 3>&- &
	SERVE_PID=$!
	for ((i = 0; i < 200; i++)); do
		port=$(sed -n 's|^sr-serve: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' serve.err)
		[ -z "$port" ] || break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "sr-serve did not start:"; cat serve.err; return 1; }
	URL=http://127.0.0.1:$port
}

# get PATH: sets CODE; the body in body.
get() { CODE=$(curl -sS --max-time 10 -o body -w '%{http_code}' "$URL$1"); }

# served GEN RANKING UNTIL: within 2 s sr-serve serves generation GEN; then every category of
# RANKING is served as it has it, with the window; /healthz is 200.
served() {
	local t0 c ms
	t0=$(date +%s%N)
	while :; do
		get /api/v1/categories
		[ "$CODE" = 200 ] && [ "$(jq .generation body)" = "$1" ] && break
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$ms" -lt 2000 ] || { echo "generation $1 not served after $ms ms: $CODE $(cat body)"; return 1; }
		sleep 0.05
	done
	[ "$(jq -r '.categories[].category_id' body)" = "$(cut -f 1 "$2" | uniq)" ]
	for c in $(cut -f 1 "$2" | uniq); do
		get "/api/v1/popular?category_id=$c"
		[ "$CODE" = 200 ] && [ "$(jq .generation body)" = "$1" ] || { echo "category $c: $CODE"; return 1; }
		[ "$(jq -r '.window.since + " " + .window.until' body)" = \
		    "$(rfc3339 $(($3 - HOURS * 3600))) $(rfc3339 "$3")" ]
		diff <(awk -F '\t' -v c="$c" '$1 == c { print $2 "\t" $3 "\t" $4 }' "$2") \
		    <(jq -r '.products[] | [.rank, .product_id, .total_sold] | @tsv' body) ||
		    { echo "category $c of generation $1 not served as ranked"; return 1; }
	done
	get /healthz
	[ "$CODE" = 200 ] && [ "$(jq -r .status body)" = ok ] && [ "$(jq .generation body)" = "$1" ] ||
	    { echo "/healthz: $CODE $(cat body)"; return 1; }
}

# check UNTIL RANKING: the run succeeded and said nothing; ranking.tsv and the database are RANKING.
check() {
	[ "$STATUS" -eq 0 ] || { echo "status $STATUS:"; cat mail; tail "$RUNLOG"; return 1; }
	[ ! -s out ] && [ ! -s mail ] || { echo "a successful run with -q said:"; cat out mail; return 1; }
	cmp "$2" "$STATE/ranking.tsv" || { diff "$2" "$STATE/ranking.tsv" | head; return 1; }
	db_ranking | cmp "$2" -
	[ "$(db 'SELECT window_since, window_until FROM sales_rank_meta')" = \
	    "$(rfc3339 $(($1 - HOURS * 3600)))	$(rfc3339 "$1")" ]
}

@test "production: cron-like hourly runs over gzip'd, zstd'd and plain logs with headers, the current hour cut mid-line: each ranking a full recompute's, in SQLite and served by another user" {
	local k c n gen=0 want prev="" changed=0 same=0 runs=0
	[ -z "$(env -i PATH=/usr/bin:/bin sh -c 'command -v sr-map')" ] ||
	    echo "# sr-map is in /usr/bin or /bin: the tools beside sr-hourly are used first all the same" >&3
	logs_at_start
	for ((k = 0; k < STEPS; k++)); do
		c=$((C0 + k * 3600))
		if ((k > 0)); then
			# The new hour: the one before last rotated, the last one finished, the new one begun.
			for n in $(files_of "$(hour $((c - 7200)))"); do rotate "$n"; done
			for n in $(files_of "$(hour $((c - 3600)))"); do write "$n"; done
			current "$(hour "$c")" a "$k"
		fi
		# Every file starts with the header; some of each kind; the current hour's end mid-line.
		[ "$(ls "$LOGS"/*.gz | wc -l)" -ge 20 ] && [ "$(ls "$LOGS"/*.zst | wc -l)" -ge 20 ]
		[ "$(ls "$LOGS"/*.tsv | wc -l)" -ge 20 ]
		for n in $(files_of "$(hour "$c")"); do [ -n "$(tail -c 1 "$LOGS/$n")" ]; done
		# Run a, five past the hour: a new window, always loaded.
		oracle "$c" > want.a
		[ "$(wc -l < want.a)" -eq $((4 * TOP)) ]
		pipeline "$c" | cmp want.a - || { echo "step $k: the tools' full recompute is not the oracle's"; return 1; }
		cron $((c + 300))
		check "$c" want.a || { echo "step $k, run a"; return 1; }
		gen=$((gen + 1))
		[ "$(db 'SELECT generation FROM sales_rank_meta')" -eq "$gen" ]
		if [ -z "$SERVE_PID" ]; then
			# The database: the writer's, of its group, 0640 (UMask=0027); the reader cannot write it.
			[ "$(stat -c '%U %G %a' "$DB")" = "$W $W 640" ]
			! as "$R" sh -c ": >> '$DB'" 2> /dev/null || false
			serve
		fi
		served "$gen" want.a "$c"
		# Run b, at a quarter to: the same window, the current hour grown; loaded only if the ranking changed.
		current "$(hour "$c")" b "$k"
		oracle "$c" > want.b
		pipeline "$c" | cmp want.b -
		cron $((c + 2700))
		check "$c" want.b || { echo "step $k, run b"; return 1; }
		if cmp -s want.a want.b; then
			same=$((same + 1))
		else
			gen=$((gen + 1))
			changed=$((changed + 1))
		fi
		[ "$(db 'SELECT generation FROM sales_rank_meta')" -eq "$gen" ] ||
		    { echo "step $k, run b: generation $(db 'SELECT generation FROM sales_rank_meta'), want $gen"; return 1; }
		served "$gen" want.b "$c"
		[ "$prev" != "$(cat want.b)" ]
		prev=$(cat want.b)
		runs=$((runs + 2))
	done
	echo "# $runs runs over $(ls "$LOGS" | wc -l) log files: $changed of the half-hour runs changed the ranking, $same did not (generation $gen)" >&3
	[ "$changed" -ge 2 ] && [ "$same" -ge 2 ]
	# Monitoring: both metrics pass promtool; the reader made no file; sr-serve said only that it listens.
	if command -v promtool > /dev/null; then
		promtool check metrics < "$PROM"
		get /metrics
		promtool check metrics < body
	else
		[ "${CI:-}" != true ] || { echo "promtool (Debian prometheus) is needed in CI"; return 1; }
	fi
	grep -qx "sr_hourly_runs_total $runs" "$PROM"
	grep -qx 'sr_hourly_failed_runs_total 0' "$PROM"
	grep -qx "sr_hourly_ranking_rows $((4 * TOP))" "$PROM"
	get /metrics
	grep -qx "sr_serve_cache_generation $gen" body
	[ -z "$(find "$D" -user "$R")" ]
	[ "$(grep -cv '^sr-serve: listening on ' serve.err)" -eq 0 ] || { cat serve.err; return 1; }
}

@test "production: a failed run mails a short summary naming the hour and the file (a compressed log cut short), status 1, the ranking and the database kept; the mended run is silent" {
	local x n f size cut tries=0 gen dump
	logs_at_start
	oracle "$C0" > good
	cron $((C0 + 300))
	check "$C0" good
	gen=$(db 'SELECT generation FROM sales_rank_meta')
	dump=$(db_ranking)
	serve
	served "$gen" good "$C0"
	# An hour inside the window, rotated: its gzip'd and zstd'd files cut short, at every kind of place.
	x=$(hour $((C0 - 5 * 3600)))
	for f in "$LOGS/$x".*.gz "$LOGS/$x".*.zst; do
		n=${f##*/}
		size=$(wc -c < "$f")
		cp "$f" orig
		for cut in 6 12 $((size / 2)) $((size - 9)) $((size - 4)) $((size - 1)); do
			tries=$((tries + 1))
			cp orig "$f"
			truncate -s "$cut" "$f"
			cron $((C0 + 300))
			[ "$STATUS" -eq 1 ] || { echo "$n cut to $cut of $size bytes: status $STATUS"; return 1; }
			[ ! -s out ] && [ -s mail ] && [ "$(wc -l < mail)" -le 8 ] || { echo "$n at $cut:"; cat out mail; return 1; }
			grep -qE "hour ($(hour $((C0 - 6 * 3600)))|$x): .*$n" mail || { echo "$n at $cut:"; cat mail; return 1; }
			[ "$(tail -1 mail)" = "sr-hourly: the whole log of the run is in $RUNLOG" ]
			cmp good "$STATE/ranking.tsv"
			[ "$(db 'SELECT generation FROM sales_rank_meta')" = "$gen" ]
			[ "$(db_ranking)" = "$dump" ]
		done
		cp orig "$f"
	done
	echo "# $tries cuts of $x's compressed logs: each failed with a mail naming it, nothing changed" >&3
	# sr-serve still serves the ranking it had; the file mended, the next run says nothing, loads nothing.
	served "$gen" good "$C0"
	cron $((C0 + 300))
	check "$C0" good
	[ "$(db 'SELECT generation FROM sales_rank_meta')" = "$gen" ]
	grep -qx "sr_hourly_failed_runs_total $tries" "$PROM"
	grep -qx 'sr_hourly_last_run_exit_status 0' "$PROM"
}
