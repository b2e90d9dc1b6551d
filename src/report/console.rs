//! The console summary, in the spirit of Test-ProxyLogon: one line per check with counts, the
//! first pieces of evidence, coverage warnings, and the verdict. Untrusted text goes through
//! [`terminal`] so that log content cannot drive the responder's terminal.

use super::sanitize::terminal;
use crate::model::Patched;
use crate::model::{CheckState, Class, Finding, Severity, Verdict, show_size};
use crate::scan::ScanResult;
use std::fmt::Write;

/// How many findings the ranked list shows before "... and N more" (unless `--all`).
pub const SHOWN_TOP: usize = 15;

/// How many findings of one rule the ranked list shows (unless `--all`).
pub const PER_RULE: usize = 2;

/// How the summary is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// ANSI colours (never inside untrusted text).
    pub color: bool,
    /// Every finding, not the first [`SHOWN_TOP`].
    pub all: bool,
    /// Findings below this severity are counted, not listed.
    pub min_severity: Severity,
    /// Lines are cut to this many characters (a terminal's width); `None`: never cut.
    pub width: Option<usize>,
}

impl Style {
    pub fn plain() -> Style {
        Style {
            color: false,
            all: false,
            min_severity: Severity::Info,
            width: None,
        }
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn c(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// `s` cut to `n` characters with an ellipsis.
pub(super) fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn sev_code(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;97;41",
        Severity::High => "1;31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

/// The HTTP status a finding's record carries (web logs), if any.
fn status_of(f: &Finding) -> Option<&str> {
    ["HttpStatus", "sc-status"]
        .iter()
        .find_map(|k| f.field(k))
        .filter(|s| !s.is_empty() && *s != "-")
}

/// Cuts `s` to `width` characters with an ellipsis (never inside an escape: `s` is plain).
fn fit(s: &str, width: Option<usize>) -> String {
    match width {
        Some(w) if s.chars().count() > w && w > 1 => short(s, w - 1),
        _ => s.to_string(),
    }
}

/// Two lines per finding: severity, class, time, status and check first (never cut), then the
/// title and client, cut to the width; then where the evidence is.
fn finding_line(f: &Finding, p: &Paint, width: Option<usize>) -> String {
    let when = f.time.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
    let sev = format!("[{}]", f.severity.as_str());
    let status = status_of(f)
        .map(|s| format!(" {}", terminal(&short(s, 6))))
        .unwrap_or_default();
    let head = format!(
        "  {sev:<10} {:<17} {when}{status} {}/{}",
        f.class.as_str(),
        f.check,
        terminal(f.rule)
    );
    let who = crate::model::client_of(f)
        .map(|ip| format!(" from {}", terminal(ip)))
        .unwrap_or_default();
    let title = format!("      {}{who}", terminal(&short(&f.title, 300)));
    let at = format!("      at {}", terminal(&f.source.locator()));
    let head = head.replacen(&sev, &p.c(sev_code(f.severity), &sev), 1);
    format!("{head}\n{}\n{}", fit(&title, width), fit(&at, width))
}

/// The ranking of the list: what counts for the verdict first (info last); then hits
/// (exploitation and what followed it), attempts, context, scanners; then severity, then time.
fn rank(f: &Finding) -> impl Ord {
    let rung = match f.class {
        Class::Exploitation | Class::PostExploitation => 3,
        Class::Attempt => 2,
        Class::Context => 1,
        Class::Scanner => 0,
    };
    (
        std::cmp::Reverse(f.severity > Severity::Info),
        std::cmp::Reverse(rung),
        std::cmp::Reverse(f.severity),
        f.time.is_none(),
        f.time,
    )
}

/// The verdict, its reason and what to do now: the first thing a responder reads.
fn answer(s: &mut String, scan: &ScanResult, p: &Paint) {
    let (code, word) = verdict_words(scan.verdict);
    let _ = writeln!(
        s,
        "Verdict for {}: {}",
        terminal(&scan.host),
        p.c(code, word)
    );
    let _ = writeln!(s, "  {}", terminal(&scan.summary.reason));
    let _ = writeln!(s, "  Do now:");
    for (i, step) in scan.summary.next_steps.iter().enumerate() {
        let _ = writeln!(s, "    {}. {}", i + 1, terminal(step));
    }
    let _ = writeln!(s, "  Open first: {}", scan.summary.open_first);
}

fn verdict_words(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Compromised => ("1;41;97", "COMPROMISED"),
        Verdict::Suspicious => ("1;43;30", "SUSPICIOUS"),
        Verdict::Inconclusive => ("1;33", "INCONCLUSIVE"),
        Verdict::NoEvidence => ("1;32", "NO EVIDENCE"),
    }
}

/// Every finding, ranked across checks, so that exploitation is never behind info lines.
fn ranked_findings(s: &mut String, scan: &ScanResult, st: &Style, p: &Paint) {
    let window = scan.params.shown;
    let in_time: Vec<&Finding> = scan
        .findings
        .iter()
        .filter(|f| window.lists(f.time))
        .collect();
    let outside = scan.findings.len() - in_time.len();
    let mut list: Vec<&Finding> = in_time
        .into_iter()
        .filter(|f| f.severity >= st.min_severity)
        .collect();
    let below = scan.findings.len() - outside - list.len();
    if list.is_empty() {
        return;
    }
    list.sort_by_cached_key(|f| rank(f));
    // Without --all: first the most serious finding of each rule, then seconds, up to PER_RULE of
    // one rule, so that one loud rule does not push a second actor's different hit out of the list.
    let mut picked: Vec<usize> = Vec::new();
    if st.all {
        picked.extend(0..list.len());
    } else {
        let mut per_rule: std::collections::HashMap<(&str, &str), usize> = Default::default();
        for round in 1..=PER_RULE {
            per_rule.clear();
            for (i, f) in list.iter().enumerate() {
                let n = per_rule.entry((f.check, f.rule)).or_default();
                *n += 1;
                if *n == round && picked.len() < SHOWN_TOP {
                    picked.push(i);
                }
            }
        }
        picked.sort_unstable();
    }
    let picked: Vec<&Finding> = picked.into_iter().map(|i| list[i]).collect();
    let shown = picked.len();
    let _ = writeln!(
        s,
        "{}",
        p.c(
            "1",
            &format!(
                "Findings, most serious first ({shown} of {} shown{})",
                scan.findings.len(),
                if st.all {
                    ""
                } else {
                    ", each rule's most serious first"
                }
            )
        )
    );
    for f in &picked {
        let _ = writeln!(s, "{}", finding_line(f, p, st.width));
    }
    let mut more = Vec::new();
    if list.len() > shown {
        more.push(format!("{} more (--all lists them)", list.len() - shown));
    }
    if below > 0 {
        more.push(format!(
            "{below} below {} (--min-severity)",
            st.min_severity.as_str()
        ));
    }
    if outside > 0 {
        let t = |x: Option<crate::model::Timestamp>| x.map(|t| t.to_string()).unwrap_or_default();
        more.push(format!(
            "{outside} outside {} .. {} (--from/--to; the verdict counts them)",
            t(window.from),
            t(window.to)
        ));
    }
    if !more.is_empty() {
        let _ = writeln!(
            s,
            "  ... {}; every one in findings.csv / report.json",
            more.join(", ")
        );
    }
    let _ = writeln!(s);
}

/// How many attacker IPs the console lists.
pub const SHOWN_IPS: usize = 10;

/// The attacker IPs taken from findings, and what the sweep found them doing.
fn attackers(s: &mut String, scan: &ScanResult, p: &Paint) {
    if scan.attacker_ips.is_empty() {
        return;
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{}",
        p.c(
            "1",
            "Attacker IPs (from findings; every request they made, from all text logs)"
        )
    );
    let t = |x: Option<crate::model::Timestamp>| x.map(|t| t.to_string()).unwrap_or_default();
    for a in scan.attacker_ips.iter().take(SHOWN_IPS) {
        let statuses: Vec<String> = a.statuses.iter().map(|(k, n)| format!("{k}x{n}")).collect();
        let _ = writeln!(
            s,
            "  {}  {} .. {}  {} request(s), status {}",
            terminal(&a.ip),
            t(a.first_seen),
            t(a.last_seen),
            a.requests,
            terminal(&statuses.join(" "))
        );
        let hits: Vec<String> = a
            .hits
            .iter()
            .take(5)
            .map(|h| format!("{} x{}", short(&h.value, 80), h.count))
            .collect();
        if !hits.is_empty() {
            let _ = writeln!(s, "      hit: {}", terminal(&hits.join(", ")));
        }
        let rules: Vec<String> = a
            .findings
            .iter()
            .take(6)
            .map(|h| format!("{} x{}", h.value, h.count))
            .collect();
        if !rules.is_empty() {
            let _ = writeln!(s, "      findings: {}", terminal(&rules.join(", ")));
        }
        if !a.user_agents.is_empty() {
            let _ = writeln!(
                s,
                "      user agents: {}",
                terminal(&short(&a.user_agents.join(" | "), 200))
            );
        }
    }
    if scan.attacker_ips.len() > SHOWN_IPS {
        let _ = writeln!(
            s,
            "  ... and {} more (see report.json attacker_ips)",
            scan.attacker_ips.len() - SHOWN_IPS
        );
    }
    let _ = writeln!(
        s,
        "  timeline: {} event(s) in timeline.csv / timeline.jsonl ({} line(s) found by the pivot sweep{})",
        scan.pivot.timeline_events,
        scan.pivot.lines_matched,
        if scan.pivot.lines_dropped > 0 {
            format!(", {} left out", scan.pivot.lines_dropped)
        } else {
            String::new()
        }
    );
    let pv = &scan.pivot;
    if pv.restored + pv.restore_capped > 0 {
        let _ = writeln!(
            s,
            "  {} rolled-up hit(s) tied to the attacker by address, request id or path made findings again{}",
            pv.restored,
            if pv.restore_capped > 0 {
                format!(
                    " ({} more left in rolled-up.csv: over the cap)",
                    pv.restore_capped
                )
            } else {
                String::new()
            }
        );
    }
    if pv.rolled_user_agent_only > 0 {
        let _ = writeln!(
            s,
            "  {} rolled-up hit(s) share only the attacker's user agent: left in rolled-up.csv, not in the timeline",
            pv.rolled_user_agent_only
        );
    }
}

/// Renders the summary: the answer first, then the findings ranked, the checks, the attackers
/// and the coverage.
pub fn render(scan: &ScanResult, st: &Style) -> String {
    let p = Paint { on: st.color };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}",
        p.c(
            "1",
            &format!("exhunt {} - {}", crate::VERSION, terminal(&scan.host))
        )
    );
    let _ = writeln!(
        s,
        "  build: commit {}, rules {}",
        crate::COMMIT,
        crate::rules::pack_hash()
    );
    let _ = writeln!(s, "  host name from: {}", scan.host_source);
    match (&scan.params.root, &scan.install) {
        (Some(root), Some(i)) => {
            let _ = writeln!(
                s,
                "  root: {}  Exchange install: {} ({}, found by {})",
                terminal(root),
                terminal(&i.dir.display().to_string()),
                terminal(&i.windows_path),
                i.found_by
            );
        }
        (Some(root), None) => {
            let _ = writeln!(s, "  root: {}  Exchange install: NOT FOUND", terminal(root));
        }
        _ => {
            let _ = writeln!(
                s,
                "  loose files: {}",
                terminal(&scan.params.logs.join(", "))
            );
        }
    }
    let until = scan
        .params
        .window
        .until
        .map(|u| u.to_string())
        .unwrap_or_else(|| "now".into());
    let _ = writeln!(
        s,
        "  exposure window: {} .. {}",
        scan.params.window.since, until
    );
    let _ = writeln!(
        s,
        "  read {} log files ({}, {} records) and scanned {} files ({}) in {:.2} s",
        scan.totals.files,
        show_size(scan.totals.bytes),
        scan.totals.records,
        scan.totals.scanned_files,
        show_size(scan.totals.scanned_bytes),
        scan.elapsed_ms as f64 / 1000.0
    );
    if !scan.builds_seen.is_empty() {
        let _ = writeln!(
            s,
            "  Exchange builds in the logs: {}",
            terminal(&scan.builds_seen.join(", "))
        );
    }
    if let Some(a) = &scan.build_assessment {
        let cu = a
            .latest_cu
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        let chains: Vec<String> = a
            .chains
            .iter()
            .map(|c| {
                let word = match c.latest_patched {
                    Patched::Yes => p.c("32", "patched"),
                    Patched::No => p.c("1;31", "NOT patched"),
                    Patched::Unknown => p.c("33", "unknown"),
                };
                format!("{} {word}", c.chain)
            })
            .collect();
        let _ = writeln!(
            s,
            "  latest build {}{}: {}",
            terminal(&a.latest),
            terminal(&cu),
            chains.join("; ")
        );
    }
    let _ = writeln!(s);
    answer(&mut s, scan, &p);
    let _ = writeln!(s);
    ranked_findings(&mut s, scan, st, &p);
    if !scan.allowed.is_empty() {
        let _ = writeln!(
            s,
            "{}",
            p.c(
                "1",
                "Suppressed by --allow (lowered to info, kept in every report)"
            )
        );
        for e in &scan.allowed {
            let _ = writeln!(
                s,
                "  {} {} {}: {} finding(s) - {}",
                terminal(&e.at),
                e.kind.as_str(),
                terminal(&e.value),
                e.suppressed,
                terminal(&e.reason)
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "{}", p.c("1", "Checks"));
    for c in &scan.checks {
        let mine: Vec<&Finding> = scan
            .findings
            .iter()
            .filter(|f| f.check == c.check)
            .collect();
        let listed = |cl: Class| {
            mine.iter()
                .filter(|f| f.class == cl && f.severity > Severity::Info)
                .count()
        };
        let rolled: Vec<&crate::model::rollup::RollUp> = scan
            .rolled_up
            .iter()
            .filter(|r| r.check == c.check)
            .collect();
        let rolled_of = |cl: Class| {
            rolled
                .iter()
                .filter(|r| r.class == cl && r.severity > Severity::Info)
                .map(|r| r.lines.len())
                .sum::<usize>()
        };
        let count = |cl: Class| listed(cl) + rolled_of(cl);
        let (hits, attempts, scanners, context) = (
            count(Class::Exploitation) + count(Class::PostExploitation),
            count(Class::Attempt),
            count(Class::Scanner),
            count(Class::Context),
        );
        let state = match c.state {
            CheckState::Ran => p.c("32", "ran"),
            CheckState::Partial => p.c("33", "PARTIAL"),
            CheckState::NoData => p.c("33", "NO DATA"),
            CheckState::Skipped => p.c("2", "skipped"),
            CheckState::NotSelected => p.c("2", "not selected"),
        };
        let mut counts = Vec::new();
        for (n, what) in [
            (hits, "hit(s)"),
            (attempts, "attempt(s)"),
            (context, "context"),
            (scanners, "scanner probe(s)"),
        ] {
            if n > 0 {
                counts.push(format!("{n} {what}"));
            }
        }
        let summary = if hits > 0 {
            p.c("1;31", &counts.join(", "))
        } else if !counts.is_empty() {
            p.c("33", &counts.join(", "))
        } else if c.state == CheckState::Ran {
            p.c("32", "nothing suspicious")
        } else {
            "nothing found (see coverage)".to_string()
        };
        let optional = if c.required { "" } else { " (optional)" };
        let _ = writeln!(
            s,
            "{} [{}]{} {} - {}",
            p.c("1", c.check),
            state,
            optional,
            c.title,
            summary,
        );
        if let Some(r) = &c.reason {
            let _ = writeln!(s, "    coverage: {}", terminal(r));
        }
        for r in &rolled {
            let _ = writeln!(
                s,
                "    rolled up: {} more {} hit(s) of {} from {} client(s), {} .. {} (every one in {})",
                r.rolled(),
                r.class.as_str(),
                r.rule,
                r.clients,
                r.first.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
                r.last.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
                super::csv::ROLLED_UP_FILE
            );
        }
    }
    attackers(&mut s, scan, &p);
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{}",
        p.c("1", "Log coverage (times read from the logs' content)")
    );
    for g in &scan.coverage {
        let span = match (g.first, g.last) {
            (Some(a), Some(b)) => format!("{a} .. {b}"),
            _ => "-".into(),
        };
        let status = if !g.present {
            p.c("33", "missing")
        } else if g.files == 0 {
            p.c("33", "empty")
        } else if g.kind == "files" {
            format!("{} file(s), {} scanned", g.files, show_size(g.bytes))
        } else {
            format!("{} file(s), {} records, {}", g.files, g.records, span)
        };
        let mut warn = String::new();
        if g.malformed > 0 {
            warn += &format!(", {} malformed", g.malformed);
        }
        if !g.problems.is_empty() {
            warn += &format!(", {} problem(s)", g.problems.len());
        }
        let _ = writeln!(
            s,
            "  {:<24} {}{}",
            terminal(&g.label),
            status,
            p.c("33", &warn)
        );
        for pr in g.problems.iter().take(3) {
            let _ = writeln!(s, "      {}: {}", terminal(&pr.path), terminal(&pr.problem));
        }
        if g.problems.len() > 3 {
            let _ = writeln!(
                s,
                "      ... {} more problem(s) in report.json",
                g.problems.len() - 3
            );
        }
    }
    for pr in scan.problems.iter().take(5) {
        let _ = writeln!(
            s,
            "  problem: {}: {}",
            terminal(&pr.path),
            terminal(&pr.problem)
        );
    }
    if scan.problems.len() > 5 {
        let _ = writeln!(
            s,
            "  ... {} more problem(s) in report.json",
            scan.problems.len() - 5
        );
    }
    for n in &scan.notes {
        let _ = writeln!(s, "  note: {}", terminal(n));
    }
    let _ = writeln!(s);
    let (code, word) = verdict_words(scan.verdict);
    let _ = writeln!(
        s,
        "Verdict for {}: {}: {}",
        terminal(&scan.host),
        p.c(code, word),
        terminal(&scan.summary.reason)
    );
    s
}
