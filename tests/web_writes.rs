//! End-to-end: a page planted in a web folder by any process, and ASP.NET's first-run trace of
//! it, as the ProxyLogon PoC left them (Sysmon 11 values copied from the public OTRF data set
//! SDWIN-210314014019, which is a JSON export, not EVTX: the events are written here as EVTX),
//! and the `.compiled` file on disk. Benign look-alikes: an update writing stock pages, and
//! ASP.NET compiling them.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;

use serde_json::Value;
use trees::{EVTX_DIR, X, evtx_writer, sysmon_event};

const FE: &str = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy";
const TEMP: &str = "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files";
const TEMP_REL: &str = "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files";

fn file_create(id: u64, iso: &str, image: &str, path: &str) -> evtx_writer::EvtxEvent {
    sysmon_event(
        id,
        iso,
        11,
        &[
            ("RuleName", "-"),
            ("UtcTime", &iso.replace('T', " ").replace('Z', "")),
            ("ProcessGuid", "{6004D249-FD90-604C-0100-000000000900}"),
            ("ProcessId", if image == "System" { "4" } else { "10844" }),
            ("Image", image),
            ("TargetFilename", path),
            ("CreationUtcTime", &iso.replace('T', " ").replace('Z', "")),
        ],
    )
}

/// An update (stock page by msiexec) and ASP.NET compiling stock pages: never reported.
fn benign() -> Vec<evtx_writer::EvtxEvent> {
    vec![
        file_create(
            401,
            "2021-02-02T10:00:00.000Z",
            "C:\\Windows\\System32\\msiexec.exe",
            &format!("{FE}\\owa\\auth\\logon.aspx"),
        ),
        file_create(
            402,
            "2021-02-02T10:00:01.000Z",
            "C:\\Windows\\System32\\msiexec.exe",
            &format!("{FE}\\ecp\\auth\\TimeoutLogout.aspx"),
        ),
        file_create(
            403,
            "2021-02-02T10:05:00.000Z",
            "c:\\windows\\system32\\inetsrv\\w3wp.exe",
            &format!("{TEMP}\\owa\\8e05b027\\e164d61b\\logon.aspx.cdcab7d2.compiled"),
        ),
        file_create(
            404,
            "2021-02-02T10:05:00.100Z",
            "c:\\windows\\system32\\inetsrv\\w3wp.exe",
            &format!("{TEMP}\\owa\\8e05b027\\e164d61b\\App_Web_0pqrs1tu.dll"),
        ),
    ]
}

/// The PoC's write over SMB and ASP.NET compiling the new page.
fn proxylogon() -> Vec<evtx_writer::EvtxEvent> {
    vec![
        file_create(
            501,
            "2021-03-14T06:40:13.659Z",
            "System",
            &format!("{FE}\\owa\\auth\\ohyeah.aspx"),
        ),
        file_create(
            502,
            "2021-03-14T06:40:15.299Z",
            "c:\\windows\\system32\\inetsrv\\w3wp.exe",
            &format!("{TEMP}\\owa\\8e05b027\\e164d61b\\App_Web_llfrjg0v.dll"),
        ),
        file_create(
            503,
            "2021-03-14T06:40:15.315Z",
            "c:\\windows\\system32\\inetsrv\\w3wp.exe",
            &format!("{TEMP}\\owa\\8e05b027\\e164d61b\\ohyeah.aspx.f5dba9b9.compiled"),
        ),
    ]
}

fn preserve(vpath: &str, asm: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<preserve resultType=\"3\" virtualPath=\"{vpath}\" hash=\"fffffff1fd6c4a04\" filehash=\"42c4a74221152888\" flags=\"110000\" assembly=\"{asm}\" type=\"ASP.x_aspx\">\r\n    <filedeps>\r\n        <filedep name=\"{vpath}\" />\r\n    </filedeps>\r\n</preserve>\r\n"
    )
    .into_bytes()
}

