//! Streaming line scanner with a literal prefilter: the hot path of every text log.
//!
//! A file is read in large blocks; a [`Prefilter`] finds the literals the checks need, and only
//! lines holding one are handed on. Lines are counted in the same pass (for record counts and
//! line numbers), header lines (`#Fields:`, and any structural literal the reader asks for) are
//! always handed on, and the first and last data lines are kept for coverage times. Memory is
//! bounded by the block size and the line cap.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::io::{self, Read};

/// Block size for reads.
pub const BLOCK: usize = 1 << 20;
/// Longest line searched in full; longer lines are searched in their first `MAX_LINE` bytes
/// and counted as oversized.
pub const MAX_LINE: usize = 16 << 20;

/// Finds candidate lines: the checks' literals (ASCII case-insensitive) and structural literals
/// starting with `#` such as `#Fields:` (exact).
///
/// Case-insensitive search is the expensive part: no maintained crate offers a SIMD searcher
/// that ignores case (Aho-Corasick's Teddy is case-sensitive; its case-insensitive automaton fell
/// back to ~0.3 GB/s on 30+ web-log literals). So the search runs in one of two ways:
///
/// * **Anchored**: when every literal holds a byte that has no case and is not common in logs
///   (`~` in `ServerInfo~` and `Server~`), one `memchr2`/`memchr3` pass for those bytes and `#`,
///   with a case-insensitive comparison around each hit: exact, and close to `memchr` speed.
/// * **Folded**: otherwise the block is copied in lower case into a per-thread buffer (one
///   vectorised pass) and one Teddy searcher ([`aho_corasick::packed`]) looks for every literal,
///   lower-cased, in the copy. Literals that must match byte for byte (request ids) are in the
///   same searcher and verified against the original text. Sets of more than 128 literals, or
///   CPUs without SSSE3, use a case-sensitive automaton over the same folded copy.
///
/// `#` lines are found in a `memchr` pass in both ways (directive lines are counted there).
/// Only whether a line holds some literal matters: the folded search stops at a line's first
/// confirmed hit and goes on at the next line.
pub struct Prefilter {
    /// Literals not searched by the anchored pass: one folded (or plain) packed search.
    search: Option<LiteralSearch>,
    /// (literal, offset of its anchor byte, anchor byte)
    anchored: Vec<(Vec<u8>, usize, u8)>,
    /// `#` first, then the anchor bytes: at most three bytes for one memchr pass.
    triggers: Vec<u8>,
    /// Exact structural literals, all starting with `#`.
    directives: Vec<Vec<u8>>,
}

/// One search for a set of literals over the (lower-cased) text.
///
/// Every hit is checked against the whole literal (exact literals against the original text),
/// and a rejected hit resumes the search one byte further, so no occurrence is ever skipped; a
/// confirmed hit resumes it at the next line (one hit per line is all the caller needs).
///
/// Tried and dropped: searching each literal from its window of four bytes that is rarest in a
/// sample of the logs (`uth/` rather than `/owa`). It cut the fingerprint hits per line but made
/// Teddy's buckets less alike, and the search got slower (1.87 to 1.43 GB/s on an IIS log).
struct LiteralSearch {
    engine: Engine,
    pats: Vec<Pat>,
    /// Pattern indices by their first byte (as searched: folded or not).
    by_first: Vec<Vec<usize>>,
    /// Whether the text is lower-cased before the search (some literal ignores case and holds
    /// a letter).
    fold: bool,
}

struct Pat {
    /// The literal as searched (lower-cased when `fold`).
    text: Vec<u8>,
    /// The literal must match the original (unfolded) text byte for byte.
    exact: Option<Vec<u8>>,
}

