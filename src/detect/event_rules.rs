//! Exploit traces in the Windows event logs that no other check reads (rules in
//! `rules/event_rules.tsv`), on .evtx files and JSON exports alike. Issue 15: the ProxyLogon SSRF's
//! URL, with its `]:444/` back-end target, in an `MSExchange Control Panel` error (Application,
//! event 4), and the webshell written over SMB into `owa\auth` (Security 5145), both from the
//! public PoC run. A condition on any data string fits both an .evtx record (the message's
//! inserts) and an export that kept only the rendered message.
//!
//! Optional check: these logs (and detailed file-share auditing) are often missing.

use super::like::like;
use super::table::Table;
use super::{At, Check, CheckInfo, Ctx, Draft, Record};
use crate::model::{Class, Finding, Severity};
use crate::sources::SourceKind;
use crate::sources::evtx::EvtxEvent;
use regex::Regex;
use std::sync::LazyLock;

pub struct EventRules;

pub const ID: &str = "event-rules";

pub static INFO: CheckInfo = CheckInfo {
    id: ID,
    cve: "",
    title: "Exploit traces in the Application and Security logs (rules/event_rules.tsv)",
    sources: &[SourceKind::Evtx],
    coverage: &["EVTX/Application", "EVTX/Security"],
    literals: &[(SourceKind::Evtx, &["]:444/", "]@", "RelativeTargetName"])],
    client_addresses: false,
    required: false,
};

/// One `Field~regex` condition; `None` field: any data string.
struct Cond {
    field: Option<&'static str>,
    pattern: Regex,
}

impl Cond {
    fn find<'e>(&self, e: &'e EvtxEvent) -> Option<regex::Captures<'e>> {
        match self.field {
            Some(f) => e.named(f).and_then(|v| self.pattern.captures(v)),
            None => e.all_data().find_map(|d| self.pattern.captures(d)),
        }
    }
}

struct Rule {
    id: &'static str,
    channel: &'static str,
    provider: &'static str,
    events: Vec<u32>,
    conds: Vec<Cond>,
    class: Class,
    severity: Severity,
    cve: &'static str,
    title: &'static str,
    why: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let t = Table::parse("event_rules.tsv", crate::rules::EVENT_RULES);
    t.rows()
        .map(|r| {
            let bad = |what: &str| -> ! { panic!("event_rules.tsv line {}: bad {what}", r.line) };
            let g = r.graded("event_rules.tsv");
            let conds: Vec<Cond> = r
                .get("where")
                .split(" && ")
                .map(|c| {
                    let (f, p) = c.split_once('~').unwrap_or_else(|| bad("where"));
                    Cond {
                        field: (f != "*").then_some(f),
                        pattern: Regex::new(&format!("(?i){p}")).unwrap_or_else(|_| bad("where")),
                    }
                })
                .collect();
            Rule {
                id: r.get("rule"),
                channel: r.get("channel"),
                provider: r.get("provider"),
                events: match r.get("events") {
                    "*" | "" => Vec::new(),
                    l => l
                        .split(',')
                        .map(|e| e.trim().parse().unwrap_or_else(|_| bad("events")))
                        .collect(),
                },
                conds,
                class: g.class,
                severity: g.severity,
                cve: g.cve,
                title: r.get("title"),
                why: r.get("why"),
            }
        })
        .collect()
});

/// The rules, for `exhunt rules`.
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
            table: "rules/event_rules.tsv",
            tests: format!(
                "{} / {} (events {:?}) where {}",
                r.channel,
                r.provider,
                r.events,
                r.conds
                    .iter()
                    .map(|c| format!("{}~{}", c.field.unwrap_or("*"), c.pattern.as_str()))
                    .collect::<Vec<_>>()
                    .join(" && ")
            ),
            refs: String::new(),
        })
        .collect()
}

