//! The answer first: the verdict's reason in one sentence and what to do now, from the findings
//! and the check states. Every report (console, HTML, workbook, fleet view) says the same words.

use super::{CheckState, CheckStatus, Class, Finding, Severity, Timestamp, Verdict, chain_of};
use serde::Serialize;

/// The verdict with its reason and next steps.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// One sentence: why this verdict (e.g. "ProxyLogon exploited 2021-02-11T04:27:01Z from
    /// 203.0.113.57 · 2 webshells · LSASS dump").
    pub reason: String,
    /// What to do now, most urgent first.
    pub next_steps: Vec<String>,
    /// The output file to open first.
    pub open_first: &'static str,
    /// Distinct webshell names the findings point at (pages on disk, pages used, pages written).
    pub webshells: Vec<String>,
    pub lsass_dump: bool,
}

fn counted(f: &Finding) -> bool {
    f.severity > Severity::Info
}

fn is_hit(f: &Finding) -> bool {
    counted(f) && matches!(f.class, Class::Exploitation | Class::PostExploitation)
}

/// The client address a finding names, if any.
pub fn client_of(f: &Finding) -> Option<&str> {
    super::CLIENT_IP_FIELDS
        .iter()
        .find_map(|k| f.field(k))
        .filter(|s| !s.is_empty() && *s != "-")
}

fn base_name(p: &str) -> &str {
    p.rsplit(['/', '\\']).next().unwrap_or(p)
}

/// The webshell a finding is about: a page a file check flagged, a page a web rule saw used, a
/// page a process wrote into a web folder.
fn webshell_of(f: &Finding) -> Option<String> {
    if !is_hit(f) {
        return None;
    }
    let name = if f.check.starts_with("webshell-") {
        f.field("Path")
    } else if f.rule.contains("webshell") {
        f.field("cs-uri-stem").or(f.field("UrlStem"))
    } else if f.rule == "web-script-written" {
        f.field("TargetFilename")
    } else {
        None
    }?;
    let n = base_name(name).trim();
    (!n.is_empty()).then(|| n.to_ascii_lowercase())
}

fn is_lsass_dump(f: &Finding) -> bool {
    counted(f)
        && f.severity >= Severity::High
        && (f.rule.contains("lsass") || f.rule.contains("minidump"))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn when(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_string())
        .unwrap_or_else(|| "(time unknown)".into())
}