enum Engine {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

/// Bytes too common in Exchange and IIS logs to anchor a search on.
const COMMON: &[u8] = b" ,./-:;=_0123456789\"'()&?%+@\t\\[]{}<>#";

/// Structural literal every text log needs handed on: the `#Fields:` header.
pub const FIELDS_DIRECTIVE: &str = "#Fields:";

impl LiteralSearch {
    /// `ci`: literals ignoring ASCII case; `exact`: byte for byte.
    fn new(ci: &[&str], exact: &[&str]) -> Option<LiteralSearch> {
        let fold = ci
            .iter()
            .any(|l| l.bytes().any(|b| b.is_ascii_alphabetic()));
        let mut pats: Vec<Pat> = Vec::new();
        for l in ci {
            pats.push(Pat {
                text: l.as_bytes().to_ascii_lowercase(),
                exact: None,
            });
        }
        for e in exact {
            let b = e.as_bytes();
            let letters = b.iter().any(u8::is_ascii_alphabetic);
            pats.push(Pat {
                text: if fold {
                    b.to_ascii_lowercase()
                } else {
                    b.to_vec()
                },
                exact: (fold && letters).then(|| b.to_vec()),
            });
        }
        if pats.is_empty() {
            return None;
        }
        let searched: Vec<&[u8]> = pats.iter().map(|p| p.text.as_slice()).collect();
        let mut by_first = vec![Vec::new(); 256];
        for (i, s) in searched.iter().enumerate() {
            by_first[usize::from(s[0])].push(i);
        }
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            // Its default gives up above 64 literals; fat Teddy (16 buckets) measured faster
            // than the automaton up to the packed searcher's limit of 128 on web logs.
            .heuristic_pattern_limits(false)
            .builder()
            .extend(&searched)
            .build();
        let engine = match packed {
            // None above 128 literals (the packed searcher's limit) or without SSSE3.
            Some(s) => Engine::Packed(s),
            _ => Engine::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&searched)
                    .expect("prefilter literals are valid"),
            ),
        };
        Some(LiteralSearch {
            engine,
            pats,
            by_first,
            fold,
        })
    }

    /// Appends, for every line of `hay` holding a literal, the start of its first occurrence.
    fn find(&self, hay: &[u8], out: &mut Vec<usize>) {
        if !self.fold {
            self.find_in(hay, hay, out);
            return;
        }
        FOLDED.with(|f| {
            let mut folded = f.borrow_mut();
            fold_into(hay, &mut folded);
            self.find_in(hay, &folded, out);
        });
    }

    fn find_in(&self, original: &[u8], text: &[u8], out: &mut Vec<usize>) {
        let mut pos = 0;
        while pos < text.len() {
            let q = match &self.engine {
                Engine::Packed(s) => s.find_in(text, aho_corasick::Span::from(pos..text.len())),
                Engine::Automaton(a) => {
                    a.find(aho_corasick::Input::new(text).span(pos..text.len()))
                }
            };
            let Some(q) = q.map(|m| m.start()) else { break };
            match self.literal_at(original, text, q) {
                Some(start) => {
                    out.push(start);
                    // One hit per line is all the caller needs: go on at the next line.
                    pos = memchr::memchr(b'\n', &text[q..]).map_or(text.len(), |i| q + i + 1);
                }
                None => pos = q + 1,
            }
        }
    }

    /// `q` if a literal starts there (exact ones checked against the original text).
    fn literal_at(&self, original: &[u8], text: &[u8], q: usize) -> Option<usize> {
        self.by_first[usize::from(text[q])].iter().find_map(|&i| {
            let p = &self.pats[i];
            let ok = text[q..].starts_with(&p.text)
                && p.exact
                    .as_ref()
                    .is_none_or(|e| original[q..].starts_with(e));
            ok.then_some(q)
        })
    }
}

thread_local! {
    /// The lower-cased copy of the block being searched.
    static FOLDED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `dst` = `src` with ASCII upper-case letters lower-cased; written so that it vectorises.
fn fold_into(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    dst.resize(src.len(), 0);
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s | (u8::from(s.wrapping_sub(b'A') < 26) << 5);
    }
}

impl Prefilter {
    /// `literals` are matched ignoring ASCII case. The `#Fields:` directive is always found.
    pub fn new(literals: &[&str]) -> Prefilter {
        Prefilter::with_exact(literals, &[])
    }

