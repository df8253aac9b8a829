//! Sums straight from packed hard calls, with no expansion to floats.
//!
//! A packed byte holds four samples' calls. For byte position k, the table
//! `T_k[byte] = Σ_{j<4} r(code_j(byte), 4k+j)` turns four genotypes into one lookup and one
//! vector add, where a sample's row `r` for a call holds
//!
//! * its row of the stacked fields times the dosage d (`Aᵀx0`),
//! * `mask·d²` per group (`x0·x0`),
//! * three count lanes, 1 for a het, hom-ALT or missing call of a contributed sample (the QC
//!   counts, over the samples in some group: exact, since sums of small integers are exact in
//!   f64).
//!
//! Tables depend only on the samples, so a chunk of positions is tabulated once per block and
//! reused by every variant of the block while it sits in cache: 256 vector adds per position,
//! shared by thousands of variants, against one vector add per byte per variant. The counts come
//! with the sums; `Aᵀu` (the rows at missing calls) comes from one more pass over the same
//! words, only when the block has missing calls.
//!
//! The width-specialised kernel is compiled once per `KernelPath` — plain, AVX2, AVX-512 — all
//! giving the same sums to the bit; `sums` takes the fastest the CPU has. The feature-enabled
//! code, and with it all the `unsafe` of the kernel, is in the `simd` submodule.

use std::cell::RefCell;

mod simd;

use super::fields::StackedFields;
use crate::genotype::{GenotypeBlock, QcCounts};
use simd::{Avx2Token, Avx512Token};

/// Byte positions tabulated together (8 × 256 entries × W floats: 256 KiB for W = 16, in L2),
/// and the bytes per variant the kernel reads at once (one u64). Measured against 16-entry
/// tables per half-byte (32 KiB, in L1): twice the loads and adds cost more than L2 latency.
const CHUNK: usize = 8;

/// Widest table (fields + one column per group + counts, padded to 8) with a specialised kernel.
const MAX_SPECIALISED: usize = 64;

/// Count lanes after the fields and group columns: het, hom-ALT, missing.
const COUNT_LANES: usize = 3;

thread_local! {
    /// Each worker's chunk-major copy of the block it sums, kept between blocks: a fresh 30 MiB
    /// buffer per block costs page faults and zero-filling on every block.
    static CHUNK_MAJOR: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Which compiled variant of the width-specialised kernel runs. Every path gives the same sums
/// to the bit (the same adds in the same order); the SIMD paths hold the token that proves this
/// CPU has their instructions, so a path can only be one the CPU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KernelPath {
    /// Compiled for the baseline target.
    Plain,
    /// The plain code compiled with AVX2.
    Avx2(Avx2Token),
    /// Compiled with AVX-512F, chunks added with explicit AVX-512 adds.
    Avx512(Avx512Token),
}

impl KernelPath {
    /// The fastest path this CPU runs: AVX-512, else AVX2, else plain.
    pub(crate) fn best() -> KernelPath {
        if let Some(token) = Avx512Token::detect() {
            return KernelPath::Avx512(token);
        }
        if let Some(token) = Avx2Token::detect() {
            return KernelPath::Avx2(token);
        }
        KernelPath::Plain
    }

    /// Every path this CPU runs, plain first (for tests and measurements).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<KernelPath> {
        let mut paths = vec![KernelPath::Plain];
        paths.extend(Avx2Token::detect().map(KernelPath::Avx2));
        paths.extend(Avx512Token::detect().map(KernelPath::Avx512));
        paths
    }
}

/// What the kernel gives for one block.
pub(crate) struct PackedSums {
    /// `Aᵀx0`, ΣJ per variant, variant-major.
    pub product: Vec<f64>,
    /// `x0·x0` per group, groups per variant.
    pub squares: Vec<f64>,
    /// `Aᵀu`: the sum of the rows at a variant's missing calls, ΣJ per variant.
    pub atu: Vec<f64>,
    /// Genotype counts over the contributed samples (dosage sums included), one per variant.
    pub qc: Vec<QcCounts>,
}

