//! Issue 13 "trust holes" in evidence collection and `verify`, end to end: hostile zips, a
//! manifest bomb, a CSV manifest that disagrees with the JSON one, size budgets and sparse files,
//! and file names that are not valid UTF-8 or hold bidi controls.

#[path = "support/trees.rs"]
mod trees;

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

fn exhunt() -> Command {
    let mut c = Command::cargo_bin("exhunt").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    exhunt::collect::manifest::hex(&sha2::Sha256::digest(bytes))
}

fn manifest(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn verify(path: &Path) -> (i32, String, String) {
    let o = exhunt().arg("verify").arg(path).output().unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A scan of the compromised tree collected into `c` (with `extra` flags); returns the root.
fn collected(tmp: &Path, c: &Path, extra: &[&str]) -> std::path::PathBuf {
    let root = tmp.join("root");
    trees::build_compromised(&root);
    exhunt()
        .arg("scan")
        .arg(&root)
        .args(["--quiet", "--collect"])
        .arg(c)
        .args(extra)
        .assert()
        .code(1);
    root
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (n, d) in entries {
        zw.start_file(*n, opts).unwrap();
        zw.write_all(d).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

fn replace_all(hay: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= hay.len() {
        if &hay[i..i + from.len()] == from {
            hay[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

#[test]
fn verify_refuses_a_zip_with_two_entries_of_one_name() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    collected(tmp.path(), &c, &["--collect-zip"]);
    let zp = c.join("EX01.zip");
    let bytes = std::fs::read(&zp).unwrap();
    let mut za = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    // A tampered copy of lsass.dmp first, under a placeholder name of the same length, then
    // every genuine entry; the placeholder is renamed in the bytes afterwards (the zip writer
    // refuses duplicate names itself).
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zw.start_file("EX01/Windows/Temp/lsass.dmQ", opts).unwrap();
    zw.write_all(b"tampered").unwrap();
    for i in 0..za.len() {
        let f = za.by_index_raw(i).unwrap();
        zw.raw_copy_file(f).unwrap();
    }
    let mut out = zw.finish().unwrap().into_inner();
    assert_eq!(
        replace_all(
            &mut out,
            b"EX01/Windows/Temp/lsass.dmQ",
            b"EX01/Windows/Temp/lsass.dmp"
        ),
        2,
        "local header and central directory"
    );
    std::fs::write(&zp, &out).unwrap();
    let (code, out, err) = verify(&zp);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("more than one entry of one name"), "{err}");
}

#[test]
fn verify_reads_a_bounded_manifest_whatever_the_zip_declares() {
    let tmp = tempfile::tempdir().unwrap();
    let zp = tmp.path().join("EX01.zip");
    // 80 MiB of spaces deflate to well under 1 MiB; the cap is 64 MiB.
    let bomb = vec![b' '; 80 << 20];
    let z = zip_with(&[("EX01/manifest.json", &bomb), ("EX01/manifest.csv", b"")]);
    assert!(z.len() < 1 << 20, "{}", z.len());
    drop(bomb);
    std::fs::write(&zp, &z).unwrap();
    let (code, out, err) = verify(&zp);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("larger than 64 MiB, not a manifest"),
        "the manifest must be refused for its size, not parsed: {err}"
    );
}

#[test]
fn verify_compares_manifest_csv_with_manifest_json() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    collected(tmp.path(), &c, &[]);
    let host = c.join("EX01");
    assert_eq!(verify(&host).0, 0);
    let csv_path = host.join("manifest.csv");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let m = manifest(&host.join("manifest.json"));
    let sha = m["files"][0]["sha256"].as_str().unwrap().to_string();
    std::fs::write(&csv_path, csv.replacen(&sha, &"0".repeat(64), 1)).unwrap();
    let (code, out, _) = verify(&host);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("CHANGED  manifest.csv: row 1 differs from manifest.json"),
        "{out}"
    );
    // A row dropped from the CSV is a difference too.
    let short: String = csv.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(&csv_path, short).unwrap();
    let (code, out, _) = verify(&host);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("in the CSV, "), "{out}");
    assert!(out.contains("no row in the CSV"), "{out}");
}

#[test]
fn verify_compares_the_csv_inside_a_zip_too() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    collected(tmp.path(), &c, &["--collect-zip"]);
    let zp = c.join("EX01.zip");
    let bytes = std::fs::read(&zp).unwrap();
    let mut za = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..za.len() {
        let mut f = za.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut d = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut d).unwrap();
        if name.ends_with("manifest.csv") {
            let t = String::from_utf8(d).unwrap();
            let line = t.lines().nth(1).unwrap().to_string();
            let mut cells: Vec<&str> = line.split(',').collect();
            cells[2] = "999";
            d = t.replacen(&line, &cells.join(","), 1).into_bytes();
        }
        entries.push((name, d));
    }
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    std::fs::write(&zp, zip_with(&refs)).unwrap();
    let (code, out, _) = verify(&zp);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("row 1 differs from manifest.json"), "{out}");
}
