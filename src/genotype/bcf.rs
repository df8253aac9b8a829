//! BCF2 binary VCF (`.bcf`, BGZF-compressed or plain).
//!
//! noodles reads the header (sample IDs, FORMAT declarations, the string and contig
//! dictionaries). Records are read and decoded here, from the raw bytes (BCF 2.2 spec §6.3):
//!
//! ```text
//! l_shared u32, l_indiv u32,
//! shared: CHROM i32, POS i32 (0-based), rlen i32, QUAL f32, n_info u16, n_allele u16,
//!         n_sample u24, n_fmt u8, ID, n_allele alleles, FILTER, INFO…   (typed values)
//! indiv:  per FORMAT key: key (typed int, a string-dictionary index), a type descriptor, then
//!         n_sample × count values of that type
//! ```
//!
//! A typed value starts with a descriptor byte: the low 4 bits are the type (1 int8, 2 int16,
//! 3 int32, 5 float, 7 char), the high 4 bits the count, 15 meaning "a typed int follows with
//! the count". Integers reserve their two smallest values as *missing* (`0x80`, `0x8000`, …)
//! and *end of vector* (`0x81`, …), floats the NaN payloads `0x7F800001` / `0x7F800002`. A `GT`
//! value is `(allele + 1) << 1 | phased`, so 0 or 1 is a missing allele, and a haploid call in a
//! diploid vector is padded with end-of-vector.
//!
//! The common case — a bi-allelic site with int8 diploid `GT` — decodes each sample's two
//! bytes with one lookup in a 64 Ki-entry table built once from the general decoder.
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

use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::OnceLock;

use super::batch::{RecordFormat, RecordReader};
use super::dosage::{check_ds, put_call, AltColumn, Call, Field, RecordSite, SampleError};
use super::io::{read_up_to, region_query};
use super::stream::{read_error_message, IndexKind, Stream};
use super::{DosageField, QcCounts, Region};
use crate::chrom;
use crate::error::{Error, Result};

/// A BCF reader behind the block-reader interface.
pub type BcfReader = RecordReader<Bcf>;

/// Opens a BCF: reads the header, resolves the dosage field, and with `region` sets up the
/// query through `FILE.csi`.
pub fn open(path: &Path, region: Option<&Region>, requested: DosageField) -> Result<BcfReader> {
    let mut stream = Stream::open(path)?;
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
    ))
}

/// The BCF record format.
#[derive(Debug, Clone)]
pub struct Bcf {
    n_samples: usize,
    field: Field,
    /// String-dictionary index of the dosage field's FORMAT key.
    key: i64,
    /// Normalised contig names by contig id.
    normalized: Vec<String>,
    records_read: u64,
    /// Whether record numbers count from the start of the file (not under a region query).
    numbered: bool,
}

/// One BCF record's raw bytes and where its dosage field is.
#[derive(Debug, Default)]
pub struct BcfRecord {
    shared: Vec<u8>,
    indiv: Vec<u8>,
    /// 1-based record number, when reading from the start.
    number: Option<u64>,
    n_alleles: u32,
    /// The dosage field's values: type, values per sample, offset in `indiv`.
    field: Option<FieldData>,
}

#[derive(Debug, Clone, Copy)]
struct FieldData {
    ty: Type,
    count: usize,
    offset: usize,
}

/// A BCF typed-value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Int8,
    Int16,
    Int32,
    Float,
    Char,
    /// Type 0: no values.
    Missing,
}

impl Type {
    fn from_code(code: u8) -> Option<Type> {
        Some(match code {
            0 => Type::Missing,
            1 => Type::Int8,
            2 => Type::Int16,
            3 => Type::Int32,
            5 => Type::Float,
            7 => Type::Char,
            _ => return None,
        })
    }

    fn width(self) -> usize {
        match self {
            Type::Int8 | Type::Char => 1,
            Type::Int16 => 2,
            Type::Int32 | Type::Float => 4,
            Type::Missing => 0,
        }
    }
}

