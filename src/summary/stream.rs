//! A summary's rows in file order, a batch at a time: what merge reads, with memory bounded by
//! the batch rather than the file.
//!
//! [`RowStream::open`] verifies and validates the file as a whole first (checksum, header,
//! columns; see [`super::read`]); each batch is then checked as it is decoded: its values
//! ([`super::validate::check_rows`]) and that its rows follow the previous ones in genomic
//! order ([`super::order`]). A `--region` reads only the row groups whose chromosome and
//! position statistics can hold it, and only its rows.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::reader::ChunkReader;
use std::sync::Arc;

use super::footer::Footer;
use super::integrity::{PartChecker, Parts};
use super::segment::{Bounds, ChromPosStats, GroupRead, Locus, RowGroupSpans, SegmentRead};
use super::{order, schema, Header, QcCounts, Rows};
use crate::error::{Error, IoResultExt, Result};
use crate::genotype::Region;

/// Rows per record batch read.
pub const BATCH_ROWS: usize = 8_192;

/// Reads a summary's rows in order; see the [module docs](self).
pub struct RowStream {
    path: PathBuf,
    header: Header,
    /// Where the row groups lie (the parquet crate's metadata, whole, would hold 424 bytes per
    /// column chunk for as long as the file is read).
    footer: Arc<Footer>,
    /// The row groups' spans from their statistics (for a segment's plan).
    spans: Arc<RowGroupSpans>,
    /// Row groups still to read: (index, its first row in the file).
    row_groups: std::vec::IntoIter<(usize, usize)>,
    reader: Option<ParquetRecordBatchReader>,
    /// The file row of the next row the reader yields.
    row: usize,
    region: Option<Region>,
    /// Check values and order (off for a writer's own spill runs, checked when written).
    checked: bool,
    batch_rows: usize,
    /// The last row read, for the order check.
    last: Option<super::Variant>,
    /// The data's parts still to verify before their row groups are read (a `--region` read,
    /// whose file's footer alone was verified when opened).
    parts: Option<PartChecker>,
    /// A segment's read ([`RowStream::segment`]): the rows kept, and what was decoded.
    segment: Option<(Bounds, SegmentRead)>,
    /// The row group being read.
    group: usize,
}

impl RowStream {
    /// A stream over the summary at `path` whose header and columns were checked (by
    /// [`super::read::open_checked`]), restricted to `region` when given.
    pub(crate) fn new(
        path: &Path,
        header: Header,
        builder: ParquetRecordBatchReaderBuilder<File>,
        region: Option<Region>,
        checked: bool,
    ) -> Result<RowStream> {
        let metadata = ArrowReaderMetadata::try_new(builder.metadata().clone(), Default::default())
            .map_err(|e| Error::input(path, e.to_string()))?;
        drop(builder);
        let footer = Arc::new(Footer::of(path, &metadata)?);
        let groups = metadata.metadata().row_groups();
        let row_groups = row_group_starts(&footer, |index| {
            region.as_ref().is_none_or(|r| may_hold(&groups[index], r))
        });
        let spans = Arc::new(RowGroupSpans::of(metadata.metadata()));
        Ok(RowStream {
            path: path.to_path_buf(),
            header,
            footer,
            spans,
            row_groups: row_groups.into_iter(),
            reader: None,
            row: 0,
            region,
            checked,
            batch_rows: BATCH_ROWS,
            last: None,
            parts: None,
            segment: None,
            group: 0,
        })
    }

