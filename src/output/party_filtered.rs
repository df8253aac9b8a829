//! The accounting of the per-party filters (`PREFIX.party_filtered.tsv`): one line per party
//! left out of a variant, with the filter its own counts failed and how many parties still
//! hold the variant (0: the variant is not tested, and every skipped list gives it reason
//! `party_filters`).

use std::path::{Path, PathBuf};

use super::table::TableFile;
use crate::atomic_file::AtomicFile;
use crate::error::Result;
use crate::merge::party_filter::PartyLeftOut;

/// The columns after the variant's (the first five of [`super::skipped::COLUMNS`]).
pub const PARTY_COLUMNS: [&str; 3] = ["party", "reason", "parties_left"];

/// Header of the list: the variant as the skipped lists give it, then [`PARTY_COLUMNS`].
pub fn columns() -> Vec<&'static str> {
    [&super::skipped::COLUMNS[..5], &PARTY_COLUMNS[..]].concat()
}

/// `PREFIX.party_filtered.tsv`.
pub fn path(prefix: &Path) -> PathBuf {
    PathBuf::from(format!("{}.party_filtered.tsv", prefix.display()))
}

/// Writes the list window by window of a merge.
pub struct PartyFilteredWriter {
    table: TableFile,
    /// Variants left with no party.
    removed: u64,
}

impl PartyFilteredWriter {
    /// Creates the list (under a temporary name) with its header line.
    pub fn create(path: &Path) -> Result<PartyFilteredWriter> {
        Ok(PartyFilteredWriter {
            table: TableFile::create(path, &columns())?,
            removed: 0,
        })
    }

    /// Appends one window's parties left out, in site order.
    pub fn append(&mut self, left_out: &[PartyLeftOut]) -> Result<()> {
        for (i, l) in left_out.iter().enumerate() {
            let v = &l.variant;
            self.table.write_line(format_args!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                v.chrom,
                v.pos,
                v.id,
                v.alt_allele,
                v.ref_allele,
                l.party,
                l.reason.as_str(),
                l.parties_left
            ))?;
            // The parties left out of one variant are consecutive: count it once.
            let first_of_variant = i == 0 || left_out[i - 1].variant != l.variant;
            if l.parties_left == 0 && first_of_variant {
                self.removed += 1;
            }
        }
        Ok(())
    }

    /// An empty part of the list, in memory, for [`PartyFilteredWriter::absorb`].
    pub fn part(&self) -> PartyFilteredWriter {
        PartyFilteredWriter {
            table: self.table.part(),
            removed: 0,
        }
    }

    /// Appends the lines of `part` (from [`PartyFilteredWriter::part`]).
    pub fn absorb(&mut self, part: PartyFilteredWriter) -> Result<()> {
        self.removed += part.removed;
        self.table.absorb(part.table)
    }

    /// The uncommitted file and the log line saying what it holds.
    pub fn finish(self) -> (AtomicFile, String) {
        let path = self.table.path().display().to_string();
        let (file, left_out) = self.table.finish();
        let line = format!(
            "per-party QC: {left_out} party-variant pairs left out, {} variants held by no party after it (skipped, reason party_filters) → {path}",
            self.removed,
        );
        (file, line)
    }
}
