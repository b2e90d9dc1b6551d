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

/// EVTX layout: a 4096-byte file header, then 64 KiB chunks; the header counts the chunks.
const EVTX_HEADER: u64 = 4096;
const EVTX_CHUNK: u64 = 65536;

/// Says whether a file is shorter than its header's chunk count promises (a cut copy, or a
/// file still being written): the records in the missing part are lost.
fn cut_short(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 44];
    let mut f = super::open_read_only(path).ok()?;
    f.read_exact(&mut head).ok()?;
    let len = f.metadata().ok()?.len();
    let chunks = u64::from(u16::from_le_bytes([head[42], head[43]]));
    let want = EVTX_HEADER + chunks * EVTX_CHUNK;
    (len < want).then(|| {
        format!(
            "file is cut: {len} bytes where its header announces {chunks} chunk(s) ({want} bytes); the records in the missing part are lost (collect the file again)"
        )
    })
}

/// What one pass over a file's raw bytes found (see [`check_layout`]).
#[derive(Debug, Default)]
struct Layout {
    /// Header damage or inconsistencies, for the coverage report.
    problems: Vec<String>,
    /// IDs of records physically present past where their chunk's header says its records
    /// end: the parser carves them, and they are read like the others.
    hidden: std::collections::HashSet<u64>,
    /// Bytes of whole chunks (and the header) read.
    bytes: u64,
}

/// The record magic `**\0\0` and the smallest record (header, empty BinXML, size copy).
const RECORD_MAGIC: &[u8; 4] = b"\x2a\x2a\x00\x00";
const MIN_RECORD: usize = 28;
const CHUNK_HEADER: usize = 512;
/// Chunk flag: no checksums kept.
const CHUNK_NO_CRC32: u32 = 0x4;
/// File header flag: not closed cleanly (its counts may lag behind the chunks).
const FILE_DIRTY: u32 = 0x1;
/// Problems listed per file before the rest are only counted.
const MAX_LAYOUT_PROBLEMS: usize = 8;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
fn fill<R: std::io::Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The record at `at` in `chunk` (ID, size), if its magic, size and trailing size copy hold.
fn record_at(chunk: &[u8], at: usize) -> Option<(u64, usize)> {
    if chunk.get(at..at + 4)? != RECORD_MAGIC || at + MIN_RECORD > chunk.len() {
        return None;
    }
    let size = le32(chunk, at + 4) as usize;
    if size < MIN_RECORD || at + size > chunk.len() || le32(chunk, at + size - 4) as usize != size {
        return None;
    }
    Some((le64(chunk, at + 8), size))
}

