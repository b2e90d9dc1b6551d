//! Pivot values taken from the findings that show an attacker at work (classes attempt,
//! exploitation, post-exploitation, above `info`): client IPs, distinctive user agents, request
//! ids, and the web paths of files the attacker wrote. The sweep looks for every log line that
//! holds one of them.
//!
//! What is not a pivot, and why: loopback addresses (every health probe comes from them), and the
//! client address of back-end IIS findings (W3SVC2: it is the front end that proxied the request);
//! user agents of ordinary browsers and clients (`Mozilla/…`, Outlook, `ClientInfo`, WinRM,
//! Exchange probes), which would pull in everyone's traffic; values shorter than six characters.

use super::TimelineEvent;
use crate::model::{Class, Finding, Severity, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Finding fields holding the client address (HttpProxy, IIS).
pub const IP_FIELDS: [&str; 3] = crate::model::CLIENT_IP_FIELDS;
/// Finding fields holding the user agent.
pub const UA_FIELDS: [&str; 3] = ["UserAgent", "cs(User-Agent)", "User-Agent"];
/// Finding fields holding a request id (HttpProxy `RequestId`, IIS `cafeReqId`, ECP `REQID`).
pub const RID_FIELDS: [&str; 3] = ["RequestId", "cafeReqId", "REQID"];

/// The values to sweep for.
#[derive(Clone, Debug, Default)]
pub struct Pivots {
    pub ips: BTreeSet<String>,
    /// Normalised with [`normalize_ua`].
    pub user_agents: BTreeSet<String>,
    /// Lowercase.
    pub request_ids: BTreeSet<String>,
    /// Lowercase web paths (`/aspnet_client/system_web/x.aspx`).
    pub paths: BTreeSet<String>,
    /// First word of each pivot user agent, as logged and in lower case (the sweep's literals).
    pub ua_words: BTreeSet<String>,
}

pub use crate::sources::request::normalize_ua;

/// A user agent worth sweeping for: not a browser's or a legitimate client's.
pub fn distinctive_ua(norm: &str) -> bool {
    const COMMON: [&str; 8] = [
        "mozilla/",
        "microsoft office",
        "outlook",
        "msrpc",
        "clientinfo",
        "microsoft winrm client",
        "exchange backend probes",
        "microsoft.exchange",
    ];
    norm.len() >= 6 && norm != "-" && !COMMON.iter().any(|c| norm.starts_with(c))
}

fn is_loopback(ip: &str) -> bool {
    ip.starts_with("127.") || ip == "::1" || ip == "[::1]" || ip.eq_ignore_ascii_case("localhost")
}

/// The URL path a file under a web root is served at, lowercase: `C:\inetpub\wwwroot\a\b.aspx` →
/// `/a/b.aspx`, `<install>\FrontEnd\HttpProxy\owa\auth\x.aspx` → `/owa/auth/x.aspx` (also through
/// `\\localhost\c$`); anything else → `/<file name>`.
pub fn web_path(windows_path: &str) -> Option<String> {
    let p = windows_path
        .trim()
        .trim_matches(['\'', '"'])
        .replace('/', "\\")
        .to_ascii_lowercase();
    let name = p.rsplit('\\').next().filter(|n| !n.is_empty())?;
    for root in [
        "\\inetpub\\wwwroot\\",
        "\\frontend\\httpproxy\\",
        "\\clientaccess\\",
    ] {
        if let Some(i) = p.find(root) {
            return Some(format!("/{}", p[i + root.len()..].replace('\\', "/")));
        }
    }
    Some(format!("/{name}"))
}

fn is_web_script_path(v: &str) -> bool {
    let l = v.trim().trim_matches(['\'', '"']).to_ascii_lowercase();
    l.contains('\\') && [".aspx", ".ashx", ".asmx"].iter().any(|x| l.ends_with(x))
}

impl Pivots {
    pub fn from_findings(findings: &[Finding]) -> Pivots {
        let mut p = Pivots::default();
        for f in findings.iter().filter(|f| {
            // Successful steps only: mass scanners leave thousands of attempts, and sweeping every
            // log for each of their addresses and request ids would cost a pass per few hundred
            // literals and bury the intruder's requests. Attempt-only addresses still get their
            // per-IP summary from their own findings.
            matches!(f.class, Class::Exploitation | Class::PostExploitation)
                && f.severity > Severity::Info
        }) {
            // On the back-end site (W3SVC2) the client is the front end proxying the request.
            let back_end = f.field("site").is_some_and(|s| {
                s.to_ascii_lowercase().contains("back end") || s.eq_ignore_ascii_case("W3SVC2")
            });
            for ip in IP_FIELDS
                .iter()
                .filter(|_| !back_end)
                .filter_map(|k| f.field(k))
            {
                for one in ip.split([',', ';', ' ']).map(str::trim) {
                    if !one.is_empty() && one != "-" && !is_loopback(one) {
                        p.ips.insert(one.to_string());
                    }
                }
            }
            for ua in UA_FIELDS.iter().filter_map(|k| f.field(k)) {
                let n = normalize_ua(ua);
                if distinctive_ua(&n) {
                    p.user_agents.insert(n);
                    if let Some(w) = ua.split([' ', '+', ',', '(', ')']).find(|w| w.len() >= 6) {
                        p.ua_words.insert(w.to_string());
                        p.ua_words.insert(w.to_ascii_lowercase());
                    }
                }
            }
            for rid in RID_FIELDS.iter().filter_map(|k| f.field(k)) {
                let r = rid.trim().to_ascii_lowercase();
                if r.len() >= 8 && !r.contains(char::is_whitespace) && r != "<null>" {
                    p.request_ids.insert(r);
                }
            }
            for (_, v) in f.fields.iter() {
                if is_web_script_path(v)
                    && let Some(w) = web_path(v)
                {
                    p.paths.insert(w);
                }
            }
        }
        p
    }

    pub fn is_empty(&self) -> bool {
        self.ips.is_empty()
            && self.user_agents.is_empty()
            && self.request_ids.is_empty()
            && self.paths.is_empty()
    }

    /// Literals for the line prefilter. A user agent contributes its first word (up to a blank,
    /// `+`, comma or parenthesis), which reads the same in IIS and HttpProxy logs.
    /// The sweep's literals: (matched ignoring case, matched exactly). All are exact: addresses
    /// have no case, Exchange writes request ids in lower case, user-agent words are taken as
    /// logged and in lower case, and paths in lower case (a request for the same path in other
    /// capitals is still found through the address that made it). Measured: an automaton ignoring
    /// case over such literals ran at ~0.8 GB/s, a `memmem` pass per literal at several GB/s.
    pub fn literals(&self) -> (Vec<String>, Vec<String>) {
        let mut exact: Vec<String> = self.ips.iter().cloned().collect();
        exact.extend(self.request_ids.iter().cloned());
        exact.extend(self.paths.iter().cloned());
        exact.extend(self.ua_words.iter().cloned());
        exact.sort();
        exact.dedup();
        (Vec::new(), exact)
    }

    /// Why a request (fields parsed from a log line) belongs to the attacker: `ip=…`,
    /// `user-agent=…`, `request-id=…`, `path=…`. `raw` is searched for kinds without a parsed field.
    pub fn reasons(&self, req: &Req, raw: &str) -> Vec<String> {
        let mut out = Vec::new();
        let raw_lower = raw.to_ascii_lowercase();
        match &req.ip {
            Some(ip) => {
                for one in ip.split([',', ';', ' ']).map(str::trim) {
                    if self.ips.contains(one) {
                        out.push(format!("ip={one}"));
                    }
                }
            }
            None => {
                for ip in &self.ips {
                    if contains_token(raw, ip) {
                        out.push(format!("ip={ip}"));
                    }
                }
            }
        }
        if let Some(ua) = &req.user_agent {
            let n = normalize_ua(ua);
            if self.user_agents.contains(&n) {
                out.push(format!("user-agent={ua}"));
            }
        }
        match &req.request_id {
            Some(r) if self.request_ids.contains(&r.to_ascii_lowercase()) => {
                out.push(format!("request-id={r}"))
            }
            Some(_) => {}
            None => {
                for r in &self.request_ids {
                    if raw_lower.contains(r.as_str()) {
                        out.push(format!("request-id={r}"));
                    }
                }
            }
        }
        let hay = req.url.as_deref().map(str::to_ascii_lowercase);
        for p in &self.paths {
            if hay.as_deref().unwrap_or(&raw_lower).contains(p.as_str()) {
                out.push(format!("path={p}"));
            }
        }
        out
    }
}

/// Whether [`Pivots::reasons`] tie a line to the attacker on their own: an address, a request id
/// or a path. A user agent alone does not: the mass exploitation of 2021 sent the same few
/// (`ExchangeServicesClient/0.0.0.0`, `python-requests/…`) from thousands of addresses.
pub fn names_the_attacker(reasons: &[String]) -> bool {
    reasons.iter().any(|r| !r.starts_with("user-agent="))
}

/// `needle` in `hay` with no letter, digit or dot on either side (so `203.0.113.5` is not found
/// in `203.0.113.57`).
pub fn contains_token(hay: &str, needle: &str) -> bool {
    let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '.'));
    hay.match_indices(needle)
        .any(|(i, m)| edge(hay[..i].chars().next_back()) && edge(hay[i + m.len()..].chars().next()))
}

