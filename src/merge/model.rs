//! The covariate side of one phenotype for one set of components, and testing sites with it.
//!
//! The model's columns C: the intercept; each numeric covariate; each categorical level present
//! in the set, minus the reference level (the first present) when C spans the constant; with
//! `--per-party-intercept`, one indicator per party of the set (minus the first with an
//! intercept). Party indicators need only aggregates too: `I_pᵀa = Σ_{i∈p} a_i = G_p[a, 0]`,
//! `I_pᵀI_p = n_p`, and `I_pᵀx` is the party's own `Σx` — so they work from single-party summaries.

use super::layout::{PhenotypeLayout, SiteSums};
use super::{MergeOptions, Merged, Site, VariantResult};
use crate::error::{Error, Result};
use crate::output::covariates::{CovariateModel, CovariateRow};
use crate::regression::{Outcome, Projection, SkipReason};
use crate::summary::sex::haploid_coding;

/// The fitted covariate side for one (phenotype, component set).
pub(crate) struct Model {
    /// The centring all sums are moved to: the set's pooled field means when C spans the
    /// constant (the fit is invariant to it, and it keeps the most digits), else 0.
    target: Vec<f64>,
    /// Union-layout indices of the covariate columns.
    columns: Vec<usize>,
    /// Components with an indicator column, in column order after `columns`.
    party_columns: Vec<u32>,
    /// Names of all columns of C, for the log and metadata.
    pub column_names: Vec<String>,
    projection: Projection,
    /// Samples in the set.
    pub n: f64,
    /// The pooled G of the set in the union layout, centred on `target` (u × u).
    pub gram: Vec<f64>,
    /// y's centre in `target`, and the total sum of squares R² is relative to: about the mean
    /// when C spans the constant, about 0 otherwise.
    y_target: f64,
    total_squares: f64,
}

impl Model {
    /// Pools n and G over `set` and factors the covariate side.
    pub fn fit(
        layout: &PhenotypeLayout,
        merged: &Merged,
        set: &[u32],
        options: &MergeOptions,
    ) -> Result<Model> {
        let u = layout.width();
        let spans_constant = options.intercept || options.per_party_intercept;
        let target = if spans_constant {
            layout.pooled_means(merged, set)
        } else {
            vec![0.0; u]
        };
        let grams = layout.component_grams(merged, set, &target);
        let n: f64 = grams.iter().map(|g| g.n).sum();
        let mut gram = vec![0.0; u * u];
        for g in &grams {
            for (total, v) in gram.iter_mut().zip(&g.gram) {
                *total += v;
            }
        }

        let mut columns = Vec::new();
        if options.intercept {
            columns.push(0);
        }
        let mut reference_dropped: Vec<&str> = Vec::new();
        for (index, field) in layout.fields.iter().enumerate().take(layout.y).skip(1) {
            if field.level.is_some() {
                if gram[index * u + index] == 0.0 {
                    continue; // a level no sample of this set has
                }
                let covariate = field.covariate.as_deref().unwrap_or_default();
                if spans_constant && !reference_dropped.contains(&covariate) {
                    reference_dropped.push(covariate);
                    continue;
                }
            }
            columns.push(index);
        }
        let party_columns: Vec<u32> = if options.per_party_intercept {
            set.iter()
                .skip(usize::from(options.intercept))
                .copied()
                .collect()
        } else {
            Vec::new()
        };

        // CᵀC, Cᵀy, yᵀy from the pooled G and, for party columns, each party's G[:, 0] and n.
        let k = columns.len() + party_columns.len();
        let field_sums = |global: u32| -> Vec<f64> {
            grams
                .iter()
                .find(|g| g.component == global)
                .expect("party of the set")
                .field_sums()
        };
        let party_sums: Vec<Vec<f64>> = party_columns.iter().map(|&p| field_sums(p)).collect();
        let party_n: Vec<f64> = party_columns
            .iter()
            .map(|&p| grams.iter().find(|g| g.component == p).expect("party").n)
            .collect();
        let mut ctc = vec![0.0; k * k];
        let mut cty = vec![0.0; k];
        let b = columns.len();
        for (i, &ci) in columns.iter().enumerate() {
            cty[i] = gram[ci * u + layout.y];
            for (j, &cj) in columns.iter().enumerate() {
                ctc[i * k + j] = gram[ci * u + cj];
            }
            for (p, sums) in party_sums.iter().enumerate() {
                ctc[i * k + b + p] = sums[ci];
                ctc[(b + p) * k + i] = sums[ci];
            }
        }
        for (p, sums) in party_sums.iter().enumerate() {
            cty[b + p] = sums[layout.y];
            ctc[(b + p) * k + b + p] = party_n[p];
        }
        let yty = gram[layout.y * u + layout.y];

        let mut column_names: Vec<String> = columns
            .iter()
            .map(|&c| layout.fields[c].name.clone())
            .collect();
        column_names.extend(
            party_columns
                .iter()
                .map(|&p| format!("party={}", merged.components[p as usize].party)),
        );
        let projection = Projection::new(&ctc, &cty, yty, n, &column_names).map_err(|e| {
            let parties: Vec<&str> = set
                .iter()
                .map(|&g| merged.components[g as usize].party.as_str())
                .collect();
            Error::model(format!(
                "phenotype '{}', parties {}: {}",
                layout.fields[layout.y].name,
                parties.join("+"),
                e.message()
            ))
        })?;
        let total_squares = match spans_constant {
            true => yty - gram[layout.y] * gram[layout.y] / n,
            false => yty,
        };
        Ok(Model {
            y_target: target[layout.y],
            target,
            columns,
            party_columns,
            column_names,
            projection,
            n,
            total_squares,
            gram,
        })
    }

