//! What a merge writes per phenotype: the GWAS-SSF file, its metadata and the skipped list,
//! named from the output prefix; and the run's log.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::allele_check::{AlleleCheck, AlleleCheckOptions, Comparison};
use super::{Merged, PhenotypeLayout, VariantResult};
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::output;
use crate::output::allele_check::{
    write_bins, write_parties, AlleleCheckPaths, OutlierRow, OutlierWriter, PartyRow, Status,
};
use crate::output::covariates::CovariateModel;
use crate::output::gwas_ssf::{self, GwasSsfWriter};
use crate::output::phenotypes::PhenotypeTally;
use crate::output::skipped::SkippedWriter;
use crate::output::variant_columns::VariantColumns;
use crate::pvalue;
use crate::regression::Outcome;
use crate::report::digest::{
    ln_p_read_back, neg_log10_p_read_back, BinLambda, Digest, DigestOptions,
};
use crate::report::loci::Hit;
use crate::report::plot::bounded::BoundedPoints;
use crate::report::read::Association;

/// The files of one phenotype under an output prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhenotypePaths {
    /// `PREFIX.<pheno>.tsv.gz`: GWAS-SSF, BGZF-compressed.
    pub tsv: PathBuf,
    /// `PREFIX.<pheno>.tsv.gz-meta.yaml`: the GWAS-SSF metadata.
    pub meta: PathBuf,
    /// `PREFIX.<pheno>.skipped.tsv`: variants not tested and why.
    pub skipped: PathBuf,
    /// `PREFIX.<pheno>.covariates.tsv`: the covariate model.
    pub covariates: PathBuf,
    /// `PREFIX.<pheno>.loci.tsv`: the top loci.
    pub loci: PathBuf,
}

impl PhenotypePaths {
    /// The paths of `phenotype` under `prefix`.
    ///
    /// ```
    /// let p = dash::merge::report::PhenotypePaths::new("out/gwas", "y1");
    /// assert_eq!(p.tsv.to_str(), Some("out/gwas.y1.tsv.gz"));
    /// assert_eq!(p.meta.to_str(), Some("out/gwas.y1.tsv.gz-meta.yaml"));
    /// ```
    pub fn new(prefix: impl AsRef<Path>, phenotype: &str) -> PhenotypePaths {
        let prefix = prefix.as_ref().to_string_lossy();
        PhenotypePaths {
            tsv: PathBuf::from(format!("{prefix}.{phenotype}.tsv.gz")),
            meta: PathBuf::from(format!("{prefix}.{phenotype}.tsv.gz-meta.yaml")),
            skipped: PathBuf::from(format!("{prefix}.{phenotype}.skipped.tsv")),
            covariates: PathBuf::from(format!("{prefix}.{phenotype}.covariates.tsv")),
            loci: PathBuf::from(format!("{prefix}.{phenotype}.loci.tsv")),
        }
    }
}

/// `PREFIX.log`.
pub fn log_path(prefix: impl AsRef<Path>) -> PathBuf {
    PathBuf::from(format!("{}.log", prefix.as_ref().to_string_lossy()))
}

/// Writes one phenotype's files window by window, under temporary names (committed together
/// at the end of the run).
pub struct PhenotypeWriter {
    phenotype: String,
    paths: PhenotypePaths,
    tsv: GwasSsfWriter,
    min_neg_log10_p: Option<f64>,
    skipped: SkippedWriter,
    digest: Digest,
    /// The Manhattan points of the rows written, for merge's own report (`None`: no report).
    plot_points: Option<PlotPoints>,
    /// ln of the smallest p among the tested variants so far (+∞ for none).
    min_ln_p: f64,
    /// In a part ([`PhenotypeWriter::part`]): its tested sites, for the file's writer to take
    /// in order into its plot points, λGC, smallest p and loci; `None` in a file's writer, which
    /// takes them as they come.
    tested: Option<Vec<TestedSite>>,
}

