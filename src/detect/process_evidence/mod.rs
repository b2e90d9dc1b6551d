//! What ran on the server after the break-in, from process auditing: Security 4688 (process
//! creation, when auditing is on) and 4648 (explicit-credential logon), and Sysmon 1 (process
//! creation), 3 (network connection), 8 (CreateRemoteThread), 10 (process access), 11 (file create) and 12-14 (registry),
//! when Sysmon is installed; and the Application log's SilentProcessExit events (3000/3001).
//! The full list, with the public samples each rule is tested on: `docs/detections-events.md`.
//!
//! Rules (ids are stable):
//! * `w3wp-exchange-pool-child` (post-exploitation, critical): an IIS worker whose command line
//!   names an Exchange app pool (`-ap "MSExchange…AppPool"`, Sysmon's `ParentCommandLine`) started
//!   a shell, recon tool, system binary or injection host (`rules/process_children.tsv`): a
//!   webshell in an Exchange application (OWA, ECP, OAB...) running commands.
//! * `w3wp-exchange-pool-unusual-child` (context, medium): the same parent, a child not in the
//!   table and not a known-benign compiler or error reporter.
//! * `w3wp-webshell-child` (post-exploitation, **high**): a listed child of any other IIS worker,
//!   or of one whose pool is unknown. Decided lower than the Exchange-pool rule because the pool
//!   does not prove an Exchange application was the way in (the public sample is `DefaultAppPool`
//!   on a plain IIS host), and Security 4688 has no parent command line, so a 4688 parent's pool
//!   is always unknown. Still post-exploitation: a web worker running `cmd.exe` is a webshell at
//!   work, and on Exchange servers shells dropped in `aspnet_client` run in `DefaultAppPool`.
//! * `um-child-process` (post-exploitation, critical, CVE-2021-26857): `UMWorkerProcess.exe` or
//!   `UMService.exe` started anything but `wermgr.exe`/`WerFault.exe`.
//! * command-line rules (`rules/process_cmdlines.tsv`, any process): `chopper-command`,
//!   `comsvcs-minidump` (also `#24` and other ordinal forms), `procdump-lsass`, `webshell-cleanup`,
//!   `rdrleakdiag-dump`, `iis-password-dump`.
//! * process access and injection ([`access`]): `lsass-memory-access`, `lsass-direct-syscall-access`,
//!   `lsass-access-from-user-folder`, `lsass-remote-thread`, `w3wp-remote-thread`,
//!   `lsass-silent-process-exit`, `w3wp-explicit-credentials`, `w3wp-loopback-tunnel` (Sysmon 3).
//! * file creation ([`files`]): `web-script-written`, `web-page-dropped`, `stock-page-rewritten`,
//!   `installer-wrote-unknown-page`, `page-compiled`, `lsass-dump-file`, `memory-dump-written`,
//!   `transport-agents-config-written`.
//!
//! Optional check (`required: false`): most servers have neither Sysmon nor process auditing, so
//! missing logs show as `no-data`/`partial` here without making the verdict inconclusive. A Security
//! log does not say whether 4688 auditing was on: no finding from it is weak evidence of absence.
//! Security logs of Windows Server 2012 R2 have no `ParentProcessName`; there only the
//! command-line rules apply.

mod access;
mod files;

use super::table::{Table, basename_lower};
use super::{At, Check, CheckInfo, Ctx, Draft, Record};
use crate::model::{Class, Finding, Severity};
use crate::sources::SourceKind;
use crate::sources::evtx::EvtxEvent;
use regex::Regex;
use std::sync::LazyLock;

pub struct ProcessEvidence;

pub const ID: &str = "process-evidence";

