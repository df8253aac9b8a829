//! Sums straight from packed hard calls, with no expansion to floats.
//!
//! A packed byte holds four samples' calls. For byte position k, the table
//! `T_k[byte] = Σ_{j<4} d(code_j(byte))·w_{4k+j}` (w: a sample's row of the stacked fields, plus
//! one `mask·d²` column per group for `x0·x0`) turns four genotypes into one lookup and one vector
//! add. Tables depend only on the samples, so a chunk of positions is tabulated once per block and
//! reused by every variant of the block while it sits in cache: ~256·W adds per position, shared
//! by thousands of variants, against W adds per byte per variant.

use super::fields::StackedFields;
use crate::genotype::GenotypeBlock;

/// ALT dosage of each 2-bit code: 00 hom-ALT, 01 missing (0), 10 het, 11 hom-REF.
const DOSAGE: [f64; 4] = [2.0, 0.0, 1.0, 0.0];

/// Byte positions tabulated together (8 × 256 entries × W floats: ~256 KiB for W = 16).
const CHUNK: usize = 8;

/// Table columns: the stacked fields, one `x0·x0` column per group, padded to a multiple of 8
/// so the adds vectorise in whole registers.
pub(crate) struct PackedKernel<'a> {
    fields: &'a StackedFields,
    /// Padded table width.
    width: usize,
}

