//! Exchange build numbers, compared as four integers.

use serde::Serialize;
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

/// `yes`, `no` or `unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Patched {
    Yes,
    No,
    Unknown,
}

impl Patched {
    pub fn as_str(self) -> &'static str {
        match self {
            Patched::Yes => "yes",
            Patched::No => "no",
            Patched::Unknown => "unknown",
        }
    }
}

/// The builds seen in the logs, judged.
#[derive(Clone, Debug, Serialize)]
pub struct BuildAssessment {
    pub earliest: String,
    pub latest: String,
    /// The CU of the latest build, when the table knows it.
    pub latest_cu: Option<String>,
    /// The latest build against each chain's fix.
    pub chains: Vec<ChainAssessment>,
    /// Values of `builds_seen` that are not builds.
    pub unparsed: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChainAssessment {
    pub chain: &'static str,
    pub update: &'static str,
    pub cves: &'static [&'static str],
    pub latest_patched: Patched,
    pub fixed_build: Option<String>,
    pub note: String,
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

/// A family of flaws fixed by one security update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chain {
    ProxyLogon,
    ProxyShell,
    ProxyShell31207,
    ProxyNotShell,
}

impl Chain {
    pub const ALL: [Chain; 4] = [
        Chain::ProxyLogon,
        Chain::ProxyShell,
        Chain::ProxyShell31207,
        Chain::ProxyNotShell,
    ];

    pub(crate) fn column(self) -> &'static str {
        match self {
            Chain::ProxyLogon => "proxylogon",
            Chain::ProxyShell => "proxyshell",
            Chain::ProxyShell31207 => "proxyshell_31207",
            Chain::ProxyNotShell => "proxynotshell",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Chain::ProxyLogon => "ProxyLogon",
            Chain::ProxyShell => "ProxyShell",
            Chain::ProxyShell31207 => "ProxyShell (CVE-2021-31207)",
            Chain::ProxyNotShell => "ProxyNotShell/OWASSRF",
        }
    }

    pub fn update(self) -> &'static str {
        match self {
            Chain::ProxyLogon => "March 2021 SU",
            Chain::ProxyShell => "April 2021 SU",
            Chain::ProxyShell31207 => "May 2021 SU",
            Chain::ProxyNotShell => "November 2022 SU",
        }
    }

    pub fn cves(self) -> &'static [&'static str] {
        match self {
            Chain::ProxyLogon => &[
                "CVE-2021-26855",
                "CVE-2021-26857",
                "CVE-2021-26858",
                "CVE-2021-27065",
            ],
            Chain::ProxyShell => &["CVE-2021-34473", "CVE-2021-34523"],
            Chain::ProxyShell31207 => &["CVE-2021-31207"],
            Chain::ProxyNotShell => &["CVE-2022-41040", "CVE-2022-41082", "CVE-2022-41080"],
        }
    }
}

/// The chain whose update fixes `cve` (`CVE-2021-26855` or `cve-2021-26855`).
pub fn chain_of(cve: &str) -> Option<Chain> {
    Chain::ALL
        .into_iter()
        .find(|c| c.cves().iter().any(|x| x.eq_ignore_ascii_case(cve.trim())))
}
