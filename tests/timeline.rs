//! End-to-end: build at the time, the pivot sweep, the timeline files and the per-IP summaries.

#[path = "support/harness.rs"]
mod harness;
use harness::run_scan;

#[path = "support/trees.rs"]
mod trees;

use serde_json::Value;
use std::path::{Path, PathBuf};
use trees::{X, ecp_file, hp_file, hp_line, write};

fn examples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

struct Run {
    report: Value,
    stdout: String,
    out: tempfile::TempDir,
}

impl Run {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.path().join(name)).unwrap()
    }

    fn csv_rows(&self) -> Vec<Vec<String>> {
        let text = self.file("timeline.csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        r.records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect())
            .collect()
    }
}

fn scan(args: &[&str]) -> Run {
    let r = run_scan(args);
    Run {
        report: r.report,
        stdout: r.stdout,
        out: r.out,
    }
}

const HEADER: &str = "datetime,timestamp_desc,message,host,source_type,source_file,line,record_id,byte_offset,client_ip,user_agent,method,url,status,user,request_id,rule_id,cve,severity,pivot";

#[test]
fn timeline_csv_snapshot_and_jsonl() {
    let root = examples("compromised");
    let run = scan(&[root.to_str().unwrap()]);
    let csv_text = run.file("timeline.csv");
    assert_eq!(csv_text.lines().next().unwrap(), HEADER);
    let row = csv_text
        .lines()
        .find(|l| l.contains("HttpProxy_2021021104-1.LOG,12,"))
        .unwrap()
        .replace(&root.display().to_string(), "<root>");
    assert_eq!(
        row,
        "2021-02-11T04:29:44.908Z,Request logged,CVE-2021-26855 SSRF request proxied to zz]@ex01.contoso.local:444/ecp/proxyLogon.ecp?# (status 241),EX01,httpproxy,<root>/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021021104-1.LOG,12,,5792,203.0.113.57,python-requests/2.25.1,POST,/ecp/q.js,241,,5b604f8f-e113-4b96-ae11-a26c4158172a,cve-2021-26855/anchor-mailbox-ssrf,CVE-2021-26855,critical,"
    );
    let rows = run.csv_rows();
    let jsonl = run.file("timeline.jsonl");
    let events: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), rows.len());
    assert_eq!(
        run.report["pivot"]["timeline_events"].as_u64().unwrap() as usize,
        rows.len()
    );
    let mut last = String::new();
    for e in &events {
        for k in [
            "datetime",
            "timestamp_desc",
            "message",
            "host",
            "source_type",
        ] {
            assert!(e[k].is_string(), "{k} missing in {e}");
        }
        let t = e["datetime"].as_str().unwrap().to_string();
        assert!(t >= last, "sorted by time");
        last = t;
    }
    // every kind of source is on the one timeline
    let kinds: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["source_type"].as_str().unwrap())
        .collect();
    for k in [
        "httpproxy",
        "iis",
        "ecp-server",
        "oab-generator",
        "evtx",
        "file",
    ] {
        assert!(kinds.contains(k), "{kinds:?}");
    }
    let dump: Vec<&Value> = events
        .iter()
        .filter(|e| e["rule_id"] == "suspicious-files/lsass-dump")
        .collect();
    assert!(
        dump.iter().any(|e| e["timestamp_desc"] == "File modified"),
        "one event per file time"
    );
    let evtx = events
        .iter()
        .find(|e| e["rule_id"] == "exchange-cmdlets/mailbox-export-to-web")
        .unwrap();
    assert_eq!(evtx["record_id"], 111);
    assert_eq!(evtx["user"], "contoso.local/Users/svc-scan");
    assert_eq!(evtx["cve"], "CVE-2021-31207");
    assert!(
        evtx.get("line").is_none(),
        "empty fields are left out of JSONL"
    );
}

