//! Exact pooled joint and conditional regression within an LD region (`--condition`,
//! `--joint`), from the pairwise sums of [`crate::summary::ld`].
//!
//! A fit of a set S of variants (the conditioning variants, plus the tested one) is the OLS of
//! `y ~ C + X_S` on the samples of the parties that hold **every** variant of S with LD sums
//! (P_S); a party lacking one of them takes no part in that fit. Missing calls are mean-imputed
//! with the mean of the observed calls over P_S, as the single-variant test does over its own
//! party set. Everything comes from per-party sums: for a party, with the basis (1, u, x0) of
//! one variant's group column (all ones, missing indicator, dosage with missing as 0), a
//! variant's imputed and oriented dosage is `x = c·(1, u, x0)` with `c = (0, μ, 1)`, or
//! `(2, μ − 2, −1)` when the party's alleles are the other way round (x' = 2 − x on observed
//! calls), so `x_a·x_b = c_aᵀ M_ab c_b` with
//!
//! ```text
//! M_ab = | n      Σu_b      Σx0_b     |
//!        | Σu_a   u_a·u_b   u_a·x0_b  |
//!        | Σx0_a  x0_a·u_b  x0_a·x0_b |
//! ```
//!
//! summed over P_S. The conditioning variants then join the covariates: `CᵀC` grows by their
//! `Cᵀx` and `x·x'`, and [`Projection`] tests the variant as it tests any other.

use std::collections::HashMap;

use super::layout::SiteSums;
use super::model::Model;
use super::{Member, MergeOptions, Merged, PhenotypeLayout, Site, VariantResult};
use crate::error::{Error, Result};
use crate::regression::{Outcome, Projection, SkipReason};

/// A variant named on the command line, `CHR:POS:REF:ALT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSpec {
    /// Normalised chromosome.
    pub chrom: String,
    /// Position.
    pub pos: u64,
    /// REF and ALT as given (matched in either order).
    pub alleles: (String, String),
}

impl VariantSpec {
    /// Parses `CHR:POS:REF:ALT`.
    ///
    /// ```
    /// let v = dash::merge::locus::VariantSpec::parse("chr1:1200:A:G").unwrap();
    /// assert_eq!((v.chrom.as_str(), v.pos), ("1", 1200));
    /// ```
    pub fn parse(text: &str) -> Result<VariantSpec> {
        let bad = || {
            Error::usage(format!(
                "variant '{}': expected CHR:POS:REF:ALT",
                crate::error::echo(text)
            ))
        };
        let fields: Vec<&str> = text.split(':').collect();
        let [chrom, pos, reference, alt] = fields[..] else {
            return Err(bad());
        };
        let pos = pos.parse::<u64>().map_err(|_| bad())?;
        if chrom.is_empty() || reference.is_empty() || alt.is_empty() || pos == 0 {
            return Err(bad());
        }
        Ok(VariantSpec {
            chrom: crate::chrom::normalize(chrom),
            pos,
            alleles: (reference.to_string(), alt.to_string()),
        })
    }

    /// Whether `site` of `merged` is this variant (alleles in either order).
    fn is(&self, merged: &Merged, site: &Site) -> bool {
        let v = merged.variant(site);
        let (a, b) = (&self.alleles.0, &self.alleles.1);
        v.chrom == self.chrom
            && v.pos == self.pos
            && ((v.ref_allele.as_str(), v.alt_allele.as_str()) == (a.as_str(), b.as_str())
                || (v.ref_allele.as_str(), v.alt_allele.as_str()) == (b.as_str(), a.as_str()))
    }
}

impl std::fmt::Display for VariantSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.chrom, self.pos, self.alleles.0, self.alleles.1
        )
    }
}

