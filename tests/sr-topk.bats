#!/usr/bin/env bats
# sr-topk: ranks by total, ties by product id (integers first, numerically), -n and -a, and input that is not reduced.

load helper
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
load timeout
TOOL=sr-topk

USAGE='usage: sr-topk [-a | -n count] [file ...]\n'
FIELDS='(want 3: category_id, product_id, sum)'

# Products 0..N-1 of categories c0..c6 with totals that tie often, sorted as sr-reduce writes them.
totals() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "c%d\t%d\t%d\n", i % 7, i, (i * 7919) % 53 - 5 }' | sort
}

# The ranking of totals N, best K of each category, made with sort(1) and awk(1).
ranking() {
	totals "$1" | sort -t "$(printf '\t')" -k1,1 -k3,3nr -k2,2n |
	    awk -F '\t' -v k="$2" '$1 != c { c = $1; r = 0 } ++r <= k { print $1 "\t" r "\t" $2 "\t" $3 }'
}

forever() {
	awk 'BEGIN { for (i = 0; ; i++) printf "c%012d\tp\t1\n", i }'
}

@test "sr-topk: --help, --version, bad options" {
	check_help_version
	check 2 "-n" "" "" "$TOOL: option requires an argument -- 'n'\n$USAGE"
	check 2 "--count" "" "" "$TOOL: option '--count' requires an argument\n$USAGE"
	check 2 "-k 3" "" "" "$TOOL: invalid option -- 'k'\n$USAGE"
}

@test "sr-topk: a full disk is a write error at once" {
	check_dev_full "" forever
}

@test "sr-topk: | head -1 ends it quietly" {
	check_head "-a" "totals 300000" $'c0\t1\t*\t47'
}

@test "sr-topk: operands: a directory, a missing file, - for stdin; one stream" {
	printf 'a\tp\t1\na\tq\t2\n' > f1
	printf 'b\tp\t5\n' > f2
	mkdir dir
	check 0 "f1 f2" "" "a\t1\tq\t2\na\t2\tp\t1\nb\t1\tp\t5\n"
	check 0 "f1 - f2" "a\tr\t3\n" "a\t1\tr\t3\na\t2\tq\t2\na\t3\tp\t1\nb\t1\tp\t5\n"
	check 0 "-" "a\tp\t1\n" "a\t1\tp\t1\n"
	check 1 "f1 dir f2" "" "a\t1\tq\t2\na\t2\tp\t1\nb\t1\tp\t5\n" "$TOOL: dir: Is a directory\n"
	check 1 "f1 nosuch f2" "" "a\t1\tq\t2\na\t2\tp\t1\nb\t1\tp\t5\n" "$TOOL: nosuch: No such file or directory\n"
	check 1 "nosuch" "a\tp\t1\n" "" "$TOOL: nosuch: No such file or directory\n"
	check 1 "f2 f1" "" "" "$TOOL: f1:1: input is not sorted (run sr-sort first)\n"
	check 1 "f1 f1" "" "" "$TOOL: f1:1: input is not sorted (run sr-sort first)\n"
}

@test "sr-topk: ranks by total, best first; categories in byte order" {
	check 0 "" "" ""
	check 0 "" "c\tp\t1\nc\tq\t3\nc\tr\t2\n" "c\t1\tq\t3\nc\t2\tr\t2\nc\t3\tp\t1\n"
	check 0 "" "B\tp\t1\na\tp\t2\nb\tp\t3\n\xc3\xa9\tp\t4\n" "B\t1\tp\t1\na\t1\tp\t2\nb\t1\tp\t3\n\xc3\xa9\t1\tp\t4\n"
	check 0 "" "c\ta\t-5\nc\tb\t0\nc\tc\t-1\nc\td\t2\n" "c\t1\td\t2\nc\t2\tb\t0\nc\t3\tc\t-1\nc\t4\ta\t-5\n"
	check 0 "" "c\tp\t9223372036854775807\nc\tq\t-9223372036854775808\n" "c\t1\tp\t9223372036854775807\nc\t2\tq\t-9223372036854775808\n"
	check 0 "" "c\tp\t1\nc\tq\t2" "c\t1\tq\t2\nc\t2\tp\t1\n"
}

