//! The EVTX wrapper over the evtx crate: damaged files are reported, never a panic, with every
//! chunk rendered and with the chunks that cannot match skipped.
#![no_main]
use exhunt::sources::evtx::{ChunkFilter, read_from, read_from_with};
use exhunt::sources::lines::Prefilter;
use libfuzzer_sys::fuzz_target;

const LITERALS: &[&str] = &["Unified Messaging", "InvalidCastException", "w3wp.exe\""];

fuzz_target!(|data: &[u8]| {
    let pre = Prefilter::new(LITERALS);
    let _ = read_from(std::io::Cursor::new(data), &pre, |e| {
        let _ = e.all_data().count();
    });
    let chunks = ChunkFilter::new(LITERALS);
    let _ = read_from_with(std::io::Cursor::new(data), &pre, &chunks, |e| {
        let _ = e.all_data().count();
    });
});
