//! Output safety, in one place: where an output folder really is (so that it is never inside the
//! evidence), a write probe before the scan, and the one way every report file is created: a
//! fresh temporary name made with `create_new` (`O_EXCL`, never follows a link), renamed over the
//! final name. A final name that exists and is not a regular file (a link, FIFO, folder) is
//! refused, never written through.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// Where `p` really is: made absolute against the current folder, `.` and `..` applied, and
/// every existing prefix resolved through links. Components that do not exist yet are taken as
/// the folders they will be created as (so `missing/..` is the folder `missing` is in).
pub fn resolve(p: &Path) -> io::Result<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    };
    let mut cur = PathBuf::new();
    let mut tail: Vec<OsString> = Vec::new();
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => {
                cur.push(c.as_os_str());
                cur = cur.canonicalize().unwrap_or(cur);
            }
            Component::CurDir => {}
            Component::ParentDir => {
                if tail.pop().is_none() {
                    cur.pop();
                }
            }
            Component::Normal(n) => {
                let next = cur.join(n);
                if tail.is_empty() && std::fs::symlink_metadata(&next).is_ok() {
                    cur = next.canonicalize().map_err(|e| {
                        io::Error::new(e.kind(), format!("{}: cannot resolve: {e}", next.display()))
                    })?;
                } else {
                    tail.push(n.to_os_string());
                }
            }
        }
    }
    Ok(tail.iter().fold(cur, |acc, t| acc.join(t)))
}

/// Errors when `out` is `evidence` or lies under it (both resolved with [`resolve`]).
pub fn refuse_inside(evidence: &Path, out: &Path) -> Result<(), String> {
    let ev = resolve(evidence).map_err(|e| format!("{}: {e}", evidence.display()))?;
    let o = resolve(out).map_err(|e| format!("{}: {e}", out.display()))?;
    if o.starts_with(&ev) {
        return Err(format!(
            "{}: refusing to write inside the scanned evidence {} (choose a folder outside it)",
            out.display(),
            evidence.display()
        ));
    }
    Ok(())
}

/// The evidence of a scan: ROOT, every folder given to `--logs`, and the folder of every file
/// given to `--logs`.
pub fn evidence_folders(root: Option<&Path>, logs: &[PathBuf]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = root.map(Path::to_path_buf).into_iter().collect();
    for l in logs {
        if l.is_dir() {
            v.push(l.clone());
        } else {
            match l.parent() {
                Some(p) if !p.as_os_str().is_empty() => v.push(p.to_path_buf()),
                _ => v.push(PathBuf::from(".")),
            }
        }
    }
    v
}

/// The evidence folders of a finished scan, from its parameters (paths shown escaped where
/// needed, see `model::names`, turned back into the real ones).
pub fn evidence_of(scan: &crate::scan::ScanResult) -> Vec<PathBuf> {
    use crate::model::names::real_path;
    let logs: Vec<PathBuf> = scan.params.logs.iter().map(|l| real_path(l)).collect();
    evidence_folders(scan.params.root.as_deref().map(real_path).as_deref(), &logs)
}

/// Errors when `out` lies inside any of the evidence folders.
pub fn refuse_evidence(evidence: &[PathBuf], out: &Path) -> Result<(), String> {
    evidence.iter().try_for_each(|e| refuse_inside(e, out))
}

/// A name in `dir` nobody uses: `.<stem>.<pid>.<n>.tmp`, created with `create_new`.
fn create_fresh(dir: &Path, stem: &str) -> io::Result<(std::fs::File, PathBuf)> {
    let pid = std::process::id();
    for n in 0..1000u32 {
        let p = dir.join(format!(".{stem}.{pid}.{n}.tmp"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((f, p)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{}: no free temporary name", dir.display()),
    ))
}

/// Errors when `p` exists and is not a regular file (checked without following a link).
pub fn refuse_non_regular(p: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(p) {
        Ok(m) if !m.file_type().is_file() => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and is {}: refusing to write through it (remove it or choose another --out folder)",
                p.display(),
                crate::sources::files::kind_of(&m.file_type())
            ),
        )),
        _ => Ok(()),
    }
}

