//! `--allow` entries: the site's audited suppressions, as data (parsing and matching are in
//! `detect::allow`), and what each suppressed.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AllowKind {
    Ip,
    Ua,
    Path,
    Rule,
}

/// One entry and what it suppressed.
#[derive(Clone, Debug, Serialize)]
pub struct AllowEntry {
    /// `file:line` of the entry.
    pub at: String,
    pub kind: AllowKind,
    pub value: String,
    pub reason: String,
    /// How many findings it suppressed.
    pub suppressed: usize,
}

impl AllowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AllowKind::Ip => "ip",
            AllowKind::Ua => "ua",
            AllowKind::Path => "path",
            AllowKind::Rule => "rule",
        }
    }
}
