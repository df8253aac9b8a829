//! Fixed-point encoding of sums in the ring Z/2^128.
//!
//! A real value v becomes the integer `round(v · 2^64)` taken modulo 2^128 (two's complement for
//! negative values): a signed Q64.64 number, 64 integer and 64 fraction bits. Adding encodings
//! modulo 2^128 adds the values exactly as long as the true total stays in (−2^63, 2^63).
//!
//! **Error bound.** Every f64 with |v| ≥ 2^−12 is a multiple of 2^−64, so it is encoded
//! *exactly*; smaller values are rounded to the nearest multiple of 2^−64 (error ≤ 2^−65 ≈
//! 2.7·10^−20). Sums of encodings are exact in the ring, so the pooled total of P parties carries
//! at most P·2^−65 absolute error from encoding, plus one final rounding to f64 on decoding
//! (relative 2^−53). That is below the f64 rounding already in each party's own sums.
//!
//! **Range.** Compress refuses any value with |v| ≥ 2^56 ([`MAX_MAGNITUDE`]), so up to 128
//! parties ([`crate::secure::keys::MAX_PARTIES`]) can never wrap the total past 2^63.
//!
//! ```
//! use dash::secure::ring::{decode, encode};
//! let (a, b) = (encode(-1.5).unwrap(), encode(4.25).unwrap());
//! assert_eq!(decode(a.wrapping_add(b)), 2.75);
//! assert!(encode(f64::NAN).is_err());
//! ```

/// Fraction bits of the centring shifts that are undone (at compress) and applied (at merge)
/// inside the ring: a shift is a multiple of 2^−12 with |shift| < 2^31.
pub const SHIFT_BITS: u32 = 12;

/// Fraction bits of the fixed-point encoding (fixed by the summary contract).
pub use crate::summary::secure::FRACTION_BITS;
/// Largest |value| a party may encode: 2^56.
pub const MAX_MAGNITUDE: f64 = (1u64 << 56) as f64;
const SCALE: f64 = 18_446_744_073_709_551_616.0; // 2^64

/// Why a value cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutOfRange(pub f64);

/// Encodes `value` as `round(value · 2^64) mod 2^128`.
pub fn encode(value: f64) -> Result<u128, OutOfRange> {
    if !value.is_finite() || value.abs() >= MAX_MAGNITUDE {
        return Err(OutOfRange(value));
    }
    // Scaling by a power of two is exact; |scaled| < 2^120 fits an i128.
    Ok(((value * SCALE).round() as i128) as u128)
}

/// Decodes a (summed) word: its two's-complement value divided by 2^64, rounded once to f64.
pub fn decode(word: u128) -> f64 {
    (word as i128) as f64 / SCALE
}

/// `word + (k / 2^bits) · x` in the ring, for a signed integer `k` (|k| < 2^100) and
/// 1 ≤ bits ≤ 24: exact up to one rounding of at most 2^−65 (half a unit of the encoding).
///
/// This moves fixed-point sums between centrings without leaving the ring: with a field's sums
/// `A'ᵀv` of `A' = A − 1·sᵀ` and the plain sum `1ᵀv`, `Aᵀv = A'ᵀv + s·(1ᵀv)`. The product may
/// wrap modulo 2^128 on the way; only the final value must be in range.
///
/// ```
/// use dash::secure::ring::{add_scaled, decode, encode};
/// // 10 + 2.5 · (−4) = 0, with 2.5 = 10 / 2^2.
/// let w = add_scaled(encode(10.0).unwrap(), 10, 2, encode(-4.0).unwrap());
/// assert_eq!(decode(w), 0.0);
/// ```
pub fn add_scaled(word: u128, k: i128, bits: u32, x: u128) -> u128 {
    debug_assert!((1..=24).contains(&bits));
    let x = x as i128;
    let high = x >> bits; // floor(x / 2^bits)
    let low = x - (high << bits); // in [0, 2^bits)
    let main = k.wrapping_mul(high);
    let fraction = (k * low + (1i128 << (bits - 1))) >> bits;
    (word as i128).wrapping_add(main).wrapping_add(fraction) as u128
}

/// A shift as its integer numerator over 2^[`SHIFT_BITS`] (it must be such a multiple).
pub fn shift_numerator(shift: f64) -> i128 {
    let k = shift * (1u64 << SHIFT_BITS) as f64;
    debug_assert_eq!(
        k,
        k.round(),
        "shift {shift} is not a multiple of 2^-{SHIFT_BITS}"
    );
    k as i128
}

