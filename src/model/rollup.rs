//! Repeated scanner noise, rolled up.
//!
//! An Exchange server on the internet is surveyed by scanners thousands of times a month (zgrab
//! version surveys, Microsoft's nmap self-check, Nessus). Each hit is a [`Class::Scanner`] finding:
//! shown, never the verdict. Kept whole, they bury the findings that matter and make memory grow
//! with the logs (a finding with its raw line and fields takes a few KiB). So per rule, the
//! earliest [`KEEP`] stay ordinary findings and every further hit is kept as its evidence locator
//! only (file, line, byte offset, time, client address): about a hundred bytes. Nothing is
//! dropped: reports list every rolled-up line, reading its text back from the evidence.
//!
//! Which hits are kept whole depends only on the findings, not on the order files were read in:
//! the earliest by (time, path, line).

use super::{CLIENT_IP_FIELDS, Class, Finding, Severity, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Findings of one scanner rule kept whole; the rest are rolled up.
pub const KEEP: usize = 5;

/// Client addresses listed per rolled-up rule (the most frequent first).
pub const TOP_CLIENTS: usize = 10;

/// One rolled-up hit: where its evidence is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Located {
    pub path: Arc<str>,
    pub line: u64,
    /// Byte offset of the line start in the file: where reports read the raw text back.
    pub offset: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<Arc<str>>,
}

impl Located {
    fn key(&self) -> (Option<Timestamp>, &str, u64) {
        (self.time, &self.path, self.line)
    }
}

/// A client address and how many rolled-up hits came from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientCount {
    pub client: String,
    pub count: u64,
}

/// Every hit of one scanner rule past the first [`KEEP`].
#[derive(Clone, Debug, Serialize)]
pub struct RollUp {
    pub check: &'static str,
    pub rule: &'static str,
    pub class: Class,
    pub severity: Severity,
    /// The title of the earliest hit (later ones differ in path or status).
    pub title: String,
    pub why: String,
    /// Hits of the rule in all: the ones kept as findings plus the rolled-up ones.
    pub total: u64,
    /// Hits kept as findings.
    pub kept: u64,
    /// Earliest and latest time over all hits of the rule.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Distinct client addresses among the rolled-up hits.
    pub clients: u64,
    /// The most frequent of them.
    pub top_clients: Vec<ClientCount>,
    /// Every rolled-up hit, in time order.
    pub lines: Vec<Located>,
}

impl RollUp {
    /// Hits not kept as findings.
    pub fn rolled(&self) -> u64 {
        self.lines.len() as u64
    }
}

#[derive(Default)]
struct Group {
    /// The earliest hits so far, at most [`KEEP`].
    kept: Vec<Finding>,
    lines: Vec<Located>,
    clients: HashMap<Arc<str>, u64>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

/// Collects scanner findings, keeping the earliest of each rule whole. Fill one per file (or per
/// thread) with [`RollUps::take`], join them with [`RollUps::merge`], end with [`RollUps::finish`].
#[derive(Default)]
pub struct RollUps {
    groups: BTreeMap<(&'static str, &'static str), Group>,
    /// One `Arc` per path, shared by its hits.
    paths: HashMap<String, Arc<str>>,
}

/// The one `Arc` of `path`.
fn intern(paths: &mut HashMap<String, Arc<str>>, path: &str) -> Arc<str> {
    if let Some(p) = paths.get(path) {
        return p.clone();
    }
    let p: Arc<str> = Arc::from(path);
    paths.insert(path.to_string(), p.clone());
    p
}

fn finding_key(f: &Finding) -> (Option<Timestamp>, &str, u64) {
    (f.time, &f.source.path, f.source.line.unwrap_or(0))
}

/// Whether a finding may be rolled up: a scanner hit on a log line (its text can be read back).
pub fn rollable(f: &Finding) -> bool {
    f.class == Class::Scanner && f.source.line.is_some() && f.source.offset.is_some()
}

impl RollUps {
    /// Takes the scanner findings out of `findings` (the others are left in place, in order).
    pub fn take(&mut self, findings: &mut Vec<Finding>) {
        if !findings.iter().any(rollable) {
            return;
        }
        let mut rest = Vec::with_capacity(findings.len());
        for f in findings.drain(..) {
            if rollable(&f) {
                self.add(f);
            } else {
                rest.push(f);
            }
        }
        *findings = rest;
    }

