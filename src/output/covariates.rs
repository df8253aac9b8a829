//! The covariate model table (`PREFIX.<pheno>.covariates.tsv`): the fit of y on the covariates
//! alone over the pooled samples — γ̂, its standard error, t and p per covariate, with n, the
//! residual degrees of freedom, τ̂² (the residual variance) and R².
//!
//! One block of rows per party set whose covariate model was fitted (a set differs from the
//! full one when some parties lack some variants); the `parties` column names it.

use std::io::Write;
use std::path::Path;

use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::pvalue;

/// Header of the table.
pub const COLUMNS: [&str; 12] = [
    "parties",
    "covariate",
    "estimate",
    "standard_error",
    "t_statistic",
    "p_value",
    "neg_log_10_p_value",
    "n",
    "df",
    "tau2",
    "r2",
    "variants",
];

/// One covariate of one fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateRow {
    /// Column name (`intercept`, `age`, `site=north`, `party=ukb`).
    pub name: String,
    /// γ̂ in the covariate's own units.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
}

/// The covariate model of one party set.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateModel {
    /// The parties of the set, in merge order.
    pub parties: Vec<String>,
    /// One row per column of C.
    pub rows: Vec<CovariateRow>,
    /// Samples.
    pub n: f64,
    /// Residual degrees of freedom, n − k.
    pub df: f64,
    /// Residual variance τ̂².
    pub tau2: f64,
    /// R² (centred when the model has an intercept, else uncentred).
    pub r2: f64,
    /// Variants tested with this party set.
    pub variants: u64,
}

/// Writes the table; returns the uncommitted file.
pub fn write(path: &Path, models: &[CovariateModel]) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    let mut text = COLUMNS.join("\t");
    text.push('\n');
    for model in models {
        let parties = model.parties.join(",");
        for row in &model.rows {
            let t = row.estimate / row.se;
            let ln_p = pvalue::ln_two_sided_p(t, model.df);
            let p = pvalue::format_p_value(ln_p);
            text.push_str(&format!(
                "{parties}\t{}\t{}\t{}\t{}\t{p}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                row.name,
                row.estimate,
                row.se,
                t,
                pvalue::neg_log10_p(ln_p),
                model.n,
                model.df,
                model.tau2,
                model.r2,
                model.variants
            ));
        }
    }
    file.write_all(text.as_bytes()).with_path(path)?;
    Ok(file)
}
