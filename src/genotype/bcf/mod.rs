//! BCF2 binary VCF (`.bcf`, BGZF-compressed or plain).
//!
//! The header's text is read leniently ([`crate::genotype::header`]: sample IDs, FORMAT
//! declarations, the string and contig dictionaries). Records are read and decoded here, from the
//! raw bytes (BCF 2.2 spec §6.3); a record longer than its samples can need (64 MiB + 4 KiB per
//! sample) is refused before it is allocated:
//!
//! * `record` — a record's layout: its two lengths, the shared part (site fields) and where the
//!   dosage field sits in the per-sample part;
//! * `value` — typed values: descriptors, sentinels, a cursor over them;
//! * `decode` — the general decoders of `GT` (any integer width and ploidy) and `DS`;
//! * `gt_table` — the common case, a bi-allelic site with int8 diploid `GT`, by table lookup.
//!
//! ```no_run
//! use dash::genotype::{bcf, BlockReader, DosageField, GenotypeBlock};
//! let mut reader = bcf::open("cohort.bcf".as_ref(), None, DosageField::Gt)?;
//! let mut block = GenotypeBlock::default();
//! while reader.read_block(256, &mut block)? {
//!     println!("{} ALT alleles", block.len());
//! }
//! # Ok::<(), dash::error::Error>(())
//! ```

mod decode;
mod gt_table;
mod header;
mod record;
mod value;

use std::path::Path;

use super::batch::RecordReader;
use super::dosage::Field;
use super::io::region_query;
use super::stream::{IndexKind, Stream};
use super::{DosageField, Region};
use crate::chrom;
use crate::error::Result;

pub use record::BcfRecord;

/// A BCF reader behind the block-reader interface.
pub type BcfReader = RecordReader<Bcf>;

/// Opens a BCF: reads the header, resolves the dosage field, and with `region` sets up the
/// query through `FILE.csi`.
pub fn open(path: &Path, region: Option<&Region>, requested: DosageField) -> Result<BcfReader> {
    let stream = Stream::open(path)?;
    let (stream, header) = header::read(stream, path, requested)?;
    let header::BcfHeader {
        samples,
        field,
        key,
        gt_key,
        contig_names,
        chrx_length,
    } = header;
    let query = region_query(
        path,
        &stream,
        region,
        IndexKind::Csi,
        "--region needs a compressed, indexed BCF: `bcftools view -Ob`, then `bcftools index`",
        || contig_names.clone(),
    )?;
    let format = Bcf {
        n_samples: samples.len(),
        field,
        key: key as i64,
        gt_key: gt_key.map(|k| k as i64),
        normalized: contig_names.iter().map(|c| chrom::normalize(c)).collect(),
        records_read: 0,
        numbered: query.is_none(),
    };
    Ok(RecordReader::new(
        path.to_path_buf(),
        stream,
        format,
        samples,
        field,
        region.cloned(),
        query,
    )
    .with_chrx_length(chrx_length))
}

/// The BCF record format.
#[derive(Debug, Clone)]
pub struct Bcf {
    n_samples: usize,
    field: Field,
    /// String-dictionary index of the dosage field's FORMAT key.
    key: i64,
    /// String-dictionary index of `GT` when the dosage field is `DS` and the header has it.
    gt_key: Option<i64>,
    /// Normalised contig names by contig id.
    normalized: Vec<String>,
    records_read: u64,
    /// Whether record numbers count from the start of the file (not under a region query).
    numbered: bool,
}
