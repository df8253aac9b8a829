//! Merge: summaries → pooled per-variant sums → association tests (DESIGN §1 steps 1–2).
//!
//! Variants are joined across summaries by (chromosome, position, allele pair). A summary whose
//! REF/ALT are the other way round is flipped exactly with x' = 2 − x on observed calls. For each
//! phenotype the sums are mapped onto one field layout (intercept, covariates, y), summed over
//! the components holding the variant, missing calls are mean-imputed with the pooled mean, and
//! the regression is fitted with one [`Projection`] per set of components.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::chrom;
use crate::error::{Error, Result};
use crate::genotype::{QcCounts, Variant};
use crate::regression::{Outcome, Projection, SkipReason};
use crate::samples::{Field, FieldKind};
use crate::summary::{read_summary, Summary};

/// The model chosen at merge time.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// Phenotypes to test (default: every phenotype of the first summary).
    pub phenotypes: Option<Vec<String>>,
    /// Covariates to adjust for, by covariate name (default: all of the first summary's).
    pub covariates: Option<Vec<String>>,
    /// Include the intercept.
    pub intercept: bool,
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            phenotypes: None,
            covariates: None,
            intercept: true,
        }
    }
}

/// One summary's row of one variant.
#[derive(Debug, Clone, Copy)]
struct Member {
    input: u32,
    row: u32,
    /// The row's ALT is the site's REF.
    flipped: bool,
}

/// A variant across summaries, in its reported orientation.
#[derive(Debug, Clone)]
pub struct Site {
    /// The reported variant (effect allele = ALT).
    pub variant: Variant,
    members: Vec<Member>,
    /// Whether the reported orientation comes from a reference-aware source.
    reference_oriented: bool,
}

/// A party across inputs (shards of one party share it).
#[derive(Debug, Clone)]
struct GlobalComponent {
    id: String,
    party: String,
    /// (input, component index in that input's header) of its first appearance.
    home: (usize, usize),
}

/// All summaries of one merge, joined by variant.
#[derive(Debug)]
pub struct Merged {
    /// The summaries, in argument order.
    pub inputs: Vec<Summary>,
    /// Variants in output order (chromosome, position, alleles).
    pub sites: Vec<Site>,
    components: Vec<GlobalComponent>,
    /// Per input, local component index → global index.
    component_map: Vec<Vec<u32>>,
}

/// Per-variant results of one phenotype.
#[derive(Debug, Clone)]
pub struct PhenotypeResults {
    /// The phenotype.
    pub phenotype: String,
    /// Names of the model's covariate columns (after level handling).
    pub covariate_columns: Vec<String>,
    /// One per site, in site order.
    pub results: Vec<VariantResult>,
    /// Number of distinct component sets a projection was factored for.
    pub party_sets: usize,
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
    /// Reads every summary and joins their variants.
    pub fn open(paths: &[PathBuf]) -> Result<Merged> {
        check_distinct_paths(paths)?;
        let inputs: Vec<Summary> = paths
            .par_iter()
            .map(|p| read_summary(p))
            .collect::<Result<_>>()?;
        Merged::from_summaries(inputs)
    }

    /// Joins already-read summaries.
    pub fn from_summaries(inputs: Vec<Summary>) -> Result<Merged> {
        let mut components: Vec<GlobalComponent> = Vec::new();
        let mut by_id: HashMap<String, u32> = HashMap::new();
        let mut component_map = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let mut map = Vec::new();
            for (c, component) in input.header.components.iter().enumerate() {
                let global = match by_id.get(&component.id) {
                    Some(&g) => {
                        let (hi, hc) = components[g as usize].home;
                        if inputs[hi].header.components[hc].groups != component.groups {
                            return Err(Error::input(
                                &input.path,
                                format!(
                                    "component {} (party '{}') has different sample sums than in {}",
                                    component.id,
                                    component.party,
                                    inputs[hi].path.display()
                                ),
                            ));
                        }
                        g
                    }
                    None => {
                        let g = components.len() as u32;
                        components.push(GlobalComponent {
                            id: component.id.clone(),
                            party: component.party.clone(),
                            home: (i, c),
                        });
                        by_id.insert(component.id.clone(), g);
                        g
                    }
                };
                map.push(global);
            }
            component_map.push(map);
        }

