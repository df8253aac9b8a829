//! `dash decode`: read and decode genotypes only, no math — the speed floor of compress.

use std::time::Instant;

use super::GenotypeSource;
use crate::compress::{default_block_size, pipeline};
use crate::error::Result;

/// What a decode run read.
#[derive(Debug, Clone)]
pub struct DecodeReport {
    /// Variants decoded.
    pub variants: u64,
    /// Samples per variant.
    pub samples: usize,
    /// Sum of every dosage (so the work cannot be skipped, and to compare formats).
    pub checksum: f64,
    /// Wall time.
    pub seconds: f64,
    /// The reader's notes (skipped alleles and why).
    pub notes: Vec<String>,
}

/// Reads and decodes every block of `source`.
pub fn decode(source: &GenotypeSource) -> Result<DecodeReport> {
    let started = Instant::now();
    let mut reader = source.open()?;
    let n = reader.samples().len();
    let block_size = source
        .block_size
        .unwrap_or_else(|| default_block_size(n, reader.delivers_packed()));
    let (mut variants, mut checksum) = (0u64, 0.0f64);
    pipeline::for_each_block(
        reader.as_mut(),
        block_size,
        |block| {
            block.finish_decoding();
            // Touch the decoded data so the work cannot be skipped.
            let sum: f64 = block.qc.iter().map(|q| q.dosage_sum).sum();
            (block.len() as u64, sum)
        },
        |(count, sum)| {
            variants += count;
            checksum += sum;
            Ok(())
        },
    )?;
    Ok(DecodeReport {
        variants,
        samples: n,
        checksum,
        seconds: started.elapsed().as_secs_f64(),
        notes: reader.notes(),
    })
}
