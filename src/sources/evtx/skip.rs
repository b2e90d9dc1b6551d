//! Chunks skipped without rendering (issue 14 item 4): a 64 KiB chunk none of whose records can
//! render to a JSON text holding a prefilter literal is counted from its record headers and not
//! rendered, since rendering is what reading a log costs.
//!
//! # When a chunk can be skipped
//!
//! The record prefilter ([`Prefilter::is_match`](crate::sources::lines::Prefilter::is_match))
//! looks for ASCII literals, ignoring ASCII case, in the JSON text the `evtx` crate renders. A
//! record's JSON is made of the crate's own syntax (punctuation, whitespace, numbers, `true`,
//! `false`, `null`, the keys `#attributes` and `#text`) and of JSON strings whose characters
//! come from the chunk: element and attribute names (UTF-16LE, in the chunk's string table or
//! inline), text and CDATA (UTF-16LE, in templates or records), substitution values (UTF-16LE
//! strings; ANSI strings, decoded as Windows-1252 whose ASCII half is ASCII; typed values that
//! render as digits, hex, GUIDs, SIDs, times) and unknown entity references (`&` name `;`).
//! Everything a record renders from lives in its chunk: a record refers only to templates and
//! names at offsets inside its own chunk.
//!
//! From each literal a *needle* is derived that every JSON holding the literal must have come
//! from (see [`needle`]):
//! * a trailing `"` is the end of a JSON string: dropped (`w3wp.exe"` → `w3wp.exe`); any other
//!   `"`, a `\` or a control character is JSON syntax that cannot be searched in the binary, and
//!   turns skipping off for the whole rule set;
//! * the literal must hold a character that the crate's syntax outside strings never writes
//!   (so that a match lies inside one JSON string), and a character no typed value renders (so
//!   that it comes from text: names, strings, ANSI strings);
//! * a match may start inside an escape sequence (`\n`, `\t`, `\u001a`: `New-…` matches
//!   `\new-…`), so the longest prefix that can be an escape's tail is dropped (`New-X` → `ew-X`,
//!   `echo [` → `ho [`), and a leading `&` (an unknown entity reference renders one) too;
//!
//! A chunk is skipped only if no needle occurs anywhere in its 64 KiB, header and slack
//! included, neither as UTF-16LE nor as 8-bit text, ignoring ASCII case (the chunk is folded to
//! lower case, then searched for the lower-cased needles).
//!
//! Not covered, and why it is accepted: a literal split over two adjacent nodes of one element
//! or attribute value (template text followed by a substitution, a character or entity
//! reference next to text), which the crate concatenates into one JSON string. Windows writes
//! event data as one substitution per `Data` element, so this takes a crafted file; closing it
//! would need a walk of each chunk's BinXML tokens (see BENCHMARKS.md, "EVTX at scale").
//!
//! Besides, a chunk is rendered in full (never skipped) unless it is plainly intact: both its
//! checksums hold, its records walk cleanly from the header's first record ID to its last, one
//! after another, and every record header's time is plausible (see [`clean_records`]).

use super::layout::{CHUNK_HEADER, CHUNK_NO_CRC32, le32, le64, record_at};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Characters the crate writes outside JSON strings (ASCII case ignored): whitespace,
/// punctuation, numbers, `true`, `false`, `null`.
const OUTSIDE_STRINGS: &[u8] = b" \t\r\n{}[]:,0123456789+-.eEtTrRuUfFaAlLsSnN";

/// Characters a typed substitution value can render as (ASCII case ignored): digits and hex,
/// `0x`, GUID braces and dashes, SIDs (`S-1-5-18`), times (`2021-03-02T01:02:03.000Z`), array
/// separators.
const TYPED: &[u8] = b"0123456789abcdefABCDEFxXsStTzZ-+.:{}, ";

/// Length of the longest prefix of `lit` that can be the tail of a JSON escape sequence
/// (`\b \f \n \r \t`, `\uXXXX`), ASCII case ignored.
fn escape_tail(lit: &[u8]) -> usize {
    let hex = lit
        .iter()
        .take(4)
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    let mut k = hex;
    if lit.len() >= 5
        && lit[0].eq_ignore_ascii_case(&b'u')
        && lit[1..5].iter().all(u8::is_ascii_hexdigit)
    {
        k = k.max(5);
    }
    if lit.first().is_some_and(|c| b"bfnrtBFNRT".contains(c)) {
        k = k.max(1);
    }
    k
}

