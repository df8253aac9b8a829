//! BGEN input (v1.1, v1.2, v1.3 as plink2, qctool and bgenix write them), behind the block
//! reader.
//!
//! * The header ([`header`]) fixes the layout (1 or 2) and the compression (none, zlib, zstd).
//! * Sample IDs come from the sample identifier block ([`sample_block`]) or from a `.sample`
//!   file ([`sample_file`], `--sample`, which wins when both are there, as in plink2); with
//!   neither, opening fails.
//! * Variant blocks ([`variant`]) are read on the reading thread and kept compressed; workers
//!   inflate and decode them ([`probs`]) in parallel, each into its own columns of the block.
//! * The dosage is the expected count of the ALT allele; which allele is REF follows plink2's
//!   `ref-first`/`ref-last`/`ref-unknown` (`--bgen-ref`). With `unknown`, REF is provisional:
//!   the summary records the source as not knowing the reference allele (as for PLINK 1), so a
//!   reference-aware source decides the reported orientation at merge.
//! * `--region` reads only the variants a `.bgi` index ([`bgi`], as bgenix writes it) lists for
//!   the region; without one the file is scanned, with a note that an index would be faster.
//!
//! ```no_run
//! use dash::genotype::bgen::{self, BgenOptions, RefMode};
//! use dash::genotype::{BlockReader, DosageField, GenotypeBlock};
//! let options = BgenOptions { reference: Some(RefMode::First), sample_file: None };
//! let mut reader = bgen::open("ukb_imp_chr1.bgen".as_ref(), None, DosageField::Auto, &options)?;
//! let mut block = GenotypeBlock::default();
//! while reader.read_block(256, &mut block)? {
//!     println!("{} ALT alleles", block.len());
//! }
//! # Ok::<(), dash::error::Error>(())
//! ```

pub mod bgi;
pub mod header;
pub mod probs;
pub mod sample_block;
pub mod sample_file;
pub mod variant;

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::batch::RecordReader;
use super::dosage::Field;
use super::stream::Stream;
use super::{BlockReader, DosageField, GenotypeBlock, Orientation, Region};
use crate::error::{Error, IoResultExt, Result};
use header::Header;
use variant::Bgen;

/// Whether `path` names a BGEN file (`.bgen`, any case).
pub fn is_bgen(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("bgen"))
}

/// Which allele of a BGEN variant is REF (`--bgen-ref`, plink2's REF/ALT mode of `--bgen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefMode {
    /// The first allele is REF (`ref-first`).
    First,
    /// The last allele is REF (`ref-last`).
    Last,
    /// The last allele is a provisional REF (`ref-unknown`).
    Unknown,
}

impl RefMode {
    /// Parses `first`, `last` or `unknown` (plink2's `ref-first` … spellings too).
    pub fn parse(text: &str) -> Result<RefMode> {
        match text.strip_prefix("ref-").unwrap_or(text) {
            "first" => Ok(RefMode::First),
            "last" => Ok(RefMode::Last),
            "unknown" => Ok(RefMode::Unknown),
            other => Err(Error::usage(format!(
                "--bgen-ref '{}': expected first, last or unknown",
                crate::error::echo(other)
            ))),
        }
    }
}

/// What reading a BGEN needs beyond the file (`--bgen-ref`, `--sample`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BgenOptions {
    /// Which allele is REF; required, as in plink2.
    pub reference: Option<RefMode>,
    /// A `.sample` file with the sample IDs.
    pub sample_file: Option<PathBuf>,
}

/// A BGEN file behind the block-reader interface.
pub struct BgenReader {
    records: RecordReader<Bgen>,
    orientation: Orientation,
    count_hint: Option<u64>,
    /// Notes of opening (e.g. a region scanned without an index).
    notes: Vec<String>,
}

