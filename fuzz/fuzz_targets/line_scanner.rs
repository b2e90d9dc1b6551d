//! The streaming line scanner: every line holding a literal is handed on exactly once, with its
//! right number and offset, whatever the bytes.
#![no_main]
use exhunt::sources::lines::{Prefilter, scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pre = Prefilter::new(&["ServerInfo~", "Server~"]);
    let mut seen = Vec::new();
    let st = scan(data, &pre, |l| seen.push((l.number, l.offset, l.text.to_vec()))).unwrap();
    assert!(st.lines as usize <= data.len() + 1);
    for (number, offset, text) in &seen {
        let start = *offset as usize;
        assert_eq!(&data[start..start + text.len()], &text[..]);
        let expected = data[..start].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        assert_eq!(*number, expected);
    }
    // every line holding a literal (ignoring ASCII case) was handed on
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let low = line.to_ascii_lowercase();
        let has = low.windows(7).any(|w| w == b"server~") || low.windows(11).any(|w| w == b"serverinfo~");
        if has && line.len() < exhunt::sources::lines::MAX_LINE {
            assert!(seen.iter().any(|(n, _, _)| *n == i as u64 + 1), "line {} not handed on", i + 1);
        }
    }
});
