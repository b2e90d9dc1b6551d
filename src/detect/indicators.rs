//! Published indicators and stock-file lists, embedded from `rules/ioc/` and `rules/stock/`:
//! IP addresses (`ips.tsv`), user agents with a class (`user_agents.tsv`), and the stock file
//! names of the OWA and ECP `auth` folders. An IP or user-agent match alone is context, never
//! compromise (field guide §7).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const IPS_TSV: &str = crate::rules::IOC_IPS;
const UAS_TSV: &str = crate::rules::IOC_USER_AGENTS;
const OWA_AUTH: &str = crate::rules::STOCK_OWA_AUTH;
const ECP_AUTH: &str = crate::rules::STOCK_ECP_AUTH;

/// What a published user agent was seen doing (the `class` column of `user_agents.tsv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UaClass {
    /// A genuine crawler or browser string: meaningful only with a POST to `/owa/auth/Current/`.
    CrawlerWithPost,
    ExploitTool,
    WebshellClient,
    Scanner,
    /// A legitimate client, used to exclude hits (PowerShell remoting, health probes).
    Legitimate,
}

impl UaClass {
    pub fn parse(s: &str) -> Option<UaClass> {
        Some(match s.trim() {
            "crawler-with-post" => UaClass::CrawlerWithPost,
            "exploit-tool" => UaClass::ExploitTool,
            "webshell-client" => UaClass::WebshellClient,
            "scanner" => UaClass::Scanner,
            "legitimate" => UaClass::Legitimate,
            _ => return None,
        })
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`UaClass`]es.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UaClasses(u8);

impl UaClasses {
    pub fn contains(self, c: UaClass) -> bool {
        self.0 & c.bit() != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// One published address.
#[derive(Clone, Debug)]
pub struct IpIndicator {
    pub sources: Vec<String>,
    pub note: String,
}

struct UaIndicator {
    /// Normalised published string (without a trailing `x` version wildcard).
    pattern: String,
    class: UaClass,
    source: String,
}

/// Every indicator list, parsed once.
pub struct Indicators {
    ips: HashMap<String, IpIndicator>,
    uas: Vec<UaIndicator>,
    owa_auth: HashSet<String>,
    ecp_auth: HashSet<String>,
}

/// The embedded lists.
pub static INDICATORS: LazyLock<Indicators> = LazyLock::new(|| {
    Indicators::parse(IPS_TSV, UAS_TSV, OWA_AUTH, ECP_AUTH)
        .unwrap_or_else(|e| panic!("embedded indicator files are invalid: {e}"))
});

pub use crate::sources::request::normalize_ua;

/// An address as a lookup key: trimmed, lowercase, IPv4-mapped IPv6 unwrapped.
pub fn ip_key(ip: &str) -> String {
    let t = ip
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    match t.strip_prefix("::ffff:") {
        Some(v4) if v4.contains('.') => v4.to_string(),
        _ => t,
    }
}

/// A set of addresses compared as [`ip_key`]s: the published ones, `--ioc` ones, or both.
#[derive(Clone, Debug, Default)]
pub struct AddressSet {
    keys: HashSet<String>,
    /// One bit per first two octets of the IPv4 keys: most addresses a scan looks up are
    /// rejected here, without hashing (asked for every line of every web log).
    v4_prefixes: Vec<u64>,
}

/// The first two octets of a bare dotted IPv4 address (`a.b.…`), if `ip` starts like one.
fn v4_prefix(ip: &[u8]) -> Option<usize> {
    let mut parts = ip.splitn(3, |&b| b == b'.');
    let mut octet = || -> Option<usize> {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = p
            .iter()
            .fold(0usize, |a, &d| a * 10 + usize::from(d - b'0'));
        (v < 256).then_some(v)
    };
    Some(octet()? << 8 | octet()?)
}

impl AddressSet {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Adds every address of `other`.
    pub fn extend(&mut self, other: &AddressSet) {
        *self = self.keys.iter().chain(&other.keys).collect();
    }

    /// Whether `ip` (as logged: untrimmed, maybe bracketed or IPv4-mapped) is in the set.
    pub fn holds(&self, ip: &[u8]) -> bool {
        if self.keys.is_empty() {
            return false;
        }
        // The common shape, a bare IPv4 address, is its own key: no allocation.
        if !ip.is_empty() && ip.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
            if let Some(p) = v4_prefix(ip)
                && self
                    .v4_prefixes
                    .get(p / 64)
                    .is_none_or(|w| w & (1 << (p % 64)) == 0)
            {
                return false;
            }
            return std::str::from_utf8(ip).is_ok_and(|s| self.keys.contains(s));
        }
        let key = ip_key(&String::from_utf8_lossy(ip));
        !key.is_empty() && self.keys.contains(&key)
    }
}

impl<S: AsRef<str>> FromIterator<S> for AddressSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let keys: HashSet<String> = iter
            .into_iter()
            .map(|s| ip_key(s.as_ref()))
            .filter(|k| !k.is_empty())
            .collect();
        let mut v4_prefixes = vec![0u64; 65536 / 64];
        for p in keys.iter().filter_map(|k| v4_prefix(k.as_bytes())) {
            v4_prefixes[p / 64] |= 1 << (p % 64);
        }
        AddressSet { keys, v4_prefixes }
    }
}