/// One pass over the file's bytes, a 64 KiB chunk at a time, checking what the `evtx` crate
/// takes on trust: the file header's and every chunk's checksums, the chunks' record ID ranges
/// (contiguous from chunk to chunk), the file header's chunk count and next record ID, and where
/// each chunk's records end. A chunk header whose `last_event_record_id` or `free_space_offset`
/// was lowered (checksums fixed up or not) hides the records after that point from a reader:
/// the records that still sit there, right after the last one the header admits and numbered
/// on from it, are listed in `hidden` so that they are carved and read.
fn check_layout<R: std::io::Read>(r: &mut R) -> Layout {
    let mut out = Layout::default();
    let mut problems = Vec::new();
    let mut head = vec![0u8; EVTX_HEADER as usize];
    let Ok(n) = fill(r, &mut head) else {
        return out;
    };
    out.bytes = n as u64;
    if n < 128 || &head[..8] != b"ElfFile\0" {
        return out; // the parser says what is wrong with it
    }
    let (stored, computed) = (le32(&head, 124), crc32fast::hash(&head[..120]));
    if stored != computed {
        problems.push(format!(
            "file header checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the header was altered or damaged"
        ));
    }
    let next_id = le64(&head, 24);
    let header_chunks = u64::from(u16::from_le_bytes([head[42], head[43]]));
    let dirty = le32(&head, 120) & FILE_DIRTY != 0;

    let mut chunk = vec![0u8; EVTX_CHUNK as usize];
    // (first ID, last ID, chunk number) of every chunk, to check that the ranges join up.
    let mut ranges: Vec<(u64, u64, u64)> = Vec::new();
    let mut max_id = 0u64;
    // Whole chunks read, and those of them with a chunk signature.
    let (mut number, mut signed) = (0u64, 0u64);
    loop {
        match fill(r, &mut chunk) {
            Ok(n) if n == chunk.len() => {}
            _ => break, // a cut file: `cut_short` and the parser report it
        }
        out.bytes += EVTX_CHUNK;
        let c = number;
        number += 1;
        if &chunk[..8] != b"ElfChnk\0" {
            continue; // empty (zeroed) chunks are normal; a damaged one, the parser reports
        }
        signed += 1;
        let (first, last) = (le64(&chunk, 24), le64(&chunk, 32));
        let free = le32(&chunk, 48) as usize;
        let flags = le32(&chunk, 120);
        if flags & CHUNK_NO_CRC32 == 0 {
            let mut h = crc32fast::Hasher::new();
            h.update(&chunk[..120]);
            h.update(&chunk[128..CHUNK_HEADER]);
            let (stored, computed) = (le32(&chunk, 124), h.finalize());
            if stored != computed {
                problems.push(format!(
                    "chunk {c}: header checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the chunk header was altered or damaged"
                ));
            }
            if (CHUNK_HEADER..=chunk.len()).contains(&free) {
                let (stored, computed) = (
                    le32(&chunk, 52),
                    crc32fast::hash(&chunk[CHUNK_HEADER..free]),
                );
                if stored != computed {
                    problems.push(format!(
                        "chunk {c}: record data checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): records were altered or damaged"
                    ));
                }
            }
        }
        if !(CHUNK_HEADER..=chunk.len()).contains(&free) {
            problems.push(format!(
                "chunk {c}: free-space offset {free} is outside the chunk (512..65536): its header is damaged or altered"
            ));
        }
        if first > last {
            problems.push(format!(
                "chunk {c}: its header's record ID range is reversed ({first}..{last})"
            ));
        } else {
            ranges.push((first, last, c));
        }
        max_id = max_id.max(last);

        // Walk the records the way a reader does: up to the free space, or the header's last ID.
        let live_end = free.min(chunk.len());
        let (mut at, mut read_last, mut clean_end) = (CHUNK_HEADER, None, false);
        while at < live_end {
            let Some((id, size)) = record_at(&chunk, at) else {
                break; // a damaged record: the parser reports it and resyncs
            };
            at += size;
            read_last = Some(id);
            max_id = max_id.max(id);
            if id == last {
                break;
            }
        }
        if at >= live_end || read_last == Some(last) {
            clean_end = true;
        }
        if clean_end && read_last.is_some_and(|id| id < last) && first <= last {
            problems.push(format!(
                "chunk {c}: its header gives records up to ID {last}, but its records end at ID {} at the free-space offset {free}: the header is inconsistent",
                read_last.unwrap_or(0)
            ));
        }
        // Records right after the last one read, numbered on from it: hidden by the header.
        if clean_end {
            let mut expect = read_last.map_or(first, |id| id.saturating_add(1));
            let mut hidden = Vec::new();
            while let Some((id, size)) = record_at(&chunk, at) {
                if id != expect {
                    break;
                }
                hidden.push(id);
                max_id = max_id.max(id);
                expect = expect.saturating_add(1);
                at += size;
            }
            if let (Some(a), Some(b)) = (hidden.first(), hidden.last()) {
                problems.push(format!(
                    "chunk {c}: {} record(s) (IDs {a}..{b}) are present past where its header says its records end; they were recovered and read, but the header was likely altered to hide them",
                    hidden.len()
                ));
                out.hidden.extend(hidden);
            }
        }
    }

    ranges.sort_unstable();
    for w in ranges.windows(2) {
        let ((_, last, a), (first, _, b)) = (w[0], w[1]);
        if first != last.saturating_add(1) {
            problems.push(format!(
                "record IDs jump from {last} (chunk {a}) to {first} (chunk {b}): chunk headers are inconsistent, records {} may be missing",
                if first > last.saturating_add(1) {
                    format!("{}..{}", last + 1, first - 1)
                } else {
                    "in between".to_string()
                }
            ));
        }
    }
    if !dirty && signed > 0 {
        if header_chunks != signed && number >= header_chunks {
            problems.push(format!(
                "file header counts {header_chunks} chunk(s) but {signed} are present: the header is inconsistent"
            ));
        }
        if next_id > max_id.saturating_add(1) {
            problems.push(format!(
                "file header's next record ID is {next_id} but the records end at ID {max_id}: records {}..{} are missing",
                max_id + 1,
                next_id - 1
            ));
        }
    }
    if problems.len() > MAX_LAYOUT_PROBLEMS {
        let more = problems.len() - MAX_LAYOUT_PROBLEMS;
        problems.truncate(MAX_LAYOUT_PROBLEMS);
        problems.push(format!("{more} more header problem(s) in this file"));
    }
    out.problems = problems;
    out
}

