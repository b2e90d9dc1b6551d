//! Hostile input: exhunt runs over files an attacker wrote. Each test plants one kind of hostile
//! input next to a real compromise (the `build_compromised` tree, or a copy of its hit log) and
//! checks: no crash, no hang, a clear message, and the real hits still found. Hostile files are
//! generated at test time (nothing big or dangerous is committed).

#[path = "support/trees.rs"]
mod trees;

use assert_cmd::Command;
use serde_json::Value;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use trees::{FIELDS, X, hp_file, junk, ssrf_hit, utf16le, write, write_hp};

struct Run {
    code: i32,
    report: Value,
    out: tempfile::TempDir,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    fn findings(&self, check: &str) -> Vec<&Value> {
        self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["check"] == check)
            .collect()
    }

    fn with_ua(&self, ua: &str) -> Vec<&Value> {
        self.findings("cve-2021-26855")
            .into_iter()
            .filter(|f| f["fields"]["UserAgent"] == ua)
            .collect()
    }

    /// Every problem text, with its path, from coverage and the top level.
    fn problems(&self) -> String {
        let mut s = String::new();
        for g in self.report["coverage"].as_array().unwrap() {
            for p in g["problems"].as_array().unwrap() {
                s += &format!("{} :: {}\n", p["path"], p["problem"]);
            }
        }
        for p in self.report["problems"].as_array().unwrap() {
            s += &format!("{} :: {}\n", p["path"], p["problem"]);
        }
        s
    }

    /// The compromised tree's own hits are all still there.
    fn assert_real_hits(&self) {
        let ssrf = self
            .findings("cve-2021-26855")
            .into_iter()
            .filter(|f| {
                f["fields"]["ClientIPAddress"] == "203.0.113.57"
                    && f["rule"] == "anchor-mailbox-ssrf"
            })
            .filter(|f| {
                f["source"]["path"]
                    .as_str()
                    .unwrap()
                    .ends_with("HttpProxy_2021021104-1.LOG")
            })
            .count();
        assert_eq!(ssrf, 5, "the five SSRF rows of the real intrusion");
        assert_eq!(self.findings("cve-2021-26858").len(), 1);
        assert_eq!(self.findings("cve-2021-27065").len(), 2);
        assert_eq!(self.report["verdict"], "compromised");
    }
}

fn exhunt() -> Command {
    let mut c = Command::cargo_bin("exhunt").unwrap();
    c.env("NO_COLOR", "1");
    c
}

