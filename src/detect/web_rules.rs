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

use super::indicators::{INDICATORS, StockList, UaClass, is_public_ip, normalize_ua};
use super::{At, Check, CheckInfo, Ctx, FileFold, Record, rps_cat};
use crate::model::{Class, Evidence, Finding, Severity, Timestamp};
use crate::sources::SourceKind;
use crate::sources::httpproxy::{Col, Record as Hp};
use crate::sources::w3c::{self, F, W3cRecord};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind, Span, packed};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::LazyLock;

thread_local! {
    /// A candidate line in lower case, for [`Matcher::candidates`] (one buffer per thread).
    static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The embedded rule table.
pub const WEB_RULES_TOML: &str = crate::rules::WEB;

/// The literal that stands for every published indicator IP (`rules/ioc/ips.tsv`).
pub const INDICATOR_IPS_LITERAL: &str = "@indicator-ips";

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
struct Cond {
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
    when: Cond,
    cases: Vec<Case>,
}

/// The shell-hunting fold.
pub struct Hunt {
    pub id: String,
    pub title: String,
    pub min: usize,
    pub why: String,
}

/// Literal → rules, for one source.
#[derive(Clone)]
struct Matcher {
    /// The literals in lower case, searched with Teddy (SIMD) in a lower-cased copy of the line:
    /// aho-corasick builds no SIMD prefilter for an automaton that ignores case. `None` where
    /// Teddy is not available (no SSSE3).
    teddy: Option<packed::Searcher>,
    /// The same literals ignoring case, all matches walked byte by byte: the fallback.
    ac: AhoCorasick,
    /// Per pattern: the other patterns that are a prefix of it, ignoring case (see
    /// [`Matcher::candidates`]).
    prefixes: Vec<Vec<usize>>,
    /// Per pattern: the rules it selects.
    rules_of: Vec<Vec<usize>>,
    /// Every literal, for the scan prefilter.
    literals: Vec<String>,
    /// Rules that test whether the client address is an indicator: candidates on every line
    /// (the scan hands on lines by their client-address column, see
    /// [`crate::sources::address`]; the test itself is one set lookup).
    by_address: Vec<usize>,
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

    fn uses_indicator_ip(&self) -> bool {
        self.client_ip == Some(IpCond::Indicator)
    }
}

impl Matcher {
    fn build(rules: &[Rule], src: Src) -> Result<Matcher, String> {
        let mut literals: Vec<String> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        let mut by_address = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let reads = match src {
                Src::Iis => r.iis,
                Src::HttpProxy => r.httpproxy,
            };
            if !reads {
                continue;
            }
            if r.when.uses_indicator_ip() {
                by_address.push(i);
            }
            // `@indicator-ips` is not searched as text: such lines come by their address column.
            let lits = r.literals.iter().filter(|l| *l != INDICATOR_IPS_LITERAL);
            for l in lits.cloned() {
                let key = l.to_ascii_lowercase();
                match literals.iter().position(|x| x.to_ascii_lowercase() == key) {
                    Some(p) => rules_of[p].push(i),
                    None => {
                        literals.push(l);
                        rules_of.push(vec![i]);
                    }
                }
            }
        }
        let lower: Vec<String> = literals.iter().map(|l| l.to_ascii_lowercase()).collect();
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostLongest)
            .builder()
            .extend(&lower)
            .build();
        let prefixes = (0..lower.len())
            .map(|i| {
                (0..lower.len())
                    .filter(|&j| j != i && lower[i].starts_with(&lower[j]))
                    .collect()
            })
            .collect();
        // The fallback: a DFA walked byte by byte, without the rare-byte prefilter (its bytes
        // are everywhere in URLs).
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&literals)
            .map_err(|e| format!("literals: {e}"))?;
        Ok(Matcher {
            teddy,
            ac,
            prefixes,
            rules_of,
            literals,
            by_address,
        })
    }

    /// Which rules a raw line may concern (their literals occur in it, or they test the client
    /// address), as a flag per rule.
    fn candidates(&self, raw: &[u8], n: usize) -> Option<Vec<bool>> {
        let mut flags: Option<Vec<bool>> = None;
        if !self.by_address.is_empty() {
            let f = flags.insert(vec![false; n]);
            for &r in &self.by_address {
                f[r] = true;
            }
        }
        let mut select = |p: usize| {
            let f = flags.get_or_insert_with(|| vec![false; n]);
            for &r in &self.rules_of[p] {
                f[r] = true;
            }
        };
        let Some(teddy) = &self.teddy else {
            for m in self.ac.find_overlapping_iter(raw) {
                select(m.pattern().as_usize());
            }
            return flags;
        };
        // Every literal that occurs, without an overlapping search: from each position where
        // some literal starts, the longest one found there, and the literals that are its
        // prefixes (they are the others that start there); then on from the next byte.
        LOWER.with_borrow_mut(|low| {
            low.clear();
            low.extend(raw.iter().map(u8::to_ascii_lowercase));
            let mut at = 0;
            while let Some(m) = teddy.find_in(&low[..], Span::from(at..low.len())) {
                let p = m.pattern().as_usize();
                select(p);
                for &q in &self.prefixes[p] {
                    select(q);
                }
                at = m.start() + 1;
            }
        });
        flags
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

    fn matcher(&self, src: Src) -> &Matcher {
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

// ---------------------------------------------------------------------------------------------
// A request, from either source

/// The request fields rules test, from an IIS or an HttpProxy record.
pub struct Req<'r> {
    pub method: Cow<'r, str>,
    pub stem: Cow<'r, str>,
    /// Without Exchange's suffix (IIS) or the leading `?` (HttpProxy).
    pub query: Cow<'r, str>,
    pub status: Option<u16>,
    pub c_ip: Cow<'r, str>,
    pub user: Cow<'r, str>,
    pub backend: bool,
    /// The raw user agent; normalised and classified only when a rule asks (most lines are
    /// settled by method, status and path first).
    ua_raw: Cow<'r, str>,
    ua_norm: OnceCell<String>,
    ua: OnceCell<super::indicators::UaClasses>,
    /// `stem?query`, URL-decoded, computed when first asked for.
    url: OnceCell<String>,
    named: Named<'r>,
}

enum Named<'r> {
    Iis(&'r W3cRecord<'r>),
    Hp(&'r Hp<'r>),
}