pub static INFO: CheckInfo = CheckInfo {
    id: ID,
    cve: "",
    title: "Webshell commands, LSASS dumps and script writes (Security 4688/4648, Sysmon 1/8/10/11/13, SilentProcessExit)",
    sources: &[SourceKind::Evtx],
    coverage: &["EVTX/Security", "EVTX/Microsoft-Windows-Sysmon"],
    // Parents and targets are matched with the closing JSON quote, so that a path merely
    // mentioned somewhere does not pass; most Security events (logons) hold none of these. Logons
    // *by* w3wp (4624 `ProcessName`) do pass and are parsed then dropped: the narrower
    // `w3wp.exe","ParentCommandLine"` would depend on field order, and a missed webshell costs
    // more than a parsed logon.
    literals: &[(
        SourceKind::Evtx,
        &[
            "w3wp.exe\"",
            "UMWorkerProcess.exe\"",
            "UMService.exe\"",
            "comsvcs",
            "procdump",
            // not `lsass`: most 4624 logons name lsass.exe as their process
            "lsass.exe c:",
            "dbgcore.dll",
            "dbghelp.dll",
            // Sysmon 10 (process access) has this field and no other event does: LSASS read
            // without a dump DLL on the stack (mimikatz, direct system calls)
            "GrantedAccess",
            "&echo",
            "echo [",
            "aspnet_client",
            "attrib +", // not `attrib`: every rendered record holds `#attributes`
            ".aspx\"",
            ".ashx\"",
            ".asmx\"",
            "agents.config\"",
            // more pages, ASP.NET's compile traces, dump files (Sysmon 11)
            ".asp\"",
            // not .ascx/.asax: every character of them can be a typed value (hex, SID...),
            // which turns EVTX chunk skipping off; such a write reaches the check only when
            // its record holds another literal (aspnet_client, a writer's name)
            ".cshtml\"",
            ".vbhtml\"",
            ".master\"",
            ".soap\"",
            ".rem\"",
            ".compiled\"",
            ".dmp\"",
            // rdrleakdiag and appcmd command lines
            "rdrleakdiag",
            "appcmd",
            // Sysmon 8 (CreateRemoteThread) has this field and no other event does
            "StartAddress",
            // SilentProcessExit: the Application log's monitor and its registry settings
            "ProcessExitMonitor",
            "SilentProcessExit",
            // IFEO lsass.exe GlobalFlag (the other half of the SilentProcessExit set-up)
            "GlobalFlag",
            // Sysmon 3 to RDP, SMB, WinRM: Sysmon names these ports (the address is typed); not
            // "ssh", which "ProcessHandle" holds ignoring case: an SSH tunnel needs another literal
            "ms-wbt-server",
            "microsoft-ds",
            "wsman",
        ],
    )],
    client_addresses: false,
    required: false,
};

static CHILDREN_TEXT: &str = crate::rules::PROCESS_CHILDREN;
static CMDLINES_TEXT: &str = crate::rules::PROCESS_CMDLINES;

/// Child image (lowercase file name) → category.
static CHILDREN: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
    let t = Table::parse("process_children.tsv", CHILDREN_TEXT);
    t.rows()
        .map(|r| {
            let cat = r.get("category");
            assert!(
                matches!(
                    cat,
                    "shell"
                        | "recon"
                        | "lolbin"
                        | "persistence"
                        | "dump"
                        | "staging"
                        | "host"
                        | "benign"
                ),
                "process_children.tsv line {}: bad category {cat}",
                r.line
            );
            (r.get("image"), cat)
        })
        .collect()
});

struct CmdRule {
    id: &'static str,
    pattern: Regex,
    class: Class,
    severity: Severity,
    cve: &'static str,
    title: &'static str,
    why: &'static str,
}

static CMD_RULES: LazyLock<Vec<CmdRule>> = LazyLock::new(|| {
    let t = Table::parse("process_cmdlines.tsv", CMDLINES_TEXT);
    t.rows()
        .map(|r| {
            let bad =
                |what: &str| -> ! { panic!("process_cmdlines.tsv line {}: bad {what}", r.line) };
            let g = r.graded("process_cmdlines.tsv");
            CmdRule {
                id: r.get("rule"),
                pattern: Regex::new(&format!("(?i){}", r.get("pattern")))
                    .unwrap_or_else(|_| bad("pattern")),
                class: g.class,
                severity: g.severity,
                cve: g.cve,
                title: r.get("title"),
                why: r.get("why"),
            }
        })
        .collect()
});

/// `-ap "PoolName"` in a w3wp command line.
static APP_POOL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)(?:^|\s)-ap\s+(?:"([^"]*)"|(\S+))"#).expect("valid regex"));