/// The float sentinels: missing value and end of vector.
const FLOAT_MISSING: u32 = 0x7F80_0001;
const FLOAT_END: u32 = 0x7F80_0002;

/// One integer or float value of a vector, sentinels resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Number(f64),
    Int(i32),
    Missing,
    EndOfVector,
}

/// Reads value `k` of type `ty` from `bytes` (which holds at least `k + 1` values).
#[inline]
fn value(ty: Type, bytes: &[u8], k: usize) -> Value {
    match ty {
        Type::Int8 => match bytes[k] as i8 {
            i8::MIN => Value::Missing,
            -127 => Value::EndOfVector,
            v => Value::Int(i32::from(v)),
        },
        Type::Int16 => match i16::from_le_bytes([bytes[2 * k], bytes[2 * k + 1]]) {
            i16::MIN => Value::Missing,
            -32767 => Value::EndOfVector,
            v => Value::Int(i32::from(v)),
        },
        Type::Int32 => match i32::from_le_bytes(bytes[4 * k..4 * k + 4].try_into().unwrap()) {
            i32::MIN => Value::Missing,
            -2147483647 => Value::EndOfVector,
            v => Value::Int(v),
        },
        Type::Float => match u32::from_le_bytes(bytes[4 * k..4 * k + 4].try_into().unwrap()) {
            FLOAT_MISSING => Value::Missing,
            FLOAT_END => Value::EndOfVector,
            bits => Value::Number(f64::from(f32::from_bits(bits))),
        },
        Type::Char | Type::Missing => Value::Missing,
    }
}

