//! User indicator files: plain text lists and STIX 2.1 bundles.
#![no_main]
use exhunt::detect::webshells::ioc::Indicators;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut ind = Indicators::default();
    ind.load_text(&String::from_utf8_lossy(data), "fuzz-input");
});
