//! Testing one phenotype: a model per distinct party set, every site tested against its set's.

use std::collections::BTreeMap;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::inputs::InputKind;
use super::join::Site;
use super::layout::PhenotypeLayout;
use super::model::{Model, Scratch};
use super::{MergeOptions, Merged, PhenotypeResults, VariantResult};
use crate::error::Result;
use crate::regression::{Outcome, SkipReason};

/// Sites per unit of parallel work when testing.
const TEST_CHUNK: usize = 2048;

impl Merged {
    /// Tests every site for one phenotype.
    pub fn test_phenotype(
        &self,
        phenotype: &str,
        options: &MergeOptions,
    ) -> Result<PhenotypeResults> {
        self.kind.check(options)?;
        let layout = PhenotypeLayout::new(self, phenotype, options)?;

        // The component set of each site, as an index into the distinct sets (numbered in order
        // of first appearance), and one model per distinct set that is tested. Neighbouring sites
        // mostly share a set, so no set is looked up, let alone stored, per site.
        let mut distinct: BTreeMap<Vec<u32>, usize> = BTreeMap::new();
        let mut site_sets: Vec<usize> = Vec::with_capacity(self.sites.len());
        let (mut set, mut previous) = (Vec::new(), Vec::new());
        for site in &self.sites {
            self.component_set(site, &mut set);
            let index = match site_sets.last() {
                Some(&index) if set == previous => index,
                _ => {
                    let next = distinct.len();
                    let index = *distinct.entry(set.clone()).or_insert(next);
                    std::mem::swap(&mut set, &mut previous);
                    index
                }
            };
            site_sets.push(index);
        }
        let mut sets: Vec<&[u32]> = vec![&[]; distinct.len()];
        let mut models: Vec<Option<Model>> = (0..distinct.len()).map(|_| None).collect();
        for (set, &index) in &distinct {
            sets[index] = set;
            if set.len() >= options.min_parties {
                models[index] = Some(Model::fit(&layout, self, set, options)?);
            }
        }

        let progress = if options.progress {
            ProgressBar::new(self.sites.len() as u64)
        } else {
            ProgressBar::hidden()
        };
        progress.set_style(
            ProgressStyle::with_template(&format!(
                "merge {phenotype} {{bar:40}} {{pos}}/{{len}} variants {{per_sec}} eta {{eta}}"
            ))
            .expect("valid template"),
        );
        // Chunks of sites: each worker reuses one scratch per chunk, and the bar moves per chunk
        // (per site, its bookkeeping was a visible share of merge time). Results are written in
        // place: every slot of the placeholder vector is overwritten.
        let placeholder = VariantResult {
            n: 0,
            eaf: f64::NAN,
            n_missing: f64::NAN,
            outcome: Outcome::Skipped(SkipReason::TooFewParties),
        };
        let mut results = vec![placeholder; self.sites.len()];
        results
            .par_chunks_mut(TEST_CHUNK)
            .zip(self.sites.par_chunks(TEST_CHUNK))
            .zip(site_sets.par_chunks(TEST_CHUNK))
            .try_for_each(|((results, sites), site_sets)| -> Result<()> {
                let mut scratch = Scratch::new(&layout);
                for ((result, site), &set) in results.iter_mut().zip(sites).zip(site_sets) {
                    *result = match &models[set] {
                        Some(model) => model.test(&layout, self, site, &mut scratch)?,
                        None => VariantResult {
                            n: layout.set_size(self, sets[set]) as u64,
                            ..placeholder
                        },
                    };
                }
                progress.inc(sites.len() as u64);
                Ok(())
            })?;
        progress.finish_and_clear();
        if self.kind == InputKind::SecureSet && options.min_cell > 1 {
            for (result, site) in results.iter_mut().zip(&self.sites) {
                if self.pooled_small_cell(site, result, options.min_cell) {
                    result.outcome = Outcome::Skipped(SkipReason::SmallCell);
                }
            }
        }
        let largest = models.iter().flatten().max_by(|a, b| a.n.total_cmp(&b.n));
        Ok(PhenotypeResults {
            phenotype: phenotype.to_string(),
            covariate_columns: largest.map(|m| m.column_names.clone()).unwrap_or_default(),
            results,
            party_sets: models.iter().flatten().count(),
        })
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