    /// The centring of every sum this model takes.
    pub fn target(&self) -> &[f64] {
        &self.target
    }

    /// The factored covariate side.
    pub fn projection(&self) -> &Projection {
        &self.projection
    }

    /// Union-layout indices of the covariate columns (not the party indicators).
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// The covariate model `y ~ C` itself, in the covariates' own units (the seed paper's §2).
    ///
    /// The fit is centred on `target`: a covariate's coefficient is unchanged by centring, and a
    /// column carrying the constant (the intercept; without it, each party's indicator) is moved
    /// back by `t_y − Σ_j γ_j t_j`, its standard error that of the same linear combination.
    pub fn covariate_model(&self, parties: Vec<String>, variants: u64) -> CovariateModel {
        let fit = self.projection.covariate_fit();
        let k = fit.estimates.len();
        let has_intercept = self.columns.first() == Some(&0);
        let targets: Vec<f64> = self
            .columns
            .iter()
            .map(|&c| self.target[c])
            .chain(self.party_columns.iter().map(|_| 0.0))
            .collect();
        let rows = (0..k)
            .map(|i| {
                let carries_constant = match i < self.columns.len() {
                    true => self.columns[i] == 0,
                    false => !has_intercept,
                };
                let mut a = vec![0.0; k];
                let mut shift = 0.0;
                if carries_constant {
                    a.iter_mut().zip(&targets).for_each(|(a, t)| *a = -t);
                    shift = self.y_target;
                }
                a[i] += 1.0;
                let (estimate, se) = fit.combination(&a);
                CovariateRow {
                    name: self.column_names[i].clone(),
                    estimate: estimate + shift,
                    se,
                }
            })
            .collect();
        let tau2 = fit.residual_variance();
        CovariateModel {
            parties,
            rows,
            n: self.n,
            df: fit.df,
            tau2,
            r2: 1.0 - fit.rss / self.total_squares,
            variants,
        }
    }

    /// Tests one site whose component set is this model's.
    pub fn test(
        &self,
        layout: &PhenotypeLayout,
        merged: &Merged,
        site: &Site,
        scratch: &mut Scratch,
    ) -> Result<VariantResult> {
        let per_component = !self.party_columns.is_empty();
        let coding = pool_site(
            layout,
            merged,
            site,
            &self.target,
            per_component,
            &mut scratch.sums,
        )?;
        Ok(self.test_sums(layout, scratch, coding))
    }

    /// The test of the pooled sums in `scratch`, whose dosages are coded `coding` times the
    /// ALT allele count (the effect allele frequency is that of the ALT count).
    fn test_sums(
        &self,
        layout: &PhenotypeLayout,
        scratch: &mut Scratch,
        coding: f64,
    ) -> VariantResult {
        let x = match self.covariate_side_of_x(scratch, coding) {
            Ok(x) => x,
            Err(result) => return result,
        };
        let outcome = self
            .projection
            .test(&scratch.ctx, scratch.atx[layout.y], x.xx);
        x.result(outcome)
    }

