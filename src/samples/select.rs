//! Sample selection: plink2's `--keep` and `--remove`.
//!
//! A sample ID file names samples one per line, as plink2 reads it: an optional header line
//! starting `#FID` or `FID` (then the IID is the second column) or `#IID` or `IID` (the first
//! column); without a header, a line of one column is an IID and a line of two or more columns is
//! `FID IID …`, so a `.fam` or `.psam` file works as it is. Samples are matched by IID, as the
//! phenotype file is. Several `--keep` files keep the samples named in any of them; `--remove`
//! then removes those named in any `--remove` file.
//!
//! ```
//! use dash::samples::select::SampleSelection;
//! let dir = tempfile::tempdir().unwrap();
//! let keep = dir.path().join("keep.txt");
//! std::fs::write(&keep, "#FID IID\nf1 s1\nf2 s2\n").unwrap();
//! let remove = dir.path().join("remove.txt");
//! std::fs::write(&remove, "s2\n").unwrap();
//! let selection = SampleSelection::read(&[keep], &[remove]).unwrap();
//! assert!(selection.selects("s1"));
//! assert!(!selection.selects("s2")); // kept, then removed
//! assert!(!selection.selects("s3")); // not kept
//! ```

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::{echo, Error, IoResultExt, Result};

/// Which samples of the genotype file may enter the analysis.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleSelection {
    /// IIDs named by `--keep` files (`None`: no `--keep`, every sample is kept).
    keep: Option<BTreeSet<String>>,
    /// IIDs named by `--remove` files.
    remove: BTreeSet<String>,
    /// The flags as given, for the summary header and the log.
    description: Vec<String>,
}

impl SampleSelection {
    /// Reads the `--keep` and `--remove` files.
    pub fn read(keep: &[PathBuf], remove: &[PathBuf]) -> Result<SampleSelection> {
        let mut selection = SampleSelection::default();
        if !keep.is_empty() {
            let mut kept = BTreeSet::new();
            for path in keep {
                kept.extend(read_sample_ids(path)?);
            }
            selection.keep = Some(kept);
            selection.description.push(describe("--keep", keep));
        }
        for path in remove {
            selection.remove.extend(read_sample_ids(path)?);
        }
        if !remove.is_empty() {
            selection.description.push(describe("--remove", remove));
        }
        Ok(selection)
    }

    /// Whether the sample with this IID is selected.
    pub fn selects(&self, iid: &str) -> bool {
        self.keep.as_ref().is_none_or(|keep| keep.contains(iid)) && !self.remove.contains(iid)
    }

    /// Whether no selection was asked for.
    pub fn is_everything(&self) -> bool {
        self.keep.is_none() && self.remove.is_empty()
    }

    /// The flags applied, e.g. `--keep keep.txt`, for the summary header.
    pub fn description(&self) -> &[String] {
        &self.description
    }
}

/// `--keep a.txt b.txt`: the flag and its files' names (not their directories: paths are the
/// party's business).
fn describe(flag: &str, paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
        })
        .collect();
    format!("{flag} {}", names.join(" "))
}

/// The IIDs a sample ID file names (see the module documentation for its forms).
pub fn read_sample_ids(path: &Path) -> Result<BTreeSet<String>> {
    let file = File::open(path).with_path(path)?;
    let mut ids = BTreeSet::new();
    // Which column holds the IID, once the first line has decided it.
    let mut iid_column: Option<usize> = None;
    let mut first = true;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_path(path)?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        if std::mem::take(&mut first) {
            match fields[0] {
                "#FID" | "FID" => {
                    if fields.get(1) != Some(&"IID") {
                        return Err(Error::input(
                            path,
                            "a header starting with FID must name IID as its second column",
                        )
                        .at(format!("line {}", index + 1)));
                    }
                    iid_column = Some(1);
                    continue;
                }
                "#IID" | "IID" => {
                    iid_column = Some(0);
                    continue;
                }
                _ => {}
            }
        }
        if fields[0].starts_with('#') {
            continue;
        }
        let column = iid_column.unwrap_or(usize::from(fields.len() >= 2));
        let Some(iid) = fields.get(column) else {
            return Err(Error::input(
                path,
                format!(
                    "expected an IID in column {} but the line has {} column(s): '{}'",
                    column + 1,
                    fields.len(),
                    echo(&line)
                ),
            )
            .at(format!("line {}", index + 1)));
        };
        ids.insert((*iid).to_string());
    }
    if ids.is_empty() {
        return Err(Error::input(path, "names no sample"));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Result<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.txt");
        std::fs::write(&path, text).unwrap();
        read_sample_ids(&path).map(|set| set.into_iter().collect())
    }

    #[test]
    fn reads_plink2_sample_id_forms() {
        assert_eq!(ids("s1\ns2\n").unwrap(), ["s1", "s2"]);
        assert_eq!(ids("f1 s1\nf2\ts2\n").unwrap(), ["s1", "s2"]);
        assert_eq!(ids("#IID SEX\ns1 1\n\ns2 2\n").unwrap(), ["s1", "s2"]);
        assert_eq!(ids("#FID IID\nf1 s1\n").unwrap(), ["s1"]);
        // A .fam: six columns, no header.
        assert_eq!(ids("f1 s1 0 0 1 -9\n").unwrap(), ["s1"]);
    }

    #[test]
    fn refuses_what_names_no_sample() {
        let e = ids("#FID IID\n").unwrap_err().to_string();
        assert!(e.ends_with("ids.txt: names no sample"), "{e}");
        let e = ids("#FID IID\nonly\n").unwrap_err().to_string();
        assert!(e.contains("line 2: expected an IID in column 2"), "{e}");
        let e = ids("#FID X\n").unwrap_err().to_string();
        assert!(e.contains("line 1: a header starting with FID"), "{e}");
    }
}
