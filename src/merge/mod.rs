//! Merge: summaries → pooled per-variant sums → association tests (DESIGN §1 steps 1–2).
//!
//! Variants are joined across summaries by (chromosome, position, allele pair). A summary whose
//! REF/ALT are the other way round is flipped exactly with x' = 2 − x on observed calls. For each
//! phenotype the sums are mapped onto one field layout (intercept, covariates, y), summed over
//! the components holding the variant, missing calls are mean-imputed with the pooled mean, and
//! the regression is fitted with one projection per set of components ([`model`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
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
use model::{Model, Scratch};

/// Sites per unit of parallel work when testing.
const TEST_CHUNK: usize = 2048;

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
///
/// It borrows nothing and owns nothing: its rows are a run of [`Merged`]'s members (one flat
/// vector rather than a vector per site, which dominated the join's cost), and its variant is
/// one of those rows' (see [`Merged::variant`]).
#[derive(Debug, Clone, Copy)]
pub struct Site {
    /// Its members: `Merged::members[start..end]`, in argument and row order.
    start: u32,
    end: u32,
    /// The member whose variant is reported (effect allele = its ALT): the first from a
    /// reference-aware source, else the first.
    reported: u32,
    /// The output rank of its chromosome, for sorting sites.
    chrom: u32,
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
    /// The rows of every site, site by site (in join order, not output order).
    pub(crate) members: Vec<Member>,
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

        let (sites, members) = join_sites(&inputs, &component_map, &components)?;
        Ok(Merged {
            inputs,
            sites,
            members,
            components,
            component_map,
            secure: None,
        })
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

        // The component set of each site, as an index into the distinct sets (numbered in order
        // of first appearance), and one model per distinct set that is tested. Neighbouring sites
        // mostly share a set, so no set is looked up, let alone stored, per site.
        let mut distinct: BTreeMap<Vec<u32>, usize> = BTreeMap::new();
        let mut site_sets: Vec<usize> = Vec::with_capacity(self.sites.len());
        let (mut set, mut previous) = (Vec::new(), Vec::new());
        for site in &self.sites {
            self.component_set(site, &mut set);
            let index = match site_sets.last() {
                Some(&index) if set == previous => index,
                _ => {
                    let next = distinct.len();
                    let index = *distinct.entry(set.clone()).or_insert(next);
                    std::mem::swap(&mut set, &mut previous);
                    index
                }
            };
            site_sets.push(index);
        }
        let mut sets: Vec<&[u32]> = vec![&[]; distinct.len()];
        let mut models: Vec<Option<Model>> = (0..distinct.len()).map(|_| None).collect();
        for (set, &index) in &distinct {
            sets[index] = set;
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
        // Chunks of sites: each worker reuses one scratch per chunk, and the bar moves per chunk
        // (per site, its bookkeeping was a visible share of merge time). Results are written in
        // place: every slot of the placeholder vector is overwritten.
        let placeholder = VariantResult {
            n: 0,
            eaf: f64::NAN,
            n_missing: f64::NAN,
            outcome: Outcome::Skipped(SkipReason::TooFewParties),
        };
        let mut results = vec![placeholder; self.sites.len()];
        results
            .par_chunks_mut(TEST_CHUNK)
            .zip(self.sites.par_chunks(TEST_CHUNK))
            .zip(site_sets.par_chunks(TEST_CHUNK))
            .try_for_each(|((results, sites), site_sets)| -> Result<()> {
                let mut scratch = Scratch::new(&layout);
                for ((result, site), &set) in results.iter_mut().zip(sites).zip(site_sets) {
                    *result = match &models[set] {
                        Some(model) => model.test(&layout, self, site, &mut scratch)?,
                        None => VariantResult {
                            n: layout.set_size(self, sets[set]) as u64,
                            ..placeholder
                        },
                    };
                }
                progress.inc(sites.len() as u64);
                Ok(())
            })?;
        progress.finish_and_clear();
        let largest = models.iter().flatten().max_by(|a, b| a.n.total_cmp(&b.n));
        Ok(PhenotypeResults {
            phenotype: phenotype.to_string(),
            covariate_columns: largest.map(|m| m.column_names.clone()).unwrap_or_default(),
            results,
            party_sets: models.iter().flatten().count(),
        })
    }