#[test]
fn pivots_sweep_and_ip_summaries() {
    let run = scan(&[examples("compromised").to_str().unwrap()]);
    let r = &run.report;
    let ips = r["attacker_ips"].as_array().unwrap();
    let a = ips.iter().find(|a| a["ip"] == "203.0.113.57").unwrap();
    assert_eq!(a["first_seen"], "2021-02-11T04:27:01.310Z");
    assert_eq!(a["last_seen"], "2021-02-11T04:40:02.000Z");
    // seven HttpProxy lines (the reset line holds two findings: one request; the 302 is found by
    // the sweep) and two IIS lines
    assert_eq!(a["requests"], 9);
    assert_eq!(a["statuses"]["200"], 6);
    assert_eq!(a["statuses"]["302"], 1);
    assert_eq!(a["statuses"]["241"], 2, "in HttpProxy and in IIS");
    assert_eq!(a["hits"][0]["value"], "/ecp/q.js");
    assert!(
        a["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["value"] == "cve-2021-26855/anchor-mailbox-ssrf" && f["count"] == 5)
    );
    assert_eq!(a["sources"], serde_json::json!(["httpproxy", "iis"]));
    assert!(
        !ips.iter().any(|a| a["ip"] == "192.0.2.10"),
        "a scanner is not an attacker pivot"
    );
    let paths: Vec<&str> = r["pivot"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/aspnet_client/mvq4tz.aspx",
            "/aspnet_client/system_web/zq7w.aspx"
        ]
    );
    assert!(
        !ips.iter().any(|a| a["ip"] == "10.20.0.15"),
        "the front end proxying to the back-end site is not an attacker"
    );
    // the request for the exported PST shell is a finding of its own, with its address summarised
    let shell = ips.iter().find(|a| a["ip"] == "198.51.100.200").unwrap();
    assert_eq!(shell["hits"][0]["value"], "/aspnet_client/mvq4tz.aspx");
    let rows = run.csv_rows();
    let swept: Vec<&Vec<String>> = rows.iter().filter(|r| !r[19].is_empty()).collect();
    assert!(
        swept.iter().all(|r| r[16].is_empty()),
        "a swept line is not a finding"
    );
    let follow_up = swept.iter().find(|r| r[12] == "/ecp/default.aspx").unwrap();
    assert_eq!(
        follow_up[19],
        "ip=203.0.113.57; user-agent=python-requests/2.25.1"
    );
    assert_eq!(follow_up[0], "2021-02-11T04:40:02.000Z");
    assert!(run.stdout.contains("Attacker IPs"));
    assert!(
        run.stdout
            .contains("203.0.113.57  2021-02-11T04:27:01.310Z")
    );
}

#[test]
fn patched_at_the_time() {
    let run = scan(&[examples("compromised").to_str().unwrap()]);
    let r = &run.report;
    for f in r["findings"].as_array().unwrap() {
        match (f["check"].as_str().unwrap(), f["class"].as_str().unwrap()) {
            ("cve-2021-26855", "exploitation" | "attempt") | ("cve-2021-27065", _) => {
                assert_eq!(f["fields"]["PatchedAtTheTime"], "no", "{}", f["rule"]);
                assert_eq!(f["fields"]["FixedBuild"], "15.1.2106.13");
            }
            _ => assert!(
                f["fields"].get("PatchedAtTheTime").is_none(),
                "{}",
                f["rule"]
            ),
        }
    }
    let b = &r["build_assessment"];
    assert_eq!(b["latest"], "15.1.2106.2");
    assert_eq!(b["latest_cu"], "Exchange 2016 CU18");
    assert_eq!(b["chains"][0]["chain"], "ProxyLogon");
    assert_eq!(b["chains"][0]["latest_patched"], "no");
    assert!(
        run.stdout
            .contains("latest build 15.1.2106.2 (Exchange 2016 CU18): ProxyLogon NOT patched")
    );

    // a patched front end (March SU) hit by an SSRF-shaped request; an ECP record of an older build
    let d = tempfile::tempdir().unwrap();
    let line = hp_line(
        1,
        "2021-03-20T10:00:00.000Z",
        &[
            ("RevisionVersion", "13"),
            ("AnchorMailbox", "ServerInfo~a]@ex01:444/mapi/emsmdb/?#"),
            ("ClientIpAddress", "203.0.113.30"),
        ],
    );
    write(
        d.path(),
        "HttpProxy_2021032010-1.LOG",
        &hp_file("2021-03-20T10:00:00Z", &[line]),
    );
    write(
        d.path(),
        "ECPServer.LOG",
        &ecp_file(&[trees::ECP_MALICIOUS]),
    );
    let run = scan(&["--logs", d.path().to_str().unwrap()]);
    let f = &run.report["findings"];
    let ssrf = f
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "cve-2021-26855")
        .unwrap();
    assert_eq!(ssrf["fields"]["PatchedAtTheTime"], "yes");
    assert_eq!(ssrf["fields"]["Build"], "15.1.2106.13");
    let ecp = f
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "cve-2021-27065")
        .unwrap();
    assert_eq!(ecp["fields"]["BLD"], "15.1.2106.2");
    assert_eq!(ecp["fields"]["PatchedAtTheTime"], "no");
    assert_eq!(run.report["build_assessment"]["earliest"], "15.1.2106.2");
    assert_eq!(run.report["build_assessment"]["latest"], "15.1.2106.13");
}