/// A cursor over typed values.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&e| e <= self.bytes.len())
            .ok_or("record ends inside a typed value")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    /// A type descriptor: (type, count).
    fn descriptor(&mut self) -> Result<(Type, usize), String> {
        let byte = self.take(1)?[0];
        let ty = Type::from_code(byte & 0x0f)
            .ok_or_else(|| format!("unknown typed-value type {}", byte & 0x0f))?;
        let count = match byte >> 4 {
            15 => usize::try_from(self.int()?).map_err(|_| "negative typed-value count")?,
            n => usize::from(n),
        };
        Ok((ty, count))
    }

    /// A typed integer scalar.
    fn int(&mut self) -> Result<i64, String> {
        let (ty, count) = self.descriptor()?;
        if count != 1 || !matches!(ty, Type::Int8 | Type::Int16 | Type::Int32) {
            return Err("expected a typed integer".to_string());
        }
        match value(ty, self.take(ty.width())?, 0) {
            Value::Int(v) => Ok(i64::from(v)),
            _ => Err("missing typed integer".to_string()),
        }
    }

    /// A typed string (`None` when missing).
    fn string(&mut self) -> Result<String, String> {
        let (ty, count) = self.descriptor()?;
        let bytes = self.take(count * ty.width())?;
        if ty != Type::Char && count > 0 {
            return Err("expected a typed string".to_string());
        }
        // Strings may be NUL-padded.
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Ok(String::from_utf8_lossy(&bytes[..end]).into_owned())
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

impl RecordFormat for Bcf {
    type Record = BcfRecord;
    const NAME: &'static str = "bcf";

    fn read(
        &mut self,
        stream: &mut Stream,
        path: &Path,
        record: &mut BcfRecord,
    ) -> Result<Option<RecordSite>> {
        let number = self.records_read + 1;
        let at = || {
            if self.numbered {
                format!("record {number}")
            } else {
                "a record in the region".to_string()
            }
        };
        let truncated = |e: std::io::Error| Error::input(path, read_error_message(&e)).at(at());

        let mut lengths = [0u8; 8];
        match read_up_to(stream, &mut lengths).map_err(truncated)? {
            0 => return Ok(None),
            8 => {}
            n => {
                return Err(Error::input(
                    path,
                    format!("truncated: the input ends {n} bytes into a record"),
                )
                .at(at()))
            }
        }
        self.records_read = number;
        record.number = self.numbered.then_some(number);
        let l_shared = u32_at(&lengths, 0) as usize;
        let l_indiv = u32_at(&lengths, 4) as usize;
        record.shared.resize(l_shared, 0);
        stream.read_exact(&mut record.shared).map_err(truncated)?;
        record.indiv.resize(l_indiv, 0);
        stream.read_exact(&mut record.indiv).map_err(truncated)?;
        self.parse(record)
            .map(Some)
            .map_err(|m| Error::input(path, m).at(at()))
    }

    fn size(record: &BcfRecord) -> usize {
        record.shared.len() + record.indiv.len()
    }

    fn has_field(&self, record: &BcfRecord) -> bool {
        record.field.is_some()
    }

    fn decode(
        &self,
        record: &BcfRecord,
        alts: &[u32],
        columns: &mut [AltColumn],
    ) -> Result<(), SampleError> {
        let Some(field) = record.field else {
            return Ok(());
        };
        let data = &record.indiv
            [field.offset..field.offset + self.n_samples * field.count * field.ty.width()];
        match self.field {
            Field::Gt => {
                if field.ty == Type::Int8 && field.count == 2 && record.n_alleles == 2 {
                    if decode_biallelic_int8(data, &mut columns[0]) {
                        return Ok(());
                    }
                    // A value the table does not know: redo the column slowly, for the error.
                    columns[0].missing.clear();
                    columns[0].qc = QcCounts::default();
                }
                decode_gt(field, data, record.n_alleles, alts, columns)
            }
            Field::Ds if field.ty == Type::Float && field.count == 1 && alts == [1] => {
                decode_float_ds(data, &mut columns[0])
            }
            Field::Ds => decode_ds(field, data, record.n_alleles - 1, alts, columns),
        }
    }

    fn location(&self, record: &BcfRecord, site: &RecordSite) -> String {
        match record.number {
            Some(n) => format!("record {n} ({}:{})", site.chrom, site.pos),
            None => format!("record at {}:{}", site.chrom, site.pos),
        }
    }
}

impl Bcf {
    /// Parses the shared part and locates the dosage field in the per-sample part.
    fn parse(&self, record: &mut BcfRecord) -> Result<RecordSite, String> {
        let shared = &record.shared;
        if shared.len() < 24 {
            return Err(format!(
                "shared part of {} bytes; at least 24 expected",
                shared.len()
            ));
        }
        let contig = u32_at(shared, 0) as i32;
        let pos = u32_at(shared, 4) as i32;
        let n_allele = u32_at(shared, 16) >> 16;
        let n_fmt_sample = u32_at(shared, 20);
        let (n_sample, n_fmt) = ((n_fmt_sample & 0xff_ffff) as usize, n_fmt_sample >> 24);
        let chrom = usize::try_from(contig)
            .ok()
            .and_then(|c| self.normalized.get(c))
            .filter(|c| !c.is_empty())
            .ok_or_else(|| format!("contig id {contig} is not in the header"))?;
        if n_sample != self.n_samples {
            return Err(format!(
                "{n_sample} samples, but the header names {}",
                self.n_samples
            ));
        }
        if n_allele == 0 {
            return Err("no REF allele".to_string());
        }
        let mut cursor = Cursor {
            bytes: shared,
            at: 24,
        };
        let id = cursor.string()?;
        let mut alleles = Vec::with_capacity(n_allele as usize);
        for _ in 0..n_allele {
            alleles.push(cursor.string()?);
        }
        let ref_allele = alleles.remove(0);
        let site = RecordSite {
            chrom: chrom.clone(),
            pos: u64::try_from(i64::from(pos) + 1).map_err(|_| format!("negative POS {pos}"))?,
            id: if id.is_empty() { ".".to_string() } else { id },
            ref_allele,
            alts: alleles,
        };
        record.n_alleles = n_allele;

        // Walk the FORMAT fields to the dosage field.
        record.field = None;
        let mut cursor = Cursor {
            bytes: &record.indiv,
            at: 0,
        };
        for _ in 0..n_fmt {
            let key = cursor.int()?;
            let (ty, count) = cursor.descriptor()?;
            let offset = cursor.at;
            cursor.take(n_sample * count * ty.width())?;
            if key == self.key {
                record.field = Some(FieldData { ty, count, offset });
            }
        }
        Ok(site)
    }
}

/// Dosage codes of the bi-allelic table.
const HOM_REF: u8 = 0;
const HET: u8 = 1;
const HOM_ALT: u8 = 2;
const MISSING: u8 = 3;
const HAPLOID_REF: u8 = 4;
const HAPLOID_ALT: u8 = 5;
/// Anything else: an allele above 1, a bad sentinel.
const OTHER: u8 = 6;
const CODE_DOSAGE: [f64; 8] = [0.0, 1.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// The code of every pair of int8 `GT` bytes (first byte low) at a bi-allelic site, from the
/// general decoder so that both paths agree by construction.
fn biallelic_table() -> &'static [u8; 1 << 16] {
    static TABLE: OnceLock<Box<[u8; 1 << 16]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Box::new([OTHER; 1 << 16]);
        for (pair, code) in table.iter_mut().enumerate() {
            let bytes = (pair as u16).to_le_bytes();
            *code = match int_call(Type::Int8, &bytes, 2) {
                Ok(Call::Diploid(a, b)) if a <= 1 && b <= 1 => (a + b) as u8,
                Ok(Call::Haploid(a)) if a <= 1 => HAPLOID_REF + a as u8,
                Ok(Call::Missing) => MISSING,
                _ => OTHER,
            };
        }
        table
    })
}

