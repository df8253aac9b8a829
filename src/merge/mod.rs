//! Merge: summaries → pooled per-variant sums → association tests (DESIGN §1 steps 1–2).
//!
//! Variants are joined across summaries by (chromosome, position, allele pair). A summary whose
//! REF/ALT are the other way round is flipped exactly with x' = 2 − x on observed calls. For each
//! phenotype the sums are mapped onto one field layout (intercept, covariates, y), summed over
//! the components holding the variant, missing calls are mean-imputed with the pooled mean, and
//! the regression is fitted with one projection per set of components ([`model`]).
//!
//! The inputs are read in genomic order a window at a time ([`window`]): a [`Merged`] is one
//! window, joined, tested and written before the next, so memory is bounded by the number of
//! inputs times the window, never by the number of variants. Models are kept across windows.

use crate::error::Result;
use crate::regression::Outcome;
use crate::summary::sex::SexChromosomes;
use crate::summary::{QcCounts, Rows, Summary, Variant};

pub mod allele_check;
mod case_control;
pub mod cojo;
mod components;
mod family;
pub mod inputs;
mod join;
mod layout;
pub mod locus;
mod model;
pub mod party_filter;
mod prefetch;
pub mod report;
mod sex;
pub mod summary_out;
mod test;
pub mod window;

pub use case_control::CaseControlCounts;
use components::GlobalComponent;
pub(crate) use family::{family_key, Family, FamilyKey};
pub use inputs::InputKind;
pub(crate) use join::Member;
pub use join::Site;
pub(crate) use layout::PhenotypeLayout;
pub(crate) use sex::ChrXTests;
pub(crate) use test::Models;
pub use window::{Recycler, RowSource, Windows};

/// The model chosen at merge time.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// Phenotypes to test (default: every phenotype of the first summary).
    pub phenotypes: Option<Vec<String>>,
    /// Covariates to adjust for, by covariate name (default: all of the first summary's).
    pub covariates: Option<Vec<String>>,
    /// Include the intercept.
    pub intercept: bool,
    /// Add an indicator column per party (from single-party summaries).
    pub per_party_intercept: bool,
    /// Test only variants held by at least this many parties.
    pub min_parties: usize,
    /// Show a progress bar on stderr (indicatif hides it when stderr is not a terminal).
    pub progress: bool,
    /// `--min-cell K` for a secure set, where only pooled sums are revealed: a variant whose
    /// pooled ALT or REF carriers (hard calls) or expected ALT or REF allele count (dosages)
    /// number 1 … K−1 is not tested (skipped with reason `min_cell`). Plaintext summaries had
    /// the rule applied per party at compress; 0 or 1 checks nothing.
    pub min_cell: u64,
    /// plink2's `--glm no-x-sex`: no sex covariate on non-PAR chrX (the males' coding of
    /// `--xchr-model` stays).
    pub no_x_sex: bool,
    /// Pooled QC filters (`--maf`, `--mac`, `--geno`, `--hwe`, `--min-info`): a variant they
    /// remove is skipped with the filter's name as the reason.
    pub qc: crate::qc::QcFilters,
    /// Per-party QC filters (`--party-maf`, …, [`party_filter`]): a party whose own counts of
    /// a variant fail them is left out of that variant.
    pub party_qc: crate::qc::QcFilters,
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            phenotypes: None,
            covariates: None,
            intercept: true,
            per_party_intercept: false,
            min_parties: 1,
            progress: false,
            min_cell: 5,
            no_x_sex: false,
            qc: crate::qc::QcFilters::default(),
            party_qc: crate::qc::QcFilters::default(),
        }
    }
}

/// The summaries of one merge, joined by variant: one window of them (see [`window`]) — the
/// inputs' headers and their rows in the window.
#[derive(Debug)]
pub struct Merged {
    /// The summaries, in argument order, with their rows in the window.
    pub inputs: Vec<Summary>,
    /// The window's variants in output order (chromosome, position, alleles).
    pub sites: Vec<Site>,
    /// The rows of every site, site by site (in join order, not output order).
    pub(crate) members: Vec<Member>,
    pub(crate) components: Vec<GlobalComponent>,
    /// Per input, local component index → global index.
    pub(crate) component_map: Vec<Vec<u32>>,
    /// What the inputs are (a secure set is pooled into the one input).
    pub kind: InputKind,
    /// The chrX model, build and PAR treatment every input was made under.
    pub sex_chromosomes: SexChromosomes,
    /// The window's variants the per-party filters left with no party, in genomic order: they
    /// are no longer sites ([`party_filter`]).
    pub party_removed: Vec<Variant>,
}

