//! Unit tests of the file scan: the built-in rules against their encoded samples (the same
//! strict comparison as `rules/yara/tests/check_with_yara.sh`), user rules, grading.

use super::engine::{Engine, Target};
use super::yara::BorealEngine;
use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/yara")
}

/// Minimal base64 decoder (standard alphabet, padding and line breaks ignored).
fn b64(text: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
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

fn scan_bytes(e: &dyn Engine, name: &str, data: &[u8]) -> Vec<engine::RuleMatch> {
    let ext = name.rsplit_once('.').map(|x| x.1).unwrap_or("");
    e.scan(&Target {
        data,
        path: name,
        name,
        extension: ext,
    })
    .unwrap()
}

#[test]
fn builtin_rules_match_cases_tsv_exactly() {
    let engine = BorealEngine::load(&[]).unwrap().engine;
    assert_eq!(engine.rule_count(), 27);
    let cases = std::fs::read_to_string(rules_dir().join("tests/cases.tsv")).unwrap();
    let mut fired: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let samples = rules_dir().join("tests/samples");
    for entry in std::fs::read_dir(&samples).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let data = b64(&std::fs::read_to_string(&p).unwrap());
        let matches = scan_bytes(&engine, &name, &data);
        for m in &matches {
            for k in ["description", "severity", "family", "reference", "why"] {
                assert!(m.meta(k).is_some(), "{}: meta {k} missing", m.rule);
            }
            assert!(
                ["critical", "high", "medium", "low"].contains(&m.meta("severity").unwrap()),
                "{}",
                m.rule
            );
        }
        fired.insert(name, matches.iter().map(|m| m.rule.to_string()).collect());
    }
    let mut failures = Vec::new();
    let mut expected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let (mut pos, mut neg) = (BTreeSet::new(), BTreeSet::new());
    let mut rows = 0;
    for line in cases
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, expect, rule] = cols[..] else {
            panic!("bad row {line}")
        };
        rows += 1;
        let got = fired
            .get(file)
            .unwrap_or_else(|| panic!("no sample for {file}"));
        expected.entry(file).or_default();
        match (expect, rule) {
            ("match", r) => {
                expected.get_mut(file).unwrap().insert(r);
                pos.insert(r);
                if !got.contains(r) {
                    failures.push(format!("{file}: expected {r}, fired {got:?}"));
                }
            }
            ("nomatch", "-") => {
                if !got.is_empty() {
                    failures.push(format!("{file}: expected nothing, fired {got:?}"));
                }
            }
            ("nomatch", r) => {
                neg.insert(r);
                if got.contains(r) {
                    failures.push(format!("{file}: {r} fired on a look-alike"));
                }
            }
            _ => panic!("bad expect in {line}"),
        }
    }
    for (file, got) in &fired {
        let want = expected
            .get(file.as_str())
            .unwrap_or_else(|| panic!("sample {file} has no cases.tsv row"));
        for r in got {
            if !want.contains(r.as_str()) {
                failures.push(format!("{file}: unexpected match {r}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(rows > 90);
    let all: BTreeSet<&str> = BUILTIN_RULE_NAMES.iter().copied().collect();
    assert_eq!(all.len(), 27);
    for r in &all {
        assert!(pos.contains(r), "{r} has no positive sample");
        assert!(neg.contains(r), "{r} has no look-alike sample");
    }
}

/// The rule names, read from the rule text (as check_with_yara.sh does).
static BUILTIN_RULE_NAMES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        yara::BUILTIN_RULES
            .lines()
            .filter_map(|l| l.strip_prefix("rule "))
            .map(|l| l.split([' ', ':', '{']).next().unwrap())
            .collect()
    });

#[test]
fn stored_rules_and_samples_match_no_rule() {
    let engine = BorealEngine::load(&[]).unwrap().engine;
    let mut files = vec![
        rules_dir().join("exhunt.yar"),
        rules_dir().join("tests/make_samples.py"),
        rules_dir().join("tests/cases.tsv"),
    ];
    for e in std::fs::read_dir(rules_dir().join("tests/samples")).unwrap() {
        files.push(e.unwrap().path());
    }
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let m = scan_bytes(&engine, &f.display().to_string(), &data);
        assert!(m.is_empty(), "{}: {:?}", f.display(), m);
    }
}

#[test]
fn string_matches_carry_offsets() {
    let engine = BorealEngine::load(&[]).unwrap().engine;
    let data = b64(&std::fs::read_to_string(
        rules_dir().join("tests/samples/chopper_jscript.aspx.b64"),
    )
    .unwrap());
    let m = scan_bytes(&engine, "a.aspx", &data);
    assert_eq!(m.len(), 1);
    let hit = m[0].strings.iter().find(|h| h.id == "$eval_req").unwrap();
    assert_eq!(
        &data[hit.offset as usize..hit.offset as usize + hit.data.len()],
        &hit.data[..]
    );
    assert_eq!(grade(&m[0]), (Class::PostExploitation, Severity::Critical));
}

#[test]
fn user_rule_folder_with_a_broken_file() {
    let d = tempfile::tempdir().unwrap();
    let good = "rule good_one : webshell { meta: severity = \"medium\" strings: $a = \"zebra-marker\" condition: $a }\n";
    let ext = "rule by_name { condition: extension == \"aspx\" and filename contains \"evil\" }\n";
    let broken = "rule fine { condition: true }\n\nrule broken {\n  strings: $a = \"x\"\n  condition: $b\n}\n";
    std::fs::write(d.path().join("a_good.yar"), good).unwrap();
    std::fs::write(d.path().join("b_broken.yara"), broken).unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    std::fs::write(d.path().join("sub/c_ext.YAR"), ext).unwrap();
    std::fs::write(d.path().join("notes.txt"), "not rules").unwrap();
    let loaded = BorealEngine::load(&[d.path().to_path_buf()]).unwrap();
    assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
    let p = &loaded.problems[0];
    assert!(p.path.ends_with("b_broken.yara"));
    assert!(
        p.problem.contains("b_broken.yara:5:"),
        "error names file and line: {}",
        p.problem
    );
    assert_eq!(loaded.user_files.len(), 2);
    let e = loaded.engine;
    assert_eq!(
        e.rule_count(),
        27 + 2,
        "the broken file's good rule is not half-loaded"
    );
    let m = scan_bytes(&e, "x.txt", b"a zebra-marker here");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].rule, "good_one");
    assert!(e.source_of(&m[0].namespace).ends_with("a_good.yar"));
    assert_eq!(grade(&m[0]), (Class::PostExploitation, Severity::Medium));
    let m = scan_bytes(&e, "/srv/evil.aspx", b"");
    assert_eq!(m.iter().map(|m| m.rule).collect::<Vec<_>>(), ["by_name"]);
    assert_eq!(
        grade(&m[0]),
        (Class::Context, Severity::High),
        "untagged user rule: review"
    );
    // the built-ins still run
    let data = b64(&std::fs::read_to_string(
        rules_dir().join("tests/samples/tiny_jscript.aspx.b64"),
    )
    .unwrap());
    assert_eq!(scan_bytes(&e, "t.aspx", &data).len(), 1);
}

