#!/usr/bin/env bash
# Findings, roll-ups and timeline before and after a change (issue 14): runs a baseline exhunt
# binary and this checkout's release build over the same trees and compares every report file
# with bench/compare_reports.py (which removes only what the restructuring adds: the typed `cve`).
#
#   bench/compare.sh BASE_EXHUNT [TREE ...]
#
# Default trees: examples/compromised, examples/clean, and every bench/data/tree-* present.
# A baseline binary: `git worktree add /tmp/base <commit> && cargo build --release
# --manifest-path /tmp/base/Cargo.toml --target-dir /tmp/base-target`.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${1:?usage: bench/compare.sh BASE_EXHUNT [TREE ...]}"
shift
cargo build --release -q --bin exhunt
NEW=target/release/exhunt
if [ $# -eq 0 ]; then
  set -- examples/compromised examples/clean
  for t in bench/data/tree-*; do [ -d "$t" ] && set -- "$@" "$t"; done
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
for tree in "$@"; do
  name=$(basename "$tree")
  for side in old new; do
    bin=$BASE; [ $side = new ] && bin=$NEW
    rc=0
    "$bin" scan "$tree" --out "$WORK/$name-$side" -q --no-progress >/dev/null 2>&1 || rc=$?
    echo "$rc" >"$WORK/$name-$side.rc"
  done
  if ! cmp -s "$WORK/$name-old.rc" "$WORK/$name-new.rc"; then
    echo "$tree: exit codes differ: $(cat "$WORK/$name-old.rc") vs $(cat "$WORK/$name-new.rc")"
    fail=1
  fi
  printf '%s: ' "$tree"
  python3 bench/compare_reports.py "$WORK/$name-old" "$WORK/$name-new" || fail=1
done
exit $fail
