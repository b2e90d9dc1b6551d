//! Windows events exported as JSON lines (one event per line) by SIEMs and triage tools, read
//! into the same [`EvtxEvent`] records the `.evtx` reader yields, so that every event check runs
//! on them unchanged. The shapes are in [`shape`]; an export's mislabelled local time is found
//! and corrected in [`clock`]. See `docs/event-exports.md`.
//!
//! A file is read twice when it holds Sysmon events (their `UtcTime` proves the clock of the
//! records, see [`clock`]), then once for the events. Memory is bounded by the longest line
//! ([`MAX_LINE`]); a longer line is skipped, counted and reported with its line number, as is
//! every line that is not JSON or not an event.

mod clock;
mod messages;
pub mod shape;
mod xml;

pub use shape::Shape;

use super::lines::Prefilter;
use crate::model::Timestamp;
use crate::sources::evtx::EvtxEvent;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Longest line read; real event lines are a few KiB (a stack trace: tens of KiB).
pub const MAX_LINE: usize = 4 << 20;
/// Bad lines quoted in the report (all are counted).
const MAX_SAMPLES: usize = 5;
/// Channels and hosts kept apart; the rest of a (crafted?) export is counted under one name.
pub const MAX_NAMES: usize = 256;
/// Where channels past [`MAX_NAMES`] are counted.
pub const OTHER_CHANNELS: &str = "(other channels)";
/// Where hosts past [`MAX_NAMES`] are counted.
pub const OTHER_HOSTS: &str = "(other hosts)";

/// `name`, or `other` once `map` already holds [`MAX_NAMES`] other names.
fn bounded<'a, V>(map: &BTreeMap<String, V>, name: &'a str, other: &'a str) -> &'a str {
    if map.len() < MAX_NAMES || map.contains_key(name) {
        name
    } else {
        other
    }
}

/// Records, times and span of one channel of the export.
#[derive(Debug, Default, Clone)]
pub struct ChannelSpan {
    pub records: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

/// What reading one export saw.
#[derive(Debug, Default)]
pub struct JsonStats {
    pub bytes: u64,
    /// Events read (lines that are events).
    pub records: u64,
    /// Lines that are not JSON, not an event, or too long.
    pub bad_lines: u64,
    /// Of those, lines longer than [`MAX_LINE`].
    pub too_large: u64,
    /// `line N: why` for the first few bad lines.
    pub bad_samples: Vec<String>,
    pub shapes: BTreeMap<Shape, u64>,
    pub channels: BTreeMap<String, ChannelSpan>,
    /// Events per computer name.
    pub hosts: BTreeMap<String, u64>,
    /// Events whose time could not be read or is impossible (before 1990, or more than a day
    /// ahead of this machine's clock): read, but left out of the spans.
    pub bad_times: u64,
    /// What was corrected, and what could not be, about the records' clock.
    pub clock_notes: Vec<String>,
    /// The file's last line has no line end.
    pub truncated_last_line: bool,
}

/// Reads one line into `buf` (without `\n` / `\r\n`), at most `max` bytes of it: `Ok(None)` at
/// the end, else whether the line was longer than `max` (its rest is skipped).
fn next_line<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
    ended: &mut bool,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut any = false;
    let mut long = false;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            if !any {
                return Ok(None);
            }
            *ended = false; // the last line has no line end
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        if take > room {
            long = true;
        }
        buf.extend_from_slice(&avail[..take.min(room)]);
        r.consume(take + usize::from(done));
        if done {
            *ended = true;
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(long))
}

/// Earliest plausible event time: 1990-01-01.
const EARLIEST_MS: i64 = 631_152_000_000;

fn plausible(t: Timestamp, now: Timestamp) -> bool {
    (EARLIEST_MS..=now.0.saturating_add(24 * 3600 * 1000)).contains(&t.0)
}

