//! The BCF header: magic, version, and the VCF header text, read leniently
//! ([`crate::genotype::header`]) and reduced to what the record reader needs.

use std::io::{BufRead, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::genotype::dosage::Field;
use crate::genotype::header::HeaderParser;
use crate::genotype::stream::{read_error_message, Stream};
use crate::genotype::DosageField;

/// The longest header text read: the length is file content, so it is bounded before reading.
const MAX_HEADER_TEXT: u64 = 1 << 30;

/// What the reader takes from the header.
pub(super) struct BcfHeader {
    /// Sample IDs in column order (at least one).
    pub samples: Vec<String>,
    /// The dosage field, resolved against the FORMAT declarations.
    pub field: Field,
    /// String-dictionary index of the dosage field's FORMAT key.
    pub key: usize,
    /// String-dictionary index of `GT` when the dosage field is `DS` (a haploid `GT` doubles
    /// the `DS`) and the header declares it.
    pub gt_key: Option<usize>,
    /// Contig names by BCF contig id (`""` for an id with no contig).
    pub contig_names: Vec<String>,
    /// The `length` of the chrX contig, when the header gives it.
    pub chrx_length: Option<u64>,
}

/// Reads the header from the start of `stream` and resolves `requested` against it; returns the
/// stream positioned at the first record.
pub(super) fn read(
    mut stream: Stream,
    path: &Path,
    requested: DosageField,
) -> Result<(Stream, BcfHeader)> {
    let bad = |message: String| Error::input(path, format!("bad header: {message}")).at("header");
    let io = |e: std::io::Error| bad(read_error_message(&e));
    if stream.fill_buf().map_err(io)?.starts_with(b"##fileformat") {
        return Err(Error::input(path, "this is a text VCF: name it .vcf or .vcf.gz").at("header"));
    }
    let mut start = [0u8; 9];
    stream.read_exact(&mut start).map_err(io)?;
    if &start[..3] != b"BCF" || start[3] != 2 {
        return Err(bad(format!(
            "not BCF 2 (first bytes {:02x?}, expected 42 43 46 02)",
            &start[..4]
        )));
    }
    let length = u64::from(u32::from_le_bytes([start[5], start[6], start[7], start[8]]));
    if length > MAX_HEADER_TEXT {
        return Err(bad(format!(
            "header text of {length} bytes, more than the {} MiB dash reads (a corrupt length?)",
            MAX_HEADER_TEXT >> 20
        )));
    }
    // Read as the bytes arrive: a corrupt length on a short file fails without allocating it.
    let mut text = Vec::new();
    let got = Read::take(&mut stream, length)
        .read_to_end(&mut text)
        .map_err(io)?;
    if (got as u64) < length {
        return Err(bad(format!(
            "truncated: the header text should be {length} bytes, the file ends after {got}"
        )));
    }
    let mut parser = HeaderParser::default();
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let mut done = false;
    for (k, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        done = parser.line(line).map_err(|e| {
            Error::input(path, format!("bad header: {e}")).at(format!("header line {}", k + 1))
        })?;
        if done {
            break;
        }
    }
    if !done {
        return Err(bad("no #CHROM line".to_string()));
    }
    let header = parser.finish().map_err(bad)?;
    if header.samples.is_empty() {
        return Err(Error::input(path, "the header names no sample").at("header"));
    }
    let field = Field::resolve(requested, |k| header.formats.contains(k), path)?;
    let key = header
        .strings
        .index_of(field.key())
        .ok_or_else(|| bad(format!("FORMAT/{} has no dictionary index", field.key())))?;
    let gt_key = match field {
        Field::Ds => header.strings.index_of("GT"),
        Field::Gt => None,
    };
    Ok((
        stream,
        BcfHeader {
            samples: header.samples,
            field,
            key,
            gt_key,
            contig_names: header.contigs.names(),
            chrx_length: header.chrx_length,
        },
    ))
}
