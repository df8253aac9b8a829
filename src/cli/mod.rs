//! The command line: parse, dispatch, report, exit codes.
//!
//! Each subcommand is a thin sequence of library calls; errors surface as one line on stderr and a
//! non-zero exit, and nothing is left at the output paths.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use dash::atomic_file::AtomicFile;
use dash::error::{echo, Error, IoResultExt, Result};
use dash::genotype::bgen::{BgenOptions, RefMode};
use dash::genotype::select::VariantSelection;
use dash::genotype::{DosageField, Region};
use dash::merge::allele_check::AlleleCheckOptions;
use dash::merge::cojo::CojoOptions;
use dash::merge::locus::VariantSpec;
use dash::merge::MergeOptions;
use dash::run::{self, CompressJob, GenotypeSource, MergeJob, SecureJob, SexJob};
use dash::samples::SampleSelection;
use dash::summary::sex::{Build, SexChromosomes, XchrModel};

/// dash: exact pooled GWAS from per-biobank summaries (compress within, combine across).
#[derive(Debug, Parser)]
#[command(name = "dash", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant (compress's flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Compress one party's genotypes, phenotypes and covariates into a summary of sums.
    Compress(CompressArgs),
    /// Merge summaries into GWAS summary statistics (GWAS-SSF).
    Merge(MergeArgs),
    /// Make the report of a merge (Manhattan and QQ plots, λGC, top loci) from its files.
    Report(ReportArgs),
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
struct KeygenArgs {
    /// Writes NAME.key (secret, mode 0600) and NAME.pub (the party's roster line).
    #[arg(long, value_name = "NAME")]
    out: PathBuf,
    /// Party name in NAME.pub (default: the file name of NAME).
    #[arg(long)]
    party: Option<String>,
}

/// `dash roster`.
#[derive(Debug, Args)]
struct RosterArgs {
    /// Parties' .pub files (or rosters) to combine.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write the canonical roster here (default: print it on stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `dash manifest`.
#[derive(Debug, Args)]
struct ManifestArgs {
    /// Variant lists: PLINK .bim (or .bed), VCF/BCF, .pgen, .bgen (sites only), or manifests.
    #[arg(required = true)]
    lists: Vec<PathBuf>,
    /// Keep only variants in every list (default: the union).
    #[arg(long)]
    intersect: bool,
    /// Output manifest.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    bgen: BgenArgs,
}

/// `dash decode`.
#[derive(Debug, Args)]
struct DecodeArgs {
    #[command(flatten)]
    input: GenotypeInput,
}

/// The genotype source and how to read it; shared by `compress` and `decode`.
#[derive(Debug, Args)]
struct GenotypeInput {
    /// Genotypes: PLINK 1 .bed (.bim/.fam beside it), PLINK 2 .pgen (.pvar[.zst]/.psam beside it),
    /// .bgen, .vcf, .vcf.gz or .bcf; or a bare prefix (the first of
    /// PREFIX.pgen/.bed/.bgen/.vcf.gz/.bcf).
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
    /// Only variants on these chromosomes, as plink2: `1-4,22,X` (repeatable: all must hold).
    #[arg(long, value_name = "CHRS")]
    chr: Vec<String>,
    /// Leave out variants on these chromosomes (plink2's --not-chr).
    #[arg(long, value_name = "CHRS")]
    not_chr: Vec<String>,
    /// Only autosomes 1-22 (plink2's --autosome).
    #[arg(long)]
    autosome: bool,
    /// Only variants named in these files: variant IDs, or with bed0/bed1 interval-BED ranges
    /// (plink2's --extract; put it after the genotype file).
    #[arg(long, num_args = 1..=3, value_name = "[bed0|bed1] FILE")]
    extract: Option<Vec<String>>,
    /// Leave out variants named in these files (as --extract).
    #[arg(long, num_args = 1..=3, value_name = "[bed0|bed1] FILE")]
    exclude: Option<Vec<String>>,
    #[command(flatten)]
    bgen: BgenArgs,
}

/// How to read a BGEN file; shared by `compress`, `decode` and `manifest`.
#[derive(Debug, Args)]
struct BgenArgs {
    /// BGEN: which allele is REF — first, last or unknown (plink2's ref-first, ref-last,
    /// ref-unknown: the last allele as provisional REF). Required for a .bgen.
    #[arg(long, value_name = "first|last|unknown")]
    bgen_ref: Option<String>,
    /// BGEN: sample IDs from this Oxford .sample file (ID_2 is the IID), instead of the file's
    /// sample block.
    #[arg(long, value_name = "FILE")]
    sample: Option<PathBuf>,
}

impl BgenArgs {
    /// The parsed options.
    fn options(&self) -> Result<BgenOptions> {
        Ok(BgenOptions {
            reference: self.bgen_ref.as_deref().map(RefMode::parse).transpose()?,
            sample_file: self.sample.clone(),
        })
    }
}

impl GenotypeInput {
    /// Sets up the thread pool and parses the source's options.
    fn source(&self) -> Result<GenotypeSource> {
        init_threads(self.threads)?;
        let region = self.region.as_deref().map(Region::parse).transpose()?;
        let dosage_field = DosageField::parse(&self.dosage_field)?;
        Ok(GenotypeSource {
            path: self.genotypes.clone(),
            region,
            dosage_field,
            block_size: self.block_size,
            selection: self.variant_selection()?,
            bgen: self.bgen.options()?,
        })
    }

