//! A haploid call's `DS`, as plink2 2.00a3.5 imports it (`--vcf/--bcf … dosage=DS`).
//!
//! plink2 stores every dosage on the diploid 0..2 scale. Whether a sample's `DS` is on the
//! haploid 0..1 scale it decides from that sample's `GT` in the same record, on every
//! chromosome and whatever the sample's sex: a `GT` of one allele (`0`, `1`, `.`) makes the
//! `DS` haploid, and plink2 doubles it (a hemizygous ALT dosage of 0.3 imports as 0.6), as it
//! counts a haploid hard call as the homozygous one; a haploid `DS` above 1 is an error
//! ("invalid DS field"). A diploid `GT` (`0/1`, `./.`) leaves the `DS` as written. A record of
//! chrX, chrY or MT with `DS` but no `GT` is refused, since nothing says which scale it is on
//! (plink2: "has a DS field without a companion GT field"); without `GT` on other chromosomes
//! the `DS` is read as written.
//!
//! Compress then codes these dosages by chromosome as it codes hard calls: males' non-PAR chrX
//! under the chrX model, chrY and MT halved to 0..1 at merge.
//!
//! ```
//! use dash::genotype::dosage::AltColumn;
//! use dash::genotype::haploid_ds::{double_haploid, is_haploid_gt};
//! assert!(is_haploid_gt(b"1") && is_haploid_gt(b".") && is_haploid_gt(b"12"));
//! assert!(!is_haploid_gt(b"0/1") && !is_haploid_gt(b"./.") && !is_haploid_gt(b"1|0"));
//!
//! let mut dosages = vec![0.0; 3];
//! let mut column = AltColumn::new(&mut dosages);
//! column.put_dosage(0, 0.25);
//! column.put_missing(1);
//! column.put_dosage(2, 0.75);
//! double_haploid(std::slice::from_mut(&mut column), &[0, 1]).unwrap();
//! assert_eq!(column.dosages, &[0.5, 0.0, 0.75]);
//! assert_eq!(column.qc.dosage_sum, 1.25);
//! ```

use super::dosage::{AltColumn, SampleError};

/// Whether calls on this (normalised) chromosome may be haploid, so a `DS` record needs `GT`: chrX,
/// chrY and MT, where calls are haploid (plink2 refuses a `DS`-only record there too).
pub fn haploid_chromosome(chrom: &str) -> bool {
    matches!(chrom, "X" | "Y" | "MT")
}

/// The error for a chrX/chrY/MT record with `DS` but no `GT`.
pub fn missing_gt_message() -> String {
    "DS without GT on chrX, chrY or MT: a haploid call's DS is on a 0..1 scale and is doubled as plink2 imports it, so without GT its scale is unknown (plink2 refuses it too); give the file GT, or compress with --dosage-field GT".to_string()
}

/// Whether a VCF `GT` value holds one allele (no `/` or `|`).
#[inline(always)]
pub fn is_haploid_gt(gt: &[u8]) -> bool {
    // The common diploid shape (`0/1`, `0|1`) is settled by one byte.
    match gt.get(1) {
        Some(b'/' | b'|') => false,
        _ => !gt.iter().any(|&b| b == b'/' || b == b'|'),
    }
}

/// Doubles the observed `DS` dosage of each sample in `haploid` (ascending sample indices whose
/// `GT` is haploid) in every column, refusing one above 1; missing ones stay missing.
pub fn double_haploid(columns: &mut [AltColumn], haploid: &[u32]) -> Result<(), SampleError> {
    for column in columns {
        for &sample in haploid {
            if column.missing.binary_search(&sample).is_ok() {
                continue;
            }
            let dosage = &mut column.dosages[sample as usize];
            let value = *dosage;
            if value > 1.0 {
                return Err(SampleError::at(
                    sample as usize,
                    format!("DS value {value} of a haploid call (one GT allele) is above 1 (plink2 refuses it: a haploid DS is on a 0..1 scale)"),
                ));
            }
            *dosage = 2.0 * value;
            // The column's sums held x; they now hold 2x.
            column.qc.dosage_sum += value;
            column.qc.dosage_sq_sum += 3.0 * value * value;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haploid_ds_above_one_is_refused() {
        let mut dosages = vec![0.0; 2];
        let mut column = AltColumn::new(&mut dosages);
        column.put_dosage(0, 0.5);
        column.put_dosage(1, 1.5);
        let error = double_haploid(std::slice::from_mut(&mut column), &[1]).unwrap_err();
        assert!(error.message.contains("above 1"), "{}", error.message);
    }

    #[test]
    fn sums_follow_the_doubled_dosages() {
        let mut dosages = vec![0.0; 3];
        let mut column = AltColumn::new(&mut dosages);
        for (sample, x) in [0.125, 1.0, 0.5].into_iter().enumerate() {
            column.put_dosage(sample, x);
        }
        double_haploid(std::slice::from_mut(&mut column), &[0, 1]).unwrap();
        assert_eq!(column.dosages, &[0.25, 2.0, 0.5]);
        assert_eq!(column.qc.dosage_sum, 2.75);
        assert_eq!(column.qc.dosage_sq_sum, 0.0625 + 4.0 + 0.25);
        assert_eq!(column.qc.observed, 3);
    }

    #[test]
    fn gt_shapes() {
        for gt in [&b"0"[..], b"1", b".", b"10", b"123"] {
            assert!(is_haploid_gt(gt), "{}", String::from_utf8_lossy(gt));
        }
        for gt in [&b"0/0"[..], b"./.", b"1|1", b"10/2", b"0/1/2"] {
            assert!(!is_haploid_gt(gt), "{}", String::from_utf8_lossy(gt));
        }
    }
}
