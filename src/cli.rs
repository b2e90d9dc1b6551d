//! Command-line interface: argument definitions and the mapping of outcomes to exit codes.
//! `main.rs` only parses and calls [`run`].

use crate::collect::{self, CollectOptions};
use crate::model::{Timestamp, Verdict, Window};
use crate::report;
use crate::report::sanitize::terminal;
use crate::scan::{self, ScanOptions};
use clap::{Args, Parser, Subcommand, ValueEnum};
mod fleet;

use std::io::IsTerminal;
use std::path::PathBuf;

/// Exit code: every check ran over logs covering the window and found nothing (`verify`: every
/// file matches).
pub const EXIT_NO_EVIDENCE: i32 = 0;
/// Exit code: compromised (`verify`: a difference).
pub const EXIT_COMPROMISED: i32 = 1;
/// Exit code: usage error, or a fatal error before scanning (nothing to scan, output not writable).
pub const EXIT_ERROR: i32 = 2;
/// Exit code: suspicious, attempts or context only.
pub const EXIT_SUSPICIOUS: i32 = 3;
/// Exit code: inconclusive, a check could not run or the logs do not cover the window.
pub const EXIT_INCONCLUSIVE: i32 = 4;

/// The exit code of a verdict (one table for every subcommand: README, `--help`).
pub fn exit_code(v: Verdict) -> i32 {
    match v {
        Verdict::NoEvidence => EXIT_NO_EVIDENCE,
        Verdict::Compromised => EXIT_COMPROMISED,
        Verdict::Suspicious => EXIT_SUSPICIOUS,
        Verdict::Inconclusive => EXIT_INCONCLUSIVE,
    }
}

/// The end of `scan --help`: what the exit codes mean (the constants above).
const SCAN_EXIT_CODES: &str = "Exit codes:
  0  no evidence: every check ran over logs covering the window and found nothing
  1  compromised: exploitation or what follows it is evidenced
  2  usage or fatal error (nothing scanned, or the reports could not be written)
  3  suspicious: attempts or context only
  4  inconclusive: a check could not run, read everything, or cover the window";

const SCAN_USAGE: &str =
    "usage: exhunt scan [OPTIONS] <ROOT> | exhunt scan --logs <PATH>... (see exhunt scan --help)";
const VERIFY_USAGE: &str = "usage: exhunt verify <DIR|ZIP> (see exhunt verify --help)";

