use super::*;
use std::path::Path;

pub(super) const W3WP: &str = "C:\\Windows\\System32\\inetsrv\\w3wp.exe";
const OWA_POOL: &str = "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"MSExchangeOWAAppPool\" -v \"v4.0\" -c \"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin\\GenericAppPoolConfigWithGCServerEnabledFalse.config\" -a \\\\.\\pipe\\iisipm -h \"C:\\inetpub\\temp\\apppools\\MSExchangeOWAAppPool\\MSExchangeOWAAppPool.config\" -w \"\" -m 0";

pub(super) fn sysmon(id: u32, kv: &[(&str, &str)]) -> EvtxEvent {
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

pub(super) fn security(kv: &[(&str, &str)]) -> EvtxEvent {
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

pub(super) fn run(e: &EvtxEvent) -> Vec<Finding> {
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

pub(super) fn rules(e: &EvtxEvent) -> Vec<&'static str> {
    run(e).iter().map(|f| f.rule).collect()
}

pub(super) fn child(image: &str, cmd: &str, parent: &str, parent_cmd: &str) -> EvtxEvent {
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
