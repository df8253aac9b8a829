//! `dash merge --cojo-select P`: stepwise selection of a region's independently associated
//! variants, as GCTA-COJO's `--cojo-slct` (Yang et al. 2012), but on the exact pooled
//! in-sample fits of [`LocusFits`] rather than on summary statistics and a reference panel's LD.
//!
//! Per LD region and phenotype:
//!
//! 1. among the variants not selected whose collinearity with the selected set (R² of the
//!    candidate regressed on the selected variants after the covariates) is below `R2`, take
//!    the one with the smallest p in `y ~ C + X_selected + x` (the first in genomic order on a
//!    tie); with nothing selected yet that is the smallest marginal p;
//! 2. stop if there is none, if its p is not below `P`, or if it was dropped before (it would
//!    re-enter: GCTA stops there too, which also bounds the loop by twice the region's size);
//! 3. add it; fit the selected set jointly and drop the variant with the largest p if it is
//!    above `P`; go to 1.
//!
//! Each fit uses the parties holding every variant in it ([`LocusFits::test`]).

use super::locus::LocusFits;
use super::VariantResult;
use crate::error::{Error, Result};
use crate::regression::Outcome;

/// `--cojo-select P --cojo-collinear R2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CojoOptions {
    /// A variant enters when its conditional p is below this, and leaves when its joint p is
    /// above it.
    pub p_max: f64,
    /// A candidate is considered only when its collinearity R² with the selected set is below
    /// this.
    pub r2_max: f64,
}

impl CojoOptions {
    /// GCTA-COJO's default collinearity bound, `--cojo-collinear 0.9`.
    pub const DEFAULT_R2_MAX: f64 = 0.9;

    /// Checks `P` in (0, 1] and `R2` in (0, 1].
    ///
    /// ```
    /// use dash::merge::cojo::CojoOptions;
    /// assert!(CojoOptions::new(5e-8, 0.9).is_ok());
    /// assert!(CojoOptions::new(0.0, 0.9).is_err());
    /// ```
    pub fn new(p_max: f64, r2_max: f64) -> Result<CojoOptions> {
        if !(p_max > 0.0 && p_max <= 1.0) {
            return Err(Error::usage(format!(
                "--cojo-select {p_max}: must be a p-value above 0 and at most 1"
            )));
        }
        if !(r2_max > 0.0 && r2_max <= 1.0) {
            return Err(Error::usage(format!(
                "--cojo-collinear {r2_max}: must be an R² above 0 and at most 1"
            )));
        }
        Ok(CojoOptions { p_max, r2_max })
    }
}

/// A selected variant with its fits.
#[derive(Debug, Clone, Copy)]
pub struct Selected {
    /// Site index in the region.
    pub site: usize,
    /// `y ~ C + x + the other selected variants`.
    pub joint: VariantResult,
    /// `y ~ C + x`.
    pub marginal: VariantResult,
}

/// One step of the selection, for the log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// The site entered with this conditional ln p.
    Add(usize, f64),
    /// The site left with this joint ln p.
    Drop(usize, f64),
}

/// The natural log of a result's p-value; `None` when it has no test.
fn ln_p(result: &VariantResult) -> Option<f64> {
    match result.outcome {
        Outcome::Tested(a) => Some(a.ln_p),
        Outcome::Skipped(_) => None,
    }
}

/// Each variant of `selected` given the others, in the order of `selected`.
fn joint_fits(fits: &mut LocusFits, selected: &[usize]) -> Result<Vec<VariantResult>> {
    selected
        .iter()
        .map(|&site| {
            let others: Vec<usize> = selected.iter().copied().filter(|&s| s != site).collect();
            fits.test(site, &others)
        })
        .collect()
}

/// Runs the selection over the `sites` sites of a region; returns the selected variants in
/// genomic order and the steps taken.
pub(crate) fn select(
    fits: &mut LocusFits,
    sites: usize,
    options: &CojoOptions,
) -> Result<(Vec<Selected>, Vec<Step>)> {
    let ln_p_max = options.p_max.ln();
    let mut selected: Vec<usize> = Vec::new();
    let mut dropped: Vec<usize> = Vec::new();
    let mut steps = Vec::new();
    loop {
        let mut best: Option<(usize, f64)> = None;
        for site in (0..sites).filter(|s| !selected.contains(s)) {
            let (result, r2) = fits.test_with_collinearity(site, &selected)?;
            // With nothing selected there is nothing to be collinear with.
            let collinear = !selected.is_empty() && (r2.is_nan() || r2 >= options.r2_max);
            match ln_p(&result) {
                Some(p) if !collinear && best.is_none_or(|(_, b)| p < b) => best = Some((site, p)),
                _ => {}
            }
        }
        let Some((site, p)) = best else { break };
        if p >= ln_p_max || dropped.contains(&site) {
            break;
        }
        selected.push(site);
        steps.push(Step::Add(site, p));
        let joint = joint_fits(fits, &selected)?;
        // A selected variant without a joint test is the worst of all.
        let (worst, worst_p) = joint
            .iter()
            .map(|r| ln_p(r).unwrap_or(0.0))
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |acc, (i, p)| match p > acc.1 {
                true => (i, p),
                false => acc,
            });
        if worst_p > ln_p_max {
            let gone = selected.remove(worst);
            dropped.push(gone);
            steps.push(Step::Drop(gone, worst_p));
        }
    }
    selected.sort_unstable();
    let joint = joint_fits(fits, &selected)?;
    let mut chosen = Vec::with_capacity(selected.len());
    for (&site, joint) in selected.iter().zip(joint) {
        chosen.push(Selected {
            site,
            joint,
            marginal: fits.test(site, &[])?,
        });
    }
    Ok((chosen, steps))
}
