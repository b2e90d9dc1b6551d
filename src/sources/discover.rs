//! Finding the artefacts: an Exchange install under a system-drive root (a mounted image, a
//! triage collection, or `C:\` live), or loose files recognised by content.

use super::classify::classify_file;
use super::files::{walk, walk_given};
use super::paths::{
    Matches, Resolved, resolve_ci, resolve_ci_all, resolve_ci_checked, windows_path_of,
};
use super::{SourceFile, SourceKind};
use crate::model::names::Shown;
use crate::model::{FileProblem, SourceCoverage};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The default install folder, relative to the system drive.
pub const DEFAULT_INSTALL: &str = "Program Files/Microsoft/Exchange Server/V15";
/// The default install path as Exchange writes it in its own logs.
pub const DEFAULT_INSTALL_WINDOWS: &str = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\";

/// HttpProxy protocol folders (Test-ProxyLogon reads ten of them, plus `Rest`).
pub const HTTPPROXY_PROTOCOLS: [&str; 11] = [
    "Autodiscover",
    "Eas",
    "Ecp",
    "Ews",
    "Mapi",
    "Oab",
    "Owa",
    "OwaCalendar",
    "PowerShell",
    "RpcHttp",
    "Rest",
];

/// Event logs read, relative to the root, with the channel each holds. The coverage label is
/// `EVTX/<channel>`, the label a loose file of that channel gets from its content, so a check's
/// coverage prefix works in both modes (the Sysmon file name encodes `/` as `%4`).
pub const EVTX_FILES: [(&str, &str); 4] = [
    (
        "Windows/System32/winevt/Logs/Application.evtx",
        "Application",
    ),
    (
        "Windows/System32/winevt/Logs/MSExchange Management.evtx",
        "MSExchange Management",
    ),
    (
        "Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx",
        "Microsoft-Windows-Sysmon/Operational",
    ),
    ("Windows/System32/winevt/Logs/Security.evtx", "Security"),
];

/// Microsoft Safety Scanner's log, relative to the root, and the copy Microsoft's EOMT script
/// moves an earlier log to before each run.
pub const MSERT_LOGS: [&str; 2] = ["Windows/debug/msert.log", "Windows/debug/msert.old.log"];

/// The coverage label of the MSERT logs.
pub const MSERT_LABEL: &str = "MSERT";

/// Folders searched for dumps and archives (Test-ProxyLogon's, relative to the root).
pub const FILE_LOCATIONS: [&str; 3] = ["root", "Windows/Temp", "ProgramData"];

/// The Exchange install that was found.
#[derive(Clone, Debug, Serialize)]
pub struct Install {
    /// Where it is on this machine.
    pub dir: PathBuf,
    /// Its path on the server, as logs write it (`C:\Program Files\...\V15\`).
    pub windows_path: String,
    /// How it was found: `default`, `search`, `--exchange-path`, `registry`.
    pub found_by: String,
}

/// Everything a scan will read.
#[derive(Debug, Default)]
pub struct Plan {
    pub root: Option<PathBuf>,
    pub install: Option<Install>,
    pub files: Vec<SourceFile>,
    /// Coverage groups known before reading (missing folders included, `present: false`).
    pub groups: Vec<SourceCoverage>,
    /// Folders for the dump and archive check: (relative name, resolved folder if present).
    pub file_locations: Vec<(String, Option<PathBuf>)>,
    /// Problems met while listing (unreadable folders, links not followed, unrecognised files).
    pub problems: Vec<FileProblem>,
    pub notes: Vec<String>,
    /// Microsoft Safety Scanner logs (`msert.log`), read by `sources::msert`.
    pub msert: Vec<PathBuf>,
}