/// The packed-call kernel of one party: per-sample rows for dosage 1 and 2.
pub(crate) struct PackedKernel {
    n: usize,
    /// ΣJ.
    fields_width: usize,
    groups: usize,
    /// Padded table width (multiple of 8).
    width: usize,
    /// Per sample, `W` values: the row with its `mask·1²` columns and a het count (a het call's
    /// contribution).
    het: Vec<f64>,
    /// Per sample: `2·row`, `mask·2²` and a hom-ALT count (a hom-ALT call's contribution).
    hom_alt: Vec<f64>,
    /// Per sample, 1 when contributed: a missing call's count.
    contributed: Vec<f64>,
    /// Samples contributed.
    n_contributed: u64,
}

impl PackedKernel {
    /// The kernel of the samples of `fields`: their rows for a het and a hom-ALT call.
    pub fn new(fields: &StackedFields) -> PackedKernel {
        let groups = fields.groups.len();
        let counts = fields.width + groups;
        let width = (counts + COUNT_LANES).div_ceil(8) * 8;
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
            h[counts] = fields.contributed[i];
            a[counts + 1] = fields.contributed[i];
        }
        PackedKernel {
            n: fields.n,
            fields_width: fields.width,
            groups,
            width,
            het,
            hom_alt,
            contributed: fields.contributed.clone(),
            n_contributed: fields.n_contributed(),
        }
    }

    /// The sums and genotype counts of every variant of a packed block, on the fastest kernel
    /// path this CPU runs.
    pub fn sums(&self, block: &GenotypeBlock) -> PackedSums {
        self.sums_with(KernelPath::best(), block)
    }

    /// [`PackedKernel::sums`] on a given kernel path.
    pub fn sums_with(&self, path: KernelPath, block: &GenotypeBlock) -> PackedSums {
        let (b, bpv, w) = (block.len(), block.bytes_per_variant, self.width);
        let counts = self.fields_width + self.groups;
        let (totals, atu) = CHUNK_MAJOR.with_borrow_mut(|by_chunk| {
            let chunks = bpv.div_ceil(CHUNK);
            transpose(&block.packed, b, bpv, by_chunk);
            let totals = self.totals(path, by_chunk, b, chunks);
            let any_missing = totals.chunks_exact(w).any(|t| t[counts + 2] > 0.0);
            let atu = if any_missing {
                self.missing_sums(by_chunk, b, chunks)
            } else {
                vec![0.0; b * self.fields_width]
            };
            (totals, atu)
        });
        let mut sums = PackedSums {
            product: Vec::with_capacity(b * self.fields_width),
            squares: Vec::with_capacity(b * self.groups),
            atu,
            qc: Vec::with_capacity(b),
        };
        for total in totals.chunks_exact(w) {
            sums.product.extend_from_slice(&total[..self.fields_width]);
            sums.squares
                .extend_from_slice(&total[self.fields_width..counts]);
            let [het, hom_alt, missing] = [0, 1, 2].map(|lane| total[counts + lane] as u64);
            let hom_ref = self.n_contributed - het - hom_alt - missing;
            sums.qc
                .push(QcCounts::from_hard_calls(hom_ref, het, hom_alt, missing));
        }
        sums
    }

    /// `Aᵀu` of every variant from the chunk-major words: the rows of the samples with a missing
    /// call (`01`), added in ascending sample order.
    ///
    /// Missing calls are sparse, so each chunk's words are first filtered without a branch
    /// (every word is written, the count advances only past words with a missing call), and
    /// only those words are walked bit by bit.
    fn missing_sums(&self, by_chunk: &[u64], b: usize, chunks: usize) -> Vec<f64> {
        const LOW_BITS: u64 = 0x5555_5555_5555_5555;
        let (fw, w) = (self.fields_width, self.width);
        let mut atu = vec![0.0; b * fw];
        let mut flagged = vec![(0usize, 0u64); b];
        for c in 0..chunks {
            let mut count = 0;
            for (v, &word) in by_chunk[c * b..(c + 1) * b].iter().enumerate() {
                let is_missing = word & !(word >> 1) & LOW_BITS;
                flagged[count] = (v, is_missing);
                count += usize::from(is_missing != 0);
            }
            for &(v, mut is_missing) in &flagged[..count] {
                let out = &mut atu[v * fw..(v + 1) * fw];
                while is_missing != 0 {
                    let i = 4 * CHUNK * c + is_missing.trailing_zeros() as usize / 2;
                    if i < self.n {
                        // A het call's row starts with the sample's row of the stacked fields.
                        for (o, x) in out.iter_mut().zip(&self.het[i * w..i * w + fw]) {
                            *o += x;
                        }
                    }
                    is_missing &= is_missing - 1;
                }
            }
        }
        atu
    }

    /// Runs the width-specialised kernel on `path`; widths without one take [`Self::totals_any`].
    fn totals(&self, path: KernelPath, by_chunk: &[u64], b: usize, chunks: usize) -> Vec<f64> {
        macro_rules! dispatch {
            ($($w:literal)*) => {
                match self.width {
                    $($w => match path {
                        KernelPath::Plain => self.totals_fixed::<$w, _>(PlainAdd, by_chunk, b, chunks),
                        KernelPath::Avx2(token) => {
                            simd::totals_avx2::<$w>(token, self, by_chunk, b, chunks)
                        }
                        KernelPath::Avx512(token) => {
                            simd::totals_avx512::<$w>(token, self, by_chunk, b, chunks)
                        }
                    },)*
                    _ => self.totals_any(by_chunk, b, chunks),
                }
            };
        }
        dispatch!(8 16 24 32 40 48 56 64)
    }

    /// The kernel for a compile-time width: tabulate a chunk, add its entries to every variant
    /// with `add`. Compiled once per path: inlined into the plain dispatcher and into each
    /// SIMD path's `#[target_feature]` function.
    ///
    /// Measure any change with `kernel_throughput` below.
    #[inline(always)]
    fn totals_fixed<const W: usize, A: AddChunk>(
        &self,
        add: A,
        by_chunk: &[u64],
        b: usize,
        chunks: usize,
    ) -> Vec<f64> {
        debug_assert!(W <= MAX_SPECIALISED && W == self.width);
        let mut totals = vec![[0.0f64; W]; b];
        // On the heap: up to 1 MiB for W = 64, too much for a worker's stack.
        #[allow(clippy::useless_vec)]
        let mut halves = vec![[0.0f64; W]; 32];
        #[allow(clippy::useless_vec)]
        let mut tables = vec![[0.0f64; W]; CHUNK * 256];
        for c in 0..chunks {
            for kk in 0..CHUNK {
                let k = c * CHUNK + kk;
                self.tabulate_half::<W>(4 * k, &mut halves[..16]);
                self.tabulate_half::<W>(4 * k + 2, &mut halves[16..]);
                for (byte, entry) in tables[kk * 256..(kk + 1) * 256].iter_mut().enumerate() {
                    let (l, h) = (&halves[byte & 15], &halves[16 + (byte >> 4)]);
                    for ((e, x), y) in entry.iter_mut().zip(l).zip(h) {
                        *e = x + y;
                    }
                }
            }
            add.add_chunk::<W>(&tables, &by_chunk[c * b..(c + 1) * b], &mut totals);
        }
        totals.into_iter().flatten().collect()
    }

    /// A sample's contribution for one 2-bit call: `00` hom-ALT, `01` missing, `10` het, `11`
    /// hom-REF; nothing past the last sample (the padding bits of a variant's last byte).
    #[inline(always)]
    fn call_row<const W: usize>(&self, i: usize, code: usize) -> [f64; W] {
        let rows = match code {
            0b00 if i < self.n => &self.hom_alt,
            0b10 if i < self.n => &self.het,
            0b01 if i < self.n => {
                let mut missing = [0.0; W];
                missing[self.fields_width + self.groups + 2] = self.contributed[i];
                return missing;
            }
            _ => return [0.0; W],
        };
        rows[i * W..(i + 1) * W].try_into().expect("W values")
    }

    /// The table of one half-byte: for samples `first` and `first + 1`, entry `c0 | c1 << 2` is
    /// the sum of their call rows for calls `c0` and `c1`.
    #[inline(always)]
    fn tabulate_half<const W: usize>(&self, first: usize, table: &mut [[f64; W]]) {
        for c0 in 0..4 {
            let a = self.call_row::<W>(first, c0);
            for c1 in 0..4 {
                let b = self.call_row::<W>(first + 1, c1);
                for ((e, x), y) in table[c0 | (c1 << 2)].iter_mut().zip(&a).zip(&b) {
                    *e = x + y;
                }
            }
        }
    }

    /// Any width: the same computation with runtime-length rows.
    fn totals_any(&self, by_chunk: &[u64], b: usize, chunks: usize) -> Vec<f64> {
        let w = self.width;
        let missing_lane = self.fields_width + self.groups + 2;
        let mut totals = vec![0.0; b * w];
        for c in 0..chunks {
            for (word, total) in by_chunk[c * b..(c + 1) * b]
                .iter()
                .zip(totals.chunks_exact_mut(w))
            {
                for (kk, byte) in word.to_le_bytes().into_iter().enumerate() {
                    for q in 0..4 {
                        let i = 4 * (c * CHUNK + kk) + q;
                        if i >= self.n {
                            break;
                        }
                        let rows = match (byte >> (2 * q)) & 3 {
                            0b00 => &self.hom_alt,
                            0b10 => &self.het,
                            0b01 => {
                                total[missing_lane] += self.contributed[i];
                                continue;
                            }
                            _ => continue,
                        };
                        for (t, v) in total.iter_mut().zip(&rows[i * w..(i + 1) * w]) {
                            *t += v;
                        }
                    }
                }
            }
        }
        totals
    }
}

