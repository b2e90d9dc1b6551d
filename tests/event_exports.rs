//! End-to-end: Windows events exported as JSON lines, through the binary. The real public
//! ProxyLogon PoC run (OTRF SDWIN-210314014019, a flat-field SIEM export whose times are local
//! time labelled UTC) and one synthetic file per other shape (winlogbeat, evtx_dump), each with a
//! positive case, a benign look-alike and a broken line.

#[path = "support/harness.rs"]
mod harness;
use harness::{by_rule, check_state, coverage, run_scan};

use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The OTRF export, unzipped into a temporary folder (the data set ships zipped).
fn otrf_export() -> (tempfile::TempDir, PathBuf) {
    let zip = fixture("public/otrf-proxylogon/proxylogon_ssrf_rce_poc.zip");
    let mut a = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    assert_eq!(a.len(), 1, "one JSON file in the data set's zip");
    let mut entry = a.by_index(0).unwrap();
    let name = entry.name().unwrap().into_owned();
    let name = Path::new(&name).file_name().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let mut out = std::fs::File::create(&path).unwrap();
    std::io::copy(&mut entry, &mut out).unwrap();
    (dir, path)
}

fn one<'a>(r: &'a Value, rule: &str) -> &'a Value {
    let f = by_rule(r, rule);
    assert_eq!(f.len(), 1, "one {rule} finding: {f:#?}");
    f[0]
}

fn field<'a>(f: &'a Value, name: &str) -> &'a str {
    f["fields"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no field {name} in {f:#}"))
}

fn notes(r: &Value) -> Vec<&str> {
    r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect()
}

#[test]
fn the_real_proxylogon_poc_run_exported_as_json_is_compromised_with_its_chain_in_utc() {
    let (_dir, export) = otrf_export();
    let r = run_scan(&["--logs", export.to_str().unwrap(), "--no-progress"]);
    let rep = &r.report;
    assert_eq!(rep["verdict"], "compromised", "{}", r.stdout);
    assert_eq!(r.code, 1);
    assert_eq!(rep["host"]["name"], "MXS01.azsentinel.local");
    assert_eq!(rep["host"]["domain"]["value"], "azsentinel.local");
    let n = notes(rep);
    assert!(
        n.iter()
            .any(|n| n.contains("shape flat fields (OTRF/Mordor, nxlog) (10487 events)")),
        "{n:#?}"
    );
    assert!(
        n.iter().any(|n| n.contains(
            "record times are local time UTC-5 labelled as UTC: corrected by +300 min, as Sysmon UtcTime proves on 4679 of 4679 events"
        )),
        "{n:#?}"
    );
    assert!(!n.iter().any(|n| n.contains("mixes")), "one host: {n:#?}");
    // Every event read, none dropped; the channels count for the event-log checks.
    assert_eq!(rep["totals"]["records"], 10487);
    let sec = coverage(rep, "EVTX/Security");
    assert_eq!(sec["records"], 5227);
    assert_eq!(sec["first"], "2021-03-14T06:39:58.221Z");
    assert_eq!(coverage(rep, "EVTX/MSExchange Management")["records"], 3);
    assert_eq!(
        coverage(rep, "EVTX/Microsoft-Windows-Sysmon/Operational")["records"],
        4679
    );
    assert_eq!(coverage(rep, "EventJSON/flat")["malformed"], 0);
    for c in ["exchange-cmdlets", "event-rules", "process-evidence"] {
        assert_ne!(check_state(rep, c), "no-data", "{c}");
    }

    // The PoC's steps, with their times corrected to UTC and the export's line as evidence.
    let ssrf = one(rep, "ecp-ssrf-backend-url");
    assert_eq!(ssrf["cve"][0], "CVE-2021-26855");
    assert_eq!(ssrf["time"], "2021-03-14T06:40:11.940Z");
    assert_eq!(ssrf["source"]["line"], 9909);
    assert!(
        field(ssrf, "Value").starts_with("https://mxs01:444/ecp/about.aspx?a=]:444/ecp/tpy.js")
    );
    let set = one(rep, "vdir-url-script");
    assert_eq!(set["time"], "2021-03-14T06:40:12.987Z");
    assert_eq!(set["source"]["line"], 10485);
    let smb = by_rule(rep, "smb-write-script-page-web");
    assert!(!smb.is_empty());
    assert_eq!(smb[0]["time"], "2021-03-14T06:40:13.660Z");
    assert!(field(smb[0], "RelativeTargetName").ends_with("\\owa\\auth\\ohyeah.aspx"));
    let reset = one(rep, "vdir-reset-write");
    assert_eq!(reset["cve"][0], "CVE-2021-27065");
    assert_eq!(reset["class"], "exploitation");
    assert_eq!(reset["time"], "2021-03-14T06:40:14.768Z");
    assert_eq!(reset["source"]["line"], 10486);
    assert_eq!(field(reset, "RecreatedAt"), "2021-03-14T06:40:17.518Z");
    assert!(field(reset, "ScriptSetEvidence").ends_with(":10485"));
    let shell: Vec<&Value> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["check"] == "process-evidence"
                && f["title"].as_str().unwrap().contains("cmd /c whoami")
        })
        .collect();
    assert!(!shell.is_empty());
    let first_shell = shell
        .iter()
        .map(|f| f["time"].as_str().unwrap())
        .min()
        .unwrap();
    assert_eq!(first_shell, "2021-03-14T06:40:15.338Z");
    // The chain in its real order: SSRF, script set, page written, vdir removed, shell run.
    let t = |f: &Value| f["time"].as_str().unwrap().to_string();
    let chain = [
        t(ssrf),
        t(set),
        t(smb[0]),
        t(reset),
        first_shell.to_string(),
        field(reset, "RecreatedAt").to_string(),
    ];
    let mut sorted = chain.clone();
    sorted.sort();
    assert_eq!(chain, sorted);
}

