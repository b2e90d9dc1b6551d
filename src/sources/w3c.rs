//! IIS W3C extended logs (`inetpub\logs\LogFiles\W3SVC<n>\u_ex<yymmdd>.log`).
//!
//! Space-separated values bound by name from the `#Fields:` directive, which may change
//! mid-file (each one re-binds the columns); other `#` lines and blank lines are skipped by the
//! caller. Spaces inside values are written as `+`, an empty value as `-`. The `?` of the URL is
//! not logged: stem and query are separate, and Exchange appends
//! `&CorrelationID=<empty>;&cafeReqId=<guid>;` (plus `&encoding=;`, or a `&RequestId=` form) to
//! the query of its own virtual directories; [`W3cRecord::query`] is the query without that
//! suffix, [`W3cRecord::exchange_suffix`] the suffix itself.

use std::borrow::Cow;
use std::path::Path;

/// The columns the checks use by role; any other stays reachable by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum F {
    Date,
    Time,
    SiteName,
    ComputerName,
    ServerIp,
    Method,
    UriStem,
    UriQuery,
    ServerPort,
    Username,
    ClientIp,
    UserAgent,
    Cookie,
    Referer,
    Host,
    Status,
    Substatus,
    Win32Status,
    TimeTaken,
}

const NAMES: [(F, &str); 19] = [
    (F::Date, "date"),
    (F::Time, "time"),
    (F::SiteName, "s-sitename"),
    (F::ComputerName, "s-computername"),
    (F::ServerIp, "s-ip"),
    (F::Method, "cs-method"),
    (F::UriStem, "cs-uri-stem"),
    (F::UriQuery, "cs-uri-query"),
    (F::ServerPort, "s-port"),
    (F::Username, "cs-username"),
    (F::ClientIp, "c-ip"),
    (F::UserAgent, "cs(User-Agent)"),
    (F::Cookie, "cs(Cookie)"),
    (F::Referer, "cs(Referer)"),
    (F::Host, "cs-host"),
    (F::Status, "sc-status"),
    (F::Substatus, "sc-substatus"),
    (F::Win32Status, "sc-win32-status"),
    (F::TimeTaken, "time-taken"),
];

/// The 15 fields IIS logs by default (field guide §2.2), used until a `#Fields:` line is seen.
pub const DEFAULT_FIELDS: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

/// Column positions bound from a `#Fields:` directive.
#[derive(Clone, Debug)]
pub struct Fields {
    names: Vec<String>,
    known: [Option<usize>; NAMES.len()],
}

impl Fields {
    /// True for a `#Fields:` directive (any case, optional BOM).
    pub fn is_fields_line(line: &[u8]) -> bool {
        let l = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        l.len() >= 8 && l[..8].eq_ignore_ascii_case(b"#Fields:")
    }

    /// Parses a `#Fields:` directive; `None` for anything else or an empty field list.
    pub fn parse(line: &[u8]) -> Option<Fields> {
        if !Self::is_fields_line(line) {
            return None;
        }
        let l = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        let names: Vec<String> = String::from_utf8_lossy(&l[8..])
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect();
        if names.is_empty() {
            return None;
        }
        let mut known = [None; NAMES.len()];
        for (i, (_, n)) in NAMES.iter().enumerate() {
            known[i] = names.iter().position(|x| x.eq_ignore_ascii_case(n));
        }
        Some(Fields { names, known })
    }

    /// The default IIS field list.
    pub fn default_iis() -> Fields {
        Fields::parse(DEFAULT_FIELDS.as_bytes()).expect("valid default fields")
    }

    pub fn col(&self, f: F) -> Option<usize> {
        self.known[NAMES
            .iter()
            .position(|(k, _)| *k == f)
            .expect("every F is listed")]
    }

