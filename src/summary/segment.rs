//! Segments: the rows of a summary between two positions, read from the row groups that can
//! hold them, so that a merge can split the genome across the pool (issue 12).
//!
//! A segment is a half-open stretch of the genome, [`Bounds`]; every row falls in exactly one
//! segment of a plan ([`plan`]), and all rows of one position in the same one. For a segment, an
//! input reads only the row groups whose chromosome and position statistics can hold its rows
//! ([`RowGroupSpans::in_bounds`]), decodes each whole (so its values and order are checked as in
//! a whole read) and keeps the rows inside. What no single segment's read can check, that the
//! row groups follow each other in genomic order and that every row was kept exactly once, is
//! checked once every segment is read ([`check_reads`]): a file whose statistics lie, or that is
//! not sorted, is refused, never merged with rows missing.
//!
//! ```
//! use dash::summary::segment::{Bounds, Locus};
//! use dash::summary::Variant;
//! let at = |chrom: &str, pos| Variant {
//!     chrom: chrom.into(), pos, id: ".".into(), ref_allele: "A".into(), alt_allele: "G".into(),
//! };
//! let bounds = Bounds { start: Some(Locus::new("2", 100)), end: Some(Locus::new("10", 1)) };
//! assert!(bounds.holds(&at("2", 100)) && bounds.holds(&at("9", 5)));
//! assert!(!bounds.holds(&at("2", 99)) && !bounds.holds(&at("10", 1)));
//! ```

use std::cmp::Ordering;
use std::path::Path;

use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};

use super::order::position_of;
use super::variant::SmolStr;
use super::Variant;
use crate::error::{Error, Result};

/// A chromosome and position: where segments start and end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locus {
    /// Normalised chromosome name.
    pub chrom: SmolStr,
    /// 1-based position.
    pub pos: u64,
}

impl Locus {
    /// The locus `chrom:pos`.
    pub fn new(chrom: &str, pos: u64) -> Locus {
        Locus {
            chrom: chrom.into(),
            pos,
        }
    }

    /// The locus of a variant.
    pub fn of(v: &Variant) -> Locus {
        Locus {
            chrom: v.chrom.clone(),
            pos: v.pos,
        }
    }

    /// This locus against `other` in genomic order.
    pub fn cmp_locus(&self, other: &Locus) -> Ordering {
        position_of(&self.chrom, self.pos, &other.chrom, other.pos)
    }

    /// This locus against the position of `v`.
    fn cmp_variant(&self, v: &Variant) -> Ordering {
        position_of(&self.chrom, self.pos, &v.chrom, v.pos)
    }
}

impl std::fmt::Display for Locus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.chrom, self.pos)
    }
}

/// A stretch of the genome: from `start` (included) to `end` (excluded); `None` is open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bounds {
    /// The first position in it (`None`: from the start of the genome).
    pub start: Option<Locus>,
    /// The first position past it (`None`: to the end of the genome).
    pub end: Option<Locus>,
}

impl Bounds {
    /// Whether the variant's position is inside.
    pub fn holds(&self, v: &Variant) -> bool {
        !self.is_before_start(v) && self.is_before_end(v)
    }

    /// Whether the variant's position comes before the start.
    pub fn is_before_start(&self, v: &Variant) -> bool {
        self.start
            .as_ref()
            .is_some_and(|s| s.cmp_variant(v).is_gt())
    }

    /// Whether the variant's position comes before the end.
    pub fn is_before_end(&self, v: &Variant) -> bool {
        self.end.as_ref().is_none_or(|e| e.cmp_variant(v).is_gt())
    }

    /// Whether rows from `low` to `high` (inclusive; `None` open) can be inside.
    fn overlaps(&self, low: Option<&Locus>, high: Option<&Locus>) -> bool {
        let starts_before_end = match (low, &self.end) {
            (Some(low), Some(end)) => low.cmp_locus(end).is_lt(),
            _ => true,
        };
        let ends_after_start = match (high, &self.start) {
            (Some(high), Some(start)) => high.cmp_locus(start).is_ge(),
            _ => true,
        };
        starts_before_end && ends_after_start
    }
}

/// A row group's chromosome (column 0) and position (column 1) statistics, as its writer kept
/// them: what `--region` reads and segments' spans come from.
pub(crate) struct ChromPosStats<'a> {
    /// The smallest and largest chromosome name, in byte order.
    pub chrom: Option<(&'a [u8], &'a [u8])>,
    /// The smallest and largest position (over every chromosome of the row group).
    pub pos: Option<(u64, u64)>,
}

