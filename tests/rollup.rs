//! End-to-end: repeated scanner hits and mass attempts are rolled up (the earliest stay findings,
//! every other one is listed in `rolled-up.csv` with its line read back from the log), and a
//! closed stdout does not stop the reports.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;
use harness::{by_rule, check, run_scan};

use std::path::Path;
use trees::{iis_file, write};

const SURVEY: &str = "GET /ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application &CorrelationID=<empty>;&cafeReqId=bba6f843-40a1-4875-b41d-12e53de85895; 443 -";

/// Writes one IIS log (the default `#Fields`) under `root`'s W3SVC1 folder.
fn write_iis(root: &Path, name: &str, lines: &[String]) {
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    write(
        root,
        &format!("inetpub/logs/LogFiles/W3SVC1/{name}"),
        &iis_file(&refs),
    );
}

/// Scans `root` with only the IIS web rules.
fn scan_iis_web(root: &Path) -> harness::Scanned {
    run_scan(&[root.to_str().unwrap(), "--checks", "iis-web"])
}

/// 12 zgrab surveys from three addresses, out of time order across two days' files; a browser
/// fetching the same manifest (a look-alike that must stay quiet); a broken line in between.
fn build(root: &Path) -> Vec<String> {
    let survey = |day: &str, minute: u32, ip: &str| {
        format!(
            "{day} 10:{minute:02}:00 10.20.0.15 {SURVEY} {ip} Mozilla/5.0+zgrab/0.x - 200 0 0 41"
        )
    };
    let day1: Vec<String> = (0..7)
        .rev()
        .map(|i| survey("2021-03-01", i, ["198.51.100.7", "198.51.100.8"][i as usize % 2]))
        .chain([
            format!("2021-03-01 11:00:00 10.20.0.15 {SURVEY} 192.0.2.44 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 12"),
            "2021-03-01 11:00:01 10.20.0.15 GET /ecp/Current/exporttool/\"broken".into(),
        ])
        .collect();
    let day2: Vec<String> = (0..5)
        .map(|i| survey("2021-03-02", i, "203.0.113.9"))
        .collect();
    for (name, lines) in [("u_ex210301.log", &day1), ("u_ex210302.log", &day2)] {
        write_iis(root, name, lines);
    }
    day1.into_iter().chain(day2).collect()
}

