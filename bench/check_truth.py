#!/usr/bin/env python3
"""Compares exhunt's report.json with a generated tree's ground-truth.json (gen_tree --plant):
every planted line of a check exhunt runs must be a finding of that check at that file and line.
usage: check_truth.py TREE REPORT_JSON"""
import json, os, sys

tree, report = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(tree, "ground-truth.json")))
r = json.load(open(report))
have = {}
for f in r["findings"]:
    if f["source"].get("line"):
        rel = os.path.relpath(f["source"]["path"], r["params"]["root"] or tree)
        have.setdefault((rel, f["source"]["line"]), set()).add(f["check"])
checks = {c["check"] for c in r["checks"] if c["state"] not in ("not-selected",)}
missed, found = [], 0
for t in truth:
    if t["check"] not in checks:
        continue
    if t["check"] in have.get((t["file"], t["line"]), set()):
        found += 1
    else:
        missed.append(t)
print(f"planted lines for checks that ran: {found + len(missed)}, found: {found}, missed: {len(missed)}")
for m in missed:
    print("  MISSED", m["check"], m["file"], m["line"])
sys.exit(1 if missed else 0)
