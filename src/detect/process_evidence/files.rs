//! Sysmon 11 (file create): server pages written into the web folders by anyone, ASP.NET's
//! first-run compile trace of a page, LSASS dump files, and the transport agents' configuration.
//!
//! Who may write a page is a table (`rules/web_writers.tsv`): Exchange's own processes never do
//! (any page they write, anywhere, is `web-script-written`); installers do during updates (a
//! stock page name is quiet, another page is context); any other writer putting a page into a
//! webshell drop zone is `web-page-dropped`, whatever it is: `System` (pid 4) is the SMB server,
//! which is how the ProxyLogon write lands (the OAB reset writes to a `\\127.0.0.1\c$\` path).

use super::{base_fields, named};
use crate::detect::Draft;
use crate::detect::table::{Table, basename_lower};
use crate::detect::webshells::compiled::page_of_file_name;
use crate::detect::webshells::heuristics::{is_page, is_stock};
use crate::model::{Class, Severity};
use crate::sources::evtx::EvtxEvent;
use crate::sources::webfiles::{Zone, zone_of};
use std::sync::LazyLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Exchange,
    Installer,
}

/// Writer image (lowercase file name) -> role.
static WRITERS: LazyLock<Vec<(&'static str, Role)>> = LazyLock::new(|| {
    let t = Table::parse("web_writers.tsv", crate::rules::WEB_WRITERS);
    t.rows()
        .map(|r| {
            let role = match r.get("role") {
                "exchange" => Role::Exchange,
                "installer" => Role::Installer,
                other => panic!("web_writers.tsv line {}: bad role {other}", r.line),
            };
            (r.get("image"), role)
        })
        .collect()
});

fn role(writer: &str) -> Option<Role> {
    WRITERS
        .iter()
        .find(|(i, _)| i.eq_ignore_ascii_case(writer))
        .map(|(_, r)| *r)
}

/// Programs that write process-memory dumps: a `.dmp` they create is worth collecting.
const DUMP_WRITERS: [&str; 7] = [
    "procdump.exe",
    "procdump64.exe",
    "rundll32.exe",
    "rdrleakdiag.exe",
    "createdump.exe",
    "sqldumper.exe",
    "dumpert.exe",
];

/// The segment after `Temporary ASP.NET Files`: the application's folder (`owa`, `root`...).
fn temp_aspnet_app(lower_path: &str) -> Option<&str> {
    let at = lower_path.find("\\temporary asp.net files\\")? + "\\temporary asp.net files\\".len();
    lower_path[at..]
        .split('\\')
        .next()
        .filter(|s| !s.is_empty())
}

/// Applications whose compiled pages are judged: few stock pages (OWA's are the `owa\auth`
/// list) or none (the site root holds `aspnet_client`; OAB serves files). ECP has hundreds of
/// stock pages and EWS its `.asmx`: their compiles are left to the file scan, which reads the
/// `.compiled` file's virtual path.
const JUDGED_APPS: [&str; 3] = ["owa", "root", "oab"];

