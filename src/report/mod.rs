//! Reports: one module per output format behind one interface. Every writer takes untrusted
//! text through [`sanitize`].

pub mod console;
pub mod csv;
pub mod json;
pub mod sanitize;
pub mod timeline;
pub mod tpl;

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

/// Writes every file report into `dir` (created if needed). Refuses a folder inside the scanned
/// root: exhunt never writes under the evidence.
pub fn write_all(scan: &ScanResult, dir: &Path) -> Result<Vec<PathBuf>, String> {
    if let Some(root) = &scan.params.root {
        refuse_inside(Path::new(root), dir)?;
    }
    for l in &scan.params.logs {
        let p = Path::new(l);
        if p.is_dir() {
            refuse_inside(p, dir)?;
        }
    }
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

/// Errors when `out` is `root` or lies under it (compared after resolving links).
pub fn refuse_inside(root: &Path, out: &Path) -> Result<(), String> {
    let root_c = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    // The output folder may not exist yet: resolve its nearest existing ancestor.
    let mut probe = out.to_path_buf();
    let mut tail = Vec::new();
    let out_c = loop {
        if let Ok(c) = probe.canonicalize() {
            break tail
                .iter()
                .rev()
                .fold(c, |acc: PathBuf, t: &std::ffi::OsString| acc.join(t));
        }
        match (probe.file_name().map(|n| n.to_os_string()), probe.parent()) {
            (Some(n), Some(p)) => {
                tail.push(n);
                probe = if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                };
            }
            _ => break out.to_path_buf(),
        }
    };
    if out_c.starts_with(&root_c) {
        return Err(format!(
            "{}: refusing to write inside the scanned evidence {} (choose a folder outside it)",
            out.display(),
            root.display()
        ));
    }
    Ok(())
}
