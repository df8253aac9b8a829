//! Writing a summary.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, FixedSizeListArray, Float64Array, ListArray, RecordBatch, StringArray, UInt32Array,
    UInt64Array,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;

use super::integrity::{Seal, SealingWriter, INTEGRITY_KEY, PARTS_KEY};
use super::sort::{Destination, Head, Heads, Sorter, MERGE_BATCH_ROWS};
use super::{schema, Header, RowOrder, Rows, METADATA_KEY};
use crate::atomic_file::AtomicFile;
use crate::error::{Error, IoResultExt, Result};

/// Rows per Parquet row group on average ([`RowGroupCuts`]): small enough that a `--region` of one chromosome reads little
/// beyond it (each row group is also the unit of the integrity check a region read makes), large
/// enough that the per-group costs do not show in a whole read (issue 12: 65,536 rows made a
/// one-chromosome region of a 1 M-variant file decode two groups, 2.9 times its rows).
pub const ROW_GROUP_SIZE: usize = 16_384;

/// Writes a summary under a temporary name; [`SummaryWriter::finish`] puts it in place.
///
/// Rows may come in any order: they are written in genomic order ([`super::order`]), with
/// memory bounded whatever the order ([`super::sort`]), and the header says so
/// ([`Header::row_order`]).
///
/// ```no_run
/// use dash::summary::{Header, Rows, SummaryWriter};
/// # fn demo(header: Header, rows: Rows) -> dash::error::Result<()> {
/// let mut writer = SummaryWriter::create("party.parquet".as_ref(), &header)?;
/// writer.write(&rows)?;
/// writer.finish()?;
/// # Ok(()) }
/// ```
pub struct SummaryWriter {
    writer: ArrowWriter<SealingWriter>,
    schema: SchemaRef,
    path: std::path::PathBuf,
    rows_written: usize,
    /// Written into the footer by [`SummaryWriter::finish`], so counts known only at the end
    /// (e.g. [`super::Disclosure`]) can still go in.
    header: Header,
    sorter: Sorter,
    cuts: RowGroupCuts,
}

impl SummaryWriter {
    /// Creates the file; the header goes into the footer (as it is when the file is finished:
    /// see [`SummaryWriter::header_mut`]).
    pub fn create(path: &Path, header: &Header) -> Result<SummaryWriter> {
        SummaryWriter::create_with_row_groups(path, header, ROW_GROUP_SIZE)
    }

    /// [`SummaryWriter::create`] with row groups of about `rows` rows (at most four times that,
    /// see [`RowGroupCuts`]) rather than 16,384: small row groups let tests read a small summary
    /// in several segments, as a merge reads a large one.
    pub fn create_with_row_groups(
        path: &Path,
        header: &Header,
        rows: usize,
    ) -> Result<SummaryWriter> {
        let schema = schema::for_header(header);
        let properties = properties(header)
            .set_key_value_metadata(None)
            .set_max_row_group_row_count(Some(4 * rows.max(1)))
            .build();
        let writer = open_writer(path, &schema, properties)?;
        let mut header = header.clone();
        header.row_order = Some(RowOrder::Genomic);
        Ok(SummaryWriter {
            writer,
            schema,
            path: path.to_path_buf(),
            rows_written: 0,
            header,
            sorter: Sorter::default(),
            cuts: RowGroupCuts::new(rows),
        })
    }

    /// The header the footer will hold; may be amended until [`SummaryWriter::finish`] (the
    /// group layouts must not change: they fixed the columns).
    pub fn header_mut(&mut self) -> &mut Header {
        &mut self.header
    }

