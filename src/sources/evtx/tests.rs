//! The EVTX reader's tests: record times, layout checks and recovery, the render budget.
use super::test_evtx_writer as evtx_writer;
use super::*;
use evtx_writer::{EvtxEvent as W, get_u32, get_u64, put_u32, put_u64, refresh_checksums};

fn ms(iso: &str) -> i64 {
    iso.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn event(id: u64, iso: &str, data: &str) -> W {
    W {
        record_id: id,
        unix_ms: ms(iso),
        provider: "MSExchange CmdletLogs".into(),
        event_id: 1,
        level: 4,
        channel: "MSExchange Management".into(),
        computer: "EX01".into(),
        data: vec![data.into()],
        ..Default::default()
    }
}

/// Reads `bytes`, returning the stats and the record IDs of every event.
fn read_bytes(bytes: &[u8]) -> (EvtxStats, Vec<u64>) {
    let pre = crate::sources::lines::prefilter(&["Event"]);
    let mut ids = Vec::new();
    let st = read_from(std::io::Cursor::new(bytes), &pre, |e| ids.push(e.record_id)).unwrap();
    (st, ids)
}

const CHUNK0: usize = 4096;

#[test]
fn record_time_is_system_time_else_the_header_time() {
    let header = Timestamp(0);
    let j = r##"{"Event":{"System":{"TimeCreated":{"#attributes":{"SystemTime":"2021-03-02T01:02:03.456789Z"}}}}}"##;
    assert_eq!(
        record_time(j, header).to_string(),
        "2021-03-02T01:02:03.456Z"
    );
    let pretty = "{\n  \"Event\": {\n    \"System\": {\n      \"TimeCreated\": {\n        \"#attributes\": {\n          \"SystemTime\": \"2021-03-02T01:02:03Z\"\n";
    assert_eq!(
        record_time(pretty, header).to_string(),
        "2021-03-02T01:02:03.000Z"
    );
    assert_eq!(record_time(r#"{"Event":{"System":{}}}"#, header), header);
    let now = Timestamp(ms("2026-01-01T00:00:00Z"));
    assert!(!plausible_time(Timestamp(ms("1601-01-01T00:00:00Z")), now));
    assert!(!plausible_time(Timestamp(ms("1989-12-31T23:59:59Z")), now));
    assert!(plausible_time(Timestamp(ms("1990-01-01T00:00:00Z")), now));
    assert!(plausible_time(Timestamp(ms("2026-01-01T23:00:00Z")), now));
    assert!(!plausible_time(Timestamp(ms("2026-01-02T00:00:01Z")), now));
}

#[test]
fn header_time_zero_takes_the_system_time() {
    let events = [
        event(1, "2021-02-10T08:00:00Z", "Get-Mailbox"),
        event(2, "2021-02-11T08:00:00Z", "Get-Mailbox"),
    ];
    let bytes = evtx_writer::write_evtx_with_header_time(&events, Some(0));
    assert_eq!(get_u64(&bytes, CHUNK0 + 512 + 16), 0, "header time is 0");
    let (st, _) = read_bytes(&bytes);
    assert_eq!(st.first.unwrap().to_string(), "2021-02-10T08:00:00.000Z");
    assert_eq!(st.last.unwrap().to_string(), "2021-02-11T08:00:00.000Z");
    assert_eq!(st.bad_times, 0);
    assert!(st.file_problems.is_empty(), "{:?}", st.file_problems);
}

#[test]
fn impossible_times_are_unknown_and_reported() {
    let mut zero = event(2, "2021-02-11T08:00:00Z", "Get-Mailbox");
    zero.unix_ms = ms("1601-01-01T00:00:00Z");
    let mut future = event(3, "2021-02-11T08:00:00Z", "Get-Mailbox");
    future.unix_ms = ms("2400-01-01T00:00:00Z");
    let events = [
        event(1, "2021-02-10T08:00:00Z", "Get-Mailbox"),
        zero,
        future,
    ];
    let (st, ids) = read_bytes(&evtx_writer::write_evtx(&events));
    assert_eq!(ids, [1, 2, 3], "still read and scanned");
    assert_eq!(st.first.unwrap().to_string(), "2021-02-10T08:00:00.000Z");
    assert_eq!(st.last.unwrap().to_string(), "2021-02-10T08:00:00.000Z");
    assert_eq!(st.bad_times, 2);
    let p = st.file_problems.join("\n");
    assert!(
        p.contains("2 record(s) with an impossible time") && p.contains("1601-01-01"),
        "{p}"
    );
}

#[test]
fn real_sample_with_header_time_zero() {
    // The last record of this exported log has 0 as its header's written time.
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/public/evtx/msexchange-management-install-transportagent.evtx");
    let bytes = std::fs::read(&p).unwrap();
    assert_eq!(get_u64(&bytes, CHUNK0 + 10544 + 8), 4, "record 4");
    assert_eq!(get_u64(&bytes, CHUNK0 + 10544 + 16), 0);
    let (st, ids) = read_bytes(&bytes);
    // (The export keeps the original EventRecordIDs, 7184..7187, in the records' XML.)
    assert_eq!(
        ids.len(),
        4,
        "its chunk slack's leftovers are not read: {ids:?}"
    );
    // Record 1's TimeCreated, not 1601 (and not its header's written time, 59 ms later).
    let filetime_ms = |ft: u64| (ft as i64 - 116_444_736_000_000_000) / 10_000;
    assert_eq!(
        filetime_ms(get_u64(&bytes, CHUNK0 + 512 + 16)),
        1_622_796_108_041
    );
    assert_eq!(st.first.unwrap().to_string(), "2021-06-04T08:41:47.982Z");
    assert!(st.last.unwrap() >= st.first.unwrap());
    assert_eq!(st.bad_times, 0);
    assert!(
        st.file_problems.is_empty(),
        "an intact real log: {:?}",
        st.file_problems
    );
}

fn four_events() -> Vec<u8> {
    evtx_writer::write_evtx(&[
        event(1, "2021-02-10T08:00:00Z", "Get-Mailbox"),
        event(2, "2021-02-10T09:00:00Z", "Get-Mailbox"),
        event(3, "2021-02-10T10:00:00Z", "New-MailboxExportRequest"),
        event(4, "2021-02-10T11:00:00Z", "Get-Mailbox"),
    ])
}

/// The chunk offset of record `n` (0-based) in chunk 0.
fn record_offset(bytes: &[u8], n: usize) -> usize {
    let mut at = 512;
    for _ in 0..n {
        at += get_u32(bytes, CHUNK0 + at + 4) as usize;
    }
    at
}

#[test]
fn intact_file_has_no_layout_problems() {
    let (st, ids) = read_bytes(&four_events());
    assert_eq!(ids, [1, 2, 3, 4]);
    assert!(st.file_problems.is_empty(), "{:?}", st.file_problems);
    assert!(st.errors.is_empty());
}

#[test]
fn checksum_mismatches_alone_are_reported() {
    let mut bytes = four_events();
    bytes[CHUNK0 + 512 + 100] ^= 1; // inside record 1's BinXML (a name's text)
    let (st, _) = read_bytes(&bytes);
    let p = st.file_problems.join("\n");
    assert!(p.contains("chunk 0: record data checksum mismatch"), "{p}");
    assert_eq!(st.file_problems.len(), 1, "{p}");

    let mut bytes = four_events();
    bytes[CHUNK0 + 100] ^= 1; // unused part of the chunk header
    let (st, ids) = read_bytes(&bytes);
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(st.file_problems.len(), 1, "{:?}", st.file_problems);
    assert!(st.file_problems[0].starts_with("chunk 0: header checksum mismatch"));

    let mut bytes = four_events();
    bytes[100] ^= 1; // unused part of the file header
    let (st, _) = read_bytes(&bytes);
    assert_eq!(st.file_problems.len(), 1);
    assert!(st.file_problems[0].starts_with("file header checksum mismatch"));
}

#[test]
fn lowered_last_record_id_hides_nothing() {
    let mut bytes = four_events();
    put_u64(&mut bytes, CHUNK0 + 16, 2); // last record number
    put_u64(&mut bytes, CHUNK0 + 32, 2); // last record ID
    put_u64(&mut bytes, 24, 3); // the file header's next record ID
    refresh_checksums(&mut bytes);
    let (st, ids) = read_bytes(&bytes);
    assert_eq!(
        ids,
        [1, 2, 3, 4],
        "the hidden records are recovered and read"
    );
    let p = st.file_problems.join("\n");
    assert!(
        p.contains(
            "chunk 0: 2 record(s) (IDs 3..4) are present past where its header says its records end"
        ),
        "{p}"
    );
    assert_eq!(st.last.unwrap().to_string(), "2021-02-10T11:00:00.000Z");
}

#[test]
fn lowered_free_space_offset_hides_nothing() {
    let mut bytes = four_events();
    let third = record_offset(&bytes, 2);
    put_u32(&mut bytes, CHUNK0 + 48, third as u32);
    refresh_checksums(&mut bytes);
    let (st, ids) = read_bytes(&bytes);
    assert_eq!(ids, [1, 2, 3, 4]);
    let p = st.file_problems.join("\n");
    assert!(
        p.contains("its header gives records up to ID 4, but its records end at ID 2"),
        "{p}"
    );
    assert!(p.contains("2 record(s) (IDs 3..4) are present past"), "{p}");

    // Both lowered, and the file header's next ID too: only the slack tells.
    let mut bytes = four_events();
    put_u32(&mut bytes, CHUNK0 + 48, third as u32);
    put_u64(&mut bytes, CHUNK0 + 16, 2);
    put_u64(&mut bytes, CHUNK0 + 32, 2);
    let second = record_offset(&bytes, 1) as u32;
    put_u32(&mut bytes, CHUNK0 + 44, second);
    put_u64(&mut bytes, 24, 3);
    refresh_checksums(&mut bytes);
    let (st, ids) = read_bytes(&bytes);
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(st.file_problems.len(), 1, "{:?}", st.file_problems);
    assert!(st.file_problems[0].contains("(IDs 3..4) are present past"));
}

#[test]
fn chunk_count_and_next_id_are_checked() {
    let mut bytes = four_events();
    put_u64(&mut bytes, 24, 9);
    bytes[42] = 2;
    refresh_checksums(&mut bytes);
    let (st, _) = read_bytes(&bytes);
    let p = st.file_problems.join("\n");
    assert!(p.contains("file header's next record ID is 9 but the records end at ID 4: records 5..8 are missing"), "{p}");
    assert!(!p.contains("chunk(s) but"), "the file is cut: {p}");

    // A second chunk's worth of bytes, zeroed: the header counts a chunk that is not there.
    let mut bytes = four_events();
    bytes.resize(bytes.len() + 65536, 0);
    bytes[42] = 2;
    refresh_checksums(&mut bytes);
    let (st, ids) = read_bytes(&bytes);
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(
        st.file_problems,
        ["file header counts 2 chunk(s) but 1 are present: the header is inconsistent"]
    );
}

#[test]
fn chunk_record_id_ranges_must_join_up() {
    let events: Vec<W> = (1..=400)
        .map(|i| event(i, "2021-02-10T08:00:00Z", &"x".repeat(200)))
        .collect();
    let bytes = evtx_writer::write_evtx(&events);
    assert!(bytes.len() >= 4096 + 2 * 65536, "two chunks or more");
    let (st, _) = read_bytes(&bytes);
    assert!(st.file_problems.is_empty(), "{:?}", st.file_problems);
    // Chunk 1 claims to start further on: its first records' IDs drop out of the range.
    let mut bytes = bytes;
    let c1 = 4096 + 65536;
    let first = get_u64(&bytes, c1 + 24);
    put_u64(&mut bytes, c1 + 8, first + 5);
    put_u64(&mut bytes, c1 + 24, first + 5);
    refresh_checksums(&mut bytes);
    let (st, _) = read_bytes(&bytes);
    let p = st.file_problems.join("\n");
    assert!(
        p.contains(&format!(
            "record IDs jump from {} (chunk 0) to {} (chunk 1)",
            first - 1,
            first + 5
        )),
        "{p}"
    );
}

#[test]
fn reads_real_exchange_management_sample() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/public/evtx/msexchange-management-install-transportagent.evtx");
    let pre = crate::sources::lines::prefilter(&["CmdletLogs"]);
    let mut events = Vec::new();
    let st = read(&p, &pre, |e| events.push(e)).unwrap();
    assert!(st.records >= 1);
    assert_eq!(st.malformed, 0);
    let e = &events[0];
    assert_eq!(e.provider, "MSExchange CmdletLogs");
    assert_eq!(e.event_id, 6);
    assert_eq!(e.level, 2);
    assert_eq!(e.channel, "MSExchange Management");
    assert_eq!(e.data[0], "Install-TransportAgent");
    assert!(e.data[6].contains("w3wp#MSExchangePowerShellAppPool"));
    assert_eq!(st.channel.as_deref(), Some("MSExchange Management"));
}

#[test]
fn named_data_shape() {
    let j = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"Level":4,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"X","EventRecordID":7,"TimeCreated":{"#attributes":{"SystemTime":"2019-05-24T01:33:53.1124866Z"}}},"EventData":{"Image":"C:\\cmd.exe","ProcessId":2404}}}"##;
    let e = EvtxEvent::from_json(0, j.to_string()).unwrap();
    assert_eq!(e.record_id, 7);
    assert_eq!(e.named("image"), Some("C:\\cmd.exe"));
    assert_eq!(e.named("ProcessId"), Some("2404"));
    assert_eq!(e.time.unwrap().to_string(), "2019-05-24T01:33:53.112Z");
    assert_eq!(
        json_str_after(j, "\"Channel\":").as_deref(),
        Some("Microsoft-Windows-Sysmon/Operational")
    );
}

