//! Tests of the rules for pages written by any process, compiled pages, LSASS dumps as the logs
//! show them, and webshell follow-on (issue 15); the helpers are those of [`super::tests`].

use super::tests::{W3WP, child, rules, run, security, sysmon};
use crate::model::{Class, Severity};
use crate::sources::evtx::EvtxEvent;

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
fn webshell_tunnels_to_the_machine_itself() {
    let conn = |image: &str, ip: &str, port: &str, initiated: &str| {
        sysmon(
            3,
            &[
                ("Image", image),
                ("Initiated", initiated),
                ("DestinationIp", ip),
                ("DestinationPort", port),
                ("DestinationPortName", "ms-wbt-server"),
            ],
        )
    };
    assert_eq!(
        rules(&conn(W3WP, "127.0.0.1", "3389", "true")),
        ["w3wp-loopback-tunnel"]
    );
    assert_eq!(
        rules(&conn(W3WP, "::1", "445", "true")),
        ["w3wp-loopback-tunnel"]
    );
    // look-alikes: the back end on 444, a domain controller, an inbound connection, another program
    assert!(rules(&conn(W3WP, "127.0.0.1", "444", "true")).is_empty());
    assert!(rules(&conn(W3WP, "10.0.0.5", "445", "true")).is_empty());
    assert!(rules(&conn(W3WP, "127.0.0.1", "3389", "false")).is_empty());
    assert!(
        rules(&conn(
            "C:\\Windows\\System32\\svchost.exe",
            "127.0.0.1",
            "3389",
            "true"
        ))
        .is_empty()
    );
    assert!(run(&sysmon(3, &[])).is_empty());
}
