//! The pairwise sums of one region over one group's samples: `X0ᵀX0`, `X0ᵀU`, `UᵀX0`, `UᵀU`.

use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

/// A region's genotypes at one party: m variant columns over n samples.
pub(crate) struct RegionCalls {
    /// Samples.
    pub n: usize,
    /// Column-major n × m: dosages with missing calls as 0 (`x0`).
    pub x0: Vec<f64>,
    /// Per variant, the missing samples, ascending (`u`).
    pub missing: Vec<Vec<u32>>,
}

impl RegionCalls {
    /// Variants m.
    pub fn len(&self) -> usize {
        self.missing.len()
    }
}

/// The four m × m matrices of one group, row-major: entry (a, b) of `x0x0` is `x0_a·x0_b`, of
/// `x0u` `x0_a·u_b`, of `ux0` `u_a·x0_b`, of `uu` `u_a·u_b`, all over the group's samples.
pub(crate) struct PairSums {
    pub m: usize,
    pub x0x0: Vec<f64>,
    pub x0u: Vec<f64>,
    pub ux0: Vec<f64>,
    pub uu: Vec<f64>,
}

impl PairSums {
    /// Row a of the four matrices restricted to the columns `kept`, concatenated (the stored
    /// layout of [`crate::summary::ld`]).
    pub fn stored_row(&self, a: usize, kept: &[usize]) -> Vec<f64> {
        let m = self.m;
        let mut row = Vec::with_capacity(4 * kept.len());
        for matrix in [&self.x0x0, &self.x0u, &self.ux0, &self.uu] {
            row.extend(kept.iter().map(|&b| matrix[a * m + b]));
        }
        row
    }
}

/// Columns of the product per parallel task: each task is one single-threaded GEMM of
/// `Wᵀ` with a block of `V`'s columns (faer's own threading is not used: rayon's pool is shared
/// with the rest of compress, and blocks keep every core busy without nesting pools).
const COLUMNS_PER_TASK: usize = 64;

/// `Wᵀ·diag(mask)·V` for column-major n × m `w` and `v`: GEMMs over blocks of V's columns, in
/// parallel; symmetric when `w` is `v`.
pub(crate) fn masked_cross(n: usize, m: usize, w: &[f64], v: &[f64], mask: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    if m == 0 || n == 0 {
        return out;
    }
    let w = MatRef::from_column_major_slice(w, n, m).transpose();
    // Column-major m × m of Wᵀ(DV) is the row-major (DV)ᵀW; for W = V they are equal.
    out.par_chunks_mut(m * COLUMNS_PER_TASK)
        .zip(v.par_chunks(n * COLUMNS_PER_TASK))
        .for_each(|(product, columns)| {
            let mut masked = columns.to_vec();
            for column in masked.chunks_exact_mut(n) {
                column.iter_mut().zip(mask).for_each(|(x, w)| *x *= w);
            }
            let width = columns.len() / n;
            faer::linalg::matmul::matmul(
                MatMut::from_column_major_slice_mut(product, m, width),
                Accum::Replace,
                w,
                MatRef::from_column_major_slice(&masked, n, width),
                1.0,
                Par::Seq,
            );
        });
    transpose_square(&mut out, m);
    out
}

/// Transposes a square row-major (or column-major) matrix in place.
fn transpose_square(matrix: &mut [f64], m: usize) {
    for a in 0..m {
        for b in a + 1..m {
            matrix.swap(a * m + b, b * m + a);
        }
    }
}

/// The pairwise sums of `calls` over the samples where `mask` is 1.
pub(crate) fn pair_sums(calls: &RegionCalls, mask: &[f64]) -> PairSums {
    let (n, m) = (calls.n, calls.len());
    let x0x0 = masked_cross(n, m, &calls.x0, &calls.x0, mask);
    // x0_a·u_b: column a of X0 summed over the group's missing samples of b.
    let mut x0u = vec![0.0; m * m];
    for (b, missing) in calls.missing.iter().enumerate() {
        for &i in missing.iter().filter(|&&i| mask[i as usize] != 0.0) {
            for a in 0..m {
                x0u[a * m + b] += calls.x0[a * n + i as usize];
            }
        }
    }
    let mut ux0 = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..m {
            ux0[a * m + b] = x0u[b * m + a];
        }
    }
    let uu = missing_overlaps(&calls.missing, mask);
    PairSums {
        m,
        x0x0,
        x0u,
        ux0,
        uu,
    }
}

/// `|miss_a ∩ miss_b ∩ group|` for every pair, row-major m × m.
pub(crate) fn missing_overlaps(missing: &[Vec<u32>], mask: &[f64]) -> Vec<f64> {
    let m = missing.len();
    let in_group: Vec<Vec<u32>> = missing
        .iter()
        .map(|list| {
            list.iter()
                .copied()
                .filter(|&i| mask[i as usize] != 0.0)
                .collect()
        })
        .collect();
    let mut uu = vec![0.0; m * m];
    for a in 0..m {
        for b in a..m {
            let count = sorted_overlap(&in_group[a], &in_group[b]) as f64;
            uu[a * m + b] = count;
            uu[b * m + a] = count;
        }
    }
    uu
}

/// The number of values in both ascending lists.
fn sorted_overlap(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut count) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                count += 1;
                i += 1;
                j += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sums against a naive loop over samples, with a mask and missing calls.
    #[test]
    fn pair_sums_match_a_naive_loop() {
        let n = 7;
        let x: [[f64; 7]; 3] = [
            [0.0, 1.0, 2.0, 0.0, 1.0, 1.0, 2.0],
            [2.0, 0.0, 1.0, 1.0, 0.0, 2.0, 1.0],
            [1.0, 1.0, 0.0, 2.0, 2.0, 0.0, 0.0],
        ];
        let missing = vec![vec![3u32], vec![0, 5], vec![3, 5, 6]];
        let mut x0: Vec<f64> = x.iter().flatten().copied().collect();
        for (a, list) in missing.iter().enumerate() {
            for &i in list {
                x0[a * n + i as usize] = 0.0;
            }
        }
        let mask = [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let calls = RegionCalls {
            n,
            x0: x0.clone(),
            missing: missing.clone(),
        };
        let sums = pair_sums(&calls, &mask);
        let u = |a: usize, i: usize| f64::from(u8::from(missing[a].contains(&(i as u32))));
        for a in 0..3 {
            for b in 0..3 {
                let total = |f: &dyn Fn(usize) -> f64| (0..n).map(|i| mask[i] * f(i)).sum::<f64>();
                assert_eq!(
                    sums.x0x0[a * 3 + b],
                    total(&|i| x0[a * n + i] * x0[b * n + i])
                );
                assert_eq!(sums.x0u[a * 3 + b], total(&|i| x0[a * n + i] * u(b, i)));
                assert_eq!(sums.ux0[a * 3 + b], total(&|i| u(a, i) * x0[b * n + i]));
                assert_eq!(sums.uu[a * 3 + b], total(&|i| u(a, i) * u(b, i)));
            }
        }
    }
}