#[derive(Parser, Debug)]
#[command(
    name = "exhunt",
    version = crate::long_version(),
    about = "Read-only triage of Microsoft Exchange servers for ProxyLogon-family compromise"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum Command {
    /// Scan one server's system drive (mounted image, triage collection, or C:\ live) or loose log files.
    #[command(after_help = SCAN_EXIT_CODES)]
    Scan(ScanArgs),
    /// Re-hash an evidence collection (made by `scan --collect`) against its manifest.
    /// Exit code 0: every file matches; 1: a file is missing, changed or extra; 2: error.
    Verify(VerifyArgs),
    /// List every check: its id (for --checks), CVE, what it reads, and whether the verdict needs it.
    Checks(CatalogArgs),
    /// List the rules of the tables under rules/ (web requests, cmdlets, command lines), or show one.
    Rules(RulesArgs),
    /// Print a shell completion script: `exhunt completions bash > /etc/bash_completion.d/exhunt`.
    Completions(CompletionsArgs),
    /// The fleet view: many servers' report.json into one table, the indicators they share, and
    /// every report that could not be read.
    #[command(after_help = fleet::FLEET_EXIT_CODES)]
    Merge(fleet::MergeArgs),
    /// The weekly re-scan: what is new in NEW since OLD (new positives), what is gone, and what the
    /// scan could see then and now.
    #[command(after_help = fleet::FLEET_EXIT_CODES)]
    Diff(fleet::DiffArgs),
    /// Print a man page (roff): `exhunt man > exhunt.1`, `exhunt man scan > exhunt-scan.1`.
    Man(ManArgs),
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// A subcommand (scan, verify, ...): its own page, with every option.
    pub command: Option<String>,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct CatalogArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// A rule id: show that rule whole (why it matters, what it tests, its sources).
    pub id: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The --collect folder, one DIR/<host> collection folder, or a DIR/<host>.zip.
    pub path: PathBuf,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The server's system drive: a mounted image, a triage collection of it, or C:\ live.
    #[arg(required_unless_present = "logs", conflicts_with = "logs")]
    pub root: Option<PathBuf>,
    /// Loose log files or folders (recognised by content, not by name) instead of a ROOT.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub logs: Vec<PathBuf>,
    /// Exchange install folder, relative to ROOT or absolute (default: found under ROOT). Not
    /// with --logs, which reads the files it is given.
    #[arg(long, value_name = "DIR", conflicts_with = "logs")]
    pub exchange_path: Option<PathBuf>,
    /// Start of the exposure window (date or RFC 3339 time, UTC); logs must reach back to it.
    #[arg(long, default_value = "2021-01-01", value_name = "TIME")]
    pub since: String,
    /// End of the exposure window (default: open).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// List only findings from this time on in the console (date or RFC 3339 time, UTC). Unlike
    /// --since it changes nothing that is read or judged: report.json keeps every finding and
    /// records the filter, and the verdict is the same.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// List only findings up to this time in the console (a date: to its end); see --from.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Audited suppressions: a file of `KIND VALUE REASON` lines (kinds: ip (or CIDR), ua, path,
    /// rule). Each finding an entry matches stays in every report, lowered to info and marked with
    /// the entry; what each entry suppressed is listed (repeatable).
    #[arg(long, value_name = "FILE")]
    pub allow: Vec<PathBuf>,
    /// Server name for reports (default: taken from the logs).
    #[arg(long)]
    pub host: Option<String>,
    /// Write report.json, findings.csv (and rolled-up.csv), timeline.csv/.jsonl and Test-ProxyLogon's files into DIR (never under ROOT).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: replace the reports an earlier run left there (without it, a folder holding a
    /// report.json is refused).
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Copy every file behind a finding into DIR/<host>/ with a SHA-256/MD5 manifest (never under ROOT).
    #[arg(long, value_name = "DIR")]
    pub collect: Option<PathBuf>,
    /// With --collect: write one DIR/<host>.zip (manifest inside and beside it) instead of a folder.
    #[arg(long, requires = "collect")]
    pub collect_zip: bool,
    /// With --collect: copy at most this much of one file (the whole file is still hashed; the
    /// manifest says what was cut). In MiB, or with a unit: 512K, 64M, 2G.
    #[arg(
        long,
        requires = "collect",
        default_value = "256M",
        value_name = "SIZE"
    )]
    pub collect_max_file_size: String,
    /// With --collect: copy at most this much in all (later files are hashed, cut or skipped).
    #[arg(long, requires = "collect", default_value = "4G", value_name = "SIZE")]
    pub collect_max_total: String,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Do not print the console summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print report.json to standard output instead of the console summary (other messages go
    /// to standard error).
    #[arg(long)]
    pub json: bool,
    /// List every finding in the console summary, not the most serious few.
    #[arg(long)]
    pub all: bool,
    /// List only findings of this severity or above in the console summary (the others are
    /// counted; every report file keeps them all).
    #[arg(long, value_enum, default_value_t = MinSeverity::Info, value_name = "LEVEL")]
    pub min_severity: MinSeverity,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Colour in the console summary: auto (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE
    /// turns it on anywhere), always, or never. The flag wins over the environment.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Run only these checks (comma-separated ids; `tpl` = Test-ProxyLogon's four CVE checks and
    /// its file check; `pivot` keeps the pivot sweep). Logs no selected check reads are not read.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub checks: Vec<String>,
    #[command(flatten)]
    pub files: FileArgs,
}

/// The file scan (webshells and artefacts in the web folders).
#[derive(Args, Debug)]
pub struct FileArgs {
    /// Scan every file under ROOT for webshells, not only the web folders, Temp and ProgramData.
    #[arg(long)]
    pub full: bool,
    /// Scan (and hash) files up to this size; larger ones are scanned in their first part and
    /// reported. In MiB, or with a unit: 512K, 32M, 1G.
    #[arg(long, default_value = "32M", value_name = "SIZE")]
    pub max_file_size: String,
    /// More YARA rules: a .yar/.yara file or a folder of them (repeatable). A file that does not
    /// compile is reported and skipped; the others and the built-in rules still run.
    #[arg(long, value_name = "PATH")]
    pub yara: Vec<PathBuf>,
    /// More indicators: a text file (one SHA-256/MD5 hash, IP address, or file name/path per
    /// line, # comments), a STIX 2.1 bundle (JSON), or a folder of them (repeatable). A line that
    /// is none of these stops the scan with its file and line.
    #[arg(long, value_name = "PATH")]
    pub ioc: Vec<PathBuf>,
}

/// Parses a size: plain number = MiB; suffixes K, M, G (binary), optional B/iB.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.trim_end_matches("IB").trim_end_matches('B');
    let (num, mult) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        None => (t, 1u64 << 20),
        Some((i, _)) => {
            let m = match &t[i..] {
                "K" => 1u64 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                _ => return None,
            };
            (&t[..i], m)
        }
    };
    let n: u64 = num.parse().ok()?;
    n.checked_mul(mult).filter(|v| *v > 0)
}

