//! ASP.NET's preservation files: `<page>.<hash>.compiled` in Temporary ASP.NET Files, a small XML
//! file written the first time a page is compiled (that is, the first time it is requested),
//! naming the page's virtual path and the `App_Web_*` assembly built from it. They outlive the
//! page: a webshell deleted after use still left one.
//!
//! ```xml
//! <?xml version="1.0" encoding="utf-8"?>
//! <preserve resultType="3" virtualPath="/owa/auth/x.aspx" hash="8a8da6c5a" filehash="42c4a7"
//!           flags="110000" assembly="App_Web_llfrjg0v" type="ASP.auth_x_aspx">
//!     <filedeps><filedep name="/owa/auth/x.aspx" /></filedeps>
//! </preserve>
//! ```

use super::heuristics::{Hint, is_page, is_stock};
use crate::model::Severity;
use crate::sources::webfiles::Zone;
use regex::Regex;
use std::sync::LazyLock;

/// What a preservation file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub virtual_path: String,
    pub assembly: Option<String>,
    pub type_name: Option<String>,
}

/// How much of a preservation file is read: real ones are a few hundred bytes.
const MAX_TEXT: usize = 64 << 10;

static PRESERVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<preserve\b([^>]*)>").expect("preserve regex"));
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(virtualPath|assembly|type)\s*=\s*(?:"([^"]*)"|'([^']*)')"#)
        .expect("attribute regex")
});

