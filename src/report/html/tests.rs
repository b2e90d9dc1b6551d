use super::*;
use crate::model::{Evidence, Fields, Timestamp, Verdict};
use crate::scan::{ScanOptions, ScanResult};
use std::path::Path;

fn example(name: &str) -> ScanResult {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    crate::scan::run(&ScanOptions {
        root: Some(root),
        logs: Vec::new(),
        exchange_path: None,
        window: crate::model::Window {
            since: Timestamp::parse_arg("2021-01-01").unwrap(),
            until: None,
        },
        host: None,
        threads: Some(1),
        progress: false,
        files: Default::default(),
        checks: None,
        allow: vec![],
    })
    .unwrap()
}

const SCRIPT_BREAK: &str = "</script><script>alert(1)</script>";
const ATTR_BREAK: &str = "\"><img src=x onerror=alert(1)>";
const TEMPLATES: &str = "{{7*7}} ${7*7} <%= 7*7 %>";

fn hostile(scan: &mut ScanResult) {
    let mut fields = Fields::default();
    fields.push("ClientIPAddress", ATTR_BREAK);
    fields.push("UserAgent", SCRIPT_BREAK);
    scan.findings.push(Finding {
        check: "cve-2021-26855",
        rule: "anchor-mailbox-ssrf",
        cve: "CVE-2021-26855",
        title: format!("SSRF {ATTR_BREAK} {TEMPLATES}"),
        class: Class::Exploitation,
        severity: Severity::Critical,
        time: Timestamp::parse_arg("2021-02-11T05:00:00Z"),
        source: Evidence {
            path: format!("logs/{ATTR_BREAK}.LOG"),
            line: Some(7),
            ..Default::default()
        },
        raw: format!("{SCRIPT_BREAK},{ATTR_BREAK},{TEMPLATES},\u{2028}\u{202e}x"),
        fields,
        why: format!("why {SCRIPT_BREAK}"),
    });
    scan.host = format!("EX01{SCRIPT_BREAK}");
}

/// The page's script elements (their opening tags).
fn script_tags(page: &str) -> usize {
    page.to_ascii_lowercase().matches("<script").count()
}

#[test]
fn base64_and_the_script_hash() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    use sha2::{Digest, Sha256};
    // the CSP hash of the empty script, as browsers compute it
    assert_eq!(
        base64(&Sha256::digest(b"")),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
    assert!(csp().contains(&script_hash()));
    assert!(
        csp().starts_with("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-")
    );
}

