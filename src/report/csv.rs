//! `findings.csv`: one row per finding, every cell neutralised against formula injection.

use super::Report;
use super::sanitize::csv_cell;
use crate::scan::ScanResult;
use std::path::{Path, PathBuf};

pub const COLUMNS: [&str; 14] = [
    "host",
    "check",
    "rule",
    "class",
    "severity",
    "time",
    "title",
    "path",
    "line",
    "offset",
    "record_id",
    "fields",
    "raw",
    "why",
];

pub struct FindingsCsv;

/// Writes rows with every cell through [`csv_cell`].
pub fn write_rows<W: std::io::Write>(
    w: W,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> std::io::Result<()> {
    let mut out = ::csv::WriterBuilder::new().from_writer(w);
    out.write_record(header)?;
    for row in rows {
        out.write_record(row.iter().map(|c| csv_cell(c).into_owned()))?;
    }
    out.flush()
}

impl Report for FindingsCsv {
    fn name(&self) -> &'static str {
        "findings CSV"
    }

    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let p = dir.join("findings.csv");
        let opt = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
        let rows = scan.findings.iter().map(|f| {
            vec![
                scan.host.clone(),
                f.check.to_string(),
                f.rule.to_string(),
                f.class.as_str().to_string(),
                f.severity.as_str().to_string(),
                f.time.map(|t| t.to_string()).unwrap_or_default(),
                f.title.clone(),
                f.source.path.clone(),
                opt(f.source.line),
                opt(f.source.offset),
                opt(f.source.record_id),
                f.fields
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; "),
                f.raw.clone(),
                f.why.clone(),
            ]
        });
        write_rows(std::fs::File::create(&p)?, &COLUMNS, rows)?;
        Ok(vec![p])
    }
}
