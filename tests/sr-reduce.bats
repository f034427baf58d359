#!/usr/bin/env bats
# sr-reduce: one total per key of sorted input; unsorted, malformed or overflowing input stops it; its output reduces to itself.

load helper
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout
TOOL=sr-reduce

USAGE='usage: sr-reduce [-m] [-s file] [--tee file] [file ...]\n'
MAX=9223372036854775807
FIELDS='(want 3: category_id, product_id, sum)'

# N sorted keys, each on two lines: c<n> TAB p TAB 1, then TAB 2.
sorted_keys() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "c%09d\tp\t1\nc%09d\tp\t2\n", i, i }'
}

forever() {
	awk 'BEGIN { for (i = 0; ; i++) printf "c%012d\tp\t1\n", i }'
}

@test "sr-reduce: --help, --version, bad options" {
	check_help_version
	check 2 "-n 1" "" "" "$TOOL: invalid option -- 'n'\n$USAGE"
	check 2 "-s" "" "" "$TOOL: option requires an argument -- 's'\n$USAGE"
	check 2 "--merge=1" "" "" "$TOOL: option '--merge' doesn't allow an argument\n$USAGE"
}

@test "sr-reduce: a full disk is a write error at once" {
	check_dev_full "" forever
}

@test "sr-reduce: | head -1 ends it quietly" {
	check_head "" "sorted_keys 300000" $'c000000000\tp\t3'
}

@test "sr-reduce: operands: a directory, a missing file, - for stdin; one stream" {
	printf 'a\tp\t1\na\tp\t2\nb\tp\t1\n' > f1
	printf 'b\tp\t5\nc\tq\t1\n' > f2
	mkdir dir
	check 0 "f1 f2" "" "a\tp\t3\nb\tp\t6\nc\tq\t1\n"
	check 0 "f1 - f2" "b\tp\t10\n" "a\tp\t3\nb\tp\t16\nc\tq\t1\n"
	check 0 "-" "a\tp\t1\n" "a\tp\t1\n"
	check 1 "f1 dir f2" "" "a\tp\t3\nb\tp\t6\nc\tq\t1\n" "$TOOL: dir: Is a directory\n"
	check 1 "nosuch f1 f2" "" "a\tp\t3\nb\tp\t6\nc\tq\t1\n" "$TOOL: nosuch: No such file or directory\n"
	check 1 "f1 nosuch" "" "a\tp\t3\nb\tp\t1\n" "$TOOL: nosuch: No such file or directory\n"
	check 1 "nosuch" "a\tp\t1\n" "" "$TOOL: nosuch: No such file or directory\n"
	# The order runs across operands; line numbers are those of each operand.
	check 1 "f2 f1" "" "" "$TOOL: f1:1: input is not sorted (run sr-sort first)\n"
	check 1 "f1 -" "a\tp\t1\n" "" "$TOOL: stdin:1: input is not sorted (run sr-sort first)\n"
}

@test "sr-reduce: one line per key with the total of its sums" {
	check 0 "" "" ""
	check 0 "" "c\tp\t1\nc\tp\t2\nc\tq\t4\nd\tp\t8\n" "c\tp\t3\nc\tq\t4\nd\tp\t8\n"
	check 0 "" "c\tp\t5\nc\tp\t-7\n" "c\tp\t-2\n"
	check 0 "" "c\tp\t5\nc\tp\t-5\nc\tq\t0\n" "c\tp\t0\nc\tq\t0\n"
	check 0 "" "c\tp\t+5\nc\tp\t-0\nc\tp\t+0\nc\tp\t007\n" "c\tp\t12\n"
	check 0 "" "c\tp\t$MAX\nc\tp\t-1\nc\tp\t1\n" "c\tp\t$MAX\n"
	check 0 "" "c\tp\t-$MAX\nc\tp\t-1\n" "c\tp\t-9223372036854775808\n"
	check 0 "" "c\tp\t1\nc\tp\t2" "c\tp\t3\n"
	check 0 "" "B\tz\t1\na\tb\t1\na\tb\t1\na\tb c\t2\na\tbc\t4\na b\tc\t8\nab\tc\t16\n\xc3\xa9\tp\t1\n" \
	    "B\tz\t1\na\tb\t2\na\tb c\t2\na\tbc\t4\na b\tc\t8\nab\tc\t16\n\xc3\xa9\tp\t1\n"
}

