//! Probability blocks → ALT dosages: decompression, then layout 1 or layout 2 decoding.
//!
//! The dosage of allele `a` is its expected count, `Σ_g count_a(g)·P(g)`, computed as an exact
//! integer numerator over the probabilities' integer denominator and divided once in f64, so it
//! is the correctly rounded value of the stored probabilities.
//!
//! * **Layout 2** (BGEN v1.2/v1.3): `B`-bit probabilities over `2^B − 1`; per sample a ploidy
//!   byte whose bit 7 marks the sample missing. Unphased: one probability per genotype (allele
//!   count vectors in colex order — for two alleles `AA, AB, BB`; diploid genotype `{i ≤ j}`
//!   is number `j(j+1)/2 + i`), the last left implicit. Phased: per haplotype one probability
//!   per allele, the last implicit. A missing sample, ploidy 0 or ploidy above 2 (read as
//!   missing and counted, as a VCF call of more than two alleles) has no dosage. Haploid samples
//!   have dosages in [0, 2], twice their ALT probability, as plink2 imports them (a
//!   haploid VCF call likewise counts as a homozygous one). Stored probabilities that sum above 1 are
//!   corrupt and refused.
//! * **Layout 1** (BGEN v1.1): three 16-bit probabilities `P(AA), P(AB), P(BB)` per sample, in
//!   units of 1/32768. As plink2 imports them (`--import-dosage-certainty` at its default 0): a
//!   sample whose three probabilities are all 0 is missing; otherwise the probabilities are
//!   rescaled to sum to 1, i.e. the dosage of `B` is `(P(AB) + 2·P(BB)) / (P(AA) + P(AB) +
//!   P(BB))`.

use std::cell::RefCell;

use super::header::{Compression, Layout};
use crate::genotype::dosage::{AltColumn, Call, SampleError};

/// Bytes past the end of the decoded data, so the bit reader can load 8 bytes anywhere in it.
const PAD: usize = 8;

thread_local! {
    /// The decompressed block, reused across the variants a worker decodes.
    static INFLATED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The zstd context of this worker.
    static ZSTD: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
    /// This worker's zlib decompressor (it holds its tables).
    static DEFLATE: RefCell<Option<libdeflater::Decompressor>> = const { RefCell::new(None) };
}

/// How one variant's probability block is stored.
#[derive(Debug, Clone, Copy)]
pub struct BlockShape {
    /// The file's layout.
    pub layout: Layout,
    /// The file's compression.
    pub compression: Compression,
    /// Samples in the file.
    pub n_samples: usize,
    /// Alleles of the variant.
    pub n_alleles: usize,
    /// Bytes the block inflates to (its stored size when uncompressed).
    pub inflated_len: usize,
}

/// Decodes one variant's stored probability block into one column per tested allele
/// (`alleles[k]` is the 0-based allele number of `columns[k]` in the file).
pub fn decode(
    stored: &[u8],
    shape: &BlockShape,
    alleles: &[usize],
    columns: &mut [AltColumn],
) -> Result<(), SampleError> {
    INFLATED.with_borrow_mut(|buffer| {
        inflate(stored, shape, buffer)?;
        match shape.layout {
            Layout::One => layout_one(
                &buffer[..shape.inflated_len],
                shape.n_samples,
                alleles,
                columns,
            ),
            Layout::Two => layout_two(buffer, shape, alleles, columns),
        }
    })
}

