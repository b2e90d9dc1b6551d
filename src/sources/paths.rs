//! Case-insensitive path resolution: NTFS ignores case, Linux does not, and evidence copies disagree
//! (`Owa`/`OWA`, `ProgramData`/`Programdata`).

use std::path::{Path, PathBuf};

/// Resolves `rel` (components separated by `/` or `\`) under `base`, matching each component
/// case-insensitively. An exact match wins; otherwise the first match in name order.
pub fn resolve_ci(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut cur = base.to_path_buf();
    for comp in rel.split(['/', '\\']).filter(|c| !c.is_empty()) {
        let exact = cur.join(comp);
        if exact.symlink_metadata().is_ok() {
            cur = exact;
            continue;
        }
        let mut names: Vec<_> = std::fs::read_dir(&cur)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().eq_ignore_ascii_case(comp))
            .collect();
        names.sort();
        cur = cur.join(names.into_iter().next()?);
    }
    Some(cur)
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
    // One pass can expose more to strip (a quote after a separator, a blank component):
    // repeat until nothing changes, so that the result is stable (normalising it again is a no-op).
    let mut cur = normalize_once(p);
    for _ in 0..64 {
        let next = normalize_once(&cur);
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

fn normalize_once(p: &str) -> String {
    let t = p.trim().trim_matches(|c| c == '\'' || c == '"').trim();
    let mut s = t.replace('/', "\\").to_ascii_lowercase();
    for host in ["\\\\localhost\\", "\\\\127.0.0.1\\", "\\\\?\\"] {
        if let Some(rest) = s.strip_prefix(host) {
            s = rest.replacen('$', ":", 1);
            break;
        }
    }
    let unc = s.starts_with("\\\\");
    let mut out: Vec<&str> = Vec::new();
    for comp in s.split('\\') {
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