#[test]
fn records_that_render_too_large_are_skipped_and_reported() {
    // Tiny records instantiating a template that repeats its substitution 10,000 times:
    // 500 characters each render to some 5 MB. The first of each chunk is rendered and
    // found too large; the others of its chunk are not rendered at all.
    let bytes = evtx_writer::write_template_bomb(2, 20, 10_000, 500);
    assert!(bytes.len() < 200_000);
    let (st, ids) = read_bytes(&bytes);
    assert!(ids.is_empty());
    assert_eq!((st.too_large, st.unrendered), (2, 40));
    let p = st.file_problems.join("\n");
    assert!(
        p.contains("2 record(s) too large to render were skipped"),
        "{p}"
    );
    assert!(p.contains("40 record(s) were not rendered"), "{p}");
    // The same shape, small: read as usual.
    let (st, _) = read_bytes(&evtx_writer::write_template_bomb(1, 5, 10, 5));
    assert_eq!((st.records, st.too_large, st.unrendered), (6, 0, 0));
    assert!(st.file_problems.is_empty(), "{:?}", st.file_problems);
}

#[test]
fn render_budget_is_per_chunk_and_per_file() {
    // room for c1's two records, c2's full chunk and c3's two records of 1 MiB
    let mut b = RenderBudget::with_file_left((3 * MAX_RECORD_JSON + MAX_CHUNK_JSON) as u64);
    let (c1, c2, c3) = ((1, 1, 9), (2, 10, 19), (3, 20, 29));
    assert!(b.admit(c1) && b.charge(1000));
    assert!(b.admit(c1) && !b.charge(MAX_RECORD_JSON + 1), "too large");
    assert!(!b.admit(c1), "the rest of that chunk is not rendered");
    assert!(b.admit(c2), "the next chunk is");
    for _ in 0..MAX_CHUNK_JSON / MAX_RECORD_JSON {
        assert!(b.charge(MAX_RECORD_JSON));
    }
    assert!(b.admit(c2));
    assert!(b.charge(1), "kept, but the chunk is spent");
    assert!(!b.admit(c2));
    assert!(b.admit(c3));
    assert!(b.charge(MAX_RECORD_JSON) && b.charge(MAX_RECORD_JSON));
    assert!(!b.admit(c3), "the file is spent: {}", b.file_left);
    // an amplified record spends its chunk like a too large one
    let mut b = RenderBudget::with_file_left(1 << 30);
    assert!(b.admit(c1) && !b.charge_record(16 << 10, 40));
    assert!(!b.admit(c1) && b.admit(c2));
}