fn category(image: &str) -> Option<&'static str> {
    let name = basename_lower(image);
    CHILDREN
        .iter()
        .find(|(i, _)| i.eq_ignore_ascii_case(&name))
        .map(|(_, c)| *c)
}

/// The app pool named in a w3wp command line.
pub fn app_pool(cmdline: &str) -> Option<String> {
    let c = APP_POOL.captures(cmdline)?;
    c.get(1)
        .or_else(|| c.get(2))
        .map(|m| m.as_str().trim().to_string())
        .filter(|p| !p.is_empty())
}

fn is_exchange_pool(pool: &str) -> bool {
    let p = pool.to_ascii_lowercase();
    p.starts_with("msexchange") && p.ends_with("apppool")
}

/// A process creation, from Sysmon 1 or Security 4688.
struct Proc {
    source: &'static str,
    image: String,
    cmdline: String,
    parent: String,
    /// Sysmon only: 4688 does not log it.
    parent_cmdline: Option<String>,
    user: String,
}

fn named(e: &EvtxEvent, k: &str) -> String {
    e.named(k).unwrap_or_default().to_string()
}

fn is_sysmon(e: &EvtxEvent) -> bool {
    e.provider.to_ascii_lowercase().contains("sysmon")
}

fn process_creation(e: &EvtxEvent) -> Option<Proc> {
    if is_sysmon(e) && e.event_id == 1 {
        return Some(Proc {
            source: "Sysmon 1",
            image: named(e, "Image"),
            cmdline: named(e, "CommandLine"),
            parent: named(e, "ParentImage"),
            parent_cmdline: e.named("ParentCommandLine").map(str::to_string),
            user: named(e, "User"),
        });
    }
    if e.event_id == 4688
        && e.provider
            .eq_ignore_ascii_case("Microsoft-Windows-Security-Auditing")
    {
        let (dom, user) = (named(e, "SubjectDomainName"), named(e, "SubjectUserName"));
        return Some(Proc {
            source: "Security 4688",
            image: named(e, "NewProcessName"),
            cmdline: named(e, "CommandLine"),
            parent: named(e, "ParentProcessName"),
            parent_cmdline: None,
            user: if dom.is_empty() {
                user
            } else {
                format!("{dom}\\{user}")
            },
        });
    }
    None
}

fn shorten(s: &str, n: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn base_fields(e: &EvtxEvent, source: &str) -> Vec<(String, String)> {
    vec![
        ("Source".to_string(), source.to_string()),
        ("EventId".to_string(), e.event_id.to_string()),
        ("Computer".to_string(), e.computer.clone()),
        ("RecordId".to_string(), e.record_id.to_string()),
    ]
}

fn proc_fields(e: &EvtxEvent, p: &Proc, pool: Option<&str>) -> Vec<(String, String)> {
    let mut f = vec![
        ("Image".to_string(), p.image.clone()),
        ("CommandLine".to_string(), p.cmdline.clone()),
        ("ParentImage".to_string(), p.parent.clone()),
        (
            "ParentCommandLine".to_string(),
            p.parent_cmdline.clone().unwrap_or_default(),
        ),
        ("User".to_string(), p.user.clone()),
    ];
    if let Some(pool) = pool {
        f.push(("AppPool".to_string(), pool.to_string()));
    }
    f.extend(base_fields(e, p.source));
    f
}

impl Check for ProcessEvidence {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, _ctx: &Ctx, out: &mut Vec<Finding>) {
        let Record::Evtx(e) = rec else { return };
        if let Some(p) = process_creation(e) {
            if let Some(d) = parent_rule(e, &p) {
                out.push(d.at(&INFO, at));
            }
            if let Some(d) = cmdline_rule(e, &p) {
                out.push(d.at(&INFO, at));
            }
            return;
        }
        let d = if is_sysmon(e) {
            match e.event_id {
                3 => access::loopback_tunnel(e),
                8 => access::remote_thread(e),
                10 => access::lsass_access(e),
                11 => files::file_create(e),
                12..=14 => access::silent_exit_config(e),
                _ => None,
            }
        } else {
            match e.event_id {
                3000 | 3001 => access::silent_exit(e),
                4648 => access::explicit_credentials(e),
                _ => None,
            }
        };
        if let Some(d) = d {
            out.push(d.at(&INFO, at));
        }
    }
}

