//! Was the server patched when it was hit? HttpProxy records carry the front end's build
//! (`MajorVersion..RevisionVersion`, field `Build`) and ECP records the server's (`S:BLD`, field
//! `BLD`). After the checks ran, [`annotate`] compares the build of every attempt or exploitation
//! finding with the first fixed build of its CVE's chain on the same CU (`rules/builds.tsv`) and adds
//! `PatchedAtTheTime` (`yes`, `no`, `unknown`), `FixedBuild` and `PatchNote`. [`assess`] does the
//! same for the builds seen in the logs as a whole.
//!
//! Reading it: exploitation evidence on a build marked `yes` is odd (a replayed or failed request,
//! or a build column that is not this server's); `no` says the server was exposed at that moment.

use super::table::Table;
use crate::model::chain_of;
use crate::model::{Build, BuildAssessment, Chain, ChainAssessment, Class, Finding, Patched};
use std::sync::LazyLock;

struct Row {
    version: &'static str,
    cu: &'static str,
    cu_build: Build,
    /// Per chain, in `Chain::ALL` order: the first fixed build on this CU, or `None`.
    fixes: [Option<Build>; 4],
}

static TABLE_TEXT: &str = crate::rules::BUILDS;

static ROWS: LazyLock<Vec<Row>> = LazyLock::new(|| {
    let t = Table::parse("builds.tsv", TABLE_TEXT);
    t.rows()
        .map(|r| {
            let build = |s: &str| {
                Build::parse(s)
                    .unwrap_or_else(|| panic!("builds.tsv line {}: bad build {s}", r.line))
            };
            Row {
                version: r.get("version"),
                cu: r.get("cu"),
                cu_build: build(r.get("cu_build")),
                fixes: Chain::ALL.map(|c| match r.get(c.column()) {
                    "-" => None,
                    s => Some(build(s)),
                }),
            }
        })
        .collect()
});

/// A build judged against one chain's fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchStatus {
    pub patched: Patched,
    /// The fixed build compared with.
    pub fixed: Option<Build>,
    /// `Exchange 2016 CU18`, when the CU is known.
    pub cu: Option<String>,
    pub note: String,
}

fn product(r: &Row) -> String {
    match r.version {
        "SE" => format!("Exchange SE {}", r.cu),
        v => format!("Exchange {v} {}", r.cu),
    }
}

/// The CU a build is on, if the table knows it.
pub fn cu_name(build: Build) -> Option<String> {
    ROWS.iter()
        .find(|r| {
            r.cu_build.major() == build.major()
                && r.cu_build.minor() == build.minor()
                && r.cu_build.cu_number() == build.cu_number()
        })
        .map(product)
}

/// Whether `build` holds `chain`'s fix.
pub fn status(build: Build, chain: Chain) -> PatchStatus {
    let i = Chain::ALL.iter().position(|c| *c == chain).expect("listed");
    let same_line: Vec<&Row> = ROWS
        .iter()
        .filter(|r| r.cu_build.major() == build.major() && r.cu_build.minor() == build.minor())
        .collect();
    let unknown = |note: String| PatchStatus {
        patched: Patched::Unknown,
        fixed: None,
        cu: None,
        note,
    };
    if same_line.is_empty() {
        return unknown(format!(
            "build {build}: no Exchange version with this major.minor in the build table"
        ));
    }
    if let Some(r) = same_line
        .iter()
        .find(|r| r.cu_build.cu_number() == build.cu_number())
    {
        return match r.fixes[i] {
            None => PatchStatus {
                patched: Patched::No,
                fixed: None,
                cu: Some(product(r)),
                note: format!(
                    "{} (build {build}): no {} for this CU, only a later CU fixes {}",
                    product(r),
                    chain.update(),
                    chain.name()
                ),
            },
            Some(f) => PatchStatus {
                patched: if build >= f {
                    Patched::Yes
                } else {
                    Patched::No
                },
                fixed: Some(f),
                cu: Some(product(r)),
                note: if f == r.cu_build {
                    format!(
                        "{} (build {build}) includes the {} fixes at release",
                        product(r),
                        chain.name()
                    )
                } else {
                    format!(
                        "{} (build {build}) compared with the {} build {f}",
                        product(r),
                        chain.update()
                    )
                },
            },
        };
    }
    let newest = same_line
        .iter()
        .max_by_key(|r| r.cu_build)
        .expect("non-empty");
    if build.cu_number() > newest.cu_build.cu_number()
        && let Some(f) = newest.fixes[i]
    {
        return PatchStatus {
            patched: Patched::Yes,
            fixed: Some(f),
            cu: None,
            note: format!(
                "build {build} is on a CU newer than {}, which already holds the {} fixes",
                product(newest),
                chain.name()
            ),
        };
    }
    unknown(format!(
        "build {build} is on a CU the build table does not list (older than {} or unknown)",
        same_line
            .iter()
            .min_by_key(|r| r.cu_build)
            .map(|r| product(r))
            .unwrap_or_default()
    ))
}