    /// Appends rows (in any order: see the type's docs).
    pub fn write(&mut self, rows: &Rows) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.sorter.push(rows);
        self.rows_written += rows.len();
        if self.sorter.is_full() {
            self.flush(false)?;
        }
        Ok(())
    }

    /// Writes the held rows that are ready (all of them with `all`) to their run.
    fn flush(&mut self, all: bool) -> Result<()> {
        let Some((rows, destination)) = self.sorter.take_sorted(all) else {
            return Ok(());
        };
        let fail = |e: parquet::errors::ParquetError| Error::input(&self.path, e.to_string());
        if let Destination::NewRun = destination {
            let file = AtomicFile::create(&self.path)?;
            let spill =
                ArrowWriter::try_new(file, self.schema.clone(), Some(self.run_properties()))
                    .map_err(fail)?;
            self.sorter.spills.push(spill);
        }
        let batch = to_record_batch(&self.schema, &rows);
        match self.sorter.spills.last_mut() {
            Some(spill) => spill.write(&batch),
            None => self.cuts.write(&mut self.writer, &batch, loci(&rows)),
        }
        .map_err(fail)
    }

    /// Properties of a run file and of the output before its footer.
    fn run_properties(&self) -> WriterProperties {
        properties(&self.header)
            .set_key_value_metadata(None)
            .build()
    }

    /// Number of rows written so far.
    pub fn rows_written(&self) -> usize {
        self.rows_written
    }

    /// Writes the footer (the header as amended, then the integrity entries: see
    /// [`close_writer`]), seals the file with its checksums and renames it into place.
    pub fn finish(mut self) -> Result<()> {
        self.flush(true)?;
        if !self.sorter.spills.is_empty() {
            self.merge_runs()?;
        }
        let json = serde_json::to_string(&self.header).expect("header serialises");
        self.writer
            .append_key_value_metadata(KeyValue::new(METADATA_KEY.to_string(), json));
        close_writer(self.writer, &self.path, None)
    }

    /// Merges the runs (the output written so far, then the spills) into a fresh output.
    fn merge_runs(&mut self) -> Result<()> {
        let fail = |e: parquet::errors::ParquetError| Error::input(&self.path, e.to_string());
        let fresh = open_writer(&self.path, &self.schema, self.run_properties())?;
        let first = std::mem::replace(&mut self.writer, fresh);
        self.cuts = RowGroupCuts::new(self.cuts.every as usize);
        let mut runs = vec![first.into_inner().map_err(fail)?.into_file()];
        for spill in std::mem::take(&mut self.sorter.spills) {
            runs.push(spill.into_inner().map_err(fail)?);
        }
        let mut streams = Vec::with_capacity(runs.len());
        for run in &mut runs {
            std::io::Write::flush(run).with_path(run.temp_path())?;
            let stream = super::read::open_spill(run.temp_path(), &self.header)?;
            streams.push(stream.with_batch_rows(MERGE_BATCH_ROWS));
        }
        // Per run, its current batch and the next row of it to go out.
        let mut heads = Heads::new();
        let mut batches: Vec<(Rows, usize)> = Vec::with_capacity(streams.len());
        for (run, stream) in streams.iter_mut().enumerate() {
            let rows = stream.next_rows()?.unwrap_or_default();
            if let Some(variant) = rows.variants.first() {
                heads.push(Head {
                    variant: variant.clone(),
                    run,
                });
            }
            batches.push((rows, 0));
        }
        let widths = self.header.groups.iter().map(|g| g.fields.len());
        let mut out = Rows::with_widths(widths);
        while let Some(Head { run, .. }) = heads.pop() {
            let (rows, next) = &mut batches[run];
            out.push_row(rows, *next);
            *next += 1;
            if *next == rows.len() {
                *rows = streams[run].next_rows()?.unwrap_or_default();
                *next = 0;
            }
            if let Some(variant) = rows.variants.get(*next) {
                heads.push(Head {
                    variant: variant.clone(),
                    run,
                });
            }
            if out.len() == ROW_GROUP_SIZE || heads.is_empty() {
                let batch = to_record_batch(&self.schema, &out);
                self.cuts
                    .write(&mut self.writer, &batch, loci(&out))
                    .map_err(fail)?;
                out = out.empty_like();
            }
        }
        // The runs' temporary files go with `runs`.
        Ok(())
    }
}

/// Writer properties every summary shares: zstd, no dictionaries, bounded row groups, the
/// header as the `dash.summary` footer entry (the integrity entries follow it: see
/// [`close_writer`]).
pub(crate) fn properties(header: &Header) -> WriterPropertiesBuilder {
    let json = serde_json::to_string(header).expect("header serialises");
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("valid level"),
        ))
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(ROW_GROUP_MAX))
        // A reader holds a column's current page decoded: pages of at most the mean row group's
        // rows keep that memory as it was with row groups of 16,384 rows (a merge of 20 × 3 M
        // held 523 MiB with one page per row group of up to 65,536 rows, 405 MiB before).
        .set_data_page_row_count_limit(ROW_GROUP_SIZE)
        // Chromosome and position statistics per row group let a `--region` read skip the
        // row groups outside it (rows are sorted); the sums need none.
        .set_statistics_enabled(EnabledStatistics::None)
        .set_column_statistics_enabled(ColumnPath::from("chrom"), EnabledStatistics::Chunk)
        .set_column_statistics_enabled(ColumnPath::from("pos"), EnabledStatistics::Chunk)
        .set_key_value_metadata(Some(vec![KeyValue::new(METADATA_KEY.to_string(), json)]))
}

