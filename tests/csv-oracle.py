#!/usr/bin/env python3
"""csv-oracle: random CSV sales logs and what Python's csv module says the log readers must make of them.

usage: csv-oracle.py SEED NFILES DIR

Writes DIR/N.csv for N in 0..NFILES-1, and beside each what --csv must give:
N.tsv (the valid records, in order, as TSV), N.rej (the rejected records, as
they were written), N.n (records and rejected records) and N.sums (sr-map's
sums per key, sorted). The records are valid CSV, some of them long: quoted
fields that hold lines of every length around the readers' buffers (64 KiB
and the 1 MiB read), CRLF or LF anywhere, quotes and commas in fields, empty
lines, wrong field counts, a header, a last line without its newline.

The expectations come from parsing the written file again with the csv
module, not from what was meant to be written (the two are compared too), and
from the record rules of sr(7) checked here on their own.
"""
import csv
import io
import random
import re
import sys

LINE_MAX = 65536
READ_SIZE = 1 << 20
HEADER = ["timestamp", "product_id", "category_id", "qty", "total_price", "seller_id", "buyer_id"]
IDCHARS = "abcxyz0189 ,\"'-_.:;"
# Lengths of the long lines in quoted fields: around every buffer boundary.
BOUNDARIES = [LINE_MAX, 2 * LINE_MAX, READ_SIZE - LINE_MAX, READ_SIZE, READ_SIZE + LINE_MAX]
LONG = [b + d for b in BOUNDARIES for d in (-2, -1, 0, 1, 2)]


def quote(field, rnd):
    """A field as written: quoted when it must be, and sometimes when not."""
    if any(c in field for c in ',"\r\n') or rnd.random() < 0.2:
        return '"' + field.replace('"', '""') + '"'
    return field


def ident(rnd):
    return "".join(rnd.choice(IDCHARS) for _ in range(rnd.randint(1, 6))).strip() or "p"


def long_text(rnd):
    """Lines of boundary lengths, joined by LF or CRLF: only a quoted field may hold it."""
    lines = []
    for _ in range(rnd.randint(1, 3)):
        lines.append("L" * rnd.choice(LONG + [rnd.randint(0, 200)]))
    return "".join(line + rnd.choice(["\n", "\r\n"]) for line in lines[:-1]) + lines[-1]


def record(rnd):
    """The fields of a record, valid or not."""
    f = ["2026-11-25T%02d:%02d:00Z" % (rnd.randint(0, 23), rnd.randint(0, 59)),
         "p" + ident(rnd), "c" + str(rnd.randint(0, 3)), str(rnd.randint(-5, 50)),
         "%d.%02d" % (rnd.randint(0, 99), rnd.randint(0, 99)), "s" + ident(rnd), "b" + ident(rnd)]
    kind = rnd.random()
    if kind < 0.08:
        f[rnd.randrange(7)] = long_text(rnd)
    elif kind < 0.11:
        f[rnd.randrange(7)] = "x" * rnd.choice(LONG)  # one long line, unquoted if it may be
    elif kind < 0.14:
        f[rnd.randrange(7)] = "a" + rnd.choice(["\n", "\r\n"]) + "b"
    elif kind < 0.16:
        f = f[:6]
    elif kind < 0.18:
        f.append("extra")
    elif kind < 0.20:
        f = []
    elif kind < 0.22:
        f[3] = "1x"
    return f


def write_file(rnd):
    """The file's text, and each record's text as written."""
    recs = []
    if rnd.random() < 0.2:
        recs.append(",".join(HEADER) + "\n")
    for _ in range(rnd.randint(1, 40)):
        f = record(rnd)
        recs.append(",".join(quote(x, rnd) for x in f) + rnd.choice(["\n", "\r\n"]))
    if rnd.random() < 0.3 and recs[-1] not in ("\n", "\r\n"):
        recs[-1] = recs[-1].rstrip("\r\n")
    return "".join(recs), recs


IDENT = re.compile(r"[^\x00-\x1f\x7f]{1,255}\Z")
QTY = re.compile(r"[+-]?[0-9]+\Z")
PRICE = re.compile(r"[+-]?(?=[0-9.]*[0-9])[0-9]*(\.[0-9]*)?\Z")
TS = re.compile(r"2026-11-25T[0-9]{2}:[0-9]{2}:00Z\Z")


def valid(f):
    """sr(7)'s rules for the fields this generator can make."""
    if len(f) != 7 or not TS.match(f[0]) or not QTY.match(f[3]) or not PRICE.match(f[4]):
        return False
    digits = len(re.sub(r"[^0-9]", "", f[4]))
    return digits <= 18 and all(IDENT.match(f[i].encode().decode("latin-1")) for i in (1, 2, 5, 6))


def main():
    seed, nfiles, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(seed)
    csv.field_size_limit(sys.maxsize)
    for n in range(nfiles):
        text, recs = write_file(rnd)
        parsed = list(csv.reader(io.StringIO(text, newline="")))
        # The generator and the oracle agree on where each record ends.
        assert len(parsed) == len(recs), (n, len(parsed), len(recs))
        assert all(p == next(csv.reader(io.StringIO(r, newline="")), []) for p, r in zip(parsed, recs))
        tsv, rej, sums, nrec = [], [], {}, 0
        for i, (f, raw) in enumerate(zip(parsed, recs)):
            if i == 0 and f == HEADER:
                continue
            nrec += 1
            if valid(f):
                tsv.append("\t".join(f) + "\n")
                key = f[2] + "\t" + f[1]
                sums[key] = sums.get(key, 0) + int(f[3])
            else:
                rej.append(raw if raw.endswith("\n") else raw + "\n")
        with open("%s/%d.csv" % (out, n), "w", newline="") as fp:
            fp.write(text)
        with open("%s/%d.tsv" % (out, n), "w", newline="") as fp:
            fp.write("".join(tsv))
        with open("%s/%d.rej" % (out, n), "w", newline="") as fp:
            fp.write("".join(rej))
        with open("%s/%d.n" % (out, n), "w") as fp:
            fp.write("%d %d\n" % (nrec, len(rej)))
        with open("%s/%d.sums" % (out, n), "w", newline="") as fp:
            fp.write("".join("%s\t%d\n" % (k, v) for k, v in sorted(sums.items(), key=lambda kv: kv[0].encode())))


main()
