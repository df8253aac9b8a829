//! The layout of one BCF record (BCF 2.2 spec §6.3), read from the raw bytes:
//!
//! ```text
//! l_shared u32, l_indiv u32,
//! shared: CHROM i32, POS i32 (0-based), rlen i32, QUAL f32, n_info u16, n_allele u16,
//!         n_sample u24, n_fmt u8, ID, n_allele alleles, FILTER, INFO…   (typed values)
//! indiv:  per FORMAT key: key (typed int, a string-dictionary index), a type descriptor, then
//!         n_sample × count values of that type
//! ```
//!
//! Only the site fields of the shared part are parsed; the per-sample part is walked to find
//! the dosage field, which [`super::decode`] and [`super::gt_table`] decode.

use std::io::Read;
use std::path::Path;

use super::decode::{decode_ds, decode_float_ds, decode_gt, gt_calls, haploid_samples};
use super::gt_table::decode_biallelic_int8;
use super::value::{u32_at, Cursor, Type};
use super::Bcf;
use crate::error::{Error, Result};
use crate::genotype::batch::RecordFormat;
use crate::genotype::dosage::{AltColumn, Call, Field, RecordSite, SampleError};
use crate::genotype::io::read_up_to;
use crate::genotype::stream::{read_error_message, Stream};
use crate::genotype::QcCounts;
use crate::genotype::{haploid_ds, missing_ds};

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
    /// `GT`, when the dosage field is `DS` (a haploid `GT` doubles it).
    gt: Option<FieldData>,
    /// A `DS` record on chrX, chrY or MT, which must have `GT` ([`haploid_ds`]).
    needs_gt: bool,
}

/// Where a record's dosage field is in its per-sample part.
#[derive(Debug, Clone, Copy)]
pub(super) struct FieldData {
    /// The type of its values.
    pub(super) ty: Type,
    /// Values per sample.
    pub(super) count: usize,
    /// Offset of the first sample's values in the per-sample part.
    pub(super) offset: usize,
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
        let l_shared = u64::from(u32_at(&lengths, 0));
        let l_indiv = u64::from(u32_at(&lengths, 4));
        let limit = self.max_record_bytes();
        if l_shared < 24 || l_shared + l_indiv > limit {
            return Err(Error::input(
                path,
                format!(
                    "corrupt record lengths: {l_shared} bytes of site fields (at least 24) and {l_indiv} of sample fields, more than the {} MiB a record of {} samples may have",
                    limit >> 20,
                    self.n_samples
                ),
            )
            .at(at()));
        }
        read_part(stream, l_shared, &mut record.shared)
            .and_then(|()| read_part(stream, l_indiv, &mut record.indiv))
            .map_err(|m| Error::input(path, m).at(at()))?;
        self.parse(record)
            .map(Some)
            .map_err(|m| Error::input(path, m).at(at()))
    }

    fn size(record: &BcfRecord) -> usize {
        record.shared.len() + record.indiv.len()
    }

    fn has_field(&self, record: &BcfRecord) -> bool {
        // A `DS` read takes a record's `GT` calls where it has no `DS` ([`missing_ds`]).
        record.field.is_some() || record.gt.is_some()
    }

    fn decode(
        &self,
        record: &BcfRecord,
        alts: &[u32],
        columns: &mut [AltColumn],
    ) -> Result<(), SampleError> {
        let Some(field) = record.field else {
            // `GT` only, read for `DS`: every call is the hard call ([`missing_ds`]).
            columns.iter_mut().for_each(AltColumn::all_missing);
            return self.fill_missing_ds(record, alts, columns);
        };
        let data = self.field_bytes(record, field);
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
            Field::Ds => self.decode_ds(record, field, data, alts, columns),
        }
    }

    fn gt_calls(&self, record: &BcfRecord, calls: &mut Vec<Call>) -> Result<(), SampleError> {
        calls.clear();
        let Some(field) = record.field else {
            return Ok(());
        };
        gt_calls(
            field,
            self.field_bytes(record, field),
            self.n_samples,
            calls,
        )
    }

    fn location(&self, record: &BcfRecord, site: &RecordSite) -> String {
        match record.number {
            Some(n) => format!("record {n} ({}:{})", site.chrom, site.pos),
            None => format!("record at {}:{}", site.chrom, site.pos),
        }
    }
}

