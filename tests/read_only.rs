//! The read-only guarantee, end to end: nothing under ROOT is created, changed, renamed or deleted,
//! and files are not even re-dated. The whole fixture tree (the compromised server plus hostile
//! files, links and an unreadable file) is hashed and stat'ed before and after scans that use
//! every option (`--out`, `--force`, `--color`, `--collect`, `--collect-zip`, `--threads 1`,
//! `--since/--until`, `--host`, `--exchange-path`, `--logs`), `verify`, and refused runs, then
//! compared: content (SHA-256), size, type, mode, inode, link target, mtime and ctime of every
//! entry, and the access time of every file (exhunt opens evidence with `O_NOATIME`). Folder
//! access times are not compared: listing a folder updates it on `relatime` mounts and no
//! portable API avoids that.

#![cfg(unix)]

#[path = "support/trees.rs"]
mod trees;

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq, Eq)]
struct Node {
    kind: &'static str,
    size: u64,
    mode: u32,
    ino: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    /// Files only.
    atime: Option<(i64, i64)>,
    sha256: Option<String>,
    link: Option<PathBuf>,
}

fn read_no_atime(p: &Path) -> Option<String> {
    const O_NOATIME: i32 = 0o1_000_000;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NOATIME)
        .open(p)
        .ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(exhunt::collect::manifest::hex(&h.finalize()))
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.unwrap();
        let m = e.path().symlink_metadata().unwrap();
        let ft = m.file_type();
        let kind = if ft.is_symlink() {
            "link"
        } else if ft.is_dir() {
            "dir"
        } else {
            "file"
        };
        out.insert(
            e.path().strip_prefix(root).unwrap().to_path_buf(),
            Node {
                kind,
                size: m.len(),
                mode: m.mode(),
                ino: m.ino(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
                atime: (kind == "file").then(|| (m.atime(), m.atime_nsec())),
                sha256: (kind == "file").then(|| read_no_atime(e.path())).flatten(),
                link: ft
                    .is_symlink()
                    .then(|| std::fs::read_link(e.path()).unwrap()),
            },
        );
    }
    out
}

fn exhunt(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let o = Command::cargo_bin("exhunt")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some(),
        "exhunt crashed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn a_scan_with_every_option_changes_nothing_under_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("evidence");
    let outside = tmp.path().join("elsewhere");
    trees::build_compromised(&root);
    trees::plant_hostile(&root, &outside);
    let locked = root.join("ProgramData/locked.zip");
    std::fs::write(&locked, b"PK\x05\x06").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Everything must be at least a second old, so that a change of time could show.
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let before = snapshot(&root);
    let outside_before = snapshot(&outside);
    let work = tmp.path().join("work");
    let p = |s: &str| work.join(s).into_os_string();
    let r = root.as_os_str();
    let x = |s: &'static str| std::ffi::OsStr::new(s);

    let o = exhunt(&[
        x("scan"),
        r,
        x("--out"),
        &p("out1"),
        x("--collect"),
        &p("collect1"),
        x("--threads"),
        x("1"),
        x("--since"),
        x("2020-12-01"),
        x("--until"),
        x("2021-04-01T00:00:00Z"),
        x("--host"),
        x("EX01"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = exhunt(&[
        x("scan"),
        r,
        x("--collect"),
        &p("collect2"),
        x("--collect-zip"),
        x("--exchange-path"),
        x("Program Files/Microsoft/Exchange Server/V15"),
        x("--quiet"),
        x("--no-progress"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    // the same --out again: --force replaces (and removes) reports there, never evidence
    let o = exhunt(&[
        x("scan"),
        r,
        x("-o"),
        &p("out1"),
        x("--force"),
        x("-j"),
        x("1"),
        x("--host"),
        x("OTHER"),
        x("--color"),
        x("always"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!work.join("out1/EX01-LogAgeDays.csv").exists());
    let logs = root.join(trees::X).join("Logging");
    let o = exhunt(&[
        x("scan"),
        x("--logs"),
        logs.join("HttpProxy").as_os_str(),
        logs.join("OABGeneratorLog/OABGenerator20201231-1.LOG")
            .as_os_str(),
        x("--out"),
        &p("out3"),
        x("--collect"),
        &p("collect3"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    for c in ["collect1", "collect2", "collect3"] {
        let o = exhunt(&[x("verify"), &p(c)]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{c}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    // Refused: output or collection inside the evidence (directly, and through a link).
    for (flag, inside) in [
        ("--out", root.join("exhunt-out")),
        ("--collect", root.join("ProgramData/collected")),
        ("--collect", tmp.path().join("link-to-root")),
    ] {
        if !inside.starts_with(&root) {
            std::os::unix::fs::symlink(&root, &inside).unwrap();
        }
        let o = exhunt(&[x("scan"), r, x(flag), inside.join("x").as_os_str()]);
        assert_eq!(o.status.code(), Some(2), "{flag} {}", inside.display());
        assert!(
            String::from_utf8_lossy(&o.stderr)
                .contains("refusing to write inside the scanned evidence")
        );
        if !inside.starts_with(&root) {
            std::fs::remove_file(&inside).unwrap();
        }
    }

    let after = snapshot(&root);
    assert_eq!(
        before.len(),
        after.len(),
        "entries were created or deleted under the root"
    );
    let mut files = 0;
    for (path, b) in &before {
        let a = after
            .get(path)
            .unwrap_or_else(|| panic!("{} disappeared", path.display()));
        assert_eq!(a, b, "{} changed", path.display());
        files += usize::from(b.kind == "file");
    }
    assert!(files > 25, "{files}");
    assert!(before.values().any(|n| n.kind == "link"));
    assert_eq!(
        snapshot(&outside),
        outside_before,
        "the folder outside the root changed"
    );
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
}
