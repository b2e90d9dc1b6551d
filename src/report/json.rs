//! `report.json`: the whole scan, schema `exhunt.report/1` (documented in docs/report-schema.md).

use super::Report;
use crate::scan::ScanResult;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub const SCHEMA: &str = "exhunt.report/1";

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    tool: Tool,
    #[serde(flatten)]
    scan: &'a ScanResult,
}

/// The JSON document of a scan (strings are JSON-escaped; no further neutralising needed).
pub fn to_json(scan: &ScanResult) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&Doc {
        schema: SCHEMA,
        tool: Tool {
            name: "exhunt",
            version: crate::VERSION,
        },
        scan,
    })
}

pub struct JsonReport;

impl Report for JsonReport {
    fn name(&self) -> &'static str {
        "JSON"
    }

    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let p = dir.join("report.json");
        let text = to_json(scan).map_err(std::io::Error::other)?;
        std::fs::write(&p, text + "\n")?;
        Ok(vec![p])
    }
}
