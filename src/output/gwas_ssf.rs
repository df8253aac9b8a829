//! GWAS-SSF summary statistics (the GWAS Catalog standard), BGZF-compressed.
//!
//! Columns, in order: the eight mandatory ones, then the optional ones dash knows. Rows come
//! sorted by chromosome and position, so `tabix -s1 -b2 -e2 -S1` indexes the file. Missing values
//! are `#NA`. The p-value is written from its logarithm, so `3.2e-412` appears as such.

use std::io::Write;
use std::path::Path;

use super::{format_f64, MISSING};
use crate::atomic_file::AtomicFile;
use crate::chrom;
use crate::error::{IoResultExt, Result};
use crate::merge::{Site, VariantResult};
use crate::pvalue;
use crate::regression::Outcome;

/// Column names in file order.
pub const COLUMNS: [&str; 13] = [
    "chromosome",
    "base_pair_location",
    "effect_allele",
    "other_allele",
    "beta",
    "standard_error",
    "effect_allele_frequency",
    "p_value",
    "variant_id",
    "rsid",
    "n",
    "t_statistic",
    "neg_log_10_p_value",
];

/// What a written GWAS-SSF file holds, for its metadata.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Rows written (tested variants).
    pub rows: u64,
    /// Largest n among the rows.
    pub max_n: u64,
}

/// Writes the tested variants of one phenotype; returns the uncommitted file and counts.
pub fn write(
    path: &Path,
    sites: &[Site],
    results: &[VariantResult],
) -> Result<(AtomicFile, Written)> {
    let file = AtomicFile::create(path)?;
    let mut writer = noodles_bgzf::io::Writer::new(file);
    let mut written = Written::default();
    let mut line = String::with_capacity(256);
    line.push_str(&COLUMNS.join("\t"));
    line.push('\n');
    writer.write_all(line.as_bytes()).with_path(path)?;
    for (site, result) in sites.iter().zip(results) {
        let Outcome::Tested(association) = result.outcome else {
            continue;
        };
        let v = &site.variant;
        let Some(code) = chrom::gwas_ssf_code(&v.chrom) else {
            continue;
        };
        line.clear();
        let rsid = if is_rsid(&v.id) {
            v.id.as_str()
        } else {
            MISSING
        };
        let eaf = if result.eaf.is_finite() {
            format_f64(result.eaf)
        } else {
            MISSING.to_string()
        };
        let fields = [
            code.to_string(),
            v.pos.to_string(),
            v.alt_allele.clone(),
            v.ref_allele.clone(),
            format_f64(association.beta),
            format_f64(association.se),
            eaf,
            pvalue::format_p_value(association.ln_p),
            format!("{}_{}_{}_{}", code, v.pos, v.ref_allele, v.alt_allele),
            rsid.to_string(),
            result.n.to_string(),
            format_f64(association.t),
            format_f64(pvalue::neg_log10_p(association.ln_p)),
        ];
        line.push_str(&fields.join("\t"));
        line.push('\n');
        writer.write_all(line.as_bytes()).with_path(path)?;
        written.rows += 1;
        written.max_n = written.max_n.max(result.n);
    }
    let file = writer.finish().with_path(path)?;
    Ok((file, written))
}

/// Whether an id is a dbSNP rsID (`rs` and digits).
pub fn is_rsid(id: &str) -> bool {
    id.len() > 2 && id.starts_with("rs") && id[2..].bytes().all(|b| b.is_ascii_digit())
}
