//! CVE-2021-26855 (ProxyLogon SSRF), from HttpProxy logs.
//!
//! Test-ProxyLogon's rule: `AnchorMailbox -like 'ServerInfo~*/*'`, neither `ServerInfo~*/autodiscover*`
//! nor `ServerInfo~localhost*/*`. exhunt adds Microsoft's revised `BackEndCookie -like 'Server~*/*~*'`
//! and, instead of dropping them, reports autodiscover-only requests as attempts and the localhost
//! self-check (Microsoft's nmap script) as scanner noise.

use super::like::like;
use super::{At, Check, CheckInfo, Ctx, Draft, Record};
use crate::model::{Class, Finding, Severity, Timestamp};
use crate::sources::SourceKind;
use crate::sources::httpproxy::{Col, Record as Hp, TPL_COLUMNS};

pub struct Cve202126855;

pub static INFO: CheckInfo = CheckInfo {
    id: "cve-2021-26855",
    cve: "CVE-2021-26855",
    title: "CVE-2021-26855 server-side request forgery (HttpProxy)",
    sources: &[SourceKind::HttpProxy],
    coverage: &["HttpProxy/"],
    literals: &[(SourceKind::HttpProxy, &["ServerInfo~", "Server~"])],
    client_addresses: false,
    required: true,
};

/// The fields every HttpProxy finding carries: TPL's nine columns, then more context.
pub fn httpproxy_fields(r: &Hp<'_>) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = TPL_COLUMNS
        .iter()
        .map(|(n, c)| (n.to_string(), r.get(*c).into_owned()))
        .collect();
    for (n, c) in [
        ("BackEndCookie", Col::BackEndCookie),
        ("Method", Col::Method),
        ("Protocol", Col::Protocol),
        ("AuthenticatedUser", Col::AuthenticatedUser),
        ("ServerHostName", Col::ServerHostName),
        ("TargetServer", Col::TargetServer),
        ("UrlQuery", Col::UrlQuery),
    ] {
        f.push((n.to_string(), r.get(c).into_owned()));
    }
    if let Some(b) = r.build() {
        f.push(("Build".into(), b));
    }
    f
}

/// The back-end target an SSRF anchor asks for: what follows `ServerInfo~` (or `Server~`).
fn target(value: &str) -> &str {
    value.split_once('~').map_or(value, |(_, t)| t)
}

