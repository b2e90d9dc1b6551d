//! `exhunt diff OLD NEW`: the weekly re-scan the directive asked for. What is new since the last
//! report (new positives), what disappeared (a shell removed? logs rotated away?), and what the
//! scan could see then and now (coverage and check states).

use super::load::{Finding, Report};
use std::collections::{BTreeMap, BTreeSet};

/// A finding's identity across two scans of one server: what fired, on which evidence (its
/// path without the scanned root, so a new mount point matches), and the evidence itself.
fn key(r: &Report, f: &Finding) -> (String, String, String, String, String) {
    (
        f.check.clone(),
        f.rule.clone(),
        r.relative(&f.source.path).replace('\\', "/"),
        f.raw.clone(),
        f.field("SHA256").unwrap_or_default().to_ascii_lowercase(),
    )
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Change {
    pub what: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, serde::Serialize)]
pub struct Diff<'a> {
    pub schema: &'static str,
    pub host: String,
    pub old_started: Option<String>,
    pub new_started: Option<String>,
    pub old_verdict: String,
    pub new_verdict: String,
    /// Findings that count (not info, not scanners) in NEW and not in OLD.
    pub new_positives: Vec<&'a Finding>,
    /// Findings that counted in OLD and are not in NEW.
    pub gone: Vec<&'a Finding>,
    /// New findings that do not count (info, scanners): only their number.
    pub new_other: usize,
    pub coverage: Vec<Change>,
    pub checks: Vec<Change>,
    pub notes: Vec<String>,
}

pub const SCHEMA: &str = "exhunt.diff/1";

fn span(c: &super::load::Coverage) -> String {
    if !c.present {
        return "missing".into();
    }
    format!(
        "{} file(s), {} record(s), {} .. {}",
        c.files,
        c.records,
        c.first.as_deref().unwrap_or("-"),
        c.last.as_deref().unwrap_or("-")
    )
}

