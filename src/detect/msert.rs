//! `msert`: Microsoft Safety Scanner's own detections (`Windows\debug\msert.log`, read by
//! `sources::msert`) as findings. What a threat name means is `rules/msert_threats.tsv`. A
//! detection MSERT removed is still a finding: the shell it deleted was there.

use super::table::Table;
use super::{CheckInfo, Draft};
use crate::model::{Class, Finding, MsertDetection, MsertScan, Severity};
use crate::sources::record::At;
use std::sync::LazyLock;

pub const ID: &str = "msert";

pub static INFO: CheckInfo = CheckInfo {
    id: ID,
    title: "Microsoft Safety Scanner detections (msert.log)",
    cve: "",
    sources: &[],
    coverage: &["MSERT"],
    literals: &[],
    client_addresses: false,
    required: false,
};

struct Rule {
    contains: String,
    class: Class,
    severity: Severity,
    why: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let t = Table::parse("msert_threats.tsv", crate::rules::MSERT_THREATS);
    t.rows()
        .map(|r| Rule {
            contains: r.get("contains").to_ascii_lowercase(),
            class: r
                .get("class")
                .parse()
                .unwrap_or_else(|e| panic!("msert_threats.tsv:{}: {e}", r.line)),
            severity: r
                .get("severity")
                .parse()
                .unwrap_or_else(|e| panic!("msert_threats.tsv:{}: {e}", r.line)),
            why: r.get("why"),
        })
        .collect()
});

fn rule_for(threat: &str) -> Option<&'static Rule> {
    let t = threat.to_ascii_lowercase();
    RULES
        .iter()
        .find(|r| r.contains == "*" || t.contains(&r.contains))
}

/// The findings of every detection in `scans`.
pub fn findings(scans: &[MsertScan]) -> Vec<Finding> {
    scans
        .iter()
        .flat_map(|s| s.detections.iter().map(move |d| (s, d)))
        .filter_map(|(s, d)| finding(s, d))
        .collect()
}

fn finding(s: &MsertScan, d: &MsertDetection) -> Option<Finding> {
    let r = rule_for(&d.threat)?;
    let removed = d.removed();
    let what = if d.outcome.is_empty() {
        String::new()
    } else {
        format!(" ({})", d.outcome)
    };
    let file = d
        .files
        .first()
        .map(String::as_str)
        .unwrap_or("(no file named)");
    let mut fields = vec![
        ("threat".to_string(), d.threat.clone()),
        ("outcome".to_string(), d.outcome.clone()),
        ("action".to_string(), d.action.clone()),
        ("files".to_string(), d.files.join("; ")),
        (
            "scan".to_string(),
            if s.scan_type.is_empty() {
                "unknown".into()
            } else {
                s.scan_type.clone()
            },
        ),
        ("started".to_string(), s.started.clone()),
        ("finished".to_string(), s.finished.clone()),
        ("version".to_string(), s.version.clone()),
    ];
    fields.retain(|(_, v)| !v.is_empty());
    let raw = format!("Threat Detected: {}, {}.", d.threat, d.outcome);
    let draft = Draft {
        rule: if removed {
            "msert-removed"
        } else {
            "msert-detected"
        },
        cve: "",
        title: format!("MSERT detected {} at {file}{what}", d.threat),
        class: r.class,
        severity: r.severity,
        // MSERT writes local time without a zone: kept as text in the fields, not guessed.
        time: None,
        fields,
        why: r.why.to_string(),
    };
    Some(draft.at(
        &INFO,
        &At {
            path: &s.path,
            line: Some(d.line),
            offset: None,
            record_id: None,
            raw: raw.as_bytes(),
            protocol: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::msert::parse;

    #[test]
    fn removed_and_kept_threats_are_both_compromise() {
        let scans = parse(
            include_str!("../../tests/fixtures/msert/msert.log"),
            "Windows/debug/msert.log",
        );
        let f = findings(&scans);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].rule, "msert-removed");
        assert_eq!(f[0].class, Class::PostExploitation);
        assert_eq!(f[0].severity, Severity::Critical);
        assert!(f[0].title.contains("supp0rt.aspx"), "{}", f[0].title);
        assert_eq!(f[0].source.locator(), "Windows/debug/msert.log:33");
        assert_eq!(f[1].rule, "msert-detected");
        assert_eq!(f[1].field("scan"), Some("Full Scan"));
    }

    #[test]
    fn a_test_file_and_a_clean_log_stay_quiet() {
        let eicar = "Quick Scan Results:\n---\nThreat Detected: Virus:DOS/EICAR_Test_File, not removed.\n    Action: NoAction, Result: 0x00000000\n        file://C:\\Windows\\eicar.com\n";
        let f = findings(&parse(eicar, "x"));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].severity,
            Severity::Info,
            "the EICAR test file is no threat"
        );
        let clean = "Microsoft Safety Scanner v1.333\nFull Scan Results:\n---\nResults Summary:\nNo infection found.\nMicrosoft Safety Scanner Finished On Thu Mar 11 09:19:03 2021\n";
        assert!(findings(&parse(clean, "x")).is_empty());
        assert!(findings(&parse("\u{0}\u{1}garbage", "x")).is_empty());
    }

    #[test]
    fn the_table_loads() {
        assert!(RULES.iter().any(|r| r.contains == "*"));
    }
}
