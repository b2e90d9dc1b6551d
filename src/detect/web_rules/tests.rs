//! Table-driven tests of `rules/web.toml`: for every rule a positive line, a look-alike that
//! must stay quiet, and a malformed line, each run the way the scan runs it (prefilter, parse,
//! rule table).

use super::hunt::{Probes, is_probe};
use super::matcher::Matcher;
use super::table::RuleSet;
use super::*;
use crate::model::{Class, Severity};
use crate::sources::address::Addr;
use crate::sources::httpproxy::Header;
use crate::sources::httpproxy::Record as Hp;
use crate::sources::lines;
use crate::sources::w3c::Fields;

const SFX: &str = "&CorrelationID=<empty>;&cafeReqId=0b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab;";
const CHROME: &str = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0.4324.150+Safari/537.36";
const YANDEX: &str = "Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots)";
const ATK: &str = "203.0.113.57";

/// A front-end IIS line with the 15 default fields.
fn l(method: &str, stem: &str, query: &str, ua: &str, status: u16) -> String {
    lf(ATK, "443", "-", method, stem, query, ua, status)
}

#[allow(clippy::too_many_arguments)]
fn lf(
    ip: &str,
    port: &str,
    user: &str,
    method: &str,
    stem: &str,
    query: &str,
    ua: &str,
    status: u16,
) -> String {
    format!(
        "2021-03-04 22:10:45 10.20.0.15 {method} {stem} {query} {port} {user} {ip} {ua} - {status} 0 0 96"
    )
}

/// The same line with its `s-ip` value dropped: every later value shifts one field left.
fn shifted(line: &str) -> String {
    let mut t: Vec<&str> = line.split(' ').collect();
    t.remove(2);
    t.join(" ")
}

static IIS_PRE: LazyLock<lines::Prefilter> =
    LazyLock::new(|| lines::prefilter(IIS_INFO.literals_for(SourceKind::IisW3c)));
static HP_PRE: LazyLock<lines::Prefilter> =
    LazyLock::new(|| lines::prefilter(HTTPPROXY_INFO.literals_for(SourceKind::HttpProxy)));

fn iis_ctx(line: &str, site: &str, fields: &Fields, ctx: &Ctx) -> Vec<Finding> {
    let rec = W3cRecord::parse(fields, line.as_bytes(), site);
    let at = At {
        path: "u_ex210304.log",
        line: Some(7),
        offset: Some(100),
        record_id: None,
        raw: line.as_bytes(),
        protocol: None,
    };
    let mut out = Vec::new();
    IisWeb.inspect(&Record::Iis(&rec), &at, ctx, &mut out);
    // What the scan lets through: a literal, or an indicator in the client-address column.
    let mut addresses = INDICATORS.addresses();
    addresses.extend(&ctx.extra_ips);
    let by_address = match fields.address_column().address(line.as_bytes()) {
        Addr::Value(v) => addresses.holds(v),
        Addr::Absent => false,
        Addr::Unsure => true,
    };
    assert!(
        out.is_empty() || IIS_PRE.is_match(line.as_bytes()) || by_address,
        "a finding the scan's prefilter would never let through: {line}"
    );
    out
}

fn iis(line: &str) -> Vec<Finding> {
    iis_ctx(line, "W3SVC1", &Fields::default_iis(), &Ctx::default())
}

fn iis_back(line: &str) -> Vec<Finding> {
    iis_ctx(line, "W3SVC2", &Fields::default_iis(), &Ctx::default())
}

const HP_FIELDS: &str = "DateTime,RequestId,Protocol,UrlStem,UrlQuery,AuthenticationType,IsAuthenticated,AuthenticatedUser,UserAgent,ClientIpAddress,HttpStatus,Method,GenericInfo";

/// An HttpProxy line over [`HP_FIELDS`].
#[allow(clippy::too_many_arguments)]
fn hp_line(
    proto: &str,
    stem: &str,
    query: &str,
    auth: &str,
    ua: &str,
    status: &str,
    method: &str,
    gi: &str,
) -> String {
    format!(
        "2022-10-01T10:00:00.000Z,r1,{proto},{stem},{query},{auth},{},,{ua},{ATK},{status},{method},{gi}",
        if auth.is_empty() { "false" } else { "true" }
    )
}

fn hp(line: &str) -> Vec<Finding> {
    let h = Header::parse(HP_FIELDS.as_bytes()).unwrap();
    let Some(r) = Hp::parse(&h, line.as_bytes()) else {
        return Vec::new();
    };
    let at = At {
        path: "HttpProxy_2022100110-1.LOG",
        line: Some(9),
        offset: Some(0),
        record_id: None,
        raw: line.as_bytes(),
        protocol: None,
    };
    let mut out = Vec::new();
    HttpProxyWeb.inspect(&Record::HttpProxy(&r), &at, &Ctx::default(), &mut out);
    let by_address = match h.address_column().address(line.as_bytes()) {
        Addr::Value(v) => INDICATORS.addresses().holds(v),
        Addr::Absent => false,
        Addr::Unsure => true,
    };
    assert!(
        out.is_empty() || HP_PRE.is_match(line.as_bytes()) || by_address,
        "prefilter would drop: {line}"
    );
    out
}

/// The one finding of a line, which must be `rule` with `class`.
#[track_caller]
fn expect(out: &[Finding], rule: &str, class: Class, severity: Severity) -> Finding {
    assert_eq!(
        out.len(),
        1,
        "expected one finding of {rule}, got {:?}",
        out.iter().map(|f| f.rule).collect::<Vec<_>>()
    );
    let f = &out[0];
    assert_eq!(
        (f.rule, f.class, f.severity),
        (rule, class, severity),
        "{}",
        f.title
    );
    f.clone()
}

/// No finding names `rule` (as winner or among the matching rules).
#[track_caller]
fn quiet(out: &[Finding], rule: &str) {
    for f in out {
        assert_ne!(f.rule, rule, "{}", f.title);
        assert!(
            !f.field("rules")
                .unwrap_or_default()
                .split(',')
                .any(|r| r == rule),
            "{rule} matched: {}",
            f.title
        );
    }
}

#[test]
fn the_embedded_table_compiles_and_every_rule_is_tested() {
    let set = &*RULES;
    assert!(set.rules.len() >= 25);
    let me = include_str!("tests.rs");
    for r in &set.rules {
        assert!(
            me.contains(&format!("\"{}\"", r.id)),
            "rule {} has no test",
            r.id
        );
        assert!(!r.why.is_empty() && !r.title.is_empty(), "{}", r.id);
    }
    assert!(
        IIS_INFO
            .literals_for(SourceKind::IisW3c)
            .contains(&"/aspnet_client/")
    );
    assert!(
        !IIS_INFO
            .literals_for(SourceKind::IisW3c)
            .iter()
            .chain(HTTPPROXY_INFO.literals_for(SourceKind::HttpProxy))
            .any(|l| l.contains("103.77.192.219") || *l == INDICATOR_IPS_LITERAL),
        "indicator IPs are not searched as text"
    );
    assert!(
        IIS_INFO.client_addresses && HTTPPROXY_INFO.client_addresses,
        "lines come by their client-address column instead"
    );
    assert!(
        !HTTPPROXY_INFO
            .literals_for(SourceKind::HttpProxy)
            .contains(&"/aspnet_client/"),
        "IIS-only literals stay out of HttpProxy"
    );
}

