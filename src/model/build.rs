//! Exchange build numbers, compared as four integers.

use std::fmt;

/// A build such as `15.1.2106.2`; logs may zero-pad it (`15.01.2106.002`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Build(pub [u32; 4]);

impl Build {
    /// Parses four dot-separated integers (leading zeros allowed, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Build> {
        let mut out = [0u32; 4];
        let mut parts = s.trim().split('.');
        for slot in &mut out {
            let p = parts.next()?;
            if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *slot = p.parse().ok()?;
        }
        parts.next().is_none().then_some(Build(out))
    }

    pub fn major(self) -> u32 {
        self.0[0]
    }
    pub fn minor(self) -> u32 {
        self.0[1]
    }
    /// The third number: the same for a CU and all of its security updates.
    pub fn cu_number(self) -> u32 {
        self.0[2]
    }
    pub fn revision(self) -> u32 {
        self.0[3]
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares_numerically() {
        let a = Build::parse("15.01.2375.037").unwrap();
        assert_eq!(a.to_string(), "15.1.2375.37");
        assert!(Build::parse("15.1.2106.13").unwrap() > Build::parse("15.1.2106.2").unwrap());
        assert!(Build::parse("15.2.986.5").unwrap() < Build::parse("15.2.1118.7").unwrap());
        assert_eq!(Build::parse(" 15.1.2106.2 "), Build::parse("15.1.2106.2"));
        for bad in [
            "",
            "15.1.2106",
            "15.1.2106.2.1",
            "15.1.x.2",
            "15..2106.2",
            "15.1.2106.-2",
            "15.1.99999999999.2",
        ] {
            assert_eq!(Build::parse(bad), None, "{bad}");
        }
    }
}
