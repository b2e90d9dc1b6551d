//! Where webshells and their traces live: the folders the file scan reads (MSERT's half of the
//! job), resolved case-insensitively under a system-drive root, and the drop zone a file is in.

use super::files::walk;
use super::paths::{list_dir, resolve_ci, resolve_ci_all};
use crate::model::FileProblem;
use crate::model::names::Shown;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The kind of folder a file was found in; heuristics and file-name indicators depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Zone {
    /// `inetpub/wwwroot/aspnet_client` (any depth): IIS static files only; the main drop zone.
    AspnetClient,
    /// The rest of `inetpub/wwwroot`.
    WebRoot,
    /// `<install>/FrontEnd/HttpProxy/owa/auth` with `Current/` and the build folders.
    OwaAuth,
    /// `<install>/FrontEnd/HttpProxy/ecp/auth`.
    EcpAuth,
    /// `<install>/FrontEnd/HttpProxy/OAB`.
    Oab,
    /// `<install>/ClientAccess`.
    ClientAccess,
    /// `Windows/Microsoft.NET/Framework*/<version>/Temporary ASP.NET Files`.
    TempAspNet,
    ProgramData,
    WindowsTemp,
    /// `C:\root`.
    Root,
    /// Anywhere else (`--full`, loose files).
    Other,
}

impl Zone {
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::AspnetClient => "aspnet_client",
            Zone::WebRoot => "webroot",
            Zone::OwaAuth => "owa/auth",
            Zone::EcpAuth => "ecp/auth",
            Zone::Oab => "oab",
            Zone::ClientAccess => "ClientAccess",
            Zone::TempAspNet => "Temporary ASP.NET Files",
            Zone::ProgramData => "ProgramData",
            Zone::WindowsTemp => "Windows/Temp",
            Zone::Root => "root",
            Zone::Other => "other",
        }
    }

    /// Where IIS serves pages from, so a dropped page runs: the webshell drop zones.
    pub fn is_drop_zone(self) -> bool {
        matches!(
            self,
            Zone::AspnetClient | Zone::WebRoot | Zone::OwaAuth | Zone::EcpAuth | Zone::Oab
        )
    }
}

/// Which zone `path` is in, and its path inside the zone's folder (lower case, `/`-separated).
/// `path` is relative to the scanned root when there is one (then a leading `root/` means
/// `C:\root`), else as given; folders are recognised by their names at any depth.
pub fn zone_of(path: &str, rooted: bool) -> (Zone, String) {
    let lower = path.replace('\\', "/").to_ascii_lowercase();
    let segs: Vec<&str> = lower.split('/').filter(|s| !s.is_empty()).collect();
    let find = |seq: &[&str]| -> Option<usize> {
        (0..segs.len().saturating_sub(seq.len() - 1))
            .find(|&i| segs[i..].len() >= seq.len() && segs[i..i + seq.len()] == *seq)
            .map(|i| i + seq.len())
    };
    let rest = |at: usize| segs[at..].join("/");
    for (seq, zone) in [
        (&["frontend", "httpproxy", "owa", "auth"][..], Zone::OwaAuth),
        (&["frontend", "httpproxy", "ecp", "auth"][..], Zone::EcpAuth),
        (&["frontend", "httpproxy", "oab"][..], Zone::Oab),
        (
            &["inetpub", "wwwroot", "aspnet_client"][..],
            Zone::AspnetClient,
        ),
        (&["inetpub", "wwwroot"][..], Zone::WebRoot),
        (&["temporary asp.net files"][..], Zone::TempAspNet),
        (
            &["exchange server", "v15", "clientaccess"][..],
            Zone::ClientAccess,
        ),
        (&["windows", "temp"][..], Zone::WindowsTemp),
    ] {
        if let Some(at) = find(seq) {
            return (zone, rest(at));
        }
    }
    if segs.len() > 1 && segs.get(..2) == Some(&["v15", "clientaccess"][..]) {
        return (Zone::ClientAccess, rest(2));
    }
    if rooted && segs.first() == Some(&"programdata") {
        return (Zone::ProgramData, rest(1));
    }
    if rooted && segs.first() == Some(&"root") {
        return (Zone::Root, rest(1));
    }
    if !rooted && let Some(at) = find(&["programdata"]) {
        return (Zone::ProgramData, rest(at));
    }
    (Zone::Other, lower)
}

/// One folder of the default scope.
#[derive(Clone, Debug)]
pub struct Location {
    /// Short label, e.g. `owa/auth`.
    pub label: String,
    /// Where it is (or would be) under the root, for reports.
    pub shown: String,
    /// The folders found (one, or several for the per-framework Temporary ASP.NET Files).
    pub dirs: Vec<PathBuf>,
    /// A folder a real server always has: missing means the scan did not see everything.
    pub required: bool,
    pub files: u64,
    pub bytes: u64,
}