    /// A read of the same (verified and checked) file restricted to the segment `bounds`,
    /// reading row groups `groups` (those that can hold its rows, from
    /// [`RowGroupSpans::in_bounds`]) whole and keeping the rows inside; see
    /// [`super::segment`].
    pub fn segment(&self, groups: &[usize], bounds: Bounds) -> RowStream {
        // A whole read's file was verified when opened; a region's row groups are verified one
        // by one as read, which a segment's read does not do. And the rows kept are found from
        // the ends of each batch, which needs the order checked first.
        assert!(
            self.parts.is_none() && self.region.is_none() && self.checked,
            "a segment is read only from a whole, checked read"
        );
        let row_groups =
            row_group_starts(&self.footer, |index| groups.binary_search(&index).is_ok());
        RowStream {
            path: self.path.clone(),
            header: self.header.clone(),
            footer: self.footer.clone(),
            spans: self.spans.clone(),
            row_groups: row_groups.into_iter(),
            reader: None,
            row: 0,
            region: None,
            checked: self.checked,
            batch_rows: self.batch_rows,
            last: None,
            parts: None,
            segment: Some((bounds, SegmentRead::default())),
            group: 0,
        }
    }

    /// The file's row groups, for their spans ([`RowGroups::spans`]).
    pub fn row_groups(&self) -> RowGroups {
        RowGroups {
            path: self.path.clone(),
            footer: self.footer.clone(),
            spans: self.spans.clone(),
        }
    }

    /// The rows of the whole file.
    pub fn total_rows(&self) -> usize {
        (0..self.footer.len()).map(|g| self.footer.rows(g)).sum()
    }

    /// What a segment's read decoded and kept so far (taken); `None` for other reads.
    pub fn take_segment_read(&mut self) -> Option<SegmentRead> {
        let (_, read) = self.segment.as_mut()?;
        Some(std::mem::take(read))
    }

    /// Verifies each row group's bytes against `parts` just before reading it.
    pub(crate) fn with_parts(mut self, parts: Option<Parts>) -> RowStream {
        self.parts = parts.map(PartChecker::new);
        self
    }

    /// Reads `rows` rows per batch instead of [`BATCH_ROWS`].
    pub fn with_batch_rows(mut self, rows: usize) -> RowStream {
        self.set_batch_rows(rows);
        self
    }

    /// Reads `rows` rows per batch from the next row group on.
    pub fn set_batch_rows(&mut self, rows: usize) {
        self.batch_rows = rows.max(1);
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next batch of rows (in the region, if one was given); `None` at the end.
    pub fn next_rows(&mut self) -> Result<Option<Rows>> {
        let mut rows = Rows::with_widths(self.header.groups.iter().map(|g| g.fields.len()));
        Ok(self.read_into(&mut rows)?.then_some(rows))
    }

    /// Appends the next batch of rows (in the region, if one was given) to `into`, rows of this
    /// file's groups; false at the end. Decoding into the rows a caller holds spares it a copy
    /// of every batch (issue 12: the merge's windows). After an error, `into` may hold some of
    /// the batch.
    pub fn read_into(&mut self, into: &mut Rows) -> Result<bool> {
        loop {
            let reader = match &mut self.reader {
                Some(reader) => reader,
                None => {
                    let Some((index, first)) = self.row_groups.next() else {
                        return Ok(false);
                    };
                    self.row = first;
                    self.group = index;
                    let reader = match &mut self.parts {
                        // Its bytes are read once: verified, then decoded from memory.
                        Some(parts) => {
                            let (start, end) = self.footer.byte_range(index);
                            let bytes = parts.read_checked(&self.path, start, end)?;
                            self.row_group_reader(bytes, index)?
                        }
                        None => {
                            let file = File::open(&self.path).with_path(&self.path)?;
                            self.row_group_reader(file, index)?
                        }
                    };
                    self.reader.insert(reader)
                }
            };
            let Some(batch) = reader.next() else {
                self.reader = None;
                continue;
            };
            let batch = batch.map_err(|e| {
                Error::input(&self.path, format!("corrupt data: {e}"))
                    .at(format!("near row {}", self.row + 1))
            })?;
            let mut first = self.row;
            self.row += batch.num_rows();
            let start = into.len();
            // Only the rows in the region are decoded and checked: a row group at its edge holds
            // rows of neighbouring chromosomes or positions.
            let batch = match &self.region {
                Some(region) => match region_span(&batch, region) {
                    Some((offset, len)) => {
                        first += offset;
                        batch.slice(offset, len)
                    }
                    None => continue,
                },
                None => batch,
            };
            decode_into(&self.path, &self.header, &batch, first, into)?;
            if self.checked {
                check_order(&self.path, &mut self.last, &into.variants[start..], first)?;
                super::validate::check_rows_from(&self.path, &self.header, into, start, first)?;
            }
            if let Some(region) = &self.region {
                if !into.variants[start..].iter().all(|v| holds(region, v)) {
                    let batch = into.split_off(start);
                    into.append(&mut in_region(batch, region));
                }
            }
            if let Some((bounds, read)) = &mut self.segment {
                keep_in_segment(bounds, read, self.group, first, into, start);
            }
            if into.len() > start {
                return Ok(true);
            }
        }
    }

    /// A reader of row group `index`'s batches from `input` (the file, or its bytes).
    fn row_group_reader<T: ChunkReader + 'static>(
        &self,
        input: T,
        index: usize,
    ) -> Result<ParquetRecordBatchReader> {
        let metadata = self.footer.reader_metadata(index);
        metadata
            .and_then(|metadata| {
                ParquetRecordBatchReaderBuilder::new_with_metadata(input, metadata)
                    .with_batch_size(self.batch_rows)
                    .build()
            })
            .map_err(|e| Error::input(&self.path, e.to_string()))
    }
}

