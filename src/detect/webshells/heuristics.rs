//! Heuristics for the drop zones, where content rules and indicators may miss a new shell:
//! pages that are not stock Exchange files (a name one letter off a stock name ranks higher),
//! pages under `aspnet_client`, ASP.NET markup inside files of other types, and pages modified
//! inside the exposure window.

use crate::model::{Severity, Timestamp, Window};
use crate::sources::webfiles::Zone;
use regex::bytes::Regex;
use std::sync::LazyLock;

static OWA_AUTH_STOCK: &str = crate::rules::STOCK_OWA_AUTH;
static ECP_AUTH_STOCK: &str = crate::rules::STOCK_ECP_AUTH;

/// Extensions IIS runs as server code (ASP.NET and classic ASP).
pub const PAGE_EXTENSIONS: [&str; 11] = [
    "aspx", "ashx", "asmx", "asp", "ascx", "asax", "cshtml", "vbhtml", "master", "soap", "rem",
];

/// ASP.NET markup that makes a file a server page wherever IIS is told to compile it.
static MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u)<%@\s*(page|webhandler|webservice|control|master|assembly|import)\b|runat\s*=\s*["']?server|<script[^>]{0,200}runat"#,
    )
    .expect("markup regex")
});

fn stock(list: &str) -> Vec<String> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_ascii_lowercase)
        .collect()
}

static STOCK_OWA: LazyLock<Vec<String>> = LazyLock::new(|| stock(OWA_AUTH_STOCK));
static STOCK_ECP: LazyLock<Vec<String>> = LazyLock::new(|| stock(ECP_AUTH_STOCK));

/// A heuristic hit: the common finding fields are added by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub rule: &'static str,
    pub title: String,
    pub severity: Severity,
    pub why: String,
    pub fields: Vec<(String, String)>,
}

/// True when the file name's extension is one IIS runs as code.
pub fn is_page(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    match lower.rsplit_once('.') {
        Some((_, ext)) => PAGE_EXTENSIONS.contains(&ext),
        None => false,
    }
}

/// Whether `in_zone` (the lower-case path inside the zone folder) is a stock Exchange page of
/// `zone`: only `owa\auth` and `ecp\auth` have stock pages, and only at their top level.
pub fn is_stock(zone: Zone, in_zone: &str) -> bool {
    let list = match zone {
        Zone::OwaAuth => &*STOCK_OWA,
        Zone::EcpAuth => &*STOCK_ECP,
        _ => return false,
    };
    !in_zone.contains('/') && list.iter().any(|s| s.eq_ignore_ascii_case(in_zone))
}

/// Levenshtein distance of two short ASCII-case-folded names, capped at 2.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return 2;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()].min(2)
}

/// Folders that serve no pages of their own: a server page there is reported as
/// (zone, rule, where, severity, why).
const PAGE_ZONES: [(Zone, &str, &str, Severity, &str); 4] = [
    (
        Zone::AspnetClient,
        "page-in-aspnet-client",
        "under aspnet_client",
        Severity::Medium,
        "aspnet_client holds only static client scripts; it was the main folder where ProxyLogon-era webshells were dropped.",
    ),
    (
        Zone::Oab,
        "page-in-oab",
        "in the OAB virtual directory",
        Severity::Medium,
        "The FrontEnd OAB folder serves no pages of its own; shells were dropped there (e.g. log.aspx).",
    ),
    (
        Zone::WebRoot,
        "page-in-webroot",
        "in the IIS web root",
        Severity::Low,
        "ProxyShell-era shells were written to the web root; admins sometimes add a redirect page there, so review its content.",
    ),
    (
        Zone::ProgramData,
        "page-in-programdata",
        "under ProgramData",
        Severity::Low,
        "Intruders pointed new virtual directories into ProgramData folders (COM, AUX, ...) to host pages there; software rarely keeps pages in ProgramData.",
    ),
];

