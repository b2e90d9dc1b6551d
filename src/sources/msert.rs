//! Microsoft Safety Scanner's log, `%SystemRoot%\debug\msert.log`: one block per run, appended.
//! The layout (as MSERT writes it; `tests/fixtures/msert/` holds a synthetic log in it):
//!
//! ```text
//! ---------------------------------------------------------------------------------------
//! Microsoft Safety Scanner v1.333, (build 1.333.1068.0)
//! Started On Thu Mar 11 09:11:22 2021
//!
//! Engine: 1.1.17900.7
//! Signatures: 1.333.1068.0
//! MpGear: 1.1.16330.1
//! Run Mode: Scan Run in Quiet Mode
//!
//! Full Scan Results:
//! -------------------
//! Threat Detected: Backdoor:ASP/Chopper.F!dha, and removed successfully.
//!     Action: Remove, Result: 0x00000000
//!         file://C:\inetpub\wwwroot\aspnet_client\shell.aspx
//!             SigSeq: 0x00000555DC2DDDB0
//!
//! Results Summary:
//! ----------------
//! Found Backdoor:ASP/Chopper.F!dha, and removed successfully.
//! Microsoft Safety Scanner Finished On Thu Mar 11 11:02:17 2021
//!
//!
//! Return code: 7 (0x7)
//! ```
//!
//! A run without its `Finished On` line did not complete (stopped, crashed, or still running
//! when the evidence was collected). The file is UTF-16LE with a byte-order mark on some
//! versions and ANSI/UTF-8 on others; both are read.

use crate::model::{MsertDetection, MsertScan};
use std::io::Read;
use std::path::Path;

/// The most of one msert.log read (a log of years of weekly runs is a few hundred KiB).
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The log's text: UTF-16LE (with its byte-order mark) or UTF-8/ANSI, decoded lossily.
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    String::from_utf8_lossy(b).into_owned()
}

/// Reads the runs in the log at `path` (`shown` is how reports name it). Errors say why the
/// file could not be read; a file cut at [`MAX_BYTES`] is read up to there and said to be.
pub fn read(path: &Path, shown: &str) -> Result<(Vec<MsertScan>, Option<String>), String> {
    let f = crate::sources::open_read_only(path)
        .map_err(|e| crate::sources::io_problem("cannot read", &e))?;
    let mut bytes = Vec::new();
    f.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::sources::io_problem("cannot read", &e))?;
    let cut = (bytes.len() as u64 > MAX_BYTES).then(|| {
        bytes.truncate(MAX_BYTES as usize);
        format!("larger than {MAX_BYTES} bytes: read up to there only")
    });
    Ok((parse(&decode(&bytes), shown), cut))
}

/// The runs in the log text.
pub fn parse(text: &str, path: &str) -> Vec<MsertScan> {
    let mut scans: Vec<MsertScan> = Vec::new();
    let mut in_results = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = raw.trim();
        let new_scan = |version: &str| MsertScan {
            path: path.to_string(),
            line: line_no,
            version: version.to_string(),
            ..Default::default()
        };
        if line.starts_with("Microsoft Safety Scanner v") {
            scans.push(new_scan(line));
            in_results = false;
            continue;
        }
        if line.is_empty() || line.chars().all(|c| c == '-') {
            continue;
        }
        // A log whose start was cut: the block still counts, without its banner.
        if scans.is_empty() {
            scans.push(new_scan(""));
        }
        let cur = scans.last_mut().expect("pushed above");
        if let Some(v) = line.strip_prefix("Started On ") {
            cur.started = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("Microsoft Safety Scanner Finished On ") {
            cur.finished = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("Return code:") {
            cur.return_code = v.trim().to_string();
        } else if line == "Results Summary:" {
            in_results = false;
        } else if let Some(kind) = line.strip_suffix(" Results:") {
            cur.scan_type = kind.trim().to_string();
            in_results = true;
        } else if let Some(v) = line.strip_prefix("Threat Detected:") {
            let v = v.trim().trim_end_matches('.');
            let (threat, outcome) = v.split_once(", ").unwrap_or((v, ""));
            cur.detections.push(MsertDetection {
                threat: threat.trim().to_string(),
                outcome: outcome.trim().to_string(),
                line: line_no,
                ..Default::default()
            });
        } else if in_results && let Some(d) = cur.detections.last_mut() {
            if let Some(v) = line.strip_prefix("Action:") {
                d.action = v.trim().to_string();
            } else if let Some((scheme, rest)) = line.split_once("://")
                && !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphabetic())
            {
                let what = if matches!(scheme, "file" | "containerfile") {
                    rest.to_string()
                } else {
                    line.to_string()
                };
                if !d.files.contains(&what) {
                    d.files.push(what);
                }
            }
        }
    }
    scans
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/msert/msert.log");

    #[test]
    fn reads_every_run_of_the_fixture() {
        let s = parse(FIXTURE, "msert.log");
        assert_eq!(s.len(), 3, "{s:#?}");
        // An early quick scan that found nothing.
        assert_eq!(s[0].scan_type, "Quick Scan");
        assert!(s[0].completed() && !s[0].is_full());
        assert!(s[0].detections.is_empty());
        // The full scan that removed a shell.
        let full = &s[1];
        assert!(full.is_full() && full.completed());
        assert_eq!(full.started, "Sat Mar 13 14:02:51 2021");
        assert_eq!(full.finished, "Sat Mar 13 19:47:09 2021");
        assert_eq!(full.return_code, "7 (0x7)");
        assert_eq!(full.detections.len(), 2);
        let d = &full.detections[0];
        assert_eq!(d.threat, "Backdoor:ASP/Chopper.F!dha");
        assert!(d.removed(), "{}", d.outcome);
        assert_eq!(d.action, "Remove, Result: 0x00000000");
        assert_eq!(
            d.files,
            ["C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\supp0rt.aspx"]
        );
        assert!(!full.detections[1].removed());
        // The last run never finished.
        assert!(!s[2].completed());
        assert_eq!(s[2].scan_type, "Full Scan");
    }

    #[test]
    fn utf16_with_bom_reads_the_same() {
        let mut b = vec![0xFF, 0xFE];
        for u in FIXTURE.encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(parse(&decode(&b), "x"), parse(FIXTURE, "x"));
    }

    #[test]
    fn other_text_and_broken_logs_yield_what_they_hold() {
        assert!(parse("", "x").is_empty());
        assert!(
            parse("just some text\nnot a scanner log\n", "x")[0]
                .detections
                .is_empty()
        );
        // Cut mid-block: the detection is still there, the run not completed.
        let cut = "Full Scan Results:\n---\nThreat Detected: Exploit:ASP/CVE-2021-27065, not removed.\n    Action: Remove, Res";
        let s = parse(cut, "x");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].detections[0].threat, "Exploit:ASP/CVE-2021-27065");
        assert!(!s[0].completed());
        // Odd bytes decode lossily, never panic.
        let _ = parse(&decode(&[0xFF, 0xFE, 0x41]), "x");
        let _ = parse(&decode(&[0xC3, 0x28, 0xFF]), "x");
    }
}
