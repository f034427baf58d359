#!/usr/bin/env python3
"""textbook_reducer.py: the textbook's sales-rank reducers, fixed, as a Hadoop Streaming reducer.

Reads the sorted output of textbook_mapper.py on stdin, where all lines of a key
are adjacent, as Hadoop Streaming (or GNU sort) delivers them.

  --step 1  (reducer): category_id<TAB>product_id<TAB>qty lines, sorted by the
            first two fields, become one category_id<TAB>product_id<TAB>total
            line per key. Quantities are summed as integers, not concatenated as
            strings as in the textbook.
  --step 2  (reducer_identity, plus the top-k the textbook lacks):
            category_id<TAB>total<TAB>product_id lines, sorted by category, then
            total descending, then product id, become
            category_id<TAB>rank<TAB>product_id<TAB>total_sold for the first -n
            products of each category.
"""
import argparse
import sys
from itertools import groupby


def reduce_sums(lines, out):
    rows = (line.rstrip("\n").split("\t") for line in lines)
    for (category_id, product_id), group in groupby(rows, key=lambda f: (f[0], f[1])):
        total = sum(int(f[2]) for f in group)
        out.write(f"{category_id}\t{product_id}\t{total}\n")


def reduce_rank(count, lines, out):
    rows = (line.rstrip("\n").split("\t") for line in lines)
    for category_id, group in groupby(rows, key=lambda f: f[0]):
        for rank, (_, total, product_id) in enumerate(group, 1):
            if rank > count:
                break
            out.write(f"{category_id}\t{rank}\t{product_id}\t{total}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--step", type=int, choices=(1, 2), default=1)
    ap.add_argument("-n", type=int, default=10, help="products per category (step 2)")
    args = ap.parse_args()
    if args.step == 1:
        reduce_sums(sys.stdin, sys.stdout)
    else:
        reduce_rank(args.n, sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
