//! The secure (masked) summary file: same footer key and header, different row columns.
//!
//! A secure summary (`dash compress --secure`, see [`crate::secure`]) has the plaintext
//! [`Header`] with
//!
//! * `groups` — the agreed layout, every `shift` 0;
//! * one component whose `groups` list is **empty**: its n and G are masked in
//!   [`SecureSection::header_words`];
//! * `secure` — a [`SecureSection`], which embeds the canonical roster (public keys only);
//!
//! one row per manifest variant, in manifest order (below); and a seal ([`super::integrity`])
//! with the party's Ed25519 signature of the file's checksum, which merge verifies with that
//! party's signing key in the embedded roster. The rows:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `chrom`, `pos`, `id`, `ref`, `alt` | as in a plaintext summary | the manifest's variant |
//! | `masked` | fixed_size_binary[16·W] | W masked words, each a little-endian u128 in Z/2^128 |
//!
//! The W words of a row are, per group k (J_k fields), `Aᵀx0` (J_k), `Aᵀu` (J_k), `x0·x0`, then
//! `hom_ref`, `het`, `hom_alt`, `missing`, `observed`, `dosage_sum`, `dosage_sq_sum`:
//! W = Σ(2·J_k + 1) + 7.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::Array;
use arrow_array::{
    ArrayRef, BinaryArray, FixedSizeBinaryArray, RecordBatch, StringArray, UInt64Array,
};
use arrow_buffer::Buffer;
use arrow_schema::{DataType, Field as ArrowField, Schema, SchemaRef};
use ed25519_dalek::SigningKey;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::EnabledStatistics;
use parquet::schema::types::ColumnPath;
use serde::{Deserialize, Serialize};

use super::integrity::{verify_checksum, Seal, SealingWriter};
use super::read::{check_format, check_sealed, open_with_header};
use super::FieldKind;
use super::Header;
use super::Variant;
use crate::error::{Error, Result};

/// Protocol name and version of the masking scheme this contract describes.
pub const SCHEME: &str = "dash-secure-v1";
/// Fraction bits of the fixed-point encoding of every word: a value v is `round(v · 2^64)` in
/// Z/2^128.
pub const FRACTION_BITS: u32 = 64;

/// Name of the column holding a row's masked words.
pub const MASKED_COLUMN: &str = "masked";
/// Bytes per word.
pub const WORD_BYTES: usize = 16;
/// Words per row after the groups' sums: the QC counts and the dosage sum.
pub const QC_WORDS: usize = 7;

/// The `secure` section of a masked summary's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecureSection {
    /// Protocol name and version, [`SCHEME`].
    pub scheme: String,
    /// The roster name of the party that wrote the file.
    pub party: String,
    /// Every roster party, sorted: merge needs all of them.
    pub roster: Vec<String>,
    /// SHA-256 (hex) of the canonical roster.
    pub roster_hash: String,
    /// SHA-256 (hex) of the canonical manifest.
    pub manifest_hash: String,
    /// Rows of the manifest (= rows of the file).
    pub manifest_rows: u64,
    /// SHA-256 (hex) of the field layout and encoding.
    pub layout_hash: String,
    /// Fixed-point fraction bits of the encoding ([`FRACTION_BITS`]).
    pub fraction_bits: u32,
    /// Words per row, W.
    pub words_per_row: u32,
    /// Masked header words (32 hex digits each, big-endian text of the u128): the canary, then per
    /// group n and G (J × J row-major).
    pub header_words: Vec<String>,
    /// The canonical roster text (party names and public keys, no secret): its SHA-256 is
    /// `roster_hash`, and its Ed25519 key for `party` must verify the file's signature, so the
    /// merger needs no roster of its own. Required; optional in serde only so that a file
    /// without it is refused with a message rather than a parse error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster_text: Option<String>,
}

/// Words per row for groups of the given widths: Σ(2·J + 1) + 7.
pub fn words_per_row(widths: &[usize]) -> usize {
    widths.iter().map(|j| 2 * j + 1).sum::<usize>() + QC_WORDS
}

/// Header words for groups of the given widths: the canary, then per group 1 + J².
pub fn header_word_count(widths: &[usize]) -> usize {
    1 + widths.iter().map(|j| 1 + j * j).sum::<usize>()
}

