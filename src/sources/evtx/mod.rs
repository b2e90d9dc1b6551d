//! Windows event logs (`.evtx`), read with the `evtx` crate. Every record is rendered to JSON text
//! once; only records whose text holds a prefilter literal are parsed into an [`EvtxEvent`].
//! With [`read_with`], chunks that cannot hold such a record are not rendered at all (see
//! [`skip`]), and chunks are read on several threads.

use super::lines::Prefilter;
use crate::model::Timestamp;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

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
    /// Chunks not rendered because none of their records can match (see [`read_with`]); their
    /// records are counted, and their times taken from the record headers.
    pub chunks_skipped: u64,
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

mod skip;
pub use skip::ChunkFilter;

/// One record of a rendered chunk, as a worker hands it to [`read_from_with`]'s ordered pass.
enum Item {
    /// A record rendered within its chunk's budget (`len` bytes of JSON): the file's budget is
    /// charged for it in record order.
    Rendered {
        len: usize,
        rec: Rendered,
    },
    /// Not rendered: its chunk spent its budget (see [`RenderBudget`]).
    Unrendered,
    Failed(String),
}

enum Rendered {
    Json {
        record_id: u64,
        time: Timestamp,
        /// Channel and computer, for the chunk's first record.
        meta: Option<(Option<String>, Option<String>)>,
        /// The event, when its JSON holds a prefilter literal (`None` inside: unparsable).
        event: Option<Option<Box<EvtxEvent>>>,
    },
    TooLarge,
}

/// What one chunk gave.
enum ChunkOut {
    Items(Vec<Item>),
    /// Skipped: no record of it can match (see [`skip`]); counted from its record headers.
    Counted(skip::Counted),
}

/// What every chunk of one file is read with.
struct Job<'a> {
    settings: Arc<evtx::ParserSettings>,
    pre: &'a Prefilter,
    chunks: &'a ChunkFilter,
    /// Records hidden by a lowered chunk header (see [`check_layout`]).
    hidden: &'a std::collections::HashSet<u64>,
    /// Whether chunks may be skipped in this file.
    skip: bool,
    /// Chunks always rendered: those with the file's oldest and newest records.
    edge_chunks: &'a [u64],
    /// Plausible record times, Unix ms (see [`plausible_time`]).
    plausible: std::ops::RangeInclusive<i64>,
}

thread_local! {
    /// The arena the last chunk this thread rendered used (see [`read_chunk`]).
    static ARENA: std::cell::RefCell<Option<bumpalo::Bump>> = const { std::cell::RefCell::new(None) };
    /// Scratch space for [`ChunkFilter::may_match`].
    static VIEWS: std::cell::RefCell<skip::Views> = std::cell::RefCell::new(skip::Views::default());
}

/// Reads one chunk: skipped when it cannot match, else every record rendered within the
/// chunk's budget, in order.
fn read_chunk(job: &Job<'_>, chunk: evtx::err::Result<evtx::EvtxChunkData>) -> ChunkOut {
    let mut data = match chunk {
        Ok(c) => c,
        Err(e) => return ChunkOut::Items(vec![Item::Failed(e.to_string())]),
    };
    let number = data.number.unwrap_or(0);
    if job.skip
        && !job.edge_chunks.contains(&number)
        && !VIEWS.with(|f| job.chunks.may_match(&data.data, &mut f.borrow_mut()))
        && let Some(counted) = skip::clean_records(&data.data, job.plausible.clone())
    {
        return ChunkOut::Counted(counted);
    }
    let mut chunk = match data.parse(Arc::clone(&job.settings)) {
        Ok(c) => c,
        Err(_) => {
            return ChunkOut::Items(vec![Item::Failed(format!(
                "Failed to parse chunk number {number}"
            ))]);
        }
    };
    // `EvtxChunkData::parse` gives every chunk a new arena, which the records then grow to a
    // few MiB: fresh pages, faulted in chunk after chunk (measured: 174,000 page faults and
    // 0.7 s of system time on a 300 MB log, against 1,600 and 0.1 s for the crate's own
    // pipeline, which recycles its arenas). The chunk has not used its arena yet (it only
    // reads its string table when built), so it is swapped for this thread's recycled one.
    // (`EvtxChunk::arena` is public but hidden from the crate's docs: the crate's own pipeline
    // recycles it the same way. Should a later version hide it, this stops compiling.)
    if let Some(arena) = ARENA.with(|a| a.borrow_mut().take()) {
        chunk.arena = arena;
    }
    let items = render_records(job, &mut chunk, number);
    let mut arena = std::mem::take(&mut chunk.arena);
    arena.reset();
    // Kept for the next chunk unless a crafted chunk made it grow large (it is kept per thread).
    if arena.allocated_bytes() <= MAX_KEPT_ARENA {
        ARENA.with(|a| *a.borrow_mut() = Some(arena));
    }
    ChunkOut::Items(items)
}