        let sites = join_sites(&inputs, &component_map, &components)?;
        Ok(Merged {
            inputs,
            sites,
            components,
            component_map,
        })
    }

    /// Number of distinct parties (components).
    pub fn component_count(&self) -> usize {
        self.components.len()
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
            .flat_map(|g| g.phenotypes.iter().cloned())
            .collect()
    }

    /// Tests every site for one phenotype.
    pub fn test_phenotype(
        &self,
        phenotype: &str,
        options: &MergeOptions,
    ) -> Result<PhenotypeResults> {
        let layout = PhenotypeLayout::new(self, phenotype, options)?;

        // The component set of each site, and one projection per distinct set.
        let site_sets: Vec<Vec<u32>> = self.sites.iter().map(|s| self.component_set(s)).collect();
        let mut distinct: BTreeMap<&[u32], usize> = BTreeMap::new();
        for set in &site_sets {
            let next = distinct.len();
            distinct.entry(set.as_slice()).or_insert(next);
        }
        let mut models: Vec<Option<Model>> = vec![None; distinct.len()];
        for (set, &index) in &distinct {
            models[index] = Some(layout.model(self, set)?);
        }
        let models: Vec<Model> = models.into_iter().map(|m| m.expect("filled")).collect();

        let results = self
            .sites
            .par_iter()
            .zip(&site_sets)
            .map(|(site, set)| {
                let model = &models[distinct[set.as_slice()]];
                layout.test_site(self, site, model)
            })
            .collect();
        Ok(PhenotypeResults {
            phenotype: phenotype.to_string(),
            covariate_columns: models
                .first()
                .map(|m| m.column_names.clone())
                .unwrap_or_default(),
            results,
            party_sets: models.len(),
        })
    }

    /// Sorted global component indices holding `site`.
    fn component_set(&self, site: &Site) -> Vec<u32> {
        let mut set: Vec<u32> = site
            .members
            .iter()
            .flat_map(|m| {
                let map = &self.component_map[m.input as usize];
                self.inputs[m.input as usize].rows.components[m.row as usize]
                    .iter()
                    .map(move |&c| map[c as usize])
            })
            .collect();
        set.sort_unstable();
        set
    }

    /// Pooled QC counts of a site, in its reported orientation.
    pub fn qc(&self, site: &Site) -> QcCounts {
        let mut total = QcCounts::default();
        for m in &site.members {
            let mut qc = self.inputs[m.input as usize].rows.qc[m.row as usize];
            if m.flipped {
                let observed = (qc.hom_ref + qc.het + qc.hom_alt) as f64;
                std::mem::swap(&mut qc.hom_ref, &mut qc.hom_alt);
                qc.dosage_sum = 2.0 * observed - qc.dosage_sum;
            }
            total.add(&qc);
        }
        total
    }
}

fn check_distinct_paths(paths: &[PathBuf]) -> Result<()> {
    let mut seen: HashMap<PathBuf, &Path> = HashMap::new();
    for path in paths {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if let Some(first) = seen.insert(key, path) {
            return Err(Error::input(
                path,
                format!(
                    "given twice (also as {}): its sums would be counted twice",
                    first.display()
                ),
            ));
        }
    }
    Ok(())
}

type SiteKey = (String, u64, String, String);

fn site_key(v: &Variant) -> SiteKey {
    let (a, b) = if v.ref_allele <= v.alt_allele {
        (&v.ref_allele, &v.alt_allele)
    } else {
        (&v.alt_allele, &v.ref_allele)
    };
    (v.chrom.clone(), v.pos, a.clone(), b.clone())
}

