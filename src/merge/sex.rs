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
use crate::summary::sex::{SampleSet, SexChromosomes, XchrModel};
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

/// Refuses a chrX, chrY or MT site held by a component whose VCF/BCF `DS` was read as
/// written, not doubled for a haploid call as plink2 imports it (summaries of format 4 made
/// before compress followed that rule, [`crate::genotype::haploid_ds`]): the males' non-PAR
/// chrX, and chrY and MT, would be fitted with half plink2's dosage; an error rather than a
/// silent factor 2.
pub(crate) fn refuse_undoubled_haploid_ds(merged: &Merged, site: &super::Site) -> Result<()> {
    for member in merged.members(site) {
        let input = &merged.inputs[member.input as usize];
        let components = &input.rows.components[member.row as usize];
        let undoubled = components.iter().any(|&c| {
            !input.header.components[c as usize]
                .source
                .haploid_as_plink2()
        });
        if undoubled {
            return Err(crate::error::Error::input(
                &input.path,
                format!(
                    "{}: this summary's VCF/BCF DS values were read as written, but plink2 imports a haploid call's DS doubled (0..2) and dash now does too; compress it again with this version, or leave chrX, chrY and MT out (--chr)",
                    merged.variant(site)
                ),
            ));
        }
    }
    Ok(())
}

/// One phenotype's tests with plink2's sex-chromosome rules: non-PAR chrX sites are fitted on
/// the samples of known sex with the sex covariate added to the chosen covariates, chrY sites
/// on the males with the chosen covariates (each a layout over the inputs' sample-set groups
/// and models of its own), every other site as before.
pub(crate) struct ChrXTests {
    /// Whether non-PAR chrX adds the sex field: not under `--xchr-model 0` (no such rows),
    /// nor when the chosen covariates already hold sex, nor with `--no-x-sex` — then non-PAR
    /// chrX is fitted on every sample, as plink2 does.
    adds_sex: bool,
    /// Per sample set (known sex, males): its layout, made when its first site comes, and
    /// its models.
    known_sex: SetTests,
    males: SetTests,
}

/// The tests of the sites of one sample set.
struct SetTests {
    layout: Option<PhenotypeLayout>,
    models: Models,
}

impl SetTests {
    fn new() -> SetTests {
        SetTests {
            layout: None,
            models: Models::new(),
        }
    }
}

impl ChrXTests {
    /// The sex-chromosome tests of the phenotype of `layout`.
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
            known_sex: SetTests::new(),
            males: SetTests::new(),
        }
    }

    /// The same tests with no layout or model made yet: for a segment of a merge, whose sample
    /// sets' layouts and models are made on its own (the same, made from the headers alone).
    pub fn fresh(&self) -> ChrXTests {
        ChrXTests {
            adds_sex: self.adds_sex,
            known_sex: SetTests::new(),
            males: SetTests::new(),
        }
    }

    /// The sample set a variant is fitted on; `None`: the group's every sample.
    fn set_of(&self, record: SexChromosomes, variant: &Variant) -> Option<SampleSet> {
        match record.row_sample_set(&variant.chrom, variant.pos) {
            Some(SampleSet::KnownSex) if !self.adds_sex => None,
            set => set,
        }
    }

    /// Whether non-PAR chrX adds the sex field to this phenotype's covariates.
    pub fn adds_sex(&self) -> bool {
        self.adds_sex
    }

    /// Whether a variant is tested with the phenotype's own layout (every site but those of
    /// the sex-chromosome sample sets).
    pub fn main_layout_tests(&self, record: SexChromosomes) -> impl Fn(&Variant) -> bool + Sync {
        let adds_sex = self.adds_sex;
        move |v: &Variant| {
            let set = record.row_sample_set(&v.chrom, v.pos);
            set.is_none() || (set == Some(SampleSet::KnownSex) && !adds_sex)
        }
    }

    /// Tests every site of the window: each with the layout of its sample set, the rest with
    /// `layout` and its `models`.
    pub fn test_sites(
        &mut self,
        merged: &Merged,
        layout: &PhenotypeLayout,
        options: &MergeOptions,
        models: &mut Models,
    ) -> Result<Vec<VariantResult>> {
        let main = self.main_layout_tests(merged.sex_chromosomes);
        let results = merged.test_sites_where(layout, options, models, &main)?;
        self.test_sample_sets(merged, layout, options, results)
    }

    /// Replaces the `results` of the window's sites of the sex-chromosome sample sets (those
    /// [`ChrXTests::main_layout_tests`] leaves out) by their tests with their own layouts.
    pub fn test_sample_sets(
        &mut self,
        merged: &Merged,
        layout: &PhenotypeLayout,
        options: &MergeOptions,
        mut results: Vec<VariantResult>,
    ) -> Result<Vec<VariantResult>> {
        let record = merged.sex_chromosomes;
        let sets: Vec<Option<SampleSet>> = merged
            .sites
            .iter()
            .map(|site| self.set_of(record, merged.variant(site)))
            .collect();
        if sets.iter().all(Option::is_none) {
            return Ok(results);
        }
        let of_set = |wanted: Option<SampleSet>| {
            move |v: &Variant| record.row_sample_set(&v.chrom, v.pos) == wanted
        };
        for set in [SampleSet::KnownSex, SampleSet::Males] {
            if !sets.contains(&Some(set)) {
                continue;
            }
            let tests = match set {
                SampleSet::KnownSex => &mut self.known_sex,
                SampleSet::Males => &mut self.males,
            };
            if tests.layout.is_none() {
                let field = (set == SampleSet::KnownSex).then(SampleField::sex);
                tests.layout = Some(layout.for_sample_set(merged, set, field)?);
            }
            let set_layout = tests.layout.as_ref().expect("made above");
            let wanted = of_set(Some(set));
            let of_set_results =
                merged.test_sites_where(set_layout, options, &mut tests.models, &wanted)?;
            for ((result, x), site_set) in results.iter_mut().zip(of_set_results).zip(&sets) {
                if *site_set == Some(set) {
                    *result = x;
                }
            }
        }
        Ok(results)
    }
}