#[test]
fn malformed_tables_are_rejected_with_the_rule_named() {
    let head = "[shell_hunting]\nid = \"h\"\ntitle = \"t\"\nmin = 5\nwhy = \"w\"\n";
    let rule = |body: &str| {
        format!(
            "{head}[[rule]]\nid = \"r-1\"\nsource = \"iis\"\nclass = \"attempt\"\nseverity = \"low\"\ntitle = \"t\"\nwhy = \"w\"\nliterals = [\"ab\"]\n{body}"
        )
    };
    assert!(RuleSet::parse(&rule("")).is_ok());
    for (body, needle) in [
        ("when.stem = '('", "r-1"),
        ("when.bogus = 1", "bogus"),
        ("when.ua_class = [\"nope\"]", "nope"),
        ("when.client_ip = \"somewhere\"", "client_ip"),
        ("when.not_stock = \"x\"", "not_stock"),
        ("[[rule.case]]\nclass = \"pwned\"", "pwned"),
    ] {
        let e = RuleSet::parse(&rule(body))
            .err()
            .unwrap_or_else(|| panic!("{body} accepted"));
        assert!(e.contains(needle), "{body}: {e}");
    }
    assert!(RuleSet::parse(&rule("").replace("literals = [\"ab\"]", "literals = []")).is_err());
    assert!(RuleSet::parse(&rule("").replace("\"iis\"", "\"smtp\"")).is_err());
    // `@indicator-ips` is found by the address column, so the rule must test that column
    let ips = rule("").replace("[\"ab\"]", "[\"@indicator-ips\"]");
    let e = RuleSet::parse(&ips).err().unwrap_or_default();
    assert!(e.contains("r-1") && e.contains("client_ip"), "{e}");
    assert!(RuleSet::parse(&format!("{ips}when.client_ip = \"indicator\"\n")).is_ok());
    assert!(RuleSet::parse(&rule("").replace("r-1", "R 1")).is_err());
    assert!(RuleSet::parse("not toml [").is_err());
}

// ----------------------------------------------------------------------------------------------
// ProxyLogon

#[test]
fn proxylogon_static_post() {
    let pos = l(
        "POST",
        "/owa/auth/Current/themes/resources/logon.css",
        SFX,
        YANDEX,
        200,
    );
    let f = expect(
        &iis(&pos),
        "iis-proxylogon-static-post",
        Class::Attempt,
        Severity::High,
    );
    assert!(
        f.field("rules")
            .unwrap()
            .contains("iis-proxylogon-crawler-post")
    );
    assert_eq!(f.field("cs-uri-query"), Some(SFX), "as logged");
    assert_eq!(
        f.field("url-decoded"),
        Some("/owa/auth/Current/themes/resources/logon.css")
    );
    let p241 = l(
        "POST",
        "/owa/auth/Current/themes/resources/SegoeUI-SemiLight.ttf",
        SFX,
        "python-requests/2.25.1",
        241,
    );
    expect(
        &iis(&p241),
        "iis-proxylogon-static-post",
        Class::Exploitation,
        Severity::Critical,
    );
    // a browser loading the logon page's stylesheet, and a POST to another resource
    quiet(
        &iis(&l(
            "GET",
            "/owa/auth/Current/themes/resources/logon.css",
            SFX,
            CHROME,
            200,
        )),
        "iis-proxylogon-static-post",
    );
    quiet(
        &iis(&l(
            "POST",
            "/owa/auth/Current/themes/resources/logon.css.map",
            SFX,
            CHROME,
            200,
        )),
        "iis-proxylogon-static-post",
    );
    quiet(&iis(&shifted(&pos)), "iis-proxylogon-static-post");
}

#[test]
fn proxylogon_current_post() {
    let pos = l(
        "POST",
        "/owa/auth/Current/",
        SFX,
        "python-requests/2.25.1",
        200,
    );
    expect(
        &iis(&pos),
        "iis-proxylogon-current-post",
        Class::Attempt,
        Severity::High,
    );
    quiet(
        &iis(&l("GET", "/owa/auth/Current/", SFX, CHROME, 200)),
        "iis-proxylogon-current-post",
    );
    quiet(
        &iis(&l(
            "POST",
            "/owa/auth/Current/scripts/x.css",
            SFX,
            CHROME,
            200,
        )),
        "iis-proxylogon-current-post",
    );
    quiet(&iis(&shifted(&pos)), "iis-proxylogon-current-post");
}

#[test]
fn proxylogon_ecp_short_js_and_241() {
    let pos = l("POST", "/ecp/q.js", SFX, "python-requests/2.25.1", 241);
    let f = expect(
        &iis(&pos),
        "iis-proxylogon-ecp-short-js",
        Class::Exploitation,
        Severity::Critical,
    );
    let rules = f.field("rules").unwrap();
    assert!(
        rules.contains("iis-ecp-status-241") && rules.contains("iis-exploit-tool-ecp-post"),
        "{rules}"
    );
    assert_eq!(f.field("outcome"), Some("ECP session obtained (241)"));
    expect(
        &iis(&l("POST", "/ecp/Ab1.js", SFX, CHROME, 200)),
        "iis-proxylogon-ecp-short-js",
        Class::Attempt,
        Severity::High,
    );
    expect(
        &iis(&l("GET", "/ecp/y.js", SFX, CHROME, 200)),
        "iis-proxylogon-ecp-short-js",
        Class::Attempt,
        Severity::Medium,
    );
    // versioned ECP scripts and longer names are normal
    quiet(
        &iis(&l("GET", "/ecp/15.1.2106/scripts/abc.js", SFX, CHROME, 200)),
        "iis-proxylogon-ecp-short-js",
    );
    quiet(
        &iis(&l("POST", "/ecp/abcd.js", SFX, CHROME, 200)),
        "iis-proxylogon-ecp-short-js",
    );
    quiet(&iis(&shifted(&pos)), "iis-proxylogon-ecp-short-js");
}

#[test]
fn ecp_status_241() {
    let pos = lf(
        "10.20.0.15",
        "444",
        "-",
        "POST",
        "/ecp/proxyLogon.ecp",
        SFX,
        "python-requests/2.25.1",
        241,
    );
    let f = expect(
        &iis_back(&pos),
        "iis-ecp-status-241",
        Class::Exploitation,
        Severity::Critical,
    );
    assert_eq!(f.field("site"), Some("W3SVC2 (back end)"));
    // 241 as time-taken, or on another application
    let tt =
        "2021-02-11 04:29:44 10.20.0.15 GET /ecp/Default.aspx - 443 - 198.51.100.4 x - 200 0 0 241";
    quiet(&iis(tt), "iis-ecp-status-241");
    quiet(
        &iis(&l("GET", "/owa/", SFX, CHROME, 241)),
        "iis-ecp-status-241",
    );
    quiet(&iis(&shifted(&pos)), "iis-ecp-status-241");
}

