//! `report.json`: the whole scan, schema `exhunt.report/2` (documented in docs/report-schema.md).

use super::Report;
use crate::scan::ScanResult;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const SCHEMA: &str = "exhunt.report/2";

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
    /// The commit the binary was built from (`unknown` outside a git checkout).
    commit: &'static str,
    /// The rule-pack version: a hash of the embedded `rules/` tables.
    rules: &'static str,
}

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    tool: Tool,
    #[serde(flatten)]
    scan: &'a ScanResult,
}

/// Writes the JSON document of a scan to `w` as it is serialised (never whole in memory: it
/// grows with the findings). Strings are JSON-escaped; no further neutralising needed.
pub fn write_json<W: std::io::Write>(scan: &ScanResult, w: W) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(w);
    let doc = Doc {
        schema: SCHEMA,
        tool: Tool {
            name: "exhunt",
            version: crate::VERSION,
            commit: crate::COMMIT,
            rules: crate::rules::pack_hash(),
        },
        scan,
    };
    serde_json::to_writer_pretty(&mut w, &doc).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    w.flush()
}

pub struct JsonReport;

impl Report for JsonReport {
    fn name(&self) -> &'static str {
        "JSON"
    }

    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let p = super::write::create_report(dir, "report.json", |w| write_json(scan, w))?;
        Ok(vec![p])
    }
}
