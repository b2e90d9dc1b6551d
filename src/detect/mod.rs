//! Detections: one small module per check. Each declares the sources it reads and the literals
//! its records must contain (the prefilter), and turns records into findings. No check knows
//! about output formats.

pub mod allow;
pub mod catalog;
pub mod cve_2021_26855;
pub mod cve_2021_26857;
pub mod cve_2021_26858;
pub mod cve_2021_27065;
pub mod event_rules;
pub mod exchange_cmdlets;
pub mod indicators;
pub mod like;
pub mod msert;
pub mod patch_level;
pub mod process_evidence;
pub mod rps_cat;
pub mod suspicious_files;
pub mod table;
pub mod vdir_reset;
pub mod web_rules;
pub mod webshells;

use crate::model::{Class, Evidence, Finding, Severity, Timestamp};
use crate::sources::SourceKind;
pub use crate::sources::record::{At, Record};

/// What a check is, what it reads, and which literals it needs.
#[derive(Debug)]
pub struct CheckInfo {
    /// Stable id, used in reports: `cve-2021-26855`.
    pub id: &'static str,
    pub title: &'static str,
    /// The CVE ids its findings are about unless their rule names others (see [`Draft::cve`]);
    /// empty for checks that are about no one flaw. The one place a check's CVE is written.
    pub cve: &'static str,
    /// Source kinds whose records it inspects.
    pub sources: &'static [SourceKind],
    /// Coverage labels (prefixes) it needs data from to be judged complete.
    pub coverage: &'static [&'static str],
    /// Per source kind, the literals (ASCII case-insensitive) a record must hold to be parsed for
    /// this check; a record holding none of them is never parsed for it.
    pub literals: &'static [(SourceKind, &'static [&'static str])],
    /// Whether lines of its sources whose client address is an indicator (published, or
    /// `--ioc`) must reach it whatever literals they hold. The scan finds them by the parsed
    /// client-address column ([`crate::sources::address`]), not by searching the text.
    pub client_addresses: bool,
    /// Whether the verdict needs this check: a required check that could not run over the window
    /// (`no-data`, `partial`) makes a server without findings `inconclusive`. An optional check
    /// reads logs many servers or collections lack (Sysmon, process auditing, the cmdlet log); it
    /// shows its state like any other and its findings count in full, but its gaps never make the
    /// verdict inconclusive. Test-ProxyLogon's four checks are required.
    pub required: bool,
}

/// What checks may know about the server.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// Exchange install path as logs write it, e.g. `C:\Program Files\Microsoft\Exchange Server\V15\`.
    pub install_windows_path: Option<String>,
    /// Addresses the user named as indicators (`--ioc`), matched like the published ones of
    /// `rules/ioc/ips.tsv`.
    pub extra_ips: indicators::AddressSet,
}

/// A log check.
pub trait Check: Sync {
    fn info(&self) -> &'static CheckInfo;
    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, ctx: &Ctx, out: &mut Vec<Finding>);
    /// What this check folds while one text file is read (e.g. a burst of related findings
    /// into one finding); `None` when it folds nothing.
    fn fold_file(&self) -> Option<Box<dyn FileFold>> {
        None
    }
}

/// A check's fold over one text file. It takes the findings it is about out of the file's list
/// as they gather, so that memory stays bounded while a file is read (scanner hits are otherwise
/// rolled up as they gather), and gives back what it made of them at the end of the file.
pub trait FileFold {
    /// Takes the findings this fold is about out of `findings`: called whenever the file's
    /// findings gather, and once more at its end.
    fn take(&mut self, findings: &mut Vec<Finding>);
    /// At the end of the file: appends the folded findings, and those taken but not folded.
    fn finish(self: Box<Self>, findings: &mut Vec<Finding>);
}

/// Every log check, in report order.
pub static LOG_CHECKS: &[&dyn Check] = &[
    &cve_2021_26855::Cve202126855,
    &cve_2021_26857::Cve202126857,
    &cve_2021_26858::Cve202126858,
    &cve_2021_27065::Cve202127065,
    &web_rules::IisWeb,
    &web_rules::HttpProxyWeb,
    &exchange_cmdlets::ExchangeCmdlets,
    &event_rules::EventRules,
    &process_evidence::ProcessEvidence,
];

/// The literals every check reading `kind` needs.
pub fn literals_for(kind: SourceKind) -> Vec<&'static str> {
    LOG_CHECKS
        .iter()
        .flat_map(|c| c.info().literals_for(kind).iter().copied())
        .collect()
}

impl CheckInfo {
    /// The literals this check needs in records of `kind` (empty if it does not read `kind`).
    pub fn literals_for(&self, kind: SourceKind) -> &'static [&'static str] {
        self.literals
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, l)| l)
    }
}

/// Builds a finding at `at` (the common part of every check's output).
pub struct Draft {
    pub rule: &'static str,
    /// The CVE ids of this finding (a rule table's `cve` cell); empty: the check's own.
    pub cve: &'static str,
    pub title: String,
    pub class: Class,
    pub severity: Severity,
    pub time: Option<Timestamp>,
    pub fields: Vec<(String, String)>,
    pub why: String,
}

impl Draft {
    pub fn at(self, info: &'static CheckInfo, at: &At<'_>) -> Finding {
        Finding {
            check: info.id,
            rule: self.rule,
            cve: if self.cve.is_empty() {
                info.cve
            } else {
                self.cve
            },
            title: self.title,
            class: self.class,
            severity: self.severity,
            time: self.time,
            source: Evidence {
                path: at.path.to_string(),
                line: at.line,
                offset: at.offset,
                record_id: at.record_id,
            },
            raw: Finding::raw_text(at.raw),
            fields: self.fields.into(),
            why: self.why,
        }
    }
}
