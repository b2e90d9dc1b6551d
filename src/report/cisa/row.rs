//! One server's Inventory row, from its scan: each column answered only from evidence exhunt
//! read, with what could not be answered said in the notes (H, for #1 and #2) or the comments
//! (W, for the rest).

use super::{InventoryRow, NO, NO_NARRATIVE, YES, YES_CLEAN, YES_IOC};
use crate::model::{CheckState, Class, Finding, MsertScan, Patched, Severity, Verdict};
use crate::scan::{MSERT_CHECK, SHELL_CHECKS, ScanResult, TPL_CHECKS};
use std::collections::BTreeSet;

/// How many findings a note names before it says "and N more".
const NAMED: usize = 5;

/// The row for `scan`.
pub fn from_scan(scan: &ScanResult) -> InventoryRow {
    let mut r = InventoryRow::default();
    let mut comments: Vec<String> = Vec::new();
    let ips = server_ips(scan);
    r.set("B", ips.join(", "));
    r.set("D", scan.host.clone());
    let (f, f_note) = msert_column(scan);
    r.set("F", f);
    let (g, g_note) = tpl_column(scan);
    r.set("G", g);
    r.set(
        "H",
        format!("#1 MSERT: {f_note}\n#2 Test-ProxyLogon (exhunt): {g_note}"),
    );
    if ips.is_empty() {
        comments.push("B: no server address (s-ip) in the log lines behind the findings".into());
    }
    comments.push(
        "C, E: the external address and public name are not in the server's own logs (the Host header a client sends is client-controlled); fill them from the network inventory".into(),
    );
    comments.push(
        "I-V (hardening 1a-7): firewall, update, identity, SOC, anti-malware and CDM questions are not answered by the evidence exhunt reads; left empty for the agency to answer".into(),
    );
    match exchange_version(scan) {
        Some(v) => r.set("X", v),
        None => comments.push("X: no Exchange build in the logs read".into()),
    }
    comments.push("Y: exhunt reads no evidence of the OS version".into());
    comments.push("Z-AD: not answered by the evidence exhunt reads".into());
    match updated(scan) {
        Some((v, why)) => {
            r.set("AE", v);
            comments.push(format!("AE: {why}"));
        }
        None => comments.push("AE: no Exchange build in the logs to judge the update by".into()),
    }
    r.set("W", comments.join("\n"));
    r
}

/// Whether a finding counts as an indication of compromise in the Test-ProxyLogon column:
/// exploitation or post-exploitation, or a webshell (YARA or indicator) hit; `info` never.
fn is_ioc(f: &Finding) -> bool {
    f.severity > Severity::Info
        && (matches!(f.class, Class::Exploitation | Class::PostExploitation)
            || SHELL_CHECKS.contains(&f.check))
}

fn is_attempt(f: &Finding) -> bool {
    f.severity > Severity::Info && matches!(f.class, Class::Attempt | Class::Context)
}

/// `title (path:line)`, for up to [`NAMED`] findings.
fn name_findings<'a>(fs: impl Iterator<Item = &'a Finding>) -> String {
    let all: Vec<&Finding> = fs.collect();
    let mut s: Vec<String> = all
        .iter()
        .take(NAMED)
        .map(|f| {
            let when = f.time.map(|t| format!(" {t}")).unwrap_or_default();
            format!("{}{when} ({})", f.title, f.source.locator())
        })
        .collect();
    if all.len() > NAMED {
        s.push(format!("and {} more (see findings.csv)", all.len() - NAMED));
    }
    s.join("; ")
}

