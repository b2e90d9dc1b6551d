//! `cisa-ed21-02.xlsx` and `.csv` end to end: the shipped examples scanned, the Test-ProxyLogon
//! column read back, and the workbook opened by real readers: Python's `openpyxl` (cells,
//! protection, validations, every template sheet and header unchanged) and LibreOffice headless
//! (converts the Inventory sheet without error, with the row's values). Each reader test skips
//! with its reason when the tool is absent, and fails under `EXHUNT_REQUIRE_ALL_TESTS=1`.

#[path = "support/harness.rs"]
mod harness;

use exhunt::report::cisa::{self, InventoryRow};
use harness::run_scan;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn skip(test: &str, why: &str) {
    if std::env::var_os("EXHUNT_REQUIRE_ALL_TESTS").is_some_and(|v| v == "1") {
        panic!("{test}: cannot run and EXHUNT_REQUIRE_ALL_TESTS=1: {why}");
    }
    eprintln!("skipped {test}: {why}");
}

/// The inline-string value of `cell` in the written Inventory sheet.
fn cell(xlsx: &[u8], cell: &str) -> Option<String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut s = String::new();
    z.by_name(cisa::workbook::INVENTORY_ENTRY)
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    let at = s.find(&format!("<c r=\"{cell}\" "))?;
    let rest = &s[at..];
    let end = rest.find("</c>")?;
    let c = &rest[..end];
    let t = c.find("<t xml:space=\"preserve\">")?;
    Some(
        c[t + 24..]
            .trim_end_matches("</t></is>")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'"),
    )
}

#[test]
fn examples_fill_the_test_proxylogon_column() {
    for (name, want) in [("compromised", cisa::YES_IOC), ("clean", cisa::YES_CLEAN)] {
        let s = run_scan(&[&example(name)]);
        let xlsx = std::fs::read(s.out.path().join(cisa::XLSX_FILE)).unwrap();
        assert_eq!(cell(&xlsx, "G7").as_deref(), Some(want), "{name}: G7");
        assert_eq!(cell(&xlsx, "D7").as_deref(), Some("EX01"), "{name}: D7");
        // No msert.log in the examples: MSERT's column says No, and H says why.
        assert_eq!(cell(&xlsx, "F7").as_deref(), Some(cisa::NO_NARRATIVE));
        let h = cell(&xlsx, "H7").unwrap();
        assert!(h.contains("no msert.log"), "{name}: {h}");
        assert_eq!(
            cell(&xlsx, "X7").as_deref(),
            Some("15.1.2106.2 (Exchange 2016 CU18)")
        );
        assert_eq!(cell(&xlsx, "G8"), None, "one server, one row");
        let mut csv = csv::Reader::from_path(s.out.path().join(cisa::CSV_FILE)).unwrap();
        let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header.len(), 30);
        assert_eq!(header[5], "2) Test-ProxyLogon.ps1 script scan completed?");
        let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][5], want);
    }
    let s = run_scan(&[&example("compromised")]);
    let xlsx = std::fs::read(s.out.path().join(cisa::XLSX_FILE)).unwrap();
    assert_eq!(cell(&xlsx, "B7").as_deref(), Some("10.20.0.15"), "s-ip");
    let h = cell(&xlsx, "H7").unwrap();
    assert!(h.contains("Give the CISA ticket number"), "{h}");
}

/// A Python that has `openpyxl` (Debian's `python3-openpyxl` is for `/usr/bin/python3`).
fn python_with_openpyxl() -> Result<PathBuf, String> {
    for p in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(p)
            .args(["-c", "import openpyxl"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(PathBuf::from(p));
        }
    }
    Err("no python3 with openpyxl (apt-get install python3-openpyxl)".into())
}

