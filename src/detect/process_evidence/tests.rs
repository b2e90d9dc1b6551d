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
    assert_eq!(category("notepad.exe"), Some("host"));
    assert_eq!(category("sqlservr.exe"), None);
    let ids: Vec<&str> = CMD_RULES.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "chopper-command",
            "comsvcs-minidump",
            "procdump-lsass",
            "webshell-cleanup",
            "rdrleakdiag-dump",
            "iis-password-dump"
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
        rules(&child("C:\\x\\report.exe", "report", W3WP, OWA_POOL)),
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
            "C:\\x\\report.exe",
            "report",
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

const FE: &str = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy";
const TEMP_OWA: &str = "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\owa\\8e05b027\\e164d61b";

fn write(img: &str, path: &str) -> EvtxEvent {
    sysmon(
        11,
        &[("Image", img), ("TargetFilename", path), ("ProcessId", "4")],
    )
}

#[test]
fn pages_written_by_any_process() {
    // the ProxyLogon PoC's write, as the OTRF data set logged it: the SMB server (System)
    let f = run(&write("System", &format!("{FE}\\owa\\auth\\ohyeah.aspx")));
    assert_eq!(
        (f[0].rule, f[0].class, f[0].severity),
        (
            "web-page-dropped",
            Class::PostExploitation,
            Severity::Critical
        )
    );
    assert!(f[0].title.contains("over SMB"), "{}", f[0].title);
    assert_eq!(f[0].field("Zone"), Some("owa/auth"));
    for (img, path, want) in [
        (
            "C:\\Windows\\explorer.exe",
            "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\x.ashx",
            Some("web-page-dropped"),
        ),
        (
            "C:\\Windows\\System32\\cmd.exe",
            &format!("{FE}\\ecp\\auth\\TimeoutLogoff.aspx"),
            Some("web-page-dropped"),
        ),
        (
            "C:\\x\\powershell.exe",
            &format!("{FE}\\OAB\\log.aspx"),
            Some("web-page-dropped"),
        ),
        (
            "C:\\x\\robocopy.exe",
            "C:\\inetpub\\wwwroot\\redirect.aspx",
            Some("web-page-dropped"),
        ),
        // a stock page re-written outside an update, and installers
        (
            "C:\\x\\notepad.exe",
            &format!("{FE}\\owa\\auth\\logon.aspx"),
            Some("stock-page-rewritten"),
        ),
        (
            "C:\\Windows\\System32\\msiexec.exe",
            &format!("{FE}\\owa\\auth\\logon.aspx"),
            None,
        ),
        (
            "C:\\Windows\\System32\\msiexec.exe",
            &format!("{FE}\\ecp\\auth\\TimeoutLogout.aspx"),
            None,
        ),
        (
            "C:\\Windows\\System32\\MSIEXEC.EXE",
            &format!("{FE}\\owa\\auth\\errorfe.ASPX"),
            None,
        ),
        (
            "C:\\x\\ExSetup.exe",
            &format!("{FE}\\owa\\auth\\newpage.aspx"),
            Some("installer-wrote-unknown-page"),
        ),
        // not pages, or not in a drop zone
        (
            "System",
            &format!("{FE}\\owa\\auth\\Current\\themes\\logon.css"),
            None,
        ),
        (
            "System",
            "C:\\Users\\admin\\Desktop\\site\\default.aspx",
            None,
        ),
        (
            "System",
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\ecp\\x.aspx",
            None,
        ),
    ] {
        assert_eq!(
            rules(&write(img, path)).first().copied(),
            want,
            "{img} {path}"
        );
    }
    let f = run(&write(
        "C:\\x\\robocopy.exe",
        "C:\\inetpub\\wwwroot\\redirect.aspx",
    ));
    assert_eq!(
        (f[0].class, f[0].severity),
        (Class::Context, Severity::Medium)
    );
    let f = run(&write(
        "C:\\x\\notepad.exe",
        &format!("{FE}\\owa\\auth\\logon.aspx"),
    ));
    assert_eq!(f[0].class, Class::Context);
}

