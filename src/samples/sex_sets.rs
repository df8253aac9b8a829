//! The sex-chromosome sample sets of a party's phenotype groups (docs/formats.md,
//! "Sex-chromosome sample sets"): the subsets of a group whose sums plink2's `--glm` uses on
//! some rows.
//!
//! * **known sex** — non-PAR chrX is fitted with the sex covariate on the samples of known sex
//!   only; a group with samples of unknown sex gets a second group of its known-sex samples,
//!   with the `sex` field (a group whose every sex is known carries `sex` itself and needs none);
//! * **males** — chrY is fitted on the males only, without the sex covariate.
//!
//! A set is a group of the summary like any other, marked with its [`SampleSet`], so the
//! disclosure rules apply to it unchanged: a set is added only when the group's checks
//! ([`super::checks::minimums`]: at least K samples, no two groups differing by 1 … K−1 samples,
//! categorical levels) still pass with it; otherwise it is left out and the log says why.

use std::path::Path;

use super::checks;
use super::covariates::Covariates;
use super::groups::{Group, Phenotypes};
use super::sex::{SampleSex, Sex};
use crate::summary::sex::SampleSet;
use crate::summary::{FieldKind, SampleField};

/// What the sets need to be built and checked.
pub(super) struct SetInputs<'a> {
    pub sex: &'a SampleSex,
    pub covariate_fields: &'a [SampleField],
    pub covariates: &'a Covariates,
    pub phenotypes: &'a Phenotypes,
    pub min_cell: u64,
    pub shift_bits: Option<u32>,
    pub pheno: &'a Path,
    pub covar: Option<&'a Path>,
}

/// Adds to `groups` the sample sets of each of its groups that pass the disclosure checks;
/// returns one log line per set left out.
pub(super) fn add_sample_sets(groups: &mut Vec<Group>, inputs: &SetInputs) -> Vec<String> {
    let mut left_out = Vec::new();
    let main = groups.len();
    for g in 0..main {
        for set in [SampleSet::KnownSex, SampleSet::Males] {
            let Some(candidate) = sample_set(&groups[g], set, inputs) else {
                continue;
            };
            if let Some(problem) = small_sex_cell(&candidate, inputs) {
                left_out.push(problem);
                continue;
            }
            groups.push(candidate);
            let checked = checks::minimums(
                inputs.min_cell,
                groups,
                inputs.covariates,
                inputs.pheno,
                inputs.covar,
            );
            if let Err(problem) = checked {
                let refused = groups.pop().expect("pushed above");
                left_out.push(format!(
                    "group [{}]: no {} sample set ({} samples), as it would fail --min-cell {}: {}",
                    refused.phenotypes.join(", "),
                    set.name(),
                    refused.n(),
                    inputs.min_cell,
                    problem.message()
                ));
            }
        }
    }
    left_out
}

/// A known-sex set with 1 … K−1 males or females (`--min-cell` K): its `sex` field would
/// single them out, as it would in any group.
fn small_sex_cell(set: &Group, inputs: &SetInputs) -> Option<String> {
    if set.sample_set != Some(SampleSet::KnownSex) {
        return None;
    }
    let (males, females, _) = inputs.sex.counts(set.samples.iter().map(|&i| i as usize));
    let small = |count: usize| count > 0 && (count as u64) < inputs.min_cell;
    (small(males) || small(females)).then(|| {
        format!(
            "group [{}]: no known_sex sample set: {males} males and {females} females, a sex with fewer than --min-cell {} samples",
            set.phenotypes.join(", "),
            inputs.min_cell
        )
    })
}

/// The group of `set` over `group`'s samples, filled and centred; `None` when it would be
/// empty, or (known sex) when the group's every sex is known and it carries `sex` itself.
fn sample_set(group: &Group, set: SampleSet, inputs: &SetInputs) -> Option<Group> {
    let sex_of = |i: u32| inputs.sex.by_sample[i as usize];
    let samples: Vec<u32> = match set {
        SampleSet::KnownSex => {
            if group.fields.iter().any(|f| f.kind == FieldKind::Sex) {
                return None;
            }
            group
                .samples
                .iter()
                .copied()
                .filter(|&i| sex_of(i).is_some())
                .collect()
        }
        SampleSet::Males => group
            .samples
            .iter()
            .copied()
            .filter(|&i| sex_of(i) == Some(Sex::Male))
            .collect(),
    };
    let unknown = group.samples.len() - samples.len();
    if samples.is_empty() || (set == SampleSet::KnownSex && unknown == 0) {
        return None;
    }
    let mut subset = Group {
        phenotypes: group.phenotypes.clone(),
        fields: Vec::new(),
        samples,
        shift: Vec::new(),
        rows: Vec::new(),
        sample_set: Some(set),
        gram_cache: Default::default(),
    };
    let sex = (set == SampleSet::KnownSex).then_some(inputs.sex);
    subset.fill(
        inputs.covariate_fields,
        inputs.covariates,
        inputs.phenotypes,
        sex,
        inputs.shift_bits,
    );
    Some(subset)
}
