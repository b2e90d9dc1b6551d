//! The read-only claim, measured from outside: every file system call the scan makes (traced
//! with `strace -f -y`, its children and threads included) is checked. Under ROOT the only call
//! allowed is an `open` for reading; nothing is created, written, truncated, renamed, linked,
//! removed, re-moded, re-owned or re-dated there, not even an attempt that failed. Where strace
//! is missing or may not trace (no ptrace), the test skips with the reason (a failure under
//! `EXHUNT_REQUIRE_ALL_TESTS=1`, as in CI).
#![cfg(target_os = "linux")]

#[path = "support/trees.rs"]
mod trees;
#[path = "support/unprivileged.rs"]
mod unprivileged;

use std::path::Path;
use std::process::Command;

/// The calls traced: every one that can change a file system entry or its metadata.
const TRACED: &str = "open,openat,openat2,creat,truncate,ftruncate,rename,renameat,renameat2,\
link,linkat,symlink,symlinkat,unlink,unlinkat,rmdir,mkdir,mkdirat,mknod,mknodat,chmod,fchmod,\
fchmodat,chown,fchown,lchown,fchownat,utime,utimes,utimensat,futimesat,setxattr,lsetxattr,\
fsetxattr,removexattr,lremovexattr,fremovexattr";

const WRITE_FLAGS: [&str; 5] = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"];

/// The paths a traced line names: quoted arguments (joined to the `<dir>` strace shows for the
/// fd before them when relative) and every `<path>` annotation.
fn paths_of(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut last_dir = String::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let end = line[i + 1..].find('>').map_or(b.len(), |e| i + 1 + e);
                last_dir = line[i + 1..end].to_string();
                out.push(last_dir.clone());
                i = end + 1;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let s = &line[i + 1..j.min(b.len())];
                if s.starts_with('/') {
                    out.push(s.to_string());
                } else if !last_dir.is_empty() {
                    out.push(format!("{last_dir}/{s}"));
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

fn under(p: &str, root: &str) -> bool {
    p == root || p.starts_with(&format!("{root}/"))
}

/// `None`: the line does not touch ROOT; `Some(true)`: an open for reading under ROOT;
/// `Some(false)`: anything else under ROOT.
fn classify(line: &str, root: &str) -> Option<bool> {
    let call = line
        .split_once(' ')
        .map(|(_, rest)| rest.trim_start())
        .and_then(|rest| rest.split_once('('))
        .map(|(c, _)| c)?;
    if !paths_of(line).iter().any(|p| under(p, root)) {
        return None;
    }
    let is_open = matches!(call, "open" | "openat" | "openat2");
    Some(is_open && !WRITE_FLAGS.iter().any(|f| line.contains(f)))
}

#[test]
fn under_strace_the_scan_only_ever_opens_evidence_for_reading() {
    let test = "read-only under strace";
    let probe = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "true"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return unprivileged::skip(
                test,
                &format!(
                    "strace cannot trace here: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
            );
        }
        Err(e) => return unprivileged::skip(test, &format!("no strace ({e})")),
    }
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().canonicalize().unwrap();
    let root = base.join("root");
    trees::build_compromised(&root);
    let root_s = root.to_str().unwrap().to_string();
    let trace = base.join("trace.txt");
    let o = Command::new("strace")
        .args(["-f", "-y", "-qq", "-s", "4096", "-e"])
        .arg(format!("trace={TRACED}"))
        .arg("-o")
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_exhunt"))
        .arg("scan")
        .arg(&root)
        .args(["--quiet", "--threads", "2", "--full"])
        .arg("--out")
        .arg(base.join("out"))
        .arg("--collect")
        .arg(base.join("c"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut opened = 0;
    let mut bad = Vec::new();
    for line in text.lines() {
        match classify(line, &root_s) {
            Some(true) => opened += 1,
            Some(false) => bad.push(line.to_string()),
            None => {}
        }
    }
    assert!(
        bad.is_empty(),
        "calls that could change the evidence:\n{}",
        bad.join("\n")
    );
    // the trace saw the evidence being read (a test that traced nothing would pass anyway)
    assert!(
        opened > 20,
        "only {opened} reads of the evidence traced:\n{text}"
    );
    assert!(Path::new(&base.join("out/report.json")).is_file());
}

#[test]
fn the_trace_reader_sees_paths_relative_to_their_folder() {
    let l = r#"123 openat(5</r/inetpub>, "x.aspx", O_RDONLY|O_NOFOLLOW) = 6</r/inetpub/x.aspx>"#;
    let p = paths_of(l);
    assert!(p.contains(&"/r/inetpub/x.aspx".to_string()), "{p:?}");
    let w = r#"9 renameat2(AT_FDCWD</o>, "/o/.t.tmp", AT_FDCWD</o>, "/r/report.json", 0) = 0"#;
    assert!(paths_of(w).iter().any(|p| under(p, "/r")));
    assert!(!under("/root2/x", "/root"));
    assert_eq!(classify(l, "/r"), Some(true));
    assert_eq!(classify(w, "/r"), Some(false));
    let c = r#"9 openat(AT_FDCWD</o>, "/r/new", O_WRONLY|O_CREAT|O_EXCL, 0666) = -1 EACCES"#;
    assert_eq!(
        classify(c, "/r"),
        Some(false),
        "a failed attempt counts too"
    );
    let m = r#"9 fchmod(3</r/a.log>, 0600) = 0"#;
    assert_eq!(classify(m, "/r"), Some(false));
    assert_eq!(
        classify(
            r#"9 openat(AT_FDCWD</o>, "/o/x", O_RDONLY) = 3</o/x>"#,
            "/r"
        ),
        None
    );
}
