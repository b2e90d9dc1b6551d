//! Properties of the parsers that read attacker-written bytes: the line scanner hands on exactly
//! the right lines with the right numbers and offsets however the input is split, and no parser
//! or sanitiser panics on arbitrary input.

use exhunt::detect::like::like;
use exhunt::model::Timestamp;
use exhunt::report::sanitize::{csv_cell, html, terminal};
use exhunt::sources::paths::normalize_windows_path;
use exhunt::sources::{ecp, httpproxy, lines, oab};
use proptest::prelude::*;
use std::io::Read;

/// A reader that hands out its data in the given chunk sizes (cycled), as a pipe or a network
/// file system may.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.data.is_empty() {
            return Ok(0);
        }
        let want = self.sizes[self.i % self.sizes.len()].max(1);
        self.i += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The reference model: every line (number, offset, text without `\n`/`\r\n`).
fn model_lines(data: &[u8]) -> Vec<(u64, u64, Vec<u8>)> {
    // A file whose first 64 KiB hold a CR and no LF has CR-only line ends.
    let head = &data[..data.len().min(64 * 1024)];
    let translated: Vec<u8>;
    let data = if head.contains(&b'\r') && !head.contains(&b'\n') {
        translated = data
            .iter()
            .map(|&b| if b == b'\r' { b'\n' } else { b })
            .collect();
        &translated[..]
    } else {
        data
    };
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut n = 1u64;
    while start < data.len() {
        let end = data[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| start + i);
        let mut text = &data[start..end];
        if text.last() == Some(&b'\r') {
            text = &text[..text.len() - 1];
        }
        out.push((n, start as u64, text.to_vec()));
        n += 1;
        start = end + 1;
    }
    out
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Lines the scanner must hand on: those with the literal (any ASCII case) or the `#Fields:`
/// directive, and the non-blank lines up to and including the first data line (a line starting
/// with a digit; before it come the headers).
fn expected(data: &[u8], lit: &[u8]) -> Vec<(u64, u64, Vec<u8>)> {
    let all = model_lines(data);
    let first_data = all
        .iter()
        .find(|(_, _, t)| t.first().is_some_and(u8::is_ascii_digit))
        .map_or(u64::MAX, |l| l.0);
    all.into_iter()
        .filter(|(n, _, t)| {
            contains_ci(t, lit)
                || t.windows(8)
                    .any(|w| w == lines::FIELDS_DIRECTIVE.as_bytes())
                || (*n <= first_data && !t.is_empty())
        })
        .collect()
}

fn scan_all(
    data: &[u8],
    lit: &str,
    sizes: Vec<usize>,
) -> (Vec<(u64, u64, Vec<u8>)>, lines::LineStats) {
    let pre = lines::prefilter(&[lit]);
    let mut got = Vec::new();
    let st = lines::scan(Chunked { data, sizes, i: 0 }, &pre, |l| {
        got.push((l.number, l.offset, l.text.to_vec()))
    })
    .unwrap();
    (got, st)
}

/// Input made of pieces that matter to the scanner: the literal in any case, line ends, `#`,
/// digits, and arbitrary bytes.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"needle".to_vec()),
        Just(b"NeEdLe".to_vec()),
        Just(b"needl".to_vec()),
        Just(b"ServerInfo~".to_vec()),
        Just(b"sERVERiNFO~".to_vec()),
        Just(b"~".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n#".to_vec()),
        Just(b"#".to_vec()),
        Just(b"#Fields:".to_vec()),
        Just(b"\n#Fields: a,b".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"2021-02-11T04:29:44.908Z,".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_line_scanner_hands_on_exactly_the_right_lines(
        pieces in proptest::collection::vec(piece(), 0..60),
        sizes in proptest::collection::vec(1usize..64, 1..8),
        lit in prop_oneof![Just("needle"), Just("ServerInfo~")],
    ) {
        let data: Vec<u8> = pieces.concat();
        let (got, st) = scan_all(&data, lit, sizes);
        prop_assert_eq!(&got, &expected(&data, lit.as_bytes()));
        prop_assert_eq!(st.lines, model_lines(&data).len() as u64);
        prop_assert_eq!(st.bytes, data.len() as u64);
        let cr_only = data.contains(&b'\r') && !data.contains(&b'\n');
        let ends = if cr_only { b'\r' } else { b'\n' };
        prop_assert_eq!(st.truncated_last_line, !data.is_empty() && data.last() != Some(&ends));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A gate (the client-address column test) adds the lines it wants to those the literals
    /// hand on, and changes none of the counts.
    #[test]
    fn a_gated_scan_adds_the_gated_lines_and_counts_the_same(
        pieces in proptest::collection::vec(prop_oneof![piece(), Just(b"GATE".to_vec())], 0..60),
        sizes in proptest::collection::vec(1usize..64, 1..8),
        lit in prop_oneof![Just("needle"), Just("ServerInfo~")],
    ) {
        let data: Vec<u8> = pieces.concat();
        let (_, plain) = scan_all(&data, lit, sizes.clone());
        let pre = lines::prefilter(&[lit]);
        let mut got = Vec::new();
        let mut gate = |t: &[u8]| t.windows(4).any(|w| w == b"GATE");
        let st = lines::scan_gated(Chunked { data: &data, sizes, i: 0 }, &pre, Some(&mut gate), |l| {
            got.push((l.number, l.offset, l.text.to_vec()))
        })
        .unwrap();
        let want = expected(&data, lit.as_bytes());
        let want: Vec<_> = model_lines(&data)
            .into_iter()
            .filter(|l| {
                want.contains(l)
                    || (l.2.first().is_some_and(|&b| b != b'#') && l.2.windows(4).any(|w| w == b"GATE"))
            })
            .collect();
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(
            (st.lines, st.bytes, st.blank_lines, st.directive_lines, st.truncated_last_line),
            (plain.lines, plain.bytes, plain.blank_lines, plain.directive_lines, plain.truncated_last_line)
        );
        prop_assert_eq!((&st.first_data, &st.last_data), (&plain.first_data, &plain.last_data));
    }
}

proptest! {
    // Inputs over the 1 MiB block size, so that lines straddle block boundaries.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn the_line_scanner_is_right_across_block_boundaries(
        pieces in proptest::collection::vec(piece(), 1..40),
        fillers in proptest::collection::vec(1usize..400_000, 3..8),
        sizes in proptest::collection::vec(1usize..3_000_000, 1..4),
        lit in prop_oneof![Just("needle"), Just("ServerInfo~")],
    ) {
        let mut data = Vec::new();
        for (i, f) in fillers.iter().enumerate() {
            data.extend(std::iter::repeat_n(b'a' + (i as u8 % 20), *f));
            for p in pieces.iter().skip(i).step_by(fillers.len()) {
                data.extend_from_slice(p);
            }
            data.push(b'\n');
        }
        prop_assume!(data.len() > lines::BLOCK);
        let (got, st) = scan_all(&data, lit, sizes);
        prop_assert_eq!(&got, &expected(&data, lit.as_bytes()));
        prop_assert_eq!(st.lines, model_lines(&data).len() as u64);
    }

    #[test]
    fn ecp_and_httpproxy_lines_never_panic_even_when_huge(
        head in proptest::collection::vec(any::<u8>(), 0..200),
        n in 0usize..200_000,
    ) {
        let mut line = head.clone();
        line.extend(std::iter::repeat_n(b',', n % 1000));
        line.extend(std::iter::repeat_n(b'\'', n));
        let _ = ecp::parse_line(&line);
        let h = httpproxy::Header::default_2016();
        let _ = httpproxy::Record::parse(&h, &line);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn httpproxy_parsing_never_panics(
        header in proptest::collection::vec(any::<u8>(), 0..300),
        line in proptest::collection::vec(any::<u8>(), 0..600),
        plain_header in any::<bool>(),
    ) {
        let h = if plain_header {
            let mut hl = b"DateTime,".to_vec();
            hl.extend_from_slice(&header);
            httpproxy::Header::parse(&hl)
        } else {
            httpproxy::Header::parse(&header)
        };
        let _ = httpproxy::Header::is_header_line(&header);
        for h in [h, Some(httpproxy::Header::default_2016())].into_iter().flatten() {
            if let Some(r) = httpproxy::Record::parse(&h, &line) {
                for c in [
                    httpproxy::Col::DateTime,
                    httpproxy::Col::AnchorMailbox,
                    httpproxy::Col::BackEndCookie,
                    httpproxy::Col::UserAgent,
                    httpproxy::Col::UrlQuery,
                    httpproxy::Col::HttpStatus,
                ] {
                    let _ = r.get(c);
                }
                let _ = r.get_named("GenericErrors");
                let _ = r.build();
            }
        }
    }

    #[test]
    fn httpproxy_records_of_csv_like_text_never_panic(
        fields in proptest::collection::vec("[A-Za-z0-9~/@\\]#\",' ]{0,20}", 0..90),
    ) {
        let line = fields.join(",");
        let h = httpproxy::Header::default_2016();
        if let Some(r) = httpproxy::Record::parse(&h, line.as_bytes()) {
            let a = r.get(httpproxy::Col::AnchorMailbox);
            let _ = like(&a, "ServerInfo~*/*");
            let _ = r.get_named("GenericErrors");
        }
    }

    #[test]
    fn ecp_parsing_never_panics(line in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Some(r) = ecp::parse_line(&line) {
            for (_, v) in &r.pairs {
                let _ = ecp::parse_cmd(v);
            }
        }
    }

    #[test]
    fn ecp_event_data_and_cmd_never_panic(s in "[S:CMD=Set\\-.'\";,<>a-zA-Z0-9 ]{0,200}") {
        let pairs = ecp::decode_event_data(&s);
        for (k, v) in &pairs {
            let _ = ecp::parse_cmd(k);
            let _ = ecp::parse_cmd(v);
        }
        let _ = ecp::parse_cmd(&s);
    }

    #[test]
    fn ecp_event_data_and_cmd_never_panic_on_any_text(s in any::<String>()) {
        let _ = ecp::decode_event_data(&s);
        let _ = ecp::parse_cmd(&s);
    }

    #[test]
    fn oab_path_extraction_never_panics(
        pre in proptest::collection::vec(any::<u8>(), 0..100),
        mid in proptest::collection::vec(any::<u8>(), 0..100),
        whole in any::<bool>(),
    ) {
        let mut line = pre.clone();
        if whole {
            line.extend_from_slice(b"Download failed and temporary file ");
            // whatever the path holds (lines never hold a newline)
            line.extend(mid.iter().copied().filter(|&b| b != b'\n'));
            line.extend_from_slice(b" needs to be removed");
            prop_assert!(oab::failed_download_path(&line).is_some());
        } else {
            line.extend_from_slice(&mid);
            let _ = oab::failed_download_path(&line);
        }
    }

    #[test]
    fn timestamps_never_panic(b in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = Timestamp::parse_leading(&b);
        let _ = Timestamp::parse_arg(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn timestamps_of_any_valid_shape_parse_and_print_back(
        y in 1601i64..9999, mo in 1i64..=12, d in 1i64..=28, h in 0i64..24, mi in 0i64..60, s in 0i64..60, ms in 0i64..1000,
    ) {
        let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z,rest");
        let t = Timestamp::parse_leading(text.as_bytes()).unwrap();
        prop_assert_eq!(t.to_string(), text[..24].to_string());
    }

    #[test]
    fn sanitizers_never_panic_and_do_their_job(s in any::<String>()) {
        let c = csv_cell(&s);
        prop_assert!(!c.starts_with(['=', '+', '-', '@', '\t', '\r']));
        prop_assert!(c.ends_with(s.as_str()), "only a prefix is ever added");
        let t = terminal(&s);
        prop_assert!(!t.chars().any(char::is_control), "{:?}", t);
        let h = html(&s);
        prop_assert!(!h.contains(['<', '>', '"', '\'']));
    }

    #[test]
    fn windows_path_normalisation_is_idempotent(s in "[a-zA-Z:\\\\/.$' \"]{0,40}") {
        let once = normalize_windows_path(&s);
        prop_assert_eq!(normalize_windows_path(&once), once.clone());
    }

    #[test]
    fn windows_path_normalisation_is_idempotent_on_any_text(s in any::<String>()) {
        let once = normalize_windows_path(&s);
        prop_assert_eq!(normalize_windows_path(&once), once.clone());
    }

    #[test]
    fn like_never_panics(v in any::<String>(), p in "[a-z*?\\[\\]~/]{0,12}") {
        let _ = like(&v, &p);
    }
}

/// Inputs the fuzz targets crashed on (docs/fuzzing.md), replayed through the same calls.
#[test]
fn fuzzer_crash_inputs_no_longer_panic() {
    use exhunt::detect::webshells::ioc::Indicators;
    use exhunt::sources::w3c::{Fields, W3cRecord, split_exchange_suffix};
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-regressions");
    let w3c = std::fs::read(dir.join("w3c_record-multibyte-query.bin")).unwrap();
    let mut lines = w3c.split(|&b| b == b'\n');
    let fields =
        Fields::parse(lines.next().unwrap_or_default()).unwrap_or_else(Fields::default_iis);
    for line in lines {
        let r = W3cRecord::parse(&fields, line, "W3SVC1");
        let _ = (r.stem(), r.query(), r.exchange_suffix(), r.url());
        let _ = split_exchange_suffix(&String::from_utf8_lossy(line));
    }
    let ioc = std::fs::read(dir.join("indicators-escaped-multibyte.bin")).unwrap();
    Indicators::default().load_text(&String::from_utf8_lossy(&ioc), "fuzz");
}

/// Web-log-like pieces for the multi-literal search: literal fragments that overlap and share
/// starts, and exact literals in the wrong case, so that rejected and shadowed hits occur.
fn web_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"/owa/".to_vec()),
        Just(b"/OWA/AUTH/".to_vec()),
        Just(b"auth/".to_vec()),
        Just(b"/owa/auth/x.js".to_vec()),
        Just(b"/ecp/".to_vec()),
        Just(b"ecp/".to_vec()),
        Just(b"/Ecp/Auth/".to_vec()),
        Just(b"192.81.208.169".to_vec()),
        Just(b"192.81.".to_vec()),
        Just(b"1.2.3.4".to_vec()),
        Just(b"0a1b-cc".to_vec()),
        Just(b"0A1b-cC".to_vec()),
        Just(b"0A1B-CC".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b'/'), Just(b'.'), Just(b'1'), any::<u8>()],
            0..8
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The lines handed on are exactly those holding a literal: case-insensitive ones in any
    /// case, exact ones byte for byte (hits rejected as not exact must not hide others).
    #[test]
    fn a_multi_literal_search_hands_on_exactly_the_lines_with_a_literal(
        pieces in proptest::collection::vec(web_piece(), 0..80),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let data: Vec<u8> = [b"2021-01-01 00:00:00 x\n".to_vec(), pieces.concat()].concat();
        let ci = ["/owa/auth/", "/owa/auth/x.js", "/ecp/auth/", "/ecp/", "192.81.208.169", "1.2.3.4"];
        let exact = ["0a1b-cc", "0A1B-C"];
        let pre = lines::Prefilter::with_exact(&ci, &exact);
        let mut got = Vec::new();
        lines::scan(Chunked { data: &data, sizes, i: 0 }, &pre, |l| got.push(l.number)).unwrap();
        let want: Vec<u64> = model_lines(&data)
            .into_iter()
            .filter(|(n, _, t)| {
                *n == 1
                    || ci.iter().any(|l| contains_ci(t, l.as_bytes()))
                    || exact.iter().any(|e| t.windows(e.len()).any(|w| w == e.as_bytes()))
                    || t.windows(8).any(|w| w == lines::FIELDS_DIRECTIVE.as_bytes())
            })
            .map(|l| l.0)
            .collect();
        prop_assert_eq!(got, want);
    }
}
