//! Web request rules as data: `rules/web.toml` (embedded at build time) holds one table per rule
//! (id, title, class, severity, source, prefilter literals, conditions on request fields, and
//! status-dependent outcomes). This module evaluates that table on IIS W3C records (check
//! `iis-web`) and on HttpProxy records (check `httpproxy-web`).
//!
//! Per record, only the rules whose literals occur in the raw line are evaluated, and at most one
//! finding is made: the rule that explains the line best (a matching scanner rule marked
//! `overrides`, else the highest class, then severity, then table order); every matching rule id
//! is listed in the finding's `rules` field. Webshell probes (scanner outcomes of rules marked
//! `hunt`) from one address are folded per file into one shell-hunting finding.

//!
//! The parts: [`table`] reads and compiles `rules/web.toml` and evaluates a rule's conditions,
//! [`matcher`] finds which rules a line's literals select, [`request`] is the request view the
//! conditions test (from an IIS or an HttpProxy record), [`hunt`] folds webshell probes; this
//! module holds the two checks.

mod hunt;
mod matcher;
mod request;
mod table;

use crate::sources::request::Request;
pub use hunt::HuntFold;
#[cfg(test)]
pub use hunt::fold_shell_hunting;
pub use request::Req;
pub use table::{Match, RULES, Rule, RuleSet, Src, best};

use super::indicators::INDICATORS;
use super::{At, Check, CheckInfo, Ctx, Draft, FileFold, Record, rps_cat};
use crate::model::{Finding, Timestamp};
use crate::sources::SourceKind;
use crate::sources::httpproxy::Col;
use crate::sources::w3c::{self, F, W3cRecord};
use std::sync::LazyLock;

/// The embedded rule table.
pub const WEB_RULES_TOML: &str = crate::rules::WEB;

/// The literal that stands for every published indicator IP (`rules/ioc/ips.tsv`).
pub const INDICATOR_IPS_LITERAL: &str = "@indicator-ips";

// ---------------------------------------------------------------------------------------------
// The two checks

/// IIS W3C logs against the rule table.
pub struct IisWeb;
/// HttpProxy logs against the rule table (the rules whose source is `httpproxy` or `both`).
pub struct HttpProxyWeb;

pub const IIS_ID: &str = "iis-web";
pub const HTTPPROXY_ID: &str = "httpproxy-web";

static IIS_LITERALS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    RULES
        .literals(Src::Iis)
        .iter()
        .map(String::as_str)
        .collect()
});
static HTTPPROXY_LITERALS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    RULES
        .literals(Src::HttpProxy)
        .iter()
        .map(String::as_str)
        .collect()
});
static IIS_LITERALS_BY_SOURCE: LazyLock<[(SourceKind, &'static [&'static str]); 1]> =
    LazyLock::new(|| [(SourceKind::IisW3c, IIS_LITERALS.as_slice())]);
static HTTPPROXY_LITERALS_BY_SOURCE: LazyLock<[(SourceKind, &'static [&'static str]); 1]> =
    LazyLock::new(|| [(SourceKind::HttpProxy, HTTPPROXY_LITERALS.as_slice())]);

pub static IIS_INFO: LazyLock<CheckInfo> = LazyLock::new(|| CheckInfo {
    id: IIS_ID,
    cve: "",
    title: "IIS request patterns: ProxyLogon/ProxyShell/ProxyNotShell/OWASSRF shapes, webshell access (rules/web.toml)",
    sources: &[SourceKind::IisW3c],
    coverage: &["IIS/"],
    literals: IIS_LITERALS_BY_SOURCE.as_slice(),
    client_addresses: RULES.tests_addresses(Src::Iis),
    // IIS logs are often rotated away or not collected, and Test-ProxyLogon never read them:
    // their gaps are shown on this check but do not make a server inconclusive.
    required: false,
});

pub static HTTPPROXY_INFO: LazyLock<CheckInfo> = LazyLock::new(|| CheckInfo {
    id: HTTPPROXY_ID,
    cve: "",
    title: "HttpProxy request patterns: ProxyShell/ProxyNotShell/OWASSRF, indicator addresses (rules/web.toml)",
    sources: &[SourceKind::HttpProxy],
    coverage: &["HttpProxy/"],
    literals: HTTPPROXY_LITERALS_BY_SOURCE.as_slice(),
    client_addresses: RULES.tests_addresses(Src::HttpProxy),
    // Reads the same logs as cve-2021-26855: its gaps are that check's gaps.
    required: true,
});

impl Check for IisWeb {
    fn info(&self) -> &'static CheckInfo {
        &IIS_INFO
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, ctx: &Ctx, out: &mut Vec<Finding>) {
        let Record::Iis(r) = rec else { return };
        let set: &'static RuleSet = &RULES;
        let Some(cands) = set.candidates(Src::Iis, at.raw) else {
            return;
        };
        let req = Req::new(Request::from_iis(r));
        let matches = set.matches(&cands, &req, ctx);
        let Some(m) = best(&matches) else { return };
        let mut fields = iis_fields(r);
        let time = Timestamp::parse_leading(r.date_time().as_bytes());
        out.push(finding(&IIS_INFO, m, &matches, &req, &mut fields, time, at));
    }

    fn fold_file(&self) -> Option<Box<dyn FileFold>> {
        Some(Box::new(HuntFold::new(&RULES)))
    }
}

