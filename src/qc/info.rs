//! Pooled imputation quality: the MACH/minimac r² of ALT dosages.
//!
//! `r² = var(x) / (2p(1 − p))` with p = Σx / 2n the ALT frequency and var(x) = Σx²/n − (Σx/n)²
//! (population variance) over the n observed dosages: exactly what pooling the contributed
//! samples' dosages gives, from the pooled Σx, Σx² and n. Best-guess genotypes in HWE give r²
//! near 1; dosages shrunk toward the mean by uncertain imputation give r² near 0.
//!
//! ```
//! use dash::qc::info::mach_r2;
//! // Dosages 0, 1, 2, 1: p = 0.5, var = 0.5, r² = 0.5 / 0.5 = 1.
//! assert_eq!(mach_r2(4.0, 6.0, 4), Some(1.0));
//! assert_eq!(mach_r2(0.0, 0.0, 4), None); // monomorphic: undefined
//! ```

/// r² from Σx, Σx² and the number of observed dosages; `None` when undefined (no dosage, or a
/// monomorphic variant). Not clamped: see [`clamped`].
pub fn mach_r2(sum: f64, sum_sq: f64, observed: u64) -> Option<f64> {
    if observed == 0 {
        return None;
    }
    let n = observed as f64;
    let mean = sum / n;
    let p = mean / 2.0;
    let expected = 2.0 * p * (1.0 - p);
    if expected.abs() <= f64::EPSILON {
        return None;
    }
    Some((sum_sq / n - mean * mean) / expected)
}

/// r² clamped to [0, 1], the range GWAS-SSF allows for `info` (r² exceeds 1 when dosages are
/// more dispersed than HWE expects, and rounding can make it a hair below 0).
pub fn clamped(r2: f64) -> f64 {
    r2.clamp(0.0, 1.0)
}