/// A tested site of a part of a phenotype's files: what the plot, λGC, the smallest p and the
/// loci need of it.
struct TestedSite {
    /// Its chromosome's GWAS-SSF code.
    code: u32,
    pos: u64,
    ln_p: f64,
    effect_allele_frequency: f64,
    /// Its description for the loci, when it is a hit.
    hit: Option<Box<Hit>>,
}

/// A phenotype's files, once finished.
pub struct FinishedPhenotype {
    /// Its files, uncommitted.
    pub files: Vec<AtomicFile>,
    /// The log lines describing them.
    pub lines: Vec<String>,
    /// Its row of `PREFIX.phenotypes.tsv`.
    pub tally: PhenotypeTally,
    /// What the report needs of its GWAS-SSF file, when merge draws the report.
    pub report: Option<Association>,
}

/// The plot points of the rows written, with the chromosome last seen (rows come sorted by
/// chromosome: no text is made per row).
struct PlotPoints {
    points: BoundedPoints,
    last: Option<(u32, u16)>,
}

/// What a phenotype's finished files describe besides its rows.
pub struct PhenotypeModel<'a> {
    /// The covariate model of each fitted party set, the set of all parties first.
    pub covariate_models: Vec<CovariateModel>,
    /// Party sets fitted.
    pub party_sets: usize,
    /// Every party merged.
    pub parties: &'a [&'a str],
    /// Case and control counts over all parties, for a case/control phenotype.
    pub case_control: Option<(u64, u64)>,
    /// Today, `YYYY-MM-DD`.
    pub date: &'a str,
    /// The genome build every summary was made under (`--build`), when given.
    pub genome_assembly: Option<String>,
    /// What the user said about the study (`--trait-description`, `--ancestry`, …).
    pub description: &'a output::meta::Description,
}

impl PhenotypeWriter {
    /// Creates the GWAS-SSF file and the skipped list of `phenotype` under `prefix`; `with_info`
    /// adds the `info` column (for dosage inputs). It is one of `side_by_side` phenotypes
    /// written at once (they share the pool: their BGZF blocks are compressed on it when they
    /// are fewer than its threads, else each on the thread writing it). With
    /// `min_neg_log10_p` (`--pheno-out-min-log10p`) the GWAS-SSF file keeps only the rows with
    /// −log10 p at least that (λGC, the loci and the log still cover every tested variant).
    pub fn create(
        prefix: &Path,
        phenotype: &str,
        with_info: bool,
        case_control: Option<super::CaseControlCounts>,
        side_by_side: usize,
        min_neg_log10_p: Option<f64>,
    ) -> Result<PhenotypeWriter> {
        let paths = PhenotypePaths::new(prefix, phenotype);
        // Fewer files than threads: each file's blocks are compressed on the pool too.
        let parallel = side_by_side < rayon::current_num_threads();
        let tsv = GwasSsfWriter::create_with_counts(&paths.tsv, with_info, case_control, parallel)?;
        Ok(PhenotypeWriter {
            phenotype: phenotype.to_string(),
            tsv: match min_neg_log10_p {
                Some(threshold) => tsv.keeping_from(threshold),
                None => tsv,
            },
            min_neg_log10_p,
            skipped: SkippedWriter::create(&paths.skipped)?,
            digest: Digest::new(DigestOptions::default()),
            plot_points: None,
            min_ln_p: f64::INFINITY,
            paths,
            tested: None,
        })
    }

    /// An empty part of this phenotype's files (the GWAS-SSF rows compressed in memory, the
    /// skipped lines, the tested sites kept), for one segment of a merge split across the pool;
    /// [`PhenotypeWriter::absorb`] takes it in genomic order.
    pub fn part(&self) -> PhenotypeWriter {
        PhenotypeWriter {
            phenotype: self.phenotype.clone(),
            paths: self.paths.clone(),
            tsv: self.tsv.part(),
            min_neg_log10_p: self.min_neg_log10_p,
            skipped: self.skipped.part(),
            digest: Digest::new(self.digest.options()),
            plot_points: None,
            min_ln_p: f64::INFINITY,
            tested: Some(Vec::new()),
        }
    }