    fn add(&mut self, f: Finding) {
        let g = self.groups.entry((f.check, f.rule)).or_default();
        g.first = super::min_opt(g.first, f.time);
        g.last = super::max_opt(g.last, f.time);
        // Keep the KEEP earliest: insert in order, and roll up whatever falls off the end.
        let at = g
            .kept
            .partition_point(|k| finding_key(k) <= finding_key(&f));
        if at >= KEEP {
            Self::roll(&mut self.paths, g, f);
            return;
        }
        g.kept.insert(at, f);
        if g.kept.len() > KEEP
            && let Some(out) = g.kept.pop()
        {
            Self::roll(&mut self.paths, g, out);
        }
    }

    fn roll(paths: &mut HashMap<String, Arc<str>>, g: &mut Group, f: Finding) {
        let client = CLIENT_IP_FIELDS
            .iter()
            .find_map(|k| f.field(k))
            .map(str::trim)
            .filter(|c| !c.is_empty() && *c != "-");
        let client = client.map(|c| match g.clients.get_key_value(c) {
            Some((k, _)) => k.clone(),
            None => Arc::from(c),
        });
        if let Some(c) = &client {
            *g.clients.entry(c.clone()).or_default() += 1;
        }
        g.lines.push(Located {
            path: intern(paths, &f.source.path),
            line: f.source.line.unwrap_or(0),
            offset: f.source.offset.unwrap_or(0),
            time: f.time,
            client,
        });
    }

    /// Joins another collection into this one.
    pub fn merge(&mut self, other: RollUps) {
        for (key, og) in other.groups {
            let g = self.groups.entry(key).or_default();
            g.first = super::min_opt(g.first, og.first);
            g.last = super::max_opt(g.last, og.last);
            for (c, n) in og.clients {
                *g.clients.entry(c).or_default() += n;
            }
            for l in og.lines {
                let path = intern(&mut self.paths, &l.path);
                g.lines.push(Located { path, ..l });
            }
            for f in og.kept {
                self.add(f);
            }
        }
    }