/// How [`PackedKernel::totals_fixed`] adds one chunk's table entries to the variants' totals.
trait AddChunk: Copy {
    /// For each variant, adds the table entries of the eight bytes of its word to its total.
    fn add_chunk<const W: usize>(self, tables: &[[f64; W]], words: &[u64], totals: &mut [[f64; W]]);
}

/// Plain loops ([`add_chunk`]), compiled for whatever instructions the caller enables.
#[derive(Debug, Clone, Copy)]
struct PlainAdd;

impl AddChunk for PlainAdd {
    #[inline(always)]
    fn add_chunk<const W: usize>(
        self,
        tables: &[[f64; W]],
        words: &[u64],
        totals: &mut [[f64; W]],
    ) {
        add_chunk::<W>(tables, words, totals);
    }
}

/// Adds, for each variant, the table entries of the eight bytes of its word to its total.
///
/// Summed as a tree, not as a chain of eight dependent adds, with plain indexed loops over the
/// W lanes, which compile to whole-vector adds.
#[inline(always)]
fn add_chunk<const W: usize>(tables: &[[f64; W]], words: &[u64], totals: &mut [[f64; W]]) {
    for (word, total) in words.iter().zip(totals) {
        let entry = |kk: usize| &tables[kk * 256 + ((word >> (8 * kk)) & 0xff) as usize];
        let mut pairs = [[0.0f64; W]; CHUNK / 2];
        for (q, pair) in pairs.iter_mut().enumerate() {
            let (x, y) = (entry(2 * q), entry(2 * q + 1));
            for l in 0..W {
                pair[l] = x[l] + y[l];
            }
        }
        let ([p0, p1, p2, p3], mut sum) = (&pairs, *total);
        for l in 0..W {
            sum[l] += (p0[l] + p1[l]) + (p2[l] + p3[l]);
        }
        *total = sum;
    }
}

