//! The EVTX wrapper over the evtx crate: damaged files are reported, never a panic.
#![no_main]
use exhunt::sources::evtx::read_from;
use exhunt::sources::lines::Prefilter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pre = Prefilter::new(&["Unified Messaging", "InvalidCastException"]);
    let _ = read_from(std::io::Cursor::new(data), &pre, |e| {
        let _ = e.all_data().count();
    });
});
