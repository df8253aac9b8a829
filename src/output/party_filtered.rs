//! The accounting of the per-party filters (`PREFIX.party_filtered.tsv`): one line per party
//! left out of a variant, with the filter its own counts failed and how many parties still
//! hold the variant (0: the variant is not tested, and every skipped list gives it reason
//! `party_filters`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::merge::party_filter::PartyLeftOut;

/// Header of the list.
pub const COLUMNS: [&str; 8] = [
    "chromosome",
    "base_pair_location",
    "variant_id",
    "effect_allele",
    "other_allele",
    "party",
    "reason",
    "parties_left",
];

/// `PREFIX.party_filtered.tsv`.
pub fn path(prefix: &Path) -> PathBuf {
    PathBuf::from(format!("{}.party_filtered.tsv", prefix.display()))
}

/// Writes the list window by window of a merge.
pub struct PartyFilteredWriter {
    path: PathBuf,
    file: AtomicFile,
    /// Parties left out of a variant, and variants left with no party.
    left_out: u64,
    removed: u64,
}

impl PartyFilteredWriter {
    /// Creates the list (under a temporary name) with its header line.
    pub fn create(path: &Path) -> Result<PartyFilteredWriter> {
        let mut file = AtomicFile::create(path)?;
        writeln!(file, "{}", COLUMNS.join("\t")).with_path(path)?;
        Ok(PartyFilteredWriter {
            path: path.to_path_buf(),
            file,
            left_out: 0,
            removed: 0,
        })
    }

    /// Appends one window's parties left out, in site order.
    pub fn append(&mut self, left_out: &[PartyLeftOut]) -> Result<()> {
        for (i, l) in left_out.iter().enumerate() {
            let v = &l.variant;
            writeln!(
                self.file,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                v.chrom,
                v.pos,
                v.id,
                v.alt_allele,
                v.ref_allele,
                l.party,
                l.reason.as_str(),
                l.parties_left
            )
            .with_path(&self.path)?;
            self.left_out += 1;
            // The parties left out of one variant are consecutive: count it once.
            let first_of_variant = i == 0 || left_out[i - 1].variant != l.variant;
            if l.parties_left == 0 && first_of_variant {
                self.removed += 1;
            }
        }
        Ok(())
    }

    /// The uncommitted file and the log line saying what it holds.
    pub fn finish(self) -> (AtomicFile, String) {
        let line = format!(
            "per-party QC: {} party-variant pairs left out, {} variants held by no party after it (skipped, reason party_filters) → {}",
            self.left_out,
            self.removed,
            self.path.display()
        );
        (self.file, line)
    }
}
