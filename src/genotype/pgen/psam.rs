//! `.psam`: one sample per line, in the `.pgen`'s order.
//!
//! Header lines start with `#`; the last, `#FID IID …` or `#IID …`, names the columns (`SID`,
//! `PAT`, `MAT`, `SEX` and phenotype columns may follow; they are not needed here). Without
//! one the file is read as a `.fam`: `FID IID PAT MAT SEX [PHENO1]`. Samples are named by IID,
//! which must be unique.

use std::collections::HashMap;
use std::path::Path;

use super::text::{fields, Lines};
use crate::error::{Error, Result};

/// Reads the IIDs of a `.psam`.
pub fn read(path: &Path) -> Result<Vec<String>> {
    let mut lines = Lines::open(path)?;
    // (column of the IID, fields a line needs); fixed by the header or the first line.
    let mut layout: Option<(usize, usize)> = None;
    let mut in_header = true;
    let mut samples = Vec::new();
    let mut seen = HashMap::new();
    while let Some((line_no, line)) = lines.next_line()? {
        let at = || format!("line {line_no}");
        if in_header && line.starts_with('#') {
            let names: Vec<&str> = fields(line).collect();
            layout = match names.first().copied() {
                Some("#FID") if names.get(1) == Some(&"IID") => Some((1, names.len())),
                Some("#FID") => {
                    return Err(Error::input(
                        path,
                        "the #FID header line's second column is not IID",
                    )
                    .at(at()))
                }
                Some("#IID") => Some((0, names.len())),
                _ => layout,
            };
            continue;
        }
        in_header = false;
        if line.trim().is_empty() {
            continue;
        }
        let row: Vec<&str> = fields(line).collect();
        let (iid_at, count) = *layout.get_or_insert((1, 5));
        if row.len() < count {
            let form = if count == 5 && iid_at == 1 {
                " (a .psam without a #FID/#IID header line is read as a .fam: FID IID PAT MAT SEX …)"
            } else {
                ""
            };
            return Err(Error::input(
                path,
                format!("{} fields, but {count} are needed{form}", row.len()),
            )
            .at(at()));
        }
        let iid = row[iid_at].to_string();
        if let Some(first) = seen.insert(iid.clone(), line_no) {
            return Err(Error::input(
                path,
                format!("duplicate sample IID '{iid}' (first on line {first})"),
            )
            .at(at()));
        }
        samples.push(iid);
    }
    if layout.is_none() || samples.is_empty() {
        return Err(Error::input(path, "no samples"));
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.psam");
        std::fs::write(&path, text).unwrap();
        read(&path)
    }

    #[test]
    fn header_forms() {
        assert_eq!(parse("#IID\tSEX\n a\t1\nb\t2\n").unwrap(), ["a", "b"]);
        assert_eq!(
            parse("## meta\n#FID IID SID PAT MAT SEX y\nf1 a s 0 0 1 2.5 extra\n").unwrap(),
            ["a"]
        );
        assert_eq!(parse("f1 a 0 0 1 -9\nf2 b 0 0 2 -9\n").unwrap(), ["a", "b"]);
    }

    #[test]
    fn bad_files() {
        let e = parse("#IID SEX\na 1\na 2\n").unwrap_err();
        assert!(e.to_string().contains("duplicate sample IID 'a'"), "{e}");
        let e = parse("#FID IID SEX\nf a\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(parse("#IID\n").is_err());
    }
}