impl ScanArgs {
    /// Validates the arguments into scan options.
    pub fn options(&self) -> Result<ScanOptions, String> {
        let since = Timestamp::parse_arg(&self.since).ok_or_else(|| {
            format!(
                "--since {}: not a date or time (use 2021-01-01 or 2021-01-01T00:00:00Z)",
                self.since
            )
        })?;
        let until = match &self.until {
            // A plain date means the whole of that day.
            Some(u) => Some(
                Timestamp::parse_arg(u)
                    .map(|t| {
                        if u.trim().len() == 10 {
                            Timestamp(t.0 + 86_400_000 - 1)
                        } else {
                            t
                        }
                    })
                    .ok_or_else(|| format!("--until {u}: not a date or time"))?,
            ),
            None => None,
        };
        if let Some(u) = &self.until
            && until.is_some_and(|u| u < since)
        {
            return Err(format!("--until {u} is before --since {}", self.since));
        }
        let now = Timestamp::from_jiff(jiff::Timestamp::now());
        if since > now {
            return Err(format!(
                "--since {} is in the future (now is {now}); give the start of the exposure window",
                self.since
            ));
        }
        let checks = if self.checks.is_empty() {
            None
        } else {
            let known = scan::all_check_ids();
            let mut ids = Vec::new();
            for c in &self.checks {
                match c.as_str() {
                    "tpl" => ids.extend(scan::TPL_CHECKS.iter().map(|s| s.to_string())),
                    id if known.contains(&id) => ids.push(id.to_string()),
                    other => {
                        return Err(format!(
                            "--checks {other}: unknown check (known: tpl, {})",
                            known.join(", ")
                        ));
                    }
                }
            }
            Some(ids)
        };
        if self.threads == Some(0) {
            return Err("--threads must be at least 1".into());
        }
        let max_file_size = parse_size(&self.files.max_file_size).ok_or_else(|| {
            format!(
                "--max-file-size {}: not a size (use 32, 32M, 512K or 1G)",
                self.files.max_file_size
            )
        })?;
        let files = crate::detect::webshells::FileScanOptions {
            full: self.files.full,
            max_file_size,
            yara: self.files.yara.clone(),
            ioc: self.files.ioc.clone(),
        };
        crate::detect::webshells::check_inputs(&files)?;
        for (flag, dir) in [("--out", &self.out), ("--collect", &self.collect)] {
            if dir.as_ref().is_some_and(|d| d.as_os_str() == "-") {
                return Err(format!(
                    "{flag} -: writing reports to stdout is not supported; give a folder"
                ));
            }
        }
        if let (Some(root), Some(p)) = (&self.root, &self.exchange_path) {
            check_exchange_path(root, p)?;
        }
        let mut allow = Vec::new();
        for p in &self.allow {
            let text = std::fs::read(p)
                .map_err(|e| format!("--allow {}: cannot read: {e}", p.display()))?;
            let shown = p.display().to_string();
            match crate::detect::allow::parse(&String::from_utf8_lossy(&text), &shown) {
                Ok(mut e) => allow.append(&mut e),
                Err(errors) => {
                    return Err(format!(
                        "--allow: {} line(s) are not entries:\n  {}",
                        errors.len(),
                        errors.join("\n  ")
                    ));
                }
            }
        }
        Ok(ScanOptions {
            allow,
            root: self.root.clone(),
            logs: self.logs.clone(),
            exchange_path: self.exchange_path.clone(),
            window: Window { since, until },
            host: self.host.clone(),
            threads: self.threads,
            progress: !self.no_progress && !self.quiet,
            checks,
            files,
        })
    }
}

