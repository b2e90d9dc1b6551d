//! The outputs of `exhunt merge` (the fleet view) and `exhunt diff` (the weekly re-scan):
//! console text, CSV (cells neutralised) and JSON. Attacker text goes through
//! [`super::sanitize::terminal`] on the console.

use super::cisa::InventoryRow;
use super::console::short;
use super::csv::write_rows;
use super::sanitize::terminal;
use crate::fleet::diff::Diff;
use crate::fleet::load::Finding;
use crate::fleet::merge::{Fleet, Server};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const FLEET_CSV: &str = "fleet.csv";
pub const FLEET_SHARED_CSV: &str = "fleet-shared.csv";
pub const FLEET_JSON: &str = "fleet.json";
pub const DIFF_JSON: &str = "diff.json";
pub const DIFF_CSV: &str = "diff.csv";

pub const FLEET_COLUMNS: [&str; 13] = [
    "host",
    "verdict",
    "reason",
    "hits",
    "attempts",
    "context",
    "first_evidence",
    "webshells",
    "lsass_dump",
    "coverage_gaps",
    "scanned",
    "report",
    "problem",
];

/// The fleet as text: one line per server, worst first; unreadable inputs; shared indicators.
pub fn render_fleet(f: &Fleet) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Fleet: {} server(s), {} input(s) not readable",
        f.servers.len(),
        f.unreadable.len()
    );
    let _ = writeln!(
        s,
        "  {:<20} {:<13} {:>4} {:>8} {:>7}  {:<24}  REASON",
        "HOST", "VERDICT", "HITS", "ATTEMPTS", "CONTEXT", "FIRST EVIDENCE"
    );
    for v in &f.servers {
        let _ = writeln!(
            s,
            "  {:<20} {:<13} {:>4} {:>8} {:>7}  {:<24}  {}",
            terminal(&short(&v.host, 20)),
            terminal(&short(&v.verdict, 13)),
            v.hits,
            v.attempts,
            v.context,
            v.first_evidence
                .as_deref()
                .map(terminal)
                .unwrap_or_default(),
            terminal(&short(&v.reason, 160))
        );
        for g in v.gaps.iter().take(3) {
            let _ = writeln!(s, "      cannot see: {}", terminal(&short(g, 200)));
        }
        for p in &v.superseded {
            let _ = writeln!(
                s,
                "      older report left out: {}",
                terminal(&p.display().to_string())
            );
        }
    }
    for u in &f.unreadable {
        let _ = writeln!(
            s,
            "  NOT READ  {}: {}",
            terminal(&u.path.display().to_string()),
            terminal(&u.problem)
        );
    }
    if !f.shared.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "Seen on several servers:");
        for x in &f.shared {
            let _ = writeln!(
                s,
                "  {} {}: {}",
                x.kind,
                terminal(&short(&x.value, 160)),
                terminal(&x.hosts.join(", "))
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Worst verdict: {}",
        terminal(f.worst().unwrap_or("none (no report read)"))
    );
    s
}

/// Writes fleet.csv (one row per server and per unreadable input), fleet-shared.csv and
/// fleet.json into `dir`.
pub fn write_fleet(f: &Fleet, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let rows = f
        .servers
        .iter()
        .map(|v| {
            vec![
                v.host.clone(),
                v.verdict.clone(),
                v.reason.clone(),
                v.hits.to_string(),
                v.attempts.to_string(),
                v.context.to_string(),
                v.first_evidence.clone().unwrap_or_default(),
                v.webshells.join(", "),
                if v.lsass_dump { "yes" } else { "no" }.into(),
                v.gaps.join("; "),
                v.started.clone().unwrap_or_default(),
                v.report.display().to_string(),
                String::new(),
            ]
        })
        .chain(f.unreadable.iter().map(|u| {
            let mut row = vec![String::new(); FLEET_COLUMNS.len()];
            row[1] = "not read".into();
            row[11] = u.path.display().to_string();
            row[12] = u.problem.clone();
            row
        }));
    let a = super::write::create_report(dir, FLEET_CSV, |w| write_rows(w, &FLEET_COLUMNS, rows))?;
    let shared = f.shared.iter().map(|x| {
        vec![
            x.kind.to_string(),
            x.value.clone(),
            x.hosts.len().to_string(),
            x.hosts.join(", "),
        ]
    });
    let b = super::write::create_report(dir, FLEET_SHARED_CSV, |w| {
        write_rows(w, &["kind", "value", "servers", "hosts"], shared)
    })?;
    let c = super::write::create_report(dir, FLEET_JSON, |w| {
        serde_json::to_writer_pretty(&mut *w, f).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })?;
    let rows: Vec<InventoryRow> = f.servers.iter().map(inventory_row).collect();
    let mut out = vec![a, b, c];
    out.extend(super::cisa::write_files(&rows, dir)?);
    Ok(out)
}

