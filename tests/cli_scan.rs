//! End-to-end: the `exhunt` binary on fixture trees.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;
use harness::{check_state, exhunt, findings, run_scan};

use serde_json::Value;
use std::path::{Path, PathBuf};
use trees::{X, hp_file, hp_line, write};

fn examples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// Runs a scan writing reports to a temp folder; returns (exit code, report.json, out dir, stdout).
fn scan(args: &[&str]) -> (i32, Value, tempfile::TempDir, String) {
    let r = run_scan(args);
    (r.code, r.report, r.out, r.stdout)
}

#[test]
fn compromised_example_finds_every_step() {
    let root = examples("compromised");
    let (code, r, out, stdout) = scan(&[root.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(r["schema"], "exhunt.report/2");
    assert_eq!(r["verdict"], "compromised");
    assert_eq!(r["host"]["name"], "EX01");
    assert_eq!(r["host"]["name_from"], "HttpProxy ServerHostName");
    assert_eq!(r["host"]["fqdn"]["value"], "EX01.contoso.local");
    assert_eq!(r["host"]["domain"]["value"], "contoso.local");
    assert_eq!(r["host"]["addresses"][0]["value"], "10.20.0.15");
    assert!(
        r["host"]["exchange_build"]["value"]
            .as_str()
            .unwrap()
            .starts_with("15.1.2106.2")
    );
    assert!(
        r["host"]["not_known"][0]
            .as_str()
            .unwrap()
            .starts_with("OS product")
    );
    let f55 = findings(&r, "cve-2021-26855");
    let rules: Vec<&str> = f55.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(
        rules
            .iter()
            .filter(|r| **r == "anchor-mailbox-ssrf")
            .count(),
        5
    );
    assert!(
        rules.contains(&"backend-cookie-ssrf"),
        "the BackEndCookie form TPL misses"
    );
    assert!(rules.contains(&"autodiscover-only"));
    assert!(rules.contains(&"localhost-self-check"));
    let ssrf = f55
        .iter()
        .find(|f| f["rule"] == "anchor-mailbox-ssrf")
        .unwrap();
    assert!(
        ssrf["source"]["path"]
            .as_str()
            .unwrap()
            .ends_with("HttpProxy_2021021104-1.LOG")
    );
    assert!(ssrf["source"]["line"].as_u64().unwrap() > 6);
    assert!(ssrf["raw"].as_str().unwrap().contains("ServerInfo~"));
    assert_eq!(ssrf["fields"]["ClientIPAddress"], "203.0.113.57");
    assert_eq!(findings(&r, "cve-2021-26857").len(), 1);
    assert!(
        findings(&r, "cve-2021-26857")[0]["source"]["record_id"]
            .as_u64()
            .is_some()
    );
    assert_eq!(findings(&r, "cve-2021-26858").len(), 1);
    assert_eq!(findings(&r, "cve-2021-27065").len(), 2);
    assert_eq!(findings(&r, "suspicious-files").len(), 2);
    for f in [
        "EX01-Cve-2021-26855.csv",
        "EX01-Cve-2021-26857.csv",
        "EX01-Cve-2021-26858.log",
        "EX01-Cve-2021-26858-DownloadPaths.log",
        "EX01-Cve-2021-27065.log",
        "EX01-Cve-2021-27065-ResetVDir.csv",
        "EX01-other.csv",
        "EX01-LogAgeDays.csv",
        "findings.csv",
        "findings.jsonl",
        "report.html",
        "cisa-ed21-02.xlsx",
        "cisa-ed21-02.csv",
    ] {
        assert!(out.path().join(f).exists(), "{f} missing");
    }
    // findings.jsonl: one ECS document per finding
    let jsonl = std::fs::read_to_string(out.path().join("findings.jsonl")).unwrap();
    let docs: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect();
    assert_eq!(docs.len(), r["findings"].as_array().unwrap().len());
    let ssrf = docs
        .iter()
        .find(|d| d["rule"]["id"] == "cve-2021-26855/anchor-mailbox-ssrf")
        .unwrap();
    assert_eq!(ssrf["source"]["ip"], "203.0.113.57");
    assert_eq!(ssrf["vulnerability"]["id"][0], "CVE-2021-26855");
    assert!(
        ssrf["@timestamp"]
            .as_str()
            .unwrap()
            .starts_with("2021-02-11T04:")
    );
    assert!(
        ssrf["event"]["original"]
            .as_str()
            .unwrap()
            .contains("ServerInfo~")
    );
    let shell = docs
        .iter()
        .find(|d| d["rule"]["id"] == "webshell-yara/EXH_OAB_VDir_Dump_Script")
        .unwrap();
    assert_eq!(shell["file"]["hash"]["sha256"].as_str().unwrap().len(), 64);
    // findings.csv: the client address in its own column
    let mut csv = csv::Reader::from_path(out.path().join("findings.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let ci = header.iter().position(|h| h == "client_ip").unwrap();
    let ri = header.iter().position(|h| h == "rule").unwrap();
    assert!(
        csv.records()
            .map(Result::unwrap)
            .any(|rec| { &rec[ri] == "backend-cookie-ssrf" && &rec[ci] == "203.0.113.88" })
    );
    let tpl = std::fs::read_to_string(out.path().join("EX01-Cve-2021-26855.csv")).unwrap();
    assert!(tpl.starts_with("#TYPE Selected.System.Management.Automation.PSCustomObject\r\n\"DateTime\",\"RequestId\",\"ClientIPAddress\",\"UrlHost\",\"UrlStem\",\"RoutingHint\",\"UserAgent\",\"AnchorMailbox\",\"HttpStatus\"\r\n"));
    assert_eq!(
        tpl.lines().count(),
        2 + 6,
        "five ServerInfo rows and one BackEndCookie row"
    );
    assert!(stdout.contains("Verdict for EX01: COMPROMISED"));
    assert!(!stdout.contains('\x1b'), "NO_COLOR and a pipe: no escapes");
}

#[test]
fn clean_example_is_no_evidence_with_scanner_noise_shown() {
    let (code, r, out, stdout) = scan(&[examples("clean").to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(r["verdict"], "no-evidence");
    let f = findings(&r, "cve-2021-26855");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["class"], "scanner");
    for c in [
        "cve-2021-26855",
        "cve-2021-26857",
        "cve-2021-26858",
        "cve-2021-27065",
        "suspicious-files",
    ] {
        assert_eq!(check_state(&r, c), "ran", "{c}");
    }
    assert!(
        !out.path().join("EX01-Cve-2021-26855.csv").exists(),
        "like TPL, hit files only when there are hits"
    );
    assert!(out.path().join("EX01-LogAgeDays.csv").exists());
}

#[test]
fn logs_younger_than_the_window_are_inconclusive() {
    let (code, r, _o, stdout) =
        scan(&[examples("clean").to_str().unwrap(), "--since", "2020-06-01"]);
    assert_eq!(code, 4);
    assert_eq!(r["verdict"], "inconclusive");
    assert_eq!(check_state(&r, "cve-2021-26855"), "partial");
    assert!(stdout.contains("after the window start"));
}

#[test]
fn missing_sources_are_no_data_not_clean() {
    let d = tempfile::tempdir().unwrap();
    let line = hp_line(1, "2020-12-31T08:00:00.000Z", &[]);
    write(
        d.path(),
        &format!("{X}/Logging/HttpProxy/Owa/HttpProxy_2020123108-1.LOG"),
        &hp_file("2020-12-31T08:00:00.000Z", &[line]),
    );
    let (code, r, _o, stdout) = scan(&[d.path().to_str().unwrap()]);
    assert_eq!(code, 4);
    assert_eq!(r["verdict"], "inconclusive");
    assert_eq!(check_state(&r, "cve-2021-26857"), "no-data");
    assert_eq!(check_state(&r, "cve-2021-26858"), "no-data");
    assert_eq!(
        check_state(&r, "cve-2021-26855"),
        "partial",
        "ten protocol folders are missing"
    );
    assert!(stdout.contains("missing"));
}

#[test]
fn no_exchange_install_is_said_plainly() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("Windows")).unwrap();
    let (code, r, _o, stdout) = scan(&[d.path().to_str().unwrap()]);
    assert_eq!(code, 4);
    assert_eq!(r["verdict"], "inconclusive");
    assert!(stdout.contains("Exchange install: NOT FOUND"));
}

#[test]
fn install_found_elsewhere_case_insensitively() {
    let d = tempfile::tempdir().unwrap();
    let line = hp_line(
        1,
        "2021-02-11T04:28:10.022Z",
        &[("AnchorMailbox", "ServerInfo~a]@ex01:444/mapi/emsmdb/?#")],
    );
    write(
        d.path(),
        "EXCHANGE/exchange server/v15/LOGGING/httpproxy/MAPI/HttpProxy_2021021104-1.LOG",
        &hp_file("2021-02-11T04:00:00Z", &[line]),
    );
    let (_, r, _o, _) = scan(&[d.path().to_str().unwrap()]);
    assert_eq!(r["install"]["found_by"], "search");
    assert_eq!(
        r["install"]["windows_path"],
        "C:\\EXCHANGE\\exchange server\\v15\\"
    );
    assert_eq!(findings(&r, "cve-2021-26855").len(), 1);
}

#[test]
fn loose_files_are_recognised_by_content_not_name() {
    let d = tempfile::tempdir().unwrap();
    let src = examples("compromised").join(X).join("Logging");
    std::fs::copy(
        src.join("HttpProxy/Ecp/HttpProxy_2021021104-1.LOG"),
        d.path().join("a.txt"),
    )
    .unwrap();
    std::fs::copy(
        src.join("ECP/Server/ECPServer20201231-1.LOG"),
        d.path().join("b.dat"),
    )
    .unwrap();
    std::fs::copy(
        src.join("OABGeneratorLog/OABGenerator20201231-1.LOG"),
        d.path().join("c"),
    )
    .unwrap();
    std::fs::copy(
        examples("compromised").join("Windows/System32/winevt/Logs/Application.evtx"),
        d.path().join("export.bin"),
    )
    .unwrap();
    std::fs::write(d.path().join("notes.md"), "nothing here\n").unwrap();
    let (code, r, _o, _) = scan(&["--logs", d.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(r["verdict"], "compromised");
    assert_eq!(r["params"]["mode"], "logs");
    for c in [
        "cve-2021-26855",
        "cve-2021-26857",
        "cve-2021-26858",
        "cve-2021-27065",
    ] {
        assert!(!findings(&r, c).is_empty(), "{c}");
    }
    let labels: Vec<&str> = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"HttpProxy/Ecp"), "{labels:?}");
    assert!(labels.contains(&"EVTX/Application"), "{labels:?}");
    assert_eq!(check_state(&r, "suspicious-files"), "skipped");
}

#[test]
fn junk_lines_are_counted_and_the_scan_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let mut body = hp_file(
        "2020-12-31T08:00:00Z",
        &[hp_line(1, "2020-12-31T08:00:00.000Z", &[])],
    );
    body.extend_from_slice(
        b"2021-01-05T00:00:00.000Z,\"ServerInfo~broken quote,\xff\xfe\x00binary\r\n",
    );
    body.extend_from_slice(b"\x00\x01\x02 ServerInfo~ junk\r\n");
    body.extend_from_slice(
        hp_line(
            2,
            "2021-02-11T04:28:10.022Z",
            &[
                ("AnchorMailbox", "ServerInfo~a]@ex01:444/mapi/emsmdb/?#"),
                ("UserAgent", "ok"),
            ],
        )
        .as_bytes(),
    );
    body.extend_from_slice(b"2021-02-12T00:00:00.000Z,truncated-last-line,ServerInfo~x/y"); // no line end, short
    write(
        d.path(),
        &format!("{X}/Logging/HttpProxy/Mapi/HttpProxy_2021021104-1.LOG"),
        &body,
    );
    let (_, r, _o, _) = scan(&[d.path().to_str().unwrap()]);
    let f = findings(&r, "cve-2021-26855");
    assert!(
        f.iter().any(|f| f["fields"]["UserAgent"] == "ok"),
        "the hit after the junk is found"
    );
    let g = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "HttpProxy/Mapi")
        .unwrap();
    let problems = g["problems"].to_string();
    assert!(problems.contains("no line end"), "{problems}");
    assert!(
        g["malformed"].as_u64().unwrap() >= 1,
        "the binary junk line is counted"
    );
    assert_eq!(g["last"], "2021-02-12T00:00:00.000Z");
}

#[test]
fn exchange_2013_layout_binds_columns_by_name() {
    let d = tempfile::tempdir().unwrap();
    let fields13 = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,,TargetServerVersion,RoutingHint,BackEndCookie,ServerLocatorHost";
    let line = "2021-03-02T01:00:00.000Z,r1,15,0,1497,2,,Ecp,/ecp/x.js,,,false,,,ServerInfo~a]@EX13.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#,python-requests/2.25.1,203.0.113.9,EX13,200,200,,POST,Proxy,ex13,,15.00.1497.002,X-BEResource-Cookie,,";
    write(d.path(), "loose/HttpProxy_2021030201-1.LOG", format!("#Software: Microsoft Exchange Server\r\n#Log-type: HttpProxy Logs\r\n#Fields: {fields13}\r\n{line}\r\n").as_bytes());
    let (_, r, _o, _) = scan(&["--logs", d.path().join("loose").to_str().unwrap()]);
    let f = findings(&r, "cve-2021-27065");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["fields"]["ClientIPAddress"], "203.0.113.9");
    assert_eq!(f[0]["fields"]["UrlHost"], "", "2013 has no UrlHost column");
    assert_eq!(r["host"]["name"], "EX13");
}