    /// Appends the rows and tested sites of `part` (from [`PhenotypeWriter::part`]), as if its
    /// windows had been appended here.
    pub fn absorb(&mut self, part: PhenotypeWriter) -> Result<()> {
        self.tsv.absorb(part.tsv)?;
        self.skipped.absorb(part.skipped)?;
        for site in part.tested.expect("a part keeps its tested sites") {
            let mut hit = site.hit;
            self.take_tested(
                site.code,
                site.pos,
                site.ln_p,
                site.effect_allele_frequency,
                || *hit.take().expect("a hit is described"),
            );
        }
        Ok(())
    }

    /// Takes in one tested site: its plot point, λGC, the smallest p, and its loci row.
    fn take_tested(
        &mut self,
        code: u32,
        pos: u64,
        ln_p: f64,
        effect_allele_frequency: f64,
        hit: impl FnOnce() -> Hit,
    ) {
        if let Some(plot) = &mut self.plot_points {
            plot.push(code, pos, ln_p, self.min_neg_log10_p);
        }
        self.min_ln_p = self.min_ln_p.min(ln_p);
        self.digest.add(ln_p, effect_allele_frequency, hit);
    }

    /// Also collects what the report draws of the rows written, handed over by
    /// [`PhenotypeWriter::finish`].
    pub fn collecting_plot_points(self) -> PhenotypeWriter {
        PhenotypeWriter {
            plot_points: Some(PlotPoints {
                points: BoundedPoints::default(),
                last: None,
            }),
            ..self
        }
    }

    /// Stops collecting for the report: it will not draw this phenotype (one of many, chosen
    /// by hits only once every row is written), so neither its points nor the read-back of its
    /// p-values are needed at [`PhenotypeWriter::finish`].
    pub fn drop_plot_points(&mut self) {
        self.plot_points = None;
    }

    /// Appends one window's results (one per site of `merged`); `columns` are the window's
    /// variant-only GWAS-SSF columns, formatted once for every phenotype.
    pub fn append(
        &mut self,
        merged: &Merged,
        columns: &VariantColumns,
        results: &[VariantResult],
    ) -> Result<()> {
        self.tsv.append(merged, columns, results)?;
        self.skipped.append(merged, results)?;
        for (index, (site, result)) in merged.sites.iter().zip(results).enumerate() {
            let Outcome::Tested(association) = &result.outcome else {
                continue;
            };
            // The variants of the GWAS-SSF file: those on a chromosome it has a code for.
            let Some(code) = columns.get(index).map(|c| c.code) else {
                continue;
            };
            let v = merged.variant(site);
            let ln_p = association.ln_p;
            let hit = || Hit {
                chrom: v.chrom.to_string(),
                pos: v.pos,
                variant_id: format!("{code}_{}_{}_{}", v.pos, v.ref_allele, v.alt_allele),
                rsid: match output::gwas_ssf::is_rsid(&v.id) {
                    true => v.id.to_string(),
                    false => output::MISSING.to_string(),
                },
                effect_allele: v.alt_allele.to_string(),
                other_allele: v.ref_allele.to_string(),
                beta: association.beta,
                se: association.se,
                neg_log10_p: pvalue::neg_log10_p(ln_p),
            };
            match &mut self.tested {
                Some(tested) => tested.push(TestedSite {
                    code,
                    pos: v.pos,
                    ln_p,
                    effect_allele_frequency: result.eaf,
                    hit: self.digest.is_hit(ln_p).then(|| Box::new(hit())),
                }),
                None => self.take_tested(code, v.pos, ln_p, result.eaf, hit),
            }
        }
        Ok(())
    }

    /// The phenotype's name.
    pub fn phenotype(&self) -> &str {
        &self.phenotype
    }

    /// Tested variants so far with p below the loci threshold (5e-8).
    pub fn hits(&self) -> usize {
        self.digest.hit_count()
    }