#[test]
fn proxylogon_ecp_flt_css() {
    let pos = l(
        "POST",
        "/ecp/default.flt",
        SFX,
        "python-requests/2.25.1",
        200,
    );
    expect(
        &iis(&pos),
        "iis-proxylogon-ecp-flt-css",
        Class::Attempt,
        Severity::High,
    );
    expect(
        &iis(&l("POST", "/ecp/main.css", SFX, CHROME, 241)),
        "iis-proxylogon-ecp-flt-css",
        Class::Exploitation,
        Severity::Critical,
    );
    quiet(
        &iis(&l("GET", "/ecp/main.css", SFX, CHROME, 200)),
        "iis-proxylogon-ecp-flt-css",
    );
    quiet(&iis(&shifted(&pos)), "iis-proxylogon-ecp-flt-css");
}

#[test]
fn proxylogon_auth_js() {
    let pos = l("POST", "/owa/auth/x.js", SFX, "python-requests/2.25.1", 200);
    expect(
        &iis(&pos),
        "iis-proxylogon-auth-js",
        Class::Attempt,
        Severity::High,
    );
    expect(
        &iis(&l("GET", "/ecp/auth/w.js", SFX, CHROME, 200)),
        "iis-proxylogon-auth-js",
        Class::Attempt,
        Severity::Medium,
    );
    quiet(
        &iis(&l(
            "GET",
            "/owa/auth/15.1.2106/scripts/x.js",
            SFX,
            CHROME,
            200,
        )),
        "iis-proxylogon-auth-js",
    );
    quiet(&iis(&shifted(&pos)), "iis-proxylogon-auth-js");
}

#[test]
fn proxylogon_script_stem_from_the_internet() {
    let pos = l("GET", "/ecp/abcdefgh.css", SFX, CHROME, 200);
    expect(
        &iis(&pos),
        "iis-proxylogon-script-stem",
        Class::Attempt,
        Severity::Medium,
    );
    let private = lf(
        "10.20.0.40",
        "443",
        "-",
        "GET",
        "/ecp/abcdefgh.css",
        SFX,
        CHROME,
        200,
    );
    quiet(&iis(&private), "iis-proxylogon-script-stem");
    quiet(
        &iis(&l("GET", "/ecp/15.1.2106/themes/a.css", SFX, CHROME, 200)),
        "iis-proxylogon-script-stem",
    );
    quiet(&iis(&shifted(&pos)), "iis-proxylogon-script-stem");
}

#[test]
fn proxylogon_ddi_reset_vdir() {
    let q = "schema=ResetOABVirtualDirectory&msExchEcpCanary=VGVzdA&CorrelationID=<empty>;&cafeReqId=0b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab;";
    let machine = lf(
        "10.20.0.15",
        "444",
        "CONTOSO\\EX01$",
        "POST",
        "/ecp/DDI/DDIService.svc/SetObject",
        q,
        "python-requests/2.25.1",
        200,
    );
    let f = expect(
        &iis_back(&machine),
        "iis-proxylogon-ddi-reset-vdir",
        Class::PostExploitation,
        Severity::Critical,
    );
    assert_eq!(f.field("cs-username"), Some("CONTOSO\\EX01$"));
    let public = l("POST", "/ecp/DDI/DDIService.svc/SetObject", q, CHROME, 200);
    expect(
        &iis(&public),
        "iis-proxylogon-ddi-reset-vdir",
        Class::Exploitation,
        Severity::High,
    );
    let admin = lf(
        "10.20.0.40",
        "443",
        "CONTOSO\\admin",
        "POST",
        "/ecp/DDI/DDIService.svc/SetObject",
        q,
        CHROME,
        200,
    );
    expect(
        &iis(&admin),
        "iis-proxylogon-ddi-reset-vdir",
        Class::Context,
        Severity::Low,
    );
    // setting a vdir without a reset, or reading it
    let set = lf(
        "10.20.0.15",
        "444",
        "CONTOSO\\EX01$",
        "POST",
        "/ecp/DDI/DDIService.svc/SetObject",
        "schema=OABVirtualDirectory&msExchEcpCanary=VGVzdA",
        CHROME,
        200,
    );
    quiet(&iis_back(&set), "iis-proxylogon-ddi-reset-vdir");
    quiet(
        &iis_back(&machine.replace("SetObject", "GetObject")),
        "iis-proxylogon-ddi-reset-vdir",
    );
    quiet(
        &iis_back(&shifted(&machine)),
        "iis-proxylogon-ddi-reset-vdir",
    );
}

// ----------------------------------------------------------------------------------------------
// Webshell access

#[test]
fn webshell_aspnet_client() {
    let pos = l(
        "POST",
        "/aspnet_client/system_web/Hx4mQ9zT.aspx",
        "-",
        "antSword/v2.1",
        200,
    );
    let f = expect(
        &iis(&pos),
        "iis-webshell-aspnet-client",
        Class::PostExploitation,
        Severity::Critical,
    );
    assert_eq!(f.field("cs(User-Agent)"), Some("antSword/v2.1"));
    assert_eq!(f.field("c-ip"), Some(ATK));
    assert_eq!(f.field("sc-status"), Some("200"));
    assert_eq!(f.field("s-port"), Some("443"));
    assert_eq!(f.field("date"), Some("2021-03-04"));
    assert_eq!(f.time.unwrap().to_string(), "2021-03-04T22:10:45.000Z");
    assert_eq!(f.source.line, Some(7));
    assert_eq!(f.raw, pos);
    expect(
        &iis(&l("GET", "/aspnet_client/shell.aspx", "-", CHROME, 200)),
        "iis-webshell-aspnet-client",
        Class::PostExploitation,
        Severity::High,
    );
    expect(
        &iis(&l("GET", "/aspnet_client/shell.aspx", "-", CHROME, 404)),
        "iis-webshell-aspnet-client",
        Class::Scanner,
        Severity::Low,
    );
    quiet(
        &iis(&l(
            "GET",
            "/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
            "-",
            CHROME,
            200,
        )),
        "iis-webshell-aspnet-client",
    );
    quiet(&iis(&shifted(&pos)), "iis-webshell-aspnet-client");
}

#[test]
fn webshell_owa_auth_uses_the_stock_list() {
    let pos = l(
        "POST",
        "/owa/auth/k7tq2.aspx",
        &format!("{SFX}&encoding=;"),
        "antSword/v2.1",
        200,
    );
    let f = expect(
        &iis(&pos),
        "iis-webshell-owa-auth",
        Class::PostExploitation,
        Severity::Critical,
    );
    assert_eq!(
        f.field("url-decoded"),
        Some("/owa/auth/k7tq2.aspx"),
        "suffix is not a query"
    );
    expect(
        &iis(&l("GET", "/owa/auth/Current/one1.aspx", SFX, CHROME, 200)),
        "iis-webshell-owa-auth",
        Class::PostExploitation,
        Severity::High,
    );
    expect(
        &iis(&l(
            "GET",
            "/owa/auth/15.1.2106/errorPage.aspx",
            SFX,
            CHROME,
            200,
        )),
        "iis-webshell-owa-auth",
        Class::PostExploitation,
        Severity::High,
    );
    expect(
        &iis(&l("GET", "/owa/auth/shel90.aspx", SFX, CHROME, 302)),
        "iis-webshell-owa-auth",
        Class::Scanner,
        Severity::Low,
    );
    // stock pages, in any case
    quiet(
        &iis(&l(
            "GET",
            "/owa/auth/logon.aspx",
            "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0",
            CHROME,
            200,
        )),
        "iis-webshell-owa-auth",
    );
    quiet(
        &iis(&l("POST", "/owa/auth/ERRORFE.ASPX", SFX, CHROME, 200)),
        "iis-webshell-owa-auth",
    );
    quiet(&iis(&shifted(&pos)), "iis-webshell-owa-auth");
}

