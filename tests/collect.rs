//! Evidence collection (`scan --collect`, `--collect-zip`) and `verify`, end to end.

#[path = "support/collecting.rs"]
mod collecting;
#[path = "support/trees.rs"]
mod trees;

use collecting::{exhunt, manifest, sha256, verify};
use std::io::{Read, Write};
use std::path::Path;

#[test]
fn a_folder_collection_keeps_paths_hashes_and_times_and_verify_catches_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    trees::build_compromised(&root);
    let c = tmp.path().join("collected");
    let o = exhunt()
        .arg("scan")
        .arg(&root)
        .arg("--collect")
        .arg(&c)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("Evidence collected to"), "{stdout}");
    let m = manifest(&c.join("EX01/manifest.json"));
    assert_eq!(m["schema"], "exhunt.collection/2");
    assert_eq!(m["tool"]["commit"], exhunt::COMMIT);
    assert_eq!(m["tool"]["rules"], exhunt::rules::pack_hash());
    assert_eq!(m["host"], "EX01");
    let files = m["files"].as_array().unwrap();
    // 3 HttpProxy logs, the ECP and OAB logs, 2 IIS logs, 4 event logs (Application, MSExchange
    // Management, Sysmon, Security), the dump, the archive and the webshell
    assert_eq!(files.len(), 14, "{files:#?}");
    assert!(m["not_collected"].as_array().unwrap().is_empty());
    for e in files {
        let orig = Path::new(e["original_path"].as_str().unwrap());
        let rel = e["collected_path"].as_str().unwrap();
        assert_eq!(
            Path::new(rel),
            orig.strip_prefix(&root).unwrap(),
            "path kept"
        );
        let bytes = std::fs::read(orig).unwrap();
        assert_eq!(e["sha256"], sha256(&bytes));
        assert_eq!(e["size"], bytes.len());
        assert_eq!(e["md5"].as_str().unwrap().len(), 32);
        assert_eq!(std::fs::read(c.join("EX01").join(rel)).unwrap(), bytes);
        assert!(e["modified"].as_str().unwrap().ends_with('Z'));
        assert!(!e["findings"].as_array().unwrap().is_empty());
    }
    let ecp = files
        .iter()
        .find(|e| {
            e["collected_path"]
                .as_str()
                .unwrap()
                .ends_with("HttpProxy_2021021104-1.LOG")
        })
        .unwrap();
    let ids: Vec<&str> = ecp["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"cve-2021-26855/anchor-mailbox-ssrf@line:12"),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"cve-2021-27065/reset-vdir-ssrf@line:15"),
        "{ids:?}"
    );
    let evtx = files
        .iter()
        .find(|e| e["collected_path"].as_str().unwrap().ends_with(".evtx"))
        .unwrap();
    assert_eq!(
        evtx["findings"][0],
        "cve-2021-26857/um-invalid-cast@record:4"
    );
    let csv = std::fs::read_to_string(c.join("EX01/manifest.csv")).unwrap();
    assert!(csv.starts_with(
        "original_path,collected_path,size,sha256,md5,modified,created,accessed,findings,note,host,original_path_hex,copied_size,copied_sha256,cut\n"
    ));
    assert_eq!(csv.lines().count(), 15);

    let (code, out, _) = verify(&c);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK: all 14 file(s) match"), "{out}");

    // A second collection never overwrites the first.
    let before = std::fs::read(c.join("EX01/manifest.json")).unwrap();
    exhunt()
        .arg("scan")
        .arg(&root)
        .args(["--quiet", "--collect"])
        .arg(&c)
        .assert()
        .code(1);
    assert!(c.join("EX01.1/manifest.json").exists());
    assert_eq!(std::fs::read(c.join("EX01/manifest.json")).unwrap(), before);

    // Tampering: one file changed, one deleted, one added.
    let host = c.join("EX01");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(host.join("ProgramData/it.zip"))
        .unwrap();
    f.write_all(b"x").unwrap();
    std::fs::remove_file(host.join("Windows/Temp/lsass.dmp")).unwrap();
    std::fs::write(host.join("Windows/Temp/planted.aspx"), b"<%@ Page %>").unwrap();
    let (code, out, _) = verify(&host);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CHANGED  ProgramData/it.zip"), "{out}");
    assert!(out.contains("MISSING  Windows/Temp/lsass.dmp"), "{out}");
    assert!(out.contains("EXTRA    Windows/Temp/planted.aspx"), "{out}");
    assert!(out.contains("1 changed, 1 missing, 1 extra"), "{out}");
    // The whole --collect folder: the intact EX01.1 passes, EX01 does not.
    let (code, out, _) = verify(&c);
    assert_eq!(code, 1);
    assert!(out.contains("OK: all 14 file(s) match"), "{out}");

    // A manifest pointing outside the collection is not followed.
    let mut m = manifest(&c.join("EX01.1/manifest.json"));
    m["files"][0]["collected_path"] = "../../etc/passwd".into();
    std::fs::write(
        c.join("EX01.1/manifest.json"),
        serde_json::to_vec(&m).unwrap(),
    )
    .unwrap();
    let (code, out, _) = verify(&c.join("EX01.1"));
    assert_eq!(code, 1);
    assert!(out.contains("INVALID  ../../etc/passwd"), "{out}");
}