/// One variant's result for one phenotype.
#[derive(Debug, Clone, Copy)]
pub struct VariantResult {
    /// Samples in the regression.
    pub n: u64,
    /// ALT allele frequency over the observed calls of those samples.
    pub eaf: f64,
    /// Missing calls among them.
    pub n_missing: f64,
    /// The test, or why there is none.
    pub outcome: Outcome,
}

impl Merged {
    /// The window of `rows` (one per input) of summaries with these headers (`templates`, whose
    /// own rows are not used).
    pub fn from_window(templates: &[Summary], rows: Vec<Rows>, kind: InputKind) -> Result<Merged> {
        let inputs = templates
            .iter()
            .zip(rows)
            .map(|(template, rows)| Summary {
                path: template.path.clone(),
                header: template.header.clone(),
                rows,
            })
            .collect();
        Merged::from_summaries(inputs, kind)
    }

    /// Joins summaries of one kind (their rows in one window).
    pub fn from_summaries(inputs: Vec<Summary>, kind: InputKind) -> Result<Merged> {
        let sex_chromosomes = sex::agreed(&inputs)?;
        let (components, component_map) = components::register(&inputs)?;
        let (sites, members) = join::join_sites(&inputs, &component_map, &components)?;
        Ok(Merged {
            inputs,
            sites,
            members,
            components,
            component_map,
            kind,
            sex_chromosomes,
            party_removed: Vec::new(),
        })
    }

    /// The window's rows, one per input (what [`Merged::from_window`] was given).
    pub fn into_window(self) -> Vec<Rows> {
        self.inputs.into_iter().map(|s| s.rows).collect()
    }

    /// The reported variant of a site (effect allele = ALT).
    pub fn variant(&self, site: &Site) -> &Variant {
        let m = self.members[site.reported as usize];
        &self.inputs[m.input as usize].rows.variants[m.row as usize]
    }

    /// The summary rows holding a site.
    pub(crate) fn members(&self, site: &Site) -> &[Member] {
        &self.members[site.start as usize..site.end as usize]
    }

    /// Number of distinct parties (components).
    pub fn component_count(&self) -> usize {
        self.components.len()
    }

    /// Whether every component holding `phenotype` lists it as case/control (plink2's 1/2
    /// coding, [`crate::summary::Component::case_control`]).
    pub fn lists_case_control(&self, phenotype: &str) -> bool {
        let mut holding = self.components.iter().filter_map(|c| {
            let (input, local) = c.home;
            let header = &self.inputs[input].header;
            let holds = header
                .groups
                .iter()
                .any(|g| g.phenotypes.iter().any(|p| p == phenotype));
            holds.then(|| &header.components[local].case_control)
        });
        let mut any = false;
        let all = holding.all(|listed| {
            any = true;
            listed.iter().any(|p| p == phenotype)
        });
        any && all
    }

    /// Party names, in order of first appearance.
    pub fn parties(&self) -> Vec<&str> {
        self.components.iter().map(|c| c.party.as_str()).collect()
    }

    /// The phenotypes merge tests by default: those of the first summary, in its order.
    pub fn default_phenotypes(&self) -> Vec<String> {
        self.inputs[0]
            .header
            .groups
            .iter()
            .filter(|g| g.sample_set.is_none()) // a sample set repeats its group's phenotypes
            .flat_map(|g| g.phenotypes.iter().cloned())
            .collect()
    }

    /// Pooled QC counts of a site, in its reported orientation (split by sex on non-PAR chrX
    /// only when every row holding it has the split).
    pub fn qc(&self, site: &Site) -> QcCounts {
        let mut rows = self.members(site).iter().map(|m| {
            let qc = &self.inputs[m.input as usize].rows.qc[m.row as usize];
            if m.flipped {
                qc.flipped()
            } else {
                qc.clone()
            }
        });
        let mut total = rows.next().unwrap_or_default();
        rows.for_each(|qc| total.add(&qc));
        total
    }

    /// Whether `variant` is on non-PAR chrX under the merge's chrX record, where the QC
    /// filters follow plink2's chrX rules ([`crate::qc::xchr`]).
    pub(crate) fn is_non_par_x(&self, variant: &Variant) -> bool {
        self.sex_chromosomes
            .is_sex_modelled(&variant.chrom, variant.pos)
    }
}
