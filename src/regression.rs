//! The projection math of DESIGN §1, steps 3–5.
//!
//! From the pooled sums `CᵀC`, `Cᵀy`, `yᵀy` a [`Projection`] factors `R = chol(CᵀC)` once (per
//! phenotype and party set); [`Projection::test`] then needs only a variant's `Cᵀx`, `yᵀx` and
//! `x·x` to give the exact OLS coefficient of x in `y ~ C + x`:
//!
//! ```text
//! Qᵀy = R⁻ᵀCᵀy,  Qᵀx = R⁻ᵀCᵀx                 (triangular solves)
//! yy' = yᵀy − |Qᵀy|²,  xy' = yᵀx − QᵀxᵀQᵀy,  xx' = x·x − |Qᵀx|²
//! β = xy'/xx',  se² = (yy'/xx' − β²)/(n − k − 1),  t = β/se
//! ```
//!
//! `CᵀC` is equilibrated (scaled to unit diagonal) before Cholesky: covariates in wildly different
//! units (age in days, a 0/1 indicator) would otherwise lose digits to scaling alone.
//!
//! ```
//! use dash::regression::{Outcome, Projection};
//! // y = 1 + 2x exactly plus one perturbed point, intercept only as covariate.
//! let (x, y) = ([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.5]);
//! let n = 4.0;
//! let sum = |v: &[f64]| v.iter().sum::<f64>();
//! let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
//! let projection = Projection::new(&[n], &[sum(&y)], dot(&y, &y), n, &["intercept".into()]).unwrap();
//! let Outcome::Tested(a) = projection.test(&[sum(&x)], dot(&x, &y), dot(&x, &x)) else { panic!() };
//! assert!((a.beta - 2.15).abs() < 1e-12);
//! ```

use crate::error::{Error, Result};
use crate::pvalue;

/// Pivots of the equilibrated `CᵀC` below this mean a covariate is (numerically) a combination
/// of the others: its residual after projecting out the rest has < 1e-10 of its own norm². The
/// condition number of the equilibrated matrix is then beyond ~1e10, where β would keep few digits.
const MIN_PIVOT: f64 = 1e-10;

/// `xx' ≤ XX_TOLERANCE · x·x` means x is constant or collinear with the covariates (§1 step 5).
pub const XX_TOLERANCE: f64 = 1e-10;

/// The covariate side of the regression, factored once.
#[derive(Debug, Clone)]
pub struct Projection {
    k: usize,
    /// Upper-triangular Cholesky factor of the equilibrated `CᵀC`, row-major k × k.
    r: Vec<f64>,
    /// `1/sqrt(diag(CᵀC))`.
    scale: Vec<f64>,
    qty: Vec<f64>,
    yy_resid: f64,
    n: f64,
}

/// Why a variant gets no test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Every call is missing.
    AllMissing,
    /// x is constant or a combination of the covariates.
    ConstantOrCollinear,
    /// n − k − 1 < 1: no degree of freedom left.
    NoDegreesOfFreedom,
    /// The model fits exactly (zero residual variance): no finite standard error.
    PerfectFit,
    /// Held by fewer parties than `--min-parties`.
    TooFewParties,
    /// Secure set: a pooled carrier or allele count is below `--min-cell`.
    SmallCell,
    /// Pooled missing-call rate above `--geno`.
    Geno,
    /// Pooled Hardy–Weinberg exact-test p-value below `--hwe`.
    Hwe,
    /// `--hwe` asked for, but some of the pooled calls are dosages without genotype counts.
    HweNoHardCalls,
    /// Pooled non-major allele frequency below `--maf`.
    Maf,
    /// Pooled non-major allele dosage count below `--mac`.
    Mac,
    /// Pooled MACH r² below `--min-info`.
    Info,
    /// A non-PAR chrX variant under `--maf`/`--mac`/`--geno`/`--hwe` whose pooled counts are
    /// not split by sex (an input of format version 4 or 5, a secure set, a party of unknown
    /// sexes): plink2's chrX rules cannot be applied, and the totals would apply another rule.
    XchrNoSexSplit,
    /// Every party holding the variant was left out of it by the per-party filters
    /// (`--party-maf`, …; [`crate::merge::party_filter`]).
    PartyFilters,
}

