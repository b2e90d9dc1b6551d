//! What a scan could see: per log source, and per check.

use super::Timestamp;
use serde::Serialize;

/// A file that could not be read completely, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FileProblem {
    pub path: String,
    pub problem: String,
}

/// Coverage of one log source (a log folder, an IIS site, one EVTX file).
#[derive(Clone, Debug, Serialize, Default)]
pub struct SourceCoverage {
    /// Short label, e.g. `HttpProxy/Ecp`, `ECP/Server`, `IIS/W3SVC1`, `EVTX/Application.evtx`.
    pub label: String,
    /// The source kind (`httpproxy`, `iis`, `ecp-server`, `oab-generator`, `evtx`, ...).
    pub kind: String,
    /// The folder (or file) this covers.
    pub path: String,
    /// Further folders read as the same source: case-variant siblings of `path` (`Logs` beside
    /// `logs` on a copy of an NTFS volume).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// Whether the folder exists at all.
    pub present: bool,
    pub files: u64,
    pub bytes: u64,
    /// Data records (lines or events), comments and headers excluded.
    pub records: u64,
    /// Records that could not be parsed although a check needed them.
    pub malformed: u64,
    /// Lines longer than the line cap, searched only in their first part.
    pub oversized_lines: u64,
    /// Earliest and latest record time read from content (not file times).
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub problems: Vec<FileProblem>,
}

impl SourceCoverage {
    pub fn new(
        label: impl Into<String>,
        kind: &str,
        path: impl Into<String>,
        present: bool,
    ) -> Self {
        SourceCoverage {
            label: label.into(),
            kind: kind.to_string(),
            path: path.into(),
            present,
            ..Default::default()
        }
    }

    /// Folds another partial coverage of the same source into this one.
    pub fn absorb(&mut self, o: SourceCoverage) {
        self.present |= o.present;
        self.files += o.files;
        self.bytes += o.bytes;
        self.records += o.records;
        self.malformed += o.malformed;
        self.oversized_lines += o.oversized_lines;
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        self.problems.extend(o.problems);
    }

    pub fn note_time(&mut self, t: Timestamp) {
        self.first = min_opt(self.first, Some(t));
        self.last = max_opt(self.last, Some(t));
    }
}

/// The group whose folder holds `problem`'s path, judged by whole path components (so that
/// `ROOT/root.old` is not taken for `ROOT/root`), the deepest folder first.
pub fn holder_of(groups: &[SourceCoverage], problem: &FileProblem) -> Option<usize> {
    let at = std::path::Path::new(&problem.path);
    groups
        .iter()
        .enumerate()
        .flat_map(|(i, g)| {
            std::iter::once(&g.path)
                .chain(&g.also)
                .filter(|p| !p.is_empty() && at.starts_with(p))
                .map(move |p| (i, p.len()))
        })
        .max_by_key(|&(_, len)| len)
        .map(|(i, _)| i)
}

pub(crate) fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

pub(crate) fn max_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// Whether a check could do its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    /// Ran over data that reaches back to the start of the exposure window.
    Ran,
    /// Ran, but its data starts after the window start (or some files were unreadable).
    Partial,
    /// There was nothing for it to read (folder missing, no such files).
    NoData,
    /// Not applicable to this input (e.g. file checks on a folder of loose logs).
    Skipped,
    /// Left out by the user (`--checks`): the verdict cannot be `no-evidence`.
    NotSelected,
}

/// Per-check status: what ran, over what, and whether that covers the exposure window.
#[derive(Clone, Debug, Serialize)]
pub struct CheckStatus {
    pub check: &'static str,
    pub title: &'static str,
    /// Whether the verdict needs this check (see `detect::CheckInfo::required`).
    pub required: bool,
    pub state: CheckState,
    /// Why the check is not `ran`, in words a responder can act on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub sources: Vec<String>,
    pub records: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub findings: usize,
    /// Files or folders this check should have read and could not (unreadable, special, cut):
    /// on any check, optional ones too, these keep the verdict from `no-evidence`, since what
    /// could not be read may hold the hit.
    #[serde(skip_serializing_if = "is_zero")]
    pub file_problems: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What a check saw, gathered by whoever ran it; [`CheckStatus::judged`] turns it into a state.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Coverage labels (or folders) it read.
    pub sources: Vec<String>,
    /// Records (or files) it read.
    pub records: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Files or folders it should have read and could not.
    pub file_problems: usize,
    /// Whether there was nothing at all for it to read.
    pub no_data: bool,
    /// Each way what it saw falls short of the job, in words a responder can act on.
    pub gaps: Vec<String>,
}

/// The one place a check's status is made: every check, log or file, gets its state here.
/// Findings are counted afterwards, once, over the final findings ([`CheckStatus::count`]).
impl CheckStatus {
    fn blank(check: &'static str, title: &'static str, required: bool) -> CheckStatus {
        CheckStatus {
            check,
            title,
            required,
            state: CheckState::NoData,
            reason: None,
            sources: Vec::new(),
            records: 0,
            first: None,
            last: None,
            findings: 0,
            file_problems: 0,
        }
    }

    /// Left out with `--checks`.
    pub fn not_selected(check: &'static str, title: &'static str, required: bool) -> CheckStatus {
        CheckStatus {
            state: CheckState::NotSelected,
            reason: Some("not selected with --checks".into()),
            ..Self::blank(check, title, required)
        }
    }

    /// Not applicable to this input, for `reason`.
    pub fn skipped(
        check: &'static str,
        title: &'static str,
        required: bool,
        reason: &str,
    ) -> CheckStatus {
        CheckStatus {
            state: CheckState::Skipped,
            reason: Some(reason.to_string()),
            ..Self::blank(check, title, required)
        }
    }

    /// Ran over `seen`: `no-data` when there was nothing to read, `partial` when it names a
    /// gap, else `ran`.
    pub fn judged(
        check: &'static str,
        title: &'static str,
        required: bool,
        seen: Seen,
    ) -> CheckStatus {
        let state = if seen.no_data {
            CheckState::NoData
        } else if seen.gaps.is_empty() {
            CheckState::Ran
        } else {
            CheckState::Partial
        };
        CheckStatus {
            state,
            reason: (!seen.gaps.is_empty()).then(|| seen.gaps.join("; ")),
            sources: seen.sources,
            records: seen.records,
            first: seen.first,
            last: seen.last,
            file_problems: seen.file_problems,
            ..Self::blank(check, title, required)
        }
    }

    /// Sets each check's finding count: its findings plus its rolled-up hits.
    pub fn count(
        checks: &mut [CheckStatus],
        findings: &[super::Finding],
        rolled_up: &[super::rollup::RollUp],
    ) {
        for c in checks {
            c.findings = findings.iter().filter(|f| f.check == c.check).count()
                + rolled_up
                    .iter()
                    .filter(|r| r.check == c.check)
                    .map(|r| r.lines.len())
                    .sum::<usize>();
        }
    }
}
