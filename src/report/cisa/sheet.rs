//! The one edit made to CISA's template: the Inventory sheet's XML, streamed through `quick-xml`
//! event by event and written back unchanged, except
//! - the cells of the data rows (row [`FIRST_ROW`] on) that a row gives a value, replaced by an
//!   inline string (`t="inlineStr"`, so `sharedStrings.xml` stays untouched) that keeps the
//!   template cell's style index `s=` (the unlocked data-cell style);
//! - data rows past the template's last row, added with the styles of its last validated row;
//! - with more rows than the template validates, the `sqref` of every `dataValidation` and the
//!   `dimension` extended to the last row (see [`extend_sqref`]).
//!
//! Everything else (`sheetProtection`, merges, hyperlinks, other cells) passes through as read.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer};
use std::io::Write;

/// The first data row of the Inventory sheet.
pub const FIRST_ROW: u32 = 7;
/// The last row the template's dropdowns cover (`F7:G356`): 350 servers.
pub const LAST_VALIDATED_ROW: u32 = 356;

/// One row's values: (1-based column number, text); empty texts leave the template cell as is.
pub type RowCells = Vec<(u32, String)>;

/// `B` → 2, `AE` → 31.
pub fn col_number(letters: &str) -> Option<u32> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    letters.bytes().try_fold(0u32, |n, b| {
        b.is_ascii_uppercase()
            .then(|| n * 26 + u32::from(b - b'A' + 1))
    })
}

/// 2 → `B`, 31 → `AE`.
pub fn col_letters(mut n: u32) -> String {
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `AE12` → (31, 12).
fn split_ref(r: &str) -> Option<(u32, u32)> {
    let at = r.find(|c: char| c.is_ascii_digit())?;
    Some((col_number(&r[..at])?, r[at..].parse().ok()?))
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.value.to_string())
}

