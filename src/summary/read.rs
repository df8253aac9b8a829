//! Reading and validating a summary.

use std::fs::File;
use std::path::Path;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;

use super::integrity::{verify_checksum, verify_footer, Seal, INTEGRITY_KEY};
use super::stream::RowStream;
use super::{schema, Header, RowOrder, Rows, Summary, FORMAT_NAME, FORMAT_VERSION, METADATA_KEY};
use super::{FieldKind, OLDEST_READABLE_VERSION};
use crate::error::{Error, IoResultExt, Result};
use crate::genotype::Region;

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

/// Reads a whole summary into memory: [`open_stream`], every batch appended. Merge streams its
/// inputs instead; this is for tools and tests that want one file's rows at once.
pub fn read_summary(path: &Path) -> Result<Summary> {
    let mut stream = open_stream(path, None)?;
    let header = stream.header().clone();
    let mut rows = Rows::with_widths(header.groups.iter().map(|g| g.fields.len()));
    while let Some(mut batch) = stream.next_rows()? {
        rows.append(&mut batch);
    }
    Ok(Summary {
        path: path.to_path_buf(),
        header,
        rows,
    })
}

/// Opens a plaintext summary for reading its rows in order (restricted to `region` when given):
/// verifies its checksums (before any decoder sees a byte of it: the whole file, or with a
/// region the footer, then each row group's part before it is read; see
/// [`super::integrity`]), then checks its header and
/// columns against the contract ([`super::validate`]); each batch's values and order are
/// checked as it is read ([`RowStream`]).
///
/// A secure (masked) summary is refused: its sums are only meaningful added up with every other
/// roster party's (see [`crate::secure`]).
pub fn open_stream(path: &Path, region: Option<Region>) -> Result<RowStream> {
    // A region reads a few row groups: their parts are checked as they are read; a whole read
    // checks every byte first.
    let (seal, parts) = match region {
        Some(_) => verify_footer(path)?,
        None => (verify_checksum(path)?, None),
    };
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
    check_columns(path, &header, builder.schema())?;
    RowStream::new(path, header, builder, region, true).map(|s| s.with_parts(parts))
}

/// Opens a writer's own spill run (see [`super::sort`]): rows of `header`'s layout, checked
/// when they were written.
pub(crate) fn open_spill(path: &Path, header: &Header) -> Result<RowStream> {
    let file = File::open(path).with_path(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::input(path, e.to_string()))?;
    RowStream::new(path, header.clone(), builder, None, false)
}

/// Checks that the file has every column of the header's layout, with its type.
fn check_columns(path: &Path, header: &Header, actual: &arrow_schema::SchemaRef) -> Result<()> {
    let expected = schema::for_header(header);
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
    Ok(())
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
            "summary format version {} is not supported by this dash (reads versions {OLDEST_READABLE_VERSION} to {FORMAT_VERSION}: from version 3 on, rows are sorted so that merge can stream them, and from version 4 on the QC counts cover the contributed samples and the chrX model and genome build are recorded, from version 5 on the sex-chromosome sample sets are groups of their own and secure summaries may carry LD sums, from version 7 on the checksum is kept per row group; regenerate it with this dash's `dash compress`)",
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
    if header.row_order != Some(RowOrder::Genomic) {
        return bad(
            "header does not say its rows are in genomic order (row_order \"genomic\"); regenerate it with this dash's `dash compress`".to_string(),
        );
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