/// The release of Exchange 2013, the oldest version with the logs the checks read.
const EXCHANGE_2013: &str = "2012-10-01";

impl ScanArgs {
    /// What is allowed but probably a mistake, for stderr before the scan.
    /// `--from`/`--to`: what the console lists.
    pub fn shown(&self) -> Result<crate::model::Shown, String> {
        let bound = |flag: &str, v: &Option<String>, end_of_day: bool| -> Result<_, String> {
            let Some(v) = v else { return Ok(None) };
            let t = Timestamp::parse_arg(v).ok_or_else(|| {
                format!("{flag} {v}: not a date or time (use 2021-03-01 or 2021-03-01T00:00:00Z)")
            })?;
            Ok(Some(if end_of_day && v.trim().len() == 10 {
                Timestamp(t.0 + 86_400_000 - 1)
            } else {
                t
            }))
        };
        let w = crate::model::Shown {
            from: bound("--from", &self.from, false)?,
            to: bound("--to", &self.to, true)?,
        };
        if let (Some(f), Some(t)) = (w.from, w.to)
            && f > t
        {
            return Err(format!("--from {f} is after --to {t}"));
        }
        Ok(w)
    }

    pub fn warnings(&self, opts: &ScanOptions) -> Vec<String> {
        let mut w = Vec::new();
        if Timestamp::parse_arg(EXCHANGE_2013).is_some_and(|t| opts.window.since < t) {
            w.push(format!(
                "--since {} is before {EXCHANGE_2013}, before Exchange 2013: a typo? Scanning anyway (the logs must reach back to it for full coverage)",
                self.since
            ));
        }
        w
    }
}

/// `--exchange-path` must name a folder, found as the scan finds it: an absolute path as it is,
/// a relative one under ROOT, case-insensitively. A ROOT that is not a folder is left to the
/// scan's own message.
fn check_exchange_path(root: &std::path::Path, p: &std::path::Path) -> Result<(), String> {
    if !root.is_dir() {
        return Ok(());
    }
    let found = if p.is_absolute() {
        Some(p.to_path_buf())
    } else {
        crate::sources::paths::resolve_ci(root, &p.to_string_lossy())
    };
    if found.is_some_and(|d| d.is_dir()) {
        return Ok(());
    }
    Err(if p.is_absolute() {
        format!("--exchange-path {}: no such folder", p.display())
    } else {
        format!(
            "--exchange-path {}: no such folder under ROOT {} (give it relative to ROOT, or absolute)",
            p.display(),
            root.display()
        )
    })
}

