//! Streaming line scanner with a literal prefilter: the hot path of every text log.
//!
//! A file is read in large blocks; a [`Prefilter`] finds the literals the checks need, and only
//! lines holding one are handed on. Lines are counted in the same pass (for record counts and
//! line numbers), header lines (`#Fields:`, and any structural literal the reader asks for) are
//! always handed on, and the first and last data lines are kept for coverage times. Memory is
//! bounded by the block size and the line cap.
//!
//! The parts: [`prefilter`] finds the candidate lines, [`crlf`] reads logs whose lines end in a
//! bare `\r`, [`readback`] reads single lines back by offset for the reports; this module holds
//! the scanner that cuts blocks into lines.

mod crlf;
mod prefilter;
mod readback;

pub use crlf::CrLineEnds;
pub use prefilter::{FIELDS_DIRECTIVE, Prefilter, prefilter};
pub use readback::LineReader;

use std::io::{self, Read};

/// Block size for reads.
pub const BLOCK: usize = 1 << 20;
/// Longest line searched in full; longer lines are searched in their first `MAX_LINE` bytes
/// and counted as oversized.
pub const MAX_LINE: usize = 16 << 20;

/// A line handed to the caller.
pub struct Line<'a> {
    /// Without the line terminator (`\n` or `\r\n`).
    pub text: &'a [u8],
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line start in the file.
    pub offset: u64,
    /// Whether this line was cut at [`MAX_LINE`].
    pub cut: bool,
}

/// What the scanner saw besides the lines it handed on.
#[derive(Debug, Default, Clone)]
pub struct LineStats {
    pub bytes: u64,
    pub lines: u64,
    /// Lines starting with `#` (directives and comments).
    pub directive_lines: u64,
    pub blank_lines: u64,
    pub oversized: u64,
    /// First up to 64 bytes of the first and the last data line (one that starts with a digit,
    /// as every log's timestamp does; header lines such as `DateTime,RequestId,...` do not).
    pub first_data: Option<Vec<u8>>,
    pub last_data: Option<Vec<u8>>,
    /// The file did not end with a newline.
    pub truncated_last_line: bool,
    /// Lines looked at before the first data line (capped by [`MAX_LEADING`]).
    leading_seen: u64,
}

/// How many lines before the first data line are handed on (headers) before giving up.
pub const MAX_LEADING: u64 = 1000;

fn is_data(text: &[u8]) -> bool {
    text.first().is_some_and(u8::is_ascii_digit)
}

