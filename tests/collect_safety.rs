//! Issue 13 "trust holes" in evidence collection and `verify`, end to end: hostile zips, a
//! manifest bomb, a CSV manifest that disagrees with the JSON one, size budgets and sparse files,
//! and file names that are not valid UTF-8 or hold bidi controls.

#[path = "support/collecting.rs"]
mod collecting;
#[path = "support/trees.rs"]
mod trees;

use collecting::{exhunt, manifest, sha256, verify};
use std::io::Write;
use std::path::Path;

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

const SHELLS: &str = "inetpub/wwwroot/aspnet_client/system_web";

/// The clean tree with the (defanged) OAB dump shell under `names` in `SHELLS`.
fn tree_with_shells(root: &Path, names: &[&[u8]]) {
    trees::build_clean(root);
    for n in names {
        let dir = root.join(SHELLS);
        std::fs::create_dir_all(&dir).unwrap();
        #[cfg(unix)]
        let p = {
            use std::os::unix::ffi::OsStrExt;
            dir.join(std::ffi::OsStr::from_bytes(n))
        };
        #[cfg(not(unix))]
        let p = dir.join(String::from_utf8_lossy(n).as_ref());
        std::fs::write(p, trees::oab_dump_shell()).unwrap();
    }
}

fn scan_lib(root: &Path) -> exhunt::scan::ScanResult {
    exhunt::scan::run(&exhunt::scan::ScanOptions {
        root: Some(root.to_path_buf()),
        logs: vec![],
        exchange_path: None,
        window: exhunt::model::Window {
            since: exhunt::model::Timestamp(0),
            until: None,
        },
        host: Some("EX01".into()),
        threads: Some(1),
        progress: false,
        files: Default::default(),
        checks: None,
        allow: vec![],
    })
    .unwrap()
}

/// Issue 13, item 7: a folder swapped for a link between the scan and the collection. The copy
/// must never come from outside the root; the manifest says why the file was not collected.
#[cfg(unix)]
#[test]
fn a_folder_swapped_for_a_link_after_the_scan_is_not_collected_through() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    tree_with_shells(&root, &[b"zq7w.aspx"]);
    let scan = scan_lib(&root);
    assert!(
        exhunt::collect::plan(&scan)
            .iter()
            .any(|i| i.original.ends_with("zq7w.aspx")),
        "the shell is planned for collection"
    );
    // The attacker (or a live system) moves the folder away and links it to a decoy outside ROOT.
    let decoy = tmp.path().join("outside");
    std::fs::create_dir(&decoy).unwrap();
    std::fs::write(decoy.join("zq7w.aspx"), b"NOT THE EVIDENCE").unwrap();
    let sw = root.join(SHELLS);
    std::fs::rename(&sw, tmp.path().join("moved")).unwrap();
    std::os::unix::fs::symlink(&decoy, &sw).unwrap();
    let c = tmp.path().join("c");
    let got =
        exhunt::collect::collect(&scan, &exhunt::collect::CollectOptions::new(c.clone())).unwrap();
    let m = &got.manifest;
    assert!(
        !m.files
            .iter()
            .any(|e| e.original_path.ends_with("zq7w.aspx")),
        "copied through the swapped folder: {:?}",
        m.files
    );
    let nc = m
        .not_collected
        .iter()
        .find(|n| n.original_path.ends_with("zq7w.aspx"))
        .expect("named as not collected");
    assert!(nc.problem.contains("symbolic link"), "{}", nc.problem);
    // nothing of the decoy reached the collection
    let all = walk_bytes(&c);
    assert!(!all.windows(16).any(|w| w == b"NOT THE EVIDENCE"));
    // The benign look-alike: the same scan collected right away copies the real file.
    let tmp2 = tempfile::tempdir().unwrap();
    let root2 = tmp2.path().join("root");
    tree_with_shells(&root2, &[b"zq7w.aspx"]);
    let scan2 = scan_lib(&root2);
    let got2 = exhunt::collect::collect(
        &scan2,
        &exhunt::collect::CollectOptions::new(tmp2.path().join("c")),
    )
    .unwrap();
    let e = got2
        .manifest
        .files
        .iter()
        .find(|e| e.original_path.ends_with("zq7w.aspx"))
        .expect("collected");
    assert_eq!(e.sha256, sha256(&trees::oab_dump_shell()));
    assert!(e.note.is_none(), "{:?}", e.note);
}

fn walk_bytes(dir: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.file_type().is_file() {
            v.extend(std::fs::read(e.path()).unwrap());
        }
    }
    v
}