impl Check for Cve202126855 {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, _ctx: &Ctx, out: &mut Vec<Finding>) {
        let Record::HttpProxy(r) = rec else { return };
        let anchor = r.get(Col::AnchorMailbox);
        let cookie = r.get(Col::BackEndCookie);
        let status = r.get(Col::HttpStatus);
        let time = r.bytes(Col::DateTime).and_then(Timestamp::parse_leading);
        let anchor_hit = like(&anchor, "ServerInfo~*/*");
        let cookie_hit = like(&cookie, "Server~*/*~*");
        if !anchor_hit && !cookie_hit {
            return;
        }
        let (probe, rule_value) = if anchor_hit {
            (anchor.as_ref(), "AnchorMailbox")
        } else {
            (cookie.as_ref(), "BackEndCookie")
        };
        let tgt = target(probe);
        let localhost =
            like(probe, "ServerInfo~localhost*/*") || like(probe, "Server~localhost*/*");
        let autodiscover =
            like(probe, "ServerInfo~*/autodiscover*") || like(probe, "Server~*/autodiscover*");
        let d = if localhost {
            Draft {
                rule: "localhost-self-check",
                cve: "",
                title: format!("CVE-2021-26855 scanner self-check ({rule_value} {tgt})"),
                class: Class::Scanner,
                severity: Severity::Low,
                time,
                fields: httpproxy_fields(r),
                why: "Shape of Microsoft's nmap vulnerability check (localhost target): shows the server was probed (and perhaps vulnerable), not that it was exploited.".into(),
            }
        } else if autodiscover {
            Draft {
                rule: "autodiscover-only",
                cve: "",
                title: format!("CVE-2021-26855 exploitation attempt via autodiscover (status {status})"),
                class: Class::Attempt,
                severity: Severity::Medium,
                time,
                fields: httpproxy_fields(r),
                why: "First step of the ProxyLogon chain (autodiscover to learn a mailbox's LegacyDN); without later non-autodiscover requests the attacker probably had no valid mailbox.".into(),
            }
        } else {
            let session =
                status.trim() == "241" || tgt.to_ascii_lowercase().contains("proxylogon.ecp");
            Draft {
                rule: if anchor_hit {
                    "anchor-mailbox-ssrf"
                } else {
                    "backend-cookie-ssrf"
                },
                cve: "",
                title: format!("CVE-2021-26855 SSRF request proxied to {tgt} (status {status})"),
                class: Class::Exploitation,
                severity: if session {
                    Severity::Critical
                } else {
                    Severity::High
                },
                time,
                fields: httpproxy_fields(r),
                why: if session {
                    "The front end proxied an attacker-chosen back-end URL and an ECP session was obtained (241 / proxyLogon.ecp): the authentication bypass succeeded.".into()
                } else {
                    format!(
                        "The front end proxied a request to an attacker-chosen back-end URL ({rule_value}): the ProxyLogon authentication bypass was used against this server."
                    )
                },
            }
        };
        out.push(d.at(&INFO, at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::httpproxy::Header;

    fn run(anchor: &str, cookie: &str, status: &str) -> Vec<Finding> {
        let h =
            Header::parse(b"DateTime,RequestId,AnchorMailbox,BackEndCookie,HttpStatus").unwrap();
        let line = format!("2021-02-11T04:29:44.908Z,r1,{anchor},{cookie},{status}");
        let r = Hp::parse(&h, line.as_bytes()).unwrap();
        let at = At {
            path: "x.log",
            line: Some(3),
            offset: Some(10),
            record_id: None,
            raw: line.as_bytes(),
            protocol: None,
        };
        let mut out = Vec::new();
        Cve202126855.inspect(&Record::HttpProxy(&r), &at, &Ctx::default(), &mut out);
        out
    }

    #[test]
    fn ssrf_anchor_and_cookie_forms() {
        let f = run(
            "ServerInfo~zz]@ex01.contoso.local:444/ecp/proxyLogon.ecp?#",
            "",
            "241",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].rule, f[0].class, f[0].severity),
            (
                "anchor-mailbox-ssrf",
                Class::Exploitation,
                Severity::Critical
            )
        );
        assert_eq!(f[0].source.line, Some(3));
        let f = run("serverinfo~a]@ex01:444/mapi/emsmdb/?#", "", "200");
        assert_eq!(f[0].severity, Severity::High);
        let f = run(
            "Sid~S-1-5-21-1",
            "Server~ex01.contoso.local:444/ecp/y.ecp~1942062522",
            "200",
        );
        assert_eq!(f[0].rule, "backend-cookie-ssrf");
    }

    #[test]
    fn autodiscover_and_localhost_are_classified_not_dropped() {
        let f = run(
            "ServerInfo~a]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#",
            "",
            "200",
        );
        assert_eq!(
            (f[0].rule, f[0].class),
            ("autodiscover-only", Class::Attempt)
        );
        let f = run("ServerInfo~localhost/owa/auth/logon.aspx?", "", "200");
        assert_eq!(
            (f[0].rule, f[0].class),
            ("localhost-self-check", Class::Scanner)
        );
    }

    #[test]
    fn benign_lookalikes_stay_quiet() {
        assert!(run("Smtp~jdoe@contoso.com", "", "200").is_empty());
        assert!(run("ServerInfo~EX01.contoso.local", "", "200").is_empty());
        assert!(run("Sid~S-1", "Server~EX02.contoso.local~1942062522", "200").is_empty());
        assert!(run("ServerVersion~15.1.2106.2", "", "200").is_empty());
    }
}
