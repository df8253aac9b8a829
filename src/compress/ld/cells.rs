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

/// The variants (indices into `calls`, ascending) whose pairwise sums may be released with
/// minimum cell `min_cell` over the groups given by `masks`; every variant when `min_cell` ≤ 1.
pub(crate) fn releasable(calls: &RegionCalls, masks: &[&[f64]], min_cell: u64) -> Vec<usize> {
    let (n, m) = (calls.n, calls.len());
    if min_cell <= 1 {
        return (0..m).collect();
    }
    let small = |count: f64| count > 0.0 && count < min_cell as f64;
    let alt = carriers(calls, |x| x > 0.0);
    let reference = carriers(calls, |x| x < 2.0);
    // Per group, the four joint-carrier count matrices (row-major m × m).
    let cells: Vec<[Vec<f64>; 4]> = masks
        .iter()
        .map(|mask| {
            [
                masked_cross(n, m, &alt, &alt, mask),
                masked_cross(n, m, &reference, &reference, mask),
                masked_cross(n, m, &alt, &reference, mask),
                masked_cross(n, m, &reference, &alt, mask),
            ]
        })
        .collect();
    let mut kept: Vec<usize> = Vec::new();
    for a in 0..m {
        let clashes = |b: usize| {
            cells
                .iter()
                .flatten()
                .any(|matrix| small(matrix[a * m + b]))
        };
        if !kept.iter().any(|&b| clashes(b)) {
            kept.push(a);
        }
    }
    kept
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