/// A server's row of CISA's Inventory sheet: the one its scan wrote (`cisa-ed21-02.csv` beside
/// its report.json), else one built from the report's verdict, saying so.
fn inventory_row(v: &Server) -> InventoryRow {
    let beside = v.report.with_file_name(super::cisa::CSV_FILE);
    if let Some(row) = read_inventory_csv(&beside) {
        return row;
    }
    let mut row = InventoryRow::default();
    row.set("D", &v.host);
    let (g, why) = match v.verdict.as_str() {
        "compromised" => (super::cisa::YES_IOC, v.reason.clone()),
        "suspicious" | "no-evidence" => (super::cisa::YES_CLEAN, v.reason.clone()),
        _ => (super::cisa::NO_NARRATIVE, v.gaps.join("; ")),
    };
    row.set("G", g);
    row.set(
        "H",
        format!(
            "From exhunt's report.json ({} beside it was not found or not readable, so the MSERT column is left empty): {why}",
            super::cisa::CSV_FILE
        ),
    );
    row
}

/// The first data row of a `cisa-ed21-02.csv` exhunt wrote, its formula guards taken off again.
fn read_inventory_csv(p: &Path) -> Option<InventoryRow> {
    let mut r = ::csv::Reader::from_path(p).ok()?;
    let header: Vec<String> = r.headers().ok()?.iter().map(str::to_string).collect();
    let rec = r.records().next()?.ok()?;
    let mut row = InventoryRow::default();
    for (name, cell) in header.iter().zip(rec.iter()) {
        let Some((col, _)) = super::cisa::COLUMNS.iter().find(|(_, h)| h == name) else {
            continue;
        };
        let unguarded = match cell.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
            _ => cell,
        };
        row.set(col, unguarded);
    }
    Some(row)
}

fn finding_line(s: &mut String, f: &Finding) {
    let _ = writeln!(
        s,
        "  [{}] {} {} {}/{}: {}",
        terminal(&f.severity),
        terminal(&f.class),
        f.time.as_deref().map(terminal).unwrap_or("-".into()),
        terminal(&f.check),
        terminal(&f.rule),
        terminal(&short(&f.title, 200))
    );
    let _ = writeln!(s, "      at {}", terminal(&f.locator()));
}

/// The diff as text: new positives first.
pub fn render_diff(d: &Diff) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} ({}) -> {} ({})",
        terminal(&d.host),
        terminal(&d.old_verdict),
        d.old_started.as_deref().map(terminal).unwrap_or_default(),
        terminal(&d.new_verdict),
        d.new_started.as_deref().map(terminal).unwrap_or_default()
    );
    for n in &d.notes {
        let _ = writeln!(s, "  note: {}", terminal(n));
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "New positives since the last report: {}",
        d.new_positives.len()
    );
    for f in &d.new_positives {
        finding_line(&mut s, f);
    }
    if d.new_other > 0 {
        let _ = writeln!(
            s,
            "  (and {} new info or scanner finding(s), not positives)",
            d.new_other
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Gone since the last report (removed, or its evidence no longer read): {}",
        d.gone.len()
    );
    for f in &d.gone {
        finding_line(&mut s, f);
    }
    if !d.coverage.is_empty() || !d.checks.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "What the scan could see:");
        for c in d.coverage.iter().chain(&d.checks) {
            let _ = writeln!(
                s,
                "  {}: {} -> {}",
                terminal(&c.what),
                terminal(&c.old),
                terminal(&c.new)
            );
        }
    }
    s
}

pub const DIFF_COLUMNS: [&str; 9] = [
    "change", "check", "rule", "class", "severity", "time", "title", "evidence", "raw",
];

/// Writes diff.json and diff.csv (one row per new positive and per gone finding) into `dir`.
pub fn write_diff(d: &Diff, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let row = |change: &str, f: &Finding| {
        vec![
            change.to_string(),
            f.check.clone(),
            f.rule.clone(),
            f.class.clone(),
            f.severity.clone(),
            f.time.clone().unwrap_or_default(),
            f.title.clone(),
            f.locator(),
            f.raw.clone(),
        ]
    };
    let rows = d
        .new_positives
        .iter()
        .map(|f| row("new", f))
        .chain(d.gone.iter().map(|f| row("gone", f)));
    let a = super::write::create_report(dir, DIFF_CSV, |w| write_rows(w, &DIFF_COLUMNS, rows))?;
    let b = super::write::create_report(dir, DIFF_JSON, |w| {
        serde_json::to_writer_pretty(&mut *w, d).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })?;
    Ok(vec![a, b])
}
