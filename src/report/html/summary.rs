//! The answer first: the verdict's one-sentence reason, what to do now, and what the scan did not
//! see. Plain text, built from the scan only (escaped by the caller where it is put in the page).

use crate::model::{CLIENT_IP_FIELDS, CheckState, Class, Finding, Severity, Timestamp, Verdict};
use crate::scan::ScanResult;

/// `2021-02-11 04:28Z`: a time to the minute, for sentences.
pub fn minute(t: Timestamp) -> String {
    let s = t.to_string();
    match (s.get(..10), s.get(11..16)) {
        (Some(d), Some(hm)) if s.len() >= 16 => format!("{d} {hm}Z"),
        _ => s,
    }
}

/// The client address a finding names, if any.
pub fn client_ip(f: &Finding) -> Option<&str> {
    CLIENT_IP_FIELDS
        .iter()
        .find_map(|k| f.field(k))
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
}

/// Counted findings: those that can move a verdict (`info` never does).
fn counted(scan: &ScanResult) -> impl Iterator<Item = &Finding> {
    scan.findings.iter().filter(|f| f.severity > Severity::Info)
}

fn is_hit(f: &Finding) -> bool {
    matches!(f.class, Class::Exploitation | Class::PostExploitation)
}

/// Whether a finding's time is a record's time (a log line, an event), not a file's timestamp.
fn from_a_record(f: &Finding) -> bool {
    f.source.line.is_some() || f.source.record_id.is_some()
}

/// The chain a CVE id belongs to, by the build assessment's own table (none without builds).
fn chain_of<'a>(scan: &'a ScanResult, cve: &str) -> Option<&'a str> {
    scan.build_assessment
        .as_ref()?
        .chains
        .iter()
        .find(|c| c.cves.contains(&cve))
        .map(|c| c.chain)
}

/// What a finding exploited, in words: its chain when known, else its CVE ids.
fn what(scan: &ScanResult, f: &Finding) -> Option<String> {
    let first = f.cves().next()?;
    Some(match chain_of(scan, first) {
        Some(chain) => format!("{chain} chain"),
        None => f.cves().collect::<Vec<_>>().join(", "),
    })
}

/// Whether any finding evidences an LSASS memory dump (the file, or the command that makes one).
pub fn lsass_dump(scan: &ScanResult) -> bool {
    counted(scan).any(|f| {
        f.rule.to_ascii_lowercase().contains("lsass")
            || f.title.to_ascii_lowercase().contains("lsass")
    })
}

/// The distinct web-script files the attacker wrote or used (the pivot's web paths), by name.
pub fn webshells(scan: &ScanResult) -> Vec<&str> {
    let mut v: Vec<&str> = scan.pivot.paths.iter().map(String::as_str).collect();
    v.dedup();
    v
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The verdict's reason in one sentence (parts joined by ` · `).
pub fn headline(scan: &ScanResult) -> String {
    let mut parts: Vec<String> = Vec::new();
    match scan.verdict {
        Verdict::Compromised => {
            let hits: Vec<&Finding> = counted(scan).filter(|f| is_hit(f)).collect();
            let first = hits
                .iter()
                .filter(|f| from_a_record(f) && f.time.is_some())
                .min_by_key(|f| f.time)
                .or_else(|| hits.first())
                .copied();
            if let Some(f) = first {
                let mut s = match what(scan, f) {
                    Some(w) => format!("{w} exploited"),
                    None if f.class == Class::PostExploitation => {
                        "Post-exploitation activity".to_string()
                    }
                    None => "Exploitation".to_string(),
                };
                if let Some(t) = f.time.filter(|_| from_a_record(f)) {
                    s += &format!(" {}", minute(t));
                }
                if let Some(ip) = client_ip(f) {
                    s += &format!(" from {ip}");
                }
                parts.push(s);
                let mut others: Vec<String> = hits
                    .iter()
                    .filter_map(|h| what(scan, h))
                    .filter(|w| Some(w) != what(scan, f).as_ref())
                    .collect();
                others.sort();
                others.dedup();
                if !others.is_empty() {
                    parts.push(format!("also {}", others.join(", ")));
                }
            }
            let shells = webshells(scan).len();
            if shells > 0 {
                parts.push(plural(shells, "webshell", "webshells"));
            }
            if lsass_dump(scan) {
                parts.push("LSASS dump".into());
            }
            if scan.attacker_ips.len() > 1 {
                parts.push(format!("{} attacker addresses", scan.attacker_ips.len()));
            }
        }
        Verdict::Suspicious => {
            let attempts: Vec<&Finding> = counted(scan)
                .filter(|f| f.class == Class::Attempt)
                .collect();
            let rolled: usize = scan
                .rolled_up
                .iter()
                .filter(|r| r.class == Class::Attempt && r.severity > Severity::Info)
                .map(|r| r.lines.len())
                .sum();
            if !attempts.is_empty() || rolled > 0 {
                let mut ips: Vec<&str> = attempts.iter().filter_map(|f| client_ip(f)).collect();
                ips.sort_unstable();
                ips.dedup();
                let who = match ips.len() {
                    0 => String::new(),
                    1 => format!(" from {}", ips[0]),
                    n => format!(" from {n} addresses"),
                };
                let n = attempts.len() + rolled;
                let s = format!(
                    "{}{who}, and no sign that any succeeded",
                    plural(n, "exploitation attempt", "exploitation attempts")
                );
                parts.push(s);
            }
            let mut context: Vec<&str> = counted(scan)
                .filter(|f| f.class == Class::Context)
                .map(|f| f.title.as_str())
                .collect();
            context.sort_unstable();
            context.dedup();
            if lsass_dump(scan) {
                parts.push("an LSASS dump: treat its credentials as stolen".into());
            }
            if !context.is_empty() {
                parts.push(format!(
                    "{} to look at",
                    plural(context.len(), "context finding", "context findings")
                ));
            }
        }
        Verdict::Inconclusive => {
            let short: Vec<&str> = scan
                .checks
                .iter()
                .filter(|c| blocks_clean(c))
                .map(|c| c.check)
                .collect();
            parts.push(format!(
                "Nothing found, but {} could not cover the window: {}",
                plural(short.len(), "check", "checks"),
                short.join(", ")
            ));
        }
        Verdict::NoEvidence => {
            let ran = scan
                .checks
                .iter()
                .filter(|c| c.state == CheckState::Ran)
                .count();
            parts.push(format!(
                "No evidence of compromise: {} ran over logs that reach back to the window start {}",
                plural(ran, "check", "checks"),
                minute(scan.params.window.since)
            ));
            let scanners = scan
                .findings
                .iter()
                .filter(|f| f.class == Class::Scanner)
                .count();
            if scanners > 0 {
                parts.push(plural(
                    scanners,
                    "scanner probe seen",
                    "scanner probes seen",
                ));
            }
        }
    }
    if parts.is_empty() {
        parts.push(verdict_words(scan.verdict).1.to_string());
    }
    parts.join(" · ")
}

/// The verdict's label and its meaning.
pub fn verdict_words(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Compromised => ("COMPROMISED", "successful exploitation is evidenced"),
        Verdict::Suspicious => ("SUSPICIOUS", "attempts or context only"),
        Verdict::Inconclusive => (
            "INCONCLUSIVE",
            "a check could not run or the logs do not cover the window",
        ),
        Verdict::NoEvidence => (
            "NO EVIDENCE",
            "every check ran over logs covering the window",
        ),
    }
}