/// Adds `PatchedAtTheTime`, `FixedBuild` and `PatchNote` to every attempt or exploitation finding
/// whose record carries a build (`Build`, or ECP's `BLD`) and whose CVE has a known fix.
pub fn annotate(findings: &mut [Finding]) {
    for f in findings.iter_mut() {
        if !matches!(
            f.class,
            Class::Attempt | Class::Exploitation | Class::PostExploitation
        ) {
            continue;
        }
        let Some(build) = f
            .field("Build")
            .or_else(|| f.field("BLD"))
            .and_then(Build::parse)
        else {
            continue;
        };
        let Some(chain) = f.cves().find_map(chain_of) else {
            continue;
        };
        let s = status(build, chain);
        f.fields.extend([
            (
                "PatchedAtTheTime".to_string(),
                s.patched.as_str().to_string(),
            ),
            (
                "FixedBuild".to_string(),
                s.fixed.map(|b| b.to_string()).unwrap_or_default(),
            ),
            ("PatchNote".to_string(), s.note),
        ]);
    }
}

/// Judges the builds seen (as logged; compared numerically). `None` when none is a build.
pub fn assess(builds_seen: &[String]) -> Option<BuildAssessment> {
    let (mut builds, mut unparsed) = (Vec::new(), Vec::new());
    for s in builds_seen {
        match Build::parse(s) {
            Some(b) => builds.push(b),
            None => unparsed.push(s.clone()),
        }
    }
    let earliest = *builds.iter().min()?;
    let latest = *builds.iter().max()?;
    Some(BuildAssessment {
        earliest: earliest.to_string(),
        latest: latest.to_string(),
        latest_cu: cu_name(latest),
        chains: Chain::ALL
            .into_iter()
            .map(|c| {
                let s = status(latest, c);
                ChainAssessment {
                    chain: c.name(),
                    update: c.update(),
                    cves: c.cves(),
                    latest_patched: s.patched,
                    fixed_build: s.fixed.map(|b| b.to_string()),
                    note: s.note,
                }
            })
            .collect(),
        unparsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, Severity};

    fn b(s: &str) -> Build {
        Build::parse(s).unwrap()
    }

    #[test]
    fn table_loads_and_is_consistent() {
        assert!(ROWS.len() >= 30);
        for r in ROWS.iter() {
            for f in r.fixes.iter().flatten() {
                assert_eq!(
                    f.cu_number(),
                    r.cu_build.cu_number(),
                    "{} {}: a fix on another CU",
                    r.version,
                    r.cu
                );
                assert!(*f >= r.cu_build);
            }
        }
    }

    #[test]
    fn per_cu_comparison() {
        let s = status(b("15.1.2106.2"), Chain::ProxyLogon);
        assert_eq!(s.patched, Patched::No);
        assert_eq!(s.fixed, Some(b("15.1.2106.13")));
        assert_eq!(s.cu.as_deref(), Some("Exchange 2016 CU18"));
        assert_eq!(
            status(b("15.01.2106.013"), Chain::ProxyLogon).patched,
            Patched::Yes
        );
        assert_eq!(
            status(b("15.1.2242.4"), Chain::ProxyLogon).patched,
            Patched::Yes,
            "CU20 fixed at release"
        );
        let s = status(b("15.1.2106.13"), Chain::ProxyShell);
        assert_eq!(
            (s.patched, s.fixed),
            (Patched::No, None),
            "no April SU for CU18"
        );
        assert!(s.note.contains("only a later CU"));
        assert_eq!(
            status(b("15.2.792.13"), Chain::ProxyShell31207).patched,
            Patched::No
        );
        assert_eq!(
            status(b("15.2.792.15"), Chain::ProxyShell31207).patched,
            Patched::Yes
        );
        assert_eq!(
            status(b("15.2.986.36"), Chain::ProxyNotShell).patched,
            Patched::Yes
        );
        assert_eq!(
            status(b("15.0.1497.40"), Chain::ProxyNotShell).patched,
            Patched::No
        );
        // newer than the table: SE updates
        let s = status(b("15.2.2562.53"), Chain::ProxyNotShell);
        assert_eq!(s.patched, Patched::Yes);
        assert_eq!(
            status(b("15.2.2600.1"), Chain::ProxyLogon).patched,
            Patched::Yes
        );
        // unknown: older CUs, RTM, unknown versions, gaps
        assert_eq!(
            status(b("15.2.221.12"), Chain::ProxyLogon).patched,
            Patched::Unknown,
            "2019 RTM"
        );
        assert_eq!(
            status(b("15.0.1367.3"), Chain::ProxyLogon).patched,
            Patched::Unknown,
            "2013 CU20"
        );
        assert_eq!(
            status(b("14.3.513.0"), Chain::ProxyLogon).patched,
            Patched::Unknown
        );
        assert_eq!(
            status(b("15.1.2200.1"), Chain::ProxyLogon).patched,
            Patched::Unknown
        );
    }

    fn finding(check: &'static str, class: Class, fields: &[(&str, &str)]) -> Finding {
        // What the checks set: a CVE check's own id, or the rule's `cve` (here in a CVE field).
        let cve = match check {
            "cve-2021-26855" => "CVE-2021-26855",
            "cve-2021-26858" => "CVE-2021-26858",
            "cve-2021-27065" => "CVE-2021-27065",
            _ => fields
                .iter()
                .find(|(k, _)| *k == "CVE")
                .map_or("", |(_, v)| v.to_string().leak()),
        };
        Finding {
            check,
            rule: "r",
            cve,
            title: "t".into(),
            class,
            severity: Severity::High,
            time: None,
            source: Evidence::default(),
            raw: String::new(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            why: String::new(),
        }
    }

    #[test]
    fn annotates_findings_with_a_build() {
        let mut fs = vec![
            finding(
                "cve-2021-26855",
                Class::Exploitation,
                &[("Build", "15.1.2106.2")],
            ),
            finding(
                "cve-2021-27065",
                Class::PostExploitation,
                &[("BLD", "15.1.2106.13")],
            ),
            finding(
                "web-rules",
                Class::Exploitation,
                &[
                    ("CVE", "CVE-2021-34473, CVE-2021-34523"),
                    ("Build", "15.2.858.12"),
                ],
            ),
            finding(
                "cve-2021-26855",
                Class::Scanner,
                &[("Build", "15.1.2106.2")],
            ),
            finding("cve-2021-26858", Class::PostExploitation, &[]),
            finding("cve-2021-26855", Class::Attempt, &[("Build", "garbage")]),
            finding("other", Class::Exploitation, &[("Build", "15.1.2106.2")]),
        ];
        annotate(&mut fs);
        assert_eq!(fs[0].field("PatchedAtTheTime"), Some("no"));
        assert_eq!(fs[0].field("FixedBuild"), Some("15.1.2106.13"));
        assert!(
            fs[0]
                .field("PatchNote")
                .unwrap()
                .contains("Exchange 2016 CU18")
        );
        assert_eq!(fs[1].field("PatchedAtTheTime"), Some("yes"));
        assert_eq!(fs[2].field("PatchedAtTheTime"), Some("yes"));
        for f in &fs[3..] {
            assert_eq!(f.field("PatchedAtTheTime"), None, "{}", f.check);
        }
    }

    #[test]
    fn assesses_builds_seen() {
        let a = assess(&["15.1.2106.2".into(), "15.01.2176.014".into(), "n/a".into()]).unwrap();
        assert_eq!(a.earliest, "15.1.2106.2");
        assert_eq!(a.latest, "15.1.2176.14");
        assert_eq!(a.latest_cu.as_deref(), Some("Exchange 2016 CU19"));
        let p: Vec<Patched> = a.chains.iter().map(|c| c.latest_patched).collect();
        assert_eq!(p, [Patched::Yes, Patched::Yes, Patched::Yes, Patched::No]);
        assert_eq!(a.unparsed, ["n/a"]);
        assert!(assess(&[]).is_none());
        assert!(assess(&["x".into()]).is_none());
    }
}
