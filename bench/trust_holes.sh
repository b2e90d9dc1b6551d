#!/usr/bin/env bash
# Issue 13 at full size (cargo test runs these scaled down):
#   collect  a 20 GB sparse .aspx holding the OAB dump shell's bytes, collected with the default
#            budgets: the copy must stay at --collect-max-file-size, the whole file hashed,
#            the manifest must say it was cut (tests/collect_safety.rs runs 8 MiB).
#   threads  a 3 GB tree from examples/gen_tree.rs scanned with --threads 16 under
#            ulimit -v 1G: a report, never exit 134, and a note that the thread count was
#            lowered (tests/memory_limit.rs runs 16 sparse 30 MiB pages).
#
#   evtx     a 64 MB event log of tiny records that instantiate a template repeating one
#            substitution 2,000 times (written by an ignored test of tests/evtx_rules.rs), read
#            with --logs: bounded time, the records cut short reported.
#
#   bash bench/trust_holes.sh [collect|threads|evtx|all]
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT="${1:-all}"
cargo build --release -q --bin exhunt --example gen_tree
EXHUNT=$PWD/target/release/exhunt
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

if [ "$WHAT" = collect ] || [ "$WHAT" = all ]; then
  mkdir -p "$DIR/c/root/inetpub/wwwroot/aspnet_client"
  # a page in aspnet_client is a finding of its own (page-in-aspnet-client)
  printf '<%%@ Page Language="C#" %%>\n' >"$DIR/c/root/inetpub/wwwroot/aspnet_client/big.aspx"
  truncate -s 20G "$DIR/c/root/inetpub/wwwroot/aspnet_client/big.aspx"
  /usr/bin/time -f "collect: %e s wall, %M KiB peak RSS" \
    "$EXHUNT" scan "$DIR/c/root" --quiet --collect "$DIR/c/out" --out "$DIR/c/rep" || true
  python3 - "$DIR/c/out" <<'PY'
import glob, json, os, sys
m = json.load(open(glob.glob(sys.argv[1] + "/*/manifest.json")[0]))
for e in m["files"]:
    if e["original_path"].endswith("big.aspx"):
        copy = os.path.join(glob.glob(sys.argv[1] + "/*/")[0], e["collected_path"])
        print("size", e["size"], "copied", e.get("copied_size"), "on disk",
              os.stat(copy).st_blocks * 512, "cut:", e.get("cut"))
PY
  du -sh "$DIR/c/out"
fi

if [ "$WHAT" = evtx ] || [ "$WHAT" = all ]; then
  mkdir -p "$DIR/e/logs"
  EXHUNT_BENCH_EVTX="$DIR/e/logs/MSExchange Management.evtx" \
    cargo test -q --release --test evtx_rules write_the_full_size_amplification_file -- --ignored >/dev/null
  ls -l "$DIR/e/logs"
  /usr/bin/time -f "evtx: %e s wall, %M KiB peak RSS" \
    "$EXHUNT" scan --logs "$DIR/e/logs" --quiet --out "$DIR/e/out" || true
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); [print(g['label'], g['records'], [p['problem'][:100] for p in g['problems']]) for g in r['coverage']]" "$DIR/e/out/report.json"
fi

if [ "$WHAT" = threads ] || [ "$WHAT" = all ]; then
  target/release/examples/gen_tree --out "$DIR/t" --size 3G --seed 42 --plant >/dev/null
  set +e
  (ulimit -v 1048576; /usr/bin/time -f "threads: %e s wall, %M KiB peak RSS" \
    "$EXHUNT" scan "$DIR/t" --threads 16 --quiet --out "$DIR/t-out")
  echo "exit $?"
  set -e
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['verdict'], [n for n in r['notes'] if 'thread' in n])" "$DIR/t-out/report.json"
fi