#[test]
fn scanner_hits_past_the_first_few_are_rolled_up_with_every_line_listed() {
    let tree = tempfile::tempdir().unwrap();
    let lines = build(tree.path());
    let s = scan_iis_web(tree.path());
    let r = &s.report;

    // The five earliest stay findings, in time order, whatever order the lines were logged in.
    let kept = by_rule(r, "web-scanner-version-survey");
    let times: Vec<&str> = kept.iter().map(|f| f["time"].as_str().unwrap()).collect();
    assert_eq!(
        times,
        [
            "2021-03-01T10:00:00.000Z",
            "2021-03-01T10:01:00.000Z",
            "2021-03-01T10:02:00.000Z",
            "2021-03-01T10:03:00.000Z",
            "2021-03-01T10:04:00.000Z"
        ]
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["fields"]["c-ip"] != "192.0.2.44"),
        "a browser fetching the manifest is not a finding"
    );

    let rolled = r["rolled_up"].as_array().unwrap();
    assert_eq!(rolled.len(), 1);
    let g = &rolled[0];
    assert_eq!(g["rule"], "web-scanner-version-survey");
    assert_eq!(
        (g["total"].as_u64(), g["kept"].as_u64()),
        (Some(12), Some(5))
    );
    assert_eq!(g["clients"], 3);
    assert_eq!(g["top_clients"][0]["client"], "203.0.113.9");
    assert_eq!(g["top_clients"][0]["count"], 5);
    assert_eq!(g["first"], "2021-03-01T10:00:00.000Z");
    assert_eq!(g["last"], "2021-03-02T10:04:00.000Z");
    let located = g["lines"].as_array().unwrap();
    assert_eq!(located.len(), 7);
    assert_eq!(located[0]["time"], "2021-03-01T10:05:00.000Z");
    assert_eq!(located[6]["time"], "2021-03-02T10:04:00.000Z");

    // The check's count and the console include the rolled-up hits.
    let status = check(r, "iis-web");
    assert_eq!(status["findings"], 12);
    assert!(s.stdout.contains("12 scanner probe(s)"), "{}", s.stdout);
    assert!(
        s.stdout.contains(
            "rolled up: 7 more scanner hit(s) of web-scanner-version-survey from 3 client(s)"
        ),
        "{}",
        s.stdout
    );
    // (inconclusive: the required checks were not selected)
    assert_eq!(
        r["verdict"], "inconclusive",
        "scanner hits never make a verdict"
    );

    // rolled-up.csv: every rolled-up line, its raw text read back from the log at its offset.
    let mut csv = csv::Reader::from_path(s.out.path().join("rolled-up.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7);
    for (row, loc) in rows.iter().zip(located) {
        assert_eq!(&row[8], loc["line"].to_string());
        assert_eq!(&row[9], loc["offset"].to_string());
        let raw = &row[10];
        assert!(lines.iter().any(|l| l == raw), "read back: {raw}");
        let file = std::fs::read(&row[7]).unwrap();
        let at = loc["offset"].as_u64().unwrap() as usize;
        assert!(file[at..].starts_with(raw.as_bytes()));
        assert!(
            raw.contains(&row[6]),
            "the client column is the line's c-ip"
        );
    }

    // findings.csv: the five, and one row pointing at rolled-up.csv.
    let mut csv = csv::Reader::from_path(s.out.path().join("findings.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let survey_rows: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| &r[2] == "web-scanner-version-survey")
        .collect();
    assert_eq!(survey_rows.len(), 6);
    let summary = survey_rows[5];
    assert_eq!(&summary[7], "rolled-up.csv");
    assert!(
        summary[6].starts_with("7 more hit(s) like this, rolled up (12 in all, 5 listed above)")
    );
}

#[test]
fn a_rule_hit_no_more_than_it_keeps_writes_no_rolled_up_file() {
    let tree = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..3)
        .map(|i| format!("2021-03-01 10:0{i}:00 10.20.0.15 {SURVEY} 198.51.100.7 Mozilla/5.0+zgrab/0.x - 200 0 0 41"))
        .collect();
    write_iis(tree.path(), "u_ex210301.log", &lines);
    let s = scan_iis_web(tree.path());
    assert_eq!(by_rule(&s.report, "web-scanner-version-survey").len(), 3);
    assert_eq!(s.report["rolled_up"].as_array().unwrap().len(), 0);
    assert!(!s.out.path().join("rolled-up.csv").exists());
}

#[test]
fn a_closed_stdout_neither_crashes_the_scan_nor_stops_its_reports() {
    let tree = tempfile::tempdir().unwrap();
    build(tree.path());
    let out = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("exhunt"))
        .args(["scan", tree.path().to_str().unwrap(), "--out"])
        .arg(out.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `exhunt scan ... | head -0`
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // the tree holds only IIS logs: the other checks have no data, so inconclusive
    assert_eq!(o.status.code(), Some(4), "{stderr}");
    for f in [
        "report.json",
        "findings.csv",
        "rolled-up.csv",
        "report.html",
    ] {
        assert!(out.path().join(f).exists(), "{f} not written");
    }
}

#[test]
fn a_log_holding_only_rolled_up_hits_is_still_collected_as_evidence() {
    let tree = tempfile::tempdir().unwrap();
    build(tree.path());
    let c = tempfile::tempdir().unwrap();
    let o = harness::exhunt()
        .args([
            "scan",
            tree.path().to_str().unwrap(),
            "--quiet",
            "--collect",
        ])
        .arg(c.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "inconclusive: only IIS logs");
    let host = std::fs::read_dir(c.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(host.path().join("manifest.json")).unwrap()).unwrap();
    let day2 = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["original_path"]
                .as_str()
                .unwrap()
                .ends_with("u_ex210302.log")
        })
        .expect("the second day's log holds only rolled-up hits and is collected");
    assert_eq!(
        day2["findings"],
        serde_json::json!(["iis-web/web-scanner-version-survey@rolled-up"])
    );
}

