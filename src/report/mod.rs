//! Reports: one module per output format behind one interface. Every writer takes untrusted
//! text through [`sanitize`].

pub mod catalog;
pub mod cisa;
pub mod console;
pub mod csv;
pub mod ecs;
pub mod fleet;
pub mod html;
pub mod json;
pub mod sanitize;
pub mod timeline;
pub mod tpl;
pub mod write;

use crate::scan::ScanResult;
use std::path::{Path, PathBuf};

/// An output format written into the output folder.
pub trait Report {
    /// Short name, for messages.
    fn name(&self) -> &'static str;
    /// Writes the report's files into `dir`, returning the paths written.
    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>>;
}

/// Every file report, in the order they are written.
pub fn file_reports() -> Vec<Box<dyn Report>> {
    vec![
        Box::new(json::JsonReport),
        Box::new(csv::FindingsCsv),
        Box::new(ecs::FindingsJsonl),
        Box::new(tpl::TplFiles),
        Box::new(timeline::TimelineFiles),
        Box::new(html::HtmlReport),
        Box::new(cisa::CisaWorkbook),
    ]
}

/// A host name made safe as a file-name prefix.
pub fn file_safe(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let t = t.trim_matches('.').to_string();
    if t.is_empty() {
        "unknown-host".into()
    } else {
        t
    }
}

/// The reports an earlier run left in `dir` (for `--force`): the fixed names, and Test-ProxyLogon's
/// files under the host its `report.json` names; regular files only.
pub fn earlier_reports(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<String> = write::FIXED_NAMES.iter().map(|s| s.to_string()).collect();
    let host = std::fs::read(dir.join("report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            // exhunt.report/2: the host block; /1: the name alone
            v["host"]["name"]
                .as_str()
                .or(v["host"].as_str())
                .map(file_safe)
        });
    if let Some(h) = host {
        names.extend(tpl::SUFFIXES.iter().map(|s| format!("{h}-{s}")));
    }
    names
        .into_iter()
        .map(|n| dir.join(n))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .collect()
}

/// After a `--force` run: removes the earlier reports this run did not write again, so that the
/// folder holds one run's reports only. Returns how many were removed.
pub fn remove_stale(earlier: &[PathBuf], written: &[PathBuf]) -> Result<usize, String> {
    let mut n = 0;
    for p in earlier.iter().filter(|p| !written.contains(p)) {
        if std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(p).map_err(|e| {
                format!(
                    "{}: cannot remove the earlier run's report: {e} (it is not from this scan)",
                    p.display()
                )
            })?;
            n += 1;
        }
    }
    Ok(n)
}

/// Writes every file report into `dir` (created if needed), each through
/// [`write::create_report`]. Refuses a folder inside the evidence: exhunt never writes under it.
pub fn write_all(scan: &ScanResult, dir: &Path) -> Result<Vec<PathBuf>, String> {
    write::refuse_evidence(&write::evidence_of(scan), dir)?;
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "{}: cannot create output folder: {e} (choose a writable --out folder)",
            dir.display()
        )
    })?;
    let mut written = Vec::new();
    for r in file_reports() {
        let mut w = r.write(scan, dir).map_err(|e| {
            format!(
                "{}: cannot write the {} report: {e} (check free space and permissions)",
                dir.display(),
                r.name()
            )
        })?;
        written.append(&mut w);
    }
    Ok(written)
}
