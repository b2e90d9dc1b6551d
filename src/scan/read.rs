//! Reading one file: the per-kind prefilters, the line scan with its address gate, and the
//! checks run on every record that passes. Text lines are cut into records by
//! [`crate::sources::reader::TextReader`], the same reader the pivot sweep uses; this module adds
//! what only the scan needs (host, build and protocol from the first data line, malformed-line
//! counts, the checks' folds and the roll-up).

use crate::detect::indicators::{AddressSet, INDICATORS};
use crate::detect::{At, Check, Ctx, FileFold, LOG_CHECKS, Record};
use crate::model::names::Shown;
use crate::model::rollup::RollUps;
use crate::model::{FileProblem, Finding, SourceCoverage, Timestamp};
use crate::sources::address::Addr;
use crate::sources::discover;
use crate::sources::reader::{Line, Parsed, TextReader};
use crate::sources::{SourceFile, SourceKind, evtx, httpproxy, lines, open_read_only, w3c};
use std::collections::HashMap;

use super::ScanOptions;

/// The tag of a server address in [`FileOutcome::hosts`] (an address, not a name: never a host
/// name vote).
pub(super) const IIS_SERVER_ADDRESS: &str = "IIS s-ip";

/// What reading one file produced.
pub(super) struct FileOutcome {
    /// The file's kind as judged from its content (may differ from what its folder promised).
    pub(super) kind: SourceKind,
    pub(super) label: String,
    pub(super) cov: SourceCoverage,
    pub(super) findings: Vec<Finding>,
    /// Scanner hits and attempts past the first of their rule (see [`crate::model::rollup`]).
    pub(super) rolled: RollUps,
    pub(super) hosts: Vec<(String, &'static str)>,
    pub(super) builds: Vec<String>,
    /// EVTX: chunks counted from their record headers, not rendered (no literal in them).
    pub(super) evtx_chunks_skipped: u64,
    /// Coverage of further sources the file holds: the channels of an event export (which
    /// count for the event-log checks like `.evtx` files of those channels).
    pub(super) more_cov: Vec<SourceCoverage>,
    /// What the scan must say about the file as a whole (shape recognised, clock corrected,
    /// hosts mixed).
    pub(super) notes: Vec<String>,
}

/// Per source kind: the selected checks that read it, and a prefilter built from their literals.
pub(super) struct Prefilters {
    by_kind: HashMap<SourceKind, lines::Prefilter>,
    checks: HashMap<SourceKind, Vec<&'static dyn Check>>,
    /// Kinds whose lines are also handed on when their client address is in this set (published
    /// and `--ioc` addresses; see [`crate::sources::address`]).
    addresses: HashMap<SourceKind, AddressSet>,
    /// `--checks` narrowed the scan: kinds no selected check reads are skipped.
    narrowed: bool,
    /// The EVTX chunks that cannot match the EVTX prefilter (same literals).
    evtx_chunks: evtx::ChunkFilter,
}

impl Prefilters {
    /// Why no EVTX chunk is skipped, when skipping is off for the selected checks' literals.
    pub(super) fn evtx_skip_off(&self) -> Option<&str> {
        self.evtx_chunks.off()
    }

