//! `report.html`: one self-contained page for people. The verdict and its reason first, what to
//! do now, what the scan could not see, then the charts (log coverage, attacker activity), the
//! checks with their evidence and a sortable, filterable findings table.
//!
//! It loads nothing: no fonts, images or scripts from anywhere. A Content-Security-Policy meta
//! tag allows inline styles and exactly one script, by its SHA-256 hash (computed here). The
//! script is a constant file: no scan data ever goes inside it; it reads the table's cells and
//! `data-` attributes. Every string from the scan goes through [`esc`] (HTML-escaped for text and
//! attributes alike, control characters shown as `\xNN`). A pure function of the [`ScanResult`].

mod charts;
mod summary;
#[cfg(test)]
mod tests;

use super::Report;
use super::sanitize::{html, terminal};
use crate::model::{CheckState, Class, Finding, Severity};
use crate::scan::ScanResult;
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub use summary::holes;

/// The file name, in `--out`.
pub const FILE: &str = "report.html";
/// The most rows of the findings table (most severe first); the rest are in findings.csv.
pub const MAX_TABLE_ROWS: usize = 3000;
/// Findings shown with their raw evidence per check section.
pub const EVIDENCE_PER_CHECK: usize = 10;
/// The most raw text shown per finding in a check section, and in the table's tooltip.
const RAW_SHOWN: usize = 4096;
const RAW_TOOLTIP: usize = 300;
/// The most attacker addresses in the address table.
pub const MAX_IP_TABLE: usize = 500;

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// Untrusted text made safe for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    html(&terminal(s)).into_owned()
}

/// At most `n` characters of `s`, with `…` when cut.
pub fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The CSP source that allows the page's one script: `'sha256-…'` of its exact text.
pub fn script_hash() -> String {
    use sha2::{Digest, Sha256};
    format!("'sha256-{}'", base64(&Sha256::digest(JS.as_bytes())))
}

/// The Content-Security-Policy of the page: nothing may load; inline style; the one script.
pub fn csp() -> String {
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src {}; base-uri 'none'; form-action 'none'",
        script_hash()
    )
}

fn sev_rank(s: Severity) -> usize {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

fn state_word(s: CheckState) -> (&'static str, &'static str) {
    match s {
        CheckState::Ran => ("ran", "s-ran"),
        CheckState::Partial => ("partial", "s-partial"),
        CheckState::NoData => ("no data", "s-no-data"),
        CheckState::Skipped => ("skipped", "s-skipped"),
        CheckState::NotSelected => ("not selected", "s-not-selected"),
    }
}

fn when(t: Option<crate::model::Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_else(|| "-".into())
}

/// Findings most severe first (class, then severity), then by time.
fn ranked(scan: &ScanResult) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = scan.findings.iter().collect();
    v.sort_by(|a, b| {
        (b.class, b.severity)
            .cmp(&(a.class, a.severity))
            .then(a.time.cmp(&b.time))
    });
    v
}

/// The whole page.
pub fn render(scan: &ScanResult) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let (label, meaning) = summary::verdict_words(scan.verdict);
    let verdict = scan.verdict.as_str();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"exhunt {}\">\n\
<title>{}: {} - exhunt</title>\n<style>{CSS}</style>\n<script>{JS}</script>\n</head>\n",
        csp(),
        esc(crate::VERSION),
        esc(label),
        esc(&scan.host),
    );
    let _ = write!(
        s,
        "<body data-verdict=\"{verdict}\">\n<header class=\"banner v-{verdict}\"><h1 id=\"verdict\">{}: {}</h1>\
<p id=\"reason\">{}</p><p class=\"meta\">{} · {} · exposure window {} .. {} · exhunt {} (commit {}, rules {})</p></header>\n",
        esc(label),
        esc(&scan.host),
        esc(&scan.summary.reason),
        esc(meaning),
        scanned_what(scan),
        scan.params.window.since,
        scan.params
            .window
            .until
            .map_or_else(|| "now".to_string(), |u| u.to_string()),
        esc(crate::VERSION),
        esc(crate::COMMIT),
        esc(crate::rules::pack_hash()),
    );
    s.push_str(
        "<nav><a href=\"#todo\">What to do now</a><a href=\"#not-seen\">Not seen</a>\
<a href=\"#coverage\">Coverage</a><a href=\"#activity\">Attacker activity</a>\
<a href=\"#checks\">Checks</a><a href=\"#findings\">Findings</a></nav>\n<main>\n",
    );
    todo(&mut s, scan);
    not_seen(&mut s, scan);
    coverage(&mut s, scan);
    activity(&mut s, scan);
    checks(&mut s, scan);
    table(&mut s, scan);
    let _ = write!(
        s,
        "<footer>Written by exhunt {} from the scan of {} started {}; the same data is in report.json. \
This page loads nothing from the network and runs one small script (sorting and filtering the findings table).</footer>\n\
</main></body></html>\n",
        esc(crate::VERSION),
        esc(&scan.host),
        scan.started
    );
    s
}