/// The request fields one log line gives (what each source knows; `None` = not in this source).
#[derive(Clone, Debug, Default)]
pub struct Req {
    pub time: Option<Timestamp>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub method: Option<String>,
    pub url: Option<String>,
    pub status: Option<String>,
    pub user: Option<String>,
    pub request_id: Option<String>,
}

/// One attacker address and what it did, from the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct IpSummary {
    pub ip: String,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// HttpProxy and IIS lines from this address (a proxied request can appear in both).
    pub requests: u64,
    /// Every timeline event with this address (requests, ECP lines, findings).
    pub events: u64,
    pub statuses: BTreeMap<String, u64>,
    pub methods: BTreeMap<String, u64>,
    /// Distinct user agents, as logged (at most ten).
    pub user_agents: Vec<String>,
    /// What it asked for (URL paths without the query), most requested first, at most twenty.
    pub hits: Vec<Count>,
    /// Findings at this address, by `check/rule`.
    pub findings: Vec<Count>,
    /// Source types it appears in.
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Count {
    pub value: String,
    pub count: u64,
}

fn top(m: BTreeMap<String, u64>, n: usize) -> Vec<Count> {
    let mut v: Vec<Count> = m
        .into_iter()
        .map(|(value, count)| Count { value, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    v.truncate(n);
    v
}

/// One summary per pivot IP that appears in the timeline, earliest first.
pub fn summarize(ips: &BTreeSet<String>, timeline: &[TimelineEvent]) -> Vec<IpSummary> {
    let mut out: Vec<IpSummary> = ips
        .iter()
        .filter_map(|ip| {
            let mine: Vec<&TimelineEvent> = timeline
                .iter()
                .filter(|e| e.client_ip.split([',', ';', ' ']).any(|x| x.trim() == ip))
                .collect();
            if mine.is_empty() {
                return None;
            }
            let mut s = IpSummary {
                ip: ip.clone(),
                first_seen: mine.iter().map(|e| e.datetime).min(),
                last_seen: mine.iter().map(|e| e.datetime).max(),
                requests: 0,
                events: mine.len() as u64,
                statuses: BTreeMap::new(),
                methods: BTreeMap::new(),
                user_agents: Vec::new(),
                hits: Vec::new(),
                findings: Vec::new(),
                sources: Vec::new(),
            };
            let (mut hits, mut rules) = (BTreeMap::new(), BTreeMap::new());
            let mut sources = BTreeSet::new();
            // a line with two findings is still one request
            let mut lines_seen = BTreeSet::new();
            for e in &mine {
                sources.insert(e.source_type.clone());
                if !e.rule_id.is_empty() {
                    *rules.entry(e.rule_id.clone()).or_default() += 1;
                }
                if !matches!(e.source_type.as_str(), "httpproxy" | "iis")
                    || !lines_seen.insert((e.source_file.as_str(), e.line, e.record_id))
                {
                    continue;
                }
                s.requests += 1;
                if !e.status.is_empty() {
                    *s.statuses.entry(e.status.clone()).or_default() += 1;
                }
                if !e.method.is_empty() {
                    *s.methods.entry(e.method.clone()).or_default() += 1;
                }
                if !e.user_agent.is_empty()
                    && s.user_agents.len() < 10
                    && !s.user_agents.contains(&e.user_agent)
                {
                    s.user_agents.push(e.user_agent.clone());
                }
                let path = e.url.split('?').next().unwrap_or_default();
                if !path.is_empty() {
                    *hits.entry(path.to_string()).or_default() += 1;
                }
            }
            s.hits = top(hits, 20);
            s.findings = top(rules, 50);
            s.sources = sources.into_iter().collect();
            Some(s)
        })
        .collect();
    out.sort_by(|a, b| (a.first_seen, &a.ip).cmp(&(b.first_seen, &b.ip)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Evidence;

    fn f(class: Class, fields: &[(&str, &str)]) -> Finding {
        Finding {
            check: "c",
            rule: "r",
            cve: "",
            title: String::new(),
            class,
            severity: Severity::High,
            time: None,
            source: Evidence::default(),
            raw: String::new(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            why: String::new(),
        }
    }

    #[test]
    fn takes_pivots_from_attacker_findings_only() {
        let p = Pivots::from_findings(&[
            f(
                Class::Exploitation,
                &[
                    ("ClientIPAddress", "203.0.113.57"),
                    ("UserAgent", "python-requests/2.25.1"),
                    ("RequestId", "9D2B7F31-0C6E-4A58-8E13-B74F2A90C5D6"),
                ],
            ),
            f(
                Class::PostExploitation,
                &[(
                    "Path",
                    "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\zq7w.aspx",
                )],
            ),
            f(
                Class::Attempt,
                &[
                    ("ClientIPAddress", "127.0.0.1"),
                    ("UserAgent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
                    ("REQID", ""),
                ],
            ),
            f(Class::Scanner, &[("ClientIPAddress", "192.0.2.10")]),
            f(
                Class::PostExploitation,
                &[("c-ip", "10.20.0.15"), ("site", "W3SVC2 (back end)")],
            ),
            f(Class::Context, &[("ClientIPAddress", "192.0.2.11")]),
        ]);
        assert_eq!(p.ips.iter().collect::<Vec<_>>(), ["203.0.113.57"]);
        assert_eq!(
            p.user_agents.iter().collect::<Vec<_>>(),
            ["python-requests/2.25.1"]
        );
        assert_eq!(
            p.request_ids.iter().collect::<Vec<_>>(),
            ["9d2b7f31-0c6e-4a58-8e13-b74f2a90c5d6"]
        );
        assert_eq!(
            p.paths.iter().collect::<Vec<_>>(),
            ["/aspnet_client/system_web/zq7w.aspx"]
        );
        assert!(
            p.literals()
                .1
                .contains(&"python-requests/2.25.1".to_string()),
            "user-agent words are exact literals"
        );
        assert!(Pivots::from_findings(&[]).is_empty());
    }

    #[test]
    fn web_paths_and_tokens() {
        assert_eq!(
            web_path("\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\A.aspx").unwrap(),
            "/aspnet_client/a.aspx"
        );
        assert_eq!(
            web_path("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx").unwrap(),
            "/owa/auth/x.aspx"
        );
        assert_eq!(web_path("D:\\shells\\k.aspx").unwrap(), "/k.aspx");
        assert_eq!(web_path(""), None);
        assert!(contains_token("from 203.0.113.5 to", "203.0.113.5"));
        assert!(!contains_token("from 203.0.113.57", "203.0.113.5"));
        assert!(!contains_token("1203.0.113.5", "203.0.113.5"));
        assert_eq!(
            normalize_ua("Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots)"),
            normalize_ua("Mozilla/5.0 (compatible; YandexBot/3.0;  http://yandex.com/bots)")
        );
        assert!(!distinctive_ua("mozilla/5.0 (x)"));
        assert!(distinctive_ua("antsword/v2.1"));
        assert!(!distinctive_ua("-"));
    }

    #[test]
    fn reasons_check_fields_not_substrings() {
        let p = Pivots {
            ips: ["203.0.113.5".to_string()].into(),
            user_agents: ["antsword/v2.1".to_string()].into(),
            request_ids: ["6e1d4a7b".to_string()].into(),
            paths: ["/aspnet_client/x.aspx".to_string()].into(),
            ua_words: Default::default(),
        };
        let req = Req {
            ip: Some("203.0.113.57".into()),
            user_agent: Some("antSword/v2.1".into()),
            url: Some("/aspnet_client/X.aspx?a=1".into()),
            ..Default::default()
        };
        assert_eq!(
            p.reasons(&req, ""),
            ["user-agent=antSword/v2.1", "path=/aspnet_client/x.aspx"]
        );
        let text = Req::default();
        assert_eq!(
            p.reasons(&text, "x 203.0.113.5 6E1D4A7B"),
            ["ip=203.0.113.5", "request-id=6e1d4a7b"]
        );
        assert!(p.reasons(&text, "x 203.0.113.50").is_empty());
    }
}
