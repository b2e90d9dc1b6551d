//! Issue 13's coverage holes, as a damaged or hostile disk presents them: an unreadable protocol
//! folder, problems under a folder whose name starts like another's, case-variant sibling
//! folders, special files, CR-only line ends. Each must keep the hit visible or the verdict away
//! from `no-evidence`.
#![cfg(unix)]

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;
#[path = "support/unprivileged.rs"]
mod unprivileged;

use harness::{check_state, coverage, findings, run_scan};
use serde_json::Value;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use trees::{X, build_clean, ssrf_hit, write, write_hp};

fn verdict(r: &Value) -> &str {
    r["verdict"].as_str().unwrap()
}

fn all_problems(r: &Value) -> String {
    let mut s = String::new();
    for g in r["coverage"].as_array().unwrap() {
        for p in g["problems"].as_array().unwrap() {
            s += &format!("{} | {} | {}\n", g["label"], p["path"], p["problem"]);
        }
    }
    for p in r["problems"].as_array().unwrap() {
        s += &format!("(top) | {} | {}\n", p["path"], p["problem"]);
    }
    s
}

fn lock(p: &Path) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000)).unwrap();
}

fn unlock(p: &Path) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_clean_tree_these_tests_start_from_is_no_evidence() {
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    let r = run_scan(&[d.path().to_str().unwrap()]);
    assert_eq!(verdict(&r.report), "no-evidence", "{}", r.stdout);
}

/// Issue 13, item 1: the SSRF hits moved into `HttpProxy/Mapi`, that folder mode 000.
#[test]
fn an_unreadable_protocol_folder_makes_its_check_partial_and_the_verdict_inconclusive() {
    let Some(u) = unprivileged::or_skip("unreadable protocol folder") else {
        return;
    };
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    write_hp(
        d.path(),
        "Mapi",
        "HttpProxy_2021021104-1.LOG",
        &[ssrf_hit(70_000, "2021-02-11T04:29:44.908Z", &[])],
    );
    let mapi = d.path().join(X).join("Logging/HttpProxy/Mapi");
    lock(&mapi);
    let r = u.scan(&[d.path().as_os_str()]);
    unlock(&mapi);
    assert_ne!(verdict(&r.report), "no-evidence", "{}", r.stdout);
    assert_eq!(verdict(&r.report), "inconclusive", "{}", r.stdout);
    assert_eq!(check_state(&r.report, "cve-2021-26855"), "partial");
    let g = coverage(&r.report, "HttpProxy/Mapi");
    let p = g["problems"].to_string();
    assert!(p.contains("ermission denied"), "{p}");
}

/// Issue 13, item 9: with `--full`, an unreadable `ROOT/root.old/sub` was routed by string prefix
/// to the hidden optional `root` group and vanished; a link `rootkit_link` likewise.
#[test]
fn problems_under_a_folder_named_like_another_are_shown_and_count() {
    let Some(u) = unprivileged::or_skip("root.old under --full") else {
        return;
    };
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    write(d.path(), "root.old/sub/shell.aspx", b"<%@ Page %>");
    let outside = unprivileged::open_tempdir();
    std::os::unix::fs::symlink(outside.path(), d.path().join("rootkit_link")).unwrap();
    let sub = d.path().join("root.old/sub");
    lock(&sub);
    let r = u.scan(&[d.path().as_os_str(), OsStr::new("--full")]);
    unlock(&sub);
    let problems = all_problems(&r.report);
    let shown: Vec<&str> = problems
        .lines()
        .filter(|l| l.contains("root.old/sub"))
        .collect();
    assert_eq!(shown.len(), 1, "{problems}");
    assert!(
        shown[0].starts_with("\"Files/(rest of the root, --full)\""),
        "{problems}"
    );
    assert!(problems.contains("rootkit_link"), "{problems}");
    for id in ["webshell-yara", "webshell-ioc"] {
        assert_eq!(check_state(&r.report, id), "partial", "{id}: {problems}");
    }
    assert_ne!(verdict(&r.report), "no-evidence");
}