/// An Arrow-to-Parquet writer into a temporary file beside `path`.
pub(crate) fn open_writer(
    path: &Path,
    schema: &SchemaRef,
    properties: WriterProperties,
) -> Result<ArrowWriter<SealingWriter>> {
    let file = SealingWriter::new(AtomicFile::create(path)?);
    ArrowWriter::try_new(file, schema.clone(), Some(properties))
        .map_err(|e| Error::input(path, e.to_string()))
}

/// Writes the Parquet footer of a writer from [`open_writer`], seals the file (checksums, and
/// signature with `signer`) and renames it into place.
///
/// The data (every row group) is written out first and its digests, one per row group, go
/// into the footer as [`PARTS_KEY`]; then the placeholder of the seal, which must come last
/// (signed when `signer` is given; see [`super::integrity`]).
pub(crate) fn close_writer(
    mut writer: ArrowWriter<SealingWriter>,
    path: &Path,
    signer: Option<&ed25519_dalek::SigningKey>,
) -> Result<()> {
    let fail = |e: parquet::errors::ParquetError| Error::input(path, e.to_string());
    writer.flush().map_err(fail)?;
    writer.sync().with_path(path)?;
    let end = writer.bytes_written() as u64;
    // A part per row group, the first also holding the leading magic number.
    let starts: Vec<u64> = writer
        .flushed_row_groups()
        .iter()
        .skip(1)
        .filter_map(|group| group.columns().iter().map(|c| c.byte_range().0).min())
        .collect();
    let parts = writer.inner_mut().parts(end, &starts)?;
    writer.append_key_value_metadata(KeyValue::new(PARTS_KEY.to_string(), parts.text()));
    let seal = Seal::placeholder(signer.is_some()).text();
    writer.append_key_value_metadata(KeyValue::new(INTEGRITY_KEY.to_string(), seal));
    writer.into_inner().map_err(fail)?.seal(path, end, signer)
}

/// Where a summary's row groups end: where a chromosome does, and before a position its locus
/// picks ([`picks`]: about one position in [`ROW_GROUP_SIZE`]); a row group that reaches
/// [`ROW_GROUP_MAX`] rows ends there.
///
/// * No row group holds two chromosomes, so every row group's chromosome and position
///   statistics give its first and last rows: a merge plans its segments and a `--region`
///   picks its row groups from the footer alone. (Before, at 20 × 500 k variants over 22
///   chromosomes, two row groups in three spanned a chromosome's end, and reading their
///   positions took 2.6 % of a merge's CPU time.)
/// * The cuts are chosen by the loci themselves, not by counting rows, so parties that hold
///   different variants still cut at the same positions wherever they share them. A merge
///   splits the genome at one input's row-group starts, and a row group of another input
///   across such a start is decoded twice: counted cuts drift apart as soon as one party
///   misses a variant the other holds (20 parties each missing 3 % of 500 k variants decoded
///   1.45× their rows in segments of 32,768 rows).
///
/// ```
/// use dash::summary::write::RowGroupCuts;
/// let mut cuts = RowGroupCuts::new(1 << 40);
/// let loci = [("1", 10), ("1", 20), ("2", 5), ("2", 6), ("2", 7)];
/// assert_eq!(cuts.pieces(loci.into_iter()), vec![(false, 0..2), (true, 2..5)]);
/// // The next batch starts on chromosome 2, as the last ended: no cut before it.
/// assert_eq!(cuts.pieces([("2", 8), ("3", 1)].into_iter()), vec![(false, 0..1), (true, 1..2)]);
/// ```
#[derive(Debug)]
pub struct RowGroupCuts {
    /// About one position in this many starts a row group.
    every: u64,
    /// The chromosome and position of the last row written.
    last: Option<(super::SmolStr, u64)>,
}

/// The most rows a row group holds (four times the mean, [`ROW_GROUP_SIZE`]: a row group of
/// loci none of which [`picks`] is rare, e^-4 ≈ 2 %).
pub const ROW_GROUP_MAX: usize = 4 * ROW_GROUP_SIZE;

/// Whether a row group starts at `chrom:pos` in a summary whose row groups hold about `every`
/// rows: a fixed hash of the chromosome's name and the position, so every summary picks the
/// same loci (about one in `every`).
///
/// ```
/// use dash::summary::write::picks;
/// let picked = (1..=1_000_000u64).filter(|&pos| picks("7", pos, 1000)).count();
/// assert!((900..1100).contains(&picked), "{picked}");
/// assert!((1..=1000u64).all(|pos| picks("7", pos, 1)));
/// ```
pub fn picks(chrom: &str, pos: u64, every: u64) -> bool {
    // FNV-1a of the name, the position mixed in, then splitmix64's finaliser: cheap, and fixed
    // for good (summaries from any version cut alike).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in chrom.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = hash ^ pos.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)).is_multiple_of(every.max(1))
}