/// A workbook with `n` servers, the first one's values known.
fn many(n: usize) -> Vec<InventoryRow> {
    (0..n)
        .map(|i| {
            let mut r = InventoryRow::default();
            r.set("B", format!("10.0.{}.{}", i / 250, i % 250 + 1));
            r.set("D", format!("EX{i:03}"));
            r.set("F", cisa::NO_NARRATIVE);
            r.set(
                "G",
                if i % 2 == 0 {
                    cisa::YES_IOC
                } else {
                    cisa::YES_CLEAN
                },
            );
            r.set("H", "=cmd|' /C calc'!A0 <script>\x1b[31m");
            r.set("AE", cisa::NO);
            r
        })
        .collect()
}

const OPENPYXL_CHECK: &str = r#"
import sys, openpyxl
tpl, out, n, synthetic = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == '1'
a = openpyxl.load_workbook(tpl)
b = openpyxl.load_workbook(out)
assert a.sheetnames == b.sheetnames, (a.sheetnames, b.sheetnames)
for name in a.sheetnames:
    sa, sb = a[name], b[name]
    assert [s.sheet_state for s in [sa]] == [s.sheet_state for s in [sb]], name
    assert sa.protection.sheet == sb.protection.sheet, name
    last = 6 if name == 'Inventory' else sa.max_row
    for row in range(1, last + 1):
        for col in range(1, 32):
            va, vb = sa.cell(row, col).value, sb.cell(row, col).value
            assert va == vb, (name, row, col, va, vb)
assert b.security is not None and b.security.lockStructure, 'workbook structure lock'
inv = b['Inventory']
assert inv.protection.sheet, 'Inventory protection'
allowed = {'Yes (no indications of compromise found)', 'Yes (indications of compromise found)',
           'No (must provide narrative explanation in comments section)'}
for row in range(7, 7 + n):
    for col in 'FG':
        v = inv[f'{col}{row}'].value
        assert v in allowed, (col, row, v)
        assert not inv[f'{col}{row}'].protection.locked, (col, row, 'locked')
    assert inv[f'AE{row}'].value in ('Yes', 'No'), row
assert inv[f'D{7 + n}'].value is None
if synthetic:
    assert inv['D7'].value == 'EX000', inv['D7'].value
    assert inv[f'D{6 + n}'].value == f'EX{n - 1:03}'
    assert inv['H7'].value.startswith('=cmd'), inv['H7'].value
    assert inv['H7'].data_type == 's', 'a string, not a formula'
    assert '\x1b' not in inv['H7'].value
else:
    assert inv['D7'].value == 'EX01', inv['D7'].value
    assert inv['G7'].value == 'Yes (indications of compromise found)', inv['G7'].value
dv = inv.data_validations.dataValidation
assert len(dv) == 3, len(dv)
fg = [d for d in dv if d.formula1 and 'indications' in d.formula1]
assert len(fg) == 1
last = max(356, 6 + n)
assert str(fg[0].sqref) == f'F7:G{last}', str(fg[0].sqref)
print('ok')
"#;

