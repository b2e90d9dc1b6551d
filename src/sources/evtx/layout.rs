//! The EVTX layout checked byte by byte: what the `evtx` crate takes on trust (checksums, the
//! chunk and file headers' counts and record ID ranges), and records a lowered chunk header
//! hides, found so that they are carved and read (issue 13 item 3).

use crate::sources::lines::read_full;
use std::path::Path;

/// EVTX layout: a 4096-byte file header, then 64 KiB chunks; the header counts the chunks.
const EVTX_HEADER: u64 = 4096;
const EVTX_CHUNK: u64 = 65536;

/// Says whether a file is shorter than its header's chunk count promises (a cut copy, or a
/// file still being written): the records in the missing part are lost.
pub(super) fn cut_short(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 44];
    let mut f = crate::sources::open_read_only(path).ok()?;
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
pub(super) struct Layout {
    /// Header damage or inconsistencies, for the coverage report.
    pub(super) problems: Vec<String>,
    /// IDs of records physically present past where their chunk's header says its records
    /// end: the parser carves them, and they are read like the others.
    pub(super) hidden: std::collections::HashSet<u64>,
    /// Bytes of whole chunks (and the header) read.
    pub(super) bytes: u64,
    /// Numbers of the chunks with the lowest first and the highest last record ID: they hold
    /// the file's oldest and newest records, and are always rendered (see `skip`).
    pub(super) edge_chunks: Vec<u64>,
}

/// The record magic `**\0\0` and the smallest record (header, empty BinXML, size copy).
const RECORD_MAGIC: &[u8; 4] = b"\x2a\x2a\x00\x00";
const MIN_RECORD: usize = 28;
pub(super) const CHUNK_HEADER: usize = 512;
/// Chunk flag: no checksums kept.
pub(super) const CHUNK_NO_CRC32: u32 = 0x4;
/// File header flag: not closed cleanly (its counts may lag behind the chunks).
const FILE_DIRTY: u32 = 0x1;
/// Problems listed per file before the rest are only counted.
const MAX_LAYOUT_PROBLEMS: usize = 8;

pub(super) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
pub(super) fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The record at `at` in `chunk` (ID, size), if its magic, size and trailing size copy hold.
pub(super) fn record_at(chunk: &[u8], at: usize) -> Option<(u64, usize)> {
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
pub(super) fn check_layout<R: std::io::Read>(r: &mut R) -> Layout {
    let mut out = Layout::default();
    let mut problems = Vec::new();
    let mut head = vec![0u8; EVTX_HEADER as usize];
    let Ok(n) = read_full(r, &mut head) else {
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
        match read_full(r, &mut chunk) {
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
    out.edge_chunks.extend(ranges.first().map(|r| r.2));
    out.edge_chunks
        .extend(ranges.iter().max_by_key(|r| (r.1, r.2)).map(|r| r.2));
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
