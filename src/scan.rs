//! One scan of one server: plan the sources, read every file once (in parallel, through the
//! literal prefilter), run the checks on the records that pass, then derive coverage, per-check
//! status and the verdict.

use crate::detect::indicators::{AddressSet, INDICATORS};
use crate::detect::webshells;
use crate::detect::{self, At, Check, Ctx, LOG_CHECKS, Record};
use crate::model::rollup::{RollUp, RollUps};
use crate::model::{
    self, CheckState, CheckStatus, FileProblem, Finding, SourceCoverage, Timestamp, Verdict, Window,
};
use crate::sources::address::{Addr, AddressColumn};
use crate::sources::discover::{self, Install, Plan};
use crate::sources::{SourceFile, SourceKind, ecp, evtx, httpproxy, lines, open_read_only, w3c};
use crate::timeline;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// What to scan and how.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// A system drive (mounted image, collection, or `C:\`).
    pub root: Option<PathBuf>,
    /// Loose files or folders, classified by content.
    pub logs: Vec<PathBuf>,
    pub exchange_path: Option<PathBuf>,
    pub window: Window,
    pub host: Option<String>,
    pub threads: Option<usize>,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
    /// The file scan of the web folders (webshells, indicators, heuristics).
    pub files: webshells::FileScanOptions,
    /// Check ids to run (`None`: all). Sources no selected check reads are not read at all.
    pub checks: Option<Vec<String>>,
}

impl ScanOptions {
    /// Whether the check with this id runs.
    pub fn selected(&self, id: &str) -> bool {
        self.checks
            .as_ref()
            .is_none_or(|c| c.iter().any(|x| x == id))
    }
}

/// The check ids `--checks tpl` stands for: Test-ProxyLogon's four log checks and its file check.
pub const TPL_CHECKS: [&str; 5] = [
    "cve-2021-26855",
    "cve-2021-26857",
    "cve-2021-26858",
    "cve-2021-27065",
    "suspicious-files",
];

/// Every check id, for `--checks` validation.
pub fn all_check_ids() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = LOG_CHECKS.iter().map(|c| c.info().id).collect();
    v.push(detect::suspicious_files::ID);
    v.extend(WEB_CHECKS);
    v.push(PIVOT);
    v
}

/// Not a check: `--checks` names it to keep the pivot sweep (and its timeline lines) in a
/// narrowed scan.
pub const PIVOT: &str = "pivot";

/// The file-scan check ids.
const WEB_CHECKS: [&str; 3] = [webshells::YARA_ID, webshells::IOC_ID, webshells::HEUR_ID];

/// The scan parameters as recorded in reports.
#[derive(Clone, Debug, Serialize)]
pub struct ScanParams {
    pub mode: &'static str,
    pub root: Option<String>,
    pub logs: Vec<String>,
    pub exchange_path: Option<String>,
    pub window: Window,
    pub host: Option<String>,
    pub threads: usize,
    pub files: webshells::FileScanParams,
}

/// Totals of what was read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    /// Log files read, their bytes and data records.
    pub files: u64,
    pub bytes: u64,
    pub records: u64,
    /// Files read by the file scan (a loose file can be read by both passes).
    pub scanned_files: u64,
    pub scanned_bytes: u64,
}

