#!/usr/bin/env bash
# File-scan benchmark (issue 4): exhunt's webshell scan against Debian's `yara` CLI running the
# same rules (rules/yara/exhunt.yar) over the same generated tree, in the same run.
#
#   bash bench/webshells.sh            # generate (once) and time; needs hyperfine, yara, python3
#   FILES=60000 bash bench/webshells.sh
#   KEEP=1 bash bench/webshells.sh     # keep the tree in $DIR afterwards
#
# The tree imitates a server's web folders: owa/auth (Current/ and a build folder), ecp/auth,
# OAB, ClientAccess, aspnet_client, Temporary ASP.NET Files (App_Web_*.dll), ProgramData,
# Windows/Temp; text-like pages/scripts/styles, binary images and DLLs, a few 8 MiB files, and
# five shells decoded from the rule tests' base64 samples. Deterministic (fixed seed).
# exhunt runs with --full so both tools read exactly the same files; exhunt additionally hashes
# every file (SHA-256 and MD5), checks indicators and runs the drop-zone heuristics.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${DIR:-/tmp/exhunt-bench-web}"
FILES="${FILES:-30000}"
THREADS="${THREADS:-2}"
RUNS="${RUNS:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HERE/target}"

for tool in hyperfine yara python3; do
    command -v "$tool" > /dev/null || { echo "error: $tool not found (apt-get install -y hyperfine yara python3)" >&2; exit 2; }
done

if [[ ! -f "$DIR/.complete-$FILES" ]]; then
    rm -rf "$DIR"
    python3 - "$DIR" "$FILES" "$HERE/rules/yara/tests/samples" <<'PY'
import base64, os, random, sys
root, n, samples = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(4)
X = "Program Files/Microsoft/Exchange Server/V15"
zones = [  # (folder, share of files, extensions)
    (f"{X}/FrontEnd/HttpProxy/owa/auth/Current/themes/resources", 0.10, ["css", "gif", "png", "svg"]),
    (f"{X}/FrontEnd/HttpProxy/owa/auth/15.1.2106/scripts", 0.08, ["js", "js", "map"]),
    (f"{X}/FrontEnd/HttpProxy/ecp/auth", 0.002, ["aspx", "css"]),
    (f"{X}/FrontEnd/HttpProxy/OAB", 0.002, ["config"]),
    (f"{X}/ClientAccess/Owa/prem/15.1.2106/scripts", 0.25, ["js", "css", "htm", "json"]),
    (f"{X}/ClientAccess/ecp", 0.20, ["aspx", "ascx", "js", "css", "resx", "xml", "dll"]),
    ("inetpub/wwwroot/aspnet_client/system_web/4_0_30319", 0.01, ["js", "htm"]),
    ("Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/4f2a1c3b", 0.15, ["dll", "compiled", "cs"]),
    ("ProgramData/Microsoft/Windows Defender/Support", 0.10, ["log", "txt", "bin", "xml"]),
    ("Windows/Temp", 0.098, ["tmp", "txt", "log"]),
]
words = ("function var return this document window Request Response page control script "
         "style class div span table value string object length push call apply").split()
def text(size):
    out, line = [], []
    total = 0
    while total < size:
        w = rnd.choice(words)
        line.append(w)
        total += len(w) + 1
        if len(line) > 12:
            out.append(" ".join(line) + ";\r\n")
            line = []
    return "".join(out).encode()[:size]