/// Scans `reader`, calling `on_line` for every line that contains a prefilter literal, and for
/// the lines before the first data line (headers).
pub fn scan<R: Read>(
    reader: R,
    pre: &Prefilter,
    on_line: impl FnMut(Line<'_>),
) -> io::Result<LineStats> {
    scan_gated(reader, pre, None, on_line)
}

/// Asks, for a line the literal search passed over (not a `#` line), whether to hand it on all
/// the same: e.g. its client-address column holds an indicator ([`super::address`]). It is asked
/// in line order, after `on_line` has seen every earlier line (so a header can re-bind it).
pub type Gate<'g> = &'g mut dyn FnMut(&[u8]) -> bool;

/// Doubles `buf` (up to [`MAX_LINE`]) if the memory can be had.
fn grow(buf: &mut Vec<u8>) -> bool {
    let to = (buf.len() * 2).min(MAX_LINE);
    if buf.try_reserve_exact(to - buf.len()).is_err() {
        return false;
    }
    buf.resize(to, 0);
    true
}

/// As [`scan`], and also hands on the lines `gate` wants (every line is then looked at).
pub fn scan_gated<R: Read>(
    reader: R,
    pre: &Prefilter,
    mut gate: Option<Gate<'_>>,
    mut on_line: impl FnMut(Line<'_>),
) -> io::Result<LineStats> {
    let mut reader = CrLineEnds::new(reader);
    let mut st = LineStats::default();
    // One block buffer per thread, reused across files (a fresh zeroed MiB per file showed up
    // as 5% of a scan's time in `memset`).
    let mut buf: Vec<u8> = BUF.with(|b| std::mem::take(&mut *b.borrow_mut()));
    if buf.len() < BLOCK {
        buf.resize(BLOCK, 0);
    }
    let mut filled = 0usize; // bytes in buf
    let mut base: u64 = 0; // file offset of buf[0]
    let mut line_no: u64 = 1; // line number of the line starting at buf[0]
    let mut skipping_rest = false; // inside an oversized line, dropping bytes until its end
    let mut eof = false;
    let mut cands: Vec<usize> = Vec::new();
    while !eof || filled > 0 {
        if !eof && filled < buf.len() {
            let n = read_full(&mut reader, &mut buf[filled..])?;
            if n == 0 {
                eof = true;
            }
            filled += n;
            st.bytes += n as u64;
            if n > 0 && filled < buf.len() {
                continue;
            }
        }
        let chunk = &buf[..filled];
        if skipping_rest {
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    skipping_rest = false;
                    consume(&mut buf, &mut filled, &mut base, i + 1);
                    line_no += 1;
                }
                None => {
                    let n = filled;
                    consume(&mut buf, &mut filled, &mut base, n);
                }
            }
            continue;
        }
        // Complete lines in this block, or everything at EOF.
        let last_nl = memchr::memrchr(b'\n', chunk);
        let end = match last_nl {
            Some(i) => i + 1,
            None if eof => filled,
            // A longer line needs a larger buffer; where memory is short (a limit) the line is
            // handled as an oversized one (its head searched, counted in coverage).
            None if buf.len() < MAX_LINE && grow(&mut buf) => continue,
            None => {
                // A line longer than MAX_LINE: search its head, drop the rest.
                let chunk = &buf[..filled];
                st.oversized += 1;
                st.lines += 1;
                handle_block(
                    chunk,
                    chunk.len(),
                    base,
                    line_no,
                    pre,
                    &mut cands,
                    &mut st,
                    &mut gate,
                    &mut on_line,
                    true,
                );
                skipping_rest = true;
                let n = filled;
                consume(&mut buf, &mut filled, &mut base, n);
                continue;
            }
        };
        if end == 0 {
            break;
        }
        let chunk = &buf[..filled];
        let newlines = handle_block(
            chunk,
            end,
            base,
            line_no,
            pre,
            &mut cands,
            &mut st,
            &mut gate,
            &mut on_line,
            false,
        );
        if eof && end == filled && chunk[end - 1] != b'\n' {
            st.truncated_last_line = true;
            st.lines += 1;
        }
        line_no += newlines;
        st.lines += newlines;
        consume(&mut buf, &mut filled, &mut base, end);
        if buf.len() > BLOCK && filled < BLOCK {
            buf.truncate(BLOCK.max(filled));
            buf.shrink_to(BLOCK);
        }
    }
    buf.truncate(BLOCK);
    BUF.with(|b| *b.borrow_mut() = buf);
    Ok(st)
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

pub(crate) fn read_full<R: Read>(r: &mut R, mut out: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    while !out.is_empty() {
        match r.read(out) {
            Ok(0) => break,
            Ok(n) => {
                total += n;
                out = &mut out[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

fn consume(buf: &mut [u8], filled: &mut usize, base: &mut u64, n: usize) {
    buf.copy_within(n..*filled, 0);
    *filled -= n;
    *base += n as u64;
}

fn line_end(block: &[u8], start: usize, end: usize) -> usize {
    memchr::memchr(b'\n', &block[start..end]).map_or(end, |i| start + i)
}

fn strip_cr(t: &[u8]) -> &[u8] {
    t.strip_suffix(b"\r").unwrap_or(t)
}

fn head64(t: &[u8]) -> Vec<u8> {
    t[..t.len().min(64)].to_vec()
}

/// Newlines in `region`, and blank lines in `region[from..]` (which starts at a line start), in
/// one pass (two `memmem` passes for `\n\n` and `\n\r\n` cost more: their prefilter fires on
/// every line end).
fn newlines_and_blanks(region: &[u8], from: usize) -> (u64, u64) {
    let r = &region[from..];
    let blank_at = |p: usize| r.get(p) == Some(&b'\n') || r.get(p..p + 2) == Some(b"\r\n");
    let mut blanks = u64::from(blank_at(0));
    let mut newlines = memchr::memchr_iter(b'\n', &region[..from]).count() as u64;
    for i in memchr::memchr_iter(b'\n', r) {
        newlines += 1;
        blanks += u64::from(blank_at(i + 1));
    }
    (newlines, blanks)
}

/// Handles the lines in `block[..end]`, which starts at a line start. Returns the newline count.
#[allow(clippy::too_many_arguments)]
fn handle_block(
    block: &[u8],
    end: usize,
    base: u64,
    first_line_no: u64,
    pre: &Prefilter,
    cands: &mut Vec<usize>,
    st: &mut LineStats,
    gate: &mut Option<Gate<'_>>,
    on_line: &mut impl FnMut(Line<'_>),
    cut: bool,
) -> u64 {
    let region = &block[..end];
    let mut counted_to = 0usize;
    let mut line_no = first_line_no;
    let mut next_free = 0usize; // lines before this were already handed on
    let mut emit = |start: usize, line_no: u64, next_free: &mut usize| {
        let le = line_end(region, start, end);
        let text = strip_cr(&region[start..le]);
        on_line(Line {
            text,
            number: line_no,
            offset: base + start as u64,
            cut,
        });
        *next_free = le + 1;
    };
    // Leading lines until the first data line: directives and the header are always wanted.
    if st.first_data.is_none() && st.leading_seen < MAX_LEADING {
        let mut s = 0usize;
        while s < end && st.first_data.is_none() && st.leading_seen < MAX_LEADING {
            st.leading_seen += 1;
            let le = line_end(region, s, end);
            let text = strip_cr(&region[s..le]);
            if text.is_empty() {
                st.blank_lines += 1;
            } else if text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text).first() == Some(&b'#') {
                // (a UTF-8 byte-order mark may precede the first directive)
                st.directive_lines += 1;
                emit(s, line_no, &mut next_free);
            } else if is_data(text) {
                st.first_data = Some(head64(text));
                emit(s, line_no, &mut next_free);
            } else {
                emit(s, line_no, &mut next_free);
            }
            if le < end {
                line_no += 1;
                counted_to = le + 1;
            } else {
                counted_to = end;
            }
            s = le + 1;
        }
    }
    let search_from = counted_to;
    st.directive_lines += pre.candidates(&region[search_from..], cands);
    if let Some(g) = gate {
        // Every line is looked at: newlines and blank lines are counted in the same walk.
        let mut newlines = memchr::memchr_iter(b'\n', &region[..search_from]).count() as u64;
        let mut next = cands.iter().map(|&c| search_from + c).peekable();
        let mut s = search_from;
        while s < end {
            let le = line_end(region, s, end);
            let mut hit = false;
            while let Some(&c) = next.peek() {
                if c > le {
                    break;
                }
                hit |= c >= s;
                next.next();
            }
            let text = strip_cr(&region[s..le]);
            if le < end {
                newlines += 1;
                st.blank_lines += u64::from(text.is_empty());
            }
            if s >= next_free && (hit || (text.first().is_some_and(|&b| b != b'#') && g(text))) {
                emit(s, line_no, &mut next_free);
            }
            line_no += 1;
            s = le + 1;
        }
        last_data_line(region, end, st);
        return newlines;
    }
    let (newlines, blanks) = newlines_and_blanks(region, search_from);
    st.blank_lines += blanks;
    for &c in cands.iter() {
        let at = search_from + c;
        if at >= end || at < next_free {
            continue;
        }
        let start = memchr::memrchr(b'\n', &region[..at]).map_or(0, |i| i + 1);
        if start < next_free {
            continue;
        }
        line_no += memchr::memchr_iter(b'\n', &region[counted_to..start]).count() as u64;
        counted_to = start;
        emit(start, line_no, &mut next_free);
    }
    last_data_line(region, end, st);
    newlines
}

/// Keeps the head of the last data line of `region[..end]`.
fn last_data_line(region: &[u8], end: usize, st: &mut LineStats) {
    let mut e = end;
    while e > 0 {
        let s = memchr::memrchr(b'\n', &region[..e - 1]).map_or(0, |i| i + 1);
        let text = strip_cr(region[s..e].strip_suffix(b"\n").unwrap_or(&region[s..e]));
        if is_data(text) {
            st.last_data = Some(head64(text));
            break;
        }
        if s == 0 {
            break;
        }
        e = s;
    }
}

#[cfg(test)]
mod tests;