/// The text every JSON holding `lit` must have come from (see the module documentation), or
/// why `lit` cannot be searched in the binary.
pub(super) fn needle(lit: &str) -> Result<String, String> {
    let why = |what: &str| Err(format!("literal {lit:?} {what}"));
    if !lit.is_ascii() || lit.is_empty() {
        return why("is empty or not ASCII");
    }
    let body = lit.strip_suffix('"').unwrap_or(lit).as_bytes();
    if body
        .iter()
        .any(|&c| c == b'"' || c == b'\\' || c.is_ascii_control())
    {
        return why("holds JSON syntax (a quote, a backslash or a control character)");
    }
    if body.iter().all(|c| OUTSIDE_STRINGS.contains(c)) {
        return why("can match the JSON syntax outside strings");
    }
    let mut n = &body[escape_tail(body)..];
    if let Some(rest) = n.strip_prefix(b"&") {
        n = rest;
    }
    if n.iter().all(|c| TYPED.contains(c)) {
        return why("can be rendered from a typed value (digits, hex, GUID, SID, time)");
    }
    Ok(String::from_utf8(n.to_vec()).expect("ASCII"))
}

/// Set (to anything) in the environment, chunk skipping is off and every chunk is rendered:
/// for benchmarks, the test that compares both ways, and anyone who wants a full parse.
pub const NO_SKIP_VAR: &str = "EXHUNT_EVTX_NO_SKIP";

/// Which chunks may be skipped: the needles of a rule set, as UTF-16LE and as 8-bit text.
#[derive(Debug)]
pub struct ChunkFilter {
    /// `None`: every chunk is rendered (no literals, or one that cannot be searched soundly).
    search: Option<AhoCorasick>,
    /// Why chunks are never skipped, when they are not.
    off: Option<String>,
}

impl ChunkFilter {
    /// The filter for the literals of a record prefilter (`#Fields:`, which every prefilter
    /// also finds, is added). Skipping is off when some literal cannot be searched soundly, or
    /// when the environment variable [`NO_SKIP_VAR`] is set (to any value).
    pub fn new(literals: &[&str]) -> ChunkFilter {
        if std::env::var_os(NO_SKIP_VAR).is_some() {
            return ChunkFilter {
                search: None,
                off: Some(format!("{NO_SKIP_VAR} is set: every chunk is rendered")),
            };
        }
        let mut needles = Vec::new();
        for lit in literals
            .iter()
            .copied()
            .filter(|l| !l.is_empty())
            .chain(["#Fields:"])
        {
            match needle(lit) {
                Ok(n) => needles.push(n.to_ascii_lowercase()),
                Err(why) => {
                    return ChunkFilter {
                        search: None,
                        off: Some(format!("{why}: every chunk is rendered")),
                    };
                }
            }
        }
        needles.sort_unstable();
        needles.dedup();
        let search = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&needles)
            .expect("chunk needles are valid patterns");
        ChunkFilter {
            search: Some(search),
            off: None,
        }
    }

    /// A filter that skips nothing (a full parse).
    pub fn none() -> ChunkFilter {
        ChunkFilter {
            search: None,
            off: Some("full parse asked for".into()),
        }
    }

    /// Why this filter renders every chunk, if it does.
    pub fn off(&self) -> Option<&str> {
        self.off.as_deref()
    }

    pub(super) fn skips(&self) -> bool {
        self.search.is_some()
    }

    /// Whether `chunk` may hold a record that renders to a JSON holding a literal. `views` is
    /// scratch space.
    ///
    /// The needles are searched as 8-bit text in the chunk folded to lower case, and as
    /// UTF-16LE by searching them as 8-bit text in the folded chunk's even bytes and in its odd
    /// bytes (a UTF-16LE string starts at either; its code units' low bytes are its ASCII
    /// characters). Dropping the high bytes can only add matches (a unit like U+4177 reads as
    /// `w`), never lose one. One search for ASCII needles is much faster than one for their
    /// UTF-16LE forms, whose every other byte is a zero, as in all UTF-16 text.
    pub(super) fn may_match(&self, chunk: &[u8], views: &mut Views) -> bool {
        let Some(search) = &self.search else {
            return true;
        };
        views.fill(chunk);
        search.is_match(views.folded.as_slice())
            || search.is_match(views.even.as_slice())
            || search.is_match(views.odd.as_slice())
    }
}

/// A chunk folded to ASCII lower case, and its even and odd bytes (see
/// [`ChunkFilter::may_match`]).
#[derive(Default)]
pub(super) struct Views {
    folded: Vec<u8>,
    even: Vec<u8>,
    odd: Vec<u8>,
}

impl Views {
    fn fill(&mut self, chunk: &[u8]) {
        self.folded.clear();
        self.folded.extend(chunk.iter().map(u8::to_ascii_lowercase));
        // As 16-bit words, so that the split compiles to vector code.
        let words = self.folded.chunks_exact(2);
        let tail = words.remainder().first().copied();
        self.even.clear();
        self.odd.clear();
        self.even.extend(words.clone().map(|w| w[0]));
        self.odd.extend(words.map(|w| w[1]));
        self.even.extend(tail);
    }
}

