//! `report.html` in a real browser: headless Chromium (Debian package `chromium`, installed by
//! `.ci/run`) loads the page from a `file://` URL and dumps the DOM after its script ran. The
//! page's own script marks `<body data-js="ok">` once it has set the table up, and records every
//! error and Content-Security-Policy violation on `<html data-errors>`; Chromium's console
//! messages (`--enable-logging=stderr`) are read too. A page with a planted script is checked the
//! same way and must fail: the checks can fail. Skips with a printed reason when Chromium is
//! absent, and fails instead under `EXHUNT_REQUIRE_ALL_TESTS=1`.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/trees.rs"]
mod trees;

use std::path::{Path, PathBuf};
use std::time::Duration;

const BROWSER: &str = "chromium";

/// Whether Chromium can run here; otherwise the reason (and a failure when all tests must run).
fn browser() -> bool {
    let ok = std::process::Command::new(BROWSER)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let why = format!("{BROWSER} not found on PATH (Debian: apt-get install chromium)");
        if std::env::var_os("EXHUNT_REQUIRE_ALL_TESTS").is_some_and(|v| v == "1") {
            panic!("EXHUNT_REQUIRE_ALL_TESTS=1 but {why}");
        }
        eprintln!("skipping the browser test: {why}");
    }
    ok
}

/// What the browser made of a page: the DOM after load, and its console messages.
struct Loaded {
    dom: String,
    console: Vec<String>,
}

impl Loaded {
    /// The attributes of the first `<tag ...>` element of the dumped DOM.
    fn open_tag(&self, tag: &str) -> &str {
        // <body> after the head (whose script text may name tags), <html> at the start
        let from = if tag == "html" {
            0
        } else {
            self.dom.find("</head>").expect("no </head> in the DOM")
        };
        let at = self.dom[from..]
            .find(&format!("<{tag}"))
            .unwrap_or_else(|| panic!("no <{tag}> in the DOM"))
            + from;
        let end = self.dom[at..].find('>').unwrap() + at;
        &self.dom[at..=end]
    }

    /// Every sign of a problem: recorded errors and CSP violations, a script that did not
    /// finish, console messages.
    fn problems(&self) -> Vec<String> {
        let mut v = Vec::new();
        let html = self.open_tag("html");
        if html.contains("data-errors") {
            v.push(format!("page recorded: {html}"));
        }
        let body = self.open_tag("body");
        if !body.contains("data-js=\"ok\"") {
            v.push(format!("the page's script did not finish: {body}"));
        }
        v.extend(self.console.iter().map(|c| format!("console: {c}")));
        v
    }

    fn assert_clean(&self) {
        let p = self.problems();
        assert!(p.is_empty(), "{p:#?}");
    }
}