#[test]
fn webshell_ecp_auth() {
    let pos = l("POST", "/ecp/auth/TimeoutLogoff.aspx", SFX, CHROME, 200);
    expect(
        &iis(&pos),
        "iis-webshell-ecp-auth",
        Class::PostExploitation,
        Severity::Critical,
    );
    quiet(
        &iis(&l("GET", "/ecp/auth/TimeoutLogout.aspx", SFX, CHROME, 200)),
        "iis-webshell-ecp-auth",
    );
    quiet(&iis(&shifted(&pos)), "iis-webshell-ecp-auth");
}

#[test]
fn webshell_oab() {
    let pos = l("POST", "/OAB/log.aspx", SFX, CHROME, 200);
    expect(
        &iis(&pos),
        "iis-webshell-oab",
        Class::PostExploitation,
        Severity::Critical,
    );
    quiet(
        &iis(&l(
            "GET",
            "/OAB/5d0c7a3e-91f2-4c6b-8e2a-3b7f0e1d9c44/oab.xml",
            SFX,
            "Microsoft+Office/16.0",
            200,
        )),
        "iis-webshell-oab",
    );
    quiet(&iis(&shifted(&pos)), "iis-webshell-oab");
}

#[test]
fn webshell_client_user_agent() {
    let pos = l("POST", "/erp/upload.aspx", "-", "antSword/v2.1", 200);
    expect(
        &iis(&pos),
        "iis-webshell-client-ua",
        Class::PostExploitation,
        Severity::Critical,
    );
    expect(
        &iis(&l(
            "POST",
            "/erp/gone.aspx",
            "-",
            "Googlebot/2.1+(+http://www.googlebot.com/bot.html)",
            404,
        )),
        "iis-webshell-client-ua",
        Class::Attempt,
        Severity::Medium,
    );
    // a genuine crawler fetching the logon page
    let crawler = l(
        "GET",
        "/owa/auth/logon.aspx",
        SFX,
        "Mozilla/5.0+(compatible;+Baiduspider/2.0;++http://www.baidu.com/search/spider.html)",
        200,
    );
    assert!(iis(&crawler).is_empty());
    quiet(&iis(&shifted(&pos)), "iis-webshell-client-ua");
}

#[test]
fn webshell_command_query() {
    let pos = l("GET", "/erp/a.aspx", "c=cmd%20/c%20whoami", CHROME, 200);
    let f = expect(
        &iis(&pos),
        "iis-webshell-command-query",
        Class::PostExploitation,
        Severity::Critical,
    );
    assert_eq!(f.field("url-decoded"), Some("/erp/a.aspx?c=cmd /c whoami"));
    expect(
        &iis(&l(
            "POST",
            "/erp/a.aspx",
            "x=powershell+-enc+AAAA",
            CHROME,
            404,
        )),
        "iis-webshell-command-query",
        Class::Attempt,
        Severity::Medium,
    );
    quiet(
        &iis(&l("GET", "/search.aspx", "q=who+am+i", CHROME, 200)),
        "iis-webshell-command-query",
    );
    quiet(
        &iis(&l(
            "GET",
            "/ecp/UsersGroups/x.aspx",
            "topic=whoami",
            CHROME,
            200,
        ))
        .into_iter()
        .filter(|f| f.rule != "iis-webshell-command-query")
        .collect::<Vec<_>>(),
        "iis-webshell-command-query",
    );
    quiet(
        &iis(&l("GET", "/owa/service.svc", "action=whoami", CHROME, 200)),
        "iis-webshell-command-query",
    );
    quiet(&iis(&shifted(&pos)), "iis-webshell-command-query");
}

#[test]
fn webshell_tunnel() {
    let pos = "2019-09-03 10:13:36 10.0.2.15 GET /erp/conn.aspx proxy&port=3389&ip=127.0.0.1 80 - 10.0.2.17 - - 200 0 0 7";
    let f = expect(
        &iis_ctx(pos, "", &Fields::default_iis(), &Ctx::default()),
        "iis-webshell-tunnel",
        Class::PostExploitation,
        Severity::Critical,
    );
    assert_eq!(f.field("site"), Some(""));
    let regeorg = l(
        "POST",
        "/aspnet_client/tunnel.ashx",
        "cmd=connect&target=10.20.0.5&port=445",
        CHROME,
        200,
    );
    let f = iis(&regeorg);
    assert!(f[0].field("rules").unwrap().contains("iis-webshell-tunnel"));
    // the tunnel's plain traffic, and a port parameter elsewhere
    assert!(
        iis("2019-09-03 10:13:44 10.0.2.15 POST /erp/conn.aspx proxy 80 - 10.0.2.17 - - 200 0 0 4")
            .is_empty()
    );
    quiet(
        &iis(&l(
            "GET",
            "/owa/service.svc",
            "port=443&ip=1.2.3.4",
            CHROME,
            200,
        )),
        "iis-webshell-tunnel",
    );
    quiet(&iis(&shifted(pos)), "iis-webshell-tunnel");
}

// ----------------------------------------------------------------------------------------------
// ProxyShell, ProxyNotShell, OWASSRF

const CAT: &str = "VgEAVAdXaW5kb3dzQwBBBUJhc2ljTBZzdmMtc2NhbkBjb250b3NvLmxvY2FsVS9TLTEtNS0yMS0zNjIzODExMDE1LTMzNjEwNDQzNDgtMzAzMDA4MjAtNTAwRwIAAAAHAAAADFMtMS01LTMyLTU0NA==";

