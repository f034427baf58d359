#!/usr/bin/env bats
# No tool writes over a file it reads, under any name, and none lets a closed descriptor 0-2 send output astray.

bats_require_minimum_version 1.5.0
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
load timeout

setup() {
	export LC_ALL=C
	PATH="${SR_BIN:-$BATS_TEST_DIRNAME/../bin}:$PATH"
	cd "$BATS_TEST_TMPDIR" || return 1
	WIN='--since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z'
	printf '2026-11-25T10:00:00Z\tp1\tc1\t2\t20.00\ts1\tb1\nnot a sale\n2026-11-25T11:00:00Z\tp2\tc1\t1\t5.00\ts1\tb2\n' > log.tsv
	printf 'c1\tp1\t2\nc1\tp1\t3\nc2\tp9\t1\n' > sums.tsv
	printf 'c1\t1\tp1\t5\nc2\t1\tp9\t1\n' > rank.tsv
}

# refused CMD...: CMD (run by bash -c, in the test directory) is refused with
# status 2 and a message saying what it will not write over; no input file
# changes (checksums) and nothing goes to stdout.
refused() {
	local status=0
	sha256sum log.tsv sums.tsv > .sums
	bash -c "$1" > .out 2> .err || status=$?
	if [ "$status" -ne 2 ] || ! grep -q 'refusing to write over it$' .err || [ -s .out ] ||
	    ! sha256sum --quiet -c .sums; then
		echo "-- not refused: $1: status $status, stderr:"
		cat .err
		return 1
	fi
	tries=$((tries + 1))
}

# Every output option of every tool, against the same file as an input under
# every name it can have: the path, ./path, its absolute path, a symbolic
# link, a hard link, and /dev/stdin or - with stdin redirected from it.
@test "io: an output option naming an input is refused before anything is truncated" {
	local in out cmd status tries=0
	ln -s log.tsv log.sym
	ln log.tsv log.hard
	ln -s sums.tsv sums.sym
	ln sums.tsv sums.hard
	# TOOL-and-option|input|how the input is read
	for cmd in "sr-map --rejects" "sr-filter-week $WIN --rejects"; do
		for out in log.tsv ./log.tsv "$PWD/log.tsv" log.sym log.hard; do
			refused "$cmd $out log.tsv"
			refused "$cmd $out < log.tsv"
			refused "$cmd $out - < log.tsv"
			refused "$cmd $out /dev/null log.tsv"
			refused "$cmd $out --csv log.tsv"
		done
		refused "$cmd /dev/stdin < log.tsv"
		refused "$cmd /dev/stdin - < log.tsv"
		refused "$cmd /dev/fd/0 < log.tsv"
		refused "$cmd log.tsv /dev/stdin < log.tsv"
	done
	for cmd in "sr-reduce --tee " "sr-reduce -m --tee " "sr-reduce --tee=" "sr-reduce -s /dev/null --tee "; do
		for out in sums.tsv ./sums.tsv "$PWD/sums.tsv" sums.sym sums.hard; do
			refused "$cmd$out sums.tsv"
			refused "$cmd$out < sums.tsv"
			refused "$cmd$out - < sums.tsv"
			refused "$cmd$out -s sums.tsv /dev/null"
		done
		refused "${cmd}/dev/stdin < sums.tsv"
	done
	# An output that is stdout or stderr too would be written from two offsets.
	for cmd in "sr-map --rejects o.tsv log.tsv >> o.tsv" "sr-filter-week $WIN --rejects o.tsv log.tsv 2>> o.tsv" \
	    "sr-reduce --tee o.tsv sums.tsv >> o.tsv" "sr-reduce --tee o.tsv sums.tsv 2>> o.tsv"; do
		echo keep > o.tsv
		status=0
		bash -c "$cmd" 2> .err || status=$?
		[ "$status" -eq 2 ] && [ "$(head -1 o.tsv)" = keep ] || { echo "-- not refused: $cmd: status $status"; cat .err; return 1; }
		tries=$((tries + 1))
	done
	echo "# $tries refusals" >&3
	[ "$tries" -eq 146 ]
}

# refused_stdout CMD: stdout appended to an input (CMD >> input) is refused
# with status 1 and a message; the input is unchanged.
@test "io: a tool whose stdout is an input file refuses to read it" {
	local cmd f status tries=0
	for cmd in "sr-map log.tsv >> log.tsv" "sr-map < log.tsv >> log.tsv" \
	    "sr-filter-week $WIN log.tsv >> log.tsv" "sr-filter-week $WIN - < log.tsv >> log.tsv" \
	    "sr-reduce sums.tsv >> sums.tsv" "sr-reduce -m sums.tsv >> sums.tsv" \
	    "sr-reduce -m /dev/null -s sums.tsv >> sums.tsv" "sr-topk sums.tsv >> sums.tsv"; do
		sha256sum log.tsv sums.tsv > .sums
		status=0
		timeout 20 bash -c "$cmd" 2> .err || status=$?
		f=$(echo "$cmd" | sed 's/.*>> //')
		if [ "$status" -ne 1 ] || [ "$(tail -1 .err)" != "${cmd%% *}: ${f%% *}: is the output too (stdout): refusing to read it" ] &&
		    [ "$(tail -1 .err)" != "${cmd%% *}: stdin: is the output too (stdout): refusing to read it" ] ||
		    ! sha256sum --quiet -c .sums; then
			echo "-- $cmd: status $status, stderr:"
			cat .err
			return 1
		fi
		tries=$((tries + 1))
	done
	[ "$tries" -eq 8 ]
}

