//! GWAS-SSF summary statistics (the GWAS Catalog standard), BGZF-compressed.
//!
//! Columns, in order: the eight mandatory ones, then the optional ones dash knows. Rows come
//! sorted by chromosome and position, so `tabix -s1 -b2 -e2 -S1` indexes the file. Missing values
//! are `#NA`. The p-value is written from its logarithm, so `3.2e-412` appears as such.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use noodles_bgzf::io::writer::CompressionLevel;

use super::MISSING;
use crate::atomic_file::AtomicFile;
use crate::chrom;
use crate::error::{IoResultExt, Result};
use crate::merge::{Merged, VariantResult};
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
    merged: &Merged,
    results: &[VariantResult],
) -> Result<(AtomicFile, Written)> {
    let file = AtomicFile::create(path)?;
    // The fastest level: summary statistics compress well anyway, and the default level took
    // a fifth of merge time.
    let mut writer = noodles_bgzf::io::writer::Builder::default()
        .set_compression_level(CompressionLevel::FAST)
        .build_from_writer(file);
    let mut written = Written::default();
    let mut line = String::with_capacity(1 << 16);
    line.push_str(&COLUMNS.join("\t"));
    line.push('\n');
    for (site, result) in merged.sites.iter().zip(results) {
        let Outcome::Tested(association) = result.outcome else {
            continue;
        };
        let v = merged.variant(site);
        let Some(code) = chrom::gwas_ssf_code(&v.chrom) else {
            continue;
        };
        let rsid = if is_rsid(&v.id) {
            v.id.as_str()
        } else {
            MISSING
        };
        // Written field by field into one buffer: no String per value. `{:?}` is the shortest
        // text that reads back to the same f64.
        let _ = write!(
            line,
            "{code}\t{pos}\t{alt}\t{reference}\t{beta:?}\t{se:?}\t",
            pos = v.pos,
            alt = v.alt_allele,
            reference = v.ref_allele,
            beta = association.beta,
            se = association.se,
        );
        if result.eaf.is_finite() {
            let _ = write!(line, "{:?}", result.eaf);
        } else {
            line.push_str(MISSING);
        }
        let _ = writeln!(
            line,
            "\t{p}\t{code}_{pos}_{reference}_{alt}\t{rsid}\t{n}\t{t:?}\t{neg_log10:?}",
            p = pvalue::format_p_value(association.ln_p),
            pos = v.pos,
            reference = v.ref_allele,
            alt = v.alt_allele,
            n = result.n,
            t = association.t,
            neg_log10 = pvalue::neg_log10_p(association.ln_p),
        );
        written.rows += 1;
        written.max_n = written.max_n.max(result.n);
        if line.len() > 60_000 {
            writer.write_all(line.as_bytes()).with_path(path)?;
            line.clear();
        }
    }
    writer.write_all(line.as_bytes()).with_path(path)?;
    let file = writer.finish().with_path(path)?;
    Ok((file, written))
}

/// Whether an id is a dbSNP rsID (`rs` and digits).
pub fn is_rsid(id: &str) -> bool {
    id.len() > 2 && id.starts_with("rs") && id[2..].bytes().all(|b| b.is_ascii_digit())
}
