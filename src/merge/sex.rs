//! The sex chromosomes at merge: every input made under one chrX model, build and PAR
//! treatment, and the sex covariate that non-PAR chrX adds to the model (DESIGN §6).
//!
//! plink2 adds sex as a covariate on chrX only (`--xchr-model 1` and `2`); a summary holds
//! sex as the sample field `sex` (plink2's coding: 1 male, 2 female), so merge fits non-PAR chrX
//! variants with a second layout, the chosen covariates plus `sex` — unless the chosen
//! covariates already hold sex (a covariate column named as the sex source with `--sex-col`),
//! which is then not added twice.

use super::layout::PhenotypeLayout;
use super::test::Models;
use super::{MergeOptions, Merged, VariantResult};
use std::path::Path;

use crate::error::Result;
use crate::summary::sex::{SexChromosomes, XchrModel};
use crate::summary::{SampleField, Summary, Variant};

/// The record every input agrees on; a one-line error naming the first two files that differ.
pub(crate) fn agreed(inputs: &[Summary]) -> Result<SexChromosomes> {
    let records: Vec<(&Path, SexChromosomes)> = inputs
        .iter()
        .map(|s| (s.path.as_path(), s.header.sex_chromosomes))
        .collect();
    crate::summary::sex::agreed(&records)
}

/// The covariate columns named as a sex source (`--sex-col COLUMN`) by the inputs' components.
pub(crate) fn sex_covariates(inputs: &[Summary]) -> Vec<String> {
    let mut names: Vec<String> = inputs
        .iter()
        .flat_map(|s| &s.header.components)
        .filter_map(|c| c.sex_source.as_deref()?.strip_prefix("covariate "))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// One phenotype's tests with plink2's chrX rule: non-PAR chrX sites are fitted with the sex
/// covariate added to the chosen covariates (a layout and models of their own), every other
/// site as before.
pub(crate) struct ChrXTests {
    /// Whether non-PAR chrX adds the sex field: not under `--xchr-model 0` (no such rows),
    /// nor when the chosen covariates already hold sex, nor with `--no-x-sex`.
    adds_sex: bool,
    /// The layout with `sex`, made when the first non-PAR chrX site comes.
    layout: Option<PhenotypeLayout>,
    models: Models,
}

impl ChrXTests {
    /// The chrX tests of the phenotype of `layout`.
    pub fn new(merged: &Merged, layout: &PhenotypeLayout, options: &MergeOptions) -> ChrXTests {
        let chosen: Vec<&str> = layout
            .fields
            .iter()
            .filter_map(|f| f.covariate.as_deref())
            .collect();
        let sex_already_chosen = sex_covariates(&merged.inputs)
            .iter()
            .any(|name| chosen.contains(&name.as_str()));
        ChrXTests {
            adds_sex: merged.sex_chromosomes.xchr_model != XchrModel::Skip
                && !sex_already_chosen
                && !options.no_x_sex,
            layout: None,
            models: Models::new(),
        }
    }

    /// Tests every site of the window: non-PAR chrX with the sex layout, the rest with `layout`
    /// and its `models`.
    pub fn test_sites(
        &mut self,
        merged: &Merged,
        layout: &PhenotypeLayout,
        options: &MergeOptions,
        models: &mut Models,
    ) -> Result<Vec<VariantResult>> {
        if !self.adds_sex {
            return merged.test_sites(layout, options, models);
        }
        let record = merged.sex_chromosomes;
        let modelled = |v: &Variant| record.is_sex_modelled(&v.chrom, v.pos);
        let mut results = merged.test_sites_where(layout, options, models, &|v| !modelled(v))?;
        if !merged.sites.iter().any(|s| modelled(merged.variant(s))) {
            return Ok(results);
        }
        if self.layout.is_none() {
            self.layout = Some(layout.with_field(merged, SampleField::sex())?);
        }
        let sex_layout = self.layout.as_ref().expect("made above");
        let with_sex = merged.test_sites_where(sex_layout, options, &mut self.models, &modelled)?;
        for ((result, x), site) in results.iter_mut().zip(with_sex).zip(&merged.sites) {
            if modelled(merged.variant(site)) {
                *result = x;
            }
        }
        Ok(results)
    }
}
