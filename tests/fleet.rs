//! End-to-end: `exhunt merge` (the fleet view) and `exhunt diff` (the weekly re-scan) on the
//! shipped examples' reports.

#[path = "support/harness.rs"]
mod harness;
use harness::exhunt;

use std::path::{Path, PathBuf};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// Scans an example into `dir/name` (as a fleet tool would fetch each server's --out).
fn scan_into(dir: &Path, example_name: &str, host: Option<&str>, name: &str) -> PathBuf {
    let out = dir.join(name);
    let mut c = exhunt();
    c.arg("scan")
        .arg(example(example_name))
        .arg("-q")
        .arg("--out")
        .arg(&out);
    if let Some(h) = host {
        c.args(["--host", h]);
    }
    let o = c.output().unwrap();
    assert!(
        out.join("report.json").exists(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn merge_shows_the_shared_attacker_and_lists_what_it_could_not_read() {
    let d = tempfile::tempdir().unwrap();
    let reports = d.path().join("fetched");
    scan_into(&reports, "compromised", None, "ex01");
    scan_into(&reports, "clean", Some("EX03"), "ex03");
    scan_into(&reports, "compromised", Some("EX02"), "ex02");
    std::fs::write(reports.join("ex04.json"), "{\"truncated\": ").unwrap();
    let empty = d.path().join("ex05-never-fetched");
    std::fs::create_dir(&empty).unwrap();
    let out = d.path().join("fleet");
    let o = exhunt()
        .arg("merge")
        .arg(&reports)
        .arg(reports.join("ex04.json"))
        .arg(&empty)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "the worst server is compromised: {stdout}"
    );
    assert!(
        stdout.starts_with("Fleet: 3 server(s), 2 input(s) not readable"),
        "{stdout}"
    );
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  EX")).collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows[0].contains("compromised")
            && rows[2].starts_with("  EX03")
            && rows[2].contains("no-evidence")
    );
    assert!(
        stdout.contains("attacker address 203.0.113.57: EX01, EX02"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("shell path inetpub/wwwroot/aspnet_client/system_web/zq7w.aspx: EX01, EX02")
    );
    assert!(stdout.contains("ex04.json: not an exhunt report"));
    assert!(stdout.contains("ex05-never-fetched: no report.json"));

    let mut csv = csv::Reader::from_path(out.join("fleet.csv")).unwrap();
    let recs: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(
        recs.len(),
        5,
        "three servers and two inputs not read, none dropped"
    );
    assert_eq!(recs.iter().filter(|r| &r[1] == "not read").count(), 2);
    let shared = std::fs::read_to_string(out.join("fleet-shared.csv")).unwrap();
    assert!(
        shared.contains("attacker address,203.0.113.57,2,\"EX01, EX02\""),
        "{shared}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("fleet.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "exhunt.fleet/1");
    assert_eq!(json["servers"].as_array().unwrap().len(), 3);

    // CISA's workbook with one Inventory row per server, as each scan wrote it
    assert!(out.join("cisa-ed21-02.xlsx").exists());
    let mut cisa = csv::Reader::from_path(out.join("cisa-ed21-02.csv")).unwrap();
    let h = cisa.headers().unwrap().clone();
    let (d, g) = (
        h.iter().position(|x| x == "Hostname internal").unwrap(),
        h.iter()
            .position(|x| x == "2) Test-ProxyLogon.ps1 script scan completed?")
            .unwrap(),
    );
    let rows: Vec<(String, String)> = cisa
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[d].to_string(), r[g].to_string())
        })
        .collect();
    let want = |h: &str, g: &str| (h.to_string(), g.to_string());
    assert_eq!(
        rows,
        [
            want("EX01", "Yes (indications of compromise found)"),
            want("EX02", "Yes (indications of compromise found)"),
            want("EX03", "Yes (no indications of compromise found)"),
        ]
    );

    // a second merge into the same folder needs --force
    let again = exhunt()
        .arg("merge")
        .arg(&reports)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));

    // only the clean server: exit 0; nothing readable: not clean
    let clean = exhunt()
        .arg("merge")
        .arg(reports.join("ex03"))
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0));
    let nothing = exhunt().arg("merge").arg(&empty).output().unwrap();
    assert_eq!(
        nothing.status.code(),
        Some(4),
        "an unreadable fleet is inconclusive, never clean"
    );
}

