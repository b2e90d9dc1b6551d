#!/usr/bin/env python3
"""Compares two scans' reports, apart from what a restructuring may add (issue 14).

    bench/compare_reports.py OLD_OUT_DIR NEW_OUT_DIR

Both folders hold the reports of `exhunt scan ... --out DIR` over the same tree. Every report
file is compared after removing what is allowed to differ:
  * times of the run (report.json `started`, `elapsed_ms`, `finished`) and the tool's identity
    (`tool`: version, commit, rule-pack hash);
  * the typed `cve` of findings, roll-ups and timeline rows (added by issue 14), and the `CVE`
    field it replaced;
  * the `cve` column of findings.csv and timeline.csv.
Prints every difference and exits 1 if there is any, 0 if the reports are the same.
"""
import csv
import io
import json
import sys
from pathlib import Path

RUN_KEYS = {"started", "elapsed_ms", "finished", "version", "exhunt_version"}


def scrub(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k in RUN_KEYS or k in ("cve", "tool"):
                continue
            if k == "fields" and isinstance(x, dict):
                x = {a: b for a, b in x.items() if a != "CVE"}
            out[k] = scrub(x)
        return out
    if isinstance(v, list):
        return [scrub(x) for x in v]
    return v


def scrub_fields_cell(cell):
    return "; ".join(p for p in cell.split("; ") if not p.startswith("CVE="))


def read_csv(path):
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8", errors="replace"))))
    if not rows:
        return rows
    head = rows[0]
    drop = [i for i, h in enumerate(head) if h == "cve"]
    fields = head.index("fields") if "fields" in head else None
    out = []
    for r in rows:
        r = [c for i, c in enumerate(r) if i not in drop]
        if fields is not None and r is not rows[0] and len(r) > fields:
            r[fields] = scrub_fields_cell(r[fields])
        out.append(r)
    return out


def load(path):
    if path.suffix == ".json":
        return scrub(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".jsonl":
        return [scrub(json.loads(l)) for l in path.read_text(encoding="utf-8").splitlines() if l]
    if path.suffix == ".csv":
        return read_csv(path)
    return path.read_bytes()


def diff(a, b, where, out, limit=20):
    if len(out) >= limit:
        return
    if type(a) is not type(b):
        out.append(f"{where}: {a!r:.200} != {b!r:.200}")
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'new' if k in b else 'old'}")
            else:
                diff(a[k], b[k], f"{where}.{k}", out, limit)
    elif isinstance(a, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items != {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{where}[{i}]", out, limit)
    elif a != b:
        out.append(f"{where}: {a!r:.200} != {b!r:.200}")


def main():
    old, new = Path(sys.argv[1]), Path(sys.argv[2])
    names = sorted({p.name for p in old.iterdir()} | {p.name for p in new.iterdir()})
    problems = []
    for n in names:
        a, b = old / n, new / n
        if not a.exists() or not b.exists():
            problems.append(f"{n}: only in {'new' if b.exists() else 'old'}")
            continue
        d = []
        diff(load(a), load(b), n, d)
        problems += d
    for p in problems:
        print(p)
    print(f"{len(names)} report files compared: {'same' if not problems else 'DIFFERENT'}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