#[test]
fn usage_and_fatal_errors_exit_2() {
    exhunt().args(["scan"]).assert().code(2);
    exhunt()
        .args(["scan", "/nonexistent/exhunt-root"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a folder"));
    exhunt()
        .args([
            "scan",
            examples("clean").to_str().unwrap(),
            "--since",
            "last tuesday",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--since"));
    let inside = examples("clean").join("exhunt-out");
    exhunt()
        .args([
            "scan",
            examples("clean").to_str().unwrap(),
            "--out",
            inside.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "refusing to write inside the scanned evidence",
        ));
    assert!(!inside.exists());
}

#[test]
fn checks_can_be_narrowed_but_never_to_no_evidence() {
    let (code, r, _o, _) = scan(&[examples("clean").to_str().unwrap(), "--checks", "tpl"]);
    assert_eq!(
        (code, r["verdict"].as_str().unwrap()),
        (4, "inconclusive"),
        "checks beyond Test-ProxyLogon's were left out"
    );
    for c in [
        "cve-2021-26855",
        "cve-2021-26857",
        "cve-2021-26858",
        "cve-2021-27065",
        "suspicious-files",
    ] {
        assert_eq!(check_state(&r, c), "ran", "{c}");
    }
    assert_eq!(check_state(&r, "iis-web"), "not-selected");
    let (code, r, _o, _) = scan(&[
        examples("compromised").to_str().unwrap(),
        "--checks",
        "cve-2021-26858",
    ]);
    assert_eq!(code, 1);
    assert_eq!(check_state(&r, "cve-2021-26855"), "not-selected");
    assert!(findings(&r, "cve-2021-26855").is_empty());
    assert_eq!(findings(&r, "cve-2021-26858").len(), 1);
    let (_, r, _o, _) = scan(&[
        examples("clean").to_str().unwrap(),
        "--checks",
        "cve-2021-26855",
    ]);
    assert_eq!(
        r["verdict"], "inconclusive",
        "a check left out is not a clean check"
    );
    exhunt()
        .args([
            "scan",
            examples("clean").to_str().unwrap(),
            "--checks",
            "nope",
        ])
        .assert()
        .code(2);
}

#[test]
fn logs_ending_before_the_window_end_are_partial() {
    let (_, r, _o, _) = scan(&[examples("clean").to_str().unwrap(), "--until", "2021-06-30"]);
    assert_eq!(r["verdict"], "inconclusive");
    let c = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "cve-2021-26855")
        .unwrap();
    assert_eq!(c["state"], "partial");
    assert!(
        c["reason"]
            .as_str()
            .unwrap()
            .contains("before the window end"),
        "{c}"
    );
    assert_eq!(
        r["params"]["window"]["until"], "2021-06-30T23:59:59.999Z",
        "a date means the whole day"
    );
    let (code, r, _o, _) = scan(&[examples("clean").to_str().unwrap(), "--until", "2021-03-01"]);
    assert_eq!(
        (code, r["verdict"].as_str().unwrap()),
        (0, "no-evidence"),
        "logs reach the window end"
    );
}

#[test]
fn a_plain_header_mid_file_rebinds_the_columns() {
    // A 2016-layout file with a 2013-layout export appended (plain header line, no #Fields).
    let d = tempfile::tempdir().unwrap();
    let fields13 = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus";
    let hit13 = "2021-03-02T01:00:00.000Z,r1,15,0,1497,2,,Ecp,/ecp/x.js,,,false,,,ServerInfo~a]@EX13.contoso.local:444/mapi/emsmdb/?#,python-requests/2.25.1,203.0.113.9,EX13,200";
    let mut body = hp_file(
        "2021-03-01T00:00:00Z",
        &[hp_line(1, "2021-03-01T08:00:00.000Z", &[])],
    );
    body.extend_from_slice(format!("{fields13}\r\n{hit13}\r\n").as_bytes());
    write(d.path(), "loose/HttpProxy_2021030100-1.LOG", &body);
    let (_, r, _o, _) = scan(&["--logs", d.path().join("loose").to_str().unwrap()]);
    let f = findings(&r, "cve-2021-26855");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        f[0]["fields"]["AnchorMailbox"],
        "ServerInfo~a]@EX13.contoso.local:444/mapi/emsmdb/?#"
    );
    assert_eq!(f[0]["fields"]["ClientIPAddress"], "203.0.113.9");
}
