//! What Microsoft Safety Scanner (MSERT) wrote about its own runs in `Windows\debug\msert.log`:
//! one entry per run, as `sources::msert` reads it. The CISA workbook's MSERT column is answered
//! from these alone.

use serde::Serialize;

/// One MSERT run.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct MsertScan {
    /// The log it was read from, and the line its banner is on.
    pub path: String,
    pub line: u64,
    /// The banner: `Microsoft Safety Scanner v1.333, (build 1.333.1068.0)`.
    pub version: String,
    /// `Full Scan`, `Quick Scan`, `Customized Scan`, as the `… Results:` heading names it;
    /// empty when the log does not say.
    pub scan_type: String,
    /// `Started On …` and `… Finished On …`, as written (server local time, no zone).
    pub started: String,
    /// Empty when the run never finished (stopped, crashed, or still running at collection).
    pub finished: String,
    /// `Return code: 7 (0x7)`, the text after the colon.
    pub return_code: String,
    pub detections: Vec<MsertDetection>,
}

impl MsertScan {
    /// A full scan (`/F`), the kind the directive asked for.
    pub fn is_full(&self) -> bool {
        self.scan_type.eq_ignore_ascii_case("Full Scan")
    }
    pub fn completed(&self) -> bool {
        !self.finished.is_empty()
    }
}

/// One `Threat Detected:` block.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct MsertDetection {
    /// The threat name, e.g. `Backdoor:ASP/Chopper.F!dha`.
    pub threat: String,
    /// What MSERT did, as it says: `removed`, `not removed`, `and removed successfully` …
    pub outcome: String,
    /// The `Action: Remove, Result: 0x00000000` line, without its label.
    pub action: String,
    /// The `file://` (and `containerfile://`) paths, without the scheme.
    pub files: Vec<String>,
    pub line: u64,
}

impl MsertDetection {
    /// Whether MSERT says it removed the threat (a removed shell is still evidence).
    pub fn removed(&self) -> bool {
        let o = self.outcome.to_ascii_lowercase();
        o.contains("removed") && !o.contains("not removed")
    }
}
