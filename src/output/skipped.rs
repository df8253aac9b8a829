//! The list of variants that got no test, and why (`PREFIX.<pheno>.skipped.tsv`).

use std::io::Write;
use std::path::Path;

use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::merge::{Merged, VariantResult};
use crate::regression::Outcome;

/// Header of the skipped list.
pub const COLUMNS: [&str; 8] = [
    "chromosome",
    "base_pair_location",
    "variant_id",
    "effect_allele",
    "other_allele",
    "n",
    "n_missing",
    "reason",
];

/// Reason for variants on contigs GWAS-SSF has no code for.
pub const NON_STANDARD_CHROMOSOME: &str = "non_standard_chromosome";

/// Writes every untested variant with its reason; returns the uncommitted file and the count.
pub fn write(path: &Path, merged: &Merged, results: &[VariantResult]) -> Result<(AtomicFile, u64)> {
    let mut file = AtomicFile::create(path)?;
    writeln!(file, "{}", COLUMNS.join("\t")).with_path(path)?;
    let mut count = 0;
    for (site, result) in merged.sites.iter().zip(results) {
        let v = merged.variant(site);
        let reason = match result.outcome {
            Outcome::Skipped(reason) => reason.as_str(),
            Outcome::Tested(_) if crate::chrom::gwas_ssf_code(&v.chrom).is_none() => {
                NON_STANDARD_CHROMOSOME
            }
            Outcome::Tested(_) => continue,
        };
        writeln!(
            file,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            v.chrom, v.pos, v.id, v.alt_allele, v.ref_allele, result.n, result.n_missing, reason
        )
        .with_path(path)?;
        count += 1;
    }
    Ok((file, count))
}
