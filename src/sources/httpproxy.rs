//! HttpProxy logs (`<install>\Logging\HttpProxy\<Protocol>\*.LOG`): CSV with a header taken from a
//! `#Fields:` directive or a plain `DateTime,RequestId,...` line, in either order, repeatable.
//! Columns are looked up by name, case-insensitively, so the Exchange 2013 layout (no `UrlHost`,
//! an empty column name) and the `BackendCookie` spelling work the same.

use csv::ByteRecord;

/// The columns the checks use. Anything else stays reachable by name through [`Header::index`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    DateTime,
    RequestId,
    MajorVersion,
    MinorVersion,
    BuildVersion,
    RevisionVersion,
    Protocol,
    UrlHost,
    UrlStem,
    AuthenticatedUser,
    AnchorMailbox,
    UserAgent,
    ClientIpAddress,
    ServerHostName,
    HttpStatus,
    Method,
    RoutingHint,
    BackEndCookie,
    UrlQuery,
    TargetServer,
}

const COLS: [(Col, &[&str]); 20] = [
    (Col::DateTime, &["DateTime"]),
    (Col::RequestId, &["RequestId"]),
    (Col::MajorVersion, &["MajorVersion"]),
    (Col::MinorVersion, &["MinorVersion"]),
    (Col::BuildVersion, &["BuildVersion"]),
    (Col::RevisionVersion, &["RevisionVersion"]),
    (Col::Protocol, &["Protocol"]),
    (Col::UrlHost, &["UrlHost"]),
    (Col::UrlStem, &["UrlStem"]),
    (Col::AuthenticatedUser, &["AuthenticatedUser"]),
    (Col::AnchorMailbox, &["AnchorMailbox"]),
    (Col::UserAgent, &["UserAgent"]),
    (Col::ClientIpAddress, &["ClientIpAddress"]),
    (Col::ServerHostName, &["ServerHostName"]),
    (Col::HttpStatus, &["HttpStatus"]),
    (Col::Method, &["Method"]),
    (Col::RoutingHint, &["RoutingHint"]),
    (Col::BackEndCookie, &["BackEndCookie", "BackendCookie"]),
    (Col::UrlQuery, &["UrlQuery"]),
    (Col::TargetServer, &["TargetServer"]),
];

/// Column positions bound from a header line.
#[derive(Clone, Debug)]
pub struct Header {
    names: Vec<String>,
    known: [Option<usize>; COLS.len()],
    /// First column of the free-text blobs (`GenericInfo`...), where stray commas may appear.
    blob_start: Option<usize>,
}

impl Header {
    /// Parses the column list of a `#Fields:` directive or a plain header line.
    pub fn parse(line: &[u8]) -> Option<Header> {
        let body = line.strip_prefix(b"#Fields:").unwrap_or(line);
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let names: Vec<String> = String::from_utf8_lossy(body)
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        if !names
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case("DateTime"))
        {
            return None;
        }
        let find = |n: &str| names.iter().position(|x| x.eq_ignore_ascii_case(n));
        let mut known = [None; COLS.len()];
        for (i, (_, aliases)) in COLS.iter().enumerate() {
            known[i] = aliases.iter().find_map(|a| find(a));
        }
        let blob_start = ["BackEndGenericInfo", "GenericInfo", "GenericErrors"]
            .iter()
            .filter_map(|n| find(n))
            .min();
        Some(Header {
            names,
            known,
            blob_start,
        })
    }

    /// True for a line that is a header (a `#Fields:` directive or a `DateTime,RequestId` line).
    pub fn is_header_line(line: &[u8]) -> bool {
        let l = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        starts_with_ci(l, b"#Fields:") || starts_with_ci(l, b"DateTime,RequestId,")
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|x| x.eq_ignore_ascii_case(name))
    }

    pub fn col(&self, c: Col) -> Option<usize> {
        self.known[COLS
            .iter()
            .position(|(k, _)| *k == c)
            .expect("every Col is listed")]
    }

    /// Where lines bound to this header keep `ClientIpAddress`: counted from the left, as
    /// [`Record::parse`] binds it, unless it comes after the free-text blobs (bound from the
    /// right when stray commas add fields).
    pub fn address_column(&self) -> super::address::AddressColumn {
        use super::address::AddressColumn;
        match self.col(Col::ClientIpAddress) {
            None => AddressColumn::Absent,
            Some(i) if self.blob_start.is_some_and(|b| i > b) => AddressColumn::Unsure,
            Some(i) => AddressColumn::Csv(i),
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The header the 2016/2019 documentation gives, for files that have none.
    pub fn default_2016() -> Header {
        Header::parse(DEFAULT_FIELDS.as_bytes()).expect("valid default header")
    }
}

/// The 2016/2019 HttpProxy column list (field guide §2.1).
pub const DEFAULT_FIELDS: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus";

fn starts_with_ci(s: &[u8], p: &[u8]) -> bool {
    s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)
}

/// How well a data line fit its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    Exact,
    /// More fields than columns (stray commas in a blob); leading columns bound from the left.
    Extra,
    /// Fewer fields than columns (a cut line); missing columns are unavailable.
    Short,
}

/// One parsed HttpProxy data line.
pub struct Record<'a> {
    pub header: &'a Header,
    pub fields: ByteRecord,
    pub fit: Fit,
}

