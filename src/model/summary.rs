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
            // the first record (a log line, an event) that evidences it; a file's time is
            // only a fallback (it can be set to anything)
            let first = findings
                .iter()
                .filter(|f| is_hit(f))
                .min_by_key(|f| {
                    let record = f.source.line.is_some() || f.source.record_id.is_some();
                    (!record, f.time.is_none(), f.time)
                });
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
                "Isolate the server: take it off the network now (CISA ED 21-02 action 3a), but do not shut it down or reboot it: memory holds evidence.".into(),
                "Preserve evidence before any clean-up: image memory, then the disk (ED 21-02 2a/2b), or `exhunt scan --collect DIR`; keep this output folder and the logs.".into(),
            ];
            if lsass_dump {
                steps.push("Reset credentials: LSASS memory was dumped, so every account that logged on to this server is exposed; reset them all (administrators and service accounts included) and the domain's krbtgt account twice.".into());
            } else {
                steps.push("Reset the credentials of Exchange administrators and of the service accounts on this server; review new accounts and role grants (Mailbox Import Export).".into());
            }
            if !webshells.is_empty() {
                steps.push(format!(
                    "Record the webshells' paths and hashes (findings.csv) before removing them: {}.",
                    webshells.join(", ")
                ));
            }
            steps.push("Report the incident to CISA (in the ED 21-02 template the Test-ProxyLogon column is \"Yes (indications of compromise found)\"; cisa-ed21-02.xlsx is filled).".into());
            steps.push("Rebuild: reinstall the operating system and Exchange from trusted media at the latest update, as ED 21-02 directs (3b, 3d), then hunt the network for lateral movement.".into());
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
                let from = match ips.len() {
                    0 => String::new(),
                    1..=3 => format!(" from {}", ips.join(", ")),
                    n => format!(" from {}", plural(n, "address", "addresses")),
                };
                parts.push(format!(
                    "{}{from}, none evidently successful",
                    plural(attempts.len(), "exploitation attempt", "exploitation attempts")
                ));
            }
            if lsass_dump {
                parts.push("an LSASS dump: treat its credentials as stolen".into());
            }
            if context > 0 {
                parts.push(plural(context, "finding to review", "findings to review"));
            }
            let mut steps: Vec<String> = Vec::new();
            if lsass_dump {
                steps.push("An LSASS dump was found: treat every credential used on this server as stolen and reset them, until you know who made the dump and why.".into());
            }
            steps.extend([
                "Confirm the attempts failed: in timeline.csv, follow each address past its first request (a 241 or 200 answer to an SSRF, a new .aspx, a process under w3wp would make this a compromise).".to_string(),
                "Confirm the server was patched when the attempts came (the PatchedAtTheTime column) and is patched now.".into(),
                "Look at each context finding (archives, dumps, role grants): each needs a human decision.".into(),
                "Run Microsoft's MSERT full scan as CISA's supplemental direction asks; exhunt's file checks do not replace it. Look for the addresses on the other servers (`exhunt merge`).".into(),
            ]);
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
            steps.push("Until then, the ED 21-02 template's Test-ProxyLogon column is \"No (must provide narrative explanation in comments section)\", with these gaps as the narrative.".into());
            (r, "report.json", steps)
        }
        Verdict::NoEvidence => (
            "Every required check ran over logs covering the exposure window: no exploitation, attempt or context found".into(),
            "report.json",
            vec![
                "Make sure the server runs a supported CU with the latest security update.".into(),
                "Run Microsoft's MSERT full scan as CISA's supplemental direction asks, weekly for four weeks; re-scan with exhunt each week and compare (`exhunt diff`).".into(),
                "No evidence is not proof of safety: memory, other servers and anything before the oldest log were not examined.".into(),
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