    /// As [`Prefilter::new`], plus `exact` literals matched byte-for-byte (e.g. request ids that
    /// Exchange always writes in lower case).
    pub fn with_exact(literals: &[&str], exact: &[&str]) -> Prefilter {
        let mut pats: Vec<&str> = literals.iter().copied().filter(|l| !l.is_empty()).collect();
        pats.sort_unstable_by_key(|p| p.to_ascii_lowercase());
        pats.dedup_by_key(|p| p.to_ascii_lowercase());
        let dirs = vec![FIELDS_DIRECTIVE.as_bytes().to_vec()];
        let mut exact: Vec<&str> = exact.iter().copied().filter(|e| !e.is_empty()).collect();
        exact.sort_unstable();
        exact.dedup();
        // Only whether a line holds some literal matters, so a literal that contains another
        // (ignoring case) adds nothing: `/owa/auth/Current` is found by `/owa/auth/`. Dropped,
        // it no longer costs a Teddy bucket slot or a verification (no time difference was
        // measurable on the bench tree, where the indicator addresses dominate the set).
        let lower: Vec<String> = pats.iter().map(|p| p.to_ascii_lowercase()).collect();
        let within = AhoCorasick::new(&lower).expect("prefilter literals are valid");
        // Whether `l` holds a literal other than `me` (one search per literal: linear in their
        // total length, also for tens of thousands of indicator addresses).
        let covered = |l: &str, me: Option<usize>| {
            within
                .find_overlapping_iter(l)
                .any(|m| Some(m.pattern().as_usize()) != me)
        };
        let keep: Vec<bool> = (0..pats.len())
            .map(|i| !covered(&lower[i], Some(i)))
            .collect();
        let mut i = 0;
        pats.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        exact.retain(|e| !covered(&e.to_ascii_lowercase(), None));
        let mut anchored = Vec::new();
        for p in &pats {
            let b = p.as_bytes();
            match b
                .iter()
                .position(|c| !c.is_ascii_alphabetic() && !COMMON.contains(c))
            {
                Some(off) => anchored.push((b.to_vec(), off, b[off])),
                None => {
                    anchored.clear();
                    break;
                }
            }
        }
        let mut triggers = vec![b'#'];
        for (_, _, a) in &anchored {
            if !triggers.contains(a) {
                triggers.push(*a);
            }
        }
        let search = if pats.is_empty() || (!anchored.is_empty() && triggers.len() <= 3) {
            LiteralSearch::new(&[], &exact)
        } else {
            anchored.clear();
            triggers.truncate(1);
            LiteralSearch::new(&pats, &exact)
        };
        Prefilter {
            search,
            anchored,
            triggers,
            directives: dirs,
        }
    }

    /// Literals searched (after dropping those that hold another).
    #[cfg(test)]
    fn searched(&self) -> usize {
        self.anchored.len() + self.search.as_ref().map_or(0, |s| s.pats.len())
    }

    /// Whether `text` holds any literal or directive.
    pub fn is_match(&self, text: &[u8]) -> bool {
        let mut v = Vec::new();
        self.candidates(text, &mut v);
        !v.is_empty()
    }

    /// Start positions of literal and directive occurrences in `hay` (ascending; at least one
    /// in every line that holds any), and the number of directive lines (`#` at a line start;
    /// `hay` starts at a line start).
    fn candidates(&self, hay: &[u8], out: &mut Vec<usize>) -> u64 {
        out.clear();
        let mut directive_lines = 0u64;
        let mut hit = |p: usize| {
            let c = hay[p];
            if c == b'#' {
                if p == 0 || hay[p - 1] == b'\n' {
                    directive_lines += 1;
                }
                if self.directives.iter().any(|d| hay[p..].starts_with(d)) {
                    out.push(p);
                }
            }
            for (lit, off, a) in &self.anchored {
                if c == *a
                    && let Some(start) = p.checked_sub(*off)
                    && hay
                        .get(start..start + lit.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(lit))
                {
                    out.push(start);
                }
            }
        };
        match self.triggers[..] {
            [a] => memchr::memchr_iter(a, hay).for_each(&mut hit),
            [a, b] => memchr::memchr2_iter(a, b, hay).for_each(&mut hit),
            [a, b, c] => memchr::memchr3_iter(a, b, c, hay).for_each(&mut hit),
            _ => unreachable!("one to three trigger bytes"),
        }
        let mut unordered = self.anchored.iter().any(|(_, off, _)| *off > 0);
        let before = out.len();
        if let Some(s) = &self.search {
            s.find(hay, out);
        }
        unordered |= out.len() > before && before > 0;
        if unordered {
            out.sort_unstable();
        }
        directive_lines
    }
}

