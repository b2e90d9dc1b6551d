//! `rules/web.toml`: its file format, the compiled table, and the evaluation of a rule's conditions.

use super::super::Ctx;
use super::super::indicators::{INDICATORS, StockList, UaClass, is_public_ip};
use super::matcher::Matcher;
use super::request::Req;
use super::{INDICATOR_IPS_LITERAL, WEB_RULES_TOML};
use crate::model::{Class, Severity};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

// ---------------------------------------------------------------------------------------------
// The file format

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    shell_hunting: HuntSpec,
    rule: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HuntSpec {
    id: String,
    title: String,
    min: usize,
    why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    source: String,
    class: String,
    severity: String,
    literals: Vec<String>,
    why: String,
    #[serde(default)]
    refs: String,
    #[serde(default)]
    cve: String,
    #[serde(default)]
    overrides: bool,
    #[serde(default)]
    hunt: bool,
    #[serde(default)]
    when: CondSpec,
    #[serde(default)]
    case: Vec<CaseSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    #[serde(default)]
    when: CondSpec,
    class: Option<String>,
    severity: Option<String>,
    outcome: Option<String>,
    why: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CondSpec {
    method: Option<Vec<String>>,
    stem: Option<String>,
    stem_not: Option<String>,
    query: Option<String>,
    query_not: Option<String>,
    query_empty: Option<bool>,
    url: Option<String>,
    url_not: Option<String>,
    status: Option<Vec<u16>>,
    status_not: Option<Vec<u16>>,
    user_agent: Option<String>,
    user_agent_not: Option<String>,
    ua_class: Option<Vec<String>>,
    ua_class_not: Option<Vec<String>>,
    client_ip: Option<String>,
    user: Option<String>,
    user_not: Option<String>,
    site: Option<String>,
    not_stock: Option<String>,
    field: Option<BTreeMap<String, String>>,
    any: Option<Vec<CondSpec>>,
}

// ---------------------------------------------------------------------------------------------
// The compiled table

/// Which records a rule reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    Iis,
    HttpProxy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IpCond {
    Public,
    Private,
    Indicator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SiteCond {
    FrontEnd,
    BackEnd,
}

#[derive(Default)]
pub(super) struct Cond {
    method: Vec<String>,
    stem: Option<Regex>,
    stem_not: Option<Regex>,
    query: Option<Regex>,
    query_not: Option<Regex>,
    query_empty: Option<bool>,
    url: Option<Regex>,
    url_not: Option<Regex>,
    status: Vec<u16>,
    status_not: Vec<u16>,
    user_agent: Option<Regex>,
    user_agent_not: Option<Regex>,
    ua_class: Vec<UaClass>,
    ua_class_not: Vec<UaClass>,
    client_ip: Option<IpCond>,
    user: Option<Regex>,
    user_not: Option<Regex>,
    site: Option<SiteCond>,
    not_stock: Option<StockList>,
    field: Vec<(String, Regex)>,
    any: Vec<Cond>,
}

struct Case {
    when: Cond,
    class: Option<Class>,
    severity: Option<Severity>,
    outcome: Option<String>,
    why: Option<String>,
}

/// One rule of the table.
pub struct Rule {
    pub id: String,
    pub title: String,
    pub class: Class,
    pub severity: Severity,
    pub iis: bool,
    pub httpproxy: bool,
    pub literals: Vec<String>,
    pub why: String,
    pub refs: String,
    /// The CVE ids the rule's findings are about (its `cve` key; empty for none).
    pub cve: String,
    pub overrides: bool,
    pub hunt: bool,
    pub(super) when: Cond,
    cases: Vec<Case>,
}

/// The shell-hunting fold.
pub struct Hunt {
    pub id: String,
    pub title: String,
    pub min: usize,
    pub why: String,
}

/// The compiled rule table.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub hunt: Hunt,
    iis: Matcher,
    httpproxy: Matcher,
}

/// The embedded table, compiled once.
pub static RULES: LazyLock<RuleSet> = LazyLock::new(|| {
    RuleSet::parse(WEB_RULES_TOML)
        .unwrap_or_else(|e| panic!("rules/web.toml is invalid (a build with a broken table): {e}"))
});

fn regex(p: &Option<String>) -> Result<Option<Regex>, String> {
    p.as_deref()
        .map(|p| {
            RegexBuilder::new(p)
                .case_insensitive(true)
                .build()
                .map_err(|e| format!("bad regex {p:?}: {e}"))
        })
        .transpose()
}

fn ua_classes(v: &Option<Vec<String>>) -> Result<Vec<UaClass>, String> {
    v.iter()
        .flatten()
        .map(|c| UaClass::parse(c).ok_or_else(|| format!("unknown user-agent class {c:?}")))
        .collect()
}

impl Cond {
    fn compile(s: &CondSpec) -> Result<Cond, String> {
        Ok(Cond {
            method: s
                .method
                .iter()
                .flatten()
                .map(|m| m.to_ascii_uppercase())
                .collect(),
            stem: regex(&s.stem)?,
            stem_not: regex(&s.stem_not)?,
            query: regex(&s.query)?,
            query_not: regex(&s.query_not)?,
            query_empty: s.query_empty,
            url: regex(&s.url)?,
            url_not: regex(&s.url_not)?,
            status: s.status.clone().unwrap_or_default(),
            status_not: s.status_not.clone().unwrap_or_default(),
            user_agent: regex(&s.user_agent)?,
            user_agent_not: regex(&s.user_agent_not)?,
            ua_class: ua_classes(&s.ua_class)?,
            ua_class_not: ua_classes(&s.ua_class_not)?,
            client_ip: match s.client_ip.as_deref() {
                None => None,
                Some("public") => Some(IpCond::Public),
                Some("private") => Some(IpCond::Private),
                Some("indicator") => Some(IpCond::Indicator),
                Some(o) => {
                    return Err(format!("client_ip {o:?}: use public, private or indicator"));
                }
            },
            user: regex(&s.user)?,
            user_not: regex(&s.user_not)?,
            site: match s.site.as_deref() {
                None => None,
                Some("front-end") => Some(SiteCond::FrontEnd),
                Some("back-end") => Some(SiteCond::BackEnd),
                Some(o) => return Err(format!("site {o:?}: use front-end or back-end")),
            },
            not_stock: s
                .not_stock
                .as_deref()
                .map(|l| {
                    StockList::parse(l)
                        .ok_or_else(|| format!("not_stock {l:?}: use owa_auth or ecp_auth"))
                })
                .transpose()?,
            field: s
                .field
                .iter()
                .flatten()
                .map(|(k, v)| Ok((k.clone(), regex(&Some(v.clone()))?.expect("some"))))
                .collect::<Result<_, String>>()?,
            any: s
                .any
                .iter()
                .flatten()
                .map(Cond::compile)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether the record meets every condition (and one of `any`, when given).
    fn eval(&self, r: &Req<'_>, ctx: &Ctx) -> bool {
        let re = |rx: &Option<Regex>, v: &str| rx.as_ref().is_none_or(|x| x.is_match(v));
        let re_not = |rx: &Option<Regex>, v: &str| rx.as_ref().is_none_or(|x| !x.is_match(v));
        (self.method.is_empty()
            || self
                .method
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&r.method)))
            && (self.status.is_empty() || r.status.is_some_and(|s| self.status.contains(&s)))
            && (self.status_not.is_empty()
                || !r.status.is_some_and(|s| self.status_not.contains(&s)))
            && self.query_empty.is_none_or(|e| e == r.query.is_empty())
            && self
                .site
                .is_none_or(|s| (s == SiteCond::BackEnd) == r.backend)
            && re(&self.stem, &r.stem)
            && re_not(&self.stem_not, &r.stem)
            && re(&self.query, &r.query)
            && re_not(&self.query_not, &r.query)
            && (self.url.is_none() && self.url_not.is_none() || {
                let url = r.url();
                re(&self.url, url) && re_not(&self.url_not, url)
            })
            && (self.user_agent.is_none() && self.user_agent_not.is_none() || {
                let ua = r.ua_norm();
                re(&self.user_agent, ua) && re_not(&self.user_agent_not, ua)
            })
            && re(&self.user, &r.user)
            && re_not(&self.user_not, &r.user)
            && (self.ua_class.is_empty() || self.ua_class.iter().any(|c| r.ua().contains(*c)))
            && !self.ua_class_not.iter().any(|c| r.ua().contains(*c))
            && self.client_ip.is_none_or(|c| match c {
                IpCond::Public => is_public_ip(&r.c_ip),
                IpCond::Private => !r.c_ip.is_empty() && !is_public_ip(&r.c_ip),
                IpCond::Indicator => r.indicator_ip(ctx),
            })
            && self.not_stock.is_none_or(|l| {
                let name = r.stem.rsplit('/').next().unwrap_or_default();
                !name.is_empty() && !INDICATORS.is_stock(l, name)
            })
            && self
                .field
                .iter()
                .all(|(k, rx)| r.named(k).is_some_and(|v| rx.is_match(&v)))
            && (self.any.is_empty() || self.any.iter().any(|a| a.eval(r, ctx)))
    }

    pub(super) fn uses_indicator_ip(&self) -> bool {
        self.client_ip == Some(IpCond::Indicator)
    }
}

impl RuleSet {
    /// Parses and compiles a rule table.
    pub fn parse(text: &str) -> Result<RuleSet, String> {
        let spec: FileSpec = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut rules = Vec::with_capacity(spec.rule.len());
        for r in &spec.rule {
            let ctx = |e: String| format!("rule {}: {e}", r.id);
            if r.id.is_empty()
                || !r
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(format!(
                    "rule id {:?}: use lowercase letters, digits and -",
                    r.id
                ));
            }
            if rules.iter().any(|x: &Rule| x.id == r.id) || r.id == spec.shell_hunting.id {
                return Err(format!("rule id {} is used twice", r.id));
            }
            let (iis, httpproxy) = match r.source.as_str() {
                "iis" => (true, false),
                "httpproxy" => (false, true),
                "both" => (true, true),
                o => return Err(ctx(format!("source {o:?}: use iis, httpproxy or both"))),
            };
            let when = Cond::compile(&r.when).map_err(ctx)?;
            if r.literals.iter().any(|l| l == INDICATOR_IPS_LITERAL) && !when.uses_indicator_ip() {
                return Err(ctx(format!(
                    "{INDICATOR_IPS_LITERAL} needs when.client_ip = \"indicator\" (such lines are \
                     found by their address column, and every other line is tested too)"
                )));
            }
            if r.literals.is_empty() || r.literals.iter().any(|l| l.len() < 2) {
                return Err(ctx(
                    "needs at least one literal (of two characters or more) for the prefilter"
                        .into(),
                ));
            }
            rules.push(Rule {
                id: r.id.clone(),
                title: r.title.clone(),
                class: r.class.parse().map_err(ctx)?,
                severity: r.severity.parse().map_err(ctx)?,
                iis,
                httpproxy,
                literals: r.literals.clone(),
                why: r.why.trim().to_string(),
                refs: r.refs.clone(),
                cve: {
                    crate::model::check_cve(&r.cve).map_err(ctx)?;
                    r.cve.clone()
                },
                overrides: r.overrides,
                hunt: r.hunt,
                when,
                cases: r
                    .case
                    .iter()
                    .map(|c| {
                        Ok(Case {
                            when: Cond::compile(&c.when)?,
                            class: c.class.as_deref().map(str::parse).transpose()?,
                            severity: c.severity.as_deref().map(str::parse).transpose()?,
                            outcome: c.outcome.clone(),
                            why: c.why.as_ref().map(|w| w.trim().to_string()),
                        })
                    })
                    .collect::<Result<_, String>>()
                    .map_err(ctx)?,
            });
        }
        let iis = Matcher::build(&rules, Src::Iis)?;
        let httpproxy = Matcher::build(&rules, Src::HttpProxy)?;
        let h = spec.shell_hunting;
        Ok(RuleSet {
            rules,
            hunt: Hunt {
                id: h.id,
                title: h.title,
                min: h.min.max(2),
                why: h.why.trim().to_string(),
            },
            iis,
            httpproxy,
        })
    }

    pub(super) fn matcher(&self, src: Src) -> &Matcher {
        match src {
            Src::Iis => &self.iis,
            Src::HttpProxy => &self.httpproxy,
        }
    }

    /// The prefilter literals of a source.
    pub fn literals(&self, src: Src) -> &[String] {
        &self.matcher(src).literals
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Which rules may concern a raw log line (their literals occur in it, or they test the
    /// client address); `None` when no rule does.
    pub fn candidates(&self, src: Src, raw: &[u8]) -> Option<Vec<bool>> {
        self.matcher(src)
            .candidates(raw, self.rules.len())
            .filter(|f| f.contains(&true))
    }

    /// Whether some rule of `src` tests the client address against the indicators (so the scan
    /// must hand on lines by their address column).
    pub fn tests_addresses(&self, src: Src) -> bool {
        !self.matcher(src).by_address.is_empty()
    }

    /// Evaluates the candidate rules on one request, in table order.
    pub fn matches(&self, candidates: &[bool], req: &Req<'_>, ctx: &Ctx) -> Vec<Match<'_>> {
        let mut out = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if !candidates.get(i).copied().unwrap_or(false) || !rule.when.eval(req, ctx) {
                continue;
            }
            let case = rule.cases.iter().find(|c| c.when.eval(req, ctx));
            out.push(Match {
                rule,
                order: i,
                class: case.and_then(|c| c.class).unwrap_or(rule.class),
                severity: case.and_then(|c| c.severity).unwrap_or(rule.severity),
                outcome: case.and_then(|c| c.outcome.as_deref()),
                why: case.and_then(|c| c.why.as_deref()).unwrap_or(&rule.why),
            });
        }
        out
    }
}

/// One rule that matched one request, with the case that applied.
pub struct Match<'s> {
    pub rule: &'s Rule,
    order: usize,
    pub class: Class,
    pub severity: Severity,
    pub outcome: Option<&'s str>,
    pub why: &'s str,
}

/// The match that explains a line best: a matching scanner signature marked `overrides`, else the
/// highest class, then severity, then the earliest rule in the table.
pub fn best<'a, 's>(matches: &'a [Match<'s>]) -> Option<&'a Match<'s>> {
    matches.iter().find(|m| m.rule.overrides).or_else(|| {
        matches
            .iter()
            .max_by_key(|m| (m.class, m.severity, std::cmp::Reverse(m.order)))
    })
}