/// Finds the Exchange install under `root`: `--exchange-path`, else the default folder, else any
/// `*/Exchange Server/V15` (up to four levels deep) that holds `Logging`.
pub fn find_install(root: &Path, override_path: Option<&Path>) -> Option<Install> {
    if let Some(p) = override_path {
        let dir = if p.is_absolute() {
            p.to_path_buf()
        } else {
            resolve_ci(root, &p.to_string_lossy())?
        };
        let rel = dir
            .strip_prefix(root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from(DEFAULT_INSTALL));
        return Some(Install {
            windows_path: windows_path_of(&rel),
            dir,
            found_by: "--exchange-path".into(),
        });
    }
    if let Some(dir) = resolve_ci(root, DEFAULT_INSTALL).filter(|d| d.is_dir()) {
        return Some(Install {
            dir,
            windows_path: DEFAULT_INSTALL_WINDOWS.into(),
            found_by: "default".into(),
        });
    }
    #[cfg(windows)]
    if let Some(i) = registry_install() {
        return Some(i);
    }
    let found = walkdir::WalkDir::new(root)
        .follow_links(false)
        .max_depth(4)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| {
            e.file_type().is_dir()
                && e.file_name().eq_ignore_ascii_case("V15")
                && e.path()
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n.eq_ignore_ascii_case("Exchange Server"))
                && resolve_ci(e.path(), "Logging").is_some()
        })?;
    let dir = found.into_path();
    let rel = dir.strip_prefix(root).ok()?.to_path_buf();
    Some(Install {
        windows_path: windows_path_of(&rel),
        dir,
        found_by: "search".into(),
    })
}

