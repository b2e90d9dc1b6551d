//! Minimal EVTX *writer*, for tests only (std only, no dependencies).
//!
//! Public EVTX samples do not contain every event exhunt must detect, so tests synthesise
//! them with [`write_evtx`]. The output is a well-formed EVTX file that the `evtx` crate
//! (0.15) reads with checksum validation on:
//!
//! * a 4096-byte file header (`ElfFile\0`, version 3.1, CRC32 of its first 120 bytes);
//! * one or more 65536-byte chunks (`ElfChnk\0`), each with its header CRC32 (bytes 0..120 and
//!   128..512) and event-data CRC32 (512..free space), record number/ID range, last record
//!   offset and free-space offset; a new chunk is started whenever the next record doesn't fit;
//! * records (magic `**\0\0`, size, record ID, FILETIME, BinXML, trailing size copy);
//! * BinXML without templates: a fragment header, then a plain element tree (open-start /
//!   attribute / value / close tokens). Element and attribute names go in the chunk's string
//!   table: written inline at their first use in a chunk, linked into the header's 64 hash
//!   buckets, and referenced by offset afterwards, as Windows does. Values carry BinXML types
//!   (UInt16 EventID, UInt8 Level, FILETIME SystemTime, UInt64 EventRecordID, HexInt64
//!   Keywords, UTF-16 strings), so the evtx crate renders the same JSON types as for real logs.
//!
//! What one event looks like (XML as rendered by the evtx crate):
//!
//! ```xml
//! <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
//!   <System>
//!     <Provider Name="{provider}"/>
//!     <EventID Qualifiers="49152">{event_id}</EventID>   <!-- classic: no named_data -->
//!     <Level>{level}</Level> <Task>0</Task> <Keywords>0x80000000000000</Keywords>
//!     <TimeCreated SystemTime="{unix_ms as FILETIME}"/>
//!     <EventRecordID>{record_id}</EventRecordID>
//!     <Channel>{channel}</Channel> <Computer>{computer}</Computer> <Security/>
//!   </System>
//!   <EventData> <Data>{data[0]}</Data> ... </EventData>   <!-- or <Data Name="{k}">{v}</Data> -->
//! </Event>
//! ```
//!
//! Two System shapes, chosen by `named_data`, to match real files:
//! * `named_data` empty: a classic (EventLog API) provider, like the MSExchange ones.
//!   `EventID` gets a `Qualifiers` attribute derived from the level (1|2 -> 0xC000 = 49152,
//!   3 -> 0x8000 = 32768, else 0x4000 = 16384), Keywords `0x80000000000000`; JSON:
//!   `"EventID":{"#attributes":{"Qualifiers":49152},"#text":1100}`.
//! * `named_data` non-empty: a manifest provider (Sysmon style). Plain `EventID`, plus
//!   `Version`, `Opcode` (0), `Correlation` (empty), `Execution ProcessID="0" ThreadID="0"`,
//!   Keywords `0x8000000000000000`; JSON: `"EventID":1`.
//!
//! Limits:
//! * `record_id`s must be unique (the evtx crate stops reading a chunk at the record whose ID
//!   is the chunk header's last ID); they needn't be increasing. Panics on duplicates.
//! * One record must fit in one chunk: about 65,000 bytes of BinXML, i.e. roughly 32,000
//!   UTF-16 code units of strings in total per event. Panics ("event too large") past that.
//!   Any number of events otherwise (a chunk holds ~100-150 small events).
//! * `unix_ms` must be at or after 1601-01-01 (FILETIME 0); panics otherwise.
//! * Every `Data` value is a UTF-16 string: a real Sysmon `ProcessId` renders as a JSON
//!   number, ours as a string. No Provider `Guid`, no `Security UserID`, no `<Binary>`;
//!   `Task` is 0, `Version`/`Opcode` 0.
//! * An event has `data` or `named_data`, not both (panics).
//! * Strings may hold any Unicode (written as UTF-16LE); XML escaping is the reader's job.
//!   The evtx crate renders an empty `provider` as `"Provider":null` and an empty `channel` or
//!   `computer` as JSON `null`; empty `Data` items stay `""`.
#![allow(dead_code)]