impl ChromPosStats<'_> {
    /// The statistics of `group` (`None` where the writer kept none).
    pub fn of(group: &RowGroupMetaData) -> ChromPosStats<'_> {
        let bytes = |column: usize| {
            let stats = group.column(column).statistics()?;
            Some((stats.min_bytes_opt()?, stats.max_bytes_opt()?))
        };
        let position = |b: &[u8]| b.try_into().ok().map(u64::from_le_bytes);
        ChromPosStats {
            chrom: bytes(0),
            pos: bytes(1).and_then(|(low, high)| Some((position(low)?, position(high)?))),
        }
    }
}

/// What a file's row-group statistics say of the positions of its row groups.
#[derive(Debug, Clone)]
pub struct RowGroupSpans {
    /// Per row group: its first and last position, when its statistics give them (a row group
    /// of one chromosome with position statistics); `None` otherwise (it spans chromosomes,
    /// or the writer kept no statistics).
    pub known: Vec<Option<(Locus, Locus)>>,
    /// Per row group: its rows.
    pub rows: Vec<usize>,
}

impl RowGroupSpans {
    /// The spans of the row groups of a summary's Parquet metadata (chromosome in column 0,
    /// position in column 1, as every summary's schema has them).
    pub fn of(metadata: &ParquetMetaData) -> RowGroupSpans {
        let known = metadata
            .row_groups()
            .iter()
            .map(|group| {
                let stats = ChromPosStats::of(group);
                let (chrom_min, chrom_max) = stats.chrom?;
                if chrom_min != chrom_max {
                    return None;
                }
                let chrom = std::str::from_utf8(chrom_min).ok()?;
                let (low, high) = stats.pos?;
                Some((Locus::new(chrom, low), Locus::new(chrom, high)))
            })
            .collect();
        let rows = metadata
            .row_groups()
            .iter()
            .map(|g| g.num_rows().max(0) as usize)
            .collect();
        RowGroupSpans { known, rows }
    }

    /// The row groups that can hold rows inside `bounds`: those whose known span overlaps it,
    /// and those of unknown span whose neighbours' known spans leave room for it (rows are
    /// sorted, so a row group lies between the known ones around it; [`check_reads`] catches a
    /// file for which that is not true).
    pub fn in_bounds(&self, bounds: &Bounds) -> Vec<usize> {
        let count = self.known.len();
        // Per row group, the last known position at or before it and the first at or after it.
        let mut low: Vec<Option<&Locus>> = Vec::with_capacity(count);
        let mut last = None;
        for span in &self.known {
            if let Some((first, _)) = span {
                last = Some(first);
            }
            low.push(last);
            if let Some((_, end)) = span {
                last = Some(end);
            }
        }
        let mut high: Vec<Option<&Locus>> = vec![None; count];
        let mut next = None;
        for (g, span) in self.known.iter().enumerate().rev() {
            if let Some((_, end)) = span {
                next = Some(end);
            }
            high[g] = next;
            if let Some((first, _)) = span {
                next = Some(first);
            }
        }
        (0..count)
            .filter(|&g| bounds.overlaps(low[g], high[g]))
            .collect()
    }
}

/// The rows the segments `bounds` decode, all inputs (`spans`) together: each segment decodes,
/// of every input, each row group that can hold its rows ([`RowGroupSpans::in_bounds`]), so a
/// row group that straddles a segment's end is decoded by both segments. Inputs written alike
/// decode each row once; inputs that hold different variants cut their row groups elsewhere.
///
/// ```
/// use dash::summary::segment::{decoded_rows, plan, Locus, RowGroupSpans};
/// let span = |a, b| Some((Locus::new("1", a), Locus::new("1", b)));
/// let aligned = RowGroupSpans { known: vec![span(1, 9), span(10, 19)], rows: vec![10, 10] };
/// let shifted = RowGroupSpans { known: vec![span(1, 14), span(15, 19)], rows: vec![15, 5] };
/// let bounds = plan(&aligned, 10); // [start, 1:10), [1:10, end)
/// assert_eq!(decoded_rows(&[aligned.clone(), aligned.clone()], &bounds), 40);
/// assert_eq!(decoded_rows(&[aligned, shifted], &bounds), 20 + 35);
/// ```
pub fn decoded_rows(spans: &[RowGroupSpans], bounds: &[Bounds]) -> usize {
    let mut decoded = 0;
    for input in spans {
        for segment in bounds {
            decoded += input
                .in_bounds(segment)
                .iter()
                .map(|&g| input.rows[g])
                .sum::<usize>();
        }
    }
    decoded
}

