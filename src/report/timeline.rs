//! `timeline.csv` and `timeline.jsonl`: one UTC timeline in Timesketch's import shape (`datetime`
//! ISO 8601, `timestamp_desc`, `message`, then attributes; see [`crate::timeline`]). Every CSV cell
//! goes through [`super::sanitize::csv_cell`] (in [`write_rows`]); JSONL strings are JSON-escaped.

use super::Report;
use super::csv::write_rows;
use crate::scan::ScanResult;
use crate::timeline::COLUMNS;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct TimelineFiles;

/// Writes the CSV (header always, one row per event).
pub fn write_csv<W: Write>(scan: &ScanResult, w: W) -> std::io::Result<()> {
    write_rows(w, &COLUMNS, scan.timeline.iter().map(|e| e.cells()))
}

/// Writes one JSON object per line.
pub fn write_jsonl<W: Write>(scan: &ScanResult, w: W) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(w);
    for e in &scan.timeline {
        serde_json::to_writer(&mut w, e).map_err(std::io::Error::other)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

impl Report for TimelineFiles {
    fn name(&self) -> &'static str {
        "timeline"
    }

    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let csv = super::write::create_report(dir, "timeline.csv", |w| write_csv(scan, w))?;
        let jsonl = super::write::create_report(dir, "timeline.jsonl", |w| write_jsonl(scan, w))?;
        Ok(vec![csv, jsonl])
    }
}
