//! The pivot sweep: one extra pass over the text logs (HttpProxy, IIS, ECP, OAB generator) with a
//! prefilter built from the pivot values, keeping every line whose parsed fields (not merely its
//! text) carry one of them. Runs only when findings gave pivots.

use super::TimelineEvent;
use super::pivot::{Pivots, Req};
use crate::model::{FileProblem, Timestamp};
use crate::sources::{SourceFile, SourceKind, ecp, httpproxy, lines, open_read_only};
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

/// At most this many swept lines are kept (a pivot IP that is a load balancer would otherwise pull
/// in the whole log); the rest are counted.
pub const MAX_SWEPT: u64 = 100_000;

/// The kinds the sweep reads.
pub fn reads(kind: SourceKind) -> bool {
    matches!(
        kind,
        SourceKind::HttpProxy
            | SourceKind::IisW3c
            | SourceKind::EcpServer
            | SourceKind::EcpActivity
            | SourceKind::OabGenerator
    )
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
}

/// Sweeps `files` (in parallel, on the current rayon pool). Lines at `skip` (path, line) are
/// already findings and are left out.
pub fn sweep(files: &[SourceFile], pv: &Pivots, skip: &HashSet<(String, u64)>) -> Swept {
    let mut lits = pv.literals();
    if lits.is_empty() {
        return Swept::default();
    }
    let plain = lines::prefilter(&lits.iter().map(String::as_str).collect::<Vec<_>>());
    lits.push("DateTime,RequestId,".into()); // HttpProxy's repeated plain header line
    let with_header = lines::prefilter(&lits.iter().map(String::as_str).collect::<Vec<_>>());
    let kept = AtomicU64::new(0);
    let parts: Vec<Swept> = files
        .par_iter()
        .filter(|f| reads(f.kind))
        .map(|f| {
            let pre = if f.kind == SourceKind::HttpProxy {
                &with_header
            } else {
                &plain
            };
            sweep_file(f, pre, pv, skip, &kept)
        })
        .collect();
    let mut out = Swept::default();
    for p in parts {
        out.files += p.files;
        out.matched += p.matched;
        out.dropped += p.dropped;
        out.events.extend(p.events);
        out.problems.extend(p.problems);
    }
    out
}

