//! Sums by GEMM: `WᵀX0` for a slab of dosage columns, with faer on one thread (blocks are
//! already summed in parallel).
//!
//! Real-valued dosages (DS) always take this path. Packed hard calls take it too when the
//! field width is large (many phenotypes): their calls are expanded, a tile of variants ×
//! samples at a time, into f64 dosages (0, 1, 2, exact) and multiplied. The table kernel
//! ([`super::packed`]) costs O(width) per packed byte and loses its specialised code past 64
//! table lanes; a GEMM costs O(width) per call too but runs near the FMA peak. Where one
//! overtakes the other was measured, not guessed: see [`super::GEMM_MIN_WIDTH`].

use std::cell::RefCell;

use faer::{Accum, MatMut, MatRef, Par};

#[cfg(test)]
use super::fields::packed_members;
use super::fields::StackedFields;
use crate::genotype::{plink_bed, GenotypeBlock, QcCounts};

/// Hard calls are expanded to f64 and multiplied one tile at a time: [`TILE_VARIANTS`]
/// variants × [`TILE_SAMPLES`] samples (1 MiB), which stays in a core's L2 cache between the
/// expansion that writes it and the GEMM that reads it, with the tile's rows of `W` (0.45 MiB
/// at 111 fields). A slab of whole variants (32 MiB at N = 20,000) went through memory twice.
const TILE_VARIANTS: usize = 256;

/// Samples per tile (see [`TILE_VARIANTS`]); a multiple of 4, so a tile starts on a `.bed`
/// byte.
const TILE_SAMPLES: usize = 512;

