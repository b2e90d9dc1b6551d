//! What ran on the server after the break-in, from process auditing: Security 4688 (process
//! creation, when auditing is on) and Sysmon 1 (process creation), 10 (process access) and 11 (file
//! create), when Sysmon is installed.
//!
//! Rules (ids are stable):
//! * `w3wp-exchange-pool-child` (post-exploitation, critical): an IIS worker whose command line
//!   names an Exchange app pool (`-ap "MSExchange…AppPool"`, Sysmon's `ParentCommandLine`) started
//!   a shell, recon tool or system binary (`rules/process_children.tsv`): a webshell in an
//!   Exchange application (OWA, ECP, OAB...) running commands.
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
//!   `comsvcs-minidump` (also `#24` and other ordinal forms), `procdump-lsass`, `webshell-cleanup`.
//! * `lsass-memory-access` (post-exploitation, high): Sysmon 10, LSASS opened by a process whose
//!   call stack goes through `dbghelp`/`dbgcore`/`comsvcs` (MiniDumpWriteDump), error reporting
//!   and Defender excepted.
//! * `web-script-written` (post-exploitation, critical): Sysmon 11, an `.aspx`, `.ashx` or `.asmx`
//!   created by `w3wp.exe`, `UMWorkerProcess.exe` or `MSExchangeMailboxReplication.exe` (the
//!   ProxyShell PST export, CVE-2021-31207).
//! * `transport-agents-config-written` (context, medium): Sysmon 11, `agents.config` of the
//!   transport service written (transport-agent persistence changes it).
//!
//! Optional check (`required: false`): most servers have neither Sysmon nor process auditing, so
//! missing logs show as `no-data`/`partial` here without making the verdict inconclusive. A Security
//! log does not say whether 4688 auditing was on: no finding from it is weak evidence of absence.
//! Security logs of Windows Server 2012 R2 have no `ParentProcessName`; there only the
//! command-line rules apply.

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
    title: "Webshell commands, LSASS dumps and script writes (Security 4688, Sysmon 1/10/11)",
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
            "&echo",
            "echo [",
            "aspnet_client",
            "attrib +", // not `attrib`: every rendered record holds `#attributes`
            ".aspx\"",
            ".ashx\"",
            ".asmx\"",
            "agents.config\"",
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
                    "shell" | "recon" | "lolbin" | "persistence" | "dump" | "staging" | "benign"
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
        } else if is_sysmon(e) && e.event_id == 10 {
            if let Some(d) = lsass_access(e) {
                out.push(d.at(&INFO, at));
            }
        } else if is_sysmon(e)
            && e.event_id == 11
            && let Some(d) = file_create(e)
        {
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

fn lsass_access(e: &EvtxEvent) -> Option<Draft> {
    let target = named(e, "TargetImage");
    if basename_lower(&target) != "lsass.exe" {
        return None;
    }
    let source = named(e, "SourceImage");
    if matches!(
        basename_lower(&source).as_str(),
        "werfault.exe" | "wermgr.exe" | "msmpeng.exe" | ""
    ) {
        return None;
    }
    let trace = named(e, "CallTrace").to_ascii_lowercase();
    let dll = ["comsvcs.dll", "dbgcore.dll", "dbghelp.dll"]
        .into_iter()
        .find(|d| trace.contains(d))?;
    let mut fields = vec![
        ("SourceImage".to_string(), source.clone()),
        ("TargetImage".to_string(), target),
        ("GrantedAccess".to_string(), named(e, "GrantedAccess")),
        ("CallTrace".to_string(), named(e, "CallTrace")),
    ];
    fields.extend(base_fields(e, "Sysmon 10"));
    Some(Draft {
        rule: "lsass-memory-access",
        cve: "",
        title: format!(
            "LSASS memory read for a dump by {} (through {dll})",
            basename_lower(&source)
        ),
        class: Class::PostExploitation,
        severity: Severity::High,
        time: e.time,
        fields,
        why: "Opening LSASS with MiniDumpWriteDump on the call stack writes its memory, credentials included, to a file: credential theft after the break-in.".into(),
    })
}

fn file_create(e: &EvtxEvent) -> Option<Draft> {
    let path = named(e, "TargetFilename");
    let writer = named(e, "Image");
    let lower = path.to_ascii_lowercase();
    let wname = basename_lower(&writer);
    let mut fields = vec![
        ("TargetFilename".to_string(), path.clone()),
        ("Image".to_string(), writer.clone()),
    ];
    fields.extend(base_fields(e, "Sysmon 11"));
    let script = [".aspx", ".ashx", ".asmx"]
        .iter()
        .any(|x| lower.ends_with(x));
    if script
        && matches!(
            wname.as_str(),
            "w3wp.exe" | "umworkerprocess.exe" | "msexchangemailboxreplication.exe"
        )
    {
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
            why: "Exchange's web, UM and mailbox-replication processes never create .aspx/.ashx/.asmx files: this is a webshell written through Exchange (OAB/ECP write, UM flaw, or a ProxyShell mailbox export). Look for the file.".into(),
        });
    }
    if lower.ends_with("\\transportroles\\shared\\agents.config") {
        return Some(Draft {
            rule: "transport-agents-config-written",
            cve: "",
            title: format!("Transport agent configuration written by {wname}: {path}"),
            class: Class::Context,
            severity: Severity::Medium,
            time: e.time,
            fields,
            why: "agents.config lists the transport agents loaded on every message; installing or enabling one (a persistence technique) rewrites it. Check the agents it lists.".into(),
        });
    }
    None
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
mod tests {
    use super::*;
    use std::path::Path;

