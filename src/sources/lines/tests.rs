//! Tests of the line scanner, the prefilter and the read-back.

use super::prefilter::{Engine, fold_into};
use super::*;
use aho_corasick::AhoCorasickBuilder;

fn collect(data: &[u8], lits: &[&str]) -> (Vec<(u64, u64, String)>, LineStats) {
    let pre = prefilter(lits);
    let mut out = Vec::new();
    let st = scan(data, &pre, |l| {
        out.push((
            l.number,
            l.offset,
            String::from_utf8_lossy(l.text).into_owned(),
        ))
    })
    .unwrap();
    (out, st)
}

#[test]
fn a_literal_holding_another_is_not_searched_and_no_line_is_lost() {
    let pre = Prefilter::with_exact(
        &[
            "/owa/auth/",
            "/OWA/auth/Current",
            "/auth/x.js",
            "/owa/auth/x.js",
            "ecp",
            "=cmd",
        ],
        &["ECP-exact", "Rid-1"],
    );
    // kept: /owa/auth/, /auth/x.js, ecp, =cmd, Rid-1
    assert_eq!(pre.searched(), 5);
    for (line, handed) in [
        ("GET /Owa/Auth/current/x", true),
        ("GET /owa/auth/x.js", true),
        ("GET /x/auth/X.JS", true),
        ("ECP-exact", true),
        ("rid-1 is exact", false),
        ("Rid-1", true),
        ("/owa/aut h/", false),
        ("a=CMD", true),
    ] {
        assert_eq!(pre.is_match(line.as_bytes()), handed, "{line}");
    }
}

#[test]
fn a_line_read_back_by_its_offset_is_the_line_the_scan_handed_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("u_ex.log");
    let data = b"#Fields: a\r\nfirst line\r\nsecond ServerInfo~x line\r\nlast, no line end";
    std::fs::write(&p, data).unwrap();
    let (lines, _) = collect(data, &["ServerInfo~", "no line"]);
    let path = p.display().to_string();
    let mut r = LineReader::default();
    for (_, offset, text) in &lines {
        assert_eq!(&r.read(&path, *offset, 1024).unwrap(), text);
    }
    let second = lines.iter().find(|l| l.2.starts_with("second")).unwrap();
    assert_eq!(
        r.read(&path, second.1, 6).unwrap(),
        "second…[cut at 6 bytes]"
    );
    assert_eq!(r.read(&path, data.len() as u64 + 10, 64).unwrap(), "");
    // A line longer than one read step.
    let long = format!("2021-03-01 {}", "x".repeat(20_000));
    let q = dir.path().join("long.log");
    std::fs::write(&q, format!("{long}\r\nnext\n")).unwrap();
    let q = q.display().to_string();
    assert_eq!(r.read(&q, 0, 64 * 1024).unwrap(), long);
    assert_eq!(
        r.read(&q, 0, long.len()).unwrap(),
        long,
        "exactly max: not cut"
    );
    assert_eq!(
        r.read(&q, 0, 10_000).unwrap(),
        format!("{}…[cut at 10000 bytes]", &long[..10_000])
    );
    assert_eq!(r.read(&q, long.len() as u64 + 2, 64).unwrap(), "next");
    let e = r.read(&dir.path().join("gone.log").display().to_string(), 0, 64);
    assert!(
        e.unwrap_err()
            .starts_with("cannot open to read the line back")
    );
}

#[test]
fn lines_are_read_back_with_the_line_ends_the_scan_used() {
    let dir = tempfile::tempdir().unwrap();
    let cr = dir.path().join("cr.log");
    std::fs::write(&cr, b"first\rsecond line\rthird").unwrap();
    let lf = dir.path().join("lf.log");
    std::fs::write(&lf, b"first\na lone \r stays inside\r\nnext\n").unwrap();
    let mut r = LineReader::default();
    let cr = cr.display().to_string();
    let lf = lf.display().to_string();
    assert_eq!(r.read(&cr, 6, 64).unwrap(), "second line");
    assert_eq!(r.read(&lf, 6, 64).unwrap(), "a lone \r stays inside");
}

#[test]
fn hands_on_matching_lines_with_numbers_and_offsets() {
    let data = b"#Fields: a,b\r\n2021-01-01T00:00:00Z,x\r\nnothing here\r\n2021-01-02T00:00:00Z,ServerInfo~a/b\r\nmore\r\n#Fields: c\r\n2021-01-03T00:00:00Z,last serverinfo~ line";
    let (lines, st) = collect(data, &["ServerInfo~"]);
    let nums: Vec<u64> = lines.iter().map(|l| l.0).collect();
    assert_eq!(nums, vec![1, 2, 4, 6, 7]);
    assert_eq!(lines[2].2, "2021-01-02T00:00:00Z,ServerInfo~a/b");
    assert_eq!(
        lines[2].1 as usize,
        data.windows(10).position(|w| w == b"2021-01-02").unwrap()
    );
    assert_eq!(st.lines, 7);
    assert!(st.truncated_last_line);
    assert_eq!(
        st.first_data.as_deref(),
        Some(&b"2021-01-01T00:00:00Z,x"[..])
    );
    assert_eq!(
        st.last_data.as_deref(),
        Some(&b"2021-01-03T00:00:00Z,last serverinfo~ line"[..])
    );
    assert_eq!(st.directive_lines, 2);
}

