//! The Oxford `.sample` file (`--sample F`): the sample IDs of a BGEN without a sample block, or
//! instead of it, as plink2 reads it.
//!
//! ```text
//! ID_1 ID_2 missing sex
//! 0 0 0 D
//! fam1 ind1 0 1
//! ```
//!
//! The first line names the columns, the second gives their types; then one line per sample,
//! in the order of the BGEN. `ID_2` is the IID that phenotypes are matched on (`ID_1` is the
//! FID); a file whose first column is headed `ID` holds one ID per sample.

use std::path::Path;

use crate::error::{Error, IoResultExt, Result};

/// The largest `.sample` file read.
const MAX_BYTES: u64 = 4 << 30;

/// Reads the IIDs of a `.sample` file.
pub fn read(path: &Path) -> Result<Vec<String>> {
    let size = std::fs::metadata(path).with_path(path)?.len();
    if size > MAX_BYTES {
        return Err(Error::input(
            path,
            format!("{size} bytes: too large for a .sample file"),
        ));
    }
    let bytes = std::fs::read(path).with_path(path)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|e| Error::input(path, format!("not text: {e}")))?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(k, l)| (k + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| Error::input(path, "empty: a .sample file starts with a header line"))?;
    let names: Vec<&str> = header.split_whitespace().collect();
    let column = match names.as_slice() {
        ["ID_1", "ID_2", ..] => 1,
        ["ID", ..] => 0,
        _ => {
            return Err(Error::input(
                path,
                "the first line must name the columns ID_1 ID_2 … (or ID …)",
            )
            .at("line 1"))
        }
    };
    match lines.next() {
        Some((_, types)) if types.split_whitespace().count() == names.len() => {}
        Some((line, _)) => {
            return Err(Error::input(
                path,
                format!(
                    "the column-type line must have {} fields, one per column",
                    names.len()
                ),
            )
            .at(format!("line {line}")))
        }
        None => return Err(Error::input(path, "no column-type line after the header").at("line 2")),
    }
    let mut samples = Vec::new();
    for (line, text) in lines {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != names.len() {
            return Err(Error::input(
                path,
                format!(
                    "{} fields, but the header names {}",
                    fields.len(),
                    names.len()
                ),
            )
            .at(format!("line {line}")));
        }
        samples.push(fields[column].to_string());
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sample");
        std::fs::write(&path, text).unwrap();
        read(&path)
    }

    #[test]
    fn reads_iids() {
        let got = parse("ID_1 ID_2 missing sex\n0 0 0 D\nf1 i1 0 1\nf2 i2 0 2\n").unwrap();
        assert_eq!(got, ["i1", "i2"]);
        assert_eq!(parse("ID missing\n0 0\na 0\r\nb 0\n").unwrap(), ["a", "b"]);
    }

    #[test]
    fn refuses_bad_files() {
        assert!(parse("").is_err());
        assert!(parse("FID IID\n0 0\n")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
        assert!(parse("ID_1 ID_2 missing\n0 0\n")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
        let e = parse("ID_1 ID_2 missing\n0 0 0\nf1 i1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
    }
}