/// The reason and next steps of `verdict`, from what the scan found and could not see.
pub fn summarize(verdict: Verdict, findings: &[Finding], checks: &[CheckStatus]) -> Summary {
    let mut webshells: Vec<String> = findings.iter().filter_map(webshell_of).collect();
    webshells.sort();
    webshells.dedup();
    let lsass_dump = findings.iter().any(is_lsass_dump);
    let exported = findings
        .iter()
        .any(|f| is_hit(f) && f.rule.contains("mailbox-export"));
    let mut extras = Vec::new();
    if !webshells.is_empty() {
        extras.push(plural(webshells.len(), "webshell", "webshells"));
    }
    if lsass_dump {
        extras.push("LSASS dump".to_string());
    }
    if exported {
        extras.push("mailbox export".to_string());
    }
    let gaps: Vec<&CheckStatus> = checks
        .iter()
        .filter(|c| {
            (c.required && !matches!(c.state, CheckState::Ran | CheckState::Skipped))
                || (c.file_problems > 0 && c.state != CheckState::Skipped)
        })
        .collect();
    let gap_list = gaps.iter().map(|c| c.check).collect::<Vec<_>>().join(", ");
    let (reason, open_first, mut next_steps) = match verdict {
        Verdict::Compromised => {
            let first = findings
                .iter()
                .filter(|f| is_hit(f))
                .min_by_key(|f| (f.time.is_none(), f.time));
            // the way in: the flaws of the exploitation findings (post-exploitation ones only
            // when no exploitation finding names one)
            let mut families: Vec<&'static str> = Vec::new();
            let entry: Vec<&Finding> = findings
                .iter()
                .filter(|f| is_hit(f) && f.class == Class::Exploitation && f.cves().next().is_some())
                .collect();
            let named: Vec<&Finding> = if entry.is_empty() {
                findings.iter().filter(|f| is_hit(f)).collect()
            } else {
                entry
            };
            for c in named.iter().flat_map(|f| f.cves()) {
                if let Some(ch) = chain_of(c)
                    && !families.contains(&ch.name())
                {
                    families.push(ch.name());
                }
            }
            let what = if families.is_empty() {
                "Intrusion evidenced".to_string()
            } else {
                format!("{} exploited", families.join(" and "))
            };
            let mut r = match first {
                Some(f) => {
                    let from = client_of(f).map(|ip| format!(" from {ip}")).unwrap_or_default();
                    format!("{what}: first evidence {}{from}", when(f.time))
                }
                None => what,
            };
            for e in &extras {
                r += " · ";
                r += e;
            }
            let mut steps = vec![
                "Isolate the server from the network; keep it running (memory is evidence).".into(),
                "Preserve before changing anything: image disk and memory, or `exhunt scan --collect DIR`.".into(),
            ];
            if lsass_dump {
                steps.push("An LSASS dump was made: treat every credential used on this server as stolen; reset domain, service and admin passwords (krbtgt twice).".into());
            }
            if !webshells.is_empty() {
                steps.push(format!(
                    "Record the webshells' paths and hashes (findings.csv) before removing them: {}.",
                    webshells.join(", ")
                ));
            }
            steps.push("Report the compromise to CISA and rebuild or restore the server per ED 21-02 guidance; patch before it goes back online.".into());
            (r, "timeline.csv", steps)
        }
        Verdict::Suspicious => {
            let attempts: Vec<&Finding> = findings
                .iter()
                .filter(|f| counted(f) && f.class == Class::Attempt)
                .collect();
            let context = findings
                .iter()
                .filter(|f| counted(f) && f.class == Class::Context)
                .count();
            let mut ips: Vec<&str> = attempts.iter().filter_map(|f| client_of(f)).collect();
            ips.sort();
            ips.dedup();
            let mut parts = Vec::new();
            if !attempts.is_empty() {
                let from = if ips.is_empty() {
                    String::new()
                } else {
                    format!(" from {}", plural(ips.len(), "address", "addresses"))
                };
                parts.push(format!(
                    "{}{from}, none evidently successful",
                    plural(attempts.len(), "exploitation attempt", "exploitation attempts")
                ));
            }
            if context > 0 {
                parts.push(plural(context, "finding to review", "findings to review"));
            }
            let steps = vec![
                "Review each finding's raw evidence (findings.csv): an attempt that succeeded elsewhere in the logs makes this a compromise.".into(),
                "Confirm the server was patched when the attempts came (the PatchedAtTheTime column) and is patched now.".into(),
                "Block the attempting addresses and look for them on the other servers (`exhunt merge`).".into(),
            ];
            (parts.join("; "), "findings.csv", steps)
        }
        Verdict::Inconclusive => {
            let r = format!(
                "No evidence found, but {} could not look over the whole window: {gap_list}",
                plural(gaps.len(), "check", "checks")
            );
            let mut steps: Vec<String> = gaps
                .iter()
                .map(|c| {
                    format!(
                        "{}: {}",
                        c.check,
                        c.reason.as_deref().unwrap_or("a file it needed could not be read")
                    )
                })
                .collect();
            steps.push("Get those logs or files (older backups, the SIEM, a fuller collection) and scan again; until then, do not report this server as clean.".into());
            (r, "report.json", steps)
        }
        Verdict::NoEvidence => (
            "Every required check ran over logs covering the exposure window: no exploitation, attempt or context found".into(),
            "report.json",
            vec![
                "Keep the reports as the record of this scan; re-scan weekly and compare (`exhunt diff`).".into(),
                "Make sure the server runs a supported CU with the latest security update.".into(),
            ],
        ),
    };
    if verdict == Verdict::Compromised && !gaps.is_empty() {
        next_steps.push(format!(
            "Some checks could not see everything ({gap_list}): more may have happened than is shown."
        ));
    }
    Summary {
        reason,
        next_steps,
        open_first,
        webshells,
        lsass_dump,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, Fields};

    fn f(check: &'static str, rule: &'static str, class: Class, cve: &'static str) -> Finding {
        Finding {
            check,
            rule,
            cve,
            title: String::new(),
            class,
            severity: Severity::High,
            time: None,
            source: Evidence::default(),
            raw: String::new(),
            fields: Fields::default(),
            why: String::new(),
        }
    }

    #[test]
    fn compromised_names_family_address_shells_and_dump() {
        let mut a = f(
            "cve-2021-26855",
            "anchor-mailbox-ssrf",
            Class::Exploitation,
            "CVE-2021-26855",
        );
        a.fields = vec![("ClientIPAddress", "203.0.113.57")].into();
        a.time = Timestamp::parse_arg("2021-02-11T04:28:10Z");
        let mut b = f("webshell-yara", "R", Class::PostExploitation, "");
        b.fields = vec![("Path", "inetpub/wwwroot/aspnet_client/zq7w.aspx")].into();
        let mut c = f(
            "iis-web",
            "iis-webshell-aspnet-client",
            Class::PostExploitation,
            "",
        );
        c.fields = vec![("cs-uri-stem", "/aspnet_client/ZQ7W.aspx")].into();
        let mut d = f(
            "iis-web",
            "iis-webshell-aspnet-client",
            Class::PostExploitation,
            "",
        );
        d.fields = vec![("cs-uri-stem", "/aspnet_client/other.aspx")].into();
        let dump = f("suspicious-files", "lsass-dump", Class::Context, "");
        let s = summarize(Verdict::Compromised, &[a, b, c, d, dump], &[]);
        assert!(
            s.reason
                .starts_with("ProxyLogon exploited: first evidence 2021-02-11T04:28:10"),
            "{}",
            s.reason
        );
        assert!(
            s.reason
                .contains("from 203.0.113.57 · 2 webshells · LSASS dump"),
            "{}",
            s.reason
        );
        assert_eq!(s.webshells, ["other.aspx", "zq7w.aspx"]);
        assert!(s.next_steps.iter().any(|x| x.contains("krbtgt")));
        assert_eq!(s.open_first, "timeline.csv");
    }

    #[test]
    fn info_findings_and_low_dumps_do_not_make_the_sentence() {
        let mut shell = f("webshell-heuristic", "x", Class::PostExploitation, "");
        shell.severity = Severity::Info;
        shell.fields = vec![("Path", "a.aspx")].into();
        let mut dump = f("suspicious-files", "lsass-dump", Class::Context, "");
        dump.severity = Severity::Medium;
        let s = summarize(Verdict::Suspicious, &[shell, dump], &[]);
        assert!(s.webshells.is_empty() && !s.lsass_dump);
        assert!(s.reason.contains("1 finding to review"), "{}", s.reason);
    }

    #[test]
    fn inconclusive_names_each_gap_and_never_says_clean() {
        let c = CheckStatus {
            check: "cve-2021-26855",
            title: "t",
            required: true,
            state: CheckState::NoData,
            reason: Some("no HttpProxy logs under the root".into()),
            sources: vec![],
            records: 0,
            first: None,
            last: None,
            findings: 0,
            file_problems: 0,
        };
        let s = summarize(Verdict::Inconclusive, &[], &[c]);
        assert!(s.reason.contains("1 check could not") && s.reason.contains("cve-2021-26855"));
        assert!(s.next_steps[0].contains("no HttpProxy logs"));
        assert!(
            s.next_steps
                .iter()
                .any(|x| x.contains("do not report this server as clean"))
        );
    }
}
