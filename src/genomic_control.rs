//! Genomic control: the inflation factor λGC of a set of p-values.
//!
//! λGC is the median of the χ²₁ quantiles of the p-values over the median of χ²₁
//! (0.4549…), computed from p — not from t², which differs from the χ²₁ quantile of p at finite
//! degrees of freedom. p-values arrive as natural logs (as dash computes them, exact far below
//! 1e-308), and the quantile is solved in log space, so a p-value of 1e-1000 has its quantile.
//!
//! ```
//! use dash::genomic_control::{chi2_1_upper_quantile, lambda_gc};
//! // p = 0.05 ↔ χ²₁ = 3.8415.
//! assert!((chi2_1_upper_quantile(0.05f64.ln()) - 3.841458820694126).abs() < 1e-12);
//! // p-values whose median is 0.5 give λ = 1.
//! let mut ln_p: Vec<f64> = [0.1, 0.5, 0.9].iter().map(|p: &f64| p.ln()).collect();
//! assert!((lambda_gc(&mut ln_p).unwrap() - 1.0).abs() < 1e-14);
//! ```

pub mod spill;

/// `ln Γ(1/2) = ln √π`.
const LN_GAMMA_HALF: f64 = 0.572_364_942_924_700_1;

/// The median of χ²₁, `qchisq(0.5, 1)`.
pub const MEDIAN_CHI2_1: f64 = 0.454_936_423_119_572_8;

/// `ln P(χ²₁ > x)`: the regularized upper incomplete gamma `Q(1/2, x/2)` in logs, by its
/// series below `x/2 = 1.5` and its continued fraction (modified Lentz) above.
pub fn ln_chi2_1_upper(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let (a, z) = (0.5, x / 2.0);
    // ln of the common factor z^a e^{−z} / Γ(a).
    let ln_front = a * z.ln() - z - LN_GAMMA_HALF;
    if z < a + 1.0 {
        // P(a, z) = front · Σ zⁿ / (a (a+1) … (a+n)); Q = 1 − P.
        let (mut term, mut sum, mut denominator) = (1.0 / a, 1.0 / a, a);
        for _ in 0..500 {
            denominator += 1.0;
            term *= z / denominator;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        (-(ln_front.exp() * sum)).ln_1p()
    } else {
        // Q(a, z) = front · 1/(z+1−a− 1·(1−a)/(z+3−a− 2·(2−a)/(z+5−a− …))).
        let tiny = 1e-300;
        let mut b = z + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..500 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-17 {
                break;
            }
        }
        ln_front + h.ln()
    }
}

/// The χ²₁ quantile of an upper-tail probability given as `ln p`: the x with
/// `P(χ²₁ > x) = p`. Newton steps on `ln P(χ²₁ > x) − ln p`, kept inside a bracket by bisection.
pub fn chi2_1_upper_quantile(ln_p: f64) -> f64 {
    if ln_p.is_nan() {
        return f64::NAN;
    }
    if ln_p >= 0.0 {
        return 0.0;
    }
    if ln_p == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    let (mut low, mut high) = (0.0f64, 1.0f64);
    while ln_chi2_1_upper(high) > ln_p {
        low = high;
        high *= 2.0;
    }
    // A start near the answer: the tail's leading behaviour x ≈ −2 ln p for small p.
    let mut x = (-2.0 * ln_p).clamp(low, high).max(high * 1e-3);
    for _ in 0..200 {
        let g = ln_chi2_1_upper(x) - ln_p;
        if g > 0.0 {
            low = x;
        } else {
            high = x;
        }
        // d/dx ln Q = −f(x)/Q(x), f the χ²₁ density e^{−x/2}/√(2πx).
        let ln_density = -x / 2.0 - 0.5 * (2.0 * std::f64::consts::PI * x).ln();
        let slope = -(ln_density - ln_chi2_1_upper(x)).exp();
        let mut next = x - g / slope;
        if !(next > low && next < high) {
            next = 0.5 * (low + high);
        }
        if (next - x).abs() <= 1e-16 * x.max(f64::MIN_POSITIVE) || high - low <= 1e-16 * high {
            return next;
        }
        x = next;
    }
    x
}

/// λGC of the p-values given as `ln p` (reordered in place): the median χ²₁ quantile over
/// [`MEDIAN_CHI2_1`], the median of an even count being the mean of the middle two quantiles
/// (as numpy's). `None` for no p-value; NaNs are not allowed.
pub fn lambda_gc(ln_p: &mut [f64]) -> Option<f64> {
    let n = ln_p.len();
    if n == 0 {
        return None;
    }
    let middle = n / 2;
    // The quantile decreases with p: the median quantile is the quantile of the median p.
    let (below, pivot, _) = ln_p.select_nth_unstable_by(middle, |a, b| a.total_cmp(b));
    // For an even count, the other middle value: the largest ln p below the pivot.
    let other = n
        .is_multiple_of(2)
        .then(|| below.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    Some(lambda_of_middle(*pivot, other))
}

/// λGC from the middle of the sorted `ln p` values: `pivot` (the value of rank n/2, 0-based,
/// ascending) and for an even count `other` (rank n/2 − 1), whose quantiles are averaged.
pub fn lambda_of_middle(pivot: f64, other: Option<f64>) -> f64 {
    let upper = chi2_1_upper_quantile(pivot);
    let median = match other {
        None => upper,
        Some(other) => 0.5 * (upper + chi2_1_upper_quantile(other)),
    };
    median / MEDIAN_CHI2_1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quantiles from mpmath 1.3 at 50 digits (findroot on ln erfc(√(x/2)) − ln p).
    const KNOWN: [(f64, f64); 6] = [
        (0.5, 0.454_936_423_119_572_8),
        (0.05, 3.841_458_820_694_126),
        (5e-8, 29.716_785_489_763_063),
        (1e-300, 1_373.872_631_222_394_1),
        (0.999, 1.570_797_149_262_49e-6),
        (0.999_999_9, 1.570_796_326_794_905e-14),
    ];

    #[test]
    fn quantiles_match_mpmath() {
        for (p, want) in KNOWN {
            let got = chi2_1_upper_quantile(f64::ln(p));
            // Near p = 1 the quantile ∝ (1 − p)², and ln p of an f64 p holds 1 − p only to
            // ~1e-16/(1 − p) relative: 1e-9 at p = 1 − 1e-7. The input limits, not the solver.
            let tolerance = if p > 0.99999 { 1e-8 } else { 1e-12 };
            assert!(
                (got - want).abs() <= tolerance * want,
                "p={p}: {got} vs {want}"
            );
        }
        // p = 1e-1000, beyond f64: ln p = −1000 ln 10.
        let got = chi2_1_upper_quantile(-1000.0 * std::f64::consts::LN_10);
        assert!((got - 4_596.285_164_701_891).abs() <= 1e-12 * got, "{got}");
        assert_eq!(chi2_1_upper_quantile(0.0), 0.0);
    }

    #[test]
    fn lambda_takes_numpys_median() {
        // Even count: the mean of the two middle quantiles.
        let p = [0.05f64, 0.5, 0.999, 5e-8];
        let mut ln_p: Vec<f64> = p.iter().map(|p| p.ln()).collect();
        let want = 0.5 * (MEDIAN_CHI2_1 + 3.841_458_820_694_126) / MEDIAN_CHI2_1;
        let got = lambda_gc(&mut ln_p).unwrap();
        assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
        assert_eq!(lambda_gc(&mut []), None);
    }
}
