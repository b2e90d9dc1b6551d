//! HttpProxy CSV: header binding and record parsing never panic; fields stay reachable.
#![no_main]
use exhunt::sources::httpproxy::{Col, Header, Record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First line (if any) may be a header; the rest are records under it or the default layout.
    let mut lines = data.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let header = Header::parse(first).unwrap_or_else(Header::default_2016);
    for line in lines {
        if let Some(r) = Record::parse(&header, line) {
            for c in [Col::DateTime, Col::AnchorMailbox, Col::BackEndCookie, Col::UrlQuery, Col::HttpStatus] {
                let _ = r.get(c);
            }
            let _ = r.build();
            let _ = r.get_named("RoutingStatus");
        }
    }
});