impl RowGroupCuts {
    /// Cuts for row groups of about `every` rows.
    pub fn new(every: usize) -> RowGroupCuts {
        RowGroupCuts {
            every: every.max(1) as u64,
            last: None,
        }
    }

    /// The runs of a batch of sorted rows (their loci, in order) between cuts, each with
    /// whether a row group must end before it: not before the first run when it continues the
    /// row group the previous batch ended in.
    pub fn pieces<'a>(
        &mut self,
        loci: impl Iterator<Item = (&'a str, u64)>,
    ) -> Vec<(bool, std::ops::Range<usize>)> {
        let mut pieces: Vec<(bool, std::ops::Range<usize>)> = Vec::new();
        for (row, (chrom, pos)) in loci.enumerate() {
            let cut = match &mut self.last {
                Some((last, _)) if last.as_str() != chrom => {
                    *last = chrom.into();
                    true
                }
                Some((_, last_pos)) => *last_pos != pos && picks(chrom, pos, self.every),
                None => {
                    self.last = Some((chrom.into(), pos));
                    false
                }
            };
            if let Some((_, last_pos)) = &mut self.last {
                *last_pos = pos;
            }
            match pieces.last_mut() {
                Some((_, range)) if !cut => range.end = row + 1,
                _ => pieces.push((cut, row..row + 1)),
            }
        }
        pieces
    }

    /// Writes `batch` (whose rows have these loci) to `writer`, ending the row group in
    /// progress at every cut.
    pub fn write<'a, W: std::io::Write + Send>(
        &mut self,
        writer: &mut ArrowWriter<W>,
        batch: &RecordBatch,
        loci: impl Iterator<Item = (&'a str, u64)>,
    ) -> parquet::errors::Result<()> {
        for (cut, range) in self.pieces(loci) {
            if cut {
                writer.flush()?;
            }
            writer.write(&batch.slice(range.start, range.len()))?;
        }
        Ok(())
    }
}

/// The loci of `rows`, in order.
fn loci(rows: &Rows) -> impl Iterator<Item = (&str, u64)> {
    rows.variants.iter().map(|v| (v.chrom.as_str(), v.pos))
}

fn to_record_batch(schema: &SchemaRef, rows: &Rows) -> RecordBatch {
    let strings = |f: fn(&super::Variant) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.variants.iter().map(f)))
    };
    let mut columns: Vec<ArrayRef> = vec![
        strings(|v| &v.chrom),
        Arc::new(UInt64Array::from_iter_values(
            rows.variants.iter().map(|v| v.pos),
        )),
        strings(|v| &v.id),
        strings(|v| &v.ref_allele),
        strings(|v| &v.alt_allele),
    ];
    let offsets = OffsetBuffer::from_lengths(rows.components.iter().map(|c| c.len()));
    let values =
        UInt32Array::from_iter_values(rows.components.iter().flat_map(|c| c.iter()).copied());
    columns.push(Arc::new(ListArray::new(
        schema::components_item(),
        offsets,
        Arc::new(values),
        None,
    )));
    for group in &rows.groups {
        let list = |values: &[f64]| -> ArrayRef {
            Arc::new(FixedSizeListArray::new(
                schema::sums_item(),
                group.width as i32,
                Arc::new(Float64Array::from(values.to_vec())),
                None,
            ))
        };
        columns.push(list(&group.atx0));
        columns.push(list(&group.atu));
        columns.push(Arc::new(Float64Array::from(group.x0x0.clone())));
    }
    let counts: [fn(&super::QcCounts) -> u64; 5] = [
        |q| q.hom_ref,
        |q| q.het,
        |q| q.hom_alt,
        |q| q.missing,
        |q| q.observed,
    ];
    for count in counts {
        columns.push(Arc::new(UInt64Array::from_iter_values(
            rows.qc.iter().map(count),
        )));
    }
    let sums: [fn(&super::QcCounts) -> f64; 2] = [|q| q.dosage_sum, |q| q.dosage_sq_sum];
    for sum in sums {
        columns.push(Arc::new(Float64Array::from_iter_values(
            rows.qc.iter().map(sum),
        )));
    }
    if schema.column_with_name(super::sex_qc::COLUMNS[0]).is_some() {
        push_sex_qc_columns(&mut columns, rows);
    }
    if schema.column_with_name(super::ld::REGION_COLUMN).is_some() {
        push_ld_columns(&mut columns, rows);
    }
    RecordBatch::try_new(schema.clone(), columns).expect("columns match the schema")
}