/// Rounds a mean to a centring shift: the nearest multiple of 2^−[`SHIFT_BITS`], or 0 beyond
/// 2^31 in magnitude (or when not finite).
pub fn round_shift(mean: f64) -> f64 {
    if !mean.is_finite() || mean.abs() >= 2f64.powi(31) {
        return 0.0;
    }
    let scale = (1u64 << SHIFT_BITS) as f64;
    (mean * scale).round() / scale
}

/// Moves one group's sums from centring `from` to centring `to` (per field, multiples of
/// 2^−[`SHIFT_BITS`], 0 for the intercept), in the ring: `d = from − to`,
/// `v_a += d_a · v_0` for every vector of sums `v` (slices of J words, entry 0 the intercept's),
/// and `G += d·g₀ᵀ + g₀·dᵀ + n·d·dᵀ` with `g₀ = G[:, 0]`, `n = G[0][0]`.
pub fn recentre_vector(words: &mut [u128], d: &[i128]) {
    let base = words[0];
    for (w, &k) in words.iter_mut().zip(d).skip(1) {
        if k != 0 {
            *w = add_scaled(*w, k, SHIFT_BITS, base);
        }
    }
}

/// The Gram-matrix part of [`recentre_vector`]: `gram` is J × J row-major words.
pub fn recentre_gram(gram: &mut [u128], d: &[i128]) {
    let j = d.len();
    let old = gram.to_vec();
    let n = old[0];
    for a in 0..j {
        for b in 0..j {
            let mut w = old[a * j + b];
            if d[a] != 0 {
                w = add_scaled(w, d[a], SHIFT_BITS, old[b]); // d_a · G[0][b]
            }
            if d[b] != 0 {
                w = add_scaled(w, d[b], SHIFT_BITS, old[a * j]); // G[a][0] · d_b
            }
            if d[a] != 0 && d[b] != 0 {
                w = add_scaled(w, d[a] * d[b], 2 * SHIFT_BITS, n);
            }
            gram[a * j + b] = w;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recentring_in_the_ring_is_exact() {
        // Rows of A = [1, a] and v; sums at centring 0 and at centring s = 2.25.
        let a = [1.5, 3.0, 2.25, 7.0];
        let v = [1.0, 0.0, 2.0, 1.0];
        let s = 2.25;
        let enc = |x: f64| encode(x).unwrap();
        let centred_sums = [
            v.iter().sum::<f64>(),
            a.iter().zip(&v).map(|(a, v)| (a - s) * v).sum(),
        ];
        let mut words = centred_sums.map(enc);
        let d = [0, shift_numerator(s)];
        recentre_vector(&mut words, &d);
        assert_eq!(
            decode(words[1]),
            a.iter().zip(&v).map(|(a, v)| a * v).sum::<f64>()
        );
        let g = |f: &dyn Fn(f64) -> f64| -> Vec<u128> {
            let (n, s1, s2) = (
                4.0,
                a.iter().map(|x| f(*x)).sum::<f64>(),
                a.iter().map(|x| f(*x).powi(2)).sum::<f64>(),
            );
            vec![enc(n), enc(s1), enc(s1), enc(s2)]
        };
        let mut centred = g(&|x| x - s);
        recentre_gram(&mut centred, &d);
        assert_eq!(centred, g(&|x| x));
        // And back: d = −s.
        recentre_gram(&mut centred, &[0, -shift_numerator(s)]);
        assert_eq!(centred, g(&|x| x - s));
    }

    use super::*;

    #[test]
    fn exact_for_ordinary_values_and_sums() {
        for v in [
            0.0,
            1.0,
            -1.0,
            0.1,
            -123456.789,
            1e15,
            -3.0e-3,
            2.0f64.powi(-12),
        ] {
            assert_eq!(decode(encode(v).unwrap()), v, "{v}");
        }
        let values = [0.1, 0.2, 0.3, -0.6];
        let total = values
            .iter()
            .fold(0u128, |t, &v| t.wrapping_add(encode(v).unwrap()));
        // Exact in the ring: 0.1 + 0.2 + 0.3 − 0.6 as the f64 values are, not as f64 adds them.
        let exact = values.iter().sum::<f64>();
        assert!((decode(total) - exact).abs() < 1e-16);
    }

    #[test]
    fn tiny_values_round_within_the_bound() {
        let v = 1e-19;
        assert!((decode(encode(v).unwrap()) - v).abs() <= 2f64.powi(-65));
    }

    #[test]
    fn refuses_out_of_range() {
        assert!(encode(MAX_MAGNITUDE).is_err());
        assert!(encode(f64::INFINITY).is_err());
        assert!(encode(-MAX_MAGNITUDE * 0.99).is_ok());
    }
}
