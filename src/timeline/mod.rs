//! One UTC timeline of the attack, and who did it. Runs after the checks, over their findings:
//!
//! 1. pivot values are taken from findings that show an attacker at work ([`pivot`]);
//! 2. every text log is swept once more for lines carrying them ([`sweep`]); a rolled-up hit
//!    among them becomes a finding again;
//! 3. findings (log records, EVTX events, and one event per file time of a file finding) and swept
//!    lines become [`TimelineEvent`]s in Timesketch's shape, sorted by time;
//! 4. each pivot IP gets a summary ([`pivot::IpSummary`]).

pub mod pivot;
pub mod sweep;

use crate::model::{Finding, Timestamp};
use crate::sources::{SourceFile, SourceKind};
use pivot::{IP_FIELDS, IpSummary, Pivots, RID_FIELDS, UA_FIELDS};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One timeline row. Timesketch needs `datetime`, `timestamp_desc` and `message`; every other
/// field becomes an attribute. Empty fields are left out of JSONL.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEvent {
    pub datetime: Timestamp,
    pub timestamp_desc: &'static str,
    pub message: String,
    pub host: String,
    /// The source kind: `httpproxy`, `iis`, `ecp-server`, `oab-generator`, `evtx`, `file`...
    pub source_type: String,
    pub source_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<u64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_ip: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user_agent: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub method: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    /// `check/rule` of a finding; empty for a swept line.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rule_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cve: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub severity: String,
    /// For a swept line: which pivot values it carries (`ip=…; user-agent=…`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pivot: String,
}

/// The CSV columns, in order (the JSONL keys are the same).
pub const COLUMNS: [&str; 20] = [
    "datetime",
    "timestamp_desc",
    "message",
    "host",
    "source_type",
    "source_file",
    "line",
    "record_id",
    "byte_offset",
    "client_ip",
    "user_agent",
    "method",
    "url",
    "status",
    "user",
    "request_id",
    "rule_id",
    "cve",
    "severity",
    "pivot",
];

impl TimelineEvent {
    /// The row's cells in [`COLUMNS`] order (unsanitised: writers neutralise them).
    pub fn cells(&self) -> Vec<String> {
        let n = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
        vec![
            self.datetime.to_string(),
            self.timestamp_desc.to_string(),
            self.message.clone(),
            self.host.clone(),
            self.source_type.clone(),
            self.source_file.clone(),
            n(self.line),
            n(self.record_id),
            n(self.byte_offset),
            self.client_ip.clone(),
            self.user_agent.clone(),
            self.method.clone(),
            self.url.clone(),
            self.status.clone(),
            self.user.clone(),
            self.request_id.clone(),
            self.rule_id.clone(),
            self.cve.clone(),
            self.severity.clone(),
            self.pivot.clone(),
        ]
    }
}

/// What the pivot sweep used and did, for `report.json`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PivotReport {
    pub ips: Vec<String>,
    pub user_agents: Vec<String>,
    pub request_ids: Vec<String>,
    pub paths: Vec<String>,
    /// Text files read again.
    pub files_swept: u64,
    /// Lines whose fields carried a pivot value (findings' own lines excluded).
    pub lines_matched: u64,
    /// Matched lines left out of the timeline (over the cap, or without a time).
    pub lines_dropped: u64,
    /// Rolled-up attempts that carried a pivot and became findings again.
    pub restored: u64,
    /// Rolled-up attempts naming the attacker that stayed rolled up (over the cap).
    pub restore_capped: u64,
    /// Rolled-up hits carrying only a pivot user agent: left rolled up, not in the timeline.
    pub rolled_user_agent_only: u64,
    pub timeline_events: u64,
    /// Findings without a time, which the timeline cannot hold.
    pub findings_without_time: u64,
    pub problems: Vec<crate::model::FileProblem>,
}

/// Everything the timeline step produces.
#[derive(Debug, Default)]
pub struct Outcome {
    pub events: Vec<TimelineEvent>,
    pub pivot: PivotReport,
    pub ips: Vec<IpSummary>,
}

fn first_field<'a>(f: &'a Finding, names: &[&str]) -> &'a str {
    names
        .iter()
        .find_map(|n| {
            f.field(n)
                .filter(|v| !v.trim().is_empty() && v.trim() != "-")
        })
        .unwrap_or_default()
}

