//! Repeated noise and mass attempts, rolled up.
//!
//! An Exchange server on the internet is surveyed by scanners thousands of times a month (zgrab
//! version surveys, Microsoft's nmap self-check, Nessus), and in 2021 mass exploitation left tens
//! of thousands of failed ProxyLogon attempts on many servers. Kept whole, such findings bury the
//! ones that matter and make memory grow with the logs (a finding with its raw line and fields
//! takes a few KiB). So per rule (and class), the earliest [`KEEP`] scanner hits and the earliest
//! [`KEEP_ATTEMPTS`] attempts stay ordinary findings, and every further one is kept as its
//! evidence locator only (file, line, byte offset, time, client address): about a hundred bytes.
//! Nothing is dropped: reports list every rolled-up line, reading its text back from the evidence.
//! Exploitation and post-exploitation findings are never rolled up.
//!
//! Which hits are kept whole depends only on the findings, not on the order files were read in:
//! the earliest by (time, path, line).

use super::Earliest;
use super::{CLIENT_IP_FIELDS, Class, Finding, Severity, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Findings of one scanner rule kept whole; the rest are rolled up.
pub const KEEP: usize = 5;

/// Findings of one attempt rule kept whole; the rest are rolled up. Low, so that memory stays
/// flat under mass exploitation: the attempts that matter past it, the intruder's, are made
/// findings again by the pivot sweep once the intruder is known (see [`restore`]).
pub const KEEP_ATTEMPTS: usize = 100;

/// How many findings of a rule of this class stay whole (`0` for classes never rolled up).
pub fn keep(class: Class) -> usize {
    match class {
        Class::Scanner => KEEP,
        Class::Attempt => KEEP_ATTEMPTS,
        _ => 0,
    }
}

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

/// Every hit of one rule (and class) past the first [`keep`] of its class.
#[derive(Clone, Debug, Serialize)]
pub struct RollUp {
    pub check: &'static str,
    pub rule: &'static str,
    pub cve: &'static str,
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

/// A finding ordered by (time, path, line), then check and rule: for keeping the earliest ones.
pub struct ByKey(pub Finding);

impl ByKey {
    fn key(&self) -> ((Option<Timestamp>, &str, u64), &str, &str) {
        (finding_key(&self.0), self.0.check, self.0.rule)
    }
}

impl PartialEq for ByKey {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for ByKey {}
impl PartialOrd for ByKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

struct Group {
    /// The earliest hits so far, at most [`keep`] of the class.
    kept: Earliest<ByKey>,
    lines: Vec<Located>,
    clients: HashMap<Arc<str>, u64>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl Group {
    fn new(class: Class) -> Group {
        Group {
            kept: Earliest::new(keep(class)),
            lines: Vec::new(),
            clients: HashMap::new(),
            first: None,
            last: None,
        }
    }
}

/// Collects scanner findings, keeping the earliest of each rule whole. Fill one per file (or per
/// thread) with [`RollUps::take`], join them with [`RollUps::merge`], end with [`RollUps::finish`].
#[derive(Default)]
pub struct RollUps {
    groups: BTreeMap<(&'static str, &'static str, Class), Group>,
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

/// Whether a finding may be rolled up: a scanner hit or an attempt on a log line (its text can
/// be read back).
pub fn rollable(f: &Finding) -> bool {
    keep(f.class) > 0 && f.source.line.is_some() && f.source.offset.is_some()
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

    /// Frees spare capacity (called once a file is done: its collection is then held until
    /// every file is read).
    pub fn shrink_to_fit(&mut self) {
        for g in self.groups.values_mut() {
            g.kept.shrink_to_fit();
            g.lines.shrink_to_fit();
        }
    }

    fn add(&mut self, f: Finding) {
        let g = self
            .groups
            .entry((f.check, f.rule, f.class))
            .or_insert_with(|| Group::new(f.class));
        g.first = super::min_opt(g.first, f.time);
        g.last = super::max_opt(g.last, f.time);
        // Keep the earliest: a hit later than every kept one (logs are in time order, so most
        // are) is rolled up at once; otherwise it goes in and the latest kept one comes out.
        if let Some(out) = g.kept.push(ByKey(f)) {
            Self::roll(&mut self.paths, g, out.0);
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
            let g = self.groups.entry(key).or_insert_with(|| Group::new(key.2));
            g.first = super::min_opt(g.first, og.first);
            g.last = super::max_opt(g.last, og.last);
            for (c, n) in og.clients {
                *g.clients.entry(c).or_default() += n;
            }
            let mut lines = og.lines;
            for l in &mut lines {
                l.path = intern(&mut self.paths, &l.path);
            }
            // The longer vector takes in the shorter: a file's flood of locators is moved, not
            // pushed one by one into a growing copy (which held both at once).
            if lines.len() > g.lines.len() {
                std::mem::swap(&mut g.lines, &mut lines);
            }
            g.lines.append(&mut lines);
            for f in og.kept.into_vec() {
                self.add(f.0);
            }
        }
    }

    /// The kept findings (to go back among the others) and one [`RollUp`] per rule that had
    /// more hits than it keeps.
    pub fn finish(self) -> (Vec<Finding>, Vec<RollUp>) {
        let mut kept = Vec::new();
        let mut rolled = Vec::new();
        for ((check, rule, _), mut g) in self.groups {
            let mut in_order: Vec<Finding> =
                g.kept.into_sorted_vec().into_iter().map(|k| k.0).collect();
            let n_kept = in_order.len() as u64;
            if !g.lines.is_empty() {
                // Unstable: no buffer of half the lines (a flood's locators are most of the
                // scan's memory), and (time, path, line) is unique within a rule.
                g.lines.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
                let (clients, top) = top_clients(g.clients.iter().map(|(c, n)| (&**c, *n)));
                let head = &in_order[0];
                rolled.push(RollUp {
                    check,
                    rule,
                    class: head.class,
                    severity: head.severity,
                    cve: head.cve,
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
            kept.append(&mut in_order);
        }
        (kept, rolled)
    }
}

/// How many distinct clients `counts` holds, and the [`TOP_CLIENTS`] most frequent of them.
fn top_clients<'a>(counts: impl Iterator<Item = (&'a str, u64)>) -> (u64, Vec<ClientCount>) {
    let mut top: Vec<ClientCount> = counts
        .map(|(client, count)| ClientCount {
            client: client.to_string(),
            count,
        })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.client.cmp(&b.client)));
    let clients = top.len() as u64;
    top.truncate(TOP_CLIENTS);
    (clients, top)
}

/// The lines of every rolled-up hit, by file: what the pivot sweep asks before it runs the
/// checks again on a line that carries an attacker's address (see [`restore`]). Eight bytes per
/// rolled-up line.
#[derive(Default)]
pub struct RolledIndex {
    lines: HashMap<Arc<str>, Vec<u64>>,
}

impl RolledIndex {
    pub fn new(rolled: &[RollUp]) -> RolledIndex {
        let mut lines: HashMap<Arc<str>, Vec<u64>> = HashMap::new();
        for l in rolled.iter().flat_map(|r| &r.lines) {
            lines.entry(l.path.clone()).or_default().push(l.line);
        }
        for v in lines.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        RolledIndex { lines }
    }

    /// Whether a hit at this line of this file was rolled up.
    pub fn holds(&self, path: &str, line: u64) -> bool {
        self.lines
            .get(path)
            .is_some_and(|v| v.binary_search(&line).is_ok())
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Turns rolled-up hits back into findings: of `found` (findings the checks made again on
/// rolled-up lines), those whose rule rolled up that very line. They leave their roll-up (its
/// client tally follows; a roll-up left without lines goes) and are returned; the others (a
/// rule whose hit on the line was kept whole anyway) are dropped.
pub fn restore(rolled: &mut Vec<RollUp>, found: Vec<Finding>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut gone: Vec<Vec<bool>> = rolled.iter().map(|r| vec![false; r.lines.len()]).collect();
    for f in found {
        let Some(g) = rolled
            .iter()
            .position(|r| (r.check, r.rule, r.class) == (f.check, f.rule, f.class))
        else {
            continue;
        };
        let key = finding_key(&f);
        if let Ok(i) = rolled[g].lines.binary_search_by(|l| l.key().cmp(&key))
            && !gone[g][i]
        {
            gone[g][i] = true;
            out.push(f);
        }
    }
    for (r, gone) in rolled.iter_mut().zip(gone) {
        let before = r.lines.len();
        let mut i = 0;
        r.lines.retain(|_| {
            i += 1;
            !gone[i - 1]
        });
        if r.lines.len() == before {
            continue;
        }
        r.kept += (before - r.lines.len()) as u64;
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for c in r.lines.iter().filter_map(|l| l.client.as_deref()) {
            *counts.entry(c).or_default() += 1;
        }
        (r.clients, r.top_clients) = top_clients(counts.into_iter());
    }
    rolled.retain(|r| !r.lines.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Evidence;

    fn hit(rule: &'static str, class: Class, t: i64, path: &str, line: u64, ip: &str) -> Finding {
        Finding {
            check: "iis-web",
            rule,
            cve: "",
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
    fn attempts_keep_their_cap_per_rule_and_class_apart_from_scanner_hits() {
        // 1,200 attempts and 8 scanner hits of the same rule, out of time order, in three parts
        // read in reverse; exploitation is never rolled up.
        let mut all: Vec<Finding> = (0..1200)
            .map(|i| {
                let t = (i * 7919) % 1200;
                hit("ecp-js", Class::Attempt, t, "d.log", t as u64, "192.0.2.9")
            })
            .collect();
        all.extend((0..8).map(|i| hit("ecp-js", Class::Scanner, i, "e.log", i as u64, "::1")));
        all.push(hit(
            "ecp-js",
            Class::Exploitation,
            5,
            "f.log",
            1,
            "203.0.113.5",
        ));
        let mut parts: Vec<RollUps> = all
            .chunks(500)
            .rev()
            .map(|c| {
                let mut c = c.to_vec();
                let mut r = RollUps::default();
                r.take(&mut c);
                assert!(c.iter().all(|f| f.class == Class::Exploitation));
                r
            })
            .collect();
        let mut r = parts.pop().unwrap();
        for p in parts {
            r.merge(p);
        }
        let (kept, rolled) = r.finish();
        let attempts: Vec<i64> = kept
            .iter()
            .filter(|f| f.class == Class::Attempt)
            .map(|f| f.time.unwrap().0)
            .collect();
        assert_eq!(attempts, (0..KEEP_ATTEMPTS as i64).collect::<Vec<_>>());
        assert_eq!(
            kept.iter().filter(|f| f.class == Class::Scanner).count(),
            KEEP
        );
        let by_class = |c: Class| rolled.iter().find(|g| g.class == c).unwrap();
        let a = by_class(Class::Attempt);
        let k = KEEP_ATTEMPTS as u64;
        assert_eq!((a.total, a.kept, a.rolled()), (1200, k, 1200 - k));
        assert_eq!(a.lines.first().map(|l| l.line), Some(k));
        assert_eq!(
            (
                by_class(Class::Scanner).total,
                by_class(Class::Scanner).rolled()
            ),
            (8, 3)
        );
        assert_eq!(rolled.len(), 2);
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

    #[test]
    fn restored_hits_leave_their_roll_up_and_its_client_tally() {
        // Eight scanner hits (five kept; lines 5, 6 and 7 rolled up, 5 and 7 from the intruder)
        // and seven attempts from the intruder, all kept (the attempt cap is far above seven).
        let mut f: Vec<Finding> = (0..8)
            .map(|i| {
                let ip = if i % 2 == 1 {
                    "203.0.113.9"
                } else {
                    "192.0.2.1"
                };
                hit("survey", Class::Scanner, i, "a.log", i as u64, ip)
            })
            .collect();
        f.extend((0..7).map(|i| {
            hit(
                "ecp-js",
                Class::Attempt,
                i,
                "b.log",
                i as u64,
                "203.0.113.9",
            )
        }));
        let mut r = RollUps::default();
        r.take(&mut f);
        let (_, mut rolled) = r.finish();
        assert_eq!(rolled.len(), 1);
        let index = RolledIndex::new(&rolled);
        assert!(index.holds("a.log", 5) && index.holds("a.log", 7));
        assert!(!index.holds("a.log", 4) && !index.holds("b.log", 5) && !index.holds("c.log", 5));
        let again = vec![
            hit("survey", Class::Scanner, 5, "a.log", 5, "203.0.113.9"),
            hit("survey", Class::Scanner, 7, "a.log", 7, "203.0.113.9"),
            // The same line again: returned once.
            hit("survey", Class::Scanner, 7, "a.log", 7, "203.0.113.9"),
            // A hit kept whole, and another rule's hit on a rolled-up line: not rolled up, so
            // not returned (they are findings already, or were never hits).
            hit("survey", Class::Scanner, 1, "a.log", 1, "203.0.113.9"),
            hit("shell", Class::Scanner, 5, "a.log", 5, "203.0.113.9"),
        ];
        let back = restore(&mut rolled, again);
        let lines: Vec<u64> = back.iter().map(|f| f.source.line.unwrap()).collect();
        assert_eq!(lines, [5, 7]);
        let g = &rolled[0];
        assert_eq!((g.total, g.kept, g.rolled()), (8, 7, 1));
        assert_eq!(g.lines[0].line, 6);
        assert_eq!(g.clients, 1);
        assert_eq!(
            g.top_clients,
            [ClientCount {
                client: "192.0.2.1".into(),
                count: 1
            }]
        );
        // The last rolled-up line back: the roll-up goes.
        let back = restore(
            &mut rolled,
            vec![hit("survey", Class::Scanner, 6, "a.log", 6, "192.0.2.1")],
        );
        assert_eq!(back.len(), 1);
        assert!(rolled.is_empty());
        assert!(restore(&mut rolled, Vec::new()).is_empty());
    }
}
