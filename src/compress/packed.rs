//! Sums straight from packed hard calls, with no expansion to floats.
//!
//! A packed byte holds four samples' calls. For byte position k, the table
//! `T_k[byte] = Σ_{j<4} d(code_j(byte))·w_{4k+j}` (w: a sample's row of the stacked fields, plus
//! one `mask·d²` column per group for `x0·x0`) turns four genotypes into one lookup and one vector
//! add. Tables depend only on the samples, so a chunk of positions is tabulated once per block and
//! reused by every variant of the block while it sits in cache: 256 vector adds per position,
//! shared by thousands of variants, against one vector add per byte per variant.

use super::fields::StackedFields;
use crate::genotype::GenotypeBlock;

/// Byte positions tabulated together (8 × 256 entries × W floats: 256 KiB for W = 16), and the
/// bytes per variant the kernel reads at once (one u64).
const CHUNK: usize = 8;

/// Widest table (fields + one column per group, padded to 8) with a specialised kernel.
const MAX_SPECIALISED: usize = 64;

/// The packed-call kernel of one party: per-sample rows for dosage 1 and 2.
pub(crate) struct PackedKernel {
    n: usize,
    /// ΣJ.
    fields_width: usize,
    groups: usize,
    /// Padded table width (multiple of 8).
    width: usize,
    /// Per sample, `W` values: the row with its `mask·1²` columns (a het call's contribution).
    het: Vec<f64>,
    /// Per sample: `2·row` and `mask·2²` (a hom-ALT call's contribution).
    hom_alt: Vec<f64>,
}

impl PackedKernel {
    pub fn new(fields: &StackedFields) -> PackedKernel {
        let groups = fields.groups.len();
        let width = (fields.width + groups).div_ceil(8) * 8;
        let mut het = vec![0.0; fields.n * width];
        let mut hom_alt = vec![0.0; fields.n * width];
        for i in 0..fields.n {
            let row = fields.row(i);
            let (h, a) = (&mut het[i * width..], &mut hom_alt[i * width..]);
            for (c, v) in row.iter().enumerate() {
                h[c] = *v;
                a[c] = 2.0 * v;
            }
            for (g, &(offset, _)) in fields.groups.iter().enumerate() {
                h[fields.width + g] = row[offset];
                a[fields.width + g] = 4.0 * row[offset];
            }
        }
        PackedKernel {
            n: fields.n,
            fields_width: fields.width,
            groups,
            width,
            het,
            hom_alt,
        }
    }

    /// `Aᵀx0` (ΣJ per variant, variant-major) and `x0·x0` per group (groups per variant).
    pub fn sums(&self, block: &GenotypeBlock) -> (Vec<f64>, Vec<f64>) {
        let (b, bpv, w) = (block.len(), block.bytes_per_variant, self.width);
        let by_chunk = transpose(&block.packed, b, bpv);
        let totals = self.totals(&by_chunk, b, bpv.div_ceil(CHUNK));
        let mut product = Vec::with_capacity(b * self.fields_width);
        let mut squares = Vec::with_capacity(b * self.groups);
        for total in totals.chunks_exact(w) {
            product.extend_from_slice(&total[..self.fields_width]);
            squares.extend_from_slice(&total[self.fields_width..self.fields_width + self.groups]);
        }
        (product, squares)
    }

