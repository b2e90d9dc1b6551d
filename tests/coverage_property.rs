//! Issue 13's property: whatever subset of the entries on the way to a hit is unreadable,
//! missing, a link or a special file, the scan never says `no-evidence`. It may find the hit
//! (the damage did not hide it) or say it could not see (inconclusive); silence is not allowed.
//! Runs as an unprivileged user (mode 000 hides nothing from root); skips with the reason where
//! that is impossible.
#![cfg(unix)]

#[path = "support/trees.rs"]
mod trees;
#[path = "support/unprivileged.rs"]
mod unprivileged;

use proptest::prelude::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use trees::{X, build_clean, ssrf_hit};

/// Where the hit is, and how deep below ROOT the damage may go (the folders a check reads).
#[derive(Clone, Copy, Debug)]
enum Hit {
    /// SSRF lines in an HttpProxy log: a required log check.
    Ssrf,
    /// The OAB dump shell in aspnet_client: the file scan.
    Shell,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Damage {
    Unreadable,
    /// Moved outside ROOT, a link left in its place.
    LinkOut,
    /// Deleted, a link to nowhere in its place.
    Dangling,
    /// Replaced by a FIFO (the entry moved away).
    Fifo,
    /// Deleted (only folders a required check expects: a missing file with the hit is just a
    /// tree without the hit).
    Missing,
}

impl Hit {
    fn rel(self) -> String {
        match self {
            Hit::Ssrf => format!("{X}/Logging/HttpProxy/Ecp/HttpProxy_2021021104-9.LOG"),
            Hit::Shell => "inetpub/wwwroot/aspnet_client/system_web/zq7w.aspx".into(),
        }
    }

    fn content(self) -> Vec<u8> {
        match self {
            Hit::Ssrf => trees::hp_file(
                "2021-02-11T00:00:00.000Z",
                &[ssrf_hit(70_000, "2021-02-11T04:29:44.908Z", &[])],
            ),
            Hit::Shell => trees::oab_dump_shell(),
        }
    }

    /// How many path levels (file = 0) may be damaged: up to the folder the check is rooted at.
    fn depths(self) -> usize {
        match self {
            Hit::Ssrf => 3,  // the file, Ecp, HttpProxy
            Hit::Shell => 4, // the file, system_web, aspnet_client, wwwroot
        }
    }
}

fn damage(root: &Path, outside: &Path, target: &Path, d: Damage, n: usize) {
    let away = outside.join(format!("moved{n}"));
    match d {
        Damage::Unreadable => {
            std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o000)).unwrap()
        }
        Damage::LinkOut => {
            std::fs::rename(target, &away).unwrap();
            std::os::unix::fs::symlink(&away, target).unwrap();
        }
        Damage::Dangling => {
            std::fs::rename(target, &away).unwrap();
            std::os::unix::fs::symlink(root.join("nowhere"), target).unwrap();
        }
        Damage::Fifo => {
            std::fs::rename(target, &away).unwrap();
            assert!(
                std::process::Command::new("mkfifo")
                    .arg(target)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        Damage::Missing => {
            if target.is_dir() {
                std::fs::remove_dir_all(target).unwrap()
            } else {
                std::fs::remove_file(target).unwrap()
            }
        }
    }
}

fn case(hit: Hit, plan: &[(usize, Damage)], u: &unprivileged::Unprivileged) -> Result<(), String> {
    let d = tempfile::Builder::new()
        .prefix("case")
        .tempdir_in(u.dir.path())
        .unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = d.path().join("root");
    let outside = d.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    build_clean(&root);
    trees::write(&root, &hit.rel(), &hit.content());
    unprivileged::open_up(d.path());
    let file = root.join(hit.rel());
    // deepest first, so that a folder's damage does not move a file still to be damaged
    let mut plan = plan.to_vec();
    plan.sort_by_key(|p| p.0);
    plan.dedup_by_key(|p| p.0);
    let mut done = Vec::new();
    for (n, (depth, dmg)) in plan.iter().enumerate() {
        let target: PathBuf = (0..*depth).fold(file.clone(), |p, _| p.parent().unwrap().into());
        // Missing is for the folders a required check expects, not the hit itself, and nothing
        // can be done to an entry an earlier step already removed or moved.
        if (*dmg == Damage::Missing && (*depth == 0 || matches!(hit, Hit::Shell)))
            || target.symlink_metadata().is_err()
        {
            continue;
        }
        damage(&root, &outside, &target, *dmg, n);
        done.push((*depth, *dmg));
    }
    let r = u.scan(&[root.as_os_str()]);
    // undo mode 000 so the temp folder can be removed
    // (a folder must be opened up before it can be listed: mode 000 stops the walk below it)
    for _ in 0..4 {
        for e in unprivileged::walkdir(d.path()) {
            if std::fs::symlink_metadata(&e).is_ok_and(|m| !m.file_type().is_symlink()) {
                let _ = std::fs::set_permissions(&e, std::fs::Permissions::from_mode(0o755));
            }
        }
    }
    let verdict = r.report["verdict"].as_str().unwrap_or_default().to_string();
    if verdict == "no-evidence" || verdict.is_empty() {
        return Err(format!(
            "{hit:?} with {done:?}: verdict {verdict:?}\n{}",
            r.stdout
        ));
    }
    Ok(())
}

fn damage_strategy() -> impl Strategy<Value = Damage> {
    prop_oneof![
        Just(Damage::Unreadable),
        Just(Damage::LinkOut),
        Just(Damage::Dangling),
        Just(Damage::Fifo),
        Just(Damage::Missing),
    ]
}

fn hit_strategy() -> impl Strategy<Value = Hit> {
    prop_oneof![Just(Hit::Ssrf), Just(Hit::Shell)]
}

#[test]
fn damage_on_the_way_to_a_hit_never_gives_no_evidence() {
    let Some(u) = unprivileged::or_skip("damage on the way to a hit") else {
        return;
    };
    let cases = std::env::var("EXHUNT_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = hit_strategy().prop_flat_map(|hit| {
        (
            Just(hit),
            proptest::collection::vec((0..hit.depths(), damage_strategy()), 1..=3),
        )
    });
    runner
        .run(&strategy, |(hit, plan)| {
            case(hit, &plan, &u).map_err(proptest::test_runner::TestCaseError::fail)
        })
        .unwrap();
}

/// The benign look-alike of the property: the same trees undamaged and without the hit are
/// `no-evidence` (so the property is not met by a scan that always says inconclusive).
#[test]
fn the_undamaged_clean_tree_is_no_evidence_as_nobody_too() {
    let Some(u) = unprivileged::or_skip("undamaged clean tree") else {
        return;
    };
    let d = tempfile::Builder::new()
        .prefix("clean")
        .tempdir_in(u.dir.path())
        .unwrap();
    let root = d.path().join("root");
    build_clean(&root);
    unprivileged::open_up(d.path());
    let r = u.scan(&[root.as_os_str()]);
    assert_eq!(r.report["verdict"], "no-evidence", "{}", r.stdout);
}