fn join_sites(
    inputs: &[Summary],
    component_map: &[Vec<u32>],
    components: &[GlobalComponent],
) -> Result<Vec<Site>> {
    let mut index: HashMap<SiteKey, usize> = HashMap::new();
    let mut sites: Vec<Site> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let reference = input
            .header
            .components
            .iter()
            .any(|c| c.source.orientation == "reference");
        for (r, variant) in input.rows.variants.iter().enumerate() {
            let member = Member {
                input: i as u32,
                row: r as u32,
                flipped: false,
            };
            let key = site_key(variant);
            match index.get(&key) {
                None => {
                    index.insert(key, sites.len());
                    sites.push(Site {
                        variant: variant.clone(),
                        members: vec![member],
                        reference_oriented: reference,
                    });
                }
                Some(&s) => {
                    let site = &mut sites[s];
                    check_no_double_count(inputs, component_map, components, site, i, r)?;
                    if reference && !site.reference_oriented {
                        site.variant = variant.clone();
                        site.reference_oriented = true;
                    }
                    site.members.push(member);
                }
            }
        }
    }
    for site in &mut sites {
        for m in &mut site.members {
            let v = &inputs[m.input as usize].rows.variants[m.row as usize];
            m.flipped = v.alt_allele != site.variant.alt_allele;
        }
    }
    sites.sort_by(|a, b| {
        let (va, vb) = (&a.variant, &b.variant);
        (
            chrom::order(&va.chrom),
            va.pos,
            &va.ref_allele,
            &va.alt_allele,
        )
            .cmp(&(
                chrom::order(&vb.chrom),
                vb.pos,
                &vb.ref_allele,
                &vb.alt_allele,
            ))
    });
    Ok(sites)
}