    pub(super) fn new(opts: &ScanOptions, ctx: &Ctx) -> Self {
        let mut checks = HashMap::new();
        let mut by_kind = HashMap::new();
        let mut addresses = HashMap::new();
        let mut all_addresses: Option<AddressSet> = None;
        let mut evtx_chunks = evtx::ChunkFilter::none();
        for kind in [
            SourceKind::HttpProxy,
            SourceKind::EcpServer,
            SourceKind::OabGenerator,
            SourceKind::Text,
            SourceKind::Evtx,
            SourceKind::IisW3c,
            SourceKind::EcpActivity,
        ] {
            let mine: Vec<&'static dyn Check> = LOG_CHECKS
                .iter()
                .copied()
                .filter(|c| c.info().sources.contains(&kind) && opts.selected(c.info().id))
                .collect();
            let lits: Vec<&str> = mine
                .iter()
                .flat_map(|c| c.info().literals_for(kind).iter().copied())
                .collect();
            if mine.iter().any(|c| c.info().client_addresses) {
                let set = all_addresses.get_or_insert_with(|| {
                    let mut a = INDICATORS.addresses();
                    a.extend(&ctx.extra_ips);
                    a
                });
                addresses.insert(kind, set.clone());
            }
            checks.insert(kind, mine);
            // A plain `DateTime,RequestId,...` header may also stand mid-file (concatenated
            // exports mixing the 2013 and 2016 layouts): found exactly, so columns re-bind.
            let exact: &[&str] = if kind == SourceKind::HttpProxy && !lits.is_empty() {
                &["DateTime,RequestId,"]
            } else {
                &[]
            };
            if kind == SourceKind::Evtx {
                evtx_chunks = evtx::ChunkFilter::new(&lits);
            }
            by_kind.insert(kind, lines::Prefilter::with_exact(&lits, exact));
        }
        Prefilters {
            by_kind,
            checks,
            addresses,
            narrowed: opts.checks.is_some(),
            evtx_chunks,
        }
    }

    pub(super) fn get(&self, kind: SourceKind) -> &lines::Prefilter {
        &self.by_kind[&kind]
    }

    pub(super) fn checks_for(&self, kind: SourceKind) -> &[&'static dyn Check] {
        self.checks.get(&kind).map_or(&[], Vec::as_slice)
    }
}

/// Reads one file and runs the checks for its kind.
pub(super) fn scan_file(planned: &SourceFile, pre: &Prefilters, ctx: &Ctx) -> FileOutcome {
    let mut f = planned.clone();
    let confirm_problem = if f.confirmed {
        None
    } else {
        discover::confirm_kind(&mut f)
    };
    let f = &f;
    let path_str = f.path.shown();
    let mut o = FileOutcome {
        kind: f.kind,
        label: f.label.clone(),
        cov: SourceCoverage::new(&f.label, f.kind.as_str(), "", true),
        findings: Vec::new(),
        rolled: RollUps::default(),
        hosts: Vec::new(),
        builds: Vec::new(),
        evtx_chunks_skipped: 0,
        more_cov: Vec::new(),
        notes: Vec::new(),
    };
    o.cov.files = 1;
    o.cov.problems.extend(confirm_problem);
    let problem = |o: &mut FileOutcome, p: String| {
        o.cov.problems.push(FileProblem {
            path: path_str.clone(),
            problem: p,
        })
    };
    let reads_as = match f.kind {
        SourceKind::EventJson => SourceKind::Evtx,
        k => k,
    };
    if pre.narrowed && pre.checks_for(reads_as).is_empty() && f.kind != SourceKind::Binary {
        problem(
            &mut o,
            "not read: no check selected with --checks reads this kind of log".into(),
        );
        o.cov.files = 0;
        return o;
    }
    match f.kind {
        SourceKind::Evtx => {
            let checks = pre.checks_for(SourceKind::Evtx);
            let mut findings = Vec::new();
            let res = evtx::read_with(&f.path, pre.get(SourceKind::Evtx), &pre.evtx_chunks, |e| {
                let at = At { path: &path_str, line: None, offset: None, record_id: Some(e.record_id), raw: e.json.as_bytes(), protocol: None };
                for c in checks {
                    c.inspect(&Record::Evtx(&e), &at, ctx, &mut findings);
                }
            });
            fold_all(checks, &mut findings);
            o.findings = findings;
            o.cov.bytes = std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0);
            match res {
                Ok(st) => {
                    o.cov.records = st.records;
                    o.cov.malformed = st.malformed;
                    o.cov.first = st.first;
                    o.cov.last = st.last;
                    o.evtx_chunks_skipped = st.chunks_skipped;
                    for e in st.errors {
                        problem(&mut o, format!("damaged record skipped: {e}"));
                    }
                    for p in st.file_problems {
                        problem(&mut o, p);
                    }
                    if f.label == "EVTX/(loose)"
                        && let Some(ch) = &st.channel
                    {
                        o.label = format!("EVTX/{ch}");
                    }
                    if let Some(c) = st.computer {
                        o.hosts.push((c, "EVTX Computer"));
                    }
                }
                Err(e) => problem(&mut o, e),
            }
        }
        SourceKind::EventJson => super::read_json::scan_export(f, &path_str, pre, ctx, &mut o),
        SourceKind::HttpProxy | SourceKind::EcpServer | SourceKind::OabGenerator | SourceKind::Text | SourceKind::IisW3c | SourceKind::EcpActivity => {
            scan_text_file(f, &path_str, pre, ctx, &mut o)
        }
        SourceKind::Utf16Text => problem(&mut o, "not read: UTF-16 text is not supported yet; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8) and scan the copy with --logs".into()),
        SourceKind::Binary => {} // discovery already reported why it is not read
    }
    o.cov.label = o.label.clone();
    o
}