/// Issue 13, item 8: a big sparse `.aspx` with a finding is not copied in full. The copy is cut
/// at the per-file budget, the whole file is still hashed, the manifest says what and why, and
/// `verify` checks the cut copy against its own hash.
#[cfg(unix)]
#[test]
fn collection_budgets_cut_big_files_and_keep_sparse_copies_sparse() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    tree_with_shells(&root, &[b"zq7w.aspx", b"big.aspx"]);
    // 8 MiB, all hole after the shell's bytes (scaled down from the 20 GB of the issue)
    let big = root.join(SHELLS).join("big.aspx");
    let full_len: u64 = 8 << 20;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(full_len)
        .unwrap();
    let full_sha = sha256(&std::fs::read(&big).unwrap());
    let c = tmp.path().join("c");
    let m = collecting::scan_collecting(&root, &c, &["--collect-max-file-size", "1M"]);
    let files = m["files"].as_array().unwrap();
    let e = files
        .iter()
        .find(|e| e["original_path"].as_str().unwrap().ends_with("big.aspx"))
        .unwrap_or_else(|| panic!("big.aspx not collected: {m}"));
    assert_eq!(e["size"], full_len, "the whole file is hashed and sized");
    assert_eq!(e["sha256"], full_sha.as_str());
    assert_eq!(e["copied_size"], 1 << 20);
    assert!(
        e["cut"]
            .as_str()
            .unwrap()
            .contains("--collect-max-file-size"),
        "{e}"
    );
    let copy = c.join("EX01").join(e["collected_path"].as_str().unwrap());
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), 1 << 20);
    // the small shell is whole
    let small = files
        .iter()
        .find(|e| e["original_path"].as_str().unwrap().ends_with("zq7w.aspx"))
        .unwrap();
    assert!(small.get("cut").is_none(), "{small}");
    let (code, out, err) = verify(&c.join("EX01"));
    assert_eq!(code, 0, "{out}{err}");
    // The total budget: with 1 MiB in all, whatever comes after the budget is spent is cut or
    // skipped, and says so.
    let c2 = tmp.path().join("c2");
    let m2 = collecting::scan_collecting(&root, &c2, &["--collect-max-total", "1M"]);
    let copied: u64 = m2["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["copied_size"]
                .as_u64()
                .unwrap_or(e["size"].as_u64().unwrap())
        })
        .sum();
    assert!(
        copied <= 1 << 20,
        "{copied} bytes copied over a 1 MiB budget"
    );
    assert!(m2.to_string().contains("--collect-max-total"), "{m2}");
    // A sparse file under the budget is copied whole and stays sparse.
    let c3 = tmp.path().join("c3");
    let m3 = collecting::scan_collecting(&root, &c3, &["--collect-max-file-size", "1G"]);
    let e3 = m3["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["original_path"].as_str().unwrap().ends_with("big.aspx"))
        .unwrap()
        .clone();
    assert!(e3.get("cut").is_none());
    let copy3 = c3.join("EX01").join(e3["collected_path"].as_str().unwrap());
    let md = std::fs::metadata(&copy3).unwrap();
    assert_eq!(md.len(), full_len);
    assert!(
        md.blocks() * 512 < 2 << 20,
        "the copy of a sparse file takes {} bytes on disk",
        md.blocks() * 512
    );
    assert_eq!(verify(&c3.join("EX01")).0, 0);
}

/// Issue 13, item 14: names that are not UTF-8, or hold a right-to-left override, are collected,
/// and shown escaped: two names that differ in one invalid byte never look alike, and no raw
/// U+202E reaches manifest.csv or the collected names.
#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_or_hold_bidi_controls_are_collected_and_shown_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let rlo = "x\u{202e}xpsa.gpj".as_bytes();
    tree_with_shells(&root, &[b"s\xff.aspx", b"s\xfe.aspx", rlo]);
    let c = tmp.path().join("c");
    let m = collecting::scan_collecting(&root, &c, &[]);
    let originals: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["original_path"].as_str().unwrap())
        .collect();
    for want in ["s\\xff.aspx", "s\\xfe.aspx"] {
        assert!(
            originals.iter().any(|o| o.ends_with(want)),
            "{want} not collected: {originals:?} / not collected: {}",
            m["not_collected"]
        );
    }
    let hexed = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("original_path_hex").is_some())
        .count();
    assert!(hexed >= 2, "{m}");
    let csv = std::fs::read(c.join("EX01/manifest.csv")).unwrap();
    let json = std::fs::read(c.join("EX01/manifest.json")).unwrap();
    for (what, b) in [("manifest.csv", &csv), ("manifest.json", &json)] {
        assert!(
            !b.windows(3).any(|w| w == "\u{202e}".as_bytes()),
            "raw U+202E in {what}"
        );
    }
    for e in walkdir::WalkDir::new(c.join("EX01")).into_iter().flatten() {
        let n = e.file_name().to_string_lossy();
        assert!(!n.contains('\u{202e}') && !n.contains('\u{fffd}'), "{n}");
    }
    assert_eq!(verify(&c.join("EX01")).0, 0);
}