/// `exhunt scan <args> --out <temp>`.
fn scan<I: Into<OsString>>(args: impl IntoIterator<Item = I>) -> Run {
    let out = tempfile::tempdir().unwrap();
    let o = exhunt()
        .arg("scan")
        .args(args.into_iter().map(Into::into))
        .arg("--out")
        .arg(out.path())
        .arg("--no-progress")
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let text = std::fs::read_to_string(out.path().join("report.json")).unwrap_or_else(|_| {
        panic!(
            "no report.json (exit {:?}); stderr: {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    Run {
        code: o.status.code().unwrap(),
        report: serde_json::from_str(&text).unwrap(),
        out,
        stdout: o.stdout,
        stderr: o.stderr,
    }
}

fn compromised() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    trees::build_compromised(d.path());
    d
}

fn ecp_hit_log(root: &Path) -> PathBuf {
    root.join(X)
        .join("Logging/HttpProxy/Ecp/HttpProxy_2021021104-1.LOG")
}

/// Every cell of a CSV file (a leading `#TYPE` line, as Export-Csv writes, is skipped).
fn csv_cells(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let body = match text.strip_prefix("#TYPE") {
        Some(rest) => rest.split_once('\n').map_or("", |(_, b)| b),
        None => &text,
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    r.records()
        .flat_map(|rec| rec.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

#[test]
fn formula_injection_is_neutralised_in_every_csv() {
    let d = compromised();
    let payloads = [
        "=cmd|'/C calc'!A0",
        "+cmd|'/C calc'!A0",
        "-2+3+cmd|'/C calc'!A0",
        "@SUM(1+1)*cmd|'/C calc'!A0",
    ];
    let mut lines: Vec<String> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            ssrf_hit(
                81_000 + i as u64,
                &format!("2021-02-11T05:0{i}:00.000Z"),
                &[
                    ("UserAgent", p),
                    (
                        "AnchorMailbox",
                        &format!("ServerInfo~{p}@ex01.contoso.local:444/ecp/x.ecp?#"),
                    ),
                    ("RoutingHint", p),
                    ("UrlStem", p),
                ],
            )
        })
        .collect();
    // The BackEndCookie form leaves AnchorMailbox free: a formula right at the start of the cell.
    lines.push(trees::hp_line(
        81_100,
        "2021-02-11T05:10:00.000Z",
        &[
            (
                "AnchorMailbox",
                "=HYPERLINK(\"http://203.0.113.9/x\",\"open\")",
            ),
            (
                "BackEndCookie",
                "Server~ex01.contoso.local:444/mapi/emsmdb/?~1942062522",
            ),
            ("UserAgent", "@cmd|'/C calc'!A0"),
            ("ClientIpAddress", "+203.0.113.9"),
        ],
    ));
    write_hp(d.path(), "Mapi", "HttpProxy_2021021105-1.LOG", &lines);
    let collect = tempfile::tempdir().unwrap();
    let r = scan([
        d.path().as_os_str(),
        "--collect".as_ref(),
        collect.path().as_os_str(),
    ]);
    r.assert_real_hits();
    for p in payloads {
        assert_eq!(r.with_ua(p).len(), 1, "{p} is still found, kept as data");
    }
    let tpl = r.out.path().join("EX01-Cve-2021-26855.csv");
    let tpl_cells = csv_cells(&tpl);
    for p in payloads {
        assert!(
            tpl_cells.iter().any(|c| *c == format!("'{p}")),
            "{p} neutralised in the Test-ProxyLogon CSV"
        );
    }
    assert!(tpl_cells.contains(&"'=HYPERLINK(\"http://203.0.113.9/x\",\"open\")".to_string()));
    assert!(tpl_cells.contains(&"'+203.0.113.9".to_string()));
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(r.out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    csvs.push(collect.path().join("EX01/manifest.csv"));
    assert!(csvs.len() >= 5, "{csvs:?}");
    let mut cells = 0;
    for f in &csvs {
        for c in csv_cells(f) {
            cells += 1;
            assert!(
                !c.starts_with(FORMULA_START),
                "{}: cell starts with a formula character: {c:?}",
                f.display()
            );
        }
    }
    assert!(cells > 100);
}

#[test]
fn markup_stays_data_in_json_and_is_escaped_for_html() {
    let d = compromised();
    let xss = "<script>alert(document.domain)</script>";
    let anchor = "ServerInfo~<img src=x onerror=alert(1)>@ex01:444/ecp/y.ecp?#";
    write_hp(
        d.path(),
        "Ecp",
        "HttpProxy_2021021105-1.LOG",
        &[ssrf_hit(
            82_000,
            "2021-02-11T05:00:00.000Z",
            &[("UserAgent", xss), ("AnchorMailbox", anchor)],
        )],
    );
    let r = scan([d.path()]);
    r.assert_real_hits();
    let f = r.with_ua(xss);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["fields"]["AnchorMailbox"], anchor,
        "kept exactly, as data"
    );
    let json = std::fs::read_to_string(r.out.path().join("report.json")).unwrap();
    assert!(json.contains(xss), "JSON strings hold markup as plain data");
    let html = exhunt::report::sanitize::html(xss);
    assert_eq!(html, "&lt;script&gt;alert(document.domain)&lt;/script&gt;");
    assert!(!exhunt::report::sanitize::html(anchor).contains(['<', '>']));
    // report.html holds both as text only (in a browser: tests/html_browser.rs)
    let page = std::fs::read_to_string(r.out.path().join("report.html")).unwrap();
    assert!(!page.contains(xss) && !page.contains("<img"));
    assert!(page.contains(&*html));
    assert!(page.contains("ServerInfo~&lt;img src=x onerror=alert(1)&gt;@ex01"));
    assert_eq!(
        page.matches("<script").count(),
        1,
        "the page's own script only"
    );
}

fn assert_no_escape_bytes(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !bytes.contains(&0x1b) && !text.contains('\u{9b}') && !bytes.contains(&0x07),
        "{what} holds a raw escape sequence:\n{text}"
    );
}

#[test]
fn terminal_escapes_in_fields_and_file_names_never_reach_the_terminal() {
    let d = compromised();
    let outside = tempfile::tempdir().unwrap();
    trees::plant_hostile(d.path(), outside.path());
    // the host name itself from a log line, and a C1 control (CSI) in a field
    write_hp(
        d.path(),
        "Ecp",
        "HttpProxy_2021021109-1.LOG",
        &[ssrf_hit(
            83_000,
            "2021-02-11T05:00:00.000Z",
            &[
                ("UserAgent", "\u{9b}31mred"),
                ("ServerHostName", "EX01\x1b[8m"),
            ],
        )],
    );
    let collect = tempfile::tempdir().unwrap();
    let r = scan([
        d.path().as_os_str(),
        "--collect".as_ref(),
        collect.path().as_os_str(),
    ]);
    r.assert_real_hits();
    let stdout = r.stdout();
    assert!(
        stdout.contains("\\x1b"),
        "escapes are shown, not run:\n{stdout}"
    );
    assert_no_escape_bytes("stdout", &r.stdout);
    assert_no_escape_bytes("stderr", &r.stderr);
    assert!(
        r.findings("suspicious-files")
            .iter()
            .any(|f| f["source"]["path"]
                .as_str()
                .unwrap()
                .contains("evil\\x1b]0;title")),
        "the archive with escapes in its name is found, its name shown escaped"
    );
    // the collection names are made safe, and verify prints nothing raw either
    let names: Vec<String> = walkdir::WalkDir::new(collect.path())
        .into_iter()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains('\x1b')), "{names:?}");
    let v = exhunt().arg("verify").arg(collect.path()).output().unwrap();
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    assert_no_escape_bytes("verify stdout", &v.stdout);
}

