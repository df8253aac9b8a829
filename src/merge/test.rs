//! Testing one phenotype: a model per distinct party set, every site tested against its set's.
//! Models are kept across the windows of a merge ([`Models`]), so each set is fitted once.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::inputs::InputKind;
use super::join::{Member, Site};
use super::layout::PhenotypeLayout;
use super::model::{Model, Scratch};
use super::prefetch;
use super::{MergeOptions, Merged, VariantResult};
use crate::error::Result;
use crate::output::covariates::CovariateModel;
use crate::regression::{Outcome, SkipReason};
use crate::summary::Variant;

/// The model number of a site [`Merged::test_sites_where`] does not test.
pub(super) const UNWANTED: usize = usize::MAX;

/// Sites per unit of parallel work when testing.
pub(super) const TEST_CHUNK: usize = 2048;

/// One phenotype's models, one per distinct set of components met so far: fitted once each,
/// kept from window to window of a merge.
pub(crate) struct Models {
    /// The set of each model, numbered in order of first appearance.
    index: BTreeMap<Vec<u32>, usize>,
    pub(super) sets: Vec<Vec<u32>>,
    /// `None` for a set too small to test (`--min-parties`).
    pub(super) models: Vec<Option<Model>>,
    /// Sites met with each set.
    pub(super) sites: Vec<u64>,
}

impl Models {
    /// No models yet.
    pub fn new() -> Models {
        Models {
            index: BTreeMap::new(),
            sets: Vec::new(),
            models: Vec::new(),
            sites: Vec::new(),
        }
    }

    /// The number of the model of `set`, fitting it when it is new.
    pub(super) fn number(
        &mut self,
        set: &[u32],
        layout: &PhenotypeLayout,
        merged: &Merged,
        options: &MergeOptions,
    ) -> Result<usize> {
        if let Some(&number) = self.index.get(set) {
            return Ok(number);
        }
        let model = if set.len() >= options.min_parties {
            Some(Model::fit(layout, merged, set, options)?)
        } else {
            None
        };
        let number = self.models.len();
        self.index.insert(set.to_vec(), number);
        self.sets.push(set.to_vec());
        self.models.push(model);
        self.sites.push(0);
        Ok(number)
    }

    /// Takes in the models of a later stretch of the genome (a segment's, fitted on its own):
    /// its sets new here are numbered after these, in its order of first appearance, so the
    /// models read as if one merge had met every site in order.
    pub fn absorb(&mut self, later: Models) {
        for ((set, model), sites) in later.sets.into_iter().zip(later.models).zip(later.sites) {
            match self.index.get(&set) {
                Some(&number) => self.sites[number] += sites,
                None => {
                    self.index.insert(set.clone(), self.models.len());
                    self.sets.push(set);
                    self.models.push(model);
                    self.sites.push(sites);
                }
            }
        }
    }

    /// Counts the sites of each model (`site_models` as from [`Merged::number_sites`]).
    pub(super) fn count_sites(&mut self, site_models: &[usize]) {
        for &number in site_models.iter().filter(|&&n| n != UNWANTED) {
            self.sites[number] += 1;
        }
    }

    /// Number of distinct component sets a model was fitted for.
    pub fn party_sets(&self) -> usize {
        self.models.iter().flatten().count()
    }

    /// The covariate model of every component set a model was fitted for, the set of all
    /// components first (fitted here from the headers when no site had every component), each
    /// with its parties and the number of sites met with it.
    pub fn covariate_models(
        &mut self,
        layout: &PhenotypeLayout,
        headers: &Merged,
        options: &MergeOptions,
    ) -> Vec<CovariateModel> {
        let all: Vec<u32> = (0..headers.component_count() as u32).collect();
        // A model of all parties that no site needed, and that cannot be fitted (too few
        // samples or covariates collinear there), is left out rather than failing the merge.
        let full = self.number(&all, layout, headers, options).ok();
        let mut order: Vec<usize> = (0..self.sets.len()).filter(|&m| Some(m) != full).collect();
        order.splice(0..0, full);
        order
            .into_iter()
            .filter_map(|m| {
                let parties = self.sets[m]
                    .iter()
                    .map(|&g| headers.components[g as usize].party.clone())
                    .collect();
                let model = self.models[m].as_ref()?;
                Some(model.covariate_model(parties, self.sites[m]))
            })
            .collect()
    }
}

/// The result of a site not (yet) tested: every slot of a window's results starts as this and
/// is overwritten.
pub(super) const PLACEHOLDER: VariantResult = VariantResult {
    n: 0,
    eaf: f64::NAN,
    n_missing: f64::NAN,
    outcome: Outcome::Skipped(SkipReason::TooFewParties),
};

impl Merged {
    /// Tests the sites of this window whose variant is `wanted` for one phenotype, with (and
    /// adding to) its `models`: one result per site, in site order; the results of the
    /// others are placeholders, to be replaced (non-PAR chrX is tested with a layout of its own).
    pub(crate) fn test_sites_where(
        &self,
        layout: &PhenotypeLayout,
        options: &MergeOptions,
        models: &mut Models,
        wanted: &(dyn Fn(&Variant) -> bool + Sync),
    ) -> Result<Vec<VariantResult>> {
        self.kind.check(options)?;
        let site_models =
            self.number_sites(wanted, &mut |set| models.number(set, layout, self, options))?;
        models.count_sites(&site_models);

        // Chunks of sites: each worker reuses one scratch per chunk. Results are written in
        // place: every slot of the placeholder vector is overwritten.
        let mut results = vec![PLACEHOLDER; self.sites.len()];
        let models = &*models;
        results
            .par_chunks_mut(TEST_CHUNK)
            .zip(self.sites.par_chunks(TEST_CHUNK))
            .zip(site_models.par_chunks(TEST_CHUNK))
            .try_for_each(|((results, sites), site_models)| -> Result<()> {
                let mut scratch = Scratch::new(layout);
                for (k, ((result, site), &number)) in
                    results.iter_mut().zip(sites).zip(site_models).enumerate()
                {
                    if let Some(ahead) = sites.get(k + prefetch::AHEAD) {
                        self.prefetch_site(ahead, layout);
                    }
                    if number == UNWANTED {
                        continue;
                    }
                    *result = match &models.models[number] {
                        Some(model) => model.test(layout, self, site, &mut scratch)?,
                        None => VariantResult {
                            n: layout.set_size(self, &models.sets[number]) as u64,
                            ..PLACEHOLDER
                        },
                    };
                }
                Ok(())
            })?;
        self.filter_results(&mut results, &site_models, options);
        Ok(results)
    }

