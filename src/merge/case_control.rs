//! Case and control counts of a case/control phenotype, per party and per tested variant.
//!
//! A phenotype every holder lists as case/control (plink2's 1/2 coding,
//! [`crate::summary::Component::case_control`]) has, in each party's group, `Σy = controls +
//! 2·cases` and `n = cases + controls`, both in the party's Gram matrix. The samples in a
//! variant's test are those of the parties holding it (missing calls are imputed, never
//! dropped), so its counts are the sums over its party set: they differ between variants when
//! parties hold different variants, or when `--party-*` filters leave a party out.

use super::layout::PhenotypeLayout;
use super::{Merged, Site};
use crate::summary::sex::SampleSet;
use crate::summary::SampleField;

/// Per-component case and control counts of one phenotype.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseControlCounts {
    /// (cases, controls) per global component.
    per_component: Vec<(u64, u64)>,
    /// The same over the sex-chromosome sample sets that non-PAR chrX (samples of known sex)
    /// and chrY (males) rows are fitted on; `None` where the inputs have no such set.
    known_sex: Option<Vec<(u64, u64)>>,
    males: Option<Vec<(u64, u64)>>,
}

impl CaseControlCounts {
    /// The counts of `layout`'s phenotype, or `None` when it is not case/control in every
    /// component holding it (or its sums are not of a 1/2 coding after all).
    pub(crate) fn new(headers: &Merged, layout: &PhenotypeLayout) -> Option<CaseControlCounts> {
        let phenotype = &layout.fields[layout.y].name;
        if !headers.lists_case_control(phenotype) {
            return None;
        }
        let of_set = |set: SampleSet| {
            let field = (set == SampleSet::KnownSex).then(SampleField::sex);
            let set_layout = layout.for_sample_set(headers, set, field).ok()?;
            per_component(headers, &set_layout)
        };
        Some(CaseControlCounts {
            per_component: per_component(headers, layout)?,
            known_sex: of_set(SampleSet::KnownSex),
            males: of_set(SampleSet::Males),
        })
    }

    /// The counts over every component.
    pub fn total(&self) -> (u64, u64) {
        let every: Vec<u32> = (0..self.per_component.len() as u32).collect();
        over(&self.per_component, &every)
    }

    /// The counts over the samples tested at `site`, whose test had `n` samples: those of the
    /// components holding it, over the group's every sample or, on non-PAR chrX and chrY, over
    /// the sample set the row was fitted on — the one whose size is `n` (a set of the same size
    /// as the whole group is the whole group). `None` when no candidate adds up to `n`.
    pub fn at_site(&self, merged: &Merged, site: &Site, n: u64) -> Option<(u64, u64)> {
        let mut components = Vec::new();
        merged.component_set(site, &mut components);
        let variant = merged.variant(site);
        let set = match merged
            .sex_chromosomes
            .row_sample_set(&variant.chrom, variant.pos)
        {
            Some(SampleSet::KnownSex) => self.known_sex.as_ref(),
            Some(SampleSet::Males) => self.males.as_ref(),
            None => None,
        };
        std::iter::once(&self.per_component)
            .chain(set)
            .map(|counts| over(counts, &components))
            .find(|(cases, controls)| cases + controls == n)
    }
}

/// Per-component (cases, controls) of `layout`'s phenotype; `None` when some component's sums
/// are not of a 1/2 coding.
fn per_component(headers: &Merged, layout: &PhenotypeLayout) -> Option<Vec<(u64, u64)>> {
    (0..headers.component_count() as u32)
        .map(|c| {
            let n = layout.set_size(headers, &[c]);
            let sum = layout.pooled_means(headers, &[c])[layout.y] * n;
            split(sum, n)
        })
        .collect()
}

/// The counts of `per_component` summed over `components`.
fn over(per_component: &[(u64, u64)], components: &[u32]) -> (u64, u64) {
    components
        .iter()
        .map(|&c| per_component[c as usize])
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
}

/// (cases, controls) of a group with `n` samples whose 1/2-coded phenotype sums to `sum`; `None`
/// when the sums are not whole counts of such a coding.
fn split(sum: f64, n: f64) -> Option<(u64, u64)> {
    if n == 0.0 {
        return Some((0, 0));
    }
    let cases = (sum - n).round();
    // The sums are of whole numbers: anything else is not a 1/2 coding after all.
    if !((sum - n - cases).abs() < 1e-6 && cases >= 0.0 && cases <= n) {
        return None;
    }
    Some((cases as u64, (n - cases) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_two_coding_splits_into_cases_and_controls() {
        // 3 cases (2) and 7 controls (1): Σy = 13, n = 10.
        assert_eq!(split(13.0, 10.0), Some((3, 7)));
        assert_eq!(split(0.0, 0.0), Some((0, 0)));
        assert_eq!(split(13.5, 10.0), None);
        assert_eq!(split(25.0, 10.0), None);
    }
}
