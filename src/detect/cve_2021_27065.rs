//! CVE-2021-27065 (arbitrary file write through ECP virtual-directory settings).
//!
//! Two traces: (1) the ECP server log records `Set-*VirtualDirectory` with markup or script in a
//! `*Url` parameter (EventData decoded, not the raw line regexed); (2) HttpProxy records whose
//! `AnchorMailbox` (`ServerInfo~...`) or `BackEndCookie` (`Server~...`) asks the back end for
//! `Reset*VirtualDirectory`, the step that writes the file. Test-ProxyLogon required a trailing
//! `#` and status 200; exhunt accepts any form and grades by status.

use super::cve_2021_26855::httpproxy_fields;
use super::like::like;
use super::{At, Check, CheckInfo, Ctx, Draft, Record};
use crate::model::{Class, Finding, Severity, Timestamp};
use crate::sources::SourceKind;
use crate::sources::ecp::{EcpRecord, parse_cmd};
use crate::sources::httpproxy::Col;
use regex::Regex;
use std::sync::LazyLock;

pub struct Cve202127065;

pub static INFO: CheckInfo = CheckInfo {
    id: "cve-2021-27065",
    cve: "CVE-2021-27065",
    title: "CVE-2021-27065 file write through ECP virtual-directory settings",
    sources: &[SourceKind::HttpProxy, SourceKind::EcpServer],
    coverage: &["HttpProxy/Ecp", "ECP/Server"],
    // In HttpProxy logs a reset request is always an SSRF request, so the SSRF literals suffice.
    literals: &[
        (SourceKind::HttpProxy, &["ServerInfo~", "Server~"]),
        (SourceKind::EcpServer, &["VirtualDirectory"]),
    ],
    client_addresses: false,
    required: true,
};

static RESET_VDIR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)Reset\w*VirtualDirectory").expect("valid regex"));
static SET_VDIR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^Set-\w*VirtualDirectory$").expect("valid regex"));
/// Markup in a value: a tag opening (`<script`, `<%`, `</x`, `<!`).
static MARKUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<\s*[A-Za-z%!/]").expect("valid regex"));
/// Test-ProxyLogon's raw-line regex, used only when `EventData` cannot be decoded.
static TPL_RAW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)Set-.+VirtualDirectory.+?Url.+<\w+.*>(.*?)</\w+>.+?VirtualDirectory")
        .expect("valid regex")
});

impl Check for Cve202127065 {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, _ctx: &Ctx, out: &mut Vec<Finding>) {
        match rec {
            Record::HttpProxy(r) => {
                let anchor = r.get(Col::AnchorMailbox);
                let cookie = r.get(Col::BackEndCookie);
                let query = r.get(Col::UrlQuery);
                let ssrf_anchor = like(&anchor, "ServerInfo~*/*");
                let ssrf_cookie = like(&cookie, "Server~*/*~*");
                let asks_reset = (ssrf_anchor && RESET_VDIR.is_match(&anchor))
                    || (like(&cookie, "Server~*") && RESET_VDIR.is_match(&cookie))
                    || ((ssrf_anchor || ssrf_cookie) && RESET_VDIR.is_match(&query));
                if !asks_reset {
                    return;
                }
                let status = r.get(Col::HttpStatus).trim().to_string();
                let ok = status == "200";
                out.push(
                    Draft {
                        rule: "reset-vdir-ssrf",
                        cve: "",
                        title: format!("CVE-2021-27065: virtual-directory reset requested through SSRF (status {status})"),
                        class: if ok { Class::PostExploitation } else { Class::Attempt },
                        severity: if ok { Severity::Critical } else { Severity::Medium },
                        time: r.bytes(Col::DateTime).and_then(Timestamp::parse_leading),
                        fields: httpproxy_fields(r),
                        why: if ok {
                            "Resetting a virtual directory whose URL holds script writes that script to a file of the attacker's choice: a webshell was very probably written. Find the path in the ECP server log or the OAB folder.".into()
                        } else {
                            "An unauthenticated reset of a virtual directory was attempted (the file-write step of ProxyLogon) but was not answered with 200.".into()
                        },
                    }
                    .at(&INFO, at),
                );
            }
            Record::Ecp(e) => inspect_ecp(e, at, out),
            _ => {}
        }
    }
}