#[test]
fn verify_usage_and_fatal_errors_exit_2() {
    exhunt().arg("verify").assert().code(2);
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = verify(&tmp.path().join("nothing"));
    assert_eq!(code, 2);
    assert!(err.contains("usage: exhunt verify"), "{err}");
    let (code, _, err) = verify(tmp.path());
    assert_eq!(code, 2, "an empty folder holds no collection");
    assert!(err.contains("no collection here"), "{err}");
    std::fs::write(tmp.path().join("notes.txt"), b"hello").unwrap();
    let (code, _, err) = verify(&tmp.path().join("notes.txt"));
    assert_eq!(code, 2);
    assert!(err.contains("not a readable zip"), "{err}");
    std::fs::create_dir(tmp.path().join("bad")).unwrap();
    std::fs::write(tmp.path().join("bad/manifest.json"), b"{ not json").unwrap();
    let (code, _, err) = verify(&tmp.path().join("bad"));
    assert_eq!(code, 2);
    assert!(err.contains("not a valid manifest"), "{err}");
    exhunt()
        .args(["scan", "--threads", "0", "/tmp"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("usage: exhunt scan"));
    exhunt()
        .args(["scan", "--collect-zip", "/tmp"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--collect"));
}

/// Rewrites a zip, letting `edit` change or drop entries and add new ones.
fn rewrite_zip(
    path: &Path,
    edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>,
    add: &[(&str, &[u8])],
) {
    let bytes = std::fs::read(path).unwrap();
    let mut za = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..za.len() {
        let mut f = za.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if let Some(d) = edit(&name, data) {
            zw.start_file(name, opts).unwrap();
            zw.write_all(&d).unwrap();
        }
    }
    for (n, d) in add {
        zw.start_file(*n, opts).unwrap();
        zw.write_all(d).unwrap();
    }
    std::fs::write(path, zw.finish().unwrap().into_inner()).unwrap();
}

#[test]
fn a_zip_collection_verifies_and_tampering_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    trees::build_compromised(&root);
    let c = tmp.path().join("collected");
    exhunt()
        .arg("scan")
        .arg(&root)
        .args(["--collect-zip", "--collect"])
        .arg(&c)
        .assert()
        .code(1);
    let zip_path = c.join("EX01.zip");
    for f in ["EX01.zip", "EX01.manifest.json", "EX01.manifest.csv"] {
        assert!(c.join(f).is_file(), "{f}");
    }
    let (code, out, _) = verify(&zip_path);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK: all 14 file(s) match"), "{out}");
    // the same manifest inside and beside
    let mut za = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut inside = Vec::new();
    za.by_name("EX01/manifest.json")
        .unwrap()
        .read_to_end(&mut inside)
        .unwrap();
    assert_eq!(inside, std::fs::read(c.join("EX01.manifest.json")).unwrap());
    let mut lsass = Vec::new();
    za.by_name("EX01/Windows/Temp/lsass.dmp")
        .unwrap()
        .read_to_end(&mut lsass)
        .unwrap();
    assert_eq!(
        lsass,
        std::fs::read(root.join("Windows/Temp/lsass.dmp")).unwrap()
    );

    // A second run gets a new name.
    exhunt()
        .arg("scan")
        .arg(&root)
        .args(["--quiet", "--collect-zip", "--collect"])
        .arg(&c)
        .assert()
        .code(1);
    assert!(c.join("EX01.1.zip").is_file());

    rewrite_zip(
        &zip_path,
        |name, mut data| {
            if name.ends_with("lsass.dmp") {
                data[0] ^= 1;
            }
            (!name.ends_with("it.zip")).then_some(data)
        },
        &[("EX01/inetpub/wwwroot/aspnet_client/x.aspx", b"<%@ Page %>")],
    );
    let (code, out, _) = verify(&zip_path);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CHANGED  Windows/Temp/lsass.dmp"), "{out}");
    assert!(out.contains("MISSING  ProgramData/it.zip"), "{out}");
    assert!(
        out.contains("EXTRA    inetpub/wwwroot/aspnet_client/x.aspx"),
        "{out}"
    );

    // The manifest beside the zip must match the one inside.
    let beside = c.join("EX01.1.manifest.json");
    let mut m = manifest(&beside);
    m["files"][0]["sha256"] = "0".repeat(64).into();
    std::fs::write(&beside, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let (code, out, _) = verify(&c.join("EX01.1.zip"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("differs from the one inside"), "{out}");
}

#[test]
fn loose_logs_are_collected_under_the_given_path_and_clashes_get_a_suffix() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    trees::build_compromised(src.path());
    let hit = std::fs::read(
        src.path()
            .join(trees::X)
            .join("Logging/HttpProxy/Ecp/HttpProxy_2021021104-1.LOG"),
    )
    .unwrap();
    let logs = tmp.path().join("triage");
    trees::write(&logs, "sub/x:1.LOG", &hit);
    trees::write(&logs, "sub/x_1.LOG", &hit);
    // a --logs file's folder is evidence too: the collection goes beside it, not in it
    let single = tmp.path().join("one/single.LOG");
    trees::write(tmp.path(), "one/single.LOG", &hit);
    let c = tmp.path().join("c");
    exhunt()
        .arg("scan")
        .arg("--logs")
        .arg(&logs)
        .arg(&single)
        .args(["--host", "EX99", "--collect"])
        .arg(&c)
        .assert()
        .code(1);
    let m = manifest(&c.join("EX99/manifest.json"));
    let mut rels: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["collected_path"].as_str().unwrap())
        .collect();
    rels.sort();
    assert_eq!(
        rels,
        vec![
            "1-triage/sub/x_1.LOG",
            "1-triage/sub/x_1.LOG.1",
            "2-single.LOG"
        ]
    );
    assert_eq!(verify(&c).0, 0);
}