/// A plan ([`plan`]) of the inputs `spans` at row-group starts of input `largest`, of `rows`
/// rows of it per segment, doubled (up to `max_rows`) while its segments would decode more than
/// `max_decoded` times the inputs' rows ([`decoded_rows`]); with the rows per segment chosen.
pub fn plan_decoding_at_most(
    spans: &[RowGroupSpans],
    largest: usize,
    mut rows: usize,
    max_rows: usize,
    max_decoded: f64,
) -> (Vec<Bounds>, usize) {
    let total: usize = spans.iter().flat_map(|s| &s.rows).sum();
    let mut bounds = plan(&spans[largest], rows);
    while rows < max_rows
        && bounds.len() > 1
        && decoded_rows(spans, &bounds) as f64 > max_decoded * total as f64
    {
        rows *= 2;
        bounds = plan(&spans[largest], rows);
    }
    (bounds, rows)
}

/// Splits the genome into segments of about `rows` rows of the input whose row groups are
/// given: each segment but the last starts at the first position of a row group of known
/// span, so that inputs written alike (every party's summary of one imputation panel) decode
/// no row group twice. One segment (the whole genome) when the input has too few rows or no
/// statistics.
pub fn plan(spans: &RowGroupSpans, rows: usize) -> Vec<Bounds> {
    let mut starts: Vec<Locus> = Vec::new();
    let mut since = 0;
    for (span, &count) in spans.known.iter().zip(&spans.rows) {
        // A segment ends before the row group that would take it further past `rows` than it
        // is short of it (row groups of varied length: segments stay near `rows`).
        if since > 0 && since + count / 2 >= rows.max(1) {
            if let Some((first, _)) = span {
                if starts.last().is_none_or(|s| s.cmp_locus(first).is_lt()) {
                    starts.push(first.clone());
                    since = 0;
                }
            }
        }
        since += count;
    }
    let mut bounds = Vec::with_capacity(starts.len() + 1);
    let mut start = None;
    for next in starts {
        bounds.push(Bounds {
            start: start.take(),
            end: Some(next.clone()),
        });
        start = Some(next);
    }
    bounds.push(Bounds { start, end: None });
    bounds
}

/// What a segment's read decoded of one row group.
#[derive(Debug, Clone)]
pub struct GroupRead {
    /// The row group.
    pub group: usize,
    /// Its first row's index in the file.
    pub first_row: usize,
    /// Its first row's variant.
    pub first: Variant,
    /// Its last row's variant.
    pub last: Variant,
}

/// What a segment's read of one input decoded and kept.
#[derive(Debug, Clone, Default)]
pub struct SegmentRead {
    /// Each row group decoded (whole), in the order read.
    pub groups: Vec<GroupRead>,
    /// Rows kept (inside the segment).
    pub kept: usize,
}

