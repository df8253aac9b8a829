//! Matching the phenotype and covariate rows to the genotype samples by IID.

use std::fmt;

/// Counts from matching the files to the genotype samples, reported on stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// Samples in the genotype file.
    pub genotype_samples: usize,
    /// Genotype samples found in the phenotype (and covariate) file.
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
        write!(
            f,
            "{} genotype samples, {} matched, {} unmatched file rows ({} phenotype, {} covariate), \
             {} dropped ({} without phenotype row, {} without covariate row, {} with a missing covariate, \
             {} with no phenotype value)",
            self.genotype_samples,
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