/// A tree where the sweep must tell real pivot matches from look-alikes.
fn sweep_tree(root: &Path) {
    let rid = "9d2b7f31-0c6e-4a58-8e13-b74f2a90c5d6";
    let chrome = trees::CHROME;
    let lines = vec![
        // the finding: SSRF from .9 with python-requests
        hp_line(
            1,
            "2021-02-11T04:29:44.908Z",
            &[
                ("RequestId", rid),
                (
                    "AnchorMailbox",
                    "ServerInfo~zz]@ex01:444/ecp/proxyLogon.ecp?#",
                ),
                ("ClientIpAddress", "203.0.113.9"),
                ("UserAgent", "python-requests/2.25.1"),
                ("HttpStatus", "241"),
            ],
        ),
        // same address, an ordinary request later: swept by IP
        hp_line(
            2,
            "2021-02-12T08:00:00.000Z",
            &[
                ("ClientIpAddress", "203.0.113.9"),
                ("UserAgent", chrome),
                ("UrlStem", "/owa/"),
            ],
        ),
        // another address, same tool: swept by user agent
        hp_line(
            3,
            "2021-02-13T08:00:00.000Z",
            &[
                ("ClientIpAddress", "203.0.113.99"),
                ("UserAgent", "python-requests/2.25.1"),
            ],
        ),
        // look-alike address (prefix of it), browser: not swept
        hp_line(
            4,
            "2021-02-13T09:00:00.000Z",
            &[("ClientIpAddress", "203.0.113.90"), ("UserAgent", chrome)],
        ),
        // loopback with a browser: neither a pivot nor swept
        hp_line(
            5,
            "2021-02-13T10:00:00.000Z",
            &[("ClientIpAddress", "127.0.0.1"), ("UserAgent", chrome)],
        ),
    ];
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Ecp/HttpProxy_2021021104-1.LOG"),
        &hp_file("2021-02-11T04:00:00Z", &lines),
    );
    // IIS with another #Fields order: c-ip first, X-Forwarded-For at the end
    let iis = format!(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: c-ip date time cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent) X-Forwarded-For\r\n\
10.0.0.5 2021-02-11 04:29:45 GET /owa/ &CorrelationID=<empty>;&cafeReqId={rid}; 200 - -\r\n\
198.51.100.201 2021-02-12 03:00:00 GET /custom/k7.aspx - 200 - -\r\n\
10.0.0.5 2021-02-11 05:00:00 GET /owa/ - 200 Mozilla/5.0+x 203.0.113.9\r\n\
10.0.0.5 2021-02-11 05:00:01 GET /owa/ - 200 Mozilla/5.0+x 203.0.113.91\r\n"
    );
    write(
        root,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210211.log",
        iis.as_bytes(),
    );
    // a file written by the OAB generator outside the OAB folder: its URL path is a pivot
    write(
        root,
        &format!("{X}/Logging/OABGeneratorLog/OABGenerator20210211-1.LOG"),
        trees::oab_line(
            "2021-02-11T04:31:25.000Z",
            "C:\\inetpub\\wwwroot\\custom\\k7.aspx",
        )
        .as_bytes(),
    );
}

