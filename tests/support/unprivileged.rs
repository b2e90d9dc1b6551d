//! Running `exhunt scan` as a user who cannot read what mode 000 hides. CI runs as root, for whom
//! `chmod 000` hides nothing: there the binary is copied to a folder every user can read and run
//! as `nobody` through `setpriv`. As another user it runs directly. Where neither is possible the
//! caller is told why, and skips with that reason (a CI run sets `EXHUNT_REQUIRE_ALL_TESTS=1`,
//! which turns the skip into a failure).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The uid and gid of `nobody` on Debian.
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A folder under the system temp folder that every user may enter (tempdir makes mode 700).
pub fn open_tempdir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

/// Makes every folder and file under `root` readable by all (the tree builders write 644/755
/// already; this undoes a umask of 077).
pub fn open_up(root: &Path) {
    for e in walkdir(root) {
        let md = std::fs::symlink_metadata(&e).unwrap();
        if md.file_type().is_symlink() {
            continue;
        }
        let mode = if md.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&e, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Every entry under `root` (links not followed; unreadable folders not entered).
pub fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let p = out[i].clone();
        i += 1;
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir())
            && let Ok(rd) = std::fs::read_dir(&p)
        {
            for e in rd.flatten() {
                out.push(e.path());
            }
        }
    }
    out
}

/// Runs scans as a user who cannot read mode-000 entries.
pub struct Unprivileged {
    /// Holds the copied binary and the output folders.
    pub dir: tempfile::TempDir,
    bin: PathBuf,
    as_nobody: bool,
}

/// What one run left.
pub struct Run {
    pub code: i32,
    pub report: serde_json::Value,
    pub stdout: String,
    pub stderr: String,
}

impl Unprivileged {
    /// Ready to run, or the reason it cannot be done here.
    pub fn new() -> Result<Unprivileged, String> {
        let dir = open_tempdir();
        let bin = dir.path().join("exhunt");
        std::fs::copy(env!("CARGO_BIN_EXE_exhunt"), &bin).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let as_nobody = is_root();
        let u = Unprivileged {
            dir,
            bin,
            as_nobody,
        };
        if as_nobody {
            let ok = u
                .command()
                .arg("--version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if !ok {
                return Err("running as root, and `setpriv --reuid=65534` could not run the copied binary (no setpriv?)".into());
            }
        }
        Ok(u)
    }

    fn command(&self) -> Command {
        if self.as_nobody {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={NOBODY}"),
                format!("--regid={NOBODY}"),
                "--clear-groups".into(),
            ])
            .arg(&self.bin);
            c
        } else {
            Command::new(&self.bin)
        }
    }

    /// `exhunt ARGS` as that user, as is.
    pub fn run(&self, args: &[&std::ffi::OsStr]) -> std::process::Output {
        self.command()
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    }

    /// `exhunt scan ARGS --out <fresh folder the user may write>`.
    pub fn scan(&self, args: &[&std::ffi::OsStr]) -> Run {
        let out = tempfile::Builder::new()
            .prefix("out")
            .tempdir_in(self.dir.path())
            .unwrap()
            .keep();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).unwrap();
        let o = self
            .command()
            .env("NO_COLOR", "1")
            .arg("scan")
            .args(args)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        let report = std::fs::read_to_string(out.join("report.json"))
            .unwrap_or_else(|_| panic!("no report.json; stderr: {stderr}"));
        Run {
            code: o.status.code().unwrap_or(-1),
            report: serde_json::from_str(&report).unwrap(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr,
        }
    }
}

/// The skip (or, under `EXHUNT_REQUIRE_ALL_TESTS=1`, the failure) for a test that needs it.
pub fn skip(test: &str, why: &str) {
    if std::env::var_os("EXHUNT_REQUIRE_ALL_TESTS").is_some_and(|v| v == "1") {
        panic!("{test}: cannot run and EXHUNT_REQUIRE_ALL_TESTS=1: {why}");
    }
    eprintln!("skipped {test}: {why}");
}

/// [`Unprivileged::new`], or the skip with its reason (see [`skip`]).
pub fn or_skip(test: &str) -> Option<Unprivileged> {
    Unprivileged::new().map_err(|why| skip(test, &why)).ok()
}