/// The row groups of a file (`footer`) that `keep` selects (by index), each with its first
/// row's index in the file.
fn row_group_starts(footer: &Footer, keep: impl Fn(usize) -> bool) -> Vec<(usize, usize)> {
    let mut starts = Vec::new();
    let mut first = 0;
    for index in 0..footer.len() {
        if keep(index) {
            starts.push((index, first));
        }
        first += footer.rows(index);
    }
    starts
}

/// A summary's row groups (of a file verified and checked when opened as a [`RowStream`]).
pub struct RowGroups {
    path: PathBuf,
    footer: Arc<Footer>,
    spans: Arc<RowGroupSpans>,
}

impl RowGroups {
    /// The first and last positions of the file's row groups: from their statistics, or for a
    /// row group whose statistics do not give them (one spanning chromosomes, as summaries
    /// written before 2026-11-29 have: see [`super::write::RowGroupCuts`]), from its
    /// chromosome and position columns, read alone.
    pub fn spans(&self) -> Result<RowGroupSpans> {
        let mut spans = (*self.spans).clone();
        for (group, span) in spans.known.iter_mut().enumerate() {
            if span.is_none() {
                *span = self.read_span(group)?;
            }
        }
        Ok(spans)
    }

    /// The first and last positions of row group `group` (`None` when it has no rows), read
    /// from its chromosome and position columns.
    fn read_span(&self, group: usize) -> Result<Option<(Locus, Locus)>> {
        let corrupt = |e: parquet::errors::ParquetError| {
            Error::input(&self.path, format!("corrupt data: {e}"))
                .at(format!("row group {}", group + 1))
        };
        let file = File::open(&self.path).with_path(&self.path)?;
        let metadata = self.footer.reader_metadata(group).map_err(corrupt)?;
        let schema = metadata.parquet_schema();
        let projection = ProjectionMask::roots(schema, [0, 1]);
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata)
            .with_projection(projection)
            .build()
            .map_err(corrupt)?;
        let mut span: Option<(Locus, Locus)> = None;
        for batch in reader {
            let batch = batch.map_err(|e| corrupt(e.into()))?;
            let (Some(chrom), Some(pos)) = (
                batch.column(0).as_string_opt::<i32>(),
                batch.column(1).as_primitive_opt::<UInt64Type>(),
            ) else {
                return Err(Error::input(
                    &self.path,
                    "chrom or pos of an unexpected type",
                ));
            };
            let rows = batch.num_rows();
            if rows == 0 {
                continue;
            }
            let at = |r: usize| Locus::new(chrom.value(r), pos.value(r));
            span = Some(match span {
                None => (at(0), at(rows - 1)),
                Some((first, _)) => (first, at(rows - 1)),
            });
        }
        Ok(span)
    }
}

