//! Issue 13, items 2, 5 and 6: where reports and collections may land. A path that walks out of
//! a missing folder with `..`, a planted link or FIFO under a report's name, a `--logs` file's
//! folder, an unwritable `--out`: each is refused before the scan, and the evidence is untouched.
#![cfg(unix)]

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;
#[path = "support/unprivileged.rs"]
mod unprivileged;

use harness::exhunt;
use std::path::Path;
use std::time::Duration;

/// Every file under `root`, with its bytes, for a before/after comparison.
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if m.is_dir() {
            v.push((rel + "/", Vec::new()));
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else if m.is_file() {
            v.push((rel, std::fs::read(&p).unwrap()));
        } else {
            v.push((rel + " (special)", Vec::new()));
        }
    }
    v.sort();
    v
}

fn tree() -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("T");
    trees::build_clean(&t);
    std::fs::create_dir(d.path().join("X")).unwrap();
    (d, t)
}

fn refused(o: &std::process::Output, what: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{what}: stderr {err}");
    assert!(err.contains("refusing"), "{what}: {err}");
    assert!(
        o.stdout.is_empty(),
        "{what}: refused before the scan, yet it printed a report"
    );
}

/// Item 2: `X/missing/../../T/r` is T/r, for --out, --collect and --collect-zip, absolute or
/// relative to the current folder.
#[test]
fn parent_steps_through_a_missing_folder_cannot_reach_the_evidence() {
    let (d, t) = tree();
    let before = snapshot(&t);
    let abs = d.path().join("X/missing/../../T/r");
    let abs = abs.to_str().unwrap();
    for (flag, target, extra) in [
        ("--out", abs, None),
        ("--collect", abs, None),
        ("--collect", abs, Some("--collect-zip")),
        ("--out", "nothere/../T/rel", None),
        ("--collect", "nothere/../T/rel", Some("--collect-zip")),
    ] {
        let mut c = exhunt();
        c.current_dir(d.path()).args(["scan", "T", flag, target]);
        if let Some(x) = extra {
            c.arg(x);
        }
        let o = c.output().unwrap();
        refused(&o, &format!("{flag} {target} {extra:?}"));
        assert_eq!(
            snapshot(&t),
            before,
            "{flag} {target}: the evidence changed"
        );
    }
}

/// Item 5: a link planted in --out under a report's name, pointing at an evidence file.
#[test]
fn a_planted_link_in_out_never_overwrites_what_it_points_to() {
    let (d, t) = tree();
    let victim = t.join("Program Files/Microsoft/Exchange Server/V15/Logging/victim.log");
    trees::write(
        &t,
        "Program Files/Microsoft/Exchange Server/V15/Logging/victim.log",
        b"evidence",
    );
    let out = d.path().join("X/out");
    std::fs::create_dir(&out).unwrap();
    let names = [
        "report.json",
        "timeline.csv",
        "findings.csv",
        "report.html",
        "cisa-ed21-02.xlsx",
    ];
    for name in names {
        for n in names {
            let _ = std::fs::remove_file(out.join(n));
        }
        std::os::unix::fs::symlink(&victim, out.join(name)).unwrap();
        let before = snapshot(&t);
        let o = exhunt()
            .args(["scan", t.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains("symbolic link"), "{name}: {err}");
        assert!(o.stdout.is_empty(), "{name}: refused only after the scan");
        assert_eq!(std::fs::read(&victim).unwrap(), b"evidence");
        assert_eq!(snapshot(&t), before);
    }
}

/// Item 5: a FIFO under a report's name would block a writer forever; it is refused at once.
#[test]
fn a_fifo_in_out_is_refused_not_waited_on() {
    let (d, t) = tree();
    let out = d.path().join("X/out");
    std::fs::create_dir(&out).unwrap();
    let fifo = out.join("report.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args(["scan", t.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut waited = Duration::ZERO;
    while child.try_wait().unwrap().is_none() {
        assert!(
            waited < Duration::from_secs(60),
            "exhunt blocked on the FIFO"
        );
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("FIFO"), "{err}");
}

/// Item 5: in --logs mode the folders of the given files are evidence too.
#[test]
fn out_in_the_folder_of_a_logs_file_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let ev = d.path().join("EV");
    std::fs::create_dir(&ev).unwrap();
    let evidence = ev.join("timeline.csv");
    std::fs::write(&evidence, b"kept evidence\n").unwrap();
    let log = ev.join("HttpProxy_2021030512-1.LOG");
    std::fs::write(
        &log,
        trees::hp_file("2021-03-05", &trees::benign(1, "2021-03-05", "Ecp", "x", 3)),
    )
    .unwrap();
    let before = snapshot(&ev);
    let scan_to = |out: &Path| {
        exhunt()
            .arg("scan")
            .arg("--logs")
            .arg(&log)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    refused(&scan_to(&ev), "--logs EV/file --out EV");
    assert_eq!(snapshot(&ev), before);
    // The same logs with --out elsewhere run.
    let out = d.path().join("out");
    let o = scan_to(&out);
    assert!(
        out.join("report.json").is_file(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Item 6: an --out or --collect folder the user cannot write is found before the scan.
#[test]
fn an_unwritable_out_or_collect_folder_fails_before_the_scan() {
    let Some(u) = unprivileged::or_skip("unwritable --out") else {
        return;
    };
    let t = u.dir.path().join("T");
    trees::build_clean(&t);
    unprivileged::open_up(&t);
    let ro = u.dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let writable = u.dir.path().join("w");
    std::fs::create_dir(&writable).unwrap();
    std::fs::set_permissions(&writable, std::fs::Permissions::from_mode(0o777)).unwrap();
    for (flag, dir) in [
        ("--out", ro.join("reports")),
        ("--out", ro.clone()),
        ("--collect", ro.join("c")),
    ] {
        let mut args: Vec<std::ffi::OsString> = vec!["scan".into(), t.clone().into()];
        if flag == "--collect" {
            args.extend(["--out".into(), writable.join("r").into()]);
        }
        args.extend([flag.into(), dir.clone().into()]);
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let o = u.run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flag} {}: {err}", dir.display());
        assert!(err.contains("cannot write"), "{flag}: {err}");
        assert!(o.stdout.is_empty(), "{flag}: found only after the scan");
    }
}
