//! A finding: one piece of evidence, where it is, and what it means.

use super::Timestamp;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// How much a finding matters to the responder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// Where a finding stands on the attack ladder; the verdict is derived from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Known scanners and self-checks (e.g. Microsoft's nmap script): visible, never a verdict on its own.
    Scanner,
    /// Context a human should look at (dumps, archives); on its own makes a server `suspicious`.
    Context,
    /// An exploitation attempt that did not evidently succeed.
    Attempt,
    /// Evidence of successful exploitation.
    Exploitation,
    /// What the intruder did after getting in (file written, shell used, cmdlet run).
    PostExploitation,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Scanner => "scanner",
            Class::Context => "context",
            Class::Attempt => "attempt",
            Class::Exploitation => "exploitation",
            Class::PostExploitation => "post-exploitation",
        }
    }
}

/// Where the evidence is: a file and a line (text logs), or a file and a record id (EVTX).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Byte offset of the start of the line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
}

impl Evidence {
    /// `path:line`, `path#record`, or the path alone.
    pub fn locator(&self) -> String {
        match (self.line, self.record_id) {
            (Some(l), _) => format!("{}:{}", self.path, l),
            (None, Some(r)) => format!("{}#record{}", self.path, r),
            _ => self.path.clone(),
        }
    }
}

/// One finding, shared by every check and every report format.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Stable id of the check, e.g. `cve-2021-26855`.
    pub check: &'static str,
    /// Stable id of the rule within the check, e.g. `anchor-mailbox-ssrf`.
    pub rule: &'static str,
    pub title: String,
    pub class: Class,
    pub severity: Severity,
    pub time: Option<Timestamp>,
    pub source: Evidence,
    /// The raw evidence text (a log line, a rendered event), as found (lossy UTF-8).
    pub raw: String,
    /// Named values taken from the record, in a stable order.
    #[serde(serialize_with = "ordered_map")]
    pub fields: Vec<(String, String)>,
    /// Why it matters, in one sentence.
    pub why: String,
}

/// The most of a raw line a finding keeps; the evidence locator points at the rest.
pub const MAX_RAW: usize = 64 * 1024;

impl Finding {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Keeps raw evidence text, cut at [`MAX_RAW`] bytes with a note of how much was cut.
    pub fn raw_text(bytes: &[u8]) -> String {
        let trimmed = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed.len() <= MAX_RAW {
            String::from_utf8_lossy(trimmed).into_owned()
        } else {
            format!(
                "{}…[{} more bytes cut]",
                String::from_utf8_lossy(&trimmed[..MAX_RAW]),
                trimmed.len() - MAX_RAW
            )
        }
    }
}

fn ordered_map<S: Serializer>(fields: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(fields.len()))?;
    for (k, v) in fields {
        m.serialize_entry(k, v)?;
    }
    m.end()
}
