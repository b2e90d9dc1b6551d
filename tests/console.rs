//! End-to-end: the console summary leads with the answer, ranks findings across checks, and
//! honours `--all`, `--min-severity`, the terminal's width and `--json`.

#[path = "support/harness.rs"]
mod harness;
use harness::{exhunt, run_scan};

use std::path::{Path, PathBuf};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn console(args: &[&str]) -> String {
    let o = exhunt()
        .env_remove("COLUMNS")
        .arg("scan")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap()
}

/// The finding heads of the ranked list (`  [severity] class time ... check/rule`).
fn heads(out: &str) -> Vec<&str> {
    out.lines()
        .skip_while(|l| !l.starts_with("Findings, most serious first"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ["))
        .collect()
}

#[test]
fn the_answer_comes_first_and_the_second_actor_is_not_hidden() {
    let root = example("compromised");
    let out = console(&[root.to_str().unwrap()]);
    let lines: Vec<&str> = out.lines().collect();
    let verdict = lines
        .iter()
        .position(|l| l.starts_with("Verdict for EX01: COMPROMISED"))
        .expect("verdict");
    let findings = lines
        .iter()
        .position(|l| l.starts_with("Findings, most serious first"))
        .expect("ranked list");
    let checks = lines.iter().position(|l| *l == "Checks").expect("checks");
    assert!(verdict < findings && findings < checks, "{out}");
    assert!(verdict < 12, "the verdict is near the top: {out}");
    let reason = lines[verdict + 1];
    assert!(
        reason.contains("ProxyLogon exploited")
            && reason.contains("from 203.0.113.57")
            && reason.contains("2 webshells")
            && reason.contains("LSASS dump"),
        "{reason}"
    );
    assert!(lines[verdict + 2].contains("Do now"));
    assert!(out.contains("krbtgt account twice"));
    let h = heads(&out);
    assert_eq!(h.len(), 15, "{out}");
    assert!(
        h.iter()
            .any(|l| l.ends_with("cve-2021-26855/backend-cookie-ssrf")),
        "the second actor's BackEndCookie SSRF is listed: {out}"
    );
    assert!(
        !h.iter().any(|l| l.contains("[info]")),
        "no info line while exploitation is left out: {out}"
    );
    // hits come before attempts and context, criticals before highs within them
    let rung = |l: &str| {
        if l.contains(" exploitation ") || l.contains(" post-exploitation ") {
            3
        } else if l.contains(" attempt ") {
            2
        } else {
            1
        }
    };
    let rungs: Vec<i32> = h.iter().map(|l| rung(l)).collect();
    assert!(rungs.windows(2).all(|w| w[0] >= w[1]), "{rungs:?}");
    assert!(out.contains("more (--all lists them)"), "{out}");
    // the check headers count hits, attempts and context the same way
    assert!(
        out.contains("cve-2021-26855 [ran] CVE-2021-26855 server-side request forgery (HttpProxy) - 6 hit(s), 1 attempt(s), 1 scanner probe(s)"),
        "{out}"
    );
    assert!(out.contains("exchange-cmdlets [ran]") && out.contains("1 hit(s), 2 context"));
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("Verdict for EX01: COMPROMISED: ProxyLogon exploited")
    );
}

#[test]
fn all_lists_every_finding_and_min_severity_filters() {
    let root = example("compromised");
    let r = run_scan(&[root.to_str().unwrap()]);
    let total = r.report["findings"].as_array().unwrap().len();
    let all = console(&[root.to_str().unwrap(), "--all"]);
    assert_eq!(heads(&all).len(), total, "{all}");
    assert!(!all.contains("--all lists them"));

    let high = console(&[root.to_str().unwrap(), "--all", "--min-severity", "high"]);
    let h = heads(&high);
    assert!(!h.is_empty());
    assert!(
        h.iter()
            .all(|l| l.contains("[critical]") || l.contains("[high]")),
        "{high}"
    );
    let below = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !matches!(f["severity"].as_str(), Some("high" | "critical")))
        .count();
    assert!(
        high.contains(&format!("{below} below high (--min-severity)")),
        "{high}"
    );
    let bad = exhunt()
        .arg("scan")
        .arg(&root)
        .args(["--min-severity", "severe"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("severe"));
}

#[test]
fn a_narrow_terminal_cuts_titles_but_never_the_status() {
    let root = example("compromised");
    let o = exhunt()
        .env("COLUMNS", "60")
        .arg("scan")
        .arg(&root)
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let h = heads(&out);
    assert!(
        h.iter()
            .any(|l| l.contains(" 241 ") && l.ends_with("iis-web/iis-proxylogon-ecp-short-js")),
        "the head with its status stays whole: {out}"
    );
    let body: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Findings"))
        .take_while(|l| *l != "Checks")
        .filter(|l| l.starts_with("      "))
        .collect();
    assert!(!body.is_empty());
    for l in &body {
        assert!(l.chars().count() <= 60, "cut to the width: {l:?}");
    }
    assert!(body.iter().any(|l| l.ends_with('…')));
}

#[test]
fn json_puts_the_report_on_stdout_and_messages_on_stderr() {
    let root = example("compromised");
    let dir = tempfile::tempdir().unwrap();
    let o = exhunt()
        .arg("scan")
        .arg(&root)
        .arg("--json")
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    assert_eq!(v["verdict"], "compromised");
    assert!(
        v["summary"]["reason"]
            .as_str()
            .unwrap()
            .contains("ProxyLogon exploited")
    );
    assert_eq!(v["summary"]["open_first"], "timeline.csv");
    assert!(String::from_utf8_lossy(&o.stderr).contains("Reports written to"));
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(file["summary"], v["summary"]);
}

#[test]
fn a_clean_server_says_so_first_with_what_to_keep_doing() {
    let out = console(&[example("clean").to_str().unwrap()]);
    let lines: Vec<&str> = out.lines().collect();
    let v = lines
        .iter()
        .position(|l| l.starts_with("Verdict for EX01: NO EVIDENCE"))
        .expect("verdict");
    assert!(lines[v + 1].contains("Every required check ran"));
    assert!(out.contains("re-scan with exhunt each week"));
    // the scanner probe is listed, below nothing that counts
    assert!(heads(&out)[0].contains("[low]") && heads(&out)[0].contains("scanner"));
}

#[test]
fn from_and_to_filter_the_list_never_the_report_or_the_verdict() {
    let root = example("compromised");
    let dir = tempfile::tempdir().unwrap();
    let o = exhunt()
        .arg("scan")
        .arg(&root)
        .args(["--from", "2021-03-01", "--to", "2021-03-04", "--all"])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "the verdict is the same");
    let out = String::from_utf8(o.stdout).unwrap();
    let h = heads(&out);
    assert!(!h.is_empty());
    assert!(
        h.iter().all(|l| l.contains(" 2021-03-0")),
        "only March 1-4: {out}"
    );
    assert!(
        h.iter().any(|l| l.contains("2021-03-04T22:15:40")),
        "--to a date is its whole day"
    );
    assert!(
        out.contains("outside 2021-03-01T00:00:00.000Z .. 2021-03-04T23:59:59.999Z"),
        "{out}"
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let all = r["findings"].as_array().unwrap().len();
    assert!(all > h.len(), "report.json keeps every finding");
    assert_eq!(r["params"]["shown"]["from"], "2021-03-01T00:00:00.000Z");
    assert_eq!(r["verdict"], "compromised");
    for bad in [
        vec!["--from", "yesterday"],
        vec!["--from", "2021-03-05", "--to", "2021-03-01"],
    ] {
        let o = exhunt().arg("scan").arg(&root).args(&bad).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(o.stdout.is_empty(), "refused before the scan");
    }
}