/// A u128 as 32 hex digits.
pub fn word_to_hex(word: u128) -> String {
    format!("{word:032x}")
}

/// Parses 32 hex digits.
pub fn word_from_hex(text: &str) -> Option<u128> {
    (text.len() == 32)
        .then(|| u128::from_str_radix(text, 16).ok())
        .flatten()
}

/// Name of the column holding a row's masked LD words (only in a file with LD regions).
pub const MASKED_LD_COLUMN: &str = "masked_ld";

fn schema(width: usize, ld: bool) -> SchemaRef {
    let mut fields = vec![
        ArrowField::new("chrom", DataType::Utf8, false),
        ArrowField::new("pos", DataType::UInt64, false),
        ArrowField::new("id", DataType::Utf8, false),
        ArrowField::new("ref", DataType::Utf8, false),
        ArrowField::new("alt", DataType::Utf8, false),
        ArrowField::new(
            MASKED_COLUMN,
            DataType::FixedSizeBinary((width * WORD_BYTES) as i32),
            false,
        ),
    ];
    if ld {
        fields.push(ArrowField::new(MASKED_LD_COLUMN, DataType::Binary, true));
    }
    Arc::new(Schema::new(fields))
}

/// The masked LD words a row must carry: per group `8·m` ([`crate::secure::ld`]) when its
/// position is in one of the header's LD regions (of m rows), else none.
pub fn ld_words_of(header: &Header, variant: &Variant) -> Option<usize> {
    let groups = header.groups.len();
    header.ld_regions.iter().find_map(|record| {
        let region = crate::genotype::Region::parse(&record.region).ok()?;
        region
            .contains(&variant.chrom, variant.pos)
            .then_some(groups * 8 * record.variants as usize)
    })
}

/// Writes a secure summary under a temporary name; [`SecureWriter::finish`] puts it in place.
pub struct SecureWriter {
    writer: ArrowWriter<SealingWriter>,
    schema: SchemaRef,
    width: usize,
    /// Masked LD words by manifest row; `None` when the file has no LD regions.
    ld: Option<std::collections::BTreeMap<usize, Vec<u128>>>,
    /// Rows written so far.
    written: usize,
    path: PathBuf,
    signer: SigningKey,
    cuts: super::write::RowGroupCuts,
}

impl SecureWriter {
    /// Creates the file; `header.secure` must be set. [`SecureWriter::finish`] signs it with
    /// `signer`, the party's signing key. `ld` holds the masked LD words by manifest row (empty
    /// when the header lists no LD regions).
    pub fn create(
        path: &Path,
        header: &Header,
        signer: SigningKey,
        ld: std::collections::BTreeMap<usize, Vec<u128>>,
    ) -> Result<SecureWriter> {
        let section = header.secure.as_ref().expect("a secure header");
        let width = section.words_per_row as usize;
        let with_ld = !header.ld_regions.is_empty();
        let schema = schema(width, with_ld);
        let masked = ColumnPath::from(MASKED_COLUMN);
        let properties = super::write::properties(header)
            // Masked words are uniformly random: compressing them only costs time.
            .set_column_compression(masked.clone(), Compression::UNCOMPRESSED)
            .set_column_statistics_enabled(masked, EnabledStatistics::None)
            .build();
        let writer = super::write::open_writer(path, &schema, properties)?;
        Ok(SecureWriter {
            writer,
            schema,
            width,
            ld: with_ld.then_some(ld),
            written: 0,
            path: path.to_path_buf(),
            signer,
            cuts: super::write::RowGroupCuts::new(super::write::ROW_GROUP_SIZE),
        })
    }