@test "io: outputs that only look like an input are written" {
	cp log.tsv copy.tsv
	sr-map --rejects copy.tsv log.tsv > out 2> err || true
	[ "$(cat copy.tsv)" = "not a sale" ]
	sr-reduce --tee /dev/null sums.tsv > out
	[ "$(cat out)" = "$(printf 'c1\tp1\t5\nc2\tp9\t1')" ]
	# /dev/null, read and written, is not a regular file: no refusal.
	sr-map --rejects /dev/null < /dev/null > out
	[ ! -s out ]
}

# The reference run of CMD, with every descriptor open: what each file in the
# directory holds after it, its stdout, stderr and status.
snapshot() {
	local dir=$1 cmd=$2 redir=$3 status=0
	rm -rf "$dir" && mkdir "$dir" && cp log.tsv sums.tsv rank.tsv "$dir"/
	(cd "$dir" && eval "$cmd $redir" > ../"$dir".out 2> ../"$dir".err) || status=$?
	echo "$status" > "$dir".status
}

# Every tool with each of descriptors 0, 1 and 2 closed. Closed stdin reads as
# empty; closed stdout fails every write (status 1, "write error"); closed
# stderr loses only the messages. In no case does a byte land in a file the
# run opened in the descriptor's place.
@test "io: every tool with stdin, stdout or stderr closed" {
	local cmd fd ref dir tries=0 f status
	for cmd in "sr-filter-week $WIN --rejects rej log.tsv" "sr-map --rejects rej log.tsv" \
	    "sr-map --rejects rej" "sr-sort sums.tsv" "sr-sort -m sums.tsv" "sr-sort" \
	    "sr-reduce --tee tee sums.tsv" "sr-reduce -m --tee tee sums.tsv" "sr-reduce --tee tee" \
	    "sr-topk sums.tsv" "sr-topk" "sr-load --db db.sqlite rank.tsv" "sr-load --db db.sqlite"; do
		for fd in 0 1 2; do
			# The reference: the same run with the descriptor on /dev/null (stdin) or open.
			snapshot ref "$cmd" "< /dev/null"
			rm -rf dir && mkdir dir && cp log.tsv sums.tsv rank.tsv dir/
			status=0
			case $fd in
			0) (cd dir && eval "timeout 20 $cmd" <&- > ../dir.out 2> ../dir.err) || status=$? ;;
			1) (cd dir && eval "timeout 20 $cmd" < /dev/null >&- 2> ../dir.err) || status=$? ;;
			2) (cd dir && eval "timeout 20 $cmd" < /dev/null > ../dir.out 2>&-) || status=$? ;;
			esac
			# Every file left in the directory, but a database and the WAL files
			# sr-load keeps beside it (their pages and salts vary), is as in the reference.
			for f in ref/* dir/*; do
				f=${f#*/}
				case $f in db.sqlite | db.sqlite-wal | db.sqlite-shm) continue ;; esac
				cmp -s "ref/$f" "dir/$f" || { echo "-- '$cmd' with fd $fd closed: $f differs"; return 1; }
			done
			case $fd in
			0) [ "$status" -eq "$(cat ref.status)" ] && cmp -s ref.out dir.out && cmp -s ref.err dir.err ;;
			1) if [ -s ref.out ]; then
				[ "$status" -eq 1 ] && grep -q "write error: Bad file descriptor$" dir.err
			   else
				[ "$status" -eq "$(cat ref.status)" ]
			   fi ;;
			2) [ "$status" -eq "$(cat ref.status)" ] && cmp -s ref.out dir.out ;;
			esac || { echo "-- '$cmd' with fd $fd closed: status $status (reference $(cat ref.status))";
				cat dir.err; return 1; }
			tries=$((tries + 1))
		done
	done
	echo "# $tries runs with a closed descriptor" >&3
	[ "$tries" -eq 39 ]
}

# sr-load's output is a database: one that is its input is not a database,
# or not a ranking, and is left as it was (status 1).
@test "io: sr-load with its database as its input changes nothing" {
	local cmd status
	sr-load --db db.sqlite rank.tsv
	for cmd in "sr-load --db rank.tsv rank.tsv" "sr-load --db rank.tsv < rank.tsv" \
	    "sr-load --db db.sqlite db.sqlite" "sr-load --db db.sqlite < db.sqlite" "sr-load --db /dev/stdin < rank.tsv"; do
		sha256sum rank.tsv db.sqlite > .sums
		status=0
		bash -c "$cmd" 2> .err || status=$?
		[ "$status" -eq 1 ] && sha256sum --quiet -c .sums || { echo "-- $cmd: status $status"; cat .err; return 1; }
	done
}