/// Whether a check keeps the verdict from `no-evidence` (the rule of [`crate::model::decide`]).
fn blocks_clean(c: &crate::model::CheckStatus) -> bool {
    (c.required && c.state != CheckState::Ran && c.state != CheckState::Skipped)
        || (c.file_problems > 0 && c.state != CheckState::Skipped)
}

/// Every way the scan fell short of seeing everything, in words a responder can act on. Never
/// empty without saying so: the caller shows "none" explicitly.
pub fn holes(scan: &ScanResult) -> Vec<String> {
    let mut v = Vec::new();
    for c in &scan.checks {
        if c.state == CheckState::Ran && c.file_problems == 0 {
            continue;
        }
        let state = match c.state {
            CheckState::Ran => "ran",
            CheckState::Partial => "partial",
            CheckState::NoData => "no data",
            CheckState::Skipped => "skipped",
            CheckState::NotSelected => "not selected",
        };
        let weight = if blocks_clean(c) {
            "keeps the verdict from no-evidence"
        } else {
            "optional: does not change the verdict"
        };
        let mut s = format!("{} ({}): {state}", c.check, c.title);
        if let Some(r) = &c.reason {
            s += &format!(": {r}");
        }
        if c.file_problems > 0 {
            s += &format!("; {} file(s) it could not read", c.file_problems);
        }
        v.push(format!("{s} ({weight})"));
    }
    let since = scan.params.window.since;
    // The latest record of any log (the window's end when it is earlier): a source that ends a
    // week or more before it may not show what happened later (quiet, rolled over, cleared).
    let latest = scan
        .coverage
        .iter()
        .filter(|g| g.kind != "files")
        .filter_map(|g| g.last)
        .max()
        .map(|l| scan.params.window.until.map_or(l, |u| u.min(l)));
    let early: Vec<String> = scan
        .coverage
        .iter()
        .filter(|g| g.kind != "files")
        .filter_map(|g| Some((g, g.last?, latest?)))
        .filter(|(_, last, latest)| latest.0 - last.0 >= 7 * 86_400_000)
        .map(|(g, last, latest)| {
            format!(
                "{} (last {}, {} days earlier)",
                g.label,
                minute(last),
                (latest.0 - last.0) / 86_400_000
            )
        })
        .collect();
    if let (false, Some(latest)) = (early.is_empty(), latest) {
        v.push(format!(
            "Logs that end a week or more before the latest log record ({}): {}. Each is a quiet log, or one that rolled over, stopped or was cleared: later activity may not be in it.",
            minute(latest),
            early.join("; ")
        ));
    }
    for g in scan.coverage.iter().filter(|g| g.kind != "files") {
        if !g.present {
            v.push(format!(
                "{}: folder missing: nothing of it was read",
                g.label
            ));
        } else if g.files == 0 || g.records == 0 {
            v.push(format!("{}: no records read", g.label));
        } else if let Some(first) = g.first.filter(|f| *f > since) {
            v.push(format!(
                "{}: its records start {}, after the window start {}: anything earlier is not visible",
                g.label,
                minute(first),
                minute(since)
            ));
        }
        if g.malformed > 0 {
            v.push(format!(
                "{}: {} record(s) could not be parsed",
                g.label, g.malformed
            ));
        }
        if !g.problems.is_empty() {
            v.push(format!(
                "{}: {} file(s) not read completely (see report.json coverage)",
                g.label,
                g.problems.len()
            ));
        }
    }
    if !scan.problems.is_empty() {
        v.push(format!(
            "{} other problem(s) reading the input (see report.json problems)",
            scan.problems.len()
        ));
    }
    v
}