    /// The kept findings (to go back among the others) and one [`RollUp`] per rule that had
    /// more hits than it keeps.
    pub fn finish(self) -> (Vec<Finding>, Vec<RollUp>) {
        let mut kept = Vec::new();
        let mut rolled = Vec::new();
        for ((check, rule), mut g) in self.groups {
            let n_kept = g.kept.len() as u64;
            if !g.lines.is_empty() {
                g.lines.sort_by(|a, b| a.key().cmp(&b.key()));
                let mut top: Vec<ClientCount> = g
                    .clients
                    .iter()
                    .map(|(c, n)| ClientCount {
                        client: c.to_string(),
                        count: *n,
                    })
                    .collect();
                top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.client.cmp(&b.client)));
                let clients = top.len() as u64;
                top.truncate(TOP_CLIENTS);
                let head = &g.kept[0];
                rolled.push(RollUp {
                    check,
                    rule,
                    class: head.class,
                    severity: head.severity,
                    title: head.title.clone(),
                    why: head.why.clone(),
                    total: n_kept + g.lines.len() as u64,
                    kept: n_kept,
                    first: g.first,
                    last: g.last,
                    clients,
                    top_clients: top,
                    lines: g.lines,
                });
            }
            kept.append(&mut g.kept);
        }
        (kept, rolled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Evidence;

    fn hit(rule: &'static str, class: Class, t: i64, path: &str, line: u64, ip: &str) -> Finding {
        Finding {
            check: "iis-web",
            rule,
            title: format!("{rule} at {t}"),
            class,
            severity: Severity::Low,
            time: Some(Timestamp(t)),
            source: Evidence {
                path: path.into(),
                line: Some(line),
                offset: Some(line * 100),
                record_id: None,
            },
            raw: "raw".into(),
            fields: vec![("c-ip", ip)].into(),
            why: "w".into(),
        }
    }

    #[test]
    fn keeps_the_earliest_whole_and_locates_the_rest() {
        let mut f: Vec<Finding> = (0..12)
            .rev()
            .map(|i| {
                hit(
                    "survey",
                    Class::Scanner,
                    i,
                    "a.log",
                    i as u64,
                    "198.51.100.1",
                )
            })
            .collect();
        f.push(hit(
            "shell",
            Class::PostExploitation,
            3,
            "a.log",
            99,
            "203.0.113.9",
        ));
        let mut r = RollUps::default();
        r.take(&mut f);
        assert_eq!(f.len(), 1, "non-scanner findings stay in place");
        assert_eq!(f[0].rule, "shell");
        let (kept, rolled) = r.finish();
        let times: Vec<i64> = kept.iter().map(|k| k.time.unwrap().0).collect();
        assert_eq!(times, [0, 1, 2, 3, 4]);
        assert_eq!(rolled.len(), 1);
        let g = &rolled[0];
        assert_eq!((g.total, g.kept, g.rolled()), (12, 5, 7));
        assert_eq!((g.first, g.last), (Some(Timestamp(0)), Some(Timestamp(11))));
        assert_eq!(g.title, "survey at 0");
        let lines: Vec<u64> = g.lines.iter().map(|l| l.line).collect();
        assert_eq!(lines, [5, 6, 7, 8, 9, 10, 11], "in time order");
        assert_eq!(g.lines[0].offset, 500);
        assert_eq!(
            g.top_clients,
            [ClientCount {
                client: "198.51.100.1".into(),
                count: 7
            }]
        );
    }

    #[test]
    fn the_result_does_not_depend_on_how_files_were_split_or_ordered() {
        let all: Vec<Finding> = (0..40)
            .map(|i| {
                let ip = if i % 3 == 0 { "192.0.2.1" } else { "192.0.2.2" };
                hit(
                    "survey",
                    Class::Scanner,
                    (i * 7919) % 40,
                    "b.log",
                    i as u64,
                    ip,
                )
            })
            .collect();
        let whole = {
            let mut r = RollUps::default();
            r.take(&mut all.clone());
            r.finish()
        };
        let split = {
            let mut parts: Vec<RollUps> = all
                .chunks(6)
                .rev()
                .map(|c| {
                    let mut r = RollUps::default();
                    r.take(&mut c.to_vec());
                    r
                })
                .collect();
            let mut r = parts.pop().unwrap();
            for p in parts {
                r.merge(p);
            }
            r.finish()
        };
        let keys = |v: &[Finding]| -> Vec<(i64, u64)> {
            v.iter()
                .map(|f| (f.time.unwrap().0, f.source.line.unwrap()))
                .collect()
        };
        assert_eq!(keys(&whole.0), keys(&split.0));
        assert_eq!(whole.1[0].lines, split.1[0].lines);
        assert_eq!(whole.1[0].top_clients, split.1[0].top_clients);
        assert_eq!(whole.1[0].clients, 2);
    }

    #[test]
    fn a_rule_with_few_hits_is_not_rolled_up() {
        let mut f: Vec<Finding> = (0..KEEP as i64)
            .map(|i| {
                hit(
                    "selfcheck",
                    Class::Scanner,
                    i,
                    "c.log",
                    i as u64,
                    "127.0.0.1",
                )
            })
            .collect();
        let mut r = RollUps::default();
        r.take(&mut f);
        let (kept, rolled) = r.finish();
        assert_eq!(kept.len(), KEEP);
        assert!(rolled.is_empty());
    }

    #[test]
    fn findings_without_a_line_offset_stay_whole() {
        let mut a = hit("survey", Class::Scanner, 1, "d.evtx", 1, "-");
        a.source.line = None;
        a.source.offset = None;
        a.source.record_id = Some(7);
        let mut f = vec![a; 20];
        let mut r = RollUps::default();
        r.take(&mut f);
        assert_eq!(
            f.len(),
            20,
            "no text to read back: every one stays a finding"
        );
    }
}
