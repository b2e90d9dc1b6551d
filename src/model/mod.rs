//! The one data model shared by every check and every report.

mod build;
pub mod catalog;
mod coverage;
mod earliest;
mod finding;
mod msert;
pub mod names;
pub mod rollup;
mod size;
mod time;
mod verdict;

pub use build::{Build, BuildAssessment, ChainAssessment, Patched};
pub use coverage::{CheckState, CheckStatus, FileProblem, Seen, SourceCoverage, holder_of};
pub(crate) use coverage::{max_opt, min_opt};
pub use earliest::Earliest;
pub use finding::{
    CLIENT_IP_FIELDS, Class, Evidence, Fields, Finding, MAX_RAW, Severity, check_cve, cve_ids,
};
pub use msert::{MsertDetection, MsertScan};
pub use size::show_size;
pub use time::{Timestamp, Window};
pub use verdict::{Verdict, decide};
