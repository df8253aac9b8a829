//! The command line: parse, dispatch, report, exit codes.
//!
//! Each subcommand is a thin sequence of library calls; errors surface as one line on stderr and a
//! non-zero exit, and nothing is left at the output paths.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use crate::atomic_file::{commit_all, AtomicFile};
use crate::compress::{compress, CompressOptions};
use crate::error::{Error, IoResultExt, Kind, Result};
use crate::genotype::{self, DosageField, Region};
use crate::merge::{MergeOptions, Merged};
use crate::output;
use crate::samples::{SampleFields, Table};

/// dash: exact pooled GWAS from per-biobank summaries (compress within, combine across).
#[derive(Debug, Parser)]
#[command(name = "dash", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compress one party's genotypes, phenotypes and covariates into a summary of sums.
    Compress(CompressArgs),
    /// Merge summaries into GWAS summary statistics (GWAS-SSF).
    Merge(MergeArgs),
    /// Read and decode genotypes only, no math: the speed floor of compress.
    Decode(DecodeArgs),
}

/// `dash decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Genotypes, as for compress.
    genotypes: PathBuf,
    /// Only variants in CHR or CHR:START-END.
    #[arg(long)]
    region: Option<String>,
    /// Dosage field: GT (hard calls), DS, or auto.
    #[arg(long, default_value = "auto")]
    dosage_field: String,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Variants per block (default: sized to ~32 MiB of dosages).
    #[arg(long)]
    block_size: Option<usize>,
}

/// `dash compress`.
#[derive(Debug, Args)]
pub struct CompressArgs {
    /// Genotypes: PLINK 1 .bed (or its prefix, with .bim/.fam beside it).
    genotypes: PathBuf,
    /// Phenotype file (header `#FID IID …`, `FID IID …`, `#IID …` or `IID …`).
    #[arg(long)]
    pheno: PathBuf,
    /// Phenotype columns to use, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pheno_name: Option<Vec<String>>,
    /// Covariate file (same header forms).
    #[arg(long)]
    covar: Option<PathBuf>,
    /// Covariate columns to use, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    covar_name: Option<Vec<String>>,
    /// Party name recorded in the summary (default: the genotype file's name).
    #[arg(long)]
    party: Option<String>,
    /// Only variants in CHR or CHR:START-END (writes a shard of this party).
    #[arg(long)]
    region: Option<String>,
    /// Dosage field: GT (hard calls), DS, or auto.
    #[arg(long, default_value = "auto")]
    dosage_field: String,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Variants per block (default: sized to ~32 MiB of dosages).
    #[arg(long, hide = true)]
    block_size: Option<usize>,
    /// Output summary (.parquet).
    #[arg(long)]
    out: PathBuf,
}

/// `dash merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Summaries to pool.
    #[arg(required = true)]
    summaries: Vec<PathBuf>,
    /// Output prefix: writes PREFIX.<pheno>.tsv.gz, its -meta.yaml, PREFIX.<pheno>.skipped.tsv, PREFIX.log.
    #[arg(long)]
    out: PathBuf,
    /// Phenotypes to test, comma-separated (default: all of the first summary).
    #[arg(long, value_delimiter = ',')]
    pheno: Option<Vec<String>>,
    /// Covariates to adjust for, comma-separated (default: all compressed covariates).
    #[arg(long, value_delimiter = ',')]
    covar: Option<Vec<String>>,
    /// Fit without an intercept.
    #[arg(long)]
    no_intercept: bool,
    /// Add an intercept per party (an indicator column per party; single-party summaries only).
    #[arg(long)]
    per_party_intercept: bool,
    /// Test only variants held by at least N parties (others go to the skipped list).
    #[arg(long, default_value_t = 1, value_name = "N")]
    min_parties: usize,
    /// Also write the merged sums as a summary, to merge with later batches.
    #[arg(long, value_name = "FILE.parquet")]
    summary_out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Compress(args) => run_compress(args),
        Command::Merge(args) => run_merge(args),
        Command::Decode(args) => run_decode(args),
    };
    match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("dash: error: {error}");
            match error.kind() {
                Kind::Usage => 2,
                _ => 1,
            }
        }
    }
}

