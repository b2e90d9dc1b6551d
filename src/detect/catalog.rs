//! What `exhunt checks` and `exhunt rules` list: every check, and every rule of the tables under
//! `rules/` (web requests, cmdlets, command lines), from the same data the scan uses. Rules coded
//! inside a check (the four Test-ProxyLogon checks' shapes, the process and file heuristics) are
//! listed with their check; YARA rules are listed by `--yara` files themselves.

use super::{
    LOG_CHECKS, event_rules, exchange_cmdlets, msert, process_evidence, suspicious_files,
    web_rules, webshells,
};
use crate::model::catalog::{CheckEntry, RuleEntry};

/// Every check, in report order.
pub fn checks() -> Vec<CheckEntry> {
    let mut v: Vec<CheckEntry> = LOG_CHECKS
        .iter()
        .map(|c| {
            let i = c.info();
            CheckEntry {
                id: i.id,
                title: i.title,
                cve: i.cve,
                required: i.required,
                reads: i
                    .coverage
                    .iter()
                    .map(|p| p.trim_end_matches('/'))
                    .collect::<Vec<_>>()
                    .join(", "),
                rules: match i.id {
                    web_rules::IIS_ID | web_rules::HTTPPROXY_ID => "rules/web.toml",
                    exchange_cmdlets::ID => "rules/exchange_cmdlets.tsv",
                    event_rules::ID => "rules/event_rules.tsv",
                    process_evidence::ID => {
                        "rules/process_children.tsv, rules/process_cmdlines.tsv, rules/web_writers.tsv"
                    }
                    _ => "",
                },
            }
        })
        .collect();
    let files = |id, title, required, reads: &str, rules| CheckEntry {
        id,
        title,
        cve: "",
        required,
        reads: reads.to_string(),
        rules,
    };
    v.push(files(
        suspicious_files::ID,
        suspicious_files::TITLE,
        true,
        "the system drive's root, Windows\\Temp, ProgramData",
        "rules/archive_allowlist.tsv",
    ));
    v.push(files(
        webshells::YARA_ID,
        webshells::YARA_TITLE,
        true,
        "the web folders (IIS roots, Exchange FrontEnd and ClientAccess)",
        "rules/yara/exhunt.yar, --yara",
    ));
    v.push(files(
        webshells::IOC_ID,
        webshells::IOC_TITLE,
        true,
        "the web folders",
        "rules/ioc/hashes.tsv, rules/ioc/file_names.tsv, --ioc",
    ));
    v.push(files(
        webshells::HEUR_ID,
        webshells::HEUR_TITLE,
        false,
        "the web folders",
        "rules/stock/",
    ));
    v.push(files(
        msert::ID,
        msert::INFO.title,
        msert::INFO.required,
        "Windows\\debug\\msert.log, msert.old.log",
        "rules/msert_threats.tsv",
    ));
    v
}

/// Every rule of the tables, by check then table order.
pub fn rules() -> Vec<RuleEntry> {
    let mut v = Vec::new();
    for r in &web_rules::RULES.rules {
        let check = if r.iis && !r.httpproxy {
            web_rules::IIS_ID
        } else if r.httpproxy && !r.iis {
            web_rules::HTTPPROXY_ID
        } else {
            "iis-web, httpproxy-web"
        };
        v.push(RuleEntry {
            check,
            id: r.id.clone(),
            cve: r.cve.clone(),
            class: r.class,
            severity: r.severity,
            title: r.title.clone(),
            why: r.why.clone(),
            table: "rules/web.toml",
            tests: format!("lines holding {}", r.literals.join(" | ")),
            refs: r.refs.clone(),
        });
    }
    v.extend(exchange_cmdlets::catalog());
    v.extend(event_rules::catalog());
    v.extend(process_evidence::catalog());
    v
}
