#!/usr/bin/env bash
# Whole-process benchmark (issue 3): exhunt against ripgrep (the I/O floor) and a Python port of
# Test-ProxyLogon's log checks, on a generated server tree, in the same run.
#
#   bench/run.sh [SIZE] [REPS] [MIXES]      e.g. bench/run.sh 2G 3
#
# MIXES (or the MIX environment variable) is a comma-separated list of gen_tree traffic mixes,
# `dense,sparse` by default (issue 14: the dense tree is the headline, the sparse one the second
# run); `bench/run.sh 2G 3 dense` runs one. For each mix: generates (or reuses)
# bench/data/tree-MIX-SIZE with examples/gen_tree.rs (seed 42, planted intrusion, --mix MIX),
# warms the page cache, then times each command REPS times with /usr/bin/time -v and prints the
# median wall time, MB/s, peak RSS and the ratios. Needs: cargo, python3, ripgrep (Debian:
# apt-get install ripgrep), GNU time (/usr/bin/time). The Python port runs once (it is slow).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${1:-2G}"
REPS="${2:-3}"
MIXES="${3:-${MIX:-dense,sparse}}"
TPL_PORT="${TPL_PORT:-../shared/baseline/tpl_port.py}"
command -v rg >/dev/null || { echo "ripgrep (rg) is needed: apt-get install ripgrep" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 2; }

cargo build --release -q --bin exhunt --example gen_tree --example prefilter_literals
EXHUNT=target/release/exhunt
LITS=$(mktemp)
target/release/examples/prefilter_literals >"$LITS"

# run NAME REPS CMD... -> prints "NAME median_seconds max_rss_kb median_cpu_seconds" (CPU:
# user + system, of the run with the median wall time; less sensitive than wall time to other
# work on a shared machine)
run() {
  local name=$1 reps=$2; shift 2
  local times=() rss=0
  for _ in $(seq "$reps"); do
    local out
    out=$( { /usr/bin/time -v "$@" >/dev/null; } 2>&1 >/dev/null | tail -n 30 || true)
    local wall kb cpu
    wall=$(echo "$out" | awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}')
    kb=$(echo "$out" | awk -F': ' '/Maximum resident set size/ {print $2}')
    cpu=$(echo "$out" | awk -F': ' '/(User|System) time \(seconds\)/ {s+=$2} END {print s}')
    times+=("$wall $cpu")
    [ "${kb:-0}" -gt "$rss" ] && rss=$kb
  done
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1; c[NR]=$2} END {m=int((NR+1)/2); print a[m], c[m]}')
  set -- $med
  echo "$name $1 $rss $2"
}

