//! End-to-end: the command-line conventions of issue 19 (short options, `--color`, refused
//! outputs and windows, sizes below 1 MiB, the exit codes in `--help`, `--force`). Every refusal
//! exits 2 before the scan: nothing on stdout, the reason on stderr.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;
use harness::exhunt;

use std::path::{Path, PathBuf};

fn examples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn clean() -> String {
    examples("clean").to_str().unwrap().to_string()
}

/// Asserts a refusal before the scan: exit 2, stdout empty, `why` on stderr.
fn refused(o: &std::process::Output, why: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(
        o.stdout.is_empty(),
        "refused only after the scan: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(err.contains(why), "want {why:?} in stderr: {err}");
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// `exhunt ARGS`, as is.
fn run(args: &[&str]) -> std::process::Output {
    exhunt().args(args).output().unwrap()
}

#[test]
fn short_forms_o_and_j() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    let o = run(&["scan", &clean(), "-o", out.to_str().unwrap(), "-j", "1"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(report(&out)["params"]["threads"], 1);
    // -j takes the same checks as --threads
    let o = run(&["scan", &clean(), "-j", "0"]);
    refused(&o, "--threads must be at least 1");
}

/// `exhunt scan <compromised> ARGS` with stdout piped and the given environment; its stdout.
fn console(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut c = exhunt();
    c.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c
        .args(["scan", examples("compromised").to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn color_flag_and_environment() {
    let ansi = |s: &str| s.contains("\x1b[");
    assert!(ansi(&console(&["--color", "always"], &[])), "always, piped");
    assert!(
        ansi(&console(&["--color", "always"], &[("NO_COLOR", "1")])),
        "the flag wins over NO_COLOR"
    );
    assert!(!ansi(&console(&[], &[("NO_COLOR", "1")])), "NO_COLOR");
    assert!(!ansi(&console(&[], &[])), "auto, piped: no colour");
    assert!(
        ansi(&console(&[], &[("CLICOLOR_FORCE", "1")])),
        "CLICOLOR_FORCE"
    );
    assert!(
        !ansi(&console(&[], &[("CLICOLOR_FORCE", "0")])),
        "CLICOLOR_FORCE=0"
    );
    assert!(
        !ansi(&console(&["--color", "never"], &[("CLICOLOR_FORCE", "1")])),
        "the flag wins over CLICOLOR_FORCE"
    );
    let o = run(&["scan", &clean(), "--color", "sometimes"]);
    refused(&o, "--color");
}

#[test]
fn reports_to_stdout_are_refused() {
    for args in [["--out", "-"], ["-o", "-"], ["--collect", "-"]] {
        let o = exhunt()
            .args(["scan", &clean()])
            .args(args)
            .output()
            .unwrap();
        refused(
            &o,
            "writing reports to stdout is not supported; give a folder",
        );
        assert!(!Path::new("-").exists(), "{args:?} made a folder named -");
    }
}

#[test]
fn a_missing_exchange_path_is_refused_before_the_scan() {
    let root = examples("compromised");
    let r = root.to_str().unwrap();
    let o = run(&["scan", r, "--exchange-path", "Program Files/Nowhere/V15"]);
    refused(
        &o,
        "--exchange-path Program Files/Nowhere/V15: no such folder",
    );
    let d = tempfile::tempdir().unwrap();
    let gone = d.path().join("gone");
    let o = run(&["scan", r, "--exchange-path", gone.to_str().unwrap()]);
    refused(&o, "no such folder");
    // a file is not an install folder
    let file = d.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let o = run(&["scan", r, "--exchange-path", file.to_str().unwrap()]);
    refused(&o, "no such folder");
    // loose files have no install folder: the flag would be ignored, so it is refused
    let o = run(&["scan", "--logs", r, "--exchange-path", "/nope"]);
    refused(&o, "cannot be used with");
    // the folder the scan finds, relative in another case or absolute, is taken
    let install = "Program Files/Microsoft/Exchange Server/V15";
    for p in [
        install.to_ascii_lowercase(),
        root.join(install).to_str().unwrap().to_string(),
    ] {
        let out = d.path().join(format!("r{}", p.len()));
        let o = run(&[
            "scan",
            r,
            "--exchange-path",
            &p,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{p}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(report(&out)["verdict"], "compromised", "{p}");
    }
}

#[test]
fn since_and_until_are_checked() {
    let o = run(&["scan", &clean(), "--since", "2999-01-01"]);
    refused(&o, "--since 2999-01-01 is in the future");
    let o = run(&[
        "scan",
        &clean(),
        "--since",
        "2021-03-01",
        "--until",
        "2021-02-01",
    ]);
    refused(&o, "--until 2021-02-01 is before --since 2021-03-01");
    // the same day is a one-day window, not an error
    let o = run(&[
        "scan",
        &clean(),
        "--since",
        "2021-03-01",
        "--until",
        "2021-03-01",
    ]);
    assert_ne!(o.status.code(), Some(2));
    // before Exchange 2013: a warning, and the scan runs
    let d = tempfile::tempdir().unwrap();
    let o = run(&[
        "scan",
        &clean(),
        "--since",
        "2010-01-01",
        "-o",
        d.path().to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("exhunt: warning: --since 2010-01-01 is before 2012-10-01"),
        "{err}"
    );
    assert_ne!(o.status.code(), Some(2), "{err}");
    assert!(!o.stdout.is_empty(), "the scan ran");
    assert!(d.path().join("report.json").is_file());
    // the default window raises no warning
    let o = exhunt().args(["scan", &clean()]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("warning: --since"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Everything a run said: stdout, stderr and every file it wrote into `out`.
fn everything(o: &std::process::Output, out: &Path) -> String {
    let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
    s += &String::from_utf8_lossy(&o.stderr);
    for e in std::fs::read_dir(out).unwrap() {
        s += &String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap());
    }
    s
}

#[test]
fn a_cap_below_one_mib_is_shown_in_kib() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("C");
    trees::build_clean(&root);
    let page = "<html><body>a page a little over the cap</body></html>\r\n".repeat(80);
    assert!(page.len() > 4096);
    trees::write(&root, "inetpub/wwwroot/big.htm", page.as_bytes());
    let out = d.path().join("r");
    let o = exhunt()
        .args([
            "scan",
            root.to_str().unwrap(),
            "--max-file-size",
            "1k",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_ne!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let all = everything(&o, &out);
    let zero = regex::Regex::new(r"\b0(\.0)? MiB").unwrap();
    assert!(!zero.is_match(&all), "{:?}", zero.find(&all));
    assert!(
        all.contains(
            "larger than the 1 KiB cap (--max-file-size) were scanned in their first 1 KiB only"
        ),
        "{all}"
    );
    assert!(all.contains("larger than the 1 KiB cap: scanned in its first 1 KiB only"));
}

#[test]
fn scan_help_lists_the_exit_codes() {
    let o = exhunt().args(["scan", "--help"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8(o.stdout).unwrap();
    for line in [
        "  0  no evidence",
        "  1  compromised",
        "  2  usage or fatal error",
        "  3  suspicious",
        "  4  inconclusive",
    ] {
        assert!(help.contains(line), "{line:?} not in:\n{help}");
    }
    for flag in ["-o, --out <DIR>", "-j, --threads <N>", "--color <WHEN>"] {
        assert!(help.contains(flag), "{flag:?} not in:\n{help}");
    }
}

#[test]
fn out_holding_reports_is_refused_unless_force() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    let scan_out = |extra: &[&str]| {
        exhunt()
            .args(["scan", &clean(), "-o", out.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    assert_eq!(scan_out(&["--host", "FIRST"]).status.code(), Some(0));
    assert_eq!(report(&out)["host"]["name"], "FIRST");
    let first_tpl = out.join("FIRST-LogAgeDays.csv");
    assert!(first_tpl.is_file());
    std::fs::write(out.join("rolled-up.csv"), b"from an earlier run\n").unwrap();
    std::fs::write(out.join("FIRST-mine.csv"), b"not a report").unwrap();
    let before = std::fs::read(out.join("report.json")).unwrap();
    let o = scan_out(&["--host", "SECOND"]);
    refused(
        &o,
        "already holds exhunt reports (report.json); give --force",
    );
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), before);
    // --force replaces each report by a rename: a hard link to the old one keeps the old bytes
    let kept = d.path().join("old-report.json");
    std::fs::hard_link(out.join("report.json"), &kept).unwrap();
    let o = scan_out(&["--host", "SECOND", "--force"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(report(&out)["host"]["name"], "SECOND");
    assert_eq!(std::fs::read(&kept).unwrap(), before, "written in place");
    // the earlier run's reports this run did not write are gone; other files stay
    assert!(out.join("SECOND-LogAgeDays.csv").is_file());
    assert!(!first_tpl.exists(), "a report of the earlier run left");
    assert!(
        !out.join("rolled-up.csv").exists(),
        "a report of the earlier run left"
    );
    assert!(out.join("FIRST-mine.csv").is_file());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("2 left by the earlier run removed"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let tmp: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
    // a folder with other files but no report.json is not refused
    let other = d.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), b"mine").unwrap();
    let o = run(&["scan", &clean(), "-o", other.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // --force needs --out
    let o = run(&["scan", &clean(), "--force"]);
    refused(&o, "--out");
}

/// The `scan --help` pasted in README.md is the binary's (at clap's default width of 100).
#[test]
fn readme_shows_the_current_scan_help() {
    let o = exhunt()
        .env_remove("COLUMNS")
        .args(["scan", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(o.stdout).unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = "`exhunt scan --help`:\n\n```text\n";
    let at = readme.find(start).expect("the help block in README.md") + start.len();
    let end = at + readme[at..].find("```").unwrap();
    assert_eq!(
        &readme[at..end],
        help,
        "paste `exhunt scan --help` into README.md"
    );
}

#[test]
fn version_names_the_commit_and_the_rule_pack_and_reports_record_them() {
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let v = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let rules = exhunt::rules::pack_hash();
    assert_eq!(
        v,
        format!(
            "exhunt {} (commit {}, rules {rules})",
            exhunt::VERSION,
            exhunt::COMMIT
        )
    );
    assert!(
        exhunt::COMMIT == "unknown"
            || (exhunt::COMMIT.len() == 12
                && exhunt::COMMIT.bytes().all(|b| b.is_ascii_hexdigit())),
        "{v}"
    );
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    let o = run(&[
        "scan",
        &clean(),
        "-o",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = report(&out);
    assert_eq!(r["tool"]["commit"], exhunt::COMMIT);
    assert_eq!(r["tool"]["rules"], rules);
    let console = String::from_utf8_lossy(&o.stdout);
    assert!(
        console.contains(&format!("build: commit {}, rules {rules}", exhunt::COMMIT)),
        "{console}"
    );
}

#[test]
fn checks_and_rules_list_what_the_scan_runs() {
    let o = run(&["checks", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let checks: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let listed: Vec<&str> = checks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    // The checks a scan reports on are exactly the ones listed (the pivot sweep is not a check).
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    let tree = examples("compromised");
    let o = run(&[
        "scan",
        tree.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = report(&out);
    let ran: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ran);
    let text = String::from_utf8_lossy(&run(&["checks"]).stdout).into_owned();
    assert!(
        text.contains("cve-2021-27065      CVE-2021-27065  required"),
        "{text}"
    );

    let o = run(&["rules", "--json"]);
    let rules: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // Every finding of a table-driven check names a listed rule, with the same CVE.
    for f in r["findings"].as_array().unwrap() {
        let check = f["check"].as_str().unwrap();
        if matches!(check, "iis-web" | "httpproxy-web" | "exchange-cmdlets") {
            let rule = f["rule"].as_str().unwrap();
            if rule == "iis-shell-hunting" {
                continue; // the fold, not a rule of its own
            }
            let entry = rules
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == rule)
                .unwrap_or_else(|| panic!("{check}/{rule} not listed by exhunt rules"));
            let cve = entry["cve"].as_str().unwrap();
            let fcve: Vec<&str> = f["cve"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(fcve.join(", "), cve, "{rule}");
        }
    }
    assert!(ids.contains(&"web-proxyshell-autodiscover") && ids.contains(&"mailbox-export-to-web"));

    let one = run(&["rules", "iis-proxylogon-ddi-reset-vdir"]);
    assert_eq!(one.status.code(), Some(0));
    let one = String::from_utf8_lossy(&one.stdout);
    assert!(
        one.contains("cve       CVE-2021-27065") && one.contains("why "),
        "{one}"
    );

    let bad = run(&["rules", "no-such-rule"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no rule \"no-such-rule\""));
    assert!(bad.stdout.is_empty());
}

#[test]
fn completions_and_man_pages_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&o.stdout);
        for word in ["scan", "verify", "checks", "since", "collect-zip"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    let bad = run(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());

    let top = String::from_utf8_lossy(&run(&["man"]).stdout).into_owned();
    assert!(top.contains(".TH exhunt 1"), "{top}");
    assert!(
        top.contains(exhunt::rules::pack_hash()),
        "the page names its build"
    );
    let scan = run(&["man", "scan"]);
    assert_eq!(scan.status.code(), Some(0));
    let scan = String::from_utf8_lossy(&scan.stdout);
    assert!(
        scan.contains(".TH exhunt\\-scan 1") || scan.contains(".TH exhunt-scan 1"),
        "{scan}"
    );
    assert!(
        scan.contains("\\-\\-since") && scan.contains("\\-\\-collect\\-zip"),
        "{scan}"
    );
    let bad = run(&["man", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no subcommand \"nope\""));
}