/// The largest chunk arena a thread keeps for its next chunk (real chunks use a few MiB).
const MAX_KEPT_ARENA: usize = 16 << 20;

/// Renders a chunk's records within the chunk's budget, in order.
fn render_records(job: &Job<'_>, chunk: &mut evtx::EvtxChunk<'_>, number: u64) -> Vec<Item> {
    // The chunk's own budget; the file's is charged in record order by the caller.
    let mut budget = RenderBudget::with_file_left(u64::MAX);
    let key = (1, number, 0);
    let mut items = Vec::new();
    let mut meta_given = false;
    for rec in chunk.iter() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                items.push(Item::Failed(e.to_string()));
                continue;
            }
        };
        // Carved from chunk slack: only the records a chunk header hid are read; the rest
        // are leftovers of the log's earlier passes (or another log, in exported files).
        if rec.recovered && !job.hidden.contains(&rec.event_record_id) {
            continue;
        }
        if !budget.admit(key) {
            items.push(Item::Unrendered);
            continue;
        }
        let (binxml, recovered) = (rec.binxml_size, rec.recovered);
        let r = match rec.into_json() {
            Ok(r) => r,
            // Carved hits that fail to render are noise, as the crate's own reader has it.
            Err(_) if recovered => continue,
            Err(e) => {
                items.push(Item::Failed(e.to_string()));
                continue;
            }
        };
        let len = r.data.len();
        if !budget.charge_record(len, binxml) {
            items.push(Item::Rendered {
                len,
                rec: Rendered::TooLarge,
            });
            continue;
        }
        let time = record_time(&r.data, Timestamp(r.timestamp.as_millisecond()));
        let meta = (!meta_given).then(|| {
            meta_given = true;
            (
                json_str_after(&r.data, "\"Channel\":"),
                json_str_after(&r.data, "\"Computer\":"),
            )
        });
        let record_id = r.event_record_id;
        let event = job
            .pre
            .is_match(r.data.as_bytes())
            .then(|| EvtxEvent::from_json(record_id, r.data).map(Box::new));
        items.push(Item::Rendered {
            len,
            rec: Rendered::Json {
                record_id,
                time,
                meta,
                event,
            },
        });
    }
    items
}

/// EVTX files being read now, by all threads: a file reads its chunks on several threads only
/// while fewer files than threads are being read (see [`read_from_with`]).
static FILES_READING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