/// `--min-severity`: the severities, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MinSeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl MinSeverity {
    pub fn severity(self) -> crate::model::Severity {
        use crate::model::Severity as S;
        match self {
            MinSeverity::Info => S::Info,
            MinSeverity::Low => S::Low,
            MinSeverity::Medium => S::Medium,
            MinSeverity::High => S::High,
            MinSeverity::Critical => S::Critical,
        }
    }
}

/// The console's width when standard output is a terminal (`COLUMNS` wins), else none: a file or
/// pipe gets whole lines.
fn console_width() -> Option<usize> {
    use std::io::IsTerminal as _;
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(c).filter(|c: &usize| *c >= 40);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| (w.0 as usize).max(40))
}

/// When the console summary is coloured (`--color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    // on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE turns it on anywhere
    Auto,
    Always,
    Never,
}

/// Whether to colour: the flag first, then `NO_COLOR` (non-empty: off), then `CLICOLOR_FORCE`
/// (non-empty and not `0`: on), then whether stdout is a terminal.
pub fn color_wanted(
    choice: ColorChoice,
    terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    force: Option<&std::ffi::OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if no_color.is_some_and(|v| !v.is_empty()) {
                false
            } else if force.is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else {
                terminal
            }
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    color_wanted(
        choice,
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("CLICOLOR_FORCE").as_deref(),
    )
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Verify(args) => run_verify(&args),
        Command::Checks(args) => run_checks(&args),
        Command::Rules(args) => run_rules(&args),
        Command::Merge(args) => fleet::run_merge(&args),
        Command::Diff(args) => fleet::run_diff(&args),
        Command::Completions(args) => {
            use clap::CommandFactory as _;
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "exhunt", &mut out);
            say_raw(&String::from_utf8_lossy(&out));
            0
        }
        Command::Man(args) => {
            use clap::CommandFactory as _;
            let mut top = Cli::command();
            top.build();
            let page = match &args.command {
                None => top,
                Some(name) => match top.find_subcommand(name) {
                    // Leaked once: clap names are static strings (this process ends right after).
                    Some(sub) => sub
                        .clone()
                        .name(&*Box::leak(format!("exhunt-{name}").into_boxed_str()))
                        .version(crate::long_version()),
                    None => {
                        eprintln!(
                            "exhunt: no subcommand {:?} (exhunt --help lists them)",
                            crate::report::sanitize::terminal(name)
                        );
                        return 2;
                    }
                },
            };
            let mut out = Vec::new();
            match clap_mangen::Man::new(page).render(&mut out) {
                Ok(()) => {
                    say_raw(&String::from_utf8_lossy(&out));
                    0
                }
                Err(e) => {
                    eprintln!("exhunt: cannot write the man page: {e}");
                    2
                }
            }
        }
    }
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).map_or_else(|e| format!("{{\"error\": \"{e}\"}}"), |s| s + "\n")
}

fn run_checks(args: &CatalogArgs) -> i32 {
    let checks = crate::detect::catalog::checks();
    say_raw(&if args.json {
        json_text(&checks)
    } else {
        crate::report::catalog::checks_text(&checks)
    });
    0
}

fn run_rules(args: &RulesArgs) -> i32 {
    let rules = crate::detect::catalog::rules();
    match &args.id {
        None => say_raw(&if args.json {
            json_text(&rules)
        } else {
            crate::report::catalog::rules_text(&rules)
        }),
        Some(id) => match rules.iter().find(|r| r.id.eq_ignore_ascii_case(id)) {
            Some(r) if args.json => say_raw(&json_text(r)),
            Some(r) => say_raw(&crate::report::catalog::rule_text(r)),
            None => {
                eprintln!(
                    "exhunt: no rule {:?} in the tables (exhunt rules lists them; checks are listed by exhunt checks)",
                    crate::report::sanitize::terminal(id)
                );
                return 2;
            }
        },
    }
    0
}

