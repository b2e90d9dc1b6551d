//! Plain files: metadata for file findings, and a walk that never follows links.

use crate::model::names::Shown;
use crate::model::{FileProblem, Timestamp};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Size and times of a file (as the file system reports them; on copies these are copy times).
#[derive(Clone, Debug, Default)]
pub struct FileMeta {
    pub size: u64,
    pub modified: Option<Timestamp>,
    pub created: Option<Timestamp>,
    pub accessed: Option<Timestamp>,
}

fn ts(t: std::io::Result<SystemTime>) -> Option<Timestamp> {
    let t = t.ok()?;
    let ms = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    };
    Some(Timestamp(ms))
}

pub fn meta(path: &Path) -> std::io::Result<FileMeta> {
    let m = std::fs::symlink_metadata(path)?;
    Ok(FileMeta {
        size: m.len(),
        modified: ts(m.modified()),
        created: ts(m.created()),
        accessed: ts(m.accessed()),
    })
}

/// The problem recorded for a link that is not followed: a link to a file, or one that points
/// nowhere on this system. What it stands for was not seen (IIS serves a page through a link).
pub const LINK_NOT_FOLLOWED: &str =
    "symbolic link not followed (exhunt never leaves the scanned tree through links)";

/// The problem recorded for a link to a folder: listed, not a gap of the file scan (Windows
/// junctions such as ProgramData's "Application Data" show up so on a mounted image and point
/// back into folders that are scanned anyway).
pub const FOLDER_LINK_NOT_FOLLOWED: &str = "symbolic link not followed: it points to a folder (a Windows junction on a mounted image shows up so); exhunt never leaves the scanned tree through links";

/// The problem recorded for a link to a folder outside the scanned root: a gap (an attacker's
/// folder of pages outside the tree, served by IIS through the link, was not seen).
pub const FOLDER_LINK_LEAVES_ROOT: &str = "symbolic link not followed: it points to a folder outside the scanned root, which was not seen; exhunt never leaves the scanned tree through links";

/// Marks each folder link among `problems` whose target lies outside `root` (both resolved) as
/// [`FOLDER_LINK_LEAVES_ROOT`]: only a link back into the tree is a mere listing.
pub fn mark_links_leaving(root: &Path, problems: &mut [FileProblem]) {
    let Ok(root) = root.canonicalize() else {
        return;
    };
    for p in problems
        .iter_mut()
        .filter(|p| p.problem == FOLDER_LINK_NOT_FOLLOWED)
    {
        let target = crate::model::names::real_path(&p.path).canonicalize();
        if !target.is_ok_and(|t| t.starts_with(&root)) {
            p.problem = FOLDER_LINK_LEAVES_ROOT.into();
        }
    }
}

/// The problem for the link at `p`: [`FOLDER_LINK_NOT_FOLLOWED`] when it leads to a folder
/// (only its target's type is asked, nothing is opened), else [`LINK_NOT_FOLLOWED`].
pub fn link_problem(p: &Path) -> &'static str {
    if std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
        FOLDER_LINK_NOT_FOLLOWED
    } else {
        LINK_NOT_FOLLOWED
    }
}

/// What a file that is neither a regular file, a folder nor a link is (a FIFO, a socket, a
/// device), if it is one.
pub fn special_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("FIFO (named pipe)");
        }
        if ft.is_socket() {
            return Some("socket");
        }
        if ft.is_block_device() {
            return Some("block device");
        }
        if ft.is_char_device() {
            return Some("character device");
        }
    }
    (!ft.is_file() && !ft.is_dir() && !ft.is_symlink()).then_some("special file")
}

/// What any entry is, for messages: "a FIFO (named pipe)", "a symbolic link", "a folder"...
pub fn kind_of(ft: &std::fs::FileType) -> String {
    let kind = special_kind(ft).unwrap_or(if ft.is_symlink() {
        "symbolic link"
    } else if ft.is_dir() {
        "folder"
    } else if ft.is_file() {
        "file"
    } else {
        "special file"
    });
    format!("a {kind}")
}

/// The problem recorded for a special file met in the evidence: named, never opened (opening a
/// FIFO blocks, reading a device never ends). No NTFS volume holds one: the copy was tampered
/// with or is not what it claims.
pub fn special_problem(ft: &std::fs::FileType) -> String {
    format!(
        "not opened: a {} (exhunt reads only regular files; an NTFS volume holds none, so this copy was altered)",
        special_kind(ft).unwrap_or("special file")
    )
}

/// Walks `dir` recursively without following symbolic links. Returns regular files; links,
/// unreadable folders and loops are returned as problems so that coverage can say so. A `dir`
/// that is itself a link (a log folder of the evidence pointing elsewhere) is not entered.
pub fn walk(dir: &Path) -> (Vec<PathBuf>, Vec<FileProblem>) {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return (
            Vec::new(),
            vec![FileProblem {
                path: dir.shown(),
                problem: link_problem(dir).into(),
            }],
        );
    }
    walk_given(dir)
}

/// Like [`walk`], but a `dir` that is a link is followed: for paths the user gave (`--logs`).
pub fn walk_given(dir: &Path) -> (Vec<PathBuf>, Vec<FileProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
            Ok(e) if e.file_type().is_symlink() => problems.push(FileProblem {
                path: e.path().shown(),
                problem: link_problem(e.path()).into(),
            }),
            Ok(e) if !e.file_type().is_dir() => problems.push(FileProblem {
                path: e.path().shown(),
                problem: special_problem(&e.file_type()),
            }),
            Ok(_) => {}
            Err(e) => problems.push(FileProblem {
                path: e.path().map(|p| p.shown()).unwrap_or_else(|| dir.shown()),
                problem: format!(
                    "cannot read: {} (exhunt needs read access to every folder of the evidence)",
                    e.io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string())
                ),
            }),
        }
    }
    (files, problems)
}
