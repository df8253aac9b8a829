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

/// Writes rows as they are: the plaintext summary.
pub struct PlainSink {
    writer: SummaryWriter,
    rows: u64,
}

impl PlainSink {
    /// Creates the summary file at `out` (under a temporary name until [`Sink::finish`]).
    pub fn create(out: &Path, header: &Header) -> Result<PlainSink> {
        Ok(PlainSink {
            writer: SummaryWriter::create(out, header)?,
            rows: 0,
        })
    }
}

impl Sink for PlainSink {
    type Encoder = ();
    type Block = Rows;
    type Stats = u64;
    const LABEL: &'static str = "compress";

    fn encode(_: &(), rows: Rows) -> Result<Rows> {
        Ok(rows)
    }

    fn write(&mut self, rows: Rows) -> Result<u64> {
        self.writer.write(&rows)?;
        self.rows += rows.len() as u64;
        Ok(rows.len() as u64)
    }

    /// Returns the rows written.
    fn finish(self) -> Result<u64> {
        self.writer.finish()?;
        Ok(self.rows)
    }
}
