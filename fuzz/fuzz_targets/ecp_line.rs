//! ECP server log: CSV line, EventData's two quoting layers, S:CMD parameters.
#![no_main]
use exhunt::sources::ecp::{decode_event_data, parse_cmd, parse_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(r) = parse_line(data) {
        if let Some(cmd) = r.get("S:CMD") {
            let _ = parse_cmd(cmd);
        }
    }
    let text = String::from_utf8_lossy(data);
    for (_, v) in decode_event_data(&text) {
        let _ = parse_cmd(&v);
    }
});
