//! `findings.jsonl`: one finding per line with Elastic Common Schema field names (`@timestamp`,
//! `source.ip`, `url.path`, `http.response.status_code`, `user_agent.original`, `file.path`,
//! `file.hash.sha256`, `event.*`, `vulnerability.id`), for Elastic, Splunk and Sentinel. What ECS
//! has no field for stays under `exhunt.*` (the check, rule, class, evidence locator and every
//! field of the record). Strings are JSON-escaped; no further neutralising needed.

use super::Report;
use crate::model::{Class, Finding, Severity, client_of};
use crate::scan::ScanResult;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE: &str = "findings.jsonl";

/// ECS `event.severity` is a number: higher is worse.
fn severity_number(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

/// The first of `names` the finding has, not empty or `-`.
fn first<'a>(f: &'a Finding, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| f.field(n))
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "-")
}

/// Sets `doc[a][b]...` = `v`, making the objects on the way.
fn put(doc: &mut Map<String, Value>, path: &[&str], v: Value) {
    let (last, parents) = path.split_last().expect("a path");
    let mut cur = doc;
    for p in parents {
        cur = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("an object");
    }
    cur.insert(last.to_string(), v);
}

/// One finding as an ECS document.
pub fn document(host: &str, f: &Finding) -> Value {
    let mut d = Map::new();
    if let Some(t) = f.time {
        d.insert("@timestamp".into(), json!(t.to_string()));
    }
    d.insert("message".into(), json!(f.title));
    let category = match f.check {
        c if c.starts_with("webshell-") || c == "suspicious-files" => "file",
        "process-evidence" => "process",
        "exchange-cmdlets" | "cve-2021-26857" => "configuration",
        _ => "web",
    };
    d.insert(
        "event".into(),
        json!({
            "kind": "alert",
            "module": "exhunt",
            "dataset": "exhunt.finding",
            "category": [category],
            "action": f.rule,
            "severity": severity_number(f.severity),
            "reason": f.why,
            "original": f.raw,
            "outcome": if matches!(f.class, Class::Exploitation | Class::PostExploitation) { "success" } else { "unknown" },
        }),
    );
    d.insert(
        "rule".into(),
        json!({ "id": format!("{}/{}", f.check, f.rule), "name": f.title, "category": f.class.as_str(), "ruleset": f.check }),
    );
    let cves: Vec<&str> = f.cves().collect();
    if !cves.is_empty() {
        d.insert("vulnerability".into(), json!({ "id": cves }));
    }
    put(&mut d, &["host", "name"], json!(host));
    if let Some(ip) = client_of(f) {
        // ECS wants an address in source.ip; anything else (a name, a list) stays as text
        match ip.parse::<std::net::IpAddr>() {
            Ok(a) => put(&mut d, &["source", "ip"], json!(a.to_string())),
            Err(_) => put(&mut d, &["source", "address"], json!(ip)),
        }
    }
    let text = [
        (&["url", "path"][..], &["cs-uri-stem", "UrlStem"][..]),
        (&["url", "query"], &["cs-uri-query", "UrlQuery"]),
        (&["http", "request", "method"], &["cs-method", "Method"]),
        (
            &["user_agent", "original"],
            &["cs(User-Agent)", "UserAgent"],
        ),
        (&["user", "name"], &["cs-username", "User", "Caller"]),
        (&["file", "path"], &["Path", "TargetFilename", "FilePath"]),
        (&["file", "hash", "sha256"], &["SHA256"]),
        (&["file", "hash", "md5"], &["MD5"]),
        (&["process", "executable"], &["Image"]),
        (&["process", "command_line"], &["CommandLine"]),
        (&["process", "parent", "executable"], &["ParentImage"]),
        (
            &["process", "parent", "command_line"],
            &["ParentCommandLine"],
        ),
    ];
    for (path, names) in text {
        if let Some(v) = first(f, names) {
            put(&mut d, path, json!(v));
        }
    }
    if let Some(code) = first(f, &["sc-status", "HttpStatus"]).and_then(|s| s.parse::<u16>().ok()) {
        put(&mut d, &["http", "response", "status_code"], json!(code));
    }
    put(&mut d, &["log", "file", "path"], json!(f.source.path));
    if let Some(o) = f.source.offset {
        put(&mut d, &["log", "offset"], json!(o));
    }
    let mut ex = json!({
        "check": f.check,
        "rule": f.rule,
        "class": f.class.as_str(),
        "severity": f.severity.as_str(),
        "evidence": f.source.locator(),
        "fields": f.fields,
    });
    for (k, v) in [("line", f.source.line), ("record_id", f.source.record_id)] {
        if let Some(v) = v {
            ex[k] = json!(v);
        }
    }
    d.insert("exhunt".into(), ex);
    Value::Object(d)
}

