//! CVE-2021-26858 (arbitrary file write via the OAB generator), from OABGeneratorLog.
//!
//! Test-ProxyLogon: `Download failed and temporary file (.*?) needs to be removed` where the path
//! does not start with `'<install>ClientAccess\OAB`. exhunt strips quotes, resolves `..` (a path
//! that starts inside the OAB folder and climbs out of it is a write elsewhere), maps
//! `\\localhost\c$` to `C:`, and compares case-insensitively with the discovered install path and
//! the default one.

use super::{At, Check, CheckInfo, Ctx, Draft, Record};
use crate::model::{Class, Finding, Severity, Timestamp};
use crate::sources::SourceKind;
use crate::sources::discover::DEFAULT_INSTALL_WINDOWS;
use crate::sources::oab::{LITERAL, failed_download_path};
use crate::sources::paths::normalize_windows_path;
use regex::bytes::Regex;
use std::sync::LazyLock;

pub struct Cve202126858;

pub static INFO: CheckInfo = CheckInfo {
    id: "cve-2021-26858",
    cve: "CVE-2021-26858",
    title: "CVE-2021-26858 file write through the OAB generator (OABGeneratorLog)",
    sources: &[SourceKind::OabGenerator, SourceKind::Text],
    coverage: &["OABGeneratorLog"],
    literals: &[
        (SourceKind::OabGenerator, &[LITERAL]),
        (SourceKind::Text, &[LITERAL]),
    ],
    client_addresses: false,
    required: true,
};

static ANY_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?").expect("valid regex")
});

/// The legitimate OAB folders (normalised, without drive letter).
fn allowed_roots(ctx: &Ctx) -> Vec<String> {
    let mut v = vec![format!("{DEFAULT_INSTALL_WINDOWS}ClientAccess\\OAB")];
    if let Some(p) = &ctx.install_windows_path {
        v.push(format!("{}\\ClientAccess\\OAB", p.trim_end_matches('\\')));
    }
    v.iter()
        .map(|p| strip_drive(&normalize_windows_path(p)).to_string())
        .collect()
}

fn strip_drive(p: &str) -> &str {
    match p.as_bytes() {
        [d, b':', ..] if d.is_ascii_alphabetic() => &p[2..],
        _ => p,
    }
}

/// True when `path` (as logged) lies inside a legitimate OAB folder.
pub fn is_legitimate(path: &str, ctx: &Ctx) -> bool {
    let norm = normalize_windows_path(path);
    if norm.starts_with("\\\\") {
        return false; // a UNC path to another host is never the local OAB folder
    }
    let p = strip_drive(&norm);
    allowed_roots(ctx)
        .iter()
        .any(|root| p == root || p.starts_with(&format!("{root}\\")))
}

impl Check for Cve202126858 {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, ctx: &Ctx, out: &mut Vec<Finding>) {
        let Record::TextLine(line) = rec else { return };
        let Some(path) = failed_download_path(line) else {
            return;
        };
        if is_legitimate(&path, ctx) {
            return;
        }
        let time = Timestamp::parse_leading(line).or_else(|| {
            ANY_TIME
                .find(line)
                .and_then(|m| Timestamp::parse_leading(m.as_bytes()))
        });
        let shown = path.trim().trim_matches('\'').trim_matches('"').to_string();
        out.push(
            Draft {
                rule: "oab-download-path",
                cve: "",
                title: format!("CVE-2021-26858: OAB generator wrote a temporary file outside the OAB folder: {shown}"),
                class: Class::PostExploitation,
                severity: Severity::Critical,
                time,
                fields: vec![
                    ("Path".into(), shown),
                    ("NormalizedPath".into(), normalize_windows_path(&path)),
                    ("AllowedFolder".into(), format!("{}ClientAccess\\OAB", ctx.install_windows_path.as_deref().unwrap_or(DEFAULT_INSTALL_WINDOWS))),
                ],
                why: "Only <install>\\ClientAccess\\OAB is a legitimate OAB download target; any other path is the arbitrary file write used to drop webshells. Look for the file at that path.".into(),
            }
            .at(&INFO, at),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str, install: Option<&str>) -> Vec<Finding> {
        let ctx = Ctx {
            install_windows_path: install.map(str::to_string),
            ..Ctx::default()
        };
        let at = At {
            path: "oab.log",
            line: Some(1),
            offset: Some(0),
            record_id: None,
            raw: line.as_bytes(),
            protocol: None,
        };
        let mut out = Vec::new();
        Cve202126858.inspect(&Record::TextLine(line.as_bytes()), &at, &ctx, &mut out);
        out
    }

    #[test]
    fn write_outside_oab_is_found() {
        let f = run(
            "2021-03-03T01:02:03.000Z,Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\zq7w.aspx' needs to be removed",
            None,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].field("Path"),
            Some("C:\\inetpub\\wwwroot\\aspnet_client\\zq7w.aspx")
        );
        assert_eq!(f[0].time.unwrap().to_string(), "2021-03-03T01:02:03.000Z");
        let climb = "x Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\..\\..\\FrontEnd\\HttpProxy\\owa\\auth\\a.aspx' needs to be removed";
        assert_eq!(
            run(climb, None).len(),
            1,
            "climbing out of the OAB folder is a write elsewhere"
        );
        assert_eq!(run("Download failed and temporary file '\\\\10.0.0.5\\share\\a.aspx' needs to be removed", None).len(), 1);
    }

    #[test]
    fn legitimate_oab_temp_paths_stay_quiet() {
        assert!(run("Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\a\\oab.lzx' needs to be removed", None).is_empty());
        assert!(run("Download failed and temporary file \"c:\\program files\\microsoft\\exchange server\\v15\\clientaccess\\oab\\temp\\x\" needs to be removed", None).is_empty());
        assert!(run("Download failed and temporary file 'E:\\Exchange\\ClientAccess\\OAB\\Temp\\x.lzx' needs to be removed", Some("E:\\Exchange\\")).is_empty());
        assert!(run("Download failed and temporary file '\\\\localhost\\c$\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\x' needs to be removed", None).is_empty());
        assert!(run("Download succeeded for 'C:\\inetpub\\x.aspx'", None).is_empty());
    }
}
