//! Building the report from a merge's files: for every `PREFIX.<pheno>.tsv.gz`, the Manhattan
//! and QQ plots (PNG and SVG) and the loci table, then `PREFIX.report.html`.
//!
//! Everything is read back from the files, so `dash report` can remake the report of any
//! finished merge, and merge can call [`build`] once its own files are in place. Outputs are
//! written under temporary names and renamed into place together: a failed report leaves
//! none of its files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use super::digest::{BinLambda, DigestOptions};
use super::loci::Locus;
use super::page::{self, Figure, Page, PartyCheck, Section};
use super::plot::{self, frequency, manhattan, qq, Rendered};
use super::read::{self, Table};
use crate::atomic_file::{commit_all, AtomicFile};
use crate::error::{Error, IoResultExt, Result};
use crate::output::allele_check::{self, AlleleCheckData, Status};
use crate::run::file_name;

/// Settings of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Loci: p threshold and window.
    pub digest: DigestOptions,
    /// Genome-wide significance drawn on the Manhattan plot (5e-8).
    pub genome_wide_p: f64,
    /// Loci labelled on the Manhattan plot.
    pub labels: usize,
    /// Phenotypes to report (default: every `PREFIX.<pheno>.tsv.gz` found).
    pub phenotypes: Option<Vec<String>>,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            digest: DigestOptions::default(),
            genome_wide_p: 5e-8,
            labels: 10,
            phenotypes: None,
        }
    }
}

/// The files of one phenotype's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPaths {
    /// `PREFIX.<pheno>.manhattan.png`.
    pub manhattan_png: PathBuf,
    /// `PREFIX.<pheno>.manhattan.svg`.
    pub manhattan_svg: PathBuf,
    /// `PREFIX.<pheno>.qq.png`.
    pub qq_png: PathBuf,
    /// `PREFIX.<pheno>.qq.svg`.
    pub qq_svg: PathBuf,
    /// `PREFIX.<pheno>.loci.tsv`.
    pub loci: PathBuf,
}

impl ReportPaths {
    /// The paths of `phenotype` under `prefix`.
    pub fn new(prefix: &Path, phenotype: &str) -> ReportPaths {
        let p = |suffix: &str| with_suffix(prefix, &format!(".{phenotype}.{suffix}"));
        ReportPaths {
            manhattan_png: p("manhattan.png"),
            manhattan_svg: p("manhattan.svg"),
            qq_png: p("qq.png"),
            qq_svg: p("qq.svg"),
            loci: p("loci.tsv"),
        }
    }
}

/// `PREFIX.af_party<K>.png` and `.svg`: the allele-frequency plot of input K (from 1).
pub fn party_plot_paths(prefix: &Path, input: usize) -> (PathBuf, PathBuf) {
    (
        with_suffix(prefix, &format!(".af_party{input}.png")),
        with_suffix(prefix, &format!(".af_party{input}.svg")),
    )
}

