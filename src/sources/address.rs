//! Where a web log line keeps its client address, found without parsing the whole line.
//!
//! Checks that look for indicator addresses (`rules/ioc/ips.tsv`, `--ioc`) need every line whose
//! client-address column holds one, whatever else the line holds. Searching the text for dozens
//! (or, with `--ioc`, thousands) of addresses as literals cost a fifth of a default scan: digits
//! and dots are everywhere in web logs. Instead the scan asks, for each line the literal search
//! passed over, what its client-address column holds ([`AddressColumn::address`]), which costs a
//! few short `memchr` calls, and looks that up in a set.
//!
//! The answer is exact or errs towards handing a line on: when the column cannot be found the way
//! the full parser would bind it ([`Addr::Unsure`]), the line is handed on and the checks decide.

/// Where a file's lines keep the client address, bound from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressColumn {
    /// The n-th (0-based) space-separated field (IIS W3C `c-ip`).
    Spaced(usize),
    /// The n-th (0-based) comma-separated field of a CSV line (HttpProxy `ClientIpAddress`).
    Csv(usize),
    /// The file has no client-address column.
    Absent,
    /// The full parser binds the column in a way a quick split cannot follow (it comes after a
    /// free-text column): every line is handed on.
    Unsure,
}

/// What a line's client-address column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr<'a> {
    /// The column's raw bytes (untrimmed).
    Value(&'a [u8]),
    /// The line is too short to have the column, or the file has none.
    Absent,
    /// Cannot tell without a full parse (e.g. a quoted CSV field before the column).
    Unsure,
}

impl AddressColumn {
    /// The client address of one line (without its line end).
    pub fn address(self, line: &[u8]) -> Addr<'_> {
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        match self {
            AddressColumn::Spaced(n) => field::<false>(line, n, b' '),
            // A quote before the column's end may hide commas: left to the CSV parser.
            AddressColumn::Csv(n) => field::<true>(line, n, b','),
            AddressColumn::Absent => Addr::Absent,
            AddressColumn::Unsure => Addr::Unsure,
        }
    }
}

/// `0x80` in every byte of `w` equal to `b`, `0` elsewhere (exact: no carries between bytes).
fn eq_mask(w: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w ^ (0x0101_0101_0101_0101 * u64::from(b));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The n-th `sep`-separated field of `line`, or [`Addr::Unsure`] if `QUOTED` and a `"` comes
/// first. Eight bytes at a time: separators are a few bytes apart, where a
/// byte loop or a `memchr` call per separator cost several times more (measured on IIS lines).
fn field<const QUOTED: bool>(line: &[u8], n: usize, sep: u8) -> Addr<'_> {
    let mut nth = 0usize;
    let mut start = 0usize;
    let mut at = |i: usize| -> Option<Addr<'_>> {
        if line[i] != sep {
            return Some(Addr::Unsure);
        }
        if nth == n {
            return Some(Addr::Value(&line[start..i]));
        }
        nth += 1;
        start = i + 1;
        None
    };
    let mut words = line.chunks_exact(8);
    let mut base = 0usize;
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        let mut m = eq_mask(w, sep);
        if QUOTED {
            m |= eq_mask(w, b'"');
        }
        while m != 0 {
            if let Some(r) = at(base + (m.trailing_zeros() / 8) as usize) {
                return r;
            }
            m &= m - 1;
        }
        base += 8;
    }
    for (j, &b) in words.remainder().iter().enumerate() {
        if (b == sep || (QUOTED && b == b'"'))
            && let Some(r) = at(base + j)
        {
            return r;
        }
    }
    if nth == n {
        Addr::Value(&line[start..])
    } else {
        Addr::Absent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_fields_are_counted_from_the_left() {
        let c = AddressColumn::Spaced(2);
        assert_eq!(c.address(b"a b 1.2.3.4 d"), Addr::Value(b"1.2.3.4"));
        assert_eq!(c.address(b"a b 1.2.3.4"), Addr::Value(b"1.2.3.4"));
        assert_eq!(c.address(b"a b"), Addr::Absent);
        assert_eq!(c.address(b"a b "), Addr::Value(b""));
        assert_eq!(
            AddressColumn::Spaced(0).address(b"\xEF\xBB\xBF1.2.3.4 x"),
            Addr::Value(b"1.2.3.4")
        );
    }

    #[test]
    fn fields_across_word_boundaries_agree_with_a_plain_split() {
        let line = b"2021-03-04 22:10:45 10.20.0.15 POST /ecp/y.js a=b&c=d 443 - 203.0.113.57 UA+x - 200 0 0 96";
        let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        for n in 0..parts.len() + 2 {
            for cut in [0, 1, 7, 8, 9, 33] {
                let l = &line[..line.len() - cut.min(line.len())];
                let want: Vec<&[u8]> = l.split(|&b| b == b' ').collect();
                let got = AddressColumn::Spaced(n).address(l);
                match want.get(n) {
                    Some(v) => assert_eq!(got, Addr::Value(v), "field {n}, cut {cut}"),
                    None => assert_eq!(got, Addr::Absent, "field {n}, cut {cut}"),
                }
            }
        }
        assert_eq!(
            eq_mask(u64::from_le_bytes(*b"a b  c d"), b' '),
            0x0080_0080_8000_8000
        );
    }

    #[test]
    fn csv_fields_and_quotes() {
        let c = AddressColumn::Csv(2);
        assert_eq!(c.address(b"a,b,1.2.3.4,d"), Addr::Value(b"1.2.3.4"));
        assert_eq!(c.address(b"a,b,1.2.3.4"), Addr::Value(b"1.2.3.4"));
        assert_eq!(c.address(b"a,b"), Addr::Absent);
        assert_eq!(c.address(b"a,\"b,c\",1.2.3.4"), Addr::Unsure);
        // a quote after the column does not matter
        assert_eq!(c.address(b"a,b,1.2.3.4,\"x,y\""), Addr::Value(b"1.2.3.4"));
        assert_eq!(AddressColumn::Absent.address(b"a,b,c"), Addr::Absent);
        assert_eq!(AddressColumn::Unsure.address(b"a,b,c"), Addr::Unsure);
    }
}
