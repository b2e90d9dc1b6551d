//! `exhunt merge`: many servers' reports into one fleet view: one row per server with its
//! verdict and coverage, the indicators seen on several servers (attacker address, user agent,
//! shell hash, shell path), and every input that could not be read, listed, never dropped.

use super::load::{Loaded, Report};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// One server of the fleet.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Server {
    pub host: String,
    pub report: PathBuf,
    pub verdict: String,
    pub reason: String,
    pub hits: usize,
    pub attempts: usize,
    pub context: usize,
    /// The earliest time of a hit (exploitation or what followed it).
    pub first_evidence: Option<String>,
    /// Checks that could not look over the whole window, with why.
    pub gaps: Vec<String>,
    pub webshells: Vec<String>,
    pub lsass_dump: bool,
    pub started: Option<String>,
    pub tool: String,
    /// Older reports of the same host that this one replaces.
    pub superseded: Vec<PathBuf>,
}

/// An input that is not a readable report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Unreadable {
    pub path: PathBuf,
    pub problem: String,
}

/// An indicator seen on more than one server.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Shared {
    pub kind: &'static str,
    pub value: String,
    pub hosts: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Fleet {
    pub schema: &'static str,
    pub servers: Vec<Server>,
    pub unreadable: Vec<Unreadable>,
    pub shared: Vec<Shared>,
}

pub const SCHEMA: &str = "exhunt.fleet/1";

/// The worst verdict first: compromised, suspicious, inconclusive, no-evidence.
pub fn verdict_rank(v: &str) -> u8 {
    match v {
        "compromised" => 4,
        "suspicious" => 3,
        "inconclusive" => 2,
        "no-evidence" => 1,
        _ => 2, // a verdict this version does not know: not clean
    }
}

fn server(path: PathBuf, r: &Report) -> Server {
    let count = |classes: &[&str]| {
        r.findings
            .iter()
            .filter(|f| f.counts() && classes.contains(&f.class.as_str()))
            .count()
    };
    let first_evidence = r
        .findings
        .iter()
        .filter(|f| f.is_hit())
        .filter_map(|f| f.time.clone())
        .min();
    let gaps = r
        .checks
        .iter()
        .filter(|c| {
            (c.required && !matches!(c.state.as_str(), "ran" | "skipped"))
                || (c.file_problems > 0 && c.state != "skipped")
        })
        .map(|c| match &c.reason {
            Some(why) => format!("{} ({}): {why}", c.check, c.state),
            None => format!("{} ({})", c.check, c.state),
        })
        .collect();
    Server {
        host: r.host.clone(),
        report: path,
        verdict: r.verdict.clone(),
        reason: r.summary.reason.clone(),
        hits: count(&["exploitation", "post-exploitation"]),
        attempts: count(&["attempt"]),
        context: count(&["context"]),
        first_evidence,
        gaps,
        webshells: r.summary.webshells.clone(),
        lsass_dump: r.summary.lsass_dump,
        started: r.started.clone(),
        tool: format!("{} {}", r.tool.version, r.tool.commit)
            .trim()
            .to_string(),
        superseded: Vec::new(),
    }
}

/// The indicators of one report, by kind.
fn indicators(r: &Report) -> BTreeSet<(&'static str, String)> {
    let mut s = BTreeSet::new();
    // the server's own addresses (a forged request to itself) are not the attacker's
    let own: BTreeSet<&str> = r
        .host_block
        .addresses
        .iter()
        .map(|a| a.value.as_str())
        .collect();
    for a in &r.attacker_ips {
        s.insert(("attacker address", a.ip.clone()));
        for ua in &a.user_agents {
            s.insert(("attacker user agent", ua.clone()));
        }
    }
    for f in r.findings.iter().filter(|f| f.counts()) {
        if f.class != "context"
            && let Some(ip) = f.client()
        {
            s.insert(("attacker address", ip.to_string()));
        }
        if f.check.starts_with("webshell-") && f.is_hit() {
            if let Some(h) = f.field("SHA256") {
                s.insert(("shell SHA-256", h.to_ascii_lowercase()));
            }
            if let Some(p) = f.field("Path") {
                s.insert((
                    "shell path",
                    r.relative(p).replace('\\', "/").to_lowercase(),
                ));
            }
        }
        if f.rule.contains("webshell")
            && f.is_hit()
            && let Some(p) = f.field("cs-uri-stem").or(f.field("UrlStem"))
        {
            s.insert(("shell URL", p.to_lowercase()));
        }
    }
    s.retain(|(kind, v)| *kind != "attacker address" || !own.contains(v.as_str()));
    s
}