#[test]
fn compiled_pages() {
    let f = run(&write(
        W3WP,
        &format!("{TEMP_OWA}\\ohyeah.aspx.f5dba9b9.compiled"),
    ));
    assert_eq!(
        (f[0].rule, f[0].class, f[0].severity),
        ("page-compiled", Class::Context, Severity::High)
    );
    assert_eq!(f[0].field("Page"), Some("ohyeah.aspx"));
    assert_eq!(f[0].field("Application"), Some("owa"));
    let root = TEMP_OWA.replace("\\owa\\", "\\root\\");
    assert_eq!(
        rules(&write(W3WP, &format!("{root}\\x.ashx.0a1b2c3d.compiled"))),
        ["page-compiled"]
    );
    for quiet in [
        format!("{TEMP_OWA}\\logon.aspx.cdcab7d2.compiled"), // stock
        format!("{TEMP_OWA}\\App_Web_llfrjg0v.dll"),         // names no page
        format!("{TEMP_OWA}\\llfrjg0v.tmp"),
        TEMP_OWA.replace("\\owa\\", "\\ecp\\") + "\\editmailbox.aspx.1a2b3c4d.compiled",
        format!("{TEMP_OWA}\\x.aspx.compiled"),
    ] {
        assert!(rules(&write(W3WP, &quiet)).is_empty(), "{quiet}");
    }
}

#[test]
fn lsass_dump_files() {
    for (img, path, want) in [
        (
            "C:\\Windows\\System32\\Taskmgr.exe",
            "C:\\Users\\a\\AppData\\Local\\Temp\\lsass (4).DMP",
            Some("lsass-dump-file"),
        ),
        (
            "C:\\Users\\a\\Desktop\\procdump.exe",
            "C:\\Users\\a\\Desktop\\lsass.exe_190317_120941.dmp",
            Some("lsass-dump-file"),
        ),
        (
            "C:\\x\\Outflank-Dumpert.exe",
            "C:\\Windows\\Temp\\dumpert.dmp",
            Some("lsass-dump-file"),
        ),
        (
            "C:\\Windows\\System32\\WerFault.exe",
            "C:\\dumps\\lsass.exe-(PID-668).dmp",
            Some("lsass-dump-file"),
        ),
        (
            "C:\\Windows\\System32\\rdrleakdiag.exe",
            "C:\\Users\\w\\Desktop\\minidump_668.dmp",
            Some("memory-dump-written"),
        ),
        (
            "C:\\Windows\\System32\\rundll32.exe",
            "C:\\Windows\\Temp\\76nivOxA.dmp",
            Some("memory-dump-written"),
        ),
        // crash dumps of other programs
        (
            "C:\\Windows\\System32\\WerFault.exe",
            "C:\\ProgramData\\CrashDumps\\w3wp.exe.4242.dmp",
            None,
        ),
        ("C:\\x\\app.exe", "C:\\x\\app.dmp", None),
        ("C:\\x\\app.exe", "C:\\x\\lsass.dmp.txt", None),
    ] {
        assert_eq!(
            rules(&write(img, path)).first().copied(),
            want,
            "{img} {path}"
        );
    }
    let f = run(&write(
        "C:\\Windows\\System32\\WerFault.exe",
        "C:\\dumps\\lsass.exe-(PID-668).dmp",
    ));
    assert_eq!(f[0].class, Class::Context, "a real LSASS crash is possible");
    let f = run(&write(
        "C:\\Windows\\System32\\Taskmgr.exe",
        "C:\\t\\lsass.DMP",
    ));
    assert_eq!(
        (f[0].class, f[0].severity),
        (Class::PostExploitation, Severity::High)
    );
}

