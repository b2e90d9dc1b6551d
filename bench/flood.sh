#!/usr/bin/env bash
# Memory under a flood: one IIS log of N requests (default 1,000,000, ~110 MB) from seven
# addresses, either webshell probes (an internet-wide shell hunt: each address's probes are folded
# into one shell-hunting finding as the file is read, src/detect/web_rules.rs HuntFold) or
# ProxyLogon SSRF attempts to /ecp/<x>.js (mass exploitation: past the first 100 they are kept
# as locators, src/model/rollup.rs). Peak memory should not grow with N beyond ~100 bytes per
# rolled-up attempt. `hidden` is `attempts` plus, at the end, one successful SSRF (241) from one of
# the seven addresses: the pivot sweep then turns that address's rolled-up attempts (a seventh of
# N) back into findings, up to its cap of 10,000 (src/timeline/sweep.rs), and keeps the lines
# sharing the intruder's user agent as timeline lines, up to 100,000.
#
#   bash bench/flood.sh [N] [probes|attempts|hidden] [FILES]
#
# FILES (default 1) spreads the N requests over that many logs, each under the per-file caps: the
# caps must hold across files too (each file's roll-up joins one shared roll-up as it is done).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
KIND="${2:-probes}"
FILES="${3:-1}"
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR/inetpub/logs/LogFiles/W3SVC1"
python3 - "$N" "$DIR/inetpub/logs/LogFiles/W3SVC1" "$KIND" "$FILES" <<'PY'
import random, sys
n, folder, kind, files = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
random.seed(7)
per = -(-n // files)
for k in range(files):
  with open(f"{folder}/u_ex210304_{k}.log", "w") as out:
    out.write("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
              "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n")
    for i in range(k * per, min(n, (k + 1) * per)):
        s = i % 86400
        t = f"2021-03-04 {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        if kind == "probes":
            web = random.choice(["/aspnet_client/", "/owa/auth/", "/aspnet_client/system_web/"])
            out.write(f"{t} 10.0.0.5 GET {web}s{random.randint(0, 300)}.aspx - 443 - "
                      f"198.51.100.{i % 7} Mozilla/5.0+zgrab/0.x - 404 0 2 1\r\n")
        else:
            name = "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(1, 3)))
            out.write(f"{t} 10.0.0.5 POST /ecp/{name}.js &CorrelationID=<empty>;&cafeReqId=0b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab; "
                      f"443 - 198.51.100.{i % 7} ExchangeServicesClient/0.0.0.0 - 500 0 0 15\r\n")
    if kind == "hidden" and k == files - 1:
        out.write("2021-03-05 00:00:00 10.0.0.5 POST /ecp/z.js &CorrelationID=<empty>;&cafeReqId=5d2a9c4e-17b3-4f60-8e21-c9a0b7d3e6f1; "
                  "443 - 198.51.100.6 ExchangeServicesClient/0.0.0.0 - 241 0 0 15\r\n")
PY
cargo build --release -q --bin exhunt
echo "$(du -h "$DIR/inetpub" | tail -1 | cut -f1) of IIS logs in $FILES file(s), $N $KIND"
/usr/bin/time -q -f "exhunt: %e s wall, %M KB peak RSS" target/release/exhunt scan --logs "$DIR/inetpub" \
  --out "$DIR/out" -q --no-progress >/dev/null || true
[ "$KIND" = hidden ] && python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["pivot"]; print("pivot sweep: restored", p["restored"], "capped", p["restore_capped"], "swept lines", p["lines_matched"], "left out", p["lines_dropped"])' "$DIR/out/report.json"
echo "findings.csv rows: $(($(wc -l <"$DIR/out/findings.csv") - 1)), rolled-up.csv rows: $(($(wc -l <"$DIR/out/rolled-up.csv" 2>/dev/null || echo 1) - 1))"
