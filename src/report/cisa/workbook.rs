//! CISA's ED 21-02 status workbook (template v3, a US government work), filled by copying the
//! template's zip entry by entry: every entry but the Inventory sheet is copied raw (its
//! compressed bytes unchanged, [`zip::ZipWriter::raw_copy_file`]); the Inventory sheet is
//! patched by [`super::sheet::patch`]. Sheet protection, workbook structure lock, styles,
//! validations, hidden sheets and shared strings therefore survive as CISA made them.

use super::sheet::{self, RowCells};
use std::io::{Cursor, Read};
use zip::write::SimpleFileOptions;

/// The template, as CISA published it (`ed21-02status_v3.xlsx`).
pub const TEMPLATE: &[u8] = include_bytes!("../../../assets/cisa/ed21-02status_v3.xlsx");

/// The Inventory sheet's entry (`Inventory` → `rId2` → `worksheets/sheet2.xml`; a test follows
/// the workbook's relationships to prove it).
pub const INVENTORY_ENTRY: &str = "xl/worksheets/sheet2.xml";

/// The filled workbook: the template with `rows` in its Inventory sheet from row 7.
pub fn fill(template: &[u8], rows: &[RowCells]) -> Result<Vec<u8>, String> {
    let bad = |e: &dyn std::fmt::Display| format!("the CISA template: {e}");
    let mut src = zip::ZipArchive::new(Cursor::new(template)).map_err(|e| bad(&e))?;
    let mut dst = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(template.len() * 2)));
    let mut patched = false;
    for i in 0..src.len() {
        let raw = src.by_index_raw(i).map_err(|e| bad(&e))?;
        if raw.name_raw() != INVENTORY_ENTRY.as_bytes() {
            dst.raw_copy_file(raw).map_err(|e| bad(&e))?;
            continue;
        }
        let when = raw.last_modified();
        drop(raw);
        let mut xml = Vec::new();
        src.by_index(i)
            .and_then(|mut f| f.read_to_end(&mut xml).map_err(Into::into))
            .map_err(|e| bad(&e))?;
        let out = sheet::patch(&xml, rows)?;
        // Fast deflate: the sheet is mostly repeated empty cells, and level 1 keeps the
        // workbook small while costing a fraction of the default level's time.
        let mut opt = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        if let Some(t) = when {
            opt = opt.last_modified_time(t);
        }
        dst.start_file(INVENTORY_ENTRY, opt).map_err(|e| bad(&e))?;
        std::io::Write::write_all(&mut dst, &out).map_err(|e| bad(&e))?;
        patched = true;
    }
    if !patched {
        return Err(bad(&format!("no {INVENTORY_ENTRY}")));
    }
    let comment = src.comment().to_vec();
    if !comment.is_empty() {
        dst.set_raw_comment(comment.into_boxed_slice())
            .map_err(|e| bad(&e))?;
    }
    Ok(dst.finish().map_err(|e| bad(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut z = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index(i).unwrap();
                let mut b = Vec::new();
                f.read_to_end(&mut b).unwrap();
                (f.name().unwrap().to_string(), b)
            })
            .collect()
    }

    fn raw_entries(zip: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let mut z = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index_raw(i).unwrap();
                let mut b = Vec::new();
                f.read_to_end(&mut b).unwrap();
                (f.name().unwrap().to_string(), f.crc32(), b)
            })
            .collect()
    }

    fn text(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    /// The elements named `tag` in `xml`, as written.
    fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
        let open = format!("<{tag}");
        xml.match_indices(&open)
            .filter(|(i, _)| xml[i + open.len()..].starts_with([' ', '>', '/']))
            .map(|(i, _)| {
                let rest = &xml[i..];
                let close = format!("</{tag}>");
                let end = match (rest.find("/>"), rest.find('>'), rest.find(&close)) {
                    (Some(a), Some(b), _) if a + 1 == b => a + 2,
                    (_, _, Some(c)) => c + close.len(),
                    (_, Some(b), None) => b + 1,
                    _ => rest.len(),
                };
                &rest[..end]
            })
            .collect()
    }

    #[test]
    fn inventory_is_the_sheet_the_workbook_names() {
        let e = entries(TEMPLATE);
        let get = |n: &str| text(&e.iter().find(|(k, _)| k == n).unwrap().1).to_string();
        let wb = get("xl/workbook.xml");
        assert!(wb.contains(r#"<sheet name="Inventory" sheetId="11" r:id="rId2"/>"#));
        let rels = get("xl/_rels/workbook.xml.rels");
        assert!(rels.contains(r#"Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml""#));
    }

    #[test]
    fn only_the_inventory_sheet_changes_and_protection_survives() {
        let rows = vec![vec![
            (4, "EX01".to_string()),
            (7, super::super::YES_IOC.to_string()),
        ]];
        let out = fill(TEMPLATE, &rows).unwrap();
        let (before, after) = (raw_entries(TEMPLATE), raw_entries(&out));
        assert_eq!(
            before.iter().map(|e| &e.0).collect::<Vec<_>>(),
            after.iter().map(|e| &e.0).collect::<Vec<_>>(),
            "same entries, same order"
        );
        for (b, a) in before.iter().zip(&after) {
            if b.0 != INVENTORY_ENTRY {
                assert!(b == a, "{} changed", b.0);
            }
        }
        let (tb, ta) = (entries(TEMPLATE), entries(&out));
        let sheet = |e: &[(String, Vec<u8>)]| {
            text(&e.iter().find(|(k, _)| k == INVENTORY_ENTRY).unwrap().1).to_string()
        };
        let (sb, sa) = (sheet(&tb), sheet(&ta));
        assert_ne!(sb, sa);
        for tag in [
            "sheetProtection",
            "dataValidations",
            "mergeCells",
            "hyperlinks",
            "cols",
        ] {
            assert_eq!(elements(&sb, tag), elements(&sa, tag), "{tag}");
            assert_eq!(elements(&sa, tag).len(), 1, "{tag}");
        }
        let wb = |e: &[(String, Vec<u8>)]| {
            text(&e.iter().find(|(k, _)| k == "xl/workbook.xml").unwrap().1).to_string()
        };
        assert_eq!(elements(&wb(&ta), "workbookProtection").len(), 1);
        assert!(elements(&wb(&ta), "workbookProtection")[0].contains(r#"lockStructure="1""#));
        assert!(sa.contains(
            r#"<c r="D7" s="44" t="inlineStr"><is><t xml:space="preserve">EX01</t></is></c>"#
        ));
        assert!(sa.contains(r#"<c r="G7" s="45" t="inlineStr"><is><t xml:space="preserve">Yes (indications of compromise found)</t></is></c>"#));
        // The header rows are as CISA wrote them.
        let header = |s: &str| {
            let a = s.find("<row r=\"4\"").unwrap();
            let b = s.find("<row r=\"7\"").unwrap();
            s[a..b].to_string()
        };
        assert_eq!(header(&sb), header(&sa));
    }

    #[test]
    fn many_servers_extend_the_validations_and_nothing_else() {
        let rows: Vec<RowCells> = (0..400)
            .map(|i| {
                vec![
                    (4, format!("EX{i:03}")),
                    (6, super::super::NO_NARRATIVE.to_string()),
                ]
            })
            .collect();
        let out = fill(TEMPLATE, &rows).unwrap();
        let e = entries(&out);
        let s = text(&e.iter().find(|(k, _)| k == INVENTORY_ENTRY).unwrap().1).to_string();
        let dv = elements(&s, "dataValidation");
        assert_eq!(dv.len(), 3);
        assert!(
            dv[0].contains(r#"sqref="F407:G407 H7:H407 W7:Y407""#),
            "{}",
            dv[0]
        );
        assert!(
            dv[1].contains(r#"sqref="Z26:AE406 Z7:AE22 I7:V407""#),
            "{}",
            dv[1]
        );
        assert!(dv[2].contains(r#"sqref="F7:G406""#), "{}", dv[2]);
        assert!(s.contains(r#"<dimension ref="A2:MB406"/>"#));
        assert!(s.contains(
            r#"<c r="D406" s="44" t="inlineStr"><is><t xml:space="preserve">EX399</t></is></c>"#
        ));
        let t = entries(TEMPLATE);
        let ts = text(&t.iter().find(|(k, _)| k == INVENTORY_ENTRY).unwrap().1).to_string();
        assert_eq!(
            elements(&s, "sheetProtection"),
            elements(&ts, "sheetProtection")
        );
    }

    #[test]
    fn a_broken_template_is_an_error() {
        assert!(fill(b"PK not a zip", &[]).is_err());
        assert!(fill(&TEMPLATE[..TEMPLATE.len() / 2], &[]).is_err());
    }
}