/// Everything a scan found and saw; the input of every report.
#[derive(Clone, Debug, Serialize)]
pub struct ScanResult {
    pub host: String,
    /// Where the host name came from.
    pub host_source: String,
    pub params: ScanParams,
    pub install: Option<Install>,
    pub verdict: Verdict,
    pub checks: Vec<CheckStatus>,
    pub coverage: Vec<SourceCoverage>,
    pub findings: Vec<Finding>,
    /// Scanner hits past the first few of each rule, as evidence locators (see
    /// [`model::rollup`]); the first few are among `findings`.
    pub rolled_up: Vec<RollUp>,
    /// Problems not tied to one log source (listing errors, links not followed, missing input).
    pub problems: Vec<FileProblem>,
    pub notes: Vec<String>,
    /// Exchange builds seen in the logs (HttpProxy version columns).
    pub builds_seen: Vec<String>,
    /// The earliest and latest of them, and whether the latest holds each chain's fix.
    pub build_assessment: Option<detect::patch_level::BuildAssessment>,
    /// The pivot values taken from the findings and what the sweep for them read.
    pub pivot: timeline::PivotReport,
    /// Per attacker IP: first and last seen, requests, statuses, what it hit, which findings.
    pub attacker_ips: Vec<timeline::pivot::IpSummary>,
    /// The timeline (findings and swept lines), written as `timeline.csv` / `timeline.jsonl`.
    #[serde(skip)]
    pub timeline: Vec<timeline::TimelineEvent>,
    pub started: Timestamp,
    pub elapsed_ms: u64,
    pub totals: Totals,
}

/// A failure that stops the scan before it starts.
#[derive(Debug)]
pub struct ScanError(pub String);

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScanError {}

/// What reading one file produced.
struct FileOutcome {
    /// The file's kind as judged from its content (may differ from what its folder promised).
    kind: SourceKind,
    label: String,
    cov: SourceCoverage,
    findings: Vec<Finding>,
    /// Scanner hits past the first few of their rule (see [`model::rollup`]).
    rolled: RollUps,
    hosts: Vec<(String, &'static str)>,
    builds: Vec<String>,
}

/// Runs a scan.
pub fn run(opts: &ScanOptions) -> Result<ScanResult, ScanError> {
    let started = Timestamp::from_jiff(jiff::Timestamp::now());
    let clock = std::time::Instant::now();
    let phase = Phases::new(clock);
    let threads = opts
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let plan = match (&opts.root, opts.logs.is_empty()) {
        (Some(root), true) => {
            if !root.is_dir() {
                return Err(ScanError(format!(
                    "{}: not a folder (give the mounted system drive, or use --logs for loose files)",
                    root.display()
                )));
            }
            discover::plan_root(root, opts.exchange_path.as_deref())
        }
        (None, false) => {
            if let Some(missing) = opts.logs.iter().find(|p| !p.exists()) {
                return Err(ScanError(format!(
                    "{}: no such file or folder (check the paths given to --logs)",
                    missing.display()
                )));
            }
            discover::plan_loose(&opts.logs)
        }
        _ => {
            return Err(ScanError(
                "give either ROOT or --logs PATH..., not both".into(),
            ));
        }
    };
    phase.mark("plan");
    let prepared = webshells::prepare(&opts.files).map_err(ScanError)?;
    let ctx = Ctx {
        install_windows_path: plan.install.as_ref().map(|i| i.windows_path.clone()),
        extra_ips: prepared.indicators.ips.iter().collect(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            ScanError(format!(
                "cannot start worker threads: {e} (try --threads 1)"
            ))
        })?;

    let mut files: Vec<(&SourceFile, u64)> = plan
        .files
        .iter()
        .map(|f| (f, std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0)))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.1)); // largest first: better balance across threads
    let prefilters = Prefilters::new(opts, &ctx);
    let total_bytes: u64 = files.iter().map(|f| f.1).sum();
    let bar = progress_bar(opts.progress, total_bytes);
    let outcomes: Vec<FileOutcome> = pool.install(|| {
        // One job per file: rayon otherwise hands each thread a contiguous run of the list and
        // never splits a run once started, so the largest files (sorted first) all landed on
        // one thread (measured: 2 threads 1.1x faster than one; 1.8x with one job per file).
        files
            .par_iter()
            .with_max_len(1)
            .map(|(f, size)| {
                let o = scan_file(f, &prefilters, &ctx);
                bar.inc(*size);
                o
            })
            .collect()
    });
    bar.finish_and_clear();
    phase.mark("read logs");
    // What the files turned out to be: the file scan, the sweep and the timeline go by content.
    let actual: HashMap<PathBuf, SourceKind> = files
        .iter()
        .zip(&outcomes)
        .map(|((f, _), o)| (f.path.clone(), o.kind))
        .collect();
    drop(files);
    let mut plan = plan;
    for f in &mut plan.files {
        if let Some(k) = actual.get(&f.path) {
            f.kind = *k;
        }
    }

    // The file scan (webshells and artefacts), over everything but the logs read above.
    let logs_read: std::collections::HashSet<PathBuf> = plan
        .files
        .iter()
        .filter(|f| {
            !matches!(
                f.kind,
                SourceKind::Text | SourceKind::Binary | SourceKind::Utf16Text
            )
        })
        .map(|f| f.path.clone())
        .collect();
    // None of the file checks selected (`--checks`): nothing to plan, nothing read.
    let web_selected = WEB_CHECKS.iter().any(|id| opts.selected(id));
    let web_plan = webshells::plan(
        plan.root.as_deref().filter(|_| web_selected),
        plan.install.as_ref().map(|i| i.dir.as_path()),
        if web_selected { &opts.logs } else { &[] },
        opts.files.full,
        &logs_read,
    );
    let web = pool.install(|| webshells::scan(&prepared, web_plan, opts.window));
    phase.mark("file scan");

    let text_files: Vec<SourceFile> = plan
        .files
        .iter()
        .filter(|f| timeline::sweep::reads(f.kind))
        .cloned()
        .collect();
    let kinds: HashMap<String, SourceKind> = plan
        .files
        .iter()
        .map(|f| (f.path.display().to_string(), f.kind))
        .collect();
    let mut result = assemble(opts, plan, outcomes, threads, started, (prepared, web));
    phase.mark("assemble");
    let sweep = opts.selected(PIVOT);
    pool.install(|| post_process(&mut result, &text_files, &kinds, sweep));
    phase.mark("sweep and timeline");
    result.elapsed_ms = clock.elapsed().as_millis() as u64;
    Ok(result)
}

