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
    columns: Vec<String>,
    iids: Vec<String>,
    /// 1-based file line of each row, for error messages.
    lines: Vec<usize>,
    /// Row-major values, `iids.len() × columns.len()`.
    values: Vec<String>,
}

impl Table {
    /// Reads and shape-checks a table.
    pub fn read(path: &Path) -> Result<Table> {
        let file = File::open(path).with_path(path)?;
        let mut lines = BufReader::new(file).lines().enumerate();
        let header = loop {
            match lines.next() {
                None => return Err(Error::input(path, "empty file: expected a header line")),
                Some((_, line)) => {
                    let line = line.with_path(path)?;
                    if !line.trim().is_empty() {
                        break line;
                    }
                }
            }
        };
        let tab_separated = header.contains('\t');
        let split = |line: &str| -> Vec<String> {
            if tab_separated {
                line.trim_end_matches(['\r', '\n'])
                    .split('\t')
                    .map(|f| f.trim().to_string())
                    .collect()
            } else {
                line.split_whitespace().map(str::to_string).collect()
            }
        };
        let names = split(&header);
        let id_columns = match names.first().map(String::as_str) {
            Some("#FID") | Some("FID") if names.get(1).map(String::as_str) == Some("IID") => 2,
            Some("#IID") | Some("IID") => 1,
            _ => {
                return Err(Error::input(
                    path,
                    "header must start with '#FID IID', 'FID IID', '#IID' or 'IID'",
                )
                .at("line 1"))
            }
        };
        let columns: Vec<String> = names[id_columns..].to_vec();
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
                return Err(
                    Error::input(path, format!("column '{name}' appears twice")).at("line 1")
                );
            }
        }

        let mut table = Table {
            path: path.to_path_buf(),
            columns,
            iids: Vec::new(),
            lines: Vec::new(),
            values: Vec::new(),
        };
        let mut seen = HashMap::new();
        for (index, line) in lines {
            let line_no = index + 1;
            let line = line.with_path(path)?;
            if line.trim().is_empty() {
                continue;
            }
            let fields = split(&line);
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
            let iid = fields[id_columns - 1].clone();
            if iid.is_empty() {
                return Err(Error::input(path, "empty IID").at(format!("line {line_no}")));
            }
            if let Some(first) = seen.insert(iid.clone(), line_no) {
                return Err(Error::input(
                    path,
                    format!("duplicate IID '{iid}' (first on line {first})"),
                )
                .at(format!("line {line_no}")));
            }
            table.iids.push(iid);
            table.lines.push(line_no);
            table.values.extend(fields.into_iter().skip(id_columns));
        }
        Ok(table)
    }

    /// The file this table came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Value column names (after the ID columns).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Sample IIDs, one per row.
    pub fn iids(&self) -> &[String] {
        &self.iids
    }

    /// The raw text of `row`, `column`.
    pub fn value(&self, row: usize, column: usize) -> &str {
        &self.values[row * self.columns.len() + column]
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
