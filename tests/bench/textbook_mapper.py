#!/usr/bin/env python3
"""textbook_mapper.py: the textbook's sales-rank mappers, fixed, as a Hadoop Streaming mapper.

The design exercise's two-step MapReduce (SalesRanker) written for Hadoop
Streaming: read lines on stdin, write key<TAB>value lines on stdout, and let the
framework (here GNU sort) bring equal keys together for textbook_reducer.py.

  --step 1  (mapper): a sales log line in the window [--since, --until) becomes
            category_id<TAB>product_id<TAB>qty; the key is the first two fields.
            Unlike the textbook's, the window filter is real: epoch seconds
            compared as numbers, the start inclusive, the end exclusive.
  --step 2  (mapper_sort): category_id<TAB>product_id<TAB>total becomes
            category_id<TAB>total<TAB>product_id, to be sorted with
            LC_ALL=C sort -t TAB -k1,1 -k2,2nr -k3,3n (in Hadoop, the
            KeyFieldBasedComparator with the same options), so that each
            category's products arrive by total descending, ties by id.
"""
import argparse
import sys
from decimal import Decimal


def instant(field):
    """Epoch seconds, with or without a fraction, as an exact number."""
    return Decimal(field) if "." in field else int(field)


def map_sales(since, until, lines, out):
    for line in lines:
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != 7 or fields[0] == "timestamp":
            continue
        timestamp, product_id, category_id, qty = fields[:4]
        if since <= instant(timestamp) < until:
            out.write(f"{category_id}\t{product_id}\t{int(qty)}\n")


def map_sort(lines, out):
    for line in lines:
        category_id, product_id, total = line.rstrip("\n").split("\t")
        out.write(f"{category_id}\t{total}\t{product_id}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--step", type=int, choices=(1, 2), default=1)
    ap.add_argument("--since", type=int, help="window start, epoch seconds (step 1)")
    ap.add_argument("--until", type=int, help="window end, exclusive, epoch seconds (step 1)")
    args = ap.parse_args()
    if args.step == 1:
        if args.since is None or args.until is None:
            ap.error("--step 1 needs --since and --until")
        map_sales(args.since, args.until, sys.stdin, sys.stdout)
    else:
        map_sort(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