/// A record's JSON past which it is not read: real records render to a few KiB (a 32 K
/// character PowerShell script block to some 100 KiB), but a tiny crafted one can instantiate a
/// template that repeats a substitution thousands of times and render to megabytes (issue 13
/// item 15). The `evtx` crate stops only at 16 MiB a record and 64 MiB a chunk.
const MAX_RECORD_JSON: usize = 1 << 20;
/// JSON one chunk may render before the rest of its records are left unrendered: real chunks
/// (64 KiB of records) render to well under 1 MiB.
const MAX_CHUNK_JSON: usize = 8 << 20;
/// JSON a whole file may render: this many times its size, plus [`FILE_RENDER_BASE`].
const FILE_RENDER_RATIO: u64 = 64;
const FILE_RENDER_BASE: u64 = 64 << 20;

/// What is left to render, for the chunk being read and the file (see [`MAX_RECORD_JSON`]).
#[derive(Debug, Default)]
struct RenderBudget {
    /// The chunk being read (header address and record ID range), and what it has rendered.
    chunk: (usize, u64, u64),
    chunk_out: usize,
    /// The chunk rendered a record too large, or too much in all: its other records are not.
    chunk_spent: bool,
    file_left: u64,
}

impl RenderBudget {
    /// Whether a record of `chunk` may be rendered.
    fn admit(&mut self, chunk: (usize, u64, u64)) -> bool {
        if chunk != self.chunk {
            (self.chunk, self.chunk_out, self.chunk_spent) = (chunk, 0, false);
        }
        !self.chunk_spent && self.file_left > 0
    }

    /// Charges a rendered record of `len` bytes; false when it is too large to read.
    fn charge(&mut self, len: usize) -> bool {
        self.chunk_out = self.chunk_out.saturating_add(len);
        self.file_left = self.file_left.saturating_sub(len as u64);
        if len > MAX_RECORD_JSON || self.chunk_out > MAX_CHUNK_JSON {
            self.chunk_spent = true;
        }
        len <= MAX_RECORD_JSON
    }
}

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
    let render = Arc::new(Mutex::new(RenderBudget {
        file_left: FILE_RENDER_BASE.saturating_add(layout.bytes.saturating_mul(FILE_RENDER_RATIO)),
        ..Default::default()
    }));
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
            let r = rec.into_json()?;
            let too_large = render.lock().map_or(true, |mut b| !b.charge(r.data.len()));
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
            "{} record(s) too large to render were skipped (each renders to more than {} MiB; real records render to a few KiB: crafted to slow a reader down?)",
            st.too_large,
            MAX_RECORD_JSON >> 20
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
#[path = "../../tests/support/evtx_writer.rs"]
mod test_evtx_writer;

#[cfg(test)]
mod tests {
    use super::test_evtx_writer as evtx_writer;
    use super::*;
    use evtx_writer::{EvtxEvent as W, get_u32, get_u64, put_u32, put_u64, refresh_checksums};

