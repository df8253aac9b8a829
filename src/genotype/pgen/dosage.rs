//! The dosage track (record type bits 5–6) of a biallelic variant: which samples carry a dosage,
//! and their ALT dosages as 16-bit values on the grid of 1/16384 (0 to 32768 = 0 to 2).
//!
//! A sample without a dosage keeps its hard call's dosage (0, 1, 2, or missing). Phased dosages
//! (bit 7) follow and are not needed for the ALT dosage.

use super::bytes::{bit, count_ones, Cursor, RecordResult};
use super::difflist::{self, Difflist};
use super::record::DosageLayout;
use crate::genotype::QcCounts;

/// The largest dosage value: 2 ALT alleles.
pub const FULL: u16 = 32768;
/// A missing dosage (only where every sample has a value).
pub const MISSING: u16 = 65535;
/// One dosage unit: the value of one ALT allele is 16384.
pub const UNIT: f64 = 16384.0;

/// Reads the dosage track in `layout` over `n` samples; calls `put(sample, value)` for each
/// sample with a dosage, in increasing order (`value` is [`MISSING`] or at most [`FULL`]).
pub fn read(
    cursor: &mut Cursor,
    layout: DosageLayout,
    n: usize,
    list: &mut Difflist,
    mut put: impl FnMut(usize, u16),
) -> RecordResult<()> {
    let mut value = |k: usize, values: &[u8], sample: usize| -> RecordResult<()> {
        let v = u16::from_le_bytes([values[2 * k], values[2 * k + 1]]);
        let allowed = v <= FULL || (v == MISSING && layout == DosageLayout::Every);
        if !allowed {
            return Err(format!(
                "its dosage of sample index {sample} is {v}, beyond the largest value {FULL} (a dosage of 2)"
            ));
        }
        put(sample, v);
        Ok(())
    };
    match layout {
        DosageLayout::Every => {
            let values = cursor.take(2 * n, "dosages")?;
            for s in 0..n {
                value(s, values, s)?;
            }
        }
        DosageLayout::Bits => {
            let bits = cursor.take(n.div_ceil(8), "dosage bit array")?;
            let count = count_ones(bits, n);
            let values = cursor.take(2 * count, "dosages")?;
            for (k, s) in (0..n).filter(|&s| bit(bits, s)).enumerate() {
                value(k, values, s)?;
            }
        }
        DosageLayout::List => {
            difflist::read(cursor, n, false, "dosage list", list)?;
            let values = cursor.take(2 * list.samples.len(), "dosages")?;
            for (k, &s) in list.samples.iter().enumerate() {
                value(k, values, s as usize)?;
            }
        }
    }
    Ok(())
}

/// One ALT's dosages from its categories (`genotypes`) and, for a biallelic variant, its stored
/// dosages (which take precedence); returns the missing samples and the QC counts (with dosages
/// the genotype counts stay 0, as for a VCF's DS).
pub fn column(genotypes: &[u8], stored: &[(u32, u16)], out: &mut [f64]) -> (Vec<u32>, QcCounts) {
    let mut missing_mark = vec![false; out.len()];
    for (s, value) in out.iter_mut().enumerate() {
        let code = super::main_track::get(genotypes, s);
        if code == 3 {
            missing_mark[s] = true;
            *value = 0.0;
        } else {
            *value = f64::from(code);
        }
    }
    for &(s, v) in stored {
        let s = s as usize;
        if v == MISSING {
            missing_mark[s] = true;
            out[s] = 0.0;
        } else {
            missing_mark[s] = false;
            out[s] = f64::from(v) / UNIT;
        }
    }
    let missing: Vec<u32> = (0..out.len() as u32)
        .filter(|&s| missing_mark[s as usize])
        .collect();
    let qc = QcCounts {
        missing: missing.len() as u64,
        observed: (out.len() - missing.len()) as u64,
        dosage_sum: out.iter().sum(),
        dosage_sq_sum: out.iter().map(|x| x * x).sum(),
        ..QcCounts::default()
    };
    (missing, qc)
}

#[cfg(test)]
mod tests {
    use super::super::difflist::tests::encode;
    use super::*;

    fn collect(bytes: &[u8], layout: DosageLayout, n: usize) -> RecordResult<Vec<(usize, u16)>> {
        let mut got = Vec::new();
        let mut list = Difflist::default();
        read(&mut Cursor::new(bytes), layout, n, &mut list, |s, v| {
            got.push((s, v))
        })?;
        Ok(got)
    }

    #[test]
    fn three_layouts() {
        let values: Vec<u8> = [8192u16, 32768]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut bits = vec![0b0000_0100u8, 0b1];
        bits.extend(&values);
        assert_eq!(
            collect(&bits, DosageLayout::Bits, 9),
            Ok(vec![(2, 8192), (8, 32768)])
        );
        let mut list = encode(&[2, 8], None, 9);
        list.extend(&values);
        assert_eq!(
            collect(&list, DosageLayout::List, 9),
            Ok(vec![(2, 8192), (8, 32768)])
        );
        let every: Vec<u8> = [1u16, 65535].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(
            collect(&every, DosageLayout::Every, 2),
            Ok(vec![(0, 1), (1, MISSING)])
        );
        let over: Vec<u8> = [32769u16].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert!(collect(&over, DosageLayout::Every, 1)
            .unwrap_err()
            .contains("32769"));
    }
}