#[test]
fn webshell_probes_are_folded_even_when_the_file_rolls_up_scanner_hits_while_it_is_read() {
    // Six probes first, then 300 surveys: the roll-up that runs while the file is read (every
    // 256 findings) must leave the probes for the per-file shell-hunting fold.
    let tree = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = ["shell.aspx", "s.aspx", "xx.aspx", "errorcheck.aspx", "iispage.aspx", "log.aspx"]
        .iter()
        .enumerate()
        .map(|(i, n)| format!("2021-03-01 09:00:0{i} 10.20.0.15 GET /aspnet_client/{n} - 443 - 198.51.100.200 Mozilla/5.0+zgrab/0.x - 404 0 2 1"))
        .collect();
    lines.extend((0..300).map(|i| {
        format!(
            "2021-03-01 {:02}:{:02}:00 10.20.0.15 {SURVEY} 198.51.100.7 Mozilla/5.0+zgrab/0.x - 200 0 0 41",
            10 + i / 60,
            i % 60
        )
    }));
    write_iis(tree.path(), "u_ex210301.log", &lines);
    let s = scan_iis_web(tree.path());
    let hunt = by_rule(&s.report, "iis-shell-hunting");
    assert_eq!(hunt.len(), 1, "the six probes folded into one finding");
    assert_eq!(hunt[0]["fields"]["requests"], "6");
    let rolled = s.report["rolled_up"].as_array().unwrap();
    assert_eq!(rolled.len(), 1);
    assert_eq!(rolled[0]["rule"], "web-scanner-version-survey");
    assert_eq!(rolled[0]["total"], 300);
}

/// The rule's cap on attempts kept whole (`exhunt::model::rollup::KEEP_ATTEMPTS`).
const KEEP_ATTEMPTS: usize = exhunt::model::rollup::KEEP_ATTEMPTS;

/// `n` ProxyLogon SSRF attempts (`/ecp/<x>.js`, status 500) one second apart from 2021-03-03
/// 00:00:00, from ten mass-exploitation addresses with `ua`; attempt `i` comes from `ip(i)`.
fn ssrf_attempts(n: usize, ua: &str, ip: impl Fn(usize) -> String) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "2021-03-03 {:02}:{:02}:{:02} 10.20.0.15 POST /ecp/y{}.js &CorrelationID=<empty>; 443 - {} {ua} - 500 0 0 15",
                i / 3600,
                i / 60 % 60,
                i % 60,
                i % 10,
                ip(i)
            )
        })
        .collect()
}

/// The attacker's successful SSRF (241: exploitation) at 05:00, from `ip`.
fn exploitation(ip: &str) -> String {
    format!(
        "2021-03-03 05:00:00 10.20.0.15 POST /ecp/z.js &CorrelationID=<empty>; 443 - {ip} ExchangeServicesClient/0.0.0.0 - 241 0 0 15"
    )
}