/// One file to scan.
#[derive(Clone, Debug)]
pub struct WebFile {
    pub path: PathBuf,
    /// Path relative to the root (`/`-separated), or the path as given for loose files.
    pub rel: String,
    pub zone: Zone,
    /// Path inside the zone's folder (lower case), for file-name indicators.
    pub in_zone: String,
    /// Index into [`WebPlan::locations`].
    pub location: usize,
}

/// Everything the file scan will read.
#[derive(Debug, Default)]
pub struct WebPlan {
    pub locations: Vec<Location>,
    pub files: Vec<WebFile>,
    /// Listing problems (unreadable folders, links not followed).
    pub problems: Vec<FileProblem>,
    /// True for `--logs` (no locations to expect).
    pub loose: bool,
}

/// Folders of the default scope, relative to the Exchange install.
const INSTALL_LOCATIONS: [(&str, &str); 4] = [
    ("owa/auth", "FrontEnd/HttpProxy/owa/auth"),
    ("ecp/auth", "FrontEnd/HttpProxy/ecp/auth"),
    ("OAB", "FrontEnd/HttpProxy/OAB"),
    ("ClientAccess", "ClientAccess"),
];

/// Folders of the default scope, relative to the root: (label, path, required).
const ROOT_LOCATIONS: [(&str, &str, bool); 4] = [
    ("inetpub/wwwroot", "inetpub/wwwroot", true),
    ("ProgramData", "ProgramData", true),
    ("Windows/Temp", "Windows/Temp", true),
    ("root", "root", false),
];

/// `p` relative to `root`, `/`-separated, shown as [`Shown`] shows names (escaped where needed).
fn rel_of(root: &Path, p: &Path) -> String {
    slashed(p.strip_prefix(root).unwrap_or(p))
}

fn slashed(p: &Path) -> String {
    let s = p.shown();
    // On Windows `\` separates folders; on Unix it is a name character, shown escaped.
    if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s
    }
}

