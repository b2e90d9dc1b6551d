//! One process reaching into another, or into an account: Sysmon 10 (process access) and 8
//! (CreateRemoteThread) on LSASS or from IIS workers, SilentProcessExit dumps of LSASS
//! (Application 3000/3001 and the registry values that arm them, Sysmon 12-14), and explicit
//! credential logons by IIS workers (Security 4648).

use super::{base_fields, named};
use crate::detect::Draft;
use crate::detect::table::basename_lower;
use crate::model::{Class, Severity};
use crate::sources::evtx::EvtxEvent;

fn draft(
    e: &EvtxEvent,
    rule: &'static str,
    class: Class,
    severity: Severity,
    title: String,
    fields: Vec<(String, String)>,
    why: &str,
) -> Draft {
    Draft {
        rule,
        cve: "",
        title,
        class,
        severity,
        time: e.time,
        fields,
        why: why.to_string(),
    }
}

/// `GrantedAccess` (`0x1fffff`) as a number.
fn access_mask(s: &str) -> Option<u32> {
    let s = s.trim();
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u32::from_str_radix(hex, 16).ok()
}

/// PROCESS_VM_READ: without it no dump (nor mimikatz) can read LSASS's memory.
const VM_READ: u32 = 0x10;

/// Folders programs do not run from on a server: user profiles (a Desktop, Downloads, Temp),
/// ProgramData, Windows\Temp, the web root, `C:\root`, PerfLogs, the recycle bin.
const USER_FOLDERS: [&str; 8] = [
    "\\users\\",
    "\\programdata\\",
    "\\windows\\temp\\",
    "\\inetpub\\",
    ":\\root\\",
    "\\perflogs\\",
    "\\$recycle.bin\\",
    "\\appdata\\",
];

/// The module of a call-trace frame: `C:\Windows\SYSTEM32\ntdll.dll+9fc24` -> `ntdll.dll`,
/// `UNKNOWN(0358F723)` -> `unknown`.
fn frame_module(frame: &str) -> String {
    let f = frame.trim();
    let m = f.split('+').next().unwrap_or(f);
    if m.to_ascii_lowercase().starts_with("unknown(") {
        return "unknown".into();
    }
    basename_lower(m)
}

pub(super) fn lsass_access(e: &EvtxEvent) -> Option<Draft> {
    let target = named(e, "TargetImage");
    if basename_lower(&target) != "lsass.exe" {
        return None;
    }
    let source = named(e, "SourceImage");
    let sname = basename_lower(&source);
    if matches!(
        sname.as_str(),
        "werfault.exe" | "wermgr.exe" | "msmpeng.exe" | ""
    ) {
        return None;
    }
    let raw_trace = named(e, "CallTrace");
    let trace = raw_trace.to_ascii_lowercase();
    let mut fields = vec![
        ("SourceImage".to_string(), source.clone()),
        ("TargetImage".to_string(), target),
        ("GrantedAccess".to_string(), named(e, "GrantedAccess")),
        ("CallTrace".to_string(), raw_trace.clone()),
        ("SourceProcessId".to_string(), named(e, "SourceProcessId")),
    ];
    fields.extend(base_fields(e, "Sysmon 10"));
    if let Some(dll) = ["comsvcs.dll", "dbgcore.dll", "dbghelp.dll"]
        .into_iter()
        .find(|d| trace.contains(d))
    {
        return Some(draft(
            e,
            "lsass-memory-access",
            Class::PostExploitation,
            Severity::High,
            format!("LSASS memory read for a dump by {sname} (through {dll})"),
            fields,
            "Opening LSASS with MiniDumpWriteDump on the call stack writes its memory, credentials included, to a file: credential theft after the break-in.",
        ));
    }
    let reads = access_mask(&named(e, "GrantedAccess")).is_some_and(|m| m & VM_READ != 0);
    if !reads {
        return None;
    }
    let top = raw_trace
        .split('|')
        .next()
        .map(frame_module)
        .unwrap_or_default();
    if !raw_trace.trim().is_empty() && !matches!(top.as_str(), "ntdll.dll" | "win32u.dll") {
        fields.push(("TopFrame".into(), top.clone()));
        return Some(draft(
            e,
            "lsass-direct-syscall-access",
            Class::PostExploitation,
            Severity::High,
            format!(
                "LSASS opened for reading by {sname} with a direct system call (top frame {top})"
            ),
            fields,
            "Every normal program opens a process through ntdll; a call stack whose top frame is the program itself (or unknown memory) made the system call directly, as Outflank Dumpert and similar LSASS dumpers do to get past security hooks.",
        ));
    }
    let lsource = source.to_ascii_lowercase();
    if USER_FOLDERS.iter().any(|f| lsource.contains(f)) {
        return Some(draft(
            e,
            "lsass-access-from-user-folder",
            Class::PostExploitation,
            Severity::High,
            format!(
                "LSASS memory opened for reading by a program in a user or temporary folder: {source}"
            ),
            fields,
            "Programs that read LSASS's memory (mimikatz, dumpers) are run from where the intruder dropped them: a Desktop, Temp, ProgramData or the web root; installed software runs from Program Files or Windows. The credentials of every logged-on account are exposed.",
        ));
    }
    None
}