/// True for addresses that are not reachable from the internet (RFC 1918, loopback,
/// link-local, CGNAT, unique-local IPv6). Unparsable text is not public either.
pub fn is_public_ip(ip: &str) -> bool {
    match ip_key(ip).parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => {
            let o = a.octets();
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        Ok(std::net::IpAddr::V6(a)) => {
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_unique_local()
                || a.is_unicast_link_local())
        }
        Err(_) => false,
    }
}

/// Data rows of a TSV file: `#` comments and blank lines skipped, the header checked.
fn rows<'a>(text: &'a str, header: &str) -> Result<Vec<Vec<&'a str>>, String> {
    let mut lines = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some(h) if h == header => {}
        other => return Err(format!("expected header {header:?}, found {other:?}")),
    }
    let n = header.split('\t').count();
    lines
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            if cols.len() == n && !cols[0].trim().is_empty() {
                Ok(cols)
            } else {
                Err(format!("row {l:?}: expected {n} tab-separated columns"))
            }
        })
        .collect()
}

fn names(text: &str) -> HashSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_ascii_lowercase)
        .collect()
}

impl Indicators {
    pub fn parse(ips: &str, uas: &str, owa_auth: &str, ecp_auth: &str) -> Result<Self, String> {
        let mut ip_map: HashMap<String, IpIndicator> = HashMap::new();
        for r in rows(ips, "ip\tsource\tnote").map_err(|e| format!("ips.tsv: {e}"))? {
            let key = ip_key(r[0]);
            if key.parse::<std::net::IpAddr>().is_err() {
                return Err(format!("ips.tsv: {:?} is not an IP address", r[0]));
            }
            let e = ip_map.entry(key).or_insert_with(|| IpIndicator {
                sources: Vec::new(),
                note: r[2].trim().to_string(),
            });
            e.sources.push(r[1].trim().to_string());
        }
        let mut ua_list = Vec::new();
        for r in rows(uas, "user_agent\tcontext\tclass\tsource")
            .map_err(|e| format!("user_agents.tsv: {e}"))?
        {
            let class = UaClass::parse(r[2])
                .ok_or_else(|| format!("user_agents.tsv: unknown class {:?}", r[2]))?;
            let mut pattern = normalize_ua(r[0]);
            // `zgrab/0.x`: the `x` stands for any version
            if pattern.ends_with(".x") {
                pattern.pop();
            }
            ua_list.push(UaIndicator {
                pattern,
                class,
                source: r[3].trim().to_string(),
            });
        }
        Ok(Indicators {
            ips: ip_map,
            uas: ua_list,
            owa_auth: names(owa_auth),
            ecp_auth: names(ecp_auth),
        })
    }

    /// The published entry for an address.
    pub fn ip(&self, ip: &str) -> Option<&IpIndicator> {
        if !ip.is_empty() && ip.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return self.ips.get(ip); // a bare IPv4 address is its own key
        }
        self.ips.get(&ip_key(ip))
    }

    /// Every published address.
    pub fn ip_list(&self) -> impl Iterator<Item = &str> {
        self.ips.keys().map(String::as_str)
    }

    /// Every published address, as a set.
    pub fn addresses(&self) -> AddressSet {
        self.ip_list().collect()
    }

    /// The classes of the published user agents a (normalised) user agent matches. A published
    /// string matches the start of the observed one (published strings are sometimes cut, e.g.
    /// Googlebot without its closing bracket); legitimate clients match anywhere in it.
    pub fn ua_classes(&self, ua_norm: &str) -> UaClasses {
        let mut set = 0u8;
        if ua_norm.is_empty() {
            return UaClasses(0);
        }
        for u in &self.uas {
            let hit = if u.class == UaClass::Legitimate {
                ua_norm.contains(&u.pattern)
            } else {
                ua_norm.starts_with(&u.pattern)
            };
            if hit {
                set |= u.class.bit();
            }
        }
        UaClasses(set)
    }

    /// Sources of the published user agents of class `class` that `ua_norm` matches.
    pub fn ua_sources(&self, ua_norm: &str, class: UaClass) -> Vec<&str> {
        self.uas
            .iter()
            .filter(|u| u.class == class && ua_norm.starts_with(&u.pattern))
            .map(|u| u.source.as_str())
            .collect()
    }

    /// Whether `file_name` is a stock name of the list (`owa_auth` or `ecp_auth`).
    pub fn is_stock(&self, list: StockList, file_name: &str) -> bool {
        let set = match list {
            StockList::OwaAuth => &self.owa_auth,
            StockList::EcpAuth => &self.ecp_auth,
        };
        set.contains(&file_name.to_ascii_lowercase())
    }
}

/// The stock-name lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockList {
    OwaAuth,
    EcpAuth,
}