    const W3WP: &str = "C:\\Windows\\System32\\inetsrv\\w3wp.exe";
    const OWA_POOL: &str = "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"MSExchangeOWAAppPool\" -v \"v4.0\" -c \"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin\\GenericAppPoolConfigWithGCServerEnabledFalse.config\" -a \\\\.\\pipe\\iisipm -h \"C:\\inetpub\\temp\\apppools\\MSExchangeOWAAppPool\\MSExchangeOWAAppPool.config\" -w \"\" -m 0";

    fn sysmon(id: u32, kv: &[(&str, &str)]) -> EvtxEvent {
        EvtxEvent {
            provider: "Microsoft-Windows-Sysmon".into(),
            channel: "Microsoft-Windows-Sysmon/Operational".into(),
            event_id: id,
            level: 4,
            named: kv
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            record_id: 3,
            ..Default::default()
        }
    }

    fn security(kv: &[(&str, &str)]) -> EvtxEvent {
        EvtxEvent {
            provider: "Microsoft-Windows-Security-Auditing".into(),
            channel: "Security".into(),
            event_id: 4688,
            named: kv
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            record_id: 4,
            ..Default::default()
        }
    }

    fn run(e: &EvtxEvent) -> Vec<Finding> {
        let at = At {
            path: "x.evtx",
            line: None,
            offset: None,
            record_id: Some(e.record_id),
            raw: b"{}",
            protocol: None,
        };
        let mut out = Vec::new();
        ProcessEvidence.inspect(&Record::Evtx(e), &at, &Ctx::default(), &mut out);
        out
    }