pub(super) fn remote_thread(e: &EvtxEvent) -> Option<Draft> {
    let source = named(e, "SourceImage");
    let target = named(e, "TargetImage");
    let (sname, tname) = (basename_lower(&source), basename_lower(&target));
    let mut fields = vec![
        ("SourceImage".to_string(), source.clone()),
        ("TargetImage".to_string(), target.clone()),
        ("SourceProcessId".to_string(), named(e, "SourceProcessId")),
        ("TargetProcessId".to_string(), named(e, "TargetProcessId")),
        ("StartAddress".to_string(), named(e, "StartAddress")),
        ("StartModule".to_string(), named(e, "StartModule")),
    ];
    fields.extend(base_fields(e, "Sysmon 8"));
    if sname == "w3wp.exe" {
        return Some(draft(
            e,
            "w3wp-remote-thread",
            Class::PostExploitation,
            Severity::High,
            format!("IIS worker started a thread inside {tname}: {target}"),
            fields,
            "A web application never starts threads in other processes: a webshell's in-memory payload (Meterpreter, Cobalt Strike) moving into a host process, often one the webshell just started (notepad.exe in the public sample), from where it escalates (Rotten Potato) or calls home.",
        ));
    }
    if tname == "lsass.exe"
        && !matches!(
            sname.as_str(),
            "csrss.exe" | "wininit.exe" | "services.exe" | "werfault.exe" | "msmpeng.exe" | ""
        )
    {
        return Some(draft(
            e,
            "lsass-remote-thread",
            Class::PostExploitation,
            Severity::High,
            format!("{sname} started a thread inside LSASS"),
            fields,
            "Starting a thread in LSASS is how some signed tools are made to dump it (rdrleakdiag /fullmemdmp, SilentProcessExit) and how credential-stealing code is loaded into it; look for a dump file written by the same process.",
        ));
    }
    None
}

/// Ports a web worker has no business connecting to on its own machine: RDP, SMB, SSH, WinRM.
const TUNNEL_PORTS: [&str; 5] = ["3389", "445", "22", "5985", "5986"];

/// Sysmon 3: an IIS worker connecting to a remote-access port of its own machine (loopback).
pub(super) fn loopback_tunnel(e: &EvtxEvent) -> Option<Draft> {
    let image = named(e, "Image");
    if basename_lower(&image) != "w3wp.exe" || !named(e, "Initiated").eq_ignore_ascii_case("true") {
        return None;
    }
    let (ip, port) = (named(e, "DestinationIp"), named(e, "DestinationPort"));
    let loopback = ip.starts_with("127.") || ip == "::1" || ip == "0:0:0:0:0:0:0:1";
    if !loopback || !TUNNEL_PORTS.contains(&port.as_str()) {
        return None;
    }
    let mut fields = vec![
        ("Image".to_string(), image),
        ("User".to_string(), named(e, "User")),
        ("DestinationIp".to_string(), ip.clone()),
        ("DestinationPort".to_string(), port.clone()),
        (
            "DestinationPortName".to_string(),
            named(e, "DestinationPortName"),
        ),
        ("SourcePort".to_string(), named(e, "SourcePort")),
    ];
    fields.extend(base_fields(e, "Sysmon 3"));
    Some(draft(
        e,
        "w3wp-loopback-tunnel",
        Class::PostExploitation,
        Severity::High,
        format!("IIS worker connected to {ip}:{port} on its own machine (a webshell tunnel)"),
        fields,
        "A web application connecting to RDP, SMB, SSH or WinRM on its own server is a tunnelling webshell (Tunna, reGeorg, Neo-reGeorg) carrying the intruder's remote-desktop or file-share traffic through HTTP.",
    ))
}

/// Application, `Microsoft-Windows-ProcessExitMonitor` 3000/3001 for lsass.exe.
pub(super) fn silent_exit(e: &EvtxEvent) -> Option<Draft> {
    if !e
        .provider
        .eq_ignore_ascii_case("Microsoft-Windows-ProcessExitMonitor")
    {
        return None;
    }
    let param = |k: &str, i: usize| {
        e.named(k)
            .map(str::to_string)
            .or_else(|| e.data.get(i).cloned())
            .unwrap_or_default()
    };
    let (process, by) = (param("param1", 0), param("param2", 1));
    if basename_lower(&process) != "lsass.exe" {
        return None;
    }
    let mut fields = vec![
        ("Process".to_string(), process),
        ("TerminatedBy".to_string(), by.clone()),
        ("ExitCode".to_string(), param("param3", 2)),
    ];
    fields.extend(base_fields(e, "Application (ProcessExitMonitor)"));
    let who = if by.is_empty() {
        "a process".to_string()
    } else {
        by
    };
    Some(draft(
        e,
        "lsass-silent-process-exit",
        Class::PostExploitation,
        Severity::High,
        format!("SilentProcessExit reported for LSASS, triggered by {who}"),
        fields,
        "Windows logs this when a process set up for SilentProcessExit monitoring exits or is reported as exiting; for LSASS it is the dump technique that makes Windows Error Reporting write a full LSASS dump (LsassSilentProcessExit, nanodump) while LSASS keeps running. Find the dump in the configured LocalDumpFolder: it holds credentials.",
    ))
}

