//! One scan of one server: plan the sources, read every file once (in parallel, through the
//! literal prefilter), run the checks on the records that pass, then derive coverage, per-check
//! status and the verdict.

use crate::model::names::Shown;
mod assemble;
mod budget;
mod msert;
mod read;
mod read_json;
mod restore;

use assemble::{assemble, sort_findings};
use read::{FileOutcome, Prefilters, scan_file};

use crate::detect::webshells;
use crate::detect::{self, Ctx, LOG_CHECKS};
use crate::model::rollup::{self, RollUp, RollUps};
use crate::model::{CheckStatus, FileProblem, Finding, SourceCoverage, Timestamp, Verdict, Window};
use crate::sources::discover::{self, Install};
use crate::sources::{SourceFile, SourceKind};
use crate::timeline;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
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
    /// `--allow`: audited suppressions (see [`crate::detect::allow`]).
    pub allow: Vec<crate::model::AllowEntry>,
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
    v.push(detect::msert::ID);
    v.extend(WEB_CHECKS);
    v.push(PIVOT);
    v
}

/// Not a check: `--checks` names it to keep the pivot sweep (and its timeline lines) in a
/// narrowed scan.
pub const PIVOT: &str = "pivot";

/// The file-scan checks whose hits are webshells (YARA rules, known shell indicators), as
/// against the heuristics.
pub const SHELL_CHECKS: [&str; 2] = [webshells::YARA_ID, webshells::IOC_ID];

/// The check of MSERT's own detections (`msert.log`).
pub const MSERT_CHECK: &str = detect::msert::ID;

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
    /// `--from`/`--to`: what the console (and other reports for people) list; this report and
    /// the verdict are never filtered.
    #[serde(skip_serializing_if = "crate::model::Shown::is_all")]
    pub shown: crate::model::Shown,
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
    /// The host's name (for file names and reports; written as `host.name`).
    #[serde(skip)]
    pub host: String,
    /// Where the host name came from (written as `host.name_from`).
    #[serde(skip)]
    pub host_source: String,
    /// The host block: names, domain, addresses, builds, each with its evidence.
    #[serde(rename = "host")]
    pub host_info: crate::model::HostInfo,
    pub params: ScanParams,
    pub install: Option<Install>,
    pub verdict: Verdict,
    /// The verdict's reason in one sentence, and what to do now.
    pub summary: crate::model::Summary,
    pub checks: Vec<CheckStatus>,
    pub coverage: Vec<SourceCoverage>,
    pub findings: Vec<Finding>,
    /// Scanner hits and attempts past the first of each rule, as evidence locators (see
    /// [`crate::model::rollup`]); the first few are among `findings`.
    pub rolled_up: Vec<RollUp>,
    /// `--allow` entries and how many findings each suppressed (lowered to info, kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<crate::model::AllowEntry>,
    /// Problems not tied to one log source (listing errors, links not followed, missing input).
    pub problems: Vec<FileProblem>,
    pub notes: Vec<String>,
    /// Exchange builds seen in the logs (HttpProxy version columns).
    pub builds_seen: Vec<String>,
    /// The earliest and latest of them, and whether the latest holds each chain's fix.
    pub build_assessment: Option<crate::model::BuildAssessment>,
    /// Microsoft Safety Scanner's own runs, from `Windows\debug\msert.log`.
    pub msert: Vec<crate::model::MsertScan>,
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

pub fn run(opts: &ScanOptions) -> Result<ScanResult, ScanError> {
    let started = Timestamp::from_jiff(jiff::Timestamp::now());
    let clock = std::time::Instant::now();
    let phase = Phases::new(clock);
    let asked = opts
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let (threads, thread_note) = budget::fit_threads(asked, opts.files.max_file_size);
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
    // Each file's roll-up joins this one as the file is done, so that the caps on kept scanner
    // hits and attempts bound memory across files too, not only within one file.
    let rolled = std::sync::Mutex::new(RollUps::default());
    let outcomes: Vec<FileOutcome> = pool.install(|| {
        // One job per file: rayon otherwise hands each thread a contiguous run of the list and
        // never splits a run once started, so the largest files (sorted first) all landed on
        // one thread (measured: 2 threads 1.1x faster than one; 1.8x with one job per file).
        files
            .par_iter()
            .with_max_len(1)
            .map(|(f, size)| {
                let mut o = scan_file(f, &prefilters, &ctx);
                let mine = std::mem::take(&mut o.rolled);
                rolled
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .merge(mine);
                bar.inc(*size);
                o
            })
            .collect()
    });
    let rolled = rolled
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        .map(|f| (f.path.shown(), f.kind))
        .collect();
    let msert_logs = plan.msert.clone();
    let mut result = assemble(
        opts,
        plan,
        (outcomes, rolled),
        threads,
        started,
        (prepared, web),
    );
    msert::add(&mut result, &msert_logs, opts.selected(detect::msert::ID));
    result.notes.extend(thread_note);
    if let Some(why) = prefilters.evtx_skip_off()
        && kinds.values().any(|k| *k == SourceKind::Evtx)
    {
        result.notes.push(format!("event logs: {why}"));
    }
    phase.mark("assemble");
    let (text_files, rolled_up) = if opts.selected(PIVOT) {
        (&text_files[..], &result.rolled_up[..])
    } else {
        (&[][..], &[][..]) // no sweep: nothing to restore
    };
    let restorer = restore::Restorer::new(rolled_up, &prefilters, &ctx);
    pool.install(|| post_process(&mut result, text_files, &kinds, &restorer));
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
/// the pivot sweep and timeline (one more pass over `text_files`, only when findings give pivots;
/// `--checks` without `pivot` gives none). The sweep turns the rolled-up hits that name the
/// attacker back into findings.
fn post_process(
    result: &mut ScanResult,
    text_files: &[SourceFile],
    kinds: &HashMap<String, SourceKind>,
    restorer: &restore::Restorer<'_>,
) {
    detect::patch_level::annotate(&mut result.findings);
    result.build_assessment = detect::patch_level::assess(&result.builds_seen);
    match &result.build_assessment {
        Some(a) => {
            let cu = a
                .latest_cu
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            result.host_info.exchange_build = Some(crate::model::Fact::new(
                format!("{}{cu}", a.latest),
                "the latest build in the HttpProxy and ECP logs",
            ));
        }
        None => result
            .host_info
            .not_known
            .push("Exchange build: no HttpProxy or ECP log line carries it".to_string()),
    }
    let (pv, mut swept) = timeline::sweep_for(&result.findings, text_files, restorer.if_any());
    let mut back = rollup::restore(&mut result.rolled_up, std::mem::take(&mut swept.restored));
    let restored = back.len() as u64;
    if !back.is_empty() {
        detect::patch_level::annotate(&mut back);
        detect::allow::apply(&mut result.allowed, &mut back);
        result.findings.append(&mut back);
        sort_findings(&mut result.findings);
        result.verdict = crate::model::decide(&result.findings, &result.checks);
        result.summary = crate::model::summarize(result.verdict, &result.findings, &result.checks);
    }
    let t = timeline::build(&result.host, &result.findings, &pv, swept, kinds);
    result.timeline = t.events;
    result.pivot = t.pivot;
    result.pivot.restored = restored;
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
