//! gen_evtx: a large synthetic set of Security and Sysmon event logs, for the "EVTX at scale"
//! benchmark (issue 14 item 4; see BENCHMARKS.md).
//!
//! ```text
//! cargo run --release --example gen_evtx -- --out DIR [--size 1G] [--file-mb 32] [--seed 7]
//! ```
//!
//! Writes `DIR/Windows/System32/winevt/Logs/`: `Security.evtx` and `Archive-Security-*.evtx`
//! (4624 logons and 4688 process creations), and
//! `Microsoft-Windows-Sysmon%4Operational.evtx` and its `Archive-...` files (Sysmon 1 process
//! creations and 3 network connections), alternating, about `--file-mb` each, until `--size`
//! bytes are written. Almost every event is benign: processes and logons a busy Exchange
//! server makes all day, none naming an IIS worker as parent. A few hits are planted, spread
//! over the set (first, middle and last chunks of some files): a China Chopper command under
//! `w3wp.exe` (Sysmon 1 and 4688), a comsvcs MiniDump, a procdump of LSASS, and an `attrib +h`
//! in `aspnet_client`; `DIR/planted.txt` lists them (file, record ID, what).
//!
//! Built with the project's own EVTX writer (`tests/support/evtx_writer.rs`), std only, with a
//! small deterministic PRNG (splitmix64): the same arguments give the same bytes.

#[path = "../tests/support/evtx_writer.rs"]
mod evtx_writer;

use evtx_writer::EvtxEvent;
use std::io::Write;
use std::path::PathBuf;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const HOST: &str = "EX01.contoso.local";
const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const SYSMON: &str = "Microsoft-Windows-Sysmon";

/// Benign (parent, image, command line) triples of an Exchange server's day.
const PROCS: &[(&str, &str, &str)] = &[
    (
        r"C:\Windows\System32\services.exe",
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
    ),
    (
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\System32\taskhostw.exe",
        r"taskhostw.exe Install $(Arg0)",
    ),
    (
        r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMHost.exe",
        r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMWorker.exe",
        r#""C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMWorker.exe" -workerId:2"#,
    ),
    (
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\System32\wbem\WmiPrvSE.exe",
        r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding",
    ),
    (
        r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\Microsoft.Exchange.ServiceHost.exe",
        r"C:\Windows\System32\conhost.exe",
        r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
    ),
    (
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\System32\backgroundTaskHost.exe",
        r#""C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider"#,
    ),
    (
        r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\PopImap\Microsoft.Exchange.Imap4service.exe",
        r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\PopImap\Microsoft.Exchange.Imap4.exe",
        r#""C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\PopImap\Microsoft.Exchange.Imap4.exe" -pipe:2196"#,
    ),
];

const USERS: &[&str] = &[
    "EX01$",
    "HealthMailbox0a1b2c3",
    "SM_1f2e3d4c5b6a7980a",
    "svc-backup",
    "alice",
    "bob",
    "ANONYMOUS LOGON",
];
const LOGON_PROCS: &[&str] = &[
    r"C:\Windows\System32\lsass.exe",
    r"C:\Windows\System32\services.exe",
    "-",
];
const PORTS: &[&str] = &["443", "444", "25", "2525", "135", "389", "3268", "88", "53"];