/// Writes a line to stdout. Errors are ignored: a closed pipe (`exhunt scan ... | head`) must not
/// stop the reports and the evidence collection that follow, nor crash the tool.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// As [`say!`], to standard error when standard output carries JSON (`--json`).
macro_rules! tell {
    ($json:expr, $($t:tt)*) => {{
        if $json {
            eprintln!($($t)*);
        } else {
            say!($($t)*);
        }
    }};
}

/// As [`say!`], for text that already ends its lines.
fn say_raw(s: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|()| out.flush());
}

fn run_scan(args: &ScanArgs) -> i32 {
    let opts = match args.options() {
        Ok(o) => o,
        Err(e) => {
            let lines: Vec<_> = e.lines().map(terminal).collect();
            eprintln!("exhunt: error: {}\n{SCAN_USAGE}", lines.join("\n"));
            return EXIT_ERROR;
        }
    };
    for w in args.warnings(&opts) {
        eprintln!("exhunt: warning: {}", terminal(&w));
    }
    // the collection budgets are read before the scan: a typo must not cost the scan's hours
    let mut sizes = [0u64; 2];
    for (i, (flag, v)) in [
        ("--collect-max-file-size", &args.collect_max_file_size),
        ("--collect-max-total", &args.collect_max_total),
    ]
    .into_iter()
    .enumerate()
    {
        match parse_size(v) {
            Some(n) => sizes[i] = n,
            None => {
                eprintln!(
                    "exhunt: error: {flag} {}: not a size (use 256, 64M, 512K or 2G)\n{SCAN_USAGE}",
                    terminal(v)
                );
                return EXIT_ERROR;
            }
        }
    }
    // Every write target is resolved, checked against the evidence and proven writable before
    // the scan starts; later writes go to the resolved folders.
    let evidence = report::write::evidence_folders(opts.root.as_deref(), &opts.logs);
    let mut ready = [None, None];
    for (slot, (flag, dir)) in ready
        .iter_mut()
        .zip([("--out", &args.out), ("--collect", &args.collect)])
    {
        if let Some(dir) = dir {
            match report::write::prepare_dir(flag, dir, &evidence, args.force) {
                Ok(real) => *slot = Some(real),
                Err(e) => {
                    eprintln!("exhunt: error: {}", terminal(&e));
                    return EXIT_ERROR;
                }
            }
        }
    }
    let [out_dir, collect_dir] = ready;
    // with --force, what the earlier run left is known before the scan and removed after it when
    // this run does not write it again
    let earlier = match (&out_dir, args.force) {
        (Some(real), true) => report::earlier_reports(real),
        _ => Vec::new(),
    };
    let shown = match args.shown() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("exhunt: error: {}\n{SCAN_USAGE}", terminal(&e));
            return EXIT_ERROR;
        }
    };
    let result = match scan::run(&opts) {
        Ok(mut r) => {
            r.params.shown = shown;
            r
        }
        Err(e) => {
            // one line each: a message may list several mistakes
            let text = e.to_string();
            let lines: Vec<_> = text.lines().map(terminal).collect();
            eprintln!("exhunt: error: {}", lines.join("\n"));
            return EXIT_ERROR;
        }
    };
    if args.json {
        let out = std::io::stdout().lock();
        if let Err(e) = report::json::write_json(&result, out) {
            eprintln!("exhunt: error: cannot write report.json to standard output: {e}");
            return EXIT_ERROR;
        }
    } else if !args.quiet {
        let style = report::console::Style {
            color: use_color(args.color),
            all: args.all,
            min_severity: args.min_severity.severity(),
            width: console_width(),
        };
        say_raw(&report::console::render(&result, &style));
    }
    if let (Some(out), Some(real)) = (&args.out, &out_dir) {
        match report::write_all(&result, real)
            .and_then(|files| Ok((report::remove_stale(&earlier, &files)?, files)))
        {
            Ok((stale, files)) => {
                if !args.quiet {
                    let removed = if stale > 0 {
                        format!("; {stale} left by the earlier run removed")
                    } else {
                        String::new()
                    };
                    tell!(
                        args.json,
                        "Reports written to {} ({} files{removed})",
                        terminal(&out.display().to_string()),
                        files.len()
                    );
                }
            }
            Err(e) => {
                eprintln!("exhunt: error: {}", terminal(&e));
                return EXIT_ERROR;
            }
        }
    }
    if let Some(dir) = &collect_dir {
        let copts = CollectOptions {
            dir: dir.clone(),
            zip: args.collect_zip,
            max_file_size: sizes[0],
            max_total: sizes[1],
        };
        match collect::collect(&result, &copts) {
            Ok(c) => {
                for n in &c.manifest.not_collected {
                    eprintln!(
                        "exhunt: warning: {}: not collected: {}",
                        terminal(&n.original_path),
                        terminal(&n.problem)
                    );
                }
                if !args.quiet {
                    tell!(
                        args.json,
                        "Evidence collected to {} ({} file(s), {} not collected); manifest.json SHA-256 {}",
                        terminal(&c.location.display().to_string()),
                        c.manifest.files.len(),
                        c.manifest.not_collected.len(),
                        c.manifest_sha256
                    );
                }
            }
            Err(e) => {
                eprintln!("exhunt: error: {}", terminal(&e));
                return EXIT_ERROR;
            }
        }
    }
    exit_code(result.verdict)
}