impl<'a> PackedKernel<'a> {
    pub fn new(fields: &'a StackedFields) -> PackedKernel<'a> {
        let used = fields.width + fields.groups.len();
        PackedKernel {
            fields,
            width: used.div_ceil(8) * 8,
        }
    }

    /// `Aᵀx0` (ΣJ per variant, variant-major) and `x0·x0` per group (groups per variant).
    pub fn sums(&self, block: &GenotypeBlock) -> (Vec<f64>, Vec<f64>) {
        let (b, bpv, w) = (block.len(), block.bytes_per_variant, self.width);
        let chunks = bpv.div_ceil(CHUNK);
        let by_chunk = transpose(&block.packed, b, bpv, chunks);
        let mut totals = vec![0.0; b * w];
        let mut tables = vec![0.0; CHUNK * 256 * w];
        for c in 0..chunks {
            for kk in 0..CHUNK {
                self.tabulate(c * CHUNK + kk, &mut tables[kk * 256 * w..(kk + 1) * 256 * w]);
            }
            let bytes = &by_chunk[c * b * CHUNK..(c + 1) * b * CHUNK];
            accumulate(bytes, w, &tables, &mut totals);
        }
        let (width, groups) = (self.fields.width, self.fields.groups.len());
        let mut product = Vec::with_capacity(b * width);
        let mut squares = Vec::with_capacity(b * groups);
        for total in totals.chunks_exact(w) {
            product.extend_from_slice(&total[..width]);
            squares.extend_from_slice(&total[width..width + groups]);
        }
        (product, squares)
    }

    /// Fills `table` (256 × width) for byte position `k`, from two 16-entry half-byte tables.
    fn tabulate(&self, k: usize, table: &mut [f64]) {
        let w = self.width;
        let fields = self.fields;
        // The extended row of sample i for code c: d(c)·row, then d(c)²·mask per group.
        let term = |i: usize, code: usize, out: &mut [f64]| {
            if i >= fields.n {
                return; // padding bits of the last byte: no sample
            }
            let d = DOSAGE[code];
            let row = fields.row(i);
            for (o, v) in out.iter_mut().zip(row) {
                *o += d * v;
            }
            for (g, &(offset, _)) in fields.groups.iter().enumerate() {
                out[fields.width + g] += d * d * row[offset];
            }
        };
        if 4 * k >= fields.n {
            table.fill(0.0); // padding chunk past the last byte: its zero bytes add nothing
            return;
        }
        let mut low = vec![0.0; 16 * w];
        let mut high = vec![0.0; 16 * w];
        for nibble in 0..16 {
            let (c0, c1) = (nibble & 3, nibble >> 2);
            term(4 * k, c0, &mut low[nibble * w..(nibble + 1) * w]);
            term(4 * k + 1, c1, &mut low[nibble * w..(nibble + 1) * w]);
            term(4 * k + 2, c0, &mut high[nibble * w..(nibble + 1) * w]);
            term(4 * k + 3, c1, &mut high[nibble * w..(nibble + 1) * w]);
        }
        for byte in 0..256 {
            let (lo, hi) = (&low[(byte & 15) * w..][..w], &high[(byte >> 4) * w..][..w]);
            for ((t, a), b) in table[byte * w..(byte + 1) * w].iter_mut().zip(lo).zip(hi) {
                *t = a + b;
            }
        }
    }
}

/// Regroups a block's bytes chunk-major: chunk c of every variant, contiguous. The kernel then
/// streams each chunk's bytes instead of striding through the block one page per variant (a TLB
/// miss per read). Copies tiles of 64 variants × 64 chunks so both sides stay in cache. Missing
/// trailing bytes of the last chunk are 0, whose table entries are 0.
fn transpose(packed: &[u8], b: usize, bpv: usize, chunks: usize) -> Vec<u8> {
    const TILE: usize = 64;
    let mut out = vec![0u8; chunks * b * CHUNK];
    for v0 in (0..b).step_by(TILE) {
        for c0 in (0..chunks).step_by(TILE) {
            for v in v0..(v0 + TILE).min(b) {
                let row = &packed[v * bpv..(v + 1) * bpv];
                for c in c0..(c0 + TILE).min(chunks) {
                    let start = c * CHUNK;
                    let dest = (c * b + v) * CHUNK;
                    match row.get(start..start + CHUNK) {
                        // A fixed-size copy is one move, not a call to memmove.
                        Some(bytes) => out[dest..dest + CHUNK].copy_from_slice(
                            <&[u8; CHUNK]>::try_from(bytes).expect("CHUNK bytes"),
                        ),
                        None => out[dest..dest + bpv - start].copy_from_slice(&row[start..]),
                    }
                }
            }
        }
    }
    out
}

/// Adds, for every variant, the table entries of its chunk bytes to its totals; picks a
/// compile-time width (so the adds stay in registers) and AVX2 when the CPU has it.
fn accumulate(bytes: &[u8], w: usize, tables: &[f64], totals: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { accumulate_avx2(bytes, w, tables, totals) };
        return;
    }
    accumulate_portable(bytes, w, tables, totals);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn accumulate_avx2(bytes: &[u8], w: usize, tables: &[f64], totals: &mut [f64]) {
    accumulate_portable(bytes, w, tables, totals);
}

#[inline(always)]
fn accumulate_portable(bytes: &[u8], w: usize, tables: &[f64], totals: &mut [f64]) {
    match w {
        8 => accumulate_fixed::<8>(bytes, tables, totals),
        16 => accumulate_fixed::<16>(bytes, tables, totals),
        24 => accumulate_fixed::<24>(bytes, tables, totals),
        32 => accumulate_fixed::<32>(bytes, tables, totals),
        _ => {
            for (chunk, total) in bytes.chunks_exact(CHUNK).zip(totals.chunks_exact_mut(w)) {
                for (kk, &byte) in chunk.iter().enumerate() {
                    let entry = &tables[(kk * 256 + byte as usize) * w..][..w];
                    for (s, e) in total.iter_mut().zip(entry) {
                        *s += e;
                    }
                }
            }
        }
    }
}

#[inline(always)]
fn accumulate_fixed<const W: usize>(bytes: &[u8], tables: &[f64], totals: &mut [f64]) {
    for (chunk, total) in bytes.chunks_exact(CHUNK).zip(totals.chunks_exact_mut(W)) {
        let mut sum = [0.0f64; W];
        sum.copy_from_slice(total);
        for (kk, &byte) in chunk.iter().enumerate() {
            let entry: &[f64; W] = tables[(kk * 256 + byte as usize) * W..][..W]
                .try_into()
                .expect("W entries");
            for (s, e) in sum.iter_mut().zip(entry) {
                *s += e;
            }
        }
        total.copy_from_slice(&sum);
    }
}
