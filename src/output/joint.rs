//! `PREFIX.<pheno>.joint.tsv`: the listed variants fitted together (`dash merge --joint`).
//!
//! One line per variant, its effect in `y ~ covariates + every listed variant`:
//! `chromosome`, `base_pair_location`, `effect_allele`, `other_allele`, `beta`,
//! `standard_error`, `p_value`, `n`, `neg_log_10_p_value`, or `#NA` with the reason in a last
//! `note` column when the variant has no test.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::float_text::push_f64;
use super::MISSING;
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::merge::VariantResult;
use crate::pvalue;
use crate::regression::Outcome;
use crate::summary::Variant;

/// Column names in file order: GWAS-SSF's first six, then its p-value columns, and a note.
pub fn columns() -> Vec<&'static str> {
    let mut columns = super::gwas_ssf::COLUMNS[..6].to_vec();
    columns.extend(["p_value", "n", "neg_log_10_p_value", "note"]);
    columns
}

/// Appends a variant's `chromosome`, `base_pair_location`, `effect_allele` (ALT) and
/// `other_allele`, each followed by a tab.
pub(super) fn push_variant(text: &mut String, v: &Variant) {
    let _ = write!(
        text,
        "{}\t{}\t{}\t{}\t",
        v.chrom, v.pos, v.alt_allele, v.ref_allele
    );
}

/// Appends a fit's `beta`, `standard_error`, `p_value`, `n` and `neg_log_10_p_value`
/// (tab-separated, `#NA` for the numbers of a variant without a test).
pub(super) fn push_fit(text: &mut String, result: &VariantResult) {
    match result.outcome {
        Outcome::Tested(a) => {
            push_f64(text, a.beta);
            text.push('\t');
            push_f64(text, a.se);
            text.push('\t');
            pvalue::push_p_value(text, a.ln_p);
            let _ = write!(text, "\t{}\t", result.n);
            push_f64(text, pvalue::neg_log10_p(a.ln_p));
        }
        Outcome::Skipped(_) => {
            let _ = write!(
                text,
                "{MISSING}\t{MISSING}\t{MISSING}\t{}\t{MISSING}",
                result.n
            );
        }
    }
}

/// Writes the joint fit (under a temporary name, committed with the run's other files).
pub fn write(path: &Path, rows: &[(Variant, VariantResult)]) -> Result<AtomicFile> {
    let mut text = columns().join("\t");
    text.push('\n');
    for (v, result) in rows {
        push_variant(&mut text, v);
        push_fit(&mut text, result);
        match result.outcome {
            Outcome::Tested(_) => {
                let _ = writeln!(text, "\t{MISSING}");
            }
            Outcome::Skipped(reason) => {
                let _ = writeln!(text, "\t{}", reason.as_str());
            }
        }
    }
    let mut file = AtomicFile::create(path)?;
    file.write_all(text.as_bytes()).with_path(path)?;
    Ok(file)
}
