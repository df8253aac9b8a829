//! f64 (and u64) as text, exactly as Rust's `{:?}` (`{:.N}`, `{}`) writes it, at a fraction of its
//! cost.
//!
//! Output files write several floats per variant, and `{:?}` (the shortest text that reads back
//! to the same f64) was a large share of merge time. Ryū finds the same shortest digits faster,
//! but its text differs from `{:?}` in three places, and there `{:?}` itself is used:
//!
//! * ties: when two shortest digit strings are equally close to the value, Ryū picks the even
//!   one and `{:?}` the one further from zero. A tie needs the exact decimal expansion of the
//!   value to end one digit after the shortest string, i.e. to have at most 18 significant
//!   digits, which values with full mantissas (the results of arithmetic) never have;
//! * 1e-5 ≤ |x| < 1e-4, which `{:?}` writes in exponent form and Ryū does not;
//! * |x| ≥ 2⁵², zero, and non-finite values: rare, and not worth reasoning about.
//!
//! The unit tests compare the two on specials and on millions of values, tie-prone ones
//! included.

use std::fmt::Write as _;

/// Appends the decimal digits of `value`, as `{value}` writes them, without the formatting
/// machinery (output writes several integers per variant).
pub fn push_u64(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

/// Most decimals [`push_fixed`] writes itself (10⁹ keeps every product in 64 bits).
const MAX_FIXED_DECIMALS: u32 = 9;

/// Appends `x` with `decimals` decimals, exactly as `format!("{x:.decimals$}")` would: the exact
/// binary value rounded half to even, which `{:.N}` does with a general (and slow) exact-digit
/// algorithm. Here the value times 10^decimals is an exact 128-bit integer product for the
/// values that need it (0.5 ≤ |x| < 2³², at most 9 decimals); others go to `{:.N}` itself.
///
/// An f32 widened to f64 keeps its value, so `push_fixed(out, f64::from(y), 1)` writes
/// `{y:.1}` of an `f32` too (the report's SVG coordinates).
pub fn push_fixed(out: &mut String, x: f64, decimals: u32) {
    let magnitude = x.abs();
    if decimals > MAX_FIXED_DECIMALS || !(0.5..4_294_967_296.0).contains(&magnitude) {
        let _ = write!(out, "{x:.*}", decimals as usize);
        return;
    }
    // |x| = mantissa · 2^exponent, with 2⁵² ≤ mantissa < 2⁵³ and −53 ≤ exponent < 32 here.
    let bits = magnitude.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mantissa = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
    let scaled = mantissa * 10u128.pow(decimals);
    let units = if exponent >= 0 {
        scaled << exponent
    } else {
        let shift = exponent.unsigned_abs();
        let (quotient, remainder) = (scaled >> shift, scaled & ((1 << shift) - 1));
        let half = 1u128 << (shift - 1);
        let round_up = remainder > half || (remainder == half && quotient & 1 == 1);
        quotient + u128::from(round_up)
    };
    // |x| < 2³² makes units < 2³² · 10⁹ < 2⁶⁴: the digits come from 64-bit divisions, which
    // cost a fraction of 128-bit ones (a p-value's mantissa is written this way on every row).
    let units = u64::try_from(units).expect("|x| < 2^32 times 10^9 fits in 64 bits");
    if x.is_sign_negative() {
        out.push('-');
    }
    let scale = 10u64.pow(decimals);
    push_u64(out, units / scale);
    if decimals == 0 {
        return;
    }
    out.push('.');
    let mut fraction = [b'0'; MAX_FIXED_DECIMALS as usize];
    let fraction = &mut fraction[..decimals as usize];
    let mut rest = units % scale;
    for digit in fraction.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.push_str(std::str::from_utf8(fraction).expect("ASCII digits"));
}

/// 2⁵²: from here on an f64 is an integer, and its shortest text may end in zeros.
const LARGE: f64 = 4_503_599_627_370_496.0;

/// Appends `x` as `format!("{x:?}")` would.
pub fn push_f64(out: &mut String, x: f64) {
    let magnitude = x.abs();
    if magnitude > 0.0
        && magnitude < LARGE
        && !(1e-5..1e-4).contains(&magnitude)
        && !short_exact_decimal(x)
    {
        out.push_str(zmij::Buffer::new().format_finite(x));
    } else {
        let _ = write!(out, "{x:?}");
    }
}

/// Whether the exact decimal expansion of finite `x` has at most 18 significant digits (or `x`
/// is an integer): only then can two shortest digit strings tie.
fn short_exact_decimal(x: f64) -> bool {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    if mantissa == 0 {
        return true;
    }
    // x = odd · 2^e; for e < 0 its expansion has the digits of odd · 5^(−e).
    let zeros = mantissa.trailing_zeros();
    let (odd, exponent) = (mantissa >> zeros, exponent + zeros as i32);
    if exponent >= 0 {
        return true;
    }
    let fives = exponent.unsigned_abs();
    // 5^26 alone exceeds 10^18.
    fives <= 25 && u128::from(odd) * 5u128.pow(fives) < 10u128.pow(18)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_same(x: f64) {
        let mut fast = String::new();
        push_f64(&mut fast, x);
        assert_eq!(fast, format!("{x:?}"), "bits {:016x}", x.to_bits());
    }

    /// SplitMix64: a fixed, dependency-free stream of test values.
    fn stream(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    #[test]
    fn specials_and_boundaries() {
        let mut values = vec![
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            5e-324,
            LARGE,
            0.1,
            1.0 / 3.0,
        ];
        for e in -330..310 {
            let p = 10f64.powi(e);
            values.extend([p, p.next_up(), p.next_down(), -p, 2.5 * p]);
        }
        for e in -1074..1024 {
            let p = 2f64.powi(e);
            values.extend([p, p.next_up(), p.next_down(), 3.0 * p]);
        }
        values.iter().for_each(|&x| assert_same(x));
    }

    #[test]
    fn ties_are_written_as_std_writes_them() {
        // x = k · 2^j with few significant bits has a short exact expansion; 513 · 2⁻²⁰ is a
        // tie between …062 and …063.
        assert_same(513.0 * 2f64.powi(-20));
        assert_same(f64::from_bits(0x4288_dcb6_2dd6_7640)); // 3417028541134.78125
        let mut next = stream(7);
        for _ in 0..200_000 {
            let k = (next() >> (11 + next() % 53)) | 1;
            let j = (next() % 200) as i32 - 120;
            assert_same(k as f64 * 2f64.powi(j));
        }
    }

    fn assert_same_fixed9(x: f64) {
        let mut fast = String::new();
        push_fixed(&mut fast, x, 9);
        assert_eq!(fast, format!("{x:.9}"), "bits {:016x}", x.to_bits());
    }

    #[test]
    fn f32_with_few_decimals_matches_std() {
        let mut next = stream(5);
        let mut values: Vec<f32> = vec![0.25, 0.75, 0.05, 0.5, 1.25, -0.25, 799.95, 1e10, -0.0];
        for _ in 0..300_000 {
            values.push((next() % 2_000_000) as f32 / 1024.0);
            values.push(f32::from_bits(next() as u32));
        }
        for y in values {
            for decimals in 0..=3 {
                let mut fast = String::new();
                push_fixed(&mut fast, f64::from(y), decimals);
                let d = decimals as usize;
                assert_eq!(fast, format!("{y:.d$}"), "{y:?} with {decimals} decimals");
            }
        }
    }

    #[test]
    fn fixed_nine_decimals_match_std() {
        // Ties at the tenth decimal (1 + j/1024 has ten decimals, the last a 5 for odd j),
        // both ways round, and values either side of them.
        for j in 0..20_000 {
            let x = 1.0 + f64::from(j) / 1024.0;
            for x in [x, x.next_up(), x.next_down(), -x] {
                assert_same_fixed9(x);
            }
        }
        for x in [
            0.0,
            0.4999,
            0.5,
            1.0,
            9.9999999995,
            9.99999999949,
            10.0,
            4294967295.5,
            4_294_967_296f64.next_down(),
            -4_294_967_296f64.next_down(),
            4294967296.0,
            1e300,
            f64::NAN,
        ] {
            assert_same_fixed9(x);
        }
        let mut next = stream(9);
        for _ in 0..500_000 {
            let unit = (next() >> 11) as f64 / (1u64 << 53) as f64;
            // The p-value mantissas: 10^frac in [1, 10).
            assert_same_fixed9(10f64.powf(unit));
            assert_same_fixed9(unit * 10f64.powi((next() % 12) as i32));
        }
    }

    #[test]
    fn integers_match_std() {
        let mut next = stream(3);
        for value in [0, 1, 9, 10, 99, 100, u64::MAX, u64::MAX - 1] {
            let mut text = String::new();
            push_u64(&mut text, value);
            assert_eq!(text, value.to_string());
        }
        for _ in 0..100_000 {
            let value = next() >> (next() % 64);
            let mut text = String::new();
            push_u64(&mut text, value);
            assert_eq!(text, value.to_string());
        }
    }

    #[test]
    fn random_values_match() {
        let mut next = stream(42);
        for _ in 0..200_000 {
            assert_same(f64::from_bits(next()));
            let unit = (next() >> 11) as f64 / (1u64 << 53) as f64;
            assert_same((unit - 0.5) * 10f64.powi((next() % 40) as i32 - 20));
            assert_same((next() % 2_000_000) as f64 / (next() % 2_000_000 + 1) as f64);
        }
    }
}