/// What a read gave: every event handed on (record ID and JSON, in order), and the stats.
fn read_both_ways(bytes: &[u8]) -> [(EvtxStats, Vec<(u64, String)>); 3] {
    let lits = crate::detect::literals_for(crate::sources::SourceKind::Evtx);
    let pre = crate::sources::lines::prefilter(&lits);
    let chunks = ChunkFilter::new(&lits);
    assert!(chunks.skips(), "{:?}", chunks.off());
    let run = |filter: &ChunkFilter, keep_edges: bool| {
        let mut events = Vec::new();
        let st = read_chunks(std::io::Cursor::new(bytes), &pre, filter, keep_edges, |e| {
            events.push((e.record_id, e.json))
        })
        .unwrap();
        (st, events)
    };
    [
        run(&ChunkFilter::none(), true),
        run(&chunks, true),
        run(&chunks, false),
    ]
}

/// The stats that must not change with skipping, when the edge chunks are rendered.
fn coverage_of(st: &EvtxStats) -> impl PartialEq + std::fmt::Debug {
    (
        st.records,
        st.malformed,
        st.first,
        st.last,
        st.channel.clone(),
        st.computer.clone(),
        st.errors.clone(),
        st.file_problems.clone(),
        st.bad_times,
        st.too_large,
        st.unrendered,
    )
}