    fn rules(e: &EvtxEvent) -> Vec<&'static str> {
        run(e).iter().map(|f| f.rule).collect()
    }

    fn child(image: &str, cmd: &str, parent: &str, parent_cmd: &str) -> EvtxEvent {
        sysmon(
            1,
            &[
                ("Image", image),
                ("CommandLine", cmd),
                ("ParentImage", parent),
                ("ParentCommandLine", parent_cmd),
                ("User", "NT AUTHORITY\\SYSTEM"),
            ],
        )
    }

    #[test]
    fn tables_load() {
        assert!(CHILDREN.len() > 40);
        assert_eq!(category("C:\\Windows\\System32\\CMD.EXE"), Some("shell"));
        assert_eq!(category("csc.exe"), Some("benign"));
        assert_eq!(category("notepad.exe"), None);
        let ids: Vec<&str> = CMD_RULES.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            [
                "chopper-command",
                "comsvcs-minidump",
                "procdump-lsass",
                "webshell-cleanup"
            ]
        );
        assert_eq!(app_pool(OWA_POOL).as_deref(), Some("MSExchangeOWAAppPool"));
        assert_eq!(app_pool("w3wp.exe -ap My Pool").as_deref(), Some("My"));
        assert_eq!(app_pool("w3wp.exe -h x"), None);
    }

    #[test]
    fn w3wp_children_by_pool() {
        let f = run(&child(
            "C:\\Windows\\System32\\cmd.exe",
            "cmd.exe /c whoami",
            W3WP,
            OWA_POOL,
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].rule, f[0].class, f[0].severity),
            (
                "w3wp-exchange-pool-child",
                Class::PostExploitation,
                Severity::Critical
            )
        );
        assert_eq!(f[0].field("AppPool"), Some("MSExchangeOWAAppPool"));
        assert_eq!(
            rules(&child("C:\\x\\notepad.exe", "notepad", W3WP, OWA_POOL)),
            ["w3wp-exchange-pool-unusual-child"]
        );
        assert!(
            run(&child(
                "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe",
                "csc.exe /noconfig @x.cmdline",
                W3WP,
                OWA_POOL
            ))
            .is_empty(),
            "page compilation"
        );
        let f = run(&child(
            "C:\\Windows\\System32\\cmd.exe",
            "cmd /c net user",
            W3WP,
            "w3wp.exe -ap \"DefaultAppPool\"",
        ));
        assert_eq!(
            (f[0].rule, f[0].severity),
            ("w3wp-webshell-child", Severity::High)
        );
        assert!(
            run(&child(
                "C:\\x\\notepad.exe",
                "notepad",
                W3WP,
                "w3wp.exe -ap \"DefaultAppPool\""
            ))
            .is_empty(),
            "unlisted child of a non-Exchange pool"
        );
        // Security 4688: no parent command line, pool unknown
        let f = run(&security(&[
            ("NewProcessName", "C:\\Windows\\System32\\whoami.exe"),
            ("CommandLine", "whoami /all"),
            ("ParentProcessName", W3WP),
            ("SubjectUserName", "EX01$"),
            ("SubjectDomainName", "CONTOSO"),
        ]));
        assert_eq!(
            (f[0].rule, f[0].severity),
            ("w3wp-webshell-child", Severity::High)
        );
        assert!(f[0].title.contains("app pool unknown"));
        assert_eq!(f[0].field("User"), Some("CONTOSO\\EX01$"));
        // look-alike: cmd.exe started by explorer
        assert!(
            run(&child(
                "C:\\Windows\\System32\\cmd.exe",
                "cmd.exe",
                "C:\\Windows\\explorer.exe",
                "explorer.exe"
            ))
            .is_empty()
        );
    }

    #[test]
    fn um_children() {
        let um = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe";
        let f = run(&child(
            "C:\\Windows\\System32\\cmd.exe",
            "cmd /c whoami",
            um,
            "UMWorkerProcess.exe",
        ));
        assert_eq!(f[0].rule, "um-child-process");
        assert_eq!(f[0].cve, "CVE-2021-26857");
        assert_eq!(
            rules(&child(
                "C:\\Windows\\System32\\notepad.exe",
                "notepad",
                "C:\\x\\UMService.exe",
                ""
            )),
            ["um-child-process"]
        );
        assert!(
            run(&child(
                "C:\\Windows\\System32\\WerFault.exe",
                "WerFault.exe -u -p 4242",
                um,
                ""
            ))
            .is_empty()
        );
    }

    #[test]
    fn command_line_rules() {
        for (cmd, want) in [
            (
                "cmd /c \"cd /d \"C:\\inetpub\\wwwroot\\aspnet_client\\\"&whoami&echo [S]&cd&echo [E]\"",
                Some("chopper-command"),
            ),
            ("cmd /c ipconfig /all&echo [S]", Some("chopper-command")),
            (
                "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\inetpub\\wwwroot\\a.dmp full",
                Some("comsvcs-minidump"),
            ),
            (
                "rundll32 comsvcs.dll #24 624 c:\\windows\\temp\\x.bin full",
                Some("comsvcs-minidump"),
            ),
            (
                "rundll32.exe C:\\windows\\system32\\comsvcs.dll #+000024 624 x full",
                Some("comsvcs-minidump"),
            ),
            (
                "procdump64.exe -accepteula -ma lsass.exe c:\\windows\\temp\\lsass.dmp",
                Some("procdump-lsass"),
            ),
            (
                "cmd /c cd /d C:\\inetpub\\wwwroot\\aspnet_client && dir",
                Some("webshell-cleanup"),
            ),
            (
                "cmd /c attrib +h +s +r C:\\inetpub\\wwwroot\\aspnet_client\\a.aspx",
                Some("webshell-cleanup"),
            ),
            // look-alikes
            ("regsvr32 /s comsvcs.dll", None),
            ("cmd /c echo hello & whoami", None),
            ("procdump.exe -ma w3wp.exe c:\\dumps", None),
            ("attrib +r C:\\data\\report.docx", None),
            ("cmd /c dir C:\\inetpub\\wwwroot\\aspnet_client", None),
        ] {
            let e = child(
                "C:\\Windows\\System32\\cmd.exe",
                cmd,
                "C:\\Windows\\explorer.exe",
                "",
            );
            assert_eq!(rules(&e).first().copied(), want, "{cmd}");
        }
        // both a parent rule and a command-line rule on one event
        let e = child(
            "C:\\Windows\\System32\\cmd.exe",
            "cmd /c \"cd /d \"C:\\inetpub\\wwwroot\\aspnet_client\\\"&whoami&echo [S]&cd&echo [E]\"",
            W3WP,
            "w3wp.exe -ap \"DefaultAppPool\"",
        );
        assert_eq!(rules(&e), ["w3wp-webshell-child", "chopper-command"]);
    }

    #[test]
    fn lsass_access_and_file_writes() {
        let access = |src: &str, tgt: &str, trace: &str| {
            sysmon(
                10,
                &[
                    ("SourceImage", src),
                    ("TargetImage", tgt),
                    ("GrantedAccess", "0x1fffff"),
                    ("CallTrace", trace),
                ],
            )
        };
        let trace = "C:\\Windows\\SYSTEM32\\ntdll.dll+9fc24|C:\\Windows\\SYSTEM32\\dbgcore.DLL+9247|C:\\windows\\system32\\comsvcs.dll+3c3d4";
        assert_eq!(
            rules(&access(
                "C:\\Windows\\system32\\rundll32.exe",
                "C:\\Windows\\system32\\lsass.exe",
                trace
            )),
            ["lsass-memory-access"]
        );
        assert!(
            rules(&access(
                "C:\\Windows\\system32\\rundll32.exe",
                "C:\\Windows\\system32\\notepad.exe",
                trace
            ))
            .is_empty()
        );
        assert!(
            rules(&access(
                "C:\\Windows\\system32\\WerFault.exe",
                "C:\\Windows\\system32\\lsass.exe",
                trace
            ))
            .is_empty()
        );
        assert!(
            rules(&access(
                "C:\\x\\av.exe",
                "C:\\Windows\\system32\\lsass.exe",
                "C:\\Windows\\SYSTEM32\\ntdll.dll+1"
            ))
            .is_empty(),
            "no dump DLL on the stack"
        );
        let write = |img: &str, path: &str| sysmon(11, &[("Image", img), ("TargetFilename", path)]);
        let f = run(&write(
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\MSExchangeMailboxReplication.exe",
            "C:\\inetpub\\wwwroot\\aspnet_client\\mvq4tz.aspx",
        ));
        assert_eq!(f[0].rule, "web-script-written");
        assert_eq!(f[0].cve, "CVE-2021-31207");
        assert_eq!(
            rules(&write(
                W3WP,
                "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.ASHX"
            )),
            ["web-script-written"]
        );
        assert!(rules(&write(W3WP, "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\owa\\x.dll")).is_empty());
        assert!(
            rules(&write("C:\\x\\devenv.exe", "C:\\src\\site\\default.aspx")).is_empty(),
            "a developer's editor"
        );
        assert_eq!(
            rules(&write(
                "C:\\x\\notepad++.exe",
                "E:\\Exchange2016\\TransportRoles\\Shared\\agents.config"
            )),
            ["transport-agents-config-written"]
        );
        assert!(
            rules(&write(
                "C:\\x\\notepad++.exe",
                "E:\\Exchange2016\\TransportRoles\\Shared\\agents.config.bak"
            ))
            .is_empty()
        );
    }

    #[test]
    fn malformed_events_are_quiet() {
        assert!(run(&sysmon(1, &[])).is_empty());
        assert!(run(&sysmon(10, &[])).is_empty());
        assert!(run(&sysmon(11, &[])).is_empty());
        assert!(run(&security(&[])).is_empty());
        assert!(run(&sysmon(1, &[("ParentImage", W3WP), ("CommandLine", "")])).is_empty());
        let mut not_sysmon = child("C:\\Windows\\System32\\cmd.exe", "cmd", W3WP, OWA_POOL);
        not_sysmon.provider = "Some-Other-Provider".into();
        assert!(run(&not_sysmon).is_empty());
        let mut other_id = child("C:\\Windows\\System32\\cmd.exe", "cmd", W3WP, OWA_POOL);
        other_id.event_id = 5;
        assert!(run(&other_id).is_empty());
    }

    #[test]
    fn prefilter_skips_ordinary_security_events() {
        let pre = crate::sources::lines::prefilter(&crate::detect::literals_for(SourceKind::Evtx));
        let sys = |id: u32| {
            format!(
                r##"{{"Event":{{"System":{{"Provider":{{"#attributes":{{"Name":"Microsoft-Windows-Security-Auditing"}}}},"EventID":{id},"Channel":"Security","Computer":"EX01.contoso.local"}},"EventData":"##
            )
        };
        for quiet in [
            format!(
                r##"{}{{"TargetUserName":"jdoe","LogonType":3,"ProcessName":"-","IpAddress":"198.51.100.23"}}}}}}"##,
                sys(4624)
            ),
            format!(
                r##"{}{{"TargetUserName":"EX01$","TargetLogonId":"0x3e7"}}}}}}"##,
                sys(4634)
            ),
            format!(
                r##"{}{{"TargetUserName":"jdoe","LogonType":3,"ProcessName":"C:\Windows\System32\lsass.exe"}}}}}}"##,
                sys(4624)
            ),
            format!(
                r##"{}{{"SubjectUserName":"EX01$","PrivilegeList":"SeBackupPrivilege"}}}}}}"##,
                sys(4672)
            ),
            format!(
                r##"{}{{"NewProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c backup.cmd","ParentProcessName":"C:\\Windows\\System32\\svchost.exe"}}}}}}"##,
                sys(4688)
            ),
        ] {
            assert!(!pre.is_match(quiet.as_bytes()), "{quiet}");
        }
        let child = format!(
            r##"{}{{"NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami","ParentProcessName":"C:\\Windows\\System32\\inetsrv\\w3wp.exe"}}}}}}"##,
            sys(4688)
        );
        assert!(pre.is_match(child.as_bytes()));
    }

    fn sample(name: &str) -> Vec<Finding> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/public/evtx")
            .join(name);
        let pre = crate::sources::lines::prefilter(INFO.literals_for(SourceKind::Evtx));
        let mut found = Vec::new();
        crate::sources::evtx::read(&p, &pre, |e| found.extend(run(&e))).unwrap();
        found
    }

    #[test]
    fn real_sysmon_samples() {
        let f = sample("sysmon-iis-webshell-w3wp-child.evtx");
        assert_eq!(
            f.len(),
            1,
            "{:?}",
            f.iter().map(|f| f.rule).collect::<Vec<_>>()
        );
        assert_eq!(
            (f[0].rule, f[0].class, f[0].severity),
            (
                "w3wp-webshell-child",
                Class::PostExploitation,
                Severity::High
            )
        );
        assert_eq!(f[0].field("AppPool"), Some("DefaultAppPool"));
        assert_eq!(f[0].field("User"), Some("IIS APPPOOL\\DefaultAppPool"));
        assert_eq!(f[0].source.record_id, Some(1044));
        let f = sample("sysmon-comsvcs-minidump.evtx");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "comsvcs-minidump");
        assert!(f[0].title.starts_with("LSASS dump technique"));
        assert_eq!(f[0].source.record_id, Some(32154));
        let f = sample("sysmon-exchange-transport-config-modified.evtx");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "transport-agents-config-written");
        assert!(sample("msexchange-management-install-transportagent.evtx").is_empty());
    }
}
