//! Sources: find artefacts under a root (or among loose files) and yield typed records.

pub mod address;
pub mod classify;
pub mod csvline;
pub mod discover;
pub mod ecp;
pub mod events_json;
pub mod evtx;
pub mod files;
pub mod httpproxy;
pub mod lines;
pub mod msert;
pub mod oab;
pub mod paths;
pub mod reader;
pub mod record;
pub mod request;
pub mod w3c;
pub mod webfiles;

use serde::Serialize;
use std::fs::File;
use std::path::{Path, PathBuf};

/// What kind of artefact a file is, judged from its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    HttpProxy,
    IisW3c,
    EcpServer,
    EcpActivity,
    OabGenerator,
    Evtx,
    /// Windows events exported as JSON lines (SIEM exports, winlogbeat, `evtx_dump -o jsonl`):
    /// read into the same records as [`SourceKind::Evtx`], by the same checks.
    EventJson,
    /// Text that is none of the above (searched only by checks that accept any text).
    Text,
    /// UTF-16 text: not decoded yet, reported as unread.
    Utf16Text,
    Binary,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::HttpProxy => "httpproxy",
            SourceKind::IisW3c => "iis",
            SourceKind::EcpServer => "ecp-server",
            SourceKind::EcpActivity => "ecp-activity",
            SourceKind::OabGenerator => "oab-generator",
            SourceKind::Evtx => "evtx",
            SourceKind::EventJson => "event-json",
            SourceKind::Text => "text",
            SourceKind::Utf16Text => "utf16-text",
            SourceKind::Binary => "binary",
        }
    }
}

/// One file to read, with the source (coverage group) it belongs to.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub kind: SourceKind,
    /// Coverage label of the group, e.g. `HttpProxy/Ecp`.
    pub label: String,
    /// For HttpProxy files: the protocol folder name (`Ecp`, `Owa`...), if known.
    pub protocol: Option<String>,
    /// Whether `kind` was judged from content already (loose files); otherwise it is what the
    /// folder promises and is confirmed when the file is read.
    pub confirmed: bool,
}

/// What to do about an I/O error on one evidence file, for the message that reports it.
pub fn io_advice(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "run exhunt as a user who can read the evidence (root, or an elevated Administrator), or copy the file out and scan it with --logs"
        }
        std::io::ErrorKind::NotFound => {
            "the file went away during the scan (logs rotated on a live server?): scan again, or scan a copy"
        }
        _ => {
            "check the disk or image (read errors in dmesg / the event log), or copy the file out and scan the copy"
        }
    }
}

/// `<what>: <error> (<what to do>)`.
pub fn io_problem(what: &str, e: &std::io::Error) -> String {
    format!("{what}: {e} ({})", io_advice(e))
}

/// Opens a file for reading only. On Linux it asks for `O_NOATIME` so that reading evidence
/// does not even change its access time; where that is not permitted (files of another owner)
/// it falls back to a plain read-only open.
pub fn open_read_only(path: &Path) -> std::io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NOATIME: i32 = 0o1_000_000;
        if let Ok(f) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NOATIME)
            .open(path)
        {
            return Ok(f);
        }
    }
    File::open(path)
}
