#!/usr/bin/env bash
# Validate rules/yara/exhunt.yar against the encoded samples with a YARA-compatible CLI.
#
#   bash rules/yara/tests/check_with_yara.sh
#
# Decodes samples/*.b64 into a private temp dir (removed on exit), scans it with
# Debian's `yara` (4.2.x; `apt-get install -y yara`) and compares with cases.tsv:
#   * the rules compile without warnings (--fail-on-warnings)
#   * every rule has the meta fields description, severity (critical|high|medium|low),
#     family, reference and why
#   * the stored tree (this folder and the rule file) matches no rule, so neither
#     exhunt nor a responder's antivirus sees a shell in the repository
#   * samples/*.b64 and cases.tsv are exactly what make_samples.py generates
#   * every cases.tsv row holds (match / nomatch RULE / nomatch - = nothing fires)
#   * per sample, the rules that fire are exactly the listed `match` rows
#   * every rule has at least one positive and one named look-alike (nomatch) row,
#     and every sample has rows
# Another YARA-compatible CLI can be used with YARA="boreal yr" (same checks).
# Ends with "N passed, N failed"; exit status 0 only when nothing failed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RULES="$HERE/../exhunt.yar"
CASES="$HERE/cases.tsv"
SAMPLES="$HERE/samples"
read -r -a SCANNER <<< "${YARA:-yara}"

if ! command -v "${SCANNER[0]}" > /dev/null 2>&1; then
    echo "error: ${SCANNER[0]} not found; install Debian's yara: apt-get install -y yara" >&2
    exit 2
fi
echo "scanner: ${SCANNER[*]} ($("${SCANNER[@]}" --version 2>/dev/null || echo unknown version))"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/s"
: > "$tmp/empty"

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok    $*"; }
bad() { fail=$((fail + 1)); echo "FAIL  $*"; }

# --- 1. compile ------------------------------------------------------------
if "${SCANNER[@]}" --fail-on-warnings "$RULES" "$tmp/empty" > "$tmp/compile.out" 2>&1; then
    ok "rules compile without warnings"
else
    bad "rules do not compile cleanly:"
    sed 's/^/      /' "$tmp/compile.out"
fi