/// One event to write. See the module documentation for what is emitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvtxEvent {
    pub record_id: u64,
    /// Event time, UTC milliseconds since 1970 (record header and `TimeCreated SystemTime`).
    pub unix_ms: i64,
    /// `<Provider Name="..."/>`
    pub provider: String,
    pub event_id: u16,
    /// 1 critical, 2 error, 3 warning, 4 info.
    pub level: u8,
    /// e.g. "Application", "MSExchange Management", "Microsoft-Windows-Sysmon/Operational".
    pub channel: String,
    pub computer: String,
    /// Unnamed `<Data>..</Data>` items under `<EventData>` (classic providers).
    pub data: Vec<String>,
    /// `<Data Name="k">v</Data>` items (Sysmon style), written instead of unnamed ones: an
    /// event may have `data` or `named_data`, not both (panics), since the evtx crate's JSON
    /// drops unnamed `Data` next to named ones.
    pub named_data: Vec<(String, String)>,
}

/// Writes `events`, in order, as a complete EVTX file.
pub fn write_evtx(events: &[EvtxEvent]) -> Vec<u8> {
    write_evtx_with_header_time(events, None)
}

/// [`write_evtx`], with `header_filetime` (when given) as every record header's written time
/// instead of the event's time; `Some(0)` is what many real files hold there. `TimeCreated
/// SystemTime` keeps the event's own time.
pub fn write_evtx_with_header_time(events: &[EvtxEvent], header_filetime: Option<u64>) -> Vec<u8> {
    for e in events {
        assert!(
            e.data.is_empty() || e.named_data.is_empty(),
            "evtx_writer: record_id {} has both data and named_data; use one",
            e.record_id
        );
    }
    let mut ids: Vec<u64> = events.iter().map(|e| e.record_id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        panic!("evtx_writer: duplicate record_id {}", w[0]);
    }

    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut chunk = Chunk::new(header_filetime);
    for event in events {
        if !chunk.try_add(event) {
            assert!(
                chunk.records > 0,
                "evtx_writer: event too large for one EVTX chunk (record_id {})",
                event.record_id
            );
            chunks.push(std::mem::replace(&mut chunk, Chunk::new(header_filetime)).finish());
            assert!(
                chunk.try_add(event),
                "evtx_writer: event too large for one EVTX chunk (record_id {})",
                event.record_id
            );
        }
    }
    if chunk.records > 0 {
        chunks.push(chunk.finish());
    }

    let mut file = vec![0u8; FILE_HEADER_SIZE];
    file[..8].copy_from_slice(b"ElfFile\0");
    let chunk_count = chunks.len() as u64;
    put_u64(&mut file, 8, 0); // oldest chunk
    put_u64(&mut file, 16, chunk_count.saturating_sub(1)); // current chunk
    let next_id = ids.last().map_or(1, |id| id + 1);
    put_u64(&mut file, 24, next_id);
    put_u32(&mut file, 32, 128); // header size
    put_u16(&mut file, 36, 1); // minor version
    put_u16(&mut file, 38, 3); // major version
    put_u16(&mut file, 40, FILE_HEADER_SIZE as u16); // header block size
    assert!(
        chunk_count <= u64::from(u16::MAX),
        "evtx_writer: too many chunks"
    );
    put_u16(&mut file, 42, chunk_count as u16);
    put_u32(&mut file, 120, 0); // flags: clean
    let crc = crc32(&file[..120]);
    put_u32(&mut file, 124, crc);
    for c in chunks {
        file.extend_from_slice(&c);
    }
    file
}

