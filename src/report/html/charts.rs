//! The two inline SVG charts: log coverage against the exposure window, and attacker activity
//! over time per address. Every label is escaped with [`super::esc`]; numbers are formatted here.

use super::{cut, esc};
use crate::model::Timestamp;
use crate::scan::ScanResult;
use std::collections::HashMap;
use std::fmt::Write;

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 240.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 26.0;
const ROW: f64 = 20.0;
/// The most address rows the activity chart draws (the table below it lists every address).
pub const MAX_IP_ROWS: usize = 30;
/// Time columns per address row: events in one column are drawn as one dot.
const COLUMNS: usize = 200;

/// A time axis over the plot area.
struct Axis {
    lo: i64,
    hi: i64,
}

impl Axis {
    fn new(lo: i64, hi: i64) -> Axis {
        let hi = if hi <= lo { lo + 3_600_000 } else { hi };
        // a little room either side so that first and last marks are not on the edge
        let pad = (hi - lo) / 50;
        Axis {
            lo: lo - pad,
            hi: hi + pad,
        }
    }

    fn x(&self, t: i64) -> f64 {
        let t = t.clamp(self.lo, self.hi);
        LEFT + (t - self.lo) as f64 / (self.hi - self.lo) as f64 * (WIDTH - LEFT - RIGHT)
    }

    /// Grid lines and labels along the top.
    fn draw(&self, s: &mut String, height: f64) {
        let span = self.hi - self.lo;
        let day = 86_400_000;
        for i in 0..=6 {
            let t = self.lo + span * i / 6;
            let x = self.x(t);
            let text = Timestamp(t).to_string();
            let label = if span > 3 * day {
                text.get(..10).unwrap_or(&text).to_string()
            } else {
                format!(
                    "{} {}",
                    text.get(5..10).unwrap_or(""),
                    text.get(11..16).unwrap_or("")
                )
            };
            let _ = write!(
                s,
                r#"<line class="grid" x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{height:.1}"/><text x="{x:.1}" y="14" text-anchor="{}">{}</text>"#,
                match i {
                    0 => "start",
                    6 => "end",
                    _ => "middle",
                },
                esc(&label)
            );
        }
        let _ = write!(
            s,
            r#"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{:.1}" y2="{TOP}"/>"#,
            WIDTH - RIGHT
        );
    }
}

fn open_svg(s: &mut String, height: f64, label: &str) {
    let _ = write!(
        s,
        r#"<div class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {WIDTH} {height:.0}" preserveAspectRatio="xMinYMin meet" role="img" aria-label="{}">"#,
        esc(label)
    );
}

fn row_label(s: &mut String, y: f64, text: &str) {
    let _ = write!(
        s,
        r#"<text x="4" y="{:.1}"><title>{}</title>{}</text>"#,
        y + 14.0,
        esc(text),
        esc(&cut(text, 38))
    );
}