/// Regroups a block's bytes chunk-major into `out`, one u64 per (chunk, variant): the kernel then
/// streams each chunk's words instead of striding through the block one page per variant (a TLB
/// miss per read). Copies tiles of 64 variants × 64 chunks so both sides stay in cache. Trailing
/// bytes past a variant's end are 0, and tables of positions past the last sample are 0.
fn transpose(packed: &[u8], b: usize, bpv: usize, out: &mut Vec<u64>) {
    const TILE: usize = 64;
    let chunks = bpv.div_ceil(CHUNK);
    let full = bpv / CHUNK;
    // Every word is written below, so the buffer is resized without clearing it first.
    out.resize(chunks * b, 0);
    for v0 in (0..b).step_by(TILE) {
        for c0 in (0..full).step_by(TILE) {
            for c in c0..(c0 + TILE).min(full) {
                let column = &mut out[c * b + v0..c * b + (v0 + TILE).min(b)];
                for (k, word) in column.iter_mut().enumerate() {
                    let start = (v0 + k) * bpv + c * CHUNK;
                    let bytes = &packed[start..start + CHUNK];
                    *word = u64::from_le_bytes(bytes.try_into().expect("CHUNK bytes"));
                }
            }
        }
    }
    if full < chunks {
        for v in 0..b {
            let mut last = [0u8; CHUNK];
            last[..bpv - full * CHUNK]
                .copy_from_slice(&packed[v * bpv + full * CHUNK..(v + 1) * bpv]);
            out[full * b + v] = u64::from_le_bytes(last);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
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
            let fields = StackedFields::from_rows(n, by_row, groups);
            let kernel = PackedKernel::new(&fields);
            let bpv = n.div_ceil(4);
            let variants = 5;
            let block = packed_block(n, variants, |i| (i * 97 % 256) as u8);
            let sums = kernel.sums(&block);
            for v in 0..variants {
                let bytes = &block.packed[v * bpv..(v + 1) * bpv];
                let mut missing = Vec::new();
                assert_eq!(sums.qc[v], plink_bed::scan_variant(bytes, n, &mut missing));
                // Aᵀu to the bit: the same rows added in the same (ascending) order.
                let atu = fields.missing_sums(&[missing]);
                assert_eq!(&sums.atu[v * width..(v + 1) * width], &atu[..]);
                let mut x = vec![0.0; n];
                plink_bed::unpack(&block.packed[v * bpv..(v + 1) * bpv], &mut x);
                for c in 0..width {
                    let direct: f64 = (0..n).map(|i| fields.row(i)[c] * x[i]).sum();
                    let got = sums.product[v * width + c];
                    assert!(
                        (got - direct).abs() <= 1e-12 * (1.0 + direct.abs()),
                        "n={n} w={width} v={v} c={c}"
                    );
                }
                let direct: f64 = x.iter().map(|d| d * d).sum();
                assert!((sums.squares[v] - direct).abs() <= 1e-12 * (1.0 + direct));
            }
        }
    }

    /// A packed block of `variants` variants over `n` samples, byte `i` of the calls `byte(i)`.
    pub(crate) fn packed_block(
        n: usize,
        variants: usize,
        byte: impl Fn(usize) -> u8,
    ) -> GenotypeBlock {
        let bpv = n.div_ceil(4);
        GenotypeBlock {
            packed: (0..variants * bpv).map(byte).collect(),
            bytes_per_variant: bpv,
            n_samples: n,
            variants: vec![
                crate::genotype::Variant {
                    chrom: "1".into(),
                    pos: 1,
                    id: ".".into(),
                    ref_allele: "A".into(),
                    alt_allele: "C".into()
                };
                variants
            ],
            ..GenotypeBlock::default()
        }
    }

    /// Every kernel path this CPU runs — plain always, AVX2 and AVX-512 when the CPU has them —
    /// gives the same sums to the bit (same tree, same order), at table widths that take the
    /// specialised kernels and one that does not. `--nocapture` shows the paths run.
    #[test]
    fn kernel_paths_agree_to_the_bit() {
        let paths = KernelPath::available();
        println!("kernel paths run: {paths:?}");
        assert_eq!(paths[0], KernelPath::Plain);
        #[cfg(target_arch = "x86_64")]
        {
            let has = |want: fn(&KernelPath) -> bool| paths.iter().any(want);
            assert_eq!(
                has(|p| matches!(p, KernelPath::Avx2(_))),
                std::arch::is_x86_feature_detected!("avx2")
            );
            assert_eq!(
                has(|p| matches!(p, KernelPath::Avx512(_))),
                std::arch::is_x86_feature_detected!("avx512f")
            );
        }
        assert!(paths.contains(&KernelPath::best()));
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let b = 9;
        for (n, fields_width, width) in [
            (301usize, 11usize, 16usize),
            (37, 3, 8),
            (130, 60, 64),
            (50, 70, 80),
        ] {
            let by_row: Vec<f64> = (0..n * fields_width)
                .map(|i| (i as f64 * 0.61).cos())
                .collect();
            let fields = StackedFields::from_rows(n, by_row, vec![(0, fields_width)]);
            let kernel = PackedKernel::new(&fields);
            assert_eq!(kernel.width, width);
            let block = packed_block(n, b, |i| (i * 131 % 251) as u8);
            let plain = kernel.sums_with(KernelPath::Plain, &block);
            for &path in &paths {
                let got = kernel.sums_with(path, &block);
                let at = format!("{path:?}, width {width}");
                assert_eq!(bits(&got.product), bits(&plain.product), "{at}");
                assert_eq!(bits(&got.squares), bits(&plain.squares), "{at}");
                assert_eq!(bits(&got.atu), bits(&plain.atu), "{at}");
                assert_eq!(got.qc, plain.qc, "{at}");
            }

            // The runtime-width kernel gives the same totals, to rounding.
            let bpv = block.bytes_per_variant;
            let (mut by_chunk, chunks) = (Vec::new(), bpv.div_ceil(CHUNK));
            transpose(&block.packed, b, bpv, &mut by_chunk);
            let fixed = kernel.totals(KernelPath::Plain, &by_chunk, b, chunks);
            let any = kernel.totals_any(&by_chunk, b, chunks);
            for (x, y) in any.iter().zip(&fixed) {
                assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "width {width}");
            }
        }
    }
}