const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65536;
const CHUNK_HEADER_SIZE: usize = 512;
const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";
/// 100 ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

/// A BinXML value, with its type.
#[derive(Clone, Copy)]
enum Val<'a> {
    Str(&'a str),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    Hex64(u64),
    FileTime(u64),
}

/// A chunk being filled. `data` holds the chunk from offset 0 (header zeroed until `finish`),
/// so an index into it is a chunk offset, which is what BinXML name references use.
struct Chunk {
    data: Vec<u8>,
    /// Names written in this chunk's string table, and their offsets.
    names: Vec<(String, u32)>,
    buckets: [u32; 64],
    records: usize,
    first_id: u64,
    last_id: u64,
    last_record_offset: u32,
    /// Written time for every record header, instead of the event's (see
    /// [`write_evtx_with_header_time`]).
    header_filetime: Option<u64>,
}

impl Chunk {
    fn new(header_filetime: Option<u64>) -> Self {
        Chunk {
            header_filetime,
            data: vec![0; CHUNK_HEADER_SIZE],
            names: Vec::new(),
            buckets: [0; 64],
            records: 0,
            first_id: 0,
            last_id: 0,
            last_record_offset: 0,
        }
    }

    /// Appends `event` as a record, or leaves the chunk as it was and returns false when the
    /// record doesn't fit.
    fn try_add(&mut self, event: &EvtxEvent) -> bool {
        let (start, names, buckets) = (self.data.len(), self.names.len(), self.buckets);
        self.write_record(event);
        if self.data.len() > CHUNK_SIZE {
            self.data.truncate(start);
            self.names.truncate(names);
            self.buckets = buckets;
            return false;
        }
        if self.records == 0 {
            self.first_id = event.record_id;
        }
        self.records += 1;
        self.last_id = event.record_id;
        self.last_record_offset = start as u32;
        true
    }

    fn write_record(&mut self, e: &EvtxEvent) {
        let ticks = i128::from(e.unix_ms) * 10_000 + FILETIME_UNIX_EPOCH;
        assert!(
            (0..=i128::from(u64::MAX)).contains(&ticks),
            "evtx_writer: unix_ms {} is outside the FILETIME range",
            e.unix_ms
        );
        let filetime = ticks as u64;

        let start = self.data.len();
        self.data.extend_from_slice(b"\x2a\x2a\x00\x00");
        self.u32(0); // size, patched below
        self.u64(e.record_id);
        self.u64(self.header_filetime.unwrap_or(filetime));

        // BinXML: fragment header, then the element tree, then end of stream.
        self.data.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
        let classic = e.named_data.is_empty();
        let event = self.open("Event", &[("xmlns", Val::Str(EVENT_NS))]);
        let system = self.open("System", &[]);
        self.empty("Provider", &[("Name", Val::Str(&e.provider))]);
        if classic {
            let qualifiers = match e.level {
                1 | 2 => 0xC000,
                3 => 0x8000,
                _ => 0x4000,
            };
            self.leaf(
                "EventID",
                &[("Qualifiers", Val::U16(qualifiers))],
                Val::U16(e.event_id),
            );
        } else {
            self.leaf("EventID", &[], Val::U16(e.event_id));
            self.leaf("Version", &[], Val::U8(0));
        }
        self.leaf("Level", &[], Val::U8(e.level));
        self.leaf("Task", &[], Val::U16(0));
        if classic {
            self.leaf("Keywords", &[], Val::Hex64(0x0080_0000_0000_0000));
        } else {
            self.leaf("Opcode", &[], Val::U8(0));
            self.leaf("Keywords", &[], Val::Hex64(0x8000_0000_0000_0000));
        }
        self.empty("TimeCreated", &[("SystemTime", Val::FileTime(filetime))]);
        self.leaf("EventRecordID", &[], Val::U64(e.record_id));
        if !classic {
            self.empty("Correlation", &[]);
            self.empty(
                "Execution",
                &[("ProcessID", Val::U32(0)), ("ThreadID", Val::U32(0))],
            );
        }
        self.leaf("Channel", &[], Val::Str(&e.channel));
        self.leaf("Computer", &[], Val::Str(&e.computer));
        self.empty("Security", &[]);
        self.close(system);

        if e.data.is_empty() && e.named_data.is_empty() {
            self.empty("EventData", &[]);
        } else {
            let event_data = self.open("EventData", &[]);
            for d in &e.data {
                self.leaf("Data", &[], Val::Str(d));
            }
            for (k, v) in &e.named_data {
                self.leaf("Data", &[("Name", Val::Str(k))], Val::Str(v));
            }
            self.close(event_data);
        }
        self.close(event);
        self.data.push(0x00); // end of stream

        let size = (self.data.len() - start + 4) as u32;
        self.u32(size);
        put_u32(&mut self.data, start + 4, size);
    }