#[test]
fn proxyshell_autodiscover() {
    let nspi = "2021-08-20 13:02:51 10.20.0.15 POST /autodiscover/autodiscover.json @attacker.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@attacker.example&CorrelationID=<empty>;&cafeReqId=8f3b1d6e-0a2c-47d9-9e5b-c61f04a3d2b7; 443 - 203.0.113.140 python-requests/2.26.0 - 200 0 0 412";
    let f = expect(
        &iis(nspi),
        "web-proxyshell-autodiscover",
        Class::Exploitation,
        Severity::High,
    );
    assert_eq!(f.field("outcome"), Some("succeeded"));
    assert_eq!(
        f.field("url-decoded"),
        Some(
            "/autodiscover/autodiscover.json?@attacker.example/mapi/nspi/?&Email=autodiscover/autodiscover.json?@attacker.example"
        )
    );
    let ps = format!(
        "2021-08-20 13:03:27 10.20.0.15 POST /autodiscover/autodiscover.json @attacker.example/powershell/?X-Rps-CAT={CAT}&Email=autodiscover/autodiscover.json%3F@attacker.example&CorrelationID=<empty>;&cafeReqId=2d7c0e9a-61b4-4f38-a2d5-9e03b7c1f46e; 443 - 203.0.113.140 python-requests/2.26.0 - 200 0 0 1874"
    );
    let f = expect(
        &iis(&ps),
        "web-proxyshell-autodiscover",
        Class::Exploitation,
        Severity::Critical,
    );
    assert_eq!(
        f.field("X-Rps-CAT-LogonName"),
        Some("svc-scan@contoso.local")
    );
    assert_eq!(
        f.field("X-Rps-CAT-UserSid"),
        Some("S-1-5-21-3623811015-3361044348-30300820-500")
    );
    assert_eq!(f.field("X-Rps-CAT-AuthType"), Some("Basic"));
    assert_eq!(f.field("X-Rps-CAT-Groups"), Some("S-1-5-32-544"));
    assert!(
        f.field("rules")
            .unwrap()
            .contains("web-proxynotshell-powershell")
    );
    // patched: 401
    expect(
        &iis(&nspi.replace(" 200 0 0", " 401 0 0")),
        "web-proxyshell-autodiscover",
        Class::Attempt,
        Severity::Medium,
    );
    // a corrupt token is still a ProxyShell request, with no decoded fields
    let bad = ps.replace(CAT, "VgEAVAdXaW5k!!");
    let f = expect(
        &iis(&bad),
        "web-proxyshell-autodiscover",
        Class::Exploitation,
        Severity::Critical,
    );
    assert_eq!(f.field("X-Rps-CAT-LogonName"), None);
    // Outlook's own autodiscover.json lookup
    let legit = l(
        "GET",
        "/autodiscover/autodiscover.json/v1.0/jdoe@contoso.com",
        &format!("Protocol=ActiveSync&RedirectCount=1{SFX}"),
        "Outlook-iOS/2.0",
        200,
    );
    assert!(iis(&legit).is_empty());
    quiet(&iis(&shifted(nspi)), "web-proxyshell-autodiscover");
    // HttpProxy: the same request in the Autodiscover log
    let h = hp_line(
        "Autodiscover",
        "/autodiscover/autodiscover.json",
        "?@attacker.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@attacker.example",
        "",
        "python-requests/2.26.0",
        "200",
        "POST",
        "",
    );
    let f = expect(
        &hp(&h),
        "web-proxyshell-autodiscover",
        Class::Exploitation,
        Severity::High,
    );
    assert_eq!(f.check, HTTPPROXY_ID);
    assert_eq!(f.field("ClientIPAddress"), Some(ATK));
    quiet(
        &hp(
            "2022-10-01T10:00:00.000Z,r1,Autodiscover,/autodiscover/autodiscover.json,\"?@attacker",
        ),
        "web-proxyshell-autodiscover",
    );
}

#[test]
fn proxynotshell_powershell() {
    let pos = l(
        "GET",
        "/autodiscover/autodiscover.json/v1.0/x@evil.example",
        &format!("Protocol=Powershell{SFX}"),
        "python-requests/2.28.1",
        200,
    );
    expect(
        &iis(&pos),
        "web-proxynotshell-powershell",
        Class::Exploitation,
        Severity::High,
    );
    // URL-encoded letters and a refused request
    let enc = l(
        "GET",
        "/autodiscover/autodiscover.json",
        "a=b%40evil.example&Protocol=%50owershell",
        "python-requests/2.28.1",
        404,
    );
    expect(
        &iis(&enc),
        "web-proxynotshell-powershell",
        Class::Attempt,
        Severity::Medium,
    );
    // a legitimate PowerShell client, another protocol
    quiet(
        &iis(&pos.replace("python-requests/2.28.1", "Microsoft+WinRM+Client")),
        "web-proxynotshell-powershell",
    );
    quiet(
        &iis(&pos.replace("Protocol=Powershell", "Protocol=ActiveSync")),
        "web-proxynotshell-powershell",
    );
    quiet(&iis(&shifted(&pos)), "web-proxynotshell-powershell");
    let h = hp_line(
        "Autodiscover",
        "/autodiscover/autodiscover.json/v1.0/x@evil.example",
        "?Protocol=Powershell",
        "Basic",
        "python-requests/2.28.1",
        "200",
        "GET",
        "",
    );
    expect(
        &hp(&h),
        "web-proxynotshell-powershell",
        Class::Exploitation,
        Severity::High,
    );
}

#[test]
fn owassrf_powershell() {
    let pos = l(
        "POST",
        "/owa/mastermailbox%40outlook.com/powershell",
        SFX,
        "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/105.0.5195.54+Safari/537.36",
        200,
    );
    let f = expect(
        &iis(&pos),
        "web-owassrf-powershell",
        Class::Exploitation,
        Severity::Critical,
    );
    assert_eq!(
        f.field("url-decoded"),
        Some("/owa/mastermailbox@outlook.com/powershell")
    );
    expect(
        &iis(&pos.replace(" 200 0 0", " 401 0 0")),
        "web-owassrf-powershell",
        Class::Attempt,
        Severity::Medium,
    );
    quiet(
        &iis(&pos.replace("Mozilla/5.0+(Windows", "Microsoft+WinRM+Client+(Windows")),
        "web-owassrf-powershell",
    );
    quiet(
        &iis(&l(
            "POST",
            "/owa/service.svc",
            "action=powershell",
            CHROME,
            200,
        )),
        "web-owassrf-powershell",
    );
    quiet(&iis(&shifted(&pos)), "web-owassrf-powershell");
    let h = hp_line(
        "Owa",
        "/owa/jdoe@contoso.com/powershell",
        "",
        "Basic",
        "python-requests/2.28.1",
        "200",
        "POST",
        "",
    );
    expect(
        &hp(&h),
        "web-owassrf-powershell",
        Class::Exploitation,
        Severity::Critical,
    );
}

#[test]
fn owassrf_backend_powershell() {
    let pos = lf(
        "10.20.0.15",
        "444",
        "CONTOSO\\EX01$",
        "POST",
        "/powershell",
        "-",
        "python-requests/2.28.1",
        200,
    );
    expect(
        &iis_back(&pos),
        "iis-owassrf-backend-powershell",
        Class::Attempt,
        Severity::Medium,
    );
    quiet(
        &iis_back(&pos.replace("python-requests/2.28.1", "Microsoft+WinRM+Client")),
        "iis-owassrf-backend-powershell",
    );
    quiet(&iis_back(&pos.replace(" - 444 ", " serializationLevel=Full;ExchClientVer=15.1.2106.2;clientApplication=ManagementShell 444 ")), "iis-owassrf-backend-powershell");
    let front = lf(
        "10.20.0.15",
        "443",
        "CONTOSO\\EX01$",
        "POST",
        "/powershell",
        "-",
        "python-requests/2.28.1",
        200,
    );
    quiet(&iis(&front), "iis-owassrf-backend-powershell");
    quiet(&iis_back(&shifted(&pos)), "iis-owassrf-backend-powershell");
}

