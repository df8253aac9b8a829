//! The phenotype table (`PREFIX.phenotypes.tsv`): one row per phenotype of a merge, in merge
//! order, with what a PheWAS-scale run is scanned for first — how many variants were tested and
//! skipped, how many reached p < 5e-8, the smallest p and λGC.
//!
//! The counts cover every tested variant of the phenotype's GWAS-SSF file as a merge without
//! `--pheno-out-min-log10p` writes it (that option thins the files, not this table). The p-value
//! is written as in GWAS-SSF (from its logarithm, so `3.2e-412` appears as such); a phenotype
//! with no tested variant has `#NA` for the smallest p and λGC.
//!
//! ```
//! use dash::output::phenotypes::{text, PhenotypeTally};
//!
//! let tally = PhenotypeTally {
//!     phenotype: "y1".to_string(),
//!     tested: 3,
//!     skipped: 1,
//!     hits: 0,
//!     min_ln_p: Some(0.05f64.ln()),
//!     lambda_gc: Some(1.02),
//! };
//! let table = text(&[tally]);
//! assert!(table.starts_with("phenotype\ttested\tskipped\thits\tp_value\tneg_log_10_p_value\tlambda_gc\n"));
//! let row = table.lines().nth(1).unwrap();
//! assert!(row.starts_with("y1\t3\t1\t0\t5e-2\t1.30102999566398"), "{row}");
//! assert!(row.ends_with("\t1.02"));
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use super::float_text::{push_f64, push_u64};
use super::MISSING;
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::pvalue;

/// Column names of `PREFIX.phenotypes.tsv`: `hits` counts variants at p < 5e-8, `p_value` and
/// `neg_log_10_p_value` are the smallest p.
pub const COLUMNS: [&str; 7] = [
    "phenotype",
    "tested",
    "skipped",
    "hits",
    "p_value",
    "neg_log_10_p_value",
    "lambda_gc",
];

/// One phenotype's row.
#[derive(Debug, Clone, PartialEq)]
pub struct PhenotypeTally {
    /// The phenotype's name.
    pub phenotype: String,
    /// Variants tested (rows of its full GWAS-SSF file).
    pub tested: u64,
    /// Variants in its skipped list.
    pub skipped: u64,
    /// Tested variants with p < 5e-8.
    pub hits: u64,
    /// ln of the smallest p, when any variant was tested.
    pub min_ln_p: Option<f64>,
    /// λGC over the tested variants, when any.
    pub lambda_gc: Option<f64>,
}

/// `PREFIX.phenotypes.tsv`.
pub fn path(prefix: &Path) -> PathBuf {
    PathBuf::from(format!("{}.phenotypes.tsv", prefix.to_string_lossy()))
}

/// The table as TSV text.
pub fn text(tallies: &[PhenotypeTally]) -> String {
    let mut out = COLUMNS.join("\t");
    out.push('\n');
    for tally in tallies {
        out.push_str(&tally.phenotype);
        for count in [tally.tested, tally.skipped, tally.hits] {
            out.push('\t');
            push_u64(&mut out, count);
        }
        out.push('\t');
        match tally.min_ln_p {
            Some(ln_p) => {
                pvalue::push_p_value(&mut out, ln_p);
                out.push('\t');
                push_f64(&mut out, pvalue::neg_log10_p(ln_p));
            }
            None => {
                out.push_str(MISSING);
                out.push('\t');
                out.push_str(MISSING);
            }
        }
        out.push('\t');
        match tally.lambda_gc {
            Some(lambda) => push_f64(&mut out, lambda),
            None => out.push_str(MISSING),
        }
        out.push('\n');
    }
    out
}

/// Writes the table under `prefix`; returns the uncommitted file.
pub fn write(prefix: &Path, tallies: &[PhenotypeTally]) -> Result<AtomicFile> {
    let path = path(prefix);
    let mut file = AtomicFile::create(&path)?;
    file.write_all(text(tallies).as_bytes()).with_path(&path)?;
    Ok(file)
}