#[test]
fn merge_keeps_attacker_text_inert() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path().join("report.json");
    std::fs::write(
        &r,
        r#"{"schema":"exhunt.report/1","host":"=HYPERLINK(\"http://x\")","verdict":"suspicious",
            "summary":{"reason":"evil \u001b]0;title\u0007 text"}}"#,
    )
    .unwrap();
    // a crafted report's verdict is text from a file too
    let r2 = d.path().join("other.json");
    std::fs::write(
        &r2,
        r#"{"schema":"exhunt.report/2","host":{"name":"EX09"},"verdict":"\u001b[2Jgone"}"#,
    )
    .unwrap();
    let out = d.path().join("o");
    let o = exhunt()
        .arg("merge")
        .arg(&r)
        .arg(&r2)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(!o.stdout.contains(&0x1b), "no escape reaches the terminal");
    let csv = std::fs::read_to_string(out.join("fleet.csv")).unwrap();
    assert!(
        csv.contains("'=HYPERLINK"),
        "a formula is neutralised: {csv}"
    );
    // no cisa-ed21-02.csv beside this report: its row is built from the verdict, and says so
    let cisa = std::fs::read_to_string(out.join("cisa-ed21-02.csv")).unwrap();
    assert!(cisa.contains("'=HYPERLINK"), "{cisa}");
    assert!(cisa.contains("was not found or not readable"), "{cisa}");
}

#[test]
fn diff_lists_new_positives_and_what_disappeared() {
    let d = tempfile::tempdir().unwrap();
    let week1 = scan_into(d.path(), "clean", None, "week1");
    let week2 = scan_into(d.path(), "compromised", None, "week2");
    let out = d.path().join("diff");
    let o = exhunt()
        .arg("diff")
        .arg(&week1)
        .arg(week2.join("report.json"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(1), "new positives: {stdout}");
    assert!(stdout.starts_with("EX01: no-evidence"), "{stdout}");
    assert!(stdout.contains("-> compromised"));
    let n: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("New positives since the last report: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 20, "{stdout}");
    assert!(stdout.contains("cve-2021-26855/backend-cookie-ssrf"));
    assert!(
        !stdout.contains("/localhost-self-check"),
        "the scanner probe is in both weeks: not new"
    );
    let csv = std::fs::read_to_string(out.join("diff.csv")).unwrap();
    assert_eq!(csv.lines().filter(|l| l.starts_with("new,")).count(), n);

    // the other way round: the positives are gone
    let back = exhunt()
        .arg("diff")
        .arg(&week2)
        .arg(&week1)
        .output()
        .unwrap();
    let text = String::from_utf8(back.stdout).unwrap();
    assert_eq!(back.status.code(), Some(0), "nothing new: {text}");
    assert!(text.contains("New positives since the last report: 0"));
    assert!(text.contains("Gone since the last report"));
    assert!(text.contains("webshell-yara/EXH_OAB_VDir_Dump_Script"));

    // the same report twice: nothing new, nothing gone
    let same = exhunt()
        .arg("diff")
        .arg(&week2)
        .arg(&week2)
        .output()
        .unwrap();
    let text = String::from_utf8(same.stdout).unwrap();
    assert_eq!(same.status.code(), Some(0));
    assert!(
        text.contains("New positives since the last report: 0")
            && text.contains("(removed, or its evidence no longer read): 0")
    );

    // a missing or broken report: a clear error
    let bad = exhunt()
        .arg("diff")
        .arg(d.path().join("nope"))
        .arg(&week1)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot read"));
}