/// Phase durations on stderr when `EXHUNT_TIMINGS` is set (for benchmarks; see BENCHMARKS.md).
struct Phases {
    on: bool,
    last: std::cell::Cell<std::time::Instant>,
}

impl Phases {
    fn new(start: std::time::Instant) -> Phases {
        Phases {
            on: std::env::var_os("EXHUNT_TIMINGS").is_some(),
            last: std::cell::Cell::new(start),
        }
    }

    fn mark(&self, name: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!("timing: {name}: {} ms", (now - self.last.get()).as_millis());
            self.last.set(now);
        }
    }
}

/// Analysis over the findings of every check: the patch level each hit met, the builds seen, and
/// the pivot sweep and timeline (one more pass over the text logs, only when findings give pivots).
fn post_process(
    result: &mut ScanResult,
    text_files: &[SourceFile],
    kinds: &HashMap<String, SourceKind>,
    sweep: bool,
) {
    detect::patch_level::annotate(&mut result.findings);
    result.build_assessment = detect::patch_level::assess(&result.builds_seen);
    // The pivot sweep re-reads every text log: part of the default scan, and of a `--checks`
    // scan only when `pivot` is listed.
    let t = timeline::run(
        &result.host,
        &result.findings,
        if sweep { text_files } else { &[] },
        kinds,
    );
    result.timeline = t.events;
    result.pivot = t.pivot;
    result.attacker_ips = t.ips;
}