/// Puts the block's data into `buffer`, decompressed, with [`PAD`] zero bytes after it.
fn inflate(stored: &[u8], shape: &BlockShape, buffer: &mut Vec<u8>) -> Result<(), SampleError> {
    let want = shape.inflated_len;
    buffer.clear();
    buffer.resize(want + PAD, 0);
    let got = match shape.compression {
        Compression::None => {
            buffer[..stored.len().min(want)].copy_from_slice(&stored[..stored.len().min(want)]);
            stored.len()
        }
        // libdeflate: 1.2–1.5× zlib-rs's speed on these blocks, as for BGZF (genotype::bgzf).
        // One byte of room more than declared: a block that inflates past it is caught.
        Compression::Zlib => DEFLATE.with_borrow_mut(|decompressor| {
            let decompressor = decompressor.get_or_insert_with(libdeflater::Decompressor::new);
            match decompressor.zlib_decompress(stored, &mut buffer[..want + 1]) {
                Ok(len) => Ok(len),
                Err(libdeflater::DecompressionError::InsufficientSpace) => Ok(want + 1),
                Err(libdeflater::DecompressionError::BadData) => Err(SampleError::record(
                    "corrupt zlib data in the probability block (invalid deflate data or Adler-32)",
                )),
            }
        })?,
        Compression::Zstd => ZSTD.with_borrow_mut(|context| {
            if context.is_none() {
                *context = Some(
                    zstd::bulk::Decompressor::new()
                        .map_err(|e| SampleError::record(format!("cannot start zstd: {e}")))?,
                );
            }
            let context = context.as_mut().expect("set above");
            context
                .decompress_to_buffer(stored, &mut buffer[..want + 1])
                .map_err(|e| {
                    SampleError::record(format!("corrupt zstd data in the probability block: {e}"))
                })
        })?,
    };
    if got != want {
        return Err(SampleError::record(format!(
            "the probability block holds {}{got} bytes, but its header says {want}",
            if got > want { "more than " } else { "" }
        )));
    }
    buffer[want] = 0;
    Ok(())
}

/// Layout 1: three u16 per sample.
fn layout_one(
    data: &[u8],
    n_samples: usize,
    alleles: &[usize],
    columns: &mut [AltColumn],
) -> Result<(), SampleError> {
    if data.len() != 6 * n_samples {
        return Err(SampleError::record(format!(
            "the probability block holds {} bytes, but {n_samples} samples need {}",
            data.len(),
            6 * n_samples
        )));
    }
    for (sample, probs) in data.chunks_exact(6).enumerate() {
        let p = |k: usize| u64::from(u16::from_le_bytes([probs[2 * k], probs[2 * k + 1]]));
        let (aa, ab, bb) = (p(0), p(1), p(2));
        let sum = aa + ab + bb;
        for (column, &allele) in columns.iter_mut().zip(alleles) {
            if sum == 0 {
                column.put_missing(sample);
            } else {
                let numerator = if allele == 0 {
                    2 * aa + ab
                } else {
                    ab + 2 * bb
                };
                column.put_dosage(sample, numerator as f64 / sum as f64);
            }
        }
    }
    Ok(())
}

/// The fields before the probabilities of a layout-2 block.
struct Layout2Head<'a> {
    ploidy: &'a [u8],
    /// Every sample diploid, present or flagged missing.
    diploid: bool,
    /// Samples flagged missing with ploidy 2 (byte 0x82).
    flagged: u64,
    phased: bool,
    bits: u32,
    /// The probabilities, followed by [`PAD`] zero bytes.
    probs: &'a [u8],
}

/// Number of unphased genotypes of `ploidy` over `alleles` alleles: C(ploidy + K − 1, K − 1).
fn genotypes(ploidy: u64, alleles: u64) -> Option<u64> {
    let (n, k) = (ploidy + alleles - 1, (alleles - 1).min(ploidy));
    let mut result: u64 = 1;
    for i in 0..k {
        result = result.checked_mul(n - i)? / (i + 1);
    }
    Some(result)
}

/// Probabilities stored for one sample.
fn stored_values(ploidy: u8, phased: bool, alleles: usize) -> Option<u64> {
    let (z, k) = (u64::from(ploidy & 0x3f), alleles as u64);
    if phased {
        z.checked_mul(k - 1)
    } else {
        Some(genotypes(z, k)? - 1)
    }
}