/// Builds a prefilter for check literals only (plus `#Fields:`).
pub fn prefilter(literals: &[&str]) -> Prefilter {
    Prefilter::new(literals)
}

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

/// A reader for logs whose lines end in a bare `\r` (a classic-Mac style or badly converted
/// copy): when the first 64 KiB hold a `\r` and no `\n`, every `\r` is handed on as `\n`. One
/// byte for one, so offsets and line numbers stay those of the file.
pub struct CrLineEnds<R> {
    inner: R,
    /// The first bytes, read ahead to decide, and how far they have been handed on.
    head: Option<(Vec<u8>, usize)>,
    cr_only: bool,
}

/// How much is read ahead to tell CR-only line ends from the others.
const CR_LOOKAHEAD: usize = 64 * 1024;

/// The rule, for the scan and the read-back alike: the file's first [`CR_LOOKAHEAD`] bytes
/// (`head`) hold a `\r` and no `\n`.
fn cr_only(head: &[u8]) -> bool {
    memchr::memchr(b'\r', head).is_some() && memchr::memchr(b'\n', head).is_none()
}

impl<R: Read> CrLineEnds<R> {
    pub fn new(inner: R) -> Self {
        CrLineEnds {
            inner,
            head: None,
            cr_only: false,
        }
    }
}

impl<R: Read> Read for CrLineEnds<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.head.is_none() {
            let mut head = vec![0u8; CR_LOOKAHEAD];
            let n = read_full(&mut self.inner, &mut head)?;
            head.truncate(n);
            self.cr_only = cr_only(&head);
            self.head = Some((head, 0));
        }
        let n = match &mut self.head {
            Some((head, at)) if *at < head.len() => {
                let n = (head.len() - *at).min(out.len());
                out[..n].copy_from_slice(&head[*at..*at + n]);
                *at += n;
                n
            }
            _ => self.inner.read(out)?,
        };
        if self.cr_only {
            for b in &mut out[..n] {
                if *b == b'\r' {
                    *b = b'\n';
                }
            }
        }
        Ok(n)
    }
}

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

/// Reads single lines back from evidence files by byte offset, for reports that list evidence
/// kept only as a locator (see [`crate::model::rollup`]). Keeps a few files open; opens them
/// read-only like every other read.
#[derive(Default)]
pub struct LineReader {
    /// Open files, each with whether its lines end in a bare `\r` ([`CrLineEnds`]).
    open: std::collections::HashMap<String, (std::fs::File, bool)>,
    buf: Vec<u8>,
}

/// Files a [`LineReader`] keeps open at once.
const READER_FILES: usize = 32;

