//! The import rule of the layout (README "Layout"): data flows sources → records → detections →
//! findings → reports. The layers before and after the detections never reach into them:
//! `sources`, `model`, `report`, `timeline`, `collect` and `fleet` do not import `detect`, and `detect`
//! imports no report. Code lines only (doc comments may name a check's module), and not the
//! unit tests (a `tests.rs`, or what follows a file's `#[cfg(test)]`): a test may pin the real
//! literal set of the checks.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Code lines of the files under `src/<layer>` that name one of `forbidden`.
fn offending(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join(layer), &mut files);
    let mut bad = Vec::new();
    for f in files {
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let code = line.trim_start();
            // A test module (`#[cfg(test)]` then `mod …`) ends the code of the file.
            if code.starts_with("#[cfg(test)]")
                && lines[n + 1..]
                    .iter()
                    .map(|l| l.trim_start())
                    .find(|l| !l.is_empty() && !l.starts_with("#["))
                    .is_some_and(|l| l.starts_with("mod "))
            {
                break;
            }
            if code.starts_with("//") {
                continue;
            }
            if forbidden.iter().any(|x| code.contains(x)) {
                bad.push(format!("{}:{}: {}", f.display(), n + 1, code));
            }
        }
    }
    bad
}

#[test]
fn the_layers_around_the_detections_do_not_import_them() {
    let detect = ["crate::detect", "super::detect", "super::super::detect"];
    for layer in ["sources", "model", "report", "timeline", "collect", "fleet"] {
        let bad = offending(layer, &detect);
        assert!(
            bad.is_empty(),
            "{layer} imports detect:\n{}",
            bad.join("\n")
        );
    }
    let report = ["crate::report", "super::report", "super::super::report"];
    let bad = offending("detect", &report);
    assert!(bad.is_empty(), "detect imports report:\n{}", bad.join("\n"));
}

#[test]
fn the_check_finds_an_import_when_there_is_one() {
    // The scan layer runs the checks: it must show up, or the search above finds nothing.
    assert!(!offending("scan", &["crate::detect"]).is_empty());
}
