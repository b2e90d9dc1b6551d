//! What the scan did not see, in words. The verdict's reason and next steps are
//! [`crate::model::Summary`], the same in every report. Plain text (escaped by the caller).

use crate::model::{CheckState, Timestamp, Verdict};
use crate::scan::ScanResult;

/// `2021-02-11 04:28Z`: a time to the minute, for sentences.
pub fn minute(t: Timestamp) -> String {
    let s = t.to_string();
    match (s.get(..10), s.get(11..16)) {
        (Some(d), Some(hm)) if s.len() >= 16 => format!("{d} {hm}Z"),
        _ => s,
    }
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