/// `e` with attribute `name` set to `value` (other attributes kept as written).
fn with_attr(e: &BytesStart<'_>, name: &str, value: &str) -> BytesStart<'static> {
    let mut out = BytesStart::new(e.name().as_ref().to_string());
    for a in e.attributes().flatten() {
        if a.key.as_ref() == name {
            out.push_attribute((name, value));
        } else {
            out.push_attribute(a);
        }
    }
    out
}

/// With `last` data rows in use past [`LAST_VALIDATED_ROW`], every range that ends on the last
/// validated row (356) or on the row after it (357, the template's trailer row) grows by the
/// difference, and a range that starts past 356 moves down by it: `F7:G356` → `F7:G400`,
/// `I7:V357` → `I7:V401`, `F357:G357` → `F401:G401`. So the data rows keep their dropdowns
/// and no two validations come to overlap.
pub fn extend_sqref(sqref: &str, last: u32) -> String {
    let delta = last.saturating_sub(LAST_VALIDATED_ROW);
    if delta == 0 {
        return sqref.to_string();
    }
    sqref
        .split(' ')
        .map(|range| {
            let (a, b) = range.split_once(':').unwrap_or((range, range));
            let (Some((c1, r1)), Some((c2, r2))) = (split_ref(a), split_ref(b)) else {
                return range.to_string();
            };
            let (r1, r2) = if r1 > LAST_VALIDATED_ROW {
                (r1 + delta, r2 + delta)
            } else if r2 == LAST_VALIDATED_ROW || r2 == LAST_VALIDATED_ROW + 1 {
                (r1, r2 + delta)
            } else {
                (r1, r2)
            };
            let (a, b) = (
                format!("{}{r1}", col_letters(c1)),
                format!("{}{r2}", col_letters(c2)),
            );
            if range.contains(':') {
                format!("{a}:{b}")
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An inline-string cell, its text XML-escaped (with `xml:space` so that spaces survive).
fn inline_cell(out: &mut Vec<u8>, col: u32, row: u32, style: Option<&str>, text: &str) {
    let _ = write!(out, "<c r=\"{}{row}\"", col_letters(col));
    if let Some(s) = style {
        let _ = write!(out, " s=\"{}\"", quick_xml::escape::escape(s));
    }
    let _ = write!(
        out,
        " t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
        quick_xml::escape::escape(text)
    );
}

/// The template row `n`: its attributes and its cells' styles.
struct TemplateRow {
    attrs: Vec<(String, String)>,
    styles: Vec<(u32, String)>,
}

fn template_row(xml: &[u8], n: u32) -> Result<TemplateRow, String> {
    let mut r = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut found: Option<TemplateRow> = None;
    loop {
        match r.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "row" => {
                if let Some(t) = found.take() {
                    return Ok(t);
                }
                if attr(&e, "r").and_then(|v| v.parse().ok()) == Some(n) {
                    let attrs = e
                        .attributes()
                        .flatten()
                        .map(|a| (a.key.as_ref().to_string(), a.value.to_string()))
                        .collect();
                    found = Some(TemplateRow {
                        attrs,
                        styles: Vec::new(),
                    });
                }
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "c" => {
                if let Some(t) = found.as_mut()
                    && let (Some((col, _)), Some(s)) =
                        (attr(&e, "r").as_deref().and_then(split_ref), attr(&e, "s"))
                {
                    t.styles.push((col, s));
                }
            }
            Event::End(e) if e.name().as_ref() == "sheetData" => break,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    found.ok_or_else(|| format!("the Inventory sheet has no row {n}"))
}

/// A data row being written: its number and the values still to place, by column.
struct Open {
    row: u32,
    cells: std::vec::IntoIter<(u32, String)>,
    next: Option<(u32, String)>,
}

impl Open {
    fn new(row: u32, cells: &RowCells) -> Open {
        let mut v: Vec<(u32, String)> = cells
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .cloned()
            .collect();
        v.sort_by_key(|(c, _)| *c);
        v.dedup_by_key(|(c, _)| *c);
        let mut cells = v.into_iter();
        let next = cells.next();
        Open { row, cells, next }
    }
    fn pop(&mut self) -> Option<(u32, String)> {
        std::mem::replace(&mut self.next, self.cells.next())
    }
}

/// The patcher's state while streaming.
struct Patch<'a> {
    rows: &'a [RowCells],
    last: u32,
    xml: &'a [u8],
    /// Styles for rows past the last validated one (and for cells a template row lacks): row
    /// 356, read on first need (a second pass over the sheet, which one server never needs).
    model: std::cell::OnceCell<Option<TemplateRow>>,
    /// The next data row not yet written.
    next_row: u32,
}

impl Patch<'_> {
    fn row_cells(&self, r: u32) -> Option<&RowCells> {
        r.checked_sub(FIRST_ROW)
            .and_then(|i| self.rows.get(i as usize))
    }

    fn model(&self) -> Option<&TemplateRow> {
        self.model
            .get_or_init(|| template_row(self.xml, LAST_VALIDATED_ROW).ok())
            .as_ref()
    }

    fn model_style(&self, col: u32) -> Option<&str> {
        self.model()?
            .styles
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, s)| s.as_str())
    }

    /// Writes the data rows before `upto` that the template lacks (styled like the model row).
    fn new_rows_before(&mut self, out: &mut Vec<u8>, upto: u32) {
        while self.next_row < upto && self.next_row <= self.last {
            let r = self.next_row;
            let _ = write!(out, "<row r=\"{r}\"");
            let attrs = self.model().map(|m| m.attrs.clone()).unwrap_or_default();
            for (k, v) in attrs.iter().filter(|(k, _)| k != "r") {
                let _ = write!(out, " {k}=\"{}\"", quick_xml::escape::escape(v));
            }
            out.push(b'>');
            let mut open = Open::new(r, self.row_cells(r).unwrap_or(&Vec::new()));
            while let Some((c, t)) = open.pop() {
                let s = self.model_style(c).map(str::to_string);
                inline_cell(out, c, r, s.as_deref(), &t);
            }
            out.extend_from_slice(b"</row>");
            self.next_row += 1;
        }
    }

    /// The style a written cell gets: the template cell's within the validated rows, the model
    /// row's past them (and where the template row lacks the cell).
    fn style_for(&self, row: u32, col: u32, template: Option<String>) -> Option<String> {
        if row > LAST_VALIDATED_ROW {
            self.model_style(col).map(str::to_string).or(template)
        } else {
            template.or_else(|| self.model_style(col).map(str::to_string))
        }
    }
}

/// Patches the Inventory sheet XML with `rows` (row [`FIRST_ROW`] first).
pub fn patch(xml: &[u8], rows: &[RowCells]) -> Result<Vec<u8>, String> {
    let last = FIRST_ROW + rows.len() as u32 - 1;
    let mut p = Patch {
        rows,
        last: if rows.is_empty() { 0 } else { last },
        xml,
        model: std::cell::OnceCell::new(),
        next_row: FIRST_ROW,
    };
    if p.last > LAST_VALIDATED_ROW {
        // Rows past the template are styled like its last validated row: it must be there.
        let m = template_row(xml, LAST_VALIDATED_ROW)?;
        let _ = p.model.set(Some(m));
    }
    let mut reader = Reader::from_reader(xml);
    let mut w = Writer::new(Vec::with_capacity(xml.len() + rows.len() * 2048));
    let mut buf = Vec::new();
    let mut open: Option<Open> = None;
    // Inside a replaced `<c>…</c>`: the depth still to skip.
    let mut skip = 0usize;
    let bad = |e: &dyn std::fmt::Display| format!("the Inventory sheet XML: {e}");
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| bad(&e))?;
        if skip > 0 {
            match ev {
                Event::Start(_) => skip += 1,
                Event::End(_) => skip -= 1,
                Event::Eof => return Err(bad(&"ends inside a cell")),
                _ => {}
            }
            buf.clear();
            continue;
        }
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) if e.name().as_ref() == "row" => {
                let r: u32 = attr(e, "r")
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad(&"a row without its number"))?;
                p.new_rows_before(w.get_mut(), r);
                let empty = matches!(ev, Event::Empty(_));
                match p.row_cells(r) {
                    Some(cells) if r >= p.next_row => {
                        let mut o = Open::new(r, cells);
                        p.next_row = r + 1;
                        let start = e.to_owned();
                        w.write_event(Event::Start(start)).map_err(|e| bad(&e))?;
                        if empty {
                            close_row(&p, &mut o, w.get_mut());
                            w.get_mut().extend_from_slice(b"</row>");
                        } else {
                            open = Some(o);
                        }
                    }
                    _ => w.write_event(ev.borrow()).map_err(|e| bad(&e))?,
                }
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if e.name().as_ref() == "c" && open.is_some() =>
            {
                let o = open.as_mut().expect("checked");
                let col = attr(e, "r")
                    .as_deref()
                    .and_then(split_ref)
                    .map(|(c, _)| c)
                    .ok_or_else(|| bad(&"a cell without its reference"))?;
                while o.next.as_ref().is_some_and(|(c, _)| *c < col) {
                    let (c, t) = o.pop().expect("checked");
                    let s = p.style_for(o.row, c, None);
                    inline_cell(w.get_mut(), c, o.row, s.as_deref(), &t);
                }
                if o.next.as_ref().is_some_and(|(c, _)| *c == col) {
                    let (c, t) = o.pop().expect("checked");
                    let s = p.style_for(o.row, c, attr(e, "s"));
                    inline_cell(w.get_mut(), c, o.row, s.as_deref(), &t);
                    if matches!(ev, Event::Start(_)) {
                        skip = 1;
                    }
                } else {
                    w.write_event(ev.borrow()).map_err(|e| bad(&e))?;
                }
            }
            Event::End(ref e) if e.name().as_ref() == "row" => {
                if let Some(mut o) = open.take() {
                    close_row(&p, &mut o, w.get_mut());
                }
                w.write_event(ev.borrow()).map_err(|e| bad(&e))?;
            }
            Event::End(ref e) if e.name().as_ref() == "sheetData" => {
                p.new_rows_before(w.get_mut(), u32::MAX);
                w.write_event(ev.borrow()).map_err(|e| bad(&e))?;
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if e.name().as_ref() == "dataValidation" && p.last > LAST_VALIDATED_ROW =>
            {
                let sq = attr(e, "sqref").unwrap_or_default();
                let ne = with_attr(e, "sqref", &extend_sqref(&sq, p.last));
                let ne = if matches!(ev, Event::Empty(_)) {
                    Event::Empty(ne)
                } else {
                    Event::Start(ne)
                };
                w.write_event(ne).map_err(|e| bad(&e))?;
            }
            Event::Empty(ref e)
                if e.name().as_ref() == "dimension" && p.last > LAST_VALIDATED_ROW + 1 =>
            {
                let d = attr(e, "ref").unwrap_or_default();
                let grown = match d.split_once(':').map(|(a, b)| (a, split_ref(b))) {
                    Some((a, Some((c, r)))) if r < p.last => {
                        format!("{a}:{}{}", col_letters(c), p.last)
                    }
                    _ => d,
                };
                w.write_event(Event::Empty(with_attr(e, "ref", &grown)))
                    .map_err(|e| bad(&e))?;
            }
            _ => w.write_event(ev.borrow()).map_err(|e| bad(&e))?,
        }
        buf.clear();
    }
    if p.next_row <= p.last {
        return Err(bad(&"no sheetData to hold the rows"));
    }
    Ok(w.into_inner())
}