fn inspect_ecp(e: &EcpRecord, at: &At<'_>, out: &mut Vec<Finding>) {
    let base_fields = |extra: Vec<(String, String)>| {
        let mut f = vec![
            ("ServerName".to_string(), e.server.clone()),
            ("EventId".to_string(), e.event_id.clone()),
        ];
        for k in ["S:CMD", "S:URL", "S:SID", "S:BLD", "S:ACTID", "S:REQID"] {
            if let Some(v) = e.get(k) {
                f.push((k.trim_start_matches("S:").to_string(), v.to_string()));
            }
        }
        f.extend(extra);
        f
    };
    if let Some(cmd) = e.get("S:CMD") {
        let c = parse_cmd(cmd);
        if SET_VDIR.is_match(&c.cmdlet) {
            for (name, value) in &c.params {
                if name.to_ascii_lowercase().ends_with("url") && MARKUP.is_match(value) {
                    out.push(
                        Draft {
                            rule: "set-vdir-url-markup",
                            cve: "",
                            title: format!("CVE-2021-27065: {} put markup into -{name}", c.cmdlet),
                            class: Class::PostExploitation,
                            severity: Severity::Critical,
                            time: e.time,
                            fields: base_fields(vec![
                                ("Cmdlet".into(), c.cmdlet.clone()),
                                ("Parameter".into(), name.clone()),
                                ("Value".into(), value.clone()),
                            ]),
                            why: "A virtual-directory URL carrying script is the webshell payload of CVE-2021-27065; a following reset of that directory writes it to disk.".into(),
                        }
                        .at(&INFO, at),
                    );
                }
            }
            return;
        }
        if !c.cmdlet.is_empty() && !c.cmdlet.contains('<') {
            return; // a decoded, unrelated cmdlet
        }
    }
    // EventData could not be decoded into a cmdlet: fall back to Test-ProxyLogon's raw regex.
    let raw = String::from_utf8_lossy(at.raw);
    if TPL_RAW.is_match(&raw) {
        out.push(
            Draft {
                rule: "set-vdir-url-markup-raw",
                cve: "",
                title: "CVE-2021-27065: Set-*VirtualDirectory with markup in a URL (undecoded line)".into(),
                class: Class::PostExploitation,
                severity: Severity::High,
                time: e.time,
                fields: base_fields(vec![]),
                why: "The line matches Test-ProxyLogon's 27065 pattern but its EventData could not be decoded; read the raw line.".into(),
            }
            .at(&INFO, at),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::ecp::parse_line;
    use crate::sources::httpproxy::{Header, Record as Hp};

    fn ecp(line: &str) -> Vec<Finding> {
        let e = parse_line(line.as_bytes()).unwrap();
        let at = At {
            path: "ECPServer.LOG",
            line: Some(5),
            offset: Some(0),
            record_id: None,
            raw: line.as_bytes(),
            protocol: None,
        };
        let mut out = Vec::new();
        Cve202127065.inspect(&Record::Ecp(&e), &at, &Ctx::default(), &mut out);
        out
    }

    fn hp(anchor: &str, cookie: &str, query: &str, status: &str) -> Vec<Finding> {
        let h = Header::parse(b"DateTime,AnchorMailbox,BackEndCookie,UrlQuery,HttpStatus").unwrap();
        let line = format!("2021-02-11T04:31:00.000Z,{anchor},{cookie},{query},{status}");
        let r = Hp::parse(&h, line.as_bytes()).unwrap();
        let at = At {
            path: "HttpProxy.LOG",
            line: Some(2),
            offset: Some(0),
            record_id: None,
            raw: line.as_bytes(),
            protocol: None,
        };
        let mut out = Vec::new();
        Cve202127065.inspect(&Record::HttpProxy(&r), &at, &Ctx::default(), &mut out);
        out
    }

    #[test]
    fn script_in_external_url() {
        let l = r#"2021-02-11T04:30:58.214Z,EX01,ECP.Request,"S:TIME=402;'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://k/<script language=""JScript"" runat=""server"">function Page_Load(){Response.Write(""exhunt-test-zq7w"");}</script>''.Identity=''5d0c''';S:BLD=15.1.2106.2""#;
        let f = ecp(l);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].field("Parameter"), Some("ExternalUrl"));
        assert!(
            f[0].field("Value")
                .unwrap()
                .contains("Response.Write(\"exhunt-test-zq7w\")")
        );
    }

    #[test]
    fn admin_setting_plain_url_stays_quiet() {
        assert!(ecp("2024-05-14T09:02:11.532Z,EX01,ECP.Request,S:TIME=18;S:CMD=Set-OwaVirtualDirectory.ExternalUrl='https://mail.contoso.com/owa'.Identity='EX01\\owa (Default Web Site)';S:BLD=15.2.986.5").is_empty());
        assert!(ecp("2024-05-14T09:02:11.532Z,EX01,ECP.Request,S:TIME=18;S:CMD=Get-OabVirtualDirectory;S:BLD=15.2.986.5").is_empty());
        assert!(ecp("2024-05-14T09:02:11.532Z,EX01,ECP.Request,S:CMD=Set-Mailbox.Notes='<b>hi</b> VirtualDirectory'").is_empty());
    }

    #[test]
    fn reset_vdir_with_and_without_hash() {
        let f = hp(
            "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#",
            "",
            "",
            "200",
        );
        assert_eq!(
            (f[0].class, f[0].severity),
            (Class::PostExploitation, Severity::Critical)
        );
        let f = hp(
            "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory",
            "",
            "",
            "500",
        );
        assert_eq!(f[0].class, Class::Attempt);
        let f = hp(
            "Sid~x",
            "Server~ex01:444/ecp/DDI/DDIService.svc/SetObject~1",
            "schema=ResetOABVirtualDirectory",
            "200",
        );
        assert_eq!(f.len(), 1);
        assert!(
            hp(
                "Smtp~admin@contoso.com",
                "",
                "schema=ResetOABVirtualDirectory&msExchEcpCanary=x",
                "200"
            )
            .is_empty(),
            "an admin's own reset is not SSRF"
        );
    }
}