fn named(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn base(id: u64, ms: i64, provider: &str, event_id: u16, channel: &str) -> EvtxEvent {
    EvtxEvent {
        record_id: id,
        unix_ms: ms,
        provider: provider.into(),
        event_id,
        level: 4,
        channel: channel.into(),
        computer: HOST.into(),
        ..Default::default()
    }
}

fn guid(r: &mut Rng) -> String {
    let (a, b) = (r.next(), r.next());
    format!(
        "{{{:08X}-{:04X}-{:04X}-{:04X}-{:012X}}}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

fn security_event(r: &mut Rng, id: u64, ms: i64) -> EvtxEvent {
    let ch = "Security";
    if r.below(10) < 7 {
        let mut e = base(id, ms, SECURITY, 4624, ch);
        let user = r.pick(USERS);
        e.named_data = named(&[
            ("SubjectUserSid", "S-1-5-18".into()),
            ("SubjectUserName", "EX01$".into()),
            ("SubjectDomainName", "CONTOSO".into()),
            ("SubjectLogonId", "0x3e7".into()),
            (
                "TargetUserSid",
                format!(
                    "S-1-5-21-1004336348-1177238915-682003330-{}",
                    1000 + r.below(9000)
                ),
            ),
            ("TargetUserName", user.into()),
            ("TargetDomainName", "CONTOSO".into()),
            ("TargetLogonId", format!("{:#x}", r.next() & 0xFFFF_FFFF)),
            (
                "LogonType",
                ["3", "5", "2", "10"][r.below(4) as usize].into(),
            ),
            ("LogonProcessName", "Kerberos".into()),
            ("AuthenticationPackageName", "Kerberos".into()),
            ("WorkstationName", "-".into()),
            ("LogonGuid", guid(r)),
            ("TransmittedServices", "-".into()),
            ("LmPackageName", "-".into()),
            ("KeyLength", "0".into()),
            ("ProcessId", format!("{:#x}", 0x200 + r.below(0x400))),
            ("ProcessName", r.pick(LOGON_PROCS).into()),
            (
                "IpAddress",
                format!("10.0.{}.{}", r.below(8), 1 + r.below(250)),
            ),
            ("IpPort", format!("{}", 49152 + r.below(16000))),
            ("ImpersonationLevel", "%%1833".into()),
        ]);
        e
    } else {
        let (parent, image, cmd) = PROCS[r.below(PROCS.len() as u64) as usize];
        process_4688(id, ms, parent, image, cmd, r.below(0x4000))
    }
}

fn process_4688(id: u64, ms: i64, parent: &str, image: &str, cmd: &str, pid: u64) -> EvtxEvent {
    let mut e = base(id, ms, SECURITY, 4688, "Security");
    e.named_data = named(&[
        ("SubjectUserSid", "S-1-5-18".into()),
        ("SubjectUserName", "EX01$".into()),
        ("SubjectDomainName", "CONTOSO".into()),
        ("SubjectLogonId", "0x3e7".into()),
        ("NewProcessId", format!("{:#x}", pid)),
        ("NewProcessName", image.into()),
        ("TokenElevationType", "%%1936".into()),
        ("ProcessId", format!("{:#x}", pid / 2 + 4)),
        ("CommandLine", cmd.into()),
        ("TargetUserSid", "S-1-0-0".into()),
        ("TargetUserName", "-".into()),
        ("TargetDomainName", "-".into()),
        ("TargetLogonId", "0x0".into()),
        ("ParentProcessName", parent.into()),
        ("MandatoryLabel", "S-1-16-16384".into()),
    ]);
    e
}

fn sysmon_1(id: u64, ms: i64, r: &mut Rng, parent: &str, image: &str, cmd: &str) -> EvtxEvent {
    let mut e = base(id, ms, SYSMON, 1, "Microsoft-Windows-Sysmon/Operational");
    let t = jiff::Timestamp::from_millisecond(ms).unwrap();
    e.named_data = named(&[
        ("RuleName", "-".into()),
        ("UtcTime", t.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()),
        ("ProcessGuid", guid(r)),
        ("ProcessId", format!("{}", r.below(20000))),
        ("Image", image.into()),
        ("FileVersion", "10.0.17763.1 (WinBuild.160101.0800)".into()),
        ("Description", "Windows host process".into()),
        ("Product", "Microsoft® Windows® Operating System".into()),
        ("Company", "Microsoft Corporation".into()),
        (
            "OriginalFileName",
            image.rsplit('\\').next().unwrap_or(image).into(),
        ),
        ("CommandLine", cmd.into()),
        ("CurrentDirectory", r"C:\Windows\system32\".into()),
        ("User", r"NT AUTHORITY\SYSTEM".into()),
        ("LogonGuid", guid(r)),
        ("LogonId", "0x3e7".into()),
        ("TerminalSessionId", "0".into()),
        ("IntegrityLevel", "System".into()),
        (
            "Hashes",
            format!(
                "SHA256={:016X}{:016X}{:016X}{:016X}",
                r.next(),
                r.next(),
                r.next(),
                r.next()
            ),
        ),
        ("ParentProcessGuid", guid(r)),
        ("ParentProcessId", format!("{}", r.below(20000))),
        ("ParentImage", parent.into()),
        ("ParentCommandLine", parent.into()),
        ("ParentUser", r"NT AUTHORITY\SYSTEM".into()),
    ]);
    e
}

fn sysmon_event(r: &mut Rng, id: u64, ms: i64) -> EvtxEvent {
    if r.below(10) < 4 {
        let (parent, image, cmd) = PROCS[r.below(PROCS.len() as u64) as usize];
        return sysmon_1(id, ms, r, parent, image, cmd);
    }
    let mut e = base(id, ms, SYSMON, 3, "Microsoft-Windows-Sysmon/Operational");
    let t = jiff::Timestamp::from_millisecond(ms).unwrap();
    let (_, image, _) = PROCS[r.below(PROCS.len() as u64) as usize];
    e.named_data = named(&[
        ("RuleName", "-".into()),
        ("UtcTime", t.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()),
        ("ProcessGuid", guid(r)),
        ("ProcessId", format!("{}", r.below(20000))),
        ("Image", image.into()),
        ("User", r"NT AUTHORITY\SYSTEM".into()),
        ("Protocol", "tcp".into()),
        ("Initiated", "true".into()),
        ("SourceIsIpv6", "false".into()),
        ("SourceIp", format!("10.0.0.{}", 1 + r.below(250))),
        ("SourceHostname", HOST.into()),
        ("SourcePort", format!("{}", 49152 + r.below(16000))),
        ("SourcePortName", "-".into()),
        ("DestinationIsIpv6", "false".into()),
        (
            "DestinationIp",
            format!("10.0.{}.{}", r.below(8), 1 + r.below(250)),
        ),
        ("DestinationHostname", "dc01.contoso.local".into()),
        ("DestinationPort", r.pick(PORTS).into()),
        ("DestinationPortName", "-".into()),
    ]);
    e
}

/// A planted hit (an event the rules report), by number.
fn planted(n: usize, sysmon: bool, r: &mut Rng, id: u64, ms: i64) -> (EvtxEvent, &'static str) {
    let w3wp = r"c:\windows\system32\inetsrv\w3wp.exe";
    let (parent, image, cmd, what) = match n % 4 {
        0 => (
            w3wp,
            r"C:\Windows\System32\cmd.exe",
            r#"cmd /c cd /d "C:\inetpub\wwwroot\aspnet_client"&whoami&echo [S]&cd&echo [E]"#,
            "China Chopper command under w3wp",
        ),
        1 => (
            r"C:\Windows\System32\cmd.exe",
            r"C:\Windows\System32\rundll32.exe",
            r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\Windows\Temp\l.dmp full",
            "comsvcs MiniDump",
        ),
        2 => (
            r"C:\Windows\System32\cmd.exe",
            r"C:\Windows\Temp\procdump64.exe",
            r"procdump64.exe -accepteula -ma lsass.exe c:\windows\temp\lsass.dmp",
            "procdump of LSASS",
        ),
        _ => (
            w3wp,
            r"C:\Windows\System32\attrib.exe",
            r"attrib +h +s +r C:\inetpub\wwwroot\aspnet_client\system_web\x.aspx",
            "attrib +h in aspnet_client under w3wp",
        ),
    };
    let e = if sysmon {
        sysmon_1(id, ms, r, parent, image, cmd)
    } else {
        process_4688(id, ms, parent, image, cmd, 0x1a2c)
    };
    (e, what)
}

fn parse_size(s: &str) -> u64 {
    let (n, mul) = match s.as_bytes().last() {
        Some(b'G' | b'g') => (&s[..s.len() - 1], 1u64 << 30),
        Some(b'M' | b'm') => (&s[..s.len() - 1], 1 << 20),
        _ => (s, 1),
    };
    n.parse::<u64>().expect("size: a number, with M or G") * mul
}

fn main() {
    let mut out: Option<PathBuf> = None;
    let (mut size, mut file_mb, mut seed) = (1u64 << 30, 32u64, 7u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value after the option");
        match a.as_str() {
            "--out" => out = Some(val().into()),
            "--size" => size = parse_size(&val()),
            "--file-mb" => file_mb = val().parse().expect("--file-mb N"),
            "--seed" => seed = val().parse().expect("--seed N"),
            _ => panic!("usage: gen_evtx --out DIR [--size 1G] [--file-mb 32] [--seed 7]"),
        }
    }
    let out = out.expect("--out DIR");
    let logs = out.join("Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut r = Rng(seed);
    let mut truth = std::fs::File::create(out.join("planted.txt")).unwrap();
    // Records per file: the writer's records (no templates) take about 2,100 bytes each.
    let per_file = (file_mb << 20) / 2100;
    let (mut written, mut n, mut hits) = (0u64, 0usize, 0usize);
    // 2021-02-01T00:00Z, ~40 events a second.
    let mut ms: i64 = 1_612_137_600_000;
    while written < size {
        let sysmon = n % 2 == 1;
        let name = match (sysmon, n / 2) {
            (false, 0) => "Security.evtx".to_string(),
            (true, 0) => "Microsoft-Windows-Sysmon%4Operational.evtx".to_string(),
            (false, k) => format!(
                "Archive-Security-2021-02-{:02}-00-00-{k:03}.evtx",
                1 + k % 28
            ),
            (true, k) => format!(
                "Archive-Microsoft-Windows-Sysmon%4Operational-2021-02-{:02}-00-00-{k:03}.evtx",
                1 + k % 28
            ),
        };
        // Hits in every third file: at the start, the middle or the end of it.
        let plant_at: Option<u64> = (n % 3 == 0).then(|| match (n / 3) % 3 {
            0 => 5,
            1 => per_file / 2,
            _ => per_file - 3,
        });
        let mut events = Vec::with_capacity(per_file as usize);
        for i in 0..per_file {
            let id = i + 1;
            ms += 10 + r.below(40) as i64;
            if Some(i) == plant_at {
                let (e, what) = planted(hits, sysmon, &mut r, id, ms);
                writeln!(truth, "{name}\t{id}\t{what}").unwrap();
                hits += 1;
                events.push(e);
            } else if sysmon {
                events.push(sysmon_event(&mut r, id, ms));
            } else {
                events.push(security_event(&mut r, id, ms));
            }
        }
        let bytes = evtx_writer::write_evtx(&events);
        written += bytes.len() as u64;
        std::fs::write(logs.join(&name), &bytes).unwrap();
        eprintln!(
            "{name}: {} records, {} MiB",
            events.len(),
            bytes.len() >> 20
        );
        n += 1;
    }
    eprintln!(
        "{n} files, {} MiB, {hits} planted hits (planted.txt)",
        written >> 20
    );
}