/// The five XML entities (the writer escapes nothing else in an attribute).
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text of the file: UTF-8 (what ASP.NET writes), or UTF-16 with a byte-order mark.
fn text(data: &[u8]) -> String {
    let data = &data[..data.len().min(MAX_TEXT)];
    let utf16 = |le: bool| {
        let units: Vec<u16> = data[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match data {
        [0xff, 0xfe, ..] => utf16(true),
        [0xfe, 0xff, ..] => utf16(false),
        _ => String::from_utf8_lossy(data).into_owned(),
    }
}

/// Parses a preservation file; `None` when it holds no `<preserve virtualPath=...>`.
pub fn parse(data: &[u8]) -> Option<Compiled> {
    let text = text(data);
    let attrs = PRESERVE.captures(&text)?.get(1)?.as_str().to_string();
    let (mut vp, mut asm, mut ty) = (None, None, None);
    for c in ATTR.captures_iter(&attrs) {
        let v = unescape(c.get(2).or_else(|| c.get(3)).map_or("", |m| m.as_str()));
        match c[1].to_ascii_lowercase().as_str() {
            "virtualpath" => vp = vp.or(Some(v)),
            "assembly" => asm = asm.or(Some(v)),
            _ => ty = ty.or(Some(v)),
        }
    }
    let virtual_path = vp.filter(|v| !v.trim().is_empty())?;
    Some(Compiled {
        virtual_path,
        assembly: asm.filter(|a| !a.is_empty()),
        type_name: ty.filter(|t| !t.is_empty()),
    })
}

/// The page a preservation file's name is for: `logon.aspx.cdcab7d2.compiled` -> `logon.aspx`.
pub fn page_of_file_name(name: &str) -> Option<&str> {
    let stem = name
        .len()
        .checked_sub(".compiled".len())
        .filter(|&at| name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(".compiled"))
        .map(|at| &name[..at])?;
    let (page, hash) = stem.rsplit_once('.')?;
    (!hash.is_empty() && hash.len() <= 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(page)
        .filter(|p| is_page(p))
}

/// The drop zone a virtual path of the Default Web Site is in, and its path inside the zone
/// (lower case): `/aspnet_client/...`, `/owa/auth/...`, `/ecp/auth/...`, `/oab/...`, or a page at
/// the site's root. Other applications (the rest of OWA and ECP, EWS...) have stock pages of
/// their own and are not drop zones.
pub fn zone_of_virtual(vpath: &str) -> Option<(Zone, String)> {
    let lower = vpath.replace('\\', "/").to_ascii_lowercase();
    let segs: Vec<&str> = lower.split('/').filter(|s| !s.is_empty()).collect();
    let (zone, skip) = match segs.as_slice() {
        [_] => (Zone::WebRoot, 0),
        ["aspnet_client", _, ..] => (Zone::AspnetClient, 1),
        ["owa", "auth", _, ..] => (Zone::OwaAuth, 2),
        ["ecp", "auth", _, ..] => (Zone::EcpAuth, 2),
        ["oab", _, ..] => (Zone::Oab, 1),
        _ => return None,
    };
    Some((zone, segs[skip..].join("/")))
}

fn shorten(s: &str) -> String {
    const N: usize = 200;
    if s.chars().count() <= N {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(N).collect::<String>())
    }
}

/// The file scan's hint for a preservation file (`name` ends in `.compiled`): a page in a drop
/// zone that is not a stock Exchange page was compiled, so it was requested and ran.
pub fn inspect(name: &str, data: &[u8]) -> Option<Hint> {
    if !name.to_ascii_lowercase().ends_with(".compiled") {
        return None;
    }
    let c = parse(data)?;
    let (zone, in_zone) = zone_of_virtual(&c.virtual_path)?;
    let page = in_zone.rsplit('/').next().unwrap_or(&in_zone);
    if !is_page(page) || is_stock(zone, &in_zone) {
        return None;
    }
    let mut fields = vec![
        ("VirtualPath".to_string(), c.virtual_path.clone()),
        ("PageZone".to_string(), zone.as_str().to_string()),
    ];
    if let Some(a) = &c.assembly {
        fields.push(("Assembly".into(), a.clone()));
    }
    if let Some(t) = &c.type_name {
        fields.push(("Type".into(), t.clone()));
    }
    Some(Hint {
        rule: "compiled-page",
        title: format!(
            "ASP.NET compiled a page that is not a stock Exchange file ({}): {}",
            zone.as_str(),
            shorten(&c.virtual_path)
        ),
        severity: Severity::High,
        why: "ASP.NET writes this file the first time a page is requested: a page in a webshell drop zone that Exchange does not ship was requested and ran here, even if it has since been deleted. Find the page, and the App_Web assembly named here beside this file (it holds the page's code); the stock list is partial, so compare with a clean server of the same build.".into(),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHELL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<preserve resultType="3" virtualPath="/owa/auth/ohyeah.aspx" hash="fffffff1fd6c4a04" filehash="42c4a74221152888" flags="110000" assembly="App_Web_llfrjg0v" type="ASP.auth_ohyeah_aspx">
    <filedeps>
        <filedep name="/owa/auth/ohyeah.aspx" />
    </filedeps>
</preserve>
"#;

    #[test]
    fn parses_the_preservation_file() {
        let c = parse(SHELL.as_bytes()).unwrap();
        assert_eq!(c.virtual_path, "/owa/auth/ohyeah.aspx");
        assert_eq!(c.assembly.as_deref(), Some("App_Web_llfrjg0v"));
        assert_eq!(c.type_name.as_deref(), Some("ASP.auth_ohyeah_aspx"));
        let mut wide = vec![0xff, 0xfe];
        for u in SHELL.encode_utf16() {
            wide.extend(u.to_le_bytes());
        }
        assert_eq!(parse(&wide).unwrap(), c);
        let quoted = "<preserve virtualPath='/aspnet_client/a&amp;b.aspx' type=\"x\">";
        assert_eq!(
            parse(quoted.as_bytes()).unwrap().virtual_path,
            "/aspnet_client/a&b.aspx"
        );
    }

    #[test]
    fn names_non_stock_pages_in_drop_zones() {
        let h = inspect("ohyeah.aspx.f5dba9b9.compiled", SHELL.as_bytes()).unwrap();
        assert_eq!((h.rule, h.severity), ("compiled-page", Severity::High));
        assert!(h.title.contains("/owa/auth/ohyeah.aspx"), "{}", h.title);
        assert!(
            h.fields
                .contains(&("Assembly".into(), "App_Web_llfrjg0v".into()))
        );
        for (vp, hit) in [
            ("/aspnet_client/system_web/x.ashx", true),
            ("/OAB/log.aspx", true),
            ("/shell.aspx", true),
            ("/owa/auth/Current/themes/x.aspx", true),
            ("/ecp/auth/TimeoutLogoff.aspx", true),
            // stock pages and other applications
            ("/owa/auth/logon.aspx", false),
            ("/OWA/auth/errorFE.aspx", false),
            ("/ecp/auth/TimeoutLogout.aspx", false),
            ("/ecp/default.aspx", false),
            ("/ews/exchange.asmx", false),
            ("/aspnet_client/", false),
            ("/owa/auth/x.js", false),
        ] {
            let xml = format!("<preserve resultType=\"3\" virtualPath=\"{vp}\">");
            assert_eq!(
                inspect("x.aspx.1234abcd.compiled", xml.as_bytes()).is_some(),
                hit,
                "{vp}"
            );
        }
    }

    #[test]
    fn broken_preservation_files_are_quiet() {
        for junk in [
            &b""[..],
            b"\xff\xfe\x00",
            b"MZ\x90\x00 not xml",
            b"<preserve resultType=\"3\">",
            b"<preserve virtualPath=\"  \">",
            b"<preserve virtualPath=\"/owa/auth/x.aspx",
        ] {
            assert!(inspect("x.aspx.1234abcd.compiled", junk).is_none());
        }
        assert!(
            inspect("x.aspx", SHELL.as_bytes()).is_none(),
            "not a .compiled"
        );
    }

    #[test]
    fn page_names_from_file_names() {
        assert_eq!(
            page_of_file_name("ohyeah.aspx.f5dba9b9.compiled"),
            Some("ohyeah.aspx")
        );
        assert_eq!(
            page_of_file_name("A.B.ASHX.0a1B.COMPILED"),
            Some("A.B.ASHX")
        );
        assert_eq!(page_of_file_name("App_Web_llfrjg0v.dll"), None);
        assert_eq!(page_of_file_name("global.asax.compiled"), None, "no hash");
        assert_eq!(page_of_file_name("x.js.1234abcd.compiled"), None);
        assert_eq!(page_of_file_name("x.aspx.zz.compiled"), None);
        assert_eq!(page_of_file_name(".compiled"), None);
        assert_eq!(page_of_file_name("é.compiled"), None);
    }
}