fn tree(events: &[evtx_writer::EvtxEvent], shell_on_disk: bool) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    let dir = format!("{TEMP_REL}/owa/8e05b027/e164d61b");
    trees::write(
        d.path(),
        &format!("{dir}/logon.aspx.cdcab7d2.compiled"),
        &preserve("/owa/auth/logon.aspx", "App_Web_0pqrs1tu"),
    );
    trees::write(
        d.path(),
        &format!("{dir}/default.aspx.1a2b3c4d.compiled"),
        &preserve("/ecp/default.aspx", "App_Web_5vwxyz6a"),
    );
    trees::write(
        d.path(),
        &format!("{dir}/broken.aspx.99aa88bb.compiled"),
        b"\x00\x01 not a preservation file",
    );
    if shell_on_disk {
        // the page itself is gone (deleted after use): only its compile trace remains
        trees::write(
            d.path(),
            &format!("{dir}/ohyeah.aspx.f5dba9b9.compiled"),
            &preserve("/owa/auth/ohyeah.aspx", "App_Web_llfrjg0v"),
        );
    }
    trees::write(
        d.path(),
        &format!("{EVTX_DIR}/Microsoft-Windows-Sysmon%4Operational.evtx"),
        &evtx_writer::write_evtx(events),
    );
    d
}

fn rules(r: &Value, check: &str) -> Vec<String> {
    harness::findings(r, check)
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn proxylogon_page_written_over_smb_and_compiled() {
    let mut events = benign();
    events.extend(proxylogon());
    let d = tree(&events, true);
    let r = harness::run_scan(&[d.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(r.report["verdict"], "compromised");
    assert_eq!(
        rules(&r.report, "process-evidence"),
        ["web-page-dropped", "page-compiled"]
    );
    let fs = harness::findings(&r.report, "process-evidence");
    let (write, compile) = (fs[0], fs[1]);
    assert_eq!(write["class"], "post-exploitation");
    assert_eq!(write["severity"], "critical");
    assert_eq!(write["source"]["record_id"], 501);
    assert_eq!(write["time"], "2021-03-14T06:40:13.659Z");
    assert_eq!(write["fields"]["Image"], "System");
    assert_eq!(write["fields"]["Zone"], "owa/auth");
    assert!(write["title"].as_str().unwrap().contains("over SMB"));
    assert!(write["raw"].as_str().unwrap().contains("ohyeah.aspx"));
    assert_eq!(compile["fields"]["Page"], "ohyeah.aspx");
    assert_eq!(compile["fields"]["Application"], "owa");
    assert_eq!(compile["source"]["record_id"], 503);
    // the trace on disk names the page's whole virtual path, though the page is gone
    let heur: Vec<&Value> = harness::findings(&r.report, "webshell-heuristic")
        .into_iter()
        .filter(|f| f["rule"] == "compiled-page")
        .collect();
    assert_eq!(heur.len(), 1, "{heur:?}");
    assert_eq!(heur[0]["fields"]["VirtualPath"], "/owa/auth/ohyeah.aspx");
    assert_eq!(heur[0]["fields"]["Assembly"], "App_Web_llfrjg0v");
    assert_eq!(heur[0]["severity"], "high");
    assert!(
        heur[0]["source"]["path"]
            .as_str()
            .unwrap()
            .ends_with("ohyeah.aspx.f5dba9b9.compiled")
    );
}

#[test]
fn updates_and_compiled_stock_pages_stay_quiet() {
    let d = tree(&benign(), false);
    let r = harness::run_scan(&[d.path().to_str().unwrap()]);
    assert!(rules(&r.report, "process-evidence").is_empty());
    assert!(!rules(&r.report, "webshell-heuristic").contains(&"compiled-page".to_string()));
    assert_eq!(r.report["verdict"], "no-evidence", "{}", r.stdout);
    assert_eq!(r.code, 0);
    // the Exchange install the events name is the tree's own
    assert!(d.path().join(X).is_dir());
}
