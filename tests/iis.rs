//! End-to-end: IIS W3C logs and the web rule table (`rules/web.toml`) through the binary.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;
use harness::{by_rule, check_state, coverage, findings, run_scan};

use serde_json::Value;
use std::path::{Path, PathBuf};
use trees::{X, hp_file, hp_line, iis_file, write};

fn examples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn scan(args: &[&str]) -> (i32, Value) {
    let r = run_scan(args);
    (r.code, r.report)
}

#[test]
fn compromised_example_iis_lines_are_findings() {
    let (code, r) = scan(&[examples("compromised").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(check_state(&r, "iis-web"), "ran");
    let f = by_rule(&r, "iis-proxylogon-ecp-short-js");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "critical");
    assert_eq!(f[0]["fields"]["sc-status"], "241");
    assert!(
        f[0]["fields"]["rules"]
            .as_str()
            .unwrap()
            .contains("iis-ecp-status-241")
    );
    assert!(
        f[0]["source"]["path"]
            .as_str()
            .unwrap()
            .ends_with("W3SVC1/u_ex210211.log")
    );
    assert_eq!(f[0]["source"]["line"], 7);
    let f = by_rule(&r, "iis-webshell-aspnet-client");
    // zq7w.aspx (antSword), then the ProxyShell PST shell mvq4tz.aspx written by the mailbox export
    assert_eq!(f.len(), 2);
    assert_eq!(f[1]["fields"]["cs-uri-stem"], "/aspnet_client/mvq4tz.aspx");
    assert_eq!(f[0]["class"], "post-exploitation");
    assert_eq!(f[0]["fields"]["cs(User-Agent)"], "antSword/v2.1");
    assert_eq!(
        f[0]["fields"]["cs-uri-stem"],
        "/aspnet_client/system_web/zq7w.aspx"
    );
    assert_eq!(f[0]["fields"]["site"], "W3SVC1 (front end)");
    assert_eq!(by_rule(&r, "iis-proxylogon-static-post").len(), 1);
    let f = by_rule(&r, "iis-proxylogon-ddi-reset-vdir");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["fields"]["site"], "W3SVC2 (back end)");
    assert_eq!(f[0]["fields"]["cs-username"], "CONTOSO\\EX01$");
    assert_eq!(findings(&r, "iis-web").len(), 5);
}