    /// Completes the files, writes the metadata, the covariate model and the loci; returns
    /// them with the log lines that describe them and the phenotype's row of the phenotype
    /// table (and, when merge draws the report, what the report needs of the GWAS-SSF file,
    /// as [`crate::report::read::read_gwas_ssf`] would read it back).
    pub fn finish(mut self, model: &PhenotypeModel) -> Result<FinishedPhenotype> {
        let phenotype = &self.phenotype;
        let (tsv, written) = self.tsv.finish()?;
        let (skipped, skipped_count) = self.skipped.finish();
        let covariate_columns: Vec<String> = model
            .covariate_models
            .first()
            .map(|m| m.rows.iter().map(|r| r.name.clone()).collect())
            .unwrap_or_default();
        let adjusted: Vec<String> = covariate_columns
            .iter()
            .filter(|c| c.as_str() != "intercept")
            .cloned()
            .collect();
        let lambda = self.digest.lambda()?;
        let describe = |l: &BinLambda| match l.lambda_gc {
            Some(value) => format!("{} {value:.4} ({} variants)", l.bin, l.variants),
            None => format!("{} - (0 variants)", l.bin),
        };
        let lambda_text = lambda.iter().map(describe).collect::<Vec<_>>().join(", ");
        let mut notes = format!("dash: lambda_GC {lambda_text}");
        let tested: usize = lambda.first().map_or(0, |all| all.variants);
        let mut lines = vec![format!(
            "phenotype {phenotype}: {tested} tested, {} skipped, covariates [{}], {} party set(s)",
            skipped_count,
            covariate_columns.join(", "),
            model.party_sets
        )];
        if let Some(threshold) = self.min_neg_log10_p {
            lines.push(format!(
                "phenotype {phenotype}: {} of {tested} tested variants written (--pheno-out-min-log10p {threshold}: -log10 p ≥ {threshold})",
                written.rows
            ));
        }
        lines.push(format!("phenotype {phenotype}: λGC {lambda_text}"));
        if let Some((cases, controls)) = model.case_control {
            let line = format!(
                "phenotype {phenotype} is case/control (plink2's 1/2 coding; {cases} cases, {controls} controls): \
                 the model is linear on a binary trait (a linear probability model)"
            );
            notes.push_str(&format!("; {line}"));
            lines.push(line);
        }
        let meta = output::meta::write(
            &self.paths.meta,
            &output::meta::Metadata {
                data_file_name: &file_name(&self.paths.tsv),
                trait_description: model
                    .description
                    .trait_description
                    .as_deref()
                    .unwrap_or(phenotype),
                sample_size: written.max_n,
                date: model.date,
                covariates: &adjusted,
                parties: model.parties,
                case_control: model.case_control,
                notes: &notes,
                genome_assembly: model.genome_assembly.as_deref(),
                description: model.description,
            },
            &written.md5,
        )?;
        let covariates =
            output::covariates::write(&self.paths.covariates, &model.covariate_models)?;
        let loci = self.digest.loci();
        let options = self.digest.options();
        lines.push(format!(
            "phenotype {phenotype}: {} loci below p {:e} (±{} kb) → {}",
            loci.len(),
            options.clump_p,
            options.clump_window / 1000,
            self.paths.loci.display()
        ));
        let loci = output::loci::write(&self.paths.loci, &loci)?;
        let hits = self.digest.hit_count() as u64;
        let report = match self.plot_points {
            Some(plot) => Some(Association {
                points: plot.points.finish(),
                digest: self.digest.read_back(
                    self.min_neg_log10_p.unwrap_or(f64::NEG_INFINITY),
                    as_written,
                )?,
                max_n: written.max_n,
            }),
            None => None,
        };
        let tally = PhenotypeTally {
            phenotype: self.phenotype,
            tested: tested as u64,
            skipped: skipped_count,
            hits,
            min_ln_p: (tested > 0).then_some(self.min_ln_p),
            lambda_gc: lambda.first().and_then(|all| all.lambda_gc),
        };
        Ok(FinishedPhenotype {
            files: vec![tsv, skipped, meta, covariates, loci],
            lines,
            tally,
            report,
        })
    }
}

