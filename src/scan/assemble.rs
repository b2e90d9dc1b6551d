//! From the per-file outcomes to one result: coverage per source, per-check status, findings
//! merged and rolled up, and the verdict.

use super::read::FileOutcome;
use super::*;
use crate::detect::webshells;
use crate::detect::{self, LOG_CHECKS};
use crate::model::names::Shown;
use crate::model::rollup::RollUps;
use crate::model::{self, CheckStatus, Finding, SourceCoverage, Timestamp, Window};
use crate::sources::discover::Plan;
use std::collections::BTreeMap;

pub(super) fn assemble(
    opts: &ScanOptions,
    plan: Plan,
    (outcomes, mut rolled): (Vec<FileOutcome>, RollUps),
    threads: usize,
    started: Timestamp,
    (prepared, web): (webshells::Prepared, webshells::Outcome),
) -> ScanResult {
    let Plan {
        root,
        install,
        groups,
        file_locations,
        mut problems,
        mut notes,
        ..
    } = plan;
    let mut coverage: Vec<SourceCoverage> = groups;
    let mut findings = Vec::new();
    let mut host_votes: BTreeMap<(u8, String), u64> = BTreeMap::new();
    // the server's own addresses (IIS s-ip) and the EVTX Computer names, for the host block
    let mut server_addresses: BTreeMap<String, String> = BTreeMap::new();
    let mut computers: BTreeMap<String, u64> = BTreeMap::new();
    let mut builds: Vec<String> = Vec::new();
    let mut totals = Totals::default();
    let (mut skipped_chunks, mut skipped_files) = (0u64, 0u64);
    for o in outcomes {
        skipped_chunks += o.evtx_chunks_skipped;
        skipped_files += u64::from(o.evtx_chunks_skipped > 0);
        totals.files += 1;
        totals.bytes += o.cov.bytes;
        totals.records += o.cov.records;
        findings.extend(o.findings); // (its roll-up joined `rolled` as the file was done)
        for (h, src) in o.hosts {
            if src == super::read::IIS_SERVER_ADDRESS {
                server_addresses
                    .entry(h)
                    .or_insert_with(|| format!("IIS s-ip ({})", o.label));
                continue;
            }
            if src == "EVTX Computer" {
                *computers.entry(h.clone()).or_default() += 1;
            }
            let rank = match src {
                "HttpProxy ServerHostName" => 0,
                "ECP ServerName" => 1,
                _ => 2,
            };
            *host_votes
                .entry((rank, format!("{h}\u{0}{src}")))
                .or_default() += 1;
        }
        builds.extend(o.builds);
        notes.extend(o.notes);
        let covs = std::iter::once((o.label, o.cov))
            .chain(o.more_cov.into_iter().map(|c| (c.label.clone(), c)));
        for (label, cov) in covs {
            match coverage.iter_mut().find(|g| g.label == label) {
                Some(g) => g.absorb(cov),
                None => {
                    let mut g =
                        SourceCoverage::new(&label, cov.kind.as_str(), "(loose files)", true);
                    g.absorb(cov);
                    coverage.push(g);
                }
            }
        }
    }
    if skipped_chunks > 0 {
        notes.push(format!(
            "event logs: {skipped_chunks} chunk(s) in {skipped_files} file(s) hold none of the checks' literals (as text or UTF-16): their records were counted and timed from the record headers, not rendered (EXHUNT_EVTX_NO_SKIP=1 renders every chunk)"
        ));
    }
    // Discovery problems belong to the group whose folder holds the file.
    for p in std::mem::take(&mut problems) {
        match model::holder_of(&coverage, &p) {
            Some(i) => coverage[i].problems.push(p),
            None => problems.push(p),
        }
    }
    coverage.sort_by(|a, b| a.label.cmp(&b.label));
    builds.sort();
    builds.dedup();

    // Dumps and archives.
    let files_status = match &root {
        _ if !opts.selected(detect::suspicious_files::ID) => CheckStatus::not_selected(
            detect::suspicious_files::ID,
            detect::suspicious_files::TITLE,
            true,
        ),
        Some(r) => {
            let out = detect::suspicious_files::run(r, &file_locations);
            let missing: Vec<String> = out
                .missing
                .iter()
                .filter(|m| !m.eq_ignore_ascii_case("root"))
                .cloned()
                .collect();
            findings.extend(out.findings);
            problems.extend(out.problems.clone());
            let mut gaps = Vec::new();
            if !missing.is_empty() {
                gaps.push(format!(
                    "not present under the root (not collected?): {}",
                    missing.join(", ")
                ));
            }
            if !out.problems.is_empty() {
                gaps.push(format!(
                    "{} path(s) could not be read or were links",
                    out.problems.len()
                ));
            }
            let mut sources: Vec<String> = file_locations.iter().map(|(r, _)| r.clone()).collect();
            sources.dedup();
            CheckStatus::judged(
                detect::suspicious_files::ID,
                detect::suspicious_files::TITLE,
                true,
                model::Seen {
                    sources,
                    records: out.files_seen,
                    file_problems: out.problems.len(),
                    gaps,
                    ..Default::default()
                },
            )
        }
        None => CheckStatus::skipped(
            detect::suspicious_files::ID,
            detect::suspicious_files::TITLE,
            true,
            "loose log files were given (--logs), not a system drive: no folders to search",
        ),
    };

    // Webshells and artefacts.
    totals.scanned_files += web.files;
    totals.scanned_bytes += web.bytes;
    problems.extend(prepared.problems);
    notes.extend(prepared.notes);
    let mut web_checks = web.merge_into(&mut findings, &mut coverage, &mut notes);
    if !WEB_CHECKS.iter().any(|id| opts.selected(id)) {
        // No file check ran: no file-scan coverage to show.
        coverage.retain(|g| !g.label.starts_with("Files/"));
    }
    for c in web_checks.iter_mut().filter(|c| !opts.selected(c.check)) {
        *c = CheckStatus::not_selected(c.check, c.title, c.required);
    }
    rolled.take(&mut findings);
    let (kept, mut rolled_up) = rolled.finish();
    findings.extend(kept);
    findings.retain(|f| opts.selected(f.check));
    rolled_up.retain(|r| opts.selected(r.check));

    sort_findings(&mut findings);
    let mut checks: Vec<CheckStatus> = LOG_CHECKS
        .iter()
        .map(|c| match opts.selected(c.info().id) {
            true => check_status(c.info(), &coverage, opts.window),
            false => CheckStatus::not_selected(c.info().id, c.info().title, c.info().required),
        })
        .collect();
    checks.push(files_status);
    checks.extend(web_checks);
    let mut allowed = opts.allow.clone();
    detect::allow::apply(&mut allowed, &mut findings);
    CheckStatus::count(&mut checks, &findings, &rolled_up);
    let verdict = model::decide(&findings, &checks);
    let summary = model::summarize(verdict, &findings, &checks);

    let (host, host_source) = match &opts.host {
        Some(h) => (h.clone(), "--host".to_string()),
        None => match host_votes
            .iter()
            .max_by_key(|((rank, _), n)| (std::cmp::Reverse(*rank), **n))
        {
            Some(((_, key), _)) => {
                let (h, src) = key.split_once('\u{0}').unwrap_or((key, ""));
                (h.to_string(), src.to_string())
            }
            None => match root
                .as_ref()
                .and_then(|r| r.canonicalize().ok())
                .and_then(|r| r.file_name().map(|n| n.to_string_lossy().into_owned()))
            {
                Some(n) => (n, "name of the scanned folder".to_string()),
                None => (
                    "unknown-host".to_string(),
                    "nothing in the logs named the server".to_string(),
                ),
            },
        },
    };
    if install.is_none() && root.is_some() {
        notes.push(
            "Exchange log checks had no install folder to read: see the checks marked no-data"
                .into(),
        );
    }
    let host_info = host_info(&host, &host_source, &computers, server_addresses);
    ScanResult {
        host,
        host_source,
        host_info,
        params: ScanParams {
            mode: if root.is_some() { "root" } else { "logs" },
            root: root.as_ref().map(|r| r.shown()),
            logs: opts.logs.iter().map(|p| p.shown()).collect(),
            exchange_path: opts.exchange_path.as_ref().map(|p| p.shown()),
            window: opts.window,
            host: opts.host.clone(),
            threads,
            files: prepared.params,
            shown: Default::default(),
        },
        install,
        verdict,
        summary,
        checks,
        coverage,
        findings,
        rolled_up,
        allowed,
        problems,
        notes,
        builds_seen: builds,
        build_assessment: None,
        msert: Vec::new(),
        pivot: Default::default(),
        attacker_ips: Vec::new(),
        timeline: Vec::new(),
        started,
        elapsed_ms: 0,
        totals,
    }
}

