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
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

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
    /// Every class, lowest rung first.
    pub const ALL: [Class; 5] = [
        Class::Scanner,
        Class::Context,
        Class::Attempt,
        Class::Exploitation,
        Class::PostExploitation,
    ];

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

/// Severities as every rule table writes them (`rules/*.tsv`, `rules/web.toml`): exactly the
/// words [`Severity::as_str`] writes.
impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let names: Vec<_> = Severity::ALL.iter().map(|v| v.as_str()).collect();
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown severity {s:?} (one of: {})", names.join(", ")))
    }
}

/// Classes as every rule table writes them: exactly the words [`Class::as_str`] writes.
impl std::str::FromStr for Class {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let names: Vec<_> = Class::ALL.iter().map(|v| v.as_str()).collect();
        Class::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown class {s:?} (one of: {})", names.join(", ")))
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
    /// The CVE ids the finding is about, as its rule names them (`CVE-2021-34473, CVE-2021-34523`),
    /// empty when it is about no one flaw (a webshell, an archive, a scanner's survey). Set by the
    /// check ([`crate::detect::CheckInfo::cve`]) or the rule (the `cve` key of `rules/`), never
    /// guessed from ids; written as a list.
    #[serde(serialize_with = "cve_list", skip_serializing_if = "str::is_empty")]
    pub cve: &'static str,
    pub title: String,
    pub class: Class,
    pub severity: Severity,
    pub time: Option<Timestamp>,
    pub source: Evidence,
    /// The raw evidence text (a log line, a rendered event), as found (lossy UTF-8).
    pub raw: String,
    /// Named values taken from the record, in a stable order.
    pub fields: Fields,
    /// Why it matters, in one sentence.
    pub why: String,
}

/// Finding fields holding the client address (HttpProxy, IIS, ECP), compared ignoring case.
pub const CLIENT_IP_FIELDS: [&str; 3] = ["ClientIPAddress", "c-ip", "ClientIp"];

/// The most of a raw line a finding keeps; the evidence locator points at the rest.
pub const MAX_RAW: usize = 64 * 1024;

fn cve_list<S: Serializer>(cve: &&'static str, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(cve_ids(cve))
}

/// The ids of a `cve` value: `CVE-2021-34473, CVE-2021-34523` → both ids.
pub fn cve_ids(cve: &str) -> impl Iterator<Item = &str> {
    cve.split(',').map(str::trim).filter(|c| !c.is_empty())
}

/// Checks a rule table's `cve` cell: empty, or `CVE-YYYY-N…` ids separated by commas.
pub fn check_cve(cve: &str) -> Result<(), String> {
    for id in cve_ids(cve) {
        let mut parts = id.split('-');
        let ok = parts.next() == Some("CVE")
            && parts
                .next()
                .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            && parts
                .next()
                .is_some_and(|n| n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit()))
            && parts.next().is_none();
        if !ok {
            return Err(format!(
                "bad CVE id {id:?} (want CVE-YYYY-NNNN, comma-separated)"
            ));
        }
    }
    Ok(())
}

impl Finding {
    /// The CVE ids of [`Finding::cve`], one by one.
    pub fn cves(&self) -> impl Iterator<Item = &'static str> {
        cve_ids(self.cve)
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name)
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

/// The named values of a finding, in order, packed into one buffer: a finding keeps a dozen or
/// more, and as separate `String` pairs they were most of its memory (about 2.5 KiB for the
/// 20 fields of an HttpProxy hit; packed, under 1 KiB).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields {
    text: String,
    /// Per field: where its name ends and where its value ends in `text`.
    ends: Vec<(u32, u32)>,
}

impl Fields {
    /// Appends a field (names may repeat; [`Fields::get`] returns the first).
    pub fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let k = self.text.len() as u32;
        self.text.push_str(value);
        self.ends.push((k, self.text.len() as u32));
    }

    /// The value of the first field with this name (ignoring ASCII case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// (name, value) in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0usize;
        self.ends.iter().map(move |&(k, v)| {
            let (k, v) = (k as usize, v as usize);
            let pair = (&self.text[start..k], &self.text[k..v]);
            start = v;
            pair
        })
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(it: I) -> Self {
        let mut f = Fields::default();
        f.extend(it);
        f
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for Fields {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, it: I) {
        for (k, v) in it {
            self.push(k.as_ref(), v.as_ref());
        }
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

impl<K: AsRef<str>, V: AsRef<str>> From<Vec<(K, V)>> for Fields {
    fn from(v: Vec<(K, V)>) -> Self {
        let mut f = Fields {
            text: String::with_capacity(
                v.iter()
                    .map(|(k, v)| k.as_ref().len() + v.as_ref().len())
                    .sum(),
            ),
            ends: Vec::with_capacity(v.len()),
        };
        for (k, v) in &v {
            f.push(k.as_ref(), v.as_ref());
        }
        f
    }
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A map in field order (JSON objects keep it).
impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod fields_tests {
    use super::Fields;

    #[test]
    fn packed_fields_keep_order_names_and_values() {
        let mut f: Fields = vec![
            ("c-ip", "192.0.2.1"),
            ("cs-uri-stem", ""),
            ("UserAgent", "a,b"),
        ]
        .into();
        f.push("", "no name");
        f.extend([("c-ip", "second")]);
        let all: Vec<(&str, &str)> = f.iter().collect();
        assert_eq!(
            all,
            [
                ("c-ip", "192.0.2.1"),
                ("cs-uri-stem", ""),
                ("UserAgent", "a,b"),
                ("", "no name"),
                ("c-ip", "second")
            ]
        );
        assert_eq!(f.get("C-IP"), Some("192.0.2.1"), "first, ignoring case");
        assert_eq!(f.get("useragent"), Some("a,b"));
        assert_eq!(f.get("missing"), None);
        assert_eq!(f.len(), 5);
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"c-ip":"192.0.2.1","cs-uri-stem":"","UserAgent":"a,b","":"no name","c-ip":"second"}"#
        );
        assert!(Fields::default().is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_and_severity_names_read_back_and_nothing_else_does() {
        for c in Class::ALL {
            assert_eq!(c.as_str().parse::<Class>(), Ok(c));
        }
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(s));
        }
        assert!("Exploitation".parse::<Class>().is_err(), "tables are exact");
        assert!("postexploitation".parse::<Class>().is_err());
        let e = "severe".parse::<Severity>().unwrap_err();
        assert!(e.contains("\"severe\"") && e.contains("critical"), "{e}");
    }

    #[test]
    fn cve_cells_are_checked_and_split() {
        assert_eq!(
            cve_ids("CVE-2021-34473, CVE-2021-34523").collect::<Vec<_>>(),
            ["CVE-2021-34473", "CVE-2021-34523"]
        );
        assert_eq!(cve_ids("").count(), 0);
        assert!(check_cve("").is_ok());
        assert!(check_cve("CVE-2021-26855,CVE-2022-41040").is_ok());
        for bad in [
            "cve-2021-26855",
            "CVE-21-26855",
            "CVE-2021-26855x",
            "CVE-2021",
            "ProxyShell",
        ] {
            assert!(check_cve(bad).is_err(), "{bad}");
        }
    }
}