    /// The model number of every site: `number` of its component set, or [`UNWANTED`] for a
    /// site whose variant is not `wanted`.
    pub(super) fn number_sites(
        &self,
        wanted: &(dyn Fn(&Variant) -> bool + Sync),
        number: &mut dyn FnMut(&[u32]) -> Result<usize>,
    ) -> Result<Vec<usize>> {
        // Neighbouring sites mostly share a set, so a set is looked up only where it changes.
        let mut site_models: Vec<usize> = Vec::with_capacity(self.sites.len());
        let (mut set, mut previous) = (Vec::new(), Vec::new());
        // A party's own summary holds one component, which every row of it holds (the reader
        // refuses any other list): a site held by the same such inputs as the site before holds
        // its set, found without reading a row (issue 12: at 20 inputs the sets' rows were most
        // of this pass).
        let single: Vec<bool> = self
            .inputs
            .iter()
            .map(|input| input.header.components.len() == 1)
            .collect();
        let same_single_inputs = |a: &[Member], b: &[Member]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(a, b)| a.input == b.input && single[a.input as usize])
        };
        let mut last: Option<(&[Member], usize)> = None;
        for site in &self.sites {
            let members = self.members(site);
            if !wanted(self.variant(site)) {
                site_models.push(UNWANTED);
                continue;
            }
            let known = match last {
                Some((before, known)) if same_single_inputs(members, before) => known,
                _ => {
                    self.component_set(site, &mut set);
                    match last {
                        Some((_, known)) if set == previous => known,
                        _ => {
                            let known = number(&set)?;
                            std::mem::swap(&mut set, &mut previous);
                            known
                        }
                    }
                }
            };
            last = Some((members, known));
            site_models.push(known);
        }
        Ok(site_models)
    }

    /// The pooled filters after the tests: as plink2 filters before testing, a variant the QC
    /// filters remove is skipped for that reason whatever its test gave, and in a secure set
    /// one with a small pooled cell is skipped (`site_models` as from
    /// [`Merged::number_sites`]).
    pub(super) fn filter_results(
        &self,
        results: &mut [VariantResult],
        site_models: &[usize],
        options: &MergeOptions,
    ) {
        if options.qc.any() {
            for (result, site) in results.iter_mut().zip(&self.sites) {
                let non_par_x = self.is_non_par_x(self.variant(site));
                if let Some(reason) = options.qc.removes(&self.qc(site), non_par_x) {
                    result.outcome = Outcome::Skipped(reason);
                }
            }
        }
        if self.kind == InputKind::SecureSet && options.min_cell > 1 {
            for ((result, site), _) in results
                .iter_mut()
                .zip(&self.sites)
                .zip(site_models)
                .filter(|(_, &number)| number != UNWANTED)
            {
                if self.pooled_small_cell(site, result, options.min_cell) {
                    result.outcome = Outcome::Skipped(SkipReason::SmallCell);
                }
            }
        }
    }

    /// Whether a site of a secure set has a pooled cell of 1 … K−1 samples (`min_cell` = K):
    /// ALT carriers (het + hom-ALT) or REF carriers (het + hom-REF) from the pooled hard-call
    /// counts, and the expected ALT or REF allele count over the observed calls of the tested
    /// samples (what a pooled dosage sum reveals; for hard calls it is implied by the carriers).
    fn pooled_small_cell(&self, site: &Site, result: &VariantResult, min_cell: u64) -> bool {
        let small = |count: f64| count > 1e-9 && count < min_cell as f64;
        if self.pooled_small_carriers(site, min_cell) {
            return true;
        }
        let observed = result.n as f64 - result.n_missing;
        if !(observed > 0.0 && result.eaf.is_finite()) {
            return false;
        }
        let alt = 2.0 * result.eaf * observed;
        small(alt) || small(2.0 * observed - alt)
    }

    /// Whether the pooled hard-call counts of a site have 1 … K−1 ALT carriers (het + hom-ALT)
    /// or REF carriers (het + hom-REF), `min_cell` = K.
    pub(crate) fn pooled_small_carriers(&self, site: &Site, min_cell: u64) -> bool {
        let small = |count: u64| count > 0 && count < min_cell;
        let qc = self.qc(site);
        small(qc.het + qc.hom_alt) || small(qc.het + qc.hom_ref)
    }

    /// The sorted global component indices holding `site`, into `set`.
    pub(crate) fn component_set(&self, site: &Site, set: &mut Vec<u32>) {
        set.clear();
        for m in self.members(site) {
            let map = &self.component_map[m.input as usize];
            let held = &self.inputs[m.input as usize].rows.components[m.row as usize];
            set.extend(held.iter().map(|&c| map[c as usize]));
        }
        set.sort_unstable();
    }
}
