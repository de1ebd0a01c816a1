#!/usr/bin/env python3
"""Measures datamask discovery on a labelled corpus: precision, recall and F1 per type, for the
name, place and free-text groups, and overall.

Runs ``datamask scan --format json`` on the corpus written by ``generate_corpus.py`` and
compares each column's finding with its label. A column counts as *detected* when its finding
is ``likely`` or ``certain`` (what makes ``run`` fail closed and ``init`` write a rule without
a REVIEW mark); ``--min-confidence possible`` counts every finding.

Two overall measures:

* **typed**: a detection is right only when its type is the label's (a first-name column
  reported as a surname column is a false positive *and* a false negative);
* **sensitive**: a detection is right when the column is sensitive at all, whatever the type
  (what matters for not leaking it).

Usage:
  python3 evaluate.py --datamask target/release/datamask --corpus DIR
  python3 evaluate.py --datamask target/release/datamask --seed 2   # generate, then measure
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GROUPS = {
    "names": ["first_name", "last_name", "person_name"],
    "places": ["street_address", "postal_code", "city", "region", "country"],
    "free text": ["free_text"],
}
LEVELS = {"possible": 0, "likely": 1, "certain": 2}


def scan(datamask, corpus):
    out = subprocess.run(
        [datamask, "scan", "--source", "sqlite://" + os.path.join(corpus, "corpus.db"),
         "--format", "json"],
        check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def accepts(label, predicted):
    if label is None:
        return predicted is None
    if isinstance(label, list):
        return predicted in label
    return predicted == label


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datamask", default="datamask")
    ap.add_argument("--corpus", help="directory with corpus.db and labels.json")
    ap.add_argument("--seed", type=int, help="generate a corpus with this seed first")
    ap.add_argument("--rows", type=int, default=150)
    ap.add_argument("--min-confidence", choices=list(LEVELS), default="likely")
    ap.add_argument("--errors", action="store_true", help="list every wrong column")
    args = ap.parse_args()
    corpus = args.corpus
    if corpus is None:
        if args.seed is None:
            ap.error("give --corpus DIR or --seed N")
        corpus = tempfile.mkdtemp(prefix="dm-corpus-")
        subprocess.run([sys.executable, os.path.join(HERE, "generate_corpus.py"), "--seed",
                        str(args.seed), "--rows", str(args.rows), "--out", corpus], check=True)
    with open(os.path.join(corpus, "labels.json"), encoding="utf-8") as f:
        labels = json.load(f)
    threshold = LEVELS[args.min_confidence]
    predicted = {}
    for c in scan(args.datamask, corpus):
        conf = c.get("confidence")
        ok = conf is not None and LEVELS[conf] >= threshold
        predicted[f"{c['table']}.{c['column']}"] = c["type"] if ok else None

    tp, fp, fn = collections.Counter(), collections.Counter(), collections.Counter()
    support = collections.Counter()
    s_tp = s_fp = s_fn = 0
    errors = []
    for col, label in sorted(labels.items()):
        pred = predicted.get(col)
        primary = label[0] if isinstance(label, list) else label
        if primary:
            support[primary] += 1
        if accepts(label, pred):
            if primary:
                tp[primary] += 1
        else:
            if pred:
                fp[pred] += 1
            if primary:
                fn[primary] += 1
            errors.append((col, label, pred))
        if primary and pred:
            s_tp += 1
        elif pred:
            s_fp += 1
        elif primary:
            s_fn += 1

    types = sorted(set(support) | set(fp))
    print(f"corpus {corpus}: {len(labels)} columns, {sum(support.values())} sensitive; "
          f"detected = {args.min_confidence} or above\n")
    print(f"{'type':<18} {'support':>7} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'f1':>6}")
    for t in types:
        p, r, f = prf(tp[t], fp[t], fn[t])
        print(f"{t:<18} {support[t]:>7} {tp[t]:>4} {fp[t]:>4} {fn[t]:>4} {p:>9.3f} {r:>7.3f} {f:>6.3f}")
    print()
    for group, members in GROUPS.items():
        g = [sum(c[t] for t in members) for c in (tp, fp, fn)]
        p, r, f = prf(*g)
        print(f"{group:<18} {sum(support[t] for t in members):>7} {g[0]:>4} {g[1]:>4} {g[2]:>4} "
              f"{p:>9.3f} {r:>7.3f} {f:>6.3f}")
    total = [sum(c.values()) for c in (tp, fp, fn)]
    p, r, f = prf(*total)
    print(f"{'overall (typed)':<18} {sum(support.values()):>7} {total[0]:>4} {total[1]:>4} "
          f"{total[2]:>4} {p:>9.3f} {r:>7.3f} {f:>6.3f}")
    p, r, f = prf(s_tp, s_fp, s_fn)
    print(f"{'overall (sensitive)':<18} {sum(support.values()):>6} {s_tp:>4} {s_fp:>4} {s_fn:>4} "
          f"{p:>9.3f} {r:>7.3f} {f:>6.3f}")
    if args.errors:
        print("\nwrong columns (label -> detected):")
        for col, label, pred in errors:
            print(f"  {col}: {label} -> {pred}")


if __name__ == "__main__":
    main()