    /// Appends rows: `words` holds W words per variant.
    pub fn write(&mut self, variants: &[Variant], words: &[u128]) -> Result<()> {
        assert_eq!(words.len(), variants.len() * self.width);
        if variants.is_empty() {
            return Ok(());
        }
        let strings = |f: fn(&Variant) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(variants.iter().map(f)))
        };
        let mut bytes = Vec::with_capacity(words.len() * WORD_BYTES);
        for w in words {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        let mut columns: Vec<ArrayRef> = vec![
            strings(|v| &v.chrom),
            Arc::new(UInt64Array::from_iter_values(
                variants.iter().map(|v| v.pos),
            )),
            strings(|v| &v.id),
            strings(|v| &v.ref_allele),
            strings(|v| &v.alt_allele),
            Arc::new(FixedSizeBinaryArray::new(
                (self.width * WORD_BYTES) as i32,
                Buffer::from_vec(bytes),
                None,
            )),
        ];
        let first = self.written;
        self.written += variants.len();
        if let Some(ld) = &self.ld {
            let column: BinaryArray = (first..self.written)
                .map(|row| {
                    ld.get(&row).map(|words| {
                        words
                            .iter()
                            .flat_map(|w| w.to_le_bytes())
                            .collect::<Vec<u8>>()
                    })
                })
                .collect();
            columns.push(Arc::new(column));
        }
        let batch = RecordBatch::try_new(self.schema.clone(), columns).expect("schema matches");
        let loci = variants.iter().map(|v| (v.chrom.as_str(), v.pos));
        self.cuts
            .write(&mut self.writer, &batch, loci)
            .map_err(|e| Error::input(&self.path, e.to_string()))
    }

    /// Writes the footer, seals the file (checksum and signature) and renames it into place.
    pub fn finish(self) -> Result<()> {
        super::write::close_writer(self.writer, &self.path, Some(&self.signer))
    }
}

/// Verifies a secure summary's checksum, then reads and validates its header; refuses a
/// plaintext one. Returns the seal, whose signature the caller checks against the roster.
pub fn read_secure_header(path: &Path) -> Result<(Header, Seal)> {
    let seal = verify_checksum(path)?;
    let (builder, header) = open_with_header(path)?;
    check_sealed(path, builder.metadata(), &seal)?;
    validate(path, &header)?;
    if seal.signature.is_none() {
        return Err(Error::input(
            path,
            "secure summary is not signed: every secure summary carries its party's signature",
        ));
    }
    Ok((header, seal))
}

/// Reads a secure summary batch by batch: `each` gets the variants and their W words per row.
pub fn for_each_batch(
    path: &Path,
    mut each: impl FnMut(Vec<Variant>, Vec<u128>) -> Result<()>,
) -> Result<Header> {
    let mut batches = SecureBatches::open(path)?;
    while let Some((variants, words)) = batches.next_batch()? {
        each(variants, words)?;
    }
    Ok(batches.header)
}

/// A secure summary's rows, batch by batch: the variants and their W words per row.
pub struct SecureBatches {
    path: PathBuf,
    /// The file's header.
    pub header: Header,
    width: usize,
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    /// Rows read so far.
    row: usize,
}

impl SecureBatches {
    /// Opens the file and checks its header and columns (its checksum is
    /// [`read_secure_header`]'s business).
    pub fn open(path: &Path) -> Result<SecureBatches> {
        let (builder, header) = open_with_header(path)?;
        validate(path, &header)?;
        let width = header.secure.as_ref().expect("validated").words_per_row as usize;
        let expected = schema(width, !header.ld_regions.is_empty());
        for field in expected.fields() {
            match builder.schema().field_with_name(field.name()) {
                Ok(found) if found.data_type() == field.data_type() => {}
                _ => {
                    return Err(Error::input(
                        path,
                        format!(
                            "column '{}' is missing or not of type {}",
                            field.name(),
                            field.data_type()
                        ),
                    ))
                }
            }
        }
        let reader = builder
            .with_batch_size(crate::summary::stream::BATCH_ROWS)
            .build()
            .map_err(|e| Error::input(path, e.to_string()))?;
        Ok(SecureBatches {
            path: path.to_path_buf(),
            header,
            width,
            reader,
            row: 0,
        })
    }