#[test]
fn invalid_utf8_is_read_and_utf16_is_reported_not_read() {
    let d = compromised();
    let outside = tempfile::tempdir().unwrap();
    trees::plant_hostile(d.path(), outside.path());
    let r = scan([d.path()]);
    r.assert_real_hits();
    let bad = r
        .findings("cve-2021-26855")
        .into_iter()
        .find(|f| {
            f["fields"]["UserAgent"]
                .as_str()
                .unwrap()
                .ends_with("BADUTF8")
        })
        .expect("the hit with invalid UTF-8 is found");
    assert!(
        bad["fields"]["UserAgent"]
            .as_str()
            .unwrap()
            .starts_with('\u{fffd}'),
        "invalid bytes shown as U+FFFD"
    );
    let problems = r.problems();
    assert!(
        problems.contains("HttpProxy_2021021107-1.LOG") && problems.contains("UTF-16"),
        "{problems}"
    );
}

#[test]
fn a_ten_megabyte_line_with_the_hit_at_its_end_is_found() {
    let d = compromised();
    let huge = "A".repeat(10 << 20);
    let lines = vec![
        trees::benign(84_000, "2021-02-11", "Ews", "/EWS/Exchange.asmx", 1).remove(0),
        ssrf_hit(
            84_001,
            "2021-02-11T05:00:00.000Z",
            &[
                ("ClientRequestId", &huge),
                ("UserAgent", "after-ten-megabytes"),
            ],
        ),
        ssrf_hit(
            84_002,
            "2021-02-11T05:00:01.000Z",
            &[("UserAgent", "the-line-after")],
        ),
    ];
    write_hp(d.path(), "Ews", "HttpProxy_2021021105-1.LOG", &lines);
    let started = std::time::Instant::now();
    let r = scan([d.path()]);
    eprintln!("10 MB line scanned in {:?}", started.elapsed());
    r.assert_real_hits();
    let f = r.with_ua("after-ten-megabytes");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["source"]["line"], 8,
        "six header lines, one benign line"
    );
    assert!(
        f[0]["raw"].as_str().unwrap().contains("more bytes cut"),
        "raw text is capped"
    );
    assert_eq!(r.with_ua("the-line-after")[0]["source"]["line"], 9);
}