impl SkipReason {
    /// The reason as written to `skipped.tsv`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SkipReason::AllMissing => "all_missing",
            SkipReason::ConstantOrCollinear => "constant_or_collinear",
            SkipReason::NoDegreesOfFreedom => "insufficient_df",
            SkipReason::PerfectFit => "perfect_fit",
            SkipReason::TooFewParties => "too_few_parties",
            SkipReason::SmallCell => "min_cell",
            SkipReason::Geno => "geno",
            SkipReason::Hwe => "hwe",
            SkipReason::HweNoHardCalls => "hwe_no_hard_calls",
            SkipReason::Maf => "maf",
            SkipReason::Mac => "mac",
            SkipReason::Info => "min_info",
            SkipReason::XchrNoSexSplit => "xchr_qc_no_sex_split",
            SkipReason::PartyFilters => "party_filters",
        }
    }
}

/// A variant's association statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Association {
    /// Effect of one ALT allele.
    pub beta: f64,
    /// Its standard error.
    pub se: f64,
    /// β / se.
    pub t: f64,
    /// Residual degrees of freedom n − k − 1.
    pub df: f64,
    /// Natural log of the two-sided p-value (finite far below 1e-308).
    pub ln_p: f64,
}

/// The result of testing one variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Tested.
    Tested(Association),
    /// Not tested, and why.
    Skipped(SkipReason),
}

impl Projection {
    /// Factors `CᵀC` (row-major k × k) and projects y. `names` name the k columns for errors.
    pub fn new(ctc: &[f64], cty: &[f64], yty: f64, n: f64, names: &[String]) -> Result<Projection> {
        let k = cty.len();
        assert_eq!(ctc.len(), k * k);
        if n < k as f64 {
            return Err(Error::model(format!(
                "fewer samples ({n}) than covariate columns ({k}: {})",
                names.join(", ")
            )));
        }
        let mut scale = vec![0.0; k];
        for j in 0..k {
            let d = ctc[j * k + j];
            if d.is_nan() || d <= 0.0 {
                return Err(Error::model(format!(
                    "covariates are rank-deficient: '{}' is zero for every sample",
                    names[j]
                )));
            }
            scale[j] = 1.0 / d.sqrt();
        }
        // Cholesky of S·CᵀC·S (unit diagonal), upper factor, row-major.
        let mut r = vec![0.0; k * k];
        for j in 0..k {
            let mut pivot = ctc[j * k + j] * scale[j] * scale[j];
            for l in 0..j {
                pivot -= r[l * k + j] * r[l * k + j];
            }
            if pivot.is_nan() || pivot <= MIN_PIVOT {
                let earlier: Vec<&str> = names[..j].iter().map(String::as_str).collect();
                return Err(Error::model(format!(
                    "covariates are rank-deficient: '{}' is (nearly) a linear combination of {} \
                     (residual {:.1e} of its norm², limit {MIN_PIVOT:e})",
                    names[j],
                    earlier.join(", "),
                    pivot.max(0.0)
                )));
            }
            let rjj = pivot.sqrt();
            r[j * k + j] = rjj;
            for i in j + 1..k {
                let mut value = ctc[j * k + i] * scale[j] * scale[i];
                for l in 0..j {
                    value -= r[l * k + j] * r[l * k + i];
                }
                r[j * k + i] = value / rjj;
            }
        }
        let mut projection = Projection {
            k,
            r,
            scale,
            qty: Vec::new(),
            yy_resid: 0.0,
            n,
        };
        projection.qty = projection.project(cty);
        projection.yy_resid = yty - dot(&projection.qty, &projection.qty);
        Ok(projection)
    }

    /// Number of covariate columns k (intercept included).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Samples n.
    pub fn n(&self) -> f64 {
        self.n
    }

    /// `Qᵀv = R⁻ᵀCᵀv` for `ctv = Cᵀv`: forward substitution with the equilibrated factor,
    /// since `R = R_s·S⁻¹` gives `R⁻ᵀ = R_s⁻ᵀ·S`.
    pub fn project(&self, ctv: &[f64]) -> Vec<f64> {
        let mut q = vec![0.0; self.k];
        self.project_into(ctv, &mut q);
        q
    }

    /// [`Projection::project`] into `q` (k entries; each is written before it is read).
    fn project_into(&self, ctv: &[f64], q: &mut [f64]) {
        let k = self.k;
        for i in 0..k {
            let solved: f64 = (0..i).map(|l| self.r[l * k + i] * q[l]).sum();
            q[i] = (ctv[i] * self.scale[i] - solved) / self.r[i * k + i];
        }
    }

