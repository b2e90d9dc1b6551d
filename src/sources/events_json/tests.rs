use super::*;

fn all() -> Prefilter {
    Prefilter::new(&["\""])
}

fn read_all(text: &str) -> (JsonStats, Vec<(EvtxEvent, u64)>) {
    let mut got = Vec::new();
    let st = read_bytes(text.as_bytes(), &all(), |e, n, _| got.push((e, n)));
    (st, got)
}

const SYSMON: &str = r#"{"SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"MX1","TimeCreated":"2021-03-14T01:40:1SZ","EventID":1,"UtcTime":"2021-03-14 06:40:1S","Image":"C:\\Windows\\System32\\cmd.exe"}"#;

fn sysmon(sec: u8) -> String {
    SYSMON.replace("1S", &format!("{sec}"))
}

#[test]
fn bad_lines_are_counted_with_their_line_numbers_and_good_ones_read() {
    let text = format!(
        "{}\n\nnot json\n{{\"a\":1}}\n{}\r\n[1]\n{}",
        sysmon(11),
        sysmon(12),
        sysmon(13)
    );
    let (st, got) = read_all(&text);
    assert_eq!(st.records, 3);
    assert_eq!(st.bad_lines, 3);
    assert!(
        st.bad_samples[0].starts_with("line 3: not JSON"),
        "{:?}",
        st.bad_samples
    );
    assert_eq!(
        st.bad_samples[1],
        "line 4: not a Windows event (no event id)"
    );
    assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), [1, 5, 7]);
    assert!(st.truncated_last_line);
    assert_eq!(st.shapes[&Shape::Flat], 3);
}

#[test]
fn local_time_labelled_utc_is_corrected_from_sysmon_utctime() {
    let mut text = String::new();
    for s in 10..20 {
        text.push_str(&sysmon(s));
        text.push('\n');
    }
    text.push_str(r#"{"SourceName":"MSExchange CmdletLogs","Channel":"MSExchange Management","Hostname":"MX1","TimeCreated":"2021-03-14T01:40:12.987Z","EventID":1,"Message":"Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -Identity \"OAB\"."}"#);
    text.push('\n');
    let (st, got) = read_all(&text);
    assert_eq!(st.clock_notes.len(), 1, "{:?}", st.clock_notes);
    assert!(
        st.clock_notes[0].starts_with("record times are local time UTC-5 labelled as UTC: corrected by +300 min, as Sysmon UtcTime proves on 10 of 10 events (11 events shifted)"),
        "{}",
        st.clock_notes[0]
    );
    let cmdlet = &got.last().unwrap().0;
    assert_eq!(cmdlet.time.unwrap().to_string(), "2021-03-14T06:40:12.987Z");
    assert_eq!(
        cmdlet.data,
        ["Set-OabVirtualDirectory", "-Identity \"OAB\""]
    );
    let span = &st.channels["Microsoft-Windows-Sysmon/Operational"];
    assert_eq!(span.first.unwrap().to_string(), "2021-03-14T06:40:10.000Z");
}

#[test]
fn a_huge_line_is_bounded_and_reported() {
    let big = format!(
        "{{\"EventID\":1,\"Channel\":\"x\",\"p\":\"{}\"}}\n",
        "a".repeat(MAX_LINE + 10)
    );
    let text = format!("{big}{}\n", sysmon(10));
    let (st, got) = read_all(&text);
    assert_eq!((st.too_large, st.bad_lines, st.records), (1, 1, 1));
    assert_eq!(got[0].1, 2, "the next line keeps its number");
    assert!(st.bad_samples[0].contains("longer than 4 MiB"));
}

#[test]
fn hosts_are_counted() {
    let text = format!("{}\n{}\n", sysmon(10), sysmon(11).replace("MX1", "MX2"));
    let (st, _) = read_all(&text);
    assert_eq!(st.hosts.len(), 2);
}

#[test]
fn endless_channel_and_host_names_are_bounded() {
    let mut text = String::new();
    for i in 0..(MAX_NAMES + 50) {
        text.push_str(&format!(
            "{{\"EventID\":1,\"Channel\":\"c{i}\",\"Hostname\":\"h{i}\",\"SourceName\":\"p\"}}\n"
        ));
    }
    let (st, _) = read_all(&text);
    assert_eq!(st.records, (MAX_NAMES + 50) as u64);
    assert_eq!(st.channels.len(), MAX_NAMES + 1);
    assert_eq!(st.channels[OTHER_CHANNELS].records, 50);
    assert_eq!(st.hosts[OTHER_HOSTS], 50);
}
