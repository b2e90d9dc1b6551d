//! `exhunt checks` and `exhunt rules`: the catalog as text for a terminal, or as JSON.

use super::sanitize::terminal;
use crate::model::catalog::{CheckEntry, RuleEntry};
use std::fmt::Write as _;

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

/// One line per check: id, CVE, whether the verdict needs it, what it reads, its title.
pub fn checks_text(checks: &[CheckEntry]) -> String {
    let mut s = String::new();
    let w = checks.iter().map(|c| c.id.len()).max().unwrap_or(5);
    let _ = writeln!(
        s,
        "{:w$}  {:14}  {:8}  TITLE / READS / RULES",
        "CHECK", "CVE", "VERDICT"
    );
    for c in checks {
        let _ = writeln!(
            s,
            "{:w$}  {:14}  {:8}  {}",
            c.id,
            dash(c.cve),
            if c.required { "required" } else { "optional" },
            c.title
        );
        let _ = writeln!(s, "{:w$}  {:14}  {:8}    reads: {}", "", "", "", c.reads);
        if !c.rules.is_empty() {
            let _ = writeln!(s, "{:w$}  {:14}  {:8}    rules: {}", "", "", "", c.rules);
        }
    }
    let _ = writeln!(
        s,
        "\nA required check that could not run over the window makes a server without findings \
         inconclusive; an optional one never does. `exhunt rules` lists the tables' rules."
    );
    s
}

/// One line per rule: check, id, CVE, class, severity, title.
pub fn rules_text(rules: &[RuleEntry]) -> String {
    let mut s = String::new();
    let wc = rules.iter().map(|r| r.check.len()).max().unwrap_or(5);
    let wi = rules.iter().map(|r| r.id.len()).max().unwrap_or(4);
    let _ = writeln!(
        s,
        "{:wc$}  {:wi$}  {:17}  {:8}  TITLE  (CVE)",
        "CHECK", "RULE", "CLASS", "SEVERITY"
    );
    for r in rules {
        let cve = if r.cve.is_empty() {
            String::new()
        } else {
            format!("  ({})", r.cve)
        };
        let _ = writeln!(
            s,
            "{:wc$}  {:wi$}  {:17}  {:8}  {}{cve}",
            r.check,
            terminal(&r.id),
            r.class.as_str(),
            r.severity.as_str(),
            terminal(&r.title)
        );
    }
    let _ = writeln!(s, "\n`exhunt rules ID` shows one rule whole.");
    s
}

/// One rule, whole.
pub fn rule_text(r: &RuleEntry) -> String {
    let mut s = String::new();
    for (k, v) in [
        ("rule", r.id.as_str()),
        ("check", r.check),
        ("cve", dash(&r.cve)),
        ("class", r.class.as_str()),
        ("severity", r.severity.as_str()),
        ("title", r.title.as_str()),
        ("tests", r.tests.as_str()),
        ("table", r.table),
        ("refs", dash(&r.refs)),
        ("why", r.why.as_str()),
    ] {
        let _ = writeln!(s, "{k:9} {}", terminal(v));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Class, Severity};

    #[test]
    fn a_rule_with_terminal_escapes_is_shown_as_data() {
        let r = RuleEntry {
            check: "iis-web",
            id: "x\u{1b}[2J".into(),
            cve: String::new(),
            class: Class::Attempt,
            severity: Severity::Low,
            title: "t\u{7}".into(),
            why: "w".into(),
            table: "rules/web.toml",
            tests: "lines holding a".into(),
            refs: String::new(),
        };
        for out in [rules_text(std::slice::from_ref(&r)), rule_text(&r)] {
            assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
        }
        assert!(rule_text(&r).contains("cve       -"));
    }
}
