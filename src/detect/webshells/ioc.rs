//! Indicators: published file hashes and file names (embedded `rules/ioc/*.tsv`), and the user's
//! `--ioc` files, plain text (one hash, IP, or name/path pattern per line) or STIX 2.1 bundles.
//! IP addresses are not used here: they go to the log checks through `Ctx::extra_ips`.

use crate::detect::like::like;
use crate::model::FileProblem;
use crate::model::names::Shown;
use crate::sources::webfiles::Zone;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

static HASHES: &str = crate::rules::IOC_HASHES;
static FILE_NAMES: &str = crate::rules::IOC_FILE_NAMES;

/// Where a hash indicator comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashIoc {
    pub family: String,
    pub source: String,
}

/// The folder a file-name indicator applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameScope {
    /// Path inside a zone's folder (`owa/auth`, `oab`, `aspnet_client`, `webroot`).
    Zone(Zone),
    /// `C:/...`: the exact path under the root.
    Anchored,
    /// A path suffix at a folder boundary, or a bare file name, anywhere.
    Anywhere,
}

/// A published or user-given file name or path pattern (`*` and `?` allowed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameIoc {
    pub scope: NameScope,
    /// Lower case, `/`-separated.
    pub pattern: String,
    pub source: String,
}

impl NameIoc {
    /// Does a file at `rel` (relative to the root, or as given), in `zone` at `in_zone`, match?
    pub fn matches(&self, rel: &str, zone: Zone, in_zone: &str, rooted: bool) -> bool {
        let rel = rel.to_ascii_lowercase();
        match self.scope {
            NameScope::Zone(z) => {
                let zone_ok = z == zone
                    || (z == Zone::WebRoot && zone == Zone::AspnetClient)
                    || (z == Zone::AspnetClient && zone == Zone::WebRoot);
                if !zone_ok {
                    return false;
                }
                // webroot names are relative to wwwroot, aspnet_client names to aspnet_client
                let inner = if z == Zone::WebRoot && zone == Zone::AspnetClient {
                    format!("aspnet_client/{in_zone}")
                } else if z == Zone::AspnetClient && zone == Zone::WebRoot {
                    return false;
                } else {
                    in_zone.to_string()
                };
                like(&inner, &self.pattern)
            }
            NameScope::Anchored => {
                if rooted {
                    like(&rel, &self.pattern)
                } else {
                    suffix_like(&rel, &self.pattern)
                }
            }
            NameScope::Anywhere => suffix_like(&rel, &self.pattern),
        }
    }
}

/// `pattern` matches the whole path or its end at a `/` boundary.
fn suffix_like(rel: &str, pattern: &str) -> bool {
    if like(rel, pattern) {
        return true;
    }
    let mut i = 0;
    while let Some(j) = rel[i..].find('/') {
        i += j + 1;
        if like(&rel[i..], pattern) {
            return true;
        }
    }
    false
}

/// Every indicator in force for one scan.
#[derive(Clone, Debug, Default)]
pub struct Indicators {
    /// Lower-case hex → where from.
    pub sha256: HashMap<String, HashIoc>,
    pub md5: HashMap<String, HashIoc>,
    pub names: Vec<NameIoc>,
    /// IP addresses from the user's files (for the log checks).
    pub ips: Vec<String>,
    /// What was not understood, per file (for the report's notes).
    pub notes: Vec<String>,
    pub problems: Vec<FileProblem>,
    /// Mistakes in the user's files (`file:line: value: why`): the scan does not start with them.
    pub errors: Vec<String>,
    /// How many indicators each user file gave.
    pub loaded: Vec<(String, usize)>,
}

