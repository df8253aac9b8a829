//! Reading and validating a summary.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{schema, Header, Rows, Summary, FORMAT_NAME, FORMAT_VERSION, METADATA_KEY};
use crate::error::{Error, IoResultExt, Result};
use crate::genotype::{QcCounts, Variant};
use crate::samples::FieldKind;

/// Opens a summary and parses its footer header (not yet validated).
pub(crate) fn open_with_header(
    path: &Path,
) -> Result<(ParquetRecordBatchReaderBuilder<File>, Header)> {
    let file = File::open(path).with_path(path)?;
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

/// Reads only the footer header of a summary (plaintext or secure), checking its format version.
pub fn read_header(path: &Path) -> Result<Header> {
    let (_, header) = open_with_header(path)?;
    check_format(path, &header)?;
    Ok(header)
}

/// Reads a whole summary, checking its header and columns against the contract.
///
/// A secure (masked) summary is refused: its sums are only meaningful added up with every other
/// roster party's (see [`crate::secure`]).
pub fn read_summary(path: &Path) -> Result<Summary> {
    let (builder, header) = open_with_header(path)?;
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

    let reader = builder
        .with_batch_size(65_536)
        .build()
        .map_err(|e| Error::input(path, e.to_string()))?;
    let mut rows = Rows::with_widths(widths.iter().copied());
    for batch in reader {
        let batch = batch.map_err(|e| Error::input(path, format!("corrupt data: {e}")))?;
        append_batch(path, &header, &batch, &mut rows)?;
    }
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
    if header.format_version != FORMAT_VERSION {
        return bad(format!(
            "summary format version {} is not supported by this dash (reads version {FORMAT_VERSION})",
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
    Ok(())
}

fn append_batch(path: &Path, header: &Header, batch: &RecordBatch, rows: &mut Rows) -> Result<()> {
    let column = |name: &str| batch.column_by_name(name).expect("schema checked");
    let chrom = column("chrom").as_string::<i32>();
    let pos = column("pos").as_primitive::<UInt64Type>();
    let id = column("id").as_string::<i32>();
    let ref_allele = column("ref").as_string::<i32>();
    let alt = column("alt").as_string::<i32>();
    let components = column("components").as_list::<i32>();
    let first_row = rows.len();
    for r in 0..batch.num_rows() {
        rows.variants.push(Variant {
            chrom: chrom.value(r).to_string(),
            pos: pos.value(r),
            id: id.value(r).to_string(),
            ref_allele: ref_allele.value(r).to_string(),
            alt_allele: alt.value(r).to_string(),
        });
        let list = components.value(r);
        let indices: Vec<u32> = list.as_primitive::<UInt32Type>().values().to_vec();
        if indices.is_empty()
            || indices
                .iter()
                .any(|&c| c as usize >= header.components.len())
        {
            return Err(
                Error::input(path, format!("component list {indices:?} out of range"))
                    .at(format!("row {}", first_row + r + 1)),
            );
        }
        rows.components.push(indices);
    }
    for (k, sums) in rows.groups.iter_mut().enumerate() {
        let [atx0, atu, x0x0] = schema::group_columns(k);
        let flat = |name: &str| -> &[f64] {
            let list = column(name).as_fixed_size_list();
            let values = list.values().as_primitive::<Float64Type>();
            let start = list.offset() * sums.width;
            &values.values()[start..start + list.len() * sums.width]
        };
        let (atx0, atu) = (flat(&atx0), flat(&atu));
        let x0x0 = column(&x0x0).as_primitive::<Float64Type>().values();
        if atx0
            .iter()
            .chain(atu)
            .chain(x0x0.iter())
            .any(|v| !v.is_finite())
        {
            return Err(
                Error::input(path, format!("non-finite value in the sums of group {k}")).at(
                    format!("rows {}-{}", first_row + 1, first_row + batch.num_rows()),
                ),
            );
        }
        sums.atx0.extend_from_slice(atx0);
        sums.atu.extend_from_slice(atu);
        sums.x0x0.extend_from_slice(x0x0);
    }
    let counts: Vec<&[u64]> = schema::QC_COUNT_COLUMNS
        .iter()
        .map(|name| &column(name).as_primitive::<UInt64Type>().values()[..])
        .collect();
    let dosage_sum = column("dosage_sum").as_primitive::<Float64Type>();
    rows.qc.extend((0..batch.num_rows()).map(|r| QcCounts {
        hom_ref: counts[0][r],
        het: counts[1][r],
        hom_alt: counts[2][r],
        missing: counts[3][r],
        dosage_sum: dosage_sum.value(r),
    }));
    Ok(())
}
