//! The server a report is about: one `host` block (names, domain, addresses, OS, Exchange build),
//! each fact with the evidence it came from, and what could not be learnt.

use serde::Serialize;

/// A fact about the host and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub value: String,
    pub from: String,
}

impl Fact {
    pub fn new(value: impl Into<String>, from: impl Into<String>) -> Fact {
        Fact {
            value: value.into(),
            from: from.into(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct HostInfo {
    /// The name reports use (also every file-name prefix).
    pub name: String,
    /// Where the name came from.
    pub name_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<Fact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<Fact>,
    /// The server's own addresses as its logs show them (IIS `s-ip`).
    pub addresses: Vec<Fact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_build: Option<Fact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<Fact>,
    /// What is not known, and why (so that an empty field is never read as "none").
    pub not_known: Vec<String>,
}

/// The fully qualified name among `computers` (EVTX `Computer` values with their counts) whose
/// first label is `name`: the most frequent one.
pub fn fqdn_of<'a>(
    name: &str,
    computers: impl IntoIterator<Item = (&'a str, u64)>,
) -> Option<&'a str> {
    computers
        .into_iter()
        .filter(|(c, _)| {
            c.split_once('.')
                .is_some_and(|(first, rest)| first.eq_ignore_ascii_case(name) && !rest.is_empty())
        })
        .max_by_key(|(c, n)| (*n, std::cmp::Reverse(*c)))
        .map(|(c, _)| c)
}

/// Whether an address a log gives for the server is worth reporting (not loopback, not
/// unspecified, not a dash).
pub fn reportable_address(a: &str) -> bool {
    match a.trim().parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_loopback() && !ip.is_unspecified(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_matches_the_name_and_addresses_skip_loopback() {
        let c = [
            ("EX01.contoso.local", 5),
            ("ex01.other.local", 2),
            ("DC01.contoso.local", 9),
            ("EX01", 3),
        ];
        assert_eq!(fqdn_of("ex01", c), Some("EX01.contoso.local"));
        assert_eq!(fqdn_of("EX02", c), None);
        assert!(reportable_address("10.20.0.15") && reportable_address("2001:db8::1"));
        for no in ["127.0.0.1", "::1", "0.0.0.0", "-", "ex01"] {
            assert!(!reportable_address(no), "{no}");
        }
    }
}