impl<'r> Req<'r> {
    pub fn from_iis(r: &'r W3cRecord<'r>) -> Req<'r> {
        let port = r.value(F::ServerPort);
        Req {
            method: Cow::Borrowed(r.value(F::Method)),
            stem: Cow::Borrowed(r.stem()),
            query: Cow::Borrowed(r.query()),
            status: r.value(F::Status).parse().ok(),
            c_ip: Cow::Borrowed(r.value(F::ClientIp)),
            user: Cow::Borrowed(r.value(F::Username)),
            backend: r.site == "W3SVC2" || port == "444" || port == "81",
            // As logged (`+` for spaces): only ever read through `normalize_ua`.
            ua_raw: Cow::Borrowed(r.value(F::UserAgent)),
            ua_norm: OnceCell::new(),
            ua: OnceCell::new(),
            url: OnceCell::new(),
            named: Named::Iis(r),
        }
    }

    pub fn from_httpproxy(r: &'r Hp<'r>) -> Req<'r> {
        let query = match r.get(Col::UrlQuery) {
            Cow::Borrowed(q) => Cow::Borrowed(q.strip_prefix('?').unwrap_or(q)),
            Cow::Owned(q) => Cow::Owned(q.strip_prefix('?').unwrap_or(&q).to_string()),
        };
        Req {
            method: r.get(Col::Method),
            stem: r.get(Col::UrlStem),
            query,
            status: r.get(Col::HttpStatus).trim().parse().ok(),
            c_ip: r.get(Col::ClientIpAddress),
            user: r.get(Col::AuthenticatedUser),
            backend: false,
            ua_raw: r.get(Col::UserAgent),
            ua_norm: OnceCell::new(),
            ua: OnceCell::new(),
            url: OnceCell::new(),
            named: Named::Hp(r),
        }
    }

    /// The normalised user agent (see [`normalize_ua`]).
    pub fn ua_norm(&self) -> &str {
        self.ua_norm.get_or_init(|| normalize_ua(&self.ua_raw))
    }

    fn ua(&self) -> super::indicators::UaClasses {
        *self
            .ua
            .get_or_init(|| INDICATORS.ua_classes(self.ua_norm()))
    }

    /// `stem?query`, URL-decoded (repeatedly, at most three times).
    pub fn url(&self) -> &str {
        self.url.get_or_init(|| match &self.named {
            Named::Iis(r) => w3c::url_decode(&r.url(), 3),
            Named::Hp(_) if self.query.is_empty() => w3c::url_decode(&self.stem, 3),
            Named::Hp(_) => w3c::url_decode(&format!("{}?{}", self.stem, self.query), 3),
        })
    }

    fn named(&self, name: &str) -> Option<Cow<'_, str>> {
        match &self.named {
            Named::Iis(r) => r.get_named(name).map(Cow::Borrowed),
            Named::Hp(r) => r.get_named(name),
        }
    }

    fn indicator_ip(&self, ctx: &Ctx) -> bool {
        INDICATORS.ip(&self.c_ip).is_some() || ctx.extra_ips.holds(self.c_ip.as_bytes())
    }
}

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
        let req = Req::from_iis(r);
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
        let req = Req::from_httpproxy(r);
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
    Finding {
        check: info.id,
        rule: m.rule.id.as_str(),
        cve: m.rule.cve.as_str(),
        title,
        class: m.class,
        severity: m.severity,
        time,
        source: Evidence {
            path: at.path.to_string(),
            line: at.line,
            offset: at.offset,
            record_id: at.record_id,
        },
        raw: Finding::raw_text(at.raw),
        fields: std::mem::take(fields).into(),
        why: m.why.to_string(),
    }
}

