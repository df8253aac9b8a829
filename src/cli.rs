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
    /// Make a party's X25519 key pair for secure combine: NAME.key (secret, 0600) and NAME.pub.
    Keygen(KeygenArgs),
    /// Check and assemble the consortium roster from the parties' .pub files.
    Roster(RosterArgs),
    /// Build a variant manifest (the rows of secure summaries) from variant lists.
    Manifest(ManifestArgs),
}

/// `dash keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Writes NAME.key (secret, mode 0600) and NAME.pub (the party's roster line).
    #[arg(long, value_name = "NAME")]
    out: PathBuf,
    /// Party name in NAME.pub (default: the file name of NAME).
    #[arg(long)]
    party: Option<String>,
}

/// `dash roster`.
#[derive(Debug, Args)]
pub struct RosterArgs {
    /// Parties' .pub files (or rosters) to combine.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write the canonical roster here (default: print it on stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `dash manifest`.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// Variant lists: PLINK .bim (or .bed), VCF/BCF (sites), or manifests.
    #[arg(required = true)]
    lists: Vec<PathBuf>,
    /// Keep only variants in every list (default: the union).
    #[arg(long)]
    intersect: bool,
    /// Output manifest.
    #[arg(long)]
    out: PathBuf,
}

/// `dash decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    input: GenotypeInput,
}

/// The genotype source and how to read it; shared by `compress` and `decode`.
#[derive(Debug, Args)]
pub struct GenotypeInput {
    /// Genotypes: PLINK 1 .bed (or its prefix, with .bim/.fam beside it), .vcf, .vcf.gz or .bcf.
    genotypes: PathBuf,
    /// Only variants in CHR or CHR:START-END (for compress: a shard of this party).
    #[arg(long)]
    region: Option<String>,
    /// Dosage field: GT (hard calls), DS, or auto.
    #[arg(long, default_value = "auto")]
    dosage_field: String,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Variants per block (default: sized to ~32 MiB of genotypes).
    #[arg(long, hide = true)]
    block_size: Option<usize>,
}

impl GenotypeInput {
    /// Sets up the thread pool and opens the reader; returns it with the parsed region.
    fn open(&self) -> Result<(Box<dyn genotype::BlockReader>, Option<Region>)> {
        init_threads(self.threads)?;
        let region = self.region.as_deref().map(Region::parse).transpose()?;
        let dosage_field = DosageField::parse(&self.dosage_field)?;
        let reader = genotype::open(&self.genotypes, region.as_ref(), dosage_field)?;
        Ok((reader, region))
    }
}

