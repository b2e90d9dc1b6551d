//! The entries `exhunt checks` and `exhunt rules` list (filled by `detect::catalog`).

use super::{Class, Severity};
use serde::Serialize;

/// One check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckEntry {
    pub id: &'static str,
    pub title: &'static str,
    /// Its CVE ids (comma-separated; empty when its rules name their own or none).
    pub cve: &'static str,
    /// Whether the verdict needs it (a required check that could not run makes a clean server
    /// `inconclusive`).
    pub required: bool,
    /// What it reads.
    pub reads: String,
    /// Where its rules are, when they are a table.
    pub rules: &'static str,
}

/// One rule of a table.
#[derive(Clone, Debug, Serialize)]
pub struct RuleEntry {
    pub check: &'static str,
    pub id: String,
    pub cve: String,
    pub class: Class,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    /// The table it comes from (`rules/web.toml`).
    pub table: &'static str,
    /// What it tests, briefly (literals, cmdlet, pattern).
    pub tests: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub refs: String,
}
