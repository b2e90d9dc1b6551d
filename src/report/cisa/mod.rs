//! CISA's ED 21-02 status report: `cisa-ed21-02.xlsx`, CISA's own v3 workbook with one
//! Inventory row per server (see [`workbook`] for how the template survives), and
//! `cisa-ed21-02.csv`, the same rows under the Inventory headers, for people who paste.
//! Which value each column gets, and from what evidence, is [`row`]; docs/cisa-workbook.md
//! says it for people.

pub mod row;
pub mod sheet;
pub mod workbook;

use super::Report;
use crate::scan::ScanResult;
use std::path::{Path, PathBuf};

pub const XLSX_FILE: &str = "cisa-ed21-02.xlsx";
pub const CSV_FILE: &str = "cisa-ed21-02.csv";

/// The dropdown values of the MSERT and Test-ProxyLogon columns (F, G), exactly as the
/// template's list validation on `F7:G356` spells them.
pub const YES_CLEAN: &str = "Yes (no indications of compromise found)";
pub const YES_IOC: &str = "Yes (indications of compromise found)";
pub const NO_NARRATIVE: &str = "No (must provide narrative explanation in comments section)";
/// The dropdown values of the hardening and status columns (I..V, Z..AE).
pub const YES: &str = "Yes";
pub const NO: &str = "No";

/// The Inventory columns B..AE: letter and header (row 6, or row 5 where row 6 is merged into
/// it), line breaks and runs of blanks folded to one space.
pub const COLUMNS: [(&str, &str); 30] = [
    ("B", "Server internal IP address(es)"),
    ("C", "Server External IP address(es) (NATed or assigned)"),
    ("D", "Hostname internal"),
    ("E", "Hostname public (external fully qualified DNS name)"),
    ("F", "1) MSERT full scan completed?"),
    ("G", "2) Test-ProxyLogon.ps1 script scan completed?"),
    (
        "H",
        "Notes: (for each No in #1 and #2, provide detailed justification. If you answered \"Yes (indicators of compromise found)\", provide CISA ticket incident number)",
    ),
    (
        "I",
        "1a) Firewall enforces deny by default/allow by exception",
    ),
    ("J", "1b) Firewall RFC compliance enabled"),
    (
        "K",
        "2) All software installed on the server (including the operating system and server firmware) have security and current cumulative updates deployed",
    ),
    (
        "L",
        "3) All software installed on servers that host Microsoft Exchange are on versions supported by the manufacturer",
    ),
    (
        "M",
        "4a) Accounts and groups that are leveraged by Exchange installations and review their permissions and roles enumerated",
    ),
    (
        "N",
        "4b) membership in highly privileged groups such as Administrators, Remote Desktop User, and Enterprise Admins reviewed",
    ),
    (
        "O",
        "4c) Sensitive roles such as mailbox import export and Organization Management reviewed",
    ),
    ("P", "4d) Privilege of least principle enforced"),
    (
        "Q",
        "4e) Exchange is not permissioned with accounts that belong to the Domain Admin group in Active Directory",
    ),
    (
        "R",
        "4f) Accounts that manage on-premises exchange do not have administrative permissions in M365 environment",
    ),
    ("S", "Used attack path analysis tool such as Bloodhound"),
    ("T", "5) Logging enabled and logs actively monitored by SOC"),
    (
        "U",
        "6) Anti-malware installed on Exchange, enabled, and up to date",
    ),
    ("V", "7) Server is visible to CDM capabilities"),
    (
        "W",
        "Comments (for each NO response #1 through #7, provide a detailed explanation here, including a timeline for compliance)",
    ),
    ("X", "Microsoft Exchange Server Version"),
    ("Y", "Host Operating System Version"),
    ("Z", "Does the instance run Outlook Web Access (OWA)?"),
    ("AA", "Does the instance run Exchange Control Panel (ECP)?"),
    ("AB", "Is the instance accessible from the Internet?"),
    ("AC", "Have ECP/OWA services been disabled?"),
    ("AD", "Has the server been disconnected from the network?"),
    ("AE", "Has the instance been updated?"),
];

/// One server's Inventory row: a value per column of [`COLUMNS`] (empty: left blank).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryRow(pub [String; 30]);

impl InventoryRow {
    fn index(col: &str) -> usize {
        COLUMNS
            .iter()
            .position(|(c, _)| *c == col)
            .unwrap_or_else(|| panic!("no Inventory column {col}"))
    }
    pub fn get(&self, col: &str) -> &str {
        &self.0[Self::index(col)]
    }
    pub fn set(&mut self, col: &str, v: impl Into<String>) {
        self.0[Self::index(col)] = cell_text(&v.into());
    }
    /// The row as sheet cells (column numbers).
    fn cells(&self) -> sheet::RowCells {
        COLUMNS
            .iter()
            .zip(&self.0)
            .filter(|(_, v)| !v.is_empty())
            .filter_map(|((c, _), v)| sheet::col_number(c).map(|n| (n, v.clone())))
            .collect()
    }
}

/// The most text an Excel cell holds is 32,767 characters; longer notes are cut, saying so.
const MAX_CELL: usize = 32_000;

