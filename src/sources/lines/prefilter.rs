//! The literal prefilter: which lines hold a literal the checks need.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

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
    pub(super) search: Option<LiteralSearch>,
    /// (literal, offset of its anchor byte, anchor byte)
    anchored: Vec<(Vec<u8>, usize, u8)>,
    /// `#` first, then the anchor bytes: at most three bytes for one memchr pass.
    pub(super) triggers: Vec<u8>,
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
pub(super) struct LiteralSearch {
    pub(super) engine: Engine,
    pats: Vec<Pat>,
    /// Pattern indices by their first byte (as searched: folded or not).
    by_first: Vec<Vec<usize>>,
    /// Whether the text is lower-cased before the search (some literal ignores case and holds
    /// a letter).
    pub(super) fold: bool,
}

pub(super) struct Pat {
    /// The literal as searched (lower-cased when `fold`).
    text: Vec<u8>,
    /// The literal must match the original (unfolded) text byte for byte.
    exact: Option<Vec<u8>>,
}

pub(super) enum Engine {
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
pub(super) fn fold_into(src: &[u8], dst: &mut Vec<u8>) {
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
    pub(super) fn searched(&self) -> usize {
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
    pub(super) fn candidates(&self, hay: &[u8], out: &mut Vec<usize>) -> u64 {
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
