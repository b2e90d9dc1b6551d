//! Dumps and staging archives (Test-ProxyLogon's "other" files): `lsass*.dmp` under `root\` and
//! `Windows\Temp\`, `.7z/.zip/.rar` under `ProgramData\`. Always listed, as context, with size and
//! times (Test-ProxyLogon looked only after a CVE hit). Known-benign archives come from an audited
//! allowlist (`rules/archive_allowlist.tsv`) and are listed at severity `info`.

use super::like::like;
use crate::model::names::Shown;
use crate::model::{Class, Evidence, Fields, FileProblem, Finding, Severity};
use crate::sources::files::{meta, walk};
use std::path::{Path, PathBuf};

pub const ID: &str = "suspicious-files";
pub const TITLE: &str = "LSASS dumps and staging archives (Test-ProxyLogon's other files)";

static ALLOWLIST: &str = crate::rules::ARCHIVE_ALLOWLIST;

/// The allowlist entry a path (relative to the root, `/`-separated) matches, if any.
pub(crate) fn allowlisted(rel: &str) -> Option<&'static str> {
    ALLOWLIST
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .find(|(pat, _)| like(rel, pat.trim()))
        .map(|(_, why)| why.trim())
}

/// What the file check found and could not see.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub problems: Vec<FileProblem>,
    /// Locations that do not exist under the root.
    pub missing: Vec<String>,
    pub files_seen: u64,
}

/// Runs the check over `(relative name, folder)` locations under `root`.
pub fn run(root: &Path, locations: &[(String, Option<PathBuf>)]) -> Outcome {
    let mut o = Outcome {
        findings: Vec::new(),
        problems: Vec::new(),
        missing: Vec::new(),
        files_seen: 0,
    };
    for (rel, dir) in locations {
        let Some(dir) = dir else {
            o.missing.push(rel.clone());
            continue;
        };
        let (files, problems) = walk(dir);
        o.problems.extend(problems);
        let dumps = !rel.eq_ignore_ascii_case("ProgramData");
        for path in files {
            o.files_seen += 1;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let relpath = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            let (rule, title, class, severity, why) = if dumps && like(&name, "lsass*dmp") {
                ("lsass-dump", format!("LSASS memory dump: {relpath}"), Class::Context, Severity::High,
                 "A dump of LSASS holds credentials; Exchange intruders dumped it to Windows\\Temp and C:\\root after getting in.".to_string())
            } else if !dumps && matches!(ext.as_str(), "7z" | "zip" | "rar") {
                match allowlisted(&relpath) {
                    Some(reason) => ("archive-allowlisted", format!("Archive in ProgramData (allowlisted): {relpath}"), Class::Context, Severity::Info,
                                     format!("Known benign: {reason}.")),
                    None => ("staging-archive", format!("Archive in ProgramData: {relpath}"), Class::Context, Severity::Low,
                             "Intruders staged stolen data (mailbox exports, dumps) in ProgramData archives; check its contents and time.".to_string()),
                }
            } else {
                continue;
            };
            let m = match meta(&path) {
                Ok(m) => m,
                Err(e) => {
                    o.problems.push(FileProblem {
                        path: path.shown(),
                        problem: crate::sources::io_problem("cannot stat", &e),
                    });
                    continue;
                }
            };
            let t =
                |x: Option<crate::model::Timestamp>| x.map(|t| t.to_string()).unwrap_or_default();
            o.findings.push(Finding {
                check: ID,
                rule,
                cve: "",
                title,
                class,
                severity,
                time: m.modified,
                source: Evidence {
                    path: path.shown(),
                    ..Default::default()
                },
                raw: relpath.clone(),
                fields: Fields::from(vec![
                    (
                        "Type",
                        if rule == "lsass-dump" {
                            "LsassDump".to_string()
                        } else {
                            "SuspiciousArchive".to_string()
                        },
                    ),
                    ("Size", m.size.to_string()),
                    ("Modified", t(m.modified)),
                    ("Created", t(m.created)),
                    ("Accessed", t(m.accessed)),
                ]),
                why,
            });
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_archives_and_allowlist() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for p in [
            "Windows/Temp/lsass.dmp",
            "Windows/Temp/notes.txt",
            "root/lsass_2.DMP",
            "ProgramData/it.zip",
            "ProgramData/VMware/x/vss_manifests0.zip",
            "ProgramData/readme.txt",
        ] {
            std::fs::create_dir_all(r.join(p).parent().unwrap()).unwrap();
            std::fs::write(r.join(p), b"x").unwrap();
        }
        let locs: Vec<(String, Option<PathBuf>)> =
            ["root", "Windows/Temp", "ProgramData", "Missing"]
                .iter()
                .map(|s| (s.to_string(), Some(r.join(s)).filter(|p| p.is_dir())))
                .collect();
        let o = run(r, &locs);
        let rules: Vec<&str> = o.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules.iter().filter(|r| **r == "lsass-dump").count(), 2);
        assert!(rules.contains(&"staging-archive"));
        assert!(rules.contains(&"archive-allowlisted"));
        assert_eq!(o.findings.len(), 4);
        assert_eq!(o.missing, vec!["Missing".to_string()]);
        assert_eq!(o.findings[0].field("Size"), Some("1"));
    }
}