/// Decodes a bi-allelic int8 diploid `GT` column by table; `false` if some value needs the
/// general decoder.
///
/// The hot loop is one table lookup, one store and one add per sample: the seven code counts
/// are kept in 8-bit lanes of one `u64` (a lane per code), spilled every 255 samples before a
/// lane can overflow, instead of a per-sample histogram update.
fn decode_biallelic_int8(data: &[u8], column: &mut AltColumn) -> bool {
    let table = biallelic_table();
    let mut counts = [0u64; 8];
    for (chunk, (pairs, dosages)) in data
        .chunks(2 * 255)
        .zip(column.dosages.chunks_mut(255))
        .enumerate()
    {
        let mut lanes = 0u64;
        for (i, (pair, dosage)) in pairs.chunks_exact(2).zip(dosages.iter_mut()).enumerate() {
            let code = table[usize::from(u16::from_le_bytes([pair[0], pair[1]]))] & 7;
            *dosage = CODE_DOSAGE[usize::from(code)];
            lanes += 1 << (8 * code);
            if code == MISSING {
                column.missing.push((chunk * 255 + i) as u32);
            }
        }
        for (k, count) in counts.iter_mut().enumerate() {
            *count += (lanes >> (8 * k)) & 0xff;
        }
    }
    let count = |code: u8| counts[usize::from(code)];
    if count(OTHER) > 0 {
        return false;
    }
    column.qc = QcCounts {
        hom_ref: count(HOM_REF),
        het: count(HET),
        hom_alt: count(HOM_ALT),
        missing: count(MISSING),
        dosage_sum: (count(HET) + 2 * count(HOM_ALT) + count(HAPLOID_ALT)) as f64,
    };
    true
}

/// Decodes a float `DS` column with one value per sample (a bi-allelic site).
fn decode_float_ds(data: &[u8], column: &mut AltColumn) -> Result<(), SampleError> {
    let mut sum = 0.0;
    for (sample, (bytes, dosage)) in data
        .chunks_exact(4)
        .zip(column.dosages.iter_mut())
        .enumerate()
    {
        let bits = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if bits == FLOAT_MISSING || bits == FLOAT_END {
            *dosage = 0.0;
            column.missing.push(sample as u32);
            continue;
        }
        let value = f64::from(f32::from_bits(bits));
        // NaN fails the range test too.
        if !(0.0..=2.0).contains(&value) {
            return Err(SampleError::at(sample, check_ds(value).unwrap_err()));
        }
        *dosage = value;
        sum += value;
    }
    column.qc = QcCounts {
        missing: column.missing.len() as u64,
        dosage_sum: sum,
        ..QcCounts::default()
    };
    Ok(())
}