#[test]
fn plain_header_line_is_not_the_first_data_line() {
    let (lines, st) = collect(b"DateTime,RequestId\r\n#Software: x\r\n2021-01-01T00:00:00Z,a\r\n2021-01-05T00:00:00Z,b\r\n", &["zzz"]);
    assert_eq!(
        st.first_data.as_deref(),
        Some(&b"2021-01-01T00:00:00Z,a"[..])
    );
    assert_eq!(
        st.last_data.as_deref(),
        Some(&b"2021-01-05T00:00:00Z,b"[..])
    );
    assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 2, 3]);
}

#[test]
fn anchored_and_automaton_searches_agree() {
    let hay = b"a ServerInfo~x sErVeRiNfO~y server~z SERVER~ ~ServerInfo Sid~1 serverinfo server~\n#Fields: a\nx#Fields:";
    let lits = ["ServerInfo~", "Server~"];
    let anchored = Prefilter::new(&lits);
    assert!(anchored.search.is_none() && anchored.triggers == vec![b'#', b'~']);
    let mut a = Vec::new();
    let dirs = anchored.candidates(hay, &mut a);
    let auto = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(["ServerInfo~", "Server~", "#Fields:"])
        .unwrap();
    let b: Vec<usize> = auto.find_iter(hay).map(|m| m.start()).collect();
    assert_eq!(a, b);
    assert_eq!(dirs, 1, "only the # at a line start is a directive line");
    let vd = Prefilter::new(&["VirtualDirectory"]);
    assert!(vd.search.is_some());
    assert!(vd.is_match(b"x set-virtualdirectory y"));
    assert!(!vd.is_match(b"nothing"));
}

/// Lines (0-based) holding a candidate, by the prefilter and by a plain reference search.
fn candidate_lines(pre: &Prefilter, hay: &[u8]) -> Vec<usize> {
    let mut c = Vec::new();
    pre.candidates(hay, &mut c);
    let mut lines: Vec<usize> = c
        .iter()
        .map(|&p| hay[..p].iter().filter(|&&b| b == b'\n').count())
        .collect();
    lines.dedup();
    lines
}

#[test]
fn folded_search_ignores_case_and_verifies_exact_literals() {
    let hay = b"GET /ECP/y.js 200\nGET /owa/ 200\nPOST /Owa/Auth/x.js\nid 0a1b-CC\nid 0a1b-cc\nDateTime,RequestId,x\ndatetime,requestid,\n#Fields: a\n10.1.2.3 x\n";
    let pre = Prefilter::with_exact(
        &["/ecp/", "/owa/auth/", "10.1.2.3"],
        &["0a1b-cc", "DateTime,RequestId,"],
    );
    let s = pre.search.as_ref().unwrap();
    assert!(s.fold && matches!(s.engine, Engine::Packed(_) | Engine::Automaton(_)));
    assert_eq!(candidate_lines(&pre, hay), vec![0, 2, 4, 5, 7, 8]);
    // Exact literals alone: no folding, no verification needed.
    let ids = Prefilter::with_exact(&["10.1.2.3"], &["0a1b-cc"]);
    assert!(!ids.search.as_ref().unwrap().fold);
    assert_eq!(candidate_lines(&ids, hay), vec![4, 7, 8]);
}

#[test]
fn large_literal_sets_fall_back_to_an_automaton_with_the_same_lines() {
    let lits: Vec<String> = (0..200).map(|i| format!("Needle{i:03}x")).collect();
    let refs: Vec<&str> = lits.iter().map(String::as_str).collect();
    let pre = Prefilter::new(&refs);
    assert!(matches!(
        pre.search.as_ref().unwrap().engine,
        Engine::Automaton(_)
    ));
    let few = Prefilter::new(&refs[..100]);
    let hay = b"a NEEDLE007X b\nnothing\nneedle150x\nneedle099X\nneedle7x\n";
    assert_eq!(candidate_lines(&pre, hay), vec![0, 2, 3]);
    assert_eq!(candidate_lines(&few, hay), vec![0, 3]);
}

#[test]
fn more_literals_than_an_index_of_16_bits_are_all_found() {
    // `--ioc` address lists can be this long; each literal keeps its own index.
    let lits: Vec<String> = (0..70_000).map(|i| format!("ioc{i:05}x")).collect();
    let refs: Vec<&str> = lits.iter().map(String::as_str).collect();
    let pre = Prefilter::new(&refs);
    assert!(pre.is_match(b"a ioc69999x b"));
    assert!(pre.is_match(b"a IOC04465X b"));
    assert!(!pre.is_match(b"a ioc70000x b"));
}

#[test]
fn fold_lowercases_ascii_letters_only() {
    let src: Vec<u8> = (0..=255u8).collect();
    let mut out = Vec::new();
    fold_into(&src, &mut out);
    let want: Vec<u8> = src.iter().map(u8::to_ascii_lowercase).collect();
    assert_eq!(out, want);
}