#[test]
fn the_compromised_example_leads_with_the_answer() {
    let scan = example("compromised");
    assert_eq!(scan.verdict, Verdict::Compromised);
    assert_eq!(
        scan.summary.reason,
        "ProxyLogon exploited: first evidence 2021-02-11T04:28:10.022Z from 203.0.113.57 · 2 webshells · LSASS dump · mailbox export"
    );
    let page = render(&scan);
    let steps = page
        .split("id=\"todo\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap()
        .to_string();
    for want in [
        "Isolate",
        "Preserve evidence",
        "krbtgt",
        "Rebuild",
        "Open first: timeline.csv",
    ] {
        assert!(steps.contains(want), "{want} not in {steps}");
    }
    let page = render(&scan);
    // the answer comes first: banner, then what to do, then the holes, charts, checks, table
    let order = [
        "id=\"verdict\"",
        "id=\"reason\"",
        "id=\"todo\"",
        "id=\"not-seen\"",
        "id=\"coverage\"",
        "id=\"activity\"",
        "id=\"checks\"",
        "id=\"findings\"",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|m| page.find(m).unwrap_or_else(|| panic!("{m} missing")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    assert!(page.contains("<h1 id=\"verdict\">COMPROMISED: EX01</h1>"));
    // charts: one SVG each, a bar per log source and a row per attacker address
    assert_eq!(page.matches("<svg ").count(), 2);
    assert!(page.contains("<title>203.0.113.57</title>203.0.113.57</text>"));
    assert!(page.contains("class=\"dot-f\""));
    assert!(page.contains("<title>HttpProxy/Ecp: 2020-12-31T08:00:00.000Z"));
    // evidence with file:line and the raw text
    assert!(page.contains("HttpProxy_2021021104-1.LOG:12</div>"));
    assert!(page.contains("ServerInfo~"));
    // every finding is a row (fewer than the cap)
    assert_eq!(page.matches("<tr data-sev=").count(), scan.findings.len());
    assert!(!page.contains("id=\"capped\""));
    // one per check
    assert_eq!(
        page.matches("<details class=\"check\"").count(),
        scan.checks.len()
    );
}

#[test]
fn the_page_loads_nothing_and_has_one_script_the_csp_allows() {
    let page = render(&example("compromised"));
    assert_eq!(script_tags(&page), 1);
    let body = page.split("<script>").nth(1).unwrap();
    assert_eq!(
        body.split("</script>").next().unwrap(),
        JS,
        "the script is the constant file"
    );
    assert!(page.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        csp()
    )));
    let lower = page.to_ascii_lowercase();
    for bad in [
        " src=", "<link", "@import", "url(", "<iframe", "<object", "<embed", "<img",
    ] {
        assert!(!lower.contains(bad), "{bad} in the page");
    }
    // http only as text and as the SVG namespace, never as a resource
    for (i, _) in lower.match_indices("http") {
        let before = &lower[i.saturating_sub(7)..i];
        assert!(
            !before.ends_with("href=\""),
            "a link to {}",
            &lower[i..i + 40]
        );
    }
}

#[test]
fn attacker_text_stays_inert_in_text_and_attributes() {
    let mut scan = example("compromised");
    hostile(&mut scan);
    let page = render(&scan);
    assert_eq!(script_tags(&page), 1, "no script element from the data");
    assert!(!page.to_ascii_lowercase().contains("<img"));
    assert!(!page.contains(SCRIPT_BREAK) && !page.contains(ATTR_BREAK));
    let script = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;";
    let attr = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;";
    assert!(page.contains(script));
    assert!(page.contains(attr));
    // in attribute values: the table's tooltip holds the raw line
    assert!(page.contains(&format!("title=\"{script},{attr},")));
    // host in <title>, the banner; the file path in the evidence and the table
    assert!(page.contains(&format!(
        "<title>COMPROMISED: EX01{script} - exhunt</title>"
    )));
    assert!(page.contains(&format!("logs/{attr}.LOG:7")));
    // template syntax is plain text: nothing interprets it
    assert!(page.contains("{{7*7}} ${7*7} &lt;%= 7*7 %&gt;"));
    // a bidi override is shown, not obeyed (U+2028 is plain text in HTML: no script reads data)
    assert!(
        page.contains("\u{2028}\\u{202e}x"),
        "controls shown as escapes"
    );
    // nothing of the data inside the script element
    let js = page
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    assert_eq!(js, JS);
}

#[test]
fn the_clean_example_says_what_was_not_seen() {
    let scan = example("clean");
    assert_eq!(scan.verdict, Verdict::NoEvidence);
    let h = &scan.summary.reason;
    assert!(h.starts_with("Every required check ran"), "{h}");
    let page = render(&scan);
    assert!(page.contains("<body data-verdict=\"no-evidence\">"));
    let not_seen = page.split("id=\"not-seen\"").nth(1).unwrap();
    let not_seen = not_seen.split("</section>").next().unwrap();
    // silence never looks clean: the event logs that end months early are named
    assert!(
        not_seen.contains("EVTX/Security (last 2021-01-20 03:00Z, 54 days earlier)"),
        "{not_seen}"
    );
    assert!(not_seen.contains("Never examined by exhunt: memory"));
    assert!(page.contains("No evidence is not proof of safety"));
}

#[test]
fn an_inconclusive_scan_names_its_holes() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("notes.txt"), b"nothing here\n").unwrap();
    let scan = crate::scan::run(&ScanOptions {
        root: None,
        logs: vec![d.path().to_path_buf()],
        exchange_path: None,
        window: crate::model::Window {
            since: Timestamp::parse_arg("2021-01-01").unwrap(),
            until: None,
        },
        host: Some("EX09".into()),
        threads: Some(1),
        progress: false,
        files: Default::default(),
        checks: None,
        allow: vec![],
    })
    .unwrap();
    assert_eq!(scan.verdict, Verdict::Inconclusive);
    let h = &scan.summary.reason;
    assert!(h.starts_with("No evidence found, but "), "{h}");
    assert!(h.contains("cve-2021-26855"), "{h}");
    let holes = holes(&scan);
    assert!(
        holes
            .iter()
            .any(|x| x.contains("keeps the verdict from no-evidence")),
        "{holes:?}"
    );
    let page = render(&scan);
    assert!(page.contains("do not report this server as clean"));
    assert!(page.contains("No attacker address was taken from the findings"));
}

#[test]
fn the_findings_table_is_capped_and_says_so() {
    let mut scan = example("compromised");
    let one = scan.findings[0].clone();
    scan.findings
        .extend(std::iter::repeat_n(one, MAX_TABLE_ROWS + 5));
    let page = render(&scan);
    assert_eq!(page.matches("<tr data-sev=").count(), MAX_TABLE_ROWS);
    assert!(page.contains(&format!(
        "it shows the {MAX_TABLE_ROWS} most severe of {} findings",
        scan.findings.len()
    )));
}

#[test]
fn cut_keeps_characters_whole() {
    assert_eq!(cut("abc", 5), "abc");
    assert_eq!(cut("äöüß", 2), "äö…");
    assert_eq!(esc("a<b>\u{1b}"), "a&lt;b&gt;\\x1b");
}

#[test]
fn attempts_only_read_as_suspicious_with_the_lsass_dump_called_out() {
    let mut scan = example("compromised");
    scan.findings
        .retain(|f| !matches!(f.class, Class::Exploitation | Class::PostExploitation));
    scan.verdict = crate::model::decide(&scan.findings, &scan.checks);
    assert_eq!(scan.verdict, Verdict::Suspicious);
    scan.summary = crate::model::summarize(scan.verdict, &scan.findings, &scan.checks);
    assert_eq!(
        scan.summary.reason,
        "2 exploitation attempts from 203.0.113.57, none evidently successful; an LSASS dump: treat its credentials as stolen; 6 findings to review"
    );
    let steps = scan.summary.next_steps.join("\n");
    assert!(steps.starts_with("An LSASS dump was found"), "{steps}");
    let page = render(&scan);
    assert!(page.contains("<h1 id=\"verdict\">SUSPICIOUS: EX01</h1>"));
}

#[test]
fn the_clean_headline() {
    assert_eq!(
        example("clean").summary.reason,
        "Every required check ran over logs covering the exposure window: no exploitation, attempt or context found"
    );
}
