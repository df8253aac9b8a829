//! `dash merge --condition … [--joint]`: the joint and conditional fits of one LD region.
//!
//! The region is the LD region ([`crate::summary::ld`]) of each summary that holds the first
//! conditioning variant; each summary's rows of its region are read (a region read of the
//! sorted file), joined across summaries as any merge joins them, and fitted per phenotype by
//! [`crate::merge::locus`].

use std::path::PathBuf;

use crate::atomic_file::AtomicFile;
use crate::error::{Error, Result};
use crate::genotype::Region;
use crate::merge::cojo::{self, CojoOptions, Step};
use crate::merge::locus::{find_sites, LocusFits, VariantSpec};
use crate::merge::{InputKind, MergeOptions, Merged, PhenotypeLayout, VariantResult};
use crate::output::gwas_ssf::GwasSsfWriter;
use crate::output::variant_columns::VariantColumns;
use crate::pvalue::format_p_value;
use crate::regression::{Outcome, SkipReason};
use crate::secure::combine::open_combined;
use crate::summary::ld::{releasable, small_cell, LdRow};
use crate::summary::read::open_stream;
use crate::summary::{Rows, Summary};

/// What to fit in the region of the conditioning variants.
#[derive(Debug, Clone, Default)]
pub struct LocusJob {
    /// `--condition`: the variants to condition on.
    pub condition: Vec<VariantSpec>,
    /// `--joint`: also fit the conditioning variants together.
    pub joint: bool,
    /// `--ld-out`: write every LD region's correlation matrix and z-scores.
    pub ld_out: bool,
    /// `--cojo-select`: the stepwise selection in every LD region.
    pub cojo: Option<CojoOptions>,
}

/// `PREFIX.<pheno>.cond.tsv.gz`.
pub fn conditional_path(prefix: &std::path::Path, phenotype: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}.{phenotype}.cond.tsv.gz",
        prefix.to_string_lossy()
    ))
}

/// `PREFIX.<pheno>.joint.tsv`.
pub fn joint_path(prefix: &std::path::Path, phenotype: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}.{phenotype}.joint.tsv",
        prefix.to_string_lossy()
    ))
}

/// `PREFIX.<pheno>.cojo.tsv`.
pub fn cojo_path(prefix: &std::path::Path, phenotype: &str) -> PathBuf {
    PathBuf::from(format!("{}.{phenotype}.cojo.tsv", prefix.to_string_lossy()))
}

/// Reads every summary's rows of the LD region `pick` chooses from its header (none for a
/// summary where it chooses none) and joins them; `None` when no summary has one.
fn region_rows(
    paths: &[PathBuf],
    pick: impl Fn(&[crate::summary::ld::LdRegion]) -> Option<usize>,
    min_cell: u64,
) -> Result<Option<Merged>> {
    if is_secure_set(paths)? {
        return secure_region_rows(paths, pick, min_cell);
    }
    let mut summaries = Vec::with_capacity(paths.len());
    let mut any = false;
    for path in paths {
        let header = open_stream(path, None)?.header().clone();
        let widths = header.groups.iter().map(|g| g.fields.len());
        let mut rows = Rows::with_widths(widths);
        if let Some(index) = pick(&header.ld_regions) {
            any = true;
            let region = Region::parse(&header.ld_regions[index].region)?;
            let mut stream = open_stream(path, Some(region))?;
            while let Some(batch) = stream.next_rows()? {
                for r in 0..batch.len() {
                    if batch.ld(r).is_some_and(|ld| ld.region as usize == index) {
                        rows.push_row(&batch, r);
                    }
                }
            }
        }
        summaries.push(Summary {
            path: path.clone(),
            header,
            rows,
        });
    }
    match any {
        true => Merged::from_summaries(summaries, InputKind::Plaintext).map(Some),
        false => Ok(None),
    }
}

/// Whether the inputs are a secure set (the merge has already refused a mix).
fn is_secure_set(paths: &[PathBuf]) -> Result<bool> {
    Ok(crate::summary::integrity::read_seal(&paths[0])?
        .signature
        .is_some())
}