    /// Where lines bound to these fields keep `c-ip`: counted from the left, as
    /// [`W3cRecord::parse`] binds it, unless it comes after the user agent (whose stray spaces
    /// the parser absorbs from the right).
    pub fn address_column(&self) -> super::address::AddressColumn {
        use super::address::AddressColumn;
        match (self.col(F::ClientIp), self.col(F::UserAgent)) {
            (None, _) => AddressColumn::Absent,
            (Some(ip), Some(ua)) if ua < ip => AddressColumn::Unsure,
            (Some(ip), _) => AddressColumn::Spaced(ip),
        }
    }

    /// A column by any name, case-insensitively.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|x| x.eq_ignore_ascii_case(name))
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// How well a data line fit its `#Fields`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    Exact,
    /// More values than fields, recovered by taking the extra spaces as part of the user agent
    /// (leading columns bound from the left, trailing ones from the right).
    Recovered,
    /// Fewer values than fields (a cut line), or more with no user-agent column to absorb them:
    /// the columns that could not be bound are unavailable.
    Malformed,
}

/// One parsed W3C data line. Values borrow from the line when it is valid UTF-8.
pub struct W3cRecord<'a> {
    pub fields: &'a Fields,
    text: Cow<'a, str>,
    /// Byte range of each bound column in `text` (`None` when unavailable).
    spans: Vec<Option<(usize, usize)>>,
    pub fit: Fit,
    /// The IIS site the file belongs to (`W3SVC1`), empty when unknown.
    pub site: &'a str,
    /// End of the query proper within the query value (the Exchange suffix starts there).
    query_cut: usize,
}

impl<'a> W3cRecord<'a> {
    /// Parses one data line (no terminator). Never fails: a line that does not fit is marked
    /// [`Fit::Malformed`] and keeps what could be bound.
    pub fn parse(fields: &'a Fields, line: &'a [u8], site: &'a str) -> W3cRecord<'a> {
        let text = String::from_utf8_lossy(line);
        let mut tokens: Vec<(usize, usize)> = Vec::with_capacity(fields.len() + 2);
        let mut start = 0usize;
        for (i, b) in text.bytes().enumerate() {
            if b == b' ' {
                tokens.push((start, i));
                start = i + 1;
            }
        }
        tokens.push((start, text.len()));
        let n = fields.len();
        let ua = fields.col(F::UserAgent);
        let (spans, fit): (Vec<Option<(usize, usize)>>, Fit) = match tokens.len().cmp(&n) {
            std::cmp::Ordering::Equal => (tokens.into_iter().map(Some).collect(), Fit::Exact),
            std::cmp::Ordering::Less => {
                let mut s: Vec<_> = tokens.into_iter().map(Some).collect();
                s.resize(n, None);
                (s, Fit::Malformed)
            }
            std::cmp::Ordering::Greater => match ua {
                Some(u) => {
                    let extra = tokens.len() - n;
                    let mut s = Vec::with_capacity(n);
                    s.extend(tokens[..u].iter().copied().map(Some));
                    s.push(Some((tokens[u].0, tokens[u + extra].1)));
                    s.extend(tokens[u + extra + 1..].iter().copied().map(Some));
                    (s, Fit::Recovered)
                }
                None => {
                    let mut s: Vec<_> = tokens.into_iter().map(Some).collect();
                    s.truncate(n);
                    (s, Fit::Malformed)
                }
            },
        };
        let mut rec = W3cRecord {
            fields,
            text,
            spans,
            fit,
            site,
            query_cut: 0,
        };
        let q = rec.value(F::UriQuery);
        rec.query_cut = split_exchange_suffix(q).0.len();
        rec
    }

    fn at(&self, i: usize) -> Option<&str> {
        let (s, e) = (*self.spans.get(i)?)?;
        self.text.get(s..e)
    }

    /// A column as logged (`-` included); `None` when the file has no such column or the line is short.
    pub fn raw(&self, f: F) -> Option<&str> {
        self.at(self.fields.col(f)?)
    }

    /// A column's value: `-` and unavailable read as empty.
    pub fn value(&self, f: F) -> &str {
        match self.raw(f) {
            Some("-") | None => "",
            Some(v) => v,
        }
    }

    /// A column by any name (`-` reads as empty).
    pub fn get_named(&self, name: &str) -> Option<&str> {
        self.at(self.fields.index(name)?)
            .map(|v| if v == "-" { "" } else { v })
    }

    /// The whole line as text (lossy UTF-8).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn stem(&self) -> &str {
        self.value(F::UriStem)
    }