/// What to do now, by verdict: steps in order.
pub fn next_steps(scan: &ScanResult) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let unpatched: Vec<&str> = scan
        .build_assessment
        .iter()
        .flat_map(|a| &a.chains)
        .filter(|c| c.latest_patched == crate::model::Patched::No)
        .map(|c| c.chain)
        .collect();
    let patch = if unpatched.is_empty() {
        "Keep the server on the latest cumulative and security update.".to_string()
    } else {
        format!(
            "Patch: the latest build in the logs lacks the fix for {}.",
            unpatched.join(", ")
        )
    };
    match scan.verdict {
        Verdict::Compromised => {
            v.push("Isolate the server: take it off the network now (CISA ED 21-02 Action 3a: disconnect), but do not shut it down or reboot it: memory holds evidence.".into());
            v.push("Preserve evidence before any clean-up: image memory first, then the disk (ED 21-02 Action 2a/2b); keep this output folder and the logs; do not delete the webshells until they are copied.".into());
            if lsass_dump(scan) {
                v.push("Reset credentials: LSASS memory was dumped, so every account that logged on to this server is exposed. Reset them all (administrators and service accounts included) and reset the domain's krbtgt account twice.".into());
            } else {
                v.push("Reset the credentials of Exchange administrators and of service accounts on this server, and review new accounts and role grants (Mailbox Import Export).".into());
            }
            v.push("Report the incident to CISA (https://us-cert.cisa.gov/report) with this folder attached; in the ED 21-02 template the Test-ProxyLogon column is \"Yes (indications of compromise found)\".".into());
            v.push("Rebuild: do not rejoin the server to the domain; rebuild the operating system and reinstall Exchange from trusted sources at the latest version, as CISA directs (ED 21-02 Action 3b, 3d), then hunt the network for lateral movement.".into());
            let shells = webshells(scan);
            let mut open = "Open first: timeline.csv (every attacker request in time order; Timesketch imports it), then findings.csv".to_string();
            if !shells.is_empty() {
                open += &format!("; the webshell paths: {}", shells.join(", "));
            }
            v.push(open + ".");
        }
        Verdict::Suspicious => {
            v.push(patch);
            if lsass_dump(scan) {
                v.push("An LSASS dump was found: treat every credential used on this server as stolen and reset them, until you know who made the dump and why.".into());
            }
            v.push("Confirm the attempts failed: in timeline.csv, follow each attacker address past its first request (a 241 or 200 answer to an SSRF, a new .aspx, a process under w3wp would change the verdict).".into());
            v.push("Look at the context findings (archives, dumps, role grants) in the checks below: each needs a human decision.".into());
            v.push("Run Microsoft's MSERT full scan as CISA's supplemental direction asks; exhunt's file checks do not replace it.".into());
            v.push("Open first: findings.csv, then timeline.csv.".into());
        }
        Verdict::Inconclusive => {
            v.push("Do not report this server as clean: fill the holes listed below first (collect the missing logs, for example with `exhunt collect` on the live server, or widen the window) and scan again.".into());
            v.push("Until then, the ED 21-02 template's Test-ProxyLogon column is \"No (must provide narrative explanation in comments section)\", with the holes below as the narrative.".into());
            v.push(patch);
            v.push("Open first: report.json (checks[].reason and coverage[] say what could not be read).".into());
        }
        Verdict::NoEvidence => {
            v.push(patch);
            v.push("Run Microsoft's MSERT full scan as CISA's supplemental direction asks (then weekly for four weeks); exhunt's file checks do not replace it.".into());
            v.push(
                "Keep this folder: CISA recommends keeping triage results for at least six months."
                    .into(),
            );
            v.push("No evidence is not proof of safety: memory, other servers and anything before the oldest log were not examined (see what was not seen below).".into());
            v.push(
                "Open first: findings.csv (scanner noise and info lines, for the record).".into(),
            );
        }
    }
    v
}
