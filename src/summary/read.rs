//! Reading and validating a summary.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::ParquetMetaData;
use rayon::prelude::*;

use super::integrity::{verify_checksum, Seal, INTEGRITY_KEY};
use super::FieldKind;
use super::OLDEST_READABLE_VERSION;
use super::{schema, Header, Rows, Summary, FORMAT_NAME, FORMAT_VERSION, METADATA_KEY};
use super::{QcCounts, Variant};
use crate::error::{Error, IoResultExt, Result};

/// Opens a summary and parses its footer header (not yet validated).
pub(crate) fn open_with_header(
    path: &Path,
) -> Result<(ParquetRecordBatchReaderBuilder<File>, Header)> {
    let mut file = File::open(path).with_path(path)?;
    check_magic(path, &mut file)?;
    let not_parquet = |e: parquet::errors::ParquetError| {
        Error::input(path, format!("not a readable Parquet summary ({e})"))
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(not_parquet)?;
    let json = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|e| e.key == METADATA_KEY))
        .and_then(|e| e.value.clone())
        .ok_or_else(|| {
            Error::input(
                path,
                format!("not a dash summary: no '{METADATA_KEY}' footer metadata"),
            )
        })?;
    let header: Header = serde_json::from_str(&json)
        .map_err(|e| Error::input(path, format!("invalid '{METADATA_KEY}' header: {e}")))?;
    Ok((builder, header))
}

/// Refuses a file that is not Parquet at all (a .bed or VCF given to merge, say) with a message
/// saying what it is, before the Parquet reader reports a "corrupt footer".
pub(crate) fn check_magic(path: &Path, file: &mut File) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    const MAGIC: &[u8; 4] = b"PAR1";
    let len = file.metadata().with_path(path)?.len();
    let mut start = [0u8; 4];
    let got = file.read(&mut start).with_path(path)?;
    if got < 4 || &start != MAGIC {
        let what = match &start[..got] {
            [0x6c, 0x1b, ..] => ": it is a PLINK .bed file",
            [0x1f, 0x8b, ..] => ": it is a gzip/BGZF file, such as a .vcf.gz or .bcf",
            [b'#', b'#', ..] => ": it is a text file, such as a VCF",
            [] => ": it is empty",
            _ => "",
        };
        return Err(Error::input(
            path,
            format!("not a dash summary (run `dash compress` first){what}"),
        ));
    }
    let mut end = [0u8; 4];
    let tail = len >= 12
        && file.seek(SeekFrom::End(-4)).is_ok()
        && file.read_exact(&mut end).is_ok()
        && &end == MAGIC;
    if !tail {
        return Err(Error::input(
            path,
            "truncated summary: a Parquet file ends with 'PAR1' (was it copied completely?)",
        ));
    }
    file.seek(SeekFrom::Start(0)).with_path(path)?;
    Ok(())
}

/// Checks that the footer's integrity entry is the seal [`verify_checksum`] verified (found in
/// the raw footer bytes): the parsed footer and the verified bytes agree.
pub(crate) fn check_sealed(path: &Path, metadata: &ParquetMetaData, seal: &Seal) -> Result<()> {
    let value = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().rfind(|e| e.key == INTEGRITY_KEY))
        .and_then(|e| e.value.as_deref());
    if value != Some(seal.text().as_str()) {
        return Err(Error::input(
            path,
            format!("the '{INTEGRITY_KEY}' footer entry is missing or not the file's checksum"),
        ));
    }
    Ok(())
}

/// Reads only the footer header of a summary (plaintext or secure), checking its format version
/// (not its checksum: [`read_summary`] and the secure reader verify that).
pub fn read_header(path: &Path) -> Result<Header> {
    let (_, header) = open_with_header(path)?;
    check_format(path, &header)?;
    Ok(header)
}