/// Per log source (not the file-scan folders): the span its records cover, against the window.
pub fn coverage(scan: &ScanResult) -> String {
    let rows: Vec<&crate::model::SourceCoverage> =
        scan.coverage.iter().filter(|g| g.kind != "files").collect();
    if rows.is_empty() {
        return r#"<p class="none">No log source was read: there is no coverage to chart.</p>"#
            .into();
    }
    let w = scan.params.window;
    let firsts = rows.iter().filter_map(|g| g.first).map(|t| t.0);
    let lasts = rows.iter().filter_map(|g| g.last).map(|t| t.0);
    let lo = firsts.chain([w.since.0]).min().unwrap_or(w.since.0);
    let hi = lasts
        .chain(w.until.map(|u| u.0))
        .max()
        .unwrap_or(w.since.0)
        .max(w.since.0);
    let axis = Axis::new(lo, hi);
    let height = TOP + ROW * rows.len() as f64 + 8.0;
    let mut s = String::new();
    open_svg(&mut s, height, "Log coverage against the exposure window");
    let (wx0, wx1) = (
        axis.x(w.since.0),
        w.until.map_or(WIDTH - RIGHT, |u| axis.x(u.0)),
    );
    let until = w.until.map_or_else(|| "now".to_string(), |u| u.to_string());
    let _ = write!(
        s,
        r#"<rect class="win" x="{wx0:.1}" y="{TOP}" width="{:.1}" height="{:.1}"><title>exposure window {} .. {}</title></rect>"#,
        (wx1 - wx0).max(1.0),
        height - TOP,
        w.since,
        esc(&until)
    );
    axis.draw(&mut s, height);
    for (i, g) in rows.iter().enumerate() {
        let y = TOP + 4.0 + ROW * i as f64;
        row_label(&mut s, y, &g.label);
        match (g.present, g.first, g.last) {
            (false, _, _) => {
                let _ = write!(
                    s,
                    r#"<text class="gap" x="{LEFT}" y="{:.1}">missing: not read</text>"#,
                    y + 14.0
                );
            }
            (true, Some(a), Some(b)) => {
                let (x0, x1) = (axis.x(a.0), axis.x(b.0));
                let late = a > w.since;
                let _ = write!(
                    s,
                    r#"<rect class="{}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="12"><title>{}: {a} .. {b}, {} record(s){}</title></rect>"#,
                    if late { "late" } else { "bar" },
                    y + 3.0,
                    (x1 - x0).max(2.0),
                    esc(&g.label),
                    g.records,
                    if late {
                        "; starts after the window start"
                    } else {
                        ""
                    }
                );
            }
            (true, _, _) => {
                let _ = write!(
                    s,
                    r#"<text class="warn" x="{LEFT}" y="{:.1}">no records with a time ({} file(s))</text>"#,
                    y + 14.0,
                    g.files
                );
            }
        }
    }
    s.push_str("</svg></div>");
    s.push_str(r#"<p class="legend">Blue: the span of records read from a source, by the times in their content. Orange: a source whose records start after the window start (anything earlier is not visible). Shaded: the exposure window"#);
    if w.until.is_none() {
        s.push_str(" (open-ended: it runs to now, past the right edge)");
    }
    s.push_str(".</p>");
    s
}

#[derive(Default, Clone, Copy)]
struct Cell {
    events: u64,
    findings: u64,
    first: i64,
    last: i64,
}

/// Per attacker address: its timeline events over time, one dot per time column (red when a
/// finding is among them).
pub fn activity(scan: &ScanResult) -> String {
    let ips: Vec<&str> = scan
        .attacker_ips
        .iter()
        .take(MAX_IP_ROWS)
        .map(|a| a.ip.as_str())
        .collect();
    if ips.is_empty() {
        return r#"<p class="none">No attacker address was taken from the findings: there is no activity to chart.</p>"#.into();
    }
    let row_of: HashMap<&str, usize> = ips.iter().enumerate().map(|(i, ip)| (*ip, i)).collect();
    let mine: Vec<(usize, i64, bool)> = scan
        .timeline
        .iter()
        .filter_map(|e| {
            row_of
                .get(e.client_ip.as_str())
                .map(|r| (*r, e.datetime.0, !e.rule_id.is_empty()))
        })
        .collect();
    let bounds = scan
        .attacker_ips
        .iter()
        .take(MAX_IP_ROWS)
        .flat_map(|a| [a.first_seen, a.last_seen])
        .flatten()
        .map(|t| t.0)
        .chain(mine.iter().map(|m| m.1));
    let (lo, hi) = bounds.fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    if lo > hi {
        return r#"<p class="none">The attacker addresses have no timed events: there is no activity to chart.</p>"#.into();
    }
    let axis = Axis::new(lo, hi);
    let col = |t: i64| {
        (((axis.x(t) - LEFT) / (WIDTH - LEFT - RIGHT) * COLUMNS as f64) as usize).min(COLUMNS - 1)
    };
    let mut cells = vec![vec![Cell::default(); COLUMNS]; ips.len()];
    for &(r, t, finding) in &mine {
        let c = &mut cells[r][col(t)];
        if c.events == 0 {
            c.first = t;
            c.last = t;
        }
        c.events += 1;
        c.findings += u64::from(finding);
        c.first = c.first.min(t);
        c.last = c.last.max(t);
    }
    let height = TOP + ROW * ips.len() as f64 + 8.0;
    let mut s = String::new();
    open_svg(&mut s, height, "Attacker activity over time per address");
    axis.draw(&mut s, height);
    for (r, ip) in ips.iter().enumerate() {
        let y = TOP + 4.0 + ROW * r as f64;
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
            y + 10.0,
            WIDTH - RIGHT,
            y + 10.0
        );
        row_label(&mut s, y, ip);
        for c in cells[r].iter().filter(|c| c.events > 0) {
            let radius = (2.5 + (c.events as f64).ln() * 1.3).min(8.0);
            let when = if c.first == c.last {
                Timestamp(c.first).to_string()
            } else {
                format!("{} .. {}", Timestamp(c.first), Timestamp(c.last))
            };
            let _ = write!(
                s,
                r#"<circle class="{}" cx="{:.1}" cy="{:.1}" r="{radius:.1}"><title>{}: {} event(s), {} finding(s), {when}</title></circle>"#,
                if c.findings > 0 { "dot-f" } else { "dot-s" },
                axis.x((c.first + c.last) / 2),
                y + 10.0,
                esc(ip),
                c.events,
                c.findings,
            );
        }
    }
    s.push_str("</svg></div>");
    let _ = write!(
        s,
        r#"<p class="legend">One row per attacker address (from the findings), one dot per time slice of its timeline events: red when a finding is among them, grey for requests the pivot sweep found. Larger dots: more events.{}</p>"#,
        if scan.attacker_ips.len() > MAX_IP_ROWS {
            format!(
                " The first {MAX_IP_ROWS} of {} addresses are drawn; the table lists them all.",
                scan.attacker_ips.len()
            )
        } else {
            String::new()
        }
    );
    s
}
