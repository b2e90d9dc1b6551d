//! `--allow FILE`: audited suppressions. The site's own scanners and admins (addresses, user
//! agents), known paths and rule ids, each with a reason. A finding an entry matches is kept in
//! every report, lowered to `info` (so it no longer decides the verdict) and marked with the
//! entry and its reason; what each entry suppressed is counted and listed.
//!
//! File format, one entry per line, tab- or whitespace-separated, `#` comments:
//! `ip 192.0.2.10 our vulnerability scanner`, `ip 10.1.0.0/16 admin network`,
//! `ua Nessus-Agent/10.1 weekly scan`, `path */owa/auth/custom-banner.aspx our branding page`,
//! `rule iis-web/iis-webshell-aspnet-client the ASP.NET client folder is served by design`.

use super::like::like;
pub use crate::model::{AllowEntry as Entry, AllowKind as Kind};
use crate::model::{Finding, Severity, client_of};
use std::net::IpAddr;

fn parse_cidr(v: &str) -> Option<(IpAddr, u8)> {
    let (a, n) = v.split_once('/')?;
    let ip: IpAddr = a.parse().ok()?;
    let n: u8 = n.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (n <= max).then_some((ip, n))
}

fn in_cidr(ip: IpAddr, (net, n): (IpAddr, u8)) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if n == 0 { 0 } else { u32::MAX << (32 - n) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if n == 0 { 0 } else { u128::MAX << (128 - n) };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// Parses an allow file; every mistake names its `file:line`.
pub fn parse(text: &str, shown: &str) -> Result<Vec<Entry>, Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let at = format!("{shown}:{}", n + 1);
        let mut parts = l.splitn(3, char::is_whitespace);
        let (kind, value, reason) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default().trim(),
            parts.next().unwrap_or_default().trim(),
        );
        let kind = match kind.to_ascii_lowercase().as_str() {
            "ip" => Kind::Ip,
            "ua" => Kind::Ua,
            "path" => Kind::Path,
            "rule" => Kind::Rule,
            other => {
                errors.push(format!(
                    "{at}: {other:?}: not a kind of entry (ip, ua, path or rule)"
                ));
                continue;
            }
        };
        if value.is_empty() || reason.is_empty() {
            errors.push(format!(
                "{at}: an entry is KIND VALUE REASON: the reason is what makes a suppression auditable"
            ));
            continue;
        }
        if kind == Kind::Ip && value.parse::<IpAddr>().is_err() && parse_cidr(value).is_none() {
            errors.push(format!("{at}: {value:?}: not an IP address or CIDR range"));
            continue;
        }
        // a user agent may hold spaces: with `ua`, a tab ends the value if there is one
        let (value, reason) = match (kind, l.split('\t').collect::<Vec<_>>().as_slice()) {
            (Kind::Ua, [_, v, r, ..]) => (v.trim().to_string(), r.trim().to_string()),
            _ => (value.to_string(), reason.to_string()),
        };
        out.push(Entry {
            at,
            kind,
            value,
            reason,
            suppressed: 0,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Whether `e` matches `f`.
pub fn matches(e: &Entry, f: &Finding) -> bool {
    match e.kind {
        Kind::Ip => client_of(f)
            .and_then(|c| c.trim().parse::<IpAddr>().ok())
            .is_some_and(|ip| match parse_cidr(&e.value) {
                Some(net) => in_cidr(ip, net),
                None => e.value.parse::<IpAddr>().is_ok_and(|v| v == ip),
            }),
        Kind::Ua => ["UserAgent", "cs(User-Agent)"]
            .iter()
            .filter_map(|k| f.field(k))
            .any(|ua| {
                use crate::sources::request::normalize_ua;
                normalize_ua(ua) == normalize_ua(&e.value)
            }),
        Kind::Path => {
            let p = e.value.replace('\\', "/");
            std::iter::once(f.source.path.as_str())
                .chain(
                    ["Path", "TargetFilename", "cs-uri-stem", "UrlStem"]
                        .iter()
                        .filter_map(|k| f.field(k)),
                )
                .any(|v| like(&v.replace('\\', "/"), &p))
        }
        Kind::Rule => {
            let id = format!("{}/{}", f.check, f.rule);
            e.value == id || e.value == f.rule || e.value == f.check
        }
    }
}

/// Lowers every finding an entry matches to `info`, marking it with the first such entry; counts
/// what each entry suppressed. Returns how many findings were suppressed.
pub fn apply(entries: &mut [Entry], findings: &mut [Finding]) -> usize {
    let mut n = 0;
    for f in findings.iter_mut() {
        if f.field("Allowed").is_some() {
            continue;
        }
        if let Some(e) = entries.iter_mut().find(|e| matches(e, f)) {
            e.suppressed += 1;
            n += 1;
            f.fields.push(
                "Allowed",
                &format!("{} ({}; was {})", e.reason, e.at, f.severity.as_str()),
            );
            f.severity = Severity::Info;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Class, Evidence, Fields};

    fn f(fields: Vec<(&str, &str)>) -> Finding {
        Finding {
            check: "cve-2021-26855",
            rule: "localhost-self-check",
            cve: "",
            title: String::new(),
            class: Class::Attempt,
            severity: Severity::High,
            time: None,
            source: Evidence {
                path: "Logging/HttpProxy/Owa/x.LOG".into(),
                ..Default::default()
            },
            raw: String::new(),
            fields: Fields::from(fields),
            why: String::new(),
        }
    }

    #[test]
    fn entries_match_their_kind_and_mark_what_they_lower() {
        let text = "# ours\nip 192.0.2.10 the weekly scanner\nip 10.1.0.0/16 admin network\nua\tNessus Agent/10\tour scanner\npath */Owa/* owa\nrule iis-web/x by design\n";
        let mut e = parse(text, "allow.txt").unwrap();
        assert_eq!(e.len(), 5);
        assert_eq!(e[2].value, "Nessus Agent/10");
        assert!(matches(&e[0], &f(vec![("ClientIPAddress", "192.0.2.10")])));
        assert!(!matches(&e[0], &f(vec![("ClientIPAddress", "192.0.2.11")])));
        assert!(matches(&e[1], &f(vec![("c-ip", "10.1.200.3")])));
        assert!(!matches(&e[1], &f(vec![("c-ip", "10.2.0.1")])));
        assert!(matches(&e[2], &f(vec![("UserAgent", "nessus+agent/10")])));
        assert!(matches(&e[3], &f(vec![])), "the evidence path");
        assert!(!matches(&e[4], &f(vec![])));
        let mut fs = vec![
            f(vec![("c-ip", "192.0.2.10")]),
            f(vec![("c-ip", "203.0.113.5")]),
        ];
        fs[1].source.path = "elsewhere.log".into();
        assert_eq!(apply(&mut e[..1], &mut fs), 1);
        assert_eq!(fs[0].severity, Severity::Info);
        assert!(
            fs[0]
                .field("Allowed")
                .unwrap()
                .contains("the weekly scanner (allow.txt:2; was high)")
        );
        assert_eq!(fs[1].severity, Severity::High);
        assert_eq!(e[0].suppressed, 1);
    }

    #[test]
    fn mistakes_name_their_line() {
        let err = parse("ip 192.0.2.300 typo\nhost x y\nrule only-a-rule\n", "a.txt").unwrap_err();
        assert_eq!(err.len(), 3);
        assert!(err[0].starts_with("a.txt:1:") && err[0].contains("not an IP address"));
        assert!(err[1].starts_with("a.txt:2:") && err[1].contains("not a kind"));
        assert!(err[2].starts_with("a.txt:3:") && err[2].contains("reason"));
    }
}