fn load(page: &Path) -> Loaded {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let o = assert_cmd::Command::new(BROWSER)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(&url)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{BROWSER} failed on {url}: {stderr}");
    let dom = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(dom.contains("</html>"), "no DOM dumped for {url}: {stderr}");
    Loaded {
        dom,
        console: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

fn examples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn page_of(s: &harness::Scanned) -> PathBuf {
    let p = s.out.path().join("report.html");
    assert!(p.is_file(), "no report.html written");
    p
}

#[test]
fn the_compromised_example_renders_without_errors_and_leads_with_the_verdict() {
    if !browser() {
        return;
    }
    let s = harness::run_scan(&[examples("compromised").to_str().unwrap()]);
    assert_eq!(s.report["verdict"], "compromised");
    let l = load(&page_of(&s));
    l.assert_clean();
    assert!(
        l.dom.contains("<h1 id=\"verdict\">COMPROMISED: EX01</h1>"),
        "verdict not in the DOM"
    );
    assert!(
        l.dom.contains(
            "<p id=\"reason\">ProxyLogon exploited: first evidence 2021-02-11T04:28:10.022Z from 203.0.113.57 · "
        ),
        "reason not in the DOM"
    );
    // the script ran over the table: it counted every finding row
    let n = s.report["findings"].as_array().unwrap().len();
    assert!(
        l.dom
            .contains(&format!("id=\"f-shown\">{n} of {n} rows shown<")),
        "the filter did not run"
    );
    assert_eq!(l.dom.matches("<svg ").count(), 2, "both charts rendered");
}

#[test]
fn the_clean_example_renders_its_verdict_and_what_was_not_seen() {
    if !browser() {
        return;
    }
    let s = harness::run_scan(&[examples("clean").to_str().unwrap()]);
    let l = load(&page_of(&s));
    l.assert_clean();
    assert!(
        l.dom.contains("<h1 id=\"verdict\">NO EVIDENCE: "),
        "verdict"
    );
    assert!(l.dom.contains(
        "<p id=\"reason\">Every required check ran over logs covering the exposure window"
    ));
    assert!(l.dom.contains("id=\"not-seen\""));
}

/// A log line carrying markup, a script break-out and an event handler, in the user agent, the
/// SSRF target, the client address and the log's file name.
#[test]
fn a_hostile_log_line_does_not_execute_and_shows_as_text() {
    if !browser() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    trees::build_compromised(d.path());
    let ua = "</script><script>document.title='PWNED'</script>";
    let anchor = "ServerInfo~\"><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">@ex01:444/ecp/y.ecp?#";
    let ip = "203.0.113.9<svg/onload=document.title='PWNED'>";
    trees::write_hp(
        d.path(),
        "Ecp",
        "HttpProxy_2021021106-1\"><img src=x onerror=alert(1)>.LOG",
        &[trees::ssrf_hit(
            90_001,
            "2021-02-11T06:00:00.000Z",
            &[
                ("UserAgent", ua),
                ("AnchorMailbox", anchor),
                ("ClientIpAddress", ip),
            ],
        )],
    );
    let s = harness::run_scan(&[d.path().to_str().unwrap(), "--host", "EX01<b>bold</b>"]);
    let planted = harness::findings(&s.report, "cve-2021-26855")
        .into_iter()
        .filter(|f| f["fields"]["UserAgent"] == ua)
        .count();
    assert_eq!(planted, 1, "the hostile line is a finding");
    let l = load(&page_of(&s));
    l.assert_clean();
    // nothing ran: no title change, no attribute set, no element made from the data
    assert!(
        l.dom
            .contains("<title>COMPROMISED: EX01&lt;b&gt;bold&lt;/b&gt; - exhunt</title>")
    );
    assert!(!l.dom.contains("PWNED</title>"));
    assert!(!l.dom.contains("data-pwned=\"1\""), "the handler ran");
    let lower = l.dom.to_ascii_lowercase();
    assert!(!lower.contains("<img"), "an <img> element was made");
    assert!(!lower.contains("<svg/onload") && !lower.contains("<b>bold"));
    assert_eq!(
        lower.matches("<script").count(),
        1,
        "only the page's script"
    );
    // the payloads are in the rendered page as text
    assert!(
        l.dom
            .contains("&lt;/script&gt;&lt;script&gt;document.title='PWNED'&lt;/script&gt;")
    );
    assert!(
        l.dom.contains("&lt;img src=x onerror=alert(1)&gt;.LOG"),
        "file name as text"
    );
    assert!(
        l.dom
            .contains("203.0.113.9&lt;svg/onload=document.title='PWNED'&gt;")
    );
}

/// The checks above can fail: a page with a planted script, handler and image is caught.
#[test]
fn a_page_with_a_planted_script_is_caught() {
    if !browser() {
        return;
    }
    let s = harness::run_scan(&[examples("compromised").to_str().unwrap()]);
    let page = std::fs::read_to_string(page_of(&s)).unwrap();
    let bad = page.replacen(
        "<main>",
        "<main><img src=x onerror=\"document.title='PWNED'\"><script>document.title='PWNED'</script>",
        1,
    );
    let p = s.out.path().join("bad.html");
    std::fs::write(&p, bad).unwrap();
    let l = load(&p);
    let problems = l.problems().join("\n");
    assert!(problems.contains("csp: script-src-elem"), "{problems}");
    assert!(problems.contains("csp: script-src-attr"), "{problems}");
    assert!(problems.contains("console: "), "{problems}");
    assert!(!l.dom.contains("PWNED</title>"), "CSP blocked it");
    // and a page whose script fails before it finishes is caught too
    let broken = page.replacen(
        "<table id=\"findings-table\"><thead>",
        "<table id=\"findings-table\">",
        1,
    );
    let p = s.out.path().join("broken.html");
    std::fs::write(&p, broken).unwrap();
    let problems = load(&p).problems().join("\n");
    assert!(problems.contains("script did not finish"), "{problems}");
}