/// The records of a chunk counted without rendering them (see [`clean_records`]).
pub(super) struct Counted {
    pub(super) records: u64,
    /// Earliest and latest record header time, Unix milliseconds.
    pub(super) first_ms: i64,
    pub(super) last_ms: i64,
}

/// 100 ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: u64 = 116_444_736_000_000_000;

/// Counts a chunk's records from their headers, if the chunk is plainly intact: header and
/// data checksums hold (a chunk without checksums is not judged), its records follow one
/// another from the header's first record ID up to its last (as the `evtx` crate walks them),
/// and every record's header time is within `plausible` (Unix ms). Otherwise `None`.
pub(super) fn clean_records(
    chunk: &[u8],
    plausible: std::ops::RangeInclusive<i64>,
) -> Option<Counted> {
    if chunk.len() < CHUNK_HEADER || &chunk[..8] != b"ElfChnk\0" {
        return None;
    }
    let (first, last) = (le64(chunk, 24), le64(chunk, 32));
    let free = le32(chunk, 48) as usize;
    if le32(chunk, 120) & CHUNK_NO_CRC32 != 0
        || first > last
        || !(CHUNK_HEADER..=chunk.len()).contains(&free)
    {
        return None;
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&chunk[..120]);
    h.update(&chunk[128..CHUNK_HEADER]);
    if le32(chunk, 124) != h.finalize()
        || le32(chunk, 52) != crc32fast::hash(&chunk[CHUNK_HEADER..free])
    {
        return None;
    }
    let (mut at, mut expect) = (CHUNK_HEADER, first);
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    loop {
        if at >= free {
            return None; // the records end before the header's last ID
        }
        let (id, size) = record_at(chunk, at)?;
        if id != expect {
            return None;
        }
        let ms =
            i64::try_from(le64(chunk, at + 16).checked_sub(FILETIME_UNIX_EPOCH)? / 10_000).ok()?;
        if !plausible.contains(&ms) {
            return None;
        }
        (lo, hi) = (lo.min(ms), hi.max(ms));
        if id == last {
            break;
        }
        at += size;
        expect = expect.checked_add(1)?;
    }
    Some(Counted {
        records: last - first + 1,
        first_ms: lo,
        last_ms: hi,
    })
}

#[cfg(test)]
mod needles {
    use super::*;

    #[test]
    fn needles_of_the_shipped_literals() {
        let n = |l: &str| needle(l).unwrap();
        assert_eq!(n("w3wp.exe\""), "w3wp.exe");
        assert_eq!(n("UMService.exe\""), "UMService.exe");
        assert_eq!(n("New-ExchangeCertificate"), "ew-ExchangeCertificate");
        assert_eq!(n("TransportAgent"), "ransportAgent");
        assert_eq!(n("echo ["), "ho [");
        assert_eq!(n("&echo"), "echo");
        assert_eq!(n("dbgcore.dll"), "gcore.dll");
        assert_eq!(n("comsvcs"), "omsvcs");
        assert_eq!(n("aspnet_client"), "spnet_client");
        assert_eq!(n("lsass.exe c:"), "lsass.exe c:");
        assert_eq!(n("#Fields:"), "#Fields:");
        assert_eq!(n("u00e9xyz"), "xyz", "a whole \\u00e9 escape");
        for bad in [
            "\"EventID\":4688",
            "4688",
            "a\\b",
            "x\"y",
            "true",
            "0x1f",
            "S-1-5-18",
        ] {
            assert!(needle(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_shipped_evtx_literal_has_a_needle() {
        let lits = crate::detect::literals_for(crate::sources::SourceKind::Evtx);
        let f = ChunkFilter::new(&lits);
        assert!(f.skips(), "{:?}", f.off);
    }

    #[test]
    fn needles_are_found_as_utf16_and_as_8bit_text_ignoring_case() {
        let f = ChunkFilter::new(&["w3wp.exe\"", "New-MailboxExportRequest"]);
        let mut buf = Views::default();
        let utf16 = |s: &str| {
            s.encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        let mut chunk = vec![0u8; 4096];
        assert!(!f.may_match(&chunk, &mut buf));
        chunk[1001..1001 + 16].copy_from_slice(&utf16("W3WP.EXE")); // odd offset
        assert!(f.may_match(&chunk, &mut buf));
        let mut chunk = vec![0u8; 4096];
        chunk[7..7 + 23].copy_from_slice(b"EW-MAILBOXEXPORTREQUEST");
        assert!(f.may_match(&chunk, &mut buf), "an ANSI string");
        assert!(ChunkFilter::none().may_match(&[0; 16], &mut buf));
        let off = ChunkFilter::new(&["\"EventID\":4688"]);
        assert!(!off.skips());
        assert!(off.off.as_deref().unwrap().contains("JSON syntax"));
    }
}
