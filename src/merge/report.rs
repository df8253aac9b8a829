//! What a merge writes per phenotype: the GWAS-SSF file, its metadata and the skipped list,
//! named from the output prefix; and the run's log.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Merged, VariantResult};
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::output;
use crate::output::gwas_ssf::GwasSsfWriter;
use crate::output::skipped::SkippedWriter;

/// The files of one phenotype under an output prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhenotypePaths {
    /// `PREFIX.<pheno>.tsv.gz`: GWAS-SSF, BGZF-compressed.
    pub tsv: PathBuf,
    /// `PREFIX.<pheno>.tsv.gz-meta.yaml`: the GWAS-SSF metadata.
    pub meta: PathBuf,
    /// `PREFIX.<pheno>.skipped.tsv`: variants not tested and why.
    pub skipped: PathBuf,
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
    skipped: SkippedWriter,
}

impl PhenotypeWriter {
    /// Creates the GWAS-SSF file and the skipped list of `phenotype` under `prefix`.
    pub fn create(prefix: &Path, phenotype: &str) -> Result<PhenotypeWriter> {
        let paths = PhenotypePaths::new(prefix, phenotype);
        Ok(PhenotypeWriter {
            phenotype: phenotype.to_string(),
            tsv: GwasSsfWriter::create(&paths.tsv)?,
            skipped: SkippedWriter::create(&paths.skipped)?,
            paths,
        })
    }

    /// Appends one window's results (one per site of `merged`).
    pub fn append(&mut self, merged: &Merged, results: &[VariantResult]) -> Result<()> {
        self.tsv.append(merged, results)?;
        self.skipped.append(merged, results)
    }

    /// Completes the files and writes the metadata; returns them with the log line that
    /// describes them. `covariate_columns` are the model's columns, `party_sets` the number of
    /// component sets fitted, `parties` every party merged.
    pub fn finish(
        self,
        covariate_columns: &[String],
        party_sets: usize,
        parties: &[&str],
        date: &str,
    ) -> Result<(Vec<AtomicFile>, String)> {
        let phenotype = &self.phenotype;
        let (tsv, written) = self.tsv.finish()?;
        let (skipped, skipped_count) = self.skipped.finish();
        let adjusted: Vec<String> = covariate_columns
            .iter()
            .filter(|c| c.as_str() != "intercept")
            .cloned()
            .collect();
        let meta = output::meta::write(
            &self.paths.meta,
            &output::meta::Metadata {
                data_file_name: &file_name(&self.paths.tsv),
                trait_description: phenotype,
                sample_size: written.max_n,
                date,
                covariates: &adjusted,
                parties,
            },
            &written.md5,
        )?;
        let note = format!(
            "phenotype {phenotype}: {} tested, {} skipped, covariates [{}], {} party set(s)",
            written.rows,
            skipped_count,
            covariate_columns.join(", "),
            party_sets
        );
        Ok((vec![tsv, skipped, meta], note))
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