    /// Writes an element start (with its attributes) and returns where its size is, for
    /// `close`. `empty` says whether it closes at once (`/>`).
    fn start(&mut self, name: &str, attrs: &[(&str, Val)], empty: bool) -> usize {
        self.data.push(if attrs.is_empty() { 0x01 } else { 0x41 });
        let size_at = self.data.len();
        self.u32(0); // element data size, patched by `close`/`empty`
        self.name(name);
        if !attrs.is_empty() {
            let list_at = self.data.len();
            self.u32(0); // attribute list size, patched below
            for (i, (attr, value)) in attrs.iter().enumerate() {
                // 0x46: another attribute follows.
                self.data
                    .push(if i + 1 < attrs.len() { 0x46 } else { 0x06 });
                self.name(attr);
                self.value(*value);
            }
            let list_size = (self.data.len() - list_at - 4) as u32;
            put_u32(&mut self.data, list_at, list_size);
        }
        self.data.push(if empty { 0x03 } else { 0x02 });
        size_at
    }

    fn open(&mut self, name: &str, attrs: &[(&str, Val)]) -> usize {
        self.start(name, attrs, false)
    }

    fn close(&mut self, size_at: usize) {
        self.data.push(0x04);
        self.patch_size(size_at);
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, Val)]) {
        let size_at = self.start(name, attrs, true);
        self.patch_size(size_at);
    }

    fn leaf(&mut self, name: &str, attrs: &[(&str, Val)], value: Val) {
        let size_at = self.open(name, attrs);
        self.value(value);
        self.close(size_at);
    }

    fn patch_size(&mut self, size_at: usize) {
        let size = (self.data.len() - size_at - 4) as u32;
        put_u32(&mut self.data, size_at, size);
    }

    /// A value token with its typed value.
    fn value(&mut self, value: Val) {
        self.data.push(0x05);
        match value {
            Val::Str(s) => {
                self.data.push(0x01);
                let units: Vec<u16> = s.encode_utf16().collect();
                // Past u16::MAX units (128 KiB) the record couldn't fit in a chunk anyway.
                let len = u16::try_from(units.len()).unwrap_or_else(|_| {
                    panic!("evtx_writer: event too large for one EVTX chunk (string value)")
                });
                self.u16(len);
                for u in units {
                    self.u16(u);
                }
            }
            Val::U8(v) => self.data.extend_from_slice(&[0x04, v]),
            Val::U16(v) => {
                self.data.push(0x06);
                self.u16(v);
            }
            Val::U32(v) => {
                self.data.push(0x08);
                self.u32(v);
            }
            Val::U64(v) => {
                self.data.push(0x0a);
                self.u64(v);
            }
            Val::Hex64(v) => {
                self.data.push(0x15);
                self.u64(v);
            }
            Val::FileTime(v) => {
                self.data.push(0x11);
                self.u64(v);
            }
        }
    }

    /// A name reference: the offset of the name in the chunk's string table. A name not yet in
    /// this chunk is written right here, inline, and linked into its hash bucket.
    fn name(&mut self, name: &str) {
        if let Some(&(_, offset)) = self.names.iter().find(|(n, _)| n == name) {
            self.u32(offset);
            return;
        }
        let offset = (self.data.len() + 4) as u32;
        self.u32(offset);
        let units: Vec<u16> = name.encode_utf16().collect();
        let hash = units.iter().fold(0u32, |h, &u| {
            h.wrapping_mul(65599).wrapping_add(u32::from(u))
        }) as u16;
        let bucket = usize::from(hash) % 64;
        self.u32(self.buckets[bucket]); // next string in the bucket
        self.u16(hash);
        self.u16(units.len() as u16);
        for u in units {
            self.u16(u);
        }
        self.u16(0);
        self.buckets[bucket] = offset;
        self.names.push((name.to_owned(), offset));
    }

    fn u16(&mut self, v: u16) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }

    /// Fills in the chunk header and pads the chunk to its full size.
    fn finish(mut self) -> Vec<u8> {
        let free_space = self.data.len();
        self.data.resize(CHUNK_SIZE, 0);
        let d = &mut self.data;
        d[..8].copy_from_slice(b"ElfChnk\0");
        // Record numbers: the same as the IDs, as in a log that was never cleared.
        put_u64(d, 8, self.first_id);
        put_u64(d, 16, self.last_id);
        put_u64(d, 24, self.first_id);
        put_u64(d, 32, self.last_id);
        put_u32(d, 40, 128); // header size
        put_u32(d, 44, self.last_record_offset);
        put_u32(d, 48, free_space as u32);
        let events_crc = crc32(&d[CHUNK_HEADER_SIZE..free_space]);
        put_u32(d, 52, events_crc);
        put_u32(d, 120, 0); // flags
        for (i, &offset) in self.buckets.iter().enumerate() {
            put_u32(d, 128 + 4 * i, offset);
        }
        // 384..512: template table, empty (no templates).
        let header_crc = crc32_update(crc32_update(!0, &d[..120]), &d[128..CHUNK_HEADER_SIZE]);
        put_u32(d, 124, !header_crc);
        self.data
    }
}

