//! Test-ProxyLogon's own output files, under its names and columns, so existing playbooks keep
//! working: `<host>-Cve-2021-26855.csv`, `-Cve-2021-26857.csv`, `-Cve-2021-26858.log`,
//! `-Cve-2021-26858-DownloadPaths.log`, `-Cve-2021-27065.log`, `-Cve-2021-27065-ResetVDir.csv`,
//! `-other.csv` (written, like the script, only when they have content) and `-LogAgeDays.csv`
//! (always). CSVs follow `Export-Csv`: a `#TYPE` line, then every value double-quoted.
//!
//! Deliberate differences: the 26855 file holds exhunt's exploitation rows (Test-ProxyLogon's
//! rule plus the BackEndCookie form), not the autodiscover/localhost rows (those are in
//! `findings.csv`); log ages are measured from the oldest record inside the logs, not from file
//! creation times (which are copy times on collected evidence).

use super::sanitize::csv_cell;
use super::{Report, file_safe};
use crate::model::{Class, Finding};
use crate::scan::ScanResult;
use crate::sources::httpproxy::TPL_COLUMNS;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Test-ProxyLogon's log-age columns and the coverage label each is measured from.
pub const LOG_AGE_COLUMNS: [(&str, &str); 12] = [
    ("OabGen", "OABGeneratorLog"),
    ("Ecp", "ECP/Server"),
    ("AutoD", "HttpProxy/Autodiscover"),
    ("Eas", "HttpProxy/Eas"),
    ("EcpProxy", "HttpProxy/Ecp"),
    ("Ews", "HttpProxy/Ews"),
    ("Mapi", "HttpProxy/Mapi"),
    ("Oab", "HttpProxy/Oab"),
    ("Owa", "HttpProxy/Owa"),
    ("OwaCal", "HttpProxy/OwaCalendar"),
    ("Powershell", "HttpProxy/PowerShell"),
    ("RpcHttp", "HttpProxy/RpcHttp"),
];

pub struct TplFiles;

/// Writes a CSV the way PowerShell's `Export-Csv` does.
fn write_ps_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    create(path, |f| ps_csv(f, header, rows))
}

/// Creates `path` through [`super::write::create_report`].
fn create(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    super::write::create_report(dir, &name, fill).map(|_| ())
}

fn ps_csv(f: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    f.write_all(b"#TYPE Selected.System.Management.Automation.PSCustomObject\r\n")?;
    let mut w = ::csv::WriterBuilder::new()
        .quote_style(::csv::QuoteStyle::Always)
        .terminator(::csv::Terminator::CRLF)
        .from_writer(f);
    w.write_record(header)?;
    for r in rows {
        w.write_record(r.iter().map(|c| csv_cell(c).into_owned()))?;
    }
    w.flush()
}

fn write_lines(path: &Path, lines: &[String]) -> std::io::Result<()> {
    create(path, |f| {
        for l in lines {
            // one value per line: line breaks inside a value would forge extra entries, and control
            // sequences would run in the terminal of whoever `cat`s the file
            f.write_all(super::sanitize::terminal(&l.replace(['\r', '\n'], " ")).as_bytes())?;
            f.write_all(b"\r\n")?;
        }
        f.flush()
    })
}

fn nine(f: &Finding) -> Vec<String> {
    TPL_COLUMNS
        .iter()
        .map(|(n, _)| f.field(n).unwrap_or_default().to_string())
        .collect()
}

