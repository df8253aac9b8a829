//! The inputs of a merge read in genomic order, a window at a time (a k-way merge).
//!
//! Every input's rows come in genomic order ([`crate::summary::order`]). Each input holds a few
//! batches of rows; a window takes, from every input, the rows before the *bound*: the earliest
//! position among the last rows the inputs still reading hold. No input can have more rows
//! before the bound, so every variant's rows (of any orientation: the join groups by position)
//! are in the same window, and windows come in genomic order. Memory is O(inputs × window),
//! never O(variants).

use rayon::prelude::*;

use crate::error::Result;
use crate::summary::order::position_of;
use crate::summary::stream::{RowStream, BATCH_ROWS};
use crate::summary::Rows;

/// Rows of all inputs together a window aims at: the window of one input is this divided
/// among the inputs (at least [`MIN_INPUT_ROWS`]), read in batches of at most that many rows.
///
/// Peak memory is about three windows (one being read, one queued, one being tested) at roughly
/// 550 bytes per row each, so this sets it: 2^16 rows keep a merge near 200 MiB whatever the
/// number of inputs, where 2^18 took 550 MiB at 6 inputs and no less CPU time (issue 12).
pub const WINDOW_ROWS: usize = 1 << 16;

/// The fewest rows an input holds per window: below this, the per-window work (the join, the
/// parallel loops' start, one Parquet batch per input) would start to show.
pub const MIN_INPUT_ROWS: usize = 1024;

/// Where an input's rows come from, batch by batch in genomic order.
pub trait RowSource: Send {
    /// The next batch; `None` at the end.
    fn next_rows(&mut self) -> Result<Option<Rows>>;

    /// Reads batches of (about) `rows` rows from now on.
    fn set_batch_rows(&mut self, rows: usize);

    /// Appends the next batch to `into`; false at the end.
    fn read_into(&mut self, into: &mut Rows) -> Result<bool> {
        match self.next_rows()? {
            Some(mut rows) => {
                into.append(&mut rows);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl RowSource for RowStream {
    fn next_rows(&mut self) -> Result<Option<Rows>> {
        RowStream::next_rows(self)
    }

    fn read_into(&mut self, into: &mut Rows) -> Result<bool> {
        RowStream::read_into(self, into)
    }

    fn set_batch_rows(&mut self, rows: usize) {
        RowStream::set_batch_rows(self, rows);
    }
}

/// One input: its source and the rows read but not yet in a window.
struct Input {
    source: Box<dyn RowSource>,
    held: Rows,
    done: bool,
}

impl Input {
    /// Reads one more batch (decoded straight into the held rows, not copied there); false at
    /// the end.
    fn read(&mut self) -> Result<bool> {
        let more = self.source.read_into(&mut self.held)?;
        self.done = !more;
        Ok(more)
    }

    /// Reads until it holds `rows` rows or its source ends.
    fn fill(&mut self, rows: usize) -> Result<()> {
        while !self.done && self.held.len() < rows {
            self.read()?;
        }
        Ok(())
    }

    /// The position of its last held row, while its source has more.
    fn bound(&self) -> Option<(&str, u64)> {
        if self.done {
            return None;
        }
        let last = self.held.variants.last()?;
        Some((last.chrom.as_str(), last.pos))
    }
}

/// The windows of a set of inputs; see the [module docs](self).
pub struct Windows {
    inputs: Vec<Input>,
    /// Rows each input holds before a window is cut.
    per_input: usize,
    /// Rows per batch read.
    batch_rows: usize,
    /// Whether a window was given (an empty merge still gets one, empty).
    started: bool,
}

impl Windows {
    /// Windows over `sources` (one per input, in argument order); `widths` are each input's
    /// group widths. `per_input` (rows each input holds before a window is cut; default
    /// [`WINDOW_ROWS`] shared among the inputs, at least [`MIN_INPUT_ROWS`]) also sets the batch
    /// size when smaller than a batch, so that the window, not the batch, bounds memory however
    /// many inputs there are.
    pub fn new(
        mut sources: Vec<Box<dyn RowSource>>,
        widths: &[Vec<usize>],
        per_input: Option<usize>,
    ) -> Windows {
        let per_input = match per_input {
            Some(rows) => rows.max(1),
            None => (WINDOW_ROWS / sources.len().max(1)).max(MIN_INPUT_ROWS),
        };
        let batch_rows = per_input.min(BATCH_ROWS);
        for source in &mut sources {
            source.set_batch_rows(batch_rows);
        }
        let inputs = sources
            .into_iter()
            .zip(widths)
            .map(|(source, widths)| Input {
                source,
                held: Rows::with_widths(widths.iter().copied()),
                done: false,
            })
            .collect();
        Windows {
            inputs,
            per_input,
            batch_rows,
            started: false,
        }
    }

    /// The next window: per input, its rows in the window; `None` after the last.
    pub fn next_window(&mut self) -> Result<Option<Vec<Rows>>> {
        let per_input = self.per_input;
        first_error(
            self.inputs
                .par_iter_mut()
                .map(|input| input.fill(per_input))
                .collect(),
        )?;
        loop {
            let bound = self
                .inputs
                .iter()
                .filter_map(Input::bound)
                .min_by(|a, b| position_of(a.0, a.1, b.0, b.1));
            let cuts: Vec<usize> = self
                .inputs
                .iter()
                .map(|input| match bound {
                    None => input.held.len(),
                    Some((chrom, pos)) => input
                        .held
                        .variants
                        .partition_point(|v| position_of(&v.chrom, v.pos, chrom, pos).is_lt()),
                })
                .collect();
            if cuts.iter().all(|&c| c == 0) {
                let Some((chrom, pos)) = bound else {
                    // Every input is read to its end and nothing is held.
                    if self.started {
                        return Ok(None);
                    }
                    break;
                };
                // Every held row is at the bound or after: read on in the inputs whose last
                // row is at the bound, until one has a row past it.
                let (chrom, pos) = (chrom.to_string(), pos);
                for input in &mut self.inputs {
                    if input.bound() == Some((chrom.as_str(), pos)) {
                        input.read()?;
                    }
                }
                continue;
            }
            self.started = true;
            return Ok(Some(
                self.inputs
                    .iter_mut()
                    .zip(cuts)
                    .map(|(input, cut)| {
                        let window = input.held.take_front(cut);
                        // The rows left are few (those at or past the bound): room for the next
                        // window's batches now spares growing them batch by batch.
                        input.held.reserve(self.per_input + self.batch_rows);
                        window
                    })
                    .collect(),
            ));
        }
        self.started = true;
        Ok(Some(
            self.inputs.iter().map(|i| i.held.empty_like()).collect(),
        ))
    }
}

/// The first error of per-input results, in input order (not in the order threads met them).
fn first_error(results: Vec<Result<()>>) -> Result<()> {
    results.into_iter().collect()
}