/// Mass exploitation: ten attempts past the cap of ProxyLogon SSRF attempts, one of which got a
/// session. The earliest attempts up to the cap stay findings, the other ten are rows of
/// `rolled-up.csv` with their lines, the exploitation stays a finding, and nothing is uncounted.
#[test]
fn mass_attempts_past_the_cap_are_rolled_up_and_exploitation_never_is() {
    let tree = tempfile::tempdir().unwrap();
    let n = KEEP_ATTEMPTS + 10;
    let mut lines = ssrf_attempts(n, "ExchangeServicesClient/0.0.0.0", |i| {
        format!("198.51.100.{}", i % 5)
    });
    lines.push(exploitation("203.0.113.9"));
    write_iis(tree.path(), "u_ex210303.log", &lines);
    let s = scan_iis_web(tree.path());
    let r = &s.report;
    let hits = by_rule(r, "iis-proxylogon-ecp-short-js");
    let attempts = hits.iter().filter(|f| f["class"] == "attempt").count();
    assert_eq!(attempts, KEEP_ATTEMPTS);
    assert!(
        hits.iter()
            .any(|f| f["class"] == "exploitation" && f["fields"]["c-ip"] == "203.0.113.9"),
        "the 241 stays a finding"
    );
    let rolled = r["rolled_up"].as_array().unwrap();
    assert_eq!(rolled.len(), 1);
    assert_eq!(rolled[0]["class"], "attempt");
    assert_eq!(
        (rolled[0]["total"].as_u64(), rolled[0]["kept"].as_u64()),
        (Some(n as u64), Some(KEEP_ATTEMPTS as u64))
    );
    // The latest ten, in time order, with their text read back from the log.
    let csv = std::fs::read_to_string(s.out.path().join("rolled-up.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 10);
    assert!(rows[0].contains(&lines[KEEP_ATTEMPTS]), "{}", rows[0]);
    assert!(rows[9].contains(&lines[n - 1]), "{}", rows[9]);
    let status = check(r, "iis-web");
    assert_eq!(status["findings"], n + 1);
    assert_eq!(r["verdict"], "compromised");
}

/// The intruder hides among a flood: past the cap, every fifth attempt comes from the address
/// that later got a session. The pivot sweep turns those rolled-up attempts back into findings;
/// the flood's own attempts, which share the intruder's user agent but not the address, stay
/// rolled up and out of the timeline (counted). A cut line, whose address column is lost
/// but whose text still holds the intruder's address, is counted as malformed and comes back too.
#[test]
fn the_intruders_rolled_up_attempts_become_findings_again() {
    let tree = tempfile::tempdir().unwrap();
    let n = KEEP_ATTEMPTS + 50;
    let intruder = "203.0.113.9";
    let mut lines = ssrf_attempts(n, "ExchangeServicesClient/0.0.0.0", |i| {
        if i >= KEEP_ATTEMPTS && i % 5 == 0 {
            intruder.to_string()
        } else {
            format!("198.51.100.{}", i % 5)
        }
    });
    lines.push(format!(
        "2021-03-03 04:59:59 10.20.0.15 POST /ecp/y.js &Correl {intruder}"
    ));
    lines.push(exploitation(intruder));
    write_iis(tree.path(), "u_ex210303.log", &lines);
    let s = run_scan(&[tree.path().to_str().unwrap(), "--checks", "iis-web,pivot"]);
    let r = &s.report;
    let from = |ip: &str| {
        by_rule(r, "iis-proxylogon-ecp-short-js")
            .into_iter()
            .filter(|f| f["class"] == "attempt" && f["fields"]["c-ip"] == ip)
            .map(|f| f["source"]["line"].as_u64().unwrap())
            .collect::<Vec<u64>>()
    };
    // Line numbers: the IIS header takes four lines, so attempt i is line i + 5.
    let expected: Vec<u64> = (KEEP_ATTEMPTS..n)
        .filter(|i| i % 5 == 0)
        .map(|i| i as u64 + 5)
        .collect();
    assert_eq!(from(intruder), expected);
    let cut = by_rule(r, "iis-proxylogon-ecp-short-js")
        .into_iter()
        .filter(|f| f["source"]["line"] == n + 5)
        .count();
    assert_eq!(cut, 1, "the cut line is a finding again");
    assert_eq!(r["pivot"]["restored"], expected.len() + 1);
    assert!(
        s.stdout.contains(&format!(
            "{} rolled-up hit(s) tied to the attacker by address, request id or path made findings again\n",
            expected.len() + 1
        )),
        "{}",
        s.stdout
    );
    let rolled = r["rolled_up"].as_array().unwrap();
    assert_eq!(rolled.len(), 1);
    let g = &rolled[0];
    let rolled_n = (n - KEEP_ATTEMPTS - expected.len()) as u64;
    assert_eq!(
        (
            g["total"].as_u64(),
            g["kept"].as_u64(),
            g["lines"].as_array().unwrap().len()
        ),
        (
            Some(n as u64 + 1),
            Some(n as u64 + 1 - rolled_n),
            rolled_n as usize
        )
    );
    assert!(
        g["top_clients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["client"] != intruder),
        "the roll-up's client tally follows: {g}"
    );
    let csv = std::fs::read_to_string(s.out.path().join("rolled-up.csv")).unwrap();
    assert!(!csv.contains(intruder), "{csv}");
    assert_eq!(r["pivot"]["rolled_user_agent_only"], rolled_n);
    assert_eq!(
        r["pivot"]["lines_matched"], 0,
        "no rolled-up line is a swept line"
    );
    assert!(
        s.stdout.contains(&format!(
            "{rolled_n} rolled-up hit(s) share only the attacker's user agent"
        )),
        "{}",
        s.stdout
    );
    // Nothing counted twice, nothing lost; the cut line is counted as malformed.
    assert_eq!(check(r, "iis-web")["findings"], n + 2);
    let malformed: u64 = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["malformed"].as_u64().unwrap())
        .sum();
    assert_eq!(malformed, 1);
    // The timeline holds the restored attempts as findings, not as swept lines.
    let timeline = std::fs::read_to_string(s.out.path().join("timeline.csv")).unwrap();
    let intruder_rows: Vec<&str> = timeline
        .lines()
        .filter(|l| l.contains(&format!(",{intruder},")))
        .collect();
    assert!(
        intruder_rows
            .iter()
            .filter(|l| l.contains("/ecp/y"))
            .all(|l| l.contains("iis-web/iis-proxylogon-ecp-short-js")),
        "{intruder_rows:#?}"
    );
}