#[test]
fn clean_example_iis_look_alikes_stay_quiet() {
    let (code, r) = scan(&[examples("clean").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(r["verdict"], "no-evidence");
    assert!(findings(&r, "iis-web").is_empty());
    assert!(findings(&r, "httpproxy-web").is_empty());
    assert_eq!(check_state(&r, "iis-web"), "ran");
    assert_eq!(check_state(&r, "httpproxy-web"), "ran");
    assert_eq!(coverage(&r, "IIS/W3SVC2")["records"], 2);
}

const SFX: &str = "&CorrelationID=<empty>;&cafeReqId=8f3b1d6e-0a2c-47d9-9e5b-c61f04a3d2b7;";
const CAT: &str = "VgEAVAdXaW5kb3dzQwBBBUJhc2ljTBZzdmMtc2NhbkBjb250b3NvLmxvY2FsVS9TLTEtNS0yMS0zNjIzODExMDE1LTMzNjEwNDQzNDgtMzAzMDA4MjAtNTAwRwIAAAAHAAAADFMtMS01LTMyLTU0NA==";

/// A clean server plus a front-end IIS day of the later chains: ProxyShell, ProxyNotShell,
/// OWASSRF, a webshell, a shell-hunting sweep, scanner noise, a `#Fields` change mid-file, a
/// foreign comment, a blank line and one cut line.
fn build_later_chains(root: &Path) {
    trees::build_clean(root);
    let hunt: Vec<String> = [
        "shell.aspx",
        "s.aspx",
        "xx.aspx",
        "errorcheck.aspx",
        "iispage.aspx",
        "system_web/log.aspx",
    ]
    .iter()
    .enumerate()
    .map(|(i, n)| format!("2021-08-21 03:00:0{i} 10.20.0.15 GET /aspnet_client/{n} - 443 - 198.51.100.200 Mozilla/5.0+zgrab/0.x - 404 0 2 1"))
    .collect();
    let mut lines: Vec<String> = vec![
        "2020-12-31 08:00:01 10.20.0.15 GET /owa/ &CorrelationID=<empty>;&cafeReqId=0b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab;&encoding=; 443 - 198.51.100.23 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 302 0 0 15".into(),
        "# Log file reopened by the collector".into(),
        String::new(),
        format!("2021-08-20 13:02:51 10.20.0.15 POST /autodiscover/autodiscover.json @attacker.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@attacker.example{SFX} 443 - 203.0.113.140 python-requests/2.26.0 - 200 0 0 412"),
        format!("2021-08-20 13:03:27 10.20.0.15 POST /autodiscover/autodiscover.json @attacker.example/powershell/?X-Rps-CAT={CAT}&Email=autodiscover/autodiscover.json%3F@attacker.example{SFX} 443 - 203.0.113.140 python-requests/2.26.0 - 200 0 0 1874"),
        format!("2021-08-20 13:05:10 10.20.0.15 GET /autodiscover/autodiscover.json @test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com{SFX} 443 - 192.0.2.50 Mozilla/5.0+(Windows+NT+10.0) - 302 0 0 5"),
        format!("2021-08-20 13:09:44 10.20.0.15 POST /owa/auth/HWTJQDMFVMPOON.aspx {SFX}&encoding=; 443 - 203.0.113.140 python-requests/2.26.0 - 200 0 0 80"),
        "2021-08-20 13:10:00 10.20.0.15 POST /owa/auth/cut.aspx".into(),
    ];
    lines.extend(hunt);
    // a logging restart with one more field: cs(Cookie)
    lines.push("#Software: Microsoft Internet Information Services 10.0".into());
    lines.push("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) sc-status sc-substatus sc-win32-status time-taken".into());
    lines.push("2021-09-02 11:00:00 10.20.0.15 GET /owa/auth/x.js - 443 - 192.0.2.10 curl/7.68 X-AnonResource=true;+X-AnonResource-Backend=localhost/ecp/default.flt?~3;+X-BEResource=localhost/owa/auth/logon.aspx?~3; - 200 0 0 3".into());
    lines.push(format!("2022-10-01 10:00:00 10.20.0.15 GET /autodiscover/autodiscover.json/v1.0/x@evil.example Protocol=Powershell{SFX} 443 CONTOSO\\jdoe 203.0.113.150 python-requests/2.28.1 - - 200 0 0 20"));
    lines.push(format!("2022-12-20 10:00:00 10.20.0.15 POST /owa/mastermailbox%40outlook.com/powershell {SFX} 443 CONTOSO\\jdoe 203.0.113.160 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/105.0.5195.54+Safari/537.36 - - 200 0 0 30"));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    write(
        root,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210820.log",
        &iis_file(&refs),
    );
    let ad = hp_line(
        1,
        "2021-08-20T13:02:51.114Z",
        &[
            ("Protocol", "Autodiscover"),
            ("UrlStem", "/autodiscover/autodiscover.json"),
            (
                "UrlQuery",
                "?@attacker.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@attacker.example",
            ),
            ("IsAuthenticated", "false"),
            ("AuthenticatedUser", ""),
            ("UserAgent", "python-requests/2.26.0"),
            ("ClientIpAddress", "203.0.113.140"),
        ],
    );
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Autodiscover/HttpProxy_2021082013-1.LOG"),
        &hp_file("2021-08-20T13:00:00.000Z", &[ad]),
    );
}

#[test]
fn later_chains_through_the_binary() {
    let d = tempfile::tempdir().unwrap();
    build_later_chains(d.path());
    let (code, r) = scan(&[d.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(r["verdict"], "compromised");

    let ps = by_rule(&r, "web-proxyshell-autodiscover");
    let iis_ps: Vec<&&Value> = ps.iter().filter(|f| f["check"] == "iis-web").collect();
    assert_eq!(iis_ps.len(), 2);
    let cat = iis_ps
        .iter()
        .find(|f| f["severity"] == "critical")
        .expect("the X-Rps-CAT request");
    assert_eq!(
        cat["fields"]["X-Rps-CAT-LogonName"],
        "svc-scan@contoso.local"
    );
    assert_eq!(
        cat["fields"]["X-Rps-CAT-UserSid"],
        "S-1-5-21-3623811015-3361044348-30300820-500"
    );
    for k in [
        "date",
        "time",
        "c-ip",
        "cs-method",
        "cs-uri-stem",
        "cs-uri-query",
        "sc-status",
        "cs(User-Agent)",
        "cs-username",
        "s-port",
        "site",
    ] {
        assert!(cat["fields"].get(k).is_some(), "field {k}");
    }
    assert_eq!(cat["fields"]["c-ip"], "203.0.113.140");
    assert!(cat["raw"].as_str().unwrap().contains("X-Rps-CAT="));
    let hp_ps: Vec<&&Value> = ps
        .iter()
        .filter(|f| f["check"] == "httpproxy-web")
        .collect();
    assert_eq!(hp_ps.len(), 1, "the same request in the HttpProxy log");
    assert_eq!(hp_ps[0]["fields"]["ClientIPAddress"], "203.0.113.140");

    assert_eq!(
        by_rule(&r, "web-scanner-nessus-proxyshell")[0]["class"],
        "scanner"
    );
    assert_eq!(
        by_rule(&r, "iis-webshell-owa-auth")[0]["severity"],
        "critical"
    );
    let nmap = by_rule(&r, "iis-scanner-nmap-self-check");
    assert_eq!(
        nmap.len(),
        1,
        "bound through the second #Fields (cs(Cookie))"
    );
    assert!(
        nmap[0]["fields"]["cs(Cookie)"]
            .as_str()
            .unwrap()
            .contains("localhost")
    );
    let ns = by_rule(&r, "web-proxynotshell-powershell");
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0]["fields"]["cs-username"], "CONTOSO\\jdoe");
    assert_eq!(
        by_rule(&r, "web-owassrf-powershell")[0]["severity"],
        "critical"
    );
    let hunt = by_rule(&r, "iis-shell-hunting");
    assert_eq!(hunt.len(), 1);
    assert_eq!(hunt[0]["fields"]["requests"], "6");
    assert_eq!(hunt[0]["class"], "scanner");
    assert!(
        by_rule(&r, "iis-webshell-aspnet-client").is_empty(),
        "the sweep's probes are folded"
    );

    let g = coverage(&r, "IIS/W3SVC1");
    // the clean day (6) + this day: 6 data lines, 6 hunt lines, 3 after the restart; comments,
    // the blank line and directives are not records
    assert_eq!(g["records"], 6 + 15);
    assert_eq!(g["malformed"], 1, "the cut line");
    assert!(
        g["problems"]
            .to_string()
            .contains("does not fit its #Fields")
    );
    assert_eq!(
        check_state(&r, "iis-web"),
        "partial",
        "one malformed record"
    );
}

#[test]
fn real_tunna_log_is_read_without_loss() {
    let log = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/public/iis/tunna-webshell-tunnel-u_ex.log");
    let (_, r) = scan(&["--logs", log.to_str().unwrap()]);
    let g = coverage(&r, "IIS/(loose)");
    assert_eq!(g["records"], 4298, "every data line");
    assert_eq!(g["malformed"], 0);
    let f = findings(&r, "iis-web");
    assert_eq!(
        f.len(),
        3,
        "the three tunnel openings, not the tunnel's traffic"
    );
    for x in &f {
        assert_eq!(x["rule"], "iis-webshell-tunnel");
        assert_eq!(x["class"], "post-exploitation");
        assert_eq!(x["fields"]["cs-uri-stem"], "/erp/conn.aspx");
        assert_eq!(x["fields"]["cs-uri-query"], "proxy&port=3389&ip=127.0.0.1");
    }
    assert_eq!(f[0]["source"]["line"], 7);
    assert_eq!(
        f.iter()
            .map(|x| x["source"]["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![7, 2606, 2629],
        "lines after the repeated header block keep their numbers"
    );
}

#[test]
fn missing_iis_logs_leave_the_iis_check_without_data() {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    std::fs::remove_dir_all(d.path().join("inetpub")).unwrap();
    let (code, r) = scan(&[d.path().to_str().unwrap()]);
    // inetpub/wwwroot, a folder the file scan requires, went with it: inconclusive
    assert_eq!((code, r["verdict"].as_str()), (4, Some("inconclusive")));
    assert_eq!(check_state(&r, "iis-web"), "no-data");
    assert_eq!(check_state(&r, "httpproxy-web"), "ran");
    assert_eq!(r["verdict"], "inconclusive");
}