/// The host block as the logs show it (the Exchange build is added once it is assessed).
fn host_info(
    name: &str,
    name_from: &str,
    computers: &BTreeMap<String, u64>,
    addresses: BTreeMap<String, String>,
) -> model::HostInfo {
    // the name itself when the logs give it fully qualified, else an event log's name for it
    let qualified = name.contains('.') && name.parse::<std::net::IpAddr>().is_err();
    let fqdn = if qualified {
        Some(name)
    } else {
        model::fqdn_of(name, computers.iter().map(|(c, n)| (c.as_str(), *n)))
    };
    let fqdn_from = if qualified {
        name_from
    } else {
        "EVTX Computer"
    };
    let mut not_known = Vec::new();
    if fqdn.is_none() {
        not_known.push(
            "fully qualified name and domain: no event log names this server with its domain"
                .to_string(),
        );
    }
    if addresses.is_empty() {
        not_known.push("addresses: no IIS log line with the server's address (s-ip)".to_string());
    }
    not_known.push(
        "OS product and build: not in the logs exhunt reads (the SOFTWARE registry hive holds it)"
            .to_string(),
    );
    model::HostInfo {
        name: name.to_string(),
        name_from: name_from.to_string(),
        fqdn: fqdn.map(|f| model::Fact::new(f, fqdn_from)),
        domain: fqdn
            .and_then(|f| f.split_once('.'))
            .map(|(_, d)| model::Fact::new(d.to_ascii_lowercase(), fqdn_from)),
        addresses: addresses
            .into_iter()
            .map(|(a, from)| model::Fact::new(a, from))
            .collect(),
        exchange_build: None,
        os: None,
        not_known,
    }
}

