//! The collection manifest: one entry per collected file, written as `manifest.json` (the
//! reference `verify` reads) and `manifest.csv` (the same rows for a spreadsheet, every cell
//! neutralised against formula injection). Columns are documented in `docs/collect.md`.

use crate::report::csv::write_rows;
use serde::{Deserialize, Serialize};
use std::io::Write;

/// Schema of `manifest.json`; the number changes whenever a field is removed or changes meaning.
pub const SCHEMA: &str = "exhunt.collection/2";

/// File names of the manifests inside a collection folder (reserved: no collected file takes them).
pub const JSON_NAME: &str = "manifest.json";
pub const CSV_NAME: &str = "manifest.csv";

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 15] = [
    "original_path",
    "collected_path",
    "size",
    "sha256",
    "md5",
    "modified",
    "created",
    "accessed",
    "findings",
    "note",
    "host",
    "original_path_hex",
    "copied_size",
    "copied_sha256",
    "cut",
];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    pub version: String,
    /// The commit and rule-pack hash of the binary that collected (absent in older manifests).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rules: String,
}

/// What was scanned, as the scan recorded it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Scanned {
    /// `root` or `logs`.
    pub mode: String,
    pub root: Option<String>,
    #[serde(default)]
    pub logs: Vec<String>,
}

/// One collected file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// Where the file was on the scanned system, shown unambiguously: bytes that are not UTF-8
    /// as `\xNN`, control and bidi characters as `\xNN` / `\u{NN}`, a backslash as `\\`.
    pub original_path: String,
    /// The exact bytes of the original path (hex), when `original_path` had to escape any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_path_hex: Option<String>,
    /// Where the copy is, relative to the collection folder (`/`-separated).
    pub collected_path: String,
    /// Bytes read and hashed: the whole file (also when the copy was cut).
    pub size: u64,
    pub sha256: String,
    pub md5: String,
    /// When the copy holds fewer bytes than the file (a size budget): how many, and their SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copied_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copied_sha256: Option<String>,
    /// What was cut or skipped, and why (the budget that stopped the copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
    /// File times as they were before copying (UTC, RFC 3339, full precision); absent where the
    /// file system does not keep them.
    pub modified: Option<String>,
    pub created: Option<String>,
    pub accessed: Option<String>,
    /// The findings that reference this file: `check/rule@line:N`, `check/rule@record:N` or
    /// `check/rule@file`.
    pub findings: Vec<String>,
    /// Anything unusual while copying (e.g. the file changed during the copy: a live log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A file behind a finding that could not be collected.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NotCollected {
    pub original_path: String,
    pub problem: String,
    pub findings: Vec<String>,
}

/// The whole manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub schema: String,
    pub tool: Tool,
    pub host: String,
    /// When the collection was made (UTC).
    pub collected_at: String,
    pub scanned: Scanned,
    /// Hash algorithms of `sha256` and `md5`, for readers that do not know the schema.
    pub hashes: Vec<String>,
    pub files: Vec<Entry>,
    #[serde(default)]
    pub not_collected: Vec<NotCollected>,
}

impl Manifest {
    pub fn new(host: &str, scanned: Scanned) -> Manifest {
        Manifest {
            schema: SCHEMA.into(),
            tool: Tool {
                name: "exhunt".into(),
                version: crate::VERSION.into(),
                commit: crate::COMMIT.into(),
                rules: crate::rules::pack_hash().into(),
            },
            host: host.into(),
            collected_at: jiff::Timestamp::now().to_string(),
            scanned,
            hashes: vec!["sha256".into(), "md5".into()],
            files: Vec::new(),
            not_collected: Vec::new(),
        }
    }

    /// `manifest.json`, pretty-printed, with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("a manifest always serialises");
        v.push(b'\n');
        v
    }

    /// Parses `manifest.json`, checking the schema.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| format!("not a valid manifest: {e}"))?;
        if !m.schema.starts_with("exhunt.collection/") {
            return Err(format!("unknown manifest schema {:?}", m.schema));
        }
        Ok(m)
    }

    /// `manifest.csv`: one row per collected file, then one row per file not collected (with
    /// empty hashes and the problem in `note`).
    pub fn write_csv<W: Write>(&self, w: W) -> std::io::Result<()> {
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let rows = self
            .files
            .iter()
            .map(|e| {
                vec![
                    e.original_path.clone(),
                    e.collected_path.clone(),
                    e.size.to_string(),
                    e.sha256.clone(),
                    e.md5.clone(),
                    opt(&e.modified),
                    opt(&e.created),
                    opt(&e.accessed),
                    e.findings.join("; "),
                    opt(&e.note),
                    self.host.clone(),
                    opt(&e.original_path_hex),
                    e.copied_size.map(|n| n.to_string()).unwrap_or_default(),
                    opt(&e.copied_sha256),
                    opt(&e.cut),
                ]
            })
            .chain(self.not_collected.iter().map(|n| {
                vec![
                    n.original_path.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    n.findings.join("; "),
                    format!("NOT COLLECTED: {}", n.problem),
                    self.host.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]
            }));
        write_rows(w, &CSV_COLUMNS, rows)
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[usize::from(b >> 4)] as char);
        s.push(H[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut m = Manifest::new("EX01", Scanned::default());
        m.files.push(Entry {
            original_path: "/evidence/=cmd|' /C calc'!A0.LOG".into(),
            collected_path: "=x/@y.LOG".into(),
            size: 3,
            sha256: "ab".into(),
            md5: "cd".into(),
            modified: Some("2021-02-11T04:29:44.908Z".into()),
            created: None,
            accessed: None,
            findings: vec!["cve-2021-26855/anchor-mailbox-ssrf@line:12".into()],
            note: None,
            original_path_hex: None,
            copied_size: None,
            copied_sha256: None,
            cut: None,
        });
        m.not_collected.push(NotCollected {
            original_path: "-gone".into(),
            problem: "cannot open: denied".into(),
            findings: vec![],
        });
        m
    }

    #[test]
    fn json_round_trips() {
        let m = sample();
        assert_eq!(Manifest::from_json(&m.to_json()).unwrap(), m);
        assert!(Manifest::from_json(b"{\"schema\":1}").is_err());
    }

    #[test]
    fn csv_cells_are_neutralised() {
        let mut out = Vec::new();
        sample().write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        for row in r.records() {
            for cell in row.unwrap().iter() {
                assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
            }
        }
        assert!(text.contains("'=x/@y.LOG"));
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