impl Check for EventRules {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, _ctx: &Ctx, out: &mut Vec<Finding>) {
        let Record::Evtx(e) = rec else { return };
        for rule in RULES.iter() {
            if !like(&e.channel, rule.channel)
                || !like(&e.provider, rule.provider)
                || (!rule.events.is_empty() && !rule.events.contains(&e.event_id))
            {
                continue;
            }
            let Some(c) = rule.conds.first().and_then(|c| c.find(e)) else {
                continue;
            };
            if !rule.conds[1..].iter().all(|c| c.find(e).is_some()) {
                continue;
            }
            let value = c.get(1).or_else(|| c.get(0)).map_or("", |m| m.as_str());
            let value: String = value.chars().take(300).collect();
            let mut fields = vec![("Value".to_string(), value.clone())];
            for cond in &rule.conds {
                if let Some(f) = cond.field {
                    fields.push((f.to_string(), e.named(f).unwrap_or_default().to_string()));
                }
            }
            for k in ["SubjectUserName", "IpAddress", "ShareName"] {
                if let Some(v) = e.named(k) {
                    fields.push((k.to_string(), v.to_string()));
                }
            }
            fields.extend([
                ("Provider".to_string(), e.provider.clone()),
                ("EventId".to_string(), e.event_id.to_string()),
                ("Level".to_string(), e.level.to_string()),
                ("Channel".to_string(), e.channel.clone()),
                ("Computer".to_string(), e.computer.clone()),
            ]);
            out.push(
                Draft {
                    rule: rule.id,
                    cve: rule.cve,
                    title: rule.title.replace("{value}", &value),
                    class: rule.class,
                    severity: rule.severity,
                    time: e.time,
                    fields,
                    why: rule.why.to_string(),
                }
                .at(&INFO, at),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(e: EvtxEvent) -> Vec<Finding> {
        let at = At {
            path: "x",
            line: Some(1),
            offset: None,
            record_id: None,
            raw: b"",
            protocol: None,
        };
        let mut out = Vec::new();
        EventRules.inspect(&Record::Evtx(&e), &at, &Ctx::default(), &mut out);
        out
    }

    fn app(provider: &str, data: &str) -> Vec<Finding> {
        run(EvtxEvent {
            provider: provider.into(),
            event_id: 4,
            level: 2,
            channel: "Application".into(),
            data: vec![data.into()],
            ..Default::default()
        })
    }

    fn share(target: &str, access: &str) -> Vec<Finding> {
        run(EvtxEvent {
            provider: "Microsoft-Windows-Security-Auditing".into(),
            event_id: 5145,
            channel: "Security".into(),
            named: vec![
                ("ShareName".into(), "\\\\*\\C$".into()),
                ("RelativeTargetName".into(), target.into()),
                ("AccessList".into(), access.into()),
            ],
            ..Default::default()
        })
    }

    #[test]
    fn the_ssrf_url_in_an_ecp_error_is_found_a_plain_failure_is_not() {
        let hit = app(
            "MSExchange Control Panel",
            "Current user: 'x/Users/wardog'\r\nRequest for URL 'https://mxs01:444/ecp/about.aspx?a=]:444/ecp/tpy.js(https://localhost/ecp/tpy.js)' failed with the following error:",
        );
        assert_eq!(hit.len(), 1);
        assert_eq!(hit[0].cve, "CVE-2021-26855");
        assert!(
            hit[0].title.ends_with(": https://mxs01:444/ecp/about.aspx?a=]:444/ecp/tpy.js(https://localhost/ecp/tpy.js)"),
            "{}",
            hit[0].title
        );
        assert!(app("MSExchange Control Panel", "Request for URL 'https://mxs01:444/ecp/default.aspx' failed with the following error:").is_empty());
        assert!(
            app(
                "Some App",
                "Request for URL 'https://mxs01:444/ecp/about.aspx?a=]:444/ecp/tpy.js' failed"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_page_written_over_smb_into_owa_auth_is_found_a_read_or_a_folder_is_not() {
        let page = "Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\ohyeah.aspx";
        let hit = share(page, "%%4417\n\t\t\t\t");
        assert_eq!(hit.len(), 1);
        assert_eq!(hit[0].class, Class::PostExploitation);
        assert!(share(page, "%%4416\n\t\t").is_empty(), "read only");
        assert!(
            share(
                "Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth",
                "%%4417"
            )
            .is_empty()
        );
        assert!(share("Users\\me\\Documents\\test.aspx", "%%4417").is_empty());
    }
}