/// The pooled, covariate-adjusted LD of a region's variants and their single-variant tests, on
/// one sample set: the parties holding LD sums in the region, over the variants every one of
/// them holds (so the matrix is a correlation matrix of one set of samples, as SuSiE-RSS and
/// FINEMAP assume).
pub(crate) struct LdExport {
    /// Sites of the region exported, in order.
    pub sites: Vec<usize>,
    /// Each one's test `y ~ C + x` on the export's samples (its z is the t statistic).
    pub results: Vec<VariantResult>,
    /// Correlation of the covariate-residualised dosages, row-major.
    pub correlation: Vec<f64>,
    /// Parties (global component indices) whose samples are in it.
    pub parties: Vec<u32>,
}

/// The sites of `specs` in `merged` (which holds one LD region's rows), in the order given.
pub fn find_sites(merged: &Merged, specs: &[VariantSpec]) -> Result<Vec<usize>> {
    specs
        .iter()
        .map(|spec| {
            merged
                .sites
                .iter()
                .position(|site| spec.is(merged, site))
                .ok_or_else(|| {
                    Error::inputs(format!(
                        "{spec}: no summary holds LD sums for this variant (compress with --ld-region covering it)"
                    ))
                })
        })
        .collect()
}

/// One party set's pooled sums for the variants of a fit.
struct PartySetFit {
    model: Model,
    /// Per site index of the region, its pooled sums over the set.
    imputed: HashMap<usize, Imputed>,
}

/// A variant's pooled sums over a party set, missing calls imputed with the set's mean.
#[derive(Clone)]
struct Imputed {
    /// `Aᵀx`, union layout.
    atx: Vec<f64>,
    /// Missing calls.
    missing: f64,
    /// μ, the mean of the observed calls (NaN when every call is missing).
    mean: f64,
}

/// The joint and conditional fits of one phenotype in one region.
pub(crate) struct LocusFits<'a> {
    merged: &'a Merged,
    layout: &'a PhenotypeLayout,
    options: &'a MergeOptions,
    /// Fits by party set (global component indices, ascending).
    fits: HashMap<Vec<u32>, PartySetFit>,
    /// The models `y ~ C + X_given` of the latest given sites, by party set.
    given_fits: HashMap<(Vec<u32>, Vec<usize>), GivenFit>,
}

/// The model `y ~ C + X_given` over one party set.
enum GivenFit {
    /// A given variant has every call missing over the set (its missing count): no test.
    AllMissing(f64),
    /// Factored.
    Fitted(GivenProjection),
}

/// A factored `y ~ C + X_given`.
struct GivenProjection {
    projection: Projection,
    /// μ of each given variant over the set.
    means: Vec<f64>,
}

