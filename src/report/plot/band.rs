//! The 95% band of a QQ plot: under the null the i-th smallest of n p-values is
//! Beta(i, n − i + 1), and the band joins its 2.5% and 97.5% quantiles.
//!
//! The quantile is found by bisection on ln x of the regularized incomplete beta `I_x(a, b)`,
//! evaluated in logs as the continued fraction of Numerical Recipes (`betacf`, modified Lentz)
//! times `x^a (1−x)^b / B(a, b)`, with `ln B` from [`crate::pvalue`] (accurate for huge
//! arguments). A plot needs ~3 digits; this gives many more, and works for n of 10⁷ and beyond
//! (the fraction takes O(√max(a, b)) steps).

use std::sync::Mutex;

use crate::pvalue::ln_beta;

/// Steps of the continued fraction before giving up (its value is then the last convergent).
const MAX_STEPS: usize = 100_000;

/// `ln I_x(a, b)` for 0 < x < 1.
fn ln_ibeta(a: f64, b: f64, x: f64) -> f64 {
    // ln of x^a (1 − x)^b / B(a, b); ln_1p keeps 1 − x exact for tiny x.
    let ln_front = |a: f64, b: f64, x: f64| a * x.ln() + b * (-x).ln_1p() - ln_beta(a, b);
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front(a, b, x) + continued_fraction(a, b, x).ln() - a.ln()
    } else {
        // I_x(a, b) = 1 − I_{1−x}(b, a).
        let y = 1.0 - x;
        let tail = ln_front(b, a, y) + continued_fraction(b, a, y).ln() - b.ln();
        (-tail.exp()).ln_1p()
    }
}

/// Numerical Recipes' `betacf`.
fn continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=MAX_STEPS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The `q` quantile of Beta(a, b) (a, b ≥ 1, 0 < q < 1).
pub fn beta_quantile(a: f64, b: f64, q: f64) -> f64 {
    let ln_q = q.ln();
    // Bracket ln x: I_x grows with x, and I is below q far enough left.
    let (mut low, mut high) = (-1.0f64, 0.0f64);
    while low > -1e6 && ln_ibeta(a, b, low.exp()) > ln_q {
        high = low;
        low *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if mid == low || mid == high {
            break;
        }
        if ln_ibeta(a, b, mid.exp()) < ln_q {
            low = mid;
        } else {
            high = mid;
        }
    }
    (0.5 * (low + high)).exp()
}

/// One point of the band: the rank's expected −log10 p and the band's −log10 p bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    /// −log10((i − 0.5)/n).
    pub expected: f64,
    /// −log10 of the 97.5% quantile (the lower edge).
    pub low: f64,
    /// −log10 of the 2.5% quantile (the upper edge).
    pub high: f64,
}

/// The band of `n` p-values at about `points` ranks spread evenly in expected −log10 p.
///
/// The last bands made are kept: a many-phenotype report draws a QQ plot per phenotype, mostly
/// of the same n (every variant tested for each), and the band's quantiles were a tenth of its
/// drawing. The lock is held while a band is made, so phenotypes drawn side by side wait for
/// the one band rather than each making it.
pub fn band(n: u64, points: usize) -> Vec<BandPoint> {
    /// Bands kept, the most recent last.
    const KEPT: usize = 4;
    type Made = Vec<((u64, usize), Vec<BandPoint>)>;
    static MADE: Mutex<Made> = Mutex::new(Vec::new());
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, band)) = made.iter().find(|(key, _)| *key == (n, points)) {
        return band.clone();
    }
    let band = make_band(n, points);
    if made.len() == KEPT {
        made.remove(0);
    }
    made.push(((n, points), band.clone()));
    band
}

/// [`band`], made.
fn make_band(n: u64, points: usize) -> Vec<BandPoint> {
    if n == 0 {
        return Vec::new();
    }
    let nf = n as f64;
    let top = (2.0 * nf).log10(); // expected −log10 p of rank 1
    let mut ranks: Vec<u64> = (0..=points)
        .map(|k| {
            // Rank whose expected −log10 p is top · k/points, from rank 1 to n.
            let e = top * (1.0 - k as f64 / points.max(1) as f64);
            ((nf * 10f64.powf(-e) + 0.5).round() as u64).clamp(1, n)
        })
        .collect();
    ranks.dedup();
    ranks
        .into_iter()
        .map(|i| {
            let (a, b) = (i as f64, (n - i + 1) as f64);
            BandPoint {
                expected: -((i as f64 - 0.5) / nf).log10(),
                low: -beta_quantile(a, b, 0.975).log10(),
                high: -beta_quantile(a, b, 0.025).log10(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_closed_forms_and_mpmath() {
        // Beta(1, b): I_x = 1 − (1 − x)^b, so the q quantile is 1 − (1 − q)^(1/b).
        for (b, q) in [(1e7, 0.025f64), (1e3, 0.975), (1.0, 0.5)] {
            let want = -((-q).ln_1p() / b).exp_m1();
            let got = beta_quantile(1.0, b, q);
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "b={b} q={q}: {got} vs {want}"
            );
        }
        // mpmath at 40 digits: bisection on P(Binomial(a + b − 1, x) ≥ a) = q.
        for (a, b, q, want) in [
            (3.0, 998.0, 0.025, 6.190_999_316_495_713e-4),
            (50.0, 999_951.0, 0.975, 6.478_008_745_129_846e-5),
            (1.0, 1e7, 0.025, 2.531_780_795_224_030_5e-9),
        ] {
            let got = beta_quantile(a, b, q);
            assert!(
                (got - want).abs() <= 1e-10 * want,
                "{a} {b} {q}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn a_kept_band_is_the_band_made_again() {
        for (n, points) in [(1_000, 120), (20_000, 120), (1_000, 50), (7, 120), (0, 120)] {
            assert_eq!(
                band(n, points),
                make_band(n, points),
                "n={n} points={points}"
            );
        }
        // Past the kept bands, the first is made again.
        for n in 1..=6 {
            assert_eq!(band(n * 100, 10), make_band(n * 100, 10));
        }
        assert_eq!(band(100, 10), make_band(100, 10));
    }

    #[test]
    fn the_band_brackets_the_expected_line_from_rank_one_to_n() {
        let band = band(1_000_000, 50);
        assert!(band.len() > 40);
        assert!((band[0].expected - (2e6f64).log10()).abs() < 1e-12);
        assert!(band.last().unwrap().expected < 1e-6);
        for p in &band {
            assert!(
                p.low <= p.expected + 1e-9 && p.expected <= p.high + 1e-9,
                "{p:?}"
            );
        }
    }
}
