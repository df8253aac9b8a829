//! Sums from real-valued dosages (DS): one GEMM `WᵀX0` per block.

use faer::{Accum, MatMut, MatRef, Par};

use super::fields::StackedFields;
use crate::genotype::GenotypeBlock;

/// `WᵀX0` (ΣJ per variant, variant-major) and `x0·x0` per group (groups per variant).
pub(crate) fn sums(fields: &StackedFields, block: &GenotypeBlock) -> (Vec<f64>, Vec<f64>) {
    let (n, width, b) = (fields.n, fields.width, block.len());
    let mut product = vec![0.0; width * b];
    faer::linalg::matmul::matmul(
        MatMut::from_column_major_slice_mut(&mut product, width, b),
        Accum::Replace,
        MatRef::from_column_major_slice(&fields.by_column, n, width).transpose(),
        MatRef::from_column_major_slice(&block.dosages, n, b),
        1.0,
        Par::Seq,
    );
    let mut squares = Vec::with_capacity(b * fields.groups.len());
    for v in 0..b {
        let x0 = &block.dosages[v * n..(v + 1) * n];
        for &(offset, _) in &fields.groups {
            let mask = &fields.by_column[offset * n..(offset + 1) * n];
            squares.push(x0.iter().zip(mask).map(|(x, m)| m * x * x).sum());
        }
    }
    (product, squares)
}