#[cfg(test)]
mod speed {
    use super::*;

    /// Throughput of the transpose and the table kernel, on each kernel path this CPU runs, on
    /// one block of random calls (N = 20,000, 6,000 variants, W = 16); a measurement, not a
    /// check:
    /// `cargo test --release --lib kernel_throughput -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn kernel_throughput() {
        let (n, width, b) = (20_000usize, 12usize, 6_000usize);
        let by_row: Vec<f64> = (0..n * width).map(|i| (i as f64 * 0.37).sin()).collect();
        let fields = StackedFields::from_rows(n, by_row, vec![(0, width)]);
        let kernel = PackedKernel::new(&fields);
        let bpv = n.div_ceil(4);
        let mut state = 0x9e3779b97f4a7c15u64;
        let packed: Vec<u8> = (0..b * bpv)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let mut by_chunk = Vec::new();
        let chunks = bpv.div_ceil(CHUNK);
        let bytes = (b * bpv) as f64;
        for path in KernelPath::available() {
            let (mut best_t, mut best_k) = (f64::MAX, f64::MAX);
            for _ in 0..12 {
                let t = std::time::Instant::now();
                transpose(&packed, b, bpv, &mut by_chunk);
                let t1 = t.elapsed().as_secs_f64();
                let totals = kernel.totals(path, &by_chunk, b, chunks);
                let t2 = t.elapsed().as_secs_f64() - t1;
                best_t = best_t.min(t1);
                best_k = best_k.min(t2);
                std::hint::black_box(&totals);
            }
            println!(
                "{path:?} best: transpose {:.1} ms ({:.2} GB/s), kernel {:.1} ms ({:.2} ns/byte)",
                best_t * 1e3,
                bytes / best_t / 1e9,
                best_k * 1e3,
                best_k / bytes * 1e9,
            );
        }
    }
}
