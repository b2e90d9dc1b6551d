//! Issue 13, item 11: many worker threads under an address-space limit. Before, `--threads 16`
//! under `ulimit -v` aborted on a failed allocation (exit 134, no report) where 2 threads ran.
//! Now the thread count is fitted to the limit, the report says so, and a buffer that cannot be
//! had makes one file a coverage problem, never an abort. Scaled down for `cargo test`: 16 sparse
//! 30 MiB pages read in their first 4 MiB, a 600 MB limit (with the release binary and 32 MiB
//! reads, the same tree aborted before: BENCHMARKS.md).
#![cfg(target_os = "linux")]

#[path = "support/trees.rs"]
mod trees;
#[path = "support/unprivileged.rs"]
mod unprivileged;

use std::process::Command;

#[test]
fn sixteen_threads_under_a_small_address_space_limit_still_report() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    trees::build_clean(&root);
    let big = root.join("inetpub/wwwroot/big");
    std::fs::create_dir_all(&big).unwrap();
    for i in 0..16 {
        std::fs::File::create(big.join(format!("f{i}.aspx")))
            .unwrap()
            .set_len(30 << 20)
            .unwrap();
    }
    let out = d.path().join("out");
    let o = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 600000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_exhunt"))
        .arg("scan")
        .arg(&root)
        .args([
            "--threads",
            "16",
            "--max-file-size",
            "4M",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.code().is_none() && err.contains("ulimit") {
        return unprivileged::skip("address-space limit", &format!("sh cannot set it: {err}"));
    }
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 3 | 4)),
        "exit {:?}, stderr: {err}",
        o.status
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("a report")).unwrap();
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("worker threads lowered from 16"),
        "the report says the thread count was fitted: {notes}"
    );
    assert_eq!(r["params"]["threads"].as_u64().map(|t| t < 16), Some(true));
}