#[test]
fn lsass_access_without_dump_dlls() {
    let access = |src: &str, mask: &str, trace: &str| {
        sysmon(
            10,
            &[
                ("SourceImage", src),
                ("TargetImage", "C:\\Windows\\system32\\lsass.exe"),
                ("GrantedAccess", mask),
                ("CallTrace", trace),
            ],
        )
    };
    let direct = "C:\\Users\\a\\Desktop\\x64\\Outflank-Dumpert.exe+134da|C:\\Users\\a\\Desktop\\x64\\Outflank-Dumpert.exe+12e6d";
    assert_eq!(
        rules(&access(
            "C:\\Windows\\system32\\rundll32.exe",
            "0x1fffff",
            direct
        )),
        ["lsass-direct-syscall-access"]
    );
    assert_eq!(
        rules(&access(
            "C:\\x\\y.exe",
            "0x1410",
            "UNKNOWN(0358F03E)|C:\\x\\y.exe+1"
        )),
        ["lsass-direct-syscall-access"]
    );
    let normal = "C:\\Windows\\SYSTEM32\\ntdll.dll+4595c|C:\\Windows\\system32\\KERNELBASE.dll+8185|C:\\Users\\u\\Desktop\\m.exe+5c5a9";
    assert_eq!(
        rules(&access("C:\\Users\\u\\Desktop\\m.exe", "0x1010", normal)),
        ["lsass-access-from-user-folder"]
    );
    // look-alikes: no VM_READ, installed software, an empty trace
    assert!(rules(&access("C:\\Users\\u\\Desktop\\m.exe", "0x1000", normal)).is_empty());
    assert!(rules(&access("C:\\Users\\u\\Desktop\\m.exe", "0x1400", direct)).is_empty());
    assert!(
        rules(&access(
            "C:\\Program Files\\Agent\\agent.exe",
            "0x1010",
            normal
        ))
        .is_empty()
    );
    assert!(
        rules(&access(
            "C:\\Program Files\\Agent\\agent.exe",
            "0x1fffff",
            ""
        ))
        .is_empty()
    );
    assert!(
        rules(&access(
            "C:\\Program Files\\Agent\\agent.exe",
            "junk",
            direct
        ))
        .is_empty()
    );
}

#[test]
fn remote_threads_silent_exit_and_explicit_logons() {
    let thread = |src: &str, tgt: &str| {
        sysmon(
            8,
            &[
                ("SourceImage", src),
                ("TargetImage", tgt),
                ("StartAddress", "0x005A28D0"),
            ],
        )
    };
    assert_eq!(
        rules(&thread(W3WP, "C:\\Windows\\System32\\notepad.exe")),
        ["w3wp-remote-thread"]
    );
    assert_eq!(
        rules(&thread(
            "C:\\Windows\\System32\\rdrleakdiag.exe",
            "C:\\Windows\\System32\\lsass.exe"
        )),
        ["lsass-remote-thread"]
    );
    assert!(
        rules(&thread(
            "C:\\Windows\\System32\\csrss.exe",
            "C:\\x\\powershell.exe"
        ))
        .is_empty()
    );
    assert!(
        rules(&thread(
            "C:\\Windows\\System32\\csrss.exe",
            "C:\\Windows\\System32\\lsass.exe"
        ))
        .is_empty()
    );
    let exit = |id: u32, process: &str| EvtxEvent {
        provider: "Microsoft-Windows-ProcessExitMonitor".into(),
        channel: "Application".into(),
        event_id: id,
        named: vec![
            ("param1".into(), process.into()),
            (
                "param2".into(),
                "C:\\Users\\u\\Desktop\\LsassSilentProcessExit.exe".into(),
            ),
            ("param3".into(), "0".into()),
        ],
        ..Default::default()
    };
    let f = run(&exit(3001, "C:\\Windows\\System32\\lsass.exe"));
    assert_eq!(
        (f[0].rule, f[0].class),
        ("lsass-silent-process-exit", Class::PostExploitation)
    );
    assert!(f[0].title.contains("LsassSilentProcessExit.exe"));
    assert!(run(&exit(3001, "C:\\Windows\\System32\\notepad.exe")).is_empty());
    let mut other = exit(3001, "C:\\Windows\\System32\\lsass.exe");
    other.provider = "Some-App".into();
    assert!(run(&other).is_empty());
    let reg = |key: &str| {
        sysmon(
            13,
            &[
                ("TargetObject", key),
                ("Image", "C:\\x\\reg.exe"),
                ("Details", "DWORD (0x00000001)"),
            ],
        )
    };
    assert_eq!(
        rules(&reg(
            "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit\\lsass.exe\\ReportingMode"
        )),
        ["lsass-silent-process-exit"]
    );
    assert_eq!(
        rules(&reg(
            "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\lsass.exe\\GlobalFlag"
        )),
        ["lsass-silent-process-exit"]
    );
    assert!(rules(&reg("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit\\notepad.exe\\ReportingMode")).is_empty());
    assert!(rules(&reg("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\lsass.exe\\AuditLevel")).is_empty());
    let logon = |subject: &str| {
        let mut e = security(&[
            ("SubjectUserName", subject),
            ("SubjectDomainName", "WEB01"),
            ("TargetUserName", "admin"),
            ("TargetDomainName", "WEB01"),
            ("ProcessName", W3WP),
        ]);
        e.event_id = 4648;
        e
    };
    let f = run(&logon("svc01"));
    assert_eq!(
        (f[0].rule, f[0].class),
        ("w3wp-explicit-credentials", Class::Context)
    );
    assert_eq!(f[0].field("TargetUser"), Some("WEB01\\admin"));
    assert!(
        run(&logon("EX01$")).is_empty(),
        "Exchange pools: OWA and Basic logons"
    );
    assert!(run(&logon("")).is_empty());
    let mut by_other = logon("svc01");
    by_other.named.retain(|(k, _)| k != "ProcessName");
    assert!(run(&by_other).is_empty());
}