/// `Windows/Microsoft.NET/Framework*/<version>/Temporary ASP.NET Files`, every one present.
fn temp_aspnet_dirs(root: &Path) -> Vec<PathBuf> {
    let Some(net) = resolve_ci(root, "Windows/Microsoft.NET").filter(|p| p.is_dir()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for fw in list_dir(&net).unwrap_or_default() {
        let name = fw
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if !name.starts_with("framework") || !fw.is_dir() {
            continue;
        }
        for ver in list_dir(&fw).unwrap_or_default() {
            if let Some(t) =
                resolve_ci(&ver, "Temporary ASP.NET Files").filter(|p| p.is_dir() && ver.is_dir())
            {
                out.push(t);
            }
        }
    }
    out
}

/// Plans the file scan of a system-drive root. `install` is the Exchange folder (if found);
/// `full` scans everything under the root; `exclude` holds files the log checks read.
pub fn plan_root(
    root: &Path,
    install: Option<&Path>,
    full: bool,
    exclude: &HashSet<PathBuf>,
) -> WebPlan {
    let mut plan = WebPlan::default();
    let shown_install = |rel: &str| match install {
        Some(i) => i.join(rel).shown(),
        None => format!("<Exchange install not found>/{rel}"),
    };
    // Every case variant of a folder is scanned (`inetpub/wwwroot` beside `Inetpub/wwwroot`).
    let dirs_of = |base: &Path, rel: &str, plan: &mut WebPlan| -> Vec<PathBuf> {
        let m = resolve_ci_all(base, rel);
        plan.problems.extend(m.problems());
        m.found.into_iter().filter(|p| p.is_dir()).collect()
    };
    for (label, rel) in INSTALL_LOCATIONS {
        let dirs = match install {
            Some(i) => dirs_of(i, rel, &mut plan),
            None => Vec::new(),
        };
        plan.locations.push(Location {
            label: label.into(),
            shown: dirs
                .first()
                .map_or_else(|| shown_install(rel), |d| d.shown()),
            dirs,
            required: true,
            files: 0,
            bytes: 0,
        });
    }
    for (label, rel, required) in ROOT_LOCATIONS {
        let dirs = dirs_of(root, rel, &mut plan);
        plan.locations.push(Location {
            label: label.into(),
            shown: dirs
                .first()
                .unwrap_or(&root.join(rel))
                .display()
                .to_string(),
            dirs,
            required,
            files: 0,
            bytes: 0,
        });
    }
    plan.locations.push(Location {
        label: "Temporary ASP.NET Files".into(),
        shown: root
            .join("Windows/Microsoft.NET/Framework*/*/Temporary ASP.NET Files")
            .display()
            .to_string(),
        dirs: temp_aspnet_dirs(root),
        required: true,
        files: 0,
        bytes: 0,
    });
    if full {
        plan.locations.push(Location {
            label: "(rest of the root, --full)".into(),
            shown: root.shown(),
            dirs: vec![root.to_path_buf()],
            required: false,
            files: 0,
            bytes: 0,
        });
    }
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for i in 0..plan.locations.len() {
        for dir in plan.locations[i].dirs.clone() {
            let (files, problems) = walk(&dir);
            for p in problems {
                if !plan.problems.contains(&p) {
                    plan.problems.push(p);
                }
            }
            for path in files {
                if exclude.contains(&path) || !seen.insert(path.clone()) {
                    continue;
                }
                let rel = rel_of(root, &path);
                let (zone, in_zone) = zone_of(&rel, true);
                plan.files.push(WebFile {
                    path,
                    rel,
                    zone,
                    in_zone,
                    location: i,
                });
            }
        }
    }
    super::files::mark_links_leaving(root, &mut plan.problems);
    plan
}

/// Plans the file scan of loose files and folders (`--logs`): every file given, except the logs
/// the log checks read (`exclude`).
pub fn plan_loose(paths: &[PathBuf], exclude: &HashSet<PathBuf>) -> WebPlan {
    let mut plan = WebPlan {
        loose: true,
        ..Default::default()
    };
    plan.locations.push(Location {
        label: "(loose files)".into(),
        shown: paths
            .iter()
            .map(|p| p.shown())
            .collect::<Vec<_>>()
            .join(", "),
        dirs: Vec::new(),
        required: false,
        files: 0,
        bytes: 0,
    });
    let mut seen = HashSet::new();
    for p in paths {
        let (files, problems) = if p.is_file() {
            (vec![p.clone()], vec![])
        } else {
            walk(p)
        };
        plan.problems.extend(problems);
        for path in files {
            if exclude.contains(&path) || !seen.insert(path.clone()) {
                continue;
            }
            let rel = slashed(&path);
            let (zone, in_zone) = zone_of(&rel, false);
            plan.files.push(WebFile {
                path,
                rel,
                zone,
                in_zone,
                location: 0,
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_from_paths() {
        let z = |p: &str| zone_of(p, true);
        assert_eq!(
            z("inetpub/wwwroot/aspnet_client/system_web/x.aspx"),
            (Zone::AspnetClient, "system_web/x.aspx".into())
        );
        assert_eq!(z("Inetpub/WWWRoot/iisstart.htm").0, Zone::WebRoot);
        assert_eq!(
            z(
                "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/Current/one1.aspx"
            ),
            (Zone::OwaAuth, "current/one1.aspx".into())
        );
        assert_eq!(
            z("Exchange/V15/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx").0,
            Zone::EcpAuth
        );
        assert_eq!(z("x/V15/FrontEnd/HttpProxy/OAB/log.aspx").0, Zone::Oab);
        assert_eq!(
            z("Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/a/App_Web_x.dll").0,
            Zone::TempAspNet
        );
        assert_eq!(
            z("ProgramData/it.zip"),
            (Zone::ProgramData, "it.zip".into())
        );
        assert_eq!(z("root/lsass.dmp").0, Zone::Root);
        assert_eq!(z("Users/x/root/a").0, Zone::Other);
        assert_eq!(
            zone_of("/cases/c1/ProgramData/it.zip", false).0,
            Zone::ProgramData
        );
        assert_eq!(zone_of("/tmp/root/a.aspx", false).0, Zone::Other);
        assert!(Zone::OwaAuth.is_drop_zone() && !Zone::ProgramData.is_drop_zone());
    }

    #[test]
    fn plans_default_scope_case_insensitively() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let inst = "Program Files/Microsoft/Exchange Server/V15";
        for p in [
            "INETPUB/wwwroot/aspnet_client/system_web/a.aspx".to_string(),
            format!("{inst}/FrontEnd/HttpProxy/OWA/Auth/logon.aspx"),
            format!("{inst}/FrontEnd/HttpProxy/OWA/Auth/15.1.2106/scripts/x.js"),
            "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/1/App_Web_a.dll"
                .to_string(),
            "Users/Public/alg.exe".to_string(),
        ] {
            std::fs::create_dir_all(r.join(&p).parent().unwrap()).unwrap();
            std::fs::write(r.join(&p), b"x").unwrap();
        }
        let install = r.join(inst);
        let plan = plan_root(r, Some(&install), false, &HashSet::new());
        let zones: Vec<Zone> = plan.files.iter().map(|f| f.zone).collect();
        assert_eq!(plan.files.len(), 4, "{:?}", plan.files);
        assert!(zones.contains(&Zone::AspnetClient));
        assert!(zones.contains(&Zone::TempAspNet));
        assert_eq!(zones.iter().filter(|z| **z == Zone::OwaAuth).count(), 2);
        let missing: Vec<&str> = plan
            .locations
            .iter()
            .filter(|l| l.dirs.is_empty())
            .map(|l| l.label.as_str())
            .collect();
        assert_eq!(
            missing,
            [
                "ecp/auth",
                "OAB",
                "ClientAccess",
                "ProgramData",
                "Windows/Temp",
                "root"
            ]
        );
        let full = plan_root(r, Some(&install), true, &HashSet::new());
        assert_eq!(full.files.len(), 5, "--full adds the rest, once each");
    }
}