thread_local! {
    /// Each worker's tile of expanded hard calls, kept between blocks (no page faults per block).
    static TILE: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// `WᵀX0` (ΣJ per variant, variant-major) and `x0·x0` per group (groups per variant) of a block
/// of dosages.
///
/// A group of every sample takes its `x0·x0` from the reader's `Σx²` when the block's counts
/// sum its dosages ([`GenotypeBlock::qc_sums_dosages`]): the reader summed each column while
/// it was in cache, and a block of dosages is far larger than the cache, so a second pass
/// here would read it back from memory.
pub(crate) fn sums(fields: &StackedFields, block: &GenotypeBlock) -> (Vec<f64>, Vec<f64>) {
    let mut product = Vec::with_capacity(fields.width * block.len());
    let mut squares = Vec::with_capacity(fields.groups.len() * block.len());
    let summed = block.qc_sums_dosages.then_some(block.qc.as_slice());
    sums_into(fields, &block.dosages, summed, &mut product, &mut squares);
    (product, squares)
}

/// [`sums`] of a block of packed hard calls, expanded to f64 dosages one tile at a time
/// ([`TILE_VARIANTS`]; missing calls as 0, as in a dosage block) and multiplied tile by tile,
/// each tile's product added to its variants' sums. Their `x0·x0` per group is counted from the
/// packed codes themselves ([`packed_square_sum`]) rather than from the expanded tiles.
pub(crate) fn packed_sums(fields: &StackedFields, block: &GenotypeBlock) -> (Vec<f64>, Vec<f64>) {
    let (n, width, bpv, b) = (fields.n, fields.width, block.bytes_per_variant, block.len());
    let mut product = vec![0.0; width * b];
    let squares = block
        .packed
        .chunks_exact(bpv.max(1))
        .take(b)
        .flat_map(|bytes| {
            fields
                .packed_members
                .iter()
                .map(move |members| packed_square_sum(bytes, members))
        })
        .collect();
    let stacked = MatRef::from_column_major_slice(&fields.by_column, n, width);
    TILE.with_borrow_mut(|tile| {
        for (first, sums) in (0..b)
            .step_by(TILE_VARIANTS)
            .zip(product.chunks_mut((width * TILE_VARIANTS).max(1)))
        {
            let count = TILE_VARIANTS.min(b - first);
            for start in (0..n).step_by(TILE_SAMPLES) {
                let rows = TILE_SAMPLES.min(n - start);
                tile.resize(rows * count, 0.0);
                for (v, column) in tile.chunks_exact_mut(rows).enumerate() {
                    let at = (first + v) * bpv + start / 4;
                    plink_bed::unpack(&block.packed[at..at + rows.div_ceil(4)], column);
                }
                tile_product(sums, stacked.subrows(start, rows), tile, start == 0);
            }
        }
    });
    (product, squares)
}

/// Adds to `sums` (`width` per variant, variant-major) the product `Wᵀ·tile` of one tile of
/// expanded dosages (`rows` samples per variant, variant-major) with the same `rows` rows of
/// the stacked fields `stacked` (`rows` × `width`), on this thread; `first` replaces `sums`
/// instead (the tile of the first samples). Public for `examples/gemm_floor.rs`, which times
/// this product alone.
pub fn tile_product(sums: &mut [f64], stacked: MatRef<'_, f64>, tile: &[f64], first: bool) {
    let (rows, width) = (stacked.nrows(), stacked.ncols());
    let count = tile.len() / rows.max(1);
    faer::linalg::matmul::matmul(
        MatMut::from_column_major_slice_mut(sums, width, count),
        if first { Accum::Replace } else { Accum::Add },
        stacked.transpose(),
        MatRef::from_column_major_slice(tile, rows, count),
        1.0,
        Par::Seq,
    );
}

/// `x0·x0` over one group's samples of a variant's packed `.bed` calls: 4 per hom-ALT call
/// (code `00`, dosage 2) and 1 per het (`10`), counted 32 calls at a time. `members` holds the
/// group's samples as the low bit of each 2-bit slot ([`StackedFields::packed_members`]), so
/// other samples and the last byte's padding count nothing. The sum is an integer, exact in
/// f64, so it equals the sum of the squared expanded dosages bit for bit.
fn packed_square_sum(bytes: &[u8], members: &[u64]) -> f64 {
    let (words, tail) = bytes.as_chunks::<8>();
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    let (mut hom_alt, mut het) = (0u64, 0u64);
    for (word, &member) in words.iter().chain([&last]).zip(members) {
        let low = u64::from_le_bytes(*word);
        let high = low >> 1;
        hom_alt += u64::from((member & !low & !high).count_ones());
        het += u64::from((member & !low & high).count_ones());
    }
    (4 * hom_alt + het) as f64
}

/// Appends `WᵀX0` and `x0·x0` per group of the variants of `dosages` (N per variant);
/// `summed`, when given, holds each variant's counts with its `Σx²` over every sample.
fn sums_into(
    fields: &StackedFields,
    dosages: &[f64],
    summed: Option<&[QcCounts]>,
    product: &mut Vec<f64>,
    squares: &mut Vec<f64>,
) {
    let n = fields.n;
    product_into(fields, dosages, product);
    for (v, x0) in dosages.chunks_exact(n.max(1)).enumerate() {
        for (&(offset, _), &all) in fields.groups.iter().zip(&fields.covers_all) {
            squares.push(match summed {
                Some(qc) if all => qc[v].dosage_sq_sum,
                _ => {
                    let mask = &fields.by_column[offset * n..(offset + 1) * n];
                    lane_sum(x0, mask, |x, m| m * x * x)
                }
            });
        }
    }
}

/// Appends `WᵀX0` of the variants of `dosages` (N per variant).
fn product_into(fields: &StackedFields, dosages: &[f64], product: &mut Vec<f64>) {
    let (n, width) = (fields.n, fields.width);
    let b = dosages.len() / n.max(1);
    let start = product.len();
    product.resize(start + width * b, 0.0);
    faer::linalg::matmul::matmul(
        MatMut::from_column_major_slice_mut(&mut product[start..], width, b),
        Accum::Replace,
        MatRef::from_column_major_slice(&fields.by_column, n, width).transpose(),
        MatRef::from_column_major_slice(dosages, n, b),
        1.0,
        Par::Seq,
    );
}

/// Partial sums kept side by side in [`lane_sum`].
const LANES: usize = 8;

/// `Σ term(x[i], m[i])` over two columns of equal length, in [`LANES`] partial sums added at the
/// end: one running sum is a chain of dependent additions (4 cycles each) that the CPU cannot
/// overlap. Measured on a 100-phenotype compress, the x0·x0 sums went from 0.37 to 0.31 of the
/// GEMM's time; on dosage blocks too large for the cache they are bound by memory either way.
/// The order of additions differs from a left-to-right sum only by rounding (exact for hard
/// calls, whose terms are small integers).
#[inline]
fn lane_sum(x: &[f64], m: &[f64], term: impl Fn(f64, f64) -> f64) -> f64 {
    let (x_chunks, x_rest) = x.as_chunks::<LANES>();
    let (m_chunks, m_rest) = m[..x.len()].as_chunks::<LANES>();
    let mut lanes = [0.0; LANES];
    for (xs, ms) in x_chunks.iter().zip(m_chunks) {
        for k in 0..LANES {
            lanes[k] += term(xs[k], ms[k]);
        }
    }
    let rest: f64 = x_rest.iter().zip(m_rest).map(|(&x, &m)| term(x, m)).sum();
    lanes.iter().sum::<f64>() + rest
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
    if block.is_packed() {
        return packed_counts(fields, block);
    }
    if block.qc_sums_dosages && fields.contributes_all() {
        // The reader's counts are over every sample, here the contributed ones, and it summed
        // each column while it was in cache (see `sums`).
        return block
            .qc
            .iter()
            .map(|qc| match hard_calls {
                true => qc.clone(),
                false => QcCounts {
                    hom_ref: 0,
                    het: 0,
                    hom_alt: 0,
                    ..qc.clone()
                },
            })
            .collect();
    }
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
            // The contributed mask is 0 or 1, so `c·x` is `x` or a zero that changes no sum.
            let contributed = &fields.contributed;
            qc.dosage_sum = lane_sum(x0, contributed, |x, c| c * x);
            qc.dosage_sq_sum = lane_sum(x0, contributed, |x, c| c * x * x);
            if hard_calls {
                // Missing calls are 0 here, counted as hom-REF and taken back below.
                let mut tally = [0u64; 3];
                for (&x, &c) in x0.iter().zip(contributed) {
                    tally[usize::from((x as u8).min(2))] += u64::from(c != 0.0);
                }
                qc.hom_ref = tally[0] - missing;
                qc.het = tally[1];
                qc.hom_alt = tally[2];
            }
            qc
        })
        .collect()
}