fn run_verify(args: &VerifyArgs) -> i32 {
    let found = match collect::verify::verify(&args.path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("exhunt: error: {}\n{VERIFY_USAGE}", terminal(&e));
            return EXIT_ERROR;
        }
    };
    let mut code = EXIT_NO_EVIDENCE;
    for (location, outcome) in found {
        let shown = location.display().to_string();
        match outcome {
            Err(e) => {
                eprintln!("exhunt: error: {}", terminal(&e));
                code = EXIT_ERROR;
            }
            Ok(v) => {
                say!("{}", terminal(&shown));
                say!(
                    "  host {}, collected {} by exhunt {}; manifest.json SHA-256 {}",
                    terminal(&v.host),
                    terminal(&v.collected_at),
                    terminal(&v.tool_version),
                    v.manifest_sha256
                );
                for d in &v.differences {
                    say!(
                        "  {:<8} {}: {}",
                        d.kind.as_str(),
                        terminal(&d.path),
                        terminal(&d.detail)
                    );
                }
                for n in &v.notes {
                    say!("  note: {}", terminal(n));
                }
                if v.ok() {
                    say!("  OK: all {} file(s) match the manifest", v.matched);
                } else {
                    use collect::verify::Kind;
                    say!(
                        "  DIFFERENT: {} of {} file(s) match; {} changed, {} missing, {} extra, {} invalid",
                        v.matched,
                        v.listed,
                        v.count(Kind::Changed),
                        v.count(Kind::Missing),
                        v.count(Kind::Extra),
                        v.count(Kind::Invalid)
                    );
                    if code == EXIT_NO_EVIDENCE {
                        code = EXIT_COMPROMISED;
                    }
                }
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_flag_then_no_color_then_clicolor_force_then_terminal() {
        let s = |v: &'static str| Some(OsStr::new(v));
        use ColorChoice::*;
        assert!(color_wanted(Always, false, s("1"), None));
        assert!(!color_wanted(Never, true, None, s("1")));
        assert!(!color_wanted(Auto, true, s("1"), s("1")));
        assert!(
            color_wanted(Auto, true, s(""), None),
            "empty NO_COLOR is unset"
        );
        assert!(color_wanted(Auto, false, None, s("1")));
        assert!(!color_wanted(Auto, false, None, s("0")));
        assert!(!color_wanted(Auto, false, None, s("")));
        assert!(color_wanted(Auto, true, None, None));
        assert!(!color_wanted(Auto, false, None, None));
    }
}