/// Live on Windows: `HKLM\SOFTWARE\Microsoft\ExchangeServer\v15\Setup\MsiInstallPath`.
#[cfg(windows)]
fn registry_install() -> Option<Install> {
    let out = std::process::Command::new("reg")
        .args([
            "query",
            r"HKLM\SOFTWARE\Microsoft\ExchangeServer\v15\Setup",
            "/v",
            "MsiInstallPath",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("MsiInstallPath"))?;
    let value = line.split("REG_SZ").nth(1)?.trim().to_string();
    let dir = PathBuf::from(&value);
    dir.is_dir().then(|| Install {
        dir,
        windows_path: value,
        found_by: "registry".into(),
    })
}

/// A coverage group for the folders `m` found (every case variant), `expected` shown when none.
/// Problems met on the way belong to the group itself: its folder may lie below them.
fn group_of(label: &str, kind: SourceKind, m: &Matches, expected: String) -> SourceCoverage {
    let mut g = SourceCoverage::new(
        label,
        kind.as_str(),
        m.found.first().map(|p| p.shown()).unwrap_or(expected),
        !m.found.is_empty(),
    );
    g.also = m.found.iter().skip(1).map(|p| p.shown()).collect();
    g.problems = m.problems();
    g
}

/// Case-variant siblings read together are said once each.
fn note_variants(plan: &mut Plan, m: &Matches) {
    if m.found.len() > 1 {
        plan.notes.push(format!(
            "case-variant folders found and all read: {}",
            m.found
                .iter()
                .map(|p| p.shown())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

fn only_dirs(mut m: Matches) -> Matches {
    m.found.retain(|p| p.is_dir());
    m
}

fn add_folder(
    plan: &mut Plan,
    label: &str,
    kind: SourceKind,
    m: Matches,
    expected: String,
    protocol: Option<&str>,
) {
    plan.groups.push(group_of(label, kind, &m, expected));
    note_variants(plan, &m);
    for dir in &m.found {
        let (files, problems) = walk(dir);
        plan.problems.extend(problems);
        for path in files {
            plan.files.push(SourceFile {
                path,
                kind,
                label: label.to_string(),
                protocol: protocol.map(str::to_string),
                confirmed: false,
            });
        }
    }
}

/// Plans a scan of a system-drive root.
pub fn plan_root(root: &Path, exchange_path: Option<&Path>) -> Plan {
    let mut plan = Plan {
        root: Some(root.to_path_buf()),
        ..Default::default()
    };
    plan.install = find_install(root, exchange_path);
    let shown = |rel: &str| root.join(rel).shown();
    match &plan.install {
        Some(inst) => {
            let inst_dir = inst.dir.clone();
            let sub = |rel: &str| only_dirs(resolve_ci_all(&inst_dir, &format!("Logging/{rel}")));
            let at = |rel: &str| inst_dir.join("Logging").join(rel).shown();
            let mut protos: Vec<String> = HTTPPROXY_PROTOCOLS.iter().map(|s| s.to_string()).collect();
            // Protocol folders this server has beyond the known list (in every case variant).
            for hp in sub("HttpProxy").found {
                for p in super::paths::list_dir(&hp).unwrap_or_default() {
                    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    if p.is_dir() && !protos.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
                        protos.push(name);
                    }
                }
            }
            for proto in &protos {
                let rel = format!("HttpProxy/{proto}");
                add_folder(&mut plan, &rel, SourceKind::HttpProxy, sub(&rel), at(&rel), Some(proto));
            }
            add_folder(&mut plan, "ECP/Server", SourceKind::EcpServer, sub("ECP/Server"), at("ECP/Server"), None);
            add_folder(&mut plan, "OABGeneratorLog", SourceKind::OabGenerator, sub("OABGeneratorLog"), at("OABGeneratorLog"), None);
        }
        None => plan.notes.push(format!(
            "no Exchange install found under {} (looked for {DEFAULT_INSTALL} and any */Exchange Server/V15 holding Logging); use --exchange-path or --logs",
            root.display()
        )),
    }
    // IIS sites, in every case variant of the log folder (`inetpub/logs` beside `inetpub/Logs`).
    let lf = only_dirs(resolve_ci_all(root, "inetpub/logs/LogFiles"));
    note_variants(&mut plan, &lf);
    let mut sites: Vec<(String, Vec<PathBuf>)> = Vec::new();
    let mut lf_problems = lf.problems();
    for dir in &lf.found {
        let listed = super::paths::list_dir(dir).unwrap_or_else(|e| {
            lf_problems.push(FileProblem {
                path: dir.shown(),
                problem: e,
            });
            Vec::new()
        });
        for p in listed {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_uppercase())
                .unwrap_or_default();
            if !(p.is_dir() && name.starts_with("W3SVC")) {
                continue;
            }
            match sites.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.push(p),
                None => sites.push((name, vec![p])),
            }
        }
    }
    if sites.is_empty() && lf_problems.is_empty() {
        plan.groups.push(group_of(
            "IIS",
            SourceKind::IisW3c,
            &lf,
            shown("inetpub/logs/LogFiles"),
        ));
    } else if !lf_problems.is_empty() {
        // Sites behind an unreadable log folder were not seen: a group the IIS check reads
        // carries the problems, so that check cannot say it saw everything.
        let mut g = group_of(
            "IIS/(log folder)",
            SourceKind::IisW3c,
            &lf,
            shown("inetpub/logs/LogFiles"),
        );
        g.problems = lf_problems;
        plan.groups.push(g);
    }
    for (name, dirs) in sites {
        let shown_site = dirs[0].shown();
        let m = Matches {
            found: dirs,
            ..Default::default()
        };
        add_folder(
            &mut plan,
            &format!("IIS/{name}"),
            SourceKind::IisW3c,
            m,
            shown_site,
            None,
        );
    }
    for (rel, channel) in EVTX_FILES {
        let label = format!("EVTX/{channel}");
        let mut m = resolve_ci_all(root, rel);
        let mut specials = Vec::new();
        m.found.retain(|p| match p.symlink_metadata() {
            Ok(md) if md.is_file() => true,
            Ok(md) if !md.is_dir() => {
                specials.push(FileProblem {
                    path: p.shown(),
                    problem: super::files::special_problem(&md.file_type()),
                });
                false
            }
            _ => false,
        });
        // Archived logs of the same channel (`Archive-Security-2021-03-02-10-00-00-000.evtx`,
        // written when a full log is archived instead of overwritten) hold its older records.
        let (dir_rel, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let prefix = format!(
            "archive-{}-",
            name.strip_suffix(".evtx")
                .unwrap_or(name)
                .to_ascii_lowercase()
        );
        for dir in only_dirs(resolve_ci_all(root, dir_rel)).found {
            match super::paths::list_dir(&dir) {
                Ok(entries) => {
                    for e in entries {
                        let n = e
                            .file_name()
                            .map(|n| n.to_string_lossy().to_ascii_lowercase())
                            .unwrap_or_default();
                        if !(n.starts_with(&prefix) && n.ends_with(".evtx")) {
                            continue;
                        }
                        match e.symlink_metadata() {
                            Ok(md) if md.is_file() => m.found.push(e),
                            Ok(md) => specials.push(FileProblem {
                                path: e.shown(),
                                problem: super::files::special_problem(&md.file_type()),
                            }),
                            Err(err) => specials.push(FileProblem {
                                path: e.shown(),
                                problem: super::io_problem("cannot read", &err),
                            }),
                        }
                    }
                }
                Err(problem) => specials.push(FileProblem {
                    path: dir.shown(),
                    problem: format!("{problem} (archived event logs not looked for)"),
                }),
            }
        }
        let mut g = group_of(&label, SourceKind::Evtx, &m, shown(rel));
        g.problems.extend(specials);
        plan.groups.push(g);
        note_variants(&mut plan, &m);
        for path in m.found {
            plan.files.push(SourceFile {
                path,
                kind: SourceKind::Evtx,
                label: label.clone(),
                protocol: None,
                confirmed: false,
            });
        }
    }
    for rel in FILE_LOCATIONS {
        let m = only_dirs(resolve_ci_all(root, rel));
        note_variants(&mut plan, &m);
        plan.problems.extend(m.problems());
        if m.found.is_empty() {
            plan.file_locations.push((rel.to_string(), None));
        }
        for d in m.found {
            plan.file_locations.push((rel.to_string(), Some(d)));
        }
    }
    plan_msert(&mut plan, root);
    note_links(&mut plan, root);
    plan
}

/// The MSERT logs under `root`, and their coverage group (present when one was found).
fn plan_msert(plan: &mut Plan, root: &Path) {
    let mut g = SourceCoverage::new(
        MSERT_LABEL,
        "msert",
        root.join(MSERT_LOGS[0]).shown(),
        false,
    );
    for rel in MSERT_LOGS {
        match resolve_ci_checked(root, rel) {
            Resolved::Found(p) => match p.symlink_metadata() {
                Ok(m) if m.is_file() => {
                    if !g.present {
                        g.path = p.shown();
                    } else {
                        g.also.push(p.shown());
                    }
                    g.present = true;
                    plan.msert.push(p);
                }
                Ok(m) => g.problems.push(FileProblem {
                    path: p.shown(),
                    problem: super::files::special_problem(&m.file_type()),
                }),
                Err(e) => g.problems.push(FileProblem {
                    path: p.shown(),
                    problem: super::io_problem("cannot read", &e),
                }),
            },
            Resolved::Link(p) => g.problems.push(FileProblem {
                path: p.shown(),
                problem: super::files::link_problem(&p).into(),
            }),
            Resolved::Missing => {}
        }
    }
    plan.groups.push(g);
}

/// Whether a loose file is an MSERT log by its name (`msert.log`, `msert.old.log`, a renamed
/// copy `msert-EX01.log`): the log has no header to tell it by content.
pub fn is_msert_name(p: &Path) -> bool {
    p.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|n| n.starts_with("msert") && n.ends_with(".log"))
}

/// Checks a planned file's content against what its folder promises (called from the parallel
/// reading phase). A file whose content is another known log kind is read as what it is; an
/// unreadable or unrecognised one is reported (empty files are fine: a fresh log).
pub fn confirm_kind(f: &mut SourceFile) -> Option<FileProblem> {
    let shown = || f.path.shown();
    match classify_file(&f.path) {
        Ok(k) if k == f.kind => None,
        Ok(SourceKind::Text) if f.kind == SourceKind::OabGenerator => None,
        Ok(
            k @ (SourceKind::HttpProxy
            | SourceKind::IisW3c
            | SourceKind::EcpServer
            | SourceKind::Evtx
            | SourceKind::EventJson
            | SourceKind::OabGenerator),
        ) => {
            f.kind = k;
            None
        }
        Ok(k) => {
            let empty = std::fs::metadata(&f.path)
                .map(|m| m.len() == 0)
                .unwrap_or(false);
            // UTF-16 is reported when it is read (with what to do about it).
            let problem = (!empty && k != SourceKind::Utf16Text).then(|| FileProblem {
                path: shown(),
                problem: format!(
                    "not read: content is {} where {} was expected",
                    k.as_str(),
                    f.kind.as_str()
                ),
            });
            f.kind = k;
            problem
        }
        Err(e) => {
            f.kind = SourceKind::Binary;
            Some(FileProblem {
                path: shown(),
                problem: super::io_problem("cannot read", &e),
            })
        }
    }
}

/// Folders that discovery needed but found behind a symbolic link: reported, not followed.
fn note_links(plan: &mut Plan, root: &Path) {
    let mut rels: Vec<String> = [
        "inetpub/logs/LogFiles",
        "inetpub/wwwroot",
        "Windows/System32/winevt/Logs",
        "ProgramData",
        "Windows/Temp",
        "root",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let install_rel = plan
        .install
        .as_ref()
        .and_then(|i| {
            i.dir
                .strip_prefix(root)
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| DEFAULT_INSTALL.to_string());
    for sub in [
        "",
        "Logging",
        "Logging/HttpProxy",
        "Logging/ECP/Server",
        "Logging/OABGeneratorLog",
        "FrontEnd/HttpProxy",
    ] {
        rels.push(format!("{install_rel}/{sub}"));
    }
    rels.extend(EVTX_FILES.iter().map(|(r, _)| r.to_string()));
    // Protocol folders inside HttpProxy that are links.
    if let super::paths::Resolved::Found(hp) =
        super::paths::resolve_ci_checked(root, &format!("{install_rel}/Logging/HttpProxy"))
    {
        for e in super::paths::list_dir(&hp).unwrap_or_default() {
            if e.symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
            {
                rels.push(
                    e.strip_prefix(root)
                        .map(|r| r.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
        }
    }
    for rel in rels {
        if let super::paths::Resolved::Link(p) = super::paths::resolve_ci_checked(root, &rel) {
            let path = p.shown();
            let known = plan
                .problems
                .iter()
                .chain(plan.groups.iter().flat_map(|g| &g.problems))
                .any(|q| q.path == path);
            if !known {
                plan.problems.push(FileProblem {
                    path,
                    problem: super::files::link_problem(&p).into(),
                });
            }
        }
    }
}

/// Plans a scan of loose files or folders: every file is classified by its content.
pub fn plan_loose(paths: &[PathBuf]) -> Plan {
    let mut plan = Plan::default();
    for p in paths {
        let (files, problems) = if p.is_file() {
            (vec![p.clone()], vec![])
        } else {
            walk_given(p)
        };
        if !p.exists() {
            plan.problems.push(FileProblem {
                path: p.shown(),
                problem: "does not exist".into(),
            });
        }
        plan.problems.extend(problems);
        for path in files {
            match classify_file(&path) {
                Ok(kind) => {
                    if is_msert_name(&path) && !plan.msert.contains(&path) {
                        if !plan.groups.iter().any(|g| g.label == MSERT_LABEL) {
                            plan.groups.push(SourceCoverage::new(
                                MSERT_LABEL,
                                "msert",
                                path.shown(),
                                true,
                            ));
                        }
                        plan.msert.push(path);
                        continue;
                    }
                    let label = match kind {
                        SourceKind::HttpProxy => "HttpProxy/(loose)".to_string(),
                        SourceKind::EcpServer => "ECP/Server".to_string(),
                        SourceKind::OabGenerator => "OABGeneratorLog".to_string(),
                        SourceKind::IisW3c => "IIS/(loose)".to_string(),
                        SourceKind::Evtx => "EVTX/(loose)".to_string(),
                        SourceKind::EventJson => "EventJSON/(loose)".to_string(),
                        other => format!("unrecognised/{}", other.as_str()),
                    };
                    plan.files.push(SourceFile {
                        path,
                        kind,
                        label,
                        protocol: None,
                        confirmed: true,
                    });
                }
                Err(e) => plan.problems.push(FileProblem {
                    path: path.shown(),
                    problem: super::io_problem("cannot read", &e),
                }),
            }
        }
    }
    plan
}