@test "sr-reduce: unsorted input stops it" {
	check 1 "" "b\tp\t1\na\tp\t1\n" "" "$TOOL: stdin:2: input is not sorted (run sr-sort first)\n"
	check 1 "" "c\tq\t1\nc\tp\t1\n" "" "$TOOL: stdin:2: input is not sorted (run sr-sort first)\n"
	check 1 "" "ab\tp\t1\na\tb\t1\n" "" "$TOOL: stdin:2: input is not sorted (run sr-sort first)\n"
	check 1 "" "a\tp\t1\nB\tp\t1\n" "" "$TOOL: stdin:2: input is not sorted (run sr-sort first)\n"
	check 1 "" "c\tp\t1\nc\tp\t1\nc\tp \t1\nc\tp\t1\n" "" "$TOOL: stdin:4: input is not sorted (run sr-sort first)\n"
}

@test "sr-reduce: a total that overflows 64 bits stops it" {
	check 1 "" "c\tp\t$MAX\nc\tp\t1\n" "" "$TOOL: stdin:2: field 3 (sum): total of the key overflows 64 bits: 'c\\\\tp'\n"
	check 1 "" "c\tp\t-$MAX\nc\tp\t-1\nc\tp\t-1\n" "" "$TOOL: stdin:3: field 3 (sum): total of the key overflows 64 bits: 'c\\\\tp'\n"
	printf 'c\tp\t%s\n' $MAX > o1
	check 1 "o1 o1" "" "" "$TOOL: o1:1: field 3 (sum): total of the key overflows 64 bits: 'c\\\\tp'\n"
}

@test "sr-reduce: a malformed line stops it, naming the line and field" {
	check 1 "" "\n" "" "$TOOL: stdin:1: too few fields $FIELDS\n"
	check 1 "" "c\tp\n" "" "$TOOL: stdin:1: too few fields $FIELDS\n"
	check 1 "" "c\tp\t1\t2\n" "" "$TOOL: stdin:1: too many fields $FIELDS\n"
	check 1 "" "c\tp\t1\t\n" "" "$TOOL: stdin:1: too many fields $FIELDS\n"
	check 1 "" "c\tp\t1\nc\tp\t2x\n" "" "$TOOL: stdin:2: field 3 (sum): not an integer: '2x'\n"
	check 1 "" "c\tp\t\n" "" "$TOOL: stdin:1: field 3 (sum): empty: ''\n"
	check 1 "" "c\tp\t1.5\n" "" "$TOOL: stdin:1: field 3 (sum): not an integer: '1.5'\n"
	check 1 "" "c\tp\t-\n" "" "$TOOL: stdin:1: field 3 (sum): not an integer: '-'\n"
	check 1 "" "c\tp\t 1\n" "" "$TOOL: stdin:1: field 3 (sum): not an integer: ' 1'\n"
	check 1 "" "c\tp\t1\r\n" "" "$TOOL: stdin:1: field 3 (sum): not an integer: '1\\\\r'\n"
	check 1 "" "c\tp\t9223372036854775808\n" "" "$TOOL: stdin:1: field 3 (sum): out of range for a 64-bit integer: '9223372036854775808'\n"
	check 1 "" "\tp\t1\n" "" "$TOOL: stdin:1: field 1 (category_id): empty: ''\n"
	check 1 "" "c\t\t1\n" "" "$TOOL: stdin:1: field 2 (product_id): empty: ''\n"
	check 1 "" "c\x01\tp\t1\n" "" "$TOOL: stdin:1: field 1 (category_id): control character in id: 'c\\\\x01'\n"
	check 1 "" "c\tp\x7f\t1\n" "" "$TOOL: stdin:1: field 2 (product_id): control character in id: 'p\\\\x7f'\n"
	check 1 "" "c\t$(printf '%0256d' 0)\t1\n" "" "$TOOL: stdin:1: field 2 (product_id): longer than 255 bytes: '$(printf '%087d' 0)...'\n"
	check 0 "" "c\t$(printf '%0255d' 0)\t1\n" "c\t$(printf '%0255d' 0)\t1\n"
	check 1 "" "c\tp\t$(printf '%070000d' 0)\n" "" "$TOOL: stdin:1: line too long\n"
}

