//! `PREFIX.<pheno>.cojo.tsv`: the variants `dash merge --cojo-select` selects, one line per
//! selected variant of every LD region.
//!
//! Columns: `region` (the LD region as compressed, `CHR:START-END`), GWAS-SSF's `chromosome`,
//! `base_pair_location`, `effect_allele` (ALT), `other_allele`, then the joint fit
//! (`y ~ covariates + every selected variant of the region`): `beta`, `standard_error`,
//! `p_value`, `n`, `neg_log_10_p_value`; then the marginal fit (`y ~ covariates + x` on the
//! parties holding the variant's LD sums): `marginal_beta`, `marginal_standard_error`,
//! `marginal_p_value`, `marginal_n`, `marginal_neg_log_10_p_value`.

use std::io::Write;
use std::path::Path;

use super::joint::{push_fit, push_variant};
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::merge::VariantResult;
use crate::summary::Variant;

/// One selected variant of a region, with its joint and marginal fits.
pub struct CojoRow {
    /// The LD region's text.
    pub region: String,
    /// The variant.
    pub variant: Variant,
    /// Given the region's other selected variants.
    pub joint: VariantResult,
    /// Alone.
    pub marginal: VariantResult,
}

/// Column names in file order.
pub fn columns() -> Vec<&'static str> {
    let mut columns = vec!["region"];
    columns.extend(&super::gwas_ssf::COLUMNS[..6]);
    columns.extend(["p_value", "n", "neg_log_10_p_value"]);
    columns.extend([
        "marginal_beta",
        "marginal_standard_error",
        "marginal_p_value",
        "marginal_n",
        "marginal_neg_log_10_p_value",
    ]);
    columns
}

/// Writes the selection (under a temporary name, committed with the run's other files).
pub fn write(path: &Path, rows: &[CojoRow]) -> Result<AtomicFile> {
    let mut text = columns().join("\t");
    text.push('\n');
    for row in rows {
        text.push_str(&row.region);
        text.push('\t');
        push_variant(&mut text, &row.variant);
        push_fit(&mut text, &row.joint);
        text.push('\t');
        push_fit(&mut text, &row.marginal);
        text.push('\n');
    }
    let mut file = AtomicFile::create(path)?;
    file.write_all(text.as_bytes()).with_path(path)?;
    Ok(file)
}
