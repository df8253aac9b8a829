//! `dash merge`: summaries → GWAS-SSF per phenotype, skipped lists, metadata, log.

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::atomic_file::commit_all;
use crate::error::{Error, Result};
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
pub fn merge(job: &MergeJob, note: &mut dyn FnMut(&str)) -> Result<MergeReport> {
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
        Some(info) => note(describe_secure(&merged, info)),
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
    let date = output::meta::today();
    let mut files = Vec::new();
    for phenotype in &phenotypes {
        let results = merged.test_phenotype(phenotype, options)?;
        let (written, line) = report::write_phenotype(&merged, &results, &job.out, &date)?;
        note(line);
        files.extend(written);
    }
    if let Some(path) = &job.summary_out {
        let rows = summary_out::write(&merged, &phenotypes, options, path)?;
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
    Ok(MergeReport { files: committed? })
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
            format!("{} (n per group {})", c.party, n.join("/"))
        })
        .collect();
    format!(
        "{}: {} variants from {}",
        summary.path.display(),
        summary.rows.len(),
        parties.join(", ")
    )
}