/// Merges the loaded reports: one row per host (the latest scan of it; older ones are listed
/// as superseded), worst verdict first.
pub fn merge(loaded: Vec<Loaded>) -> Fleet {
    let mut unreadable = Vec::new();
    let mut by_host: BTreeMap<String, Vec<(PathBuf, Report)>> = BTreeMap::new();
    for l in loaded {
        match l.report {
            Ok(r) => by_host
                .entry(r.host.to_ascii_lowercase())
                .or_default()
                .push((l.path, r)),
            Err(problem) => unreadable.push(Unreadable {
                path: l.path,
                problem,
            }),
        }
    }
    let mut servers = Vec::new();
    let mut seen: BTreeMap<(&'static str, String), BTreeSet<String>> = BTreeMap::new();
    for (_, mut reports) in by_host {
        // the latest scan wins; started times are RFC 3339 UTC, so they sort as text
        reports.sort_by(|a, b| a.1.started.cmp(&b.1.started).then(a.0.cmp(&b.0)));
        let (path, latest) = reports.pop().expect("one report at least");
        for i in indicators(&latest) {
            seen.entry(i).or_default().insert(latest.host.clone());
        }
        let mut s = server(path, &latest);
        s.superseded = reports.into_iter().map(|(p, _)| p).collect();
        servers.push(s);
    }
    servers.sort_by(|a, b| {
        verdict_rank(&b.verdict)
            .cmp(&verdict_rank(&a.verdict))
            .then_with(|| a.host.cmp(&b.host))
    });
    let shared = seen
        .into_iter()
        .filter(|(_, hosts)| hosts.len() > 1)
        .map(|((kind, value), hosts)| Shared {
            kind,
            value,
            hosts: hosts.into_iter().collect(),
        })
        .collect();
    Fleet {
        schema: SCHEMA,
        servers,
        unreadable,
        shared,
    }
}

impl Fleet {
    /// The exit code of the worst server (an unreadable report counts as inconclusive).
    pub fn worst(&self) -> Option<&str> {
        let mut v: Vec<&str> = self.servers.iter().map(|s| s.verdict.as_str()).collect();
        if !self.unreadable.is_empty() {
            v.push("inconclusive");
        }
        v.into_iter().max_by_key(|v| verdict_rank(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(host: &str, verdict: &str, started: &str, ip: &str) -> Report {
        let json = format!(
            r#"{{"schema":"exhunt.report/1","host":"{host}","verdict":"{verdict}","started":"{started}",
                "attacker_ips":[{{"ip":"{ip}","user_agents":["python-requests/2.25.1"]}}],
                "findings":[{{"check":"webshell-yara","rule":"R","class":"post-exploitation",
                  "severity":"critical","fields":{{"SHA256":"AB12","Path":"inetpub/wwwroot/aspnet_client/x.aspx"}}}}]}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn shared_indicators_latest_scan_per_host_and_unreadable_inputs_kept() {
        let l = |p: &str, r: Result<Report, String>| Loaded {
            path: PathBuf::from(p),
            report: r,
        };
        let f = merge(vec![
            l(
                "a",
                Ok(report(
                    "EX01",
                    "suspicious",
                    "2021-03-01T00:00:00Z",
                    "203.0.113.9",
                )),
            ),
            l(
                "b",
                Ok(report(
                    "EX01",
                    "compromised",
                    "2021-03-08T00:00:00Z",
                    "203.0.113.57",
                )),
            ),
            l(
                "c",
                Ok(report(
                    "ex02",
                    "no-evidence",
                    "2021-03-08T00:00:00Z",
                    "203.0.113.57",
                )),
            ),
            l("d", Err("not an exhunt report".into())),
        ]);
        assert_eq!(f.servers.len(), 2);
        assert_eq!(f.servers[0].host, "EX01");
        assert_eq!(f.servers[0].verdict, "compromised", "the later scan");
        assert_eq!(f.servers[0].superseded, [PathBuf::from("a")]);
        assert_eq!(f.unreadable.len(), 1);
        let kinds: Vec<(&str, &str)> = f
            .shared
            .iter()
            .map(|s| (s.kind, s.value.as_str()))
            .collect();
        assert!(kinds.contains(&("attacker address", "203.0.113.57")));
        assert!(
            !kinds.contains(&("attacker address", "203.0.113.9")),
            "only in the superseded scan"
        );
        assert!(kinds.contains(&("shell SHA-256", "ab12")));
        assert!(kinds.contains(&("shell path", "inetpub/wwwroot/aspnet_client/x.aspx")));
        assert_eq!(f.worst(), Some("compromised"));
        let only_bad = merge(vec![l("d", Err("x".into()))]);
        assert_eq!(
            only_bad.worst(),
            Some("inconclusive"),
            "unreadable is never clean"
        );
    }
}