/// The prefiltered parse hands on the same events as the full parse, with the same coverage;
/// with every chunk open to skipping (the oldest and newest too), still the same events.
fn assert_same_both_ways(name: &str, bytes: &[u8]) -> u64 {
    let [
        (full, full_events),
        (skipped, skipped_events),
        (all, all_events),
    ] = read_both_ways(bytes);
    assert_eq!(full.chunks_skipped, 0);
    assert_eq!(skipped_events, full_events, "{name}: events");
    assert_eq!(
        coverage_of(&skipped),
        coverage_of(&full),
        "{name}: coverage"
    );
    assert_eq!(
        all_events, full_events,
        "{name}: events, every chunk open to skipping"
    );
    assert_eq!(all.records, full.records, "{name}: records");
    all.chunks_skipped
}

#[test]
fn prefiltered_and_full_parses_agree_on_the_real_samples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in [
        root.join("tests/fixtures/public/evtx"),
        root.join("../shared/data/evtx"),
        root.join("../shared/data/evtx/attack-samples"),
    ] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            files.extend(
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "evtx")),
            );
        }
    }
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    let (mut skipped, mut with_events) = (0, 0);
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        skipped += assert_same_both_ways(&p.display().to_string(), &bytes);
        with_events += usize::from(!read_both_ways(&bytes)[0].1.is_empty());
    }
    // Most samples are one chunk, holding a hit: that chunk is rendered. Some are not.
    eprintln!(
        "{} real samples, {with_events} with events; {skipped} chunk(s) skipped",
        files.len()
    );
    assert!(with_events >= 3);
}