fn scanned_what(scan: &ScanResult) -> String {
    format!(
        "{} log files, {} records, {} files scanned",
        scan.totals.files, scan.totals.records, scan.totals.scanned_files
    )
}

fn todo(s: &mut String, scan: &ScanResult) {
    s.push_str("<section id=\"todo\"><h2>What to do now</h2><ol class=\"box\">");
    for step in &scan.summary.next_steps {
        let _ = write!(s, "<li>{}</li>", esc(step));
    }
    let _ = write!(s, "<li>Open first: {}.</li>", esc(scan.summary.open_first));
    s.push_str("</ol></section>\n");
}

fn not_seen(s: &mut String, scan: &ScanResult) {
    s.push_str("<section id=\"not-seen\"><h2>What was not seen, and why</h2>");
    let h = holes(scan);
    if h.is_empty() {
        s.push_str("<p class=\"box\">No coverage holes: every check ran, and every log source was read from before the window start to within a week of the latest log, with no unreadable files.</p>");
    } else {
        s.push_str("<ul class=\"box holes\">");
        for x in &h {
            let _ = write!(s, "<li>{}</li>", esc(x));
        }
        s.push_str("</ul>");
    }
    s.push_str("<p class=\"legend\">Never examined by exhunt: memory, the registry, mailboxes, network traffic and other servers.</p>");
    for n in &scan.notes {
        let _ = write!(s, "<p class=\"legend\">Note: {}</p>", esc(n));
    }
    s.push_str("</section>\n");
}

/// The chart, then every source (log and file-scan folders) with what was read of it.
fn coverage(s: &mut String, scan: &ScanResult) {
    s.push_str("<section id=\"coverage\"><h2>Log coverage</h2>");
    s.push_str(&charts::coverage(scan));
    s.push_str("<table><thead><tr><th>Source</th><th>Read</th><th>First record</th><th>Last record</th><th>Problems</th></tr></thead><tbody>");
    for g in &scan.coverage {
        let read = if !g.present {
            "missing".to_string()
        } else if g.kind == "files" {
            format!(
                "{} file(s), {} scanned",
                g.files,
                crate::model::show_size(g.bytes)
            )
        } else {
            format!(
                "{} file(s), {} record(s){}",
                g.files,
                g.records,
                if g.malformed > 0 {
                    format!(", {} malformed", g.malformed)
                } else {
                    String::new()
                }
            )
        };
        let problems: Vec<String> = g
            .problems
            .iter()
            .take(3)
            .map(|p| esc(&format!("{}: {}", p.path, p.problem)))
            .collect();
        let more = g.problems.len().saturating_sub(3);
        let _ = write!(
            s,
            "<tr data-present=\"{}\"><td class=\"mono\" title=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            g.present,
            esc(&g.path),
            esc(&g.label),
            esc(&read),
            when(g.first),
            when(g.last),
            problems.join("<br>"),
            if more > 0 {
                format!("<br>… {more} more in report.json")
            } else {
                String::new()
            }
        );
    }
    s.push_str("</tbody></table></section>\n");
}