#[test]
fn a_winlogbeat_export_finds_the_reset_counts_the_broken_line_and_says_it_mixes_hosts() {
    let f = fixture("event-exports/winlogbeat.ndjson");
    let r = run_scan(&["--logs", f.to_str().unwrap(), "--no-progress"]);
    let rep = &r.report;
    let reset = one(rep, "vdir-reset-write");
    assert_eq!(reset["time"], "2021-03-03T04:21:07.400Z");
    assert_eq!(reset["source"]["line"], 2);
    assert_eq!(reset["source"]["record_id"], 502);
    assert_eq!(field(reset, "RecreatedAt"), "2021-03-03T04:21:09.900Z");
    // The administrator's plain Set- and Remove- a day later stay info; so does the plain ECP error.
    assert_eq!(by_rule(rep, "vdir-url-script").len(), 1);
    assert_eq!(by_rule(rep, "vdir-removed").len(), 2);
    assert!(by_rule(rep, "ecp-ssrf-backend-url").is_empty());
    let g = coverage(rep, "EventJSON/winlogbeat");
    assert_eq!(
        (g["records"].as_u64(), g["malformed"].as_u64()),
        (Some(7), Some(1))
    );
    let problems: Vec<&str> = g["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["problem"].as_str().unwrap())
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("line not read: line 3: not JSON")),
        "{problems:#?}"
    );
    let n = notes(rep);
    assert!(
        n.iter()
            .any(|n| n.contains("shape winlogbeat/Elastic (winlog.*) (7 events)")),
        "{n:#?}"
    );
    assert!(
        n.iter().any(|n| n.contains(
            "input mixes 2 hosts: ex1.contoso.local (6 events), ex2.contoso.local (1 events)"
        )),
        "{n:#?}"
    );
    assert_eq!(coverage(rep, "EVTX/MSExchange Management")["records"], 5);
    assert_eq!(rep["verdict"], "compromised");
}

#[test]
fn an_evtx_dump_export_finds_the_ssrf_url_not_the_plain_error_and_counts_the_broken_line() {
    let f = fixture("event-exports/evtx_dump.jsonl");
    let r = run_scan(&["--logs", f.to_str().unwrap(), "--no-progress"]);
    let rep = &r.report;
    let ssrf = one(rep, "ecp-ssrf-backend-url");
    assert_eq!(ssrf["time"], "2021-03-03T04:20:59.940Z");
    assert_eq!(ssrf["source"]["line"], 1);
    assert_eq!(ssrf["source"]["record_id"], 812);
    let g = coverage(rep, "EventJSON/evtx_dump");
    assert_eq!(
        (g["records"].as_u64(), g["malformed"].as_u64()),
        (Some(3), Some(1))
    );
    let app = coverage(rep, "EVTX/Application");
    assert_eq!(app["records"], 3);
    assert_eq!(app["last"], "2021-03-03T06:00:00.000Z");
    assert!(
        notes(rep)
            .iter()
            .any(|n| n.contains("shape evtx_dump JSON (Event.System) (3 events)"))
    );
    assert!(
        !notes(rep).iter().any(|n| n.contains("corrected")),
        "no Sysmon: no clock claim"
    );
    assert_eq!(rep["verdict"], "compromised");
}
