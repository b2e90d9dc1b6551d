//! End-to-end: the file scan (issue 4) through the `exhunt` binary — YARA rules, indicators,
//! heuristics, user rules and indicator files, size cap, unreadable files, read-only access.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;
use harness::{exhunt, findings, run_scan};

use serde_json::Value;
use std::path::{Path, PathBuf};
use trees::write;

fn examples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn scan(args: &[&str]) -> (i32, Value, String) {
    let r = run_scan(args);
    (r.code, r.report, r.stdout)
}

fn check<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == id)
        .unwrap()
}

/// Decodes a base64 sample of the rule tests (malicious samples are stored only encoded).
fn sample(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("rules/yara/tests/samples")
            .join(format!("{name}.b64")),
    )
    .unwrap();
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for v in text.bytes().filter_map(val) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const WEB: &str = "inetpub/wwwroot/aspnet_client/system_web";

#[test]
fn compromised_example_has_the_oab_dump_shell() {
    let (code, r, stdout) = scan(&[examples("compromised").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(r["verdict"], "compromised");
    let y = findings(&r, "webshell-yara");
    assert_eq!(y.len(), 1, "{y:#?}");
    let f = y[0];
    assert_eq!(f["rule"], "EXH_OAB_VDir_Dump_Script");
    assert_eq!(f["class"], "post-exploitation");
    assert_eq!(f["severity"], "critical");
    assert!(f["source"]["path"].as_str().unwrap().ends_with("zq7w.aspx"));
    assert_eq!(f["fields"]["Path"], format!("{WEB}/zq7w.aspx"));
    let data = std::fs::read(examples("compromised").join(WEB).join("zq7w.aspx")).unwrap();
    assert_eq!(f["fields"]["SHA256"], sha256_hex(&data));
    assert_eq!(f["fields"]["MD5"].as_str().unwrap().len(), 32);
    assert_eq!(f["fields"]["Size"], data.len().to_string());
    assert_eq!(f["fields"]["RuleSource"], "built-in rules/yara/exhunt.yar");
    assert!(f["why"].as_str().unwrap().contains("OAB"));
    // matched strings with offsets that point into the file
    let raw = f["raw"].as_str().unwrap();
    let first = raw.lines().next().unwrap();
    let (id, rest) = first.split_once('@').unwrap();
    let (off, text) = rest.split_once(": ").unwrap();
    assert!(id.starts_with('$'));
    let off: usize = off.parse().unwrap();
    assert_eq!(&data[off..off + text.len()], text.as_bytes(), "{first}");
    let h: Vec<&str> = findings(&r, "webshell-heuristic")
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(h.contains(&"page-in-aspnet-client"), "{h:?}");
    for id in ["webshell-yara", "webshell-ioc", "webshell-heuristic"] {
        assert_eq!(check(&r, id)["state"], "ran", "{id}");
    }
    assert_eq!(r["params"]["files"]["engine"], "boreal 1.4");
    assert_eq!(r["params"]["files"]["rules"], 27);
    assert!(check(&r, "webshell-yara")["records"].as_u64().unwrap() >= 10);
    assert!(stdout.contains("webshell-yara [ran]"));
    assert!(stdout.contains("EXH_OAB_VDir_Dump_Script"));
    // the lsass dump is reported once (by suspicious-files), not again by the minidump rule
    assert!(
        findings(&r, "webshell-yara")
            .iter()
            .all(|f| f["rule"] != "EXH_Minidump_File")
    );
}

#[test]
fn clean_example_stays_no_evidence() {
    let (code, r, stdout) = scan(&[examples("clean").to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(r["verdict"], "no-evidence");
    for id in ["webshell-yara", "webshell-ioc", "webshell-heuristic"] {
        assert_eq!(check(&r, id)["state"], "ran", "{id}");
        assert!(
            findings(&r, id).iter().all(|f| f["severity"] == "info"),
            "{id}"
        );
    }
}

#[test]
fn loose_suspect_page_is_scanned() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "suspect.aspx", &sample("chopper_jscript.aspx"));
    let (code, r, _) = scan(&["--logs", d.path().join("suspect.aspx").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(r["verdict"], "compromised");
    let y = findings(&r, "webshell-yara");
    assert_eq!(y.len(), 1);
    assert_eq!(y[0]["rule"], "EXH_ChinaChopper_JScript_Eval");
    assert_eq!(check(&r, "webshell-yara")["state"], "ran");
}

#[test]
fn loose_logs_only_skip_the_file_scan_and_logs_are_not_webshells() {
    // The compromised ECP log records the webshell text: it is evidence of the write
    // (cve-2021-27065), not a webshell itself.
    let src = examples("compromised")
        .join(trees::X)
        .join("Logging/ECP/Server");
    let (_, r, _) = scan(&["--logs", src.to_str().unwrap()]);
    assert!(!findings(&r, "cve-2021-27065").is_empty());
    assert!(findings(&r, "webshell-yara").is_empty());
    assert_eq!(check(&r, "webshell-yara")["state"], "skipped");
}

#[test]
fn user_rules_broken_file_reported_others_run() {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    write(
        d.path(),
        &format!("{WEB}/4_0_30319/status.txt"),
        b"status page zebra-marker-42",
    );
    let rules = tempfile::tempdir().unwrap();
    write(
        rules.path(),
        "mine.yar",
        b"rule Zebra_Marker : webshell {\n  meta:\n    severity = \"critical\"\n    why = \"our own marker\"\n  strings:\n    $z = \"zebra-marker-42\"\n  condition:\n    $z\n}\n",
    );
    write(
        rules.path(),
        "broken.yar",
        b"rule ok { condition: true }\nrule bad {\n  condition: nosuchthing\n}\n",
    );
    let (code, r, stdout) = scan(&[
        d.path().to_str().unwrap(),
        "--yara",
        rules.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let problems = r["problems"].to_string();
    assert!(
        problems.contains("broken.yar:3:"),
        "file and line: {problems}"
    );
    let y = findings(&r, "webshell-yara");
    assert_eq!(y.len(), 1, "{y:#?}");
    assert_eq!(y[0]["rule"], "Zebra_Marker");
    assert!(
        y[0]["fields"]["RuleSource"]
            .as_str()
            .unwrap()
            .ends_with("mine.yar")
    );
    assert_eq!(y[0]["why"], "our own marker");
    assert_eq!(r["verdict"], "compromised");
    assert_eq!(check(&r, "webshell-yara")["state"], "partial");
    assert!(
        check(&r, "webshell-yara")["reason"]
            .as_str()
            .unwrap()
            .contains("1 user YARA file(s) not loaded")
    );
    assert_eq!(r["params"]["files"]["rules"], 28);
    assert!(stdout.contains("broken.yar"));
}

#[test]
fn stix_and_text_indicators() {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    let logon = std::fs::read(
        d.path()
            .join(trees::X)
            .join("FrontEnd/HttpProxy/owa/auth/logon.aspx"),
    )
    .unwrap();
    write(d.path(), "ProgramData/x/drop.bin", b"payload");
    let iocs = tempfile::tempdir().unwrap();
    let bundle = format!(
        r#"{{"type":"bundle","id":"bundle--5","objects":[
          {{"type":"indicator","id":"indicator--1","name":"patched logon page","pattern_type":"stix","spec_version":"2.1",
            "pattern":"[file:hashes.'SHA-256' = '{}'] OR [file:name = 'drop.bin']"}},
          {{"type":"indicator","id":"indicator--2","pattern":"[url:value = 'http://x.example/']"}}]}}"#,
        sha256_hex(&logon)
    );
    write(iocs.path(), "bundle.json", bundle.as_bytes());
    write(iocs.path(), "ips.txt", b"# from the CERT\n203.0.113.57\n");
    let (code, r, _) = scan(&[
        d.path().to_str().unwrap(),
        "--ioc",
        iocs.path().join("bundle.json").to_str().unwrap(),
        "--ioc",
        iocs.path().join("ips.txt").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(r["verdict"], "compromised");
    let i = findings(&r, "webshell-ioc");
    let rules: Vec<&str> = i.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"sha256"), "{rules:?}");
    assert!(rules.contains(&"file-name"), "{rules:?}");
    let h = i.iter().find(|f| f["rule"] == "sha256").unwrap();
    assert_eq!(h["class"], "post-exploitation");
    assert!(
        h["fields"]["IndicatorSource"]
            .as_str()
            .unwrap()
            .contains("patched logon page")
    );
    let notes = r["notes"].to_string();
    assert!(notes.contains("url:value"), "{notes}");
    assert!(notes.contains("ips.txt: 1 indicator(s) loaded"), "{notes}");
}

#[cfg(unix)]
#[test]
fn huge_file_is_capped_not_fatal_and_unreadable_files_are_listed() {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    let big = d.path().join("ProgramData/big.vhd");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(5 << 20).unwrap(); // sparse: 5 MiB of zeros
    drop(f);
    let locked = d.path().join(WEB).join("locked.aspx");
    std::fs::write(&locked, b"<%@ Page Language=\"C#\" %>").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let unreadable = std::fs::File::open(&locked).is_err();
    let (code, r, stdout) = scan(&[d.path().to_str().unwrap(), "--max-file-size", "1M"]);
    assert!(
        matches!(code, 1 | 3 | 4),
        "page-in-aspnet-client or unreadable: never 0 ({code})"
    );
    assert!(r["notes"].to_string().contains("larger than the 1 MiB cap"));
    let g = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "Files/ProgramData")
        .unwrap();
    assert!(g["problems"].to_string().contains("big.vhd"));
    assert!(
        g["bytes"].as_u64().unwrap() < 2 << 20,
        "only the cap was read"
    );
    let web = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "Files/inetpub/wwwroot")
        .unwrap();
    if unreadable {
        assert!(web["problems"].to_string().contains("locked.aspx"));
        assert_eq!(check(&r, "webshell-yara")["state"], "partial");
        assert!(stdout.contains("could not be read"));
    } else {
        eprintln!(
            "note: running as root, chmod 000 does not stop reads: unreadable-file assertion skipped"
        );
        assert_eq!(check(&r, "webshell-yara")["state"], "ran");
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn full_scope_reaches_beyond_the_web_folders() {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    write(
        d.path(),
        "Users/Public/web/t.aspx",
        &sample("tiny_jscript.aspx"),
    );
    let (_, r, _) = scan(&[d.path().to_str().unwrap()]);
    assert!(
        findings(&r, "webshell-yara").is_empty(),
        "not in the default scope"
    );
    let (_, r, _) = scan(&[d.path().to_str().unwrap(), "--full"]);
    let y = findings(&r, "webshell-yara");
    assert_eq!(y.len(), 1);
    assert_eq!(y[0]["rule"], "EXH_Tiny_JScript_Form_Eval");
    assert_eq!(r["params"]["files"]["full"], true);
}

#[test]
fn heuristics_rank_unknown_and_lookalike_pages() {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    let auth = format!("{}/FrontEnd/HttpProxy/owa/auth", trees::X);
    write(d.path(), &format!("{auth}/log0n.aspx"), b"<%@ Page %>");
    write(
        d.path(),
        &format!("{auth}/Current/pages.aspx"),
        b"<%@ Page %>",
    );
    // (with a DER header this would be EXH_DER_CertRequest_Webshell: compromise, not review)
    write(
        d.path(),
        &format!("{WEB}/notes.txt"),
        b"draft <%@ Page Language=\"C#\" %>",
    );
    let (_, r, _) = scan(&[d.path().to_str().unwrap(), "--until", "2021-06-01"]);
    let h = findings(&r, "webshell-heuristic");
    let get = |rule: &str| h.iter().find(|f| f["rule"] == rule).copied();
    let look = get("stock-name-lookalike").expect("look-alike");
    assert_eq!(look["severity"], "high");
    assert_eq!(look["fields"]["LooksLike"], "logon.aspx");
    assert!(look["title"].as_str().unwrap().contains("log0n.aspx"));
    assert_eq!(get("unknown-page").unwrap()["severity"], "medium");
    assert_eq!(get("markup-in-non-page").unwrap()["severity"], "high");
    assert!(
        get("modified-in-window").is_none(),
        "files are newer than --until"
    );
    assert_eq!(r["verdict"], "suspicious");
}

#[test]
fn evidence_is_not_modified() {
    let d = tempfile::tempdir().unwrap();
    trees::build_compromised(d.path());
    let snap = |root: &Path| -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
        walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let m = e.metadata().unwrap();
                (
                    e.path().to_path_buf(),
                    std::fs::read(e.path()).unwrap(),
                    m.modified().unwrap(),
                )
            })
            .collect()
    };
    let before = snap(d.path());
    let (code, _, _) = scan(&[d.path().to_str().unwrap(), "--full"]);
    assert_eq!(code, 1);
    assert_eq!(before, snap(d.path()));
}