fn activity(s: &mut String, scan: &ScanResult) {
    s.push_str("<section id=\"activity\"><h2>Attacker activity</h2>");
    s.push_str(&charts::activity(scan));
    if !scan.attacker_ips.is_empty() {
        s.push_str("<table><thead><tr><th>Address</th><th>First seen</th><th>Last seen</th><th>Requests</th><th>Statuses</th><th>What it asked for</th><th>Findings</th><th>User agents</th></tr></thead><tbody>");
        for a in scan.attacker_ips.iter().take(MAX_IP_TABLE) {
            let counts = |v: &[crate::timeline::pivot::Count]| {
                v.iter()
                    .take(8)
                    .map(|c| format!("{} ×{}", esc(&cut(&c.value, 120)), c.count))
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let statuses: Vec<String> = a
                .statuses
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect();
            let _ = write!(
                s,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                esc(&a.ip),
                when(a.first_seen),
                when(a.last_seen),
                a.requests,
                esc(&statuses.join(", ")),
                counts(&a.hits),
                counts(&a.findings),
                a.user_agents
                    .iter()
                    .take(5)
                    .map(|u| esc(&cut(u, 160)))
                    .collect::<Vec<_>>()
                    .join("<br>"),
            );
        }
        s.push_str("</tbody></table>");
        if scan.attacker_ips.len() > MAX_IP_TABLE {
            let _ = write!(
                s,
                "<p class=\"capped\">The first {MAX_IP_TABLE} of {} addresses are listed; all are in report.json (attacker_ips).</p>",
                scan.attacker_ips.len()
            );
        }
        let _ = write!(
            s,
            "<p class=\"legend\">{} timeline event(s) in timeline.csv / timeline.jsonl.</p>",
            scan.pivot.timeline_events
        );
    }
    s.push_str("</section>\n");
}

/// One section per check: status, what it read, the counts, and its most severe evidence.
fn checks(s: &mut String, scan: &ScanResult) {
    s.push_str("<section id=\"checks\"><h2>Checks</h2>");
    for c in &scan.checks {
        let mut mine: Vec<&Finding> = scan
            .findings
            .iter()
            .filter(|f| f.check == c.check)
            .collect();
        mine.sort_by_key(|f| std::cmp::Reverse((f.class, f.severity)));
        let rolled: Vec<&crate::model::rollup::RollUp> = scan
            .rolled_up
            .iter()
            .filter(|r| r.check == c.check)
            .collect();
        let count = |cl: &[Class]| {
            mine.iter()
                .filter(|f| cl.contains(&f.class) && f.severity > Severity::Info)
                .count()
                + rolled
                    .iter()
                    .filter(|r| cl.contains(&r.class) && r.severity > Severity::Info)
                    .map(|r| r.lines.len())
                    .sum::<usize>()
        };
        let hits = count(&[Class::Exploitation, Class::PostExploitation]);
        let attempts = count(&[Class::Attempt, Class::Context]);
        let scanners = count(&[Class::Scanner]);
        let summary = if hits > 0 {
            format!("<span class=\"hits\">{hits} hit(s)</span>")
        } else if attempts > 0 {
            format!("<span class=\"attempts\">{attempts} attempt(s)/context</span>")
        } else if c.state == CheckState::Ran {
            "<span class=\"quiet\">nothing suspicious</span>".to_string()
        } else {
            "nothing found (see its coverage)".to_string()
        };
        let (state, class) = state_word(c.state);
        let _ = write!(
            s,
            "<details class=\"check\" id=\"check-{}\" data-state=\"{}\"{}><summary><strong>{}</strong> <span class=\"state {class}\">{state}</span>{} {} — {summary}{}</summary>",
            esc(c.check),
            esc(state),
            if hits + attempts > 0 || c.state != CheckState::Ran {
                " open"
            } else {
                ""
            },
            esc(c.check),
            if c.required { "" } else { " (optional)" },
            esc(c.title),
            if scanners > 0 {
                format!(", {scanners} scanner probe(s)")
            } else {
                String::new()
            },
        );
        let _ = write!(
            s,
            "<p class=\"legend\">Read {} record(s) from {}; records {} .. {}.</p>",
            c.records,
            if c.sources.is_empty() {
                "no source".to_string()
            } else {
                esc(&cut(&c.sources.join(", "), 400))
            },
            when(c.first),
            when(c.last),
        );
        if let Some(r) = &c.reason {
            let _ = write!(s, "<p><strong>Coverage:</strong> {}</p>", esc(r));
        }
        for f in mine.iter().take(EVIDENCE_PER_CHECK) {
            evidence(s, f);
        }
        if mine.len() > EVIDENCE_PER_CHECK {
            let _ = write!(
                s,
                "<p class=\"legend\">… and {} more finding(s) of this check in the table below and in findings.csv.</p>",
                mine.len() - EVIDENCE_PER_CHECK
            );
        }
        for r in &rolled {
            let _ = write!(
                s,
                "<p class=\"legend\">Rolled up: {} more {} hit(s) of {} from {} client(s), {} .. {} (every one in rolled-up.csv).</p>",
                r.rolled(),
                r.class.as_str(),
                esc(r.rule),
                r.clients,
                when(r.first),
                when(r.last)
            );
        }
        s.push_str("</details>\n");
    }
    s.push_str("</section>\n");
}

fn evidence(s: &mut String, f: &Finding) {
    let sev = f.severity.as_str();
    let _ = write!(
        s,
        "<div class=\"ev\"><span class=\"sev sev-{sev}\">[{sev}]</span> <span class=\"mono\">{}</span> {} <em>({})</em>\
<div class=\"where mono\">at {}</div><div>{}</div><pre>{}</pre></div>",
        when(f.time),
        esc(&cut(&f.title, 300)),
        esc(f.class.as_str()),
        esc(&f.source.locator()),
        esc(&f.why),
        esc(&cut(&f.raw, RAW_SHOWN)),
    );
}

/// The findings table: every finding up to [`MAX_TABLE_ROWS`], most severe first.
fn table(s: &mut String, scan: &ScanResult) {
    s.push_str("<section id=\"findings\"><h2>All findings</h2>");
    let rows = ranked(scan);
    if rows.is_empty() {
        s.push_str("<p class=\"none\">No findings.</p></section>\n");
        return;
    }
    if rows.len() > MAX_TABLE_ROWS {
        let _ = write!(
            s,
            "<p class=\"capped\" id=\"capped\">The table is capped: it shows the {MAX_TABLE_ROWS} most severe of {} findings. Every finding is in findings.csv and report.json.</p>",
            rows.len()
        );
    }
    s.push_str("<div class=\"controls\"><label>Search <input type=\"search\" id=\"f-text\" placeholder=\"text in any column\"></label>\
<label>Severity at least <select id=\"f-sev\">");
    for (i, sv) in Severity::ALL.iter().enumerate() {
        let _ = write!(s, "<option value=\"{i}\">{}</option>", sv.as_str());
    }
    s.push_str(
        "</select></label><label>Class <select id=\"f-class\"><option value=\"\">any</option>",
    );
    for c in Class::ALL.iter().rev() {
        let _ = write!(s, "<option value=\"{0}\">{0}</option>", c.as_str());
    }
    let _ = write!(
        s,
        "</select></label><span id=\"f-shown\">{} rows</span></div>",
        rows.len().min(MAX_TABLE_ROWS)
    );
    s.push_str("<table id=\"findings-table\"><thead><tr><th data-sort=\"num\">Time (UTC)</th><th data-sort=\"num\">Severity</th>\
<th data-sort=\"num\">Class</th><th data-sort=\"text\">Check / rule</th><th data-sort=\"text\">What</th>\
<th data-sort=\"text\">Client</th><th data-sort=\"text\">Where (file:line)</th></tr></thead><tbody>\n");
    for f in rows.iter().take(MAX_TABLE_ROWS) {
        let class_rank = Class::ALL.iter().position(|c| *c == f.class).unwrap_or(0);
        let _ = writeln!(
            s,
            "<tr data-sev=\"{}\" data-class=\"{}\"><td data-k=\"{}\" class=\"mono\">{}</td><td data-k=\"{}\" class=\"sev sev-{}\">{}</td>\
<td data-k=\"{class_rank}\">{}</td><td class=\"mono\">{}/{}</td><td title=\"{}\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            sev_rank(f.severity),
            f.class.as_str(),
            f.time.map_or(-1, |t| t.0),
            when(f.time),
            sev_rank(f.severity),
            f.severity.as_str(),
            f.severity.as_str(),
            f.class.as_str(),
            esc(f.check),
            esc(f.rule),
            esc(&cut(&f.raw, RAW_TOOLTIP)),
            esc(&cut(&f.title, 300)),
            esc(crate::model::client_of(f).unwrap_or("")),
            esc(&f.source.locator()),
        );
    }
    s.push_str("</tbody></table><p class=\"legend\">Click a column header to sort; hover a finding's text for its raw evidence.</p></section>\n");
}

/// Writes `report.html` into the output folder.
pub struct HtmlReport;

impl Report for HtmlReport {
    fn name(&self) -> &'static str {
        "HTML"
    }

    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let page = render(scan);
        let p = super::write::create_report(dir, FILE, |w| w.write_all(page.as_bytes()))?;
        Ok(vec![p])
    }
}
