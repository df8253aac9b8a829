//! One phenotype's field layout across summaries, and pooling sums onto it.
//!
//! Every summary has its own groups, field order and centring. For a phenotype y the merge uses
//! one *union layout* — intercept, the chosen covariates (categorical levels pooled over all
//! summaries), y — and moves every input's sums onto it: fields mapped by name (a level a party
//! never saw is a column of zeros there), alleles flipped where the row is the other way round, and
//! the centring changed exactly:
//!
//! each input's sums are of `A' = A − 1·sᵀ` for its own shift s. Moving them to a target t is
//! exact algebra with d = s − t: `A'' = A' + 1·dᵀ`, so `A''ᵀv = A'ᵀv + d·(1ᵀv)` and
//! `G'' = G' + d·g₀ᵀ + g₀·dᵀ + n·d·dᵀ` with `g₀ = A'ᵀ1 = G'[:, 0]`.

use super::{MergeOptions, Merged, Site};
use crate::error::{Error, Result};
use crate::summary::sex::{SampleSet, XchrModel};
use crate::summary::{FieldKind, GroupLayout, SampleField};

/// The union layout of one phenotype and where its fields sit in every input.
#[derive(Clone)]
pub(crate) struct PhenotypeLayout {
    /// Intercept, covariate fields, y.
    pub fields: Vec<SampleField>,
    /// Index of y in `fields`.
    pub y: usize,
    /// Per input (argument order).
    pub inputs: Vec<InputLayout>,
}

/// One input's group holding the phenotype, seen through the union layout.
#[derive(Clone)]
pub(crate) struct InputLayout {
    /// The file group.
    pub group: usize,
    /// Per union field, its index in the group (`None`: a level the input never saw, all 0).
    pub local: Vec<Option<usize>>,
    /// Per union field, the input's centring shift (0 where absent).
    pub shift: Vec<f64>,
    /// Union field `a` is the group's field `a` for every `a` (the usual case: every party
    /// made its summary with the same covariates), so sums move onto the union layout without
    /// a lookup per field.
    identity: bool,
}

impl InputLayout {
    /// Where the union `fields` sit in one input's `group` (index `group`).
    pub(super) fn new(fields: &[SampleField], layout: &GroupLayout, group: usize) -> InputLayout {
        let local: Vec<Option<usize>> = fields
            .iter()
            .map(|f| {
                layout
                    .fields
                    .iter()
                    .position(|l| l.name == f.name && l.kind == f.kind)
            })
            .collect();
        let shift = local
            .iter()
            .map(|l| l.map_or(0.0, |i| layout.shift[i]))
            .collect();
        let identity = local.iter().enumerate().all(|(a, l)| *l == Some(a));
        InputLayout {
            group,
            local,
            shift,
            identity,
        }
    }

    /// Union field `a` of a local vector (0 where the input lacks the field).
    fn union_value(&self, local: &[f64], a: usize) -> f64 {
        self.local[a].map_or(0.0, |i| local[i])
    }
}

/// Per input, the group holding `phenotype`; an error listing every input that lacks it.
fn phenotype_groups(merged: &Merged, phenotype: &str) -> Result<Vec<usize>> {
    let mut groups = Vec::new();
    let mut lacking = Vec::new();
    for summary in &merged.inputs {
        // The group of all the phenotype's samples; its sex-chromosome sample sets are
        // chosen by `PhenotypeLayout::for_sample_set`.
        let group =
            summary.header.groups.iter().position(|g| {
                g.sample_set.is_none() && g.phenotypes.iter().any(|p| p == phenotype)
            });
        match group {
            Some(g) => groups.push(g),
            None => {
                let has: Vec<String> = summary
                    .header
                    .groups
                    .iter()
                    .flat_map(|g| g.phenotypes.clone())
                    .collect();
                lacking.push(format!(
                    "{} (has {})",
                    summary.path.display(),
                    has.join(", ")
                ));
            }
        }
    }
    if !lacking.is_empty() {
        return Err(Error::usage(format!(
            "phenotype '{phenotype}' is missing from {}; choose phenotypes every party has with --pheno",
            lacking.join("; ")
        )));
    }
    Ok(groups)
}

