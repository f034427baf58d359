#!/usr/bin/env bats
# GNU parallel: the map side as several jobs, on this machine's cores and on other hosts over ssh, merged through sr-sort | sr-reduce | sr-topk, equals the single pipe.
#
# The other hosts are network namespaces with their own sshd (tests/hosts.sh);
# they need root. Without it the multi-host tests are skipped, except in CI
# (CI=true), where they fail.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout

NOW=2026-11-30T00:00:00Z

setup_file() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$BATS_TEST_DIRNAME/bench:$PATH"
	cd "$BATS_FILE_TMPDIR" || return 1
	sr-gen -n 300000 --seed 31 --products 200000 --categories 50 --returns 2 \
	    --format mixed --header > log.tsv
	sr-map --now $NOW log.tsv | sr-sort | sr-reduce > sums
	sr-topk -n 25 sums > single
	# The hosts are made once for the file, and removed by teardown_file whatever happens.
	if "$BATS_TEST_DIRNAME/hosts.sh" start "$BATS_FILE_TMPDIR/hosts" 2 2> hosts.err; then
		paste -sd, hosts/hosts | sed -E 's|([0-9.]+)|1/\1|g' > sshlogins
	fi
}

teardown_file() {
	"$BATS_TEST_DIRNAME/hosts.sh" stop "$BATS_FILE_TMPDIR/hosts"
}

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$BATS_TEST_DIRNAME/bench:$PATH"
	BIN=$(cd "${SR_BIN:-$BATS_TEST_DIRNAME/../bin}" && pwd)
	D=$BATS_FILE_TMPDIR
	cd "$BATS_TEST_TMPDIR" || return 1
}

# need_hosts: skip (or fail, in CI) when the test hosts could not be made.
need_hosts() {
	[ -s "$D/sshlogins" ] && return 0
	if [ "${CI-}" = true ]; then
		echo "the test hosts could not be made: $(cat "$D/hosts.err")"
		return 1
	fi
	skip "no test hosts: $(cat "$D/hosts.err")"
}

@test "parallel --pipepart: one job per core, or many blocks, equals the single pipe" {
	local block
	[ "$(wc -l < "$D/single")" -eq 1250 ]
	for block in -1 -2 -7 300k; do
		parallel --pipepart -a "$D/log.tsv" --block "$block" sr-map --now $NOW |
		    sr-sort | sr-reduce | sr-topk -n 25 > ranking
		cmp "$D/single" ranking || { echo "--block $block differs"; return 1; }
	done
	# As sr(7) has it, to SQLite.
	parallel --pipepart -a "$D/log.tsv" --block -1 -j 2 sr-map --now $NOW --rejects 'rejects.{#}' |
	    sr-sort | sr-reduce | sr-topk -n 25 | sr-load --db r.db --now $NOW
	sqlite3 -separator "$(printf '\t')" r.db \
	    'SELECT category_id, rank, product_id, total_sold FROM sales_rank ORDER BY category_id, rank' |
	    cmp - "$D/single"
	[ "$(cat rejects.* | wc -c)" -eq 0 ]
	[ "$(ls rejects.* | wc -l)" -eq 2 ]
}

@test "parallel --pipepart: each job rejects its own bad lines; the failed jobs are the status" {
	cp "$D/log.tsv" log.tsv
	sed -i '1000s/$/\textra/; 250000s/^\([^\t]*\t[^\t]*\t[^\t]*\t\)/\12x/' log.tsv
	run sh -c "sr-map --now $NOW log.tsv | sr-sort | sr-reduce | sr-topk -n 25 > single"
	run sh -c "parallel --pipepart -a log.tsv --block -2 -j 2 sr-map --now $NOW \
	    --rejects 'rejects.{#}' 2> err | sr-sort | sr-reduce | sr-topk -n 25 > ranking"
	cmp single ranking
	# Two jobs had one bad line each: parallel's status is the number of failed jobs.
	run parallel --pipepart -a log.tsv --block -2 -j 2 sr-map --now $NOW --rejects 'rejects.{#}'
	[ "$status" -eq 2 ] || { echo "status $status"; return 1; }
	[ "$(cat rejects.* | wc -l)" -eq 2 ]
	cat rejects.* | cmp - <(sed -n '1000p; 250000p' log.tsv)
	[ "$(grep -c '^sr-map: 1 of [0-9]* lines rejected$' err)" -eq 2 ]
}

@test "the combined map output is bounded by the distinct keys, whatever the sales" {
	local keys jobs lines
	keys=$(wc -l < "$D/sums")
	# Four times the sales of the same products: the map output grows by the
	# jobs, not by the sales.
	tail -n +2 "$D/log.tsv" > log.tsv
	cat log.tsv log.tsv log.tsv log.tsv > log4.tsv
	for f in log.tsv log4.tsv; do
		parallel --pipepart -a "$f" --block -1 -j 2 sr-map --now $NOW > mapped
		lines=$(wc -l < mapped)
		[ "$lines" -le $((2 * keys)) ] || { echo "$f: $lines lines for $keys keys"; return 1; }
		[ "$(sr-sort mapped | sr-reduce | wc -l)" -eq "$keys" ]
	done
	[ "$(sr-sort mapped | sr-reduce | sr-topk -n 25 | awk -F '\t' '{ s += $4 } END { print s }')" -eq \
	    "$(awk -F '\t' '{ s += 4 * $4 } END { print s }' "$D/single")" ]
}

@test "parallel -S: the map jobs on two other hosts over ssh, --pipepart, equal the single pipe" {
	need_hosts
	parallel --ssh "ssh -F $D/hosts/ssh_config" -S "$(cat "$D/sshlogins")" --joblog jobs \
	    --pipepart -a "$D/log.tsv" --block -4 "$BIN/sr-map" --now $NOW |
	    sr-sort | sr-reduce | sr-topk -n 25 > ranking
	cmp "$D/single" ranking
	# Every job ran on one of the hosts, and each host ran some.
	[ "$(tail -n +2 jobs | wc -l)" -eq 8 ]
	[ "$(tail -n +2 jobs | awk -F '\t' '$7 != 0' | wc -l)" -eq 0 ]
	tail -n +2 jobs | cut -f2 | sort -u > used
	cmp used <(sort "$D/hosts/hosts")
}

@test "parallel -S: each host maps files of the shared file system by path, and says where it ran" {
	need_hosts
	mkdir parts
	split -n l/6 -d "$D/log.tsv" "$PWD/parts/log."
	parallel --ssh "ssh -F $D/hosts/ssh_config" -S "$(cat "$D/sshlogins")" \
	    "ip -4 -o addr show dev eth0 | awk '{ print \$4 }' >> $PWD/where.{#} && $BIN/sr-map --now $NOW {}" \
	    ::: "$PWD"/parts/log.* | sr-sort | sr-reduce | sr-topk -n 25 > ranking
	cmp "$D/single" ranking
	cat where.* | sed 's|/24$||' | sort -u > used
	cmp used <(sort "$D/hosts/hosts")
}