fn sweep_file(
    f: &SourceFile,
    pre: &aho_corasick::AhoCorasick,
    pv: &Pivots,
    skip: &HashSet<(String, u64)>,
    kept: &AtomicU64,
) -> Swept {
    let path = f.path.display().to_string();
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
    let mut hp_header: Option<httpproxy::Header> = None;
    let mut iis_fields: Option<Vec<String>> = None;
    let res = lines::scan(file, pre, |line| {
        let text = line.text;
        if f.kind == SourceKind::HttpProxy && httpproxy::Header::is_header_line(text) {
            hp_header = httpproxy::Header::parse(text);
            return;
        }
        if f.kind == SourceKind::IisW3c
            && let Some(rest) = text.strip_prefix(b"#Fields:")
        {
            iis_fields = Some(
                String::from_utf8_lossy(rest)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
            );
            return;
        }
        if text.is_empty() || text[0] == b'#' || skip.contains(&(path.clone(), line.number)) {
            return;
        }
        let raw = String::from_utf8_lossy(text);
        let req = match f.kind {
            SourceKind::HttpProxy => {
                let h = hp_header.get_or_insert_with(httpproxy::Header::default_2016);
                match httpproxy::Record::parse(h, text) {
                    Some(r) => hp_req(&r),
                    None => return,
                }
            }
            SourceKind::IisW3c => match iis_req(iis_fields.as_deref(), &raw) {
                Some(r) => r,
                None => return,
            },
            SourceKind::EcpServer => match ecp::parse_line(text) {
                Some(r) => Req {
                    time: r.time,
                    url: r.get("S:URL").map(str::to_string),
                    request_id: r
                        .get("S:REQID")
                        .filter(|v| !v.is_empty())
                        .map(str::to_string),
                    ..Default::default()
                },
                None => return,
            },
            _ => Req {
                time: Timestamp::parse_leading(text),
                ..Default::default()
            },
        };
        let reasons = pv.reasons(&req, &raw);
        if reasons.is_empty() {
            return;
        }
        out.matched += 1;
        let Some(time) = req.time else {
            out.dropped += 1;
            return;
        };
        if kept.fetch_add(1, Ordering::Relaxed) >= MAX_SWEPT {
            out.dropped += 1;
            return;
        }
        out.events
            .push(event(f, &path, &line, time, req, &raw, reasons));
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

fn hp_req(r: &httpproxy::Record<'_>) -> Req {
    use httpproxy::Col;
    let stem = r.get(Col::UrlStem);
    let query = r.get(Col::UrlQuery);
    Req {
        time: r.bytes(Col::DateTime).and_then(Timestamp::parse_leading),
        ip: nonempty(r.get(Col::ClientIpAddress)),
        user_agent: nonempty(r.get(Col::UserAgent)),
        method: nonempty(r.get(Col::Method)),
        url: nonempty(if query.trim().is_empty() {
            stem.into_owned()
        } else {
            format!("{stem}?{query}")
        }),
        status: nonempty(r.get(Col::HttpStatus)),
        user: nonempty(r.get(Col::AuthenticatedUser)),
        request_id: nonempty(r.get(Col::RequestId)),
    }
}

/// A W3C line split on spaces and bound by the file's `#Fields` (the 2.2 layout when a file has
/// none).
// TODO(iis merge): branch `iis` adds the full W3C reader (`sources::w3c`: fields re-bound mid-file,
// Exchange query suffix, URL decoding). When it lands, build `Req` from its record here and
// delete this minimal split; nothing else in the sweep depends on it.
fn iis_req(fields: Option<&[String]>, line: &str) -> Option<Req> {
    const DEFAULT: [&str; 15] = [
        "date",
        "time",
        "s-ip",
        "cs-method",
        "cs-uri-stem",
        "cs-uri-query",
        "s-port",
        "cs-username",
        "c-ip",
        "cs(User-Agent)",
        "cs(Referer)",
        "sc-status",
        "sc-substatus",
        "sc-win32-status",
        "time-taken",
    ];
    let values: Vec<&str> = line.split(' ').collect();
    let get = |name: &str| -> Option<String> {
        let i = match fields {
            Some(f) => f.iter().position(|n| n.eq_ignore_ascii_case(name))?,
            None => DEFAULT.iter().position(|n| n.eq_ignore_ascii_case(name))?,
        };
        values.get(i).and_then(|v| nonempty(*v))
    };
    let time = match (get("date"), get("time")) {
        (Some(d), Some(t)) => Timestamp::parse_leading(format!("{d} {t}").as_bytes()),
        _ => None,
    };
    let stem = get("cs-uri-stem")?;
    let query = get("cs-uri-query");
    let rid = query.as_deref().and_then(|q| {
        let l = q.to_ascii_lowercase();
        let i = l.find("cafereqid=")? + "cafereqid=".len();
        let end = q[i..].find([';', '&']).map_or(q.len(), |e| i + e);
        nonempty(&q[i..end])
    });
    let ip = match (
        get("c-ip"),
        get("X-Forwarded-For").or_else(|| get("cs(X-Forwarded-For)")),
    ) {
        (Some(c), Some(x)) => Some(format!("{c},{x}")),
        (c, x) => c.or(x),
    };
    Some(Req {
        time,
        ip,
        user_agent: get("cs(User-Agent)"),
        method: get("cs-method"),
        url: Some(match &query {
            Some(q) => format!("{stem}?{q}"),
            None => stem,
        }),
        status: get("sc-status"),
        user: get("cs-username"),
        request_id: rid,
    })
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

    #[test]
    fn iis_lines_by_fields() {
        let fields: Vec<String> = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
            .split(' ').map(str::to_string).collect();
        let r = iis_req(Some(&fields), "2021-02-11 04:29:44 10.20.0.15 POST /ecp/q.js &CorrelationID=<empty>;&cafeReqId=6e1d4a7b-2c90-4f3e-b5d8-19a0c7e4f265; 443 - 203.0.113.57 python-requests/2.25.1 - 241 0 0 57").unwrap();
        assert_eq!(r.time.unwrap().to_string(), "2021-02-11T04:29:44.000Z");
        assert_eq!(r.ip.as_deref(), Some("203.0.113.57"));
        assert_eq!(r.status.as_deref(), Some("241"));
        assert_eq!(r.user, None, "`-` is empty");
        assert_eq!(
            r.request_id.as_deref(),
            Some("6e1d4a7b-2c90-4f3e-b5d8-19a0c7e4f265")
        );
        assert!(r.url.unwrap().starts_with("/ecp/q.js?&CorrelationID"));
        // no #Fields: the default layout; a short line has no stem
        assert!(
            iis_req(
                None,
                "2021-02-11 04:29:44 10.20.0.15 POST /x - 443 - 1.2.3.4 ua - 200 0 0 1"
            )
            .is_some()
        );
        assert!(iis_req(None, "2021-02-11 04:29:44").is_none());
    }
}