impl<'a> LocusFits<'a> {
    /// Fits of `layout`'s phenotype over the region held in `merged`.
    pub fn new(
        merged: &'a Merged,
        layout: &'a PhenotypeLayout,
        options: &'a MergeOptions,
    ) -> Result<LocusFits<'a>> {
        if options.per_party_intercept {
            return Err(Error::usage(
                "--condition, --joint, --ld-out and --cojo-select do not take --per-party-intercept",
            ));
        }
        Ok(LocusFits {
            merged,
            layout,
            options,
            fits: HashMap::new(),
            given_fits: HashMap::new(),
        })
    }

    /// The rows of `site` carrying LD sums, by global component.
    fn members_with_ld(&self, site: usize) -> Vec<(u32, Member)> {
        let merged = self.merged;
        merged
            .members(&merged.sites[site])
            .iter()
            .filter(|m| {
                merged.inputs[m.input as usize]
                    .rows
                    .ld(m.row as usize)
                    .is_some()
            })
            .map(|m| {
                let input = &merged.inputs[m.input as usize];
                let local = input.rows.components[m.row as usize][0];
                (merged.component_map[m.input as usize][local as usize], *m)
            })
            .collect()
    }

    /// The parties holding every site of `sites` with LD sums, ascending.
    fn party_set(&self, sites: &[usize]) -> Vec<u32> {
        let mut set: Option<Vec<u32>> = None;
        for &site in sites {
            let mut holding: Vec<u32> =
                self.members_with_ld(site).iter().map(|(c, _)| *c).collect();
            holding.sort_unstable();
            set = Some(match set {
                None => holding,
                Some(s) => s.into_iter().filter(|c| holding.contains(c)).collect(),
            });
        }
        set.unwrap_or_default()
    }

    /// The fit of `set`, made on first use.
    fn fit(&mut self, set: &[u32]) -> Result<&mut PartySetFit> {
        if !self.fits.contains_key(set) {
            let model = Model::fit(self.layout, self.merged, set, self.options)?;
            self.fits.insert(
                set.to_vec(),
                PartySetFit {
                    model,
                    imputed: HashMap::new(),
                },
            );
        }
        Ok(self.fits.get_mut(set).expect("inserted"))
    }

    /// Pooled, imputed `Aᵀx` and the missing count of `site` over `set`.
    fn imputed(&mut self, set: &[u32], site: usize) -> Result<Imputed> {
        let members: Vec<Member> = self
            .members_with_ld(site)
            .into_iter()
            .filter(|(c, _)| set.contains(c))
            .map(|(_, m)| m)
            .collect();
        let (layout, merged) = (self.layout, self.merged);
        let fit = self.fit(set)?;
        if let Some(found) = fit.imputed.get(&site) {
            return Ok(found.clone());
        }
        let mut sums = SiteSums::new(layout);
        layout.member_sums(merged, &members, fit.model.target(), false, &mut sums)?;
        let missing = sums.atu[0];
        let observed = fit.model.n - missing;
        let mean = if observed > 0.0 {
            sums.atx0[0] / observed
        } else {
            f64::NAN
        };
        let atx: Vec<f64> = sums
            .atx0
            .iter()
            .zip(&sums.atu)
            .map(|(x, u)| x + mean * u)
            .collect();
        let imputed = Imputed { atx, missing, mean };
        fit.imputed.insert(site, imputed.clone());
        Ok(imputed)
    }

    /// `x_a·x_b` over `set`, both imputed with their means over `set` (see the module docs).
    fn cross(&self, set: &[u32], a: usize, b: usize, means: (f64, f64)) -> f64 {
        let merged = self.merged;
        let rows_a = self.members_with_ld(a);
        let rows_b = self.members_with_ld(b);
        let mut total = 0.0;
        for &(component, ma) in rows_a.iter().filter(|(c, _)| set.contains(c)) {
            let (_, mb) = *rows_b
                .iter()
                .find(|(c, _)| *c == component)
                .expect("every party of the set holds both");
            let input = &merged.inputs[ma.input as usize];
            let group = self.layout.inputs[ma.input as usize].group;
            let (ra, rb) = (ma.row as usize, mb.row as usize);
            let sums = &input.rows.groups[group];
            let local = input.rows.components[ra][0] as usize;
            let n = input.header.components[local].groups[group].n as f64;
            let [x0x0, x0u, ux0, uu] = input.rows.ld(ra).expect("held").parts(group);
            let basis = [
                [n, sums.atu(rb)[0], sums.atx0(rb)[0]],
                [sums.atu(ra)[0], uu[rb], ux0[rb]],
                [sums.atx0(ra)[0], x0u[rb], x0x0[rb]],
            ];
            let coefficients = |flipped: bool, mean: f64| match flipped {
                false => [0.0, mean, 1.0],
                true => [2.0, mean - 2.0, -1.0],
            };
            let (ca, cb) = (
                coefficients(ma.flipped, means.0),
                coefficients(mb.flipped, means.1),
            );
            for i in 0..3 {
                for j in 0..3 {
                    total += ca[i] * basis[i][j] * cb[j];
                }
            }
        }
        total
    }

    /// The LD export of the region (see [`LdExport`]); `None` when no variant is held by every
    /// party with LD sums, or none varies after the covariates.
    pub fn export(&mut self) -> Result<Option<LdExport>> {
        let sites: Vec<usize> = (0..self.merged.sites.len()).collect();
        let mut parties: Vec<u32> = sites
            .iter()
            .flat_map(|&s| self.members_with_ld(s).into_iter().map(|(c, _)| c))
            .collect();
        parties.sort_unstable();
        parties.dedup();
        let held: Vec<usize> = sites
            .into_iter()
            .filter(|&s| self.party_set(&[s]).len() == parties.len())
            .collect();
        if parties.is_empty() || held.is_empty() {
            return Ok(None);
        }
        let (layout, columns) = (self.layout, self.fit(&parties)?.model.columns().to_vec());
        // Per variant: its test, Qᵀx and residual x·x (constant ones are left out).
        let mut kept = Vec::new();
        for site in held {
            let imputed = self.imputed(&parties, site)?;
            if imputed.mean.is_nan() {
                continue;
            }
            let xx = self.cross(&parties, site, site, (imputed.mean, imputed.mean));
            let ctx: Vec<f64> = columns.iter().map(|&c| imputed.atx[c]).collect();
            let fit = self.fit(&parties)?;
            let projection = fit.model.projection();
            let outcome = projection.test(&ctx, imputed.atx[layout.y], xx);
            let qtx = projection.project(&ctx);
            let residual = xx - qtx.iter().map(|q| q * q).sum::<f64>();
            if !matches!(outcome, Outcome::Tested(_)) {
                continue;
            }
            let result = VariantResult {
                n: fit.model.n as u64,
                eaf: imputed.mean / 2.0,
                n_missing: imputed.missing,
                outcome,
            };
            kept.push((site, imputed.mean, qtx, residual, result));
        }
        let m = kept.len();
        let mut correlation = vec![0.0; m * m];
        for a in 0..m {
            for b in a..m {
                let (sa, ma, qa, ra, _) = &kept[a];
                let (sb, mb, qb, rb, _) = &kept[b];
                let cross = self.cross(&parties, *sa, *sb, (*ma, *mb));
                let dot: f64 = qa.iter().zip(qb).map(|(p, q)| p * q).sum();
                let r = match a == b {
                    true => 1.0,
                    false => (cross - dot) / (ra * rb).sqrt(),
                };
                correlation[a * m + b] = r;
                correlation[b * m + a] = r;
            }
        }
        Ok(Some(LdExport {
            sites: kept.iter().map(|k| k.0).collect(),
            results: kept.into_iter().map(|k| k.4).collect(),
            correlation,
            parties,
        }))
    }

    /// Tests `site` in `y ~ C + X_given + x_site` over the parties holding all of them.
    pub fn test(&mut self, site: usize, given: &[usize]) -> Result<VariantResult> {
        Ok(self.test_with_collinearity(site, given)?.0)
    }

    /// [`LocusFits::test`], and the collinearity of `site` with `given` in the same fit: the R²
    /// of `x_site` regressed on `X_given` after the covariates,
    /// `1 − |x resid on (C, X_given)|² / |x resid on C|²` (NaN when there is no fit).
    ///
    /// The model `y ~ C + X_given` over a party set is built once and kept, so testing many
    /// variants given the same ones (a step of `--cojo-select`) factors it once.
    pub fn test_with_collinearity(
        &mut self,
        site: usize,
        given: &[usize],
    ) -> Result<(VariantResult, f64)> {
        let mut all: Vec<usize> = given.to_vec();
        all.push(site);
        let set = self.party_set(&all);
        if set.is_empty() {
            let result = VariantResult {
                n: 0,
                eaf: f64::NAN,
                n_missing: 0.0,
                outcome: Outcome::Skipped(SkipReason::TooFewParties),
            };
            return Ok((result, f64::NAN));
        }
        let key = (set, given.to_vec());
        if !self.given_fits.contains_key(&key) {
            // Only the current given set's models are reused (one per party set): memory stays
            // that of one step's, not of every set ever given.
            self.given_fits.retain(|(_, g), _| g == given);
            let fit = self.given_fit(&key.0, given)?;
            self.given_fits.insert(key.clone(), fit);
        }
        let tested = self.imputed(&key.0, site)?;
        let n = self.fit(&key.0)?.model.n as u64;
        let all_missing = |missing: f64| VariantResult {
            n,
            eaf: f64::NAN,
            n_missing: missing,
            outcome: Outcome::Skipped(SkipReason::AllMissing),
        };
        let fit = match &self.given_fits[&key] {
            GivenFit::AllMissing(missing) => return Ok((all_missing(*missing), f64::NAN)),
            GivenFit::Fitted(fit) => fit,
        };
        if tested.mean.is_nan() {
            return Ok((all_missing(tested.missing), f64::NAN));
        }
        let layout = self.layout;
        let model = &self.fits[&key.0].model;
        let k0 = model.columns().len();
        let mut ctx: Vec<f64> = model.columns().iter().map(|&c| tested.atx[c]).collect();
        ctx.extend(
            given
                .iter()
                .zip(&fit.means)
                .map(|(&g, &mean)| self.cross(&key.0, g, site, (mean, tested.mean))),
        );
        let xx = self.cross(&key.0, site, site, (tested.mean, tested.mean));
        let outcome = fit.projection.test(&ctx, tested.atx[layout.y], xx);
        let residual = |qtx: Vec<f64>| xx - qtx.iter().map(|q| q * q).sum::<f64>();
        let after_given = residual(fit.projection.project(&ctx));
        let after_covariates = residual(model.projection().project(&ctx[..k0]));
        let result = VariantResult {
            n,
            eaf: tested.mean / 2.0,
            n_missing: tested.missing,
            outcome,
        };
        Ok((result, 1.0 - after_given / after_covariates))
    }

    /// The model `y ~ C + X_given` over `set`: `CᵀC` grown by the given variants' `Cᵀx` and
    /// cross products, factored.
    fn given_fit(&mut self, set: &[u32], given: &[usize]) -> Result<GivenFit> {
        let mut atx = Vec::with_capacity(given.len());
        for &s in given {
            let imputed = self.imputed(set, s)?;
            if imputed.mean.is_nan() {
                return Ok(GivenFit::AllMissing(imputed.missing));
            }
            atx.push(imputed);
        }
        let g = given.len();
        let mut cross = vec![0.0; g * g];
        for i in 0..g {
            for j in i..g {
                let value = self.cross(set, given[i], given[j], (atx[i].mean, atx[j].mean));
                cross[i * g + j] = value;
                cross[j * g + i] = value;
            }
        }
        let (layout, merged) = (self.layout, self.merged);
        let model = &self.fit(set)?.model;
        let u = layout.width();
        let columns = model.columns();
        let k0 = columns.len();
        let k = k0 + g;
        let gram = &model.gram;
        let mut ctc = vec![0.0; k * k];
        let mut cty = vec![0.0; k];
        let mut names: Vec<String> = columns
            .iter()
            .map(|&c| layout.fields[c].name.clone())
            .collect();
        for (i, &ci) in columns.iter().enumerate() {
            cty[i] = gram[ci * u + layout.y];
            for (j, &cj) in columns.iter().enumerate() {
                ctc[i * k + j] = gram[ci * u + cj];
            }
            for b in 0..g {
                ctc[i * k + k0 + b] = atx[b].atx[ci];
                ctc[(k0 + b) * k + i] = atx[b].atx[ci];
            }
        }
        for a in 0..g {
            cty[k0 + a] = atx[a].atx[layout.y];
            for b in 0..g {
                ctc[(k0 + a) * k + k0 + b] = cross[a * g + b];
            }
            let v = merged.variant(&merged.sites[given[a]]);
            names.push(format!(
                "{}:{}:{}:{}",
                v.chrom, v.pos, v.ref_allele, v.alt_allele
            ));
        }
        let yty = gram[layout.y * u + layout.y];
        let projection = Projection::new(&ctc, &cty, yty, model.n, &names).map_err(|e| {
            Error::model(format!(
                "phenotype '{}': the conditioning variants with the covariates: {}",
                layout.fields[layout.y].name,
                e.message()
            ))
        })?;
        Ok(GivenFit::Fitted(GivenProjection {
            projection,
            means: atx.iter().map(|a| a.mean).collect(),
        }))
    }
}
