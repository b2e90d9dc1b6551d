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

/// The grading columns every rule table has: `class`, `severity`, `cve`.
pub struct Graded {
    pub class: crate::model::Class,
    pub severity: crate::model::Severity,
    pub cve: &'static str,
}

impl Row<'_> {
    /// The row's `class`, `severity` and `cve` cells, checked. Panics on a bad cell, naming
    /// `table` and the line (tables are part of the build; a unit test loads each one).
    pub fn graded(&self, table: &str) -> Graded {
        let bad =
            |what: &str, e: String| -> ! { panic!("{table} line {}: bad {what}: {e}", self.line) };
        let cve = self.get("cve");
        if let Err(e) = crate::model::check_cve(cve) {
            bad("cve", e)
        }
        Graded {
            class: self
                .get("class")
                .parse()
                .unwrap_or_else(|e| bad("class", e)),
            severity: self
                .get("severity")
                .parse()
                .unwrap_or_else(|e| bad("severity", e)),
            cve,
        }
    }

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
    use crate::model::{Class, Severity};

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

    #[test]
    fn graded_reads_the_three_grading_cells() {
        let t = Table::parse(
            "t",
            "rule\tclass\tseverity\tcve\na\tattempt\thigh\tCVE-2021-31207\n",
        );
        let g = t.rows().next().unwrap().graded("t");
        assert_eq!(
            (g.class, g.severity, g.cve),
            (Class::Attempt, Severity::High, "CVE-2021-31207")
        );
    }

    #[test]
    #[should_panic(expected = "t line 2: bad cve")]
    fn graded_refuses_a_bad_cve() {
        let t = Table::parse(
            "t",
            "rule\tclass\tseverity\tcve\na\tattempt\thigh\tProxyShell\n",
        );
        let _ = t.rows().next().unwrap().graded("t");
    }
}
