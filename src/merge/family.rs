//! Phenotypes tested together: one projection per party set for all of them (issue 17).
//!
//! Phenotypes of one group (the same samples in every input) adjusted for the same covariates
//! share everything of a test but y: the pooled sums of the covariate fields, the mean
//! imputation, `Cᵀx`, `Qᵀx = R⁻ᵀCᵀx` and `xx' = x·x − |Qᵀx|²`. A [`Family`] pools each site once
//! in a *wide layout* — intercept, covariates, then every phenotype's y — projects it once per
//! party set, and then runs only the per-phenotype remainder (`xy' = yᵀx − QᵀxᵀQᵀy`, β, se, the
//! p-value) for each phenotype, which is all that grows with their number.
//!
//! Each phenotype keeps its own [`Models`] (its covariate model and site counts are reported per
//! phenotype), fitted exactly as when tested alone; the family uses the first phenotype's model
//! for the shared part and checks, once per party set, that every other phenotype's covariate
//! side is the same bits (it is by construction: the same sums go through the same operations).
//! The results are therefore bit for bit those of testing each phenotype on its own.

use rayon::prelude::*;

use super::layout::{InputLayout, PhenotypeLayout};
use super::model::{pool_site, Model, Scratch};
use super::test::{Models, PLACEHOLDER, TEST_CHUNK, UNWANTED};
use super::{MergeOptions, Merged, VariantResult};
use crate::error::{Error, Result};
use crate::regression::Outcome;
use crate::summary::{SampleField, Variant};

/// Phenotypes tested together (see the [module docs](self)).
pub(crate) struct Family {
    /// The wide layout: the shared fields, then each member's y in member order.
    layout: PhenotypeLayout,
    /// Per model number (the same in every member's [`Models`]): the wide centring, or `None`
    /// when the set has no model (too few parties) or is not yet seen.
    targets: Vec<Option<Vec<f64>>>,
}

/// What decides whether two phenotypes can share their tests: per input, the group holding
/// them; the fields before y; and whether non-PAR chrX adds the sex covariate.
pub(crate) type FamilyKey = (Vec<usize>, Vec<SampleField>, bool);

/// The [`FamilyKey`] of a phenotype's layout.
pub(crate) fn family_key(layout: &PhenotypeLayout, adds_sex: bool) -> FamilyKey {
    let groups: Vec<usize> = layout.inputs.iter().map(|i| i.group).collect();
    let fields = layout.fields[..layout.y].to_vec();
    (groups, fields, adds_sex)
}

impl Family {
    /// The family of phenotypes with these `layouts`, which share a [`family_key`].
    pub fn new(merged: &Merged, layouts: &[&PhenotypeLayout]) -> Family {
        let first = layouts[0];
        let mut fields = first.fields[..first.y].to_vec();
        fields.extend(layouts.iter().map(|l| l.fields[l.y].clone()));
        let inputs = merged
            .inputs
            .iter()
            .zip(&first.inputs)
            .map(|(summary, input)| {
                InputLayout::new(&fields, &summary.header.groups[input.group], input.group)
            })
            .collect();
        Family {
            layout: PhenotypeLayout {
                fields,
                y: first.y,
                inputs,
            },
            targets: Vec::new(),
        }
    }

