//! The common case of `GT`: a bi-allelic site with int8 diploid calls.
//!
//! A `GT` value is `(allele + 1) << 1 | phased`, so 0 or 1 is a missing allele, and a haploid
//! call in a diploid vector is padded with end-of-vector. Each sample's two bytes are decoded
//! with one lookup in a 64 Ki-entry table built once from the general decoder
//! ([`super::decode`]), so that both agree by construction.

use std::sync::OnceLock;

use super::decode::int_call;
use super::value::Type;
use crate::genotype::dosage::{AltColumn, Call};
use crate::genotype::QcCounts;

/// Dosage codes of the bi-allelic table.
const HOM_REF: u8 = 0;
const HET: u8 = 1;
const HOM_ALT: u8 = 2;
const MISSING: u8 = 3;
const HAPLOID_REF: u8 = 4;
const HAPLOID_ALT: u8 = 5;
/// Anything else: an allele above 1, a bad sentinel.
const OTHER: u8 = 6;
/// A haploid call counts as the homozygous one, as plink2 imports it.
const CODE_DOSAGE: [f64; 8] = [0.0, 1.0, 2.0, 0.0, 0.0, 2.0, 0.0, 0.0];

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
pub(super) fn decode_biallelic_int8(data: &[u8], column: &mut AltColumn) -> bool {
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
        hom_ref: count(HOM_REF) + count(HAPLOID_REF),
        het: count(HET),
        hom_alt: count(HOM_ALT) + count(HAPLOID_ALT),
        missing: count(MISSING),
        observed: column.dosages.len() as u64 - count(MISSING),
        dosage_sum: (count(HET) + 2 * (count(HOM_ALT) + count(HAPLOID_ALT))) as f64,
        dosage_sq_sum: (count(HET) + 4 * (count(HOM_ALT) + count(HAPLOID_ALT))) as f64,
        by_sex: None,
    };
    true
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode_gt;
    use super::super::record::FieldData;
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
            // Haploid calls count as the homozygous ones, as plink2 imports them.
            (Some(2.0), false),
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
        assert_eq!(fast_qc.hom_ref + fast_qc.het + fast_qc.hom_alt, 5);
        assert_eq!((fast_qc.hom_ref, fast_qc.hom_alt), (2, 2));
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
}