#[test]
fn httpproxy_powershell_kerberos_soap() {
    let gi = "BeginRequest=2022-10-01T10:00:00.000Z;OnEndRequest.End.ContentType=application/soap+xml charset UTF-8;S:ServiceCommonMetadata.HttpMethod=POST;EndRequest=2022-10-01T10:00:00.100Z;";
    let pos = hp_line(
        "PowerShell",
        "/powershell",
        "?serializationLevel=Full",
        "Kerberos",
        "python-requests/2.28.1",
        "200",
        "POST",
        gi,
    );
    expect(
        &hp(&pos),
        "httpproxy-powershell-kerberos-soap",
        Class::Exploitation,
        Severity::High,
    );
    quiet(
        &hp(&pos.replace("python-requests/2.28.1", "Microsoft WinRM Client")),
        "httpproxy-powershell-kerberos-soap",
    );
    quiet(
        &hp(&pos.replace(",200,", ",500,")),
        "httpproxy-powershell-kerberos-soap",
    );
    quiet(
        &hp(&pos.replace("Kerberos", "Negotiate")),
        "httpproxy-powershell-kerberos-soap",
    );
    // cut before the GenericInfo column
    let cut = &pos[..pos.find(",POST,").unwrap()];
    quiet(
        &hp(&format!("{cut},ServiceCommonMetadata.HttpMethod=POST")),
        "httpproxy-powershell-kerberos-soap",
    );
}

// ----------------------------------------------------------------------------------------------
// Indicators

#[test]
fn crawler_post_to_owa_current() {
    let pos = l(
        "POST",
        "/owa/auth/Current/themes/resources/segoeui-regular.ttf",
        SFX,
        YANDEX,
        200,
    );
    expect(
        &iis(&pos),
        "iis-proxylogon-crawler-post",
        Class::Attempt,
        Severity::High,
    );
    quiet(
        &iis(&l(
            "GET",
            "/owa/auth/Current/themes/resources/segoeui-regular.ttf",
            SFX,
            YANDEX,
            200,
        )),
        "iis-proxylogon-crawler-post",
    );
    quiet(
        &iis(&l(
            "POST",
            "/owa/auth/Current/themes/resources/segoeui-regular.ttf",
            SFX,
            CHROME,
            200,
        )),
        "iis-proxylogon-crawler-post",
    );
    quiet(&iis(&shifted(&pos)), "iis-proxylogon-crawler-post");
}

#[test]
fn exploit_tool_posting_to_ecp() {
    let pos = l(
        "POST",
        "/ecp/DDI/DDIService.svc/GetList",
        "schema=Mailboxes",
        "ExchangeServicesClient/0.0.0.0",
        200,
    );
    expect(
        &iis(&pos),
        "iis-exploit-tool-ecp-post",
        Class::Attempt,
        Severity::Medium,
    );
    quiet(
        &iis(&pos.replace("ExchangeServicesClient/0.0.0.0", "python-requests/2.31.0")),
        "iis-exploit-tool-ecp-post",
    );
    quiet(&iis(&shifted(&pos)), "iis-exploit-tool-ecp-post");
}

#[test]
fn indicator_ip_is_context_and_user_ips_hook_in() {
    let pos = lf(
        "103.77.192.219",
        "443",
        "-",
        "GET",
        "/owa/",
        SFX,
        CHROME,
        302,
    );
    let f = expect(
        &iis(&pos),
        "web-indicator-ip",
        Class::Context,
        Severity::Low,
    );
    assert!(f.field("indicator-ip").unwrap().contains("VOL"));
    // a longer address holding a published one as a prefix
    quiet(
        &iis(&lf(
            "103.77.192.21",
            "443",
            "-",
            "GET",
            "/owa/",
            SFX,
            CHROME,
            302,
        )),
        "web-indicator-ip",
    );
    quiet(
        &iis(&lf(
            "103.77.192.2190",
            "443",
            "-",
            "GET",
            "/owa/",
            SFX,
            CHROME,
            302,
        )),
        "web-indicator-ip",
    );
    quiet(&iis(&shifted(&pos)), "web-indicator-ip");
    // the --ioc hook
    let mine = lf("192.0.2.77", "443", "-", "GET", "/owa/", SFX, CHROME, 302);
    assert!(iis(&mine).is_empty());
    let ctx = Ctx {
        extra_ips: ["192.0.2.77"].into_iter().collect(),
        ..Ctx::default()
    };
    expect(
        &iis_ctx(&mine, "W3SVC1", &Fields::default_iis(), &ctx),
        "web-indicator-ip",
        Class::Context,
        Severity::Low,
    );
    // with a stronger rule the address is a field of that finding
    let shell = lf(
        "103.77.192.219",
        "443",
        "-",
        "POST",
        "/aspnet_client/x.aspx",
        "-",
        CHROME,
        200,
    );
    let f = expect(
        &iis(&shell),
        "iis-webshell-aspnet-client",
        Class::PostExploitation,
        Severity::Critical,
    );
    assert!(f.field("indicator-ip").is_some());
    let h = hp_line(
        "Owa",
        "/owa/service.svc",
        "",
        "",
        "Mozilla/5.0 (Windows NT 10.0)",
        "200",
        "POST",
        "",
    )
    .replace(ATK, "5.2.69.14");
    expect(&hp(&h), "web-indicator-ip", Class::Context, Severity::Low);
}

// ----------------------------------------------------------------------------------------------
// Scanner noise

#[test]
fn nmap_self_check_overrides_the_attack_shape() {
    let pos = l(
        "GET",
        "/owa/auth/x.js",
        SFX,
        "Mozilla/5.0+(compatible;+Nmap+Scripting+Engine;+https://nmap.org/book/nse.html)",
        200,
    );
    let f = expect(
        &iis(&pos),
        "iis-scanner-nmap-self-check",
        Class::Scanner,
        Severity::Low,
    );
    assert!(f.field("rules").unwrap().contains("iis-proxylogon-auth-js"));
    // with cs(Cookie) logged: the localhost cookie gives it away whatever the agent
    let fields = Fields::parse(b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) sc-status").unwrap();
    let cookie = "2021-03-09 11:00:00 10.20.0.15 GET /owa/auth/x.js - 443 - 192.0.2.10 curl/7.68 X-AnonResource=true;+X-AnonResource-Backend=localhost/ecp/default.flt?~3;+X-BEResource=localhost/owa/auth/logon.aspx?~3; 200";
    let f = expect(
        &iis_ctx(cookie, "W3SVC1", &fields, &Ctx::default()),
        "iis-scanner-nmap-self-check",
        Class::Scanner,
        Severity::Low,
    );
    assert!(f.field("cs(Cookie)").unwrap().contains("localhost"));
    // the same path POSTed by an exploit is not a scanner
    let f = iis(&l(
        "POST",
        "/owa/auth/x.js",
        SFX,
        "python-requests/2.25.1",
        200,
    ));
    quiet(&f, "iis-scanner-nmap-self-check");
    quiet(&iis(&shifted(&pos)), "iis-scanner-nmap-self-check");
}