/// The checks' folds over one file's findings, when the file was read in one go (event logs).
pub(super) fn fold_all(checks: &[&'static dyn Check], findings: &mut Vec<Finding>) {
    for mut fold in checks.iter().filter_map(|c| c.fold_file()) {
        fold.take(findings);
        fold.finish(findings);
    }
}

/// Findings a file may gather before its scanner hits and attempts are rolled up.
const ROLL_UP_EVERY: usize = 256;

fn scan_text_file(
    f: &SourceFile,
    path_str: &str,
    readers: &Prefilters,
    ctx: &Ctx,
    o: &mut FileOutcome,
) {
    let pre = readers.get(f.kind);
    let file = match open_read_only(&f.path) {
        Ok(file) => file,
        Err(e) => {
            o.cov.problems.push(FileProblem {
                path: path_str.to_string(),
                problem: crate::sources::io_problem("cannot open", &e),
            });
            return;
        }
    };
    let checks = readers.checks_for(f.kind);
    let mut reader = TextReader::new(f);
    let mut headers_seen = 0u64;
    let mut first_data_done = false;
    let mut malformed_samples = Vec::new();
    let mut findings = Vec::new();
    let mut rolled = RollUps::default();
    let mut roll_at = ROLL_UP_EVERY;
    let mut hosts = Vec::new();
    let mut builds = Vec::new();
    let mut proto_label: Option<String> = None;
    let mut malformed = 0u64;
    // Lines whose client address is an indicator are handed on by their address column; the
    // column follows the file's header (set below when one is read).
    let addresses = readers.addresses.get(&f.kind);
    let addr_col = std::cell::Cell::new(reader.address_column());
    let by_address = |t: &[u8]| {
        addresses.is_some_and(|a| match addr_col.get().address(t) {
            Addr::Value(v) => a.holds(v),
            Addr::Absent => false,
            Addr::Unsure => true,
        })
    };
    let mut gate_fn = |t: &[u8]| by_address(t);
    let gate: Option<lines::Gate<'_>> = match addresses {
        Some(_) => Some(&mut gate_fn),
        None => None,
    };
    let mut folds: Vec<Box<dyn FileFold>> = checks.iter().filter_map(|c| c.fold_file()).collect();
    let result = lines::scan_gated(file, pre, gate, |line| {
        if findings.len() >= roll_at {
            // Memory stays bounded within a file too: the checks' folds take what they fold
            // (webshell probes), then repeated scanner hits and attempts are rolled up.
            for fold in &mut folds {
                fold.take(&mut findings);
            }
            rolled.take(&mut findings);
            roll_at = findings.len() + ROLL_UP_EVERY;
        }
        let text = line.text;
        let at = At {
            path: path_str,
            line: Some(line.number),
            offset: Some(line.offset),
            record_id: None,
            raw: text,
            protocol: f.protocol.as_deref(),
        };
        let text = match reader.line(text) {
            Line::Header { plain } => {
                addr_col.set(reader.address_column());
                if plain {
                    headers_seen += 1; // `#Fields:` lines are already counted as directives
                }
                return;
            }
            Line::Skip => return,
            Line::Data(d) => d,
        };
        let first = !first_data_done;
        first_data_done = true;
        if f.kind == SourceKind::EcpActivity {
            return; // coverage only, for now
        }
        if f.kind == SourceKind::IisW3c && first && !pre.is_match(text) && !by_address(text) {
            return; // handed on only as the first data line
        }
        let parsed = reader.parse(text);
        match &parsed {
            Parsed::Malformed(why) => {
                malformed += 1;
                if malformed_samples.len() < 3 {
                    malformed_samples.push(format!("line {}: {why}", line.number));
                }
                return;
            }
            Parsed::HttpProxy(rec) => {
                if first {
                    let host = rec.get(httpproxy::Col::ServerHostName);
                    if !host.trim().is_empty() {
                        hosts.push((host.trim().to_string(), "HttpProxy ServerHostName"));
                    }
                    if let Some(b) = rec.build() {
                        builds.push(b);
                    }
                    let p = rec.get(httpproxy::Col::Protocol);
                    if !p.trim().is_empty() {
                        proto_label = Some(p.trim().to_string());
                    }
                    if !pre.is_match(text) && !by_address(text) {
                        return; // parsed only for host, build and protocol
                    }
                }
                if rec.fit == httpproxy::Fit::Short && line.cut {
                    malformed += 1;
                }
            }
            Parsed::Ecp(rec) => {
                if first && !rec.server.trim().is_empty() {
                    hosts.push((rec.server.trim().to_string(), "ECP ServerName"));
                }
                if let Some(b) = rec.get("S:BLD").filter(|_| first) {
                    builds.push(b.to_string());
                }
            }
            Parsed::Iis(rec) => {
                if first
                    && let Some(ip) = rec.get_named("s-ip")
                    && crate::model::reportable_address(ip)
                {
                    hosts.push((ip.trim().to_string(), IIS_SERVER_ADDRESS));
                }
                if rec.fit == w3c::Fit::Malformed {
                    malformed += 1;
                    if malformed_samples.len() < 3 {
                        malformed_samples.push(format!(
                            "line {}: does not fit its #Fields ({} fields)",
                            line.number,
                            reader.iis_fields().len()
                        ));
                    }
                }
            }
            Parsed::Text(_) => {}
        }
        if let Some(rec) = parsed.record() {
            for c in checks {
                c.inspect(&rec, &at, ctx, &mut findings);
            }
        }
    });
    for mut fold in folds {
        fold.take(&mut findings);
        fold.finish(&mut findings);
    }
    rolled.take(&mut findings);
    rolled.shrink_to_fit();
    findings.shrink_to_fit(); // held until every file is read
    o.findings = findings;
    o.rolled = rolled;
    o.hosts = hosts;
    o.builds = builds;
    o.cov.malformed = malformed;
    for s in malformed_samples {
        o.cov.problems.push(FileProblem {
            path: path_str.to_string(),
            problem: s,
        });
    }
    if f.kind == SourceKind::HttpProxy
        && f.label == "HttpProxy/(loose)"
        && let Some(p) = proto_label
    {
        o.label = format!("HttpProxy/{p}");
    }
    match result {
        Ok(st) => {
            o.cov.bytes = st.bytes;
            o.cov.records = st
                .lines
                .saturating_sub(st.directive_lines + st.blank_lines + headers_seen);
            o.cov.oversized_lines = st.oversized;
            for t in [st.first_data.as_deref(), st.last_data.as_deref()]
                .into_iter()
                .flatten()
            {
                if let Some(ts) = Timestamp::parse_leading(t) {
                    o.cov.note_time(ts);
                }
            }
            if st.oversized > 0 {
                o.cov.problems.push(FileProblem {
                    path: path_str.to_string(),
                    problem: format!(
                        "{} line(s) longer than {max}: searched in their first {max} only",
                        st.oversized,
                        max = crate::model::show_size(lines::MAX_LINE as u64)
                    ),
                });
            }
            if st.truncated_last_line && f.kind != SourceKind::Text {
                o.cov.problems.push(FileProblem {
                    path: path_str.to_string(),
                    problem:
                        "last line has no line end (file cut or still being written); read as is"
                            .into(),
                });
            }
        }
        Err(e) => o.cov.problems.push(FileProblem {
            path: path_str.to_string(),
            problem: crate::sources::io_problem("read error, file only partly scanned", &e),
        }),
    }
}
