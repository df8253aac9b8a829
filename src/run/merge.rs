//! `dash merge`: summaries → GWAS-SSF per phenotype, skipped lists, metadata, log.

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::atomic_file::{check_output_dir, commit_all, OutputLock, Provisional};
use crate::error::{echo, Error, Result};
use crate::merge::inputs::check_distinct_paths;
use crate::merge::{report, summary_out, InputKind, MergeOptions, Merged};
use crate::output;
use crate::secure::combine::{combine, SecureInfo};
use crate::summary::id::short;
use crate::summary::{read_summary, Summary};

/// One merge run.
#[derive(Debug, Clone)]
pub struct MergeJob {
    /// Summaries to pool (all plaintext, or one complete secure set).
    pub summaries: Vec<PathBuf>,
    /// Output prefix.
    pub out: PathBuf,
    /// The model and what to test.
    pub options: MergeOptions,
    /// Also write the merged sums as a summary here.
    pub summary_out: Option<PathBuf>,
}

/// What a merge run wrote.
#[derive(Debug, Clone)]
pub struct MergeReport {
    /// Every file written, in place.
    pub files: Vec<PathBuf>,
}

/// Reads the summaries at `paths` and joins them: plaintext summaries as they are, a secure
/// set pooled first (all or none of the inputs must be secure).
pub fn open_inputs(paths: &[PathBuf]) -> Result<(Merged, Option<SecureInfo>)> {
    check_distinct_paths(paths)?;
    // Secure summaries are the signed ones. Told from the seal in the raw footer bytes: no
    // Parquet parser sees a file before its checksum is verified (by the readers below).
    let secure: Vec<bool> = paths
        .par_iter()
        .map(|p| Ok(crate::summary::integrity::read_seal(p)?.signature.is_some()))
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
        let (pooled, info) = combine(paths)?;
        let merged = Merged::from_summaries(vec![pooled], InputKind::SecureSet)?;
        return Ok((merged, Some(info)));
    }
    let inputs: Vec<Summary> = paths
        .par_iter()
        .map(|p| read_summary(p))
        .collect::<Result<_>>()?;
    Ok((Merged::from_summaries(inputs, InputKind::Plaintext)?, None))
}

/// Runs merge; `note` gets each line of the log as it is written.
///
/// Nothing is written unless every phenotype's files are: the arguments are checked and the
/// output prefix locked first, every file is written under a temporary name, and the set is
/// renamed into place at the end (see [`commit_all`]).
pub fn merge(job: &MergeJob, note: &mut dyn FnMut(&str)) -> Result<MergeReport> {
    check_arguments(job)?;
    let _lock = OutputLock::acquire(&job.out)?;
    let _summary_lock = match &job.summary_out {
        Some(path) if OutputLock::path_for(path) != OutputLock::path_for(&job.out) => {
            Some(OutputLock::acquire(path)?)
        }
        _ => None,
    };
    // From here on every error comes from what the files hold, so none is a usage error.
    run_merge(job, note).map_err(Error::found_in_inputs)
}

/// Refuses a merge the command line alone shows to be wrong, before any file is read.
fn check_arguments(job: &MergeJob) -> Result<()> {
    check_unique("--pheno", job.options.phenotypes.as_deref())?;
    check_unique("--covar", job.options.covariates.as_deref())?;
    check_output_dir(&job.out)?;
    if let Some(path) = &job.summary_out {
        check_output_dir(path)?;
    }
    Ok(())
}

/// Refuses an empty name or one given twice in a list flag.
pub(crate) fn check_unique(flag: &str, names: Option<&[String]>) -> Result<()> {
    let Some(names) = names else {
        return Ok(());
    };
    for (k, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(Error::usage(format!("{flag}: empty name in the list")));
        }
        if names[..k].contains(name) {
            return Err(Error::usage(format!(
                "{flag}: '{}' is given twice",
                echo(name)
            )));
        }
    }
    Ok(())
}

/// Refuses phenotypes that some input lacks, before anything is computed or written.
fn check_phenotypes(merged: &Merged, phenotypes: &[String]) -> Result<()> {
    for phenotype in phenotypes {
        let lacking: Vec<String> = merged
            .inputs
            .iter()
            .filter(|s| {
                !s.header
                    .groups
                    .iter()
                    .any(|g| g.phenotypes.iter().any(|p| p == phenotype))
            })
            .map(|s| {
                let has: Vec<&str> = s
                    .header
                    .groups
                    .iter()
                    .flat_map(|g| g.phenotypes.iter().map(String::as_str))
                    .collect();
                format!("{} (has {})", s.path.display(), has.join(", "))
            })
            .collect();
        if !lacking.is_empty() {
            return Err(Error::inputs(format!(
                "phenotype '{}' is missing from {}; choose phenotypes every party has with --pheno",
                echo(phenotype),
                lacking.join("; ")
            )));
        }
    }
    Ok(())
}