/// A secure set's pooled rows of the LD region `pick` chooses, screened by the pair rule on the
/// pooled counts ([`withhold_small_pairs`]); a withheld variant is left out of the region, as
/// in a plaintext summary. Every roster party takes part in every fit: a
/// party lacking a variant contributes it as all missing (DESIGN §4), imputed with the pooled
/// mean.
fn secure_region_rows(
    paths: &[PathBuf],
    pick: impl Fn(&[crate::summary::ld::LdRegion]) -> Option<usize>,
    min_cell: u64,
) -> Result<Option<Merged>> {
    let (pooled, _, _) = open_combined(paths, None)?;
    let Some(index) = pick(&pooled.header.ld_regions) else {
        return Ok(None);
    };
    let region = Region::parse(&pooled.header.ld_regions[index].region)?;
    let (mut summary, mut source, _) = open_combined(paths, Some(region))?;
    while let Some(batch) = source.next_rows()? {
        for r in 0..batch.len() {
            if batch.ld(r).is_some_and(|ld| ld.region as usize == index) {
                summary.rows.push_row(&batch, r);
            }
        }
    }
    withhold_small_pairs(&mut summary.rows, min_cell);
    // As a plaintext region read: only rows with sums, so row r is entry r of every row's sums.
    let mut kept = summary.rows.empty_like();
    for r in 0..summary.rows.len() {
        if summary.rows.ld(r).is_some() {
            kept.push_row(&summary.rows, r);
        }
    }
    summary.rows = kept;
    Merged::from_summaries(vec![summary], InputKind::SecureSet).map(Some)
}

/// The disclosure rules of docs/security.md applied to a secure set's pooled counts: a
/// variant with 1 … K−1 pooled ALT or REF carriers in a group (the merge's per-variant rule), or
/// with a pooled joint cell of 1 … K−1 samples against a variant kept before it (the pair
/// rule), loses its LD sums and is then in no fit; the kept rows' sums are narrowed to the kept
/// variants, the layout of a plaintext summary's. The counts themselves are dropped.
fn withhold_small_pairs(rows: &mut Rows, min_cell: u64) {
    let m = rows.len();
    let ld: Vec<LdRow> = rows.ld.iter().flatten().cloned().collect();
    // Cell k (ALT·ALT, REF·REF, ALT·REF, REF·ALT) of the pair (a, b) in every group.
    let cells = |a: usize, b: usize, k: usize| ld[a].cells.iter().map(move |c| c[k * m + b]);
    let candidates: Vec<usize> = (0..m)
        .filter(|&a| !(cells(a, a, 0).chain(cells(a, a, 1))).any(|c| small_cell(c, min_cell)))
        .collect();
    let kept: Vec<usize> = releasable(candidates.len(), min_cell, |i, j| {
        let (a, b) = (candidates[i], candidates[j]);
        (0..4).flat_map(move |k| cells(a, b, k))
    })
    .into_iter()
    .map(|i| candidates[i])
    .collect();
    for (a, slot) in rows.ld.iter_mut().enumerate() {
        *slot = kept.binary_search(&a).is_ok().then(|| LdRow {
            region: ld[a].region,
            groups: (0..ld[a].groups.len())
                .map(|g| {
                    ld[a]
                        .parts(g)
                        .iter()
                        .flat_map(|part| kept.iter().map(|&b| part[b]))
                        .collect()
                })
                .collect(),
            cells: Vec::new(),
        });
    }
}

/// The region of `regions` holding `variant`.
fn holding(regions: &[crate::summary::ld::LdRegion], variant: &VariantSpec) -> Option<usize> {
    regions.iter().position(|record| {
        Region::parse(&record.region).is_ok_and(|r| r.contains(&variant.chrom, variant.pos))
    })
}