/// `dash compress`.
#[derive(Debug, Args)]
pub struct CompressArgs {
    #[command(flatten)]
    input: GenotypeInput,
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
    /// Write a secure (masked) summary: needs --roster, --key and --manifest.
    #[arg(long, requires_all = ["roster", "key", "manifest"])]
    secure: bool,
    /// Consortium roster (secure mode).
    #[arg(long, requires = "secure")]
    roster: Option<PathBuf>,
    /// This party's secret key, from `dash keygen` (secure mode).
    #[arg(long, requires = "secure")]
    key: Option<PathBuf>,
    /// Variant manifest: the rows of the secure summary (secure mode).
    #[arg(long, requires = "secure")]
    manifest: Option<PathBuf>,
    /// Agreed levels of a categorical covariate, COVAR=L1,L2,… (secure mode; repeatable).
    #[arg(long, requires = "secure", value_name = "COVAR=LEVELS")]
    covar_levels: Vec<String>,
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
        Command::Keygen(args) => run_keygen(args),
        Command::Roster(args) => run_roster(args),
        Command::Manifest(args) => run_manifest(args),
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

/// The default party name: the genotype file name without its format extension, so the same
/// cohort gets the same name (and component id) from `.bed` and `.vcf.gz`.
fn party_from_file_name(name: &str) -> String {
    [
        ".vcf.bgz", ".vcf.gz", ".vcf", ".bcf", ".bed", ".bim", ".fam",
    ]
    .iter()
    .find_map(|ext| name.strip_suffix(ext))
    .unwrap_or(name)
    .to_string()
}

fn run_compress(args: &CompressArgs) -> Result<()> {
    let started = Instant::now();
    let (mut reader, region) = args.input.open()?;
    let pheno = Table::read(&args.pheno)?;
    let covar = args.covar.as_deref().map(Table::read).transpose()?;
    if args.secure && region.is_some() {
        return Err(Error::usage(
            "--region cannot be used with --secure: the manifest fixes the rows (use one manifest per region instead)",
        ));
    }
    let fields = if args.secure {
        // The layout must not depend on file column order: names sorted.
        let sorted = |names: Option<&[String]>, table: &Table| -> Vec<String> {
            let mut names = names.map_or_else(|| table.columns().to_vec(), <[String]>::to_vec);
            names.sort();
            names
        };
        let pheno_names = sorted(args.pheno_name.as_deref(), &pheno);
        let covar_names = covar
            .as_ref()
            .map(|table| sorted(args.covar_name.as_deref(), table));
        SampleFields::build_with(
            reader.samples(),
            &pheno,
            Some(&pheno_names),
            covar.as_ref(),
            covar_names.as_deref(),
            &crate::secure::secure_field_options(crate::secure::parse_levels(&args.covar_levels)?),
        )?
    } else {
        SampleFields::build(
            reader.samples(),
            &pheno,
            args.pheno_name.as_deref(),
            covar.as_ref(),
            args.covar_name.as_deref(),
        )?
    };
    eprintln!("dash compress: {}", fields.report);
    for group in &fields.groups {
        eprintln!(
            "dash compress: group [{}]: {} samples, {} fields",
            group.phenotypes.join(", "),
            group.n(),
            group.fields.len()
        );
    }
    let stem = file_name(&args.input.genotypes);
    let options = CompressOptions {
        party: args
            .party
            .clone()
            .unwrap_or_else(|| party_from_file_name(&stem)),
        source_file: stem,
        region: region.as_ref().map(|r| r.to_string()),
        block_size: args.input.block_size,
        progress: true,
    };
    if args.secure {
        let (roster, key, manifest) = (
            args.roster.as_deref().expect("clap requires it"),
            args.key.as_deref().expect("clap requires it"),
            args.manifest.as_deref().expect("clap requires it"),
        );
        let setup = crate::secure::SecureSetup::load(roster, manifest, key, args.party.as_deref())?;
        let options = CompressOptions {
            party: setup.roster.name(setup.me).to_string(),
            ..options
        };
        if setup.roster.len() == 1 {
            eprintln!("dash compress: the roster has one party: nothing is masked");
        }
        let stats = crate::secure::compress::compress_secure(
            reader.as_mut(),
            &fields,
            &options,
            &setup,
            &args.out,
        )?;
        for note in reader.notes() {
            eprintln!("dash compress: {note}");
        }
        eprintln!(
            "dash compress: secure summary of party '{}' masked against {} other roster parties; {} manifest rows ({} in the genotypes, {} of them flipped to the manifest's alleles, {} all missing); {} genotype variants not in the manifest skipped → {} in {:.2}s",
            options.party,
            stats.peers,
            stats.rows,
            stats.matched,
            stats.flipped,
            stats.rows - stats.matched,
            stats.not_in_manifest,
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
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
    let started = Instant::now();
    let (mut reader, _region) = args.input.open()?;
    let n = reader.samples().len();
    let block_size = args
        .input
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
    for note in reader.notes() {
        eprintln!("dash decode: {note}");
    }
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
    if let Some(secure) = &merged.secure {
        let c = &merged.inputs[0].header.components[0];
        let n: Vec<String> = c.groups.iter().map(|g| g.n.to_string()).collect();
        note(format!(
            "secure merge of {} summaries: every roster party present ({}), masks cancelled (canary 0); roster {}…, manifest {}…; {} variants, pooled n per group {}",
            secure.files.len(),
            secure.parties.join(", "),
            &secure.roster_hash[..16],
            &secure.manifest_hash[..16],
            merged.inputs[0].rows.len(),
            n.join("/")
        ));
    }
    for summary in merged.inputs.iter().filter(|_| merged.secure.is_none()) {
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
    if merged.secure.is_none() {
        note(format!(
            "{} distinct variants across {} parties",
            merged.sites.len(),
            merged.component_count()
        ));
    }

    let options = MergeOptions {
        phenotypes: args.pheno.clone(),
        covariates: args.covar.clone(),
        intercept: !args.no_intercept,
        per_party_intercept: args.per_party_intercept,
        min_parties: args.min_parties,
        progress: true,
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
        let (tsv, written) = output::gwas_ssf::write(&tsv_path, &merged, &results.results)?;
        let skipped_path = PathBuf::from(format!("{prefix}.{phenotype}.skipped.tsv"));
        let (skipped, skipped_count) =
            output::skipped::write(&skipped_path, &merged, &results.results)?;
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
            &written.md5,
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
    // Freeing the summaries (many small allocations) was a visible share of a merge; it
    // overlaps syncing the files.
    let freeing = std::thread::spawn(move || drop(merged));
    let committed = commit_all(files);
    let _ = freeing.join();
    committed?;
    Ok(())
}

fn run_keygen(args: &KeygenArgs) -> Result<()> {
    let party = match &args.party {
        Some(p) => p.clone(),
        None => file_name(&args.out),
    };
    let key = crate::secure::keys::SecretKey::generate()?;
    let (key_path, pub_path) = key.write_pair(&args.out, &party)?;
    eprintln!(
        "dash keygen: party '{party}': secret key → {} (keep private), public key → {} (send to the consortium)",
        key_path.display(),
        pub_path.display()
    );
    Ok(())
}

fn run_roster(args: &RosterArgs) -> Result<()> {
    let mut text = String::new();
    for input in &args.inputs {
        let part = std::fs::read_to_string(input).with_path(input)?;
        // Each input must parse on its own, so errors name the right file.
        crate::secure::keys::Roster::parse(&part, input)?;
        text.push_str(&part);
        text.push('\n');
    }
    let name = args.out.clone().unwrap_or_else(|| PathBuf::from("roster"));
    let roster = crate::secure::keys::Roster::parse(&text, &name)?;
    eprintln!(
        "dash roster: {} parties ({}), fingerprint {}",
        roster.len(),
        roster.names().join(", "),
        roster.hash()
    );
    match &args.out {
        Some(out) => {
            use std::io::Write;
            let mut file = AtomicFile::create(out)?;
            file.write_all(roster.canonical().as_bytes())
                .with_path(out)?;
            file.commit()?;
        }
        None => print!("{}", roster.canonical()),
    }
    Ok(())
}

fn run_manifest(args: &ManifestArgs) -> Result<()> {
    let lists: Vec<&Path> = args.lists.iter().map(PathBuf::as_path).collect();
    let manifest = crate::secure::manifest::Manifest::build(&lists, args.intersect)?;
    if manifest.is_empty() {
        return Err(Error::usage(
            "the manifest would be empty (no variant is in every list)",
        ));
    }
    manifest.write(&args.out)?;
    eprintln!(
        "dash manifest: {} variants ({} of {} lists) → {}, fingerprint {}",
        manifest.len(),
        if args.intersect {
            "intersection"
        } else {
            "union"
        },
        lists.len(),
        args.out.display(),
        manifest.hash()
    );
    Ok(())
}