    /// `--chr`, `--not-chr`, `--autosome`, `--extract`, `--exclude`.
    fn variant_selection(&self) -> Result<VariantSelection> {
        let mut selection = VariantSelection::default();
        if self.autosome {
            selection = selection.autosomes()?;
        }
        for list in &self.chr {
            selection = selection.chromosomes(list)?;
        }
        for list in &self.not_chr {
            selection = selection.not_chromosomes(list)?;
        }
        if let Some(args) = &self.extract {
            selection = selection.extract(&list_args("--extract", args)?)?;
        }
        if let Some(args) = &self.exclude {
            selection = selection.exclude(&list_args("--exclude", args)?)?;
        }
        Ok(selection)
    }
}

/// The values of `--extract`/`--exclude`: `FILE…` or `bed0|bed1 FILE…`. The flag takes up to
/// three values, so it can swallow the genotype file when written before it: say so.
fn list_args(flag: &str, args: &[String]) -> Result<Vec<String>> {
    let modifier = matches!(args[0].as_str(), "bed0" | "bed1" | "range");
    let files = &args[usize::from(modifier)..];
    if let Some(genotypes) = files.iter().find(|f| looks_like_genotypes(f)) {
        return Err(Error::usage(format!(
            "{flag} was given '{genotypes}', which looks like the genotype file: write the genotype file before {flag}"
        )));
    }
    Ok(args.to_vec())
}

/// Whether a value names a genotype file rather than a list (a `.bed` is an interval list
/// unless a `.bim` lies beside it).
fn looks_like_genotypes(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let genotype_extension = [".vcf", ".vcf.gz", ".vcf.bgz", ".bcf", ".bgen", ".pgen"]
        .iter()
        .any(|ext| lower.ends_with(ext));
    genotype_extension
        || (lower.ends_with(".bed") && Path::new(value).with_extension("bim").exists())
}

/// `dash compress`.
#[derive(Debug, Args)]
struct CompressArgs {
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
    /// Categorical covariates, comma-separated: one indicator per level. Every other covariate is
    /// numeric, and a non-numeric value in it is an error.
    #[arg(long, value_delimiter = ',', value_name = "NAME[,NAME…]")]
    covar_categorical: Vec<String>,
    /// Only samples named in this file (IIDs, `FID IID` lines, or a .fam/.psam; repeatable:
    /// samples in any of the files), as plink2's --keep.
    #[arg(long, value_name = "FILE")]
    keep: Vec<PathBuf>,
    /// Leave out samples named in this file (repeatable), as plink2's --remove.
    #[arg(long, value_name = "FILE")]
    remove: Vec<PathBuf>,
    /// Read -9 in the phenotype and covariate files as a value (by default it is missing, as in
    /// plink2).
    #[arg(long)]
    no_input_missing_phenotype: bool,
    /// Disclosure control: no released sum pins down 1 … K−1 samples (groups, categorical
    /// levels, carriers; few missing calls are imputed locally). 1 turns suppression off.
    #[arg(long, default_value_t = 5, value_name = "K")]
    min_cell: u64,
    /// plink2's chrX model: 0 skips non-PAR chrX; 1 adds sex as a covariate there and codes
    /// males 0..1; 2 (plink2's default) adds sex and codes males 0..2.
    #[arg(long, default_value_t = 2, value_name = "0|1|2", value_parser = clap::value_parser!(u8).range(0..=2))]
    xchr_model: u8,
    /// Genome build (37 or 38; also GRCh37/hg19, GRCh38/hg38), recorded in the summary; merge
    /// refuses to pool different builds. Read from a VCF header's chrX length when not given.
    #[arg(long, value_name = "37|38")]
    build: Option<String>,
    /// Treat chrX positions in PAR1/PAR2 (placed by --build) as pseudo-autosomal, as plink2's
    /// --split-par: no sex covariate, males coded as read.
    #[arg(long)]
    split_par: bool,
    /// Take each sample's sex from this covariate-file column (1/M male, 2/F female, 0/NA
    /// unknown) instead of the .fam/.psam SEX column.
    #[arg(long, value_name = "NAME")]
    sex_col: Option<String>,
    /// VCF/BCF: infer each sample's sex from its non-PAR chrX GT calls (all haploid: male; all
    /// diploid: female; both or none: unknown). Needs the build (--build or the header's chrX
    /// length); read through the .tbi/.csi index when there is one.
    #[arg(long)]
    sex_from_calls: bool,
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
    /// Also store the pairwise (LD) sums among the variants of CHR:START-END (1-based,
    /// inclusive), for exact conditional analysis and in-sample LD at merge (repeatable).
    #[arg(long, value_name = "CHR:START-END")]
    ld_region: Vec<String>,
    /// LD regions from a BED file (0-based half-open, as plink2's --extract bed0).
    #[arg(long, value_name = "FILE.bed")]
    ld_regions: Option<PathBuf>,
    /// Output summary (.parquet).
    #[arg(long)]
    out: PathBuf,
}

/// `dash merge`.
#[derive(Debug, Args)]
struct MergeArgs {
    /// Summaries to pool.
    #[arg(required = true)]
    summaries: Vec<PathBuf>,
    /// Output prefix: writes PREFIX.<pheno>.tsv.gz, its -meta.yaml, PREFIX.<pheno>.skipped.tsv,
    /// PREFIX.af_{parties,bins,outliers}.tsv, PREFIX.log and the report (PREFIX.report.html).
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
    /// No sex covariate on non-PAR chrX, as plink2's --glm no-x-sex (by default merge adds it
    /// there, as plink2 does).
    #[arg(long)]
    no_x_sex: bool,
    /// Test only variants held by at least N parties (others go to the skipped list).
    #[arg(long, default_value_t = 1, value_name = "N")]
    min_parties: usize,
    /// Secure sets: skip variants whose pooled ALT or REF carriers (or expected allele counts)
    /// number 1 … K−1. 1 turns it off. (Plaintext summaries were screened at compress.)
    #[arg(long, default_value_t = 5, value_name = "K")]
    min_cell: u64,
    #[command(flatten)]
    qc: QcArgs,
    #[command(flatten)]
    party_qc: PartyQcArgs,
    #[command(flatten)]
    description: DescriptionArgs,
    /// Also write the merged sums as a summary, to merge with later batches.
    #[arg(long, value_name = "FILE.parquet")]
    summary_out: Option<PathBuf>,
    /// Write to each GWAS-SSF file only the rows with -log10 p ≥ X (PheWAS-scale runs; the
    /// skipped lists, loci, λGC and --summary-out still cover every variant).
    #[arg(long, value_name = "X")]
    pheno_out_min_log10p: Option<f64>,
    /// Merge only the variants in CHR or CHR:START-END (reads only the row groups holding it):
    /// split a merge by chromosome, or look at one locus.
    #[arg(long, value_name = "CHR[:START-END]")]
    region: Option<String>,
    /// Also write, for every variant of the LD region holding these variants (CHR:POS:REF:ALT,
    /// comma-separated), its effect conditional on them: PREFIX.<pheno>.cond.tsv.gz (GWAS-SSF).
    #[arg(long, value_delimiter = ',', value_name = "CHR:POS:REF:ALT")]
    condition: Option<Vec<String>>,
    /// Also fit the --condition variants together: PREFIX.<pheno>.joint.tsv.
    #[arg(long, requires = "condition")]
    joint: bool,
    /// Write each LD region's pooled covariate-adjusted correlation matrix and z-scores, as
    /// FINEMAP's PREFIX.<pheno>.<CHR>_<START>_<END>.z and .ld (read by susieR::susie_rss too).
    #[arg(long)]
    ld_out: bool,
    /// Select each LD region's independently associated variants stepwise, as GCTA-COJO's
    /// --cojo-slct but on the exact pooled fits: a variant enters while its p given the
    /// selected ones is below P, and leaves when its joint p rises above P: PREFIX.<pheno>.cojo.tsv.
    #[arg(long, value_name = "P")]
    cojo_select: Option<f64>,
    /// With --cojo-select: consider a candidate only when the R² of its dosage regressed on the
    /// selected variants (after the covariates) is below R2.
    #[arg(long, requires = "cojo_select", default_value_t = CojoOptions::DEFAULT_R2_MAX, value_name = "R2")]
    cojo_collinear: f64,
    /// Rows each input holds per window of the streaming merge (tests use tiny windows).
    #[arg(long, hide = true, value_name = "N")]
    window_rows: Option<usize>,
    /// Rows per segment (of the input with the most row groups) of a merge split across the pool (tests use tiny
    /// segments).
    #[arg(long, hide = true, value_name = "N")]
    segment_rows: Option<usize>,
    /// Per-party allele-frequency check: a variant is an outlier for a party when its ALT
    /// frequency differs from the other parties' pooled frequency by more than D.
    #[arg(long, default_value_t = 0.2, value_name = "D")]
    af_diff: f64,
    /// Do not write PREFIX.report.html and its plots (dash report PREFIX makes them later).
    #[arg(long)]
    no_report: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// `dash report`.
#[derive(Debug, Args)]
struct ReportArgs {
    /// The merge's output prefix: reads PREFIX.<pheno>.tsv.gz (and .skipped.tsv, .covariates.tsv,
    /// PREFIX.log); writes PREFIX.<pheno>.{manhattan,qq}.{png,svg}, PREFIX.<pheno>.loci.tsv and
    /// PREFIX.report.html.
    prefix: PathBuf,
    /// Phenotypes to report, comma-separated (default: every PREFIX.<pheno>.tsv.gz).
    #[arg(long, value_delimiter = ',')]
    pheno: Option<Vec<String>>,
    /// Loci: variants with p below this lead or join a locus.
    #[arg(long, default_value_t = 5e-8, value_name = "P")]
    clump_p: f64,
    /// Loci: hits within this many kb of a lead join its locus.
    #[arg(long, default_value_t = 500, value_name = "KB")]
    clump_kb: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// Exit code after SIGINT (128 + 2), as shells report it.
const EXIT_SIGINT: i32 = 130;
/// Exit code after SIGTERM (128 + 15).
const EXIT_SIGTERM: i32 = 143;

/// On SIGINT or SIGTERM, a thread removes every temporary file, uncommitted output and lock of
/// this run, then exits with 130 or 143: an interrupted run leaves nothing behind.
fn handle_signals() -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| Error::io("signal handler", e))?;
    std::thread::Builder::new()
        .name("signals".to_string())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let (name, code) = if signal == SIGINT {
                    ("SIGINT", EXIT_SIGINT)
                } else {
                    ("SIGTERM", EXIT_SIGTERM)
                };
                eprintln!("dash: stopped by {name}; partial outputs removed");
                dash::atomic_file::exit_removing_live_files(code);
            }
        })
        .map_err(|e| Error::io("signal handler", e))?;
    Ok(())
}