/// Runs every heuristic over one file. `name` is the file name, `in_zone` its path inside the
/// zone folder (lower case), `data` the scanned bytes.
pub fn inspect(
    zone: Zone,
    in_zone: &str,
    name: &str,
    data: &[u8],
    modified: Option<Timestamp>,
    window: Window,
) -> Vec<Hint> {
    let mut out = Vec::new();
    if zone == Zone::TempAspNet
        && let Some(h) = super::compiled::inspect(name, data)
    {
        out.push(h);
    }
    let page = is_page(name);
    let lower = name.to_ascii_lowercase();
    let top_level = !in_zone.contains('/');
    if page && matches!(zone, Zone::OwaAuth | Zone::EcpAuth) {
        let (list, folder) = if zone == Zone::OwaAuth {
            (&*STOCK_OWA, "owa\\auth")
        } else {
            (&*STOCK_ECP, "ecp\\auth")
        };
        let is_stock = top_level && list.contains(&lower);
        if !is_stock {
            let near = list
                .iter()
                .find(|s| distance(s, &lower) == 1)
                .filter(|_| top_level);
            out.push(match near {
                Some(s) => Hint {
                    rule: "stock-name-lookalike",
                    title: format!("Page named one letter off the stock {folder} page {s}: {in_zone}"),
                    severity: Severity::High,
                    why: "Intruders named shells after stock Exchange pages with one letter changed so that they pass a glance at the folder.".into(),
                    fields: vec![("LooksLike".into(), s.clone())],
                },
                None => Hint {
                    rule: "unknown-page",
                    title: format!("Page that is not a stock Exchange file in {folder}: {in_zone}"),
                    severity: Severity::Medium,
                    why: format!("{folder} is a webshell drop zone; a server page there that Exchange does not ship needs review (the stock list is partial: compare with a clean server of the same build)."),
                    fields: vec![],
                },
            });
        }
    }
    if page && let Some((_, rule, place, severity, why)) = PAGE_ZONES.iter().find(|z| z.0 == zone) {
        out.push(Hint {
            rule,
            title: format!("Server page {place}: {in_zone}"),
            severity: *severity,
            why: why.to_string(),
            fields: vec![],
        });
    }
    if !page
        && zone.is_drop_zone()
        && !lower.ends_with(".config")
        && let Some(m) = MARKUP.find(data)
    {
        out.push(Hint {
            rule: "markup-in-non-page",
            title: format!("ASP.NET markup inside a file that is not a page: {in_zone}"),
            severity: Severity::High,
            why: "Server-side markup in a .txt, .req, image or similar file in a web folder is how shells are smuggled in (certificate-request and export shells) or staged for renaming.".into(),
            fields: vec![
                ("MarkupOffset".into(), m.start().to_string()),
                ("Markup".into(), super::printable(m.as_bytes())),
            ],
        });
    }
    if page
        && zone.is_drop_zone()
        && let Some(t) = modified.filter(|t| window.contains(*t))
    {
        let bounded = window.until.is_some();
        out.push(Hint {
            rule: "modified-in-window",
            title: format!("Page in a drop zone modified inside the exposure window ({t}): {in_zone}"),
            severity: if bounded { Severity::Low } else { Severity::Info },
            why: if bounded {
                "Webshells were written, and stock pages injected, during the exposure window; check what changed (file times on copies are copy times).".into()
            } else {
                "Listed for the timeline only: with an open-ended window (no --until) every later update falls inside it, so this does not change the verdict; give --until to rank these.".into()
            },
            fields: vec![],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(until: Option<&str>) -> Window {
        Window {
            since: Timestamp::parse_arg("2021-01-01").unwrap(),
            until: until.map(|u| Timestamp::parse_arg(u).unwrap()),
        }
    }

    fn rules(zone: Zone, in_zone: &str, data: &[u8]) -> Vec<&'static str> {
        let name = in_zone.rsplit('/').next().unwrap();
        inspect(zone, in_zone, name, data, None, win(None))
            .iter()
            .map(|h| h.rule)
            .collect()
    }

    #[test]
    fn stock_lookalike_unknown() {
        assert!(rules(Zone::OwaAuth, "logon.aspx", b"x").is_empty());
        assert!(
            rules(Zone::OwaAuth, "LogOn.aspx", b"x").is_empty(),
            "case-insensitive"
        );
        assert_eq!(
            rules(Zone::OwaAuth, "logon1.aspx", b"x"),
            ["stock-name-lookalike"]
        );
        assert_eq!(
            rules(Zone::OwaAuth, "frowmy.aspx", b"x"),
            ["stock-name-lookalike"]
        );
        assert_eq!(rules(Zone::OwaAuth, "shel90.aspx", b"x"), ["unknown-page"]);
        assert_eq!(
            rules(Zone::OwaAuth, "current/logon.aspx", b"x"),
            ["unknown-page"]
        );
        assert!(rules(Zone::OwaAuth, "current/themes/logon.css", b"body{}").is_empty());
        assert_eq!(
            rules(Zone::EcpAuth, "timeoutlogoff.aspx", b"x"),
            ["unknown-page"]
        );
        assert!(rules(Zone::EcpAuth, "TimeoutLogout.aspx", b"x").is_empty());
        assert_eq!(
            rules(Zone::AspnetClient, "system_web/a.ASHX", b""),
            ["page-in-aspnet-client"]
        );
        assert!(
            rules(
                Zone::AspnetClient,
                "system_web/4_0_30319/WebUIValidation.js",
                b""
            )
            .is_empty()
        );
        assert!(rules(Zone::ClientAccess, "owa/x.aspx", b"").is_empty());
    }

    #[test]
    fn markup_in_other_files() {
        let m = rules(
            Zone::AspnetClient,
            "x.aspx.req",
            b"0\x82\x01junk<%@ Page Language=\"C#\"%>",
        );
        assert_eq!(m, ["markup-in-non-page"]);
        assert_eq!(
            rules(
                Zone::OwaAuth,
                "current/a.gif",
                b"GIF89a <script language=x RUNAT=server>"
            ),
            ["markup-in-non-page"]
        );
        assert!(rules(Zone::OwaAuth, "current/a.js", b"<script src=a.js></script>").is_empty());
        assert!(
            rules(Zone::ProgramData, "a.txt", b"<%@ Page").is_empty(),
            "not a drop zone"
        );
        assert!(rules(Zone::WebRoot, "web.config", b"runat=\"server\"").is_empty());
    }

    #[test]
    fn modified_in_window_ranked_only_when_bounded() {
        let t = Timestamp::parse_arg("2021-03-03").unwrap();
        let h = inspect(
            Zone::OwaAuth,
            "logon.aspx",
            "logon.aspx",
            b"",
            Some(t),
            win(None),
        );
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].rule, h[0].severity),
            ("modified-in-window", Severity::Info)
        );
        let h = inspect(
            Zone::OwaAuth,
            "logon.aspx",
            "logon.aspx",
            b"",
            Some(t),
            win(Some("2021-04-01")),
        );
        assert_eq!(h[0].severity, Severity::Low);
        let old = Timestamp::parse_arg("2020-06-01").unwrap();
        assert!(
            inspect(
                Zone::OwaAuth,
                "logon.aspx",
                "logon.aspx",
                b"",
                Some(old),
                win(None)
            )
            .is_empty()
        );
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("logon.aspx", "logon.aspx"), 0);
        assert_eq!(distance("logon.aspx", "log0n.aspx"), 1);
        assert_eq!(distance("logon.aspx", "logn.aspx"), 1);
        assert_eq!(distance("logon.aspx", "logoff.aspx"), 2);
    }
}