/// Sysmon 12-14: the registry values that arm a SilentProcessExit dump of LSASS.
pub(super) fn silent_exit_config(e: &EvtxEvent) -> Option<Draft> {
    let key = named(e, "TargetObject");
    let lower = key.to_ascii_lowercase();
    let armed = lower.contains("\\silentprocessexit\\lsass.exe")
        || (lower.contains("\\image file execution options\\lsass.exe")
            && lower.ends_with("\\globalflag"));
    if !armed {
        return None;
    }
    let mut fields = vec![
        ("TargetObject".to_string(), key.clone()),
        ("Details".to_string(), named(e, "Details")),
        ("Image".to_string(), named(e, "Image")),
        ("EventType".to_string(), named(e, "EventType")),
    ];
    fields.extend(base_fields(e, "Sysmon 12-14"));
    Some(draft(
        e,
        "lsass-silent-process-exit",
        Class::PostExploitation,
        Severity::High,
        format!(
            "Registry set up for a SilentProcessExit dump of LSASS by {}: {key}",
            basename_lower(&named(e, "Image"))
        ),
        fields,
        "SilentProcessExit\\lsass.exe (ReportingMode, LocalDumpFolder, DumpType) and the lsass.exe GlobalFlag under Image File Execution Options make Windows Error Reporting write a full LSASS dump: an LSASS dump technique, not an administrative setting.",
    ))
}

/// Security 4648 by an IIS worker that runs under its own account.
pub(super) fn explicit_credentials(e: &EvtxEvent) -> Option<Draft> {
    if !e
        .provider
        .eq_ignore_ascii_case("Microsoft-Windows-Security-Auditing")
    {
        return None;
    }
    let process = named(e, "ProcessName");
    if basename_lower(&process) != "w3wp.exe" {
        return None;
    }
    let subject = named(e, "SubjectUserName");
    // Exchange's app pools run as LocalSystem: their 4648s (the machine account) are the logons
    // of OWA forms and Basic authentication, every day.
    let system = subject.is_empty()
        || subject.ends_with('$')
        || matches!(
            subject.to_ascii_uppercase().as_str(),
            "-" | "SYSTEM" | "LOCAL SERVICE" | "NETWORK SERVICE"
        );
    if system {
        return None;
    }
    let account = |d: &str, u: &str| {
        let (d, u) = (named(e, d), named(e, u));
        if d.is_empty() || d == "-" {
            u
        } else {
            format!("{d}\\{u}")
        }
    };
    let (from, to) = (
        account("SubjectDomainName", "SubjectUserName"),
        account("TargetDomainName", "TargetUserName"),
    );
    let mut fields = vec![
        ("SubjectUser".to_string(), from.clone()),
        ("TargetUser".to_string(), to.clone()),
        ("TargetServerName".to_string(), named(e, "TargetServerName")),
        ("ProcessName".to_string(), process),
        ("ProcessId".to_string(), named(e, "ProcessId")),
        ("IpAddress".to_string(), named(e, "IpAddress")),
    ];
    fields.extend(base_fields(e, "Security 4648"));
    Some(draft(
        e,
        "w3wp-explicit-credentials",
        Class::Context,
        Severity::High,
        format!("IIS worker running as {from} logged on as {to} with explicit credentials"),
        fields,
        "A web application pool running under its own account (not LocalSystem, as Exchange's pools do) used a password to log on as another account: a webshell's runas / CreateProcessAsUser with stolen credentials, or a site configured to connect as a fixed user. Check what that account did next (4624 and process creation under it).",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_frames() {
        assert_eq!(access_mask("0x1fffff"), Some(0x1f_ffff));
        assert_eq!(access_mask("0X1010"), Some(0x1010));
        assert_eq!(access_mask("4112"), None);
        assert_eq!(access_mask("0xzz"), None);
        assert_eq!(
            frame_module("C:\\Windows\\SYSTEM32\\ntdll.dll+9fc24"),
            "ntdll.dll"
        );
        assert_eq!(frame_module("UNKNOWN(0358F723)"), "unknown");
        assert_eq!(
            frame_module("C:\\Users\\a\\Desktop\\x64\\Outflank-Dumpert.exe+134da"),
            "outflank-dumpert.exe"
        );
    }
}
