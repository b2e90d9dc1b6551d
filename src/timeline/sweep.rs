//! The pivot sweep: one extra pass over the text logs (HttpProxy, IIS, ECP, OAB generator) with a
//! prefilter built from the pivot values, keeping every line whose parsed fields (not merely its
//! text) carry one of them. Runs only when findings gave pivots. Lines are parsed by
//! [`crate::sources::reader::TextReader`], the reader the log checks use.
//!
//! A line that names the attacker (by address, request id or path) and whose hit was rolled up
//! (mass attempts past the cap, see [`crate::model::rollup`]) is handed to [`Restore`]: the checks
//! run on it again and it becomes a finding once more, so the intruder's own attempts are not
//! buried among a flood's. Other rolled-up lines are not swept lines: they stay in
//! `rolled-up.csv`, counted.

use super::TimelineEvent;
use super::pivot::{Pivots, Req, names_the_attacker};
use crate::model::names::Shown;
use crate::model::rollup::ByKey;
use crate::model::{Earliest, FileProblem, Finding, Timestamp};
use crate::sources::reader::{self, Line, Parsed, TextReader};
use crate::sources::record::{At, Record};
use crate::sources::request::Request;
use crate::sources::{SourceFile, SourceKind, httpproxy, lines, open_read_only, w3c};
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// At most this many swept lines are kept, the earliest (a pivot IP that is a load balancer would
/// otherwise pull in the whole log); the rest are counted.
pub const MAX_SWEPT: usize = 100_000;

/// At most this many rolled-up hits (attempts, or scanner hits) are turned back into findings, the earliest (an
/// attacker's address that made a million attempts would otherwise bring the flood back into
/// memory); the rest stay rolled up.
pub const MAX_RESTORED: usize = 10_000;

/// The sweep's caps: [`MAX_SWEPT`] and [`MAX_RESTORED`] unless a test says otherwise.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub lines: usize,
    pub restored: usize,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            lines: MAX_SWEPT,
            restored: MAX_RESTORED,
        }
    }
}

/// Turns rolled-up lines back into findings (implemented by the scan, which knows the checks).
pub trait Restore: Sync {
    /// Whether a hit on this line was rolled up.
    fn rolled(&self, path: &str, line: u64) -> bool;
    /// The findings the checks make of this record.
    fn findings(&self, f: &SourceFile, rec: &Record<'_>, at: &At<'_>) -> Vec<Finding>;
}

/// The kinds the sweep reads: the text logs a request or an attacker's value shows up in.
pub fn reads(kind: SourceKind) -> bool {
    reader::reads(kind) && kind != SourceKind::Text
}

/// What the sweep found.
#[derive(Debug, Default)]
pub struct Swept {
    pub events: Vec<TimelineEvent>,
    pub files: u64,
    /// Lines whose fields held a pivot value (kept or not).
    pub matched: u64,
    /// Matched lines not kept: over [`MAX_SWEPT`], or without a readable time.
    pub dropped: u64,
    pub problems: Vec<FileProblem>,
    /// Findings the checks made again on rolled-up lines that carry a pivot (see [`Restore`]).
    pub restored: Vec<Finding>,
    /// Rolled-up attempts naming the attacker left rolled up: over [`MAX_RESTORED`].
    pub restore_capped: u64,
    /// Rolled-up lines carrying a pivot user agent and no other pivot, left rolled up.
    pub rolled_user_agent_only: u64,
}

/// Sweeps `files` (in parallel, on the current rayon pool). Lines at `skip` (path, line) are
/// already findings and are left out; rolled-up lines go to `restore`.
pub fn sweep(
    files: &[SourceFile],
    pv: &Pivots,
    skip: &HashSet<(&str, u64)>,
    restore: Option<&dyn Restore>,
    caps: Caps,
) -> Swept {
    let (ci, exact) = pv.literals();
    if ci.is_empty() && exact.is_empty() {
        return Swept::default();
    }
    let ci: Vec<&str> = ci.iter().map(String::as_str).collect();
    let mut exact: Vec<&str> = exact.iter().map(String::as_str).collect();
    let plain = lines::Prefilter::with_exact(&ci, &exact);
    exact.push("DateTime,RequestId,"); // HttpProxy's repeated plain header line
    let with_header = lines::Prefilter::with_exact(&ci, &exact);
    let keep = Keep {
        lines: Mutex::new(Earliest::new(caps.lines)),
        restored: Mutex::new(Earliest::new(caps.restored)),
    };
    let parts: Vec<Swept> = files
        .par_iter()
        .with_max_len(1) // one job per file (see scan::run)
        .filter(|f| reads(f.kind))
        .map(|f| {
            let pre = if f.kind == SourceKind::HttpProxy {
                &with_header
            } else {
                &plain
            };
            sweep_file(f, pre, (pv, skip, restore), &keep)
        })
        .collect();
    let mut out = Swept::default();
    for p in parts {
        out.files += p.files;
        out.matched += p.matched;
        out.dropped += p.dropped;
        out.problems.extend(p.problems);
        out.restore_capped += p.restore_capped;
        out.rolled_user_agent_only += p.rolled_user_agent_only;
    }
    out.events = inner(keep.lines)
        .into_sorted_vec()
        .into_iter()
        .map(|l| l.0)
        .collect();
    out.restored = inner(keep.restored)
        .into_sorted_vec()
        .into_iter()
        .map(|k| k.0)
        .collect();
    out
}