/// Findings in report order: by time, then where their evidence is.
pub(super) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.time, &a.source.path, a.source.line, a.source.record_id).cmp(&(
            b.time,
            &b.source.path,
            b.source.line,
            b.source.record_id,
        ))
    });
}

/// How far the logs behind a check reach, and whether that covers the window.
const WINDOW_SLACK_MS: i64 = 24 * 3600 * 1000;

fn check_status(
    info: &'static detect::CheckInfo,
    coverage: &[SourceCoverage],
    window: Window,
) -> CheckStatus {
    let mut reasons = Vec::new();
    let mut with_data = 0;
    let (mut records, mut first, mut last, mut problems, mut malformed) =
        (0u64, None::<Timestamp>, None::<Timestamp>, 0usize, 0u64);
    let mut sources = Vec::new();
    for prefix in info.coverage {
        let groups: Vec<&SourceCoverage> = coverage
            .iter()
            .filter(|g| g.label.starts_with(prefix))
            .collect();
        let data: Vec<&&SourceCoverage> = groups.iter().filter(|g| g.records > 0).collect();
        // Every problem of every group the check reads counts, also in a group that yielded
        // nothing (an unreadable protocol folder beside readable ones hides its hits).
        problems += groups.iter().map(|g| g.problems.len()).sum::<usize>();
        if data.is_empty() {
            let what = if groups.iter().any(|g| !g.problems.is_empty() && g.present) {
                "present but no record could be read (see coverage problems)"
            } else if groups.iter().any(|g| !g.problems.is_empty()) {
                "could not be read (see coverage problems)"
            } else if groups.iter().any(|g| g.present) {
                "present but empty"
            } else {
                "missing"
            };
            reasons.push(format!("{} logs {what}", prefix.trim_end_matches('/')));
            continue;
        }
        with_data += 1;
        let missing: Vec<&str> = groups
            .iter()
            .filter(|g| !g.present)
            .map(|g| g.label.as_str())
            .collect();
        if !missing.is_empty() {
            reasons.push(format!("folder(s) missing: {}", missing.join(", ")));
        }
        for g in data {
            sources.push(g.label.clone());
            records += g.records;
            first = model::min_opt(first, g.first);
            last = model::max_opt(last, g.last);
            malformed += g.malformed;
        }
    }
    if with_data > 0 {
        match first {
            Some(f) if f.0 > window.since.0 + WINDOW_SLACK_MS => {
                let days = (f.0 - window.since.0) / (24 * 3600 * 1000);
                reasons.push(format!(
                    "logs start {f}, {days} day(s) after the window start {}",
                    window.since
                ));
            }
            None => reasons.push("no record times could be read".into()),
            _ => {}
        }
        if let Some(l) = last.filter(|l| l.0 < window.since.0) {
            reasons.push(format!("logs end {l}, before the window starts"));
        }
        if let (Some(l), Some(u)) = (last, window.until)
            && l.0 >= window.since.0
            && l.0 + WINDOW_SLACK_MS < u.0
        {
            let days = (u.0 - l.0) / (24 * 3600 * 1000);
            reasons.push(format!(
                "logs end {l}, {days} day(s) before the window end {u}"
            ));
        }
        if problems > 0 {
            reasons.push(format!("{problems} file problem(s), see coverage"));
        }
        if malformed > 0 {
            reasons.push(format!("{malformed} record(s) could not be parsed"));
        }
    }
    CheckStatus::judged(
        info.id,
        info.title,
        info.required,
        model::Seen {
            sources,
            records,
            first,
            last,
            file_problems: problems,
            no_data: with_data == 0,
            gaps: reasons,
        },
    )
}