/// A Sysmon 1 event; `hit` makes it a China Chopper command under w3wp.
fn sysmon_process(id: u64, hit: bool) -> W {
    let (parent, cmd) = if hit {
        (
            r"c:\windows\system32\inetsrv\w3wp.exe",
            "cmd /c cd /d C:\\inetpub\\wwwroot\\aspnet_client&whoami&echo [S]&cd&echo [E]",
        )
    } else {
        (
            r"C:\Windows\System32\services.exe",
            r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        )
    };
    W {
        record_id: id,
        unix_ms: ms("2021-02-10T08:00:00Z") + id as i64 * 1000,
        provider: "Microsoft-Windows-Sysmon".into(),
        event_id: 1,
        level: 4,
        channel: "Microsoft-Windows-Sysmon/Operational".into(),
        computer: "EX01".into(),
        named_data: vec![
            ("Image".into(), r"C:\Windows\System32\cmd.exe".into()),
            ("CommandLine".into(), cmd.into()),
            ("ParentImage".into(), parent.into()),
            ("User".into(), r"NT AUTHORITY\SYSTEM".into()),
        ],
        ..Default::default()
    }
}

#[test]
fn prefiltered_and_full_parses_agree_on_written_logs_with_hits_anywhere() {
    // About 90 records a chunk: hits in the first and last records of chunks, mid-chunk, in
    // the first and the last chunk, and in runs of chunks with none at all.
    let n = 3000u64;
    for hits in [
        vec![],
        vec![1],
        vec![n],
        vec![1, n],
        vec![90, 91, 92, 1500, 2999],
        (1..=n).step_by(97).collect::<Vec<u64>>(),
        (1..=n).step_by(601).collect(),
    ] {
        let events: Vec<W> = (1..=n)
            .map(|id| sysmon_process(id, hits.contains(&id)))
            .collect();
        let bytes = evtx_writer::write_evtx(&events);
        let chunks = (bytes.len() - 4096) / 65536;
        assert!(chunks >= 20, "{chunks} chunks");
        let skipped = assert_same_both_ways(&format!("hits {hits:?}"), &bytes);
        let [(full, found), (some, _), _] = read_both_ways(&bytes);
        assert_eq!(full.records, n);
        assert_eq!(
            found.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            hits,
            "every hit is found"
        );
        if hits.len() < 10 {
            assert!(
                some.chunks_skipped as usize >= chunks - hits.len() - 3,
                "{} of {chunks} skipped, hits {hits:?}",
                some.chunks_skipped
            );
        }
        assert!(skipped >= some.chunks_skipped);
    }
}

