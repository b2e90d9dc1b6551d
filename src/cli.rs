//! Command-line interface: argument definitions and the mapping of outcomes to exit codes.
//! `main.rs` only parses and calls [`run`].

use crate::model::{Timestamp, Verdict, Window};
use crate::report;
use crate::scan::{self, ScanOptions};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Exit code: every check ran over logs covering the window and found nothing.
pub const EXIT_NO_EVIDENCE: i32 = 0;
/// Exit code: compromised, suspicious or inconclusive (read the verdict).
pub const EXIT_FINDINGS_OR_GAPS: i32 = 1;
/// Exit code: usage error, or a fatal error before scanning (nothing to scan, output not writable).
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "exhunt",
    version,
    about = "Read-only triage of Microsoft Exchange servers for ProxyLogon-family compromise"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan one server's system drive (mounted image, triage collection, or C:\ live) or loose log files.
    Scan(ScanArgs),
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The server's system drive: a mounted image, a triage collection of it, or C:\ live.
    #[arg(required_unless_present = "logs", conflicts_with = "logs")]
    pub root: Option<PathBuf>,
    /// Loose log files or folders (recognised by content, not by name) instead of a ROOT.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub logs: Vec<PathBuf>,
    /// Exchange install folder, relative to ROOT or absolute (default: found under ROOT).
    #[arg(long, value_name = "DIR")]
    pub exchange_path: Option<PathBuf>,
    /// Start of the exposure window (date or RFC 3339 time, UTC); logs must reach back to it.
    #[arg(long, default_value = "2021-01-01", value_name = "TIME")]
    pub since: String,
    /// End of the exposure window (default: open).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Server name for reports (default: taken from the logs).
    #[arg(long)]
    pub host: Option<String>,
    /// Write report.json, findings.csv, timeline.csv/.jsonl and Test-ProxyLogon's files into DIR (never under ROOT).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Do not print the console summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
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
            Some(u) => Some(
                Timestamp::parse_arg(u)
                    .ok_or_else(|| format!("--until {u}: not a date or time"))?,
            ),
            None => None,
        };
        if until.is_some_and(|u| u < since) {
            return Err("--until is before --since".into());
        }
        if self.threads == Some(0) {
            return Err("--threads must be at least 1".into());
        }
        Ok(ScanOptions {
            root: self.root.clone(),
            logs: self.logs.clone(),
            exchange_path: self.exchange_path.clone(),
            window: Window { since, until },
            host: self.host.clone(),
            threads: self.threads,
            progress: !self.no_progress && !self.quiet,
        })
    }
}

fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Scan(args) => run_scan(&args),
    }
}

fn run_scan(args: &ScanArgs) -> i32 {
    let opts = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "exhunt: error: {e}\nusage: exhunt scan [OPTIONS] <ROOT> | exhunt scan --logs <PATH>..."
            );
            return EXIT_ERROR;
        }
    };
    if let (Some(out), Some(root)) = (&args.out, &opts.root)
        && let Err(e) = report::refuse_inside(root, out)
    {
        eprintln!("exhunt: error: {e}");
        return EXIT_ERROR;
    }
    let result = match scan::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("exhunt: error: {e}");
            return EXIT_ERROR;
        }
    };
    if !args.quiet {
        print!("{}", report::console::render(&result, use_color()));
    }
    if let Some(out) = &args.out {
        match report::write_all(&result, out) {
            Ok(files) => {
                if !args.quiet {
                    println!(
                        "Reports written to {} ({} files)",
                        out.display(),
                        files.len()
                    );
                }
            }
            Err(e) => {
                eprintln!("exhunt: error: {e}");
                return EXIT_ERROR;
            }
        }
    }
    match result.verdict {
        Verdict::NoEvidence => EXIT_NO_EVIDENCE,
        _ => EXIT_FINDINGS_OR_GAPS,
    }
}