# bench MIX: one tree, every command
bench() {
  local mix=$1
  DATA="bench/data/tree-$mix-$SIZE"
  if [ ! -d "$DATA" ]; then
    echo "generating $DATA ..."
    target/release/examples/gen_tree --out "$DATA" --size "$SIZE" --seed 42 --plant --mix "$mix" >/dev/null
  fi
  BYTES=$(du -sbL "$DATA" | cut -f1)
  echo
  echo "== mix $mix: tree $DATA, $((BYTES / 1048576)) MiB, $(find -L "$DATA" -type f | wc -l) files"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "warming the page cache ..."
  find -L "$DATA" -type f -exec cat {} + >/dev/null

  RESULTS=$(mktemp)
  {
    run "exhunt-default" "$REPS" "$EXHUNT" scan "$DATA" -q --no-progress
    run "exhunt-tpl-checks" "$REPS" "$EXHUNT" scan "$DATA" -q --no-progress --checks tpl
    run "exhunt-tpl-threads-1" "$REPS" "$EXHUNT" scan "$DATA" -q --no-progress --checks tpl --threads 1
    run "exhunt-threads-1" "$REPS" "$EXHUNT" scan "$DATA" -q --no-progress --threads 1
    run "exhunt-threads-2" "$REPS" "$EXHUNT" scan "$DATA" -q --no-progress --threads 2
    # Every check but the pivot sweep (the default minus its second pass over the text logs).
    run "exhunt-no-sweep" "$REPS" "$EXHUNT" scan "$DATA" -q --no-progress --checks \
      cve-2021-26855,cve-2021-26857,cve-2021-26858,cve-2021-27065,iis-web,httpproxy-web,exchange-cmdlets,process-evidence,suspicious-files,webshell-yara,webshell-ioc,webshell-heuristic
    run "rg-count-ServerInfo" "$REPS" rg -c -F 'ServerInfo~' "$DATA"
    # References that explain the gap: two reads of the tree (the default scan reads the text logs
    # twice: the pivot sweep needs the first pass's findings), and ripgrep searching the default
    # scan's own prefilter literals, any case (the search alone, without parsing or reports).
    run "rg-twice-ServerInfo" "$REPS" sh -c "rg -c -F 'ServerInfo~' '$DATA' >/dev/null; rg -c -F 'ServerInfo~' '$DATA'"
    run "rg-same-literals" "$REPS" rg -c -i -F -f "$LITS" "$DATA"
    if [ -f "$TPL_PORT" ]; then
      run "python-tpl-port" 1 python3 "$TPL_PORT" "$DATA"
    fi
  } | tee "$RESULTS"

  echo
  printf '%-22s %10s %10s %12s %10s\n' command seconds MB/s peak_RSS_MB cpu_s
  while read -r name secs kb cpu; do
    printf '%-22s %10.2f %10.0f %12.1f %10.2f\n' "$name" "$secs" "$(echo "$BYTES / 1048576 / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)" "$cpu"
  done < "$RESULTS"
  t() { awk -v n="$1" '$1==n {print $2}' "$RESULTS"; }
  echo
  echo "ratios on the $mix tree (targets in BENCHMARKS.md; issue 14's: dense rg <= 2.5, sparse rg <= 2, dense port/tpl >= 15, dense port/default >= 5):"
  printf '  default scan / rg:           %.2f  (issue 14: <= %s; issue 3: <= 1.5)\n' "$(echo "$(t exhunt-default) / $(t rg-count-ServerInfo)" | bc -l)" "$([ "$mix" = dense ] && echo 2.5 || echo 2)"
  if [ -n "$(t python-tpl-port)" ]; then
    printf '  python port / tpl-checks:     %.1f  (issue 14: >= 15 on dense; issue 3: >= 20)\n' "$(echo "$(t python-tpl-port) / $(t exhunt-tpl-checks)" | bc -l)"
    printf '  python port / default scan:   %.1f  (issue 14: >= 5 on dense)\n' "$(echo "$(t python-tpl-port) / $(t exhunt-default)" | bc -l)"
  fi
  printf '  threads 1 / threads 2:       %.2f default, %.2f tpl-checks  (target >= 1.7)\n' "$(echo "$(t exhunt-threads-1) / $(t exhunt-threads-2)" | bc -l)" "$(echo "$(t exhunt-tpl-threads-1) / $(t exhunt-tpl-checks)" | bc -l)"
  printf '  default scan / rg on its own literals: %.2f;  two reads / one read (rg): %.2f\n' "$(echo "$(t exhunt-default) / $(t rg-same-literals)" | bc -l)" "$(echo "$(t rg-twice-ServerInfo) / $(t rg-count-ServerInfo)" | bc -l)"
  rm -f "$RESULTS"

  echo
  echo "detection on the planted tree (ground-truth.json):"
  OUT=$(mktemp -d)
  "$EXHUNT" scan "$DATA" -q --no-progress --out "$OUT" || true
  python3 bench/check_truth.py "$DATA" "$OUT/report.json" || true
  rm -rf "$OUT"
}

for mix in ${MIXES//,/ }; do
  bench "$mix"
done
rm -f "$LITS"