#[test]
fn printable_text() {
    assert_eq!(printable(b"eval(R"), "eval(R");
    assert_eq!(printable(b"e\0v\0a\0l\0"), "eval (UTF-16)");
    assert_eq!(printable(b"\x00\x82<%"), "\\x00\\x82<%");
}

#[cfg(unix)]
#[test]
fn size_cap_and_unreadable_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("inetpub/wwwroot/aspnet_client");
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.bin");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(3 << 20).unwrap(); // sparse
    let locked = dir.join("locked.aspx");
    std::fs::write(&locked, b"<%@ Page %>").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let prep = prepare(&FileScanOptions {
        max_file_size: 1 << 20,
        ..Default::default()
    })
    .unwrap();
    let plan = plan(Some(d.path()), None, &[], false, &HashSet::new());
    let window = Window {
        since: crate::model::Timestamp(0),
        until: Some(crate::model::Timestamp(1)),
    };
    let o = scan(&prep, plan, window);
    assert_eq!(o.capped.len(), 1);
    assert!(o.capped[0].1.ends_with("big.bin"));
    let (mut findings, mut cov, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    let unreadable_expected = std::fs::File::open(&locked).is_err();
    let checks = o.merge_into(&mut findings, &mut cov, &mut notes);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("1 file(s) larger than the 1 MiB cap"))
    );
    let g = cov
        .iter()
        .find(|g| g.label == "Files/inetpub/wwwroot")
        .unwrap();
    assert_eq!(
        g.bytes,
        (1 << 20) + if unreadable_expected { 0 } else { 11 }
    );
    assert!(
        g.problems
            .iter()
            .any(|p| p.problem.contains("scanned in its first 1 MiB"))
    );
    if unreadable_expected {
        assert!(
            g.problems.iter().any(|p| p.path.ends_with("locked.aspx")
                && p.problem.contains("not scanned: cannot open"))
        );
        assert!(
            checks[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("1 file(s) could not be read")
        );
    } else {
        // Running as root: permissions do not stop reads, so the file is scanned.
        eprintln!("note: running as root, chmod 000 does not make a file unreadable; skipped");
    }
    assert_eq!(
        checks[0].state,
        crate::model::CheckState::Partial,
        "locations are missing"
    );
    let page = findings.iter().find(|f| f.rule == "page-in-aspnet-client");
    assert_eq!(page.is_some(), !unreadable_expected);
}