    fn ms(iso: &str) -> i64 {
        iso.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    fn event(id: u64, iso: &str, data: &str) -> W {
        W {
            record_id: id,
            unix_ms: ms(iso),
            provider: "MSExchange CmdletLogs".into(),
            event_id: 1,
            level: 4,
            channel: "MSExchange Management".into(),
            computer: "EX01".into(),
            data: vec![data.into()],
            ..Default::default()
        }
    }

    /// Reads `bytes`, returning the stats and the record IDs of every event.
    fn read_bytes(bytes: &[u8]) -> (EvtxStats, Vec<u64>) {
        let pre = crate::sources::lines::prefilter(&["Event"]);
        let mut ids = Vec::new();
        let st = read_from(std::io::Cursor::new(bytes), &pre, |e| ids.push(e.record_id)).unwrap();
        (st, ids)
    }

    const CHUNK0: usize = 4096;

    #[test]
    fn record_time_is_system_time_else_the_header_time() {
        let header = Timestamp(0);
        let j = r##"{"Event":{"System":{"TimeCreated":{"#attributes":{"SystemTime":"2021-03-02T01:02:03.456789Z"}}}}}"##;
        assert_eq!(
            record_time(j, header).to_string(),
            "2021-03-02T01:02:03.456Z"
        );
        let pretty = "{\n  \"Event\": {\n    \"System\": {\n      \"TimeCreated\": {\n        \"#attributes\": {\n          \"SystemTime\": \"2021-03-02T01:02:03Z\"\n";
        assert_eq!(
            record_time(pretty, header).to_string(),
            "2021-03-02T01:02:03.000Z"
        );
        assert_eq!(record_time(r#"{"Event":{"System":{}}}"#, header), header);
        let now = Timestamp(ms("2026-01-01T00:00:00Z"));
        assert!(!plausible_time(Timestamp(ms("1601-01-01T00:00:00Z")), now));
        assert!(!plausible_time(Timestamp(ms("1989-12-31T23:59:59Z")), now));
        assert!(plausible_time(Timestamp(ms("1990-01-01T00:00:00Z")), now));
        assert!(plausible_time(Timestamp(ms("2026-01-01T23:00:00Z")), now));
        assert!(!plausible_time(Timestamp(ms("2026-01-02T00:00:01Z")), now));
    }

    #[test]
    fn header_time_zero_takes_the_system_time() {
        let events = [
            event(1, "2021-02-10T08:00:00Z", "Get-Mailbox"),
            event(2, "2021-02-11T08:00:00Z", "Get-Mailbox"),
        ];
        let bytes = evtx_writer::write_evtx_with_header_time(&events, Some(0));
        assert_eq!(get_u64(&bytes, CHUNK0 + 512 + 16), 0, "header time is 0");
        let (st, _) = read_bytes(&bytes);
        assert_eq!(st.first.unwrap().to_string(), "2021-02-10T08:00:00.000Z");
        assert_eq!(st.last.unwrap().to_string(), "2021-02-11T08:00:00.000Z");
        assert_eq!(st.bad_times, 0);
        assert!(st.file_problems.is_empty(), "{:?}", st.file_problems);
    }

    #[test]
    fn impossible_times_are_unknown_and_reported() {
        let mut zero = event(2, "2021-02-11T08:00:00Z", "Get-Mailbox");
        zero.unix_ms = ms("1601-01-01T00:00:00Z");
        let mut future = event(3, "2021-02-11T08:00:00Z", "Get-Mailbox");
        future.unix_ms = ms("2400-01-01T00:00:00Z");
        let events = [
            event(1, "2021-02-10T08:00:00Z", "Get-Mailbox"),
            zero,
            future,
        ];
        let (st, ids) = read_bytes(&evtx_writer::write_evtx(&events));
        assert_eq!(ids, [1, 2, 3], "still read and scanned");
        assert_eq!(st.first.unwrap().to_string(), "2021-02-10T08:00:00.000Z");
        assert_eq!(st.last.unwrap().to_string(), "2021-02-10T08:00:00.000Z");
        assert_eq!(st.bad_times, 2);
        let p = st.file_problems.join("\n");
        assert!(
            p.contains("2 record(s) with an impossible time") && p.contains("1601-01-01"),
            "{p}"
        );
    }

    #[test]
    fn real_sample_with_header_time_zero() {
        // The last record of this exported log has 0 as its header's written time.
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/public/evtx/msexchange-management-install-transportagent.evtx");
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(get_u64(&bytes, CHUNK0 + 10544 + 8), 4, "record 4");
        assert_eq!(get_u64(&bytes, CHUNK0 + 10544 + 16), 0);
        let (st, ids) = read_bytes(&bytes);
        // (The export keeps the original EventRecordIDs, 7184..7187, in the records' XML.)
        assert_eq!(
            ids.len(),
            4,
            "its chunk slack's leftovers are not read: {ids:?}"
        );
        // Record 1's TimeCreated, not 1601 (and not its header's written time, 59 ms later).
        let filetime_ms = |ft: u64| (ft as i64 - 116_444_736_000_000_000) / 10_000;
        assert_eq!(
            filetime_ms(get_u64(&bytes, CHUNK0 + 512 + 16)),
            1_622_796_108_041
        );
        assert_eq!(st.first.unwrap().to_string(), "2021-06-04T08:41:47.982Z");
        assert!(st.last.unwrap() >= st.first.unwrap());
        assert_eq!(st.bad_times, 0);
        assert!(
            st.file_problems.is_empty(),
            "an intact real log: {:?}",
            st.file_problems
        );
    }

    fn four_events() -> Vec<u8> {
        evtx_writer::write_evtx(&[
            event(1, "2021-02-10T08:00:00Z", "Get-Mailbox"),
            event(2, "2021-02-10T09:00:00Z", "Get-Mailbox"),
            event(3, "2021-02-10T10:00:00Z", "New-MailboxExportRequest"),
            event(4, "2021-02-10T11:00:00Z", "Get-Mailbox"),
        ])
    }

    /// The chunk offset of record `n` (0-based) in chunk 0.
    fn record_offset(bytes: &[u8], n: usize) -> usize {
        let mut at = 512;
        for _ in 0..n {
            at += get_u32(bytes, CHUNK0 + at + 4) as usize;
        }
        at
    }

    #[test]
    fn intact_file_has_no_layout_problems() {
        let (st, ids) = read_bytes(&four_events());
        assert_eq!(ids, [1, 2, 3, 4]);
        assert!(st.file_problems.is_empty(), "{:?}", st.file_problems);
        assert!(st.errors.is_empty());
    }

    #[test]
    fn checksum_mismatches_alone_are_reported() {
        let mut bytes = four_events();
        bytes[CHUNK0 + 512 + 100] ^= 1; // inside record 1's BinXML (a name's text)
        let (st, _) = read_bytes(&bytes);
        let p = st.file_problems.join("\n");
        assert!(p.contains("chunk 0: record data checksum mismatch"), "{p}");
        assert_eq!(st.file_problems.len(), 1, "{p}");

        let mut bytes = four_events();
        bytes[CHUNK0 + 100] ^= 1; // unused part of the chunk header
        let (st, ids) = read_bytes(&bytes);
        assert_eq!(ids, [1, 2, 3, 4]);
        assert_eq!(st.file_problems.len(), 1, "{:?}", st.file_problems);
        assert!(st.file_problems[0].starts_with("chunk 0: header checksum mismatch"));

        let mut bytes = four_events();
        bytes[100] ^= 1; // unused part of the file header
        let (st, _) = read_bytes(&bytes);
        assert_eq!(st.file_problems.len(), 1);
        assert!(st.file_problems[0].starts_with("file header checksum mismatch"));
    }

    #[test]
    fn lowered_last_record_id_hides_nothing() {
        let mut bytes = four_events();
        put_u64(&mut bytes, CHUNK0 + 16, 2); // last record number
        put_u64(&mut bytes, CHUNK0 + 32, 2); // last record ID
        put_u64(&mut bytes, 24, 3); // the file header's next record ID
        refresh_checksums(&mut bytes);
        let (st, ids) = read_bytes(&bytes);
        assert_eq!(
            ids,
            [1, 2, 3, 4],
            "the hidden records are recovered and read"
        );
        let p = st.file_problems.join("\n");
        assert!(
            p.contains("chunk 0: 2 record(s) (IDs 3..4) are present past where its header says its records end"),
            "{p}"
        );
        assert_eq!(st.last.unwrap().to_string(), "2021-02-10T11:00:00.000Z");
    }

    #[test]
    fn lowered_free_space_offset_hides_nothing() {
        let mut bytes = four_events();
        let third = record_offset(&bytes, 2);
        put_u32(&mut bytes, CHUNK0 + 48, third as u32);
        refresh_checksums(&mut bytes);
        let (st, ids) = read_bytes(&bytes);
        assert_eq!(ids, [1, 2, 3, 4]);
        let p = st.file_problems.join("\n");
        assert!(
            p.contains("its header gives records up to ID 4, but its records end at ID 2"),
            "{p}"
        );
        assert!(p.contains("2 record(s) (IDs 3..4) are present past"), "{p}");

        // Both lowered, and the file header's next ID too: only the slack tells.
        let mut bytes = four_events();
        put_u32(&mut bytes, CHUNK0 + 48, third as u32);
        put_u64(&mut bytes, CHUNK0 + 16, 2);
        put_u64(&mut bytes, CHUNK0 + 32, 2);
        let second = record_offset(&bytes, 1) as u32;
        put_u32(&mut bytes, CHUNK0 + 44, second);
        put_u64(&mut bytes, 24, 3);
        refresh_checksums(&mut bytes);
        let (st, ids) = read_bytes(&bytes);
        assert_eq!(ids, [1, 2, 3, 4]);
        assert_eq!(st.file_problems.len(), 1, "{:?}", st.file_problems);
        assert!(st.file_problems[0].contains("(IDs 3..4) are present past"));
    }

    #[test]
    fn chunk_count_and_next_id_are_checked() {
        let mut bytes = four_events();
        put_u64(&mut bytes, 24, 9);
        bytes[42] = 2;
        refresh_checksums(&mut bytes);
        let (st, _) = read_bytes(&bytes);
        let p = st.file_problems.join("\n");
        assert!(p.contains("file header's next record ID is 9 but the records end at ID 4: records 5..8 are missing"), "{p}");
        assert!(!p.contains("chunk(s) but"), "the file is cut: {p}");

        // A second chunk's worth of bytes, zeroed: the header counts a chunk that is not there.
        let mut bytes = four_events();
        bytes.resize(bytes.len() + 65536, 0);
        bytes[42] = 2;
        refresh_checksums(&mut bytes);
        let (st, ids) = read_bytes(&bytes);
        assert_eq!(ids, [1, 2, 3, 4]);
        assert_eq!(
            st.file_problems,
            ["file header counts 2 chunk(s) but 1 are present: the header is inconsistent"]
        );
    }

    #[test]
    fn chunk_record_id_ranges_must_join_up() {
        let events: Vec<W> = (1..=400)
            .map(|i| event(i, "2021-02-10T08:00:00Z", &"x".repeat(200)))
            .collect();
        let bytes = evtx_writer::write_evtx(&events);
        assert!(bytes.len() >= 4096 + 2 * 65536, "two chunks or more");
        let (st, _) = read_bytes(&bytes);
        assert!(st.file_problems.is_empty(), "{:?}", st.file_problems);
        // Chunk 1 claims to start further on: its first records' IDs drop out of the range.
        let mut bytes = bytes;
        let c1 = 4096 + 65536;
        let first = get_u64(&bytes, c1 + 24);
        put_u64(&mut bytes, c1 + 8, first + 5);
        put_u64(&mut bytes, c1 + 24, first + 5);
        refresh_checksums(&mut bytes);
        let (st, _) = read_bytes(&bytes);
        let p = st.file_problems.join("\n");
        assert!(
            p.contains(&format!(
                "record IDs jump from {} (chunk 0) to {} (chunk 1)",
                first - 1,
                first + 5
            )),
            "{p}"
        );
    }

    #[test]
    fn reads_real_exchange_management_sample() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/public/evtx/msexchange-management-install-transportagent.evtx");
        let pre = crate::sources::lines::prefilter(&["CmdletLogs"]);
        let mut events = Vec::new();
        let st = read(&p, &pre, |e| events.push(e)).unwrap();
        assert!(st.records >= 1);
        assert_eq!(st.malformed, 0);
        let e = &events[0];
        assert_eq!(e.provider, "MSExchange CmdletLogs");
        assert_eq!(e.event_id, 6);
        assert_eq!(e.level, 2);
        assert_eq!(e.channel, "MSExchange Management");
        assert_eq!(e.data[0], "Install-TransportAgent");
        assert!(e.data[6].contains("w3wp#MSExchangePowerShellAppPool"));
        assert_eq!(st.channel.as_deref(), Some("MSExchange Management"));
    }

    #[test]
    fn named_data_shape() {
        let j = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"Level":4,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"X","EventRecordID":7,"TimeCreated":{"#attributes":{"SystemTime":"2019-05-24T01:33:53.1124866Z"}}},"EventData":{"Image":"C:\\cmd.exe","ProcessId":2404}}}"##;
        let e = EvtxEvent::from_json(0, j.to_string()).unwrap();
        assert_eq!(e.record_id, 7);
        assert_eq!(e.named("image"), Some("C:\\cmd.exe"));
        assert_eq!(e.named("ProcessId"), Some("2404"));
        assert_eq!(e.time.unwrap().to_string(), "2019-05-24T01:33:53.112Z");
        assert_eq!(
            json_str_after(j, "\"Channel\":").as_deref(),
            Some("Microsoft-Windows-Sysmon/Operational")
        );
    }

    #[test]
    fn records_that_render_too_large_are_skipped_and_reported() {
        // Tiny records instantiating a template that repeats its substitution 10,000 times:
        // 500 characters each render to some 5 MB. The first of each chunk is rendered and
        // found too large; the others of its chunk are not rendered at all.
        let bytes = evtx_writer::write_template_bomb(2, 20, 10_000, 500);
        assert!(bytes.len() < 200_000);
        let (st, ids) = read_bytes(&bytes);
        assert!(ids.is_empty());
        assert_eq!((st.too_large, st.unrendered), (2, 40));
        let p = st.file_problems.join("\n");
        assert!(
            p.contains("2 record(s) too large to render were skipped"),
            "{p}"
        );
        assert!(p.contains("40 record(s) were not rendered"), "{p}");
        // The same shape, small: read as usual.
        let (st, _) = read_bytes(&evtx_writer::write_template_bomb(1, 5, 10, 5));
        assert_eq!((st.records, st.too_large, st.unrendered), (6, 0, 0));
        assert!(st.file_problems.is_empty(), "{:?}", st.file_problems);
    }

    #[test]
    fn render_budget_is_per_chunk_and_per_file() {
        let mut b = RenderBudget {
            file_left: 11 << 20,
            ..Default::default()
        };
        let (c1, c2, c3) = ((1, 1, 9), (2, 10, 19), (3, 20, 29));
        assert!(b.admit(c1) && b.charge(1000));
        assert!(b.admit(c1) && !b.charge(MAX_RECORD_JSON + 1), "too large");
        assert!(!b.admit(c1), "the rest of that chunk is not rendered");
        assert!(b.admit(c2), "the next chunk is");
        for _ in 0..8 {
            assert!(b.charge(MAX_RECORD_JSON));
        }
        assert!(b.admit(c2));
        assert!(b.charge(1), "kept, but the chunk is spent");
        assert!(!b.admit(c2));
        assert!(b.admit(c3));
        assert!(b.charge(MAX_RECORD_JSON) && b.charge(MAX_RECORD_JSON));
        assert!(!b.admit(c3), "the file is spent: {}", b.file_left);
    }
}