impl StockList {
    pub fn parse(s: &str) -> Option<StockList> {
        match s {
            "owa_auth" => Some(StockList::OwaAuth),
            "ecp_auth" => Some(StockList::EcpAuth),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lists_load() {
        let i = &*INDICATORS;
        assert!(i.ip("103.77.192.219").is_some());
        assert!(i.ip("::ffff:5.2.69.14").is_some());
        assert!(i.ip("203.0.113.57").is_none());
        assert!(i.is_stock(StockList::OwaAuth, "LOGON.ASPX"));
        assert!(!i.is_stock(StockList::OwaAuth, "logon1.aspx"));
        assert!(i.is_stock(StockList::EcpAuth, "TimeoutLogout.aspx"));
        assert!(i.ip_list().count() > 40);
    }

    #[test]
    fn user_agents_match_after_normalisation() {
        let i = &*INDICATORS;
        // IIS form and HttpProxy form of the same crawler string
        let iis = normalize_ua("Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots)");
        let hp = normalize_ua("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)");
        assert_eq!(iis, hp);
        assert!(i.ua_classes(&iis).contains(UaClass::CrawlerWithPost));
        // published without its closing bracket
        let g = normalize_ua(
            "Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html)",
        );
        assert!(i.ua_classes(&g).contains(UaClass::CrawlerWithPost));
        let b = normalize_ua(
            "Mozilla/5.0+(compatible;+Baiduspider/2.0;++http://www.baidu.com/search/spider.html)",
        );
        let c = i.ua_classes(&b);
        assert!(c.contains(UaClass::CrawlerWithPost) && c.contains(UaClass::WebshellClient));
        assert!(
            i.ua_classes("antsword/v2.1")
                .contains(UaClass::WebshellClient)
        );
        assert!(
            i.ua_classes("mozilla/5.0 zgrab/0.1")
                .contains(UaClass::Scanner)
        );
        assert!(
            i.ua_classes(&normalize_ua("Microsoft WinRM Client"))
                .contains(UaClass::Legitimate)
        );
        let chrome = normalize_ua(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML  like Gecko) Chrome/105.0.5195.54 Safari/537.36",
        );
        assert!(
            i.ua_classes(&chrome).contains(UaClass::ExploitTool),
            "HttpProxy comma form"
        );
        assert!(i.ua_classes("python-requests/2.31.0").is_empty());
        assert!(i.ua_classes("").is_empty());
        assert_eq!(normalize_ua("  A,+B  \t c "), "a b c");
    }

    #[test]
    fn address_sets_match_addresses_as_logged() {
        let set: AddressSet = ["103.77.192.219", "2001:DB8::1", " 192.0.2.7 "]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 3);
        for yes in [
            "103.77.192.219",
            " 103.77.192.219",
            "::ffff:103.77.192.219",
            "[2001:db8::1]",
            "192.0.2.7",
        ] {
            assert!(set.holds(yes.as_bytes()), "{yes}");
        }
        // same first two octets (passes the bitmap), other address; longer; prefix; junk
        for no in [
            "103.77.192.21",
            "103.77.192.2190",
            "103.77.1.1",
            "10.0.0.1",
            "",
            "-",
            "1.2",
            "\u{fffd}1.2.3.4",
        ] {
            assert!(!set.holds(no.as_bytes()), "{no}");
        }
        assert!(!AddressSet::default().holds(b"103.77.192.219"));
        let mut both = INDICATORS.addresses();
        both.extend(&set);
        assert!(both.holds(b"192.0.2.7") && both.holds(b"5.2.69.14"));
    }

    #[test]
    fn public_and_private_addresses() {
        for ip in [
            "203.0.113.57",
            "8.8.8.8",
            "2001:db8::1",
            "::ffff:198.51.100.2",
        ] {
            assert!(is_public_ip(ip), "{ip}");
        }
        for ip in [
            "10.0.2.17",
            "192.168.1.1",
            "172.20.0.1",
            "127.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "100.64.0.1",
            "169.254.1.1",
            "-",
            "",
            "not-an-ip",
            "::ffff:10.1.1.1",
        ] {
            assert!(!is_public_ip(ip), "{ip}");
        }
    }

    #[test]
    fn malformed_lists_are_rejected() {
        assert!(
            Indicators::parse(
                "ip\tsource\tnote\nnot-ip\tX\ty\n",
                "user_agent\tcontext\tclass\tsource\n",
                "",
                ""
            )
            .is_err()
        );
        assert!(
            Indicators::parse(
                "ip\tsource\tnote\n1.2.3.4\tX\n",
                "user_agent\tcontext\tclass\tsource\n",
                "",
                ""
            )
            .is_err()
        );
        assert!(
            Indicators::parse(
                "ip\tsource\tnote\n",
                "user_agent\tcontext\tclass\tsource\nua\tc\tbogus\ts\n",
                "",
                ""
            )
            .is_err()
        );
        assert!(
            Indicators::parse(
                "wrong header\n",
                "user_agent\tcontext\tclass\tsource\n",
                "",
                ""
            )
            .is_err()
        );
    }
}
