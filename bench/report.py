#!/usr/bin/env python3
"""Summarise a CSV of raw benchmark timings (written by bench/lib.sh) as one Markdown table.

Usage: bench/report.py TIMINGS.csv [--baseline SCENARIO] [--per-core]

For each scenario, in the order of first appearance: runs, median wall seconds, rows/s (rows
over the median wall), peak RSS (the largest of the runs), median client CPU seconds
(user+sys of the measured command and its children), median PostgreSQL server CPU seconds
over the same interval, and the ratio of the median wall to the baseline's median wall.
Runs that exited non-zero are listed separately and left out of the medians. With bytes in the
CSV, MB/s and MB/s per client CPU-second are printed too.
"""
import argparse
import csv
import statistics
import sys


def fmt(x, digits=2):
    if x is None:
        return "-"
    if x >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--baseline", help="scenario the ratio column divides by")
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.csv)))
    order, by = [], {}
    failed = []
    for r in rows:
        if r["exit"] != "0":
            failed.append(r)
            continue
        if r["scenario"] not in by:
            order.append(r["scenario"])
            by[r["scenario"]] = []
        by[r["scenario"]].append(r)
    has_bytes = any(float(r["bytes"] or 0) > 0 for r in rows)
    base = None
    if args.baseline and args.baseline in by:
        base = statistics.median(float(r["wall_s"]) for r in by[args.baseline])
    head = ["scenario", "runs", "wall s (median)", "rows/s", "peak RSS MB", "client CPU s", "server CPU s"]
    if has_bytes:
        head += ["MB/s", "MB/s per CPU-s"]
    head.append(f"ratio to {args.baseline}".replace("|", "\\|") if args.baseline else "ratio")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in order:
        rs = by[name]
        wall = statistics.median(float(r["wall_s"]) for r in rs)
        nrows = float(rs[0]["rows"] or 0)
        rss = max(int(r["peak_rss_kb"]) for r in rs) / 1024
        cpu = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in rs)
        server = statistics.median(float(r["server_cpu_s"]) for r in rs)
        cells = [name, str(len(rs)), fmt(wall), fmt(nrows / wall if nrows and wall else None, 0),
                 fmt(rss, 0), fmt(cpu), fmt(server)]
        if has_bytes:
            mb = float(rs[0]["bytes"] or 0) / 1e6
            cells += [fmt(mb / wall if mb and wall else None, 1),
                      fmt(mb / cpu if mb and cpu else None, 1)]
        cells.append(fmt(wall / base) + "x" if base else "-")
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    print("\n".join(out))
    for r in failed:
        print(f"\nFAILED: {r['scenario']} round {r['round']} exited {r['exit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