/// The routing itself, as root can test it: a link inside `root.old` is listed in the group of
/// the folder that holds it, never in the optional `root` group that is hidden when absent.
#[test]
fn a_link_under_root_old_lands_in_a_visible_group() {
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    std::fs::create_dir_all(d.path().join("root.old")).unwrap();
    std::os::unix::fs::symlink("/etc", d.path().join("root.old/etc_link")).unwrap();
    let r = run_scan(&[d.path().to_str().unwrap(), "--full"]);
    let problems = all_problems(&r.report);
    let line = problems
        .lines()
        .find(|l| l.contains("etc_link"))
        .unwrap_or_else(|| panic!("{problems}"));
    assert!(
        line.starts_with("\"Files/(rest of the root, --full)\""),
        "{line}"
    );
}

/// Issue 13, item 10: copies of NTFS volumes on case-sensitive file systems can hold two
/// spellings of one folder. Each holds evidence: both are read, and a note says so.
#[test]
fn case_variant_sibling_folders_are_all_read() {
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    // IIS logs in `inetpub/Logs` beside the clean `inetpub/logs`.
    write(
        d.path(),
        "inetpub/Logs/LogFiles/W3SVC1/u_ex210304.log",
        &trees::iis_file(&[
            "2021-03-04 22:11:02 10.20.0.15 POST /aspnet_client/system_web/zq7w.aspx - 443 - 203.0.113.88 antSword/v2.1 - 200 0 0 143",
        ]),
    );
    // A dump in `Windows/temp` beside `Windows/Temp`, an archive in `programdata`.
    let mut dump = b"MDMP\x93\xa7".to_vec();
    dump.resize(64, 0);
    write(d.path(), "Windows/temp/lsass.dmp", &dump);
    let mut zip = b"PK\x05\x06".to_vec();
    zip.resize(22, 0);
    write(d.path(), "programdata/staged.zip", &zip);
    // A shell in `Inetpub/wwwroot` beside `inetpub/wwwroot`.
    write(
        d.path(),
        "Inetpub/wwwroot/aspnet_client/zq7w.aspx",
        &trees::oab_dump_shell(),
    );
    // An HttpProxy protocol folder spelt twice.
    write_hp(
        d.path(),
        "ECP",
        "HttpProxy_2021021104-1.LOG",
        &[ssrf_hit(70_000, "2021-02-11T04:29:44.908Z", &[])],
    );
    let r = run_scan(&[d.path().to_str().unwrap()]);
    let paths: Vec<String> = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"]["path"].as_str().unwrap().to_string())
        .collect();
    for want in [
        "inetpub/Logs/LogFiles/W3SVC1/u_ex210304.log",
        "Windows/temp/lsass.dmp",
        "programdata/staged.zip",
        "Inetpub/wwwroot/aspnet_client/zq7w.aspx",
        "HttpProxy/ECP/HttpProxy_2021021104-1.LOG",
    ] {
        assert!(
            paths.iter().any(|p| p.ends_with(want)),
            "{want} not among {paths:#?}"
        );
    }
    assert!(!findings(&r.report, "cve-2021-26855").is_empty());
    let notes = r.report["notes"].to_string();
    assert!(notes.contains("case-variant folders"), "{notes}");
    assert!(notes.contains("inetpub/Logs/LogFiles"), "{notes}");
    assert_eq!(verdict(&r.report), "compromised");
}

fn mkfifo(p: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success())
}

