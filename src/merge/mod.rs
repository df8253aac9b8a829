//! Merge: summaries → pooled per-variant sums → association tests (DESIGN §1 steps 1–2).
//!
//! Variants are joined across summaries by (chromosome, position, allele pair). A summary whose
//! REF/ALT are the other way round is flipped exactly with x' = 2 − x on observed calls. For each
//! phenotype the sums are mapped onto one field layout (intercept, covariates, y), summed over
//! the components holding the variant, missing calls are mean-imputed with the pooled mean, and
//! the regression is fitted with one projection per set of components ([`model`]).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use indicatif::{ParallelProgressIterator, ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::chrom;
use crate::error::{Error, Result};
use crate::genotype::{QcCounts, Variant};
use crate::regression::{Outcome, SkipReason};
use crate::summary::{read_summary, Summary};

mod layout;
mod model;
pub mod summary_out;

use layout::PhenotypeLayout;
use model::Model;

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
        }
    }
}

/// One summary's row of one variant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member {
    pub input: u32,
    pub row: u32,
    /// The row's ALT is the site's REF.
    pub flipped: bool,
}

/// A variant across summaries, in its reported orientation.
#[derive(Debug, Clone)]
pub struct Site {
    /// The reported variant (effect allele = ALT).
    pub variant: Variant,
    pub(crate) members: Vec<Member>,
    /// Whether the reported orientation comes from a reference-aware source.
    reference_oriented: bool,
}

/// A party across inputs (shards of one party share it).
#[derive(Debug, Clone)]
pub(crate) struct GlobalComponent {
    pub id: String,
    pub party: String,
    /// (input, component index in that input's header) of its first appearance.
    pub home: (usize, usize),
}

/// All summaries of one merge, joined by variant.
#[derive(Debug)]
pub struct Merged {
    /// The summaries, in argument order.
    pub inputs: Vec<Summary>,
    /// Variants in output order (chromosome, position, alleles).
    pub sites: Vec<Site>,
    pub(crate) components: Vec<GlobalComponent>,
    /// Per input, local component index → global index.
    pub(crate) component_map: Vec<Vec<u32>>,
    /// Set when the inputs were secure summaries, pooled into the one input.
    pub secure: Option<crate::secure::combine::SecureInfo>,
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
        // Secure summaries are pooled first (all or none of the inputs).
        let secure: Vec<bool> = paths
            .par_iter()
            .map(|p| Ok(crate::summary::read::read_header(p)?.secure.is_some()))
            .collect::<Result<_>>()?;
        if let Some(s) = secure.iter().position(|&s| s) {
            if let Some(p) = secure.iter().position(|&s| !s) {
                return Err(Error::input(
                    &paths[p],
                    format!(
                        "a plaintext summary cannot be merged with secure summaries ({}); merge the secure set on its own",
                        paths[s].display()
                    ),
                ));
            }
            let (pooled, info) = crate::secure::combine::combine(paths)?;
            let mut merged = Merged::from_summaries(vec![pooled])?;
            merged.secure = Some(info);
            return Ok(merged);
        }
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
                        let home = &inputs[hi];
                        let merged_one = [home, input]
                            .into_iter()
                            .find(|s| s.header.components.len() > 1);
                        if let Some(merged_summary) = merged_one {
                            let other = if std::ptr::eq(merged_summary, input) {
                                home
                            } else {
                                input
                            };
                            return Err(Error::input(
                                &input.path,
                                format!(
                                    "party '{}' (component {}) is in both {} and the merged summary {}; merging both would count its samples twice",
                                    component.party,
                                    component.id,
                                    other.path.display(),
                                    merged_summary.path.display()
                                ),
                            ));
                        }
                        // Shards of one party: the same aggregates, or something is wrong.
                        if home.header.components[hc].groups != component.groups
                            || home.header.groups != input.header.groups
                        {
                            return Err(Error::input(
                                &input.path,
                                format!(
                                    "component {} (party '{}') has different sample sums than in {}",
                                    component.id,
                                    component.party,
                                    home.path.display()
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
            secure: None,
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
        if self.secure.is_some() {
            if options.per_party_intercept {
                return Err(Error::usage(
                    "--per-party-intercept needs each party's own sums, which secure summaries do not reveal",
                ));
            }
            if options.min_parties > 1 {
                return Err(Error::usage(
                    "--min-parties does not apply to secure summaries: every variant has every roster party (absent calls count as missing)",
                ));
            }
        }
        let layout = PhenotypeLayout::new(self, phenotype, options)?;

        // The component set of each site, and one model per distinct set that is tested.
        let site_sets: Vec<Vec<u32>> = self.sites.iter().map(|s| self.component_set(s)).collect();
        let mut distinct: BTreeMap<&[u32], usize> = BTreeMap::new();
        for set in &site_sets {
            let next = distinct.len();
            distinct.entry(set.as_slice()).or_insert(next);
        }
        let mut models: Vec<Option<Model>> = (0..distinct.len()).map(|_| None).collect();
        for (set, &index) in &distinct {
            if set.len() >= options.min_parties {
                models[index] = Some(Model::fit(&layout, self, set, options)?);
            }
        }

        let progress = if options.progress {
            ProgressBar::new(self.sites.len() as u64)
        } else {
            ProgressBar::hidden()
        };
        progress.set_style(
            ProgressStyle::with_template(&format!(
                "merge {phenotype} {{bar:40}} {{pos}}/{{len}} variants {{per_sec}} eta {{eta}}"
            ))
            .expect("valid template"),
        );
        let results = self
            .sites
            .par_iter()
            .zip(&site_sets)
            .progress_with(progress.clone())
            .map(|(site, set)| match &models[distinct[set.as_slice()]] {
                Some(model) => model.test(&layout, self, site),
                None => Ok(VariantResult {
                    n: layout.set_size(self, set) as u64,
                    eaf: f64::NAN,
                    n_missing: f64::NAN,
                    outcome: Outcome::Skipped(SkipReason::TooFewParties),
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        progress.finish_and_clear();
        let largest = models.iter().flatten().max_by(|a, b| a.n.total_cmp(&b.n));
        Ok(PhenotypeResults {
            phenotype: phenotype.to_string(),
            covariate_columns: largest.map(|m| m.column_names.clone()).unwrap_or_default(),
            results,
            party_sets: models.iter().flatten().count(),
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

/// A variant's join key, borrowed from the summaries: chromosome, position, allele pair.
type SiteKey<'a> = (&'a str, u64, &'a str, &'a str);

/// The multiply-rotate hash of rustc (FxHash): variant keys are not adversarial, and SipHash
/// showed up in merge profiles.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, value: u8) {
        self.write_u64(u64::from(value));
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn site_key(v: &Variant) -> SiteKey<'_> {
    let (a, b) = if v.ref_allele <= v.alt_allele {
        (&v.ref_allele, &v.alt_allele)
    } else {
        (&v.alt_allele, &v.ref_allele)
    };
    (&v.chrom, v.pos, a, b)
}

fn join_sites(
    inputs: &[Summary],
    component_map: &[Vec<u32>],
    components: &[GlobalComponent],
) -> Result<Vec<Site>> {
    let mut index: HashMap<SiteKey<'_>, usize, BuildHasherDefault<FxHasher>> = HashMap::default();
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
