//! Reading back scans' `report.json` files (the fleet view and the weekly diff start here). Only
//! what the fleet needs is read, every field optional, so that a report of an older or newer
//! exhunt still reads; a file that is not a report says why, and is never dropped.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The largest report.json read (a report grows with its findings; larger is not one of ours).
pub const MAX_REPORT: u64 = 1 << 30;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub commit: String,
    pub rules: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub reason: String,
    pub next_steps: Vec<String>,
    pub webshells: Vec<String>,
    pub lsass_dump: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Params {
    pub root: Option<String>,
    pub logs: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Check {
    pub check: String,
    pub required: bool,
    pub state: String,
    pub reason: Option<String>,
    pub file_problems: usize,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Coverage {
    pub label: String,
    pub present: bool,
    pub files: u64,
    pub records: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub problems: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Source {
    pub path: String,
    pub line: Option<u64>,
    pub record_id: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Finding {
    pub check: String,
    pub rule: String,
    pub cve: Vec<String>,
    pub title: String,
    pub class: String,
    pub severity: String,
    pub time: Option<String>,
    pub source: Source,
    pub raw: String,
    pub fields: BTreeMap<String, String>,
}

impl Finding {
    /// Whether it counts for a verdict (not info, not a scanner's probe).
    pub fn counts(&self) -> bool {
        self.severity != "info" && self.class != "scanner"
    }

    pub fn is_hit(&self) -> bool {
        self.counts() && matches!(self.class.as_str(), "exploitation" | "post-exploitation")
    }

    /// A field, ignoring the case of its name.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty() && *v != "-")
    }

    pub fn client(&self) -> Option<&str> {
        crate::model::CLIENT_IP_FIELDS
            .iter()
            .find_map(|k| self.field(k))
    }

    pub fn locator(&self) -> String {
        match (self.source.line, self.source.record_id) {
            (Some(l), _) => format!("{}:{l}", self.source.path),
            (None, Some(r)) => format!("{}#record{r}", self.source.path),
            _ => self.source.path.clone(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Attacker {
    pub ip: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub requests: u64,
    pub user_agents: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Fact {
    pub value: String,
    pub from: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HostBlock {
    pub fqdn: Option<Fact>,
    pub domain: Option<Fact>,
    pub addresses: Vec<Fact>,
    pub exchange_build: Option<Fact>,
    pub os: Option<Fact>,
}

/// The part of a `report.json` the fleet view reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub host: String,
    /// The host block (exhunt.report/2 on).
    pub host_block: HostBlock,
    pub params: Params,
    pub verdict: String,
    pub summary: Summary,
    pub checks: Vec<Check>,
    pub coverage: Vec<Coverage>,
    pub findings: Vec<Finding>,
    pub attacker_ips: Vec<Attacker>,
    pub builds_seen: Vec<String>,
    pub started: Option<String>,
}

impl Report {
    /// A finding's evidence path without the scanned root, so that the same evidence matches
    /// when the image was mounted elsewhere the next week.
    pub fn relative<'a>(&self, path: &'a str) -> &'a str {
        match &self.params.root {
            Some(r) if !r.is_empty() => path
                .strip_prefix(r.as_str())
                .map(|p| p.trim_start_matches(['/', '\\']))
                .unwrap_or(path),
            _ => path,
        }
    }
}

/// One input of the fleet view: a report, or why the file is not one.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub report: Result<Report, String>,
}

/// Reads one report.json.
pub fn read(path: &Path) -> Result<Report, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_REPORT {
        return Err(format!(
            "{} bytes: larger than any report.json ({} bytes at most)",
            meta.len(),
            MAX_REPORT
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("not an exhunt report (not JSON: {e})"))?;
    // exhunt.report/2 has a host block; /1 had the name alone
    if let Some(obj) = v.as_object_mut()
        && let Some(block) = obj.get("host").filter(|h| h.is_object()).cloned()
    {
        obj.insert("host".into(), block["name"].clone());
        obj.insert("host_block".into(), block);
    }
    let r: Report = serde_json::from_value(v)
        .map_err(|e| format!("not an exhunt report (not JSON of the report's shape: {e})"))?;
    if !r.schema.starts_with("exhunt.report/") {
        return Err(format!(
            "not an exhunt report (schema {:?}, want exhunt.report/N)",
            r.schema
        ));
    }
    if r.host.is_empty() {
        return Err("the report names no host".into());
    }
    Ok(r)
}

/// The report.json files named or under the folders named (to `depth` folders down; links are
/// not followed). A folder holding none is an error of its own, never silence.
pub fn find(inputs: &[PathBuf], depth: usize) -> Vec<Loaded> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = false;
            let walk = walkdir::WalkDir::new(input)
                .max_depth(depth)
                .follow_links(false)
                .sort_by_file_name();
            for e in walk {
                match e {
                    Ok(e) if e.file_type().is_file() && e.file_name() == "report.json" => {
                        found = true;
                        out.push(Loaded {
                            path: e.path().to_path_buf(),
                            report: read(e.path()),
                        });
                    }
                    Ok(_) => {}
                    Err(err) => out.push(Loaded {
                        path: err.path().unwrap_or(input).to_path_buf(),
                        report: Err(format!("cannot list: {err}")),
                    }),
                }
            }
            if !found {
                out.push(Loaded {
                    path: input.clone(),
                    report: Err(format!(
                        "no report.json in this folder (looked {depth} folder(s) down)"
                    )),
                });
            }
        } else {
            out.push(Loaded {
                path: input.clone(),
                report: read(input),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_and_other_json_says_why_not() {
        let d = tempfile::tempdir().unwrap();
        let good = d.path().join("a.json");
        std::fs::write(
            &good,
            r#"{"schema":"exhunt.report/1","host":"EX01","verdict":"compromised",
               "params":{"root":"/mnt/ex01"},
               "findings":[{"check":"c","rule":"r","class":"attempt","severity":"high",
                            "source":{"path":"/mnt/ex01/inetpub/x.log","line":3},
                            "fields":{"c-ip":"203.0.113.5"},"unknown":1}],
               "future_field":{"x":1}}"#,
        )
        .unwrap();
        let r = read(&good).unwrap();
        assert_eq!(r.host, "EX01");
        assert_eq!(r.findings[0].client(), Some("203.0.113.5"));
        assert_eq!(r.relative(&r.findings[0].source.path), "inetpub/x.log");
        assert_eq!(r.findings[0].locator(), "/mnt/ex01/inetpub/x.log:3");
        let v2 = d.path().join("v2.json");
        std::fs::write(
            &v2,
            r#"{"schema":"exhunt.report/2","host":{"name":"EX02","addresses":[{"value":"10.0.0.2","from":"IIS s-ip"}]},"verdict":"no-evidence"}"#,
        )
        .unwrap();
        let r2 = read(&v2).unwrap();
        assert_eq!(r2.host, "EX02");
        assert_eq!(r2.host_block.addresses[0].value, "10.0.0.2");
        let other = d.path().join("b.json");
        std::fs::write(&other, r#"{"name":"not ours"}"#).unwrap();
        assert!(read(&other).unwrap_err().contains("not an exhunt report"));
        std::fs::write(&other, b"\xff\xfe garbage").unwrap();
        assert!(read(&other).unwrap_err().contains("not JSON"));
        assert!(
            read(&d.path().join("missing.json"))
                .unwrap_err()
                .contains("cannot read")
        );
        let empty = tempfile::tempdir().unwrap();
        let found = find(&[empty.path().to_path_buf()], 3);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .report
                .as_ref()
                .unwrap_err()
                .contains("no report.json")
        );
    }
}
