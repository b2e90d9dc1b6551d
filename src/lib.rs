//! exhunt: read-only triage of Microsoft Exchange servers for the ProxyLogon family of attacks.
//!
//! Data flows one way: [`sources`] find artefacts under a root and yield typed records,
//! [`detect`] turns records into [`model::Finding`]s, [`scan`] runs the whole pass and derives
//! coverage and the verdict, [`timeline`] pivots on the attackers' findings and builds one UTC
//! timeline, and [`report`] writes the result in each output format. [`collect`] copies the files
//! behind the findings out of the evidence with a hash manifest. [`rules`] embeds the rule and
//! indicator tables of `rules/` that the checks read.

pub mod cli;
pub mod collect;
pub mod detect;
pub mod fleet;
pub mod model;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sources;
pub mod timeline;

/// The tool's version, recorded in every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit the binary was built from (12 hex digits), or `unknown` (see `build.rs`).
pub const COMMIT: &str = env!("EXHUNT_COMMIT");

/// What `--version` prints after the name: version, commit and rule-pack hash.
pub fn long_version() -> &'static str {
    static LONG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("{VERSION} (commit {COMMIT}, rules {})", rules::pack_hash())
    });
    &LONG
}
