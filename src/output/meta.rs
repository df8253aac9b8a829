//! The GWAS-SSF metadata file `PREFIX.<pheno>.tsv.gz-meta.yaml` that travels with each TSV.

use std::io::Write;
use std::path::Path;

use md5::{Digest, Md5};

use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};

/// What the user tells merge about the study, for every metadata file; empty fields are
/// written as "NR" (not reported).
#[derive(Debug, Clone, Default)]
pub struct Description {
    /// `trait_description` (default: the phenotype's name).
    pub trait_description: Option<String>,
    /// `sample_ancestry_category` entries.
    pub ancestry: Vec<String>,
    /// `genotyping_technology` entries.
    pub genotyping_technology: Vec<String>,
}

/// What the metadata says about one summary-statistics file.
#[derive(Debug, Clone)]
pub struct Metadata<'a> {
    /// File name of the data file (no directory).
    pub data_file_name: &'a str,
    /// Trait (phenotype) name.
    pub trait_description: &'a str,
    /// Largest per-variant n.
    pub sample_size: u64,
    /// Today's date, `YYYY-MM-DD`.
    pub date: &'a str,
    /// Covariates adjusted for.
    pub covariates: &'a [String],
    /// Parties pooled.
    pub parties: &'a [&'a str],
    /// Case and control counts of a case/control phenotype (plink2's 1/2 coding).
    pub case_control: Option<(u64, u64)>,
    /// Free text for `author_notes`: λGC, the model on a binary trait.
    pub notes: &'a str,
    /// `genome_assembly` (`GRCh37`, `GRCh38`); `NR` when not given.
    pub genome_assembly: Option<&'a str>,
    /// Ancestry and genotyping technology as given (`NR` when empty).
    pub description: &'a Description,
}

/// A writer that passes bytes through and keeps the MD5 of all of them: the data file's checksum
/// comes out of writing it, without reading the file back.
pub struct Md5Writer<W> {
    inner: W,
    hasher: Md5,
}

impl<W: Write> Md5Writer<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Md5Writer<W> {
        Md5Writer {
            inner,
            hasher: Md5::new(),
        }
    }

    /// The inner writer and the MD5 (hex) of everything written through.
    pub fn finish(self) -> (W, String) {
        let md5 = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        (self.inner, md5)
    }
}

impl<W: Write> Write for Md5Writer<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the metadata YAML; `md5` is the data file's checksum.
pub fn write(path: &Path, meta: &Metadata, md5: &str) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    // Free text is single-quoted: a plain YAML scalar may not contain ": ". What dash cannot
    // know (assembly, genotyping technology, ancestry) is "NR", the GWAS Catalog's "not reported".
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let list = |items: &[String]| -> String {
        if items.is_empty() {
            " []\n".to_string()
        } else {
            items
                .iter()
                .map(|i| format!("\n  - {}", quote(i)))
                .collect::<String>()
                + "\n"
        }
    };
    let or_not_reported = |items: &[String]| -> String {
        match items.is_empty() {
            true => "\n  - 'NR'\n".to_string(),
            false => list(items),
        }
    };
    let version = env!("CARGO_PKG_VERSION");
    let text = format!(
        "# GWAS-SSF metadata written by dash {version}\n\
         author_notes: {notes}\n\
         date_metadata_last_modified: {date}\n\
         trait_description:\n  - {trait_name}\n\
         genome_assembly: {assembly}\n\
         coordinate_system: 1-based\n\
         genotyping_technology:{technology}\
         samples:\n  - sample_size: {n}\n{case_control}    sample_ancestry_category:{ancestry}\
         data_file_name: {name}\n\
         file_type: GWAS-SSF v1.0\n\
         data_file_md5sum: {md5}\n\
         analysis_software: {software}\n\
         adjusted_covariates:{covariates}\
         is_harmonised: false\n\
         is_sorted: true\n",
        date = meta.date,
        trait_name = quote(meta.trait_description),
        n = meta.sample_size,
        name = quote(meta.data_file_name),
        software = quote(&format!(
            "dash {version} (DASH pooled linear regression; parties: {})",
            meta.parties.join(", ")
        )),
        covariates = list(meta.covariates),
        technology = or_not_reported(&meta.description.genotyping_technology),
        ancestry = or_not_reported(&meta.description.ancestry).replace("\n  - ", "\n      - "),
        notes = quote(meta.notes),
        assembly = meta.genome_assembly.unwrap_or("NR"),
        case_control = match meta.case_control {
            Some((cases, controls)) => format!(
                "    case_control_study: true\n    case_count: {cases}\n    control_count: {controls}\n"
            ),
            None => String::new(),
        },
    );
    file.write_all(text.as_bytes()).with_path(path)?;
    Ok(file)
}

/// Today's UTC date as `YYYY-MM-DD` (civil-from-days, so no date crate is needed).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