/// Reads a whole summary: verifies its checksum (before any decoder sees a byte of it), then
/// checks its header, columns and values against the contract ([`super::validate`]).
///
/// A secure (masked) summary is refused: its sums are only meaningful added up with every other
/// roster party's (see [`crate::secure`]).
pub fn read_summary(path: &Path) -> Result<Summary> {
    let seal = verify_checksum(path)?;
    let (builder, header) = open_with_header(path)?;
    check_sealed(path, builder.metadata(), &seal)?;
    if seal.signature.is_some() && header.secure.is_none() {
        return Err(Error::input(
            path,
            "a plaintext summary with a signature: only secure summaries are signed",
        ));
    }
    if header.secure.is_some() {
        return Err(Error::input(
            path,
            "is a secure (masked) summary: it can only be merged with the secure summaries of every other roster party",
        ));
    }
    validate_header(path, &header)?;

    let widths: Vec<usize> = header.groups.iter().map(|g| g.fields.len()).collect();
    let expected = schema::schema(&widths);
    let actual = builder.schema().clone();
    for field in expected.fields() {
        match actual.field_with_name(field.name()) {
            Ok(found) if found.data_type() == field.data_type() => {}
            Ok(found) => {
                return Err(Error::input(
                    path,
                    format!(
                        "column '{}' has type {}, expected {}",
                        field.name(),
                        found.data_type(),
                        field.data_type()
                    ),
                ))
            }
            Err(_) => {
                return Err(Error::input(
                    path,
                    format!("missing column '{}'", field.name()),
                ))
            }
        }
    }

    let rows = read_rows(path, &header, &widths, builder)?;
    super::validate::check_rows(path, &header, &rows)?;
    Ok(Summary {
        path: path.to_path_buf(),
        header,
        rows,
    })
}

/// Checks the format name and version.
pub(crate) fn check_format(path: &Path, header: &Header) -> Result<()> {
    let bad = |message: String| Err(Error::input(path, message));
    if header.format != FORMAT_NAME {
        return bad(format!(
            "header format is '{}', expected '{FORMAT_NAME}'",
            header.format
        ));
    }
    if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&header.format_version) {
        return bad(format!(
            "summary format version {} is not supported by this dash (reads versions {OLDEST_READABLE_VERSION} to {FORMAT_VERSION}; regenerate it with this dash's `dash compress`)",
            header.format_version
        ));
    }
    Ok(())
}

fn validate_header(path: &Path, header: &Header) -> Result<()> {
    check_format(path, header)?;
    let bad = |message: String| Err(Error::input(path, message));
    if header.components.is_empty() {
        return bad("header lists no components".to_string());
    }
    for (k, group) in header.groups.iter().enumerate() {
        if group.fields.first().map(|f| f.kind) != Some(FieldKind::Intercept) {
            return bad(format!("group {k}: field 0 must be the intercept"));
        }
        if group.shift.len() != group.fields.len()
            || group.shift[0] != 0.0
            || group.shift.iter().any(|s| !s.is_finite())
        {
            return bad(format!(
                "group {k}: shift must hold one finite value per field, 0 for the intercept"
            ));
        }
        if group.phenotypes.is_empty() {
            return bad(format!("group {k}: no phenotypes"));
        }
    }
    for component in &header.components {
        if component.groups.len() != header.groups.len() {
            return bad(format!(
                "component '{}' has {} groups, the file {}",
                component.party,
                component.groups.len(),
                header.groups.len()
            ));
        }
        for (k, (group, layout)) in component.groups.iter().zip(&header.groups).enumerate() {
            let j = layout.fields.len();
            if group.gram.len() != j * j || group.gram.iter().any(|v| !v.is_finite()) {
                return bad(format!(
                    "component '{}' group {k}: Gram matrix must hold {} finite values",
                    component.party,
                    j * j
                ));
            }
        }
    }
    super::validate::check_components(path, header)
}

/// Rows per record batch: small enough that the reader's buffers are reused from batch to
/// batch rather than taken fresh from the system (page faults were a large share of reading).
const BATCH_ROWS: usize = 8_192;

/// Read failures are ordered by the window of this many rows (counted from the start of the
/// file) they are in, so that the error reported does not depend on thread timing.
const ERROR_WINDOW: usize = 65_536;

/// The columns of a summary row other than the per-group sums.
const VARIANT_COLUMNS: [&str; 11] = [
    "chrom",
    "pos",
    "id",
    "ref",
    "alt",
    "components",
    "hom_ref",
    "het",
    "hom_alt",
    "missing",
    "dosage_sum",
];

/// One unit of parallel reading: some columns of one row group, and where in the row buffers
/// their values go.
struct Part<'a> {
    row_group: usize,
    /// The row group's first row in the file.
    first_row: usize,
    columns: Columns<'a>,
}

