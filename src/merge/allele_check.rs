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
use crate::summary::{ComponentSet, Summary};

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

    /// A check of the same inputs with nothing compared yet.
    pub fn fresh(&self) -> AlleleCheck {
        AlleleCheck::new(self.tallies.len(), self.options)
    }

    /// Adds what the check of a later stretch of the genome found (from [`AlleleCheck::fresh`]).
    pub fn absorb(&mut self, later: &AlleleCheck) {
        for (tally, later) in self.tallies.iter_mut().zip(&later.tallies) {
            tally.compared += later.compared;
            tally.outliers += later.outliers;
            tally.max_abs_difference = tally.max_abs_difference.max(later.max_abs_difference);
            for (bin, later) in tally.bins.iter_mut().zip(&later.bins) {
                *bin += later;
            }
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
        let views: Vec<InputView> = merged
            .inputs
            .iter()
            .zip(&layout.inputs)
            .map(|(summary, input)| InputView::new(summary, input.group))
            .collect();
        for (k, site) in merged.sites.iter().enumerate() {
            if let Some(ahead) = merged.sites.get(k + super::prefetch::AHEAD) {
                merged.prefetch_site(ahead, layout);
            }
            self.collect(&views, merged.members(site));
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
    fn collect(&mut self, views: &[InputView], members: &[Member]) {
        self.scratch.clear();
        for m in members {
            let input = m.input as usize;
            let (sum_x0, observed) = views[input].sums(m.row as usize);
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

/// One input's rows of a window as the check reads them: per row, the intercept entries of its
/// group's sums and the samples of its components. Looked up once per window rather than per
/// row (issue 12: the lookups through the summary and its header were most of the check's
/// instructions).
struct InputView<'a> {
    width: usize,
    atx0: &'a [f64],
    atu: &'a [f64],
    components: &'a [ComponentSet],
    /// Per component of the input, its samples in the group.
    samples: Vec<f64>,
    /// The samples of every row when the input has one component (a party's own summary):
    /// each row's set is then that component (the reader refuses a set naming it twice), and
    /// the sets need not be read.
    single: Option<f64>,
}

impl<'a> InputView<'a> {
    fn new(summary: &'a Summary, group: usize) -> InputView<'a> {
        let sums = &summary.rows.groups[group];
        let samples: Vec<f64> = summary
            .header
            .components
            .iter()
            .map(|c| c.groups[group].n as f64)
            .collect();
        InputView {
            width: sums.width,
            atx0: &sums.atx0,
            atu: &sums.atu,
            components: &summary.rows.components,
            single: match samples[..] {
                [n] => Some(n),
                _ => None,
            },
            samples,
        }
    }

    /// Row `row`'s Σx0 and observed calls (its samples less its missing calls, `Aᵀu[0]`).
    fn sums(&self, row: usize) -> (f64, f64) {
        let n = match self.single {
            Some(n) => n,
            None => match &self.components[row] {
                ComponentSet::One(c) => self.samples[*c as usize],
                many => many.iter().map(|&c| self.samples[c as usize]).sum(),
            },
        };
        let first = row * self.width;
        (self.atx0[first], n - self.atu[first])
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
