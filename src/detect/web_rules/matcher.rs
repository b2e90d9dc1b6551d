//! Which rules a line's literals select: one Teddy search of the lower-cased line.

use super::INDICATOR_IPS_LITERAL;
use super::table::{Rule, Src};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind, Span, packed};

thread_local! {
    /// A candidate line in lower case, for [`Matcher::candidates`] (one buffer per thread).
    static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Literal → rules, for one source.
#[derive(Clone)]
pub(super) struct Matcher {
    /// The literals in lower case, searched with Teddy (SIMD) in a lower-cased copy of the line:
    /// aho-corasick builds no SIMD prefilter for an automaton that ignores case. `None` where
    /// Teddy is not available (no SSSE3).
    pub(super) teddy: Option<packed::Searcher>,
    /// The same literals ignoring case, all matches walked byte by byte: the fallback.
    pub(super) ac: AhoCorasick,
    /// Per pattern: the other patterns that are a prefix of it, ignoring case (see
    /// [`Matcher::candidates`]).
    pub(super) prefixes: Vec<Vec<usize>>,
    /// Per pattern: the rules it selects.
    pub(super) rules_of: Vec<Vec<usize>>,
    /// Every literal, for the scan prefilter.
    pub(super) literals: Vec<String>,
    /// Rules that test whether the client address is an indicator: candidates on every line
    /// (the scan hands on lines by their client-address column, see
    /// [`crate::sources::address`]; the test itself is one set lookup).
    pub(super) by_address: Vec<usize>,
}

impl Matcher {
    pub(super) fn build(rules: &[Rule], src: Src) -> Result<Matcher, String> {
        let mut literals: Vec<String> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        let mut by_address = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let reads = match src {
                Src::Iis => r.iis,
                Src::HttpProxy => r.httpproxy,
            };
            if !reads {
                continue;
            }
            if r.when.uses_indicator_ip() {
                by_address.push(i);
            }
            // `@indicator-ips` is not searched as text: such lines come by their address column.
            let lits = r.literals.iter().filter(|l| *l != INDICATOR_IPS_LITERAL);
            for l in lits.cloned() {
                let key = l.to_ascii_lowercase();
                match literals.iter().position(|x| x.to_ascii_lowercase() == key) {
                    Some(p) => rules_of[p].push(i),
                    None => {
                        literals.push(l);
                        rules_of.push(vec![i]);
                    }
                }
            }
        }
        let lower: Vec<String> = literals.iter().map(|l| l.to_ascii_lowercase()).collect();
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostLongest)
            .builder()
            .extend(&lower)
            .build();
        let prefixes = (0..lower.len())
            .map(|i| {
                (0..lower.len())
                    .filter(|&j| j != i && lower[i].starts_with(&lower[j]))
                    .collect()
            })
            .collect();
        // The fallback: a DFA walked byte by byte, without the rare-byte prefilter (its bytes
        // are everywhere in URLs).
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&literals)
            .map_err(|e| format!("literals: {e}"))?;
        Ok(Matcher {
            teddy,
            ac,
            prefixes,
            rules_of,
            literals,
            by_address,
        })
    }

    /// Which rules a raw line may concern (their literals occur in it, or they test the client
    /// address), as a flag per rule.
    pub(super) fn candidates(&self, raw: &[u8], n: usize) -> Option<Vec<bool>> {
        let mut flags: Option<Vec<bool>> = None;
        if !self.by_address.is_empty() {
            let f = flags.insert(vec![false; n]);
            for &r in &self.by_address {
                f[r] = true;
            }
        }
        let mut select = |p: usize| {
            let f = flags.get_or_insert_with(|| vec![false; n]);
            for &r in &self.rules_of[p] {
                f[r] = true;
            }
        };
        let Some(teddy) = &self.teddy else {
            for m in self.ac.find_overlapping_iter(raw) {
                select(m.pattern().as_usize());
            }
            return flags;
        };
        // Every literal that occurs, without an overlapping search: from each position where
        // some literal starts, the longest one found there, and the literals that are its
        // prefixes (they are the others that start there); then on from the next byte.
        LOWER.with_borrow_mut(|low| {
            low.clear();
            low.extend(raw.iter().map(u8::to_ascii_lowercase));
            let mut at = 0;
            while let Some(m) = teddy.find_in(&low[..], Span::from(at..low.len())) {
                let p = m.pattern().as_usize();
                select(p);
                for &q in &self.prefixes[p] {
                    select(q);
                }
                at = m.start() + 1;
            }
        });
        flags
    }
}
