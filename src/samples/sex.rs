//! Each genotype sample's sex, for the chrX model (DESIGN §6 "Sex chromosomes").
//!
//! The sources, as plink2 reads them: the SEX column of the `.fam` (5th field) or `.psam`
//! (`SEX` in its `#FID IID …`/`#IID …` header, the 5th field of a header-less one), or a column
//! of the covariate file (`--sex-col NAME`). Codes: `1`/`M`/`m` male, `2`/`F`/`f` female; `0`,
//! `-9`, `NA`, `nan`, `.` or empty unknown. Anything else is an error naming the line, never a
//! guess.
//!
//! ```
//! use dash::samples::sex::{parse_sex, Sex};
//! assert_eq!(parse_sex("1"), Ok(Some(Sex::Male)));
//! assert_eq!(parse_sex("F"), Ok(Some(Sex::Female)));
//! assert_eq!(parse_sex("0"), Ok(None));
//! assert!(parse_sex("3").is_err());
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::numeric::is_missing;
use super::table::Table;
use crate::error::{echo, Error, IoResultExt, Result};

/// A sample's sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// plink2 code 1.
    Male,
    /// plink2 code 2.
    Female,
}

impl Sex {
    /// plink2's coding of the sex covariate: 1 male, 2 female.
    pub fn plink_code(self) -> f64 {
        match self {
            Sex::Male => 1.0,
            Sex::Female => 2.0,
        }
    }
}

/// Reads one sex code (see the module documentation).
pub fn parse_sex(text: &str) -> std::result::Result<Option<Sex>, String> {
    match text {
        "1" | "M" | "m" => Ok(Some(Sex::Male)),
        "2" | "F" | "f" => Ok(Some(Sex::Female)),
        "0" => Ok(None),
        other if is_missing(other, true) => Ok(None),
        other => Err(format!(
            "sex '{}' is not 1/M (male), 2/F (female) or 0/NA (unknown)",
            echo(other)
        )),
    }
}

/// The sex of every genotype sample and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSex {
    /// Per genotype sample (file order): its sex, `None` when unknown.
    pub by_sample: Vec<Option<Sex>>,
    /// Recorded in the summary header: `fam`, `psam` or `covariate COLUMN`.
    pub source: String,
}

impl SampleSex {
    /// From the SEX column of a `.fam` or `.psam` (by extension).
    pub fn from_sample_file(path: &Path, genotype_samples: &[String]) -> Result<SampleSex> {
        let is_psam = path.extension().is_some_and(|e| e == "psam");
        let by_iid = if is_psam && has_header_line(path)? {
            let table = Table::read(path)?;
            match table.columns().iter().position(|c| c == "SEX") {
                Some(column) => table_sexes(&table, column)?,
                None => HashMap::new(),
            }
        } else {
            fam_sexes(path)?
        };
        let source = if is_psam { "psam" } else { "fam" };
        Ok(SampleSex::aligned(&by_iid, genotype_samples, source))
    }

    /// From column `name` of the covariate file (`--sex-col`).
    pub fn from_covariates(
        table: &Table,
        name: &str,
        genotype_samples: &[String],
    ) -> Result<SampleSex> {
        let column = table.column_index(name)?;
        let by_iid = table_sexes(table, column)?;
        Ok(SampleSex::aligned(
            &by_iid,
            genotype_samples,
            &format!("covariate {name}"),
        ))
    }

    fn aligned(by_iid: &HashMap<String, Sex>, samples: &[String], source: &str) -> SampleSex {
        SampleSex {
            by_sample: samples.iter().map(|s| by_iid.get(s).copied()).collect(),
            source: source.to_string(),
        }
    }

    /// The sex of genotype sample `i` as the covariate value plink2 uses (1 male, 2 female).
    pub fn code(&self, i: usize) -> Option<f64> {
        self.by_sample[i].map(Sex::plink_code)
    }

    /// Males, females and samples of unknown sex among `samples` (genotype sample indices).
    pub fn counts(&self, samples: impl Iterator<Item = usize>) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for i in samples {
            match self.by_sample[i] {
                Some(Sex::Male) => counts.0 += 1,
                Some(Sex::Female) => counts.1 += 1,
                None => counts.2 += 1,
            }
        }
        counts
    }
}

/// Whether the first line of a `.psam` is a `#FID`/`#IID` header (else it has `.fam` columns).
fn has_header_line(path: &Path) -> Result<bool> {
    let file = File::open(path).with_path(path)?;
    for line in BufReader::new(file).lines() {
        let line = line.with_path(path)?;
        if line.starts_with("#FID") || line.starts_with("#IID") {
            return Ok(true);
        }
        if !line.starts_with('#') {
            return Ok(false);
        }
    }
    Ok(false)
}

/// Known sexes by IID from a table column.
fn table_sexes(table: &Table, column: usize) -> Result<HashMap<String, Sex>> {
    let mut sexes = HashMap::new();
    for (row, iid) in table.iids().iter().enumerate() {
        let sex = parse_sex(table.value(row, column)).map_err(|message| {
            Error::input(table.path(), message).at(format!("line {}", table.line(row)))
        })?;
        if let Some(sex) = sex {
            sexes.insert(iid.clone(), sex);
        }
    }
    Ok(sexes)
}

/// Known sexes by IID from a `.fam` (or header-less `.psam`): IID in field 2, SEX in field 5.
fn fam_sexes(path: &Path) -> Result<HashMap<String, Sex>> {
    let file = File::open(path).with_path(path)?;
    let mut sexes = HashMap::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_path(path)?;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let at = || format!("line {}", index + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(iid), Some(code)) = (fields.get(1), fields.get(4)) else {
            return Err(Error::input(path, "no SEX field (the 5th)").at(at()));
        };
        if let Some(sex) = parse_sex(code).map_err(|m| Error::input(path, m).at(at()))? {
            sexes.insert(iid.to_string(), sex);
        }
    }
    Ok(sexes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_fam_and_psam() {
        let dir = tempfile::tempdir().unwrap();
        let fam = dir.path().join("a.fam");
        std::fs::write(&fam, "f a 0 0 1 -9\nf b 0 0 2 -9\nf c 0 0 0 -9\n").unwrap();
        let sex = SampleSex::from_sample_file(&fam, &samples(&["c", "a", "b"])).unwrap();
        assert_eq!(sex.by_sample, [None, Some(Sex::Male), Some(Sex::Female)]);
        assert_eq!(sex.source, "fam");
        let psam = dir.path().join("a.psam");
        std::fs::write(&psam, "#IID\tSEX\na\tF\nb\tNA\n").unwrap();
        let sex = SampleSex::from_sample_file(&psam, &samples(&["a", "b"])).unwrap();
        assert_eq!(sex.by_sample, [Some(Sex::Female), None]);
        assert_eq!(sex.counts(0..2), (0, 1, 1));
    }

    #[test]
    fn bad_code_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let fam = dir.path().join("a.fam");
        std::fs::write(&fam, "f a 0 0 1 -9\nf b 0 0 7 -9\n").unwrap();
        let err = SampleSex::from_sample_file(&fam, &samples(&["a", "b"])).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("sex '7'"), "{err}");
    }
}
