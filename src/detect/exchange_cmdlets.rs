//! Exchange cmdlets of ProxyShell's post-exploitation and of persistence, from the
//! `MSExchange Management` event log (provider `MSExchange CmdletLogs`; event 1 = the cmdlet
//! succeeded, 6 = it failed).
//!
//! EventData is positional (real layout in `tests/fixtures/public/evtx/`): `Data[0]` cmdlet,
//! `Data[1]` parameters as typed, `Data[2]` caller, `Data[5]` origin (`Remote-PowerShell-Unknown`,
//! `Remote-ManagementShell-Unknown`), `Data[6]` `<pid> w3wp#<app pool>`, then duration, scope and
//! the error text of a failure (its index varies between builds, so it is found by content).
//! Quotes in `Data[1]` vary (`'…'`, `"…"`) and nested ones are logged unescaped, so parameters are
//! never parsed as an argument list: the rules of `rules/exchange_cmdlets.tsv` match
//! quote-agnostically, either on `Data[1]` as a whole or on one parameter's value taken by
//! [`param_value`]. A failed cmdlet (event 6) whose rule describes an action that did not happen is
//! reported as an attempt.
//!
//! Optional check (`required: false`): triage collections often lack this log, and its absence
//! shows as `no-data` here without making the verdict inconclusive.

use super::like::like;
use super::table::Table;
use super::{At, Check, CheckInfo, Ctx, Draft, Record};
use crate::model::{Class, Finding, Severity};
use crate::sources::SourceKind;
use crate::sources::evtx::EvtxEvent;
use regex::Regex;
use std::sync::LazyLock;

pub struct ExchangeCmdlets;

pub const ID: &str = "exchange-cmdlets";

pub static INFO: CheckInfo = CheckInfo {
    id: ID,
    cve: "",
    title: "ProxyShell and persistence cmdlets (MSExchange Management event log)",
    sources: &[SourceKind::Evtx],
    coverage: &["EVTX/MSExchange Management"],
    literals: &[(
        SourceKind::Evtx,
        &[
            "MailboxExportRequest",
            "New-ManagementRoleAssignment",
            "New-ExchangeCertificate",
            "VirtualDirectory",
            "TransportAgent",
            "Get-App",
        ],
    )],
    client_addresses: false,
    required: false,
};

static TABLE_TEXT: &str = crate::rules::EXCHANGE_CMDLETS;

/// Where a rule's pattern is searched.
#[derive(Debug)]
enum Scope {
    /// `Data[1]` as logged.
    Params,
    /// Every data string.
    All,
    /// The value of one parameter (name without the dash).
    Param(&'static str),
}

#[derive(Debug)]
struct Rule {
    id: &'static str,
    cmdlet: &'static str,
    /// Event ids it applies to; empty = any.
    events: Vec<u32>,
    scope: Scope,
    pattern: Option<Regex>,
    fail_is_attempt: bool,
    class: Class,
    severity: Severity,
    cve: &'static str,
    title: &'static str,
    why: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let t = Table::parse("exchange_cmdlets.tsv", TABLE_TEXT);
    t.rows()
        .map(|r| {
            let bad =
                |what: &str| -> ! { panic!("exchange_cmdlets.tsv line {}: bad {what}", r.line) };
            let g = r.graded("exchange_cmdlets.tsv");
            let scope = match r.get("scope") {
                "params" => Scope::Params,
                "all" => Scope::All,
                s if s.starts_with('-') && s.len() > 1 => Scope::Param(&s[1..]),
                _ => bad("scope"),
            };
            let events = match r.get("events") {
                "*" | "" => Vec::new(),
                list => list
                    .split(',')
                    .map(|e| e.trim().parse::<u32>().unwrap_or_else(|_| bad("events")))
                    .collect(),
            };
            let pattern = match r.get("pattern") {
                "" => None,
                p => Some(Regex::new(&format!("(?i){p}")).unwrap_or_else(|_| bad("pattern"))),
            };
            Rule {
                id: r.get("rule"),
                cmdlet: r.get("cmdlet"),
                events,
                scope,
                pattern,
                fail_is_attempt: match r.get("on_fail") {
                    "attempt" => true,
                    "same" => false,
                    _ => bad("on_fail"),
                },
                class: g.class,
                severity: g.severity,
                cve: g.cve,
                title: r.get("title"),
                why: r.get("why"),
            }
        })
        .collect()
});

