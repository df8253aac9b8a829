//! The BCF header: read by noodles, then reduced to what the record reader needs.

use std::io::BufRead;
use std::path::Path;

use crate::error::{Error, Result};
use crate::genotype::dosage::Field;
use crate::genotype::stream::{read_error_message, Stream};
use crate::genotype::DosageField;

/// What the reader takes from the header.
pub(super) struct BcfHeader {
    /// Sample IDs in column order (at least one).
    pub samples: Vec<String>,
    /// The dosage field, resolved against the FORMAT declarations.
    pub field: Field,
    /// String-dictionary index of the dosage field's FORMAT key.
    pub key: usize,
    /// Contig names by BCF contig id (`""` for an id with no contig).
    pub contig_names: Vec<String>,
}

/// Reads the header from the start of `stream` and resolves `requested` against it; returns the
/// stream positioned at the first record.
pub(super) fn read(
    mut stream: Stream,
    path: &Path,
    requested: DosageField,
) -> Result<(Stream, BcfHeader)> {
    if stream
        .fill_buf()
        .is_ok_and(|head| head.starts_with(b"##fileformat"))
    {
        return Err(Error::input(path, "this is a text VCF: name it .vcf or .vcf.gz").at("header"));
    }
    let mut reader = noodles_bcf::io::Reader::from(stream);
    let header = reader.read_header().map_err(|e| {
        let message = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => read_error_message(&e),
            _ => e.to_string(),
        };
        Error::input(path, format!("bad header: {message}")).at("header")
    })?;
    let stream = reader.into_inner();
    let samples: Vec<String> = header.sample_names().iter().cloned().collect();
    if samples.is_empty() {
        return Err(Error::input(path, "the header names no sample").at("header"));
    }
    let field = Field::resolve(requested, |k| header.formats().contains_key(k), path)?;
    let key = header
        .string_maps()
        .strings()
        .get_index_of(field.key())
        .ok_or_else(|| {
            Error::input(
                path,
                format!("bad header: FORMAT/{} has no dictionary index", field.key()),
            )
            .at("header")
        })?;
    // Contig names by BCF contig id (the dictionary may have gaps when IDX is used).
    let contigs = header.string_maps().contigs();
    let mut contig_names: Vec<String> = Vec::new();
    for name in header.contigs().keys() {
        if let Some(id) = contigs.get_index_of(name) {
            if contig_names.len() <= id {
                contig_names.resize(id + 1, String::new());
            }
            contig_names[id] = name.to_string();
        }
    }

    Ok((
        stream,
        BcfHeader {
            samples,
            field,
            key,
            contig_names,
        },
    ))
}