impl LineReader {
    /// The line starting at `offset` in `path`, without its line end, cut at `max` bytes (with a
    /// note of the cut), as lossy UTF-8. If the file changed since the scan the text may not be
    /// the line that was matched: the locator (path, line, offset) stays the evidence.
    pub fn read(&mut self, path: &str, offset: u64, max: usize) -> Result<String, String> {
        use std::io::{Seek, SeekFrom};
        if !self.open.contains_key(path) {
            if self.open.len() >= READER_FILES {
                self.open.clear();
            }
            let mut f = super::open_read_only(&crate::model::names::real_path(path))
                .map_err(|e| super::io_problem("cannot open to read the line back", &e))?;
            let mut head = vec![0u8; CR_LOOKAHEAD];
            let n = read_full(&mut f, &mut head)
                .map_err(|e| super::io_problem("cannot read the line back", &e))?;
            self.open.insert(path.to_string(), (f, cr_only(&head[..n])));
        }
        let (f, cr) = self.open.get_mut(path).expect("inserted above");
        let end = if *cr { b'\r' } else { b'\n' };
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| super::io_problem("cannot seek to the line", &e))?;
        // Read in small steps until the line end: lines are short, `max` is large. Up to two
        // bytes past `max` are read so that a line of exactly `max` bytes and its `\r\n` fit.
        let limit = max.saturating_add(2);
        let buf = &mut self.buf;
        buf.clear();
        let mut ended = false;
        while buf.len() < limit {
            let have = buf.len();
            let want = (limit - have).min(8192);
            buf.resize(have + want, 0);
            let n = read_full(f, &mut buf[have..])
                .map_err(|e| super::io_problem("cannot read the line back", &e))?;
            buf.truncate(have + n);
            if let Some(i) = memchr::memchr(end, &buf[have..]) {
                buf.truncate(have + i);
                ended = true;
                break;
            }
            if n < want {
                ended = true; // end of file
                break;
            }
        }
        if ended && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        let cut = !ended || buf.len() > max;
        buf.truncate(max);
        let text = String::from_utf8_lossy(buf).into_owned();
        Ok(if cut {
            format!("{text}…[cut at {max} bytes]")
        } else {
            text
        })
    }
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
mod tests {
    use super::*;

    fn collect(data: &[u8], lits: &[&str]) -> (Vec<(u64, u64, String)>, LineStats) {
        let pre = prefilter(lits);
        let mut out = Vec::new();
        let st = scan(data, &pre, |l| {
            out.push((
                l.number,
                l.offset,
                String::from_utf8_lossy(l.text).into_owned(),
            ))
        })
        .unwrap();
        (out, st)
    }

    #[test]
    fn a_literal_holding_another_is_not_searched_and_no_line_is_lost() {
        let pre = Prefilter::with_exact(
            &[
                "/owa/auth/",
                "/OWA/auth/Current",
                "/auth/x.js",
                "/owa/auth/x.js",
                "ecp",
                "=cmd",
            ],
            &["ECP-exact", "Rid-1"],
        );
        // kept: /owa/auth/, /auth/x.js, ecp, =cmd, Rid-1
        assert_eq!(pre.searched(), 5);
        for (line, handed) in [
            ("GET /Owa/Auth/current/x", true),
            ("GET /owa/auth/x.js", true),
            ("GET /x/auth/X.JS", true),
            ("ECP-exact", true),
            ("rid-1 is exact", false),
            ("Rid-1", true),
            ("/owa/aut h/", false),
            ("a=CMD", true),
        ] {
            assert_eq!(pre.is_match(line.as_bytes()), handed, "{line}");
        }
    }