/// Issue 13, item 13: a FIFO where a log or a page would be is named in coverage, never opened
/// (opening it would block the scan for ever), and the checks reading that folder are partial.
#[test]
fn special_files_are_named_never_opened() {
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    let log_fifo = d
        .path()
        .join(X)
        .join("Logging/HttpProxy/Ecp/HttpProxy_2021021104-1.LOG");
    let page_fifo = d.path().join("inetpub/wwwroot/aspnet_client/pipe.aspx");
    std::fs::create_dir_all(page_fifo.parent().unwrap()).unwrap();
    if !mkfifo(&log_fifo) || !mkfifo(&page_fifo) {
        return unprivileged::skip("special files", "mkfifo is not available");
    }
    let out = tempfile::tempdir().unwrap();
    let o = harness::exhunt()
        .timeout(std::time::Duration::from_secs(60))
        .arg("scan")
        .arg(d.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some(),
        "killed: the scan blocked on a FIFO"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    let problems = all_problems(&report);
    for name in ["HttpProxy_2021021104-1.LOG", "pipe.aspx"] {
        let line = problems
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not named: {problems}"));
        assert!(line.contains("FIFO"), "{line}");
    }
    assert_eq!(check_state(&report, "cve-2021-26855"), "partial");
    assert_eq!(check_state(&report, "webshell-yara"), "partial");
    assert_ne!(verdict(&report), "no-evidence");
}

/// Issue 13, item 14: a log whose lines end in a bare CR was one long unterminated line, and its
/// hits were lost.
#[test]
fn a_log_with_cr_only_line_ends_keeps_its_hits() {
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    let lines = [
        ssrf_hit(70_000, "2021-02-11T04:29:44.908Z", &[]),
        ssrf_hit(70_001, "2021-02-11T04:30:12.540Z", &[]),
    ];
    let crlf = trees::hp_file("2021-02-11T00:00:00.000Z", &lines);
    let cr: Vec<u8> = String::from_utf8(crlf)
        .unwrap()
        .replace("\r\n", "\r")
        .replace('\n', "\r")
        .into_bytes();
    assert!(!cr.contains(&b'\n'));
    write(
        d.path(),
        &format!("{X}/Logging/HttpProxy/Ecp/HttpProxy_2021021104-1.LOG"),
        &cr,
    );
    let r = run_scan(&[d.path().to_str().unwrap()]);
    let hits = findings(&r.report, "cve-2021-26855");
    let lines: Vec<u64> = hits
        .iter()
        .map(|h| h["source"]["line"].as_u64().unwrap())
        .collect();
    assert!(
        lines.contains(&7) && lines.contains(&8),
        "{lines:?} {}",
        r.stdout
    );
    let raw = hits[0]["raw"].as_str().unwrap_or_default();
    assert!(
        raw.contains("ServerInfo~") && !raw.contains('\r'),
        "raw text read back as one line: {raw:?}"
    );
    assert_eq!(verdict(&r.report), "compromised");
}

/// The IIS log folder itself unreadable: the sites behind it were not seen, so the IIS check
/// (optional, but it had logs to read) says it could not read them and the verdict is
/// inconclusive.
#[test]
fn an_unreadable_iis_log_folder_is_not_an_empty_one() {
    let Some(u) = unprivileged::or_skip("unreadable IIS log folder") else {
        return;
    };
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    let lf = d.path().join("inetpub/logs/LogFiles");
    lock(&lf);
    let r = u.scan(&[d.path().as_os_str()]);
    unlock(&lf);
    // Nothing of IIS could be read: no data, with the reason, and not silence.
    assert_eq!(check_state(&r.report, "iis-web"), "no-data", "{}", r.stdout);
    let reason = harness::check(&r.report, "iis-web")["reason"].to_string();
    assert!(reason.contains("no record could be read"), "{reason}");
    let g = coverage(&r.report, "IIS/(log folder)");
    assert!(g["problems"].to_string().contains("ermission denied"));
    assert_eq!(verdict(&r.report), "inconclusive");
}

/// A FIFO standing where an event log belongs is named, not called missing.
#[test]
fn a_fifo_in_an_event_log_slot_is_named() {
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    let app = d
        .path()
        .join("Windows/System32/winevt/Logs/Application.evtx");
    std::fs::remove_file(&app).unwrap();
    if !mkfifo(&app) {
        return unprivileged::skip("FIFO in an event log slot", "mkfifo is not available");
    }
    let r = run_scan(&[d.path().to_str().unwrap()]);
    let p = coverage(&r.report, "EVTX/Application")["problems"].to_string();
    assert!(p.contains("FIFO"), "{p}");
    assert_eq!(check_state(&r.report, "cve-2021-26857"), "no-data");
    assert_ne!(verdict(&r.report), "no-evidence");
}

/// Issue 13, item 14: names that are not UTF-8 (two that differ only in one invalid byte) and a
/// name with a right-to-left override. Each is shown escaped and distinct, never lossily, and
/// the log whose name is not UTF-8 is still read and its lines read back.
#[test]
fn names_that_are_not_utf8_are_shown_escaped_and_distinct() {
    use std::os::unix::ffi::OsStrExt;
    let d = unprivileged::open_tempdir();
    build_clean(d.path());
    let web = d.path().join("inetpub/wwwroot/aspnet_client/system_web");
    std::fs::create_dir_all(&web).unwrap();
    for n in [
        &b"s\xff.aspx"[..],
        b"s\xfe.aspx",
        "x\u{202e}xpsa.aspx".as_bytes(),
    ] {
        std::fs::write(web.join(OsStr::from_bytes(n)), trees::oab_dump_shell()).unwrap();
    }
    let lines = [ssrf_hit(70_000, "2021-02-11T04:29:44.908Z", &[])];
    let log_dir = d.path().join(format!("{X}/Logging/HttpProxy/Ecp"));
    std::fs::create_dir_all(&log_dir).unwrap();
    std::fs::write(
        log_dir.join(OsStr::from_bytes(b"HttpProxy_2021021104-\xff.LOG")),
        trees::hp_file("2021-02-11T00:00:00.000Z", &lines),
    )
    .unwrap();
    let r = run_scan(&[d.path().to_str().unwrap()]);
    let text = r.report.to_string();
    assert!(!text.contains('\u{fffd}'), "a name shown lossily");
    assert!(
        !text.contains('\u{202e}'),
        "a raw right-to-left override in report.json"
    );
    assert!(!r.stdout.contains('\u{fffd}') && !r.stdout.contains('\u{202e}'));
    let paths: Vec<String> = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"]["path"].as_str().unwrap_or_default().to_string())
        .collect();
    for want in ["s\\xff.aspx", "s\\xfe.aspx", "x\\u{202e}xpsa.aspx"] {
        assert!(paths.iter().any(|p| p.ends_with(want)), "{want}: {paths:?}");
    }
    let hit = findings(&r.report, "cve-2021-26855")
        .into_iter()
        .find(|h| {
            h["source"]["path"]
                .as_str()
                .unwrap()
                .ends_with("-\\xff.LOG")
        })
        .unwrap_or_else(|| panic!("the SSRF hit in the non-UTF-8 log: {paths:?}"));
    assert!(
        hit["raw"].as_str().unwrap().contains("ServerInfo~"),
        "{hit}"
    );
}

/// A page, or a folder of pages, replaced by a link that leads out of the root: IIS serves them
/// through the link, exhunt does not follow it, so the file scan did not see them and must not
/// say `ran`. (A link back into the tree, such as a junction on a mounted image, stays a
/// listing: `tests/webshells.rs`.)
#[test]
fn pages_behind_links_that_leave_the_root_are_a_gap() {
    for folder in [false, true] {
        let d = unprivileged::open_tempdir();
        let root = d.path().join("root");
        build_clean(&root);
        let outside = d.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("zq7w.aspx"), trees::oab_dump_shell()).unwrap();
        let web = root.join("inetpub/wwwroot/aspnet_client");
        std::fs::create_dir_all(&web).unwrap();
        if folder {
            std::os::unix::fs::symlink(&outside, web.join("shells")).unwrap();
        } else {
            std::os::unix::fs::symlink(outside.join("zq7w.aspx"), web.join("zq7w.aspx")).unwrap();
        }
        let r = run_scan(&[root.to_str().unwrap()]);
        assert!(
            findings(&r.report, "webshell-yara").is_empty(),
            "followed a link"
        );
        assert_eq!(
            check_state(&r.report, "webshell-yara"),
            "partial",
            "folder {folder}"
        );
        assert_eq!(verdict(&r.report), "inconclusive", "folder {folder}");
    }
}
