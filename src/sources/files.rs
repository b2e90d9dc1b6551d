//! Plain files: metadata for file findings, and a walk that never follows links.

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

/// The problem recorded for a link that is not followed.
pub const LINK_NOT_FOLLOWED: &str =
    "symbolic link not followed (exhunt never leaves the scanned tree through links)";

/// Walks `dir` recursively without following symbolic links. Returns regular files; links,
/// unreadable folders and loops are returned as problems so that coverage can say so. A `dir`
/// that is itself a link (a log folder of the evidence pointing elsewhere) is not entered.
pub fn walk(dir: &Path) -> (Vec<PathBuf>, Vec<FileProblem>) {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return (
            Vec::new(),
            vec![FileProblem {
                path: dir.display().to_string(),
                problem: LINK_NOT_FOLLOWED.into(),
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
                path: e.path().display().to_string(),
                problem: LINK_NOT_FOLLOWED.into(),
            }),
            Ok(_) => {}
            Err(e) => problems.push(FileProblem {
                path: e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| dir.display().to_string()),
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
