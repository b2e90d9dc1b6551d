//! The one data model shared by every check and every report.

mod allow;
mod build;
pub mod catalog;
mod coverage;
mod earliest;
mod finding;
mod host;
mod msert;
pub mod names;
pub mod rollup;
mod size;
mod summary;
mod time;
mod verdict;

pub use allow::{AllowEntry, AllowKind};
pub use build::{Build, BuildAssessment, Chain, ChainAssessment, Patched, chain_of};
pub use coverage::{CheckState, CheckStatus, FileProblem, Seen, SourceCoverage, holder_of};
pub(crate) use coverage::{max_opt, min_opt};
pub use earliest::Earliest;
pub use finding::{
    CLIENT_IP_FIELDS, Class, Evidence, Fields, Finding, MAX_RAW, Severity, check_cve, cve_ids,
};
pub use host::{Fact, HostInfo, fqdn_of, reportable_address};
pub use msert::{MsertDetection, MsertScan};
pub use size::show_size;
pub use summary::{Summary, client_of, summarize};
pub use time::{Shown, Timestamp, Window};
pub use verdict::{Verdict, decide};