#[test]
fn webshell_follow_on_command_lines() {
    for (cmd, want) in [
        (
            "\"C:\\Windows\\System32\\inetsrv\\appcmd.exe\"  list apppool /text:processmodel.password",
            Some("iis-password-dump"),
        ),
        (
            "appcmd list vdir \"Line Number: 0\" /text:password",
            Some("iis-password-dump"),
        ),
        (
            "C:\\Windows\\System32\\inetsrv\\appcmd.exe list apppool /config /xml",
            Some("iis-password-dump"),
        ),
        ("appcmd.exe list apppool /text:*", Some("iis-password-dump")),
        (
            "rdrleakdiag.exe  /p 668 /o C:\\Users\\w\\Desktop /fullmemdmp /snap",
            Some("rdrleakdiag-dump"),
        ),
        // look-alikes: listing names, setting a password, other diagnostics
        ("appcmd list apppool /text:name", None),
        ("appcmd list apppool /text:processmodel.username", None),
        (
            "appcmd set apppool /apppool.name:x /processModel.password:P@ss",
            None,
        ),
        ("rdrleakdiag.exe /p 668 /o C:\\x /snap", None),
    ] {
        let e = child(
            "C:\\Windows\\System32\\x.exe",
            cmd,
            "C:\\Windows\\explorer.exe",
            "",
        );
        assert_eq!(rules(&e).first().copied(), want, "{cmd}");
    }
    assert_eq!(
        rules(&child(
            "C:\\Windows\\System32\\notepad.exe",
            "C:\\Windows\\System32\\notepad.exe",
            W3WP,
            "w3wp.exe -ap \"DefaultAppPool\""
        )),
        ["w3wp-webshell-child"]
    );
}

#[test]
fn malformed_events_are_quiet() {
    assert!(run(&sysmon(1, &[])).is_empty());
    assert!(run(&sysmon(10, &[])).is_empty());
    assert!(run(&sysmon(11, &[])).is_empty());
    assert!(run(&sysmon(8, &[])).is_empty());
    assert!(run(&sysmon(13, &[])).is_empty());
    assert!(run(&sysmon(11, &[("TargetFilename", "\\")])).is_empty());
    assert!(
        run(&sysmon(
            11,
            &[(
                "TargetFilename",
                "C:\\x\\Temporary ASP.NET Files\\.compiled"
            )]
        ))
        .is_empty()
    );
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