@test "sr-reduce: its output reduces to itself; halves reduced apart then merged give the same totals" {
	awk 'BEGIN { for (i = 0; i < 50000; i++) printf "c%d\tp%d\t%d\n", i % 7, i % 1000, i % 11 - 3 }' > in
	sort in > sorted
	"$TOOL" sorted > once
	"$TOOL" once > twice
	cmp once twice
	[ "$(wc -l < once)" -eq 7000 ]
	awk -F '\t' '{ s[$1 "\t" $2] += $3 } END { for (k in s) print k "\t" s[k] }' in | sort > want
	cmp once want
	head -25000 in | sort | "$TOOL" > half1
	tail -n +25001 in | sort | "$TOOL" > half2
	sr-sort -m half1 half2 | "$TOOL" > merged
	cmp merged want
}

# sorted_sums SEED N: N lines of a few keys with small sums, sorted, not reduced.
sorted_sums() {
	awk -v s="$1" -v n="$2" 'BEGIN { srand(s); for (i = 0; i < n; i++)
		printf "c%d\tp%d\t%d\n", int(rand() * 5), int(rand() * 300), int(rand() * 21) - 10 }' | LC_ALL=C sort
}

# negated FILE: FILE with its sums' signs turned, as sr-reduce -s takes them.
negated() {
	awk 'BEGIN { FS = OFS = "\t" } { $3 = -$3; print }' "$1"
}

@test "sr-reduce -m: merges sorted files as sr-sort -m | sr-reduce does, whatever their sizes" {
	for seed in 1 2 3 4; do
		sorted_sums "$seed" 3000 > a
		sorted_sums "$((seed + 10))" 40 > b
		sorted_sums "$((seed + 20))" 0 > c
		sorted_sums "$((seed + 30))" 2000 > d
		sr-sort -m a b c d | "$TOOL" > want
		[ "$(wc -l < want)" -gt 1000 ]
		"$TOOL" -m a b c d > got
		cmp got want
		"$TOOL" --merge d c b a > got
		cmp got want
		# stdin as one of them
		"$TOOL" -m a - c d < b > got
		cmp got want
	done
	# One file, or stdin alone, merges to itself: the plain reduce.
	"$TOOL" a > want
	"$TOOL" -m a > got
	cmp got want
	"$TOOL" -m < a > got
	cmp got want
	# The same key in every file, and files that end without a newline.
	printf 'c\tp\t1\nc\tp\t2' > e1
	printf 'b\tq\t1\nc\tp\t4\n' > e2
	printf 'c\tp\t8\nc\tq\t1' > e3
	check 0 "-m e1 e2 e3" "" "b\tq\t1\nc\tp\t15\nc\tq\t1\n"
	check 0 "-m" "" ""
	check 0 "-m c c" "" ""
}

@test "sr-reduce -s: takes the sums of a file away; equals merging it negated" {
	for seed in 1 2 3; do
		sorted_sums "$seed" 3000 > a
		sorted_sums "$((seed + 10))" 500 > b
		sorted_sums "$((seed + 20))" 700 > old
		negated old > nold
		negated b > nb
		sr-sort -m a b nold | "$TOOL" > want
		"$TOOL" -m a b -s old > got
		cmp got want
		"$TOOL" a b --subtract=old > got
		cmp got want
		sr-sort -m a nb nold | "$TOOL" > want
		"$TOOL" -s b -s old a > got
		cmp got want
	done
	# Taken away from itself, every total is 0; a key only in -s is negative.
	"$TOOL" -m a -s a | awk -F '\t' '$3 != 0 { exit 1 }'
	printf 'c\tp\t5\n' > f1
	printf 'c\tp\t2\nd\tq\t-3\nd\tr\t4\n' > f2
	check 0 "-s f2 f1" "" "c\tp\t3\nd\tq\t3\nd\tr\t-4\n"
	check 0 "-s f2" "c\tp\t1\n" "c\tp\t-1\nd\tq\t3\nd\tr\t-4\n"
	# Taking away -2^63 gives 2^63, which a total may pass through.
	printf 'c\tp\t-9223372036854775808\n' > min
	check 1 "f1 -s min" "" "" "$TOOL: min:1: field 3 (sum): total of the key overflows 64 bits: 'c\\\\tp'\n"
	printf 'c\tp\t-1\n' > m1
	check 0 "m1 -s min -s f1" "" "c\tp\t9223372036854775802\n"
	printf 'c\tp\t-%s\n' $MAX > negmax
	check 1 "f1 -s negmax" "" "" "$TOOL: negmax:1: field 3 (sum): total of the key overflows 64 bits: 'c\\\\tp'\n"
}