#[test]
fn truncated_files_are_read_as_far_as_they_go() {
    let d = compromised();
    let loose = tempfile::tempdir().unwrap();
    let hit = std::fs::read(ecp_hit_log(d.path())).unwrap();
    write(loose.path(), "whole.LOG", &hit);
    let cut_at = hit.len() - 300; // inside the last SSRF row
    write(loose.path(), "cut.LOG", &hit[..cut_at]);
    let evtx = std::fs::read(
        d.path()
            .join("Windows/System32/winevt/Logs/Application.evtx"),
    )
    .unwrap();
    write(loose.path(), "cut.evtx", &evtx[..4096 + 1000]);
    write(loose.path(), "header-only.evtx", &evtx[..4096]);
    let r = scan(["--logs".as_ref(), loose.path().as_os_str()]);
    assert_eq!(r.code, 1);
    assert_eq!(r.report["verdict"], "compromised");
    let whole = r
        .findings("cve-2021-26855")
        .into_iter()
        .filter(|f| f["source"]["path"].as_str().unwrap().ends_with("whole.LOG"))
        .count();
    assert_eq!(whole, 6, "every row of the whole copy");
    let problems = r.problems();
    assert!(
        problems.contains("cut.LOG") && problems.contains("no line end"),
        "{problems}"
    );
    assert!(problems.contains("cut.evtx"), "{problems}");
}