enum Columns<'a> {
    /// The variants, their components and QC counts.
    Variants {
        variants: &'a mut [Variant],
        components: &'a mut [Vec<u32>],
        qc: &'a mut [QcCounts],
    },
    /// One sums column: a list of `width` values per row, or one value (checked for range,
    /// finiteness included, by [`super::validate::check_rows`] once every part is read).
    Sums {
        name: String,
        list: bool,
        width: usize,
        out: &'a mut [f64],
    },
}

/// Where a read failed, in the order a sequential read of [`ERROR_WINDOW`]-row batches meets
/// failures: by window (its first row), then (rank) decoding before checks.
type FailedAt = (usize, usize);

/// The first row of the error window holding `row`.
fn window(row: usize) -> usize {
    row / ERROR_WINDOW * ERROR_WINDOW
}

/// Reads every row. Each row group is read in parts, its variant columns and each sums column
/// apart, and all parts are decoded in parallel straight into their place in the row buffers:
/// reading was most of a merge's time on one core.
fn read_rows(
    path: &Path,
    header: &Header,
    widths: &[usize],
    builder: ParquetRecordBatchReaderBuilder<File>,
) -> Result<Rows> {
    let metadata = ArrowReaderMetadata::try_new(builder.metadata().clone(), Default::default())
        .map_err(|e| Error::input(path, e.to_string()))?;
    drop(builder);
    let sizes: Vec<usize> = metadata
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows() as usize)
        .collect();
    let total: usize = sizes.iter().sum();

    let mut rows = Rows::with_widths(widths.iter().copied());
    let empty = || Variant {
        chrom: String::new(),
        pos: 0,
        id: String::new(),
        ref_allele: String::new(),
        alt_allele: String::new(),
    };
    // Filled in parallel too: first touching this much memory takes a while.
    (0..total)
        .into_par_iter()
        .map(|_| empty())
        .collect_into_vec(&mut rows.variants);
    (0..total)
        .into_par_iter()
        .map(|_| Vec::new())
        .collect_into_vec(&mut rows.components);
    rows.qc = vec![QcCounts::default(); total];
    for sums in &mut rows.groups {
        sums.atx0 = vec![0.0; total * sums.width];
        sums.atu = vec![0.0; total * sums.width];
        sums.x0x0 = vec![0.0; total];
    }

    let mut variants = split(&mut rows.variants, &sizes, 1);
    let mut components = split(&mut rows.components, &sizes, 1);
    let mut qc = split(&mut rows.qc, &sizes, 1);
    let mut sums = Vec::new();
    for (k, group) in rows.groups.iter_mut().enumerate() {
        let [atx0, atu, x0x0] = schema::group_columns(k);
        let width = group.width;
        sums.push((atx0, true, width, split(&mut group.atx0, &sizes, width)));
        sums.push((atu, true, width, split(&mut group.atu, &sizes, width)));
        sums.push((x0x0, false, 1, split(&mut group.x0x0, &sizes, 1)));
    }
    let mut parts = Vec::new();
    let mut first_row = 0;
    for (row_group, &size) in sizes.iter().enumerate() {
        let part = |columns| Part {
            row_group,
            first_row,
            columns,
        };
        parts.push(part(Columns::Variants {
            variants: variants.next().expect("one per row group"),
            components: components.next().expect("one per row group"),
            qc: qc.next().expect("one per row group"),
        }));
        for (name, list, width, pieces) in &mut sums {
            parts.push(part(Columns::Sums {
                name: name.clone(),
                list: *list,
                width: *width,
                out: pieces.next().expect("one per row group"),
            }));
        }
        first_row += size;
    }
    let failed: Vec<(FailedAt, Error)> = parts
        .into_par_iter()
        .with_max_len(1)
        .filter_map(|part| read_part(path, header, &metadata, part).err())
        .collect();
    match failed.into_iter().min_by_key(|(at, _)| *at) {
        Some((_, error)) => Err(error),
        None => Ok(rows),
    }
}

