//! IIS W3C: `#Fields` binding, record parsing, Exchange query suffix, repeated URL decoding.
#![no_main]
use exhunt::sources::w3c::{Fields, W3cRecord, split_exchange_suffix, url_decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let fields = Fields::parse(first).unwrap_or_else(Fields::default_iis);
    for line in lines {
        let r = W3cRecord::parse(&fields, line, "W3SVC1");
        let _ = (r.stem(), r.query(), r.exchange_suffix(), r.url(), r.date_time(), r.text());
        let q = String::from_utf8_lossy(line);
        let _ = split_exchange_suffix(&q);
        let _ = url_decode(&q, 3);
    }
});