/// The value of parameter `-name` in a logged parameter string, quotes removed, or `None` when the
/// parameter is absent. A quoted value ends at the first matching quote that is followed by the
/// end or by the next `-Parameter`, so nested unescaped quotes (`'Subject -eq 'x''`) stay inside.
pub fn param_value(params: &str, name: &str) -> Option<String> {
    let lower = params.to_ascii_lowercase();
    let needle = format!("-{}", name.to_ascii_lowercase());
    let b = params.as_bytes();
    let mut from = 0;
    let start = loop {
        let i = from + lower[from..].find(&needle)?;
        let end = i + needle.len();
        let before_ok = i == 0 || b[i - 1].is_ascii_whitespace();
        let after_ok = end == b.len() || b[end].is_ascii_whitespace() || b[end] == b':';
        if before_ok && after_ok {
            break end;
        }
        from = end;
    };
    let rest = params[start..].trim_start_matches(|c: char| c.is_whitespace() || c == ':');
    let next_param = |s: &str| -> bool {
        let t = s.trim_start();
        t.len() < s.len() && {
            let mut ch = t.chars();
            ch.next() == Some('-') && ch.next().is_some_and(|c| c.is_ascii_alphabetic())
        }
    };
    let value = match rest.chars().next() {
        Some(q @ ('\'' | '"')) => {
            let body = &rest[1..];
            let mut end = None;
            for (i, c) in body.char_indices() {
                if c == q {
                    let after = &body[i + 1..];
                    if after.trim().is_empty() || next_param(after) {
                        end = Some(i);
                        break;
                    }
                }
            }
            return Some(body[..end.unwrap_or(body.len())].trim().to_string());
        }
        _ => {
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                if c.is_whitespace() && next_param(&rest[i..]) {
                    end = i;
                    break;
                }
            }
            &rest[..end]
        }
    };
    Some(value.trim().trim_matches(['\'', '"']).to_string())
}

