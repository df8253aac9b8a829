//! Phenotype and covariate files.
//!
//! A header line names the columns. It starts with `#FID IID`, `FID IID`, `#IID` or `IID`
//! (PLINK 2's forms); the rest are value columns. Fields are tab-separated when the header holds a
//! tab (then an empty field is a missing value), else separated by runs of spaces.
//!
//! ```
//! # use std::io::Write;
//! use dash::samples::table::Table;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("p.tsv");
//! std::fs::write(&path, "#FID\tIID\ty1\nf1\ts1\t1.5\nf2\ts2\tNA\n").unwrap();
//! let table = Table::read(&path).unwrap();
//! assert_eq!(table.columns(), ["y1"]);
//! assert_eq!(table.iids(), ["s1", "s2"]);
//! assert_eq!(table.value(1, 0), "NA");
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoResultExt, Result};

/// A parsed sample table: IIDs and raw text values, checked for shape.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    /// ID columns before the value columns (1 or 2).
    id_columns: usize,
    columns: Vec<String>,
    iids: Vec<String>,
    /// 1-based file line of each row, for error messages.
    lines: Vec<usize>,
    /// Row-major values, `iids.len() × columns.len()`, as [`Cells`]: one text buffer, not a
    /// `String` per cell (100 phenotypes over 20,000 samples are 2 million cells).
    values: Cells,
}

/// Text cells stored end to end in one buffer: cell `k` is `text[ends[k - 1]..ends[k]]`.
///
/// Four bytes of bookkeeping per cell instead of a `String` (24 bytes and an allocation).
#[derive(Debug, Clone, Default)]
struct Cells {
    text: String,
    ends: Vec<u32>,
}

impl Cells {
    /// Appends a cell; `None` when the text would pass 4 GiB (the ends are `u32`).
    fn push(&mut self, cell: &str) -> Option<()> {
        self.text.push_str(cell);
        self.ends.push(u32::try_from(self.text.len()).ok()?);
        Some(())
    }

    /// The text of cell `k`.
    fn get(&self, k: usize) -> &str {
        let start = match k {
            0 => 0,
            _ => self.ends[k - 1] as usize,
        };
        &self.text[start..self.ends[k] as usize]
    }
}

impl Table {
    /// Reads and shape-checks a table.
    pub fn read(path: &Path) -> Result<Table> {
        let file = File::open(path).with_path(path)?;
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        let mut line_no = 0;
        let header = header_line(&mut reader, &mut line, &mut line_no, path)?;
        // The header decides the separator for the whole file.
        let tab_separated = header.contains('\t');
        let names: Vec<String> = split(&header, tab_separated)
            .into_iter()
            .map(str::to_string)
            .collect();
        let id_columns = id_columns(&names, path)?;
        let columns: Vec<String> = names[id_columns..].to_vec();
        check_column_names(&columns, id_columns, path)?;

        let mut table = Table {
            path: path.to_path_buf(),
            id_columns,
            columns,
            iids: Vec::new(),
            lines: Vec::new(),
            values: Cells::default(),
        };
        // First line of each IID, to name it when the IID comes again.
        let mut seen = HashMap::new();
        while next_line(&mut reader, &mut line, &mut line_no, path)? {
            if line.trim().is_empty() {
                continue;
            }
            let fields = split(&line, tab_separated);
            if fields.len() != names.len() {
                return Err(Error::input(
                    path,
                    format!(
                        "expected {} fields as in the header, found {}",
                        names.len(),
                        fields.len()
                    ),
                )
                .at(format!("line {line_no}")));
            }
            table.push_row(&fields, id_columns, line_no, &mut seen)?;
        }
        Ok(table)
    }

    /// Appends the row of `fields` (a whole line, ID columns first) read from line `line_no`;
    /// its IID must be new (`seen`: the line of each IID so far).
    fn push_row(
        &mut self,
        fields: &[&str],
        id_columns: usize,
        line_no: usize,
        seen: &mut HashMap<String, usize>,
    ) -> Result<()> {
        let iid = fields[id_columns - 1].to_string();
        if iid.is_empty() {
            return Err(Error::input(&self.path, "empty IID").at(format!("line {line_no}")));
        }
        if let Some(first) = seen.insert(iid.clone(), line_no) {
            return Err(Error::input(
                &self.path,
                format!("duplicate IID '{iid}' (first on line {first})"),
            )
            .at(format!("line {line_no}")));
        }
        self.iids.push(iid);
        self.lines.push(line_no);
        for cell in &fields[id_columns..] {
            self.values.push(cell).ok_or_else(|| {
                Error::input(&self.path, "more than 4 GiB of values: too large a table")
                    .at(format!("line {line_no}"))
            })?;
        }
        Ok(())
    }