    /// Tests one variant from `Cᵀx`, `yᵀx` and `x·x` (after imputation).
    pub fn test(&self, ctx: &[f64], ytx: f64, xx: f64) -> Outcome {
        // Qᵀx on the stack for the usual handful of covariates: this runs once per variant.
        let mut stack = [0.0; 32];
        let mut heap = Vec::new();
        let qtx = if self.k <= stack.len() {
            &mut stack[..self.k]
        } else {
            heap.resize(self.k, 0.0);
            &mut heap[..]
        };
        match self.project_variant(ctx, xx, qtx) {
            Ok(x) => self.test_projected(&x, qtx, ytx),
            Err(reason) => Outcome::Skipped(reason),
        }
    }

    /// The part of a variant's test that does not depend on y: `Qᵀx` into `qtx` (k entries) and
    /// `xx' = x·x − |Qᵀx|²`, or why the variant gets no test whatever y is. Phenotypes whose
    /// covariate side is the same (the same `R`) share it ([`Projection::test_projected`]),
    /// bit for bit what [`Projection::test`] computes for each.
    pub fn project_variant(
        &self,
        ctx: &[f64],
        xx: f64,
        qtx: &mut [f64],
    ) -> std::result::Result<ProjectedVariant, SkipReason> {
        let df = self.n - self.k as f64 - 1.0;
        if df < 1.0 {
            return Err(SkipReason::NoDegreesOfFreedom);
        }
        self.project_into(ctx, qtx);
        let xx_resid = xx - dot(qtx, qtx);
        if xx_resid.is_nan() || xx_resid <= XX_TOLERANCE * xx {
            return Err(SkipReason::ConstantOrCollinear);
        }
        Ok(ProjectedVariant { xx_resid, df })
    }

    /// The test of a variant projected by [`Projection::project_variant`] of this projection or
    /// of one with the same `R` (`qtx` its `Qᵀx`), for this projection's y and `ytx = yᵀx`.
    pub fn test_projected(&self, x: &ProjectedVariant, qtx: &[f64], ytx: f64) -> Outcome {
        let (xx_resid, df) = (x.xx_resid, x.df);
        let xy_resid = ytx - dot(qtx, &self.qty);
        let beta = xy_resid / xx_resid;
        let residual = self.yy_resid / xx_resid - beta * beta;
        if residual.is_nan() || residual <= 0.0 {
            return Outcome::Skipped(SkipReason::PerfectFit);
        }
        let se = (residual / df).sqrt();
        let t = beta / se;
        Outcome::Tested(Association {
            beta,
            se,
            t,
            df,
            ln_p: pvalue::ln_two_sided_p(t, df),
        })
    }

    /// Whether `other` has the same covariate side (`R`, its scaling and n), so that a variant
    /// projected by one is projected by the other.
    pub fn same_covariate_side(&self, other: &Projection) -> bool {
        self.k == other.k && self.n == other.n && self.r == other.r && self.scale == other.scale
    }
}

/// A variant's residual `x·x` after the covariates and the residual degrees of freedom: what
/// [`Projection::project_variant`] shares among phenotypes.
#[derive(Debug, Clone, Copy)]
pub struct ProjectedVariant {
    xx_resid: f64,
    df: f64,
}

/// The covariate-only model `y ~ C` itself (the seed paper's §2): `γ̂ = (CᵀC)⁻¹Cᵀy`, from the
/// same factor the variant tests use.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateFit {
    /// γ̂, one per column of C.
    pub estimates: Vec<f64>,
    /// `(CᵀC)⁻¹`, row-major k × k: the covariance of γ̂ is `residual_variance ·` this.
    pub unscaled_covariance: Vec<f64>,
    /// Residual sum of squares `yᵀy − yᵀC(CᵀC)⁻¹Cᵀy`.
    pub rss: f64,
    /// Residual degrees of freedom `n − k`.
    pub df: f64,
}

impl CovariateFit {
    /// τ̂², the residual variance `rss / df` (NaN without a degree of freedom).
    pub fn residual_variance(&self) -> f64 {
        if self.df >= 1.0 {
            self.rss / self.df
        } else {
            f64::NAN
        }
    }

    /// The estimate and standard error of the linear combination `aᵀγ`: how a coefficient is
    /// moved back from centred to original units (the intercept after centring the covariates).
    pub fn combination(&self, a: &[f64]) -> (f64, f64) {
        let k = self.estimates.len();
        let estimate = dot(a, &self.estimates);
        let mut variance = 0.0;
        for i in 0..k {
            for j in 0..k {
                variance += a[i] * self.unscaled_covariance[i * k + j] * a[j];
            }
        }
        (estimate, (self.residual_variance() * variance).sqrt())
    }
}