/// A webshell probe: the scanner outcome of a `hunt` rule, folded at the end of its file.
fn is_probe(f: &Finding, set: &RuleSet) -> bool {
    f.check == IIS_ID && f.class == Class::Scanner && set.rule(f.rule).is_some_and(|r| r.hunt)
}

/// Folds, per client address, the webshell probes (scanner outcomes of `hunt` rules) of one
/// file into one shell-hunting finding when there are at least `min` of them: the whole fold at
/// once, for tests (the scan folds as it reads, with [`HuntFold`]).
#[cfg(test)]
pub fn fold_shell_hunting(findings: &mut Vec<Finding>, set: &'static RuleSet) {
    let mut fold = Box::new(HuntFold::new(set));
    fold.take(findings);
    fold.finish(findings);
}

/// The shell-hunting fold of one file ([`fold_shell_hunting`]), kept as the file is read: an
/// address's first probes are held whole until it reaches `min`; from then on each probe only
/// adds to its tally. Memory grows with the addresses and distinct paths, not with the probes.
pub struct HuntFold {
    set: &'static RuleSet,
    by_ip: BTreeMap<String, Probes>,
}

enum Probes {
    /// Fewer than `min` probes so far.
    Held(Vec<Finding>),
    Folding(Box<Tally>),
}

/// What the folded finding says about one address's probes, in file order.
struct Tally {
    requests: usize,
    /// The earliest probe (by time, then line): the folded finding's evidence.
    first: Finding,
    last: Option<Timestamp>,
    /// Distinct paths in order of appearance.
    paths: Vec<String>,
    seen_paths: std::collections::HashSet<String>,
    statuses: BTreeMap<String, usize>,
    agents: Vec<String>,
    /// The first lines (at most [`HUNT_LINES`]).
    lines: Vec<u64>,
}

/// Lines a shell-hunting finding lists.
const HUNT_LINES: usize = 50;

impl Tally {
    fn new(first: Finding) -> Tally {
        let mut t = Tally {
            requests: 0,
            last: None,
            paths: Vec::new(),
            seen_paths: Default::default(),
            statuses: BTreeMap::new(),
            agents: Vec::new(),
            lines: Vec::new(),
            first: first.clone(),
        };
        t.add(first);
        t
    }