/// `PREFIX.report.html`.
pub fn html_path(prefix: &Path) -> PathBuf {
    with_suffix(prefix, ".report.html")
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// The phenotypes with a `PREFIX.<pheno>.tsv.gz` beside the prefix, sorted.
pub fn find_phenotypes(prefix: &Path) -> Result<Vec<String>> {
    let dir = match prefix.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stem = prefix
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::usage(format!("{}: not a file prefix", prefix.display())))?;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).with_path(&dir)? {
        let name = entry.with_path(&dir)?.file_name();
        let name = name.to_string_lossy();
        if let Some(pheno) = name
            .strip_prefix(&format!("{stem}."))
            .and_then(|rest| rest.strip_suffix(".tsv.gz"))
        {
            if !pheno.is_empty() && !pheno.contains('.') {
                found.push(pheno.to_string());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// What the report found for one phenotype.
struct Made {
    phenotype: String,
    tested: usize,
    max_n: u64,
    lambda: Vec<BinLambda>,
    loci: Vec<Locus>,
    skipped: Option<Vec<(String, u64)>>,
    covariates: Option<Table>,
    manhattan: Rendered,
    qq: Rendered,
    paths: ReportPaths,
    /// Seconds spent reading the GWAS-SSF file.
    read_seconds: f64,
}

/// Builds the report of the merge written under `prefix`; returns the files written.
/// `note` gets a line per phenotype. Takes no lock: the caller holds the prefix's.
pub fn build(
    prefix: &Path,
    options: &ReportOptions,
    note: &mut dyn FnMut(&str),
) -> Result<Vec<PathBuf>> {
    let read = |phenotype: &str| {
        let gwas = with_suffix(prefix, &format!(".{phenotype}.tsv.gz"));
        read::read_gwas_ssf(&gwas, options.digest)
    };
    build_from(prefix, options, note, &read)
}

/// [`build`], with each phenotype's rows from `association` instead of its GWAS-SSF file: a
/// merge hands over what it collected while writing the file ([`read::Association`] made as
/// [`read::read_gwas_ssf`] would make it), so its report costs no second read. The other
/// files (skipped list, covariates, allele check, log) are read from under `prefix`.
pub fn build_from(
    prefix: &Path,
    options: &ReportOptions,
    note: &mut dyn FnMut(&str),
    association: &(dyn Fn(&str) -> Result<read::Association> + Sync),
) -> Result<Vec<PathBuf>> {
    crate::run::check_unique("--pheno", options.phenotypes.as_deref())?;
    let phenotypes = match &options.phenotypes {
        Some(p) => p.clone(),
        None => find_phenotypes(prefix)?,
    };
    if phenotypes.is_empty() {
        return Err(Error::inputs(format!(
            "no GWAS-SSF file {}.<phenotype>.tsv.gz to report on",
            prefix.display()
        )));
    }
    let check = allele_check::read(prefix, page::OUTLIERS_SHOWN)?;
    // Phenotypes are drawn side by side on the pool (each also draws its two plots side by
    // side), and beside them the parties' allele-frequency plots: one after another they left
    // a core idle through most of a many-phenotype report, and 20 parties' plots took twice a
    // phenotype's (issue 12). Notes and pages keep the phenotypes' and parties' order.
    let (drawn, party_plots) = rayon::join(
        || draw_phenotypes(prefix, &phenotypes, options, association),
        || match &check {
            Some(check) => draw_party_plots(prefix, check),
            None => Vec::new(),
        },
    );
    let drawn = drawn?;
    let mut files = Vec::new();
    let mut made = Vec::with_capacity(phenotypes.len());
    for (one, written, seconds) in drawn {
        files.extend(written);
        note(&format!(
            "phenotype {}: {} variants, λGC {}, {} loci; read in {:.2}s, plotted in {:.2}s",
            one.phenotype,
            one.tested,
            one.lambda[0]
                .lambda_gc
                .map_or("-".to_string(), |l| format!("{l:.4}")),
            one.loci.len(),
            one.read_seconds,
            seconds - one.read_seconds
        ));
        made.push(one);
    }
    for plot in &party_plots {
        files.push(write_bytes(&plot.paths.0, &plot.rendered.png)?);
        files.push(write_bytes(&plot.paths.1, plot.rendered.svg.as_bytes())?);
    }
    let party_names: Vec<[String; 2]> = party_plots
        .iter()
        .map(|plot| [&plot.paths.0, &plot.paths.1].map(|p| file_name(p)))
        .collect();
    let party_checks: Option<Vec<PartyCheck>> = check.as_ref().map(|check| {
        check
            .parties
            .iter()
            .enumerate()
            .map(|(k, row)| PartyCheck {
                row,
                outliers: &check.top_outliers[k],
                figure: party_plots
                    .iter()
                    .zip(&party_names)
                    .find(|(plot, _)| plot.slot == k)
                    .map(|(plot, names)| Figure {
                        caption: "Allele frequency against the other parties",
                        files: (&names[0], &names[1]),
                        rendered: &plot.rendered,
                    }),
            })
            .collect()
    });
    let outliers_file = file_name(&allele_check::AlleleCheckPaths::new(prefix).outliers);

    let log_path = with_suffix(prefix, ".log");
    let log = match std::fs::read_to_string(&log_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&log_path, e)),
    };
    let names: Vec<[String; 3]> = made
        .iter()
        .map(|m| {
            [
                &m.paths.manhattan_png,
                &m.paths.manhattan_svg,
                &m.paths.loci,
            ]
            .map(|p| file_name(p))
        })
        .collect();
    let qq_names: Vec<[String; 2]> = made
        .iter()
        .map(|m| [&m.paths.qq_png, &m.paths.qq_svg].map(|p| file_name(p)))
        .collect();
    let title = file_name(prefix);
    let page = Page {
        title: &title,
        log: log.as_deref(),
        options: options.digest,
        party_checks,
        outliers_file: &outliers_file,
        sections: made
            .iter()
            .zip(&names)
            .zip(&qq_names)
            .map(|((m, names), qq_names)| Section {
                phenotype: &m.phenotype,
                tested: m.tested,
                max_n: m.max_n,
                lambda: &m.lambda,
                loci: &m.loci,
                loci_file: &names[2],
                skipped: m.skipped.as_deref(),
                covariates: m.covariates.as_ref(),
                figures: [
                    Figure {
                        caption: "Manhattan plot",
                        files: (&names[0], &names[1]),
                        rendered: &m.manhattan,
                    },
                    Figure {
                        caption: "QQ plot",
                        files: (&qq_names[0], &qq_names[1]),
                        rendered: &m.qq,
                    },
                ],
            })
            .collect(),
    };
    let html = html_path(prefix);
    files.push(write_bytes(&html, page::render(&page).as_bytes())?);
    commit_all(files)
}

/// One phenotype's report, drawn and written: what it found, its files, and the seconds taken.
type Drawn = (Made, Vec<AtomicFile>, f64);

/// Draws and writes every phenotype's plots and loci, side by side on the pool.
fn draw_phenotypes(
    prefix: &Path,
    phenotypes: &[String],
    options: &ReportOptions,
    association: &(dyn Fn(&str) -> Result<read::Association> + Sync),
) -> Result<Vec<Drawn>> {
    phenotypes
        .par_iter()
        .map(|phenotype| {
            let started = Instant::now();
            let one = phenotype_report(prefix, phenotype, options, association)?;
            let files = vec![
                write_bytes(&one.paths.manhattan_png, &one.manhattan.png)?,
                write_bytes(&one.paths.manhattan_svg, one.manhattan.svg.as_bytes())?,
                write_bytes(&one.paths.qq_png, &one.qq.png)?,
                write_bytes(&one.paths.qq_svg, one.qq.svg.as_bytes())?,
                write_bytes(
                    &one.paths.loci,
                    crate::output::loci::text(&one.loci).as_bytes(),
                )?,
            ];
            Ok((one, files, started.elapsed().as_secs_f64()))
        })
        .collect()
}

/// Gets one phenotype's rows from `association`, reads its other files and draws its plots.
fn phenotype_report(
    prefix: &Path,
    phenotype: &str,
    options: &ReportOptions,
    association: &(dyn Fn(&str) -> Result<read::Association> + Sync),
) -> Result<Made> {
    let started = Instant::now();
    let read::Association {
        points,
        mut digest,
        max_n,
    } = association(phenotype)?;
    let read_seconds = started.elapsed().as_secs_f64();
    let lambda = digest.lambda()?;
    let loci = digest.loci();
    // The Manhattan points may be thinned; the QQ plot ranks every p-value.
    let observed = digest.qq_observed()?;
    drop(digest);
    let threshold = -options.genome_wide_p.log10();
    let labels = &loci[..loci.len().min(options.labels)];
    let tested = lambda[0].variants;
    let overall = lambda[0].lambda_gc;
    let (manhattan, qq) = rayon::join(
        || {
            let title = format!("{phenotype}: Manhattan plot");
            plot::render(&manhattan::plot(&points, threshold, labels, &title))
        },
        || {
            plot::render(&qq::plot(
                &observed,
                overall,
                &format!("{phenotype}: QQ plot"),
            ))
        },
    );
    drop((points, observed));
    let skipped_path = with_suffix(prefix, &format!(".{phenotype}.skipped.tsv"));
    let skipped = match read::read_table(&skipped_path)? {
        Some(table) => Some(read::count_reasons(&skipped_path, &table)?),
        None => None,
    };
    let covariates = read::read_table(&with_suffix(
        prefix,
        &format!(".{phenotype}.covariates.tsv"),
    ))?;
    Ok(Made {
        phenotype: phenotype.to_string(),
        tested,
        max_n,
        lambda,
        loci,
        skipped,
        covariates,
        manhattan,
        qq,
        paths: ReportPaths::new(prefix, phenotype),
        read_seconds,
    })
}

/// One checked party's allele-frequency plot.
struct PartyPlot {
    /// Its row in [`AlleleCheckData::parties`].
    slot: usize,
    /// PNG and SVG paths.
    paths: (PathBuf, PathBuf),
    rendered: Rendered,
}

/// Draws the plot of every checked party, side by side on the pool (in the parties' order).
fn draw_party_plots(prefix: &Path, check: &AlleleCheckData) -> Vec<PartyPlot> {
    check
        .parties
        .par_iter()
        .enumerate()
        .filter(|(_, row)| row.status == Status::Checked)
        .map(|(k, row)| {
            let title = format!(
                "{}: allele frequency (samples of {})",
                row.party, row.phenotype
            );
            let rendered = plot::render(&frequency::plot(&frequency::FrequencyPlot {
                title: &title,
                bins: &check.histograms[k],
                outliers: &check.outlier_points[k],
                max_difference: row.af_diff,
            }));
            PartyPlot {
                slot: k,
                paths: party_plot_paths(prefix, row.input),
                rendered,
            }
        })
        .collect()
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).with_path(path)?;
    Ok(file)
}