#[test]
fn file_scan_usage_errors_exit_2() {
    let clean = examples("clean");
    for args in [
        vec!["--yara", "/nonexistent/rules.yar"],
        vec!["--ioc", "/nonexistent/iocs.txt"],
        vec!["--max-file-size", "lots"],
        vec!["--max-file-size", "0"],
    ] {
        exhunt()
            .arg("scan")
            .arg(&clean)
            .args(&args)
            .assert()
            .code(2);
    }
}

#[test]
fn ioc_mistakes_stop_the_scan_with_file_and_line_and_folders_load() {
    let clean = examples("clean");
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.txt");
    let g64 = "g".repeat(64);
    std::fs::write(
        &bad,
        format!("# from the CERT\nzzzz-not-a-hash\n{g64}\n203.0.113.5\nshell.aspx\n{{\"x\":\n"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = exhunt()
        .arg("scan")
        .arg(&clean)
        .arg("--ioc")
        .arg(&bad)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("3 line(s) are not indicators"), "{err}");
    assert!(
        err.contains("bad.txt:2: zzzz-not-a-hash: not a hash"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "bad.txt:3: {g64}: 64 characters like a SHA-256 hash, but 'g' at column 1"
        )),
        "{err}"
    );
    assert!(err.contains("bad.txt:6:"), "{err}");
    assert!(
        !err.contains("bad.txt:4") && !err.contains("bad.txt:5"),
        "an address and a file name are fine: {err}"
    );
    assert!(!out.path().join("report.json").exists(), "nothing scanned");

    let json = d.path().join("bad.json");
    std::fs::write(&json, "{\"type\": \"bundle\",\n \"objects\": [").unwrap();
    let o = exhunt()
        .arg("scan")
        .arg(&clean)
        .arg("--ioc")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("bad.json:2:"),
        "line of the JSON error"
    );

    // a folder of good files: each loads, in name order
    let good = d.path().join("iocs");
    std::fs::create_dir(&good).unwrap();
    std::fs::write(good.join("a-ips.txt"), "203.0.113.57\n").unwrap();
    std::fs::write(good.join("b-names.txt"), "zq7w.aspx\n2001:db8::5\n").unwrap();
    let (_, r, _) = scan(&[clean.to_str().unwrap(), "--ioc", good.to_str().unwrap()]);
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("a-ips.txt: 1 indicator(s) loaded"),
        "{notes}"
    );
    assert!(
        notes.contains("b-names.txt: 2 indicator(s) loaded"),
        "{notes}"
    );
    let empty = d.path().join("none");
    std::fs::create_dir(&empty).unwrap();
    let o = exhunt()
        .arg("scan")
        .arg(&clean)
        .arg("--ioc")
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds no indicator file"));
}

#[cfg(unix)]
#[test]
fn links_are_listed_not_followed_and_not_a_gap() {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    // ProgramData's "Application Data" junction on a mounted image: back into ProgramData,
    // which is scanned anyway (a link out of the root is a gap: tests/coverage_holes.rs)
    write(
        d.path(),
        "ProgramData/x/shell.aspx",
        &sample("tiny_jscript.aspx"),
    );
    std::os::unix::fs::symlink(
        d.path().join("ProgramData"),
        d.path().join("ProgramData/Application Data"),
    )
    .unwrap();
    let (_, r, _) = scan(&[d.path().to_str().unwrap()]);
    // (suspicious-files, an older check, still counts the link as a gap)
    let hits = findings(&r, "webshell-yara");
    assert!(
        hits.iter().all(|f| !f["source"]["path"]
            .as_str()
            .unwrap()
            .contains("Application Data")),
        "the link was not followed"
    );
    assert!(!hits.is_empty(), "the shell is found where it really is");
    assert_eq!(check(&r, "webshell-yara")["state"], "ran");
    let g = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "Files/ProgramData")
        .unwrap();
    assert!(
        g["problems"]
            .to_string()
            .contains("symbolic link not followed")
    );
}
