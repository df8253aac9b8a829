//! The top loci table (`PREFIX.<pheno>.loci.tsv`): one row per locus of
//! [`crate::report::loci::clump`], most significant first; merge and `dash report` write the same
//! table. The chromosome is written as in GWAS-SSF (23 for X).

use std::io::Write;
use std::path::Path;

use super::float_text::push_f64;
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::report::loci::Locus;

/// Column names of `PREFIX.<pheno>.loci.tsv`.
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
    "variants",
    "start",
    "end",
];

/// The loci table as TSV text (missing values `#NA`).
pub fn text(loci: &[Locus]) -> String {
    use std::fmt::Write as _;
    let na = super::MISSING;
    let mut out = COLUMNS.join("\t");
    out.push('\n');
    for (k, locus) in loci.iter().enumerate() {
        let l = &locus.lead;
        let text = |s: &str| {
            if s.is_empty() {
                na.to_string()
            } else {
                s.to_string()
            }
        };
        let _ = write!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
            k + 1,
            crate::chrom::gwas_ssf_code(&l.chrom)
                .map_or_else(|| l.chrom.clone(), |c| c.to_string()),
            l.pos,
            text(&l.variant_id),
            text(&l.rsid),
            text(&l.effect_allele),
            text(&l.other_allele)
        );
        for v in [l.beta, l.se, l.neg_log10_p] {
            if v.is_nan() {
                out.push_str(na);
            } else {
                push_f64(&mut out, v);
            }
            out.push('\t');
        }
        let _ = writeln!(out, "{}\t{}\t{}", locus.variants, locus.start, locus.end);
    }
    out
}

/// Writes the loci; returns the uncommitted file.
pub fn write(path: &Path, loci: &[Locus]) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(text(loci).as_bytes()).with_path(path)?;
    Ok(file)
}
