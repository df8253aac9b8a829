//! Putting a writer's rows in genomic order with bounded memory.
//!
//! Compress meets rows in its source's order: a VCF is sorted within each contig but its contigs
//! may come in another order than [`crate::chrom::order`] (`chr1, chr10, chr2`), the ALTs of one
//! position may come in any order, and a PLINK `.bim` may be in any order at all. The writer
//! keeps up to [`SORT_ROWS`] rows, sorts them, and writes all but those of the last position
//! (which may continue in the next rows) to the current *run*: a sequence of rows in order. The
//! first run is the summary file itself, so a source in order (the usual case) is written once,
//! straight through. Rows that would come before the run's last row start a new run in a
//! temporary file beside the output; at the end, when there is more than one run, the runs are
//! merged (k-way, a small batch of each in memory) into a fresh summary file. Memory is
//! O([`SORT_ROWS`] + runs × [`MERGE_BATCH_ROWS`]) rows, never O(variants).
//!
//! Held rows that are already in order (a sorted source) go out as soon as there are
//! [`STREAM_ROWS`] of them, without waiting for [`SORT_ROWS`]: sorting them could not change
//! their order, and writing them while the source is still being summed leaves at most a row
//! group to encode after the last block, instead of up to four (a fifth of a 20,000-variant,
//! 100-phenotype compress was that tail, on one core). A source out of order keeps the whole
//! buffer to sort in, so it makes no more runs than before.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use parquet::arrow::ArrowWriter;

use super::{order, Rows, Variant};
use crate::atomic_file::AtomicFile;

/// Rows held before the sorted ones are written: one row group.
pub const SORT_ROWS: usize = 65_536;

/// Rows held before they are written when they are already in order: one row group of the
/// summary.
pub const STREAM_ROWS: usize = super::write::ROW_GROUP_SIZE;

/// Rows per batch read from each run while merging runs.
pub const MERGE_BATCH_ROWS: usize = 1_024;

/// The order in which a writer's rows go out, and its runs after the first.
pub(crate) struct Sorter {
    /// Rows held before some are written ([`SORT_ROWS`]; fewer in tests).
    pub capacity: usize,
    /// Rows not yet in any run.
    pending: Option<Rows>,
    /// Whether the rows of `pending` are in genomic order (then [`STREAM_ROWS`] of them are
    /// enough to write).
    pending_in_order: bool,
    /// The last row written to the current run.
    last: Option<Variant>,
    /// Runs after the first (which is the output itself), each a Parquet file of its own.
    pub spills: Vec<ArrowWriter<AtomicFile>>,
}

/// Where [`Sorter::take_sorted`]'s rows go.
pub(crate) enum Destination {
    /// The current run: the output, or the last spill.
    Current,
    /// A new run, to be opened first.
    NewRun,
}

impl Default for Sorter {
    fn default() -> Sorter {
        Sorter {
            capacity: SORT_ROWS,
            pending: None,
            pending_in_order: true,
            last: None,
            spills: Vec::new(),
        }
    }
}

impl Sorter {
    /// Adds rows.
    pub fn push(&mut self, rows: &Rows) {
        let pending = self.pending.get_or_insert_with(|| rows.empty_like());
        let follows = match (pending.variants.last(), rows.variants.first()) {
            (Some(last), Some(first)) => order::genomic(last, first).is_le(),
            _ => true,
        };
        self.pending_in_order &= follows && is_in_order(rows);
        if pending.is_empty() {
            *pending = rows.clone();
        } else {
            pending.append(&mut rows.clone());
        }
    }

    /// Rows held, not yet written.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.pending.as_ref().map_or(0, Rows::len)
    }

    /// Whether enough rows are held to write some.
    pub fn is_full(&self) -> bool {
        let enough = match self.pending_in_order {
            true => self.capacity.min(STREAM_ROWS),
            false => self.capacity,
        };
        self.pending.as_ref().is_some_and(|p| p.len() >= enough)
    }

    /// The held rows sorted, but for those of the last position unless `all` (they may continue
    /// in rows not yet pushed), and where they go. `None` when there is nothing to write.
    pub fn take_sorted(&mut self, all: bool) -> Option<(Rows, Destination)> {
        let pending = self.pending.as_mut()?;
        if pending.is_empty() {
            return None;
        }
        // Rows known to be in order (checked as they were pushed) are not checked again.
        if !self.pending_in_order {
            sort_rows(pending);
        }
        let mut count = pending.len();
        if !all {
            let last = &pending.variants[count - 1];
            let first_of_last = pending
                .variants
                .partition_point(|v| order::position(v, last).is_lt());
            // A buffer of one position only (a crafted source) is written whole.
            if first_of_last > 0 {
                count = first_of_last;
            }
        }
        let rows = pending.take_front(count);
        // What stays (one position's rows, or none) is in order now.
        self.pending_in_order = true;
        let destination = match &self.last {
            Some(last) if order::genomic(last, &rows.variants[0]).is_gt() => Destination::NewRun,
            _ => Destination::Current,
        };
        self.last = rows.variants.last().cloned();
        Some((rows, destination))
    }
}

/// Sorts rows into genomic order (stably: rows of one key keep their order).
pub fn sort_rows(rows: &mut Rows) {
    if is_in_order(rows) {
        return;
    }
    let mut indices: Vec<usize> = (0..rows.len()).collect();
    indices.sort_by(|&a, &b| order::genomic(&rows.variants[a], &rows.variants[b]));
    let mut sorted = rows.empty_like();
    for i in indices {
        sorted.push_row(rows, i);
    }
    *rows = sorted;
}

/// Whether `rows` are in genomic order already.
fn is_in_order(rows: &Rows) -> bool {
    rows.variants
        .is_sorted_by(|a, b| order::genomic(a, b).is_le())
}

/// The head row of one run during the k-way merge: ordered so that a max-heap pops the smallest
/// row, runs in run order on ties (so the merge is stable).
pub(crate) struct Head {
    pub variant: Variant,
    pub run: usize,
}

impl Ord for Head {
    fn cmp(&self, other: &Head) -> Ordering {
        order::genomic(&other.variant, &self.variant).then(other.run.cmp(&self.run))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Head) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Head {}

/// A heap of run heads.
pub(crate) type Heads = BinaryHeap<Head>;