/// Fits and writes the conditional (and joint) results of every phenotype; returns the files
/// (uncommitted) and the log lines.
pub fn write_locus(
    paths: &[PathBuf],
    prefix: &std::path::Path,
    phenotypes: &[String],
    options: &MergeOptions,
    job: &LocusJob,
) -> Result<(Vec<AtomicFile>, Vec<String>)> {
    let mut files = Vec::new();
    let mut lines = Vec::new();
    if job.ld_out {
        write_ld(paths, prefix, phenotypes, options, &mut files, &mut lines)?;
    }
    if let Some(cojo) = &job.cojo {
        write_cojo(
            paths, prefix, phenotypes, options, cojo, &mut files, &mut lines,
        )?;
    }
    let Some(first) = job.condition.first() else {
        return Ok((files, lines));
    };
    let merged = region_rows(paths, |regions| holding(regions, first), options.min_cell)?.ok_or_else(|| {
        Error::inputs(format!(
            "--condition {first}: no summary holds LD sums of a region containing it (compress with --ld-region CHR:START-END covering it)"
        ))
    })?;
    let given = find_sites(&merged, &job.condition)?;
    let names: Vec<String> = job.condition.iter().map(ToString::to_string).collect();
    for phenotype in phenotypes {
        let layout = PhenotypeLayout::new(&merged, phenotype, options)?;
        let mut fits = LocusFits::new(&merged, &layout, options)?;
        let mut results: Vec<VariantResult> = Vec::with_capacity(merged.sites.len());
        for site in 0..merged.sites.len() {
            results.push(match given.contains(&site) {
                true => VariantResult {
                    n: 0,
                    eaf: f64::NAN,
                    n_missing: 0.0,
                    outcome: Outcome::Skipped(SkipReason::ConstantOrCollinear),
                },
                false => fits.test(site, &given)?,
            });
        }
        let path = conditional_path(prefix, phenotype);
        let mut writer = GwasSsfWriter::create(&path, false, true)?;
        writer.append(&merged, &VariantColumns::new(&merged, false), &results)?;
        let (file, written) = writer.finish()?;
        files.push(file);
        lines.push(format!(
            "{phenotype}: conditional on {}: {} of {} variants of the region tested → {}",
            names.join(", "),
            written.rows,
            merged.sites.len() - given.len(),
            path.display()
        ));
        if job.joint {
            let mut rows = Vec::with_capacity(given.len());
            for (i, &site) in given.iter().enumerate() {
                let others: Vec<usize> = given
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, &s)| s)
                    .collect();
                let result = fits.test(site, &others)?;
                rows.push((merged.variant(&merged.sites[site]).clone(), result));
            }
            let path = joint_path(prefix, phenotype);
            files.push(crate::output::joint::write(&path, &rows)?);
            lines.push(format!(
                "{phenotype}: joint fit of {} → {}",
                names.join(", "),
                path.display()
            ));
        }
    }
    Ok((files, lines))
}

/// `--ld-out`: per LD region (by its text, over every summary listing it) and phenotype,
/// `PREFIX.<pheno>.<CHR>_<START>_<END>.z` and `.ld`.
fn write_ld(
    paths: &[PathBuf],
    prefix: &std::path::Path,
    phenotypes: &[String],
    options: &MergeOptions,
    files: &mut Vec<AtomicFile>,
    lines: &mut Vec<String>,
) -> Result<()> {
    let regions = ld_regions(paths, "--ld-out")?;
    for region in &regions {
        let Some(merged) = rows_of(paths, region, options.min_cell)? else {
            continue;
        };
        let parsed = Region::parse(region)?;
        let tag = format!("{}_{}_{}", parsed.chrom, parsed.start, parsed.end);
        for phenotype in phenotypes {
            let layout = PhenotypeLayout::new(&merged, phenotype, options)?;
            let mut fits = LocusFits::new(&merged, &layout, options)?;
            let Some(export) = fits.export()? else {
                lines.push(format!("{phenotype}: LD region {region}: no variant every party holds; nothing exported"));
                continue;
            };
            let variants: Vec<_> = export
                .sites
                .iter()
                .map(|&s| merged.variant(&merged.sites[s]))
                .collect();
            let stem = format!("{}.{phenotype}.{tag}", prefix.to_string_lossy());
            files.extend(crate::output::finemap::write(
                &stem,
                &variants,
                &export.results,
                &export.correlation,
            )?);
            let parties: Vec<&str> = export
                .parties
                .iter()
                .map(|&c| merged.parties()[c as usize])
                .collect();
            lines.push(format!(
                "{phenotype}: LD region {region}: {} variants, parties {} (n {}) → {stem}.z, {stem}.ld",
                variants.len(),
                parties.join("+"),
                export.results.first().map_or(0, |r| r.n)
            ));
        }
    }
    Ok(())
}