/// [`counts`] of a block of packed hard calls (the GEMM kernel's blocks; decoding finished):
/// the block's own counts when every sample is contributed, else a tally of the 2-bit codes of
/// the contributed samples — never an expansion to f64, which took 40% of a 100-phenotype
/// compress.
fn packed_counts(fields: &StackedFields, block: &GenotypeBlock) -> Vec<QcCounts> {
    if fields.n_contributed() == fields.n as u64 {
        return block.qc.clone();
    }
    let bpv = block.bytes_per_variant;
    block
        .packed
        .chunks_exact(bpv)
        .take(block.len())
        .map(|bytes| {
            let mut tally = [0u64; 4];
            for (i, &c) in fields.contributed.iter().enumerate() {
                if c != 0.0 {
                    tally[usize::from((bytes[i / 4] >> (2 * (i % 4))) & 3)] += 1;
                }
            }
            // `.bed` codes: 00 hom-ALT, 01 missing, 10 het, 11 hom-REF.
            QcCounts::from_hard_calls(tally[3], tally[2], tally[0], tally[1])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_squares_equal_the_expanded_sums() {
        for n in [1usize, 3, 4, 5, 31, 32, 33, 64, 100, 257] {
            let bpv = n.div_ceil(4);
            // Every code, padding bits set to 00 (hom-ALT) as a worst case for the mask.
            let bytes: Vec<u8> = (0..bpv).map(|i| (i * 37 + 11) as u8).collect();
            let mut expanded = vec![0.0; n];
            plink_bed::unpack(&bytes, &mut expanded);
            let member: Vec<bool> = (0..n).map(|i| i % 3 != 1).collect();
            let mask: Vec<f64> = member.iter().map(|&m| f64::from(u8::from(m))).collect();
            let members = packed_members(&member);
            let naive: f64 = expanded.iter().zip(&mask).map(|(x, m)| m * x * x).sum();
            assert_eq!(packed_square_sum(&bytes, &members), naive, "n = {n}");
        }
    }

    /// The tiled product against a naive f64 sum `Σ_i w_ic · x_iv` over the expanded calls, at
    /// 1e-12 relative (to the sum of |terms|): over several tiles in both directions, with a
    /// partial last tile of samples (n not a multiple of 4) and of variants, missing calls as 0.
    #[test]
    fn tiled_product_equals_a_naive_sum() {
        use crate::compress::packed::tests::packed_block;
        let (n, width, variants) = (2 * TILE_SAMPLES + 37, 7usize, TILE_VARIANTS + 45);
        let by_row: Vec<f64> = (0..n * width)
            .map(|k| ((k as f64) * 0.618).sin() * 10.0 + 3.0)
            .collect();
        let fields = StackedFields::from_rows(n, by_row.clone(), vec![(0, width)]);
        let block = packed_block(n, variants, |i| (i * 97 % 253) as u8);
        let (product, _) = packed_sums(&fields, &block);
        let mut x = vec![0.0; n];
        for v in 0..variants {
            let bpv = block.bytes_per_variant;
            plink_bed::unpack(&block.packed[v * bpv..(v + 1) * bpv], &mut x);
            for c in 0..width {
                let terms = (0..n).map(|i| by_row[i * width + c] * x[i]);
                let naive: f64 = terms.clone().sum();
                let scale: f64 = terms.map(f64::abs).sum();
                let got = product[v * width + c];
                assert!(
                    (got - naive).abs() <= 1e-12 * scale,
                    "v={v} c={c}: {got} vs {naive}"
                );
            }
        }
    }

    #[test]
    fn lane_sums_equal_a_running_sum_on_integers() {
        for n in [0, 1, 7, 8, 9, 31, 100] {
            let x: Vec<f64> = (0..n).map(|i| f64::from(i % 3)).collect();
            let m: Vec<f64> = (0..n).map(|i| f64::from(i % 5 != 0)).collect();
            let naive: f64 = x.iter().zip(&m).map(|(x, m)| m * x * x).sum();
            assert_eq!(lane_sum(&x, &m, |x, m| m * x * x), naive, "n = {n}");
        }
    }
}