#[test]
fn zero_byte_files_are_counted_quietly() {
    let d = compromised();
    write(
        d.path(),
        &format!("{X}/Logging/HttpProxy/Eas/HttpProxy_2021021106-1.LOG"),
        b"",
    );
    write(
        d.path(),
        &format!("{X}/Logging/OABGeneratorLog/OABGenerator20210211-1.LOG"),
        b"",
    );
    let r = scan([d.path()]);
    r.assert_real_hits();
    let eas = r.report["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "HttpProxy/Eas")
        .unwrap();
    assert_eq!(eas["files"], 2);
    assert!(!r.problems().contains("HttpProxy_2021021106-1.LOG"));
}

#[test]
fn binary_junk_named_log_is_reported_not_parsed() {
    let d = compromised();
    write(
        d.path(),
        &format!("{X}/Logging/HttpProxy/Ecp/HttpProxy_2021021110-1.LOG"),
        &junk(256 * 1024, 42),
    );
    write(
        d.path(),
        &format!("{X}/Logging/ECP/Server/ECPServer20210211-1.LOG"),
        &junk(10_000, 43),
    );
    let r = scan([d.path()]);
    r.assert_real_hits();
    let problems = r.problems();
    assert!(
        problems.contains("HttpProxy_2021021110-1.LOG")
            && problems.contains("not read: content is binary"),
        "{problems}"
    );
    assert!(problems.contains("ECPServer20210211-1.LOG"), "{problems}");
}

#[cfg(unix)]
#[test]
fn links_are_not_followed_out_of_the_root_and_loops_do_not_hang() {
    let d = compromised();
    let outside = tempfile::tempdir().unwrap();
    trees::plant_hostile(d.path(), outside.path());
    // the Application event log itself a link to a file outside
    let app = d
        .path()
        .join("Windows/System32/winevt/Logs/Application.evtx");
    std::fs::copy(&app, outside.path().join("Application.evtx")).unwrap();
    let r0 = scan([d.path()]);
    r0.assert_real_hits();
    std::fs::remove_file(&app).unwrap();
    std::os::unix::fs::symlink(outside.path().join("Application.evtx"), &app).unwrap();
    let r = scan([d.path()]);
    assert!(
        r.with_ua("OUTSIDE-THE-ROOT").is_empty(),
        "a file outside the root was read through a link"
    );
    let problems = r.problems();
    for name in [
        "/loop",
        "HttpProxy_2021021108-1.LOG",
        "/Rest2",
        "Application.evtx",
    ] {
        assert!(
            problems
                .lines()
                .any(|l| l.contains(name) && l.contains("symbolic link not followed")),
            "{name}: {problems}"
        );
    }
    assert!(
        r.findings("cve-2021-26857").is_empty(),
        "the linked event log is not read"
    );
    assert_eq!(
        r.findings("cve-2021-26855").len(),
        r0.findings("cve-2021-26855").len()
    );
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let d = compromised();
    let locked = d
        .path()
        .join(X)
        .join("Logging/HttpProxy/Ecp/HttpProxy_2021021111-1.LOG");
    write_hp(
        d.path(),
        "Ecp",
        "HttpProxy_2021021111-1.LOG",
        &[ssrf_hit(
            85_000,
            "2021-02-11T05:00:00.000Z",
            &[("UserAgent", "LOCKED")],
        )],
    );
    let locked_dir = d.path().join(X).join("Logging/HttpProxy/Rest");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&locked_dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let can_still_read = std::fs::File::open(&locked).is_ok();
    let r = scan([d.path()]);
    std::fs::set_permissions(&locked_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    r.assert_real_hits();
    if can_still_read {
        eprintln!(
            "note: running with the power to read mode-000 files (root?): the unreadable-file assertions are skipped"
        );
        assert_eq!(r.with_ua("LOCKED").len(), 1);
        return;
    }
    let problems = r.problems();
    assert!(
        problems.contains("HttpProxy_2021021111-1.LOG") && problems.contains("ermission denied"),
        "{problems}"
    );
    assert!(problems.contains("HttpProxy/Rest"), "{problems}");
}

#[test]
fn a_folder_of_100000_small_files_is_scanned_and_counted() {
    let loose = tempfile::tempdir().unwrap();
    let many = loose.path().join("many");
    std::fs::create_dir(&many).unwrap();
    let started = std::time::Instant::now();
    for i in 0..100_000u32 {
        std::fs::write(many.join(format!("{i:06}.log")), b"x\n").unwrap();
    }
    let made = started.elapsed();
    let src = compromised();
    std::fs::copy(ecp_hit_log(src.path()), many.join("zz-hit.LOG")).unwrap();
    let started = std::time::Instant::now();
    let r = scan(["--logs".as_ref(), loose.path().as_os_str()]);
    eprintln!(
        "100,001 files: created in {made:?}, scanned in {:?} (exhunt says {} ms)",
        started.elapsed(),
        r.report["elapsed_ms"]
    );
    assert_eq!(r.report["totals"]["files"], 100_001);
    assert_eq!(
        r.findings("cve-2021-26855")
            .iter()
            .filter(|f| f["rule"] == "anchor-mailbox-ssrf")
            .count(),
        5
    );
}

#[test]
fn a_tree_200_folders_deep_is_walked() {
    let d = compromised();
    let mut deep = String::new();
    for i in 0..200 {
        deep += &format!("level{i:03}/");
    }
    write(
        d.path(),
        &format!("ProgramData/{deep}deep.zip"),
        b"PK\x05\x06",
    );
    write_hp(
        d.path(),
        "Owa",
        &format!("{deep}HttpProxy_2021021112-1.LOG"),
        &[ssrf_hit(
            86_000,
            "2021-02-11T05:00:00.000Z",
            &[("UserAgent", "DEEP")],
        )],
    );
    let collect = tempfile::tempdir().unwrap();
    let r = scan([
        d.path().as_os_str(),
        "--collect".as_ref(),
        collect.path().as_os_str(),
    ]);
    r.assert_real_hits();
    assert_eq!(r.with_ua("DEEP").len(), 1);
    assert!(r.findings("suspicious-files").iter().any(|f| {
        f["source"]["path"]
            .as_str()
            .unwrap()
            .ends_with("level199/deep.zip")
    }));
    let v = exhunt().arg("verify").arg(collect.path()).output().unwrap();
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

#[test]
fn a_utf16_header_alone_does_not_hide_the_rest() {
    // UTF-16 logs in a --logs folder: reported, the other files still scanned.
    let loose = tempfile::tempdir().unwrap();
    let src = compromised();
    std::fs::copy(ecp_hit_log(src.path()), loose.path().join("hit.LOG")).unwrap();
    let text = format!(
        "{FIELDS}\r\n{}",
        ssrf_hit(87_000, "2021-02-11T05:00:00.000Z", &[])
    );
    write(loose.path(), "utf16.LOG", &utf16le(&text));
    write(
        loose.path(),
        "plain.LOG",
        &hp_file("2021-02-11T00:00:00Z", &[]),
    );
    let r = scan(["--logs".as_ref(), loose.path().as_os_str()]);
    assert_eq!(r.report["verdict"], "compromised");
    assert!(r.problems().contains("UTF-16"), "{}", r.problems());
    assert!(r.stdout().contains("UTF-16"), "said on the console too");
}
