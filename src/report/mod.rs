//! Reports: one module per output format behind one interface. Every writer takes untrusted
//! text through [`sanitize`].

pub mod console;
pub mod csv;
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
        Box::new(tpl::TplFiles),
        Box::new(timeline::TimelineFiles),
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

/// Writes every file report into `dir` (created if needed), each through
/// [`write::create_report`]. Refuses a folder inside the evidence: exhunt never writes under it.
pub fn write_all(scan: &ScanResult, dir: &Path) -> Result<Vec<PathBuf>, String> {
    let logs: Vec<PathBuf> = scan.params.logs.iter().map(PathBuf::from).collect();
    let evidence = write::evidence_folders(scan.params.root.as_deref().map(Path::new), &logs);
    write::refuse_evidence(&evidence, dir)?;
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
