//! The one reader of text logs. Each line of an HttpProxy, IIS W3C, ECP server, OAB generator or
//! other text log goes through [`TextReader::line`], which consumes headers and directives (an
//! HttpProxy header line or an IIS `#Fields:` directive rebinds the columns of the lines after
//! it, as often as a file holds one), skips comments and blank lines, and strips a byte-order
//! mark; [`TextReader::parse`] then parses a data line by the file's current columns. The log
//! checks (`scan::read`) and the pivot sweep (`timeline::sweep`) are its two consumers, so each
//! format has one parser and one set of header rules.

use super::address::AddressColumn;
use super::record::Record;
use super::{SourceFile, SourceKind, ecp, httpproxy, w3c};

/// What a line of a text log is, once the reader has seen it.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'t> {
    /// A header: consumed, it binds the columns of the lines after it. `plain` for an HttpProxy
    /// header written without `#Fields:` (Exchange repeats it in the middle of files).
    Header { plain: bool },
    /// A comment, another directive, or a blank line.
    Skip,
    /// A data line, without its byte-order mark.
    Data(&'t [u8]),
}

/// A data line parsed by its file's format.
pub enum Parsed<'a> {
    HttpProxy(httpproxy::Record<'a>),
    /// An IIS line; one that does not fit its `#Fields` says so in its `fit`.
    Iis(w3c::W3cRecord<'a>),
    Ecp(ecp::EcpRecord),
    /// An OAB generator or ECP activity line, or a line of an unrecognised text file.
    Text(&'a [u8]),
    /// Not a record of its format, and why (for the coverage problems).
    Malformed(&'static str),
}

impl Parsed<'_> {
    /// The record the checks and the sweep take (none for a malformed line).
    pub fn record(&self) -> Option<Record<'_>> {
        Some(match self {
            Parsed::HttpProxy(r) => Record::HttpProxy(r),
            Parsed::Iis(r) => Record::Iis(r),
            Parsed::Ecp(r) => Record::Ecp(r),
            Parsed::Text(t) => Record::TextLine(t),
            Parsed::Malformed(_) => return None,
        })
    }
}

/// The columns in force in one text file, as its headers set them.
pub struct TextReader {
    kind: SourceKind,
    /// HttpProxy: Exchange 2016's columns until a header says otherwise.
    hp: httpproxy::Header,
    /// IIS: the default fields until a `#Fields:` says otherwise.
    iis: w3c::Fields,
    /// IIS: the site of the file (`W3SVC1`...), empty when unknown.
    site: String,
}

/// The kinds [`TextReader`] reads.
pub fn reads(kind: SourceKind) -> bool {
    matches!(
        kind,
        SourceKind::HttpProxy
            | SourceKind::IisW3c
            | SourceKind::EcpServer
            | SourceKind::EcpActivity
            | SourceKind::OabGenerator
            | SourceKind::Text
    )
}

impl TextReader {
    pub fn new(f: &SourceFile) -> TextReader {
        TextReader {
            kind: f.kind,
            hp: httpproxy::Header::default_2016(),
            iis: w3c::Fields::default_iis(),
            site: if f.kind == SourceKind::IisW3c {
                w3c::site_of(&f.label, &f.path)
            } else {
                String::new()
            },
        }
    }

    /// Sees one line: consumes a header (a header that does not parse leaves the columns as
    /// they were), skips comments and blank lines, hands on data.
    pub fn line<'t>(&mut self, text: &'t [u8]) -> Line<'t> {
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        match self.kind {
            SourceKind::HttpProxy => {
                if httpproxy::Header::is_header_line(text) {
                    if let Some(h) = httpproxy::Header::parse(text) {
                        self.hp = h;
                    }
                    return Line::Header {
                        plain: text.first() != Some(&b'#'),
                    };
                }
                if text.is_empty() || text[0] == b'#' {
                    return Line::Skip;
                }
            }
            SourceKind::IisW3c => {
                if text.first() == Some(&b'#') {
                    if let Some(fl) = w3c::Fields::parse(text) {
                        self.iis = fl; // `#Fields` may change mid-file: re-bind
                        return Line::Header { plain: false };
                    }
                    return Line::Skip;
                }
                if text.iter().all(u8::is_ascii_whitespace) {
                    return Line::Skip;
                }
            }
            _ => {
                if text.is_empty() || text[0] == b'#' {
                    return Line::Skip;
                }
            }
        }
        Line::Data(text)
    }

    /// Parses a data line (from [`TextReader::line`]) by the columns in force.
    pub fn parse<'a>(&'a self, text: &'a [u8]) -> Parsed<'a> {
        match self.kind {
            SourceKind::HttpProxy => match httpproxy::Record::parse(&self.hp, text) {
                Some(r) => Parsed::HttpProxy(r),
                None => Parsed::Malformed("not a CSV record"),
            },
            SourceKind::IisW3c => Parsed::Iis(w3c::W3cRecord::parse(&self.iis, text, &self.site)),
            SourceKind::EcpServer => match ecp::parse_line(text) {
                Some(r) => Parsed::Ecp(r),
                None => Parsed::Malformed("fewer than four CSV fields"),
            },
            _ => Parsed::Text(text),
        }
    }

    /// Where the client address sits in the lines after the last header (see
    /// [`crate::sources::address`]).
    pub fn address_column(&self) -> AddressColumn {
        match self.kind {
            SourceKind::HttpProxy => self.hp.address_column(),
            SourceKind::IisW3c => self.iis.address_column(),
            _ => AddressColumn::Absent,
        }
    }

    /// The IIS fields in force (their count is in the message for a line that does not fit).
    pub fn iis_fields(&self) -> &w3c::Fields {
        &self.iis
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(kind: SourceKind, label: &str, path: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from(path),
            kind,
            label: label.into(),
            protocol: None,
            confirmed: true,
        }
    }

    #[test]
    fn iis_fields_rebind_mid_file_and_a_bom_is_stripped() {
        let f = file(SourceKind::IisW3c, "IIS/W3SVC1", "x/W3SVC1/u_ex210302.log");
        let mut r = TextReader::new(&f);
        assert_eq!(r.line(b"\xEF\xBB\xBF#Software: IIS"), Line::Skip);
        assert_eq!(
            r.line(b"#Fields: date time cs-method cs-uri-stem c-ip"),
            Line::Header { plain: false }
        );
        let Line::Data(d) = r.line(b"2021-03-02 01:02:03 POST /ecp/y.js 203.0.113.9") else {
            panic!("data")
        };
        let Parsed::Iis(rec) = r.parse(d) else {
            panic!("iis")
        };
        assert_eq!(rec.stem(), "/ecp/y.js");
        assert_eq!(rec.value(w3c::F::ClientIp), "203.0.113.9");
        assert_eq!(rec.site, "W3SVC1");
        assert_eq!(
            r.line(b"#Fields: date time c-ip cs-method cs-uri-stem"),
            Line::Header { plain: false }
        );
        let Line::Data(d) = r.line(b"2021-03-02 01:02:04 203.0.113.10 GET /owa/") else {
            panic!("data")
        };
        let Parsed::Iis(rec) = r.parse(d) else {
            panic!("iis")
        };
        assert_eq!(rec.value(w3c::F::ClientIp), "203.0.113.10", "rebound");
        assert_eq!(r.line(b"   "), Line::Skip);
    }

    #[test]
    fn httpproxy_plain_headers_rebind_and_a_bad_header_keeps_the_columns() {
        let f = file(
            SourceKind::HttpProxy,
            "HttpProxy/Ecp",
            "x/HttpProxy_2021030201-1.LOG",
        );
        let mut r = TextReader::new(&f);
        assert_eq!(
            r.line(b"DateTime,RequestId,ClientIpAddress,UrlStem"),
            Line::Header { plain: true }
        );
        assert_eq!(r.line(b"#Fields: nonsense"), Line::Header { plain: false });
        let Line::Data(d) = r.line(b"2021-03-02T01:02:03.000Z,abc,203.0.113.9,/ecp/y.js") else {
            panic!("data")
        };
        let Parsed::HttpProxy(rec) = r.parse(d) else {
            panic!("hp")
        };
        assert_eq!(
            rec.get(httpproxy::Col::UrlStem),
            "/ecp/y.js",
            "the good header holds"
        );
        assert_eq!(r.line(b"#Software: x"), Line::Skip);
        assert_eq!(r.line(b""), Line::Skip);
    }

    #[test]
    fn ecp_and_text_lines() {
        let f = file(
            SourceKind::EcpServer,
            "ECP/Server",
            "x/ECPServer20210302-1.LOG",
        );
        let mut r = TextReader::new(&f);
        let Line::Data(d) = r.line(b"only,three,fields") else {
            panic!("data")
        };
        assert!(matches!(r.parse(d), Parsed::Malformed(_)));
        assert!(r.parse(d).record().is_none());
        let f = file(SourceKind::OabGenerator, "OAB", "x/OABGenerator.LOG");
        let mut r = TextReader::new(&f);
        assert_eq!(r.line(b"# comment"), Line::Skip);
        let Line::Data(d) = r.line(b"2021-03-02 Download failed") else {
            panic!("data")
        };
        assert!(matches!(r.parse(d).record(), Some(Record::TextLine(_))));
        assert!(reads(SourceKind::Text) && !reads(SourceKind::Evtx));
    }
}