pub(super) fn file_create(e: &EvtxEvent) -> Option<Draft> {
    let path = named(e, "TargetFilename");
    let writer = named(e, "Image");
    let lower = path.to_ascii_lowercase();
    let name = basename_lower(&path);
    let wname = basename_lower(&writer);
    let mut fields = vec![
        ("TargetFilename".to_string(), path.clone()),
        ("Image".to_string(), writer.clone()),
        ("ProcessId".to_string(), named(e, "ProcessId")),
    ];
    fields.extend(base_fields(e, "Sysmon 11"));
    let draft = |rule, class, severity, title: String, why: &str, fields| Draft {
        rule,
        cve: "",
        title,
        class,
        severity,
        time: e.time,
        fields,
        why: why.to_string(),
    };
    let who = if writer.is_empty() {
        "an unnamed process".to_string()
    } else {
        wname.clone()
    };
    let page = is_page(&name);
    let writer_role = role(&wname);
    if page && writer_role == Some(Role::Exchange) {
        return Some(Draft {
            rule: "web-script-written",
            // A mailbox export written as a script is ProxyShell's last step.
            cve: if wname == "msexchangemailboxreplication.exe" {
                "CVE-2021-31207"
            } else {
                ""
            },
            title: format!("{wname} wrote a web script: {path}"),
            class: Class::PostExploitation,
            severity: Severity::Critical,
            time: e.time,
            fields,
            why: "Exchange's web, UM and mailbox-replication processes never create server pages: this is a webshell written through Exchange (OAB/ECP write, UM flaw, or a ProxyShell mailbox export). Look for the file.".into(),
        });
    }
    let (zone, in_zone) = zone_of(&path, false);
    if page && zone.is_drop_zone() {
        let stock = is_stock(zone, &in_zone);
        fields.push(("Zone".into(), zone.as_str().into()));
        let over_smb = writer.eq_ignore_ascii_case("System");
        if over_smb {
            fields.push((
                "WrittenBy".into(),
                "System (the SMB server: a write through a share)".into(),
            ));
        }
        return match (writer_role, stock) {
            (Some(Role::Installer), true) => None,
            (Some(Role::Installer), false) => Some(draft(
                "installer-wrote-unknown-page",
                Class::Context,
                Severity::Medium,
                format!(
                    "{wname} wrote a page that is not on the stock list ({}): {path}",
                    zone.as_str()
                ),
                "Installers write Exchange's pages during updates, but this one is not on the (partial) stock list of its folder: compare it with a clean server of the same build.",
                fields,
            )),
            (_, true) => Some(draft(
                "stock-page-rewritten",
                Class::Context,
                Severity::High,
                format!(
                    "{who} re-wrote the stock page {in_zone} outside an update ({}): {path}",
                    zone.as_str()
                ),
                "Only setup writes Exchange's stock pages; intruders injected code into genuine pages such as logon.aspx, and admins sometimes edit them for branding. Compare the file with a clean copy of the same build.",
                fields,
            )),
            (_, false) if zone == Zone::WebRoot => Some(draft(
                "web-page-dropped",
                Class::Context,
                Severity::Medium,
                format!("{who} wrote a server page into the IIS web root: {path}"),
                "An Exchange server's web root holds no pages of its own; ProxyShell-era shells were written there, and admins sometimes add a redirect page: review its content.",
                fields,
            )),
            (_, false) => Some(draft(
                "web-page-dropped",
                Class::PostExploitation,
                Severity::Critical,
                if over_smb {
                    format!(
                        "Page written over SMB (System, pid 4) into {}: {path}",
                        zone.as_str()
                    )
                } else {
                    format!("{who} wrote a server page into {}: {path}", zone.as_str())
                },
                "A server page that Exchange does not ship was created in a webshell drop zone (owa\\auth, ecp\\auth, OAB, aspnet_client): a webshell being planted. System as the writer is the SMB server: the file came through a share, which is how the ProxyLogon write (CVE-2021-27065's OAB reset to a \\\\127.0.0.1\\c$ path) lands, or an intruder copying from another machine. Collect the file and look for requests to it.",
                fields,
            )),
        };
    }
    if zone == Zone::TempAspNet
        && let Some(p) = page_of_file_name(&name)
    {
        let app = temp_aspnet_app(&lower).unwrap_or("");
        let stock = is_stock(Zone::OwaAuth, p) || is_stock(Zone::EcpAuth, p);
        if stock || !JUDGED_APPS.contains(&app) {
            return None;
        }
        fields.push(("Page".into(), p.to_string()));
        fields.push(("Application".into(), app.to_string()));
        return Some(draft(
            "page-compiled",
            Class::Context,
            Severity::High,
            format!(
                "ASP.NET compiled a page that is not a stock Exchange page in the {app} application: {p}"
            ),
            "ASP.NET writes <page>.<hash>.compiled (and an App_Web_*.dll) the first time a page is requested: a page Exchange does not ship (on the partial stock list) was requested and ran. Find the page in the application's folders (owa\\auth, aspnet_client, OAB) and the App_Web assembly beside this file; the file scan names the page's full virtual path from the .compiled file.",
            fields,
        ));
    }
    if name.ends_with(".dmp") {
        let lsass = name.starts_with("lsass");
        if lsass || name == "dumpert.dmp" {
            let wer = matches!(wname.as_str(), "werfault.exe" | "wermgr.exe");
            return Some(if wer {
                draft(
                    "lsass-dump-file",
                    Class::Context,
                    Severity::High,
                    format!("LSASS dump written by Windows Error Reporting: {path}"),
                    "LSASS crashing restarts the server, so a dump of it by WerFault is rare; the SilentProcessExit technique makes WerFault dump LSASS without a crash (see Application events 3001 for lsass.exe). Collect the dump: it holds credentials.",
                    fields,
                )
            } else {
                draft(
                    "lsass-dump-file",
                    Class::PostExploitation,
                    Severity::High,
                    format!("LSASS memory dump written by {who}: {path}"),
                    "A dump file named for LSASS (Task Manager's lsass.DMP, procdump's lsass.exe_<date>.dmp, Outflank Dumpert's dumpert.dmp, HAFNIUM's lsass.dmp) holds the credentials of every account logged on to the server: treat them as stolen, and collect or destroy the file.",
                    fields,
                )
            });
        }
        if DUMP_WRITERS.contains(&wname.as_str()) {
            return Some(draft(
                "memory-dump-written",
                Class::Context,
                Severity::Medium,
                format!("Process memory dump written by {wname}: {path}"),
                "A memory-dump tool wrote this file; which process it holds is not in the event (see the command line or the process-access events of the same process id). A dump of LSASS holds credentials.",
                fields,
            ));
        }
        return None;
    }
    if lower.ends_with("\\transportroles\\shared\\agents.config") {
        return Some(draft(
            "transport-agents-config-written",
            Class::Context,
            Severity::Medium,
            format!("Transport agent configuration written by {wname}: {path}"),
            "agents.config lists the transport agents loaded on every message; installing or enabling one (a persistence technique) rewrites it. Check the agents it lists.",
            fields,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_table_loads() {
        assert_eq!(role("W3WP.EXE"), Some(Role::Exchange));
        assert_eq!(role("msiexec.exe"), Some(Role::Installer));
        assert_eq!(role("system"), None);
        assert_eq!(
            temp_aspnet_app(
                "c:\\windows\\microsoft.net\\framework64\\v4.0.30319\\temporary asp.net files\\owa\\8e05b027\\e164d61b\\x.compiled"
            ),
            Some("owa")
        );
        assert_eq!(temp_aspnet_app("c:\\temporary asp.net files\\"), None);
    }
}