pub struct FindingsJsonl;

impl Report for FindingsJsonl {
    fn name(&self) -> &'static str {
        "findings JSON lines"
    }

    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let p = super::write::create_report(dir, FILE, |w| {
            let mut w = std::io::BufWriter::new(w);
            for f in &scan.findings {
                serde_json::to_writer(&mut w, &document(&scan.host, f))
                    .map_err(std::io::Error::other)?;
                w.write_all(b"\n")?;
            }
            w.flush()
        })?;
        Ok(vec![p])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, Timestamp};

    fn finding(fields: Vec<(&str, &str)>) -> Finding {
        Finding {
            check: "iis-web",
            rule: "iis-webshell-aspnet-client",
            cve: "CVE-2021-26855, CVE-2021-27065",
            title: "Webshell access".into(),
            class: Class::PostExploitation,
            severity: Severity::Critical,
            time: Timestamp::parse_arg("2021-03-04T22:11:02Z"),
            source: Evidence {
                path: "W3SVC1/u_ex210304.log".into(),
                line: Some(8),
                offset: Some(900),
                record_id: None,
            },
            raw: "2021-03-04 22:11:02 ... \"</script>\n".into(),
            fields: fields.into(),
            why: "a shell".into(),
        }
    }

    #[test]
    fn web_hit_maps_to_ecs_names() {
        let d = document(
            "EX01",
            &finding(vec![
                ("c-ip", "203.0.113.88"),
                ("cs-method", "POST"),
                ("cs-uri-stem", "/aspnet_client/system_web/zq7w.aspx"),
                ("sc-status", "200"),
                ("cs(User-Agent)", "antSword/v2.1"),
            ]),
        );
        assert_eq!(d["@timestamp"], "2021-03-04T22:11:02.000Z");
        assert_eq!(d["source"]["ip"], "203.0.113.88");
        assert_eq!(d["url"]["path"], "/aspnet_client/system_web/zq7w.aspx");
        assert_eq!(d["http"]["request"]["method"], "POST");
        assert_eq!(d["http"]["response"]["status_code"], 200);
        assert_eq!(d["user_agent"]["original"], "antSword/v2.1");
        assert_eq!(
            d["vulnerability"]["id"],
            json!(["CVE-2021-26855", "CVE-2021-27065"])
        );
        assert_eq!(d["event"]["severity"], 5);
        assert_eq!(d["event"]["kind"], "alert");
        assert_eq!(d["host"]["name"], "EX01");
        assert_eq!(d["exhunt"]["evidence"], "W3SVC1/u_ex210304.log:8");
        assert_eq!(d["log"]["offset"], 900);
        let line = serde_json::to_string(&d).unwrap();
        assert!(!line.contains('\n'), "one line: {line}");
    }

    #[test]
    fn what_is_not_an_address_or_a_number_is_never_forced_into_one() {
        let d = document(
            "EX01",
            &finding(vec![
                ("ClientIPAddress", "10.0.0.1,203.0.113.5"),
                ("HttpStatus", "-"),
            ]),
        );
        assert!(d["source"].get("ip").is_none());
        assert_eq!(d["source"]["address"], "10.0.0.1,203.0.113.5");
        assert!(d.get("http").is_none());
        let file = document(
            "EX01",
            &finding(vec![("Path", "inetpub/wwwroot/a.aspx"), ("SHA256", "ab12")]),
        );
        assert_eq!(file["file"]["path"], "inetpub/wwwroot/a.aspx");
        assert_eq!(file["file"]["hash"]["sha256"], "ab12");
    }
}