impl PlotPoints {
    /// Adds the point of a row with `ln_p` when it is written (−log10 p at least `min`).
    fn push(&mut self, code: u32, pos: u64, ln_p: f64, min: Option<f64>) {
        let written = pvalue::neg_log10_p(ln_p);
        if written < min.unwrap_or(f64::NEG_INFINITY) {
            return;
        }
        let chrom = match self.last {
            Some((last, index)) if last == code => Some(index),
            _ => self.points.chromosome_index(&code.to_string()),
        };
        let Some(chrom) = chrom else { return };
        self.last = Some((code, chrom));
        let neg_log10_p = neg_log10_p_read_back(ln_p_read_back(written));
        self.points.push_at(chrom, pos, neg_log10_p as f32);
    }
}

/// A hit of the merge's digest with its text as the GWAS-SSF file has it and the report reads
/// it back: the chromosome's code normalised, alleles outside `[ACGT]+` as `LONG_STRING`, no
/// `variant_id` where the alleles do not fit one, `#NA` as empty.
fn as_written(hit: Hit) -> Hit {
    let chrom = match crate::chrom::gwas_ssf_code(&hit.chrom) {
        Some(code) => crate::chrom::normalize(&code.to_string()),
        None => hit.chrom,
    };
    let present = |text: String| match text == output::MISSING {
        true => String::new(),
        false => text,
    };
    let variant_id = match gwas_ssf::fits_variant_id(&hit.other_allele, &hit.effect_allele) {
        true => hit.variant_id,
        false => String::new(),
    };
    Hit {
        chrom,
        variant_id,
        rsid: present(hit.rsid),
        effect_allele: gwas_ssf::allele(&hit.effect_allele).to_string(),
        other_allele: gwas_ssf::allele(&hit.other_allele).to_string(),
        ..hit
    }
}

/// The log file, one line per note, under a temporary name.
pub fn write_log(prefix: &Path, lines: &[String]) -> Result<AtomicFile> {
    let path = log_path(prefix);
    let mut file = AtomicFile::create(&path)?;
    for line in lines {
        writeln!(file, "{line}").with_path(&path)?;
    }
    Ok(file)
}

/// The last component of a path, as text.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Runs the per-party allele-frequency check over a plaintext merge and writes its files
/// ([`crate::output::allele_check`]): outliers as they are found, the party table and the
/// histograms at the end.
pub struct AlleleCheckWriter {
    check: AlleleCheck,
    phenotype: String,
    /// Per input, its party names joined with `+`.
    labels: Vec<String>,
    paths: AlleleCheckPaths,
    outliers: OutlierWriter,
}

impl AlleleCheckWriter {
    /// A check of the inputs of `headers` on the samples of `phenotype`, written under `prefix`.
    pub fn create(
        prefix: &Path,
        headers: &Merged,
        phenotype: &str,
        options: AlleleCheckOptions,
    ) -> Result<AlleleCheckWriter> {
        let paths = AlleleCheckPaths::new(prefix);
        Ok(AlleleCheckWriter {
            check: AlleleCheck::new(headers.inputs.len(), options),
            phenotype: phenotype.to_string(),
            labels: headers
                .inputs
                .iter()
                .map(|s| {
                    let names: Vec<&str> = s
                        .header
                        .components
                        .iter()
                        .map(|c| c.party.as_str())
                        .collect();
                    names.join("+")
                })
                .collect(),
            outliers: OutlierWriter::create(&paths.outliers)?,
            paths,
        })
    }

    /// An empty part of the check (its outliers in memory), for one segment of a merge split
    /// across the pool; [`AlleleCheckWriter::absorb`] takes it in genomic order.
    pub fn part(&self) -> AlleleCheckWriter {
        AlleleCheckWriter {
            check: self.check.fresh(),
            phenotype: self.phenotype.clone(),
            labels: self.labels.clone(),
            paths: self.paths.clone(),
            outliers: self.outliers.part(),
        }
    }