fn progress_bar(enabled: bool, total: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} reading logs {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Per source kind: the selected checks that read it, and a prefilter built from their literals.
struct Prefilters {
    by_kind: HashMap<SourceKind, lines::Prefilter>,
    checks: HashMap<SourceKind, Vec<&'static dyn Check>>,
    /// Kinds whose lines are also handed on when their client address is in this set (published
    /// and `--ioc` addresses; see [`crate::sources::address`]).
    addresses: HashMap<SourceKind, AddressSet>,
    /// `--checks` narrowed the scan: kinds no selected check reads are skipped.
    narrowed: bool,
}

impl Prefilters {
    fn new(opts: &ScanOptions, ctx: &Ctx) -> Self {
        let mut checks = HashMap::new();
        let mut by_kind = HashMap::new();
        let mut addresses = HashMap::new();
        let mut all_addresses: Option<AddressSet> = None;
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
            by_kind.insert(kind, lines::Prefilter::with_exact(&lits, exact));
        }
        Prefilters {
            by_kind,
            checks,
            addresses,
            narrowed: opts.checks.is_some(),
        }
    }

    fn get(&self, kind: SourceKind) -> &lines::Prefilter {
        &self.by_kind[&kind]
    }

    fn checks_for(&self, kind: SourceKind) -> &[&'static dyn Check] {
        self.checks.get(&kind).map_or(&[], Vec::as_slice)
    }
}

