//! The list of variants that got no test, and why (`PREFIX.<pheno>.skipped.tsv`).

use std::path::Path;

use super::table::TableFile;
use crate::atomic_file::AtomicFile;
use crate::error::Result;
use crate::merge::{Merged, VariantResult};
use crate::regression::{Outcome, SkipReason};
use crate::summary::Variant;

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

/// Writes every untested variant with its reason, window by window of a merge.
pub struct SkippedWriter {
    table: TableFile,
}

impl SkippedWriter {
    /// Creates the list (under a temporary name) with its header line.
    pub fn create(path: &Path) -> Result<SkippedWriter> {
        Ok(SkippedWriter {
            table: TableFile::create(path, &COLUMNS)?,
        })
    }

    /// Appends the untested variants among the sites of one window (`results` one per site),
    /// with the window's variants that the per-party filters left with no party
    /// ([`Merged::party_removed`]) in their place in genomic order.
    pub fn append(&mut self, merged: &Merged, results: &[VariantResult]) -> Result<()> {
        let mut removed = merged.party_removed.iter().peekable();
        for (site, result) in merged.sites.iter().zip(results) {
            let v = merged.variant(site);
            while let Some(r) = removed.next_if(|r| genomic_key(r) <= genomic_key(v)) {
                self.write(r, 0, 0.0, SkipReason::PartyFilters.as_str())?;
            }
            let reason = match result.outcome {
                Outcome::Skipped(reason) => reason.as_str(),
                Outcome::Tested(_) if crate::chrom::gwas_ssf_code(&v.chrom).is_none() => {
                    NON_STANDARD_CHROMOSOME
                }
                Outcome::Tested(_) => continue,
            };
            self.write(v, result.n, result.n_missing, reason)?;
        }
        for r in removed {
            self.write(r, 0, 0.0, SkipReason::PartyFilters.as_str())?;
        }
        Ok(())
    }

    /// An empty part of the list, in memory, for [`SkippedWriter::absorb`].
    pub fn part(&self) -> SkippedWriter {
        SkippedWriter {
            table: self.table.part(),
        }
    }

    /// Appends the lines of `part` (from [`SkippedWriter::part`]).
    pub fn absorb(&mut self, part: SkippedWriter) -> Result<()> {
        self.table.absorb(part.table)
    }

    /// One line of the list.
    fn write(&mut self, v: &Variant, n: u64, n_missing: f64, reason: &str) -> Result<()> {
        self.table.write_line(format_args!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            v.chrom, v.pos, v.id, v.alt_allele, v.ref_allele, n, n_missing, reason
        ))
    }

    /// The uncommitted file and the number of variants listed.
    pub fn finish(self) -> (AtomicFile, u64) {
        self.table.finish()
    }
}

/// The genomic order of variants (chromosome, then position), in which sites come.
fn genomic_key(v: &Variant) -> ((u32, &str), u64) {
    (crate::chrom::order(&v.chrom), v.pos)
}
