//! Disclosure control on pairwise sums (`--min-cell K`; docs/security.md).
//!
//! A pairwise sum such as `x0_a·x0_b` is over the group's samples, but its non-zero terms come
//! from the samples that carry an allele at both variants. As the per-variant rule does for
//! carriers of one variant ([`crate::compress::disclosure`]), no pair may have 1 … K−1 samples
//! in any joint cell, per group: carriers of ALT or REF at a together with carriers of ALT or REF
//! at b (four cells; from the flips x' = 2 − x these all follow from the released sums), a
//! carrier at a missing at b and the other way round (four), and missing at both (one).
//! "Carrier" is an observed dosage above 0 (ALT) or below 2 (REF).
//!
//! Variants are taken in genomic order; one with a small cell against a variant already kept is
//! **withheld**: its row stays, without LD sums, and merge leaves this party out of every joint
//! fit that includes it. So a kept set never has a small cell between any two of its variants.

use super::sums::{masked_cross, RegionCalls};

/// Indicator of the observed calls of `calls` for which `carries` holds (column-major n × m).
fn carriers(calls: &RegionCalls, carries: impl Fn(f64) -> bool) -> Vec<f64> {
    let mut indicator: Vec<f64> = calls
        .x0
        .iter()
        .map(|&x| f64::from(u8::from(carries(x))))
        .collect();
    for (a, missing) in calls.missing.iter().enumerate() {
        for &i in missing {
            indicator[a * calls.n + i as usize] = 0.0;
        }
    }
    indicator
}

/// The ALT and REF carrier indicators of a region's variants (column-major n × m).
pub(crate) struct Carriers {
    n: usize,
    m: usize,
    alt: Vec<f64>,
    reference: Vec<f64>,
}

impl Carriers {
    /// The carriers of `calls`: observed dosage above 0 (ALT), below 2 (REF).
    pub(crate) fn of(calls: &RegionCalls) -> Carriers {
        Carriers {
            n: calls.n,
            m: calls.len(),
            alt: carriers(calls, |x| x > 0.0),
            reference: carriers(calls, |x| x < 2.0),
        }
    }

    /// The four joint-carrier count matrices over the samples where `mask` is 1, row-major
    /// m × m: ALT·ALT, REF·REF, ALT·REF, REF·ALT.
    pub(crate) fn cells(&self, mask: &[f64]) -> [Vec<f64>; 4] {
        let (n, m) = (self.n, self.m);
        [
            masked_cross(n, m, &self.alt, &self.alt, mask),
            masked_cross(n, m, &self.reference, &self.reference, mask),
            masked_cross(n, m, &self.alt, &self.reference, mask),
            masked_cross(n, m, &self.reference, &self.alt, mask),
        ]
    }
}

/// The variants (indices into `calls`, ascending) whose pairwise sums may be released with
/// minimum cell `min_cell` over the groups given by `masks`; every variant when `min_cell` ≤ 1.
pub(crate) fn releasable(calls: &RegionCalls, masks: &[&[f64]], min_cell: u64) -> Vec<usize> {
    let m = calls.len();
    if min_cell <= 1 {
        return (0..m).collect();
    }
    let carriers = Carriers::of(calls);
    let cells: Vec<[Vec<f64>; 4]> = masks.iter().map(|mask| carriers.cells(mask)).collect();
    crate::summary::ld::releasable(m, min_cell, |a, b| {
        cells.iter().flatten().map(move |matrix| matrix[a * m + b])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two variants whose ALT carriers overlap in one sample: with K = 2 the second is
    /// withheld; with K = 1 both are kept.
    #[test]
    fn a_single_double_carrier_withholds_the_later_variant() {
        let n = 6;
        let x0 = vec![
            1.0, 1.0, 1.0, 0.0, 0.0, 0.0, // a: carriers 0, 1, 2
            0.0, 0.0, 1.0, 1.0, 1.0, 0.0, // b: carriers 2, 3, 4 (one shared with a)
        ];
        let calls = RegionCalls {
            n,
            x0,
            missing: vec![vec![], vec![]],
        };
        let mask = [1.0; 6];
        assert_eq!(releasable(&calls, &[&mask], 2), vec![0]);
        assert_eq!(releasable(&calls, &[&mask], 1), vec![0, 1]);
    }
}