#[test]
fn openpyxl_reads_cells_protection_and_validations() {
    let py = match python_with_openpyxl() {
        Ok(p) => p,
        Err(why) => return skip("openpyxl_reads_cells_protection_and_validations", &why),
    };
    let d = tempfile::tempdir().unwrap();
    let tpl = d.path().join("template.xlsx");
    std::fs::write(&tpl, cisa::workbook::TEMPLATE).unwrap();
    let script = d.path().join("check.py");
    std::fs::write(&script, OPENPYXL_CHECK).unwrap();
    for n in [1usize, 2, 400] {
        let out = d.path().join(format!("filled-{n}.xlsx"));
        std::fs::write(&out, cisa::workbook_bytes(&many(n)).unwrap()).unwrap();
        let o = Command::new(&py)
            .arg(&script)
            .arg(&tpl)
            .arg(&out)
            .arg(n.to_string())
            .arg("1")
            .output()
            .unwrap();
        assert!(
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("ok"),
            "n={n}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // And the scan's own file.
    let s = run_scan(&[&example("compromised")]);
    let o = Command::new(&py)
        .arg(&script)
        .arg(&tpl)
        .arg(s.out.path().join(cisa::XLSX_FILE))
        .args(["1", "0"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn soffice() -> Result<PathBuf, String> {
    for p in ["soffice", "libreoffice"] {
        if Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Ok(PathBuf::from(p));
        }
    }
    Err("no LibreOffice (apt-get install libreoffice-calc-nogui)".into())
}

/// The Inventory sheet (the second) of `xlsx` as CSV lines, converted by LibreOffice headless.
fn libreoffice_inventory(lo: &Path, xlsx: &Path, work: &Path) -> Vec<csv::StringRecord> {
    let profile = work.join("profile");
    let outdir = work.join("csv");
    let o = Command::new(lo)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--norestore", "--convert-to"])
        // comma, double quote, UTF-8, from line 1, ..., sheet 2 (Inventory)
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2")
        .arg("--outdir")
        .arg(&outdir)
        .arg(xlsx)
        .env("HOME", work)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "LibreOffice failed: {err}");
    assert!(
        !err.to_lowercase().contains("error"),
        "LibreOffice said: {err}"
    );
    let stem = xlsx.file_stem().unwrap().to_string_lossy();
    let file = outdir.join(format!("{stem}-Inventory.csv"));
    let file = if file.exists() {
        file
    } else {
        outdir.join(format!("{stem}.csv"))
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(&file)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; stdout {}",
                file.display(),
                String::from_utf8_lossy(&o.stdout)
            )
        });
    r.records().map(Result::unwrap).collect()
}

#[test]
fn libreoffice_converts_the_workbook() {
    let lo = match soffice() {
        Ok(p) => p,
        Err(why) => return skip("libreoffice_converts_the_workbook", &why),
    };
    let s = run_scan(&[&example("compromised")]);
    let work = tempfile::tempdir().unwrap();
    let rows = libreoffice_inventory(&lo, &s.out.path().join(cisa::XLSX_FILE), work.path());
    assert!(rows.len() >= 7, "{} rows", rows.len());
    assert_eq!(&rows[5][6], "2) Test-ProxyLogon.ps1 script scan completed?");
    let r = &rows[6];
    assert_eq!(&r[1], "10.20.0.15");
    assert_eq!(&r[3], "EX01");
    assert_eq!(&r[5], cisa::NO_NARRATIVE);
    assert_eq!(&r[6], cisa::YES_IOC);
    assert_eq!(&r[23], "15.1.2106.2 (Exchange 2016 CU18)");
    // More servers than the template validates.
    let big = work.path().join("many.xlsx");
    std::fs::write(&big, cisa::workbook_bytes(&many(400)).unwrap()).unwrap();
    let rows = libreoffice_inventory(&lo, &big, work.path());
    let last = rows
        .iter()
        .rposition(|r| r.get(3).is_some_and(|v| !v.is_empty()))
        .unwrap();
    assert_eq!(&rows[last][3], "EX399");
    assert_eq!(last, 6 + 399);
}

#[path = "support/trees.rs"]
mod trees;

const MSERT_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/msert/msert.log"
);

/// The clean example with `log` as its `Windows\debug\msert.log` (name in another case, as a
/// copy of an NTFS volume may have it).
fn clean_with_msert(log: &[u8]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    let dbg = d.path().join("Windows").join("Debug");
    std::fs::create_dir_all(&dbg).unwrap();
    std::fs::write(dbg.join("MSERT.log"), log).unwrap();
    d
}

