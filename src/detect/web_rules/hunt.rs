//! The shell-hunting fold: webshell probes from one address, per file, into one finding.

use super::super::FileFold;
use super::table::RuleSet;
use super::{HTTPPROXY_ID, IIS_ID};
use crate::model::{Class, Finding, Severity, Timestamp};
use std::collections::BTreeMap;

/// A webshell probe: the scanner outcome of a `hunt` rule, folded at the end of its file.
pub(super) fn is_probe(f: &Finding, set: &RuleSet) -> bool {
    (f.check == IIS_ID || f.check == HTTPPROXY_ID)
        && f.class == Class::Scanner
        && set.rule(f.rule).is_some_and(|r| r.hunt)
}

/// A request field of a finding by its IIS name, or its HttpProxy name: a file is one or the
/// other, and its probes are folded alike.
fn field<'f>(f: &'f Finding, iis: &str, httpproxy: &str) -> Option<&'f str> {
    f.field(iis).or_else(|| f.field(httpproxy))
}

/// Folds, per client address, the webshell probes (scanner outcomes of `hunt` rules) of one
/// file into one shell-hunting finding when there are at least `min` of them: the whole fold at
/// once, for tests (the scan folds as it reads, with [`HuntFold`]).
#[cfg(test)]
pub fn fold_shell_hunting(findings: &mut Vec<Finding>, set: &'static RuleSet) {
    let mut fold = Box::new(HuntFold::new(set));
    fold.take(findings);
    fold.finish(findings);
}

/// The shell-hunting fold of one file ([`fold_shell_hunting`]), kept as the file is read: an
/// address's first probes are held whole until it reaches `min`; from then on each probe only
/// adds to its tally. Memory grows with the addresses and distinct paths, not with the probes.
pub struct HuntFold {
    set: &'static RuleSet,
    pub(super) by_ip: BTreeMap<String, Probes>,
}

pub(super) enum Probes {
    /// Fewer than `min` probes so far.
    Held(Vec<Finding>),
    Folding(Box<Tally>),
}

/// What the folded finding says about one address's probes, in file order.
pub(super) struct Tally {
    requests: usize,
    /// The earliest probe (by time, then line): the folded finding's evidence.
    first: Finding,
    last: Option<Timestamp>,
    /// Distinct paths in order of appearance.
    paths: Vec<String>,
    seen_paths: std::collections::HashSet<String>,
    statuses: BTreeMap<String, usize>,
    agents: Vec<String>,
    /// The first lines (at most [`HUNT_LINES`]).
    lines: Vec<u64>,
}

/// Lines a shell-hunting finding lists.
const HUNT_LINES: usize = 50;

impl Tally {
    fn new(first: Finding) -> Tally {
        let mut t = Tally {
            requests: 0,
            last: None,
            paths: Vec::new(),
            seen_paths: Default::default(),
            statuses: BTreeMap::new(),
            agents: Vec::new(),
            lines: Vec::new(),
            first: first.clone(),
        };
        t.add(first);
        t
    }

    fn add(&mut self, f: Finding) {
        self.requests += 1;
        self.last = self.last.max(f.time);
        let p = field(&f, "cs-uri-stem", "UrlStem").unwrap_or_default();
        if !self.seen_paths.contains(p) {
            self.seen_paths.insert(p.to_string());
            self.paths.push(p.to_string());
        }
        *self
            .statuses
            .entry(
                field(&f, "sc-status", "HttpStatus")
                    .unwrap_or("-")
                    .to_string(),
            )
            .or_default() += 1;
        let a = field(&f, "cs(User-Agent)", "UserAgent").unwrap_or_default();
        if !self.agents.iter().any(|x| x == a) {
            self.agents.push(a.to_string());
        }
        if let Some(l) = f.source.line
            && self.lines.len() < HUNT_LINES
        {
            self.lines.push(l);
        }
        if (f.time, f.source.line) < (self.first.time, self.first.source.line) {
            self.first = f;
        }
    }

    fn finding(self, ip: String, set: &'static RuleSet) -> Finding {
        let cap = |v: &[String], n: usize| {
            let mut s = v.iter().take(n).cloned().collect::<Vec<_>>().join(",");
            if v.len() > n {
                s.push_str(&format!(",… ({} more)", v.len() - n));
            }
            s
        };
        let lines: Vec<String> = self.lines.iter().map(u64::to_string).collect();
        let mut fields = vec![
            ("c-ip".to_string(), ip.clone()),
            ("requests".to_string(), self.requests.to_string()),
            ("distinct-paths".to_string(), self.paths.len().to_string()),
            (
                "statuses".to_string(),
                self.statuses
                    .iter()
                    .map(|(s, n)| format!("{s}:{n}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("paths".to_string(), cap(&self.paths, 20)),
            ("cs(User-Agent)".to_string(), cap(&self.agents, 5)),
            ("lines".to_string(), lines.join(",")),
        ];
        if let Some(l) = self.last {
            fields.push(("last".to_string(), l.to_string()));
        }
        if let Some(s) = self.first.field("site") {
            fields.push(("site".to_string(), s.to_string()));
        }
        Finding {
            check: self.first.check,
            rule: set.hunt.id.as_str(),
            cve: "",
            title: format!(
                "{}: {} probes for {} webshell paths from {ip}",
                set.hunt.title,
                self.requests,
                self.paths.len()
            ),
            class: Class::Scanner,
            severity: Severity::Low,
            time: self.first.time,
            source: self.first.source,
            raw: self.first.raw,
            fields: fields.into(),
            why: set.hunt.why.clone(),
        }
    }
}

impl HuntFold {
    pub fn new(set: &'static RuleSet) -> HuntFold {
        HuntFold {
            set,
            by_ip: BTreeMap::new(),
        }
    }
}

impl FileFold for HuntFold {
    fn take(&mut self, findings: &mut Vec<Finding>) {
        if !findings.iter().any(|f| is_probe(f, self.set)) {
            return;
        }
        let min = self.set.hunt.min;
        for f in std::mem::take(findings) {
            if !is_probe(&f, self.set) {
                findings.push(f);
                continue;
            }
            let ip = field(&f, "c-ip", "ClientIPAddress")
                .unwrap_or_default()
                .to_string();
            let hunt = self
                .by_ip
                .entry(ip)
                .or_insert_with(|| Probes::Held(Vec::new()));
            match hunt {
                Probes::Folding(t) => t.add(f),
                Probes::Held(held) => {
                    held.push(f);
                    if held.len() >= min {
                        let mut probes = std::mem::take(held).into_iter();
                        let mut t = Tally::new(probes.next().expect("at least min probes"));
                        probes.for_each(|p| t.add(p));
                        *hunt = Probes::Folding(Box::new(t));
                    }
                }
            }
        }
    }

    fn finish(self: Box<Self>, findings: &mut Vec<Finding>) {
        let mut folded = Vec::new();
        for (ip, hunt) in self.by_ip {
            match hunt {
                Probes::Held(probes) => findings.extend(probes),
                Probes::Folding(t) => folded.push(t.finding(ip, self.set)),
            }
        }
        findings.extend(folded);
    }
}
