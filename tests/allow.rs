//! End-to-end: `--allow FILE`, audited suppressions: what an entry matches is lowered to info and
//! marked, never dropped; each entry's count is listed; a bad entry stops the scan with its line.

#[path = "support/harness.rs"]
mod harness;
use harness::{exhunt, run_scan};

use std::path::{Path, PathBuf};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

#[test]
fn allowed_findings_are_lowered_marked_counted_and_kept() {
    let d = tempfile::tempdir().unwrap();
    let allow = d.path().join("allow.txt");
    std::fs::write(
        &allow,
        "# our own\nip 203.0.113.57 pentest of 2021-02-11 (ticket 42)\nrule cve-2021-26855/localhost-self-check the nmap self-check\nua\tNo Such Agent/1\tnever seen\n",
    )
    .unwrap();
    let root = example("compromised");
    let plain = run_scan(&[root.to_str().unwrap()]);
    let r = run_scan(&[root.to_str().unwrap(), "--allow", allow.to_str().unwrap()]);
    let before = plain.report["findings"].as_array().unwrap();
    let after = r.report["findings"].as_array().unwrap();
    assert_eq!(before.len(), after.len(), "nothing suppressed disappears");
    let from_57 = |f: &&serde_json::Value| {
        f["fields"]["ClientIPAddress"] == "203.0.113.57" || f["fields"]["c-ip"] == "203.0.113.57"
    };
    let n57 = after.iter().filter(from_57).count();
    assert!(n57 >= 5);
    for f in after.iter().filter(from_57) {
        assert_eq!(f["severity"], "info", "{f}");
        assert!(
            f["fields"]["Allowed"]
                .as_str()
                .unwrap()
                .contains("pentest of 2021-02-11 (ticket 42) ("),
            "{f}"
        );
        assert!(
            f["fields"]["Allowed"]
                .as_str()
                .unwrap()
                .contains("allow.txt:2; was ")
        );
    }
    let allowed = r.report["allowed"].as_array().unwrap();
    assert_eq!(allowed.len(), 3);
    assert_eq!(allowed[0]["suppressed"], n57 as u64);
    assert_eq!(allowed[1]["suppressed"], 1);
    assert_eq!(
        allowed[2]["suppressed"], 0,
        "an entry that matched nothing is listed too"
    );
    // the second actor and the shells keep the verdict
    assert_eq!(r.report["verdict"], "compromised");
    assert!(r.stdout.contains("Suppressed by --allow"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains(&format!("ip 203.0.113.57: {n57} finding(s) - pentest")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ua No Such Agent/1: 0 finding(s)"));
}

#[test]
fn an_allow_file_with_a_mistake_stops_the_scan() {
    let d = tempfile::tempdir().unwrap();
    let allow = d.path().join("allow.txt");
    std::fs::write(&allow, "ip 203.0.113.999 typo\nrule iis-web\n").unwrap();
    let o = exhunt()
        .arg("scan")
        .arg(example("clean"))
        .arg("--allow")
        .arg(&allow)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "nothing scanned");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("allow.txt:1: \"203.0.113.999\": not an IP address"),
        "{err}"
    );
    assert!(
        err.contains("allow.txt:2: an entry is KIND VALUE REASON"),
        "{err}"
    );
    let o = exhunt()
        .arg("scan")
        .arg(example("clean"))
        .arg("--allow")
        .arg(d.path().join("missing.txt"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read"));
}
