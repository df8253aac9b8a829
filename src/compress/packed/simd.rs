//! The SIMD paths of the packed-call kernel: the only `unsafe` code of the kernel.
//!
//! A path compiled with `#[target_feature]` may run only on a CPU that has the feature. Each
//! such path here takes a token, [`Avx2Token`] or [`Avx512Token`]: zero-sized, and made only by
//! its `detect`, which asks the CPU. Holding a token is the proof, so the functions that take
//! one are safe to call, and each `unsafe` block below rests on the token in hand.

#![allow(unsafe_code)]

use super::{AddChunk, PackedKernel};
#[cfg(target_arch = "x86_64")]
use super::{PlainAdd, CHUNK};

/// What a token holds: nothing where it can exist (x86-64), an uninhabited type elsewhere, so
/// that there a token cannot be made at all.
#[cfg(target_arch = "x86_64")]
type Proof = ();
#[cfg(not(target_arch = "x86_64"))]
type Proof = std::convert::Infallible;

/// Proof that this CPU has AVX2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Avx2Token(Proof);

impl Avx2Token {
    /// The token, if this CPU has AVX2.
    pub(crate) fn detect() -> Option<Avx2Token> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Some(Avx2Token(()));
        }
        None
    }
}

/// Proof that this CPU has AVX-512F.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Avx512Token(Proof);

impl Avx512Token {
    /// The token, if this CPU has AVX-512F.
    pub(crate) fn detect() -> Option<Avx512Token> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Some(Avx512Token(()));
        }
        None
    }
}

/// The width-`W` kernel with plain chunk adds, compiled for AVX2.
pub(super) fn totals_avx2<const W: usize>(
    token: Avx2Token,
    kernel: &PackedKernel,
    by_chunk: &[u64],
    b: usize,
    chunks: usize,
) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        let Avx2Token(()) = token;
        // SAFETY: `token` exists, so `Avx2Token::detect` found AVX2 on this CPU.
        unsafe { totals_avx2_enabled::<W>(kernel, by_chunk, b, chunks) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (kernel, by_chunk, b, chunks);
        match token.0 {}
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn totals_avx2_enabled<const W: usize>(
    kernel: &PackedKernel,
    by_chunk: &[u64],
    b: usize,
    chunks: usize,
) -> Vec<f64> {
    kernel.totals_fixed::<W, _>(PlainAdd, by_chunk, b, chunks)
}

/// The width-`W` kernel with explicit AVX-512 chunk adds, compiled for AVX-512F.
pub(super) fn totals_avx512<const W: usize>(
    token: Avx512Token,
    kernel: &PackedKernel,
    by_chunk: &[u64],
    b: usize,
    chunks: usize,
) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `token` exists, so `Avx512Token::detect` found AVX-512F on this CPU.
        unsafe { totals_avx512_enabled::<W>(token, kernel, by_chunk, b, chunks) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (kernel, by_chunk, b, chunks);
        match token.0 {}
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn totals_avx512_enabled<const W: usize>(
    token: Avx512Token,
    kernel: &PackedKernel,
    by_chunk: &[u64],
    b: usize,
    chunks: usize,
) -> Vec<f64> {
    kernel.totals_fixed::<W, _>(token, by_chunk, b, chunks)
}

/// With the token in hand, chunks are added with explicit AVX-512 adds.
impl AddChunk for Avx512Token {
    #[inline(always)]
    fn add_chunk<const W: usize>(
        self,
        tables: &[[f64; W]],
        words: &[u64],
        totals: &mut [[f64; W]],
    ) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `self` exists, so `Avx512Token::detect` found AVX-512F on this CPU.
        unsafe {
            add_chunk_avx512::<W>(tables, words, totals)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (tables, words, totals);
            match self.0 {}
        }
    }
}

/// [`super::add_chunk`] with explicit AVX-512 adds, the same tree in the same order (so the same
/// results to the bit). Written out because the compiler's choice for the plain loop is
/// fragile here: small changes around it turned it into gathers across variants, or spilled
/// the table pointer, each at half the speed or worse.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn add_chunk_avx512<const W: usize>(tables: &[[f64; W]], words: &[u64], totals: &mut [[f64; W]]) {
    use std::arch::x86_64::{__m512d, _mm512_add_pd, _mm512_loadu_pd, _mm512_storeu_pd};
    assert!(W.is_multiple_of(8) && tables.len() >= CHUNK * 256);
    let base = tables.as_ptr().cast::<f64>();
    for (word, total) in words.iter().zip(totals) {
        let offsets: [usize; CHUNK] =
            std::array::from_fn(|kk| (kk * 256 + ((word >> (8 * kk)) & 0xff) as usize) * W);
        for lane in (0..W).step_by(8) {
            // SAFETY: every offset is below CHUNK * 256 * W (a byte is at most 255) and lane + 8
            // <= W, so each load of 8 f64 stays inside `tables`; `total` holds W f64.
            unsafe {
                let entry =
                    |kk: usize| -> __m512d { _mm512_loadu_pd(base.add(offsets[kk] + lane)) };
                let p0 = _mm512_add_pd(entry(0), entry(1));
                let p1 = _mm512_add_pd(entry(2), entry(3));
                let p2 = _mm512_add_pd(entry(4), entry(5));
                let p3 = _mm512_add_pd(entry(6), entry(7));
                let sum = _mm512_add_pd(_mm512_add_pd(p0, p1), _mm512_add_pd(p2, p3));
                let t = total.as_mut_ptr().add(lane);
                _mm512_storeu_pd(t, _mm512_add_pd(_mm512_loadu_pd(t), sum));
            }
        }
    }
}