    /// The y-independent part of a site's test from the pooled sums in `scratch` (in a layout
    /// whose covariate fields are this model's): mean imputation (DESIGN §1 step 2) into
    /// `scratch.atx`, `Cᵀx` into `scratch.ctx`; or the result of a site with every call missing.
    pub(super) fn covariate_side_of_x(
        &self,
        scratch: &mut Scratch,
        coding: f64,
    ) -> std::result::Result<ImputedSite, VariantResult> {
        let sums = &scratch.sums;
        let n = self.n;
        let n_missing = sums.atu[0];
        let n_observed = n - n_missing;
        if n_observed <= 0.0 {
            return Err(VariantResult {
                n: n as u64,
                eaf: f64::NAN,
                n_missing,
                outcome: Outcome::Skipped(SkipReason::AllMissing),
            });
        }
        // Mean imputation with the pooled mean of observed calls (DESIGN §1 step 2).
        let mean = sums.atx0[0] / n_observed;
        let atx = &mut scratch.atx;
        atx.clear();
        atx.extend(sums.atx0.iter().zip(&sums.atu).map(|(a, m)| a + mean * m));
        let xx = sums.x0x0 + mean * mean * n_missing;
        let ctx = &mut scratch.ctx;
        ctx.clear();
        ctx.extend(self.columns.iter().map(|&c| atx[c]));
        for &party in &self.party_columns {
            let (_, sum_x0, missing) = sums
                .per_component
                .iter()
                .find(|(c, _, _)| *c == party)
                .copied()
                .expect("every party of the set has a row");
            ctx.push(sum_x0 + mean * missing);
        }
        Ok(ImputedSite {
            n: n as u64,
            eaf: mean / (2.0 * coding),
            n_missing,
            xx,
        })
    }

    /// Whether `other` (another phenotype's model of the same party set) has this model's
    /// covariate side: the same columns, centring of the covariates and factor, so that a
    /// site's `Cᵀx` and `Qᵀx` are the same for both.
    pub(super) fn shares_covariate_side(&self, other: &Model, y: usize) -> bool {
        self.columns == other.columns
            && self.party_columns == other.party_columns
            && self.target[..y] == other.target[..y]
            && self.projection.same_covariate_side(&other.projection)
    }

    /// y's centre: the entry of `target` after the covariates.
    pub(super) fn y_target(&self) -> f64 {
        self.y_target
    }

    /// Whether the model has per-party indicator columns (which need per-row sums).
    pub(super) fn has_party_columns(&self) -> bool {
        !self.party_columns.is_empty()
    }
}

/// A site's pooled sums after mean imputation: what every phenotype of a site's test shares.
pub(crate) struct ImputedSite {
    n: u64,
    eaf: f64,
    n_missing: f64,
    /// `x·x` after imputation.
    pub xx: f64,
}

impl ImputedSite {
    /// The result of the site with this outcome.
    pub fn result(&self, outcome: Outcome) -> VariantResult {
        VariantResult {
            n: self.n,
            eaf: self.eaf,
            n_missing: self.n_missing,
            outcome,
        }
    }
}

/// Pools one site's rows in `layout` centred on `target` into `sums` (with each row's own sums
/// when `per_component`), with chrY and MT recoded as plink2 codes them; returns that coding
/// (the factor from ALT allele counts to the fitted dosage).
pub(super) fn pool_site(
    layout: &PhenotypeLayout,
    merged: &Merged,
    site: &Site,
    target: &[f64],
    per_component: bool,
    sums: &mut SiteSums,
) -> Result<f64> {
    layout.site_sums(merged, site, target, per_component, sums)?;
    // chrY and MT are fitted with the calls coded 0..1, as plink2 --glm codes them: the
    // sums hold them 0..2 (a haploid call as the homozygous one), and x → c·x is exact:
    // Aᵀx0 → c·Aᵀx0, x0·x0 → c²·x0·x0, Aᵀu unchanged.
    let chrom = &merged.variant(site).chrom;
    if crate::genotype::haploid_ds::haploid_chromosome(chrom) {
        super::sex::refuse_undoubled_haploid_ds(merged, site)?;
    }
    let coding = haploid_coding(chrom);
    if coding != 1.0 {
        sums.atx0.iter_mut().for_each(|a| *a *= coding);
        sums.x0x0 *= coding * coding;
        for (_, sum_x0, _) in &mut sums.per_component {
            *sum_x0 *= coding;
        }
    }
    Ok(coding)
}

/// What testing a site needs besides the model, kept by a worker from site to site so that a
/// test allocates nothing.
pub(crate) struct Scratch {
    pub(super) sums: SiteSums,
    /// `Aᵀx` after imputation, union layout.
    pub(super) atx: Vec<f64>,
    /// `Cᵀx`.
    pub(super) ctx: Vec<f64>,
}

impl Scratch {
    /// Buffers for sites of one phenotype.
    pub fn new(layout: &PhenotypeLayout) -> Scratch {
        Scratch {
            sums: SiteSums::new(layout),
            atx: Vec::new(),
            ctx: Vec::new(),
        }
    }
}