struct Reading;
impl Reading {
    fn start() -> Reading {
        FILES_READING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Reading
    }
}
impl Drop for Reading {
    fn drop(&mut self) {
        FILES_READING.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Reads every record of `path`; `on_event` gets the events whose JSON holds a prefilter
/// literal. Every chunk is rendered (see [`read_with`] to skip those that cannot match).
pub fn read(
    path: &Path,
    pre: &Prefilter,
    on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    read_with(path, pre, &ChunkFilter::none(), on_event)
}

/// [`read`], skipping the chunks that `chunks` (built from the literals of `pre`) proves
/// cannot hold a record whose JSON matches `pre`.
pub fn read_with(
    path: &Path,
    pre: &Prefilter,
    chunks: &ChunkFilter,
    on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    let file = super::open_read_only(path).map_err(|e| super::io_problem("cannot open", &e))?;
    let mut st = read_from_with(file, pre, chunks, on_event)?;
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
    reader: R,
    pre: &Prefilter,
    on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    read_from_with(reader, pre, &ChunkFilter::none(), on_event)
}

/// Chunks handed to the workers at a time, per thread.
const CHUNKS_PER_THREAD: usize = 4;
/// The most chunks read at once for one file, whatever the thread count: 16 chunks of 64 KiB,
/// each rendering to at most 2 MiB of JSON (`MAX_CHUNK_JSON`), bound the memory of a batch.
const MAX_BATCH: usize = 16;

/// [`read_with`] over any seekable reader.
///
/// Chunks are read in batches, rendered (or skipped) on the rayon pool the caller runs in (a
/// scan's `--threads`), and their records then taken in file order, so that the result is the
/// same on any number of threads. The `evtx` crate's own `ParserSettings::num_threads` is not
/// used: its pipeline waits for its chunks on a channel, which would hold a pool thread idle,
/// and with every pool thread reading a file, would wait forever for chunks queued on that
/// same pool. A file uses several threads only while fewer files than threads are being read,
/// so that a thread waiting for the chunks it shared takes up no more than one other file
/// (rayon lets a waiting thread run other jobs: without the bound they would stack up).
pub fn read_from_with<R: std::io::Read + std::io::Seek>(
    reader: R,
    pre: &Prefilter,
    chunks: &ChunkFilter,
    on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    read_chunks(reader, pre, chunks, true, on_event)
}

/// [`read_from_with`]; `keep_edges`: the chunks with the file's oldest and newest records are
/// always rendered (off only in tests, to put every chunk of a small real file to the test).
fn read_chunks<R: std::io::Read + std::io::Seek>(
    mut reader: R,
    pre: &Prefilter,
    chunks: &ChunkFilter,
    keep_edges: bool,
    mut on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    use rayon::prelude::*;
    // One extra pass over the bytes, a chunk at a time (bounded memory), before the parser's.
    let layout = check_layout(&mut reader);
    reader
        .seek(std::io::SeekFrom::Start(0))
        .map_err(|e| super::io_problem("cannot read", &e))?;
    let settings = evtx::ParserSettings::new().recover_records(!layout.hidden.is_empty());
    let mut parser = evtx::EvtxParser::from_read_seek(reader)
        .map_err(|e| {
            format!("not a readable EVTX file: {e} (damaged or cut; collect it again or check it with another EVTX reader)")
        })?
        .with_configuration(settings.clone());
    let mut st = EvtxStats {
        file_problems: layout.problems,
        ..Default::default()
    };
    let now = now();
    let job = Job {
        settings: Arc::new(settings),
        pre,
        chunks,
        hidden: &layout.hidden,
        // Carving (records hidden by a lowered header) reads chunk slack: every chunk rendered.
        skip: chunks.skips() && layout.hidden.is_empty(),
        edge_chunks: if keep_edges { &layout.edge_chunks } else { &[] },
        plausible: EARLIEST_PLAUSIBLE_MS..=now.0.saturating_add(FUTURE_SLACK_MS),
    };
    let _reading = Reading::start();
    let threads = rayon::current_num_threads().max(1);
    let mut file_left = RenderBudget::for_file(layout.bytes).file_left;
    let mut iter = parser.chunks();
    loop {
        // A file spreads over the pool only while fewer files than threads are being read, and
        // then a bounded batch at a time (each chunk's records are held until its batch is
        // done); otherwise it streams one chunk at a time.
        let shared =
            threads > 1 && FILES_READING.load(std::sync::atomic::Ordering::Relaxed) < threads;
        let size = if shared {
            (CHUNKS_PER_THREAD * threads).min(MAX_BATCH)
        } else {
            1
        };
        let batch: Vec<_> = iter.by_ref().take(size).collect();
        if batch.is_empty() {
            break;
        }
        let shared = shared && batch.len() > 1;
        let outs: Vec<ChunkOut> = if shared {
            batch.into_par_iter().map(|c| read_chunk(&job, c)).collect()
        } else {
            batch.into_iter().map(|c| read_chunk(&job, c)).collect()
        };
        for out in outs {
            match out {
                ChunkOut::Counted(c) => {
                    st.records += c.records;
                    st.chunks_skipped += 1;
                    let (a, b) = (Timestamp(c.first_ms), Timestamp(c.last_ms));
                    st.first = Some(st.first.map_or(a, |f| f.min(a)));
                    st.last = Some(st.last.map_or(b, |l| l.max(b)));
                }
                ChunkOut::Items(items) => {
                    for item in items {
                        take_item(item, &mut file_left, now, &mut st, &mut on_event);
                    }
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

/// Takes one record of a rendered chunk, in file order: charges the file's render budget
/// (a record the chunk rendered once the file's budget is spent counts as unrendered, as it
/// would have been read one record at a time) and counts it.
fn take_item(
    item: Item,
    file_left: &mut u64,
    now: Timestamp,
    st: &mut EvtxStats,
    on_event: &mut impl FnMut(EvtxEvent),
) {
    let (len, rec) = match item {
        Item::Failed(e) => {
            st.malformed += 1;
            if st.errors.len() < 5 {
                st.errors.push(e);
            }
            return;
        }
        Item::Unrendered => {
            st.unrendered += 1;
            st.malformed += 1;
            return;
        }
        Item::Rendered { len, rec } => (len, rec),
    };
    if *file_left == 0 {
        st.unrendered += 1;
        st.malformed += 1;
        return;
    }
    *file_left = file_left.saturating_sub(len as u64);
    let Rendered::Json {
        record_id,
        time: t,
        meta,
        event,
    } = rec
    else {
        st.too_large += 1;
        st.malformed += 1;
        return;
    };
    st.records += 1;
    if plausible_time(t, now) {
        st.first = Some(st.first.map_or(t, |f| f.min(t)));
        st.last = Some(st.last.map_or(t, |l| l.max(t)));
    } else {
        st.bad_times += 1;
        if st.bad_time_sample.is_none() {
            st.bad_time_sample = Some(format!("{t} in record {record_id}"));
        }
    }
    if st.channel.is_none()
        && let Some((channel, computer)) = meta
    {
        st.channel = channel;
        st.computer = computer;
    }
    match event {
        Some(Some(e)) => on_event(*e),
        Some(None) => st.malformed += 1,
        None => {}
    }
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