# --- 2. meta fields ----------------------------------------------------------
mapfile -t RULE_NAMES < <(sed -n -E 's/^rule[[:space:]]+([A-Za-z0-9_]+)[[:space:]]*(:.*|\{.*)?$/\1/p' "$RULES")
meta_errors="$(awk '
    function flush() {
        if (rule == "") return
        n = split("description severity family reference why", need, " ")
        for (i = 1; i <= n; i++) if (!(need[i] in seen)) print rule ": missing meta " need[i]
        if (!(sev ~ /^(critical|high|medium|low)$/)) print rule ": bad severity \"" sev "\""
        delete seen; sev = ""
    }
    /^rule[[:space:]]+[A-Za-z0-9_]+[[:space:]]*(:.*|\{.*)?$/ { flush(); rule = $2; next }
    rule != "" && /^[[:space:]]*[a-z_]+[[:space:]]*=[[:space:]]*"/ {
        key = $1; sub(/[[:space:]]*=.*/, "", key); seen[key] = 1
        if (key == "severity") { sev = $0; sub(/^[^"]*"/, "", sev); sub(/".*/, "", sev) }
    }
    END { flush() }' "$RULES")"
if [[ -z "$meta_errors" ]]; then
    ok "meta fields present and severities valid in all ${#RULE_NAMES[@]} rules"
else
    while IFS= read -r line; do bad "$line"; done <<< "$meta_errors"
fi

# --- 3. the stored tree (rule file, generator, encoded samples) matches nothing --
if "${SCANNER[@]}" -w -r "$RULES" "$HERE/.." > "$tmp/self.out" 2>&1 && [[ ! -s "$tmp/self.out" ]]; then
    ok "repository tree (rules, scripts, encoded samples) matches no rule"
else
    bad "repository tree matches rules (antivirus hygiene):"
    sed 's/^/      /' "$tmp/self.out"
fi

# --- 4. committed samples are what make_samples.py generates -------------------
if command -v python3 > /dev/null 2>&1; then
    if python3 "$HERE/make_samples.py" --check > "$tmp/gen.out" 2>&1; then
        ok "samples/*.b64 and cases.tsv match make_samples.py output"
    else
        bad "samples out of date (run python3 make_samples.py):"
        sed 's/^/      /' "$tmp/gen.out"
    fi
else
    echo "skip  python3 not found: generator check not run"
fi

# --- 5. decode and scan ---------------------------------------------------------
declare -A HAVE_SAMPLE=()
for f in "$SAMPLES"/*.b64; do
    name="$(basename "$f" .b64)"
    base64 -d < "$f" > "$tmp/s/$name"
    HAVE_SAMPLE["$name"]=1
done

if ! "${SCANNER[@]}" -w "$RULES" "$tmp/s" > "$tmp/scan.out" 2> "$tmp/scan.err"; then
    bad "scanner failed:"
    sed 's/^/      /' "$tmp/scan.err"
fi
declare -A FIRED=()   # "<file>|<rule>" -> 1
declare -A FIRED_ANY=()
while read -r rule path; do
    [[ -z "${rule:-}" ]] && continue
    name="$(basename "$path")"
    FIRED["$name|$rule"]=1
    FIRED_ANY["$name"]+=" $rule"
done < "$tmp/scan.out"

# --- 6. compare with cases.tsv ---------------------------------------------------
declare -A EXPECTED=()   # "<file>|<rule>" -> 1 for match rows
declare -A HAS_ROWS=()
declare -A POS=() NEG=()
declare -A KNOWN_RULE=()
for r in "${RULE_NAMES[@]}"; do KNOWN_RULE["$r"]=1; done

lineno=0
while IFS=$'\t' read -r file expect rule; do
    lineno=$((lineno + 1))
    [[ $lineno -eq 1 || -z "$file" || "$file" == \#* ]] && continue
    HAS_ROWS["$file"]=1
    if [[ -z "${HAVE_SAMPLE[$file]:-}" ]]; then
        bad "$file: no samples/$file.b64"
        continue
    fi
    if [[ "$rule" != "-" && -z "${KNOWN_RULE[$rule]:-}" ]]; then
        bad "$file: cases.tsv names unknown rule $rule"
        continue
    fi
    case "$expect" in
        match)
            EXPECTED["$file|$rule"]=1
            POS["$rule"]=1
            if [[ -n "${FIRED[$file|$rule]:-}" ]]; then ok "$file  match  $rule"
            else bad "$file  expected $rule to fire; fired:${FIRED_ANY[$file]:- nothing}"; fi
            ;;
        nomatch)
            if [[ "$rule" == "-" ]]; then
                if [[ -z "${FIRED_ANY[$file]:-}" ]]; then ok "$file  nomatch  (no rule fires)"
                else bad "$file  expected no rule to fire; fired:${FIRED_ANY[$file]}"; fi
            else
                NEG["$rule"]=1
                if [[ -z "${FIRED[$file|$rule]:-}" ]]; then ok "$file  nomatch  $rule"
                else bad "$file  $rule fired on a look-alike"; fi
            fi
            ;;
        *) bad "$file: bad expect value '$expect' (line $lineno)" ;;
    esac
done < "$CASES"

# exact set: nothing fires that cases.tsv does not list
for key in "${!FIRED[@]}"; do
    if [[ -z "${EXPECTED[$key]:-}" ]]; then
        bad "${key%%|*}  unexpected match ${key#*|}"
    fi
done

# coverage
missing=0
for name in "${!HAVE_SAMPLE[@]}"; do
    if [[ -z "${HAS_ROWS[$name]:-}" ]]; then bad "samples/$name.b64 has no cases.tsv row"; missing=1; fi
done
for r in "${RULE_NAMES[@]}"; do
    [[ -n "${POS[$r]:-}" ]] || { bad "$r has no positive sample"; missing=1; }
    [[ -n "${NEG[$r]:-}" ]] || { bad "$r has no look-alike (nomatch) sample"; missing=1; }
done
[[ $missing -eq 0 ]] && ok "coverage: ${#RULE_NAMES[@]} rules each with a positive and a look-alike; ${#HAVE_SAMPLE[@]} samples all listed"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