    fn add(&mut self, f: Finding) {
        self.requests += 1;
        self.last = self.last.max(f.time);
        let p = f.field("cs-uri-stem").unwrap_or_default();
        if !self.seen_paths.contains(p) {
            self.seen_paths.insert(p.to_string());
            self.paths.push(p.to_string());
        }
        *self
            .statuses
            .entry(f.field("sc-status").unwrap_or("-").to_string())
            .or_default() += 1;
        let a = f.field("cs(User-Agent)").unwrap_or_default();
        if !self.agents.iter().any(|x| x == a) {
            self.agents.push(a.to_string());
        }
        if let Some(l) = f.source.line
            && self.lines.len() < HUNT_LINES
        {
            self.lines.push(l);
        }
        if (f.time, f.source.line) < (self.first.time, self.first.source.line) {
            self.first = f;
        }
    }

    fn finding(self, ip: String, set: &'static RuleSet) -> Finding {
        let cap = |v: &[String], n: usize| {
            let mut s = v.iter().take(n).cloned().collect::<Vec<_>>().join(",");
            if v.len() > n {
                s.push_str(&format!(",… ({} more)", v.len() - n));
            }
            s
        };
        let lines: Vec<String> = self.lines.iter().map(u64::to_string).collect();
        let mut fields = vec![
            ("c-ip".to_string(), ip.clone()),
            ("requests".to_string(), self.requests.to_string()),
            ("distinct-paths".to_string(), self.paths.len().to_string()),
            (
                "statuses".to_string(),
                self.statuses
                    .iter()
                    .map(|(s, n)| format!("{s}:{n}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("paths".to_string(), cap(&self.paths, 20)),
            ("cs(User-Agent)".to_string(), cap(&self.agents, 5)),
            ("lines".to_string(), lines.join(",")),
        ];
        if let Some(l) = self.last {
            fields.push(("last".to_string(), l.to_string()));
        }
        if let Some(s) = self.first.field("site") {
            fields.push(("site".to_string(), s.to_string()));
        }
        Finding {
            check: IIS_ID,
            rule: set.hunt.id.as_str(),
            cve: "",
            title: format!(
                "{}: {} probes for {} webshell paths from {ip}",
                set.hunt.title,
                self.requests,
                self.paths.len()
            ),
            class: Class::Scanner,
            severity: Severity::Low,
            time: self.first.time,
            source: self.first.source,
            raw: self.first.raw,
            fields: fields.into(),
            why: set.hunt.why.clone(),
        }
    }
}

impl HuntFold {
    pub fn new(set: &'static RuleSet) -> HuntFold {
        HuntFold {
            set,
            by_ip: BTreeMap::new(),
        }
    }
}

impl FileFold for HuntFold {
    fn take(&mut self, findings: &mut Vec<Finding>) {
        if !findings.iter().any(|f| is_probe(f, self.set)) {
            return;
        }
        let min = self.set.hunt.min;
        for f in std::mem::take(findings) {
            if !is_probe(&f, self.set) {
                findings.push(f);
                continue;
            }
            let ip = f.field("c-ip").unwrap_or_default().to_string();
            let hunt = self
                .by_ip
                .entry(ip)
                .or_insert_with(|| Probes::Held(Vec::new()));
            match hunt {
                Probes::Folding(t) => t.add(f),
                Probes::Held(held) => {
                    held.push(f);
                    if held.len() >= min {
                        let mut probes = std::mem::take(held).into_iter();
                        let mut t = Tally::new(probes.next().expect("at least min probes"));
                        probes.for_each(|p| t.add(p));
                        *hunt = Probes::Folding(Box::new(t));
                    }
                }
            }
        }
    }

    fn finish(self: Box<Self>, findings: &mut Vec<Finding>) {
        let mut folded = Vec::new();
        for (ip, hunt) in self.by_ip {
            match hunt {
                Probes::Held(probes) => findings.extend(probes),
                Probes::Folding(t) => folded.push(t.finding(ip, self.set)),
            }
        }
        findings.extend(folded);
    }
}

#[cfg(test)]
#[path = "web_rules_tests.rs"]
mod tests;