#[test]
fn only_intact_chunks_are_skipped() {
    let events: Vec<W> = (1..=600).map(|id| sysmon_process(id, false)).collect();
    let bytes = evtx_writer::write_evtx(&events);
    let chunks = (bytes.len() - 4096) / 65536;
    let [(_, _), (st, _), _] = read_both_ways(&bytes);
    assert_eq!(
        st.chunks_skipped as usize,
        chunks - 2,
        "all but the edge chunks"
    );
    // A record's data altered in chunk 2 (its checksum no longer holds): rendered, and the
    // mismatch reported as before.
    let mut bad = bytes.clone();
    let c2 = 4096 + 2 * 65536;
    bad[c2 + 512 + 100] ^= 1;
    let [(full, _), (st, _), _] = read_both_ways(&bad);
    assert_eq!(st.chunks_skipped as usize, chunks - 3);
    assert_eq!(coverage_of(&st), coverage_of(&full));
    // A record header's time of 0 in chunk 1: rendered, so that the time comes from the event.
    let mut zero = bytes.clone();
    let c1 = 4096 + 65536;
    put_u64(&mut zero, c1 + 512 + 16, 0);
    refresh_checksums(&mut zero);
    let [(full, _), (st, _), _] = read_both_ways(&zero);
    assert_eq!(st.chunks_skipped as usize, chunks - 3);
    assert_eq!(coverage_of(&st), coverage_of(&full));
    assert_eq!(st.bad_times, 0);
}

#[test]
fn the_same_on_one_thread_and_on_several() {
    let events: Vec<W> = (1..=3000)
        .map(|id| sysmon_process(id, id % 250 == 3))
        .collect();
    let bytes = evtx_writer::write_evtx(&events);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let a = one.install(|| read_both_ways(&bytes));
    let b = four.install(|| read_both_ways(&bytes));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.1, y.1);
        assert_eq!(coverage_of(&x.0), coverage_of(&y.0));
        assert_eq!(x.0.chunks_skipped, y.0.chunks_skipped);
    }
}
