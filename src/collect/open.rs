//! Opening evidence without following a link anywhere on the way: the trusted base (ROOT, or the
//! path given to `--logs`, as the user named it) is opened as given, then every folder below it
//! with `O_NOFOLLOW | O_DIRECTORY` and the file with `O_NOFOLLOW`, each relative to the folder
//! opened before (`openat`). A folder swapped for a link between the scan and the collection
//! therefore stops the copy instead of copying something from outside ROOT.

use std::fs::{File, Metadata};
use std::path::{Component, Path};

/// Why a file could not be opened.
pub type OpenError = String;

fn components(rest: &Path) -> Result<Vec<&std::ffi::OsStr>, OpenError> {
    rest.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(Ok(n)),
            Component::CurDir => None,
            _ => Some(Err(format!(
                "{}: not a plain relative path, not collected",
                rest.display()
            ))),
        })
        .collect()
}

fn link_problem(what: &Path, last: bool) -> OpenError {
    if last {
        "symbolic link: not followed, not collected".into()
    } else {
        format!(
            "the folder {} is a symbolic link (it changed since the scan, or was never a folder): \
             not followed, not collected",
            crate::report::sanitize::name_bytes(&os_bytes(what.as_os_str()))
        )
    }
}

pub use crate::model::names::os_bytes;

/// Opens `base/rest` read-only, a regular file, following no link below `base`; with its
/// metadata (taken from the open file, not from the path).
#[cfg(unix)]
pub fn open_beneath(base: &Path, rest: &Path) -> Result<(File, Metadata), OpenError> {
    use std::ffi::CString;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    let comps = components(rest)?;
    let cstr = |b: &[u8]| {
        CString::new(b).map_err(|_| "a name holds a NUL byte: not collected".to_string())
    };
    let open_at =
        |dir: libc::c_int, name: &CString, flags: libc::c_int| -> std::io::Result<OwnedFd> {
            let flags = flags | libc::O_RDONLY | libc::O_CLOEXEC;
            #[cfg(target_os = "linux")]
            {
                // SAFETY: a valid C string and a directory fd (or AT_FDCWD); the result is checked.
                let fd = unsafe { libc::openat(dir, name.as_ptr(), flags | libc::O_NOATIME) };
                if fd >= 0 {
                    // SAFETY: a fresh fd we own.
                    return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
            // SAFETY: as above.
            let fd = unsafe { libc::openat(dir, name.as_ptr(), flags) };
            if fd < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                // SAFETY: a fresh fd we own.
                Ok(unsafe { OwnedFd::from_raw_fd(fd) })
            }
        };
    let is_link_at = |dir: libc::c_int, name: &CString| -> bool {
        // SAFETY: `st` is written by fstatat before it is read; the result is checked.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
        r == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFLNK
    };
    let fd = if comps.is_empty() {
        // The file itself was given (`--logs FILE`): only it must not be a link.
        let name = cstr(base.as_os_str().as_bytes())?;
        open_at(libc::AT_FDCWD, &name, libc::O_NOFOLLOW | libc::O_NONBLOCK).map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) || is_link_at(libc::AT_FDCWD, &name) {
                link_problem(base, true)
            } else {
                open_problem(&e)
            }
        })?
    } else {
        let name = cstr(base.as_os_str().as_bytes())?;
        let mut dir = open_at(libc::AT_FDCWD, &name, libc::O_DIRECTORY)
            .map_err(|e| format!("cannot open {}: {e}", base.display()))?;
        let mut walked = base.to_path_buf();
        let mut file = None;
        for (i, c) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            walked.push(c);
            let name = cstr(c.as_bytes())?;
            let flags = if last {
                libc::O_NOFOLLOW | libc::O_NONBLOCK
            } else {
                libc::O_NOFOLLOW | libc::O_DIRECTORY
            };
            use std::os::fd::AsRawFd;
            let next = open_at(dir.as_raw_fd(), &name, flags).map_err(|e| {
                let loop_or_notdir = matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR));
                if loop_or_notdir && is_link_at(dir.as_raw_fd(), &name) {
                    link_problem(&walked, last)
                } else if !last && e.raw_os_error() == Some(libc::ENOTDIR) {
                    format!(
                        "{} is no longer a folder (changed since the scan): not collected",
                        crate::report::sanitize::name_bytes(&os_bytes(walked.as_os_str()))
                    )
                } else {
                    open_problem(&e)
                }
            })?;
            if last {
                file = Some(next);
            } else {
                dir = next;
            }
        }
        file.expect("at least one component")
    };
    let f = File::from(fd);
    let m = f
        .metadata()
        .map_err(|e| format!("cannot stat the open file: {e}"))?;
    if !m.is_file() {
        return Err("not a regular file: not collected".into());
    }
    Ok((f, m))
}

fn open_problem(e: &std::io::Error) -> OpenError {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!("cannot open: {e} (gone since the scan?)")
    } else {
        format!("cannot open: {e} (run as a user who can read the evidence, or copy it by hand)")
    }
}

/// Elsewhere: no link in any component below `base` (checked one by one), and the file opened
/// must be the one found there (its canonical path stays under the canonical `base`).
#[cfg(not(unix))]
pub fn open_beneath(base: &Path, rest: &Path) -> Result<(File, Metadata), OpenError> {
    let comps = components(rest)?;
    let mut walked = base.to_path_buf();
    let n = comps.len();
    let check = |p: &Path, last: bool| -> Result<(), OpenError> {
        let m = std::fs::symlink_metadata(p).map_err(|e| open_problem(&e))?;
        if m.file_type().is_symlink() {
            return Err(link_problem(p, last));
        }
        Ok(())
    };
    if n == 0 {
        check(base, true)?;
    }
    for (i, c) in comps.iter().enumerate() {
        walked.push(c);
        check(&walked, i + 1 == n)?;
    }
    let f = crate::sources::open_read_only(&walked).map_err(|e| open_problem(&e))?;
    let m = f
        .metadata()
        .map_err(|e| format!("cannot stat the open file: {e}"))?;
    if !m.is_file() {
        return Err("not a regular file: not collected".into());
    }
    if n > 0 {
        let (Ok(cb), Ok(cf)) = (base.canonicalize(), walked.canonicalize()) else {
            return Err("cannot resolve the path: not collected".into());
        };
        if !cf.starts_with(&cb) {
            return Err(link_problem(&walked, false));
        }
    }
    Ok((f, m))
}
