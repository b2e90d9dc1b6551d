//! Microsoft Safety Scanner's own log in the scan: the `msert.log` files discovery found are
//! read (`sources::msert`), their runs kept for the CISA workbook's MSERT column
//! ([`ScanResult::msert`]), their detections turned into findings (`detect::msert`), and the
//! `msert` check given its status like every other.

use super::ScanResult;
use super::assemble::sort_findings;
use crate::detect::msert::{self, INFO};
use crate::model::names::Shown;
use crate::model::{self, CheckStatus, FileProblem, Seen};
use crate::sources::discover::MSERT_LABEL;
use std::path::PathBuf;

pub(super) fn add(result: &mut ScanResult, paths: &[PathBuf], selected: bool) {
    if !selected {
        result.checks.push(CheckStatus::not_selected(
            INFO.id,
            INFO.title,
            INFO.required,
        ));
        return;
    }
    let gi = match result.coverage.iter().position(|g| g.label == MSERT_LABEL) {
        Some(i) => i,
        None => {
            result.coverage.push(model::SourceCoverage::new(
                MSERT_LABEL,
                "msert",
                "Windows/debug/msert.log",
                false,
            ));
            result.coverage.len() - 1
        }
    };
    let mut scans = Vec::new();
    for p in paths {
        let shown = p.shown();
        let g = &mut result.coverage[gi];
        match crate::sources::msert::read(p, &shown) {
            Ok((runs, cut)) => {
                g.files += 1;
                g.bytes += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                g.records += runs.len() as u64;
                if let Some(c) = cut {
                    g.problems.push(FileProblem {
                        path: shown.clone(),
                        problem: c,
                    });
                }
                scans.extend(runs);
            }
            Err(problem) => g.problems.push(FileProblem {
                path: shown,
                problem,
            }),
        }
    }
    let g = &result.coverage[gi];
    let problems = g.problems.len();
    let mut gaps = Vec::new();
    if problems > 0 {
        gaps.push(format!("{problems} file problem(s), see coverage"));
    }
    if !paths.is_empty() && scans.is_empty() {
        gaps.push("msert.log holds no scanner run".into());
    }
    let status = CheckStatus::judged(
        INFO.id,
        INFO.title,
        INFO.required,
        Seen {
            sources: if g.present {
                vec![MSERT_LABEL.to_string()]
            } else {
                Vec::new()
            },
            records: scans.len() as u64,
            first: None,
            last: None,
            file_problems: problems,
            no_data: paths.is_empty() && problems == 0,
            gaps,
        },
    );
    result.findings.extend(msert::findings(&scans));
    sort_findings(&mut result.findings);
    result.checks.push(status);
    CheckStatus::count(&mut result.checks, &result.findings, &result.rolled_up);
    result.verdict = model::decide(&result.findings, &result.checks);
    result.msert = scans;
}