/// Creates the report file `dir/name` with `fill`: written to a fresh temporary file, then
/// renamed over `name`. Returns the final path.
pub fn create_report(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<PathBuf> {
    let fin = dir.join(name);
    refuse_non_regular(&fin)?;
    let (f, tmp) = create_fresh(dir, name)?;
    let mut w = io::BufWriter::new(f);
    let done = fill(&mut w)
        .and_then(|()| w.flush())
        .and_then(|()| refuse_non_regular(&fin))
        .and_then(|()| std::fs::rename(&tmp, &fin));
    if let Err(e) = done {
        drop(w);
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(fin)
}

/// The report names that do not depend on the host.
pub const FIXED_NAMES: [&str; 9] = [
    "report.json",
    "findings.csv",
    "findings.jsonl",
    "rolled-up.csv",
    "timeline.csv",
    "timeline.jsonl",
    super::html::FILE,
    super::cisa::XLSX_FILE,
    super::cisa::CSV_FILE,
];

/// Before the scan: `dir` (given with `flag`) is resolved, refused inside the evidence, created,
/// and proven writable by creating and removing a probe file. An `--out` folder that already
/// holds reports (a `report.json`) is refused unless `replace` (`--force`): the reports are then
/// replaced, each through [`create_report`]. Returns the resolved folder, where every later
/// write goes.
pub fn prepare_dir(
    flag: &str,
    dir: &Path,
    evidence: &[PathBuf],
    replace: bool,
) -> Result<PathBuf, String> {
    refuse_evidence(evidence, dir).map_err(|e| format!("{flag} {e}"))?;
    let fail = |e: &dyn std::fmt::Display| format!("cannot write to {flag} {}: {e}", dir.display());
    let real = resolve(dir).map_err(|e| fail(&e))?;
    std::fs::create_dir_all(&real).map_err(|e| fail(&e))?;
    if flag == "--out" {
        // A planted link or FIFO under a report's name is refused now, not after the scan.
        for name in FIXED_NAMES {
            refuse_non_regular(&real.join(name)).map_err(|e| format!("{flag}: {e}"))?;
        }
        if !replace
            && std::fs::symlink_metadata(real.join("report.json")).is_ok_and(|m| m.is_file())
        {
            return Err(format!(
                "{flag} {}: already holds exhunt reports (report.json); give --force to replace them, or choose another folder",
                dir.display()
            ));
        }
    }
    let (f, probe) = create_fresh(&real, "exhunt-probe").map_err(|e| fail(&e))?;
    drop(f);
    std::fs::remove_file(&probe).map_err(|e| fail(&e))?;
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_steps_through_missing_folders_are_applied_lexically() {
        let d = tempfile::tempdir().unwrap();
        let base = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("X")).unwrap();
        std::fs::create_dir_all(base.join("T")).unwrap();
        let p = base.join("X/missing/../../T/r");
        assert_eq!(resolve(&p).unwrap(), base.join("T/r"));
        assert!(refuse_inside(&base.join("T"), &p).is_err());
        assert!(refuse_inside(&base.join("T"), &base.join("X/missing/../r")).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_before_the_comparison() {
        let d = tempfile::tempdir().unwrap();
        let base = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("T/deep")).unwrap();
        std::os::unix::fs::symlink(base.join("T/deep"), base.join("L")).unwrap();
        // L/.. is T (the parent of the link's target), as the kernel sees it
        assert_eq!(resolve(&base.join("L/../x")).unwrap(), base.join("T/x"));
        assert!(refuse_inside(&base.join("T"), &base.join("L/new/out")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_report_name_held_by_a_link_is_refused_and_the_target_untouched() {
        let d = tempfile::tempdir().unwrap();
        let ev = d.path().join("evidence.log");
        std::fs::write(&ev, b"keep").unwrap();
        std::os::unix::fs::symlink(&ev, d.path().join("report.json")).unwrap();
        let e = create_report(d.path(), "report.json", |w| w.write_all(b"x")).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read(&ev).unwrap(), b"keep");
        let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "no temporary file left behind");
    }
}
