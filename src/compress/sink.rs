//! Where compress sends each block's sums: the one seam between summing and the file written.
//!
//! Summing is the same whatever is written ([`super::BlockSummer`]); what becomes of the rows is
//! a [`Sink`]'s business. A sink has two halves, because blocks are summed in the worker pool but
//! written in file order on one thread:
//!
//! * its [`Sink::Encoder`] turns one block's rows into what is written, in the pool, blocks in
//!   any order (shared, read-only);
//! * the sink itself takes the encoded blocks in file order and writes them.
//!
//! [`PlainSink`] writes the plaintext summary; the secure plug-in (`crate::secure::sink`) writes
//! a masked one. A new output mode is a new sink, not a new driver.

use std::path::Path;

use super::disclosure::{Screened, SuppressedList, VariantRules};
use super::ld::LdSums;
use crate::error::Result;
use crate::summary::{Header, Rows, SummaryWriter};

/// The output of a compress run; see the [module docs](self).
pub trait Sink {
    /// The read-only half that encodes blocks in the worker pool.
    type Encoder: Sync;
    /// One block as the sink writes it.
    type Block: Send;
    /// What the finished file holds, for the report.
    type Stats;
    /// The progress bar's label.
    const LABEL: &'static str;

    /// Encodes one block's rows (runs in the pool, blocks in any order).
    fn encode(encoder: &Self::Encoder, rows: Rows) -> Result<Self::Block>;

    /// Writes one encoded block; blocks come in file order. Returns the genotype variants the
    /// block covered (for progress).
    fn write(&mut self, block: Self::Block) -> Result<u64>;

    /// Completes the file and puts it in place.
    fn finish(self) -> Result<Self::Stats>;
}

/// Writes the plaintext summary: rows that pass the disclosure rules
/// ([`super::disclosure`]), and the party's local list of the variants left out.
pub struct PlainSink {
    writer: SummaryWriter,
    suppressed: SuppressedList,
    stats: PlainStats,
    /// The LD sums the region rows get ([`super::ld`]), and how many rows took theirs.
    ld: Option<(LdSums, u64)>,
}

/// What a plaintext compress wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlainStats {
    /// Variant rows in the summary.
    pub rows: u64,
    /// Variants left out by the disclosure rules (in `OUT.suppressed.tsv`).
    pub suppressed: u64,
    /// Rows whose few missing calls were imputed locally.
    pub imputed: u64,
}

impl PlainSink {
    /// Creates the summary file at `out` and the suppressed list beside it (both under temporary
    /// names until [`Sink::finish`]).
    pub fn create(out: &Path, header: &Header) -> Result<PlainSink> {
        Ok(PlainSink {
            writer: SummaryWriter::create(out, header)?,
            suppressed: SuppressedList::create(out)?,
            stats: PlainStats::default(),
            ld: None,
        })
    }

    /// Gives the rows of the LD regions their pairwise sums (the header must list the regions:
    /// they fixed the columns).
    pub fn with_ld(mut self, ld: LdSums) -> PlainSink {
        self.ld = Some((ld, 0));
        self
    }
}

impl Sink for PlainSink {
    type Encoder = VariantRules;
    type Block = Screened;
    type Stats = PlainStats;
    const LABEL: &'static str = "compress";

    fn encode(rules: &VariantRules, rows: Rows) -> Result<Screened> {
        Ok(rules.screen(rows))
    }

    fn write(&mut self, mut block: Screened) -> Result<u64> {
        if let Some((ld, attached)) = &mut self.ld {
            *attached += ld.attach(&mut block.rows);
        }
        self.writer.write(&block.rows)?;
        self.suppressed.write(&block.suppressed)?;
        self.stats.rows += block.rows.len() as u64;
        self.stats.suppressed += block.suppressed.len() as u64;
        self.stats.imputed += block.imputed;
        Ok((block.rows.len() + block.suppressed.len()) as u64)
    }

    /// Records the counts in the header's disclosure entry, puts the suppressed list and then
    /// the summary in place (the list is removed again if the summary fails).
    fn finish(mut self) -> Result<PlainStats> {
        if let Some((ld, attached)) = &self.ld {
            // Both passes screen the same calls with the same rules: a difference is a bug.
            assert_eq!(
                *attached,
                ld.expected_rows(),
                "every row with LD sums was written once"
            );
        }
        for component in &mut self.writer.header_mut().components {
            if let Some(disclosure) = &mut component.disclosure {
                disclosure.suppressed_variants = self.stats.suppressed;
                disclosure.locally_imputed_variants = self.stats.imputed;
            }
        }
        let list = self.suppressed.commit()?;
        if let Err(e) = self.writer.finish() {
            let _ = std::fs::remove_file(list);
            return Err(e);
        }
        Ok(self.stats)
    }
}