/// The merge itself, once the arguments are checked and the outputs locked.
fn run_merge(job: &MergeJob, note: &mut dyn FnMut(&str)) -> Result<MergeReport> {
    let started = Instant::now();
    let mut log = Vec::new();
    let mut note = |line: String| {
        note(&line);
        log.push(line);
    };
    note(format!(
        "dash {} merge of {} summaries",
        env!("CARGO_PKG_VERSION"),
        job.summaries.len()
    ));
    let (merged, secure) = open_inputs(&job.summaries)?;
    match &secure {
        Some(info) => {
            note(describe_secure(&merged, info));
            note(format!(
                "--min-cell {}: variants with 1 to {} pooled ALT or REF carriers are skipped (reason min_cell)",
                job.options.min_cell,
                job.options.min_cell.saturating_sub(1)
            ));
        }
        None => {
            for summary in &merged.inputs {
                note(describe_plaintext(summary));
            }
            note(format!(
                "{} distinct variants across {} parties",
                merged.sites.len(),
                merged.component_count()
            ));
        }
    }

    let options = &job.options;
    let phenotypes = options
        .phenotypes
        .clone()
        .unwrap_or_else(|| merged.default_phenotypes());
    check_phenotypes(&merged, &phenotypes)?;
    let date = output::meta::today();
    let mut files = Vec::new();
    for phenotype in &phenotypes {
        let results = merged.test_phenotype(phenotype, options)?;
        let (written, line) = report::write_phenotype(&merged, &results, &job.out, &date)?;
        note(line);
        files.extend(written);
    }
    // The merged summary is renamed into place by its writer; it stays only if the whole set
    // of per-phenotype files is committed too.
    let mut summary_written = None;
    if let Some(path) = &job.summary_out {
        let rows = summary_out::write(&merged, &phenotypes, options, path)?;
        summary_written = Some(Provisional::new(path));
        note(format!(
            "merged summary: {rows} variants of {} parties → {}",
            merged.component_count(),
            path.display()
        ));
    }
    note(format!(
        "finished in {:.2}s",
        started.elapsed().as_secs_f64()
    ));
    files.push(report::write_log(&job.out, &log)?);
    // Freeing the summaries (many small allocations) was a visible share of a merge; it
    // overlaps syncing the files.
    let freeing = std::thread::spawn(move || drop(merged));
    let committed = commit_all(files);
    let _ = freeing.join();
    let mut files = committed?;
    if let (Some(kept), Some(path)) = (summary_written, &job.summary_out) {
        kept.keep();
        files.push(path.clone());
    }
    Ok(MergeReport { files })
}

/// The log line of a secure set.
fn describe_secure(merged: &Merged, secure: &SecureInfo) -> String {
    let c = &merged.inputs[0].header.components[0];
    let n: Vec<String> = c.groups.iter().map(|g| g.n.to_string()).collect();
    format!(
        "secure merge of {} summaries: checksums intact, each signed by its party's roster key; every roster party present ({}), masks cancelled (canary 0); roster fingerprint {} (compare it with the agreed one), manifest {}…; {} variants, pooled n per group {}",
        secure.files.len(),
        secure.parties.join(", "),
        secure.roster_hash,
        short(&secure.manifest_hash),
        merged.inputs[0].rows.len(),
        n.join("/")
    )
}

/// The log line of one plaintext summary.
fn describe_plaintext(summary: &Summary) -> String {
    let parties: Vec<String> = summary
        .header
        .components
        .iter()
        .map(|c| {
            let n: Vec<String> = c.groups.iter().map(|g| g.n.to_string()).collect();
            let rules = match &c.disclosure {
                Some(d) => format!(
                    "--min-cell {}: {} variants suppressed, {} imputed locally",
                    d.min_cell, d.suppressed_variants, d.locally_imputed_variants
                ),
                None => "no disclosure rules recorded".to_string(),
            };
            format!("{} (n per group {}; {rules})", c.party, n.join("/"))
        })
        .collect();
    format!(
        "{}: {} variants from {}",
        summary.path.display(),
        summary.rows.len(),
        parties.join(", ")
    )
}
