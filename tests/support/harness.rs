//! What the end-to-end tests share: running the binary, and queries on its `report.json`.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

/// The `exhunt` binary, with colours off.
pub fn exhunt() -> Command {
    let mut c = Command::cargo_bin("exhunt").unwrap();
    c.env("NO_COLOR", "1");
    c
}

/// One `exhunt scan ARGS --out TMP` run.
pub struct Scanned {
    pub code: i32,
    pub report: Value,
    pub stdout: String,
    /// The output folder (kept alive as long as this value).
    pub out: tempfile::TempDir,
}

/// Runs a scan writing its reports to a temporary folder; panics (with stderr) if it wrote no
/// `report.json`.
pub fn run_scan(args: &[&str]) -> Scanned {
    let out = tempfile::tempdir().unwrap();
    let o = exhunt()
        .arg("scan")
        .args(args)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let report = std::fs::read_to_string(out.path().join("report.json")).unwrap_or_else(|_| {
        panic!(
            "no report.json; stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    Scanned {
        code: o.status.code().unwrap(),
        report: serde_json::from_str(&report).unwrap(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        out,
    }
}

/// The findings of one check.
pub fn findings<'a>(r: &'a Value, check: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The findings of one rule, whatever the check.
pub fn by_rule<'a>(r: &'a Value, rule: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The status entry (`checks[]`) of one check.
pub fn check<'a>(r: &'a Value, check: &str) -> &'a Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no check {check}"))
}

/// The state (`ran`, `partial`, ...) of one check.
pub fn check_state<'a>(r: &'a Value, check_id: &str) -> &'a str {
    check(r, check_id)["state"].as_str().unwrap()
}

/// The coverage group with this label.
pub fn coverage<'a>(r: &'a Value, label: &str) -> &'a Value {
    r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == label)
        .unwrap_or_else(|| panic!("no coverage group {label}"))
}