/// Column G and its note: exhunt's own checks, the Test-ProxyLogon equivalent. MSERT's
/// detections answer column F and are left out here (the verdict over the rest decides).
fn tpl_column(scan: &ScanResult) -> (&'static str, String) {
    let own = |f: &&Finding| f.check != MSERT_CHECK;
    let findings: Vec<Finding> = scan.findings.iter().filter(own).cloned().collect();
    let checks: Vec<_> = scan
        .checks
        .iter()
        .filter(|c| c.check != MSERT_CHECK)
        .cloned()
        .collect();
    let verdict = crate::model::decide(&findings, &checks);
    let ioc: Vec<&Finding> = findings.iter().filter(|f| is_ioc(f)).collect();
    let attempts: Vec<&Finding> = findings.iter().filter(|f| is_attempt(f)).collect();
    let attempt_note = || {
        let rolled: u64 = scan
            .rolled_up
            .iter()
            .filter(|r| matches!(r.class, Class::Attempt))
            .map(|r| r.rolled())
            .sum();
        let more = if rolled > 0 {
            format!(" (and {rolled} more rolled up, see rolled-up.csv)")
        } else {
            String::new()
        };
        format!(
            "{} attempt/context finding(s){more}: {}",
            attempts.len(),
            name_findings(attempts.iter().copied())
        )
    };
    if verdict == Verdict::Compromised || !ioc.is_empty() {
        return (
            YES_IOC,
            format!(
                "exhunt's checks: {}: {} indication(s) of compromise: {}. Give the CISA ticket number here.",
                verdict.as_str(),
                ioc.len(),
                name_findings(ioc.iter().copied())
            ),
        );
    }
    let gaps: Vec<String> = checks
        .iter()
        .filter(|c| TPL_CHECKS.contains(&c.check) || c.required)
        .filter(|c| c.state != CheckState::Ran || c.file_problems > 0)
        .filter(|c| c.state != CheckState::Skipped || c.required)
        .map(|c| {
            format!(
                "{} ({}): {}{}",
                c.title,
                c.check,
                state_word(c.state),
                c.reason
                    .as_deref()
                    .map(|r| format!(" - {r}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if verdict == Verdict::Inconclusive || !gaps.is_empty() {
        let mut note = format!(
            "exhunt could not complete every check ({}): {}",
            verdict.as_str(),
            gaps.join("; ")
        );
        if !attempts.is_empty() {
            note.push_str(&format!(". Also seen: {}", attempt_note()));
        }
        return (NO_NARRATIVE, note);
    }
    if attempts.is_empty() {
        (
            YES_CLEAN,
            format!(
                "exhunt's checks: {}: every check ran over logs covering the window from {}; nothing found{}",
                verdict.as_str(),
                scan.params.window.since,
                overall(scan, verdict)
            ),
        )
    } else {
        (
            YES_CLEAN,
            format!(
                "exhunt's checks: {}: no indication of compromise; {}{}",
                verdict.as_str(),
                attempt_note(),
                overall(scan, verdict)
            ),
        )
    }
}

/// When MSERT's detections make the overall verdict differ from exhunt's own checks, says so.
fn overall(scan: &ScanResult, own: Verdict) -> String {
    if scan.verdict == own {
        String::new()
    } else {
        format!(
            " (the overall verdict is {}, from MSERT's detections in #1)",
            scan.verdict.as_str()
        )
    }
}

fn state_word(s: CheckState) -> &'static str {
    match s {
        CheckState::Ran => "ran",
        CheckState::Partial => "partial",
        CheckState::NoData => "no data",
        CheckState::Skipped => "skipped",
        CheckState::NotSelected => "not selected",
    }
}

/// Column F and its note: only MSERT's own log answers it.
fn msert_column(scan: &ScanResult) -> (&'static str, String) {
    let own = own_file_scan(scan);
    let full: Vec<&MsertScan> = scan
        .msert
        .iter()
        .filter(|m| m.is_full() && m.completed())
        .collect();
    let Some(last) = full.last() else {
        let seen = if scan.msert.is_empty() {
            "no msert.log among the evidence (Windows\\debug\\msert.log)".to_string()
        } else {
            format!(
                "msert.log holds no completed full scan ({})",
                scan.msert
                    .iter()
                    .map(describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        return (
            NO_NARRATIVE,
            format!("{seen}. exhunt's own file scan: {own}"),
        );
    };
    let found: Vec<String> = full
        .iter()
        .flat_map(|m| &m.detections)
        .map(|d| {
            format!(
                "{} ({}{})",
                d.threat,
                d.outcome,
                d.files
                    .first()
                    .map(|f| format!(": {f}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if found.is_empty() {
        (YES_CLEAN, format!("{}; no threat detected", describe(last)))
    } else {
        (
            YES_IOC,
            format!(
                "{}; {} detection(s) in full scans: {}",
                describe(last),
                found.len(),
                found.join("; ")
            ),
        )
    }
}

fn describe(m: &MsertScan) -> String {
    let kind = if m.scan_type.is_empty() {
        "scan of unknown type"
    } else {
        m.scan_type.as_str()
    };
    let end = if m.completed() {
        format!("finished {}", m.finished)
    } else {
        "never finished".to_string()
    };
    format!(
        "{kind} started {}, {end} ({}:{})",
        m.started, m.path, m.line
    )
}

/// The file scan's checks, in a few words.
fn own_file_scan(scan: &ScanResult) -> String {
    let files: Vec<String> = scan
        .checks
        .iter()
        .filter(|c| c.check.starts_with("webshell-") || c.check == "suspicious-files")
        .map(|c| {
            format!(
                "{} {} ({} finding(s))",
                c.check,
                state_word(c.state),
                c.findings
            )
        })
        .collect();
    if files.is_empty() {
        "none ran".into()
    } else {
        files.join(", ")
    }
}

/// The server's own addresses as its IIS logs wrote them (`s-ip`) on the lines behind the
/// findings.
fn server_ips(scan: &ScanResult) -> Vec<String> {
    let ips: BTreeSet<String> = scan
        .findings
        .iter()
        .filter_map(|f| f.fields.get("s-ip"))
        .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
        .map(str::to_string)
        .collect();
    ips.into_iter().collect()
}

/// `15.1.2106.2 (Exchange 2016 CU18)`: the latest build the logs show.
fn exchange_version(scan: &ScanResult) -> Option<String> {
    let b = scan.build_assessment.as_ref()?;
    Some(match &b.latest_cu {
        Some(cu) => format!("{} ({cu})", b.latest),
        None => b.latest.clone(),
    })
}

/// Column AE from the latest build against the ProxyLogon fix (the update ED 21-02 ordered).
fn updated(scan: &ScanResult) -> Option<(&'static str, String)> {
    let b = scan.build_assessment.as_ref()?;
    let c = b
        .chains
        .iter()
        .find(|c| c.cves.contains(&"CVE-2021-26855"))?;
    let v = match c.latest_patched {
        Patched::Yes => YES,
        Patched::No => NO,
        Patched::Unknown => "",
    };
    Some((
        v,
        format!(
            "the latest build in the logs against the {} ({}): {}",
            c.update, c.chain, c.note
        ),
    ))
}
