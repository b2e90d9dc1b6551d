//! One verdict per server, derived from findings and check states.

use super::{CheckState, CheckStatus, Class, Finding};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Successful exploitation (or what follows it) is evidenced.
    Compromised,
    /// Attempts or context only.
    Suspicious,
    /// A check could not run, or the logs do not reach back to the window start.
    Inconclusive,
    /// Every check ran over logs that cover the window, and found nothing.
    NoEvidence,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Compromised => "compromised",
            Verdict::Suspicious => "suspicious",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NoEvidence => "no-evidence",
        }
    }
}

/// Compromised > suspicious > inconclusive > no-evidence. Scanner noise never decides a verdict,
/// and neither do `info` findings (e.g. allowlisted archives). Only required checks make a server
/// inconclusive through missing data; optional ones (logs many servers lack) only add findings,
/// unless they met files they could not read.
pub fn decide(findings: &[Finding], checks: &[CheckStatus]) -> Verdict {
    let counted = || {
        findings
            .iter()
            .filter(|f| f.severity > super::Severity::Info)
    };
    if counted().any(|f| matches!(f.class, Class::Exploitation | Class::PostExploitation)) {
        return Verdict::Compromised;
    }
    if counted().any(|f| matches!(f.class, Class::Attempt | Class::Context)) {
        return Verdict::Suspicious;
    }
    // An optional check may lack its logs without harm, but not fail to read what it has: an
    // unreadable or special file may hold the hit.
    if checks.iter().any(|c| {
        (c.required && c.state != CheckState::Ran && c.state != CheckState::Skipped)
            || (c.file_problems > 0 && c.state != CheckState::Skipped)
    }) {
        return Verdict::Inconclusive;
    }
    Verdict::NoEvidence
}