/// Cell text: control characters (which XML 1.0 cannot carry, and which would steer a terminal)
/// shown as `\xNN`, line breaks kept; cut to [`MAX_CELL`] characters.
pub fn cell_text(s: &str) -> String {
    let mut out: String = s
        .split('\n')
        .map(|l| super::sanitize::terminal(l.trim_end_matches('\r')).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    if out.chars().count() > MAX_CELL {
        out = out.chars().take(MAX_CELL).collect();
        out.push_str(" … (cut; see report.json)");
    }
    out
}

/// The filled workbook for `rows`.
pub fn workbook_bytes(rows: &[InventoryRow]) -> Result<Vec<u8>, String> {
    let cells: Vec<sheet::RowCells> = rows.iter().map(InventoryRow::cells).collect();
    workbook::fill(workbook::TEMPLATE, &cells)
}

/// The CSV: the Inventory headers, then one line per row, every cell neutralised.
pub fn write_csv(w: &mut dyn std::io::Write, rows: &[InventoryRow]) -> std::io::Result<()> {
    let header: Vec<&str> = COLUMNS.iter().map(|(_, h)| *h).collect();
    super::csv::write_rows(w, &header, rows.iter().map(|r| r.0.to_vec()))
}

/// Writes both files for `rows` into `dir`.
pub fn write_files(rows: &[InventoryRow], dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let xlsx = workbook_bytes(rows).map_err(std::io::Error::other)?;
    let a = super::write::create_report(dir, XLSX_FILE, |w| w.write_all(&xlsx))?;
    let b = super::write::create_report(dir, CSV_FILE, |w| write_csv(w, rows))?;
    Ok(vec![a, b])
}

pub struct CisaWorkbook;

impl Report for CisaWorkbook {
    fn name(&self) -> &'static str {
        "CISA ED 21-02 workbook"
    }

    fn write(&self, scan: &ScanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        write_files(&[row::from_scan(scan)], dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The template's shared strings and the Inventory sheet's cells `(ref, text)`.
    fn template_cells() -> Vec<(String, String)> {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(workbook::TEMPLATE)).unwrap();
        let mut read = |n: &str| {
            let mut s = String::new();
            z.by_name(n).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        let (ss, sh) = (
            read("xl/sharedStrings.xml"),
            read(workbook::INVENTORY_ENTRY),
        );
        use quick_xml::events::Event;
        let mut strings = Vec::new();
        let mut r = quick_xml::Reader::from_str(&ss);
        let mut cur: Option<String> = None;
        let mut in_t = false;
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == "si" => cur = Some(String::new()),
                Event::End(e) if e.name().as_ref() == "si" => strings.push(cur.take().unwrap()),
                Event::Start(e) if e.name().as_ref() == "t" => in_t = true,
                Event::End(e) if e.name().as_ref() == "t" => in_t = false,
                Event::Text(t) if in_t => cur.as_mut().unwrap().push_str(&t),
                Event::GeneralRef(g) if in_t => {
                    let e = format!("&{};", &*g);
                    cur.as_mut()
                        .unwrap()
                        .push_str(&quick_xml::escape::unescape(&e).unwrap());
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let mut cells = Vec::new();
        let mut r = quick_xml::Reader::from_str(&sh);
        let mut at: Option<(String, bool)> = None;
        let mut in_v = false;
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == "c" => {
                    let a = |k: &str| {
                        e.attributes()
                            .flatten()
                            .find(|x| x.key.as_ref() == k)
                            .map(|x| x.value.to_string())
                    };
                    at = Some((a("r").unwrap(), a("t").as_deref() == Some("s")));
                }
                Event::Start(e) if e.name().as_ref() == "v" => in_v = true,
                Event::End(e) if e.name().as_ref() == "v" => in_v = false,
                Event::Text(t) if in_v => {
                    if let Some((r, true)) = &at {
                        let i: usize = t.to_string().parse().unwrap();
                        cells.push((r.clone(), strings[i].clone()));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        cells
    }

    fn fold(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn columns_are_the_templates_headers() {
        let cells = template_cells();
        for (col, header) in COLUMNS {
            let want = cells
                .iter()
                .find(|(r, _)| *r == format!("{col}6"))
                .or_else(|| cells.iter().find(|(r, _)| *r == format!("{col}5")))
                .unwrap_or_else(|| panic!("no header for {col}"));
            assert_eq!(fold(&want.1), header, "column {col}");
        }
    }

    #[test]
    fn dropdown_values_are_the_templates() {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(workbook::TEMPLATE)).unwrap();
        let mut s = String::new();
        z.by_name(workbook::INVENTORY_ENTRY)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        let list = format!("<formula1>\"{YES_CLEAN}, {YES_IOC}, {NO_NARRATIVE}\"</formula1>");
        assert!(s.contains(&list), "the F:G list");
        assert!(s.contains(&format!("<formula1>\"{YES}, {NO}\"</formula1>")));
    }

    #[test]
    fn cell_text_keeps_control_characters_out() {
        assert_eq!(cell_text("a\x1b[31m\x00b\r\nc"), "a\\x1b[31m\\x00b\nc");
        let long = "x".repeat(40_000);
        assert!(cell_text(&long).chars().count() < 32_767);
    }

    #[test]
    fn csv_neutralises_formulas() {
        let mut r = InventoryRow::default();
        r.set("D", "=HYPERLINK(\"http://x\")");
        let mut out = Vec::new();
        write_csv(&mut out, &[r]).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("Server internal IP address(es),"));
        assert!(s.contains(",\"'=HYPERLINK("), "{s}");
    }
}
