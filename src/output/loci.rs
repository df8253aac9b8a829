//! The top loci table (`PREFIX.<pheno>.loci.tsv`): one row per locus of
//! [`crate::report::loci::clump`], most significant first.

use std::io::Write;
use std::path::Path;

use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::report::loci::Locus;

/// Header of the table.
pub const COLUMNS: [&str; 13] = [
    "locus",
    "chromosome",
    "base_pair_location",
    "variant_id",
    "rsid",
    "effect_allele",
    "other_allele",
    "beta",
    "standard_error",
    "neg_log_10_p_value",
    "start",
    "end",
    "variants",
];

/// Writes the loci; returns the uncommitted file.
pub fn write(path: &Path, loci: &[Locus]) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    let mut text = COLUMNS.join("\t");
    text.push('\n');
    for (number, locus) in loci.iter().enumerate() {
        let lead = &locus.lead;
        let chrom = crate::chrom::gwas_ssf_code(&lead.chrom)
            .map_or_else(|| lead.chrom.clone(), |code| code.to_string());
        text.push_str(&format!(
            "{}\t{chrom}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            number + 1,
            lead.pos,
            lead.variant_id,
            lead.rsid,
            lead.effect_allele,
            lead.other_allele,
            lead.beta,
            lead.se,
            lead.neg_log10_p,
            locus.start,
            locus.end,
            locus.variants
        ));
    }
    file.write_all(text.as_bytes()).with_path(path)?;
    Ok(file)
}