/// Runs the command line; returns the process exit code: 0 on success, 1 when the inputs are
/// bad or something fails, 2 for a usage error (clap's own errors included), 130/143 when
/// stopped by SIGINT/SIGTERM (see docs/user-guide.md, "Exit codes").
pub fn main() -> i32 {
    let cli = Cli::parse();
    if let Err(error) = handle_signals() {
        eprintln!("dash: error: {error}");
        return error.exit_code();
    }
    let result = match &cli.command {
        Command::Compress(args) => run_compress(args),
        Command::Merge(args) => run_merge(args),
        Command::Report(args) => run_report(args),
        Command::Decode(args) => run_decode(args),
        Command::Keygen(args) => run_keygen(args),
        Command::Roster(args) => run_roster(args),
        Command::Manifest(args) => run_manifest(args),
    };
    match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("dash: error: {error}");
            error.exit_code()
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

/// `--min-cell` must be at least 1.
/// merge's pooled QC filters, with plink2's names and defaults.
#[derive(Debug, Args)]
struct QcArgs {
    /// Remove variants whose pooled non-major allele frequency is below F (plink2 --maf;
    /// bare: 0.01).
    #[arg(long, value_name = "F", num_args = 0..=1, default_missing_value = "0.01")]
    maf: Option<f64>,
    /// Remove variants whose pooled non-major allele dosage count is below C (plink2 --mac).
    #[arg(long, value_name = "C")]
    mac: Option<f64>,
    /// Remove variants whose pooled missing-call rate is above F (plink2 --geno; bare: 0.1).
    #[arg(long, value_name = "F", num_args = 0..=1, default_missing_value = "0.1")]
    geno: Option<f64>,
    /// Remove variants whose pooled Hardy–Weinberg exact-test p-value is below P (plink2 --hwe;
    /// add `midp` for the mid-p).
    #[arg(long, value_name = "P [midp]", num_args = 1..=2)]
    hwe: Option<Vec<String>>,
    /// Remove variants whose pooled MACH r² (imputation quality) is below R.
    #[arg(long, value_name = "R")]
    min_info: Option<f64>,
}

impl QcArgs {
    /// The filters, each value checked against its range (a usage error otherwise).
    fn filters(&self) -> Result<dash::qc::QcFilters> {
        qc_filters(
            "",
            self.maf,
            self.mac,
            self.geno,
            self.hwe.as_deref(),
            self.min_info,
        )
    }
}

/// merge's per-party QC filters: plink2's filters on each party's own counts.
#[derive(Debug, Args)]
struct PartyQcArgs {
    /// Leave a party out of a variant whose non-major allele frequency in that party is below F
    /// (as --maf, per party; bare: 0.01).
    #[arg(long, value_name = "F", num_args = 0..=1, default_missing_value = "0.01")]
    party_maf: Option<f64>,
    /// Leave a party out of a variant whose non-major allele dosage count in that party is
    /// below C (as --mac, per party).
    #[arg(long, value_name = "C")]
    party_mac: Option<f64>,
    /// Leave a party out of a variant whose missing-call rate in that party is above F (as
    /// --geno, per party; bare: 0.1).
    #[arg(long, value_name = "F", num_args = 0..=1, default_missing_value = "0.1")]
    party_geno: Option<f64>,
    /// Leave a party out of a variant whose Hardy–Weinberg exact-test p-value in that party is
    /// below P (as --hwe, per party; add `midp` for the mid-p).
    #[arg(long, value_name = "P [midp]", num_args = 1..=2)]
    party_hwe: Option<Vec<String>>,
    /// Leave a party out of a variant whose MACH r² in that party is below R (as --min-info,
    /// per party).
    #[arg(long, value_name = "R")]
    party_min_info: Option<f64>,
}

impl PartyQcArgs {
    /// The filters, each value checked against its range (a usage error otherwise).
    fn filters(&self) -> Result<dash::qc::QcFilters> {
        qc_filters(
            "party-",
            self.party_maf,
            self.party_mac,
            self.party_geno,
            self.party_hwe.as_deref(),
            self.party_min_info,
        )
    }
}

/// plink2's QC filters from their flags (`--{prefix}maf` …), each value checked against its
/// range (a usage error naming the flag otherwise).
fn qc_filters(
    prefix: &str,
    maf: Option<f64>,
    mac: Option<f64>,
    geno: Option<f64>,
    hwe: Option<&[String]>,
    min_info: Option<f64>,
) -> Result<dash::qc::QcFilters> {
    let within = |flag: &str, value: Option<f64>, high: f64| -> Result<Option<f64>> {
        match value {
            Some(v) if !(0.0..=high).contains(&v) => Err(Error::usage(format!(
                "--{prefix}{flag} {v}: must be between 0 and {high}"
            ))),
            v => Ok(v),
        }
    };
    let hwe = match hwe {
        None => None,
        Some([p, rest @ ..]) => {
            let midp = match rest {
                [] => false,
                [m] if m == "midp" => true,
                [other] => {
                    return Err(Error::usage(format!(
                        "--{prefix}hwe: unknown modifier '{other}' (expected 'midp')"
                    )))
                }
                _ => unreachable!("clap takes at most two values"),
            };
            let threshold: f64 = p
                .parse()
                .map_err(|_| Error::usage(format!("--{prefix}hwe '{p}': not a number")))?;
            let threshold = within("hwe", Some(threshold), 1.0)?.expect("given");
            Some(dash::qc::filters::HweFilter { threshold, midp })
        }
        Some([]) => unreachable!("clap takes at least one value"),
    };
    Ok(dash::qc::QcFilters {
        maf: within("maf", maf, 0.5)?,
        mac: within("mac", mac, f64::MAX)?,
        geno: within("geno", geno, 1.0)?,
        hwe,
        min_info: within("min-info", min_info, 1.0)?,
    })
}

/// What merge writes into each `-meta.yaml` about the study (GWAS-SSF metadata fields; "NR",
/// not reported, when not given).
#[derive(Debug, Args)]
struct DescriptionArgs {
    /// The trait, for the metadata's trait_description (default: the phenotype's name).
    #[arg(long, value_name = "TEXT")]
    trait_description: Option<String>,
    /// Sample ancestry categories (GWAS Catalog terms, e.g. European,African American or Afro-Caribbean), comma-separated.
    #[arg(long, value_name = "CATEGORY,...", value_delimiter = ',')]
    ancestry: Vec<String>,
    /// Genotyping technologies (e.g. Genome-wide genotyping array,Exome genotyping array), comma-separated.
    #[arg(long, value_name = "TECHNOLOGY,...", value_delimiter = ',')]
    genotyping_technology: Vec<String>,
}

fn check_min_cell(k: u64) -> Result<u64> {
    match k {
        0 => Err(Error::usage(
            "--min-cell must be at least 1 (1 turns suppression off)",
        )),
        k => Ok(k),
    }
}

/// `--build`: 37 or 38 (or a name of either).
fn parse_build(text: &str) -> Result<Build> {
    Build::parse(text).ok_or_else(|| {
        Error::usage(format!(
            "--build {text}: expected 37 or 38 (GRCh37/hg19, GRCh38/hg38)"
        ))
    })
}

/// `--pheno-out-min-log10p X`: a finite X ≥ 0 (0 keeps every row).
fn check_min_log10p(x: Option<f64>) -> Result<Option<f64>> {
    match x {
        Some(x) if !(x.is_finite() && x >= 0.0) => Err(Error::usage(format!(
            "--pheno-out-min-log10p must be a number ≥ 0 (a -log10 p), not {x}"
        ))),
        x => Ok(x),
    }
}

fn run_compress(args: &CompressArgs) -> Result<()> {
    let min_cell = check_min_cell(args.min_cell)?;
    let genotypes = args.input.source()?;
    let secure = if args.secure {
        Some(SecureJob {
            roster: args.roster.clone().expect("clap requires it"),
            key: args.key.clone().expect("clap requires it"),
            manifest: args.manifest.clone().expect("clap requires it"),
            levels: dash::secure::parse_levels(&args.covar_levels)?,
        })
    } else {
        None
    };
    let job = CompressJob {
        genotypes,
        pheno: args.pheno.clone(),
        pheno_names: args.pheno_name.clone(),
        covar: args.covar.clone(),
        covar_names: args.covar_name.clone(),
        covar_categorical: args.covar_categorical.clone(),
        samples: SampleSelection::read(&args.keep, &args.remove)?,
        no_input_missing_phenotype: args.no_input_missing_phenotype,
        min_cell,
        party: args.party.clone(),
        secure,
        ld_regions: ld_regions(args)?,
        out: args.out.clone(),
        progress: true,
        sex: SexJob {
            record: SexChromosomes {
                xchr_model: XchrModel::from_number(args.xchr_model).expect("clap checks 0..=2"),
                build: args.build.as_deref().map(parse_build).transpose()?,
                split_par: args.split_par,
            },
            column: args.sex_col.clone(),
            from_calls: args.sex_from_calls,
        },
    };
    run::compress(&job, &mut |line| eprintln!("dash compress: {line}"))
}

/// `--ld-region` and `--ld-regions`, together.
fn ld_regions(args: &CompressArgs) -> Result<Vec<Region>> {
    let mut regions: Vec<Region> = args
        .ld_region
        .iter()
        .map(|text| {
            Region::parse(text).map_err(|_| {
                Error::usage(format!(
                    "--ld-region '{}': expected CHR:START-END",
                    echo(text)
                ))
            })
        })
        .collect::<Result<_>>()?;
    if let Some(path) = &args.ld_regions {
        regions.extend(dash::compress::ld::regions::read_bed(path)?);
    }
    Ok(regions)
}

fn run_decode(args: &DecodeArgs) -> Result<()> {
    let source = args.input.source()?;
    let report = run::decode(&source).map_err(Error::found_in_inputs)?;
    for note in &report.notes {
        eprintln!("dash decode: {note}");
    }
    let (variants, n, seconds) = (report.variants, report.samples, report.seconds);
    let genotypes = variants as f64 * n as f64;
    println!(
        "decoded {variants} variants x {n} samples = {genotypes:.0} genotypes in {seconds:.3} s \
         ({:.1} M genotypes/s; dosage sum {})",
        genotypes / seconds / 1e6,
        report.checksum
    );
    Ok(())
}

fn run_merge(args: &MergeArgs) -> Result<()> {
    init_threads(args.threads)?;
    let job = MergeJob {
        summaries: args.summaries.clone(),
        out: args.out.clone(),
        options: MergeOptions {
            phenotypes: args.pheno.clone(),
            covariates: args.covar.clone(),
            intercept: !args.no_intercept,
            per_party_intercept: args.per_party_intercept,
            min_parties: args.min_parties,
            progress: true,
            min_cell: check_min_cell(args.min_cell)?,
            no_x_sex: args.no_x_sex,
            qc: args.qc.filters()?,
            party_qc: args.party_qc.filters()?,
        },
        description: dash::output::meta::Description {
            trait_description: args.description.trait_description.clone(),
            ancestry: args.description.ancestry.clone(),
            genotyping_technology: args.description.genotyping_technology.clone(),
        },
        summary_out: args.summary_out.clone(),
        min_neg_log10_p: check_min_log10p(args.pheno_out_min_log10p)?,
        region: args.region.as_deref().map(Region::parse).transpose()?,
        window_rows: args.window_rows,
        segment_rows: args.segment_rows,
        allele_check: AlleleCheckOptions {
            max_difference: check_af_diff(args.af_diff)?,
        },
        report: (!args.no_report).then(dash::report::ReportOptions::default),
        locus: match (&args.condition, args.ld_out, args.cojo_select) {
            (None, false, None) => None,
            (list, ld_out, cojo) => Some(run::LocusJob {
                condition: list
                    .iter()
                    .flatten()
                    .map(|v| VariantSpec::parse(v))
                    .collect::<Result<_>>()?,
                joint: args.joint,
                ld_out,
                cojo: cojo
                    .map(|p| CojoOptions::new(p, args.cojo_collinear))
                    .transpose()?,
            }),
        },
    };
    run::merge(&job, &mut |line| eprintln!("dash merge: {line}"))?;
    Ok(())
}

/// `--af-diff` is a frequency difference: in (0, 1).
fn check_af_diff(value: f64) -> Result<f64> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(Error::usage(format!(
            "--af-diff {value}: must be above 0 and below 1"
        )))
    }
}

