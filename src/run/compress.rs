//! `dash compress`: one party's genotypes and sample files → a summary (plaintext or masked).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::merge::check_unique;
use super::{file_name, party_from_file_name};
use crate::atomic_file::{check_output_dir, OutputLock};
use crate::compress::ld::{self, LdSums};
use crate::compress::{compress_with_ld, variant_rules, CompressOptions};
use crate::error::{echo, Error, Result};
use crate::genotype::select::{SelectedReader, VariantSelection};
use crate::genotype::xchr::XchrReader;
use crate::genotype::{self, ploidy, BlockReader, DosageField, Region};
use crate::samples::sex::{SampleSex, Sex};
use crate::samples::sex_inference;
use crate::samples::{BuildOptions, FieldKind, SampleFields, SampleSelection, Table};
use crate::secure::{self, SecureSetup};
use crate::summary::sex::{Build, SampleSet, SexChromosomes, XchrModel};

/// A genotype file and how to read it (shared by compress and decode).
#[derive(Debug, Clone)]
pub struct GenotypeSource {
    /// `.bed`, `.pgen`, `.bgen`, `.vcf`, `.vcf.gz`, `.bcf`, or a bare prefix.
    pub path: PathBuf,
    /// Only variants in this region.
    pub region: Option<Region>,
    /// Which field gives the dosage.
    pub dosage_field: DosageField,
    /// Variants per block (`None`: sized from the sample count).
    pub block_size: Option<usize>,
    /// `--chr`, `--extract`, …: which variants to read.
    pub selection: VariantSelection,
    /// BGEN only: which allele is REF, and a `.sample` file.
    pub bgen: genotype::bgen::BgenOptions,
}

impl GenotypeSource {
    /// Opens the reader.
    pub fn open(&self) -> Result<Box<dyn BlockReader>> {
        let reader = genotype::open_with(
            &self.path,
            self.region.as_ref(),
            self.dosage_field,
            &self.bgen,
        )?;
        Ok(match self.selection.is_everything() {
            true => reader,
            false => Box::new(SelectedReader::new(reader, self.selection.clone())),
        })
    }
}

/// What secure mode needs (`--secure`).
#[derive(Debug, Clone)]
pub struct SecureJob {
    /// The consortium roster.
    pub roster: PathBuf,
    /// This party's secret key.
    pub key: PathBuf,
    /// The variant manifest.
    pub manifest: PathBuf,
    /// Agreed levels of categorical covariates (`--covar-levels`).
    pub levels: BTreeMap<String, Vec<String>>,
}

/// One compress run.
#[derive(Debug, Clone)]
pub struct CompressJob {
    /// The genotypes.
    pub genotypes: GenotypeSource,
    /// Phenotype file.
    pub pheno: PathBuf,
    /// Phenotype columns (default: all).
    pub pheno_names: Option<Vec<String>>,
    /// Covariate file.
    pub covar: Option<PathBuf>,
    /// Covariate columns (default: all).
    pub covar_names: Option<Vec<String>>,
    /// Covariates declared categorical (`--covar-categorical`); every other one is numeric.
    pub covar_categorical: Vec<String>,
    /// `--keep`/`--remove`: which genotype samples may enter the analysis.
    pub samples: SampleSelection,
    /// `--no-input-missing-phenotype`: `-9` is a value, not missing.
    pub no_input_missing_phenotype: bool,
    /// `--min-cell K`: disclosure-control minimum cell size (1: no suppression).
    pub min_cell: u64,
    /// Party name (default: from the genotype file name; in secure mode, the key's roster name).
    pub party: Option<String>,
    /// Write a masked summary instead of a plaintext one.
    pub secure: Option<SecureJob>,
    /// `--ld-region`/`--ld-regions`: store the pairwise sums among these regions' variants.
    pub ld_regions: Vec<Region>,
    /// The summary to write.
    pub out: PathBuf,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// The sex chromosomes: `--xchr-model`, `--build`, `--split-par`, `--sex-col`.
    pub sex: SexJob,
}