/// Compares two reports of one server.
pub fn diff<'a>(old: &'a Report, new: &'a Report) -> Diff<'a> {
    let mut notes = Vec::new();
    if !old.host.eq_ignore_ascii_case(&new.host) {
        notes.push(format!(
            "the reports are of different hosts ({} then {}): compared anyway",
            old.host, new.host
        ));
    }
    if old.started > new.started {
        notes.push("OLD was made after NEW: the order of the arguments may be swapped".into());
    }
    if old.tool.rules != new.tool.rules && !old.tool.rules.is_empty() {
        notes.push(format!(
            "the rules changed between the scans ({} then {}): a new finding may be a new rule on old evidence",
            old.tool.rules, new.tool.rules
        ));
    }
    let old_keys: BTreeSet<_> = old.findings.iter().map(|f| key(old, f)).collect();
    let new_keys: BTreeSet<_> = new.findings.iter().map(|f| key(new, f)).collect();
    let added: Vec<&Finding> = new
        .findings
        .iter()
        .filter(|f| !old_keys.contains(&key(new, f)))
        .collect();
    let new_other = added.iter().filter(|f| !f.counts()).count();
    let new_positives = added.into_iter().filter(|f| f.counts()).collect();
    let gone = old
        .findings
        .iter()
        .filter(|f| f.counts() && !new_keys.contains(&key(old, f)))
        .collect();
    let mut coverage = Vec::new();
    let by_label = |r: &'a Report| -> BTreeMap<&'a str, &'a super::load::Coverage> {
        r.coverage.iter().map(|c| (c.label.as_str(), c)).collect()
    };
    let (oc, nc) = (by_label(old), by_label(new));
    for label in oc.keys().chain(nc.keys()).collect::<BTreeSet<_>>() {
        let (o, n) = (oc.get(label), nc.get(label));
        let (os, ns) = (
            o.map(|c| span(c)).unwrap_or_else(|| "not looked at".into()),
            n.map(|c| span(c)).unwrap_or_else(|| "not looked at".into()),
        );
        let lost = match (o, n) {
            (Some(o), Some(n)) => {
                (o.present && !n.present)
                    || n.files < o.files
                    || n.first > o.first
                    || n.problems.len() > o.problems.len()
            }
            (Some(o), None) => o.present,
            _ => false,
        };
        if lost {
            coverage.push(Change {
                what: format!("{label}: sees less"),
                old: os,
                new: ns,
            });
        } else if os != ns && o.is_none_or(|o| !o.present) && n.is_some_and(|n| n.present) {
            coverage.push(Change {
                what: format!("{label}: now read"),
                old: os,
                new: ns,
            });
        }
    }
    let ocheck: BTreeMap<&str, &str> = old
        .checks
        .iter()
        .map(|c| (c.check.as_str(), c.state.as_str()))
        .collect();
    let checks = new
        .checks
        .iter()
        .filter_map(|c| {
            let before = ocheck.get(c.check.as_str()).copied().unwrap_or("absent");
            (before != c.state).then(|| Change {
                what: c.check.clone(),
                old: before.to_string(),
                new: match &c.reason {
                    Some(r) => format!("{} ({r})", c.state),
                    None => c.state.clone(),
                },
            })
        })
        .collect();
    Diff {
        schema: SCHEMA,
        host: new.host.clone(),
        old_started: old.started.clone(),
        new_started: new.started.clone(),
        old_verdict: old.verdict.clone(),
        new_verdict: new.verdict.clone(),
        new_positives,
        gone,
        new_other,
        coverage,
        checks,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(json: &str) -> Report {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn new_positives_gone_findings_and_lost_coverage() {
        let old = r(
            r#"{"schema":"exhunt.report/1","host":"EX01","verdict":"suspicious",
            "started":"2021-03-01T00:00:00Z","params":{"root":"/mnt/w1"},
            "coverage":[{"label":"IIS/W3SVC1","present":true,"files":9,"first":"2021-01-01T00:00:00Z"}],
            "checks":[{"check":"cve-2021-26855","state":"ran"}],
            "findings":[
              {"check":"iis-web","rule":"a","class":"attempt","severity":"high","raw":"L1","source":{"path":"/mnt/w1/x.log"}},
              {"check":"webshell-yara","rule":"s","class":"post-exploitation","severity":"critical","raw":"","source":{"path":"/mnt/w1/a.aspx"},"fields":{"SHA256":"AA"}}]}"#,
        );
        let new = r(
            r#"{"schema":"exhunt.report/1","host":"EX01","verdict":"compromised",
            "started":"2021-03-08T00:00:00Z","params":{"root":"/mnt/w2"},
            "coverage":[{"label":"IIS/W3SVC1","present":true,"files":7,"first":"2021-01-20T00:00:00Z"}],
            "checks":[{"check":"cve-2021-26855","state":"no-data","reason":"no HttpProxy logs"}],
            "findings":[
              {"check":"iis-web","rule":"a","class":"attempt","severity":"high","raw":"L1","source":{"path":"/mnt/w2/x.log"}},
              {"check":"iis-web","rule":"b","class":"exploitation","severity":"critical","raw":"L2","source":{"path":"/mnt/w2/x.log"}},
              {"check":"iis-web","rule":"n","class":"scanner","severity":"low","raw":"L3","source":{"path":"/mnt/w2/x.log"}}]}"#,
        );
        let d = diff(&old, &new);
        assert_eq!(
            d.new_positives.len(),
            1,
            "the same line under a new mount is not new"
        );
        assert_eq!(d.new_positives[0].rule, "b");
        assert_eq!(d.new_other, 1);
        assert_eq!(d.gone.len(), 1);
        assert_eq!(d.gone[0].rule, "s", "the shell is gone");
        assert_eq!(d.coverage.len(), 1);
        assert!(d.coverage[0].what.contains("sees less"));
        assert_eq!(d.checks.len(), 1);
        assert!(d.checks[0].new.contains("no HttpProxy logs"));
        let same = diff(&new, &new);
        assert!(same.new_positives.is_empty() && same.gone.is_empty() && same.coverage.is_empty());
    }
}