/// The LD regions (by their text) of every summary, in order of first listing; an error
/// naming `flag` when there is none.
fn ld_regions(paths: &[PathBuf], flag: &str) -> Result<Vec<String>> {
    let mut regions: Vec<String> = Vec::new();
    let headers = match is_secure_set(paths)? {
        true => vec![open_combined(paths, None)?.0.header],
        false => paths
            .iter()
            .map(|path| Ok(open_stream(path, None)?.header().clone()))
            .collect::<Result<Vec<_>>>()?,
    };
    for header in &headers {
        for record in &header.ld_regions {
            if !regions.contains(&record.region) {
                regions.push(record.region.clone());
            }
        }
    }
    if regions.is_empty() {
        return Err(Error::inputs(format!(
            "{flag}: no summary holds LD sums (compress with --ld-region)"
        )));
    }
    Ok(regions)
}

/// The merged rows of the LD region `region` (by its text); `None` when no summary holds it.
fn rows_of(paths: &[PathBuf], region: &str, min_cell: u64) -> Result<Option<Merged>> {
    let pick = |list: &[crate::summary::ld::LdRegion]| list.iter().position(|r| r.region == region);
    region_rows(paths, pick, min_cell)
}

/// `--cojo-select`: per phenotype, the stepwise selection in every LD region →
/// `PREFIX.<pheno>.cojo.tsv`, and a log line per region.
fn write_cojo(
    paths: &[PathBuf],
    prefix: &std::path::Path,
    phenotypes: &[String],
    options: &MergeOptions,
    cojo: &CojoOptions,
    files: &mut Vec<AtomicFile>,
    lines: &mut Vec<String>,
) -> Result<()> {
    let regions = ld_regions(paths, "--cojo-select")?;
    let mut merged_regions = Vec::with_capacity(regions.len());
    for region in &regions {
        if let Some(merged) = rows_of(paths, region, options.min_cell)? {
            merged_regions.push((region, merged));
        }
    }
    for phenotype in phenotypes {
        let mut rows = Vec::new();
        for (region, merged) in &merged_regions {
            let layout = PhenotypeLayout::new(merged, phenotype, options)?;
            let mut fits = LocusFits::new(merged, &layout, options)?;
            let (selected, steps) = cojo::select(&mut fits, merged.sites.len(), cojo)?;
            let name = |site: usize| {
                let v = merged.variant(&merged.sites[site]);
                format!("{}:{}:{}:{}", v.chrom, v.pos, v.ref_allele, v.alt_allele)
            };
            let trail: Vec<String> = steps
                .iter()
                .map(|step| match *step {
                    Step::Add(site, ln_p) => {
                        format!("add {} (p {})", name(site), format_p_value(ln_p))
                    }
                    Step::Drop(site, ln_p) => {
                        format!("drop {} (p {})", name(site), format_p_value(ln_p))
                    }
                })
                .collect();
            lines.push(format!(
                "{phenotype}: LD region {region}: COJO selection (p < {}, R² < {}): {} of {} variants selected{}{}",
                // 5e-8 rather than 0.00000005.
                match cojo.p_max < 1e-3 {
                    true => format!("{:e}", cojo.p_max),
                    false => cojo.p_max.to_string(),
                },
                cojo.r2_max,
                selected.len(),
                merged.sites.len(),
                if trail.is_empty() { "" } else { "; steps " },
                trail.join(", ")
            ));
            rows.extend(selected.into_iter().map(|s| crate::output::cojo::CojoRow {
                region: (*region).clone(),
                variant: merged.variant(&merged.sites[s.site]).clone(),
                joint: s.joint,
                marginal: s.marginal,
            }));
        }
        let path = cojo_path(prefix, phenotype);
        files.push(crate::output::cojo::write(&path, &rows)?);
        lines.push(format!(
            "{phenotype}: COJO selection: {} variants → {}",
            rows.len(),
            path.display()
        ));
    }
    Ok(())
}