    #[test]
    fn a_line_read_back_by_its_offset_is_the_line_the_scan_handed_on() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("u_ex.log");
        let data = b"#Fields: a\r\nfirst line\r\nsecond ServerInfo~x line\r\nlast, no line end";
        std::fs::write(&p, data).unwrap();
        let (lines, _) = collect(data, &["ServerInfo~", "no line"]);
        let path = p.display().to_string();
        let mut r = LineReader::default();
        for (_, offset, text) in &lines {
            assert_eq!(&r.read(&path, *offset, 1024).unwrap(), text);
        }
        let second = lines.iter().find(|l| l.2.starts_with("second")).unwrap();
        assert_eq!(
            r.read(&path, second.1, 6).unwrap(),
            "second…[cut at 6 bytes]"
        );
        assert_eq!(r.read(&path, data.len() as u64 + 10, 64).unwrap(), "");
        // A line longer than one read step.
        let long = format!("2021-03-01 {}", "x".repeat(20_000));
        let q = dir.path().join("long.log");
        std::fs::write(&q, format!("{long}\r\nnext\n")).unwrap();
        let q = q.display().to_string();
        assert_eq!(r.read(&q, 0, 64 * 1024).unwrap(), long);
        assert_eq!(
            r.read(&q, 0, long.len()).unwrap(),
            long,
            "exactly max: not cut"
        );
        assert_eq!(
            r.read(&q, 0, 10_000).unwrap(),
            format!("{}…[cut at 10000 bytes]", &long[..10_000])
        );
        assert_eq!(r.read(&q, long.len() as u64 + 2, 64).unwrap(), "next");
        let e = r.read(&dir.path().join("gone.log").display().to_string(), 0, 64);
        assert!(
            e.unwrap_err()
                .starts_with("cannot open to read the line back")
        );
    }

    #[test]
    fn lines_are_read_back_with_the_line_ends_the_scan_used() {
        let dir = tempfile::tempdir().unwrap();
        let cr = dir.path().join("cr.log");
        std::fs::write(&cr, b"first\rsecond line\rthird").unwrap();
        let lf = dir.path().join("lf.log");
        std::fs::write(&lf, b"first\na lone \r stays inside\r\nnext\n").unwrap();
        let mut r = LineReader::default();
        let cr = cr.display().to_string();
        let lf = lf.display().to_string();
        assert_eq!(r.read(&cr, 6, 64).unwrap(), "second line");
        assert_eq!(r.read(&lf, 6, 64).unwrap(), "a lone \r stays inside");
    }

    #[test]
    fn hands_on_matching_lines_with_numbers_and_offsets() {
        let data = b"#Fields: a,b\r\n2021-01-01T00:00:00Z,x\r\nnothing here\r\n2021-01-02T00:00:00Z,ServerInfo~a/b\r\nmore\r\n#Fields: c\r\n2021-01-03T00:00:00Z,last serverinfo~ line";
        let (lines, st) = collect(data, &["ServerInfo~"]);
        let nums: Vec<u64> = lines.iter().map(|l| l.0).collect();
        assert_eq!(nums, vec![1, 2, 4, 6, 7]);
        assert_eq!(lines[2].2, "2021-01-02T00:00:00Z,ServerInfo~a/b");
        assert_eq!(
            lines[2].1 as usize,
            data.windows(10).position(|w| w == b"2021-01-02").unwrap()
        );
        assert_eq!(st.lines, 7);
        assert!(st.truncated_last_line);
        assert_eq!(
            st.first_data.as_deref(),
            Some(&b"2021-01-01T00:00:00Z,x"[..])
        );
        assert_eq!(
            st.last_data.as_deref(),
            Some(&b"2021-01-03T00:00:00Z,last serverinfo~ line"[..])
        );
        assert_eq!(st.directive_lines, 2);
    }

    #[test]
    fn plain_header_line_is_not_the_first_data_line() {
        let (lines, st) = collect(b"DateTime,RequestId\r\n#Software: x\r\n2021-01-01T00:00:00Z,a\r\n2021-01-05T00:00:00Z,b\r\n", &["zzz"]);
        assert_eq!(
            st.first_data.as_deref(),
            Some(&b"2021-01-01T00:00:00Z,a"[..])
        );
        assert_eq!(
            st.last_data.as_deref(),
            Some(&b"2021-01-05T00:00:00Z,b"[..])
        );
        assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn anchored_and_automaton_searches_agree() {
        let hay = b"a ServerInfo~x sErVeRiNfO~y server~z SERVER~ ~ServerInfo Sid~1 serverinfo server~\n#Fields: a\nx#Fields:";
        let lits = ["ServerInfo~", "Server~"];
        let anchored = Prefilter::new(&lits);
        assert!(anchored.search.is_none() && anchored.triggers == vec![b'#', b'~']);
        let mut a = Vec::new();
        let dirs = anchored.candidates(hay, &mut a);
        let auto = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(["ServerInfo~", "Server~", "#Fields:"])
            .unwrap();
        let b: Vec<usize> = auto.find_iter(hay).map(|m| m.start()).collect();
        assert_eq!(a, b);
        assert_eq!(dirs, 1, "only the # at a line start is a directive line");
        let vd = Prefilter::new(&["VirtualDirectory"]);
        assert!(vd.search.is_some());
        assert!(vd.is_match(b"x set-virtualdirectory y"));
        assert!(!vd.is_match(b"nothing"));
    }

    /// Lines (0-based) holding a candidate, by the prefilter and by a plain reference search.
    fn candidate_lines(pre: &Prefilter, hay: &[u8]) -> Vec<usize> {
        let mut c = Vec::new();
        pre.candidates(hay, &mut c);
        let mut lines: Vec<usize> = c
            .iter()
            .map(|&p| hay[..p].iter().filter(|&&b| b == b'\n').count())
            .collect();
        lines.dedup();
        lines
    }

    #[test]
    fn folded_search_ignores_case_and_verifies_exact_literals() {
        let hay = b"GET /ECP/y.js 200\nGET /owa/ 200\nPOST /Owa/Auth/x.js\nid 0a1b-CC\nid 0a1b-cc\nDateTime,RequestId,x\ndatetime,requestid,\n#Fields: a\n10.1.2.3 x\n";
        let pre = Prefilter::with_exact(
            &["/ecp/", "/owa/auth/", "10.1.2.3"],
            &["0a1b-cc", "DateTime,RequestId,"],
        );
        let s = pre.search.as_ref().unwrap();
        assert!(s.fold && matches!(s.engine, Engine::Packed(_) | Engine::Automaton(_)));
        assert_eq!(candidate_lines(&pre, hay), vec![0, 2, 4, 5, 7, 8]);
        // Exact literals alone: no folding, no verification needed.
        let ids = Prefilter::with_exact(&["10.1.2.3"], &["0a1b-cc"]);
        assert!(!ids.search.as_ref().unwrap().fold);
        assert_eq!(candidate_lines(&ids, hay), vec![4, 7, 8]);
    }

    #[test]
    fn large_literal_sets_fall_back_to_an_automaton_with_the_same_lines() {
        let lits: Vec<String> = (0..200).map(|i| format!("Needle{i:03}x")).collect();
        let refs: Vec<&str> = lits.iter().map(String::as_str).collect();
        let pre = Prefilter::new(&refs);
        assert!(matches!(
            pre.search.as_ref().unwrap().engine,
            Engine::Automaton(_)
        ));
        let few = Prefilter::new(&refs[..100]);
        let hay = b"a NEEDLE007X b\nnothing\nneedle150x\nneedle099X\nneedle7x\n";
        assert_eq!(candidate_lines(&pre, hay), vec![0, 2, 3]);
        assert_eq!(candidate_lines(&few, hay), vec![0, 3]);
    }

    #[test]
    fn more_literals_than_an_index_of_16_bits_are_all_found() {
        // `--ioc` address lists can be this long; each literal keeps its own index.
        let lits: Vec<String> = (0..70_000).map(|i| format!("ioc{i:05}x")).collect();
        let refs: Vec<&str> = lits.iter().map(String::as_str).collect();
        let pre = Prefilter::new(&refs);
        assert!(pre.is_match(b"a ioc69999x b"));
        assert!(pre.is_match(b"a IOC04465X b"));
        assert!(!pre.is_match(b"a ioc70000x b"));
    }

    #[test]
    fn fold_lowercases_ascii_letters_only() {
        let src: Vec<u8> = (0..=255u8).collect();
        let mut out = Vec::new();
        fold_into(&src, &mut out);
        let want: Vec<u8> = src.iter().map(u8::to_ascii_lowercase).collect();
        assert_eq!(out, want);
    }

    #[test]
    fn one_line_with_two_matches_is_handed_on_once() {
        let (lines, _) = collect(b"a\nServerInfo~ ServerInfo~\nb\n", &["ServerInfo~"]);
        assert_eq!(
            lines.iter().filter(|l| l.2.contains("ServerInfo")).count(),
            1
        );
    }

    #[test]
    fn lines_spanning_blocks_and_huge_lines() {
        let mut data = Vec::new();
        for i in 0..50_000 {
            data.extend_from_slice(
                format!("2021-01-01T00:00:00Z,line {i} padding padding padding\n").as_bytes(),
            );
        }
        data.extend_from_slice(b"x,");
        data.extend(std::iter::repeat_n(b'a', 3 << 20));
        data.extend_from_slice(b" needle\nend needle\n");
        let (lines, st) = collect(&data, &["needle"]);
        assert_eq!(st.lines, 50_002);
        let nums: Vec<u64> = lines.iter().map(|l| l.0).collect();
        assert_eq!(nums, vec![1, 50_001, 50_002]);
        assert_eq!(st.oversized, 0);
    }

    #[test]
    fn oversized_line_is_counted_and_scan_goes_on() {
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
        data.extend_from_slice(b"\nafter needle\n");
        let (lines, st) = collect(&data, &["needle"]);
        assert_eq!(st.oversized, 1);
        assert_eq!(lines.last().unwrap().0, 3);
        assert_eq!(lines.last().unwrap().2, "after needle");
        assert_eq!(st.lines, 3);
    }

    #[test]
    fn a_directive_line_right_after_the_first_data_line_is_handed_on() {
        let (lines, _) = collect(
            b"2021-01-01T00:00:00Z,a\n#Fields: x\n2021-01-02T00:00:00Z,b\n",
            &["zzz"],
        );
        assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn a_directive_line_at_a_block_start_is_handed_on() {
        let line = b"2021-01-01T00:00:00Z,padding padding padding padding padding\n";
        let mut data = Vec::new();
        while data.len() + line.len() <= BLOCK {
            data.extend_from_slice(line);
        }
        let fill = BLOCK - data.len();
        data.extend(std::iter::repeat_n(b'x', fill - 1));
        data.push(b'\n');
        assert_eq!(data.len(), BLOCK);
        data.extend_from_slice(b"#Fields: at the block start\nlast\n");
        let (lines, st) = collect(&data, &["zzz"]);
        let n = st.lines - 1;
        assert!(
            lines
                .iter()
                .any(|l| l.0 == n && l.2 == "#Fields: at the block start")
        );
    }

    #[test]
    fn blank_lines_are_counted_anywhere() {
        let data = b"\r\n#Fields: a\r\n2021-01-01 x\r\n\r\n\n2021-01-02 y\r\n\r\n";
        let (_, st) = collect(data, &["zzz"]);
        assert_eq!(st.lines, 7);
        assert_eq!(st.blank_lines, 4);
        assert_eq!(st.directive_lines, 1);
        let (_, st) = collect(b"2021-01-01 x\n\n\n\n2021-01-02 y", &["zzz"]);
        assert_eq!((st.lines, st.blank_lines), (5, 3));
    }

    #[test]
    fn directives_right_after_the_first_data_line_and_at_a_block_start_are_handed_on() {
        let (lines, st) = collect(
            b"#Fields: a\n2021-01-01 x\n#Fields: b\n2021-01-02 y\n",
            &["zzz"],
        );
        let nums: Vec<u64> = lines.iter().map(|l| l.0).collect();
        assert_eq!(nums, vec![1, 2, 3]);
        assert_eq!(st.directive_lines, 2);
        let mut data = Vec::new();
        let mut n = 0u64;
        while data.len() < BLOCK - 40 {
            data.extend_from_slice(b"2021-01-01 00:00:00 filler filler filler\n");
            n += 1;
        }
        let directive = format!("#Fields: {}\n", "x".repeat(100));
        data.extend_from_slice(directive.as_bytes());
        data.extend_from_slice(b"2021-01-02 00:00:00 needle\n");
        let (lines, st) = collect(&data, &["needle"]);
        let nums: Vec<u64> = lines.iter().map(|l| l.0).collect();
        assert_eq!(nums, vec![1, n + 1, n + 2]);
        assert_eq!(st.directive_lines, 1);
        assert_eq!(st.lines, n + 2);
    }

    #[test]
    fn a_directive_after_a_byte_order_mark_is_a_directive() {
        let (_, st) = collect(
            b"\xEF\xBB\xBF#Software: x\r\n#Fields: a\r\n2021-01-01 x\r\n",
            &["zzz"],
        );
        assert_eq!((st.lines, st.directive_lines), (3, 2));
    }

    #[test]
    fn empty_input() {
        let (lines, st) = collect(b"", &["x"]);
        assert!(lines.is_empty());
        assert_eq!(st.lines, 0);
    }
}