def binary(size, mz=False):
    b = bytearray(rnd.getrandbits(8) for _ in range(min(size, 4096)))
    b = bytes(b) * (size // len(b) + 1) if b else b""
    b = bytearray(b[:size])
    if mz and size > 0x40:
        b[0:2] = b"MZ"
    return bytes(b)
def size():
    s = int(rnd.lognormvariate(8.3, 1.3))  # median ~4 KB, long tail
    return max(64, min(s, 1 << 20))
made = 0
for folder, share, exts in zones:
    count = max(1, int(n * share))
    for i in range(count):
        ext = rnd.choice(exts)
        sub = f"d{i // 500:03d}"
        path = os.path.join(root, folder, sub, f"f{i:06d}.{ext}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        sz = size()
        if ext in ("gif", "png", "bin", "dll", "compiled"):
            data = binary(sz, mz=(ext == "dll"))
        else:
            data = text(sz)
        with open(path, "wb") as f:
            f.write(data)
        made += 1
for i in range(4):  # a few large files
    path = os.path.join(root, "ProgramData/Microsoft/Windows Defender/Scans", f"mpcache-{i}.bin")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(binary(8 << 20))
    made += 1
shells = {
    "chopper_jscript.aspx": "inetpub/wwwroot/aspnet_client/system_web/zq7w.aspx",
    "tiny_jscript.aspx": f"{X}/FrontEnd/HttpProxy/owa/auth/Current/one1.aspx",
    "oab_dump_shell.aspx": f"{X}/FrontEnd/HttpProxy/OAB/log.aspx",
    "der_shell.aspx": "inetpub/wwwroot/aspnet_client/x.aspx.req",
    "App_Web_hx4mq9zt.dll": "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/4f2a1c3b/App_Web_hx4mq9zt.dll",
}
for sample, dest in shells.items():
    with open(os.path.join(samples, sample + ".b64")) as f:
        data = base64.b64decode(f.read())
    path = os.path.join(root, dest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    made += 1
print(f"generated {made} files under {root}")
PY
    touch "$DIR/.complete-$FILES"
fi

cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
EXHUNT="$CARGO_TARGET_DIR/release/exhunt"
read -r NFILES NBYTES < <(find "$DIR" -type f ! -name '.complete-*' -printf '%s\n' | awk '{n++; s+=$1} END {print n, s}')
echo "tree: $DIR, $NFILES files, $((NBYTES / 1048576)) MiB; threads: $THREADS"
echo "yara: $(yara --version), exhunt: $("$EXHUNT" --version)"
echo "shells found by yara:";   yara -r -p "$THREADS" "$HERE/rules/yara/exhunt.yar" "$DIR" | sed 's/^/  /'
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"; [[ -n "${KEEP:-}" ]] || rm -rf "$DIR"' EXIT
"$EXHUNT" scan "$DIR" --full --threads "$THREADS" --no-progress -q --out "$OUT/r" || true
echo "shells found by exhunt (webshell-yara):"
python3 -c "import json,sys; r=json.load(open('$OUT/r/report.json')); [print('  '+f['rule'], f['fields']['Path']) for f in r['findings'] if f['check']=='webshell-yara']"

hyperfine --warmup 1 --runs "$RUNS" -i --export-json "$OUT/h.json" --export-markdown "$OUT/h.md" \
    -n "yara -r -p $THREADS (Debian $(yara --version))" "yara -r -p $THREADS '$HERE/rules/yara/exhunt.yar' '$DIR' > /dev/null" \
    -n "exhunt scan --full --threads $THREADS" "'$EXHUNT' scan '$DIR' --full --threads $THREADS --no-progress -q"
cat "$OUT/h.md"
python3 - "$OUT/h.json" "$NFILES" "$NBYTES" <<'PY'
import json, sys
h = json.load(open(sys.argv[1])); n = int(sys.argv[2]); b = int(sys.argv[3])
for r in h["results"]:
    t = r["median"]
    print(f"{r['command']}: median {t:.3f} s, {n / t:,.0f} files/s, {b / t / 1e6:,.1f} MB/s")
PY
for cmd in "yara -r -p $THREADS $HERE/rules/yara/exhunt.yar $DIR" "$EXHUNT scan $DIR --full --threads $THREADS --no-progress -q"; do
    /usr/bin/time -f "peak RSS %M KiB, %e s wall, %U s user: ${cmd%% *}" $cmd > /dev/null 2>"$OUT/t" || true
    tail -1 "$OUT/t"
done