/// Checks what every segment of a plan read of the summary at `path` (of `total` rows): every
/// row kept by exactly one segment, and each row group's first row at or after the last row of
/// the row group with rows before it (each group's own rows were checked as they were decoded).
pub fn check_reads(path: &Path, total: usize, reads: &[SegmentRead]) -> Result<()> {
    let kept: usize = reads.iter().map(|r| r.kept).sum();
    // Every row kept once (below) means every row group with rows was decoded by some segment:
    // the groups decoded, in file order, are all those with rows (an empty one between two is
    // skipped, not a gap in the check).
    let mut groups: Vec<&GroupRead> = reads.iter().flat_map(|r| &r.groups).collect();
    groups.sort_by_key(|g| g.group);
    groups.dedup_by_key(|g| g.group);
    if kept == total {
        for pair in groups.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            let mut last = Some(before.last.clone());
            super::stream::check_order(
                path,
                &mut last,
                std::slice::from_ref(&after.first),
                after.first_row,
            )?;
        }
    }
    if kept != total {
        return Err(Error::input(
            path,
            format!(
                "its row groups' chromosome and position statistics do not match their rows ({kept} of its {total} rows lie where the statistics say): a damaged or hand-made summary; regenerate it with `dash compress`"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(known: &[Option<(&str, u64, &str, u64)>]) -> RowGroupSpans {
        RowGroupSpans {
            known: known
                .iter()
                .map(|s| s.map(|(c, a, d, b)| (Locus::new(c, a), Locus::new(d, b))))
                .collect(),
            rows: vec![10; known.len()],
        }
    }

    #[test]
    fn a_plan_covers_the_genome_once_starting_at_known_row_groups() {
        let s = spans(&[
            Some(("1", 1, "1", 90)),
            Some(("1", 100, "1", 190)),
            None,
            Some(("2", 50, "2", 140)),
            Some(("2", 150, "2", 240)),
        ]);
        let plan = plan(&s, 20);
        let starts: Vec<Option<String>> = plan
            .iter()
            .map(|b| b.start.as_ref().map(ToString::to_string))
            .collect();
        // Every second row group, but not the one of unknown span.
        assert_eq!(starts, [None, Some("2:50".to_string())]);
        assert_eq!(plan[0].end, plan[1].start);
        assert_eq!(plan.last().unwrap().end, None);
        // Too few rows: one segment.
        assert_eq!(super::plan(&s, 1000), [Bounds::default()]);
    }

    /// Inputs cut alike keep the shortest segments; an input whose row groups start elsewhere
    /// makes them longer, until few enough rows are decoded twice or the cap is reached.
    #[test]
    fn segments_grow_while_they_would_decode_rows_twice() {
        let chrom1 = |starts: &[u64]| {
            let known: Vec<_> = starts.iter().map(|&a| Some(("1", a, "1", a + 9))).collect();
            spans(&known)
        };
        let aligned = chrom1(&[1, 11, 21, 31, 41, 51, 61, 71]);
        let shifted = chrom1(&[6, 16, 26, 36, 46, 56, 66, 76]);
        let (bounds, rows) =
            plan_decoding_at_most(&[aligned.clone(), aligned.clone()], 0, 10, 80, 1.15);
        assert_eq!((bounds.len(), rows), (8, 10));
        assert_eq!(
            decoded_rows(&[aligned.clone(), aligned.clone()], &bounds),
            160
        );
        // Each segment of one row group reads two of the shifted input's: 1.44× in all.
        let inputs = [aligned.clone(), shifted.clone()];
        assert_eq!(decoded_rows(&inputs, &plan(&aligned, 10)), 80 + 150);
        let (bounds, rows) = plan_decoding_at_most(&inputs, 0, 10, 80, 1.15);
        assert_eq!((bounds.len(), rows), (2, 40));
        assert!(decoded_rows(&inputs, &bounds) as f64 <= 1.15 * 160.0);
        // Capped: longer segments are not made past `max_rows`.
        let (bounds, rows) = plan_decoding_at_most(&inputs, 0, 10, 20, 1.15);
        assert_eq!((bounds.len(), rows), (4, 20));
    }

    #[test]
    fn row_groups_in_bounds_include_those_of_unknown_span_between() {
        let s = spans(&[
            Some(("1", 1, "1", 90)),
            Some(("1", 100, "1", 190)),
            None,
            Some(("3", 50, "3", 140)),
        ]);
        let b = |start: Option<(&str, u64)>, end: Option<(&str, u64)>| Bounds {
            start: start.map(|(c, p)| Locus::new(c, p)),
            end: end.map(|(c, p)| Locus::new(c, p)),
        };
        assert_eq!(s.in_bounds(&Bounds::default()), [0, 1, 2, 3]);
        assert_eq!(s.in_bounds(&b(None, Some(("1", 100)))), [0]);
        assert_eq!(s.in_bounds(&b(Some(("1", 100)), Some(("3", 50)))), [1, 2]);
        assert_eq!(s.in_bounds(&b(Some(("2", 1)), Some(("2", 9)))), [2]);
        // Rows at 3:50 may start in the row group before (a position repeated across the edge).
        assert_eq!(s.in_bounds(&b(Some(("3", 50)), None)), [2, 3]);
        assert_eq!(s.in_bounds(&b(Some(("3", 51)), None)), [3]);
        assert_eq!(s.in_bounds(&b(Some(("3", 141)), None)), Vec::<usize>::new());
    }

    /// Row groups out of order are refused even with an empty row group between them, which no
    /// segment decodes.
    #[test]
    fn row_groups_out_of_order_across_an_empty_one_are_refused() {
        let at = |pos| Variant {
            chrom: "1".into(),
            pos,
            id: ".".into(),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        };
        let group = |group, first_row, first, last| GroupRead {
            group,
            first_row,
            first: at(first),
            last: at(last),
        };
        // Row groups [1, 2], [10, 20], (empty), [5, 8]: the first segment reads groups 0 and 3
        // (in order together), the second group 1 alone.
        let reads = [
            SegmentRead {
                groups: vec![group(0, 0, 1, 2), group(3, 4, 5, 8)],
                kept: 4,
            },
            SegmentRead {
                groups: vec![group(1, 2, 10, 20)],
                kept: 2,
            },
        ];
        let error = check_reads(Path::new("p.parquet"), 6, &reads)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("not in genomic order") && error.contains("row 5"),
            "{error}"
        );
    }

    /// Rows kept by no segment or by two (statistics that do not match the rows) are refused.
    #[test]
    fn reads_that_keep_another_number_of_rows_are_refused() {
        let read = |kept| SegmentRead {
            groups: Vec::new(),
            kept,
        };
        let path = Path::new("p.parquet");
        check_reads(path, 10, &[read(4), read(6)]).unwrap();
        let error = check_reads(path, 10, &[read(4), read(5)])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("p.parquet") && error.contains("9 of its 10 rows"),
            "{error}"
        );
    }
}
