//! Case-insensitive path resolution: NTFS ignores case, Linux does not, and evidence copies disagree
//! (`Owa`/`OWA`, `ProgramData`/`Programdata`).

use crate::model::FileProblem;
use crate::model::names::Shown;
use std::path::{Path, PathBuf};

/// What resolving a path found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Found(PathBuf),
    Missing,
    /// A component on the way is a symbolic link (or junction): not followed, so that a scan
    /// never leaves the evidence tree through one.
    Link(PathBuf),
}

/// Resolves `rel` (components separated by `/` or `\`) under `base`, matching each component
/// case-insensitively (an exact match wins; otherwise the first match in name order) and never
/// going through a symbolic link.
pub fn resolve_ci_checked(base: &Path, rel: &str) -> Resolved {
    let mut cur = base.to_path_buf();
    for comp in rel.split(['/', '\\']).filter(|c| !c.is_empty()) {
        let exact = cur.join(comp);
        if exact.symlink_metadata().is_ok() {
            cur = exact;
        } else {
            let Ok(rd) = std::fs::read_dir(&cur) else {
                return Resolved::Missing;
            };
            let mut names: Vec<_> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .filter(|n| n.to_string_lossy().eq_ignore_ascii_case(comp))
                .collect();
            names.sort();
            match names.into_iter().next() {
                Some(n) => cur = cur.join(n),
                None => return Resolved::Missing,
            }
        }
        if cur
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Resolved::Link(cur);
        }
    }
    Resolved::Found(cur)
}

/// [`resolve_ci_checked`], as an option: a link on the way counts as missing.
pub fn resolve_ci(base: &Path, rel: &str) -> Option<PathBuf> {
    match resolve_ci_checked(base, rel) {
        Resolved::Found(p) => Some(p),
        _ => None,
    }
}

/// Every path matching `rel` under `base` case-insensitively, and what stood in the way.
#[derive(Debug, Default)]
pub struct Matches {
    /// Every match, the exact spelling first, then the others in name order. Copies of NTFS
    /// volumes on case-sensitive file systems can hold `Logs` beside `logs`: each holds evidence.
    pub found: Vec<PathBuf>,
    /// Components on the way that are links (not followed).
    pub links: Vec<PathBuf>,
    /// Folders on the way that could not be listed or looked into, with the error.
    pub unreadable: Vec<(PathBuf, std::io::Error)>,
    /// Variants past [`MAX_VARIANTS`], not followed.
    pub dropped: Vec<PathBuf>,
}

impl Matches {
    /// What stood in the way, as coverage problems: links not followed, folders that could not
    /// be read (whatever lies below them was not seen), variants past the cap.
    pub fn problems(&self) -> Vec<FileProblem> {
        let at = |p: &PathBuf, problem: String| FileProblem {
            path: p.shown(),
            problem,
        };
        let mut v: Vec<FileProblem> = self
            .links
            .iter()
            .map(|p| at(p, super::files::link_problem(p).into()))
            .collect();
        v.extend(
            self.unreadable
                .iter()
                .map(|(p, e)| at(p, super::io_problem("cannot read folder", e))),
        );
        v.extend(self.dropped.iter().map(|p| {
            at(
                p,
                format!("not read: more than {MAX_VARIANTS} case variants of one folder"),
            )
        }));
        v
    }
}

/// At most this many case variants of one path are followed (each level multiplies them).
const MAX_VARIANTS: usize = 64;

/// Like [`resolve_ci_checked`], but follows every case-variant sibling, not only the first, and
/// reports folders that could not be read instead of calling what lies below them missing.
pub fn resolve_ci_all(base: &Path, rel: &str) -> Matches {
    let mut m = Matches::default();
    let mut cur = vec![base.to_path_buf()];
    for comp in rel.split(['/', '\\']).filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for dir in &cur {
            let mut names: Vec<std::ffi::OsString> = Vec::new();
            match std::fs::read_dir(dir) {
                Ok(rd) => {
                    for e in rd {
                        match e {
                            Ok(e) if e.file_name().to_string_lossy().eq_ignore_ascii_case(comp) => {
                                names.push(e.file_name())
                            }
                            Ok(_) => {}
                            Err(err) => m.unreadable.push((dir.clone(), err)),
                        }
                    }
                }
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) =>
                {
                    continue;
                }
                Err(err) => {
                    // A folder that can be looked into but not listed still yields the exact name.
                    if dir.join(comp).symlink_metadata().is_ok() {
                        names.push(comp.into());
                    } else {
                        m.unreadable.push((dir.clone(), err));
                    }
                }
            }
            names.sort_by_key(|n| (n.as_os_str() != comp, n.clone()));
            for n in names {
                let p = dir.join(n);
                if p.symlink_metadata()
                    .is_ok_and(|md| md.file_type().is_symlink())
                {
                    m.links.push(p);
                } else if next.len() < MAX_VARIANTS {
                    next.push(p);
                } else {
                    m.dropped.push(p);
                }
            }
        }
        cur = next;
        if cur.is_empty() {
            break;
        }
    }
    m.found = cur;
    m
}