/// The covariates of a group's fields, by covariate name (a categorical one once), in order.
fn covariate_names(fields: &[SampleField]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for f in fields.iter().filter(|f| f.kind == FieldKind::Covariate) {
        let name = f.covariate.clone().unwrap_or_else(|| f.name.clone());
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The union fields of covariate `name` over every input's group: itself when numeric, one
/// indicator per level any input saw (sorted) when categorical. Inputs lacking it are added to
/// `lacking`.
fn union_covariate_fields(
    merged: &Merged,
    groups: &[usize],
    name: &str,
    lacking: &mut Vec<String>,
) -> Result<Vec<SampleField>> {
    let mut numeric = None;
    let mut levels: Vec<String> = Vec::new();
    for (summary, &g) in merged.inputs.iter().zip(groups) {
        let of_covariate: Vec<&SampleField> = summary.header.groups[g]
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Covariate && f.covariate.as_deref() == Some(name))
            .collect();
        if of_covariate.is_empty() {
            lacking.push(format!("{} lacks '{name}'", summary.path.display()));
            continue;
        }
        let is_numeric = of_covariate[0].level.is_none();
        if *numeric.get_or_insert(is_numeric) != is_numeric {
            return Err(Error::input(
                &summary.path,
                format!("covariate '{name}' is numeric in one summary and categorical in another"),
            ));
        }
        levels.extend(of_covariate.iter().filter_map(|f| f.level.clone()));
    }
    Ok(match numeric {
        Some(true) => vec![SampleField::numeric_covariate(name)],
        Some(false) => {
            levels.sort();
            levels.dedup();
            levels
                .into_iter()
                .map(|level| SampleField::level_indicator(name, &level))
                .collect()
        }
        None => Vec::new(),
    })
}

/// One component's n and Gram matrix in the union layout, at some centring.
pub(crate) struct ComponentGram {
    /// Global component index.
    pub component: u32,
    /// Samples of the phenotype's group.
    pub n: f64,
    /// u × u, row-major.
    pub gram: Vec<f64>,
}

impl ComponentGram {
    /// Column sums of the fields over this component's samples: `G[:, 0]`.
    pub fn field_sums(&self) -> Vec<f64> {
        let u = (self.gram.len() as f64).sqrt() as usize;
        (0..u).map(|a| self.gram[a * u]).collect()
    }
}

/// Pooled per-variant sums of one site in the union layout.
///
/// Filled by [`PhenotypeLayout::site_sums`] and reused from site to site, so pooling allocates
/// nothing per site.
#[derive(Clone)]
pub(crate) struct SiteSums {
    /// Σ `Aᵀx0` over the site's rows.
    pub atx0: Vec<f64>,
    /// Σ `Aᵀu`.
    pub atu: Vec<f64>,
    /// Σ `x0·x0`.
    pub x0x0: f64,
    /// Per single-component row: (global component, Σx0, missing count) — what per-party
    /// intercepts need; empty unless asked for.
    pub per_component: Vec<(u32, f64, f64)>,
    /// A flipped row's `Aᵀx0` and its components' `G[:, 0]`, in the row's own layout.
    flipped_atx0: Vec<f64>,
    column_sums: Vec<f64>,
}

impl SiteSums {
    /// Empty sums for a layout.
    pub fn new(layout: &PhenotypeLayout) -> SiteSums {
        let u = layout.width();
        SiteSums {
            atx0: vec![0.0; u],
            atu: vec![0.0; u],
            x0x0: 0.0,
            per_component: Vec::new(),
            flipped_atx0: Vec::new(),
            column_sums: Vec::new(),
        }
    }
}

impl PhenotypeLayout {
    /// Builds the layout of `phenotype` with the covariates chosen in `options`.
    pub fn new(
        merged: &Merged,
        phenotype: &str,
        options: &MergeOptions,
    ) -> Result<PhenotypeLayout> {
        let groups = phenotype_groups(merged, phenotype)?;
        // Covariates: chosen by name, default those of the first summary.
        let wanted = match &options.covariates {
            Some(list) => list.clone(),
            None => covariate_names(&merged.inputs[0].header.groups[groups[0]].fields),
        };
        let mut fields = vec![SampleField::intercept()];
        let mut lacking: Vec<String> = Vec::new();
        for name in &wanted {
            fields.extend(union_covariate_fields(merged, &groups, name, &mut lacking)?);
        }
        if !lacking.is_empty() {
            return Err(Error::usage(format!(
                "covariates missing for phenotype '{phenotype}': {}; choose covariates every party has with --covar",
                lacking.join("; ")
            )));
        }
        let y = fields.len();
        fields.push(SampleField {
            name: phenotype.to_string(),
            kind: FieldKind::Phenotype,
            covariate: None,
            level: None,
        });
        let inputs = merged
            .inputs
            .iter()
            .zip(groups)
            .map(|(summary, group)| InputLayout::new(&fields, &summary.header.groups[group], group))
            .collect();
        Ok(PhenotypeLayout { fields, y, inputs })
    }

    /// This layout over a sex-chromosome sample set (`crate::summary::sex::SampleSet`): each
    /// input's group of that set for the phenotype, with `field` (the sex covariate of
    /// non-PAR chrX) added just before y. An input without a known-sex set uses its group of
    /// all samples, whose every sex is then known; an error names every input whose group
    /// lacks `field`, or (chrY) has no set of males.
    pub fn for_sample_set(
        &self,
        merged: &Merged,
        set: SampleSet,
        field: Option<SampleField>,
    ) -> Result<PhenotypeLayout> {
        let mut fields = self.fields.clone();
        if let Some(field) = field.clone() {
            fields.insert(self.y, field);
        }
        let phenotype = &self.fields[self.y].name;
        let mut lacking = Vec::new();
        let mut inputs = Vec::new();
        for (summary, old) in merged.inputs.iter().zip(&self.inputs) {
            let groups = &summary.header.groups;
            let of_set = groups
                .iter()
                .position(|g| g.sample_set == Some(set) && g.phenotypes.contains(phenotype));
            let group = match (of_set, set) {
                (Some(g), _) => g,
                (None, SampleSet::KnownSex) => old.group,
                (None, SampleSet::Males) => {
                    lacking.push(format!("{} (no set of males)", summary.path.display()));
                    continue;
                }
            };
            let input = InputLayout::new(&fields, &groups[group], group);
            if field.is_some() && input.local[self.y].is_none() {
                lacking.push(format!(
                    "{} (sex not known for any sample, see its compress log)",
                    summary.path.display()
                ));
            }
            inputs.push(input);
        }
        if !lacking.is_empty() {
            return Err(Error::usage(match set {
                SampleSet::KnownSex => format!(
                    "non-PAR chrX needs the 'sex' field on the samples of known sex, which {} lacks; compress it with sex known (.fam/.psam or --sex-col) or with --xchr-model 0, or merge with --no-x-sex",
                    lacking.join(", ")
                ),
                SampleSet::Males => format!(
                    "chrY is fitted on the males only (as plink2 --glm), and {} has no males' sums for phenotype '{phenotype}' (sex unknown, fewer than --min-cell males, or a secure or merged summary); compress it with sex known, or leave chrY out (--chr at compress, --region at merge)",
                    lacking.join(", ")
                ),
            }));
        }
        Ok(PhenotypeLayout {
            fields,
            y: self.y + usize::from(field.is_some()),
            inputs,
        })
    }

    /// Number of union fields u.
    pub fn width(&self) -> usize {
        self.fields.len()
    }

    /// n and G of one component, in the union layout at its input's own centring.
    fn component_gram_local(&self, merged: &Merged, global: u32) -> (&InputLayout, ComponentGram) {
        let u = self.width();
        let (input, local_component) = merged.components[global as usize].home;
        let layout = &self.inputs[input];
        let component = &merged.inputs[input].header.components[local_component];
        let local = &component.groups[layout.group];
        let j = merged.inputs[input].header.groups[layout.group]
            .fields
            .len();
        let mut gram = vec![0.0; u * u];
        for a in 0..u {
            let Some(la) = layout.local[a] else { continue };
            for b in 0..u {
                let Some(lb) = layout.local[b] else { continue };
                gram[a * u + b] = local.gram[la * j + lb];
            }
        }
        let n = local.n as f64;
        (
            layout,
            ComponentGram {
                component: global,
                n,
                gram,
            },
        )
    }

    /// Samples of the phenotype's group over a set of components.
    pub fn set_size(&self, merged: &Merged, set: &[u32]) -> f64 {
        set.iter()
            .map(|&global| self.component_gram_local(merged, global).1.n)
            .sum()
    }

    /// The pooled field means over a set of components (0 for the intercept): the centring that
    /// keeps the most digits.
    pub fn pooled_means(&self, merged: &Merged, set: &[u32]) -> Vec<f64> {
        let u = self.width();
        let mut target = vec![0.0; u];
        let mut n = 0.0;
        for &global in set {
            let (layout, c) = self.component_gram_local(merged, global);
            n += c.n;
            for (a, t) in target.iter_mut().enumerate().skip(1) {
                *t += c.gram[a * u] + c.n * layout.shift[a];
            }
        }
        for t in &mut target[1..] {
            *t /= n;
        }
        target
    }

    /// n and G of each component of `set`, in the union layout, centred on `target`.
    pub fn component_grams(
        &self,
        merged: &Merged,
        set: &[u32],
        target: &[f64],
    ) -> Vec<ComponentGram> {
        let u = self.width();
        set.iter()
            .map(|&global| {
                let (layout, local) = self.component_gram_local(merged, global);
                let d: Vec<f64> = layout
                    .shift
                    .iter()
                    .zip(target)
                    .map(|(s, t)| s - t)
                    .collect();
                let g = &local.gram;
                let mut gram = vec![0.0; u * u];
                for a in 0..u {
                    for b in 0..u {
                        gram[a * u + b] = g[a * u + b]
                            + d[a] * g[b * u]
                            + g[a * u] * d[b]
                            + local.n * d[a] * d[b];
                    }
                }
                ComponentGram { gram, ..local }
            })
            .collect()
    }

    /// Pools one site's rows (flipping those the other way round) in the union layout, centred
    /// on `target`, into `sums`. With `per_component`, also gives each row's Σx0 and missing
    /// count, which requires every row to hold a single component.
    pub fn site_sums(
        &self,
        merged: &Merged,
        site: &Site,
        target: &[f64],
        per_component: bool,
        sums: &mut SiteSums,
    ) -> Result<()> {
        self.member_sums(merged, merged.members(site), target, per_component, sums)
    }

    /// [`PhenotypeLayout::site_sums`] over some of a site's rows (`members`): a joint fit pools
    /// only the parties that hold every variant in it.
    pub(crate) fn member_sums(
        &self,
        merged: &Merged,
        members: &[super::Member],
        target: &[f64],
        per_component: bool,
        sums: &mut SiteSums,
    ) -> Result<()> {
        let u = self.width();
        sums.atx0.clear();
        sums.atx0.resize(u, 0.0);
        sums.atu.clear();
        sums.atu.resize(u, 0.0);
        sums.x0x0 = 0.0;
        sums.per_component.clear();
        for m in members {
            let input = &merged.inputs[m.input as usize];
            let layout = &self.inputs[m.input as usize];
            let group = layout.group;
            let rows = &input.rows.groups[group];
            let row = m.row as usize;
            let (mut local_atx0, local_atu) = (rows.atx0(row), rows.atu(row));
            let mut local_x0x0 = rows.x0x0[row];
            let components = &input.rows.components[row];
            if m.flipped {
                refuse_haploid_flip(merged, input, row)?;
                // x' = 2 − x on observed calls: Aᵀx0' = 2(G[:,1] − Aᵀu) − Aᵀx0,
                // x0'·x0' = 4·n_obs − 4Σx0 + x0·x0 (DESIGN §1), G and n over the row's components.
                let j = rows.width;
                let column_sums = &mut sums.column_sums;
                column_sums.clear();
                column_sums.resize(j, 0.0);
                let mut n_row = 0.0;
                for &c in components {
                    let g = &input.header.components[c as usize].groups[group];
                    n_row += g.n as f64;
                    for (a, s) in column_sums.iter_mut().enumerate() {
                        *s += g.gram[a * j];
                    }
                }
                let n_obs = n_row - local_atu[0];
                let sum_x0 = local_atx0[0];
                sums.flipped_atx0.clear();
                sums.flipped_atx0
                    .extend((0..j).map(|a| 2.0 * (column_sums[a] - local_atu[a]) - local_atx0[a]));
                local_atx0 = &sums.flipped_atx0;
                local_x0x0 += 4.0 * n_obs - 4.0 * sum_x0;
            }
            if per_component {
                if components.len() != 1 {
                    return Err(Error::usage(format!(
                        "{}: per-party intercepts need single-party summaries, and this one merges {} parties",
                        input.path.display(),
                        input.header.components.len()
                    )));
                }
                let global = merged.component_map[m.input as usize][components[0] as usize];
                sums.per_component
                    .push((global, local_atx0[0], local_atu[0]));
            }
            // Re-centre onto the target: A''ᵀv = A'ᵀv + d·(1ᵀv).
            let recentre = |pooled: &mut [f64], local: &[f64]| {
                let ones = layout.union_value(local, 0);
                if layout.identity {
                    // The same sum as below, without looking each field up, over slices of
                    // one length so that no index is checked (issue 12).
                    let u = pooled.len();
                    let (local, shift, target) = (&local[..u], &layout.shift[..u], &target[..u]);
                    for a in 0..u {
                        pooled[a] += local[a] + (shift[a] - target[a]) * ones;
                    }
                    return;
                }
                let shifts = layout.shift.iter().zip(target);
                for (a, (total, (s, t))) in pooled.iter_mut().zip(shifts).enumerate() {
                    *total += layout.union_value(local, a) + (s - t) * ones;
                }
            };
            recentre(&mut sums.atx0, local_atx0);
            recentre(&mut sums.atu, local_atu);
            sums.x0x0 += local_x0x0;
        }
        Ok(())
    }
}

/// Refuses to flip a non-PAR chrX row under `--xchr-model 1`: males are coded 0..1 there, so
/// the exact flip is x' = 1 − x for males and 2 − x for females, which needs per-sex sums a
/// summary does not hold (docs/formats.md).
fn refuse_haploid_flip(merged: &Merged, input: &crate::summary::Summary, row: usize) -> Result<()> {
    let record = merged.sex_chromosomes;
    let variant = &input.rows.variants[row];
    if record.xchr_model == XchrModel::Haploid
        && record.is_sex_modelled(&variant.chrom, variant.pos)
    {
        return Err(Error::input(
            &input.path,
            format!(
                "{variant} has REF/ALT the other way round from the reported orientation, and under --xchr-model 1 (males coded 0..1) that flip needs per-sex sums a summary does not hold; compress with --xchr-model 2 (plink2's default), or with REF/ALT as the other summaries"
            ),
        ));
    }
    Ok(())
}