@test "sr-topk: ties go to the smaller id: integers first and numerically, then byte order" {
	check 0 "" "c\t10\t5\nc\t2\t5\n" "c\t1\t2\t5\nc\t2\t10\t5\n"
	check 0 "" "c\t0\t5\nc\t1\t5\nc\t10\t5\nc\t100\t5\nc\t11\t5\nc\t2\t5\nc\t99\t5\n" \
	    "c\t1\t0\t5\nc\t2\t1\t5\nc\t3\t2\t5\nc\t4\t10\t5\nc\t5\t11\t5\nc\t6\t99\t5\nc\t7\t100\t5\n"
	check 0 "" "c\t02\t5\nc\t10\t5\nc\tZ\t5\nc\tab\t5\n" "c\t1\t10\t5\nc\t2\t02\t5\nc\t3\tZ\t5\nc\t4\tab\t5\n"
	check 0 "" "c\t+3\t5\nc\t-1\t5\nc\t00\t5\nc\t1.0\t5\nc\t1a\t5\nc\t2\t5\n" \
	    "c\t1\t2\t5\nc\t2\t+3\t5\nc\t3\t-1\t5\nc\t4\t00\t5\nc\t5\t1.0\t5\nc\t6\t1a\t5\n"
	check 0 "" "c\tB\t5\nc\ta\t5\nc\tb\t5\nc\t\xc3\xa9\t5\n" "c\t1\tB\t5\nc\t2\ta\t5\nc\t3\tb\t5\nc\t4\t\xc3\xa9\t5\n"
	check 0 "" "c\t12345678901234567890123\t5\nc\t9999999999999999999999\t5\n" \
	    "c\t1\t9999999999999999999999\t5\nc\t2\t12345678901234567890123\t5\n"
	check 0 "" "c\t1\t1\nc\t2\t9\nc\t3\t9\nc\ta\t9\n" "c\t1\t2\t9\nc\t2\t3\t9\nc\t3\ta\t9\nc\t4\t1\t1\n"
}

@test "sr-topk: -n keeps the best count of each category; -a keeps all" {
	local in="c\t1\t5\nc\t2\t5\nc\t3\t5\nc\t4\t9\nd\tx\t1\n"
	check 0 "-n 2" "$in" "c\t1\t4\t9\nc\t2\t1\t5\nd\t1\tx\t1\n"
	check 0 "-n 1" "$in" "c\t1\t4\t9\nd\t1\tx\t1\n"
	check 0 "--count 3" "$in" "c\t1\t4\t9\nc\t2\t1\t5\nc\t3\t2\t5\nd\t1\tx\t1\n"
	check 0 "-n 100000000" "$in" "c\t1\t4\t9\nc\t2\t1\t5\nc\t3\t2\t5\nc\t4\t3\t5\nd\t1\tx\t1\n"
	check 0 "-a" "$in" "c\t1\t4\t9\nc\t2\t1\t5\nc\t3\t2\t5\nc\t4\t3\t5\nd\t1\tx\t1\n"
	check 0 "--all" "$in" "c\t1\t4\t9\nc\t2\t1\t5\nc\t3\t2\t5\nc\t4\t3\t5\nd\t1\tx\t1\n"
	check 0 "-n 2 -n 1" "$in" "c\t1\t4\t9\nd\t1\tx\t1\n"
	check 0 "-n +1" "$in" "c\t1\t4\t9\nd\t1\tx\t1\n"
	check 0 "-n1" "$in" "c\t1\t4\t9\nd\t1\tx\t1\n"
	# The default is 100.
	awk 'BEGIN { for (i = 100; i < 250; i++) printf "c\t%d\t1\n", i }' > many
	"$TOOL" many > out
	[ "$(wc -l < out)" -eq 100 ]
	[ "$(tail -1 out)" = "$(printf 'c\t100\t199\t1')" ]
}

@test "sr-topk: the ranking equals one made with sort(1), for -n 1, 10, 500 and -a" {
	ranking 5000 1 > want; totals 5000 | "$TOOL" -n 1 > got; cmp got want
	ranking 5000 10 > want; totals 5000 | "$TOOL" -n 10 > got; cmp got want
	ranking 5000 500 > want; totals 5000 | "$TOOL" -n 500 > got; cmp got want
	ranking 5000 5000 > want; totals 5000 | "$TOOL" -a > got; cmp got want
	[ "$(wc -l < got)" -eq 5000 ]
}