/// Reads `length` bytes into `buf` as they arrive: a corrupt length on a short file fails
/// without allocating it.
fn read_part(stream: &mut Stream, length: u64, buf: &mut Vec<u8>) -> Result<(), String> {
    buf.clear();
    let got = Read::take(&mut *stream, length)
        .read_to_end(buf)
        .map_err(|e| read_error_message(&e))?;
    if (got as u64) < length {
        return Err(format!(
            "truncated: the input ends {got} bytes into a record part of {length}"
        ));
    }
    Ok(())
}

impl Bcf {
    /// The sample values of one FORMAT field of a record.
    fn field_bytes<'r>(&self, record: &'r BcfRecord, field: FieldData) -> &'r [u8] {
        &record.indiv[field.offset..field.offset + self.n_samples * field.count * field.ty.width()]
    }

    /// Decodes `DS`, a haploid call's doubled as plink2 imports it ([`haploid_ds`]).
    fn decode_ds(
        &self,
        record: &BcfRecord,
        field: FieldData,
        data: &[u8],
        alts: &[u32],
        columns: &mut [AltColumn],
    ) -> Result<(), SampleError> {
        if record.needs_gt && record.gt.is_none() {
            return Err(SampleError::record(haploid_ds::missing_gt_message()));
        }
        if field.ty == Type::Float && field.count == 1 && alts == [1] {
            decode_float_ds(data, &mut columns[0])?;
        } else {
            decode_ds(field, data, record.n_alleles - 1, alts, columns)?;
        }
        let haploid = match record.gt {
            Some(gt) => haploid_samples(gt, self.field_bytes(record, gt), self.n_samples),
            None => Vec::new(),
        };
        haploid_ds::double_haploid(columns, &haploid)?;
        self.fill_missing_ds(record, alts, columns)
    }

    /// Puts the `GT` call of every sample whose `DS` is missing in place of it, as plink2
    /// imports a BCF ([`missing_ds`]; unlike a VCF's, a BCF's `GT` counts wherever it is in
    /// FORMAT, measured with plink2 2.00a3.5).
    fn fill_missing_ds(
        &self,
        record: &BcfRecord,
        alts: &[u32],
        columns: &mut [AltColumn],
    ) -> Result<(), SampleError> {
        let (Some(gt), Some(first)) = (record.gt, columns.first()) else {
            return Ok(());
        };
        let missing: Vec<u32> = first
            .missing
            .iter()
            .copied()
            .filter(|s| {
                columns[1..]
                    .iter()
                    .all(|c| c.missing.binary_search(s).is_ok())
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut calls = Vec::with_capacity(self.n_samples);
        gt_calls(gt, self.field_bytes(record, gt), self.n_samples, &mut calls)?;
        let missing: Vec<(u32, Call)> = missing
            .into_iter()
            .map(|s| (s, calls[s as usize]))
            .collect();
        missing_ds::fill_from_calls(columns, alts, &missing, record.n_alleles - 1)
    }

    /// The largest record (both parts) read: 64 MiB plus 4 KiB per sample, far above what
    /// the FORMAT data of real files needs, so that a corrupt length is refused before it is
    /// allocated.
    fn max_record_bytes(&self) -> u64 {
        (64 << 20) + (self.n_samples as u64) * (4 << 10)
    }

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
            pos: u64::try_from(i64::from(pos) + 1)
                .ok()
                .filter(|&p| p >= 1)
                .ok_or_else(|| format!("POS {}: positions start at 1", i64::from(pos) + 1))?,
            id: if id.is_empty() { ".".to_string() } else { id },
            ref_allele,
            alts: alleles,
        };
        record.n_alleles = n_allele;

        // Walk the FORMAT fields to the dosage field.
        record.field = None;
        record.gt = None;
        record.needs_gt = self.field == Field::Ds && haploid_ds::haploid_chromosome(&site.chrom);
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
            } else if Some(key) == self.gt_key {
                record.gt = Some(FieldData { ty, count, offset });
            }
        }
        Ok(site)
    }
}
