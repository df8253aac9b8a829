//! The inputs of a merge read in genomic order, a window at a time (a k-way merge).
//!
//! Every input's rows come in genomic order ([`crate::summary::order`]). Each input holds a few
//! batches of rows; a window takes, from every input, the rows before the *bound*: the earliest
//! position among the last rows the inputs still reading hold. No input can have more rows
//! before the bound, so every variant's rows (of any orientation: the join groups by position)
//! are in the same window, and windows come in genomic order. Memory is O(inputs × window),
//! never O(variants).

use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use crate::error::Result;
use crate::summary::order::position_of;
use crate::summary::segment::SegmentRead;
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

/// Rows each of `inputs` inputs holds per window by default: [`WINDOW_ROWS`] shared among them,
/// at least [`MIN_INPUT_ROWS`].
pub fn default_input_rows(inputs: usize) -> usize {
    (WINDOW_ROWS / inputs.max(1)).max(MIN_INPUT_ROWS)
}

/// Rows per batch read when each input holds `per_input` rows per window.
pub fn batch_rows(per_input: usize) -> usize {
    per_input.min(BATCH_ROWS)
}

/// Where an input's rows come from, batch by batch in genomic order.
pub trait RowSource: Send {
    /// The next batch; `None` at the end.
    fn next_rows(&mut self) -> Result<Option<Rows>>;

    /// Reads batches of (about) `rows` rows from now on.
    fn set_batch_rows(&mut self, rows: usize);

    /// The summary stream this is, if it is one (a merge can then split it into segments).
    fn as_stream(&self) -> Option<&RowStream> {
        None
    }

    /// What a segment's read decoded and kept ([`RowStream::segment`]); `None` for other reads.
    fn take_segment_read(&mut self) -> Option<SegmentRead> {
        None
    }

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

    fn as_stream(&self) -> Option<&RowStream> {
        Some(self)
    }

    fn take_segment_read(&mut self) -> Option<SegmentRead> {
        RowStream::take_segment_read(self)
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

/// Windows handed back once used, whose memory the next windows are read into.
///
/// A window of 20 inputs is some 25 MiB of rows. Read into fresh memory each time, the merge
/// held 350–360 MiB at 20 parties × 500 k variants; reading into the memory of windows already
/// written, 265–277 MiB, with 30 % fewer last-level cache misses in `cachegrind` (issue 12;
/// the wall time did not change beyond the noise).
#[derive(Clone)]
pub struct Recycler {
    /// Per input, emptied rows with their room.
    spare: Arc<Mutex<Vec<Vec<Rows>>>>,
}

impl Recycler {
    /// Hands back a window (one [`Rows`] per input, as [`Windows::next_window`] gave it). Its
    /// rows are dropped here, on the caller's thread.
    pub fn give_back(&self, window: Vec<Rows>) {
        let emptied: Vec<Rows> = window
            .into_iter()
            .map(|mut rows| {
                rows.clear();
                rows
            })
            .collect();
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        for (kept, rows) in spare.iter_mut().zip(emptied) {
            kept.push(rows);
        }
    }

    /// Emptied rows of input `input`, if any were handed back.
    fn take(&self, input: usize) -> Option<Rows> {
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        spare.get_mut(input)?.pop()
    }
}

/// The windows of a set of inputs; see the [module docs](self).
pub struct Windows {
    inputs: Vec<Input>,
    /// Used windows, handed back.
    recycler: Recycler,
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
            None => default_input_rows(sources.len()),
        };
        let batch_rows = batch_rows(per_input);
        for source in &mut sources {
            source.set_batch_rows(batch_rows);
        }
        let inputs: Vec<Input> = sources
            .into_iter()
            .zip(widths)
            .map(|(source, widths)| Input {
                source,
                held: Rows::with_widths(widths.iter().copied()),
                done: false,
            })
            .collect();
        Windows {
            recycler: Recycler {
                spare: Arc::new(Mutex::new(vec![Vec::new(); inputs.len()])),
            },
            inputs,
            per_input,
            batch_rows,
            started: false,
        }
    }

    /// The sources, once every window is read.
    pub fn into_sources(self) -> Vec<Box<dyn RowSource>> {
        self.inputs.into_iter().map(|input| input.source).collect()
    }

