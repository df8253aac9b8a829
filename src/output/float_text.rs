//! f64 as text, exactly as Rust's `{:?}` writes it, at a fraction of its cost.
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
        out.push_str(ryu::Buffer::new().format_finite(x));
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