impl Check for HttpProxyWeb {
    fn info(&self) -> &'static CheckInfo {
        &HTTPPROXY_INFO
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, ctx: &Ctx, out: &mut Vec<Finding>) {
        let Record::HttpProxy(r) = rec else { return };
        let set: &'static RuleSet = &RULES;
        let Some(cands) = set.candidates(Src::HttpProxy, at.raw) else {
            return;
        };
        let req = Req::new(Request::from_httpproxy(r));
        let matches = set.matches(&cands, &req, ctx);
        let Some(m) = best(&matches) else { return };
        let mut fields = super::cve_2021_26855::httpproxy_fields(r);
        let time = r.bytes(Col::DateTime).and_then(Timestamp::parse_leading);
        out.push(finding(
            &HTTPPROXY_INFO,
            m,
            &matches,
            &req,
            &mut fields,
            time,
            at,
        ));
    }

    fn fold_file(&self) -> Option<Box<dyn FileFold>> {
        Some(Box::new(HuntFold::new(&RULES)))
    }
}

/// The W3C fields every IIS finding carries, as logged (`-` as empty, the user agent raw).
pub fn iis_fields(r: &W3cRecord<'_>) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("date", F::Date),
        ("time", F::Time),
        ("c-ip", F::ClientIp),
        ("cs-method", F::Method),
        ("cs-uri-stem", F::UriStem),
        ("cs-uri-query", F::UriQuery),
        ("sc-status", F::Status),
        ("cs(User-Agent)", F::UserAgent),
        ("cs-username", F::Username),
        ("s-port", F::ServerPort),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), r.value(*c).to_string()))
    .collect();
    let role = w3c::site_role(r.site);
    f.push((
        "site".into(),
        if role.is_empty() {
            r.site.to_string()
        } else {
            format!("{} ({role})", r.site)
        },
    ));
    for (n, c) in [
        ("s-ip", F::ServerIp),
        ("cs-host", F::Host),
        ("cs(Cookie)", F::Cookie),
    ] {
        let v = r.value(c);
        if !v.is_empty() {
            f.push((n.into(), v.to_string()));
        }
    }
    if let Some(v) = r.get_named("X-Forwarded-For").filter(|v| !v.is_empty()) {
        f.push(("X-Forwarded-For".into(), v.to_string()));
    }
    f
}

fn finding(
    info: &'static CheckInfo,
    m: &Match<'static>,
    all: &[Match<'static>],
    req: &Req<'_>,
    fields: &mut Vec<(String, String)>,
    time: Option<Timestamp>,
    at: &At<'_>,
) -> Finding {
    let status = req
        .status
        .map_or_else(|| "-".to_string(), |s| s.to_string());
    let title = match m.outcome {
        Some(o) => format!(
            "{}: {} {} (status {status}; {o})",
            m.rule.title, req.method, req.stem
        ),
        None => format!(
            "{}: {} {} (status {status})",
            m.rule.title, req.method, req.stem
        ),
    };
    fields.push(("url-decoded".into(), req.url().to_string()));
    fields.push((
        "rules".into(),
        all.iter()
            .map(|x| x.rule.id.as_str())
            .collect::<Vec<_>>()
            .join(","),
    ));
    if let Some(o) = m.outcome {
        fields.push(("outcome".into(), o.to_string()));
    }
    if let Some(ind) = INDICATORS.ip(&req.c_ip) {
        fields.push((
            "indicator-ip".into(),
            format!("{} ({})", ind.note, ind.sources.join(", ")),
        ));
    }
    if let Some(tok) = rps_cat::find_in(req.url()).and_then(rps_cat::decode) {
        for (k, v) in [
            ("X-Rps-CAT-LogonName", tok.logon_name),
            ("X-Rps-CAT-UserSid", tok.user_sid),
            ("X-Rps-CAT-AuthType", tok.auth_type),
            ("X-Rps-CAT-TokenType", tok.token_type),
        ] {
            if let Some(v) = v {
                fields.push((k.into(), v));
            }
        }
        if !tok.groups.is_empty() {
            fields.push(("X-Rps-CAT-Groups".into(), tok.groups.join(",")));
        }
    }
    if !m.rule.refs.is_empty() {
        fields.push(("refs".into(), m.rule.refs.clone()));
    }
    Draft {
        rule: m.rule.id.as_str(),
        cve: m.rule.cve.as_str(),
        title,
        class: m.class,
        severity: m.severity,
        time,
        fields: std::mem::take(fields),
        why: m.why.to_string(),
    }
    .at(info, at)
}

#[cfg(test)]
mod tests;