fn distinct_paths<'a>(it: impl Iterator<Item = &'a Finding>) -> Vec<String> {
    it.map(|f| f.source.path.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Every name [`TplFiles`] may write, after the `<host>-` prefix.
pub const SUFFIXES: [&str; 8] = [
    "Cve-2021-26855.csv",
    "Cve-2021-26857.csv",
    "Cve-2021-26858.log",
    "Cve-2021-26858-DownloadPaths.log",
    "Cve-2021-27065.log",
    "Cve-2021-27065-ResetVDir.csv",
    "other.csv",
    "LogAgeDays.csv",
];

impl Report for TplFiles {
    fn name(&self) -> &'static str {
        "Test-ProxyLogon files"
    }

    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let host = file_safe(&scan.host);
        let p = |suffix: &str| dir.join(format!("{host}-{suffix}"));
        let of = |check: &'static str| scan.findings.iter().filter(move |f| f.check == check);
        let mut written = Vec::new();
        let names: Vec<&str> = TPL_COLUMNS.iter().map(|(n, _)| *n).collect();

        let rows: Vec<Vec<String>> = of("cve-2021-26855")
            .filter(|f| f.class == Class::Exploitation)
            .map(nine)
            .collect();
        if !rows.is_empty() {
            write_ps_csv(&p("Cve-2021-26855.csv"), &names, &rows)?;
            written.push(p("Cve-2021-26855.csv"));
        }
        let rows: Vec<Vec<String>> = of("cve-2021-26857")
            .map(|f| {
                vec![
                    f.time.map(|t| t.to_string()).unwrap_or_default(),
                    f.field("Provider").unwrap_or_default().into(),
                    f.field("EventId").unwrap_or_default().into(),
                    f.field("Level").unwrap_or_default().into(),
                    f.field("Data").unwrap_or_default().into(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            write_ps_csv(
                &p("Cve-2021-26857.csv"),
                &["TimeCreated", "ProviderName", "Id", "Level", "Message"],
                &rows,
            )?;
            written.push(p("Cve-2021-26857.csv"));
        }
        let logs = distinct_paths(of("cve-2021-26858"));
        if !logs.is_empty() {
            write_lines(&p("Cve-2021-26858.log"), &logs)?;
            let paths: Vec<String> = of("cve-2021-26858")
                .map(|f| format!("'{}'", f.field("Path").unwrap_or_default()))
                .collect();
            write_lines(&p("Cve-2021-26858-DownloadPaths.log"), &paths)?;
            written.extend([
                p("Cve-2021-26858.log"),
                p("Cve-2021-26858-DownloadPaths.log"),
            ]);
        }
        let logs = distinct_paths(of("cve-2021-27065").filter(|f| f.rule.starts_with("set-vdir")));
        if !logs.is_empty() {
            write_lines(&p("Cve-2021-27065.log"), &logs)?;
            written.push(p("Cve-2021-27065.log"));
        }
        let rows: Vec<Vec<String>> = of("cve-2021-27065")
            .filter(|f| f.rule == "reset-vdir-ssrf")
            .map(nine)
            .collect();
        if !rows.is_empty() {
            write_ps_csv(&p("Cve-2021-27065-ResetVDir.csv"), &names, &rows)?;
            written.push(p("Cve-2021-27065-ResetVDir.csv"));
        }
        let rows: Vec<Vec<String>> = of("suspicious-files")
            .map(|f| {
                vec![
                    f.field("Type").unwrap_or_default().into(),
                    f.source.path.clone(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            write_ps_csv(&p("other.csv"), &["Type", "Path"], &rows)?;
            written.push(p("other.csv"));
        }
        let age = |label: &str| -> String {
            let first = scan
                .coverage
                .iter()
                .filter(|g| g.label == label)
                .filter_map(|g| g.first)
                .min();
            first
                .map(|f| ((scan.started.0 - f.0) / 86_400_000).to_string())
                .unwrap_or_default()
        };
        let header: Vec<&str> = LOG_AGE_COLUMNS.iter().map(|(n, _)| *n).collect();
        let row: Vec<String> = LOG_AGE_COLUMNS.iter().map(|(_, l)| age(l)).collect();
        write_ps_csv(&p("LogAgeDays.csv"), &header, &[row])?;
        written.push(p("LogAgeDays.csv"));
        Ok(written)
    }
}