/// Notes what a segment's read decoded of row group `group` (`into`'s rows from `start` on, the
/// file's rows from `first` on), then keeps only the rows inside `bounds`.
fn keep_in_segment(
    bounds: &Bounds,
    read: &mut SegmentRead,
    group: usize,
    first: usize,
    into: &mut Rows,
    start: usize,
) {
    let decoded = &into.variants[start..];
    let (Some(head), Some(tail)) = (decoded.first(), decoded.last()) else {
        return;
    };
    match read.groups.last_mut() {
        Some(last) if last.group == group => last.last = tail.clone(),
        _ => read.groups.push(GroupRead {
            group,
            first_row: first,
            first: head.clone(),
            last: tail.clone(),
        }),
    }
    // The rows were checked to be in order (a segment reads only checked files): those inside
    // are one run, found from its ends.
    if !(bounds.holds(head) && bounds.holds(tail)) {
        let first_inside = decoded.partition_point(|v| bounds.is_before_start(v));
        let past_inside = decoded.partition_point(|v| bounds.is_before_end(v));
        let mut inside = into.split_off(start).split_off(first_inside);
        drop(inside.split_off(past_inside.max(first_inside) - first_inside));
        into.append(&mut inside);
    }
    read.kept += into.len() - start;
}

/// Checks that every row of `rows` (the rows of `path` from `first` on) comes at or after the one
/// before it, `last` being the row before them; updates `last`.
pub(crate) fn check_order(
    path: &Path,
    last: &mut Option<super::Variant>,
    rows: &[super::Variant],
    first: usize,
) -> Result<()> {
    let mut previous = last.as_ref();
    for (r, v) in rows.iter().enumerate() {
        if let Some(before) = previous.filter(|p| order::genomic(p, v).is_gt()) {
            return Err(Error::input(
                path,
                format!(
                    "rows are not in genomic order: {v} comes after {before} (a hand-made or damaged summary: write its rows sorted by chromosome, position, REF, ALT, or regenerate it with `dash compress`)"
                ),
            )
            .at(format!("row {}", first + r + 1)));
        }
        previous = Some(v);
    }
    if let Some(row) = rows.last() {
        *last = Some(row.clone());
    }
    Ok(())
}

/// Whether a row group's chromosome and position statistics allow rows in `region`: its
/// chromosome names span the region's (byte order), and when it holds that chromosome alone,
/// its positions overlap the region's. Without statistics, it may.
fn may_hold(group: &RowGroupMetaData, region: &Region) -> bool {
    let stats = ChromPosStats::of(group);
    let Some((min, max)) = stats.chrom else {
        return true;
    };
    let chrom = region.chrom.as_bytes();
    if chrom < min || chrom > max {
        return false;
    }
    if min != chrom || max != chrom {
        return true;
    }
    stats
        .pos
        .is_none_or(|(lo, hi)| hi >= region.start && lo <= region.end)
}

/// The rows of a batch from its first to its last in `region` (offset and count); `None` when
/// none is. (Rows are sorted, so those between are in it too; [`in_region`] keeps only those
/// that are, whatever the order.)
fn region_span(batch: &RecordBatch, region: &Region) -> Option<(usize, usize)> {
    let columns = schema::VariantColumns::of(batch);
    let inside = |r: &usize| columns.in_region(*r, region);
    let first = (0..batch.num_rows()).find(inside)?;
    let last = (first..batch.num_rows()).rev().find(inside)?;
    Some((first, last - first + 1))
}