/// Parses and checks the head of a layout-2 block against its length; `padded` is the block
/// followed by [`PAD`] zero bytes.
fn layout_two_head<'a>(
    padded: &'a [u8],
    shape: &BlockShape,
) -> Result<Layout2Head<'a>, SampleError> {
    let bad = |m: String| SampleError::record(m);
    let n = shape.n_samples;
    let data = &padded[..shape.inflated_len];
    if data.len() < 10 + n {
        return Err(bad(format!(
            "the probability block holds {} bytes, too few for {n} samples",
            data.len()
        )));
    }
    let n_block = u32::from_le_bytes(data[..4].try_into().expect("4 bytes")) as usize;
    let k_block = usize::from(u16::from_le_bytes([data[4], data[5]]));
    if n_block != n {
        return Err(bad(format!(
            "the probability block is for {n_block} samples, but the file has {n}"
        )));
    }
    if k_block != shape.n_alleles {
        return Err(bad(format!(
            "the probability block is for {k_block} alleles, but the variant has {}",
            shape.n_alleles
        )));
    }
    let ploidy = &data[8..8 + n];
    let (phased, bits) = (data[8 + n], u32::from(data[9 + n]));
    if phased > 1 {
        return Err(bad(format!("phased flag {phased} is neither 0 nor 1")));
    }
    if !(1..=32).contains(&bits) {
        return Err(bad(format!(
            "{bits} bits per probability: BGEN allows 1 to 32"
        )));
    }
    let phased = phased == 1;
    // Samples per ploidy byte, then values per ploidy byte: one binomial per distinct byte,
    // not one per sample. Most files have one ploidy byte for all samples, or diploid samples
    // some of them flagged missing (2 and 0x82): those cases are vectorised counts rather than
    // a histogram (whose increments of one counter wait on each other).
    let mut per_byte = [0u64; 256];
    let count = |byte: u8| ploidy.iter().filter(|&&z| z == byte).count() as u64;
    match ploidy.first() {
        Some(&z) if ploidy.iter().all(|&p| p == z) => per_byte[usize::from(z)] = n as u64,
        _ => {
            let (present, flagged) = (count(2), count(0x82));
            match present + flagged == n as u64 {
                true => (per_byte[2], per_byte[0x82]) = (present, flagged),
                false => ploidy.iter().for_each(|&z| per_byte[usize::from(z)] += 1),
            }
        }
    }
    let mut values: u64 = 0;
    for (z, &samples) in (0..=255u8).zip(&per_byte).filter(|(_, &n)| n > 0) {
        let count = stored_values(z, phased, shape.n_alleles).ok_or_else(|| {
            bad(format!(
                "ploidy {} with {} alleles: too many genotypes",
                z & 0x3f,
                shape.n_alleles
            ))
        })?;
        values = values.saturating_add(count.saturating_mul(samples));
    }
    let need = values.saturating_mul(u64::from(bits)).div_ceil(8);
    let stored = data.len() - 10 - n;
    if stored as u64 != need {
        return Err(bad(format!(
            "probability data of {stored} bytes, but its header ({n} samples, {} alleles, {bits} bits, {}) needs {need}",
            shape.n_alleles,
            if phased { "phased" } else { "unphased" }
        )));
    }
    Ok(Layout2Head {
        ploidy,
        diploid: per_byte[2] + per_byte[0x82] == n as u64,
        flagged: per_byte[0x82],
        phased,
        bits,
        probs: &padded[10 + n..],
    })
}

/// Layout 2: any ploidy, alleles, phasing and bits; `padded` is the block and [`PAD`] bytes.
fn layout_two(
    padded: &[u8],
    shape: &BlockShape,
    alleles: &[usize],
    columns: &mut [AltColumn],
) -> Result<(), SampleError> {
    let head = layout_two_head(padded, shape)?;
    if shape.n_alleles < 2 {
        return Ok(()); // no ALT allele: nothing to decode (the block is still checked)
    }
    if shape.n_alleles == 2 && !head.phased && head.diploid && columns.len() == 1 {
        let probs = |bytes: usize| &head.probs[..shape.n_samples * 2 * bytes];
        let (ploidy, allele, column) = (head.ploidy, alleles[0], &mut columns[0]);
        let flagged = head.flagged > 0;
        match head.bits {
            8 => return diploid_biallelic::<1>(probs(1), ploidy, flagged, allele, column),
            16 => return diploid_biallelic::<2>(probs(2), ploidy, flagged, allele, column),
            _ => {}
        }
    }
    general(&head, shape.n_alleles, alleles, columns)
}