/// One sample's `GT` call from its `count` integer values.
fn int_call(ty: Type, values: &[u8], count: usize) -> Result<Call, String> {
    let mut alleles = [None; 3];
    let mut ploidy = 0;
    for k in 0..count {
        let allele = match value(ty, values, k) {
            Value::EndOfVector => break,
            Value::Missing => None,
            // (allele + 1) << 1 | phased: 0 and 1 are a missing allele.
            Value::Int(v) if v >= 2 => Some((v >> 1) as u32 - 1),
            Value::Int(v) if v >= 0 => None,
            Value::Int(v) => return Err(format!("GT value {v} is not an allele")),
            Value::Number(_) => return Err("GT is not an integer".to_string()),
        };
        if ploidy == alleles.len() {
            return Err(format!("ploidy {count} is not supported (dosages are 0–2)"));
        }
        alleles[ploidy] = allele;
        ploidy += 1;
    }
    Call::from_alleles(&alleles[..ploidy])
}

/// Decodes `GT` of any integer width and ploidy.
fn decode_gt(
    field: FieldData,
    data: &[u8],
    n_alleles: u32,
    alts: &[u32],
    columns: &mut [AltColumn],
) -> Result<(), SampleError> {
    if !matches!(field.ty, Type::Int8 | Type::Int16 | Type::Int32) {
        return Err(SampleError::record(format!(
            "GT is stored as {:?}, not integers",
            field.ty
        )));
    }
    let stride = field.count * field.ty.width();
    for (sample, values) in data.chunks_exact(stride.max(1)).enumerate() {
        let call =
            int_call(field.ty, values, field.count).map_err(|m| SampleError::at(sample, m))?;
        if call.max_allele() >= n_alleles {
            return Err(SampleError::at(
                sample,
                format!(
                    "GT allele {} but the record has {} ALT allele(s)",
                    call.max_allele(),
                    n_alleles - 1
                ),
            ));
        }
        put_call(columns, alts, sample, call);
    }
    if stride == 0 {
        columns.iter_mut().for_each(AltColumn::all_missing);
    }
    Ok(())
}