/// Whether `region` holds the variant.
fn holds(region: &Region, v: &super::Variant) -> bool {
    v.chrom == region.chrom && (region.start..=region.end).contains(&v.pos)
}

/// The rows of `rows` inside `region`.
pub(crate) fn in_region(rows: Rows, region: &Region) -> Rows {
    if rows.variants.iter().all(|v| holds(region, v)) {
        return rows;
    }
    let mut kept = rows.empty_like();
    for (r, v) in rows.variants.iter().enumerate() {
        if holds(region, v) {
            kept.push_row(&rows, r);
        }
    }
    kept
}

/// Appends the rows of one record batch (whose schema was checked), the file's rows from
/// `first_row`, to `rows` (of the file's groups).
fn decode_into(
    path: &Path,
    header: &Header,
    batch: &RecordBatch,
    first_row: usize,
    rows: &mut Rows,
) -> Result<()> {
    let n = batch.num_rows();
    let start = rows.len();
    let column = |name: &str| batch.column_by_name(name).expect("schema checked");
    schema::VariantColumns::of(batch).append_variants(&mut rows.variants);

    let lists = column("components").as_list::<i32>();
    let offsets = lists.value_offsets();
    let held = lists.values().as_primitive::<UInt32Type>().values();
    rows.components.reserve(n);
    for r in 0..n {
        let indices = &held[offsets[r] as usize..offsets[r + 1] as usize];
        let problem = if indices.is_empty()
            || indices
                .iter()
                .any(|&c| c as usize >= header.components.len())
        {
            Some("out of range")
        } else if (1..indices.len()).any(|i| indices[..i].contains(&indices[i])) {
            // A component listed twice would count its samples twice at this row.
            Some("names a component twice")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(
                Error::input(path, format!("component list {indices:?} {problem}"))
                    .at(format!("row {}", first_row + r + 1)),
            );
        }
        rows.components.push(indices.into());
    }

    let counts: Vec<&[u64]> = schema::QC_COUNT_COLUMNS
        .iter()
        .map(|name| &column(name).as_primitive::<UInt64Type>().values()[..])
        .collect();
    let sums: Vec<&[f64]> = schema::QC_SUM_COLUMNS
        .iter()
        .map(|name| &column(name).as_primitive::<Float64Type>().values()[..])
        .collect();
    rows.qc.extend((0..n).map(|r| QcCounts {
        hom_ref: counts[0][r],
        het: counts[1][r],
        hom_alt: counts[2][r],
        missing: counts[3][r],
        observed: counts[4][r],
        dosage_sum: sums[0][r],
        dosage_sq_sum: sums[1][r],
        by_sex: None,
    }));
    if header.format_version >= schema::SEX_QC_VERSION {
        decode_sex_qc(path, batch, first_row, &mut rows.qc[start..])?;
    }

    for (k, sums) in rows.groups.iter_mut().enumerate() {
        let [atx0, atu, x0x0] = schema::group_columns(k);
        let width = sums.width;
        let list_values = |name: &str| -> &[f64] {
            let list = column(name).as_fixed_size_list();
            let values = list.values().as_primitive::<Float64Type>().values();
            let start = list.offset() * width;
            &values[start..start + n * width]
        };
        sums.atx0.extend_from_slice(list_values(&atx0));
        sums.atu.extend_from_slice(list_values(&atu));
        sums.x0x0
            .extend_from_slice(&column(&x0x0).as_primitive::<Float64Type>().values()[..n]);
    }
    if !header.ld_regions.is_empty() {
        let mut ld = decode_ld(path, header, batch, first_row)?;
        rows.ld.resize(start, None);
        rows.ld.append(&mut ld);
    }
    Ok(())
}

