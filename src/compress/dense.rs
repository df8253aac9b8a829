//! Sums from real-valued dosages (DS): one GEMM `WᵀX0` per block.

use faer::{Accum, MatMut, MatRef, Par};

use super::fields::StackedFields;
use crate::genotype::{GenotypeBlock, QcCounts};

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

/// QC counts of every variant over the contributed samples ([`StackedFields::contributed`]):
/// missing and observed calls, Σx and Σx² always; hom-REF/het/hom-ALT when the dosages are
/// `hard_calls` (0, 1 or 2 copies; the readers count a haploid call as the homozygous one, as
/// plink2 imports it; with `DS` all three stay 0: an expected dosage is not a genotype).
pub(crate) fn counts(
    fields: &StackedFields,
    block: &GenotypeBlock,
    hard_calls: bool,
) -> Vec<QcCounts> {
    let n = fields.n;
    let n_contributed = fields.n_contributed();
    (0..block.len())
        .map(|v| {
            let x0 = &block.dosages[v * n..(v + 1) * n];
            let missing = block.missing[v]
                .iter()
                .filter(|&&i| fields.contributed[i as usize] != 0.0)
                .count() as u64;
            let mut qc = QcCounts {
                missing,
                observed: n_contributed - missing,
                ..QcCounts::default()
            };
            for (&x, &c) in x0.iter().zip(&fields.contributed) {
                if c == 0.0 {
                    continue;
                }
                qc.dosage_sum += x;
                qc.dosage_sq_sum += x * x;
                if hard_calls {
                    // Missing calls are 0 here, counted as hom-REF and taken back below.
                    match x as u8 {
                        0 => qc.hom_ref += 1,
                        1 => qc.het += 1,
                        _ => qc.hom_alt += 1,
                    }
                }
            }
            if hard_calls {
                qc.hom_ref -= missing;
            }
            qc
        })
        .collect()
}
