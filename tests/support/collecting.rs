//! What the collection tests share: the binary, hashes, manifests and `verify`.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

pub fn exhunt() -> Command {
    let mut c = Command::cargo_bin("exhunt").unwrap();
    c.env("NO_COLOR", "1");
    c
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    exhunt::collect::manifest::hex(&sha2::Sha256::digest(bytes))
}

pub fn manifest(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `exhunt verify PATH`: exit code, stdout, stderr.
pub fn verify(path: &Path) -> (i32, String, String) {
    let o = exhunt().arg("verify").arg(path).output().unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `exhunt scan ROOT --quiet --max-file-size 1G --collect C EXTRA...`, which must find something
/// (exit 1); returns `C/EX01/manifest.json`.
pub fn scan_collecting(root: &Path, c: &Path, extra: &[&str]) -> Value {
    exhunt()
        .arg("scan")
        .arg(root)
        .args(["--quiet", "--max-file-size", "1G", "--collect"])
        .arg(c)
        .args(extra)
        .assert()
        .code(1);
    manifest(&c.join("EX01/manifest.json"))
}