impl<'a> Record<'a> {
    /// Parses one CSV line. `None` when the CSV is broken beyond use (e.g. fewer than two fields).
    pub fn parse(header: &'a Header, line: &[u8]) -> Option<Record<'a>> {
        let mut fields = ByteRecord::new();
        if !super::csvline::split(line, &mut fields) || fields.len() < 2 {
            return None;
        }
        let fit = match fields.len().cmp(&header.len()) {
            std::cmp::Ordering::Equal => Fit::Exact,
            std::cmp::Ordering::Greater => Fit::Extra,
            std::cmp::Ordering::Less => Fit::Short,
        };
        Some(Record {
            header,
            fields,
            fit,
        })
    }

    /// The raw bytes of a column, `None` when the file has no such column or the line is short.
    pub fn bytes(&self, c: Col) -> Option<&[u8]> {
        let i = self.header.col(c)?;
        self.at(i)
    }

    fn at(&self, i: usize) -> Option<&[u8]> {
        if self.fit == Fit::Extra && self.header.blob_start.is_some_and(|b| i > b) {
            // Columns after the blobs are shifted by stray commas: bind them from the right.
            let from_right = self.header.len() - i;
            return self.fields.get(self.fields.len().checked_sub(from_right)?);
        }
        self.fields.get(i)
    }

    /// A column as text (lossy UTF-8); empty string when unavailable.
    pub fn get(&self, c: Col) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.bytes(c).unwrap_or_default())
    }

    /// A column by any name.
    pub fn get_named(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.header
            .index(name)
            .and_then(|i| self.at(i))
            .map(String::from_utf8_lossy)
    }

    /// `15.1.2106.2` from the four version columns, if present.
    pub fn build(&self) -> Option<String> {
        let parts = [
            Col::MajorVersion,
            Col::MinorVersion,
            Col::BuildVersion,
            Col::RevisionVersion,
        ]
        .map(|c| {
            self.bytes(c)
                .map(|b| String::from_utf8_lossy(b).trim().to_string())
        });
        if parts.iter().all(|p| {
            p.as_ref()
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        }) {
            Some(parts.map(|p| p.unwrap_or_default()).join("."))
        } else {
            None
        }
    }
}

/// The nine HttpProxy columns Test-ProxyLogon selects, in its order: the first fields of every
/// HttpProxy finding, and the columns of its CSV files.
pub const TPL_COLUMNS: [(&str, Col); 9] = [
    ("DateTime", Col::DateTime),
    ("RequestId", Col::RequestId),
    ("ClientIPAddress", Col::ClientIpAddress),
    ("UrlHost", Col::UrlHost),
    ("UrlStem", Col::UrlStem),
    ("RoutingHint", Col::RoutingHint),
    ("UserAgent", Col::UserAgent),
    ("AnchorMailbox", Col::AnchorMailbox),
    ("HttpStatus", Col::HttpStatus),
];

#[cfg(test)]
mod tests {
    use super::*;

    const E2013: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,,TargetServerVersion,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,ActivityContextLifeTime,ModuleToHandlerSwitching,FirstResponseByteReceived,ProxyTime,RequestHandlerLatency,HandlerToModuleSwitching,HttpProxyOverhead,TotalRequestTime,UrlQuery,GenericInfo,GenericErrors";

    #[test]
    fn binds_by_name_in_both_layouts() {
        let h16 = Header::default_2016();
        assert_eq!(h16.col(Col::AnchorMailbox), Some(15));
        assert_eq!(h16.col(Col::UrlHost), Some(8));
        let h13 = Header::parse(format!("#Fields: {E2013}").as_bytes()).unwrap();
        assert_eq!(h13.col(Col::UrlHost), None);
        assert_eq!(h13.col(Col::AnchorMailbox), Some(14));
        assert_eq!(h13.col(Col::BackEndCookie), Some(27));
        let mixed = Header::parse(b"datetime,requestid,BackendCookie").unwrap();
        assert_eq!(mixed.col(Col::BackEndCookie), Some(2));
        assert!(Header::parse(b"#Fields: date time s-ip").is_none());
    }

    #[test]
    fn parses_quoted_fields_and_recovers_extra_commas() {
        let h = Header::parse(
            b"DateTime,AnchorMailbox,UserAgent,GenericInfo,EdgeTraceId,RoutingStatus",
        )
        .unwrap();
        let r = Record::parse(
            &h,
            b"2021-01-01T00:00:00Z,\"ServerInfo~a,b/c\",ua,x=1,y=2,z,edge,status",
        )
        .unwrap();
        assert_eq!(r.fit, Fit::Extra);
        assert_eq!(r.get(Col::AnchorMailbox), "ServerInfo~a,b/c");
        assert_eq!(r.get_named("RoutingStatus").unwrap(), "status");
        assert_eq!(r.get_named("EdgeTraceId").unwrap(), "edge");
        let short = Record::parse(&h, b"2021-01-01T00:00:00Z,ServerInfo~x/y").unwrap();
        assert_eq!(short.fit, Fit::Short);
        assert_eq!(short.bytes(Col::UserAgent), None);
        assert!(Record::parse(&h, b"garbage").is_none());
    }
}