#[test]
fn one_line_with_two_matches_is_handed_on_once() {
    let (lines, _) = collect(b"a\nServerInfo~ ServerInfo~\nb\n", &["ServerInfo~"]);
    assert_eq!(
        lines.iter().filter(|l| l.2.contains("ServerInfo")).count(),
        1
    );
}

#[test]
fn lines_spanning_blocks_and_huge_lines() {
    let mut data = Vec::new();
    for i in 0..50_000 {
        data.extend_from_slice(
            format!("2021-01-01T00:00:00Z,line {i} padding padding padding\n").as_bytes(),
        );
    }
    data.extend_from_slice(b"x,");
    data.extend(std::iter::repeat_n(b'a', 3 << 20));
    data.extend_from_slice(b" needle\nend needle\n");
    let (lines, st) = collect(&data, &["needle"]);
    assert_eq!(st.lines, 50_002);
    let nums: Vec<u64> = lines.iter().map(|l| l.0).collect();
    assert_eq!(nums, vec![1, 50_001, 50_002]);
    assert_eq!(st.oversized, 0);
}

#[test]
fn oversized_line_is_counted_and_scan_goes_on() {
    let mut data = b"first\n".to_vec();
    data.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
    data.extend_from_slice(b"\nafter needle\n");
    let (lines, st) = collect(&data, &["needle"]);
    assert_eq!(st.oversized, 1);
    assert_eq!(lines.last().unwrap().0, 3);
    assert_eq!(lines.last().unwrap().2, "after needle");
    assert_eq!(st.lines, 3);
}

#[test]
fn a_directive_line_right_after_the_first_data_line_is_handed_on() {
    let (lines, _) = collect(
        b"2021-01-01T00:00:00Z,a\n#Fields: x\n2021-01-02T00:00:00Z,b\n",
        &["zzz"],
    );
    assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 2]);
}

#[test]
fn a_directive_line_at_a_block_start_is_handed_on() {
    let line = b"2021-01-01T00:00:00Z,padding padding padding padding padding\n";
    let mut data = Vec::new();
    while data.len() + line.len() <= BLOCK {
        data.extend_from_slice(line);
    }
    let fill = BLOCK - data.len();
    data.extend(std::iter::repeat_n(b'x', fill - 1));
    data.push(b'\n');
    assert_eq!(data.len(), BLOCK);
    data.extend_from_slice(b"#Fields: at the block start\nlast\n");
    let (lines, st) = collect(&data, &["zzz"]);
    let n = st.lines - 1;
    assert!(
        lines
            .iter()
            .any(|l| l.0 == n && l.2 == "#Fields: at the block start")
    );
}

#[test]
fn blank_lines_are_counted_anywhere() {
    let data = b"\r\n#Fields: a\r\n2021-01-01 x\r\n\r\n\n2021-01-02 y\r\n\r\n";
    let (_, st) = collect(data, &["zzz"]);
    assert_eq!(st.lines, 7);
    assert_eq!(st.blank_lines, 4);
    assert_eq!(st.directive_lines, 1);
    let (_, st) = collect(b"2021-01-01 x\n\n\n\n2021-01-02 y", &["zzz"]);
    assert_eq!((st.lines, st.blank_lines), (5, 3));
}

#[test]
fn directives_right_after_the_first_data_line_and_at_a_block_start_are_handed_on() {
    let (lines, st) = collect(
        b"#Fields: a\n2021-01-01 x\n#Fields: b\n2021-01-02 y\n",
        &["zzz"],
    );
    let nums: Vec<u64> = lines.iter().map(|l| l.0).collect();
    assert_eq!(nums, vec![1, 2, 3]);
    assert_eq!(st.directive_lines, 2);
    let mut data = Vec::new();
    let mut n = 0u64;
    while data.len() < BLOCK - 40 {
        data.extend_from_slice(b"2021-01-01 00:00:00 filler filler filler\n");
        n += 1;
    }
    let directive = format!("#Fields: {}\n", "x".repeat(100));
    data.extend_from_slice(directive.as_bytes());
    data.extend_from_slice(b"2021-01-02 00:00:00 needle\n");
    let (lines, st) = collect(&data, &["needle"]);
    let nums: Vec<u64> = lines.iter().map(|l| l.0).collect();
    assert_eq!(nums, vec![1, n + 1, n + 2]);
    assert_eq!(st.directive_lines, 1);
    assert_eq!(st.lines, n + 2);
}

#[test]
fn a_directive_after_a_byte_order_mark_is_a_directive() {
    let (_, st) = collect(
        b"\xEF\xBB\xBF#Software: x\r\n#Fields: a\r\n2021-01-01 x\r\n",
        &["zzz"],
    );
    assert_eq!((st.lines, st.directive_lines), (3, 2));
}

#[test]
fn empty_input() {
    let (lines, st) = collect(b"", &["x"]);
    assert!(lines.is_empty());
    assert_eq!(st.lines, 0);
}