    /// The next batch; `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<(Vec<Variant>, Vec<u128>)>> {
        Ok(self.next_batch_with_ld()?.map(|(v, w, _)| (v, w)))
    }

    /// The next batch with each row's masked LD words (checked: a row in an LD region has
    /// [`ld_words_of`] words, any other none); `None` at the end.
    pub fn next_batch_with_ld(&mut self) -> Result<Option<SecureBatch>> {
        let Some(batch) = self.reader.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| Error::input(&self.path, format!("corrupt data: {e}")))?;
        let masked = batch
            .column_by_name(MASKED_COLUMN)
            .expect("schema checked")
            .as_fixed_size_binary();
        let rows = batch.num_rows();
        let columns = super::schema::VariantColumns::of(&batch);
        let variants = columns.variants();
        let mut words = Vec::with_capacity(rows * self.width);
        for r in 0..rows {
            for chunk in masked.value(r).chunks_exact(WORD_BYTES) {
                words.push(u128::from_le_bytes(chunk.try_into().expect("16 bytes")));
            }
        }
        let mut ld = vec![None; rows];
        if !self.header.ld_regions.is_empty() {
            let column = batch
                .column_by_name(MASKED_LD_COLUMN)
                .expect("schema checked")
                .as_binary::<i32>();
            for (r, (slot, variant)) in ld.iter_mut().zip(&variants).enumerate() {
                let found = (!column.is_null(r)).then(|| column.value(r).len());
                let want = ld_words_of(&self.header, variant).map(|w| w * WORD_BYTES);
                if found != want {
                    return Err(Error::input(
                        &self.path,
                        format!(
                            "{MASKED_LD_COLUMN} of variant {variant} holds {} bytes, its LD regions need {}",
                            found.unwrap_or(0),
                            want.unwrap_or(0)
                        ),
                    )
                    .at(format!("row {}", self.row + r + 1)));
                }
                if found.is_some() {
                    *slot = Some(
                        column
                            .value(r)
                            .chunks_exact(WORD_BYTES)
                            .map(|c| u128::from_le_bytes(c.try_into().expect("16 bytes")))
                            .collect(),
                    );
                }
            }
        }
        self.row += rows;
        Ok(Some((variants, words, ld)))
    }
}

/// One batch of a secure summary: variants, their W words per row, and each row's masked LD
/// words.
pub type SecureBatch = (Vec<Variant>, Vec<u128>, Vec<Option<Vec<u128>>>);

/// Checks a secure header against the contract.
fn validate(path: &Path, header: &Header) -> Result<()> {
    check_format(path, header)?;
    let bad = |message: String| Err(Error::input(path, message));
    let Some(section) = &header.secure else {
        return bad("is a plaintext summary, not a secure one".to_string());
    };
    if section.scheme != SCHEME {
        return bad(format!(
            "secure scheme '{}' is not supported by this dash (reads '{}')",
            section.scheme, SCHEME
        ));
    }
    if header.components.len() != 1 || !header.components[0].groups.is_empty() {
        return bad("a secure summary must list one component without plaintext groups".into());
    }
    let widths: Vec<usize> = header.groups.iter().map(|g| g.fields.len()).collect();
    for (k, group) in header.groups.iter().enumerate() {
        if group.fields.first().map(|f| f.kind) != Some(FieldKind::Intercept)
            || group.shift.len() != group.fields.len()
            || group.shift.iter().any(|&s| s != 0.0)
        {
            return bad(format!(
                "group {k}: a secure summary's fields start with the intercept and are uncentred"
            ));
        }
    }
    if section.words_per_row as usize != words_per_row(&widths)
        || section.header_words.len() != header_word_count(&widths)
        || section
            .header_words
            .iter()
            .any(|w| word_from_hex(w).is_none())
        || section.fraction_bits != FRACTION_BITS
    {
        return bad("secure header does not match its field layout".into());
    }
    if !section.roster.contains(&section.party) {
        return bad(format!(
            "secure party '{}' is not in its roster",
            section.party
        ));
    }
    if header.components[0].party != section.party {
        return bad(format!(
            "component party '{}' differs from the secure party '{}'",
            header.components[0].party, section.party
        ));
    }
    match &section.roster_text {
        None => {
            return bad(
                "secure summary without its roster (written by an earlier dash); re-run dash compress --secure"
                    .into(),
            )
        }
        Some(text) if super::id::fingerprint(text.as_bytes()) != section.roster_hash => {
            return bad("embedded roster does not match the header's roster fingerprint".into())
        }
        Some(_) => {}
    }
    Ok(())
}