/// How compress treats the sex chromosomes (DESIGN §6).
#[derive(Debug, Clone, Default)]
pub struct SexJob {
    /// `--xchr-model` and `--split-par`, and `--build` when given.
    pub record: SexChromosomes,
    /// `--sex-col NAME`: sex from this covariate-file column instead of the `.fam`/`.psam`.
    pub column: Option<String>,
    /// `--sex-from-calls`: sex inferred from the ploidy of a VCF/BCF's non-PAR chrX calls
    /// ([`crate::samples::sex_inference`]).
    pub from_calls: bool,
}

/// Runs compress; `note` gets the lines to show the user.
///
/// The arguments are checked and the output locked before any input is read; the summary is
/// written under a temporary name and renamed into place only when complete.
pub fn compress(job: &CompressJob, note: &mut dyn FnMut(String)) -> Result<()> {
    check_arguments(job)?;
    let _lock = OutputLock::acquire(&job.out)?;
    // From here on every error comes from what the files hold, so none is a usage error.
    run_compress(job, note).map_err(Error::found_in_inputs)
}

/// Refuses a compress the command line alone shows to be wrong, before any file is read.
fn check_arguments(job: &CompressJob) -> Result<()> {
    if job.secure.is_some() && job.genotypes.region.is_some() {
        return Err(Error::usage(
            "--region cannot be used with --secure: the manifest fixes the rows (use one manifest per region instead)",
        ));
    }
    crate::compress::ld::regions::check(job.ld_regions.clone(), job.genotypes.region.as_ref())?;
    check_unique("--pheno-name", job.pheno_names.as_deref())?;
    check_unique("--covar-name", job.covar_names.as_deref())?;
    if job.covar.is_none() && job.covar_names.as_ref().is_some_and(|c| !c.is_empty()) {
        return Err(Error::usage("--covar-name given without --covar"));
    }
    if let (Some(pheno), Some(covar)) = (&job.pheno_names, &job.covar_names) {
        if let Some(name) = pheno.iter().find(|p| covar.contains(p)) {
            return Err(Error::usage(format!(
                "'{}' is given both in --pheno-name and in --covar-name",
                echo(name)
            )));
        }
    }
    if let (Some(secure), Some(covar)) = (&job.secure, &job.covar_names) {
        if let Some(name) = secure.levels.keys().find(|l| !covar.contains(l)) {
            return Err(Error::usage(format!(
                "--covar-levels is given for '{}', which is not in --covar-name",
                echo(name)
            )));
        }
    }
    if job.sex.record.split_par && job.sex.record.build.is_none() {
        return Err(Error::usage(
            "--split-par needs the build that places PAR1 and PAR2: give --build 37 or 38",
        ));
    }
    if job.sex.from_calls && job.sex.column.is_some() {
        return Err(Error::usage(
            "--sex-from-calls and --sex-col are two sources of sex: give one",
        ));
    }
    if job.sex.column.is_some() && job.covar.is_none() {
        return Err(Error::usage(
            "--sex-col names a column of --covar, which is not given",
        ));
    }
    check_output_dir(&job.out)
}