    /// The sorted global component indices holding `site`, into `set`.
    pub(crate) fn component_set(&self, site: &Site, set: &mut Vec<u32>) {
        set.clear();
        for m in self.members(site) {
            let map = &self.component_map[m.input as usize];
            let held = &self.inputs[m.input as usize].rows.components[m.row as usize];
            set.extend(held.iter().map(|&c| map[c as usize]));
        }
        set.sort_unstable();
    }

    /// Pooled QC counts of a site, in its reported orientation.
    pub fn qc(&self, site: &Site) -> QcCounts {
        let mut total = QcCounts::default();
        for m in self.members(site) {
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

/// The chromosome names of all inputs, numbered once so that sorting rows compares integers
/// rather than text.
struct Chromosomes<'a> {
    /// Name → rank in (output order, name) order: equal ranks are equal names.
    rank: HashMap<&'a str, u32>,
    /// Per rank, the rank of its output order alone: names that order alike (`1` and `01`, say)
    /// share it.
    order: Vec<u32>,
}

impl<'a> Chromosomes<'a> {
    fn new(inputs: &'a [Summary]) -> Chromosomes<'a> {
        let mut names: Vec<&str> = Vec::new();
        for input in inputs {
            let mut last = None;
            for v in &input.rows.variants {
                if last != Some(v.chrom.as_str()) {
                    last = Some(v.chrom.as_str());
                    names.push(&v.chrom);
                }
            }
        }
        names.sort_unstable_by(|a, b| (chrom::order(a), a).cmp(&(chrom::order(b), b)));
        names.dedup();
        let mut order: Vec<u32> = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            order.push(match i.checked_sub(1) {
                Some(p) if chrom::order(names[p]) == chrom::order(name) => order[p],
                _ => i as u32,
            });
        }
        let rank = names
            .iter()
            .enumerate()
            .map(|(i, &n)| (n, i as u32))
            .collect();
        Chromosomes { rank, order }
    }
}

/// A row of an input in the join: the leading parts of its join key (chromosome rank,
/// position; the allele pair is looked up when these tie) and the row.
#[derive(Clone, Copy)]
struct JoinRow {
    pos: u64,
    chrom: u32,
    member: Member,
}

/// Joins the rows of all inputs into sites, in output order, with their members.
///
/// Rows join on (chromosome, position, allele pair in byte order, so either orientation gives
/// the same key). They are sorted by that key rather than hashed: each site's rows then lie
/// side by side (so members are one flat vector), and as the sort is stable they stay in
/// argument and row order, which decides the reported orientation and the row a double-count
/// error names.
fn join_sites(
    inputs: &[Summary],
    component_map: &[Vec<u32>],
    components: &[GlobalComponent],
) -> Result<(Vec<Site>, Vec<Member>)> {
    let reference: Vec<bool> = inputs
        .iter()
        .map(|input| {
            input
                .header
                .components
                .iter()
                .any(|c| c.source.orientation == "reference")
        })
        .collect();
    let variant = |m: &Member| &inputs[m.input as usize].rows.variants[m.row as usize];
    let alleles = |m: &Member| {
        let v = variant(m);
        if v.ref_allele <= v.alt_allele {
            (&v.ref_allele, &v.alt_allele)
        } else {
            (&v.alt_allele, &v.ref_allele)
        }
    };
    let join_order = |a: &JoinRow, b: &JoinRow| {
        (a.chrom, a.pos)
            .cmp(&(b.chrom, b.pos))
            .then_with(|| alleles(&a.member).cmp(&alleles(&b.member)))
    };

    let chromosomes = Chromosomes::new(inputs);
    let total: usize = inputs.iter().map(|input| input.rows.len()).sum();
    let mut rows: Vec<JoinRow> = Vec::with_capacity(total);
    for (i, input) in inputs.iter().enumerate() {
        let mut last: Option<(&str, u32)> = None;
        for (r, v) in input.rows.variants.iter().enumerate() {
            let chrom = match last {
                Some((name, rank)) if name == v.chrom => rank,
                _ => {
                    let rank = chromosomes.rank[v.chrom.as_str()];
                    last = Some((&v.chrom, rank));
                    rank
                }
            };
            let member = Member {
                input: i as u32,
                row: r as u32,
                flipped: false,
            };
            rows.push(JoinRow {
                pos: v.pos,
                chrom,
                member,
            });
        }
    }
    // A sorted summary needs no sort, whose scratch space alone cost more than this check.
    if !rows.is_sorted_by(|a, b| join_order(a, b).is_le()) {
        rows.sort_by(join_order);
    }

    let mut members: Vec<Member> = rows.iter().map(|r| r.member).collect();
    let mut sites: Vec<Site> = Vec::with_capacity(total);
    // The double count met first in argument and row order, as a row-by-row join would report.
    let mut conflict: Option<(Member, Error)> = None;
    let mut start = 0;
    for run in rows.chunk_by(|a, b| join_order(a, b).is_eq()) {
        let site = &mut members[start..start + run.len()];
        let mut reported = 0;
        for k in 1..site.len() {
            if conflict
                .as_ref()
                .is_none_or(|(first, _)| (site[k].input, site[k].row) < (first.input, first.row))
            {
                let reported_variant = variant(&site[reported]);
                if let Err(e) = check_no_double_count(
                    inputs,
                    component_map,
                    components,
                    &site[..k],
                    reported_variant,
                    site[k],
                ) {
                    conflict = Some((site[k], e));
                }
            }
            if reference[site[k].input as usize] && !reference[site[reported].input as usize] {
                reported = k;
            }
        }
        // A site of one row is never flipped (most sites, when one summary is merged).
        if site.len() > 1 {
            let alt = &variant(&site[reported]).alt_allele;
            for m in site.iter_mut() {
                m.flipped = variant(m).alt_allele != *alt;
            }
        }
        sites.push(Site {
            start: start as u32,
            end: (start + run.len()) as u32,
            reported: (start + reported) as u32,
            chrom: chromosomes.order[run[0].chrom as usize],
        });
        start += run.len();
    }
    if let Some((_, error)) = conflict {
        return Err(error);
    }

    // Output order: chromosome, position, REF, ALT of the reported variant, then (for
    // chromosome spellings that order alike) the first row, i.e. order of first appearance.
    let key = |site: &Site| {
        let first = members[site.start as usize];
        let v = variant(&members[site.reported as usize]);
        let alleles = (&v.ref_allele, &v.alt_allele);
        (site.chrom, v.pos, alleles, first.input, first.row)
    };
    if !sites.is_sorted_by_key(key) {
        sites.sort_by(|a, b| key(a).cmp(&key(b)));
    }
    Ok((sites, members))
}

/// A component may hold a variant once: two rows of it (one summary given twice under two
/// names, overlapping shards, a merged summary with one of its own parts) would double count.
/// `earlier` are the site's rows before `new`, `v` the variant reported so far.
fn check_no_double_count(
    inputs: &[Summary],
    component_map: &[Vec<u32>],
    components: &[GlobalComponent],
    earlier: &[Member],
    v: &Variant,
    new: Member,
) -> Result<()> {
    let (input, row) = (new.input as usize, new.row as usize);
    let new_global = |global: u32| {
        inputs[input].rows.components[row]
            .iter()
            .any(|&c| component_map[input][c as usize] == global)
    };
    for m in earlier {
        let held = &inputs[m.input as usize].rows.components[m.row as usize];
        for &c in held {
            let global = component_map[m.input as usize][c as usize];
            if new_global(global) {
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