/// Finds the records' clock from Sysmon's `UtcTime` (first pass).
fn clock_pass<R: Read>(reader: R) -> std::io::Result<clock::Samples> {
    let mut r = BufReader::with_capacity(1 << 20, reader);
    let mut buf = Vec::new();
    let mut samples = clock::Samples::default();
    let mut ended = true;
    while let Some(long) = next_line(&mut r, &mut buf, MAX_LINE, &mut ended)? {
        if long || memchr::memmem::find(&buf, b"UtcTime").is_none() {
            continue;
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Ok((_, e)) = shape::map(&v, line, true) else {
            continue;
        };
        if !e.provider.eq_ignore_ascii_case("Microsoft-Windows-Sysmon") {
            continue;
        }
        if let (Some(t), Some(u)) = (
            e.time,
            e.named("UtcTime")
                .and_then(|u| Timestamp::parse_leading(u.trim().as_bytes())),
        ) {
            samples.add(&e.computer, t, u);
        }
    }
    Ok(samples)
}

/// Reads an export; `on_event` gets the events whose line holds a prefilter literal, with the
/// line number and the line itself (the evidence).
pub fn read(
    path: &Path,
    pre: &Prefilter,
    on_event: impl FnMut(EvtxEvent, u64, &[u8]),
) -> Result<JsonStats, String> {
    let open = || super::open_read_only(path).map_err(|e| super::io_problem("cannot open", &e));
    let samples = clock_pass(open()?).map_err(|e| super::io_problem("cannot read", &e))?;
    read_from(open()?, samples, pre, on_event).map_err(|e| super::io_problem("cannot read", &e))
}

/// [`read`] over any reader, with the clock samples of a first pass (tests: bytes in memory).
pub fn read_bytes(
    bytes: &[u8],
    pre: &Prefilter,
    on_event: impl FnMut(EvtxEvent, u64, &[u8]),
) -> JsonStats {
    let samples = clock_pass(bytes).unwrap_or_default();
    read_from(bytes, samples, pre, on_event).unwrap_or_default()
}

fn read_from<R: Read>(
    reader: R,
    samples: clock::Samples,
    pre: &Prefilter,
    mut on_event: impl FnMut(EvtxEvent, u64, &[u8]),
) -> std::io::Result<JsonStats> {
    let mut st = JsonStats::default();
    let decisions = samples.decide();
    let mut shifts: BTreeMap<&str, i64> = BTreeMap::new();
    let mut shifted: BTreeMap<&str, u64> = BTreeMap::new();
    for (host, d) in &decisions {
        if let clock::Decision::Shift { ms, .. } = d {
            shifts.insert(host, *ms);
        }
    }
    let now = Timestamp::from_jiff(jiff::Timestamp::now());
    let mut r = BufReader::with_capacity(1 << 20, reader);
    let mut buf = Vec::new();
    let mut number = 0u64;
    let mut ended = true;
    let bad = |st: &mut JsonStats, number: u64, why: String| {
        st.bad_lines += 1;
        if st.bad_samples.len() < MAX_SAMPLES {
            st.bad_samples.push(format!("line {number}: {why}"));
        }
    };
    while let Some(long) = next_line(&mut r, &mut buf, MAX_LINE, &mut ended)? {
        number += 1;
        st.bytes += buf.len() as u64 + 1;
        let text = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&buf);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if long {
            st.too_large += 1;
            bad(
                &mut st,
                number,
                format!(
                    "longer than {} MiB: not read (real event lines are a few KiB)",
                    MAX_LINE >> 20
                ),
            );
            continue;
        }
        let line = match std::str::from_utf8(text) {
            Ok(l) => l,
            Err(_) => {
                bad(&mut st, number, "not UTF-8 text".into());
                continue;
            }
        };
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                bad(&mut st, number, format!("not JSON ({e})"));
                continue;
            }
        };
        let wanted = pre.is_match(line.as_bytes());
        let (shape, mut e) = match shape::map(&v, line, wanted) {
            Ok(x) => x,
            Err(why) => {
                bad(&mut st, number, format!("not a Windows event ({why})"));
                continue;
            }
        };
        drop(v);
        st.records += 1;
        *st.shapes.entry(shape).or_default() += 1;
        let host = bounded(&st.hosts, &e.computer, OTHER_HOSTS).to_string();
        *st.hosts.entry(host).or_default() += 1;
        if let (Some(t), Some((host, ms))) = (e.time, shifts.get_key_value(e.computer.as_str())) {
            e.time = Some(Timestamp(t.0 + ms));
            *shifted.entry(host).or_default() += 1;
        }
        let channel = if e.channel.is_empty() {
            format!("(no channel: {})", e.provider)
        } else {
            e.channel.clone()
        };
        let channel = bounded(&st.channels, &channel, OTHER_CHANNELS).to_string();
        let span = st.channels.entry(channel).or_default();
        span.records += 1;
        match e.time.filter(|t| plausible(*t, now)) {
            Some(t) => {
                span.first = Some(span.first.map_or(t, |f| f.min(t)));
                span.last = Some(span.last.map_or(t, |l| l.max(t)));
            }
            None => st.bad_times += 1,
        }
        if wanted {
            e.json = line.to_string();
            on_event(e, number, line.as_bytes());
        }
    }
    st.truncated_last_line = !ended && number > 0;
    for (host, d) in &decisions {
        let who = if decisions.len() > 1 || st.hosts.len() > 1 {
            format!(" on {host}")
        } else {
            String::new()
        };
        st.clock_notes.push(match d {
            clock::Decision::Shift { ms, events, of } => format!(
                "record times{who} are local time {} labelled as UTC: corrected by {:+} min, as Sysmon UtcTime proves on {events} of {of} events ({} events shifted)",
                clock::zone_name(*ms),
                ms / 60_000,
                shifted.get(host.as_str()).copied().unwrap_or(0)
            ),
            clock::Decision::Inconsistent { of, seen } => format!(
                "record times{who} disagree with Sysmon UtcTime by different amounts on {of} events ({}): not corrected; times may be local, check them against the UtcTime fields",
                seen.iter()
                    .map(|(ms, n)| format!("{:+} min on {n}", ms / 60_000))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    Ok(st)
}

#[cfg(test)]
mod tests;