/// The compression itself, once the arguments are checked and the output locked.
fn run_compress(job: &CompressJob, note: &mut dyn FnMut(String)) -> Result<()> {
    let started = Instant::now();
    let reader = job.genotypes.open()?;
    let pheno = Table::read(&job.pheno)?;
    let covar = job.covar.as_deref().map(Table::read).transpose()?;
    let record = sex_chromosomes(job, reader.as_ref())?;
    let sex = sample_sex(job, reader.as_ref(), covar.as_ref(), record, note)?;
    let fields = build_fields(job, reader.as_ref(), &pheno, covar.as_ref(), sex.clone())?;
    note(fields.report.to_string());
    note(record.describe());
    note(describe_sex(sex.as_ref(), &fields));
    let mut reader = match (record.xchr_model, &sex) {
        (XchrModel::Diploid, _) => reader,
        (_, sex) => {
            let males = sex.as_ref().map_or_else(
                || vec![false; reader.samples().len()],
                |s| s.by_sample.iter().map(|x| *x == Some(Sex::Male)).collect(),
            );
            Box::new(XchrReader::new(reader, record, males))
        }
    };
    for name in &fields.case_control {
        note(format!(
            "phenotype '{name}' is coded as plink2 codes case/control (1 control, 2 case): \
             fitted by the same linear model as any phenotype (a linear probability model), values unchanged"
        ));
    }
    for name in &fields.zero_one_two {
        note(format!(
            "phenotype '{name}' holds 0, 1 and 2: plink2 would read it as case/control with 0 \
             missing; dash reads the values as numbers (write 0 as NA to match plink2)"
        ));
    }
    for group in &fields.groups {
        note(format!(
            "group [{}]: {} samples, {} fields",
            group.phenotypes.join(", "),
            group.n(),
            group.fields.len()
        ));
    }
    let stem = file_name(&job.genotypes.path);
    let options = CompressOptions {
        party: job
            .party
            .clone()
            .unwrap_or_else(|| party_from_file_name(&stem)),
        source_file: stem,
        region: job.genotypes.region.as_ref().map(|r| r.to_string()),
        block_size: job.genotypes.block_size,
        progress: job.progress,
        min_cell: job.min_cell,
        selection: job
            .samples
            .description()
            .iter()
            .chain(job.genotypes.selection.description())
            .cloned()
            .collect(),
        sex_chromosomes: record,
    };
    let Some(secure_job) = &job.secure else {
        let ld = match job.ld_regions.is_empty() {
            true => None,
            false => Some(ld_sums(job, reader.as_ref(), &fields, &options, note)?),
        };
        let stats = compress_with_ld(reader.as_mut(), &fields, &options, ld, &job.out)?;
        reader.notes().into_iter().for_each(&mut *note);
        let total = stats.variants + stats.suppressed;
        let share = |count: u64| 100.0 * count as f64 / total.max(1) as f64;
        note(format!(
            "--min-cell {}: {} of {total} variants suppressed ({:.2}%; listed in {}, keep it local), \
             {} with few missing calls imputed locally ({:.2}%)",
            job.min_cell,
            stats.suppressed,
            share(stats.suppressed),
            crate::compress::disclosure::suppressed_path(&job.out).display(),
            stats.imputed,
            share(stats.imputed)
        ));
        note(format!(
            "{} variants → {} in {:.2}s",
            stats.variants,
            job.out.display(),
            started.elapsed().as_secs_f64()
        ));
        return Ok(());
    };
    let setup = SecureSetup::load(
        &secure_job.roster,
        &secure_job.manifest,
        &secure_job.key,
        job.party.as_deref(),
    )?;
    let options = CompressOptions {
        party: setup.roster.name(setup.me).to_string(),
        ..options
    };
    if setup.roster.len() == 1 {
        note("the roster has one party: nothing is masked".to_string());
    }
    let regions = ld::regions::check(job.ld_regions.clone(), job.genotypes.region.as_ref())?;
    let open = region_opener(job);
    let ld = (!regions.is_empty()).then(|| secure::sink::SecureLdJob {
        regions: &regions,
        open: &open,
    });
    let stats = secure::compress_secure(reader.as_mut(), &fields, &options, &setup, ld, &job.out)?;
    reader.notes().into_iter().for_each(&mut *note);
    note(format!(
        "secure summary of party '{}' masked against {} other roster parties; {} manifest rows ({} in the genotypes, {} of them flipped to the manifest's alleles, {} all missing); {} genotype variants not in the manifest skipped → {} in {:.2}s",
        options.party,
        stats.peers,
        stats.rows,
        stats.matched,
        stats.flipped,
        stats.rows - stats.matched,
        stats.not_in_manifest,
        job.out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Opens the job's genotypes restricted to a region (the LD pass reads each region on its own).
fn region_opener(job: &CompressJob) -> impl Fn(&Region) -> Result<Box<dyn BlockReader>> + '_ {
    |region: &Region| {
        GenotypeSource {
            region: Some(region.clone()),
            ..job.genotypes.clone()
        }
        .open()
    }
}

/// The pairwise sums of the job's LD regions, each read on its own first.
fn ld_sums(
    job: &CompressJob,
    reader: &dyn BlockReader,
    fields: &SampleFields,
    options: &CompressOptions,
    note: &mut dyn FnMut(String),
) -> Result<LdSums> {
    let regions = ld::regions::check(job.ld_regions.clone(), job.genotypes.region.as_ref())?;
    // The pairwise sums are of the groups' rows as the LD pass screens them, which does not yet
    // see the sex-chromosome sample sets' own disclosure cells on chrX/chrY rows.
    let set_on = |chrom: &str| {
        let set = match chrom {
            "X" => SampleSet::KnownSex,
            "Y" => SampleSet::Males,
            _ => return false,
        };
        fields.groups.iter().any(|g| g.sample_set == Some(set))
    };
    if let Some(region) = regions.iter().find(|r| set_on(&r.chrom)) {
        return Err(Error::usage(format!(
            "--ld-region {region}: LD sums on chrX/chrY are not yet taken over the sex-chromosome sample sets plink2 fits there (samples of known sex, males); leave that region out, or --remove the samples of unknown sex"
        )));
    }
    let open = region_opener(job);
    let rules = variant_rules(reader, fields, options);
    let sums = ld::compute(&open, fields, &rules, &regions)?;
    for region in &sums.regions {
        note(format!(
            "LD region {}: pairwise sums among {} variants ({} withheld by --min-cell {})",
            region.region, region.variants, region.withheld_variants, job.min_cell
        ));
    }
    Ok(sums)
}

/// The sample fields: as the files give them, or in secure mode in the agreed layout (names
/// sorted, so it does not depend on column order; levels fixed).
fn build_fields(
    job: &CompressJob,
    reader: &dyn BlockReader,
    pheno: &Table,
    covar: Option<&Table>,
    sex: Option<SampleSex>,
) -> Result<SampleFields> {
    let declared = |options: BuildOptions| BuildOptions {
        categorical: job.covar_categorical.iter().cloned().collect(),
        no_input_missing_phenotype: job.no_input_missing_phenotype,
        min_cell: job.min_cell,
        selection: job.samples.clone(),
        ..options
    };
    // Secure mode's layout may not depend on the data, and whether a group has a sex field
    // does: a secure summary carries none (non-PAR chrX needs --xchr-model 0 there).
    let plain = |options: BuildOptions| BuildOptions {
        sex: sex.clone(),
        ..declared(options)
    };
    let Some(secure_job) = &job.secure else {
        return SampleFields::build_with(
            reader.samples(),
            pheno,
            job.pheno_names.as_deref(),
            covar,
            job.covar_names.as_deref(),
            &plain(BuildOptions::default()),
        );
    };
    let sorted = |names: Option<&[String]>, table: &Table| -> Vec<String> {
        let mut names = names.map_or_else(|| table.columns().to_vec(), <[String]>::to_vec);
        names.sort();
        names
    };
    let pheno_names = sorted(job.pheno_names.as_deref(), pheno);
    let covar_names = covar.map(|table| sorted(job.covar_names.as_deref(), table));
    SampleFields::build_with(
        reader.samples(),
        pheno,
        Some(&pheno_names),
        covar,
        covar_names.as_deref(),
        &declared(secure::secure_field_options(secure_job.levels.clone())),
    )
}

/// Each genotype sample's sex: from `--sex-col`, or inferred with `--sex-from-calls`, else the
/// `.fam`/`.psam`; `None` for a format without a sample file (VCF, BCF, BGEN) unless one of the
/// two is given.
fn sample_sex(
    job: &CompressJob,
    reader: &dyn BlockReader,
    covar: Option<&Table>,
    record: SexChromosomes,
    note: &mut dyn FnMut(String),
) -> Result<Option<SampleSex>> {
    if let (Some(name), Some(table)) = (&job.sex.column, covar) {
        return SampleSex::from_covariates(table, name, reader.samples()).map(Some);
    }
    if job.sex.from_calls {
        return infer_sex(job, reader, record, note).map(Some);
    }
    reader
        .sex_file()
        .map(|path| SampleSex::from_sample_file(path, reader.samples()))
        .transpose()
}

/// `--sex-from-calls`: each sample's sex from the ploidy of its non-PAR chrX calls, read in a
/// pass of their own before the genotype pass (through the index when there is one).
fn infer_sex(
    job: &CompressJob,
    reader: &dyn BlockReader,
    record: SexChromosomes,
    note: &mut dyn FnMut(String),
) -> Result<SampleSex> {
    let path = &job.genotypes.path;
    if !matches!(reader.format_name(), "vcf" | "bcf") {
        return Err(Error::usage(format!(
            "--sex-from-calls reads the ploidy of VCF/BCF GT calls, and {} is {}: {}",
            path.display(),
            reader.format_name(),
            match reader.sex_file() {
                Some(_) => "its males' chrX calls are coded diploid, and its .fam/.psam SEX column gives sex (leave --sex-from-calls out)",
                None => "give sex with --sex-col",
            }
        )));
    }
    // Males' calls are diploid in PAR1/PAR2 whether or not --split-par treats them as
    // autosomal, so inference needs the build that places them.
    let Some(build) = record.build else {
        return Err(Error::usage(format!(
            "--sex-from-calls needs the build to leave PAR1/PAR2 out (males' calls are diploid there), and neither --build nor {}'s header (chrX contig length) gives it: add --build 37 or 38",
            path.display()
        )));
    };
    let tally = ploidy::tally_chrx(path, |pos| !build.in_par(pos))?;
    note(match &tally.index {
        Some(index) => format!(
            "--sex-from-calls: {} non-PAR chrX records ({build}) read through {}",
            tally.records,
            index.display()
        ),
        None => format!(
            "--sex-from-calls: no .tbi/.csi index, so a first scan of the whole file read its {} non-PAR chrX records ({build}; `bcftools index` it to read chrX alone)",
            tally.records
        ),
    });
    let inferred = sex_inference::infer(&tally).map_err(|message| Error::input(path, message))?;
    note(inferred.describe());
    Ok(inferred.sex)
}

/// The header's record: the job's, with the build a VCF header's chrX length shows when
/// `--build` is not given (a conflict between the two is an error).
fn sex_chromosomes(job: &CompressJob, reader: &dyn BlockReader) -> Result<SexChromosomes> {
    let mut record = job.sex.record;
    if let Some(length) = reader.chrx_length() {
        if let Some(found) = Build::from_chrx_length(length) {
            match record.build {
                Some(given) if given != found => {
                    return Err(Error::input(
                        &job.genotypes.path,
                        format!(
                            "the header's chrX contig length {length} is {found}'s, but --build says {given}"
                        ),
                    ))
                }
                _ => record.build = Some(found),
            }
        }
    }
    Ok(record)
}

/// One line for the log: where sex came from and how many of each, per group, and the
/// sex-chromosome sample sets.
fn describe_sex(sex: Option<&SampleSex>, fields: &SampleFields) -> String {
    let Some(sex) = sex else {
        return "sex: not known (no .fam/.psam, no --sex-col, no --sex-from-calls): no sex field and no sample sets, so non-PAR chrX cannot be merged under --xchr-model 1 or 2, nor chrY".to_string();
    };
    let set_of = |group: &crate::samples::Group, set| {
        fields
            .groups
            .iter()
            .find(|g| g.sample_set == Some(set) && g.phenotypes == group.phenotypes)
            .map(|g| g.n())
    };
    let groups: Vec<String> = fields
        .groups
        .iter()
        .zip(&fields.sex_counts)
        .map(|(group, (males, females, unknown))| {
            let chrx = if group.fields.iter().any(|f| f.kind == FieldKind::Sex) {
                "sex field".to_string()
            } else if let Some(n) = set_of(group, SampleSet::KnownSex) {
                format!("non-PAR chrX on the {n} of known sex, as plink2")
            } else {
                "no sex field: non-PAR chrX cannot be merged with sex".to_string()
            };
            let chry = match set_of(group, SampleSet::Males) {
                Some(n) => format!("chrY on the {n} males"),
                None => "no chrY sample set".to_string(),
            };
            format!(
                "[{}] {males} males, {females} females, {unknown} unknown ({chrx}; {chry})",
                group.phenotypes.join(", ")
            )
        })
        .collect();
    let mut line = format!("sex from {}: {}", sex.source, groups.join("; "));
    for left_out in &fields.sample_sets_left_out {
        line.push_str("; ");
        line.push_str(left_out);
    }
    line
}