/// A component may hold a variant once: two rows of it (one summary given twice under two
/// names, overlapping shards, a merged summary with one of its own parts) would double count.
fn check_no_double_count(
    inputs: &[Summary],
    component_map: &[Vec<u32>],
    components: &[GlobalComponent],
    site: &Site,
    input: usize,
    row: usize,
) -> Result<()> {
    let new: Vec<u32> = inputs[input].rows.components[row]
        .iter()
        .map(|&c| component_map[input][c as usize])
        .collect();
    for m in &site.members {
        let held = &inputs[m.input as usize].rows.components[m.row as usize];
        for &c in held {
            let global = component_map[m.input as usize][c as usize];
            if new.contains(&global) {
                let v = &site.variant;
                return Err(Error::input(
                    &inputs[input].path,
                    format!(
                        "party '{}' (component {}) is also in {} at variant {}:{} {}/{}; merging both would count its samples twice",
                        components[global as usize].party,
                        components[global as usize].id,
                        inputs[m.input as usize].path.display(),
                        v.chrom,
                        v.pos,
                        v.ref_allele,
                        v.alt_allele
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The union field layout of one phenotype: intercept, covariate fields, y; and where each
/// field sits in every input's group.
struct PhenotypeLayout {
    fields: Vec<Field>,
    /// Index of y in `fields`.
    y: usize,
    /// Per input: where the phenotype's fields sit in it.
    inputs: Vec<InputLayout>,
    intercept: bool,
}

/// One input's group holding the phenotype, seen through the union layout.
struct InputLayout {
    /// The file group.
    group: usize,
    /// Per union field, its index in the group (`None`: a level the input never saw, all 0).
    local: Vec<Option<usize>>,
    /// Per union field, the input's centring shift (0 where absent).
    shift: Vec<f64>,
}

impl InputLayout {
    /// Maps a local vector onto the union layout, absent fields 0.
    fn to_union(&self, local: &[f64]) -> Vec<f64> {
        self.local
            .iter()
            .map(|l| l.map_or(0.0, |i| local[i]))
            .collect()
    }
}

/// The covariate side fitted for one component set.
#[derive(Clone)]
struct Model {
    /// The centring all sums are moved to: the set's pooled field means with an intercept
    /// (invariant for the fit, best for the digits), 0 without one.
    target: Vec<f64>,
    /// Union-layout indices of the model's covariate columns C.
    columns: Vec<usize>,
    column_names: Vec<String>,
    projection: Projection,
    n: f64,
}

impl PhenotypeLayout {
    fn new(merged: &Merged, phenotype: &str, options: &MergeOptions) -> Result<PhenotypeLayout> {
        let mut inputs = Vec::new();
        for summary in &merged.inputs {
            let group = summary
                .header
                .groups
                .iter()
                .position(|g| g.phenotypes.iter().any(|p| p == phenotype))
                .ok_or_else(|| {
                    Error::input(
                        &summary.path,
                        format!(
                            "no phenotype '{phenotype}' (phenotypes: {})",
                            summary
                                .header
                                .groups
                                .iter()
                                .flat_map(|g| g.phenotypes.clone())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            inputs.push(group);
        }

        // Covariates: chosen by name, default those of the first summary.
        let first = &merged.inputs[0].header.groups[inputs[0]].fields;
        let wanted: Vec<String> = match &options.covariates {
            Some(list) => list.clone(),
            None => {
                let mut names: Vec<String> = Vec::new();
                for f in first.iter().filter(|f| f.kind == FieldKind::Covariate) {
                    let name = f.covariate.clone().unwrap_or_else(|| f.name.clone());
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                names
            }
        };
        let mut fields = vec![Field::intercept()];
        let mut lacking: Vec<String> = Vec::new();
        for name in &wanted {
            let mut numeric = None;
            let mut levels: Vec<String> = Vec::new();
            for (summary, &g) in merged.inputs.iter().zip(&inputs) {
                let of_covariate: Vec<&Field> = summary.header.groups[g]
                    .fields
                    .iter()
                    .filter(|f| {
                        f.kind == FieldKind::Covariate && f.covariate.as_deref() == Some(name)
                    })
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
            match numeric {
                Some(true) => fields.push(Field {
                    name: name.clone(),
                    kind: FieldKind::Covariate,
                    covariate: Some(name.clone()),
                    level: None,
                }),
                Some(false) => {
                    levels.sort();
                    levels.dedup();
                    for level in levels {
                        fields.push(Field {
                            name: format!("{name}={level}"),
                            kind: FieldKind::Covariate,
                            covariate: Some(name.clone()),
                            level: Some(level),
                        });
                    }
                }
                None => {}
            }
        }
        if !lacking.is_empty() {
            return Err(Error::usage(format!(
                "covariates missing for phenotype '{phenotype}': {}",
                lacking.join("; ")
            )));
        }
        let y = fields.len();
        fields.push(Field {
            name: phenotype.to_string(),
            kind: FieldKind::Phenotype,
            covariate: None,
            level: None,
        });

        let inputs = merged
            .inputs
            .iter()
            .zip(inputs)
            .map(|(summary, group)| {
                let layout = &summary.header.groups[group];
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
                InputLayout {
                    group,
                    local,
                    shift,
                }
            })
            .collect();
        Ok(PhenotypeLayout {
            fields,
            y,
            inputs,
            intercept: options.intercept,
        })
    }

    fn width(&self) -> usize {
        self.fields.len()
    }

    /// Σ over the component set of n and G, in the union layout and one centring; then C chosen
    /// and factored.
    ///
    /// Each input's sums are of `A − 1·sᵀ` for its own shift s. Moving them to the target t is
    /// exact algebra with d = s − t: `A'' = A' + 1·dᵀ`, so `A''ᵀv = A'ᵀv + d·(1ᵀv)` and
    /// `G'' = G' + d·g₀ᵀ + g₀·dᵀ + n·d·dᵀ` with `g₀ = A'ᵀ1 = G'[:, 0]`.
    fn model(&self, merged: &Merged, set: &[u32]) -> Result<Model> {
        let u = self.width();
        let parts: Vec<(&InputLayout, Vec<f64>, f64)> = set
            .iter()
            .map(|&global| {
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
                (layout, gram, local.n as f64)
            })
            .collect();
        let n: f64 = parts.iter().map(|p| p.2).sum();
        let mut target = vec![0.0; u];
        if self.intercept {
            for (layout, gram, n_c) in &parts {
                for a in 1..u {
                    target[a] += gram[a * u] + n_c * layout.shift[a];
                }
            }
            for t in &mut target[1..] {
                *t /= n;
            }
        }
        let mut gram = vec![0.0; u * u];
        for (layout, local, n_c) in &parts {
            let d: Vec<f64> = layout
                .shift
                .iter()
                .zip(&target)
                .map(|(s, t)| s - t)
                .collect();
            for a in 0..u {
                for b in 0..u {
                    gram[a * u + b] += local[a * u + b]
                        + d[a] * local[b * u]
                        + local[a * u] * d[b]
                        + n_c * d[a] * d[b];
                }
            }
        }

        // Columns: intercept; numeric covariates; categorical levels present in this set, minus
        // the first present level when there is an intercept (the reference level).
        let mut columns = Vec::new();
        if self.intercept {
            columns.push(0);
        }
        let mut dropped_reference: Vec<&str> = Vec::new();
        for (index, field) in self.fields.iter().enumerate().take(self.y).skip(1) {
            match &field.level {
                None => columns.push(index),
                Some(_) => {
                    if gram[index * u + index] == 0.0 {
                        continue;
                    }
                    let covariate = field.covariate.as_deref().unwrap_or_default();
                    if self.intercept && !dropped_reference.contains(&covariate) {
                        dropped_reference.push(covariate);
                        continue;
                    }
                    columns.push(index);
                }
            }
        }
        let k = columns.len();
        let mut ctc = vec![0.0; k * k];
        let mut cty = vec![0.0; k];
        for (a, &ca) in columns.iter().enumerate() {
            cty[a] = gram[ca * u + self.y];
            for (b, &cb) in columns.iter().enumerate() {
                ctc[a * k + b] = gram[ca * u + cb];
            }
        }
        let yty = gram[self.y * u + self.y];
        let column_names: Vec<String> = columns
            .iter()
            .map(|&c| self.fields[c].name.clone())
            .collect();
        let parties: Vec<&str> = set
            .iter()
            .map(|&g| merged.components[g as usize].party.as_str())
            .collect();
        let projection = Projection::new(&ctc, &cty, yty, n, &column_names).map_err(|e| {
            Error::model(format!(
                "phenotype '{}', parties {}: {}",
                self.fields[self.y].name,
                parties.join("+"),
                e.message()
            ))
        })?;
        Ok(Model {
            target,
            columns,
            column_names,
            projection,
            n,
        })
    }

    /// Pools one site's sums (flipping rows as needed), imputes, and tests.
    fn test_site(&self, merged: &Merged, site: &Site, model: &Model) -> VariantResult {
        let u = self.width();
        let mut atx0 = vec![0.0; u];
        let mut atu = vec![0.0; u];
        let mut x0x0 = 0.0;
        for m in &site.members {
            let input = &merged.inputs[m.input as usize];
            let layout = &self.inputs[m.input as usize];
            let group = layout.group;
            let sums = &input.rows.groups[group];
            let row = m.row as usize;
            let (mut local_atx0, local_atu) = (sums.atx0(row).to_vec(), sums.atu(row));
            let mut local_x0x0 = sums.x0x0[row];
            if m.flipped {
                // x' = 2 − x on observed calls: Aᵀx0' = 2(G[:,1] − Aᵀu) − Aᵀx0,
                // x0'·x0' = 4·n_obs − 4Σx0 + x0·x0 (DESIGN §1), G and n over the row's components.
                let j = sums.width;
                let mut column_sums = vec![0.0; j];
                let mut n_row = 0.0;
                for &c in &input.rows.components[row] {
                    let g = &input.header.components[c as usize].groups[group];
                    n_row += g.n as f64;
                    for (a, s) in column_sums.iter_mut().enumerate() {
                        *s += g.gram[a * j];
                    }
                }
                let n_obs = n_row - local_atu[0];
                let sum_x0 = local_atx0[0];
                for a in 0..j {
                    local_atx0[a] = 2.0 * (column_sums[a] - local_atu[a]) - local_atx0[a];
                }
                local_x0x0 += 4.0 * n_obs - 4.0 * sum_x0;
            }
            // Re-centre onto the model's target: A''ᵀv = A'ᵀv + d·(1ᵀv).
            let (member_atx0, member_atu) =
                (layout.to_union(&local_atx0), layout.to_union(local_atu));
            for a in 0..u {
                let d = layout.shift[a] - model.target[a];
                atx0[a] += member_atx0[a] + d * member_atx0[0];
                atu[a] += member_atu[a] + d * member_atu[0];
            }
            x0x0 += local_x0x0;
        }

        let n = model.n;
        let n_missing = atu[0];
        let n_observed = n - n_missing;
        let sum_x0 = atx0[0];
        let result = |eaf: f64, outcome| VariantResult {
            n: n as u64,
            eaf,
            n_missing,
            outcome,
        };
        if n_observed <= 0.0 {
            return result(f64::NAN, Outcome::Skipped(SkipReason::AllMissing));
        }
        // Mean imputation with the pooled mean of observed calls (§1 step 2).
        let mean = sum_x0 / n_observed;
        let atx: Vec<f64> = atx0.iter().zip(&atu).map(|(a, m)| a + mean * m).collect();
        let xx = x0x0 + mean * mean * n_missing;
        let ctx: Vec<f64> = model.columns.iter().map(|&c| atx[c]).collect();
        let outcome = model.projection.test(&ctx, atx[self.y], xx);
        result(mean / 2.0, outcome)
    }
}
