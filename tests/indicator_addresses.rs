//! End-to-end: requests from indicator addresses (published `rules/ioc/ips.tsv`, and `--ioc`)
//! are found by the client-address column of IIS and HttpProxy lines, not by searching the text.
//! A line holding no rule literal must still be found; an address elsewhere in the line must not
//! count; layouts the quick column split cannot follow, quoted CSV fields and cut lines must
//! neither lose a line nor crash.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;
use harness::{by_rule, run_scan};
use serde_json::Value;
use trees::{X, hp_file, hp_line, iis_file, write};

/// Published by Volexity (rules/ioc/ips.tsv).
const PUBLISHED: &str = "103.77.192.219";
/// Published in CISA AA21-062A.
const PUBLISHED_2: &str = "5.2.69.14";
/// Given with `--ioc` only.
const MINE: &str = "192.0.2.77";

fn iis(time: &str, stem: &str, query: &str, ip: &str) -> String {
    format!(
        "2021-03-04 {time} 10.20.0.15 GET {stem} {query} 443 - {ip} Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15"
    )
}

fn lines_of(r: &Value, rule: &str, file_part: &str) -> Vec<u64> {
    let mut v: Vec<u64> = by_rule(r, rule)
        .iter()
        .filter(|f| f["source"]["path"].as_str().unwrap().contains(file_part))
        .map(|f| f["source"]["line"].as_u64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn indicator_addresses_are_found_by_their_column() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    trees::build_clean(&root);
    let quiet_ip = "198.51.100.23";
    let iis_lines = [
        // line 5: a published client, nothing else of note (no rule literal in the line)
        iis("08:00:00", "/mapi/nspi/", "-", PUBLISHED),
        // line 6: the published address in the query, an ordinary client: quiet
        iis("08:00:01", "/mapi/nspi/", &format!("peer={PUBLISHED}"), quiet_ip),
        // line 7: a longer address that starts with a published one: quiet
        iis("08:00:02", "/mapi/nspi/", "-", &format!("{PUBLISHED}0")),
        // line 8: the --ioc address
        iis("08:00:03", "/mapi/nspi/", "-", MINE),
        // line 9: cut before the client address: no finding, no crash
        "2021-03-04 08:00:04 10.20.0.15 GET /mapi/nspi/".to_string(),
        // line 10: binary junk
        "\u{1}\u{7f}\u{fffd} 2021 \u{0} junk".to_string(),
        // line 11-12: logging restarted with the client address after the user agent (a
        // layout the quick split cannot follow: every line is handed on to the parser)
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username cs(User-Agent) c-ip cs(Referer) sc-status sc-substatus sc-win32-status time-taken".to_string(),
        format!("2021-03-04 09:00:00 10.20.0.15 GET /mapi/nspi/ - 443 - Mozilla/5.0+(Windows+NT+10.0) {PUBLISHED} - 200 0 0 15"),
        // line 13: the same layout, an ordinary client: quiet
        format!("2021-03-04 09:00:01 10.20.0.15 GET /mapi/nspi/ - 443 - Mozilla/5.0+(Windows+NT+10.0) {quiet_ip} - 200 0 0 15"),
    ];
    let refs: Vec<&str> = iis_lines.iter().map(String::as_str).collect();
    write(
        &root,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210304.log",
        &iis_file(&refs),
    );
    let hp = [
        // line 7: a published client on an ordinary request
        hp_line(
            1,
            "2021-03-04T08:00:00.000Z",
            &[("UrlStem", "/mapi/nspi/"), ("ClientIpAddress", PUBLISHED_2)],
        ),
        // line 8: a quoted user agent with a comma before the address column
        hp_line(
            2,
            "2021-03-04T08:00:01.000Z",
            &[
                ("UrlStem", "/mapi/nspi/"),
                ("UserAgent", "Client, v1"),
                ("ClientIpAddress", PUBLISHED_2),
            ],
        ),
        // line 9: the published address in another column: quiet
        hp_line(
            3,
            "2021-03-04T08:00:02.000Z",
            &[("UrlStem", "/mapi/nspi/"), ("TargetServer", PUBLISHED_2)],
        ),
    ];
    write(
        &root,
        &format!("{X}/Logging/HttpProxy/Mapi/HttpProxy_2021030408-1.LOG"),
        &hp_file("2021-03-04T08:00:00.000Z", &hp),
    );
    let ioc = d.path().join("mine.txt");
    std::fs::write(&ioc, format!("{MINE}\n")).unwrap();

    let r = run_scan(&[root.to_str().unwrap(), "--ioc", ioc.to_str().unwrap()]);
    assert_eq!(
        lines_of(&r.report, "web-indicator-ip", "u_ex210304.log"),
        vec![5, 8, 12],
        "{:#}",
        r.report["findings"]
    );
    assert_eq!(
        lines_of(&r.report, "web-indicator-ip", "HttpProxy_2021030408-1.LOG"),
        vec![7, 8]
    );
    // Without --ioc, the user's address is an ordinary client.
    let r = run_scan(&[root.to_str().unwrap()]);
    assert_eq!(
        lines_of(&r.report, "web-indicator-ip", "u_ex210304.log"),
        vec![5, 12]
    );
}
