#!/usr/bin/env bash
# Memory within one file: one IIS log of N webshell probes (default 1,000,000, ~110 MB) from seven
# addresses, the shape of an internet-wide shell hunt. Each address's probes are folded into one
# shell-hunting finding as the file is read (src/detect/web_rules.rs, HuntFold), so peak memory
# should not grow with N.
#
#   bash bench/probes.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR/inetpub/logs/LogFiles/W3SVC1"
python3 - "$N" "$DIR/inetpub/logs/LogFiles/W3SVC1/u_ex210304.log" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(7)
with open(path, "w") as out:
    out.write("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
              "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n")
    for i in range(n):
        s = i % 86400
        t = f"2021-03-04 {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        folder = random.choice(["/aspnet_client/", "/owa/auth/", "/aspnet_client/system_web/"])
        out.write(f"{t} 10.0.0.5 GET {folder}s{random.randint(0, 300)}.aspx - 443 - "
                  f"198.51.100.{i % 7} Mozilla/5.0+zgrab/0.x - 404 0 2 1\r\n")
PY
cargo build --release -q --bin exhunt
echo "$(du -h "$DIR/inetpub" | tail -1 | cut -f1) of IIS log, $N probes"
/usr/bin/time -q -f "exhunt: %e s wall, %M KB peak RSS" target/release/exhunt scan --logs "$DIR/inetpub" \
  --out "$DIR/out" -q --no-progress >/dev/null || true
grep -c iis-shell-hunting "$DIR/out/findings.csv" | sed 's/^/shell-hunting rows in findings.csv: /'
