#!/usr/bin/env bash
# EVTX at scale (issue 14 item 4): exhunt vs the evtx crate's `evtx_dump -o jsonl` on a >= 1 GB
# set of Security/Sysmon logs made by examples/gen_evtx.rs. See BENCHMARKS.md.
#   bench/evtx_scale.sh [SET_DIR] [EXHUNT_BINARY]
# Needs evtx_dump (cargo install evtx --locked) and /usr/bin/time. Runs each tool twice over a
# warm page cache and keeps the second run.
set -euo pipefail
SET=${1:-/tmp/evtxset}
BIN=${2:-target/release/exhunt}
LOGS="$SET/Windows/System32/winevt/Logs"
if [ ! -d "$LOGS" ]; then
  cargo run --release --example gen_evtx -- --out "$SET" --size 1G
fi
BYTES=$(cat "$LOGS"/*.evtx | wc -c)
cat "$LOGS"/*.evtx > /dev/null # warm the page cache
dump() { for f in "$LOGS"/*.evtx; do evtx_dump -o jsonl "$f"; done; }
RECORDS=$(dump | wc -l)
echo "set: $(ls "$LOGS" | wc -l) files, $BYTES bytes, $RECORDS records"
report() { # name, time -v output file
  local s; s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); t=0; for(i=1;i<=n;i++) t=t*60+a[i]; print t}' "$2")
  local rss; rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$2")
  local cpu; cpu=$(awk -F': ' '/Percent of CPU/ {print $2}' "$2")
  awk -v n="$1" -v s="$s" -v r="$RECORDS" -v b="$BYTES" -v rss="$rss" -v cpu="$cpu" \
    'BEGIN { printf "%-28s %7.2f s  %9.0f records/s  %7.1f MB/s  CPU %s  max RSS %d MiB\n", n, s, r/s, b/s/1e6, cpu, rss/1024 }'
}
for run in 1 2; do
  /usr/bin/time -v -o /tmp/evtx_dump.time bash -c "$(declare -f dump); LOGS='$LOGS' dump > /dev/null"
done
report "evtx_dump -o jsonl" /tmp/evtx_dump.time
for run in 1 2; do
  rm -rf /tmp/evtx_scale_out
  /usr/bin/time -v -o /tmp/exhunt.time "$BIN" scan --logs "$LOGS" --no-progress -q --out /tmp/evtx_scale_out > /dev/null 2>&1 || true
done
report "exhunt scan" /tmp/exhunt.time