/// Reads one file and runs the checks for its kind.
fn scan_file(planned: &SourceFile, pre: &Prefilters, ctx: &Ctx) -> FileOutcome {
    let mut f = planned.clone();
    let confirm_problem = if f.confirmed {
        None
    } else {
        discover::confirm_kind(&mut f)
    };
    let f = &f;
    let path_str = f.path.display().to_string();
    let mut o = FileOutcome {
        kind: f.kind,
        label: f.label.clone(),
        cov: SourceCoverage::new(&f.label, f.kind.as_str(), "", true),
        findings: Vec::new(),
        rolled: RollUps::default(),
        hosts: Vec::new(),
        builds: Vec::new(),
    };
    o.cov.files = 1;
    o.cov.problems.extend(confirm_problem);
    let problem = |o: &mut FileOutcome, p: String| {
        o.cov.problems.push(FileProblem {
            path: path_str.clone(),
            problem: p,
        })
    };
    if pre.narrowed && pre.checks_for(f.kind).is_empty() && f.kind != SourceKind::Binary {
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
            let res = evtx::read(&f.path, pre.get(SourceKind::Evtx), |e| {
                let at = At { path: &path_str, line: None, offset: None, record_id: Some(e.record_id), raw: e.json.as_bytes(), protocol: None };
                for c in checks {
                    c.inspect(&Record::Evtx(&e), &at, ctx, &mut findings);
                }
            });
            o.findings = findings;
            o.cov.bytes = std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0);
            match res {
                Ok(st) => {
                    o.cov.records = st.records;
                    o.cov.malformed = st.malformed;
                    o.cov.first = st.first;
                    o.cov.last = st.last;
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
        SourceKind::HttpProxy | SourceKind::EcpServer | SourceKind::OabGenerator | SourceKind::Text | SourceKind::IisW3c | SourceKind::EcpActivity => {
            scan_text_file(f, &path_str, pre, ctx, &mut o)
        }
        SourceKind::Utf16Text => problem(&mut o, "not read: UTF-16 text is not supported yet; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8) and scan the copy with --logs".into()),
        SourceKind::Binary => {} // discovery already reported why it is not read
    }
    o.cov.label = o.label.clone();
    o
}

/// Where HttpProxy and IIS lines keep the client address until a header says otherwise.
static DEFAULT_HP_ADDRESS: std::sync::LazyLock<AddressColumn> =
    std::sync::LazyLock::new(|| httpproxy::Header::default_2016().address_column());
static DEFAULT_IIS_ADDRESS: std::sync::LazyLock<AddressColumn> =
    std::sync::LazyLock::new(|| w3c::Fields::default_iis().address_column());

/// Findings a file may gather before its scanner hits are rolled up.
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
    let mut header: Option<httpproxy::Header> = None;
    let mut iis_fields: Option<w3c::Fields> = None;
    let site = w3c::site_of(&f.label, &f.path);
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
    let addr_col = std::cell::Cell::new(match f.kind {
        SourceKind::HttpProxy => *DEFAULT_HP_ADDRESS,
        SourceKind::IisW3c => *DEFAULT_IIS_ADDRESS,
        _ => AddressColumn::Absent,
    });
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
    let result = lines::scan_gated(file, pre, gate, |line| {
        if findings.len() >= roll_at {
            // Memory stays bounded within a file too; what a check folds at the end of the
            // file (webshell probes) stays whole until then.
            rolled.take_except(&mut findings, |f| checks.iter().any(|c| c.held_for_file(f)));
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
        let first = !first_data_done && !text.is_empty() && text[0] != b'#';
        match f.kind {
            SourceKind::HttpProxy => {
                if httpproxy::Header::is_header_line(text) {
                    if let Some(h) = httpproxy::Header::parse(text) {
                        addr_col.set(h.address_column());
                        header = Some(h);
                        if text.first() != Some(&b'#') {
                            headers_seen += 1; // `#Fields:` lines are already counted as directives
                        }
                    }
                    return;
                }
                if text.first() == Some(&b'#') || text.is_empty() {
                    return;
                }
                first_data_done = true;
                let h = header.get_or_insert_with(httpproxy::Header::default_2016);
                let Some(rec) = httpproxy::Record::parse(h, text) else {
                    malformed += 1;
                    if malformed_samples.len() < 3 {
                        malformed_samples.push(format!("line {}: not a CSV record", line.number));
                    }
                    return;
                };
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
                }
                if first && !pre.is_match(text) && !by_address(text) {
                    return; // parsed only for host, build and protocol
                }
                if rec.fit == httpproxy::Fit::Short && line.cut {
                    malformed += 1;
                }
                for c in checks {
                    c.inspect(&Record::HttpProxy(&rec), &at, ctx, &mut findings);
                }
            }
            SourceKind::EcpServer => {
                if text.first() == Some(&b'#') || text.is_empty() {
                    return;
                }
                first_data_done = true;
                match ecp::parse_line(text) {
                    Some(rec) => {
                        if first && !rec.server.trim().is_empty() {
                            hosts.push((rec.server.trim().to_string(), "ECP ServerName"));
                        }
                        if let Some(b) = rec.get("S:BLD").filter(|_| first) {
                            builds.push(b.to_string());
                        }
                        for c in checks {
                            c.inspect(&Record::Ecp(&rec), &at, ctx, &mut findings);
                        }
                    }
                    None => {
                        malformed += 1;
                        if malformed_samples.len() < 3 {
                            malformed_samples
                                .push(format!("line {}: fewer than four CSV fields", line.number));
                        }
                    }
                }
            }
            SourceKind::OabGenerator | SourceKind::Text => {
                if text.first() == Some(&b'#') {
                    return;
                }
                first_data_done = true;
                for c in checks {
                    c.inspect(&Record::TextLine(text), &at, ctx, &mut findings);
                }
            }
            SourceKind::IisW3c => {
                let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
                if text.first() == Some(&b'#') {
                    if let Some(fl) = w3c::Fields::parse(text) {
                        addr_col.set(fl.address_column());
                        iis_fields = Some(fl); // `#Fields` may change mid-file: re-bind
                    }
                    return;
                }
                if text.iter().all(u8::is_ascii_whitespace) {
                    return;
                }
                first_data_done = true;
                if first && !pre.is_match(text) && !by_address(text) {
                    return; // handed on only as the first data line
                }
                let fl = iis_fields.get_or_insert_with(w3c::Fields::default_iis);
                let rec = w3c::W3cRecord::parse(fl, text, &site);
                if rec.fit == w3c::Fit::Malformed {
                    malformed += 1;
                    if malformed_samples.len() < 3 {
                        malformed_samples.push(format!(
                            "line {}: does not fit its #Fields ({} fields)",
                            line.number,
                            fl.len()
                        ));
                    }
                }
                for c in checks {
                    c.inspect(&Record::Iis(&rec), &at, ctx, &mut findings);
                }
            }
            _ => {
                first_data_done = true; // ECP activity: coverage only, for now
            }
        }
    });
    for c in checks {
        c.finish_file(&mut findings);
    }
    rolled.take(&mut findings);
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
                        "{} line(s) longer than {} MiB: searched in their first {} MiB only",
                        st.oversized,
                        lines::MAX_LINE >> 20,
                        lines::MAX_LINE >> 20
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

fn assemble(
    opts: &ScanOptions,
    plan: Plan,
    outcomes: Vec<FileOutcome>,
    threads: usize,
    started: Timestamp,
    (prepared, web): (webshells::Prepared, webshells::Outcome),
) -> ScanResult {
    let Plan {
        root,
        install,
        groups,
        file_locations,
        mut problems,
        mut notes,
        ..
    } = plan;
    let mut coverage: Vec<SourceCoverage> = groups;
    let mut findings = Vec::new();
    let mut rolled = RollUps::default();
    let mut host_votes: BTreeMap<(u8, String), u64> = BTreeMap::new();
    let mut builds: Vec<String> = Vec::new();
    let mut totals = Totals::default();
    for o in outcomes {
        totals.files += 1;
        totals.bytes += o.cov.bytes;
        totals.records += o.cov.records;
        findings.extend(o.findings);
        rolled.merge(o.rolled);
        for (h, src) in o.hosts {
            let rank = match src {
                "HttpProxy ServerHostName" => 0,
                "ECP ServerName" => 1,
                _ => 2,
            };
            *host_votes
                .entry((rank, format!("{h}\u{0}{src}")))
                .or_default() += 1;
        }
        builds.extend(o.builds);
        match coverage.iter_mut().find(|g| g.label == o.label) {
            Some(g) => g.absorb(o.cov),
            None => {
                let mut g =
                    SourceCoverage::new(&o.label, o.cov.kind.as_str(), "(loose files)", true);
                g.absorb(o.cov);
                coverage.push(g);
            }
        }
    }
    // Discovery problems belong to the group whose folder holds the file.
    for p in std::mem::take(&mut problems) {
        match coverage
            .iter_mut()
            .filter(|g| !g.path.is_empty() && p.path.starts_with(&g.path))
            .max_by_key(|g| g.path.len())
        {
            Some(g) => g.problems.push(p),
            None => problems.push(p),
        }
    }
    coverage.sort_by(|a, b| a.label.cmp(&b.label));
    builds.sort();
    builds.dedup();

    // Dumps and archives.
    let files_status = match &root {
        _ if !opts.selected(detect::suspicious_files::ID) => not_selected(
            detect::suspicious_files::ID,
            detect::suspicious_files::TITLE,
            true,
        ),
        Some(r) => {
            let out = detect::suspicious_files::run(r, &file_locations);
            let missing: Vec<String> = out
                .missing
                .iter()
                .filter(|m| !m.eq_ignore_ascii_case("root"))
                .cloned()
                .collect();
            let n = out.findings.len();
            findings.extend(out.findings);
            problems.extend(out.problems.clone());
            CheckStatus {
                check: detect::suspicious_files::ID,
                title: detect::suspicious_files::TITLE,
                required: true,
                state: if missing.is_empty() && out.problems.is_empty() {
                    CheckState::Ran
                } else {
                    CheckState::Partial
                },
                reason: (!missing.is_empty() || !out.problems.is_empty()).then(|| {
                    let mut r = Vec::new();
                    if !missing.is_empty() {
                        r.push(format!(
                            "not present under the root (not collected?): {}",
                            missing.join(", ")
                        ));
                    }
                    if !out.problems.is_empty() {
                        r.push(format!(
                            "{} path(s) could not be read or were links",
                            out.problems.len()
                        ));
                    }
                    r.join("; ")
                }),
                sources: file_locations.iter().map(|(r, _)| r.clone()).collect(),
                records: out.files_seen,
                first: None,
                last: None,
                findings: n,
            }
        }
        None => CheckStatus {
            check: detect::suspicious_files::ID,
            title: detect::suspicious_files::TITLE,
            required: true,
            state: CheckState::Skipped,
            reason: Some(
                "loose log files were given (--logs), not a system drive: no folders to search"
                    .into(),
            ),
            sources: vec![],
            records: 0,
            first: None,
            last: None,
            findings: 0,
        },
    };

    // Webshells and artefacts.
    totals.scanned_files += web.files;
    totals.scanned_bytes += web.bytes;
    problems.extend(prepared.problems);
    notes.extend(prepared.notes);
    let mut web_checks = web.merge_into(&mut findings, &mut coverage, &mut notes);
    if !WEB_CHECKS.iter().any(|id| opts.selected(id)) {
        // No file check ran: no file-scan coverage to show.
        coverage.retain(|g| !g.label.starts_with("Files/"));
    }
    for c in web_checks.iter_mut().filter(|c| !opts.selected(c.check)) {
        *c = not_selected(c.check, c.title, c.required);
    }
    rolled.take(&mut findings);
    let (kept, mut rolled_up) = rolled.finish();
    findings.extend(kept);
    findings.retain(|f| opts.selected(f.check));
    rolled_up.retain(|r| opts.selected(r.check));

    findings.sort_by(|a, b| {
        (a.time, &a.source.path, a.source.line, a.source.record_id).cmp(&(
            b.time,
            &b.source.path,
            b.source.line,
            b.source.record_id,
        ))
    });
    let mut checks: Vec<CheckStatus> = LOG_CHECKS
        .iter()
        .map(|c| match opts.selected(c.info().id) {
            true => check_status(c.info(), &coverage, &findings, &rolled_up, opts.window),
            false => not_selected(c.info().id, c.info().title, c.info().required),
        })
        .collect();
    checks.push(files_status);
    checks.extend(web_checks);
    let verdict = model::decide(&findings, &checks);

    let (host, host_source) = match &opts.host {
        Some(h) => (h.clone(), "--host".to_string()),
        None => match host_votes
            .iter()
            .max_by_key(|((rank, _), n)| (std::cmp::Reverse(*rank), **n))
        {
            Some(((_, key), _)) => {
                let (h, src) = key.split_once('\u{0}').unwrap_or((key, ""));
                (h.to_string(), src.to_string())
            }
            None => match root
                .as_ref()
                .and_then(|r| r.canonicalize().ok())
                .and_then(|r| r.file_name().map(|n| n.to_string_lossy().into_owned()))
            {
                Some(n) => (n, "name of the scanned folder".to_string()),
                None => (
                    "unknown-host".to_string(),
                    "nothing in the logs named the server".to_string(),
                ),
            },
        },
    };
    if install.is_none() && root.is_some() {
        notes.push(
            "Exchange log checks had no install folder to read: see the checks marked no-data"
                .into(),
        );
    }
    ScanResult {
        host,
        host_source,
        params: ScanParams {
            mode: if root.is_some() { "root" } else { "logs" },
            root: root.as_ref().map(|r| r.display().to_string()),
            logs: opts.logs.iter().map(|p| p.display().to_string()).collect(),
            exchange_path: opts.exchange_path.as_ref().map(|p| p.display().to_string()),
            window: opts.window,
            host: opts.host.clone(),
            threads,
            files: prepared.params,
        },
        install,
        verdict,
        checks,
        coverage,
        findings,
        rolled_up,
        problems,
        notes,
        builds_seen: builds,
        build_assessment: None,
        pivot: Default::default(),
        attacker_ips: Vec::new(),
        timeline: Vec::new(),
        started,
        elapsed_ms: 0,
        totals,
    }
}

fn not_selected(check: &'static str, title: &'static str, required: bool) -> CheckStatus {
    CheckStatus {
        check,
        title,
        required,
        state: CheckState::NotSelected,
        reason: Some("not selected with --checks".into()),
        sources: vec![],
        records: 0,
        first: None,
        last: None,
        findings: 0,
    }
}

/// How far the logs behind a check reach, and whether that covers the window.
const WINDOW_SLACK_MS: i64 = 24 * 3600 * 1000;

fn check_status(
    info: &'static detect::CheckInfo,
    coverage: &[SourceCoverage],
    findings: &[Finding],
    rolled_up: &[RollUp],
    window: Window,
) -> CheckStatus {
    let mut reasons = Vec::new();
    let mut with_data = 0;
    let (mut records, mut first, mut last, mut problems, mut malformed) =
        (0u64, None::<Timestamp>, None::<Timestamp>, 0usize, 0u64);
    let mut sources = Vec::new();
    for prefix in info.coverage {
        let groups: Vec<&SourceCoverage> = coverage
            .iter()
            .filter(|g| g.label.starts_with(prefix))
            .collect();
        let data: Vec<&&SourceCoverage> = groups.iter().filter(|g| g.records > 0).collect();
        if data.is_empty() {
            let what = if groups.iter().any(|g| !g.problems.is_empty()) {
                "present but no record could be read (see coverage problems)"
            } else if groups.iter().any(|g| g.present) {
                "present but empty"
            } else {
                "missing"
            };
            reasons.push(format!("{} logs {what}", prefix.trim_end_matches('/')));
            continue;
        }
        with_data += 1;
        let missing: Vec<&str> = groups
            .iter()
            .filter(|g| !g.present)
            .map(|g| g.label.as_str())
            .collect();
        if !missing.is_empty() {
            reasons.push(format!("folder(s) missing: {}", missing.join(", ")));
        }
        for g in data {
            sources.push(g.label.clone());
            records += g.records;
            first = model::min_opt(first, g.first);
            last = model::max_opt(last, g.last);
            problems += g.problems.len();
            malformed += g.malformed;
        }
    }
    let state = if with_data == 0 {
        CheckState::NoData
    } else {
        match first {
            Some(f) if f.0 > window.since.0 + WINDOW_SLACK_MS => {
                let days = (f.0 - window.since.0) / (24 * 3600 * 1000);
                reasons.push(format!(
                    "logs start {f}, {days} day(s) after the window start {}",
                    window.since
                ));
            }
            None => reasons.push("no record times could be read".into()),
            _ => {}
        }
        if let Some(l) = last.filter(|l| l.0 < window.since.0) {
            reasons.push(format!("logs end {l}, before the window starts"));
        }
        if let (Some(l), Some(u)) = (last, window.until)
            && l.0 >= window.since.0
            && l.0 + WINDOW_SLACK_MS < u.0
        {
            let days = (u.0 - l.0) / (24 * 3600 * 1000);
            reasons.push(format!(
                "logs end {l}, {days} day(s) before the window end {u}"
            ));
        }
        if problems > 0 {
            reasons.push(format!("{problems} file problem(s), see coverage"));
        }
        if malformed > 0 {
            reasons.push(format!("{malformed} record(s) could not be parsed"));
        }
        if reasons.is_empty() {
            CheckState::Ran
        } else {
            CheckState::Partial
        }
    };
    CheckStatus {
        check: info.id,
        title: info.title,
        required: info.required,
        state,
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
        sources,
        records,
        first,
        last,
        findings: findings.iter().filter(|f| f.check == info.id).count()
            + rolled_up
                .iter()
                .filter(|r| r.check == info.id)
                .map(|r| r.lines.len())
                .sum::<usize>(),
    }
}
