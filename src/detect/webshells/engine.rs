//! The YARA engine behind a small trait, so that another engine (yara-x) can be added later as a
//! cargo feature without touching the file scan.

/// One string of a rule that matched, at one offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringHit {
    /// The string identifier, e.g. `$eval_req`.
    pub id: String,
    pub offset: u64,
    /// Length of the whole match (the kept `data` may be shorter).
    pub length: u64,
    /// The matched bytes, capped at [`MAX_HIT_BYTES`].
    pub data: Vec<u8>,
}

/// The most bytes of one string match that are kept.
pub const MAX_HIT_BYTES: usize = 96;
/// The most string matches kept per rule match.
pub const MAX_HITS_PER_RULE: usize = 16;

/// A rule that matched a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    pub rule: &'static str,
    pub namespace: String,
    pub tags: Vec<String>,
    /// Meta fields in declaration order, values as text.
    pub meta: Vec<(String, String)>,
    /// String matches (at most [`MAX_HITS_PER_RULE`]).
    pub strings: Vec<StringHit>,
    /// How many string matches there were before capping.
    pub strings_total: usize,
}

impl RuleMatch {
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }
}

/// What is scanned: the bytes, and the names rules may test through external variables
/// (`filename`, `filepath`, `extension`, as signature-base rules expect).
pub struct Target<'a> {
    pub data: &'a [u8],
    pub path: &'a str,
    pub name: &'a str,
    pub extension: &'a str,
}

/// A compiled rule set that scans bytes.
pub trait Engine: Send + Sync {
    /// Engine name and version, recorded in reports.
    fn name(&self) -> String;
    /// Number of rules loaded.
    fn rule_count(&self) -> usize;
    /// The rule file a namespace's rules came from (for reports).
    fn source_of(&self, namespace: &str) -> String;
    /// Scans one file's bytes. An error means the scan stopped early (its matches are lost).
    fn scan(&self, target: &Target<'_>) -> Result<Vec<RuleMatch>, String>;
}
