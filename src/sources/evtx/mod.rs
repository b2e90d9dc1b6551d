//! Windows event logs (`.evtx`), read with the `evtx` crate. Every record is rendered to JSON text
//! once; only records whose text holds a prefilter literal are parsed into an [`EvtxEvent`].

use super::lines::Prefilter;
use crate::model::Timestamp;
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One event, with the fields the checks use. Offline there is no rendered message, so checks
/// match on `data` (unnamed `<Data>` items, classic providers) and `named` (`<Data Name=..>`).
#[derive(Debug, Clone, Default)]
pub struct EvtxEvent {
    pub record_id: u64,
    pub time: Option<Timestamp>,
    pub provider: String,
    pub event_id: u32,
    pub level: u8,
    pub channel: String,
    pub computer: String,
    pub data: Vec<String>,
    pub named: Vec<(String, String)>,
    /// The record as the `evtx` crate renders it (JSON), kept as raw evidence.
    pub json: String,
}

impl EvtxEvent {
    pub fn named(&self, key: &str) -> Option<&str> {
        self.named
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every data string, unnamed and named.
    pub fn all_data(&self) -> impl Iterator<Item = &str> {
        self.data
            .iter()
            .map(String::as_str)
            .chain(self.named.iter().map(|(_, v)| v.as_str()))
    }

    /// Builds an event from the JSON the `evtx` crate renders.
    pub fn from_json(record_id: u64, json: String) -> Option<EvtxEvent> {
        let v: Value = serde_json::from_str(&json).ok()?;
        let ev = v.get("Event")?;
        let sys = ev.get("System")?;
        let text = |v: Option<&Value>| -> String {
            match v {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Object(o)) => o.get("#text").map(scalar).unwrap_or_default(),
                Some(other) => scalar(other),
                None => String::new(),
            }
        };
        let num = |v: Option<&Value>| text(v).trim().parse::<u64>().unwrap_or(0);
        let mut e = EvtxEvent {
            record_id: sys
                .get("EventRecordID")
                .and_then(Value::as_u64)
                .unwrap_or(record_id),
            time: sys
                .pointer("/TimeCreated/#attributes/SystemTime")
                .and_then(Value::as_str)
                .and_then(|s| Timestamp::parse_leading(s.as_bytes())),
            provider: sys
                .pointer("/Provider/#attributes/Name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            event_id: num(sys.get("EventID")) as u32,
            level: num(sys.get("Level")) as u8,
            channel: text(sys.get("Channel")),
            computer: text(sys.get("Computer")),
            ..Default::default()
        };
        for section in ["EventData", "UserData"] {
            if let Some(Value::Object(o)) = ev.get(section) {
                for (k, v) in o {
                    if k == "#attributes" {
                        continue;
                    }
                    if k == "Data" {
                        collect_unnamed(v, &mut e.data, &mut e.named);
                    } else {
                        flatten(k, v, &mut e.named);
                    }
                }
            } else if let Some(v) = ev.get(section).filter(|v| !v.is_null()) {
                e.data.push(scalar(v));
            }
        }
        e.json = json;
        Some(e)
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn collect_unnamed(v: &Value, data: &mut Vec<String>, named: &mut Vec<(String, String)>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_unnamed(x, data, named)),
        Value::Object(o) => {
            let name = o
                .get("#attributes")
                .and_then(|a| a.get("Name"))
                .and_then(Value::as_str);
            match (name, o.get("#text")) {
                (Some(n), Some(t)) => named.push((n.to_string(), scalar(t))),
                (None, Some(t)) => collect_unnamed(t, data, named),
                _ => {}
            }
        }
        Value::Null => data.push(String::new()),
        other => data.push(scalar(other)),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => o
            .iter()
            .filter(|(k, _)| *k != "#attributes")
            .for_each(|(k, x)| {
                let key = if k == "#text" {
                    prefix.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out)
            }),
        Value::Array(a) => a.iter().for_each(|x| flatten(prefix, x, out)),
        other => out.push((prefix.to_string(), scalar(other))),
    }
}

/// What reading one EVTX file saw.
#[derive(Debug, Default)]
pub struct EvtxStats {
    pub records: u64,
    pub malformed: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Channel of the first readable record.
    pub channel: Option<String>,
    pub computer: Option<String>,
    /// The first few record errors, for the coverage report.
    pub errors: Vec<String>,
    /// Damage to the file as a whole (cut short, no records at all), for the coverage report.
    pub file_problems: Vec<String>,
    /// Records whose time is impossible (see [`plausible_time`]): read, but their times are
    /// unknown and left out of `first`/`last`.
    pub bad_times: u64,
    /// The first impossible time seen, for the coverage report.
    pub bad_time_sample: Option<String>,
    /// Records whose JSON was too large to read (see [`MAX_RECORD_JSON`]).
    pub too_large: u64,
    /// Records left unrendered once their chunk or the file spent its rendering budget.
    pub unrendered: u64,
}

/// Earliest time an event record can plausibly have: 1990-01-01 (EVTX came with Vista).
const EARLIEST_PLAUSIBLE_MS: i64 = 631_152_000_000;
/// How far past the clock of the machine scanning a record's time may be (clock skew).
const FUTURE_SLACK_MS: i64 = 24 * 3600 * 1000;

/// Says whether `t` can be a record's real time: not before 1990, not more than a day ahead of
/// `now`. A zeroed time (1601-01-01) or a garbage one is unknown, and must not stretch coverage.
fn plausible_time(t: Timestamp, now: Timestamp) -> bool {
    (EARLIEST_PLAUSIBLE_MS..=now.0.saturating_add(FUTURE_SLACK_MS)).contains(&t.0)
}

fn now() -> Timestamp {
    Timestamp::from_jiff(jiff::Timestamp::now())
}

/// A record's time: `Event/System/TimeCreated/@SystemTime` from its rendered JSON (what Windows
/// shows), else the record header's written time, which many real files leave at 0.
fn record_time(json: &str, header: Timestamp) -> Timestamp {
    const KEY: &str = "\"SystemTime\":";
    json.find("\"TimeCreated\":")
        .and_then(|i| {
            let rest = &json[i..];
            let j = rest.find(KEY)? + KEY.len();
            let v = rest[j..].trim_start().strip_prefix('"')?;
            Timestamp::parse_leading(v.as_bytes())
        })
        .unwrap_or(header)
}

mod layout;
mod render;
use layout::{check_layout, cut_short};
use render::{
    AMPLIFIED_MIN, AMPLIFIED_RATIO, FILE_RENDER_RATIO, MAX_CHUNK_JSON, MAX_RECORD_JSON,
    RenderBudget,
};

/// One record as [`read_from`] gets it from the parser.
enum Rendered {
    Json(evtx::SerializedEvtxRecord<String>),
    /// Carved from chunk slack, and not hidden by the chunk header: not read.
    Leftover,
    TooLarge,
    /// Not rendered: its chunk or the file spent its budget (see [`RenderBudget`]).
    Unrendered,
}

/// Reads every record of `path`; `on_event` gets the events whose JSON holds a prefilter literal.
pub fn read(
    path: &Path,
    pre: &Prefilter,
    on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    let file = super::open_read_only(path).map_err(|e| super::io_problem("cannot open", &e))?;
    let mut st = read_from(file, pre, on_event)?;
    if let Some(p) = cut_short(path) {
        st.file_problems.push(p);
    }
    if st.records == 0 && st.malformed == 0 && st.file_problems.is_empty() {
        st.file_problems
            .push("no event records could be read (empty or damaged log)".into());
    }
    Ok(st)
}

/// [`read`] over any seekable reader (a file, or bytes in memory for tests and fuzzing).
pub fn read_from<R: std::io::Read + std::io::Seek>(
    mut reader: R,
    pre: &Prefilter,
    mut on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    // One extra pass over the bytes, a chunk at a time (bounded memory), before the parser's.
    let layout = check_layout(&mut reader);
    reader
        .seek(std::io::SeekFrom::Start(0))
        .map_err(|e| super::io_problem("cannot read", &e))?;
    let mut parser = evtx::EvtxParser::from_read_seek(reader)
        .map_err(|e| {
            format!("not a readable EVTX file: {e} (damaged or cut; collect it again or check it with another EVTX reader)")
        })?
        .with_configuration(evtx::ParserSettings::new().recover_records(!layout.hidden.is_empty()));
    let mut st = EvtxStats {
        file_problems: layout.problems,
        ..Default::default()
    };
    let now = now();
    let render = Arc::new(Mutex::new(RenderBudget::for_file(layout.bytes)));
    let hidden = Arc::new(layout.hidden);
    let records = {
        let render = Arc::clone(&render);
        parser.serialized_records(move |rec| {
            let rec = rec?;
            // Carved from chunk slack: only the records a chunk header hid are read; the rest
            // are leftovers of the log's earlier passes (or another log, in exported files).
            if rec.recovered && !hidden.contains(&rec.event_record_id) {
                return Ok(Rendered::Leftover);
            }
            let chunk = (
                std::ptr::from_ref(rec.chunk.header) as usize,
                rec.chunk.header.first_event_record_id,
                rec.chunk.header.last_event_record_id,
            );
            if render.lock().map_or(true, |mut b| !b.admit(chunk)) {
                return Ok(Rendered::Unrendered);
            }
            let binxml = rec.binxml_size;
            let r = rec.into_json()?;
            let too_large = render
                .lock()
                .map_or(true, |mut b| !b.charge_record(r.data.len(), binxml));
            Ok(if too_large {
                Rendered::TooLarge
            } else {
                Rendered::Json(r)
            })
        })
    };
    for rec in records {
        match rec {
            Ok(Rendered::Leftover) => {}
            Ok(Rendered::TooLarge) => {
                st.too_large += 1;
                st.malformed += 1;
            }
            Ok(Rendered::Unrendered) => {
                st.unrendered += 1;
                st.malformed += 1;
            }
            Ok(Rendered::Json(r)) => {
                st.records += 1;
                let t = record_time(&r.data, Timestamp(r.timestamp.as_millisecond()));
                if plausible_time(t, now) {
                    st.first = Some(st.first.map_or(t, |f| f.min(t)));
                    st.last = Some(st.last.map_or(t, |l| l.max(t)));
                } else {
                    st.bad_times += 1;
                    if st.bad_time_sample.is_none() {
                        st.bad_time_sample = Some(format!("{t} in record {}", r.event_record_id));
                    }
                }
                if st.channel.is_none() {
                    st.channel = json_str_after(&r.data, "\"Channel\":");
                    st.computer = json_str_after(&r.data, "\"Computer\":");
                }
                if pre.is_match(r.data.as_bytes()) {
                    match EvtxEvent::from_json(r.event_record_id, r.data) {
                        Some(e) => on_event(e),
                        None => st.malformed += 1,
                    }
                }
            }
            Err(e) => {
                st.malformed += 1;
                if st.errors.len() < 5 {
                    st.errors.push(e.to_string());
                }
            }
        }
    }
    if st.too_large > 0 {
        st.file_problems.push(format!(
            "{} record(s) too large to render were skipped (each renders to more than {} MiB, or to more than {} KiB and {}x its binary size; real records render to a few KiB: crafted to slow a reader down?)",
            st.too_large,
            MAX_RECORD_JSON >> 20,
            AMPLIFIED_MIN >> 10,
            AMPLIFIED_RATIO
        ));
    }
    if st.unrendered > 0 {
        st.file_problems.push(format!(
            "{} record(s) were not rendered: their chunk had already rendered a record too large or more than {} MiB in all, or the file more than {}x its size (crafted to slow a reader down?)",
            st.unrendered,
            MAX_CHUNK_JSON >> 20,
            FILE_RENDER_RATIO
        ));
    }
    if st.bad_times > 0 {
        st.file_problems.push(format!(
            "{} record(s) with an impossible time (before 1990 or more than a day ahead of this machine's clock; first: {}); their times are unknown and not counted in the coverage",
            st.bad_times,
            st.bad_time_sample.as_deref().unwrap_or("?")
        ));
    }
    Ok(st)
}

/// Cheap extraction of a top-level string value from rendered JSON without parsing it all.
fn json_str_after(json: &str, key: &str) -> Option<String> {
    let i = json.find(key)? + key.len();
    let rest = json[i..].trim_start();
    let rest = rest.strip_prefix('"')?;
    let v: Value =
        serde_json::from_str(&format!("\"{}\"", &rest[..find_string_end(rest)?])).ok()?;
    v.as_str().map(str::to_string)
}

fn find_string_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The tests' EVTX writer, to build damaged and altered files.
#[cfg(test)]
#[path = "../../../tests/support/evtx_writer.rs"]
mod test_evtx_writer;

#[cfg(test)]
mod tests;