/// Lists the entries of `dir` (sorted by name); an unreadable folder yields an error string.
pub fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot list folder: {e}"))?;
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    v.sort();
    Ok(v)
}

/// True when the file name ends with `ext` (given without the dot), ignoring case.
pub fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

/// The Windows path of a folder found at `rel` under the scanned root: `C:\rel\`.
pub fn windows_path_of(rel: &Path) -> String {
    let mut s = String::from("C:");
    for c in rel.components() {
        s.push('\\');
        s.push_str(&c.as_os_str().to_string_lossy());
    }
    s.push('\\');
    s
}

/// Normalises a Windows path found inside evidence for comparison: quotes stripped, lower case,
/// `/` to `\`, `\\localhost\c$\` and `\\127.0.0.1\c$\` mapped to `c:\`, `.` and `..` resolved.
pub fn normalize_windows_path(p: &str) -> String {
    // One pass is meant to be idempotent (normalising its output changes nothing); the loop is
    // a safety net with a small bound, never a way to peel layers one by one (that would be
    // quadratic on hostile input).
    let mut cur = normalize_once(p);
    for _ in 0..4 {
        let next = normalize_once(&cur);
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

fn junk(c: char) -> bool {
    c.is_whitespace() || c == '\'' || c == '"'
}

fn normalize_once(p: &str) -> String {
    let mut s = p.trim_matches(junk).replace('/', "\\").to_ascii_lowercase();
    // Any run of leading separators is one UNC marker.
    if s.starts_with("\\\\") {
        s = format!("\\\\{}", s.trim_start_matches('\\'));
    }
    for host in ["\\\\localhost\\", "\\\\127.0.0.1\\", "\\\\?\\"] {
        if let Some(rest) = s.strip_prefix(host) {
            s = rest.replacen('$', ":", 1);
            if s.starts_with("\\\\") {
                s = format!("\\\\{}", s.trim_start_matches('\\'));
            }
            break;
        }
    }
    let unc = s.starts_with("\\\\");
    let mut out: Vec<&str> = Vec::new();
    for comp in s.split('\\').map(|c| c.trim_matches(junk)) {
        match comp {
            "" | "." => {}
            ".." => {
                if out.len() > 1 || (out.len() == 1 && !out[0].ends_with(':')) {
                    out.pop();
                }
            }
            c => out.push(c),
        }
    }
    let joined = out.join("\\");
    if unc { format!("\\\\{joined}") } else { joined }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_case_insensitively() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(
            d.path()
                .join("Program Files/Microsoft/EXCHANGE SERVER/v15/Logging"),
        )
        .unwrap();
        let p = resolve_ci(
            d.path(),
            "program files/microsoft/Exchange Server/V15\\logging",
        )
        .unwrap();
        assert!(p.ends_with("Program Files/Microsoft/EXCHANGE SERVER/v15/Logging"));
        assert!(resolve_ci(d.path(), "Program Files/nothing").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn never_resolves_through_a_link() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(outside.path().join("Logs")).unwrap();
        std::fs::create_dir_all(d.path().join("Windows/System32/winevt")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("Logs"),
            d.path().join("Windows/System32/winevt/Logs"),
        )
        .unwrap();
        let r = resolve_ci_checked(d.path(), "windows/system32/winevt/logs/Application.evtx");
        assert_eq!(
            r,
            Resolved::Link(d.path().join("Windows/System32/winevt/Logs"))
        );
        assert!(resolve_ci(d.path(), "Windows/System32/winevt/Logs").is_none());
    }

    #[test]
    fn normalising_is_idempotent_on_fuzzer_finds() {
        // found by `cargo fuzz run oab_line` (docs/fuzzing.md): blank components at the end
        let crash =
            include_bytes!("../../tests/fixtures/fuzz-regressions/oab_line-blank-components.bin");
        let path = crate::sources::oab::failed_download_path(crash)
            .expect("the crash input holds the message");
        for input in [
            path.as_str(),
            "a\\ \t\\ '",
            "\\\\\\\\localhost\\c$\\x",
            "\\\\localhost\\\\\\c$\\x",
            " ' .. ' \\b",
        ] {
            let once = normalize_windows_path(input);
            assert_eq!(normalize_windows_path(&once), once, "{input:?}");
        }
    }

    #[test]
    fn normalizes_evidence_paths() {
        assert_eq!(
            normalize_windows_path("'C:\\Inetpub\\wwwroot\\x.aspx'"),
            "c:\\inetpub\\wwwroot\\x.aspx"
        );
        assert_eq!(
            normalize_windows_path("\\\\localhost\\C$\\inetpub\\a.aspx"),
            "c:\\inetpub\\a.aspx"
        );
        assert_eq!(
            normalize_windows_path(
                "C:\\Program Files\\X\\ClientAccess\\OAB\\..\\..\\..\\inetpub\\s.aspx"
            ),
            "c:\\program files\\inetpub\\s.aspx"
        );
        assert_eq!(normalize_windows_path("C:\\..\\..\\a"), "c:\\a");
        assert_eq!(
            normalize_windows_path("\\\\evil\\share\\a.aspx"),
            "\\\\evil\\share\\a.aspx"
        );
    }
}
