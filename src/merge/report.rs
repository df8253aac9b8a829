//! What a merge writes per phenotype: the GWAS-SSF file, its metadata and the skipped list,
//! named from the output prefix; and the run's log.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Merged, VariantResult};
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::output;
use crate::output::covariates::CovariateModel;
use crate::output::gwas_ssf::GwasSsfWriter;
use crate::output::skipped::SkippedWriter;
use crate::pvalue;
use crate::regression::Outcome;
use crate::report::digest::{BinLambda, Digest, DigestOptions};
use crate::report::loci::Hit;

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
}

impl PhenotypeWriter {
    /// Creates the GWAS-SSF file and the skipped list of `phenotype` under `prefix`, one of
    /// `side_by_side` phenotypes written at once (they share the pool: their BGZF compressors
    /// get its threads between them, or compress on the writing thread when they are as many
    /// as the threads). With `min_neg_log10_p` (`--pheno-out-min-log10p`) the GWAS-SSF file
    /// keeps only the rows with −log10 p at least that (λGC, the loci and the log still cover
    /// every tested variant).
    pub fn create(
        prefix: &Path,
        phenotype: &str,
        side_by_side: usize,
        min_neg_log10_p: Option<f64>,
    ) -> Result<PhenotypeWriter> {
        let paths = PhenotypePaths::new(prefix, phenotype);
        let workers = rayon::current_num_threads() / side_by_side.max(1);
        let tsv = GwasSsfWriter::create(&paths.tsv, workers)?;
        Ok(PhenotypeWriter {
            phenotype: phenotype.to_string(),
            tsv: match min_neg_log10_p {
                Some(threshold) => tsv.keeping_from(threshold),
                None => tsv,
            },
            min_neg_log10_p,
            skipped: SkippedWriter::create(&paths.skipped)?,
            digest: Digest::new(DigestOptions::default()),
            paths,
        })
    }

    /// Appends one window's results (one per site of `merged`).
    pub fn append(&mut self, merged: &Merged, results: &[VariantResult]) -> Result<()> {
        self.tsv.append(merged, results)?;
        self.skipped.append(merged, results)?;
        for (site, result) in merged.sites.iter().zip(results) {
            let Outcome::Tested(association) = &result.outcome else {
                continue;
            };
            let v = merged.variant(site);
            // The variants of the GWAS-SSF file: those on a chromosome it has a code for.
            let Some(code) = crate::chrom::gwas_ssf_code(&v.chrom) else {
                continue;
            };
            self.digest.add(association.ln_p, result.eaf, || Hit {
                chrom: v.chrom.clone(),
                pos: v.pos,
                variant_id: format!("{code}_{}_{}_{}", v.pos, v.ref_allele, v.alt_allele),
                rsid: match output::gwas_ssf::is_rsid(&v.id) {
                    true => v.id.clone(),
                    false => output::MISSING.to_string(),
                },
                effect_allele: v.alt_allele.clone(),
                other_allele: v.ref_allele.clone(),
                beta: association.beta,
                se: association.se,
                neg_log10_p: pvalue::neg_log10_p(association.ln_p),
            });
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
    /// them with the log lines that describe them.
    pub fn finish(self, model: &PhenotypeModel) -> Result<(Vec<AtomicFile>, Vec<String>)> {
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
        let lambda = self.digest.lambda();
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
                trait_description: phenotype,
                sample_size: written.max_n,
                date: model.date,
                covariates: &adjusted,
                parties: model.parties,
                case_control: model.case_control,
                notes: &notes,
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
        Ok((vec![tsv, skipped, meta, covariates, loci], lines))
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
