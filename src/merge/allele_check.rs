//! The per-party allele-frequency check: each input's ALT frequency at a variant against the
//! pooled frequency of every *other* input holding it — the standard screen for strand flips,
//! swapped allele labels, build mismatches and sample swaps, which show as variants far off the
//! diagonal.
//!
//! Frequencies are over the samples each input contributes to the checked phenotype's group
//! (the same samples as the regression), in the reported orientation: `Σx0 / 2·n_obs` from the
//! intercept entries of `Aᵀx0` and `Aᵀu`, a flipped row turned round with `Σx0' = 2·n_obs − Σx0`
//! (DESIGN §1). A variant is an **outlier** for an input when `|f_input − f_others| >
//! max_difference` (`--af-diff`, default 0.2).
//!
//! Memory is O(inputs × bins): each input keeps a [`BINS`]² histogram of (others, own)
//! frequency; outliers are handed to the caller one by one as they are found (merge streams
//! them to a file), never kept.

use super::{Member, Merged, PhenotypeLayout, Site};
use crate::error::Result;

/// Histogram bins per frequency axis (bin width 1/50 = 0.02).
pub const BINS: usize = 50;

/// Settings of the check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlleleCheckOptions {
    /// An input's frequency further than this from the others' pooled one makes the variant an
    /// outlier for that input.
    pub max_difference: f64,
}

impl Default for AlleleCheckOptions {
    fn default() -> Self {
        AlleleCheckOptions {
            max_difference: 0.2,
        }
    }
}

/// One input's frequency at a variant next to the others' pooled frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The input (argument order).
    pub input: usize,
    /// Its ALT frequency over its observed calls.
    pub own: f64,
    /// The pooled ALT frequency over the observed calls of every other input holding the variant.
    pub others: f64,
    /// Its observed calls.
    pub own_observed: f64,
    /// The others' observed calls.
    pub others_observed: f64,
    /// Its row is the other way round (flipped to the reported orientation).
    pub flipped: bool,
}

impl Comparison {
    /// `own − others`.
    pub fn difference(&self) -> f64 {
        self.own - self.others
    }
}

/// What one input's check found so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// Variants compared (held by this input and another, observed calls in both).
    pub compared: u64,
    /// Of those, the outliers.
    pub outliers: u64,
    /// The largest |own − others|.
    pub max_abs_difference: f64,
    /// Variants per (others bin, own bin): `bins[others * BINS + own]`.
    pub bins: Vec<u64>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            compared: 0,
            outliers: 0,
            max_abs_difference: 0.0,
            bins: vec![0; BINS * BINS],
        }
    }
}

/// The bin of a frequency in [0, 1] (1 falls in the last).
pub fn bin(frequency: f64) -> usize {
    ((frequency * BINS as f64) as usize).min(BINS - 1)
}

/// The check over a whole merge, fed window by window.
#[derive(Debug, Clone)]
pub struct AlleleCheck {
    options: AlleleCheckOptions,
    tallies: Vec<Tally>,
    /// Per input of the current site: (Σx0, observed calls, flipped), reused from site to site.
    scratch: Vec<(usize, f64, f64, bool)>,
}

impl AlleleCheck {
    /// A check of `inputs` inputs.
    pub fn new(inputs: usize, options: AlleleCheckOptions) -> AlleleCheck {
        AlleleCheck {
            options,
            tallies: (0..inputs).map(|_| Tally::new()).collect(),
            scratch: Vec::new(),
        }
    }

    /// The settings.
    pub fn options(&self) -> AlleleCheckOptions {
        self.options
    }

    /// What each input's check found (argument order).
    pub fn tallies(&self) -> &[Tally] {
        &self.tallies
    }

    /// Compares every input at every site of a window, on `layout`'s phenotype group; each
    /// outlier goes to `outlier` with its site.
    pub(crate) fn add_window(
        &mut self,
        merged: &Merged,
        layout: &PhenotypeLayout,
        outlier: &mut dyn FnMut(&Site, &Comparison) -> Result<()>,
    ) -> Result<()> {
        for site in &merged.sites {
            self.collect(merged, layout, merged.members(site));
            if self.scratch.len() < 2 {
                continue;
            }
            let (total_sum, total_observed) = self
                .scratch
                .iter()
                .fold((0.0, 0.0), |(s, o), &(_, sum, observed, _)| {
                    (s + sum, o + observed)
                });
            for &(input, sum, observed, flipped) in &self.scratch {
                let others_observed = total_observed - observed;
                if observed <= 0.0 || others_observed <= 0.0 {
                    continue;
                }
                let comparison = Comparison {
                    input,
                    own: sum / (2.0 * observed),
                    others: (total_sum - sum) / (2.0 * others_observed),
                    own_observed: observed,
                    others_observed,
                    flipped,
                };
                let tally = &mut self.tallies[input];
                let distance = comparison.difference().abs();
                tally.compared += 1;
                tally.bins[bin(comparison.others) * BINS + bin(comparison.own)] += 1;
                tally.max_abs_difference = tally.max_abs_difference.max(distance);
                if distance > self.options.max_difference {
                    tally.outliers += 1;
                    outlier(site, &comparison)?;
                }
            }
        }
        Ok(())
    }

    /// Each input's Σx0 (reported orientation) and observed calls at a site, into `scratch`.
    fn collect(&mut self, merged: &Merged, layout: &PhenotypeLayout, members: &[Member]) {
        self.scratch.clear();
        for m in members {
            let input = m.input as usize;
            let summary = &merged.inputs[input];
            let group = layout.inputs[input].group;
            let row = m.row as usize;
            let sums = &summary.rows.groups[group];
            let n: f64 = summary.rows.components[row]
                .iter()
                .map(|&c| summary.header.components[c as usize].groups[group].n as f64)
                .sum();
            let observed = n - sums.atu(row)[0];
            let sum_x0 = sums.atx0(row)[0];
            // x' = 2 − x on observed calls.
            let sum = if m.flipped {
                2.0 * observed - sum_x0
            } else {
                sum_x0
            };
            match self.scratch.last_mut() {
                // An input's rows of one site (shards of a merged summary) are one party set.
                Some(last) if last.0 == input => {
                    last.1 += sum;
                    last.2 += observed;
                }
                _ => self.scratch.push((input, sum, observed, m.flipped)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_closed_unit_interval() {
        assert_eq!(bin(0.0), 0);
        assert_eq!(bin(0.0199), 0);
        assert_eq!(bin(0.02), 1);
        assert_eq!(bin(0.5), 25);
        assert_eq!(bin(1.0), BINS - 1);
    }
}