/// Decodes `DS` (`Number=A`): value `alt − 1` of each sample's vector.
fn decode_ds(
    field: FieldData,
    data: &[u8],
    n_alts: u32,
    alts: &[u32],
    columns: &mut [AltColumn],
) -> Result<(), SampleError> {
    if field.count == 0 || field.ty == Type::Missing {
        columns.iter_mut().for_each(AltColumn::all_missing);
        return Ok(());
    }
    if field.count != n_alts as usize {
        return Err(SampleError::record(format!(
            "DS has {} value(s) per sample, but the record has {n_alts} ALT allele(s)",
            field.count
        )));
    }
    if field.ty == Type::Char {
        return Err(SampleError::record("DS is stored as a string, not numbers"));
    }
    let stride = field.count * field.ty.width();
    for (sample, values) in data.chunks_exact(stride).enumerate() {
        for (column, &alt) in columns.iter_mut().zip(alts) {
            let dosage = match value(field.ty, values, alt as usize - 1) {
                Value::Missing | Value::EndOfVector => {
                    column.put_missing(sample);
                    continue;
                }
                Value::Number(x) => x,
                Value::Int(v) => f64::from(v),
            };
            let dosage = check_ds(dosage).map_err(|m| SampleError::at(sample, m))?;
            column.put_dosage(sample, dosage);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gt(allele: Option<u32>, phased: bool) -> u8 {
        allele.map_or(0, |a| ((a + 1) << 1) as u8) | u8::from(phased)
    }

    #[test]
    fn table_matches_the_general_decoder() {
        let pairs: Vec<[u8; 2]> = vec![
            [gt(Some(0), false), gt(Some(0), false)],
            [gt(Some(0), false), gt(Some(1), true)],
            [gt(Some(1), false), gt(Some(1), true)],
            [gt(None, false), gt(Some(1), false)],
            [gt(None, false), 0x81],
            [gt(Some(1), false), 0x81],
            [gt(Some(0), false), 0x81],
            [0x80, 0x81],
        ];
        let want = [
            (Some(0.0), true),
            (Some(1.0), true),
            (Some(2.0), true),
            (None, false),
            (None, false),
            (Some(1.0), false),
            (Some(0.0), false),
            (None, false),
        ];
        let data: Vec<u8> = pairs.concat();
        let n = pairs.len();
        let mut fast = vec![f64::NAN; n];
        let mut column = AltColumn::new(&mut fast);
        assert!(decode_biallelic_int8(&data, &mut column));
        let fast_qc = column.qc;
        let fast_missing = column.missing.clone();

        let mut slow = vec![f64::NAN; n];
        let mut columns = [AltColumn::new(&mut slow)];
        let field = FieldData {
            ty: Type::Int8,
            count: 2,
            offset: 0,
        };
        decode_gt(field, &data, 2, &[1], &mut columns).unwrap();
        assert_eq!(columns[0].qc, fast_qc);
        assert_eq!(columns[0].missing, fast_missing);
        assert_eq!(fast_missing, [3, 4, 7]);
        assert_eq!(fast_qc.hom_ref + fast_qc.het + fast_qc.hom_alt, 3);
        for (i, (dosage, _)) in want.iter().enumerate() {
            assert_eq!(fast[i], dosage.unwrap_or(0.0), "sample {i}");
            assert_eq!(slow[i], fast[i], "sample {i}");
        }
    }

    #[test]
    fn table_rejects_out_of_range_alleles() {
        let data = [gt(Some(0), false), gt(Some(2), false)];
        let mut d = vec![0.0; 1];
        let mut column = AltColumn::new(&mut d);
        assert!(!decode_biallelic_int8(&data, &mut column));
        let mut columns = [AltColumn::new(&mut d)];
        let field = FieldData {
            ty: Type::Int8,
            count: 2,
            offset: 0,
        };
        let err = decode_gt(field, &data, 2, &[1], &mut columns).unwrap_err();
        assert!(err.message.contains("GT allele 2"), "{err:?}");
    }

    #[test]
    fn wide_integers_and_floats() {
        // int16 GT 0/2 at a tri-allelic site.
        let data: Vec<u8> = [2i16, 6].iter().flat_map(|v| v.to_le_bytes()).collect();
        let (mut d1, mut d2) = (vec![0.0; 1], vec![0.0; 1]);
        let mut columns = [AltColumn::new(&mut d1), AltColumn::new(&mut d2)];
        let field = FieldData {
            ty: Type::Int16,
            count: 2,
            offset: 0,
        };
        decode_gt(field, &data, 3, &[1, 2], &mut columns).unwrap();
        assert_eq!((columns[0].dosages[0], columns[1].dosages[0]), (0.0, 1.0));

        // float DS with a missing second value.
        let data: Vec<u8> = [0.25f32.to_bits(), 0x7F80_0001]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (mut d1, mut d2) = (vec![0.0; 1], vec![0.0; 1]);
        let mut columns = [AltColumn::new(&mut d1), AltColumn::new(&mut d2)];
        let field = FieldData {
            ty: Type::Float,
            count: 2,
            offset: 0,
        };
        decode_ds(field, &data, 2, &[1, 2], &mut columns).unwrap();
        assert_eq!(columns[0].dosages[0], 0.25);
        assert_eq!(columns[1].missing, [0]);
    }
}