/// The per-sex chrX QC columns of a batch's rows ([`super::sex_qc`]) into `qc`: a row has the
/// split when its columns are not null (the values are checked with the row's); some null and
/// some not is an error.
fn decode_sex_qc(
    path: &Path,
    batch: &RecordBatch,
    first_row: usize,
    qc: &mut [QcCounts],
) -> Result<()> {
    use super::sex_qc::{is_count_column, SexQc, COLUMNS};
    let column = |name: &str| batch.column_by_name(name).expect("schema checked");
    // Looked up once per batch: a lookup by name scans the schema, and per row it was 30 % of
    // the read floor's time.
    let arrays: Vec<_> = COLUMNS.iter().map(|name| column(name)).collect();
    // Off non-PAR chrX every row is null: a batch without a value is done at once.
    if arrays.iter().all(|array| array.null_count() == array.len()) {
        return Ok(());
    }
    let (mut counts, mut sums) = (Vec::new(), Vec::new());
    for (k, array) in arrays.iter().enumerate() {
        match is_count_column(k) {
            true => counts.push(array.as_primitive::<UInt64Type>()),
            false => sums.push(array.as_primitive::<Float64Type>()),
        }
    }
    for (r, row) in qc.iter_mut().enumerate() {
        let nulls = arrays.iter().filter(|array| array.is_null(r)).count();
        match nulls {
            0 => {}
            n if n == COLUMNS.len() => continue,
            _ => {
                return Err(Error::input(
                    path,
                    "per-sex chrX QC columns (hom_ref_male … dosage_sum_female) partly null",
                )
                .at(format!("row {}", first_row + r + 1)))
            }
        }
        let counts: [u64; 10] = std::array::from_fn(|k| counts[k].value(r));
        row.by_sex = Some(Box::new(SexQc::from_values(
            counts,
            [sums[0].value(r), sums[1].value(r)],
        )));
    }
    Ok(())
}

/// The LD sums of a batch's rows ([`super::ld`]), checked: a known region, 4·m finite values per
/// group, a list in every group exactly when the row has a region.
fn decode_ld(
    path: &Path,
    header: &Header,
    batch: &RecordBatch,
    first_row: usize,
) -> Result<Vec<Option<super::ld::LdRow>>> {
    let column = |name: &str| batch.column_by_name(name).expect("schema checked");
    let regions = column(super::ld::REGION_COLUMN).as_primitive::<UInt32Type>();
    let lists: Vec<_> = (0..header.groups.len())
        .map(|k| column(&super::ld::group_column(k)).as_list::<i32>())
        .collect();
    let mut out = Vec::with_capacity(batch.num_rows());
    for r in 0..batch.num_rows() {
        let bad = |message: String| {
            Err(Error::input(path, message).at(format!("row {}", first_row + r + 1)))
        };
        if regions.is_null(r) {
            if lists.iter().any(|l| l.is_valid(r)) {
                return bad("LD sums without an ld_region".to_string());
            }
            out.push(None);
            continue;
        }
        let region = regions.value(r);
        let Some(record) = header.ld_regions.get(region as usize) else {
            return bad(format!(
                "ld_region {region} out of range (the header lists {})",
                header.ld_regions.len()
            ));
        };
        let expected = 4 * record.variants as usize;
        let mut groups = Vec::with_capacity(lists.len());
        for (k, list) in lists.iter().enumerate() {
            if list.is_null(r) {
                return bad(format!(
                    "group {k}: no LD sums in a row of LD region {region}"
                ));
            }
            let values = list.value(r);
            let values = values.as_primitive::<Float64Type>().values();
            if values.len() != expected || values.iter().any(|v| !v.is_finite()) {
                return bad(format!(
                    "group {k}: LD sums of region {} must be {expected} finite values, found {}",
                    record.region,
                    values.len()
                ));
            }
            groups.push(values.to_vec());
        }
        out.push(Some(super::ld::LdRow {
            region,
            groups,
            cells: Vec::new(),
        }));
    }
    Ok(out)
}