fn data_rows(tsv: &str) -> impl Iterator<Item = Vec<&str>> {
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').map(str::trim).collect())
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a value of a user's indicator file is a mistake rather than an indicator: a hash with a
/// character that is not hexadecimal, or a word that is no file name (no extension), no path (no
/// `/` or `\`) and no pattern. `None`: not a mistake (it may still be a kind that is not used).
pub fn typo(v: &str) -> Option<String> {
    if [32, 40, 64, 128].iter().any(|n| is_hex(v, *n)) {
        return None;
    }
    let alnum = v.bytes().all(|b| b.is_ascii_alphanumeric());
    for (len, what) in [(64, "a SHA-256"), (32, "an MD5"), (40, "a SHA-1")] {
        if v.len() == len && alnum && !is_hex(v, len) {
            let (i, c) = v
                .char_indices()
                .find(|(_, c)| !c.is_ascii_hexdigit())
                .expect("a non-hex character");
            return Some(format!(
                "{len} characters like {what} hash, but {c:?} at column {} is not hexadecimal",
                i + 1
            ));
        }
    }
    let hexish = v.len() >= 16 && v.bytes().all(|b| b.is_ascii_hexdigit());
    if hexish && ![32, 40, 64, 128].contains(&v.len()) {
        return Some(format!(
            "{} hexadecimal characters: not a SHA-256 (64) or MD5 (32) hash; cut or pasted twice?",
            v.len()
        ));
    }
    if v.replace("[.]", ".").parse::<IpAddr>().is_ok() || v.contains("://") {
        return None; // an address, or a URL (a kind that is not used: a note, not a mistake)
    }
    if v.contains(['<', '>', '"', '|']) || v.char_indices().any(|(i, c)| c == ':' && i != 1) {
        return Some(
            "has a character no Windows file name or path has (< > \" | or a : after the drive)"
                .to_string(),
        );
    }
    let pathish = v.contains(['.', '/', '\\', '*', '?']);
    if !pathish && !v.contains(char::is_whitespace) {
        return Some(
            "not a hash, an IP address or a file name/path (a file name has an extension, a path a / or \\)"
                .to_string(),
        );
    }
    None
}

/// Normalises a name/path indicator: `\` to `/`, lower case, drive letter → anchored.
fn name_pattern(raw: &str) -> (NameScope, String) {
    let mut p = raw.trim().replace('\\', "/").to_ascii_lowercase();
    if p.len() >= 3 && p.as_bytes()[1] == b':' && p.as_bytes()[2] == b'/' {
        p = p[3..].to_string();
        return (NameScope::Anchored, p);
    }
    (NameScope::Anywhere, p.trim_start_matches('/').to_string())
}

impl Indicators {
    /// The published indicators shipped with exhunt.
    pub fn builtin() -> Indicators {
        let mut ind = Indicators::default();
        for row in data_rows(HASHES) {
            if let [algo, hash, family, source, ..] = row[..] {
                let v = HashIoc {
                    family: family.to_string(),
                    source: source.to_string(),
                };
                match algo {
                    "sha256" => ind.sha256.insert(hash.to_ascii_lowercase(), v),
                    "md5" => ind.md5.insert(hash.to_ascii_lowercase(), v),
                    _ => None,
                };
            }
        }
        for row in data_rows(FILE_NAMES) {
            if let [folder, name, source, ..] = row[..] {
                let (scope, pattern) = match folder {
                    "owa/auth" => (NameScope::Zone(Zone::OwaAuth), name.to_ascii_lowercase()),
                    "oab" => (NameScope::Zone(Zone::Oab), name.to_ascii_lowercase()),
                    "aspnet_client" => (
                        NameScope::Zone(Zone::AspnetClient),
                        name.to_ascii_lowercase(),
                    ),
                    "webroot" => (NameScope::Zone(Zone::WebRoot), name.to_ascii_lowercase()),
                    _ => name_pattern(name),
                };
                ind.names.push(NameIoc {
                    scope,
                    pattern,
                    source: source.to_string(),
                });
            }
        }
        ind
    }

    /// Adds one value of a user file; returns false when it is not understood.
    fn add_value(&mut self, value: &str, kind_hint: Option<&str>, source: &str) -> bool {
        let v = value.trim();
        if v.is_empty() {
            return false;
        }
        let user = || HashIoc {
            family: "user indicator".into(),
            source: source.to_string(),
        };
        match kind_hint {
            Some("sha256") if is_hex(v, 64) => {
                self.sha256.insert(v.to_ascii_lowercase(), user());
                return true;
            }
            Some("md5") if is_hex(v, 32) => {
                self.md5.insert(v.to_ascii_lowercase(), user());
                return true;
            }
            Some("ip") => {
                let refanged = v.replace("[.]", ".");
                if refanged.parse::<IpAddr>().is_ok() {
                    self.ips.push(refanged);
                    return true;
                }
                return false;
            }
            Some("name") | Some("path") => {
                let (scope, pattern) = name_pattern(v);
                self.names.push(NameIoc {
                    scope,
                    pattern,
                    source: source.to_string(),
                });
                return true;
            }
            Some(_) => return false,
            None => {}
        }
        if is_hex(v, 64) {
            self.sha256.insert(v.to_ascii_lowercase(), user());
        } else if is_hex(v, 32) {
            self.md5.insert(v.to_ascii_lowercase(), user());
        } else if is_hex(v, 40) || is_hex(v, 128) {
            return false; // SHA-1 / SHA-512: not computed
        } else if v.replace("[.]", ".").parse::<IpAddr>().is_ok() {
            self.ips.push(v.replace("[.]", "."));
        } else if v.contains("://") || v.contains(char::is_whitespace) && !v.contains('/') {
            return false; // URLs and free text are not file indicators
        } else {
            let (scope, pattern) = name_pattern(v);
            self.names.push(NameIoc {
                scope,
                pattern,
                source: source.to_string(),
            });
        }
        true
    }

    /// Loads a user file (plain text or STIX 2.1 JSON), or every regular file of a folder (in
    /// name order, not below it; links are not followed). Unreadable files are problems; lines
    /// not understood are counted and sampled in the notes; mistakes are [`Indicators::errors`].
    pub fn load_user(&mut self, path: &Path) {
        if path.is_dir() {
            let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| e.path())
                    .collect(),
                Err(e) => {
                    self.errors
                        .push(format!("{}: cannot list the folder: {e}", path.shown()));
                    return;
                }
            };
            files.sort();
            if files.is_empty() {
                self.errors.push(format!(
                    "{}: the folder holds no indicator file",
                    path.shown()
                ));
            }
            for f in files {
                self.load_user(&f);
            }
            return;
        }
        let shown = path.shown();
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                self.problems.push(FileProblem {
                    path: shown,
                    problem: format!("indicator file not read: {e}"),
                });
                return;
            }
        };
        self.load_text(&text, &shown);
    }

    /// Loads indicators from the text of a user file (`shown` names it in problems and notes).
    pub fn load_text(&mut self, text: &str, shown: &str) {
        let shown = shown.to_string();
        let text = text.trim_start_matches('\u{feff}');
        let before = self.count();
        let mut not_understood: Vec<String> = Vec::new();
        let first = text.trim_start().chars().next();
        if matches!(first, Some('{') | Some('[')) {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(doc) => self.load_stix(&doc, &shown, &mut not_understood),
                Err(e) => self.errors.push(format!(
                    "{shown}:{}:{}: looks like JSON (STIX) but does not parse: {e}",
                    e.line(),
                    e.column()
                )),
            }
        } else {
            for (n, line) in text.lines().enumerate() {
                let l = line.trim();
                if l.is_empty() || l.starts_with('#') {
                    continue;
                }
                // a value, optionally followed by a tab and a comment
                let value = l.split('\t').next().unwrap_or(l).trim();
                if let Some(why) = typo(value) {
                    self.errors
                        .push(format!("{shown}:{}: {}: {why}", n + 1, short(value)));
                    continue;
                }
                if !self.add_value(value, None, &shown) {
                    not_understood.push(format!("line {}: {}", n + 1, short(l)));
                }
            }
        }
        let added = self.count() - before;
        self.loaded.push((shown.clone(), added));
        if !not_understood.is_empty() {
            self.notes.push(format!(
                "{shown}: {} indicator(s) not understood (only SHA-256, MD5, IP addresses and file names/paths are used): {}{}",
                not_understood.len(),
                not_understood
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
                if not_understood.len() > 5 { "; ..." } else { "" }
            ));
        }
    }

    fn count(&self) -> usize {
        self.sha256.len() + self.md5.len() + self.names.len() + self.ips.len()
    }

    /// STIX 2.x: a bundle, an array of objects, or one object. Indicator patterns are split on
    /// `OR`/`AND` into comparisons; each understood comparison becomes one indicator.
    fn load_stix(&mut self, doc: &serde_json::Value, source: &str, bad: &mut Vec<String>) {
        let objects: Vec<&serde_json::Value> = match doc {
            serde_json::Value::Array(a) => a.iter().collect(),
            v if v.get("objects").is_some() => v["objects"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            v => vec![v],
        };
        let mut and_seen = false;
        for o in objects {
            if o.get("type").and_then(|t| t.as_str()) != Some("indicator") {
                continue;
            }
            let id = o
                .get("name")
                .or_else(|| o.get("id"))
                .and_then(|v| v.as_str())
                .unwrap_or("indicator");
            let src = format!("{source} ({})", short(id));
            if let Some(pt) = o.get("pattern_type").and_then(|v| v.as_str())
                && !pt.eq_ignore_ascii_case("stix")
            {
                bad.push(format!("{}: pattern type {pt}", short(id)));
                continue;
            }
            let Some(pattern) = o.get("pattern").and_then(|v| v.as_str()) else {
                bad.push(format!("{}: no pattern", short(id)));
                continue;
            };
            let comps = stix_comparisons(pattern);
            if comps.is_empty() {
                bad.push(format!("{}: {}", short(id), short(pattern)));
                continue;
            }
            and_seen |= pattern.contains(" AND ");
            for (path, op, value) in comps {
                let kind = stix_kind(&path);
                let value = if op.eq_ignore_ascii_case("LIKE") {
                    value.replace('%', "*").replace('_', "?")
                } else {
                    value
                };
                let ok = match (kind, op.as_str()) {
                    (Some(k), "=") => self.add_value(&value, Some(k), &src),
                    (Some(k @ ("name" | "path")), op) if op.eq_ignore_ascii_case("LIKE") => {
                        self.add_value(&value, Some(k), &src)
                    }
                    _ => false,
                };
                if !ok {
                    bad.push(format!("{}: [{path} {op} '{}']", short(id), short(&value)));
                }
            }
        }
        if and_seen {
            self.notes.push(format!(
                "{source}: STIX patterns joined with AND are used as separate indicators (each comparison alone)"
            ));
        }
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The indicator kind of a STIX object path, if exhunt uses it.
fn stix_kind(path: &str) -> Option<&'static str> {
    let p = path.to_ascii_lowercase().replace(['\'', '"', ' '], "");
    match p.as_str() {
        "file:hashes.sha-256" | "file:hashes.sha256" => Some("sha256"),
        "file:hashes.md5" => Some("md5"),
        "file:name" => Some("name"),
        "file:parent_directory_ref.path" | "directory:path" => Some("path"),
        "ipv4-addr:value" | "ipv6-addr:value" => Some("ip"),
        "network-traffic:dst_ref.value" | "network-traffic:src_ref.value" => Some("ip"),
        _ => None,
    }
}

/// `(object path, operator, value)` of each comparison in a STIX pattern such as
/// `[file:hashes.'SHA-256' = 'ab..'] OR [file:name = 'x.aspx']`.
fn stix_comparisons(pattern: &str) -> Vec<(String, String, String)> {
    let b = pattern.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // an object path starts after '[', '(' or whitespace and holds a ':'
        let start = i;
        let mut j = i;
        let mut in_q = false;
        while j < b.len() {
            let c = b[j];
            if c == b'\'' {
                in_q = !in_q;
            } else if !in_q && (c.is_ascii_whitespace() || c == b'=' || c == b'!') {
                break;
            }
            j += 1;
        }
        let path = pattern[start..j].trim_start_matches(['[', '(']).to_string();
        if !path.contains(':') || path.starts_with('\'') {
            i = j + 1;
            continue;
        }
        let mut k = j;
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        let op_start = k;
        while k < b.len() && !b[k].is_ascii_whitespace() && b[k] != b'\'' {
            k += 1;
        }
        let op = pattern[op_start..k].to_string();
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        if k >= b.len() || b[k] != b'\'' || op.is_empty() {
            i = j + 1;
            continue;
        }
        k += 1;
        let mut value = String::new();
        while k < b.len() {
            match b[k] {
                b'\\' if k + 1 < b.len() => {
                    // the escaped character may be multi-byte (found by the indicators fuzz target)
                    let ch = pattern[k + 1..].chars().next().unwrap_or(' ');
                    value.push(ch);
                    k += 1 + ch.len_utf8();
                }
                b'\'' => break,
                _ => {
                    let ch = pattern[k..].chars().next().unwrap_or(' ');
                    value.push(ch);
                    k += ch.len_utf8();
                }
            }
        }
        out.push((path, op, value));
        i = k + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_told_apart_from_indicators() {
        for ok in [
            "a380e14e32705c40eed203758b14430d4279cfef7e2a2b13ad798d6b2d04cb5b",
            "d41d8cd98f00b204e9800998ecf8427e",
            "203.0.113.5",
            "203.0.113[.]5",
            "2001:db8::1",
            "shell.aspx",
            "C:\\inetpub\\wwwroot\\aspnet_client\\*.aspx",
            "owa/auth/*",
            "free text with spaces",
        ] {
            assert_eq!(typo(ok), None, "{ok}");
        }
        for bad in [
            "zzzz-not-a-hash",
            &"g".repeat(64),
            "d41d8cd98f00b204e9800998ecf8427x",
            "a380e14e32705c40eed203758b14430d4279cfef7e2a2b13ad798d6b2d04cb5ba380",
            "{\"x\":",
            "<script>",
        ] {
            assert!(typo(bad).is_some(), "{bad}");
        }
        let mut i = Indicators::default();
        i.load_text("ok.aspx\nnope\n", "f.txt");
        assert_eq!(i.names.len(), 1);
        assert_eq!(
            i.errors,
            [
                "f.txt:2: nope: not a hash, an IP address or a file name/path (a file name has an extension, a path a / or \\)"
            ]
        );
    }

    #[test]
    fn builtin_tables_load() {
        let i = Indicators::builtin();
        assert_eq!(i.sha256.len(), 35);
        assert_eq!(i.md5.len(), 1);
        assert!(
            i.sha256
                .contains_key("b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0")
        );
        let n = |rel: &str, zone: Zone, in_zone: &str| {
            i.names.iter().any(|x| x.matches(rel, zone, in_zone, true))
        };
        assert!(n(
            "x/owa/auth/Current/one1.aspx",
            Zone::OwaAuth,
            "current/one1.aspx"
        ));
        assert!(!n(
            "x/owa/auth/Current/two.aspx",
            Zone::OwaAuth,
            "current/two.aspx"
        ));
        assert!(n(
            "inetpub/wwwroot/aspnet_client/system_web/log.aspx",
            Zone::AspnetClient,
            "system_web/log.aspx"
        ));
        assert!(n(
            "inetpub/wwwroot/iisstart.aspx",
            Zone::WebRoot,
            "iisstart.aspx"
        ));
        assert!(n("ProgramData/it.zip", Zone::ProgramData, "it.zip"));
        assert!(!n(
            "Users/ProgramData/it.zip",
            Zone::Other,
            "users/programdata/it.zip"
        ));
        assert!(n("Program Files/System/websvc.dll", Zone::Other, ""));
        assert!(n("Temp/Dump.exe", Zone::Other, ""));
        assert!(!n("Windows/System32/mscoree.dll", Zone::Other, ""));
        assert!(n("mscoree.dll", Zone::Other, ""));
    }

    #[test]
    fn plain_text_user_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("iocs.txt");
        std::fs::write(
            &p,
            "# mine\nB75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0\n\
             0123456789abcdef0123456789abcdef\t tiny shell\n203.0.113[.]99\n2001:db8::1\n\
             zq7w.aspx\nC:\\inetpub\\wwwroot\\aspnet_client\\*.ashx\n\
             da39a3ee5e6b4b0d3255bfef95601890afd80709\nhttp://evil.example/x\n\n",
        )
        .unwrap();
        let mut i = Indicators::default();
        i.load_user(&p);
        assert!(
            i.sha256
                .contains_key("b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0")
        );
        assert!(i.md5.contains_key("0123456789abcdef0123456789abcdef"));
        assert_eq!(i.ips, vec!["203.0.113.99", "2001:db8::1"]);
        assert_eq!(i.names.len(), 2);
        assert!(i.names[1].matches(
            "inetpub/wwwroot/aspnet_client/a.ashx",
            Zone::AspnetClient,
            "a.ashx",
            true
        ));
        assert!(i.names[0].matches("a/b/ZQ7W.aspx", Zone::Other, "", false));
        assert_eq!(i.loaded[0].1, 6);
        assert!(
            i.notes[0].contains("2 indicator(s) not understood"),
            "{:?}",
            i.notes
        );
        assert!(i.notes[0].contains("line 8"));
    }

    #[test]
    fn stix_bundle() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("bundle.json");
        std::fs::write(
            &p,
            r#"{"type":"bundle","id":"bundle--1","objects":[
              {"type":"identity","id":"identity--1","name":"CERT"},
              {"type":"indicator","spec_version":"2.1","id":"indicator--1","name":"shell hash","pattern_type":"stix",
               "pattern":"[file:hashes.'SHA-256' = '2b6f1ebb2208e93ade4a6424555d6a8341fd6d9f60c25e44afe11008f5c1aad1'] OR [file:hashes.MD5 = '099c8625c58b315b6c11f5baeb859f4c']"},
              {"type":"indicator","id":"indicator--2","pattern":"[file:name = 'zq7w.aspx']"},
              {"type":"indicator","id":"indicator--3","pattern":"[ipv4-addr:value = '203.0.113.57']"},
              {"type":"indicator","id":"indicator--4","pattern":"[domain-name:value = 'evil.example']"},
              {"type":"indicator","id":"indicator--5","pattern":"[file:name LIKE 'shel%.aspx' AND file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"},
              {"type":"indicator","id":"indicator--6","pattern_type":"yara","pattern":"rule x { condition: true }"}
            ]}"#,
        )
        .unwrap();
        let mut i = Indicators::default();
        i.load_user(&p);
        assert!(
            i.sha256
                .contains_key("2b6f1ebb2208e93ade4a6424555d6a8341fd6d9f60c25e44afe11008f5c1aad1")
        );
        assert!(i.md5.contains_key("099c8625c58b315b6c11f5baeb859f4c"));
        assert_eq!(i.ips, vec!["203.0.113.57"]);
        let pats: Vec<&str> = i.names.iter().map(|n| n.pattern.as_str()).collect();
        assert_eq!(pats, ["zq7w.aspx", "shel*.aspx"]);
        let notes = i.notes.join("\n");
        assert!(notes.contains("3 indicator(s) not understood"), "{notes}");
        assert!(notes.contains("domain-name:value"), "{notes}");
        assert!(notes.contains("SHA-1"), "{notes}");
        assert!(notes.contains("pattern type yara"), "{notes}");
        assert!(notes.contains("AND are used as separate"), "{notes}");
        assert!(i.problems.is_empty());
    }

    #[test]
    fn broken_json_is_a_mistake_and_a_missing_file_a_problem() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("b.json");
        std::fs::write(&p, "{\"type\": \"bundle\", ").unwrap();
        let mut i = Indicators::default();
        i.load_user(&p);
        assert_eq!(i.errors.len(), 1);
        assert!(i.errors[0].contains("b.json:1:"), "{:?}", i.errors);
        i.load_user(&d.path().join("nope.txt"));
        assert_eq!(i.problems.len(), 1);
    }
}