/// `slice` cut into consecutive pieces of `sizes[i] * width` items.
fn split<'a, T>(
    mut slice: &'a mut [T],
    sizes: &[usize],
    width: usize,
) -> std::vec::IntoIter<&'a mut [T]> {
    let mut pieces = Vec::with_capacity(sizes.len());
    for &size in sizes {
        let (piece, rest) = std::mem::take(&mut slice).split_at_mut(size * width);
        pieces.push(piece);
        slice = rest;
    }
    pieces.into_iter()
}

/// Reads one part.
fn read_part(
    path: &Path,
    header: &Header,
    metadata: &ArrowReaderMetadata,
    mut part: Part<'_>,
) -> std::result::Result<(), (FailedAt, Error)> {
    let names: Vec<&str> = match &part.columns {
        Columns::Variants { .. } => VARIANT_COLUMNS.to_vec(),
        Columns::Sums { name, .. } => vec![name],
    };
    let arrow_schema = metadata.schema();
    let roots = names
        .iter()
        .map(|name| arrow_schema.index_of(name).expect("schema checked"));
    let mask = ProjectionMask::roots(metadata.parquet_schema(), roots);
    let at_start = |e: Error| ((window(part.first_row), 0), e);
    // A file handle of its own: handles cloned from one share their read offset.
    let file = File::open(path).with_path(path).map_err(at_start)?;
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
        .with_row_groups(vec![part.row_group])
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| at_start(Error::input(path, e.to_string())))?;
    let mut offset = 0;
    for batch in reader {
        let first = part.first_row + offset;
        let corrupt = |e| {
            (
                (window(first), 0),
                Error::input(path, format!("corrupt data: {e}")),
            )
        };
        let batch = batch.map_err(corrupt)?;
        let n = batch.num_rows();
        match &mut part.columns {
            Columns::Variants {
                variants,
                components,
                qc,
            } => read_variants(
                path,
                header,
                &batch,
                first,
                &mut variants[offset..],
                &mut components[offset..],
                &mut qc[offset..],
            )
            .map_err(|(row, e)| ((window(row), 1), e))?,
            Columns::Sums {
                name,
                list,
                width,
                out,
            } => {
                let column = batch.column_by_name(name).expect("schema checked");
                let values = if *list {
                    let list = column.as_fixed_size_list();
                    let values = list.values().as_primitive::<Float64Type>().values();
                    let start = list.offset() * *width;
                    &values[start..start + n * *width]
                } else {
                    &column.as_primitive::<Float64Type>().values()[..]
                };
                out[offset * *width..(offset + n) * *width].copy_from_slice(values);
            }
        }
        offset += n;
    }
    Ok(())
}

/// The variant columns of one batch, whose first row is `first_row` of the file. A failure
/// comes with the row it is about.
fn read_variants(
    path: &Path,
    header: &Header,
    batch: &RecordBatch,
    first_row: usize,
    variants: &mut [Variant],
    components: &mut [Vec<u32>],
    qc: &mut [QcCounts],
) -> std::result::Result<(), (usize, Error)> {
    let column = |name: &str| batch.column_by_name(name).expect("schema checked");
    let variant_columns = schema::VariantColumns::of(batch);
    let lists = column("components").as_list::<i32>();
    let offsets = lists.value_offsets();
    let held = lists.values().as_primitive::<UInt32Type>().values();
    for r in 0..batch.num_rows() {
        variants[r] = variant_columns.variant(r);
        let indices = &held[offsets[r] as usize..offsets[r + 1] as usize];
        if indices.is_empty()
            || indices
                .iter()
                .any(|&c| c as usize >= header.components.len())
        {
            let row = first_row + r;
            let message = format!("component list {indices:?} out of range");
            return Err((
                row,
                Error::input(path, message).at(format!("row {}", row + 1)),
            ));
        }
        components[r] = indices.to_vec();
    }
    let counts: Vec<&[u64]> = schema::QC_COUNT_COLUMNS
        .iter()
        .map(|name| &column(name).as_primitive::<UInt64Type>().values()[..])
        .collect();
    let dosage_sum = column("dosage_sum").as_primitive::<Float64Type>();
    for (r, qc) in qc.iter_mut().take(batch.num_rows()).enumerate() {
        *qc = QcCounts {
            hom_ref: counts[0][r],
            het: counts[1][r],
            hom_alt: counts[2][r],
            missing: counts[3][r],
            dosage_sum: dosage_sum.value(r),
        };
    }
    Ok(())
}