/// Opens a BGEN file: header, sample IDs, and with `region` its `.bgi` index when present.
pub fn open(
    path: &Path,
    region: Option<&Region>,
    dosage_field: DosageField,
    options: &BgenOptions,
) -> Result<BgenReader> {
    if dosage_field == DosageField::Gt {
        return Err(Error::usage(
            "--dosage-field GT: a BGEN file holds genotype probabilities, read as expected dosages (use DS or auto)",
        ));
    }
    let reference = options.reference.ok_or_else(|| {
        Error::usage(
            "a BGEN file does not say which allele is REF: give --bgen-ref first, last or unknown (plink2's ref-first, ref-last, ref-unknown)",
        )
    })?;
    let file = File::open(path).with_path(path)?;
    let file_len = file.metadata().with_path(path)?.len();
    let mut input = BufReader::with_capacity(1 << 20, file);
    let header = Header::read(&mut input, path)?;
    if header.first_variant > file_len {
        return Err(Error::input(
            path,
            format!(
                "truncated: the first variant is at byte {}, past the end of the file ({file_len} bytes)",
                header.first_variant
            ),
        )
        .at("header"));
    }
    let in_file = if header.has_sample_ids {
        let room = header.first_variant - 4 - u64::from(header.header_len);
        Some(sample_block::read(
            &mut input,
            path,
            header.n_samples,
            room,
        )?)
    } else {
        None
    };
    let samples = match (&options.sample_file, in_file) {
        (Some(sample_path), _) => {
            let ids = sample_file::read(sample_path)?;
            if ids.len() as u64 != u64::from(header.n_samples) {
                return Err(Error::input(
                    sample_path,
                    format!(
                        "lists {} samples, but {} holds {}",
                        ids.len(),
                        path.display(),
                        header.n_samples
                    ),
                ));
            }
            ids
        }
        (None, Some(ids)) => ids,
        (None, None) => {
            return Err(Error::input(
                path,
                "no sample IDs: the file has no sample identifier block; give them with --sample FILE.sample",
            )
            .at("header"))
        }
    };
    if samples.is_empty() {
        return Err(Error::input(path, "the file holds no sample").at("header"));
    }
    let source = options.sample_file.as_deref().unwrap_or(path);
    check_ids(&samples).map_err(|m| Error::input(source, m))?;
    input
        .seek(SeekFrom::Start(header.first_variant))
        .with_path(path)?;
    let mut notes = Vec::new();
    let offsets = match region {
        None => None,
        Some(region) => {
            let index = bgi::beside(path);
            if index.exists() {
                Some(bgi::offsets(&index, region)?)
            } else {
                notes.push(format!(
                    "--region: no index {} beside the file, so all of it was scanned; `bgenix -g {} -index` writes one and makes this faster",
                    index.display(),
                    path.display()
                ));
                None
            }
        }
    };
    let count_hint = match (&offsets, region) {
        (Some(o), _) => Some(o.len() as u64),
        (None, None) => Some(u64::from(header.n_variants)),
        (None, Some(_)) => None,
    };
    let format = Bgen::new(&header, reference, file_len, offsets);
    let records = RecordReader::new(
        path.to_path_buf(),
        Stream::Plain(input),
        format,
        samples,
        Field::Ds,
        region.cloned(),
        None,
    );
    Ok(BgenReader {
        records,
        orientation: match reference {
            RefMode::First | RefMode::Last => Orientation::Reference,
            RefMode::Unknown => Orientation::Plink1,
        },
        count_hint,
        notes,
    })
}

/// Sample IDs must be non-empty and unique, as in every other reader: phenotypes are matched
/// to them by IID.
fn check_ids(samples: &[String]) -> std::result::Result<(), String> {
    let mut seen = std::collections::HashMap::with_capacity(samples.len());
    for (k, id) in samples.iter().enumerate() {
        if id.is_empty() {
            return Err(format!("sample {} has an empty ID", k + 1));
        }
        if let Some(first) = seen.insert(id.as_str(), k) {
            return Err(format!(
                "duplicate sample ID '{}' (samples {} and {})",
                crate::error::echo(id),
                first + 1,
                k + 1
            ));
        }
    }
    Ok(())
}

impl BlockReader for BgenReader {
    fn samples(&self) -> &[String] {
        self.records.samples()
    }

    fn variant_count_hint(&self) -> Option<u64> {
        self.count_hint
    }

    fn orientation(&self) -> Orientation {
        self.orientation
    }

    fn format_name(&self) -> &'static str {
        "bgen"
    }

    fn dosage_field(&self) -> &str {
        "GP"
    }

    fn read_block(&mut self, max_variants: usize, block: &mut GenotypeBlock) -> Result<bool> {
        self.records.read_block(max_variants, block)
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        notes.extend(self.records.notes());
        notes
    }
}