    /// The query without Exchange's `&CorrelationID=…;&cafeReqId=…;` suffix (empty for `-`).
    pub fn query(&self) -> &str {
        &self.value(F::UriQuery)[..self.query_cut]
    }

    /// Exchange's suffix, split off the query (empty when there is none).
    pub fn exchange_suffix(&self) -> &str {
        &self.value(F::UriQuery)[self.query_cut..]
    }

    /// `stem?query` (query without Exchange's suffix), or the stem alone when there is no query.
    pub fn url(&self) -> String {
        let q = self.query();
        if q.is_empty() {
            self.stem().to_string()
        } else {
            format!("{}?{}", self.stem(), q)
        }
    }

    /// The user agent with `+` decoded to spaces (empty for `-`).
    pub fn user_agent(&self) -> String {
        self.value(F::UserAgent).replace('+', " ")
    }

    /// `date time` as one string, for timestamps (empty when neither is logged).
    pub fn date_time(&self) -> String {
        let (d, t) = (self.value(F::Date), self.value(F::Time));
        match (d.is_empty(), t.is_empty()) {
            (false, false) => format!("{d} {t}"),
            (false, true) => d.to_string(),
            _ => String::new(),
        }
    }
}

/// Keys of the pieces Exchange appends to the query of its virtual directories.
const SUFFIX_KEYS: [&str; 4] = ["correlationid=", "cafereqid=", "requestid=", "encoding="];

/// Bytes a suffix piece's value may hold (GUIDs, `<empty>;`, `{…}`): a table, as this runs on
/// every parsed IIS line.
const SUFFIX_VALUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'<' | b'>' | b';' | b':' | b'.' | b'_' | b'-' | b'{' | b'}'
            );
        i += 1;
    }
    t
};

fn is_suffix_piece(p: &str) -> bool {
    // Bytes, not string slices: a hostile query may hold multi-byte characters anywhere
    // (found by the w3c_record fuzz target).
    let b = p.as_bytes();
    SUFFIX_KEYS.iter().any(|k| {
        b.len() >= k.len()
            && b[..k.len()].eq_ignore_ascii_case(k.as_bytes())
            && b[k.len()..].iter().all(|&c| SUFFIX_VALUE[usize::from(c)])
    })
}

/// Splits Exchange's trailing `&CorrelationID=…;&cafeReqId=…;[&encoding=;]` (or `&RequestId=…`)
/// pieces off a query: `(query, suffix)`. Only a trailing run of such pieces with plain values
/// (GUIDs, `<empty>;`) is split, so a payload cannot hide behind one.
pub fn split_exchange_suffix(q: &str) -> (&str, &str) {
    let mut cut = q.len();
    while cut > 0 {
        let amp = q[..cut].rfind('&');
        let start = amp.map_or(0, |i| i + 1);
        if !is_suffix_piece(&q[start..cut]) {
            break;
        }
        cut = amp.unwrap_or(0);
    }
    q.split_at(cut)
}