/// The common case (unphased diploid biallelic, 8 or 16 bits), kept simple for the compiler:
/// `P(AA)` and `P(AB)` per sample, `P(BB)` implicit; `ploidy` is 2, or 0x82 for a missing
/// sample (whose stored probabilities are skipped), which some sample is when `flagged`.
///
/// No branch per sample: about half of the variants of an imputed file flag some samples
/// missing, at random, so a per-sample branch is mispredicted often. A missing sample's
/// numerator is masked to 0 (dosage 0, nothing summed) and its index is written at the end of
/// the missing list whether it is missing or not, the list growing only when it is. The dosage
/// sums are integer sums of the numerators `k` (the dosage is `k / max`), so `Σx = Σk / max`
/// and `Σx² = Σk² / max²` are each one correctly rounded division of an exact sum (below 2⁵³,
/// i.e. up to 500,000 samples at 16 bits) — no chain of floating-point additions in the loop.
// One index over the probabilities, ploidy bytes and dosages is the form measured (bench_bgen.sh).
#[allow(clippy::needless_range_loop)]
fn diploid_biallelic<const BYTES: usize>(
    probs: &[u8],
    ploidy: &[u8],
    flagged: bool,
    allele: usize,
    column: &mut AltColumn,
) -> Result<(), SampleError> {
    let max = (1u64 << (8 * BYTES)) - 1;
    let scale = max as f64;
    // 8 bits (UK Biobank): the 511 possible dosages, each the same correctly rounded quotient
    // `k / 255`, looked up instead of divided.
    let table = eight_bit_dosages();
    let n = ploidy.len();
    let (probs, dosages) = (&probs[..2 * BYTES * n], &mut column.dosages[..n]);
    let value = |at: usize| match BYTES {
        1 => u64::from(probs[at]),
        _ => u64::from(u16::from_le_bytes([probs[at], probs[at + 1]])),
    };
    // Copies of allele A: 2·P(AA) + P(AB); of B: 2·P(BB) + P(AB) = 2 − that, i.e.
    // `k = offset + sign·(2·aa + ab)` in wrapping arithmetic. A sum over 1 wraps; it is
    // refused after the loop, and `min` keeps the lookup in bounds meanwhile.
    let (offset, sign) = match allele {
        0 => (0u64, 1u64),
        _ => (2 * max, u64::MAX),
    };
    let numerator = |i: usize| {
        let (aa, ab) = (value(2 * BYTES * i), value(2 * BYTES * i + BYTES));
        let k = offset
            .wrapping_add(sign.wrapping_mul(2 * aa + ab))
            .min(2 * max);
        (k, aa + ab > max)
    };
    let dosage = |k: u64| match BYTES {
        1 => table[k as usize],
        _ => k as f64 / scale,
    };
    let (mut sum, mut sum_sq, mut over) = (0u64, 0u64, false);
    let mut n_missing = 0;
    if flagged {
        let missing = &mut column.missing;
        missing.clear();
        missing.resize(n, 0);
        for i in 0..n {
            let present = ploidy[i] == 2;
            let (k, over_one) = numerator(i);
            let k = k * u64::from(present);
            over |= present & over_one;
            missing[n_missing] = i as u32;
            n_missing += usize::from(!present);
            sum += k;
            sum_sq += k * k;
            dosages[i] = dosage(k);
        }
        missing.truncate(n_missing);
    } else {
        for i in 0..n {
            let (k, over_one) = numerator(i);
            over |= over_one;
            sum += k;
            sum_sq += k * k;
            dosages[i] = dosage(k);
        }
    }
    if over {
        let first = (0..n)
            .find(|&i| ploidy[i] == 2 && numerator(i).1)
            .expect("a sample over 1");
        return Err(over_one(first));
    }
    column.qc.missing = n_missing as u64;
    column.qc.observed = (n - n_missing) as u64;
    column.qc.dosage_sum = sum as f64 / scale;
    column.qc.dosage_sq_sum = sum_sq as f64 / (scale * scale);
    Ok(())
}

/// `k / 255` for every numerator `k` of an 8-bit diploid dosage.
fn eight_bit_dosages() -> &'static [f64; 511] {
    static TABLE: std::sync::OnceLock<[f64; 511]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|k| k as f64 / 255.0))
}

fn over_one(sample: usize) -> SampleError {
    SampleError::at(sample, "its stored probabilities sum to more than 1")
}

/// Reads `bits`-bit values from a little-endian bit stream (data followed by [`PAD`] bytes).
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
    bits: usize,
    mask: u64,
}

