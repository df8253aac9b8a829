//! Matching the phenotype and covariate rows to the genotype samples by IID.
//!
//! A genotype sample is *usable* — it can enter a group — when it has a phenotype row, a
//! covariate row (with a covariate file) and every covariate. [`MatchReport`] counts what
//! became of each sample and each file row.

use std::collections::HashMap;
use std::fmt;

use super::select::SampleSelection;
use super::table::Table;
use crate::error::{Error, Result};

/// Counts from matching the files to the genotype samples, reported on stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// Samples in the genotype file.
    pub genotype_samples: usize,
    /// Genotype samples left out by `--keep`/`--remove`.
    pub not_selected: usize,
    /// Selected genotype samples found in the phenotype (and covariate) file.
    pub matched: usize,
    /// Phenotype-file rows whose IID is not a genotype sample.
    pub unmatched_pheno_rows: usize,
    /// Covariate-file rows whose IID is not a genotype sample.
    pub unmatched_covar_rows: usize,
    /// Genotype samples with no phenotype row.
    pub no_pheno_row: usize,
    /// Genotype samples with no covariate row.
    pub no_covar_row: usize,
    /// Matched samples dropped because a covariate is missing.
    pub missing_covariate: usize,
    /// Matched samples with complete covariates but no phenotype value.
    pub no_phenotype_value: usize,
}

impl MatchReport {
    /// Genotype samples that enter no group.
    pub fn dropped(&self) -> usize {
        self.no_pheno_row + self.no_covar_row + self.missing_covariate + self.no_phenotype_value
    }
}

impl fmt::Display for MatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} genotype samples, ", self.genotype_samples)?;
        if self.not_selected > 0 {
            write!(f, "{} left out by --keep/--remove, ", self.not_selected)?;
        }
        write!(
            f,
            "{} matched, {} unmatched file rows ({} phenotype, {} covariate), \
             {} dropped ({} without phenotype row, {} without covariate row, {} with a missing covariate, \
             {} with no phenotype value)",
            self.matched,
            self.unmatched_pheno_rows + self.unmatched_covar_rows,
            self.unmatched_pheno_rows,
            self.unmatched_covar_rows,
            self.dropped(),
            self.no_pheno_row,
            self.no_covar_row,
            self.missing_covariate,
            self.no_phenotype_value
        )
    }
}

/// Where each genotype sample is in the phenotype and covariate files, and whether it is usable.
pub(super) struct Matching {
    /// Row of each genotype sample in the phenotype file.
    pub pheno_rows: Vec<Option<usize>>,
    /// Row of each genotype sample in the covariate file, when there is one.
    pub covar_rows: Option<Vec<Option<usize>>>,
    /// Whether each genotype sample is usable so far: it has both rows and (once
    /// [`Matching::drop_missing_covariates`] ran) every covariate.
    pub usable: Vec<bool>,
    /// The counts so far.
    pub report: MatchReport,
}

impl Matching {
    /// Matches the rows of `pheno` (and `covar`) to `genotype_samples` by IID. A sample with both
    /// rows is usable; none at all is an error.
    pub(super) fn new(
        genotype_samples: &[String],
        pheno: &Table,
        covar: Option<&Table>,
        selection: &SampleSelection,
    ) -> Result<Matching> {
        let n = genotype_samples.len();
        let sample_index: HashMap<&str, usize> = genotype_samples
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut report = MatchReport {
            genotype_samples: n,
            ..MatchReport::default()
        };
        let pheno_rows = locate(&sample_index, n, pheno, &mut report.unmatched_pheno_rows);
        let covar_rows =
            covar.map(|table| locate(&sample_index, n, table, &mut report.unmatched_covar_rows));

        let mut usable = vec![false; n];
        for i in 0..n {
            if !selection.selects(&genotype_samples[i]) {
                report.not_selected += 1;
                continue;
            }
            let has_pheno = pheno_rows[i].is_some();
            let has_covar = covar_rows.as_ref().is_none_or(|rows| rows[i].is_some());
            match (has_pheno, has_covar) {
                (true, true) => {
                    report.matched += 1;
                    usable[i] = true;
                }
                (false, _) => report.no_pheno_row += 1,
                (true, false) => report.no_covar_row += 1,
            }
        }
        if report.not_selected == n {
            return Err(Error::inputs(format!(
                "{}: no genotype sample is left of the {n} (samples are matched by IID)",
                selection.description().join(" ")
            )));
        }
        if report.matched == 0 {
            return Err(no_sample_in_common(
                n,
                pheno,
                &pheno_rows,
                covar,
                covar_rows.as_deref(),
            ));
        }
        Ok(Matching {
            pheno_rows,
            covar_rows,
            usable,
            report,
        })
    }

    /// Drops the usable samples `i` for which `missing(i)`: they lack a covariate.
    pub(super) fn drop_missing_covariates(&mut self, missing: impl Fn(usize) -> bool) {
        for (i, ok) in self.usable.iter_mut().enumerate() {
            if *ok && missing(i) {
                *ok = false;
                self.report.missing_covariate += 1;
            }
        }
    }

    /// Counts the usable samples `i` without `has_value(i)`: with no phenotype value, they enter
    /// no group.
    pub(super) fn count_no_phenotype_value(&mut self, has_value: impl Fn(usize) -> bool) {
        for (i, &ok) in self.usable.iter().enumerate() {
            if ok && !has_value(i) {
                self.report.no_phenotype_value += 1;
            }
        }
    }
}

/// The error when no genotype sample is usable, blaming the file that has none of them: the
/// phenotype file, else the covariate file, else both (each matches some, but not the same).
fn no_sample_in_common(
    n: usize,
    pheno: &Table,
    pheno_rows: &[Option<usize>],
    covar: Option<&Table>,
    covar_rows: Option<&[Option<usize>]>,
) -> Error {
    let found = |rows: &[Option<usize>]| rows.iter().filter(|r| r.is_some()).count();
    let none = |table: &Table| {
        Error::input(
            table.path(),
            format!(
                "no sample in common with the {n} genotype samples (samples are matched by IID)"
            ),
        )
    };
    match (covar, covar_rows) {
        (Some(covar), Some(rows)) if found(pheno_rows) > 0 => {
            if found(rows) == 0 {
                return none(covar);
            }
            Error::input(
                covar.path(),
                format!(
                    "no genotype sample has both a covariate row here and a phenotype row in {} \
                     ({} of the {n} genotype samples are in the covariate file, {} in the \
                     phenotype file; samples are matched by IID)",
                    pheno.path().display(),
                    found(rows),
                    found(pheno_rows)
                ),
            )
        }
        _ => none(pheno),
    }
}

/// The row of each of the `n` genotype samples in `table`, counting the rows whose IID is not a
/// genotype sample in `unmatched`.
fn locate(
    sample_index: &HashMap<&str, usize>,
    n: usize,
    table: &Table,
    unmatched: &mut usize,
) -> Vec<Option<usize>> {
    let mut rows = vec![None; n];
    for (row, iid) in table.iids().iter().enumerate() {
        match sample_index.get(iid.as_str()) {
            Some(&i) => rows[i] = Some(row),
            None => *unmatched += 1,
        }
    }
    rows
}