#[test]
fn msert_detections_answer_column_f_and_are_findings() {
    let tree = clean_with_msert(&std::fs::read(MSERT_FIXTURE).unwrap());
    let s = run_scan(&[tree.path().to_str().unwrap()]);
    assert_eq!(s.code, 1, "a shell MSERT removed is still compromise");
    assert_eq!(s.report["verdict"], "compromised");
    let f = harness::findings(&s.report, "msert");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(f[0]["rule"], "msert-removed");
    assert_eq!(f[0]["class"], "post-exploitation");
    assert_eq!(s.report["msert"].as_array().unwrap().len(), 3);
    assert_eq!(harness::check_state(&s.report, "msert"), "ran");
    let xlsx = std::fs::read(s.out.path().join(cisa::XLSX_FILE)).unwrap();
    assert_eq!(cell(&xlsx, "F7").as_deref(), Some(cisa::YES_IOC));
    // exhunt's own checks found nothing on the clean tree: G says so, H says why they differ.
    assert_eq!(cell(&xlsx, "G7").as_deref(), Some(cisa::YES_CLEAN));
    let h = cell(&xlsx, "H7").unwrap();
    assert!(
        h.contains("Backdoor:ASP/Chopper.F!dha (and removed successfully"),
        "{h}"
    );
    assert!(h.contains("overall verdict is compromised"), "{h}");
}

#[test]
fn msert_without_a_completed_full_scan_is_no_with_the_file_scan_in_h() {
    // Only the quick scan (the first run) and the unfinished full scan.
    let text = std::fs::read_to_string(MSERT_FIXTURE).unwrap();
    let sep = format!("{}\r\n", text.lines().next().unwrap());
    let runs: Vec<&str> = text.split(&sep).collect();
    assert_eq!(runs.len(), 4, "an empty start and three runs");
    let quick_and_cut = format!("{sep}{}{sep}{}", runs[1], runs[3]);
    assert!(!quick_and_cut.contains("Threat Detected"));
    let tree = clean_with_msert(quick_and_cut.as_bytes());
    let s = run_scan(&[tree.path().to_str().unwrap()]);
    assert_eq!(s.report["verdict"], "no-evidence");
    let xlsx = std::fs::read(s.out.path().join(cisa::XLSX_FILE)).unwrap();
    assert_eq!(cell(&xlsx, "F7").as_deref(), Some(cisa::NO_NARRATIVE));
    let h = cell(&xlsx, "H7").unwrap();
    assert!(h.contains("no completed full scan"), "{h}");
    assert!(
        h.contains("Quick Scan started Thu Mar 11 09:11:22 2021"),
        "{h}"
    );
    assert!(
        h.contains("Full Scan started Sat Mar 20 08:00:12 2021, never finished"),
        "{h}"
    );
    assert!(
        h.contains("exhunt's own file scan: suspicious-files ran"),
        "{h}"
    );
}

#[test]
fn a_loose_msert_log_is_read_and_a_broken_one_is_reported() {
    let s = run_scan(&["--logs", MSERT_FIXTURE]);
    assert_eq!(harness::findings(&s.report, "msert").len(), 2);
    // An msert.log that is a folder: a coverage problem, never a silent "clean".
    let d = tempfile::tempdir().unwrap();
    trees::build_clean(d.path());
    std::fs::create_dir_all(d.path().join("Windows/debug/msert.log")).unwrap();
    let s = run_scan(&[d.path().to_str().unwrap()]);
    let cov = harness::coverage(&s.report, "MSERT");
    assert!(!cov["problems"].as_array().unwrap().is_empty(), "{cov}");
    assert_ne!(harness::check_state(&s.report, "msert"), "ran");
    assert_ne!(s.report["verdict"], "no-evidence");
}

#[test]
fn checks_that_did_not_run_make_g_no_with_the_narrative() {
    // Only Test-ProxyLogon's checks: the required webshell checks are left out.
    let s = run_scan(&[&example("clean"), "--checks", "tpl"]);
    let xlsx = std::fs::read(s.out.path().join(cisa::XLSX_FILE)).unwrap();
    assert_eq!(cell(&xlsx, "G7").as_deref(), Some(cisa::NO_NARRATIVE));
    let h = cell(&xlsx, "H7").unwrap();
    assert!(h.contains("exhunt could not complete every check"), "{h}");
    assert!(
        h.contains("(webshell-yara): not selected - not selected with --checks"),
        "{h}"
    );
}