fn shorten(s: &str, n: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// True for an event of the Exchange cmdlet log (by provider, or by channel for odd exports).
fn is_cmdlet_log(e: &EvtxEvent) -> bool {
    e.provider.eq_ignore_ascii_case("MSExchange CmdletLogs")
        || e.channel.eq_ignore_ascii_case("MSExchange Management")
}

impl Check for ExchangeCmdlets {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn fold_file(&self) -> Option<Box<dyn super::FileFold>> {
        Some(Box::new(super::vdir_reset::VdirReset::default()))
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, _ctx: &Ctx, out: &mut Vec<Finding>) {
        let Record::Evtx(e) = rec else { return };
        if !is_cmdlet_log(e) {
            return;
        }
        let Some(cmdlet) = e.data.first().map(|c| c.trim()).filter(|c| !c.is_empty()) else {
            return;
        };
        let params = e.data.get(1).map(String::as_str).unwrap_or_default();
        for rule in RULES.iter() {
            if !like(cmdlet, rule.cmdlet)
                || (!rule.events.is_empty() && !rule.events.contains(&e.event_id))
            {
                continue;
            }
            let scope_text = match rule.scope {
                Scope::Params => params.to_string(),
                Scope::All => e.all_data().collect::<Vec<_>>().join("\n"),
                Scope::Param(name) => match param_value(params, name) {
                    Some(v) => v,
                    None => continue,
                },
            };
            if rule
                .pattern
                .as_ref()
                .is_some_and(|p| !p.is_match(&scope_text))
            {
                continue;
            }
            out.push(draft(rule, e, cmdlet, params, &scope_text).at(&INFO, at));
            return;
        }
    }
}

fn draft(rule: &Rule, e: &EvtxEvent, cmdlet: &str, params: &str, scope_text: &str) -> Draft {
    let failed = e.event_id == 6;
    let outcome = match e.event_id {
        1 => "succeeded".to_string(),
        6 => "failed".to_string(),
        n => format!("event {n}"),
    };
    let (mut class, mut severity) = (rule.class, rule.severity);
    if failed
        && rule.fail_is_attempt
        && matches!(class, Class::Exploitation | Class::PostExploitation)
    {
        class = Class::Attempt;
        severity = severity.min(Severity::High);
    }
    let title = format!(
        "{} (cmdlet {outcome})",
        rule.title
            .replace("{cmdlet}", cmdlet)
            .replace("{value}", &shorten(scope_text, 160))
    );
    let data = |i: usize| e.data.get(i).cloned().unwrap_or_default();
    let mut fields = vec![
        ("Cmdlet".to_string(), cmdlet.to_string()),
        ("Parameters".to_string(), params.to_string()),
        ("Outcome".to_string(), outcome),
        ("Caller".to_string(), data(2)),
        ("Origin".to_string(), data(5)),
        ("Process".to_string(), data(6)),
    ];
    if let Scope::Param(name) = rule.scope {
        fields.push((name.to_string(), scope_text.to_string()));
    }
    if let Some(err) = e.data.iter().skip(7).find(|d| d.contains("Exception")) {
        fields.push((
            "Error".to_string(),
            err.lines().next().unwrap_or_default().to_string(),
        ));
    }
    fields.extend([
        ("Provider".to_string(), e.provider.clone()),
        ("EventId".to_string(), e.event_id.to_string()),
        ("Channel".to_string(), e.channel.clone()),
        ("Computer".to_string(), e.computer.clone()),
        ("RecordId".to_string(), e.record_id.to_string()),
    ]);
    let why = if failed && class == Class::Attempt {
        format!(
            "{} The cmdlet failed, so the action did not happen; whoever ran it had Exchange management access.",
            rule.why
        )
    } else {
        rule.why.to_string()
    };
    Draft {
        rule: rule.id,
        cve: rule.cve,
        title,
        class,
        severity,
        time: e.time,
        fields,
        why,
    }
}

/// The table's rules, for `exhunt rules`.
pub fn catalog() -> Vec<crate::model::catalog::RuleEntry> {
    RULES
        .iter()
        .map(|r| crate::model::catalog::RuleEntry {
            check: ID,
            id: r.id.to_string(),
            cve: r.cve.to_string(),
            class: r.class,
            severity: r.severity,
            title: r.title.to_string(),
            why: r.why.to_string(),
            table: "rules/exchange_cmdlets.tsv",
            tests: match &r.pattern {
                Some(p) => format!(
                    "{} (events {:?}) matching {}",
                    r.cmdlet,
                    r.events,
                    p.as_str()
                ),
                None => format!("{} (events {:?})", r.cmdlet, r.events),
            },
            refs: String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ev(event_id: u32, data: &[&str]) -> EvtxEvent {
        EvtxEvent {
            provider: "MSExchange CmdletLogs".into(),
            channel: "MSExchange Management".into(),
            event_id,
            level: if event_id == 6 { 2 } else { 4 },
            data: data.iter().map(|s| s.to_string()).collect(),
            record_id: 7,
            ..Default::default()
        }
    }

    fn run(e: &EvtxEvent) -> Vec<Finding> {
        let at = At {
            path: "MSExchange Management.evtx",
            line: None,
            offset: None,
            record_id: Some(e.record_id),
            raw: b"{}",
            protocol: None,
        };
        let mut out = Vec::new();
        ExchangeCmdlets.inspect(&Record::Evtx(e), &at, &Ctx::default(), &mut out);
        out
    }

    fn one(event_id: u32, cmdlet: &str, params: &str) -> Option<Finding> {
        let e = ev(
            event_id,
            &[
                cmdlet,
                params,
                "contoso.local/Users/svc-scan",
                "S-1-5-21-1",
                "S-1-5-21-1",
                "Remote-PowerShell-Unknown",
                "6120 w3wp#MSExchangePowerShellAppPool",
            ],
        );
        let mut f = run(&e);
        assert!(f.len() <= 1);
        f.pop()
    }

    fn rule_of(f: &Option<Finding>) -> Option<&'static str> {
        f.as_ref().map(|f| f.rule)
    }

    #[test]
    fn table_loads_and_rule_ids_are_unique() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "{ids:?}");
        assert!(ids.len() >= 9);
    }

    #[test]
    fn param_values_are_taken_quote_agnostically() {
        let p = "-Mailbox 'svc-scan@contoso.com' -FilePath '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\mvq4tz.aspx' -IncludeFolders ('#Drafts#') -ContentFilter 'Subject -eq 'mvq4tz''";
        assert_eq!(
            param_value(p, "FilePath").unwrap(),
            "\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\mvq4tz.aspx"
        );
        assert_eq!(
            param_value(p, "contentfilter").unwrap(),
            "Subject -eq 'mvq4tz'"
        );
        assert_eq!(param_value(p, "Mailbox").unwrap(), "svc-scan@contoso.com");
        assert_eq!(
            param_value(
                "-Name \"Evil\" -AssemblyPath \".\\NetshHelperBeacon.dll\"",
                "AssemblyPath"
            )
            .unwrap(),
            ".\\NetshHelperBeacon.dll"
        );
        assert_eq!(
            param_value("-FilePath:\\\\fs01\\pst\\a b.pst -Mailbox x", "FilePath").unwrap(),
            "\\\\fs01\\pst\\a b.pst"
        );
        assert_eq!(param_value("-FilePathX 'a'", "FilePath"), None);
        assert_eq!(param_value("-Mailbox x", "FilePath"), None);
        assert_eq!(param_value("-FilePath", "FilePath").unwrap(), "");
        assert_eq!(
            param_value("-FilePath \"unterminated", "FilePath").unwrap(),
            "unterminated"
        );
    }

    #[test]
    fn mailbox_export_to_web_and_lookalikes() {
        // the field guide's synthetic ProxyShell event
        let f = one(1, "New-MailboxExportRequest", "-Mailbox 'svc-scan@contoso.com' -FilePath '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\mvq4tz.aspx' -IncludeFolders ('#Drafts#') -ContentFilter 'Subject -eq 'mvq4tz''").unwrap();
        assert_eq!(f.rule, "mailbox-export-to-web");
        assert_eq!(
            (f.class, f.severity),
            (Class::PostExploitation, Severity::Critical)
        );
        assert_eq!(f.cve, "CVE-2021-31207");
        assert_eq!(f.field("Caller"), Some("contoso.local/Users/svc-scan"));
        assert!(f.field("FilePath").unwrap().ends_with("mvq4tz.aspx"));
        for p in [
            "-Mailbox \"a\" -FilePath \"\\\\127.0.0.1\\C$\\x\\y.pst\"",
            "-FilePath \\\\EX01\\c$\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.pst -Mailbox a",
            "-FilePath 'D:\\pst\\a.ASPX'",
        ] {
            assert_eq!(
                rule_of(&one(1, "new-mailboxexportrequest", p)),
                Some("mailbox-export-to-web"),
                "{p}"
            );
        }
        // failed: an attempt
        let f = one(
            6,
            "New-MailboxExportRequest",
            "-FilePath '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\a.aspx'",
        )
        .unwrap();
        assert_eq!((f.class, f.severity), (Class::Attempt, Severity::High));
        assert!(f.title.ends_with("(cmdlet failed)"));
        // an administrator's export to a file share: info only
        let f = one(
            1,
            "New-MailboxExportRequest",
            "-Mailbox 'jdoe' -FilePath '\\\\fs01\\PSTExports\\jdoe.pst'",
        )
        .unwrap();
        assert_eq!((f.rule, f.severity), ("mailbox-export", Severity::Info));
        // `.aspx` in another parameter is not the file path
        let f = one(
            1,
            "New-MailboxExportRequest",
            "-FilePath '\\\\fs01\\pst\\a.pst' -Name 'x.aspx'",
        )
        .unwrap();
        assert_eq!(f.rule, "mailbox-export");
        assert_eq!(
            rule_of(&one(1, "Get-MailboxExportRequest", "-FilePath 'a.aspx'")),
            None
        );
    }

    #[test]
    fn role_assignment_certificate_cleanup_vdir_agents() {
        for (cmdlet, params, want) in [
            (
                "New-ManagementRoleAssignment",
                "-Role \"Mailbox Import Export\" -User \"svc-scan\"",
                Some("import-export-role-granted"),
            ),
            (
                "New-ManagementRoleAssignment",
                "-Role 'Mailbox Import Export' -User 'x'",
                Some("import-export-role-granted"),
            ),
            (
                "New-ManagementRoleAssignment",
                "-Role 'Mail Recipients' -User 'helpdesk'",
                None,
            ),
            (
                "New-ExchangeCertificate",
                "-GenerateRequest -BinaryEncoded -RequestFile '\\\\127.0.0.1\\C$\\inetpub\\wwwroot\\aspnet_client\\x.aspx' -SubjectName 'CN=x'",
                Some("certificate-request-to-web"),
            ),
            (
                "New-ExchangeCertificate",
                "-GenerateRequest -RequestFile 'C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx.req'",
                Some("certificate-request-to-web"),
            ),
            (
                "New-ExchangeCertificate",
                "-GenerateRequest -RequestFile 'C:\\certs\\mail.req' -SubjectName 'CN=mail.contoso.com'",
                None,
            ),
            ("New-ExchangeCertificate", "-Services IIS", None),
            (
                "Remove-MailboxExportRequest",
                "-Identity 'svc-scan\\MailboxExport' -Confirm \"False\"",
                Some("export-request-removed"),
            ),
            (
                "Set-OabVirtualDirectory",
                "-ExternalUrl 'http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){Response.Write(\"exhunt-test-k\");}</script>' -Identity 'OAB (Default Web Site)'",
                Some("vdir-url-script"),
            ),
            (
                "Set-OwaVirtualDirectory",
                "-InternalUrl \"http://x/<%@ Page Language='Jscript'%>\"",
                Some("vdir-url-script"),
            ),
            (
                "Set-OabVirtualDirectory",
                "-ExternalUrl 'https://mail.contoso.com/OAB' -Identity 'OAB (Default Web Site)'",
                None,
            ),
            (
                "Install-TransportAgent",
                "-Name \"Evil\" -AssemblyPath \"c:\\x\\a.dll\" -TransportAgentFactory \"hack\"",
                Some("transport-agent-install"),
            ),
            (
                "Enable-TransportAgent",
                "-Identity \"hack\"",
                Some("transport-agent-enable"),
            ),
            ("Get-TransportAgent", "", None),
            ("Disable-TransportAgent", "-Identity \"hack\"", None),
            ("Remove-MailboxImportRequest", "-Identity 'x'", None),
            ("New-ManagementRoleAssignment", "", None),
            (
                "New-MailboxExportRequest",
                "-FilePath",
                Some("mailbox-export"),
            ),
            (
                "Set-OabVirtualDirectory",
                "-ExternalUrl '' -InternalUrl",
                None,
            ),
            ("Get-Mailbox", "-ResultSize Unlimited", None),
        ] {
            assert_eq!(rule_of(&one(1, cmdlet, params)), want, "{cmdlet} {params}");
        }
        let f = one(6, "Install-TransportAgent", "-Name x").unwrap();
        assert_eq!(
            (f.class, f.severity),
            (Class::Context, Severity::High),
            "a failed install stays context"
        );
    }

    #[test]
    fn get_app_invalid_cast_needs_the_failure_text() {
        let mut e = ev(
            6,
            &[
                "Get-App",
                "-Mailbox x",
                "c",
                "s",
                "s",
                "o",
                "p",
                "",
                "",
                "00:00:01",
                "scope",
                "System.InvalidCastException: Unable to cast",
            ],
        );
        let f = run(&e);
        assert_eq!(f[0].rule, "get-app-invalid-cast");
        assert_eq!(
            f[0].field("Error"),
            Some("System.InvalidCastException: Unable to cast")
        );
        e.data[11] = "System.ArgumentException".into();
        assert!(run(&e).is_empty());
        e.event_id = 1;
        e.data[11] = "System.InvalidCastException".into();
        assert!(run(&e).is_empty(), "only failures carry the exception");
        assert!(run(&ev(6, &["Get-App"])).is_empty(), "malformed: no data");
    }

    #[test]
    fn malformed_and_foreign_events_are_quiet() {
        assert!(run(&ev(1, &[])).is_empty());
        assert!(run(&ev(1, &[""])).is_empty());
        assert_eq!(
            run(&ev(1, &["New-MailboxExportRequest"]))[0].rule,
            "mailbox-export"
        );
        assert!(
            run(&ev(1, &["New-ExchangeCertificate"])).is_empty(),
            "no -RequestFile: nothing to judge"
        );
        assert!(run(&ev(1, &["Set-OabVirtualDirectory", "-ExternalUrl"])).is_empty());
        let mut other = ev(
            1,
            &[
                "New-MailboxExportRequest",
                "-FilePath 'C:\\inetpub\\a.aspx'",
            ],
        );
        other.provider = "MSExchange ADAccess".into();
        other.channel = "Application".into();
        assert!(run(&other).is_empty(), "same words in another log");
    }

    #[test]
    fn real_install_transport_agent_sample() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/public/evtx/msexchange-management-install-transportagent.evtx");
        let pre = crate::sources::lines::prefilter(INFO.literals_for(SourceKind::Evtx));
        let mut found = Vec::new();
        crate::sources::evtx::read(&p, &pre, |e| found.extend(run(&e))).unwrap();
        let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            vec![
                "transport-agent-install",
                "transport-agent-install",
                "transport-agent-enable",
                "transport-agent-enable"
            ]
        );
        let f = &found[0];
        assert_eq!(f.class, Class::Context);
        assert_eq!(f.field("Outcome"), Some("failed"));
        assert_eq!(
            f.field("Caller"),
            Some("offsec.lan/OFFSEC-COMPANY/Administrators/admmig")
        );
        assert_eq!(f.field("Origin"), Some("Remote-ManagementShell-Unknown"));
        assert_eq!(
            f.field("Process"),
            Some("8372 w3wp#MSExchangePowerShellAppPool")
        );
        assert!(
            f.field("Error")
                .unwrap()
                .starts_with("System.ArgumentException: The Transport Agent assembly file")
        );
        assert!(f.title.contains("NetshHelperBeacon.dll"));
        assert_eq!(f.time.unwrap().to_string(), "2021-06-04T08:41:47.982Z");
    }
}
