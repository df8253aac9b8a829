//! A missing `DS` beside a `GT` call, as plink2 2.00a3.5 imports it (`--vcf/--bcf … dosage=DS`).
//!
//! plink2 takes the hard call when a sample's `DS` is missing (`.`, or the subfield dropped at
//! the end of the column) and its `GT` is not: `0/1:.` imports as 1, a haploid `1:.` as 2 (the
//! homozygous call, as every haploid call). A record whose FORMAT lacks `DS` but has `GT`
//! imports as its hard calls too. Only a `GT` that comes first in FORMAT counts, as the VCF
//! specification puts it and as plink2 reads it (`DS:GT` with `.` for `DS` imports as missing,
//! measured). A call still missing in `GT` stays missing. The dosage enters the column as any
//! `DS` value: the hard-call counts (`hom_ref`, `het`, `hom_alt`) of a `DS` source stay 0.
//!
//! ```
//! use dash::genotype::dosage::{AltColumn, Call};
//! use dash::genotype::missing_ds::fill_from_calls;
//! let mut dosages = vec![0.0; 3];
//! let mut column = AltColumn::new(&mut dosages);
//! column.put_missing(0);
//! column.put_dosage(1, 0.25);
//! column.put_missing(2);
//! fill_from_calls(std::slice::from_mut(&mut column), &[1], &[(0, Call::Haploid(1)), (2, Call::Missing)], 1).unwrap();
//! assert_eq!(column.dosages, &[2.0, 0.25, 0.0]);
//! assert_eq!(column.missing, [2]);
//! assert_eq!((column.qc.observed, column.qc.missing, column.qc.dosage_sum), (2, 1, 2.25));
//! ```

use super::dosage::{AltColumn, Call, SampleError};

/// The ALT dosage of allele number `alt` in a hard call, a haploid call counted as the
/// homozygous one; `None` for a missing call.
fn call_dosage(call: Call, alt: u32) -> Option<f64> {
    match call {
        Call::Missing | Call::Polyploid => None,
        Call::Haploid(a) => Some(2.0 * f64::from(u8::from(a == alt))),
        Call::Diploid(a, b) => Some(f64::from(u8::from(a == alt) + u8::from(b == alt))),
    }
}

/// Puts the hard call of each `(sample, call)` (ascending samples whose `DS` was missing in
/// every column) in place of its missing dosage, in every column (`alts[k]` the allele number
/// of `columns[k]`); refuses a call naming an allele the record (`n_alts` ALTs) lacks.
pub fn fill_from_calls(
    columns: &mut [AltColumn],
    alts: &[u32],
    calls: &[(u32, Call)],
    n_alts: u32,
) -> Result<(), SampleError> {
    for &(sample, call) in calls {
        if call.max_allele() > n_alts {
            return Err(SampleError::at(
                sample as usize,
                format!(
                    "GT allele {} but the record has {n_alts} ALT allele(s)",
                    call.max_allele()
                ),
            ));
        }
    }
    for (column, &alt) in columns.iter_mut().zip(alts) {
        let mut filled = Vec::new();
        for &(sample, call) in calls {
            let Some(dosage) = call_dosage(call, alt) else {
                continue;
            };
            if column.missing.binary_search(&sample).is_ok() {
                column.put_dosage(sample as usize, dosage);
                column.qc.missing -= 1;
                filled.push(sample);
            }
        }
        if !filled.is_empty() {
            column.missing.retain(|s| filled.binary_search(s).is_err());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_allelic_calls_fill_each_alt() {
        let (mut d1, mut d2) = (vec![0.0; 2], vec![0.0; 2]);
        let mut columns = [AltColumn::new(&mut d1), AltColumn::new(&mut d2)];
        for column in &mut columns {
            column.put_missing(0);
            column.put_missing(1);
        }
        let calls = [(0, Call::Diploid(1, 2)), (1, Call::Diploid(2, 2))];
        fill_from_calls(&mut columns, &[1, 2], &calls, 2).unwrap();
        assert_eq!(columns[0].dosages, &[1.0, 0.0]);
        assert_eq!(columns[1].dosages, &[1.0, 2.0]);
        assert!(columns
            .iter()
            .all(|c| c.missing.is_empty() && c.qc.het == 0));
        let error = fill_from_calls(&mut columns, &[1, 2], &[(1, Call::Haploid(3))], 2);
        assert!(error.unwrap_err().message.contains("GT allele 3"));
    }
}