fn run_report(args: &ReportArgs) -> Result<()> {
    init_threads(args.threads)?;
    if !(args.clump_p > 0.0 && args.clump_p <= 1.0) {
        return Err(Error::usage("--clump-p must be in (0, 1]"));
    }
    let clump_window = args
        .clump_kb
        .checked_mul(1000)
        .ok_or_else(|| Error::usage("--clump-kb is too large"))?;
    let options = dash::report::ReportOptions {
        digest: dash::report::digest::DigestOptions {
            clump_p: args.clump_p,
            clump_window,
        },
        phenotypes: args.pheno.clone(),
        ..Default::default()
    };
    dash::atomic_file::check_output_dir(&args.prefix)?;
    let _lock = dash::atomic_file::OutputLock::acquire(&args.prefix)?;
    // A usage error stays one (exit 2); the rest are about the files.
    let files = dash::report::build(&args.prefix, &options, &mut |line| {
        eprintln!("dash report: {line}")
    })?;
    if let Some(html) = files.last() {
        eprintln!(
            "dash report: {} files written; open {}",
            files.len(),
            html.display()
        );
    }
    Ok(())
}

fn run_keygen(args: &KeygenArgs) -> Result<()> {
    let party = match &args.party {
        Some(p) => p.clone(),
        None => file_name(&args.out),
    };
    let key = dash::secure::keys::SecretKey::generate()?;
    let (key_path, pub_path) = key.write_pair(&args.out, &party)?;
    eprintln!(
        "dash keygen: party '{party}': secret key → {} (keep private), public key → {} (send to the consortium)",
        key_path.display(),
        pub_path.display()
    );
    Ok(())
}

fn run_roster(args: &RosterArgs) -> Result<()> {
    roster(args).map_err(Error::found_in_inputs)
}

fn roster(args: &RosterArgs) -> Result<()> {
    let mut text = String::new();
    for input in &args.inputs {
        let part = std::fs::read_to_string(input).with_path(input)?;
        // Each input must parse on its own, so errors name the right file.
        dash::secure::keys::Roster::parse(&part, input)?;
        text.push_str(&part);
        text.push('\n');
    }
    let name = args.out.clone().unwrap_or_else(|| PathBuf::from("roster"));
    let roster = dash::secure::keys::Roster::parse(&text, &name)?;
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
    let manifest =
        dash::secure::manifest::Manifest::build(&lists, args.intersect, &args.bgen.options()?)
            .map_err(Error::found_in_inputs)?;
    if manifest.is_empty() {
        return Err(Error::inputs(
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