    /// Picks the width-specialised kernel, compiled for AVX2 when the CPU has it.
    fn totals(&self, by_chunk: &[u64], b: usize, chunks: usize) -> Vec<f64> {
        macro_rules! dispatch {
            ($($w:literal)*) => {
                match self.width {
                    $($w => {
                        #[cfg(target_arch = "x86_64")]
                        if std::arch::is_x86_feature_detected!("avx2") {
                            // SAFETY: the CPU supports AVX2, checked just above.
                            return unsafe { self.totals_avx2::<$w>(by_chunk, b, chunks) };
                        }
                        self.totals_fixed::<$w>(by_chunk, b, chunks)
                    })*
                    _ => self.totals_any(by_chunk, b, chunks),
                }
            };
        }
        dispatch!(8 16 24 32 40 48 56 64)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn totals_avx2<const W: usize>(&self, by_chunk: &[u64], b: usize, chunks: usize) -> Vec<f64> {
        self.totals_fixed::<W>(by_chunk, b, chunks)
    }

    /// The kernel for a compile-time width: tabulate a chunk, add its entries to every variant.
    #[inline(always)]
    fn totals_fixed<const W: usize>(&self, by_chunk: &[u64], b: usize, chunks: usize) -> Vec<f64> {
        debug_assert!(W <= MAX_SPECIALISED && W == self.width);
        let mut totals = vec![[0.0f64; W]; b];
        // On the heap: up to 1 MiB for W = 64, too much for a worker's stack.
        #[allow(clippy::useless_vec)]
        let mut tables = vec![[0.0f64; W]; CHUNK * 256];
        let mut halves = [[[0.0f64; W]; 16]; 2];
        for c in 0..chunks {
            for kk in 0..CHUNK {
                self.tabulate::<W>(
                    c * CHUNK + kk,
                    &mut halves,
                    &mut tables[kk * 256..(kk + 1) * 256],
                );
            }
            for (word, total) in by_chunk[c * b..(c + 1) * b].iter().zip(&mut totals) {
                let mut sum = *total;
                for (kk, byte) in word.to_le_bytes().into_iter().enumerate() {
                    let entry = &tables[kk * 256 + byte as usize];
                    for (s, e) in sum.iter_mut().zip(entry) {
                        *s += e;
                    }
                }
                *total = sum;
            }
        }
        totals.into_iter().flatten().collect()
    }

    /// `T_k` for position k from two 16-entry half-byte tables (samples 4k, 4k+1 and 4k+2,
    /// 4k+3), each entry a sum of precomputed rows.
    #[inline(always)]
    fn tabulate<const W: usize>(
        &self,
        k: usize,
        halves: &mut [[[f64; W]; 16]; 2],
        table: &mut [[f64; W]],
    ) {
        for (half, pair) in halves.iter_mut().enumerate() {
            let first = 4 * k + 2 * half;
            let term = |i: usize, code: usize| -> [f64; W] {
                // 00 hom-ALT, 01 missing, 10 het, 11 hom-REF; no sample past n (padding).
                let rows = match code {
                    0b00 => &self.hom_alt,
                    0b10 => &self.het,
                    _ => return [0.0; W],
                };
                if i >= self.n {
                    return [0.0; W];
                }
                rows[i * W..(i + 1) * W].try_into().expect("W values")
            };
            for c0 in 0..4 {
                let a = term(first, c0);
                for c1 in 0..4 {
                    let b = term(first + 1, c1);
                    let entry = &mut pair[c0 | (c1 << 2)];
                    for ((e, x), y) in entry.iter_mut().zip(&a).zip(&b) {
                        *e = x + y;
                    }
                }
            }
        }
        let [low, high] = &*halves;
        for (byte, entry) in table.iter_mut().enumerate() {
            let (l, h) = (&low[byte & 15], &high[byte >> 4]);
            for ((e, x), y) in entry.iter_mut().zip(l).zip(h) {
                *e = x + y;
            }
        }
    }

    /// Any width: the same computation with runtime-length rows.
    fn totals_any(&self, by_chunk: &[u64], b: usize, chunks: usize) -> Vec<f64> {
        let w = self.width;
        let mut totals = vec![0.0; b * w];
        for c in 0..chunks {
            for (word, total) in by_chunk[c * b..(c + 1) * b]
                .iter()
                .zip(totals.chunks_exact_mut(w))
            {
                for (kk, byte) in word.to_le_bytes().into_iter().enumerate() {
                    for q in 0..4 {
                        let i = 4 * (c * CHUNK + kk) + q;
                        let rows = match (byte >> (2 * q)) & 3 {
                            0b00 => &self.hom_alt,
                            0b10 => &self.het,
                            _ => continue,
                        };
                        if i < self.n {
                            for (t, v) in total.iter_mut().zip(&rows[i * w..(i + 1) * w]) {
                                *t += v;
                            }
                        }
                    }
                }
            }
        }
        totals
    }
}

/// Regroups a block's bytes chunk-major, one u64 per (chunk, variant): the kernel then streams
/// each chunk's words instead of striding through the block one page per variant (a TLB miss per
/// read). Copies tiles of 64 variants × 64 chunks so both sides stay in cache. Trailing bytes
/// past a variant's end are 0, and tables of positions past the last sample are 0.
fn transpose(packed: &[u8], b: usize, bpv: usize) -> Vec<u64> {
    const TILE: usize = 64;
    let chunks = bpv.div_ceil(CHUNK);
    let mut out = vec![0u64; chunks * b];
    for v0 in (0..b).step_by(TILE) {
        for c0 in (0..chunks).step_by(TILE) {
            for v in v0..(v0 + TILE).min(b) {
                let row = &packed[v * bpv..(v + 1) * bpv];
                for c in c0..(c0 + TILE).min(chunks) {
                    let start = c * CHUNK;
                    out[c * b + v] = match row.get(start..start + CHUNK) {
                        Some(bytes) => u64::from_le_bytes(bytes.try_into().expect("CHUNK bytes")),
                        None => {
                            let mut last = [0u8; CHUNK];
                            last[..bpv - start].copy_from_slice(&row[start..]);
                            u64::from_le_bytes(last)
                        }
                    };
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genotype::plink_bed;

    /// The table kernel against a direct per-sample sum, for widths that take each code path.
    #[test]
    fn table_kernel_equals_direct_sums() {
        for (n, width) in [(1usize, 3usize), (7, 5), (13, 13), (37, 70)] {
            let groups = vec![(0, width)];
            let by_row: Vec<f64> = (0..n * width)
                .map(|i| {
                    if i % width == 0 {
                        1.0
                    } else {
                        (i as f64 * 0.37).sin()
                    }
                })
                .collect();
            let mut by_column = vec![0.0; n * width];
            for i in 0..n {
                for c in 0..width {
                    by_column[c * n + i] = by_row[i * width + c];
                }
            }
            let fields = StackedFields {
                n,
                width,
                by_column,
                by_row,
                groups,
            };
            let kernel = PackedKernel::new(&fields);
            let bpv = n.div_ceil(4);
            let variants = 5;
            let mut block = GenotypeBlock {
                packed: (0..variants * bpv).map(|i| (i * 97 % 256) as u8).collect(),
                bytes_per_variant: bpv,
                n_samples: n,
                ..GenotypeBlock::default()
            };
            block.variants = vec![
                crate::genotype::Variant {
                    chrom: "1".into(),
                    pos: 1,
                    id: ".".into(),
                    ref_allele: "A".into(),
                    alt_allele: "C".into()
                };
                variants
            ];
            let (product, squares) = kernel.sums(&block);
            for v in 0..variants {
                let mut x = vec![0.0; n];
                plink_bed::unpack(&block.packed[v * bpv..(v + 1) * bpv], &mut x);
                for c in 0..width {
                    let direct: f64 = (0..n).map(|i| fields.row(i)[c] * x[i]).sum();
                    let got = product[v * width + c];
                    assert!(
                        (got - direct).abs() <= 1e-12 * (1.0 + direct.abs()),
                        "n={n} w={width} v={v} c={c}"
                    );
                }
                let direct: f64 = x.iter().map(|d| d * d).sum();
                assert!((squares[v] - direct).abs() <= 1e-12 * (1.0 + direct));
            }
        }
    }
}