/// Writes the values of an open row that come after its template cells.
fn close_row(p: &Patch<'_>, o: &mut Open, out: &mut Vec<u8>) {
    while let Some((c, t)) = o.pop() {
        let s = p.style_for(o.row, c, None);
        inline_cell(out, c, o.row, s.as_deref(), &t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_references() {
        assert_eq!(col_number("B"), Some(2));
        assert_eq!(col_number("AE"), Some(31));
        assert_eq!(col_number("MB"), Some(340));
        assert_eq!(col_number("b"), None);
        assert_eq!(col_letters(31), "AE");
        assert_eq!(col_letters(340), "MB");
        assert_eq!(split_ref("AE357"), Some((31, 357)));
        assert_eq!(split_ref("357"), None);
    }

    #[test]
    fn sqref_grows_only_past_the_template() {
        let t = "Z26:AE356 Z7:AE22 I7:V357";
        assert_eq!(extend_sqref(t, 356), t);
        assert_eq!(extend_sqref(t, 10), t);
        assert_eq!(extend_sqref(t, 400), "Z26:AE400 Z7:AE22 I7:V401");
        assert_eq!(
            extend_sqref("F357:G357 H7:H357 W7:Y357", 400),
            "F401:G401 H7:H401 W7:Y401"
        );
        assert_eq!(extend_sqref("F7:G356", 357), "F7:G357");
        assert_eq!(extend_sqref("A1 junk", 400), "A1 junk");
    }

    const MINI: &str = r#"<?xml version="1.0"?><worksheet><dimension ref="A2:AE357"/><sheetData><row r="6"><c r="B6" s="1" t="s"><v>3</v></c></row><row r="7" ht="18"><c r="A7" s="14"/><c r="B7" s="41"/><c r="D7" s="44"><v>old</v></c></row><row r="356" ht="18"><c r="B356" s="41"/><c r="D356" s="44"/><c r="G356" s="45"/></row><row r="357"><c r="G357" s="46"/></row></sheetData><sheetProtection sheet="1"/><dataValidations count="1"><dataValidation type="list" sqref="F7:G356"><formula1>"Yes, No"</formula1></dataValidation></dataValidations></worksheet>"#;

    fn cells(v: &[(u32, &str)]) -> RowCells {
        v.iter().map(|(c, t)| (*c, t.to_string())).collect()
    }

    #[test]
    fn cells_land_in_their_columns_with_the_template_style() {
        let out = patch(
            MINI.as_bytes(),
            &[cells(&[(4, "EX01"), (2, "10.0.0.5"), (7, "a<b&\"c\"")])],
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains(r#"<row r="7" ht="18"><c r="A7" s="14"/><c r="B7" s="41" t="inlineStr"><is><t xml:space="preserve">10.0.0.5</t></is></c><c r="D7" s="44" t="inlineStr"><is><t xml:space="preserve">EX01</t></is></c><c r="G7" s="45" t="inlineStr"><is><t xml:space="preserve">a&lt;b&amp;&quot;c&quot;</t></is></c></row>"#), "{s}");
        assert!(!s.contains("old"), "the replaced cell's value is gone");
        assert!(s.contains(r#"<sheetProtection sheet="1"/>"#));
        assert!(s.contains(r#"sqref="F7:G356""#));
        assert!(s.contains(r#"<dimension ref="A2:AE357"/>"#));
        // Nothing to write: the sheet is the template.
        assert_eq!(patch(MINI.as_bytes(), &[]).unwrap(), MINI.as_bytes());
    }

    #[test]
    fn rows_past_the_template_get_the_model_style_and_validations_grow() {
        let rows: Vec<RowCells> = (0..352).map(|i| cells(&[(4, &format!("EX{i}"))])).collect();
        let s = String::from_utf8(patch(MINI.as_bytes(), &rows).unwrap()).unwrap();
        // 352 rows: 7..=358. Row 358 is new, styled like row 356.
        assert!(s.contains(r#"<row r="358" ht="18"><c r="D358" s="44" t="inlineStr"><is><t xml:space="preserve">EX351</t></is></c></row></sheetData>"#), "{s}");
        // Rows the template lacks between 7 and 356 are written in order.
        assert!(s.contains(r#"</row><row r="8" ht="18"><c r="D8" s="44""#));
        assert!(s.contains(r#"<row r="357"><c r="D357" s="44" t="inlineStr"><is><t xml:space="preserve">EX350</t></is></c><c r="G357" s="46"/></row>"#), "{s}");
        assert!(s.contains(r#"sqref="F7:G358""#));
        assert!(s.contains(r#"<dimension ref="A2:AE358"/>"#));
        let nums: Vec<u32> = s
            .match_indices("<row r=\"")
            .map(|(i, _)| {
                s[i + 8..]
                    .split('"')
                    .next()
                    .unwrap()
                    .parse::<u32>()
                    .unwrap()
            })
            .collect();
        assert!(nums.windows(2).all(|w| w[0] < w[1]), "rows in order");
        assert_eq!(nums.len(), 1 + 352);
    }

    #[test]
    fn broken_xml_is_an_error_not_a_panic() {
        assert!(
            patch(
                b"<worksheet><sheetData><row r=\"7\"><c r=\"B7\">",
                &[cells(&[(2, "x")])]
            )
            .is_err()
        );
        assert!(patch(b"<worksheet/>", &[cells(&[(2, "x")])]).is_err());
        assert!(patch(b"not xml at all", &[cells(&[(2, "x")])]).is_err());
        // A sheet without rows gets its data row, numbered, unstyled.
        let bare = patch(
            b"<worksheet><sheetData></sheetData></worksheet>",
            &[cells(&[(2, "x")])],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(bare).unwrap(),
            r#"<worksheet><sheetData><row r="7"><c r="B7" t="inlineStr"><is><t xml:space="preserve">x</t></is></c></row></sheetData></worksheet>"#
        );
    }
}