# A fault in the data stops it with nothing more written (the output would be
# wrong); a file that cannot be read leaves the others' totals, and status 1.
@test "sr-reduce -m: a file out of order, malformed, or missing is named" {
	printf 'a\tp\t1\nc\tp\t1\n' > s1
	printf 'b\tp\t1\nd\tp\t1\na\tp\t1\n' > s2
	check 1 "-m s1 s2" "" "" "$TOOL: s2:3: input is not sorted (run sr-sort first)\n"
	check 1 "-m s1 -s s2" "" "" "$TOOL: s2:3: input is not sorted (run sr-sort first)\n"
	printf 'a\tp\t1\nb\tp\tx\n' > bad
	check 1 "-m s1 bad" "" "" "$TOOL: bad:2: field 3 (sum): not an integer: 'x'\n"
	printf 'c\tp\t%s\n' $MAX > big
	check 1 "-m s1 big" "" "" "$TOOL: big:1: field 3 (sum): total of the key overflows 64 bits: 'c\\\\tp'\n"
	check 1 "-m s1 nosuch" "" "a\tp\t1\nc\tp\t1\n" "$TOOL: nosuch: No such file or directory\n"
	mkdir dir
	check 1 "-m dir s1" "" "a\tp\t1\nc\tp\t1\n" "$TOOL: dir: Is a directory\n"
	check 1 "-s nosuch s1" "" "a\tp\t1\nc\tp\t1\n" "$TOOL: nosuch: No such file or directory\n"
}

@test "sr-reduce -m: a full disk is a write error; | head ends it quietly" {
	sorted_keys 300000 > k1
	sorted_keys 1000 > k2
	check_dev_full "-m k1 k2" "true"
	"$TOOL" -m k1 k2 | head -1 > first
	[ "$(cat first)" = $'c000000000\tp\t6' ]
}

@test "sr-reduce --tee: the output goes to the file too; a file it cannot write is an error" {
	sorted_sums 1 3000 > a
	sorted_sums 2 300 > b
	echo old > copy
	"$TOOL" -m a b --tee copy > out
	[ "$(wc -l < out)" -gt 1000 ]
	cmp out copy
	"$TOOL" --tee=copy a > out
	cmp out copy
	"$TOOL" a | cmp - copy
	"$TOOL" --tee copy < /dev/null > out
	[ ! -s copy ] && [ ! -s out ]
	check 1 "--tee nodir/copy a" "" "" "$TOOL: nodir/copy: No such file or directory\n"
	check 1 "--tee /dev/full a" "" "" "$TOOL: /dev/full: write error: No space left on device\n"
	check 2 "--tee" "" "" "$TOOL: option '--tee' requires an argument\n$USAGE"
}

@test "sr-reduce -m: many files, with keys of plain integers (compared packed) among others, merge as sr-sort -m does" {
	# Over 8 files the keys of two plain integers are compared as numbers:
	# their order must stay the bytes', beside keys with leading zeros,
	# signs, letters, long ids and ids that are prefixes of others.
	for f in $(seq 1 20); do
		awk -v s="$f" 'BEGIN { srand(s)
			split("7 07 70 700 12345 123456 9 -1 +1 a 1a 99999999999 999999999999 9999999999999", ids, " ")
			for (i = 0; i < 400; i++)
				printf "%s\t%s\t%d\n", ids[int(rand() * 14) + 1], ids[int(rand() * 14) + 1] int(rand() * 3), int(rand() * 9) - 4
		}' | LC_ALL=C sort > "m$f"
	done
	sr-sort -m m* | "$TOOL" > want
	[ "$(wc -l < want)" -gt 300 ]
	"$TOOL" -m m* > got
	cmp got want
	"$TOOL" -m m1 m2 m3 m4 m5 m6 m7 m8 m9 -s m10 -s m11 > got
	negated m10 > n10
	negated m11 > n11
	sr-sort -m m1 m2 m3 m4 m5 m6 m7 m8 m9 n10 n11 | "$TOOL" > want
	cmp got want
}

