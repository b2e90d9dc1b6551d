//! `exhunt merge` and `exhunt diff`: the arguments and the runs.

use super::{EXIT_COMPROMISED, EXIT_ERROR, EXIT_INCONCLUSIVE, EXIT_NO_EVIDENCE, EXIT_SUSPICIOUS};
use crate::fleet::{diff, load, merge};
use crate::report::{self, sanitize::terminal};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Reports: report.json files, or folders holding them (e.g. a fleet tool's fetched folder).
    #[arg(required = true, value_name = "REPORT_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Write fleet.csv, fleet-shared.csv, fleet.json and CISA's workbook (one Inventory row per
    /// server: the row each scan wrote, cisa-ed21-02.csv beside its report.json) into DIR.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: replace the files an earlier merge left there.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// How many folders down a folder is searched for report.json.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub depth: usize,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier report (report.json, or the --out folder holding it).
    pub old: PathBuf,
    /// The later report of the same server.
    pub new: PathBuf,
    /// Write diff.csv and diff.json into DIR.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: replace the files an earlier diff left there.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// The end of `merge --help` and `diff --help`.
pub const FLEET_EXIT_CODES: &str =
    "Exit codes (merge: the worst server's; an unreadable report counts as inconclusive):
  0  no evidence (diff: nothing new)
  1  compromised (diff: new positives since the last report)
  2  usage or fatal error
  3  suspicious
  4  inconclusive";

fn code_of(verdict: &str) -> i32 {
    match verdict {
        "compromised" => EXIT_COMPROMISED,
        "suspicious" => EXIT_SUSPICIOUS,
        "no-evidence" => EXIT_NO_EVIDENCE,
        _ => EXIT_INCONCLUSIVE,
    }
}

/// Prepares `--out` (never a folder holding a report of its own unless --force) and writes.
fn write_out(
    out: &Option<PathBuf>,
    force: bool,
    names: &[&str],
    write: impl FnOnce(&std::path::Path) -> std::io::Result<Vec<PathBuf>>,
) -> Result<(), String> {
    let Some(dir) = out else { return Ok(()) };
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("--out {}: cannot create: {e}", dir.display()))?;
    if !force && let Some(n) = names.iter().find(|n| dir.join(n).exists()) {
        return Err(format!(
            "--out {}: already holds {n} (use --force to replace it)",
            dir.display()
        ));
    }
    let files = write(dir).map_err(|e| format!("--out {}: cannot write: {e}", dir.display()))?;
    eprintln!(
        "Written to {} ({} files)",
        terminal(&dir.display().to_string()),
        files.len()
    );
    Ok(())
}

pub fn run_merge(args: &MergeArgs) -> i32 {
    let fleet = merge::merge(load::find(&args.inputs, args.depth.max(1)));
    super::say_raw(&report::fleet::render_fleet(&fleet));
    let names = [
        report::fleet::FLEET_CSV,
        report::fleet::FLEET_SHARED_CSV,
        report::fleet::FLEET_JSON,
        report::cisa::XLSX_FILE,
        report::cisa::CSV_FILE,
    ];
    if let Err(e) = write_out(&args.out, args.force, &names, |d| {
        report::fleet::write_fleet(&fleet, d)
    }) {
        eprintln!("exhunt: error: {}", terminal(&e));
        return EXIT_ERROR;
    }
    match fleet.worst() {
        Some(v) => code_of(v),
        None => EXIT_ERROR,
    }
}

/// A report.json given as itself or as the folder holding it.
fn one_report(p: &std::path::Path) -> Result<load::Report, String> {
    let file = if p.is_dir() {
        p.join("report.json")
    } else {
        p.to_path_buf()
    };
    load::read(&file).map_err(|e| format!("{}: {e}", file.display()))
}

pub fn run_diff(args: &DiffArgs) -> i32 {
    let (old, new) = match (one_report(&args.old), one_report(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!(
                "exhunt: error: {}\nusage: exhunt diff OLD NEW (each a report.json or its folder)",
                terminal(&e)
            );
            return EXIT_ERROR;
        }
    };
    let d = diff::diff(&old, &new);
    super::say_raw(&report::fleet::render_diff(&d));
    let names = [report::fleet::DIFF_CSV, report::fleet::DIFF_JSON];
    if let Err(e) = write_out(&args.out, args.force, &names, |dir| {
        report::fleet::write_diff(&d, dir)
    }) {
        eprintln!("exhunt: error: {}", terminal(&e));
        return EXIT_ERROR;
    }
    if d.new_positives.is_empty() {
        EXIT_NO_EVIDENCE
    } else {
        EXIT_COMPROMISED
    }
}