@test "sr-topk: bad -n, or -a with -n, are usage errors" {
	check 2 "-n 0" "" "" "$TOOL: -n: count is too small: 0 (at least 1)\n"
	check 2 "-n -1" "" "" "$TOOL: -n: count is too small: -1 (at least 1)\n"
	check 2 "-n x" "" "" "$TOOL: -n: not a number: 'x'\n"
	check 2 "-n ''" "" "" "$TOOL: -n: not a number: ''\n"
	check 2 "-n 1e3" "" "" "$TOOL: -n: not a number: '1e3'\n"
	check 2 "-n 100000001" "" "" "$TOOL: -n: count is too large: 100000001 (at most 100000000)\n"
	check 2 "-n 99999999999999999999" "" "" "$TOOL: -n: count is too large: 99999999999999999999\n"
	check 2 "-a -n 3" "" "" "$TOOL: -a and -n exclude each other\n"
	check 2 "-n 3 -a" "" "" "$TOOL: -a and -n exclude each other\n"
	check 2 "--all --count 0" "" "" "$TOOL: -a and -n exclude each other\n"
}

@test "sr-topk: input that is not reduced, not sorted or malformed stops it" {
	check 1 "" "c\tp\t1\nc\tp\t2\n" "" "$TOOL: stdin:2: key repeated (run sr-reduce first)\n"
	check 1 "" "c\tq\t1\nc\tp\t2\n" "" "$TOOL: stdin:2: input is not sorted (run sr-sort first)\n"
	check 1 "" "d\tp\t1\nc\tp\t2\n" "" "$TOOL: stdin:2: input is not sorted (run sr-sort first)\n"
	check 1 "" "c\t10\t1\nc\t9\t1\nc\t2\t1\n" "" "$TOOL: stdin:3: input is not sorted (run sr-sort first)\n"
	check 1 "" "c\tp\n" "" "$TOOL: stdin:1: too few fields $FIELDS\n"
	check 1 "" "c\t1\tp\t5\n" "" "$TOOL: stdin:1: too many fields $FIELDS\n"
	check 1 "" "c\tp\tx\n" "" "$TOOL: stdin:1: field 3 (sum): not an integer: 'x'\n"
	check 1 "" "\tp\t1\n" "" "$TOOL: stdin:1: field 1 (category_id): empty: ''\n"
	check 1 "" "c\tp\r\t1\n" "" "$TOOL: stdin:1: field 2 (product_id): control character in id: 'p\\\\r'\n"
	check 1 "" "c\t$(printf '%0256d' 0)\t1\n" "" "$TOOL: stdin:1: field 2 (product_id): longer than 255 bytes: '$(printf '%087d' 0)...'\n"
	check 0 "" "c\t$(printf '%0255d' 0)\t1\n" "c\t1\t$(printf '%0255d' 0)\t1\n"
}

@test "sr-topk: totals with leading zeros and signs, ids up to 255 bytes, lines up to the limit: ranked by the values the digits say" {
	python3 - <<'PY'
import random
rng = random.Random(5)
alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
lengths = [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 127, 128, 200, 254, 255]
zeros = [0, 1, 2, 7, 8, 15, 16, 17, 18, 19, 20, 21, 31, 32, 33, 64, 100, 150, 255, 256,
         511, 512, 1000, 2000, 4095, 4096, 5000, 8191, 10000, 30000, 65000]
def ident(i, n):
    s = alpha[i % 62] + alpha[i // 62 % 62]
    return (s * n)[:n] if n > 1 else alpha[i % 62]
rows = []
for li, n in enumerate(lengths):
    values = list({rng.randint(-2**62, 2**62) for _ in range(40)})[:len(zeros)]  # distinct: no ties
    for zi, z in enumerate(zeros):
        v = values[zi]
        t = ("-" if v < 0 else rng.choice(["", "+"])) + "0" * z + str(abs(v))
        rows.append((ident(li, n), ident(zi, n), v, t))
rows.sort(key=lambda r: (r[0] + "\t" + r[1]).encode())
with open("in", "w") as f:
    for c, p, v, t in rows:
        f.write("%s\t%s\t%s\n" % (c, p, t))
with open("want", "w") as f:
    cats = sorted({r[0] for r in rows}, key=lambda c: c.encode())
    for c in cats:
        ranked = sorted((r for r in rows if r[0] == c), key=lambda r: -r[2])
        for i, r in enumerate(ranked):
            f.write("%s\t%d\t%s\t%d\n" % (c, i + 1, r[1], r[2]))
PY
	"$TOOL" -a in > got
	cmp got want
	[ "$(wc -l < got)" -eq 527 ]
}