# padded_parts DIR: a sweep of sums written with leading zeros and signs, ids
# of every length up to the maximum, lines up to the line limit; written as
# DIR/all (every part, sorted), DIR/f1 DIR/f2 DIR/f3 (the parts dealt out,
# each sorted), and the exact totals by python3's integers: DIR/want (all
# parts), DIR/want-s (f1 + f2 - f3). Prints the number of keys.
padded_parts() {
	python3 - "$1" <<'PY'
import random, sys
d = sys.argv[1]
rng = random.Random(11)
alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
lengths = [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 127, 128, 200, 254, 255]
zeros = [0, 1, 2, 7, 8, 15, 16, 17, 18, 19, 20, 21, 31, 32, 33, 64, 100, 150, 255, 256,
         511, 512, 1000, 2000, 4095, 4096, 5000, 8191, 10000, 30000, 65000]
def ident(i, n):
    s = alpha[i % 62] + alpha[i // 62 % 62]
    return (s * n)[:n] if n > 1 else alpha[i % 62]
def text(v, z):
    sign = "-" if v < 0 else rng.choice(["", "+"])
    return sign + "0" * z + str(abs(v))
parts = []  # (key, value, text, file)
for li, n in enumerate(lengths):
    for zi, z in enumerate(zeros):
        key = ident(zi, n) + "\t" + ident(li, n)
        for j in range(rng.choice([1, 1, 2, 3, 5])):
            v = rng.choice([0, 0, 1, -1, rng.randint(-10**6, 10**6), rng.randint(-2**60, 2**60)])
            parts.append((key, v, text(v, z if rng.random() < 0.8 else rng.choice(zeros)), rng.randint(1, 3)))
parts.sort(key=lambda p: p[0].encode())
tot, tots = {}, {}
for key, v, t, f in parts:
    tot[key] = tot.get(key, 0) + v
    tots[key] = tots.get(key, 0) + (-v if f == 3 else v)
with open(d + "/all", "w") as a:
    for key, v, t, f in parts:
        a.write(key + "\t" + t + "\n")
for f in (1, 2, 3):
    with open(d + "/f%d" % f, "w") as o:
        for key, v, t, g in parts:
            if g == f:
                o.write(key + "\t" + t + "\n")
keys = sorted(tot, key=lambda k: k.encode())
with open(d + "/want", "w") as o:
    for k in keys:
        o.write("%s\t%d\n" % (k, tot[k]))
with open(d + "/want-s", "w") as o:
    for k in keys:
        o.write("%s\t%d\n" % (k, tots[k]))
print(len(keys))
PY
}

@test "sr-reduce: sums with leading zeros and signs, ids up to 255 bytes, lines up to the limit: the totals the digits say, in every mode" {
	mkdir p
	keys=$(padded_parts p)
	[ "$keys" -eq 527 ]
	"$TOOL" p/all > got
	cmp got p/want
	"$TOOL" p/f1 p/f2 p/f3 > /dev/null 2>&1 && false	# one stream: f2 restarts the order
	"$TOOL" -m p/f1 p/f2 p/f3 > got
	cmp got p/want
	"$TOOL" -m p/f3 p/all -s p/f3 > got
	cmp got p/want
	"$TOOL" -m p/f1 p/f2 -s p/f3 --tee copy > got
	cmp got p/want-s
	cmp copy p/want-s
	"$TOOL" -m p/all > got
	cmp got p/want
	# Many inputs (keys compared packed): every part a file of its own line.
	split -l 1 -a 4 p/all p/one.
	"$TOOL" -m p/one.* > got
	cmp got p/want
	echo "# $keys keys x 6 modes" >&3
}

@test "sr-reduce: a total is exact whatever the order of its parts; only a final total outside 64 bits is an error" {
	check 0 "" "c\tp\t-9223372036854775808\nc\tp\t-1\nc\tp\t2\n" "c\tp\t-9223372036854775807\n"
	check 0 "" "c\tp\t$MAX\nc\tp\t$MAX\nc\tp\t-$MAX\nd\tp\t1\n" "c\tp\t$MAX\nd\tp\t1\n"
	check 1 "" "c\tp\t-1\nc\tp\t$MAX\nc\tp\t2\nd\tp\t1\n" "" "$TOOL: stdin:3: field 3 (sum): total of the key overflows 64 bits: 'c\\\\tp'\n"
	printf 'c\tp\t-9223372036854775808\n' > a1
	printf 'c\tp\t-1\n' > a2
	printf 'c\tp\t2\n' > a3
	check 0 "-m a1 a2 a3" "" "c\tp\t-9223372036854775807\n"
	check 0 "-m a1 a3 -s a2" "" "c\tp\t-9223372036854775805\n"
	check 0 "-m a3 -s a2 -s a3 a1" "" "c\tp\t-9223372036854775807\n"
	# Random parts near the limits, in random orders, dealt out to files and
	# to -s files, against python3's integers; a tenth of the keys do not fit.
	python3 - "$TOOL" <<'PY' >&3
import os, random, subprocess, sys
tool = sys.argv[1]
rng = random.Random(7)
LO, HI = -2**63, 2**63 - 1
near = [LO, LO + 1, LO + 2, -2**62, -2, -1, 0, 1, 2, 2**62, HI - 1, HI]
def part():
    return rng.choice(near) if rng.random() < 0.7 else rng.randint(LO, HI)
cases = errors = 0
for trial in range(300):
    nkeys = rng.randint(1, 40)
    bad = rng.randrange(nkeys) if trial % 3 == 0 else -1
    keys = sorted({"c%d\tp%d" % (rng.randint(0, 9), rng.randint(0, 99)) for _ in range(nkeys)})
    bad = bad if bad < len(keys) else -1
    lines = []  # (key, written value, taken away)
    for i, k in enumerate(keys):
        parts = [(part(), rng.random() < 0.3) for _ in range(rng.randint(1, 6))]
        t = sum(-w if neg else w for w, neg in parts)
        while i != bad and not LO <= t <= HI:  # bring it back in range
            w = max(LO, min(HI, (rng.randint(LO // 2, HI // 2)) - t))
            parts.append((w, False))
            t += w
        while i == bad and LO <= t <= HI:
            w = HI if t >= 0 else LO
            parts.append((w, False))
            t += w
        rng.shuffle(parts)
        lines += [(k, w, neg) for w, neg in parts]
    nfiles = rng.randint(1, 12)
    files = [[] for _ in range(nfiles)]
    subs = [[] for _ in range(rng.randint(1, 3))]
    for k, w, neg in lines:
        (rng.choice(subs) if neg else rng.choice(files)).append((k, w))
    def write(name, rows):
        with open(name, "w") as f:
            for k, w in rows:
                f.write("%s\t%d\n" % (k, w))
    for i, rows in enumerate(files):
        write("x%d" % i, rows)
    for i, rows in enumerate(subs):
        write("s%d" % i, rows)
    write("plain", [(k, -w if neg and w != LO else w) for k, w, neg in lines if not neg or w != LO])
    want = ""
    for i, k in enumerate(keys):
        if i == bad:
            break
        want += "%s\t%d\n" % (k, sum(-w if neg else w for kk, w, neg in lines if kk == k))
    # plain: one file of the same parts, the taken-away ones negated (but -2^63's)
    plain_want, plain_bad = "", False
    for k in keys:
        ps = [-w if neg else w for kk, w, neg in lines if kk == k and not (neg and w == LO)]
        if ps and not LO <= sum(ps) <= HI:
            plain_bad = True
            break
        plain_want += "%s\t%d\n" % (k, sum(ps)) if ps else ""
    runs = [([tool, "plain"], plain_want, plain_bad),
            ([tool, "-m"] + ["x%d" % i for i in range(nfiles)], None, None),
            ([tool, "-m"] + ["x%d" % i for i in range(nfiles)] + sum((["-s", "s%d" % i] for i in range(len(subs))), []), want, bad >= 0)]
    if not any(neg for k, w, neg in lines):
        runs[1] = (runs[1][0], want, bad >= 0)
    for argv, w, isbad in runs:
        if w is None:
            continue
        cases += 1
        r = subprocess.run(argv, capture_output=True, text=True)
        if isbad:
            ok = r.returncode == 1 and "overflows 64 bits" in r.stderr and w.startswith(r.stdout)
        else:
            ok = r.returncode == 0 and r.stdout == w and r.stderr == ""
        if not ok:
            errors += 1
            if errors < 4:
                print("trial %d: %s: status %d, stderr %r" % (trial, " ".join(argv[:3]), r.returncode, r.stderr))
print("# %d cases, %d wrong" % (cases, errors))
sys.exit(errors != 0)
PY
}

@test "sr-reduce -m: more files than open files allow: the soft limit is raised, else the merge goes in passes, exact; beyond what passes allow, a message" {
	# Files of parts near the 64-bit limits (totals of a group of files may
	# pass beyond 64 bits), some taken away with -s, merged under limits on
	# open files from 40 to 1100 (soft and hard, or soft only), against
	# python3's integers.
	python3 - "$TOOL" <<'PY' >&3
import os, random, resource, subprocess, sys
tool = sys.argv[1]
rng = random.Random(9)
LO, HI = -2**63, 2**63 - 1
cases = wrong = 0
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
for nfiles in (1, 2, 13, 50, 200, 600, 1500):
    keys = sorted({"c%d\tp%d" % (rng.randint(0, 3), rng.randint(0, 20)) for _ in range(30)})
    files = [[] for _ in range(nfiles)]
    want = {}
    for k in keys:
        # big parts first, their counterweights in later files: groups of files pass beyond 64 bits
        t, n = 0, rng.randint(1, 2 * nfiles)
        for j in range(n):
            f = min(nfiles - 1, j * nfiles // n)
            w = rng.choice([HI, HI, LO, rng.randint(LO, HI)]) if j < n // 2 else None
            if w is None:
                w = max(LO, min(HI, -t // max(1, n - j) + rng.randint(-5, 5)))
            if j == n - 1:
                w = max(LO, min(HI, rng.randint(-10**6, 10**6) - t))
            neg = rng.random() < 0.2 and w != LO
            files[f].append((k, -w if neg else w, neg))
            t += w
        want[k] = t
    names = []
    for i, rows in enumerate(files):
        for neg in (False, True):
            name = "%s%d" % ("s" if neg else "x", i)
            with open(name, "w") as f:
                for k, w, n_ in sorted((r for r in rows if r[2] == neg), key=lambda r: r[0].encode()):
                    f.write("%s\t%d\n" % (k, w))
            names += ["-s", name] if neg else [name]
    exp = "".join("%s\t%d\n" % (k, want[k]) for k in keys if LO <= want[k] <= HI)
    fits = all(LO <= v <= HI for v in want.values())
    for soft, hardl in ((40, 40), (48, 48), (64, 64), (100, 100), (300, 300), (1100, 1100), (40, hard)):
        ninputs = len(names) - names.count("-s")
        avail = min(1024, soft - 16) if hardl == soft else 1024
        g = avail // 2
        toomany = ninputs > avail and (ninputs + g - 1) // g > g
        lim = lambda s=soft, h=hardl: resource.setrlimit(resource.RLIMIT_NOFILE, (s, h))
        r = subprocess.run([tool, "-m"] + names, capture_output=True, text=True, preexec_fn=lim)
        cases += 1
        if toomany:
            ok = r.returncode == 1 and r.stdout == "" and r.stderr.startswith(
                "sr-reduce: too many files to merge: %d (the limit of %d open files allows" % (ninputs, soft))
        elif fits:
            ok = r.returncode == 0 and r.stdout == exp and r.stderr == ""
        else:
            ok = r.returncode == 1 and "overflows 64 bits" in r.stderr
        if not ok:
            wrong += 1
            print("%d files, limit %d/%d: status %d, %r" % (nfiles, soft, hardl, r.returncode, r.stderr[:200]))
print("# %d cases, %d wrong" % (cases, wrong))
sys.exit(wrong != 0)
PY
}