/// Decodes `%XX` escapes (invalid ones are kept as they are), repeatedly, at most `rounds`
/// times, stopping as soon as a round changes nothing: `%2540` becomes `@` in two rounds.
pub fn url_decode(s: &str, rounds: usize) -> String {
    let mut cur = s.to_string();
    for _ in 0..rounds {
        if !cur.contains('%') {
            break;
        }
        let b = cur.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%'
                && i + 2 < b.len()
                && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
            {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
            out.push(b[i]);
            i += 1;
        }
        let next = String::from_utf8_lossy(&out).into_owned();
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The IIS site of a file: the folder in its coverage label (`IIS/W3SVC1`), else the name of
/// the folder holding it when that is a `W3SVC<n>` folder, else empty.
pub fn site_of(label: &str, path: &Path) -> String {
    if let Some(s) = label.strip_prefix("IIS/")
        && s.to_ascii_uppercase().starts_with("W3SVC")
    {
        return s.to_ascii_uppercase();
    }
    path.parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().to_ascii_uppercase())
        .filter(|n| n.starts_with("W3SVC"))
        .unwrap_or_default()
}

/// Where a site sits in Exchange: `W3SVC1` is the front end (Default Web Site), `W3SVC2` the
/// back end (Exchange Back End); other sites are not known.
pub fn site_role(site: &str) -> &'static str {
    match site {
        "W3SVC1" => "front end",
        "W3SVC2" => "back end",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "2021-02-11 04:27:19 10.20.0.15 POST /owa/auth/Current/themes/resources/logon.css &CorrelationID=<empty>;&cafeReqId=0b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab; 443 - 203.0.113.57 Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots) - 200 0 0 311";

    #[test]
    fn binds_default_fields_and_decodes_values() {
        let f = Fields::default_iis();
        let r = W3cRecord::parse(&f, LINE.as_bytes(), "W3SVC1");
        assert_eq!(r.fit, Fit::Exact);
        assert_eq!(r.value(F::Method), "POST");
        assert_eq!(r.stem(), "/owa/auth/Current/themes/resources/logon.css");
        assert_eq!(r.query(), "");
        assert!(r.exchange_suffix().starts_with("&CorrelationID=<empty>;"));
        assert_eq!(r.value(F::Username), "");
        assert_eq!(r.raw(F::Username), Some("-"));
        assert_eq!(r.value(F::ClientIp), "203.0.113.57");
        assert_eq!(
            r.user_agent(),
            "Mozilla/5.0 (compatible; YandexBot/3.0;  http://yandex.com/bots)"
        );
        assert_eq!(r.value(F::Status), "200");
        assert_eq!(r.date_time(), "2021-02-11 04:27:19");
        assert_eq!(r.get_named("CS(REFERER)"), Some(""));
        assert_eq!(r.raw(F::Cookie), None, "not logged by default");
        assert_eq!(r.url(), "/owa/auth/Current/themes/resources/logon.css");
    }

    #[test]
    fn fields_rebind_by_name() {
        let f = Fields::parse(b"#Fields: time c-ip cs-method cs-uri-stem sc-status date").unwrap();
        let r = W3cRecord::parse(&f, b"04:00:00 203.0.113.5 GET /ecp/x.js 200 2021-03-01", "");
        assert_eq!(r.value(F::Date), "2021-03-01");
        assert_eq!(r.date_time(), "2021-03-01 04:00:00");
        assert_eq!(r.value(F::UriQuery), "");
        assert_eq!(r.raw(F::UriQuery), None);
        assert!(
            Fields::parse(b"#Software: Microsoft Internet Information Services 10.0").is_none()
        );
        assert!(Fields::parse(b"#Fields:   ").is_none());
        assert!(Fields::is_fields_line(b"#FIELDS: date"));
    }

    #[test]
    fn extra_spaces_go_to_the_user_agent_and_short_lines_are_malformed() {
        let f = Fields::default_iis();
        let r = W3cRecord::parse(
            &f,
            b"2021-03-04 22:11:02 10.20.0.15 POST /aspnet_client/a.aspx - 443 - 203.0.113.88 bad agent with spaces - 200 0 0 143",
            "",
        );
        assert_eq!(r.fit, Fit::Recovered);
        assert_eq!(r.user_agent(), "bad agent with spaces");
        assert_eq!(r.value(F::Status), "200");
        assert_eq!(r.value(F::TimeTaken), "143");
        let r = W3cRecord::parse(&f, b"2021-03-04 22:11:02 10.20.0.15 POST /aspnet_cl", "");
        assert_eq!(r.fit, Fit::Malformed);
        assert_eq!(r.stem(), "/aspnet_cl");
        assert_eq!(r.value(F::Status), "");
        let r = W3cRecord::parse(&f, b"", "");
        assert_eq!(r.fit, Fit::Malformed);
        let r = W3cRecord::parse(&f, b"\xff\xfe binary \x00 junk", "");
        assert_eq!(r.fit, Fit::Malformed);
    }

    #[test]
    fn exchange_suffix_is_split_off_only_at_the_end() {
        let s = |q| split_exchange_suffix(q);
        assert_eq!(
            s("&CorrelationID=<empty>;&cafeReqId=6e1d4a7b-2c90-4f3e-b5d8-19a0c7e4f265;"),
            (
                "",
                "&CorrelationID=<empty>;&cafeReqId=6e1d4a7b-2c90-4f3e-b5d8-19a0c7e4f265;"
            )
        );
        assert_eq!(
            s("&CorrelationID=<empty>;&cafeReqId=c4a9e2d0-5b17-4e8c-a3f6-7d02b9e1c548;&encoding=;")
                .0,
            ""
        );
        let q = "@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example&CorrelationID=<empty>;&cafeReqId=8f3b1d6e-0a2c-47d9-9e5b-c61f04a3d2b7;";
        assert_eq!(
            s(q).0,
            "@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example"
        );
        assert_eq!(s("action=GetItem&RequestId=3f2a;").0, "action=GetItem");
        assert_eq!(
            s("proxy&port=3389&ip=127.0.0.1"),
            ("proxy&port=3389&ip=127.0.0.1", "")
        );
        // a payload in a look-alike key is not a suffix
        assert_eq!(s("&RequestId=/powershell@x").0, "&RequestId=/powershell@x");
        assert_eq!(s("CorrelationID=<empty>;"), ("", "CorrelationID=<empty>;"));
        assert_eq!(s(""), ("", ""));
    }

    #[test]
    fn url_decoding_is_repeated_and_bounded() {
        assert_eq!(url_decode("a%40b", 3), "a@b");
        assert_eq!(url_decode("a%2540b", 3), "a@b");
        assert_eq!(url_decode("a%252540b", 2), "a%40b");
        assert_eq!(url_decode("%7", 3), "%7");
        assert_eq!(url_decode("100%", 3), "100%");
        assert_eq!(url_decode("%zz%41", 3), "%zzA");
        assert_eq!(url_decode("%ff", 3), "\u{fffd}");
    }

    #[test]
    fn site_from_label_or_folder() {
        assert_eq!(site_of("IIS/W3SVC2", Path::new("x/u_ex.log")), "W3SVC2");
        assert_eq!(
            site_of("IIS/(loose)", Path::new("/c/w3svc1/u_ex.log")),
            "W3SVC1"
        );
        assert_eq!(site_of("IIS/(loose)", Path::new("/c/logs/u_ex.log")), "");
        assert_eq!(site_role("W3SVC2"), "back end");
    }

    /// The real Tunna sample (EVTX-ATTACK-SAMPLES): every data line parses, none is lost.
    #[test]
    fn real_tunna_sample_parses_without_loss() {
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/public/iis/tunna-webshell-tunnel-u_ex.log"
        ))
        .unwrap();
        let mut fields = Fields::default_iis();
        let (mut records, mut malformed, mut rebinds) = (0, 0, 0);
        for line in data.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(f) = Fields::parse(line) {
                fields = f;
                rebinds += 1;
                continue;
            }
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let r = W3cRecord::parse(&fields, line, "");
            records += 1;
            if r.fit != Fit::Exact {
                malformed += 1;
            }
            assert_eq!(r.stem(), "/erp/conn.aspx");
        }
        assert_eq!((records, malformed, rebinds), (4298, 0, 2));
    }
}
