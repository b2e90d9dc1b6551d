//! Reading one export of Windows events as JSON lines (see [`crate::sources::events_json`]):
//! the same checks as `.evtx` files, coverage per channel, and what the scan must say about the
//! export (its shape, its clock, the hosts it mixes).

use super::read::{FileOutcome, Prefilters, fold_all};
use crate::detect::{At, Ctx, Record};
use crate::model::{FileProblem, SourceCoverage, show_size};
use crate::sources::{SourceFile, SourceKind, events_json};

pub(super) fn scan_export(
    f: &SourceFile,
    path_str: &str,
    pre: &Prefilters,
    ctx: &Ctx,
    o: &mut FileOutcome,
) {
    let checks = pre.checks_for(SourceKind::Evtx);
    let mut findings = Vec::new();
    let res = events_json::read(&f.path, pre.get(SourceKind::Evtx), |e, line, raw| {
        let at = At {
            path: path_str,
            line: Some(line),
            offset: None,
            record_id: (e.record_id != 0).then_some(e.record_id),
            raw,
            protocol: None,
        };
        for c in checks {
            c.inspect(&Record::Evtx(&e), &at, ctx, &mut findings);
        }
    });
    fold_all(checks, &mut findings);
    o.findings = findings;
    let problem = |o: &mut FileOutcome, p: String| {
        o.cov.problems.push(FileProblem {
            path: path_str.to_string(),
            problem: p,
        })
    };
    let st = match res {
        Ok(st) => st,
        Err(e) => return problem(o, e),
    };
    o.cov.bytes = st.bytes;
    o.cov.records = st.records;
    o.cov.malformed = st.bad_lines;
    for s in &st.bad_samples {
        problem(o, format!("line not read: {}", s));
    }
    if st.bad_lines > st.bad_samples.len() as u64 {
        problem(
            o,
            format!(
                "{} line(s) not read in all (the first {} are listed)",
                st.bad_lines,
                st.bad_samples.len()
            ),
        );
    }
    if st.truncated_last_line {
        problem(
            o,
            "last line has no line end (export cut or still being written); read as is".into(),
        );
    }
    if st.bad_times > 0 {
        problem(
            o,
            format!(
                "{} event(s) without a readable or possible time: left out of the spans",
                st.bad_times
            ),
        );
    }
    if st.records == 0 && st.bad_lines == 0 {
        problem(o, "no events in the export (empty file)".into());
    }
    let shapes: Vec<String> = st
        .shapes
        .iter()
        .map(|(s, n)| format!("{} ({n} events)", s.as_str()))
        .collect();
    if let Some((main, _)) = st.shapes.iter().max_by_key(|(_, n)| **n) {
        o.label = format!(
            "EventJSON/{}",
            match main {
                events_json::Shape::Flat => "flat",
                events_json::Shape::Winlogbeat => "winlogbeat",
                events_json::Shape::EvtxDump => "evtx_dump",
                events_json::Shape::Sentinel => "sentinel",
                events_json::Shape::Velociraptor => "velociraptor",
            }
        );
    }
    o.notes.push(format!(
        "{path_str}: Windows events exported as JSON lines, shape {}; {} events in {} channel(s), {} read{}",
        if shapes.is_empty() { "none recognised".to_string() } else { shapes.join(", ") },
        st.records,
        st.channels.len(),
        show_size(st.bytes),
        if st.bad_lines > 0 { format!(", {} line(s) not read (see coverage)", st.bad_lines) } else { String::new() }
    ));
    for n in &st.clock_notes {
        o.notes.push(format!("{path_str}: {n}"));
    }
    let named: Vec<(&String, &u64)> = st.hosts.iter().filter(|(h, _)| !h.is_empty()).collect();
    if named.len() > 1 {
        o.notes.push(format!(
            "{path_str}: input mixes {} hosts: {}; this report covers all of them under one name (split the export per host for one report each)",
            named.len(),
            {
                let mut list: Vec<String> = named
                    .iter()
                    .take(10)
                    .map(|(h, n)| format!("{h} ({n} events)"))
                    .collect();
                if named.len() > 10 {
                    list.push(format!("and {} more", named.len() - 10));
                }
                list.join(", ")
            }
        ));
    }
    for (h, _) in named
        .into_iter()
        .filter(|(h, _)| *h != events_json::OTHER_HOSTS)
    {
        o.hosts.push((h.clone(), "EVTX Computer"));
    }
    for (channel, span) in st.channels {
        for t in [span.first, span.last].into_iter().flatten() {
            o.cov.note_time(t);
        }
        let mut g = SourceCoverage::new(
            format!("EVTX/{channel}"),
            SourceKind::EventJson.as_str(),
            path_str,
            true,
        );
        g.files = 1;
        g.records = span.records;
        g.first = span.first;
        g.last = span.last;
        o.more_cov.push(g);
    }
}