fn parent_rule(e: &EvtxEvent, p: &Proc) -> Option<Draft> {
    let parent = basename_lower(&p.parent);
    let child = basename_lower(&p.image);
    if child.is_empty() {
        return None;
    }
    let cat = category(&p.image);
    let shown = if p.cmdline.trim().is_empty() {
        child.clone()
    } else {
        shorten(&p.cmdline, 160)
    };
    match parent.as_str() {
        "w3wp.exe" => {
            let pool = p.parent_cmdline.as_deref().and_then(app_pool);
            let exchange = pool.as_deref().is_some_and(is_exchange_pool);
            let pool_shown = pool.clone().unwrap_or_else(|| "app pool unknown".into());
            let (rule, class, severity, title, why) = match (exchange, cat) {
                (_, Some("benign")) => return None,
                (true, Some(c)) => (
                    "w3wp-exchange-pool-child",
                    Class::PostExploitation,
                    Severity::Critical,
                    format!("Exchange app pool {pool_shown} started {child} ({c}): {shown}"),
                    "An Exchange web application (OWA, ECP, OAB...) started a shell, recon tool or system binary: a webshell running commands inside Exchange, as after ProxyLogon or ProxyShell.".to_string(),
                ),
                (true, None) => (
                    "w3wp-exchange-pool-unusual-child",
                    Class::Context,
                    Severity::Medium,
                    format!("Exchange app pool {pool_shown} started an unusual process: {shown}"),
                    "Exchange app pools normally start only compilers and error reporting; check what this program is.".to_string(),
                ),
                (false, Some(c)) => (
                    "w3wp-webshell-child",
                    Class::PostExploitation,
                    Severity::High,
                    format!("IIS worker ({pool_shown}) started {child} ({c}): {shown}"),
                    "A web application running a shell, recon tool or system binary is a webshell at work. Graded below the Exchange-pool rule: this worker is not (or not known to be) an Exchange app pool, though on Exchange servers shells dropped in aspnet_client run in DefaultAppPool.".to_string(),
                ),
                (false, None) => return None,
            };
            let mut fields = proc_fields(e, p, Some(pool.as_deref().unwrap_or("")));
            fields.push(("ChildCategory".into(), cat.unwrap_or("other").into()));
            Some(Draft {
                rule,
                cve: "",
                title,
                class,
                severity,
                time: e.time,
                fields,
                why,
            })
        }
        "umworkerprocess.exe" | "umservice.exe" => {
            if matches!(child.as_str(), "wermgr.exe" | "werfault.exe") {
                return None;
            }
            let fields = proc_fields(e, p, None);
            Some(Draft {
                rule: "um-child-process",
                cve: "CVE-2021-26857",
                title: format!("Unified Messaging process {parent} started {child}: {shown}"),
                class: Class::PostExploitation,
                severity: Severity::Critical,
                time: e.time,
                fields,
                why: "The UM services start no programs but error reporting; a child process is code run through the CVE-2021-26857 deserialization flaw, as SYSTEM.".into(),
            })
        }
        _ => None,
    }
}

fn cmdline_rule(e: &EvtxEvent, p: &Proc) -> Option<Draft> {
    if p.cmdline.trim().is_empty() {
        return None;
    }
    let r = CMD_RULES.iter().find(|r| r.pattern.is_match(&p.cmdline))?;
    let fields = proc_fields(e, p, None);
    Some(Draft {
        rule: r.id,
        cve: r.cve,
        title: format!("{}: {}", r.title, shorten(&p.cmdline, 160)),
        class: r.class,
        severity: r.severity,
        time: e.time,
        fields,
        why: r.why.to_string(),
    })
}

/// The command-line table's rules, for `exhunt rules`.
pub fn catalog() -> Vec<crate::model::catalog::RuleEntry> {
    CMD_RULES
        .iter()
        .map(|r| crate::model::catalog::RuleEntry {
            check: ID,
            id: r.id.to_string(),
            cve: r.cve.to_string(),
            class: r.class,
            severity: r.severity,
            title: r.title.to_string(),
            why: r.why.to_string(),
            table: "rules/process_cmdlines.tsv",
            tests: format!("process command lines matching {}", r.pattern.as_str()),
            refs: String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_gaps;