/// Recomputes the file header's and every chunk's checksums of an EVTX file written by
/// [`write_evtx`] and then edited (a test that alters a header field the way an attacker would,
/// checksums fixed up): the file header CRC32 of bytes 0..120, each chunk's event-data CRC32 of
/// 512..free space and header CRC32 of 0..120 and 128..512.
pub fn refresh_checksums(file: &mut [u8]) {
    let crc = crc32(&file[..120]);
    put_u32(file, 124, crc);
    let mut at = FILE_HEADER_SIZE;
    while at + CHUNK_SIZE <= file.len() {
        let d = &mut file[at..at + CHUNK_SIZE];
        let free_space = u32::from_le_bytes(d[48..52].try_into().unwrap()) as usize;
        let free_space = free_space.clamp(CHUNK_HEADER_SIZE, CHUNK_SIZE);
        let events_crc = crc32(&d[CHUNK_HEADER_SIZE..free_space]);
        put_u32(d, 52, events_crc);
        let header_crc = crc32_update(crc32_update(!0, &d[..120]), &d[128..CHUNK_HEADER_SIZE]);
        put_u32(d, 124, !header_crc);
        at += CHUNK_SIZE;
    }
}

/// Reads a little-endian `u32`/`u64` at `at` (for tests that edit headers).
pub fn get_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buf[at..at + 4].try_into().unwrap())
}
pub fn get_u64(buf: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(buf[at..at + 8].try_into().unwrap())
}

