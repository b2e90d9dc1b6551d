//! Builders for server trees used by the end-to-end tests and for the shipped `examples/`.
//! Every value is synthetic (contoso.local, documentation IP ranges), shaped like the field
//! guide's samples. `examples/` is generated from here (`cargo test --test examples -- --ignored`)
//! and a test checks the committed copy has not drifted.
#![allow(dead_code)]

#[path = "evtx_writer.rs"]
pub mod evtx_writer;

use evtx_writer::{EvtxEvent, write_evtx};
use std::path::Path;

pub const X: &str = "Program Files/Microsoft/Exchange Server/V15";
pub const FIELDS: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus";
pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML  like Gecko) Chrome/88.0.4324.150 Safari/537.36";

pub fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn guid(n: u64) -> String {
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 20) & 0xfff,
        h.wrapping_mul(31) & 0xffff_ffff_ffff
    )
}

/// One HttpProxy line with all 74 columns: benign defaults overridden by `kv`.
pub fn hp_line(n: u64, time: &str, kv: &[(&str, &str)]) -> String {
    let names: Vec<&str> = FIELDS.split(',').collect();
    let mut vals: Vec<String> = vec![String::new(); names.len()];
    let set = |vals: &mut Vec<String>, k: &str, v: &str| {
        let i = names
            .iter()
            .position(|n| *n == k)
            .unwrap_or_else(|| panic!("no column {k}"));
        vals[i] = v.to_string();
    };
    for (k, v) in [
        ("MajorVersion", "15"),
        ("MinorVersion", "1"),
        ("BuildVersion", "2106"),
        ("RevisionVersion", "2"),
        ("Protocol", "Owa"),
        ("UrlHost", "mail.contoso.com"),
        ("UrlStem", "/owa/service.svc"),
        ("ProtocolAction", "GetItem"),
        ("AuthenticationType", "Negotiate"),
        ("IsAuthenticated", "true"),
        ("AuthenticatedUser", "CONTOSO\\jdoe"),
        (
            "AnchorMailbox",
            "Sid~S-1-5-21-1004336348-1177238915-682003330-1108",
        ),
        ("UserAgent", CHROME),
        ("ClientIpAddress", "198.51.100.23"),
        ("ServerHostName", "EX01"),
        ("HttpStatus", "200"),
        ("BackEndStatus", "200"),
        ("Method", "POST"),
        ("ProxyAction", "Proxy"),
        ("TargetServer", "ex02.contoso.local"),
        ("TargetServerVersion", "15.01.2106.002"),
        ("RoutingType", "IntraForest"),
        ("RoutingHint", "WindowsIdentity"),
        ("RequestBytes", "1311"),
        ("ResponseBytes", "9624"),
        ("TotalRequestTime", "38"),
    ] {
        set(&mut vals, k, v);
    }
    set(&mut vals, "DateTime", time);
    set(&mut vals, "RequestId", &guid(n));
    set(
        &mut vals,
        "GenericInfo",
        &format!(
            "BeginRequest={time};CorrelationID=<empty>;ProxyState-Run=None;ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest={time};"
        ),
    );
    for (k, v) in kv {
        set(&mut vals, k, v);
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(&vals).unwrap();
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// A whole HttpProxy file: plain header line first, then the `#` block, then the lines.
pub fn hp_file(date_iso: &str, lines: &[String]) -> Vec<u8> {
    let mut s = format!(
        "{FIELDS}\r\n#Software: Microsoft Exchange Server\r\n#Version: 15.01.2106.002\r\n#Log-type: HttpProxy Logs\r\n#Date: {date_iso}\r\n#Fields: {FIELDS}\r\n"
    );
    for l in lines {
        s.push_str(l);
    }
    s.into_bytes()
}

/// Benign traffic for one protocol over a day.
pub fn benign(n0: u64, day: &str, protocol: &str, stem: &str, count: u64) -> Vec<String> {
    (0..count)
        .map(|i| {
            let t = format!(
                "{day}T{:02}:{:02}:{:02}.{:03}Z",
                8 + i % 10,
                (i * 7) % 60,
                (i * 13) % 60,
                (i * 37) % 1000
            );
            hp_line(
                n0 + i,
                &t,
                &[
                    ("Protocol", protocol),
                    ("UrlStem", stem),
                    ("ClientIpAddress", &format!("198.51.100.{}", 10 + i % 40)),
                ],
            )
        })
        .collect()
}

pub const PROTOCOLS: [(&str, &str); 11] = [
    ("Autodiscover", "/Autodiscover/Autodiscover.xml"),
    ("Eas", "/Microsoft-Server-ActiveSync/default.eas"),
    ("Ecp", "/ecp/PersonalSettings/HomePage.aspx"),
    ("Ews", "/EWS/Exchange.asmx"),
    ("Mapi", "/mapi/emsmdb/"),
    ("Oab", "/OAB/5d0c7a3e-91f2-4c6b-8e2a-3b7f0e1d9c44/oab.xml"),
    ("Owa", "/owa/service.svc"),
    ("OwaCalendar", "/owa/calendar/calendar.html"),
    ("PowerShell", "/powershell"),
    ("RpcHttp", "/rpc/rpcproxy.dll"),
    ("Rest", "/api/v2.0/me/messages"),
];

pub fn ecp_file(lines: &[&str]) -> Vec<u8> {
    let mut s = String::from(
        "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: ECP Server Log\r\n#Date: 2020-12-31T00:00:01.000Z\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n",
    );
    for l in lines {
        s.push_str(l);
        s.push_str("\r\n");
    }
    s.into_bytes()
}

pub const ECP_BENIGN: [&str; 3] = [
    "2020-12-31T09:02:11.532Z,EX01,ECP.Request,S:TIME=18;S:SID=3b1f6a2c-9d4e-4c17-8a25-e60f1b7d9c32;S:CMD=Get-Mailbox;S:REQID=;S:URL=/ecp/UsersGroups/Mailboxes.svc/GetList?msExchEcpCanary=Tm9wZQ;S:REFERRER=;S:EX=;S:ACTID=1a7e0c55-3f2b-4e91-9d68-b0c4f7a2e813;S:RS=0;S:BLD=15.1.2106.2;S:TNAME=<null>;S:TID=;S:USID=e2d94b10-6c3a-4f7e-8b25-71a0c9d3f4e6;S:EDOID=;S:ACID=",
    "2021-01-15T10:12:40.001Z,EX01,ECP.Request,S:TIME=51;S:SID=3b1f6a2c-9d4e-4c17-8a25-e60f1b7d9c32;'S:CMD=Set-OwaVirtualDirectory.ExternalUrl=''https://mail.contoso.com/owa''.Identity=''EX01\\owa (Default Web Site)''';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OWAVirtualDirectory&msExchEcpCanary=Tm9wZQ;S:REFERRER=;S:EX=;S:ACTID=2b7e0c55-3f2b-4e91-9d68-b0c4f7a2e813;S:RS=0;S:BLD=15.1.2106.2;S:TNAME=<null>;S:TID=;S:USID=e2d94b10-6c3a-4f7e-8b25-71a0c9d3f4e6;S:EDOID=;S:ACID=",
    "2021-03-05T16:40:02.117Z,EX01,ECP.Request,S:TIME=22;S:SID=3b1f6a2c-9d4e-4c17-8a25-e60f1b7d9c32;S:CMD=Get-OabVirtualDirectory;S:REQID=;S:URL=/ecp/DDI/DDIService.svc/GetList?schema=OABVirtualDirectory&msExchEcpCanary=Tm9wZQ;S:REFERRER=;S:EX=;S:ACTID=3c7e0c55-3f2b-4e91-9d68-b0c4f7a2e813;S:RS=0;S:BLD=15.1.2106.2;S:TNAME=<null>;S:TID=;S:USID=e2d94b10-6c3a-4f7e-8b25-71a0c9d3f4e6;S:EDOID=;S:ACID=",
];

pub const ECP_MALICIOUS: &str = r#"2021-02-11T04:30:58.214Z,EX01,ECP.Request,"S:TIME=402;S:SID=8c0f2e71-5a4d-4b39-a6e2-0d9b3c7f1e58;'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://k/<script language=""JScript"" runat=""server"">function Page_Load(){Response.Write(""exhunt-test-zq7w"");}</script>''.Identity=''5d0c7a3e-91f2-4c6b-8e2a-3b7f0e1d9c44''';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary=VGVzdA;S:REFERRER=;S:EX=;S:ACTID=47b2d9e0-8c13-4f6a-b5e7-2a9c0d4e1f73;S:RS=0;S:BLD=15.1.2106.2;S:TNAME=<null>;S:TID=;S:USID=9f3a7c21-0b5e-4d8a-a1c6-e74b2d09f5c8;S:EDOID=;S:ACID=""#;

pub fn oab_line(time: &str, path: &str) -> String {
    format!(
        "{time},EX01,OABGenerator,Warning,Download failed and temporary file '{path}' needs to be removed\r\n"
    )
}

pub const OAB_TEMP: &str = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\2f1c9a7e-5b3d-4e8a-9c61-7d0e4b2a8f15\\oab.lzx";

pub fn iis_file(lines: &[&str]) -> Vec<u8> {
    let mut s = String::from(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2020-12-31 00:00:03\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n",
    );
    for l in lines {
        s.push_str(l);
        s.push_str("\r\n");
    }
    s.into_bytes()
}

pub fn ms(iso: &str) -> i64 {
    iso.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

pub fn app_event(
    id: u64,
    iso: &str,
    provider: &str,
    level: u8,
    event_id: u16,
    data: &str,
) -> EvtxEvent {
    EvtxEvent {
        record_id: id,
        unix_ms: ms(iso),
        provider: provider.into(),
        event_id,
        level,
        channel: "Application".into(),
        computer: "EX01.contoso.local".into(),
        data: vec![data.into(), "EX01".into()],
        ..Default::default()
    }
}

/// The web folders the file scan reads, with stock-looking harmless files (names from the
/// field guide's stock lists; contents invented and inert).
fn web_folders(root: &Path) {
    let fe = format!("{X}/FrontEnd/HttpProxy");
    let page = |inherits: &str, body: &str| {
        format!(
            "<%@ Page Language=\"C#\" AutoEventWireup=\"false\" Inherits=\"Microsoft.Exchange.HttpProxy.{inherits}\" %>\r\n<!DOCTYPE html>\r\n<html><head><title>Outlook</title></head>\r\n<body>{body}</body></html>\r\n"
        )
    };
    write(
        root,
        &format!("{fe}/owa/auth/logon.aspx"),
        page(
            "Logon",
            "<form action=\"/owa/auth.owa\" method=\"POST\"><input name=\"username\"/></form>",
        )
        .as_bytes(),
    );
    write(
        root,
        &format!("{fe}/owa/auth/errorFE.aspx"),
        page("ErrorFE", "Something went wrong.").as_bytes(),
    );
    write(
        root,
        &format!("{fe}/owa/auth/Current/themes/resources/logon.css"),
        b"body { font-family: 'Segoe UI'; }\r\n",
    );
    write(
        root,
        &format!("{fe}/owa/auth/15.1.2106/scripts/premium/flogon.js"),
        b"function clkLgn() { return true; }\r\n",
    );
    write(
        root,
        &format!("{fe}/ecp/auth/TimeoutLogout.aspx"),
        page("TimeoutLogout", "Your session has ended.").as_bytes(),
    );
    write(
        root,
        &format!("{fe}/OAB/web.config"),
        b"<?xml version=\"1.0\"?>\r\n<configuration />\r\n",
    );
    write(
        root,
        &format!("{X}/ClientAccess/Owa/web.config"),
        b"<?xml version=\"1.0\"?>\r\n<configuration />\r\n",
    );
    write(
        root,
        "inetpub/wwwroot/iisstart.htm",
        b"<html><body>IIS</body></html>\r\n",
    );
    write(
        root,
        "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
        b"var Page_ValidationVer = \"125\";\r\n",
    );
    write(
        root,
        "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/4f2a1c3b/8e7d6c5b/hash/hash.web",
        b"7d1e9c2b4a6f8e03",
    );
}

/// The file the OAB generator wrote in the compromised example (its log names it): a text dump
/// of the OAB virtual directory whose `ExternalUrl` carries a server-side script block, the
/// shape CVE-2021-26858/27065 left behind. Defanged: the script's body is empty, so the file
/// runs nothing and does not look like a China Chopper shell to antivirus; exhunt's
/// EXH_OAB_VDir_Dump_Script rule recognises the dump by its structure. Assembled from fragments
/// so that this source file does not itself match the rule.
pub fn oab_dump_shell() -> Vec<u8> {
    let url = ["Exter", "nalUrl"].concat();
    let iurl = ["Inter", "nalUrl"].concat();
    let auth = ["InternalAuthen", "ticationMethods"].concat();
    let ept = ["ExtendedProtection", "TokenChecking"].concat();
    let tag = ["<scr", "ipt language=\"JScript\" run", "at=\"server\">"].concat();
    let end = ["</scr", "ipt>"].concat();
    let rows: Vec<(String, String)> = vec![
        ("Name".into(), "OAB (Default Web Site)".into()),
        ("PollInterval".into(), "720".into()),
        ("OfflineAddressBooks".into(), String::new()),
        ("RequireSSL".into(), "False".into()),
        ("BasicAuthentication".into(), "False".into()),
        ("WindowsAuthentication".into(), "True".into()),
        ("OAuthAuthentication".into(), "True".into()),
        (
            "MetabasePath".into(),
            "IIS://EX01.contoso.local/W3SVC/1/ROOT/OAB".into(),
        ),
        (
            "Path".into(),
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\OAB".into(),
        ),
        (ept, "None".into()),
        ("ExtendedProtectionFlags".into(), String::new()),
        ("Server".into(), "EX01".into()),
        (iurl, "https://ex01.contoso.local/OAB".into()),
        (auth, "{WindowsIntegrated, OAuth}".into()),
        (url, format!("http://k/{tag}function Page_Load(){{}}{end}")),
        (
            "ExternalAuthenticationMethods".into(),
            "{WindowsIntegrated, OAuth}".into(),
        ),
        (
            "AdminDisplayVersion".into(),
            "Version 15.1 (Build 2106.2)".into(),
        ),
        ("Identity".into(), "EX01\\OAB (Default Web Site)".into()),
    ];
    let mut s = String::from("\r\n");
    for (k, v) in rows {
        s.push_str(&format!("{k:<32}: {v}\r\n"));
    }
    s.push_str("\r\n\r\n");
    s.into_bytes()
}

/// Where the event logs are, relative to the root.
pub const EVTX_DIR: &str = "Windows/System32/winevt/Logs";

/// An `MSExchange Management` event in the real positional layout (cmdlet, parameters, caller,
/// SIDs, origin, process, duration, scope, error).
pub fn cmdlet_event(
    id: u64,
    iso: &str,
    event_id: u16,
    cmdlet: &str,
    params: &str,
    caller: &str,
) -> EvtxEvent {
    let error = if event_id == 6 {
        "System.InvalidOperationException: The operation couldn't be performed."
    } else {
        ""
    };
    EvtxEvent {
        record_id: id,
        unix_ms: ms(iso),
        provider: "MSExchange CmdletLogs".into(),
        event_id,
        level: if event_id == 6 { 2 } else { 4 },
        channel: "MSExchange Management".into(),
        computer: "EX01.contoso.local".into(),
        data: [
            cmdlet,
            params,
            caller,
            "S-1-5-21-3623811015-3361044348-30300820-1013",
            "S-1-5-21-3623811015-3361044348-30300820-1013",
            "Remote-PowerShell-Unknown",
            "6120 w3wp#MSExchangePowerShellAppPool",
            "",
            "54",
            "00:00:01.2031250",
            "View Entire Forest: 'False', Default Scope: 'contoso.local', Configuration Domain Controller: 'dc01.contoso.local'",
            error,
        ]
        .map(String::from)
        .to_vec(),
        ..Default::default()
    }
}

/// A manifest-provider event (Sysmon, Security) with named data.
pub fn named_event(
    id: u64,
    iso: &str,
    provider: &str,
    channel: &str,
    event_id: u16,
    kv: &[(&str, &str)],
) -> EvtxEvent {
    EvtxEvent {
        record_id: id,
        unix_ms: ms(iso),
        provider: provider.into(),
        event_id,
        level: 4,
        channel: channel.into(),
        computer: "EX01.contoso.local".into(),
        named_data: kv
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

pub fn sysmon_event(id: u64, iso: &str, event_id: u16, kv: &[(&str, &str)]) -> EvtxEvent {
    named_event(
        id,
        iso,
        "Microsoft-Windows-Sysmon",
        "Microsoft-Windows-Sysmon/Operational",
        event_id,
        kv,
    )
}

pub fn security_event(id: u64, iso: &str, event_id: u16, kv: &[(&str, &str)]) -> EvtxEvent {
    named_event(
        id,
        iso,
        "Microsoft-Windows-Security-Auditing",
        "Security",
        event_id,
        kv,
    )
}

pub const W3WP: &str = "C:\\Windows\\System32\\inetsrv\\w3wp.exe";

/// A w3wp command line for an app pool.
pub fn w3wp_cmdline(pool: &str) -> String {
    format!(
        "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"{pool}\" -v \"v4.0\" -a \\\\.\\pipe\\iisipm4f2c -h \"C:\\inetpub\\temp\\apppools\\{pool}\\{pool}.config\" -w \"\" -m 0"
    )
}

/// A Sysmon process creation.
pub fn sysmon_process(
    id: u64,
    iso: &str,
    image: &str,
    cmdline: &str,
    parent: &str,
    parent_cmdline: &str,
    user: &str,
) -> EvtxEvent {
    sysmon_event(
        id,
        iso,
        1,
        &[
            ("RuleName", "-"),
            ("UtcTime", &iso.replace('T', " ").replace('Z', "")),
            ("ProcessId", "4242"),
            ("Image", image),
            ("CommandLine", cmdline),
            ("CurrentDirectory", "C:\\Windows\\system32\\"),
            ("User", user),
            ("ParentProcessId", "2580"),
            ("ParentImage", parent),
            ("ParentCommandLine", parent_cmdline),
        ],
    )
}

/// Benign entries of the three optional event logs, from before the window start.
fn benign_optional_logs() -> (Vec<EvtxEvent>, Vec<EvtxEvent>, Vec<EvtxEvent>) {
    let mgmt = vec![
        cmdlet_event(
            101,
            "2020-12-30T10:00:00Z",
            1,
            "Get-Mailbox",
            "-ResultSize \"Unlimited\"",
            "contoso.local/Users/admin",
        ),
        cmdlet_event(
            102,
            "2021-01-12T09:30:00Z",
            1,
            "New-MailboxExportRequest",
            "-Mailbox \"jdoe\" -FilePath \"\\\\fs01\\PSTExports\\jdoe.pst\"",
            "contoso.local/Users/admin",
        ),
        cmdlet_event(
            103,
            "2021-01-15T10:12:40Z",
            1,
            "Set-OwaVirtualDirectory",
            "-Identity \"EX01\\owa (Default Web Site)\" -ExternalUrl \"https://mail.contoso.com/owa\"",
            "contoso.local/Users/admin",
        ),
    ];
    let sysmon = vec![
        sysmon_process(
            201,
            "2020-12-30T08:00:00Z",
            "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe",
            "\"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe\" /noconfig /fullpaths @\"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\owa\\x.cmdline\"",
            W3WP,
            &w3wp_cmdline("MSExchangeOWAAppPool"),
            "NT AUTHORITY\\SYSTEM",
        ),
        sysmon_process(
            202,
            "2021-01-20T03:00:00Z",
            "C:\\Windows\\System32\\cmd.exe",
            "cmd.exe /c \"C:\\scripts\\backup.cmd\"",
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
            "NT AUTHORITY\\SYSTEM",
        ),
        sysmon_event(
            203,
            "2021-01-20T03:00:05Z",
            11,
            &[
                ("Image", W3WP),
                (
                    "TargetFilename",
                    "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\owa\\4f2c\\App_Web_x.dll",
                ),
            ],
        ),
    ];
    let security = vec![
        security_event(
            301,
            "2020-12-30T07:00:00Z",
            4624,
            &[
                ("TargetUserName", "jdoe"),
                ("TargetDomainName", "CONTOSO"),
                ("LogonType", "8"),
                ("IpAddress", "198.51.100.23"),
                ("ProcessName", W3WP),
            ],
        ),
        security_event(
            302,
            "2021-01-20T03:00:00Z",
            4688,
            &[
                ("SubjectUserName", "EX01$"),
                ("SubjectDomainName", "CONTOSO"),
                ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
                ("CommandLine", "cmd.exe /c \"C:\\scripts\\backup.cmd\""),
                ("ParentProcessName", "C:\\Windows\\System32\\svchost.exe"),
            ],
        ),
    ];
    (mgmt, sysmon, security)
}

fn write_optional_logs(
    root: &Path,
    mgmt: &[EvtxEvent],
    sysmon: &[EvtxEvent],
    security: &[EvtxEvent],
) {
    write(
        root,
        &format!("{EVTX_DIR}/MSExchange Management.evtx"),
        &write_evtx(mgmt),
    );
    write(
        root,
        &format!("{EVTX_DIR}/Microsoft-Windows-Sysmon%4Operational.evtx"),
        &write_evtx(sysmon),
    );
    write(
        root,
        &format!("{EVTX_DIR}/Security.evtx"),
        &write_evtx(security),
    );
}

fn common_benign(root: &Path) {
    web_folders(root);
    for (i, (proto, stem)) in PROTOCOLS.iter().enumerate() {
        let n = i as u64 * 1000;
        let mut lines = benign(n, "2020-12-31", proto, stem, 6);
        lines.extend(benign(n + 100, "2021-03-15", proto, stem, 4));
        write(
            root,
            &format!("{X}/Logging/HttpProxy/{proto}/HttpProxy_2020123108-1.LOG"),
            &hp_file("2020-12-31T08:00:00.010Z", &lines),
        );
    }
}

fn benign_events() -> Vec<EvtxEvent> {
    vec![
        app_event(
            1,
            "2020-12-30T23:10:00Z",
            "MSExchange ADAccess",
            4,
            2080,
            "Process MSExchangeHMWorker.exe (PID=4242). Exchange Active Directory Provider has discovered the following servers",
        ),
        app_event(
            2,
            "2021-01-20T02:00:00Z",
            "MSExchange Unified Messaging",
            3,
            1400,
            "The Unified Messaging service could not reach a dial plan: System.TimeoutException",
        ),
        app_event(
            3,
            "2021-03-15T12:00:00Z",
            "MSExchangeTransport",
            4,
            12014,
            "Certificate for SMTP found",
        ),
    ]
}

/// A clean server: every log source present, reaching back before 2021-01-01, benign
/// look-alikes (an admin setting a plain URL, a legitimate OAB temp path, a localhost probe, an
/// administrator's mailbox export to a file share, an Exchange app pool compiling a page).
pub fn build_clean(root: &Path) {
    common_benign(root);
    let probe = hp_line(
        90_001,
        "2021-03-09T11:00:00.000Z",
        &[
            ("Protocol", "Owa"),
            ("UrlStem", "/owa/auth/x.js"),
            ("Method", "GET"),
            ("IsAuthenticated", "false"),
            ("AuthenticatedUser", ""),
            ("AnchorMailbox", "ServerInfo~localhost/owa/auth/logon.aspx?"),
            (
                "UserAgent",
                "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            ),
            ("ClientIpAddress", "192.0.2.10"),
            ("RoutingHint", "X-BEResource-Cookie"),
            ("HttpStatus", "200"),
        ],
    );
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Owa/HttpProxy_2021030911-1.LOG"),
        &hp_file("2021-03-09T11:00:00.000Z", &[probe]),
    );
    write(
        root,
        &format!("{X}/Logging/ECP/Server/ECPServer20201231-1.LOG"),
        &ecp_file(&ECP_BENIGN),
    );
    let mut oab = oab_line("2020-12-31T03:00:00.000Z", OAB_TEMP);
    oab += &oab_line("2021-03-14T03:00:00.000Z", OAB_TEMP);
    write(
        root,
        &format!("{X}/Logging/OABGeneratorLog/OABGenerator20201231-1.LOG"),
        oab.as_bytes(),
    );
    write(
        root,
        "inetpub/logs/LogFiles/W3SVC1/u_ex201231.log",
        &iis_file(&[
            "2020-12-31 08:00:01 10.20.0.15 GET /owa/ &CorrelationID=<empty>;&cafeReqId=0b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab;&encoding=; 443 - 198.51.100.23 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 302 0 0 15",
            // benign look-alikes of the IIS rules: stock logon page and its stylesheet,
            // a versioned ECP script, Outlook's own autodiscover.json lookup
            "2020-12-31 08:00:02 10.20.0.15 GET /owa/auth/logon.aspx url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0&CorrelationID=<empty>;&cafeReqId=2b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab; 443 - 198.51.100.23 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 46",
            "2020-12-31 08:00:02 10.20.0.15 GET /owa/auth/Current/themes/resources/logon.css &CorrelationID=<empty>;&cafeReqId=3b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab; 443 - 198.51.100.23 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 0",
            "2021-01-20 10:12:40 10.20.0.15 GET /ecp/15.1.2106/scripts/abc.js &CorrelationID=<empty>;&cafeReqId=4b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab; 443 CONTOSO\\admin 198.51.100.30 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 3",
            "2021-03-01 07:30:00 10.20.0.15 POST /autodiscover/autodiscover.json/v1.0/jdoe@contoso.com Protocol=ActiveSync&RedirectCount=1&CorrelationID=<empty>;&cafeReqId=5b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab; 443 - 198.51.100.24 Outlook-iOS/2.0 - 200 0 0 12",
            "2021-03-15 09:00:01 10.20.0.15 POST /owa/service.svc action=GetItem&CorrelationID=<empty>;&cafeReqId=1b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab; 443 CONTOSO\\jdoe 198.51.100.23 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 31",
        ]),
    );
    // the back end: an administrator's Exchange Management Shell through the front end
    write(
        root,
        "inetpub/logs/LogFiles/W3SVC2/u_ex201231.log",
        &iis_file(&[
            "2020-12-31 09:10:00 10.20.0.15 POST /powershell serializationLevel=Full;ExchClientVer=15.1.2106.2;clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.17763.1 444 CONTOSO\\admin 10.20.0.15 Microsoft+WinRM+Client - 200 0 0 450",
            "2021-03-15 09:10:00 10.20.0.15 POST /powershell - 444 CONTOSO\\admin 10.20.0.15 Microsoft+WinRM+Client - 200 0 0 120",
        ]),
    );
    write(
        root,
        "Windows/System32/winevt/Logs/Application.evtx",
        &write_evtx(&benign_events()),
    );
    let (mgmt, sysmon, security) = benign_optional_logs();
    write_optional_logs(root, &mgmt, &sysmon, &security);
    write(
        root,
        "Windows/Temp/setup-log.txt",
        b"installer finished\r\n",
    );
    write(
        root,
        "ProgramData/Microsoft/readme.txt",
        b"nothing to see\r\n",
    );
}

/// A compromised server: the ProxyLogon chain of the field guide on 2021-02-11, a BackEndCookie-only
/// SSRF (the form Test-ProxyLogon misses), the 27065 ECP write, the 26858 OAB write, the 26857
/// UM error, an LSASS dump and a staging archive; then (event logs) a webshell command from an
/// Exchange app pool, China Chopper from DefaultAppPool on 2021-03-04, a comsvcs LSASS dump, and a
/// ProxyShell-style mailbox export to `aspnet_client\mvq4tz.aspx` on 2021-03-05 (requested from
/// 198.51.100.200, an address found only by the path pivot).
pub fn build_compromised(root: &Path) {
    common_benign(root);
    let atk = |n: u64, t: &str, stem: &str, anchor: &str, status: &str, extra: &[(&str, &str)]| {
        let mut kv = vec![
            ("Protocol", "Ecp"),
            ("UrlStem", stem),
            ("ProtocolAction", ""),
            ("AuthenticationType", ""),
            ("IsAuthenticated", "false"),
            ("AuthenticatedUser", ""),
            ("AnchorMailbox", anchor),
            ("UserAgent", "python-requests/2.25.1"),
            ("ClientIpAddress", "203.0.113.57"),
            ("HttpStatus", status),
            ("BackEndStatus", status),
            ("TargetServer", "ex01.contoso.local"),
            ("RoutingType", ""),
            ("RoutingHint", "X-BEResource-Cookie"),
        ];
        kv.extend_from_slice(extra);
        hp_line(n, t, &kv)
    };
    let mut ecp = benign(
        50_000,
        "2021-02-11",
        "Ecp",
        "/ecp/PersonalSettings/HomePage.aspx",
        3,
    );
    ecp.extend([
        atk(50_101, "2021-02-11T04:27:01.310Z", "/ecp/y.js", "ServerInfo~zz]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#", "200", &[]),
        atk(50_102, "2021-02-11T04:28:10.022Z", "/ecp/y.js", "ServerInfo~zz]@ex01.contoso.local:444/mapi/emsmdb/?#", "200", &[]),
        atk(50_103, "2021-02-11T04:29:44.908Z", "/ecp/q.js", "ServerInfo~zz]@ex01.contoso.local:444/ecp/proxyLogon.ecp?#", "241", &[]),
        atk(50_104, "2021-02-11T04:30:12.540Z", "/ecp/q.js", "ServerInfo~zz]@ex01.contoso.local:444/ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory&msExchEcpCanary=VGVzdA#", "200", &[]),
        atk(50_105, "2021-02-11T04:30:58.101Z", "/ecp/q.js", "ServerInfo~zz]@ex01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary=VGVzdA#", "200", &[]),
        atk(50_106, "2021-02-11T04:31:20.733Z", "/ecp/q.js", "ServerInfo~zz]@ex01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory&msExchEcpCanary=VGVzdA#", "200", &[]),
        // an ordinary-looking follow-up from the same address: no rule matches it, the pivot sweep finds it
        hp_line(
            50_107,
            "2021-02-11T04:40:02.000Z",
            &[
                ("Protocol", "Ecp"),
                ("UrlStem", "/ecp/default.aspx"),
                ("Method", "GET"),
                ("IsAuthenticated", "false"),
                ("AuthenticatedUser", ""),
                ("AnchorMailbox", ""),
                ("UserAgent", "python-requests/2.25.1"),
                ("ClientIpAddress", "203.0.113.57"),
                ("HttpStatus", "302"),
            ],
        ),
    ]);
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Ecp/HttpProxy_2021021104-1.LOG"),
        &hp_file("2021-02-11T04:00:00.050Z", &ecp),
    );
    let mut mapi = benign(60_000, "2021-03-03", "Mapi", "/mapi/emsmdb/", 3);
    mapi.push(hp_line(
        60_101,
        "2021-03-03T22:05:17.402Z",
        &[
            ("Protocol", "Mapi"),
            ("UrlStem", "/mapi/emsmdb/"),
            ("IsAuthenticated", "false"),
            ("AuthenticatedUser", ""),
            (
                "AnchorMailbox",
                "Sid~S-1-5-21-1004336348-1177238915-682003330-500",
            ),
            ("UserAgent", "ExchangeServicesClient/0.0.0.0"),
            ("ClientIpAddress", "203.0.113.88"),
            (
                "BackEndCookie",
                "Server~ex01.contoso.local:444/mapi/emsmdb/?~1942062522",
            ),
        ],
    ));
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Mapi/HttpProxy_2021030322-1.LOG"),
        &hp_file("2021-03-03T22:00:00.050Z", &mapi),
    );
    let probe = hp_line(
        70_001,
        "2021-03-09T11:00:00.000Z",
        &[
            ("Protocol", "Owa"),
            ("UrlStem", "/owa/auth/x.js"),
            ("Method", "GET"),
            ("IsAuthenticated", "false"),
            ("AuthenticatedUser", ""),
            ("AnchorMailbox", "ServerInfo~localhost/owa/auth/logon.aspx?"),
            (
                "UserAgent",
                "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            ),
            ("ClientIpAddress", "192.0.2.10"),
            ("RoutingHint", "X-BEResource-Cookie"),
        ],
    );
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Owa/HttpProxy_2021030911-1.LOG"),
        &hp_file("2021-03-09T11:00:00.000Z", &[probe]),
    );
    let mut ecp_lines: Vec<&str> = ECP_BENIGN.to_vec();
    ecp_lines.insert(2, ECP_MALICIOUS);
    write(
        root,
        &format!("{X}/Logging/ECP/Server/ECPServer20201231-1.LOG"),
        &ecp_file(&ecp_lines),
    );
    let mut oab = oab_line("2020-12-31T03:00:00.000Z", OAB_TEMP);
    oab += &oab_line(
        "2021-02-11T04:31:25.000Z",
        "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\zq7w.aspx",
    );
    oab += &oab_line("2021-03-14T03:00:00.000Z", OAB_TEMP);
    write(
        root,
        &format!("{X}/Logging/OABGeneratorLog/OABGenerator20201231-1.LOG"),
        oab.as_bytes(),
    );
    write(
        root,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210211.log",
        &iis_file(&[
            "2020-12-31 08:00:01 10.20.0.15 GET /owa/ &CorrelationID=<empty>;&cafeReqId=0b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab;&encoding=; 443 - 198.51.100.23 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 302 0 0 15",
            "2021-02-11 04:27:19 10.20.0.15 POST /owa/auth/Current/themes/resources/logon.css &CorrelationID=<empty>;&cafeReqId=0b6f2c1e-88a4-4d0b-9e3f-5a7d21c4e9ab; 443 - 203.0.113.57 Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots) - 200 0 0 311",
            "2021-02-11 04:29:44 10.20.0.15 POST /ecp/q.js &CorrelationID=<empty>;&cafeReqId=6e1d4a7b-2c90-4f3e-b5d8-19a0c7e4f265; 443 - 203.0.113.57 python-requests/2.25.1 - 241 0 0 57",
            "2021-03-04 22:11:02 10.20.0.15 POST /aspnet_client/system_web/zq7w.aspx - 443 - 203.0.113.88 antSword/v2.1 - 200 0 0 143",
            "2021-03-05 01:12:40 10.20.0.15 POST /aspnet_client/mvq4tz.aspx - 443 - 198.51.100.200 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 88",
        ]),
    );
    // the back end: the virtual-directory reset forged through the front end (its machine account)
    write(
        root,
        "inetpub/logs/LogFiles/W3SVC2/u_ex210211.log",
        &iis_file(&[
            "2020-12-31 09:10:00 10.20.0.15 POST /powershell serializationLevel=Full;ExchClientVer=15.1.2106.2;clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.17763.1 444 CONTOSO\\admin 10.20.0.15 Microsoft+WinRM+Client - 200 0 0 450",
            "2021-02-11 04:31:20 10.20.0.15 POST /ecp/DDI/DDIService.svc/SetObject schema=ResetOABVirtualDirectory&msExchEcpCanary=VGVzdA&CorrelationID=<empty>;&cafeReqId=7e1d4a7b-2c90-4f3e-b5d8-19a0c7e4f265; 444 CONTOSO\\EX01$ 10.20.0.15 python-requests/2.25.1 - 200 0 0 98",
        ]),
    );
    let mut events = benign_events();
    events.insert(2, app_event(4, "2021-02-11T04:35:09Z", "MSExchange Unified Messaging", 2, 1000,
        "An unhandled exception occurred in a UM worker process: System.InvalidCastException: Unable to cast object of type 'System.Windows.Data.ObjectDataProvider' to type 'Microsoft.Exchange.UM.UMCommon.UMMessage'."));
    write(
        root,
        "Windows/System32/winevt/Logs/Application.evtx",
        &write_evtx(&events),
    );
    let (mut mgmt, mut sysmon, mut security) = benign_optional_logs();
    let caller = "contoso.local/Users/svc-scan";
    mgmt.extend([
        cmdlet_event(110, "2021-03-05T01:02:10Z", 1, "New-ManagementRoleAssignment", "-Role \"Mailbox Import Export\" -User \"svc-scan\"", caller),
        cmdlet_event(111, "2021-03-05T01:03:30Z", 1, "New-MailboxExportRequest", "-Mailbox 'svc-scan@contoso.com' -FilePath '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\mvq4tz.aspx' -IncludeFolders ('#Drafts#') -ContentFilter 'Subject -eq 'mvq4tz''", caller),
        cmdlet_event(112, "2021-03-05T01:05:00Z", 1, "Remove-MailboxExportRequest", "-Identity 'svc-scan\\MailboxExport' -Confirm \"False\"", caller),
    ]);
    let system = "NT AUTHORITY\\SYSTEM";
    sysmon.extend([
        sysmon_process(210, "2021-02-11T04:36:00Z", "C:\\Windows\\System32\\cmd.exe", "cmd.exe /c whoami", W3WP, &w3wp_cmdline("MSExchangeECPAppPool"), system),
        sysmon_process(211, "2021-03-04T22:11:03Z", "C:\\Windows\\System32\\cmd.exe", "cmd /c \"cd /d \"C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\\"&whoami&echo [S]&cd&echo [E]\"", W3WP, &w3wp_cmdline("DefaultAppPool"), "IIS APPPOOL\\DefaultAppPool"),
        sysmon_process(212, "2021-03-04T22:15:40Z", "C:\\Windows\\System32\\rundll32.exe", "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Windows\\Temp\\lsass.dmp full", "C:\\Windows\\System32\\cmd.exe", "cmd /c", system),
        sysmon_event(213, "2021-03-05T01:03:35Z", 11, &[("Image", "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\MSExchangeMailboxReplication.exe"), ("TargetFilename", "C:\\inetpub\\wwwroot\\aspnet_client\\mvq4tz.aspx")]),
    ]);
    security.push(security_event(
        310,
        "2021-03-04T22:11:10Z",
        4688,
        &[
            ("SubjectUserName", "DefaultAppPool"),
            ("SubjectDomainName", "IIS APPPOOL"),
            ("NewProcessName", "C:\\Windows\\System32\\whoami.exe"),
            ("CommandLine", "whoami /all"),
            ("ParentProcessName", W3WP),
        ],
    ));
    write_optional_logs(root, &mgmt, &sysmon, &security);
    let mut dump = b"MDMP\x93\xa7".to_vec();
    dump.resize(64, 0);
    write(root, "Windows/Temp/lsass.dmp", &dump);
    // an empty ZIP archive (end-of-central-directory record only)
    write(
        root,
        "inetpub/wwwroot/aspnet_client/system_web/zq7w.aspx",
        &oab_dump_shell(),
    );
    let mut zip = b"PK\x05\x06".to_vec();
    zip.resize(22, 0);
    write(root, "ProgramData/it.zip", &zip);
}

/// A ProxyLogon SSRF request (`AnchorMailbox` `ServerInfo~...`, class exploitation) on 2021-02-11,
/// with `kv` overriding any column.
pub fn ssrf_hit(n: u64, time: &str, kv: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = vec![
        ("Protocol", "Ecp"),
        ("UrlStem", "/ecp/x.js"),
        ("IsAuthenticated", "false"),
        ("AuthenticatedUser", ""),
        (
            "AnchorMailbox",
            "ServerInfo~a]@ex01.contoso.local:444/ecp/DDI/DDIService.svc/GetList?#",
        ),
        ("UserAgent", "python-requests/2.25.1"),
        ("ClientIpAddress", "203.0.113.57"),
        ("RoutingHint", "X-BEResource-Cookie"),
    ];
    all.extend_from_slice(kv);
    hp_line(n, time, &all)
}

/// Writes an HttpProxy log (header block and `lines`) as `<X>/Logging/HttpProxy/<proto>/<name>`.
pub fn write_hp(root: &Path, proto: &str, name: &str, lines: &[String]) {
    write(
        root,
        &format!("{X}/Logging/HttpProxy/{proto}/{name}"),
        &hp_file("2021-02-11T00:00:00.000Z", lines),
    );
}

/// Deterministic junk bytes (NULs, control bytes, invalid UTF-8), with `ServerInfo~` sprinkled in
/// so that the prefilter fires on it.
pub fn junk(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len + 16);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push((x >> 24) as u8);
        if x.is_multiple_of(997) {
            v.extend_from_slice(b"ServerInfo~a/b\n");
        }
    }
    v.truncate(len);
    v
}

/// UTF-16LE with a byte-order mark.
pub fn utf16le(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

/// Plants hostile input into a server tree at `root`: attacker text (formulas, markup, terminal
/// escapes, invalid UTF-8) in a hit, file names with escapes and formulas, binary junk named
/// `.LOG`, a zero-byte log, a UTF-16 log, a truncated EVTX and, on Unix, a link loop and a link
/// to `outside` (a folder outside the root, which gets a file with a hit that must never be read).
pub fn plant_hostile(root: &Path, outside: &Path) {
    let mut lines = vec![
        ssrf_hit(
            80_001,
            "2021-02-11T05:00:00.000Z",
            &[
                ("UserAgent", "=cmd|'/C calc'!A0"),
                ("RoutingHint", "@SUM(1+1)"),
            ],
        ),
        ssrf_hit(
            80_002,
            "2021-02-11T05:00:01.000Z",
            &[
                ("UserAgent", "<script>alert(document.domain)</script>"),
                ("ClientIpAddress", "203.0.113.5\x1b[1A\x1b[2K"),
                (
                    "AnchorMailbox",
                    "ServerInfo~\x1b]0;owned\x07x@ex01:444/ecp/y.ecp?#",
                ),
            ],
        ),
    ];
    lines.push(
        ssrf_hit(
            80_003,
            "2021-02-11T05:00:02.000Z",
            &[("UserAgent", "BADUTF8")],
        )
        .replace("BADUTF8", "\u{1}BADUTF8"),
    );
    let mut body = hp_file("2021-02-11T05:00:00.000Z", &lines);
    // invalid UTF-8 in the third hit's UserAgent
    let at = body.windows(8).position(|w| w == b"\x01BADUTF8").unwrap();
    body.splice(at..at + 1, *b"\xff\xfe\xc3");
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Ecp/HttpProxy_2021021105-1.LOG"),
        &body,
    );
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Owa/junk\x1b[2J=cmd.LOG"),
        &junk(64 * 1024, 7),
    );
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Eas/HttpProxy_2021021106-1.LOG"),
        b"",
    );
    let utf16 = format!(
        "{FIELDS}\r\n{}",
        ssrf_hit(80_004, "2021-02-11T05:00:03.000Z", &[])
    );
    write(
        root,
        &format!("{X}/Logging/HttpProxy/Ews/HttpProxy_2021021107-1.LOG"),
        &utf16le(&utf16),
    );
    write(
        root,
        "ProgramData/evil\x1b]0;title\x07=1+1.zip",
        b"PK\x05\x06",
    );
    write(root, "Windows/Temp/lsass\x1b[31m.dmp", b"MDMP");
    let evtx = std::fs::read(root.join("Windows/System32/winevt/Logs/Application.evtx")).unwrap();
    write(root, "Windows/Temp/cut.evtx", &evtx[..evtx.len() / 2]);
    write(
        outside,
        "secret/HttpProxy_2021021108-1.LOG",
        &hp_file(
            "2021-02-11T05:00:00.000Z",
            &[ssrf_hit(
                80_005,
                "2021-02-11T05:00:04.000Z",
                &[("UserAgent", "OUTSIDE-THE-ROOT")],
            )],
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        let ecp = root.join(format!("{X}/Logging/HttpProxy/Ecp"));
        symlink("..", ecp.join("loop")).unwrap();
        symlink(
            outside.join("secret/HttpProxy_2021021108-1.LOG"),
            ecp.join("HttpProxy_2021021108-1.LOG"),
        )
        .unwrap();
        symlink(
            outside.join("secret"),
            root.join(format!("{X}/Logging/HttpProxy/Rest2")),
        )
        .unwrap();
    }
}