/// The timeline events of one finding: one for a log record, one per file time for a file.
fn finding_events(
    host: &str,
    f: &Finding,
    kinds: &HashMap<String, SourceKind>,
) -> Vec<TimelineEvent> {
    let kind = kinds.get(&f.source.path).copied();
    let stem = first_field(f, &["UrlStem", "cs-uri-stem"]);
    let query = first_field(f, &["UrlQuery", "cs-uri-query"]);
    let url = if !stem.is_empty() {
        if query.is_empty() {
            stem.to_string()
        } else {
            format!("{stem}?{query}")
        }
    } else {
        first_field(f, &["URL"]).to_string()
    };
    let base = TimelineEvent {
        datetime: Timestamp(0),
        timestamp_desc: "",
        message: f.title.clone(),
        host: host.to_string(),
        source_type: kind.map_or("file", SourceKind::as_str).to_string(),
        source_file: f.source.path.clone(),
        line: f.source.line,
        record_id: f.source.record_id,
        byte_offset: f.source.offset,
        client_ip: first_field(f, &IP_FIELDS).to_string(),
        user_agent: first_field(f, &UA_FIELDS).to_string(),
        method: first_field(f, &["Method", "cs-method"]).to_string(),
        url,
        status: first_field(f, &["HttpStatus", "sc-status"]).to_string(),
        user: first_field(f, &["AuthenticatedUser", "cs-username", "Caller", "User"]).to_string(),
        request_id: first_field(f, &RID_FIELDS).to_string(),
        rule_id: format!("{}/{}", f.check, f.rule),
        cve: f.cve.to_string(),
        severity: f.severity.as_str().to_string(),
        pivot: String::new(),
    };
    if kind.is_none() {
        let times: Vec<(&'static str, Timestamp)> = [
            ("Modified", "File modified"),
            ("Created", "File created"),
            ("Accessed", "File accessed"),
        ]
        .into_iter()
        .filter_map(|(k, desc)| {
            f.field(k)
                .and_then(|v| Timestamp::parse_leading(v.as_bytes()))
                .map(|t| (desc, t))
        })
        .collect();
        if !times.is_empty() {
            return times
                .into_iter()
                .map(|(desc, t)| TimelineEvent {
                    datetime: t,
                    timestamp_desc: desc,
                    ..base.clone()
                })
                .collect();
        }
    }
    let Some(t) = f.time else { return vec![] };
    let desc = match kind {
        Some(SourceKind::HttpProxy | SourceKind::IisW3c) => "Request logged",
        Some(SourceKind::Evtx | SourceKind::EventJson) => "Event recorded",
        Some(_) => "Log entry written",
        None => "Evidence time",
    };
    vec![TimelineEvent {
        datetime: t,
        timestamp_desc: desc,
        ..base
    }]
}

/// Steps 1 and 2: the pivots of `findings`, and the sweep of `text_files` for them (on the
/// current rayon pool). Rolled-up lines that carry a pivot go to `restore` (see
/// [`sweep::Restore`]); the findings it makes come back in [`sweep::Swept::restored`].
pub fn sweep_for(
    findings: &[Finding],
    text_files: &[SourceFile],
    restore: Option<&dyn sweep::Restore>,
) -> (Pivots, sweep::Swept) {
    let pv = Pivots::from_findings(findings);
    let skip: HashSet<(&str, u64)> = findings
        .iter()
        .filter_map(|f| f.source.line.map(|l| (f.source.path.as_str(), l)))
        .collect();
    let swept = if pv.is_empty() || text_files.is_empty() {
        sweep::Swept::default()
    } else {
        sweep::sweep(text_files, &pv, &skip, restore, sweep::Caps::default())
    };
    (pv, swept)
}

/// Steps 3 and 4: the timeline of a scan from its `findings` and what the sweep for `pv` found,
/// and the per-IP summaries. `kinds` maps each read file's path to its source kind.
pub fn build(
    host: &str,
    findings: &[Finding],
    pv: &Pivots,
    swept: sweep::Swept,
    kinds: &HashMap<String, SourceKind>,
) -> Outcome {
    // The findings' events are built after the sweep: the sweep's read buffers and the events
    // are then never held at once (the events grow with the findings; this was the scan's peak).
    // The swept lines' vector grows to hold the findings' events too: up to 100,000 swept lines
    // are never held twice.
    let mut events: Vec<TimelineEvent> = swept.events;
    for e in &mut events {
        e.host = host.to_string();
    }
    events.reserve_exact(findings.len());
    let mut without_time = 0;
    for f in findings {
        let e = finding_events(host, f, kinds);
        if e.is_empty() {
            without_time += 1;
        }
        events.extend(e);
    }
    events.sort_by(|a, b| {
        (a.datetime, &a.source_file, a.line, a.record_id, &a.rule_id).cmp(&(
            b.datetime,
            &b.source_file,
            b.line,
            b.record_id,
            &b.rule_id,
        ))
    });
    let ips = pivot::summarize(&pv.ips, &events);
    Outcome {
        pivot: PivotReport {
            ips: pv.ips.iter().cloned().collect(),
            user_agents: pv.user_agents.iter().cloned().collect(),
            request_ids: pv.request_ids.iter().cloned().collect(),
            paths: pv.paths.iter().cloned().collect(),
            files_swept: swept.files,
            lines_matched: swept.matched,
            lines_dropped: swept.dropped,
            restored: 0, // counted by the scan, which turns them back into findings
            restore_capped: swept.restore_capped,
            rolled_user_agent_only: swept.rolled_user_agent_only,
            timeline_events: events.len() as u64,
            findings_without_time: without_time,
            problems: swept.problems,
        },
        events,
        ips,
    }
}