fn init_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        if n == 0 {
            return Err(Error::usage("--threads must be at least 1"));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Error::usage(format!("--threads: {e}")))?;
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn run_compress(args: &CompressArgs) -> Result<()> {
    init_threads(args.threads)?;
    let started = Instant::now();
    let region = args.region.as_deref().map(Region::parse).transpose()?;
    let dosage_field = DosageField::parse(&args.dosage_field)?;
    let mut reader = genotype::open(&args.genotypes, region.as_ref(), dosage_field)?;
    let pheno = Table::read(&args.pheno)?;
    let covar = args.covar.as_deref().map(Table::read).transpose()?;
    let fields = SampleFields::build(
        reader.samples(),
        &pheno,
        args.pheno_name.as_deref(),
        covar.as_ref(),
        args.covar_name.as_deref(),
    )?;
    eprintln!("dash compress: {}", fields.report);
    for group in &fields.groups {
        eprintln!(
            "dash compress: group [{}]: {} samples, {} fields",
            group.phenotypes.join(", "),
            group.n(),
            group.fields.len()
        );
    }
    let stem = file_name(&args.genotypes);
    let options = CompressOptions {
        party: args
            .party
            .clone()
            .unwrap_or_else(|| stem.trim_end_matches(".bed").to_string()),
        source_file: stem,
        region: region.as_ref().map(|r| r.to_string()),
        block_size: args.block_size,
        progress: true,
    };
    let stats = compress(reader.as_mut(), &fields, &options, &args.out)?;
    for note in reader.notes() {
        eprintln!("dash compress: {note}");
    }
    eprintln!(
        "dash compress: {} variants → {} in {:.2}s",
        stats.variants,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_decode(args: &DecodeArgs) -> Result<()> {
    init_threads(args.threads)?;
    let started = Instant::now();
    let region = args.region.as_deref().map(Region::parse).transpose()?;
    let dosage_field = DosageField::parse(&args.dosage_field)?;
    let mut reader = genotype::open(&args.genotypes, region.as_ref(), dosage_field)?;
    let n = reader.samples().len();
    let block_size = args
        .block_size
        .unwrap_or_else(|| crate::compress::default_block_size(n, reader.delivers_packed()));
    let (mut variants, mut checksum) = (0u64, 0.0f64);
    crate::compress::pipeline::for_each_block(
        reader.as_mut(),
        block_size,
        |block| {
            block.finish_decoding();
            // Touch the decoded data so the work cannot be skipped.
            let sum: f64 = block.qc.iter().map(|q| q.dosage_sum).sum();
            (block.len() as u64, sum)
        },
        |(count, sum)| {
            variants += count;
            checksum += sum;
            Ok(())
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let genotypes = variants as f64 * n as f64;
    println!(
        "decoded {variants} variants x {n} samples = {genotypes:.0} genotypes in {seconds:.3} s \
         ({:.1} M genotypes/s; dosage sum {checksum})",
        genotypes / seconds / 1e6
    );
    Ok(())
}

fn run_merge(args: &MergeArgs) -> Result<()> {
    init_threads(args.threads)?;
    let started = Instant::now();
    let mut log = Vec::new();
    let mut note = |line: String| {
        eprintln!("dash merge: {line}");
        log.push(line);
    };
    note(format!(
        "dash {} merge of {} summaries",
        env!("CARGO_PKG_VERSION"),
        args.summaries.len()
    ));
    let merged = Merged::open(&args.summaries)?;
    for summary in &merged.inputs {
        let parties: Vec<String> = summary
            .header
            .components
            .iter()
            .map(|c| {
                let n: Vec<String> = c.groups.iter().map(|g| g.n.to_string()).collect();
                format!("{} (n per group {})", c.party, n.join("/"))
            })
            .collect();
        note(format!(
            "{}: {} variants from {}",
            summary.path.display(),
            summary.rows.len(),
            parties.join(", ")
        ));
    }
    note(format!(
        "{} distinct variants across {} parties",
        merged.sites.len(),
        merged.component_count()
    ));

    let options = MergeOptions {
        phenotypes: args.pheno.clone(),
        covariates: args.covar.clone(),
        intercept: !args.no_intercept,
        per_party_intercept: args.per_party_intercept,
        min_parties: args.min_parties,
    };
    let phenotypes = options
        .phenotypes
        .clone()
        .unwrap_or_else(|| merged.default_phenotypes());
    let prefix = args.out.to_string_lossy().into_owned();
    let date = output::meta::today();
    let parties = merged.parties();
    let mut files: Vec<AtomicFile> = Vec::new();
    for phenotype in &phenotypes {
        let results = merged.test_phenotype(phenotype, &options)?;
        let tsv_path = PathBuf::from(format!("{prefix}.{phenotype}.tsv.gz"));
        let (tsv, written) = output::gwas_ssf::write(&tsv_path, &merged.sites, &results.results)?;
        let skipped_path = PathBuf::from(format!("{prefix}.{phenotype}.skipped.tsv"));
        let (skipped, skipped_count) =
            output::skipped::write(&skipped_path, &merged.sites, &results.results)?;
        // The checksum is of the complete data file, read back from its temporary name.
        let mut tsv = tsv;
        std::io::Write::flush(&mut tsv).with_path(&tsv_path)?;
        let md5 = output::meta::md5_file(tsv.temp_path())?;
        let meta_path = PathBuf::from(format!("{prefix}.{phenotype}.tsv.gz-meta.yaml"));
        let adjusted: Vec<String> = results
            .covariate_columns
            .iter()
            .filter(|c| c.as_str() != "intercept")
            .cloned()
            .collect();
        let meta = output::meta::write(
            &meta_path,
            &output::meta::Metadata {
                data_file_name: &file_name(&tsv_path),
                trait_description: phenotype,
                sample_size: written.max_n,
                date: &date,
                covariates: &adjusted,
                parties: &parties,
            },
            &md5,
        )?;
        note(format!(
            "phenotype {phenotype}: {} tested, {} skipped, covariates [{}], {} party set(s)",
            written.rows,
            skipped_count,
            results.covariate_columns.join(", "),
            results.party_sets
        ));
        files.extend([tsv, skipped, meta]);
    }
    if let Some(path) = &args.summary_out {
        let rows = crate::merge::summary_out::write(&merged, &phenotypes, &options, path)?;
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
    let log_path = PathBuf::from(format!("{prefix}.log"));
    let mut log_file = AtomicFile::create(&log_path)?;
    {
        use std::io::Write;
        for line in &log {
            writeln!(log_file, "{line}").with_path(&log_path)?;
        }
    }
    files.push(log_file);
    commit_all(files)?;
    Ok(())
}