#[test]
fn nessus_proxyshell_check_is_scanner_noise() {
    let pos = l(
        "GET",
        "/autodiscover/autodiscover.json",
        "@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com",
        "Mozilla/5.0+(Windows+NT+10.0)",
        302,
    );
    let f = expect(
        &iis(&pos),
        "web-scanner-nessus-proxyshell",
        Class::Scanner,
        Severity::Low,
    );
    assert!(
        f.field("rules")
            .unwrap()
            .contains("web-proxyshell-autodiscover")
    );
    let owa = l(
        "GET",
        "/owa/",
        "&Email=autodiscover/autodiscover.json%3F@test.com&ClientId=ABC",
        "x",
        302,
    );
    expect(
        &iis(&owa),
        "web-scanner-nessus-proxyshell",
        Class::Scanner,
        Severity::Low,
    );
    quiet(
        &iis(&pos.replace("@test.com", "@evil.example")),
        "web-scanner-nessus-proxyshell",
    );
    // misread fields still leave it scanner noise, never an attack
    assert!(
        iis(&shifted(&pos))
            .iter()
            .all(|f| f.class == Class::Scanner)
    );
}

#[test]
fn version_survey_is_scanner_noise() {
    let pos = l(
        "GET",
        "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application",
        "-",
        "Mozilla/5.0+zgrab/0.x",
        200,
    );
    expect(
        &iis(&pos),
        "web-scanner-version-survey",
        Class::Scanner,
        Severity::Low,
    );
    assert!(iis(&pos.replace("Mozilla/5.0+zgrab/0.x", CHROME)).is_empty());
    quiet(&iis(&shifted(&pos)), "web-scanner-version-survey");
}

/// A webshell probe (GET, answered 404) from another address.
fn probe_from(ip: &str, stem: &str) -> String {
    lf(ip, "443", "-", "GET", stem, "-", CHROME, 404)
}

#[test]
fn shell_hunting_bursts_are_folded_per_address() {
    let mut out = Vec::new();
    let names = [
        "shell.aspx",
        "s.aspx",
        "xx.aspx",
        "errorcheck.aspx",
        "iispage.aspx",
        "system_web/log.aspx",
    ];
    for (i, n) in names.iter().enumerate() {
        out.extend(iis(&l(
            "GET",
            &format!("/aspnet_client/{n}"),
            "-",
            CHROME,
            404,
        )));
        if i == 2 {
            out.extend(iis(&l("GET", "/owa/auth/shel2.aspx", SFX, CHROME, 302)));
            out.extend(iis(&l("GET", "/owa/auth/one.aspx", SFX, CHROME, 200))); // a hit
        }
    }
    // another address with too few probes to fold
    out.extend(iis(&probe_from("198.51.100.7", "/aspnet_client/a.aspx")));
    out.extend(iis(&probe_from("198.51.100.7", "/aspnet_client/b.aspx")));
    assert_eq!(out.len(), 10);
    fold_shell_hunting(&mut out, &RULES);
    assert_eq!(
        out.len(),
        4,
        "{:?}",
        out.iter().map(|f| f.rule).collect::<Vec<_>>()
    );
    let hunt: Vec<&Finding> = out
        .iter()
        .filter(|f| f.rule == "iis-shell-hunting")
        .collect();
    assert_eq!(hunt.len(), 1);
    let h = hunt[0];
    assert_eq!((h.class, h.check), (Class::Scanner, IIS_ID));
    assert_eq!(h.field("c-ip"), Some(ATK));
    assert_eq!(h.field("requests"), Some("7"));
    assert_eq!(h.field("statuses"), Some("302:1,404:6"));
    assert!(h.field("paths").unwrap().contains("/owa/auth/shel2.aspx"));
    assert!(
        out.iter()
            .any(|f| f.rule == "iis-webshell-owa-auth" && f.class == Class::PostExploitation),
        "the 200 stays"
    );
    assert_eq!(
        out.iter()
            .filter(|f| f.field("c-ip") == Some("198.51.100.7"))
            .count(),
        2
    );
}

#[test]
fn shell_hunting_folds_as_the_file_is_read_like_at_its_end() {
    let mut all = Vec::new();
    for i in 0..600u64 {
        let stem = format!("/aspnet_client/p{}.aspx", i % 30);
        let mut f = iis(&l("GET", &stem, "-", CHROME, 404));
        f.iter_mut().for_each(|x| x.source.line = Some(10 + i));
        all.extend(f);
        if i % 100 == 0 {
            all.extend(iis(&l("GET", "/owa/auth/one.aspx", SFX, CHROME, 200))); // a hit
        }
    }
    for i in 0..4u64 {
        let line = probe_from("198.51.100.7", "/aspnet_client/a.aspx");
        let mut f = iis(&line);
        f.iter_mut().for_each(|x| x.source.line = Some(1000 + i));
        all.extend(f);
    }
    let mut whole = all.clone();
    fold_shell_hunting(&mut whole, &RULES);

    // The same findings handed over in batches, as the scan does while it reads a file.
    let mut fold = Box::new(HuntFold::new(&RULES));
    let mut got = Vec::new();
    for chunk in all.chunks(37) {
        let mut batch = chunk.to_vec();
        fold.take(&mut batch);
        assert!(
            !batch.iter().any(|f| is_probe(f, &RULES)),
            "probes are taken"
        );
        got.extend(batch);
        for p in fold.by_ip.values() {
            if let Probes::Held(h) = p {
                assert!(
                    h.len() < RULES.hunt.min,
                    "only an address's first probes are held"
                );
            }
        }
    }
    fold.finish(&mut got);

    let json = |v: &[Finding]| {
        let mut s: Vec<String> = v
            .iter()
            .map(|f| serde_json::to_string(f).unwrap())
            .collect();
        s.sort();
        s
    };
    assert_eq!(json(&got), json(&whole));
    let h: Vec<&Finding> = got
        .iter()
        .filter(|f| f.rule == "iis-shell-hunting")
        .collect();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].field("requests"), Some("600"));
    assert_eq!(h[0].field("distinct-paths"), Some("30"));
    assert_eq!(h[0].field("lines").unwrap().split(',').count(), 50);
    assert!(h[0].field("paths").unwrap().ends_with(",… (10 more)"));
    assert_eq!(h[0].source.line, Some(10));
    assert_eq!(
        got.iter()
            .filter(|f| f.rule == "iis-webshell-aspnet-client")
            .count(),
        4
    );
}

// ----------------------------------------------------------------------------------------------
// Robustness

#[test]
fn cut_and_garbled_lines_never_panic() {
    let lines = [
        l(
            "POST",
            "/owa/auth/Current/themes/resources/logon.css",
            SFX,
            YANDEX,
            241,
        ),
        l(
            "POST",
            "/aspnet_client/system_web/x.aspx",
            "c=cmd%20/c%20whoami&port=1",
            "antSword/v2.1",
            200,
        ),
        format!(
            "2021-08-20 13:03:27 10.20.0.15 POST /autodiscover/autodiscover.json @a/powershell/?X-Rps-CAT={CAT}&Email=autodiscover/autodiscover.json%3F@a 443 - 103.77.192.219 python - 200 0 0 1"
        ),
    ];
    for line in &lines {
        for cut in 0..line.len() {
            if line.is_char_boundary(cut) {
                let _ = iis(&line[..cut]);
                let _ = hp(&line[..cut]);
            }
        }
        let mut bytes = line.as_bytes().to_vec();
        bytes[20] = 0xff;
        bytes[40] = 0x00;
        let fields = Fields::default_iis();
        let rec = W3cRecord::parse(&fields, &bytes, "W3SVC1");
        let at = At {
            path: "x",
            line: Some(1),
            offset: None,
            record_id: None,
            raw: &bytes,
            protocol: None,
        };
        let mut out = Vec::new();
        IisWeb.inspect(&Record::Iis(&rec), &at, &Ctx::default(), &mut out);
    }
}