impl Bits<'_> {
    #[inline(always)]
    fn next(&mut self) -> u64 {
        let (byte, shift) = (self.at / 8, self.at % 8);
        let word = u64::from_le_bytes(self.data[byte..byte + 8].try_into().expect("8 bytes"));
        self.at += self.bits;
        (word >> shift) & self.mask
    }

    fn skip(&mut self, values: u64) {
        self.at += values as usize * self.bits;
    }
}

/// Any layout-2 block, one sample at a time.
fn general(
    head: &Layout2Head,
    n_alleles: usize,
    alleles: &[usize],
    columns: &mut [AltColumn],
) -> Result<(), SampleError> {
    let max = if head.bits == 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << head.bits) - 1
    };
    let mut reader = Bits {
        data: head.probs,
        at: 0,
        bits: head.bits as usize,
        mask: max,
    };
    let mut values = Vec::new();
    let mut numerators = vec![0u64; alleles.len()];
    // Values stored per ploidy byte, computed once per byte seen (checked in the head).
    let mut stored = [None::<u64>; 256];
    for (sample, &z) in head.ploidy.iter().enumerate() {
        let count = *stored[usize::from(z)].get_or_insert_with(|| {
            stored_values(z, head.phased, n_alleles).expect("checked in the head")
        });
        let ploidy = z & 0x3f;
        if z & 0x80 != 0 || ploidy == 0 || ploidy > 2 {
            reader.skip(count);
            for column in columns.iter_mut() {
                let call = if z & 0x80 == 0 && ploidy > 2 {
                    Call::Polyploid
                } else {
                    Call::Missing
                };
                column.put_call(0, sample, call);
            }
            continue;
        }
        values.clear();
        values.extend((0..count).map(|_| reader.next()));
        numerators.fill(0);
        if head.phased || ploidy == 1 {
            // Per haplotype, one probability per allele, the last implicit (an unphased
            // haploid sample is the same: its genotypes are the alleles).
            for haplotype in values.chunks_exact(n_alleles - 1) {
                let sum: u64 = haplotype.iter().sum();
                if sum > max {
                    return Err(over_one(sample));
                }
                for (numerator, &a) in numerators.iter_mut().zip(alleles) {
                    *numerator += if a + 1 < n_alleles {
                        haplotype[a]
                    } else {
                        max - sum
                    };
                }
            }
        } else {
            let sum: u64 = values.iter().sum();
            if sum > max {
                return Err(over_one(sample));
            }
            // Genotype {i ≤ j} is number j(j+1)/2 + i; the last, {K−1, K−1}, is implicit.
            let p = |g: usize| values.get(g).copied().unwrap_or(max - sum);
            for (numerator, &a) in numerators.iter_mut().zip(alleles) {
                for other in 0..n_alleles {
                    let (i, j) = (a.min(other), a.max(other));
                    let copies = if i == j { 2 } else { 1 };
                    *numerator += copies * p(j * (j + 1) / 2 + i);
                }
            }
        }
        // A haploid sample's dosage counts twice, as plink2 imports a haploid call (a
        // hemizygous ALT is a homozygous ALT).
        let copies = if ploidy == 1 { 2.0 } else { 1.0 };
        for (column, &numerator) in columns.iter_mut().zip(&numerators) {
            column.put_dosage(sample, copies * numerator as f64 / max as f64);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genotype_counts() {
        assert_eq!(genotypes(2, 2), Some(3));
        assert_eq!(genotypes(2, 3), Some(6));
        assert_eq!(genotypes(1, 4), Some(4));
        assert_eq!(genotypes(0, 3), Some(1));
        assert_eq!(genotypes(3, 2), Some(4));
    }

    #[test]
    fn bit_reader_any_width() {
        // 3-bit values 5, 2, 7, 1 packed little-endian.
        let packed: u16 = 5 | 2 << 3 | 7 << 6 | 1 << 9;
        let mut data = packed.to_le_bytes().to_vec();
        data.resize(2 + PAD, 0);
        let mut r = Bits {
            data: &data,
            at: 0,
            bits: 3,
            mask: 7,
        };
        assert_eq!([r.next(), r.next(), r.next(), r.next()], [5, 2, 7, 1]);
    }
}