    /// The file this table came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Value column names (after the ID columns).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The 1-based position in the file's lines of value column `column` (after the ID columns).
    pub fn file_column(&self, column: usize) -> usize {
        self.id_columns + column + 1
    }

    /// Sample IIDs, one per row.
    pub fn iids(&self) -> &[String] {
        &self.iids
    }

    /// The raw text of `row`, `column`.
    pub fn value(&self, row: usize, column: usize) -> &str {
        self.values.get(row * self.columns.len() + column)
    }

    /// The 1-based line number of `row` in the file.
    pub fn line(&self, row: usize) -> usize {
        self.lines[row]
    }

    /// Index of a column by name, or an error listing the columns there are.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            Error::input(
                &self.path,
                format!("no column '{name}' (columns: {})", self.columns.join(", ")),
            )
        })
    }
}

/// Reads the next line of `reader` into `line` (its end of line removed) and counts it in
/// `line_no` (1-based); `false` at the end of the file.
fn next_line(
    reader: &mut impl BufRead,
    line: &mut String,
    line_no: &mut usize,
    path: &Path,
) -> Result<bool> {
    line.clear();
    if reader.read_line(line).with_path(path)? == 0 {
        return Ok(false);
    }
    *line_no += 1;
    let content = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(content);
    Ok(true)
}

/// The header: the first line that is not blank.
fn header_line(
    reader: &mut impl BufRead,
    line: &mut String,
    line_no: &mut usize,
    path: &Path,
) -> Result<String> {
    while next_line(reader, line, line_no, path)? {
        if !line.trim().is_empty() {
            return Ok(std::mem::take(line));
        }
    }
    Err(Error::input(path, "empty file: expected a header line"))
}

/// The fields of `line` (without its end of line): split on tabs (each field trimmed, empty
/// fields kept) when `tab_separated`, else on runs of whitespace.
fn split(line: &str, tab_separated: bool) -> Vec<&str> {
    // Two plain loops, not one iterator chaining both kinds: the chain's per-field checks of
    // which side is live cost as much as finding the tabs.
    match tab_separated {
        true => tab_fields(line).map(str::trim).collect(),
        false => line.split_whitespace().collect(),
    }
}

/// The fields of `line` between tabs, as `line.split('\t')` gives them: the tabs are found by
/// `memchr` over the whole line rather than one `char` search per field, which was most of the
/// time of reading a 100-phenotype file (a tenth of its compress, on one core).
fn tab_fields(line: &str) -> impl Iterator<Item = &str> {
    let ends = memchr::memchr_iter(b'\t', line.as_bytes()).chain([line.len()]);
    let mut start = 0;
    ends.map(move |end| {
        // A tab is one byte, so both ends are character boundaries.
        let field = &line[start..end];
        start = end + 1;
        field
    })
}

/// How many ID columns the header `names` start with: 2 for `#FID IID`/`FID IID`, 1 for
/// `#IID`/`IID`; any other start is an error.
fn id_columns(names: &[String], path: &Path) -> Result<usize> {
    match names.first().map(String::as_str) {
        Some("#FID") | Some("FID") if names.get(1).map(String::as_str) == Some("IID") => Ok(2),
        Some("#IID") | Some("IID") => Ok(1),
        _ => Err(Error::input(
            path,
            "header must start with '#FID IID', 'FID IID', '#IID' or 'IID'",
        )
        .at("line 1")),
    }
}

/// Value column names must be non-empty and distinct (`id_columns` before them, to number the
/// columns as in the file).
fn check_column_names(columns: &[String], id_columns: usize, path: &Path) -> Result<()> {
    let mut seen_columns = HashMap::new();
    for (i, name) in columns.iter().enumerate() {
        if name.is_empty() {
            return Err(Error::input(
                path,
                format!("column {} has an empty name", i + id_columns + 1),
            )
            .at("line 1"));
        }
        if seen_columns.insert(name.clone(), i).is_some() {
            return Err(Error::input(path, format!("column '{name}' appears twice")).at("line 1"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_fields_are_split_on_tabs() {
        for line in [
            "",
            "\t",
            "a",
            "a\tb",
            "\ta\t\tb\t",
            "#FID\tIID\ty1 \t y2",
            "é\tñ\t\u{a0}x\u{a0}\t",
            "a b\tc  d",
        ] {
            let fast: Vec<&str> = tab_fields(line).collect();
            let std: Vec<&str> = line.split('\t').collect();
            assert_eq!(fast, std, "{line:?}");
        }
    }
}