#[test]
fn user_agent_is_normalised_for_rules_and_raw_in_fields() {
    // HttpProxy writes commas as spaces; IIS writes spaces as +
    let line = l(
        "POST",
        "/owa/auth/Current/themes/resources/segoeui-regular.ttf",
        SFX,
        "Mozilla/5.0+(X11;+Linux+x86_64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/51.0.2704.103+Safari/537.36",
        200,
    );
    let f = expect(
        &iis(&line),
        "iis-proxylogon-crawler-post",
        Class::Attempt,
        Severity::High,
    );
    assert!(
        f.field("cs(User-Agent)")
            .unwrap()
            .contains("(KHTML,+like+Gecko)")
    );
}

/// The Teddy search of lower-cased lines selects exactly the rules the overlapping search ignoring
/// case selects, on lines built from pieces of the literals themselves (overlapping, nested,
/// cut, in mixed case) and on random bytes.
#[test]
fn teddy_candidates_match_the_overlapping_search() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for src in [Src::Iis, Src::HttpProxy] {
        let fast = RULES.matcher(src).clone();
        if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
            assert!(fast.teddy.is_some(), "Teddy (SSSE3, AVX2 or NEON) is built");
        }
        let slow = Matcher {
            teddy: None,
            ..fast.clone()
        };
        let lits = &fast.literals;
        let n = RULES.rules.len();
        // What a line without any literal selects (the rules testing the client address).
        let none = fast.candidates(b"", n);
        let mut selected = 0;
        for _ in 0..20_000 {
            let mut line = Vec::new();
            for _ in 0..next(6) {
                let l = lits[next(lits.len())].as_bytes();
                let (a, b) = match next(4) {
                    0 => (next(l.len()), l.len()), // a suffix, to overlap what follows
                    1 => (0, 1 + next(l.len())),   // a prefix
                    _ => (0, l.len()),
                };
                for &c in &l[a..b] {
                    line.push(if next(2) == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    });
                }
                if next(3) == 0 {
                    line.push([b' ', b'/', b'a', 0xC3, b'\t'][next(5)]);
                }
            }
            let got = fast.candidates(&line, n);
            assert_eq!(
                got,
                slow.candidates(&line, n),
                "{}",
                String::from_utf8_lossy(&line)
            );
            selected += usize::from(got != none);
        }
        assert!(selected > 10_000, "literals select rules: {selected} lines");
    }
}

#[test]
fn webshell_paths_on_httpproxy_rows() {
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";
    let row = |proto: &str, stem: &str, status: &str, method: &str| {
        hp(&hp_line(proto, stem, "", "", ua, status, method, ""))
    };
    let f = expect(
        &row("Owa", "/owa/auth/ohyeah.aspx", "200", "POST"),
        "httpproxy-webshell-owa-auth",
        Class::PostExploitation,
        Severity::Critical,
    );
    assert_eq!(f.check, HTTPPROXY_ID);
    assert_eq!(f.field("UrlStem"), Some("/owa/auth/ohyeah.aspx"));
    expect(
        &row("Owa", "/owa/auth/Current/ohyeah.ashx", "200", "GET"),
        "httpproxy-webshell-owa-auth",
        Class::PostExploitation,
        Severity::High,
    );
    expect(
        &row("Ecp", "/ecp/auth/TimeoutLogoff.aspx", "200", "GET"),
        "httpproxy-webshell-ecp-auth",
        Class::PostExploitation,
        Severity::High,
    );
    expect(
        &row("Oab", "/OAB/log.aspx", "200", "POST"),
        "httpproxy-webshell-oab",
        Class::PostExploitation,
        Severity::Critical,
    );
    expect(
        &row("Owa", "/owa/auth/shell.aspx", "404", "GET"),
        "httpproxy-webshell-owa-auth",
        Class::Scanner,
        Severity::Low,
    );
    // stock pages, scripts, address-book files
    for (proto, stem) in [
        ("Owa", "/owa/auth/logon.aspx"),
        ("Owa", "/owa/auth/errorFE.aspx"),
        ("Owa", "/owa/auth/15.1.2106/scripts/premium/x.js"),
        ("Ecp", "/ecp/auth/TimeoutLogout.aspx"),
        ("Oab", "/OAB/5d0c7a3e-91f2-4c6b-8e2a-3b7f0e1d9c44/oab.xml"),
    ] {
        let out = row(proto, stem, "200", "GET");
        for r in [
            "httpproxy-webshell-owa-auth",
            "httpproxy-webshell-ecp-auth",
            "httpproxy-webshell-oab",
        ] {
            quiet(&out, r);
        }
    }
    // the IIS rules do not read HttpProxy rows, and these do not read IIS lines
    quiet(
        &row("Owa", "/aspnet_client/x.aspx", "200", "POST"),
        "iis-webshell-aspnet-client",
    );
    quiet(
        &iis(&l("POST", "/owa/auth/ohyeah.aspx", "-", CHROME, 200)),
        "httpproxy-webshell-owa-auth",
    );
    // a row cut short (a live file): read padded, the request reported at the rule's base grade
    // since no status says whether the page answered
    expect(
        &hp("2022-10-01T10:00:00.000Z,r1,Owa,/owa/auth/x.aspx"),
        "httpproxy-webshell-owa-auth",
        Class::PostExploitation,
        Severity::High,
    );
    assert!(hp("garbage without commas").is_empty());
}

#[test]
fn shell_hunting_on_httpproxy_rows_is_folded_too() {
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";
    let mut out = Vec::new();
    for n in [
        "shell.aspx",
        "s.aspx",
        "xx.aspx",
        "errorcheck.aspx",
        "iispage.aspx",
    ] {
        out.extend(hp(&hp_line(
            "Owa",
            &format!("/owa/auth/{n}"),
            "",
            "",
            ua,
            "404",
            "GET",
            "",
        )));
    }
    out.extend(hp(&hp_line(
        "Oab",
        "/OAB/log.aspx",
        "",
        "",
        ua,
        "404",
        "GET",
        "",
    )));
    out.extend(hp(&hp_line(
        "Owa",
        "/owa/auth/one.aspx",
        "",
        "",
        ua,
        "200",
        "GET",
        "",
    ))); // a hit
    assert_eq!(out.len(), 7);
    fold_shell_hunting(&mut out, &RULES);
    let rules: Vec<&str> = out.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        ["httpproxy-webshell-owa-auth", "iis-shell-hunting"],
        "{rules:?}"
    );
    let h = &out[1];
    assert_eq!((h.class, h.check), (Class::Scanner, HTTPPROXY_ID));
    assert_eq!(h.field("c-ip"), Some(ATK));
    assert_eq!(h.field("requests"), Some("6"));
    assert_eq!(h.field("statuses"), Some("404:6"));
    assert!(h.field("paths").unwrap().contains("/OAB/log.aspx"));
    assert_eq!(h.field("cs(User-Agent)"), Some(ua));
}