    /// Where to hand windows back once used, for their memory to hold the next ones.
    pub fn recycler(&self) -> Recycler {
        self.recycler.clone()
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
                    .enumerate()
                    .map(|(i, (input, cut))| {
                        // The rows left (those at or past the bound) are few: they move to a
                        // used window's memory, or to fresh memory with room for the next
                        // window's batches, which spares growing it batch by batch.
                        let mut rest = self
                            .recycler
                            .take(i)
                            // Rows handed back from elsewhere would have other groups.
                            .filter(|rest| rest.has_widths_of(&input.held))
                            .unwrap_or_else(|| input.held.empty_like());
                        rest.reserve(self.per_input + self.batch_rows);
                        input.held.move_tail(cut, &mut rest);
                        std::mem::replace(&mut input.held, rest)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{ComponentSet, QcCounts, Variant};

    /// Rows of one group of width 2 at `positions` of chromosome 1, each row's sums its position.
    fn rows_at(positions: &[u64]) -> Rows {
        let mut rows = Rows::with_widths([2]);
        for &pos in positions {
            rows.variants.push(Variant {
                chrom: "1".into(),
                pos,
                id: ".".into(),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            });
            rows.components.push(ComponentSet::One(0));
            rows.qc.push(QcCounts::default());
            let sums = &mut rows.groups[0];
            sums.atx0.extend([pos as f64, 1.0]);
            sums.atu.extend([0.0, pos as f64]);
            sums.x0x0.push(pos as f64);
        }
        rows
    }

    /// An input's rows from memory, in batches of the given sizes.
    struct Batches(Vec<Rows>);

    impl RowSource for Batches {
        fn next_rows(&mut self) -> Result<Option<Rows>> {
            Ok((!self.0.is_empty()).then(|| self.0.remove(0)))
        }

        fn set_batch_rows(&mut self, _rows: usize) {}
    }

    /// Positions of every input, in windows, reading with `per_input` rows per input and handing
    /// each window back when `recycle`.
    fn windows_of(inputs: &[Vec<Vec<u64>>], per_input: usize, recycle: bool) -> Vec<Vec<Rows>> {
        let sources: Vec<Box<dyn RowSource>> = inputs
            .iter()
            .map(|batches| {
                let batches = batches.iter().map(|b| rows_at(b)).collect();
                Box::new(Batches(batches)) as Box<dyn RowSource>
            })
            .collect();
        let widths = vec![vec![2]; inputs.len()];
        let mut windows = Windows::new(sources, &widths, Some(per_input));
        let recycler = windows.recycler();
        if recycle {
            // Rows of other groups handed back are not read into.
            recycler.give_back(vec![Rows::with_widths([3]); inputs.len()]);
        }
        let mut all = Vec::new();
        while let Some(window) = windows.next_window().unwrap() {
            all.push(window.clone());
            if recycle {
                recycler.give_back(window);
            }
        }
        all
    }

    #[test]
    fn windows_read_into_handed_back_memory_hold_the_same_rows() {
        // Shared, own and repeated positions, batches cut anywhere, inputs of unequal lengths.
        let inputs = vec![
            vec![vec![1, 3, 5], vec![5, 7], vec![9, 11, 13]],
            vec![vec![2, 3], vec![4, 5, 5, 5, 6], vec![7]],
            vec![vec![], vec![13, 14, 15, 16, 17, 18]],
        ];
        for per_input in [1, 2, 3, 100] {
            let fresh = windows_of(&inputs, per_input, false);
            let recycled = windows_of(&inputs, per_input, true);
            assert_eq!(fresh, recycled, "per_input {per_input}");
            // Every row once, each input's rows in order, a position's rows in one window.
            for (i, batches) in inputs.iter().enumerate() {
                let read: Vec<u64> = recycled
                    .iter()
                    .flat_map(|w| w[i].variants.iter().map(|v| v.pos))
                    .collect();
                assert_eq!(read, batches.concat(), "input {i}, per_input {per_input}");
            }
            let span = |window: &Vec<Rows>| {
                let positions = window.iter().flat_map(|r| r.variants.iter().map(|v| v.pos));
                (positions.clone().min(), positions.max())
            };
            for pair in recycled.windows(2) {
                let ((_, Some(last)), (Some(next), _)) = (span(&pair[0]), span(&pair[1])) else {
                    continue;
                };
                assert!(next > last, "per_input {per_input}: {next} after {last}");
            }
        }
    }

    #[test]
    fn moving_a_tail_keeps_the_head_and_appends_the_tail() {
        let mut rows = rows_at(&[1, 2, 3, 4]);
        let mut into = rows_at(&[0]);
        into.reserve(8);
        let room = into.variants.capacity();
        rows.move_tail(2, &mut into);
        let positions = |r: &Rows| r.variants.iter().map(|v| v.pos).collect::<Vec<_>>();
        assert_eq!(positions(&rows), [1, 2]);
        assert_eq!(positions(&into), [0, 3, 4]);
        assert_eq!(into.groups[0].atx0, [0.0, 1.0, 3.0, 1.0, 4.0, 1.0]);
        assert_eq!(into.groups[0].x0x0, [0.0, 3.0, 4.0]);
        assert_eq!(into.variants.capacity(), room, "no allocation with room");
        into.clear();
        assert!(into.is_empty() && into.groups[0].atu.is_empty());
        assert_eq!(
            into.variants.capacity(),
            room,
            "cleared rows keep their room"
        );
    }
}