#[test]
fn sweep_matches_fields_not_substrings() {
    let d = tempfile::tempdir().unwrap();
    sweep_tree(d.path());
    let run = scan(&[d.path().to_str().unwrap()]);
    let rows = run.csv_rows();
    let pivot_of = |pred: &dyn Fn(&Vec<String>) -> bool| -> Vec<String> {
        rows.iter()
            .filter(|r| pred(r))
            .map(|r| r[19].clone())
            .collect()
    };
    assert_eq!(
        pivot_of(&|r| r[12] == "/owa/" && r[4] == "httpproxy"),
        ["ip=203.0.113.9"]
    );
    assert_eq!(
        pivot_of(&|r| r[9] == "203.0.113.99"),
        ["user-agent=python-requests/2.25.1"]
    );
    assert!(
        pivot_of(&|r| r[9] == "203.0.113.90").is_empty(),
        "look-alike address"
    );
    assert!(pivot_of(&|r| r[9] == "127.0.0.1").is_empty());
    assert_eq!(
        pivot_of(&|r| r[4] == "iis" && r[9] == "10.0.0.5" && r[12] == "/owa/"),
        ["request-id=9d2b7f31-0c6e-4a58-8e13-b74f2a90c5d6"],
        "IIS cafeReqId is HttpProxy's RequestId"
    );
    assert_eq!(
        pivot_of(&|r| r[9] == "198.51.100.201"),
        ["path=/custom/k7.aspx"],
        "a request for the file the OAB generator wrote"
    );
    assert_eq!(
        pivot_of(&|r| r[4] == "iis" && r[9].contains("203.0.113.9")),
        ["ip=203.0.113.9"],
        "X-Forwarded-For counts, 203.0.113.91 does not"
    );
    let ip = &run.report["attacker_ips"][0];
    assert_eq!(ip["ip"], "203.0.113.9");
    assert_eq!(ip["requests"], 3);
    assert_eq!(
        run.report["pivot"]["ips"],
        serde_json::json!(["203.0.113.9"])
    );
}

#[test]
fn untrusted_text_is_neutralised() {
    let d = tempfile::tempdir().unwrap();
    let evil_ua = "=cmd|' /C calc'!A0 \u{1b}[2J\u{1b}]0;pwned\u{7}";
    let line = hp_line(
        1,
        "2021-02-11T04:29:44.908Z",
        &[
            (
                "AnchorMailbox",
                "ServerInfo~zz]@ex01:444/ecp/proxyLogon.ecp?#",
            ),
            ("ClientIpAddress", "203.0.113.66"),
            ("UserAgent", evil_ua),
            ("UrlStem", "@SUM(1+1)"),
        ],
    );
    write(
        d.path(),
        &format!("{X}/Logging/HttpProxy/Ecp/HttpProxy_2021021104-1.LOG"),
        &hp_file("2021-02-11T04:00:00Z", &[line]),
    );
    let run = scan(&[d.path().to_str().unwrap()]);
    let rows = run.csv_rows();
    let row = rows.iter().find(|r| r[9] == "203.0.113.66").unwrap();
    assert!(row[10].starts_with("'="), "{}", row[10]);
    assert!(row[12].starts_with("'@"), "{}", row[12]);
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no escape reaches the terminal"
    );
    assert!(run.stdout.contains("\\x1b[2J"));
    let jsonl = run.file("timeline.jsonl");
    let e: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(e["user_agent"], evil_ua, "JSON keeps the value, escaped");
}