impl Projection {
    /// The covariate model: `γ̂ = S·R_s⁻¹·Qᵀy` and `(CᵀC)⁻¹ = S·R_s⁻¹·R_s⁻ᵀ·S`, where `R_s` is the
    /// Cholesky factor of the equilibrated `S·CᵀC·S`.
    pub fn covariate_fit(&self) -> CovariateFit {
        let k = self.k;
        // R_s⁻¹, upper triangular, by back substitution column by column.
        let mut inverse = vec![0.0; k * k];
        for j in 0..k {
            inverse[j * k + j] = 1.0 / self.r[j * k + j];
            for i in (0..j).rev() {
                let sum: f64 = (i + 1..=j)
                    .map(|l| self.r[i * k + l] * inverse[l * k + j])
                    .sum();
                inverse[i * k + j] = -sum / self.r[i * k + i];
            }
        }
        let estimates = (0..k)
            .map(|i| {
                self.scale[i]
                    * (i..k)
                        .map(|l| inverse[i * k + l] * self.qty[l])
                        .sum::<f64>()
            })
            .collect();
        let mut unscaled_covariance = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                let sum: f64 = (i.max(j)..k)
                    .map(|l| inverse[i * k + l] * inverse[j * k + l])
                    .sum();
                unscaled_covariance[i * k + j] = self.scale[i] * sum * self.scale[j];
            }
        }
        CovariateFit {
            estimates,
            unscaled_covariance,
            rss: self.yy_resid,
            df: self.n - k as f64,
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn covariate_fit_is_ordinary_least_squares() {
        // y on (1, x), solved by hand: slope Sxy/Sxx = 10.75/5, intercept ȳ − slope·x̄,
        // RSS 0.075 on 2 df, Var(slope) = σ²/Sxx, Var(intercept) = σ²(1/n + x̄²/Sxx).
        let (x, y) = ([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.5]);
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
        let ones = [1.0; 4];
        let ctc = [4.0, dot(&ones, &x), dot(&ones, &x), dot(&x, &x)];
        let cty = [dot(&ones, &y), dot(&x, &y)];
        let fit = Projection::new(&ctc, &cty, dot(&y, &y), 4.0, &names(2))
            .unwrap()
            .covariate_fit();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-13 * b.abs().max(1.0);
        assert!(
            close(fit.estimates[0], 0.9) && close(fit.estimates[1], 2.15),
            "{fit:?}"
        );
        assert!(close(fit.rss, 0.075) && fit.df == 2.0);
        let sigma2: f64 = 0.075 / 2.0;
        assert!(close(fit.combination(&[0.0, 1.0]).1, (sigma2 / 5.0).sqrt()));
        let (intercept, se) = fit.combination(&[1.0, 0.0]);
        assert!(close(intercept, 0.9) && close(se, (sigma2 * (0.25 + 2.25 / 5.0)).sqrt()));
        // A combination: the fitted value at x = 2, 0.9 + 2·2.15.
        assert!(close(fit.combination(&[1.0, 2.0]).0, 5.2));
    }

    #[test]
    fn refuses_collinear_covariates() {
        // Columns 1, a, 2a: rank 2.
        let c = [
            [1.0, 1.0, 2.0],
            [1.0, 2.0, 4.0],
            [1.0, 3.0, 6.0],
            [1.0, 5.0, 10.0],
        ];
        let mut ctc = vec![0.0; 9];
        for row in &c {
            for a in 0..3 {
                for b in 0..3 {
                    ctc[a * 3 + b] += row[a] * row[b];
                }
            }
        }
        let err = Projection::new(&ctc, &[1.0; 3], 1.0, 4.0, &names(3)).unwrap_err();
        assert!(err.to_string().contains("rank-deficient: 'c2'"), "{err}");
    }

    #[test]
    fn refuses_fewer_samples_than_covariates() {
        let err =
            Projection::new(&[2.0, 0.0, 0.0, 2.0], &[1.0, 1.0], 1.0, 1.0, &names(2)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("fewer samples (1) than covariate columns (2"),
            "{err}"
        );
    }

    #[test]
    fn constant_variant_is_skipped() {
        let p = Projection::new(&[4.0], &[10.0], 30.0, 4.0, &names(1)).unwrap();
        // x = 1 for all samples: Cᵀx = 4, x·x = 4.
        assert_eq!(
            p.test(&[4.0], 10.0, 4.0),
            Outcome::Skipped(SkipReason::ConstantOrCollinear)
        );
    }
}