/// The nullable per-sex chrX QC columns of `rows` ([`super::sex_qc`]): null where a row has no
/// split.
fn push_sex_qc_columns(columns: &mut Vec<ArrayRef>, rows: &Rows) {
    for k in 0..super::sex_qc::COLUMNS.len() {
        let value = |qc: &super::QcCounts| qc.by_sex.as_ref().map(|split| split.values()[k]);
        columns.push(match super::sex_qc::is_count_column(k) {
            true => Arc::new(UInt64Array::from_iter(
                rows.qc.iter().map(|qc| value(qc).map(|v| v as u64)),
            )),
            false => Arc::new(Float64Array::from_iter(rows.qc.iter().map(value))),
        });
    }
}

/// The nullable `ld_region` and `g{k}_ld` columns of `rows` ([`super::ld`]).
fn push_ld_columns(columns: &mut Vec<ArrayRef>, rows: &Rows) {
    let ld = |r: usize| rows.ld(r);
    columns.push(Arc::new(UInt32Array::from_iter(
        (0..rows.len()).map(|r| ld(r).map(|l| l.region)),
    )));
    for g in 0..rows.groups.len() {
        let lengths = (0..rows.len()).map(|r| ld(r).map_or(0, |l| l.groups[g].len()));
        let offsets = OffsetBuffer::from_lengths(lengths);
        let values: Vec<f64> = (0..rows.len())
            .filter_map(ld)
            .flat_map(|l| l.groups[g].iter().copied())
            .collect();
        let nulls = arrow_buffer::NullBuffer::from_iter((0..rows.len()).map(|r| ld(r).is_some()));
        columns.push(Arc::new(ListArray::new(
            schema::sums_item(),
            offsets,
            Arc::new(Float64Array::from(values)),
            Some(nulls),
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{
        Component, ComponentGroup, GroupLayout, Orientation, QcCounts, SampleField, Source,
        Variant, FORMAT_NAME, FORMAT_VERSION,
    };

    fn header() -> Header {
        Header {
            format: FORMAT_NAME.to_string(),
            format_version: FORMAT_VERSION,
            tool_version: "test".to_string(),
            groups: vec![GroupLayout {
                phenotypes: vec!["y".to_string()],
                fields: vec![SampleField::intercept(), SampleField::phenotype("y")],
                shift: vec![0.0, 0.0],
                sample_set: None,
            }],
            components: vec![Component {
                id: "0".repeat(32),
                party: "p".to_string(),
                source: Source {
                    format: "vcf".to_string(),
                    file: "p.vcf".to_string(),
                    dosage_field: "DS".to_string(),
                    orientation: Orientation::Reference,
                    haploid_ds_doubled: true,
                    selection: Vec::new(),
                },
                groups: vec![ComponentGroup {
                    n: 10,
                    gram: vec![10.0, 1.0, 1.0, 10.0],
                }],
                disclosure: None,
                parties: Vec::new(),
                case_control: Vec::new(),
                sex_source: None,
            }],
            region: None,
            row_order: None,
            ld_regions: Vec::new(),
            secure: None,
            sex_chromosomes: Default::default(),
        }
    }

    /// Row `i` of a test set: a pseudo-random variant whose `Aᵀx0[1]` is `i`, so that rows can
    /// be told apart after sorting.
    fn row(rows: &mut Rows, i: usize) {
        let chroms = ["1", "2", "10", "X", "MT", "Un_x"];
        let alleles = ["A", "C", "G", "T"];
        let k = i * 7919 % 1000;
        rows.variants.push(Variant {
            chrom: chroms[k % chroms.len()].into(),
            pos: (k / 6 % 40) as u64 + 1,
            id: format!("v{i}").into(),
            ref_allele: alleles[k % 3].into(),
            alt_allele: format!("{}{i}", alleles[3]).into(),
        });
        rows.components.push(crate::summary::ComponentSet::One(0));
        rows.qc.push(QcCounts::default());
        let sums = &mut rows.groups[0];
        sums.atx0.extend([2.0, i as f64]);
        sums.atu.extend([0.0, 0.0]);
        sums.x0x0.push(4.0);
    }

    /// Rows in no order, spread over many runs, come out in genomic order with their sums.
    #[test]
    fn rows_in_any_order_are_written_sorted_through_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.parquet");
        let mut writer = SummaryWriter::create(&path, &header()).unwrap();
        writer.sorter.capacity = 13;
        let total = 1000;
        for chunk in (0..total).collect::<Vec<_>>().chunks(17) {
            let mut rows = Rows::with_widths([2]);
            for &i in chunk {
                row(&mut rows, i);
            }
            writer.write(&rows).unwrap();
        }
        assert!(writer.sorter.spills.len() > 10, "runs were spilled");
        writer.finish().unwrap();
        let read = crate::summary::read_summary(&path).unwrap();
        assert_eq!(read.header.row_order, Some(RowOrder::Genomic));
        let rows = &read.rows;
        assert_eq!(rows.len(), total);
        assert!(rows
            .variants
            .is_sorted_by(|a, b| crate::summary::order::genomic(a, b).is_le()));
        let mut seen = vec![false; total];
        for r in 0..rows.len() {
            let i = rows.groups[0].atx0(r)[1] as usize;
            assert_eq!(
                rows.variants[r].id,
                format!("v{i}"),
                "sums stay with their row"
            );
            seen[i] = true;
        }
        assert!(seen.iter().all(|&s| s));
        // No run file is left beside the output.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    /// Each row group's (chromosome, first position, rows), from its statistics; panics unless
    /// each holds one chromosome.
    fn row_group_starts(path: &Path) -> Vec<(String, u64, i64)> {
        use parquet::file::reader::FileReader;
        use parquet::file::statistics::Statistics;
        let reader =
            parquet::file::reader::SerializedFileReader::new(std::fs::File::open(path).unwrap())
                .unwrap();
        let groups = reader.metadata().row_groups();
        groups
            .iter()
            .map(|group| {
                let (Some(Statistics::ByteArray(chrom)), Some(Statistics::Int64(pos))) =
                    (group.column(0).statistics(), group.column(1).statistics())
                else {
                    panic!("chromosome and position statistics in every row group");
                };
                assert_eq!(
                    chrom.min_opt(),
                    chrom.max_opt(),
                    "one chromosome per row group"
                );
                let chrom = chrom.min_opt().unwrap().as_utf8().unwrap().to_string();
                (chrom, *pos.min_opt().unwrap() as u64, group.num_rows())
            })
            .collect()
    }

    /// Whether rows come in order (written as they come) or not (through runs), no row group
    /// holds two chromosomes, and none more than four times the rows asked for.
    #[test]
    fn row_groups_end_where_chromosomes_do() {
        let dir = tempfile::tempdir().unwrap();
        for capacity in [13, usize::MAX] {
            let path = dir.path().join(format!("c{capacity}.parquet"));
            let mut writer = SummaryWriter::create_with_row_groups(&path, &header(), 50).unwrap();
            writer.sorter.capacity = capacity.min(writer.sorter.capacity);
            let mut all = Rows::with_widths([2]);
            (0..1000).for_each(|i| row(&mut all, i));
            let mut sorted = all.empty_like();
            let mut order: Vec<usize> = (0..all.len()).collect();
            order
                .sort_by(|&a, &b| super::super::order::genomic(&all.variants[a], &all.variants[b]));
            order.iter().for_each(|&r| sorted.push_row(&all, r));
            for chunk in order.chunks(17) {
                let mut rows = all.empty_like();
                chunk.iter().for_each(|&r| rows.push_row(&all, r));
                writer.write(&rows).unwrap();
            }
            writer.finish().unwrap();
            let groups = row_group_starts(&path);
            assert!(groups.iter().all(|g| g.2 <= 4 * 50), "{groups:?}");
            let mut chromosomes: Vec<&str> = groups.iter().map(|g| g.0.as_str()).collect();
            chromosomes.dedup();
            assert_eq!(
                chromosomes,
                ["1", "2", "10", "X", "MT", "Un_x"],
                "{capacity}"
            );
            let read = crate::summary::read_summary(&path).unwrap();
            assert_eq!(read.rows.variants, sorted.variants);
        }
    }

    /// Two summaries, one of which lacks 3 % of the other's variants, start their row groups at
    /// the same loci wherever both hold them (counted row groups would drift apart from the
    /// first missing variant on).
    #[test]
    fn row_groups_start_at_the_same_loci_whatever_else_a_summary_holds() {
        let dir = tempfile::tempdir().unwrap();
        let mut starts = Vec::new();
        for lacking in [false, true] {
            let mut rows = Rows::with_widths([2]);
            for i in 0..40_000 {
                if lacking && i * 7919 % 100 < 3 {
                    continue;
                }
                row(&mut rows, 0);
                let v = rows.variants.last_mut().unwrap();
                let chrom = if i < 30_000 { "1" } else { "2" };
                (v.chrom, v.pos) = (chrom.into(), 1 + i as u64 * 7);
            }
            let path = dir.path().join(format!("{lacking}.parquet"));
            let mut writer = SummaryWriter::create_with_row_groups(&path, &header(), 256).unwrap();
            writer.write(&rows).unwrap();
            writer.finish().unwrap();
            let groups = row_group_starts(&path);
            let rows: i64 = groups.iter().map(|g| g.2).sum();
            assert_eq!(rows as usize, writer_rows(&path));
            let mean = rows as f64 / groups.len() as f64;
            assert!((128.0..512.0).contains(&mean), "{mean}");
            starts.push(groups.into_iter().map(|g| (g.0, g.1)).collect::<Vec<_>>());
        }
        let (all, lacking) = (&starts[0], &starts[1]);
        let shared = lacking.iter().filter(|start| all.contains(start)).count();
        assert!(
            shared as f64 >= 0.9 * lacking.len() as f64,
            "{shared} of {} row groups start alike",
            lacking.len()
        );
    }

    /// The rows a summary holds.
    fn writer_rows(path: &Path) -> usize {
        crate::summary::read_summary(path).unwrap().rows.len()
    }

    /// A source in order is written as it comes, a row group at a time; one out of order is
    /// held whole up to the sort buffer (and still comes out sorted).
    #[test]
    fn rows_in_order_stream_and_rows_out_of_order_wait_for_the_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let total = 20_000;
        for in_order in [true, false] {
            let path = dir.path().join(format!("o{in_order}.parquet"));
            let mut writer = SummaryWriter::create(&path, &header()).unwrap();
            for chunk in (0..total).collect::<Vec<_>>().chunks(1000) {
                let mut rows = Rows::with_widths([2]);
                for &i in chunk {
                    row(&mut rows, i);
                    if in_order {
                        let variant = rows.variants.last_mut().unwrap();
                        (variant.chrom, variant.pos) = ("1".into(), i as u64 + 1);
                    }
                }
                writer.write(&rows).unwrap();
            }
            let held = writer.sorter.held();
            match in_order {
                true => assert!(held < super::super::sort::STREAM_ROWS, "held {held}"),
                false => assert_eq!(held, total),
            }
            assert!(writer.sorter.spills.is_empty());
            writer.finish().unwrap();
            let rows = crate::summary::read_summary(&path).unwrap().rows;
            assert_eq!(rows.len(), total);
            assert!(rows
                .variants
                .is_sorted_by(|a, b| crate::summary::order::genomic(a, b).is_le()));
        }
    }

    /// The header of [`header`] with one LD region of `m` rows.
    fn ld_header(m: u64) -> Header {
        let mut header = header();
        header.ld_regions = vec![crate::summary::ld::LdRegion {
            region: "1:1-100".to_string(),
            variants: m,
            withheld_variants: 0,
        }];
        header
    }

    /// LD sums stay with their rows through sorting and spilled runs; rows without them read
    /// back without.
    #[test]
    fn ld_sums_stay_with_their_rows_through_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.parquet");
        let (total, m) = (300, 100);
        let mut writer = SummaryWriter::create(&path, &ld_header(m as u64)).unwrap();
        writer.sorter.capacity = 13;
        for chunk in (0..total).collect::<Vec<_>>().chunks(17) {
            let mut rows = Rows::with_widths([2]);
            for &i in chunk {
                row(&mut rows, i);
                if i % 3 == 0 {
                    rows.ld.resize(rows.len() - 1, None);
                    rows.ld.push(Some(crate::summary::ld::LdRow {
                        region: 0,
                        groups: vec![vec![i as f64; 4 * m]],
                        cells: Vec::new(),
                    }));
                }
            }
            writer.write(&rows).unwrap();
        }
        writer.finish().unwrap();
        let rows = crate::summary::read_summary(&path).unwrap().rows;
        assert_eq!(rows.len(), total);
        for r in 0..rows.len() {
            let i = rows.groups[0].atx0(r)[1] as usize;
            match rows.ld(r) {
                Some(ld) => assert_eq!(ld.groups[0], vec![i as f64; 4 * m]),
                None => assert_ne!(i % 3, 0, "row {i} lost its LD sums"),
            }
        }
    }

    /// An LD row naming a region the header does not list, or of the wrong length, is refused
    /// with the row.
    #[test]
    fn bad_ld_rows_are_refused_when_read() {
        let dir = tempfile::tempdir().unwrap();
        for (region, length, needle) in [
            (3, 8, "ld_region 3 out of range"),
            (0, 5, "must be 8 finite values, found 5"),
        ] {
            let path = dir.path().join(format!("b{region}.parquet"));
            let mut writer = SummaryWriter::create(&path, &ld_header(2)).unwrap();
            let mut rows = Rows::with_widths([2]);
            row(&mut rows, 0);
            rows.ld = vec![Some(crate::summary::ld::LdRow {
                region,
                groups: vec![vec![0.5; length]],
                cells: Vec::new(),
            })];
            writer.write(&rows).unwrap();
            writer.finish().unwrap();
            let error = crate::summary::read_summary(&path).unwrap_err().to_string();
            assert!(error.contains(needle) && error.contains("row 1"), "{error}");
        }
    }

    /// A file whose header says sorted but whose rows are not (hand-made) is refused, naming
    /// the row and the variants.
    #[test]
    fn unsorted_rows_are_refused_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.parquet");
        let mut header = header();
        header.row_order = Some(RowOrder::Genomic);
        let mut rows = Rows::with_widths([2]);
        for i in 0..20 {
            row(&mut rows, i);
        }
        let schema = schema::for_header(&header);
        let mut writer = open_writer(&path, &schema, properties(&header).build()).unwrap();
        writer.write(&to_record_batch(&schema, &rows)).unwrap();
        close_writer(writer, &path, None).unwrap();
        let error = crate::summary::read_summary(&path).unwrap_err().to_string();
        assert!(error.contains("u.parquet"), "{error}");
        assert!(error.contains("rows are not in genomic order"), "{error}");
        assert!(error.contains("row 4: "), "{error}");
        assert!(error.contains("dash compress"), "{error}");
    }

    /// Writes rows on chromosome 1 at `positions` (in that order, unsorted if they are) in row
    /// groups of 4, as a hand-made file would be.
    fn write_raw(path: &Path, positions: &[u64]) {
        let mut header = header();
        header.row_order = Some(RowOrder::Genomic);
        let mut rows = Rows::with_widths([2]);
        for (i, &pos) in positions.iter().enumerate() {
            row(&mut rows, i);
            let v = rows.variants.last_mut().unwrap();
            (v.chrom, v.pos, v.ref_allele, v.alt_allele) =
                ("1".into(), pos, "A".into(), "G".into());
        }
        let schema = schema::for_header(&header);
        let properties = properties(&header)
            .set_max_row_group_row_count(Some(4))
            .build();
        let mut writer = open_writer(path, &schema, properties).unwrap();
        writer.write(&to_record_batch(&schema, &rows)).unwrap();
        close_writer(writer, path, None).unwrap();
    }

    /// The positions each segment of a plan of `rows` rows keeps, then the check of all reads.
    fn read_in_segments(path: &Path, rows: usize) -> (Vec<Vec<u64>>, Result<()>) {
        use crate::summary::segment::{check_reads, plan};
        let stream = crate::summary::read::open_stream(path, None).unwrap();
        let spans = stream.row_groups().spans().unwrap();
        let mut kept = Vec::new();
        let mut reads = Vec::new();
        for bounds in plan(&spans, rows) {
            let mut segment = stream.segment(&spans.in_bounds(&bounds), bounds);
            let mut positions = Vec::new();
            while let Some(batch) = segment.next_rows().unwrap() {
                positions.extend(batch.variants.iter().map(|v| v.pos));
            }
            kept.push(positions);
            reads.push(segment.take_segment_read().unwrap());
        }
        (kept, check_reads(path, stream.total_rows(), &reads))
    }

    /// Read in segments, a sorted file gives every row once, in order; a file whose row groups
    /// are each sorted but out of order between two segments' reads (every row still kept
    /// once) is refused at the row a whole read refuses.
    #[test]
    fn segments_keep_every_row_once_and_refuse_row_groups_out_of_order() {
        let dir = tempfile::tempdir().unwrap();
        let sorted = dir.path().join("sorted.parquet");
        // Row groups of 4; a position repeated across a row group's edge stays in one segment.
        let positions: Vec<u64> = (1..=30).chain([30, 30, 31]).collect();
        write_raw(&sorted, &positions);
        for rows in [1, 4, 6, 100] {
            let (kept, checked) = read_in_segments(&sorted, rows);
            checked.unwrap();
            assert_eq!(kept.concat(), positions, "segments of {rows} rows");
            if rows < 100 {
                assert!(kept.len() > 2, "{rows} rows: {} segments", kept.len());
            }
        }
        let unsorted = dir.path().join("unsorted.parquet");
        write_raw(
            &unsorted,
            &[1, 2, 3, 4, 9, 10, 11, 12, 5, 6, 7, 8, 13, 14, 15, 16],
        );
        let (kept, checked) = read_in_segments(&unsorted, 4);
        assert_eq!(kept.concat().len(), 16, "every row kept once: {kept:?}");
        let error = checked.unwrap_err().to_string();
        let whole = crate::summary::read_summary(&unsorted)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unsorted.parquet"), "{error}");
        assert!(error.contains("rows are not in genomic order"), "{error}");
        assert!(error.contains("row 9: "), "{error}");
        assert_eq!(error, whole);
    }
}