pub fn put_u16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
pub fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
pub fn put_u64(buf: &mut [u8], at: usize, v: u64) {
    buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib computes it.
pub fn crc32(data: &[u8]) -> u32 {
    !crc32_update(!0, data)
}

/// Feeds `data` into a running (pre-inverted) CRC-32 state.
fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// A crafted EVTX file that makes a reader render far more than it reads (issue 13 item 15):
/// `chunks` chunks, each starting with a record that defines a template, inline, whose only
/// element `<Data>` holds substitution 0 `repeats` times over, then `records` tiny records
/// (IDs numbered on from 1) that each instantiate it with one string of `value_chars`
/// characters. Each tiny record renders to about `repeats * value_chars` bytes.
pub fn write_template_bomb(
    chunks: usize,
    records: usize,
    repeats: usize,
    value_chars: usize,
) -> Vec<u8> {
    let value: Vec<u16> = "A".repeat(value_chars).encode_utf16().collect();
    let mut out_chunks = Vec::new();
    let mut id = 1u64;
    for _ in 0..chunks {
        let mut c = Chunk::new(None);
        let mut def_offset = 0u32;
        for n in 0..=records {
            let start = c.data.len();
            c.data.extend_from_slice(b"\x2a\x2a\x00\x00");
            c.u32(0);
            c.u64(id);
            c.u64(FILETIME_UNIX_EPOCH as u64 + 16_000_000_000_000_000); // 2020-09-13
            c.data.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
            c.data.push(0x0c); // template instance
            c.data.push(0x01);
            c.u32(7); // template ID
            if n == 0 {
                def_offset = (c.data.len() + 4) as u32;
                c.u32(def_offset);
                c.u32(0); // next template
                c.data.extend_from_slice(&[0x11; 16]); // GUID
                let size_at = c.data.len();
                c.u32(0);
                let body = c.data.len();
                c.data.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
                // <Event><Data>%0%0...</Data></Event>, element starts with a DependencyId.
                let mut sizes = Vec::new();
                for name in ["Event", "Data"] {
                    c.data.push(0x01);
                    c.u16(0xffff);
                    sizes.push(c.data.len());
                    c.u32(0);
                    c.name(name);
                    c.data.push(0x02);
                }
                for _ in 0..repeats {
                    c.data.push(0x0d); // normal substitution
                    c.u16(0);
                    c.data.push(0x01); // string
                }
                for at in sizes.into_iter().rev() {
                    c.data.push(0x04);
                    c.patch_size(at);
                }
                c.data.push(0x00);
                let body_size = (c.data.len() - body) as u32;
                put_u32(&mut c.data, size_at, body_size);
            } else {
                c.u32(def_offset);
            }
            c.u32(1); // substitutions
            c.u16((value.len() * 2) as u16);
            c.data.push(0x01);
            c.data.push(0x00);
            for &u in &value {
                c.u16(u);
            }
            c.data.push(0x00); // end of stream
            let size = (c.data.len() - start + 4) as u32;
            c.u32(size);
            put_u32(&mut c.data, start + 4, size);
            assert!(
                c.data.len() <= CHUNK_SIZE,
                "evtx_writer: template bomb too large for a chunk"
            );
            if c.records == 0 {
                c.first_id = id;
            }
            c.records += 1;
            c.last_id = id;
            c.last_record_offset = start as u32;
            id += 1;
        }
        out_chunks.push(c.finish());
    }
    let mut file = vec![0u8; FILE_HEADER_SIZE];
    file[..8].copy_from_slice(b"ElfFile\0");
    put_u64(&mut file, 16, out_chunks.len() as u64 - 1);
    put_u64(&mut file, 24, id);
    put_u32(&mut file, 32, 128);
    put_u16(&mut file, 36, 1);
    put_u16(&mut file, 38, 3);
    put_u16(&mut file, 40, FILE_HEADER_SIZE as u16);
    put_u16(&mut file, 42, out_chunks.len() as u16);
    for c in out_chunks {
        file.extend_from_slice(&c);
    }
    refresh_checksums(&mut file);
    file
}
