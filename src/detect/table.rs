//! Rule tables under `rules/` (tab-separated, embedded at build time): `#` lines are comments,
//! the first other line names the columns, every later line is a row. Cells are read by column
//! name, so a table may gain columns without breaking its readers.

/// A parsed table.
pub struct Table {
    columns: Vec<&'static str>,
    /// Each row with its 1-based line number in the table file.
    rows: Vec<(usize, Vec<&'static str>)>,
}

/// One row, read by column name.
pub struct Row<'t> {
    table: &'t Table,
    cells: &'t [&'static str],
    /// 1-based line number in the table file, for error messages.
    pub line: usize,
}

impl Table {
    /// Parses an embedded table. Panics on a malformed table: tables are part of the build and a
    /// unit test loads every one of them.
    pub fn parse(name: &str, text: &'static str) -> Table {
        let mut columns = None;
        let mut rows = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&'static str> = line.split('\t').map(str::trim).collect();
            match &columns {
                None => columns = Some(cells),
                Some(c) => {
                    assert!(
                        cells.len() <= c.len(),
                        "{name}: row has {} cells for {} columns: {line}",
                        cells.len(),
                        c.len()
                    );
                    rows.push((n + 1, cells));
                }
            }
        }
        Table {
            columns: columns.unwrap_or_else(|| panic!("{name}: no header line")),
            rows,
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|(line, cells)| Row {
            table: self,
            cells,
            line: *line,
        })
    }
}

impl Row<'_> {
    /// The cell of `column` (empty when the row is short). Panics on an unknown column name.
    pub fn get(&self, column: &str) -> &'static str {
        let i = self
            .table
            .columns
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("no column {column}"));
        self.cells.get(i).copied().unwrap_or("")
    }
}

/// The file name of a Windows or POSIX path, lowercased (`C:\Windows\System32\cmd.exe` → `cmd.exe`).
pub fn basename_lower(path: &str) -> String {
    path.trim()
        .trim_matches('"')
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_column_name() {
        let t = Table::parse("t", "# c\nrule\tclass\n\na\tcontext\nb\n");
        let rows: Vec<_> = t.rows().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("class"), "context");
        assert_eq!(rows[1].get("class"), "");
        assert_eq!(
            (rows[0].line, rows[1].line),
            (4, 5),
            "lines of the file, not row numbers"
        );
        assert_eq!(basename_lower("C:\\Windows\\System32\\CMD.EXE"), "cmd.exe");
        assert_eq!(basename_lower("\"c:\\a b\\w3wp.exe\""), "w3wp.exe");
        assert_eq!(basename_lower(""), "");
    }
}