    /// Adds what `part` (from [`AlleleCheckWriter::part`]) found.
    pub fn absorb(&mut self, part: AlleleCheckWriter) -> Result<()> {
        self.check.absorb(&part.check);
        self.outliers.absorb(part.outliers)
    }

    /// Checks one window, with `layout` the layout of the checked phenotype.
    pub(crate) fn append(&mut self, merged: &Merged, layout: &PhenotypeLayout) -> Result<()> {
        let (labels, outliers) = (&self.labels, &mut self.outliers);
        self.check
            .add_window(merged, layout, &mut |site, c: &Comparison| {
                let v = merged.variant(site);
                outliers.append(&OutlierRow {
                    input: c.input + 1,
                    party: labels[c.input].clone(),
                    chrom: v.chrom.to_string(),
                    pos: v.pos,
                    id: v.id.to_string(),
                    effect_allele: v.alt_allele.to_string(),
                    other_allele: v.ref_allele.to_string(),
                    af_party: c.own,
                    af_others: c.others,
                    observed_party: c.own_observed,
                    observed_others: c.others_observed,
                    flipped: c.flipped,
                })
            })
    }

    /// Writes the party table and the histograms; returns the three files with their log lines.
    pub fn finish(self) -> Result<(Vec<AtomicFile>, Vec<String>)> {
        let limit = self.check.options().max_difference;
        let alone = self.labels.len() < 2;
        let rows: Vec<PartyRow> = self
            .check
            .tallies()
            .iter()
            .zip(&self.labels)
            .enumerate()
            .map(|(k, (t, label))| PartyRow {
                input: k + 1,
                party: label.clone(),
                status: if alone {
                    Status::NoOtherInput
                } else {
                    Status::Checked
                },
                phenotype: self.phenotype.clone(),
                compared: t.compared,
                outliers: t.outliers,
                max_abs_difference: t.max_abs_difference,
                af_diff: limit,
            })
            .collect();
        let mut lines: Vec<String> = rows
            .iter()
            .map(|r| match r.status {
                Status::Checked => format!(
                    "allele frequencies of {} (samples of {}): {} variants compared with the other inputs, {} outliers (|Δ| > {limit}), largest |Δ| {:.4}",
                    r.party, r.phenotype, r.compared, r.outliers, r.max_abs_difference
                ),
                status => format!("allele frequencies of {}: not checked, {}", r.party, status.explain()),
            })
            .collect();
        lines.push(format!(
            "allele-frequency check → {}, {}, {}",
            self.paths.parties.display(),
            self.paths.bins.display(),
            self.paths.outliers.display()
        ));
        let parties = write_parties(&self.paths.parties, &rows)?;
        let histograms = self
            .check
            .tallies()
            .iter()
            .enumerate()
            .map(|(k, t)| (k + 1, t.bins.as_slice()));
        let bins = write_bins(&self.paths.bins, histograms)?;
        Ok((vec![parties, bins, self.outliers.finish()], lines))
    }
}

/// The check's files for a secure set: every roster party listed as not checked (only pooled
/// sums exist), no bins, no outliers; with its log line.
pub fn secure_allele_check(
    prefix: &Path,
    parties: &[String],
    phenotype: &str,
    options: AlleleCheckOptions,
) -> Result<(Vec<AtomicFile>, String)> {
    let paths = AlleleCheckPaths::new(prefix);
    let rows: Vec<PartyRow> = parties
        .iter()
        .enumerate()
        .map(|(k, party)| PartyRow {
            input: k + 1,
            party: party.clone(),
            status: Status::Secure,
            phenotype: phenotype.to_string(),
            compared: 0,
            outliers: 0,
            max_abs_difference: 0.0,
            af_diff: options.max_difference,
        })
        .collect();
    let files = vec![
        write_parties(&paths.parties, &rows)?,
        write_bins(&paths.bins, Vec::<(usize, &[u64])>::new())?,
        OutlierWriter::create(&paths.outliers)?.finish(),
    ];
    Ok((
        files,
        format!(
            "allele frequencies per party: not checked, {}",
            Status::Secure.explain()
        ),
    ))
}