/// What the sweep keeps, shared by the files swept at once: the earliest swept lines and restored
/// findings (by time, then file and line), so that what the caps leave out does not depend on
/// which thread read which file first.
struct Keep {
    lines: Mutex<Earliest<ByTime>>,
    restored: Mutex<Earliest<ByKey>>,
}

fn inner<T>(m: Mutex<T>) -> T {
    m.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// Keeps `item` if it is among the earliest; whether it pushed something out (or was not kept).
fn keep_earliest<T: Ord>(m: &Mutex<Earliest<T>>, item: T) -> bool {
    m.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(item)
        .is_some()
}

/// A swept line ordered by (time, file, line).
struct ByTime(TimelineEvent);

impl ByTime {
    fn key(&self) -> (Timestamp, &str, Option<u64>) {
        (self.0.datetime, &self.0.source_file, self.0.line)
    }
}

impl PartialEq for ByTime {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for ByTime {}
impl PartialOrd for ByTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

fn sweep_file(
    f: &SourceFile,
    pre: &lines::Prefilter,
    (pv, skip, restore): (&Pivots, &HashSet<(&str, u64)>, Option<&dyn Restore>),
    keep: &Keep,
) -> Swept {
    let path = f.path.shown();
    let mut out = Swept {
        files: 1,
        ..Default::default()
    };
    let file = match open_read_only(&f.path) {
        Ok(file) => file,
        Err(e) => {
            out.problems.push(FileProblem {
                path,
                problem: format!("pivot sweep: cannot open: {e}"),
            });
            return out;
        }
    };
    let mut reader = TextReader::new(f);
    let res = lines::scan(file, pre, |line| {
        let text = match reader.line(line.text) {
            Line::Data(d) => d,
            Line::Header { .. } | Line::Skip => return,
        };
        let rolled = restore.filter(|r| r.rolled(&path, line.number));
        let is_finding = skip.contains(&(path.as_str(), line.number));
        if is_finding && rolled.is_none() {
            return;
        }
        let at = At {
            path: &path,
            line: Some(line.number),
            offset: Some(line.offset),
            record_id: None,
            raw: text,
            protocol: f.protocol.as_deref(),
        };
        let raw = String::from_utf8_lossy(text);
        let mut reasons = Vec::new();
        // Why the parsed request belongs to the attacker; the checks run again only on a
        // rolled-up line that names the attacker by more than a user agent.
        let mut again = |rec: &Record<'_>, req: &Req| {
            reasons = pv.reasons(req, &raw);
            match rolled {
                Some(r) if names_the_attacker(&reasons) => r.findings(f, rec, &at),
                _ => Vec::new(),
            }
        };
        let parsed = reader.parse(text);
        let Some(rec) = parsed.record() else {
            return;
        };
        let req = match &parsed {
            Parsed::HttpProxy(r) => hp_req(r),
            Parsed::Iis(r) => {
                if r.stem().is_empty() {
                    return; // too cut to be a request
                }
                iis_req(r)
            }
            Parsed::Ecp(r) => Req {
                time: r.time,
                url: r.get("S:URL").map(str::to_string),
                request_id: r
                    .get("S:REQID")
                    .filter(|v| !v.is_empty())
                    .map(str::to_string),
                ..Default::default()
            },
            Parsed::Text(t) => Req {
                time: Timestamp::parse_leading(t),
                ..Default::default()
            },
            Parsed::Malformed(_) => return,
        };
        let found = again(&rec, &req);
        if reasons.is_empty() {
            return;
        }
        if rolled.is_some() {
            // A rolled-up hit joins the timeline only as a finding again. One that carries no
            // more than a pivot user agent is the flood's as much as the intruder's, and past
            // the cap the intruder's own flood stays rolled up: both stay in rolled-up.csv.
            if found.is_empty() {
                out.rolled_user_agent_only += 1;
            }
            for f in found {
                out.restore_capped += u64::from(keep_earliest(&keep.restored, ByKey(f)));
            }
            return;
        }
        if is_finding {
            return;
        }
        out.matched += 1;
        let Some(time) = req.time else {
            out.dropped += 1;
            return;
        };
        let e = event(f, &path, &line, time, req, &raw, reasons);
        out.dropped += u64::from(keep_earliest(&keep.lines, ByTime(e)));
    });
    if let Err(e) = res {
        out.problems.push(FileProblem {
            path,
            problem: format!("pivot sweep: read error, file only partly swept: {e}"),
        });
    }
    out
}

fn nonempty(s: impl Into<String>) -> Option<String> {
    let s: String = s.into();
    let t = s.trim();
    (!t.is_empty() && t != "-").then(|| t.to_string())
}

/// The timeline's fields of a web request ([`Request`]: HttpProxy or IIS). IIS: its `cafeReqId`
/// (in Exchange's query suffix) is the request id, and an `X-Forwarded-For` column, when logged,
/// counts as a client address.
fn web_req(
    r: &Request<'_>,
    time: Option<Timestamp>,
    request_id: Option<String>,
    xff: Option<String>,
) -> Req {
    let ip = match (nonempty(r.c_ip.as_ref()), xff) {
        (Some(c), Some(x)) => Some(format!("{c},{x}")),
        (c, x) => c.or(x),
    };
    Req {
        time,
        ip,
        user_agent: nonempty(r.ua_raw.as_ref()),
        method: nonempty(r.method.as_ref()),
        url: nonempty(r.url_raw()),
        status: nonempty(r.status_text.as_ref()),
        user: nonempty(r.user.as_ref()),
        request_id,
    }
}

fn hp_req(r: &httpproxy::Record<'_>) -> Req {
    use httpproxy::Col;
    web_req(
        &Request::from_httpproxy(r),
        r.bytes(Col::DateTime).and_then(Timestamp::parse_leading),
        nonempty(r.get(Col::RequestId)),
        None,
    )
}

fn iis_req(r: &w3c::W3cRecord<'_>) -> Req {
    let rid = {
        let suffix = r.exchange_suffix();
        let l = suffix.to_ascii_lowercase();
        l.find("cafereqid=").and_then(|i| {
            let i = i + "cafereqid=".len();
            let end = suffix[i..].find([';', '&']).map_or(suffix.len(), |e| i + e);
            nonempty(&suffix[i..end])
        })
    };
    let xff = r
        .get_named("X-Forwarded-For")
        .or_else(|| r.get_named("cs(X-Forwarded-For)"))
        .and_then(nonempty);
    web_req(
        &Request::from_iis(r),
        Timestamp::parse_leading(r.date_time().as_bytes()),
        rid,
        xff,
    )
}

fn event(
    f: &SourceFile,
    path: &str,
    line: &lines::Line<'_>,
    time: Timestamp,
    req: Req,
    raw: &str,
    reasons: Vec<String>,
) -> TimelineEvent {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let message = match f.kind {
        SourceKind::HttpProxy | SourceKind::IisW3c => format!(
            "{} {} -> {} from {} ({})",
            s(&req.method),
            s(&req.url),
            s(&req.status),
            s(&req.ip),
            f.label
        ),
        SourceKind::EcpServer => format!("ECP request {} ({})", s(&req.url), f.label),
        _ => {
            let t: String = raw.chars().take(300).collect();
            format!("{t} ({})", f.label)
        }
    };
    TimelineEvent {
        datetime: time,
        timestamp_desc: if matches!(f.kind, SourceKind::HttpProxy | SourceKind::IisW3c) {
            "Request logged"
        } else {
            "Log entry written"
        },
        message,
        host: String::new(),
        source_type: f.kind.as_str().to_string(),
        source_file: path.to_string(),
        line: Some(line.number),
        record_id: None,
        byte_offset: Some(line.offset),
        client_ip: s(&req.ip),
        user_agent: s(&req.user_agent),
        method: s(&req.method),
        url: s(&req.url),
        status: s(&req.status),
        user: s(&req.user),
        request_id: s(&req.request_id),
        rule_id: String::new(),
        cve: String::new(),
        severity: String::new(),
        pivot: reasons.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Class, Evidence, Severity};

    /// Restores every rolled-up line as one attempt finding (the real one runs the checks).
    struct AllRolled;

    impl Restore for AllRolled {
        fn rolled(&self, path: &str, _line: u64) -> bool {
            !path.ends_with("c.log")
        }

        fn findings(&self, _f: &SourceFile, rec: &Record<'_>, at: &At<'_>) -> Vec<Finding> {
            let Record::Iis(r) = rec else { return vec![] };
            vec![Finding {
                check: "t",
                rule: "r",
                cve: "",
                title: "attempt".into(),
                class: Class::Attempt,
                severity: Severity::Medium,
                time: Timestamp::parse_leading(r.date_time().as_bytes()),
                source: Evidence {
                    path: at.path.to_string(),
                    line: at.line,
                    offset: at.offset,
                    record_id: None,
                },
                raw: String::from_utf8_lossy(at.raw).into_owned(),
                fields: Default::default(),
                why: String::new(),
            }]
        }
    }

    /// With caps reached, the same lines are kept (the earliest) and the same counted, whatever
    /// the order the files are read in and however many threads read them.
    #[test]
    fn what_the_caps_keep_does_not_depend_on_the_reading_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (name, minutes) in [
            ("a.log", [7, 1, 9]),
            ("b.log", [3, 8, 2]),
            ("c.log", [5, 0, 6]),
        ] {
            let mut text = format!("{}\r\n", w3c::DEFAULT_FIELDS);
            for m in minutes {
                text.push_str(&format!(
                    "2021-03-03 10:{m:02}:00 10.0.0.5 GET /owa/ - 443 - 203.0.113.9 curl/7.1 - 200 0 0 5\r\n"
                ));
            }
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            files.push(SourceFile {
                path,
                kind: SourceKind::IisW3c,
                label: "IIS/W3SVC1".into(),
                protocol: None,
                confirmed: true,
            });
        }
        let pv = Pivots {
            ips: ["203.0.113.9".to_string()].into(),
            ..Default::default()
        };
        let caps = Caps {
            lines: 2,
            restored: 3,
        };
        let run = |files: &[SourceFile], threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let s = pool.install(|| sweep(files, &pv, &HashSet::new(), Some(&AllRolled), caps));
            let minute = |t: Timestamp| t.to_string()[14..16].to_string();
            let lines: Vec<String> = s.events.iter().map(|e| minute(e.datetime)).collect();
            let mut restored: Vec<String> =
                s.restored.iter().map(|f| minute(f.time.unwrap())).collect();
            restored.sort();
            (lines, s.dropped, restored, s.restore_capped)
        };
        let forward = run(&files, 2);
        files.reverse();
        assert_eq!(run(&files, 1), forward);
        assert_eq!(run(&files, 2), forward);
        // c.log's lines are swept lines (not rolled up): the earliest two of three kept. The six
        // rolled-up lines of a.log and b.log: the earliest three restored.
        assert_eq!(
            forward,
            (
                vec!["00".into(), "05".into()],
                1,
                vec!["01".into(), "02".into(), "03".into()],
                3
            )
        );
    }

    #[test]
    fn iis_requests_from_w3c_records() {
        let fl = w3c::Fields::parse(w3c::DEFAULT_FIELDS.as_bytes()).unwrap();
        let line = b"2021-02-11 04:29:44 10.20.0.15 POST /ecp/q.js &CorrelationID=<empty>;&cafeReqId=6e1d4a7b-2c90-4f3e-b5d8-19a0c7e4f265; 443 - 203.0.113.57 python-requests/2.25.1 - 241 0 0 57";
        let r = iis_req(&w3c::W3cRecord::parse(&fl, line, "W3SVC1"));
        assert_eq!(r.time.unwrap().to_string(), "2021-02-11T04:29:44.000Z");
        assert_eq!(r.ip.as_deref(), Some("203.0.113.57"));
        assert_eq!(r.status.as_deref(), Some("241"));
        assert_eq!(r.user, None, "`-` is empty");
        assert_eq!(
            r.request_id.as_deref(),
            Some("6e1d4a7b-2c90-4f3e-b5d8-19a0c7e4f265")
        );
        assert_eq!(
            r.url.as_deref(),
            Some("/ecp/q.js"),
            "Exchange's suffix is not the URL"
        );
        let xff =
            w3c::Fields::parse(b"#Fields: date time cs-uri-stem c-ip X-Forwarded-For").unwrap();
        let r = iis_req(&w3c::W3cRecord::parse(
            &xff,
            b"2021-02-11 05:00:00 /owa/ 10.0.0.5 203.0.113.9",
            "",
        ));
        assert_eq!(r.ip.as_deref(), Some("10.0.0.5,203.0.113.9"));
        let cut = iis_req(&w3c::W3cRecord::parse(&fl, b"2021-02-11 04:29:44", ""));
        assert_eq!((cut.url, cut.ip), (None, None));
    }
}
