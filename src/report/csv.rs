//! `findings.csv`: one row per finding, and one per rolled-up rule pointing at
//! `rolled-up.csv`, which lists every rolled-up hit with its line read back from the evidence.
//! Every cell is neutralised against formula injection.

use super::Report;
use super::sanitize::csv_cell;
use crate::model::rollup::RollUp;
use crate::model::{MAX_RAW, Timestamp};
use crate::scan::ScanResult;
use crate::sources::lines::LineReader;
use std::path::{Path, PathBuf};

pub const COLUMNS: [&str; 16] = [
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
    // Added after the others, so that readers by position keep working.
    "cve",
    "client_ip",
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
                f.cve.to_string(),
                crate::model::client_of(f).unwrap_or_default().to_string(),
            ]
        });
        let summaries = scan.rolled_up.iter().map(|r| summary_row(&scan.host, r));
        let p = super::write::create_report(dir, "findings.csv", |w| {
            write_rows(w, &COLUMNS, rows.chain(summaries))
        })?;
        let mut written = vec![p];
        if !scan.rolled_up.is_empty() {
            let p = super::write::create_report(dir, ROLLED_UP_FILE, |w| write_rolled_up(scan, w))?;
            written.push(p);
        }
        Ok(written)
    }
}

/// The file listing every rolled-up hit.
pub const ROLLED_UP_FILE: &str = "rolled-up.csv";

pub const ROLLED_UP_COLUMNS: [&str; 11] = [
    "host", "check", "rule", "class", "severity", "time", "client", "path", "line", "offset", "raw",
];

fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

/// The `findings.csv` row that stands for a rolled-up rule.
fn summary_row(host: &str, r: &RollUp) -> Vec<String> {
    let top: Vec<String> = r
        .top_clients
        .iter()
        .map(|c| format!("{} x{}", c.client, c.count))
        .collect();
    vec![
        host.to_string(),
        r.check.to_string(),
        r.rule.to_string(),
        r.class.as_str().to_string(),
        r.severity.as_str().to_string(),
        time(r.first),
        format!(
            "{} more hit(s) like this, rolled up ({} in all, {} listed above): {}",
            r.rolled(),
            r.total,
            r.kept,
            r.title
        ),
        ROLLED_UP_FILE.to_string(),
        String::new(),
        String::new(),
        String::new(),
        format!(
            "rolled_up={}; first={}; last={}; clients={}; top_clients={}",
            r.rolled(),
            time(r.first),
            time(r.last),
            r.clients,
            top.join(", ")
        ),
        String::new(),
        r.why.clone(),
        r.cve.to_string(),
        // many clients: rolled-up.csv has each one
        String::new(),
    ]
}

/// Writes `rolled-up.csv`: one row per rolled-up hit, its line read back from the evidence
/// (or why it could not be).
pub fn write_rolled_up<W: std::io::Write>(scan: &ScanResult, w: W) -> std::io::Result<()> {
    let mut reader = LineReader::default();
    let rows = scan
        .rolled_up
        .iter()
        .flat_map(|r| r.lines.iter().map(move |l| (r, l)));
    let rows = rows.map(|(r, l)| {
        let raw = reader
            .read(&l.path, l.offset, MAX_RAW)
            .unwrap_or_else(|e| format!("[{e}]"));
        vec![
            scan.host.clone(),
            r.check.to_string(),
            r.rule.to_string(),
            r.class.as_str().to_string(),
            r.severity.as_str().to_string(),
            time(l.time),
            l.client.as_deref().unwrap_or_default().to_string(),
            l.path.to_string(),
            l.line.to_string(),
            l.offset.to_string(),
            raw,
        ]
    });
    write_rows(w, &ROLLED_UP_COLUMNS, rows)
}