    /// Tests the `wanted` sites of a window for every member (`layouts` and `models` in member
    /// order): one result vector per member, one result per site, placeholders where not
    /// wanted — what [`Merged::test_sites_where`] gives each member on its own.
    pub fn test_sites(
        &mut self,
        merged: &Merged,
        layouts: &[&PhenotypeLayout],
        models: &mut [&mut Models],
        options: &MergeOptions,
        wanted: &(dyn Fn(&Variant) -> bool + Sync),
    ) -> Result<Vec<Vec<VariantResult>>> {
        merged.kind.check(options)?;
        let site_models = merged.number_sites(wanted, &mut |set| {
            let mut numbers = models
                .iter_mut()
                .zip(layouts)
                .map(|(models, layout)| models.number(set, layout, merged, options));
            let number = numbers.next().expect("a family has members")?;
            for other in numbers {
                // Models are numbered in order of first appearance, and every member meets the
                // same sets in the same order.
                if other? != number {
                    return Err(Error::model(
                        "phenotypes of one family numbered a party set differently",
                    ));
                }
            }
            Ok(number)
        })?;
        for models in models.iter_mut() {
            models.count_sites(&site_models);
        }
        self.prepare_targets(layouts, models)?;

        let members = layouts.len();
        let (family, models) = (&*self, &*models);
        // Member-major, as each member's writer takes them, written in place chunk by chunk of
        // sites: a site-major grid transposed afterwards cost a second window of results (72 MiB
        // at 100 phenotypes, fresh pages every window) and a strided copy of it.
        let mut results: Vec<Vec<VariantResult>> = (0..members)
            .map(|_| vec![PLACEHOLDER; merged.sites.len()])
            .collect();
        let mut chunks: Vec<Vec<&mut [VariantResult]>> = merged
            .sites
            .chunks(TEST_CHUNK)
            .map(|_| Vec::with_capacity(members))
            .collect();
        for member in &mut results {
            for (chunk, slice) in chunks.iter_mut().zip(member.chunks_mut(TEST_CHUNK)) {
                chunk.push(slice);
            }
        }
        chunks
            .into_par_iter()
            .zip(merged.sites.par_chunks(TEST_CHUNK))
            .zip(site_models.par_chunks(TEST_CHUNK))
            .try_for_each(|((mut chunk, sites), site_models)| -> Result<()> {
                let mut scratch = Scratch::new(&family.layout);
                let mut qtx = Vec::new();
                let mut site_results = vec![PLACEHOLDER; members];
                for (i, (site, &number)) in sites.iter().zip(site_models).enumerate() {
                    if number == UNWANTED {
                        continue;
                    }
                    match &family.targets[number] {
                        None => {
                            let n = layouts[0].set_size(merged, &models[0].sets[number]) as u64;
                            site_results.fill(VariantResult { n, ..PLACEHOLDER });
                        }
                        Some(target) => {
                            let first = models[0].models[number]
                                .as_ref()
                                .expect("a target has models");
                            let per_component = first.has_party_columns();
                            let coding = pool_site(
                                &family.layout,
                                merged,
                                site,
                                target,
                                per_component,
                                &mut scratch.sums,
                            )?;
                            family.test_members(
                                first,
                                models,
                                number,
                                coding,
                                &mut scratch,
                                &mut qtx,
                                &mut site_results,
                            );
                        }
                    }
                    for (member, result) in chunk.iter_mut().zip(&site_results) {
                        member[i] = *result;
                    }
                }
                Ok(())
            })?;
        for member in &mut results {
            merged.filter_results(member, &site_models, options);
        }
        Ok(results)
    }

    /// The wide centring of every model number met so far: the first member's centring of the
    /// shared fields, then each member's y centre; checks that the members share the covariate
    /// side of each set.
    fn prepare_targets(
        &mut self,
        layouts: &[&PhenotypeLayout],
        models: &[&mut Models],
    ) -> Result<()> {
        let y = self.layout.y;
        let numbers = models[0].models.len();
        for number in self.targets.len()..numbers {
            let of_members: Option<Vec<&Model>> =
                models.iter().map(|m| m.models[number].as_ref()).collect();
            let target = match of_members {
                Some(members) => {
                    let first = members[0];
                    if let Some(m) = members
                        .iter()
                        .position(|m| !first.shares_covariate_side(m, y))
                    {
                        return Err(Error::model(format!(
                            "phenotypes '{}' and '{}' were grouped to share their covariate side, and do not",
                            layouts[0].fields[layouts[0].y].name,
                            layouts[m].fields[layouts[m].y].name
                        )));
                    }
                    let mut target = first.target()[..y].to_vec();
                    target.extend(members.iter().map(|m| m.y_target()));
                    Some(target)
                }
                None => None,
            };
            self.targets.push(target);
        }
        Ok(())
    }

    /// Every member's result of one site whose pooled sums (wide layout) are in `scratch`.
    #[allow(clippy::too_many_arguments)]
    fn test_members(
        &self,
        first: &Model,
        models: &[&mut Models],
        number: usize,
        coding: f64,
        scratch: &mut Scratch,
        qtx: &mut Vec<f64>,
        results: &mut [VariantResult],
    ) {
        let x = match first.covariate_side_of_x(scratch, coding) {
            Ok(x) => x,
            Err(result) => return results.fill(result),
        };
        let projection = first.projection();
        qtx.resize(projection.k(), 0.0);
        let projected = match projection.project_variant(&scratch.ctx, x.xx, qtx) {
            Ok(projected) => projected,
            Err(reason) => return results.fill(x.result(Outcome::Skipped(reason))),
        };
        let y = self.layout.y;
        for (m, result) in results.iter_mut().enumerate() {
            let model = models[m].models[number]
                .as_ref()
                .expect("a target has models");
            let outcome = model
                .projection()
                .test_projected(&projected, qtx, scratch.atx[y + m]);
            *result = x.result(outcome);
        }
    }
}
