//! `dash merge`: summaries → GWAS-SSF per phenotype, skipped lists, metadata, log.

use std::path::PathBuf;
use std::time::Instant;

use std::collections::BTreeMap;
use std::sync::mpsc::sync_channel;
use std::sync::PoisonError;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::atomic_file::{check_output_dir, commit_all, OutputLock, Provisional};
use crate::error::{echo, Error, Result};
use crate::genotype::Region;
use crate::merge::allele_check::AlleleCheckOptions;
use crate::merge::inputs::check_distinct_paths;
use crate::merge::report::{AlleleCheckWriter, PhenotypeModel, PhenotypeWriter};
use crate::merge::summary_out::SummaryOut;
use crate::merge::window::WINDOW_ROWS;
use crate::merge::CaseControlCounts;
use crate::merge::{family_key, Family, FamilyKey, VariantResult};
use crate::merge::{report, ChrXTests, InputKind, MergeOptions, Merged, Models, PhenotypeLayout};
use crate::merge::{RowSource, Windows};
use crate::output;
use crate::output::party_filtered::{self, PartyFilteredWriter};
use crate::output::variant_columns::VariantColumns;
use crate::report::ReportOptions;
use crate::secure::combine::{open_combined, SecureInfo};
use crate::summary::id::short;
use crate::summary::read::open_stream;
use crate::summary::segment::{plan_decoding_at_most, Bounds, RowGroupSpans, SegmentRead};
use crate::summary::stream::RowStream;
use crate::summary::{Rows, Summary};

/// One merge run.
#[derive(Debug, Clone)]
pub struct MergeJob {
    /// Summaries to pool (all plaintext, or one complete secure set).
    pub summaries: Vec<PathBuf>,
    /// Output prefix.
    pub out: PathBuf,
    /// The model and what to test.
    pub options: MergeOptions,
    /// What the metadata files say about the study (`--trait-description`, `--ancestry`, …).
    pub description: crate::output::meta::Description,
    /// Also write the merged sums as a summary here.
    pub summary_out: Option<PathBuf>,
    /// Merge only the variants in this region (`--region`).
    pub region: Option<Region>,
    /// `--pheno-out-min-log10p`: the GWAS-SSF files keep only rows with −log10 p at least this
    /// (the skipped lists, `--summary-out` and the loci are unaffected).
    pub min_neg_log10_p: Option<f64>,
    /// Rows each input holds per window (default: [`crate::merge::window::WINDOW_ROWS`] shared
    /// among the inputs); small windows are for tests.
    pub window_rows: Option<usize>,
    /// Rows per segment of a merge split across the pool, of the input with the most row groups
    /// (default: two row groups, when there are few phenotypes); small segments are for tests.
    pub segment_rows: Option<usize>,
    /// The per-party allele-frequency check (plaintext inputs).
    pub allele_check: AlleleCheckOptions,
    /// Write `PREFIX.report.html` and its plots once the merge's files are in place (`None`:
    /// `--no-report`).
    pub report: Option<ReportOptions>,
    /// `--condition` (and `--joint`): conditional fits in an LD region; `None` for none.
    pub locus: Option<super::LocusJob>,
}

/// What a merge run wrote.
#[derive(Debug, Clone)]
pub struct MergeReport {
    /// Every file written, in place.
    pub files: Vec<PathBuf>,
}

/// The inputs of a merge, opened: their headers, and a source of rows in genomic order each.
pub struct Inputs {
    /// One per input, in argument order (a secure set is pooled into one): path and header;
    /// no rows (they come from `sources`).
    pub summaries: Vec<Summary>,
    /// Each input's rows.
    pub sources: Vec<Box<dyn RowSource>>,
    /// What the inputs are.
    pub kind: InputKind,
    /// What a secure set pooled.
    pub secure: Option<SecureInfo>,
}

/// Opens the summaries at `paths` for a merge (restricted to `region` when given): plaintext
/// summaries as they are, a secure set pooled first (all or none of the inputs must be
/// secure). Every file's checksum and header is checked here; rows as they are read.
pub fn open_inputs(paths: &[PathBuf], region: Option<&Region>) -> Result<Inputs> {
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
        let (pooled, source, info) = open_combined(paths, region.cloned())?;
        return Ok(Inputs {
            summaries: vec![pooled],
            sources: vec![source],
            kind: InputKind::SecureSet,
            secure: Some(info),
        });
    }
    let streams: Vec<RowStream> = paths
        .par_iter()
        .map(|p| open_stream(p, region.cloned()))
        .collect::<Result<_>>()?;
    let summaries = streams
        .iter()
        .map(|stream| Summary {
            path: stream.path().to_path_buf(),
            header: stream.header().clone(),
            rows: Rows::with_widths(stream.header().groups.iter().map(|g| g.fields.len())),
        })
        .collect();
    Ok(Inputs {
        summaries,
        sources: streams
            .into_iter()
            .map(|s| Box::new(s) as Box<dyn RowSource>)
            .collect(),
        kind: InputKind::Plaintext,
        secure: None,
    })
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

/// Windows read ahead of the one being tested: reading overlaps testing and writing.
const WINDOWS_AHEAD: usize = 1;

/// What one phenotype's run keeps from window to window.
struct PhenotypeRun {
    layout: PhenotypeLayout,
    models: Models,
    /// Non-PAR chrX, fitted with the sex covariate.
    chrx: ChrXTests,
    writer: PhenotypeWriter,
    /// Case and control counts per party, when the phenotype is case/control.
    case_control: Option<CaseControlCounts>,
}

/// Results of one window a family holds at most (see [`Families::window_rows`]).
const FAMILY_RESULTS: usize = 1 << 20;

/// The smallest window of a family: below this, the per-window work (the join, the parallel
/// loops' start) would start to show.
const MIN_FAMILY_WINDOW: usize = 1024;

/// The phenotypes tested as families ([`Family`]: the same samples and covariates, one
/// projection per site and party set for all); a phenotype with no other of its kind is tested
/// on its own.
struct Families {
    /// Each family, with the indices of its runs (ascending).
    families: Vec<(Family, Vec<usize>)>,
}

impl Families {
    /// Groups `runs` by [`family_key`].
    fn new(headers: &Merged, runs: &[PhenotypeRun]) -> Families {
        let mut keyed: Vec<(FamilyKey, Vec<usize>)> = Vec::new();
        for (r, run) in runs.iter().enumerate() {
            let key = family_key(&run.layout, run.chrx.adds_sex());
            match keyed.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(r),
                None => keyed.push((key, vec![r])),
            }
        }
        let families = keyed
            .into_iter()
            .filter(|(_, members)| members.len() > 1)
            .map(|(_, members)| {
                let layouts: Vec<&PhenotypeLayout> =
                    members.iter().map(|&r| &runs[r].layout).collect();
                (Family::new(headers, &layouts), members)
            })
            .collect();
        Families { families }
    }

    /// Rows each of `inputs` holds per window when families are tested: a family holds a
    /// window's results of all its phenotypes at once (and the next window's, while the writers
    /// take them), so the window shrinks as phenotypes grow, to [`FAMILY_RESULTS`] results (about
    /// 72 MiB); `None` (the default window) without families.
    fn window_rows(&self, inputs: usize) -> Option<usize> {
        let widest = self
            .families
            .iter()
            .map(|(_, members)| members.len())
            .max()?;
        let rows = (FAMILY_RESULTS / widest).clamp(MIN_FAMILY_WINDOW, WINDOW_ROWS);
        Some((rows / inputs.max(1)).max(MIN_FAMILY_WINDOW / 4))
    }

    /// Tests the sites of a window that each family's phenotypes test with their own layout
    /// ([`ChrXTests::main_layout_tests`]): per run, its results, or `None` for a run in no
    /// family.
    fn test_sites(
        &mut self,
        merged: &Merged,
        runs: &mut [PhenotypeRun],
        options: &MergeOptions,
    ) -> Result<Vec<Option<Vec<VariantResult>>>> {
        let mut results: Vec<Option<Vec<VariantResult>>> = runs.iter().map(|_| None).collect();
        for (family, members) in &mut self.families {
            let main = runs[members[0]]
                .chrx
                .main_layout_tests(merged.sex_chromosomes);
            let (layouts, mut models): (Vec<&PhenotypeLayout>, Vec<&mut Models>) = runs
                .iter_mut()
                .enumerate()
                .filter(|(r, _)| members.binary_search(r).is_ok())
                .map(|(_, run)| (&run.layout, &mut run.models))
                .unzip();
            let tested = family.test_sites(merged, &layouts, &mut models, options, &main)?;
            for (&r, tested) in members.iter().zip(tested) {
                results[r] = Some(tested);
            }
        }
        Ok(results)
    }
}

impl PhenotypeRun {
    /// An empty part of this run for one segment of a merge: its own models and sample-set
    /// tests (fitted alike from the headers), its files' parts in memory.
    fn part(&self) -> PhenotypeRun {
        PhenotypeRun {
            layout: self.layout.clone(),
            models: Models::new(),
            chrx: self.chrx.fresh(),
            writer: self.writer.part(),
            case_control: self.case_control.clone(),
        }
    }

    /// Takes in the part of a later segment (from [`PhenotypeRun::part`]).
    fn absorb(&mut self, part: PhenotypeRun) -> Result<()> {
        self.models.absorb(part.models);
        self.writer.absorb(part.writer)
    }
}

/// Everything a merge's windows go to: every phenotype's run and the merge-wide lists.
///
/// A merge split into segments gives each segment a part of these ([`WindowSinks::part`]) and
/// takes the parts back in genomic order ([`WindowSinks::absorb`]): its files are those of a
/// merge that took every window in order.
struct WindowSinks {
    runs: Vec<PhenotypeRun>,
    families: Families,
    allele_check: Option<AlleleCheckWriter>,
    summary_out: Option<SummaryOut>,
    party_filtered: Option<PartyFilteredWriter>,
    /// Per input, the rows read.
    rows_read: Vec<usize>,
    /// The distinct variants (sites) taken.
    sites: usize,
}

impl WindowSinks {
    /// Takes one joined window: the per-party filters, every phenotype's tests and rows, the
    /// allele check, the merged summary.
    fn take(&mut self, merged: &mut Merged, options: &MergeOptions, with_info: bool) -> Result<()> {
        for (count, input) in self.rows_read.iter_mut().zip(&merged.inputs) {
            *count += input.rows.len();
        }
        if let Some(list) = &mut self.party_filtered {
            list.append(&merged.apply_party_filters(&options.party_qc))?;
        }
        // The phenotypes of a family are tested together (one projection per site and party
        // set); then every phenotype is finished (its chrX sample sets), formatted and
        // compressed side by side: with many phenotypes the per-phenotype work (formatting,
        // BGZF) dominates, and a window's sites alone may be too few to fill the pool.
        let mut family_results = self.families.test_sites(merged, &mut self.runs, options)?;
        // The variant's own columns are the same in every phenotype's file: formatted once.
        let merged = &*merged;
        let columns = VariantColumns::new(merged, with_info);
        self.runs
            .par_iter_mut()
            .zip(family_results.par_iter_mut())
            .try_for_each(|(run, main)| -> Result<()> {
                let results = match main.take() {
                    Some(main) => run
                        .chrx
                        .test_sample_sets(merged, &run.layout, options, main)?,
                    None => run
                        .chrx
                        .test_sites(merged, &run.layout, options, &mut run.models)?,
                };
                run.writer.append(merged, &columns, &results)
            })?;
        if let Some(check) = &mut self.allele_check {
            check.append(merged, &self.runs[0].layout)?;
        }
        if let Some(out) = &mut self.summary_out {
            out.append(merged)?;
        }
        self.sites += merged.sites.len();
        Ok(())
    }

    /// An empty part of these for one segment of the merge (`headers`: the inputs' headers).
    fn part(&self, headers: &Merged) -> WindowSinks {
        let runs: Vec<PhenotypeRun> = self.runs.iter().map(PhenotypeRun::part).collect();
        WindowSinks {
            families: Families::new(headers, &runs),
            runs,
            allele_check: self.allele_check.as_ref().map(AlleleCheckWriter::part),
            summary_out: self.summary_out.as_ref().map(SummaryOut::part),
            party_filtered: self.party_filtered.as_ref().map(PartyFilteredWriter::part),
            rows_read: vec![0; self.rows_read.len()],
            sites: 0,
        }
    }

    /// Takes in the part of the next segment (from [`WindowSinks::part`]).
    fn absorb(&mut self, part: WindowSinks) -> Result<()> {
        for (run, part) in self.runs.iter_mut().zip(part.runs) {
            run.absorb(part)?;
        }
        if let (Some(check), Some(part)) = (&mut self.allele_check, part.allele_check) {
            check.absorb(part)?;
        }
        if let (Some(out), Some(part)) = (&mut self.summary_out, part.summary_out) {
            out.absorb(part)?;
        }
        if let (Some(list), Some(part)) = (&mut self.party_filtered, part.party_filtered) {
            list.absorb(part)?;
        }
        for (count, part) in self.rows_read.iter_mut().zip(part.rows_read) {
            *count += part;
        }
        self.sites += part.sites;
        Ok(())
    }
}

/// How a merge reads and joins its windows.
struct Reading<'a> {
    /// The inputs' headers (no rows).
    templates: &'a [Summary],
    kind: InputKind,
    /// Per input, its groups' widths.
    widths: Vec<Vec<usize>>,
    /// Rows each input holds per window (`None`: the default).
    window_rows: Option<usize>,
    options: &'a MergeOptions,
    /// Whether the GWAS-SSF files have the `info` column.
    with_info: bool,
}

/// The merge of one stream of windows: the inputs are read in genomic order a window at a time
/// ([`Windows`]) and joined on a thread of their own, while this one takes each window into
/// `sinks`; memory holds a window or two, never every variant.
fn merge_windows(
    reading: &Reading,
    sources: Vec<Box<dyn RowSource>>,
    sinks: &mut WindowSinks,
    progress: &ProgressBar,
) -> Result<()> {
    let mut windows = Windows::new(sources, &reading.widths, reading.window_rows);
    let recycler = windows.recycler();
    std::thread::scope(|scope| -> Result<()> {
        let (sender, received) = sync_channel::<Result<Merged>>(WINDOWS_AHEAD);
        let (templates, kind) = (reading.templates, reading.kind);
        // The join runs here, with the reading, rather than on the thread that tests and
        // writes: it is serial, and there it sat between one window's writing and the next
        // one's tests (issue 12). Windows still arrive in order, so the first error is too.
        scope.spawn(move || loop {
            let window = windows.next_window().transpose();
            let Some(window) = window else { break };
            let merged = window.and_then(|window| Merged::from_window(templates, window, kind));
            let failed = merged.is_err();
            if sender.send(merged).is_err() || failed {
                break;
            }
        });
        for merged in received {
            let mut merged = merged?;
            if let Some(last) = merged.sites.last() {
                let v = merged.variant(last);
                progress.set_message(format!("{}:{}", v.chrom, v.pos));
            }
            sinks.take(&mut merged, reading.options, reading.with_info)?;
            progress.inc(merged.sites.len() as u64);
            // Emptying a window for the reading to use again overlaps the next one.
            let recycler = recycler.clone();
            scope.spawn(move || recycler.give_back(merged.into_window()));
        }
        Ok(())
    })
}

/// At most this many phenotypes are merged in segments: each segment holds its rows of every
/// phenotype's files until its turn to be written, and with many phenotypes the per-window
/// work alone fills the pool.
const SEGMENT_MAX_PHENOTYPES: usize = 4;

/// Rows per segment of the input with the most row groups: two row groups (as [`crate::summary::write`] writes
/// them), enough segments to share a merge of 500,000 variants between the cores, each large
/// enough that its start (one read per input of its first row group) does not show.
const SEGMENT_ROWS: usize = 32_768;

/// Segments grow (doubling, up to [`SEGMENT_MAX_ROWS`]) while they would decode more than this
/// many times the inputs' rows: inputs holding different variants cut their row groups at other
/// places than the largest input, and a row group across a segment's end is decoded by both
/// segments (1.45× at 20 × 500 k with each party missing 3 % of the variants; 1.10× in segments
/// four times longer).
const SEGMENT_MAX_DECODED: f64 = 1.15;

/// The longest segments [`SEGMENT_MAX_DECODED`] grows them to.
const SEGMENT_MAX_ROWS: usize = 8 * SEGMENT_ROWS;

/// A merge split into segments (see [`crate::summary::segment`]).
struct SegmentPlan {
    /// The segments, in genomic order.
    bounds: Vec<Bounds>,
    /// Per input, its row groups' spans.
    spans: Vec<RowGroupSpans>,
    /// The input whose row groups the segments start at (the one with the most row groups,
    /// then rows: the most places to start at).
    largest: usize,
    /// Its rows per segment.
    rows: usize,
}

/// The segments of a merge, when it is split: plaintext inputs, no `--region` (a region reads a
/// few row groups, checked one by one), few phenotypes ([`SEGMENT_MAX_PHENOTYPES`], unless
/// `--segment-rows` asks), and more than one segment's rows.
fn plan_segments(
    job: &MergeJob,
    sources: &[Box<dyn RowSource>],
    phenotypes: usize,
) -> Option<Result<SegmentPlan>> {
    if job.region.is_some() {
        return None;
    }
    let rows = match job.segment_rows {
        Some(rows) => rows,
        None if phenotypes <= SEGMENT_MAX_PHENOTYPES => SEGMENT_ROWS,
        None => return None,
    };
    let streams: Vec<&RowStream> = sources
        .iter()
        .map(|s| s.as_stream())
        .collect::<Option<_>>()?;
    let groups: Vec<_> = streams.iter().map(|s| s.row_groups()).collect();
    let spans: Vec<RowGroupSpans> =
        match groups.par_iter().map(|g| g.spans()).collect::<Result<_>>() {
            Ok(spans) => spans,
            Err(e) => return Some(Err(e)),
        };
    let largest = (0..spans.len()).max_by_key(|&i| {
        let (groups, rows) = (spans[i].rows.len(), spans[i].rows.iter().sum::<usize>());
        (groups, rows, usize::MAX - i)
    })?;
    // `--segment-rows` (for tests) asks for segments of that length.
    let max_rows = if job.segment_rows.is_some() {
        rows
    } else {
        SEGMENT_MAX_ROWS
    };
    let (bounds, rows) =
        plan_decoding_at_most(&spans, largest, rows, max_rows, SEGMENT_MAX_DECODED);
    (bounds.len() > 1).then_some(Ok(SegmentPlan {
        bounds,
        spans,
        largest,
        rows,
    }))
}

/// The merge split into segments: each segment is read, joined, tested and written into parts
/// of the files on a thread of its own ([`merge_segment`]), a few segments ahead of the one
/// whose parts the files take next, in genomic order; then what no segment could check alone
/// is checked ([`crate::summary::segment::check_reads`]). Returns the rows decoded, all inputs' and
/// segments' together.
///
/// Each of those threads runs its segment's parallel loops on a pool of its one thread: on the
/// shared pool, a worker waiting inside one segment's loop would start another segment, and
/// a merge of 20 × 500 k held 1 GiB of windows begun and not finished (issue 12).
fn merge_segments(
    reading: &Reading,
    plan: &SegmentPlan,
    sources: &[Box<dyn RowSource>],
    headers: &Merged,
    sinks: &mut WindowSinks,
    progress: &ProgressBar,
) -> Result<usize> {
    let streams: Vec<&RowStream> = sources
        .iter()
        .map(|s| s.as_stream().expect("planned for streams"))
        .collect();
    let count = plan.bounds.len();
    let threads = rayon::current_num_threads();
    // Segments given out and not yet taken: a done segment holds only its compressed rows.
    let ahead = 2 * threads;
    let mut reads: Vec<Vec<SegmentRead>> = (0..streams.len()).map(|_| Vec::new()).collect();
    let mut failure = None;
    let (work, jobs) = std::sync::mpsc::channel::<SegmentJob>();
    let jobs = std::sync::Mutex::new(jobs);
    std::thread::scope(|scope| {
        let (sender, results) = std::sync::mpsc::channel::<(usize, Result<SegmentDone>)>();
        for _ in 0..threads {
            let (sender, jobs) = (sender.clone(), &jobs);
            scope.spawn(move || {
                let run = || loop {
                    let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((number, segment, mut part)) = job else {
                        break;
                    };
                    let merged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        merge_segment(reading, segment, &mut part)
                    }));
                    match merged {
                        Ok(merged) => {
                            let _ = sender.send((number, merged.map(|reads| (part, reads))));
                        }
                        Err(panic) => {
                            // The taking side stops waiting; the scope passes the panic on.
                            let _ = sender.send((number, Err(Error::inputs("a segment failed"))));
                            std::panic::resume_unwind(panic)
                        }
                    }
                };
                match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
                    Ok(pool) => pool.install(run),
                    Err(_) => run(),
                }
            });
        }
        drop(sender);
        let give = |number: usize, sinks: &WindowSinks| {
            let bounds = &plan.bounds[number];
            let segment: Vec<Box<dyn RowSource>> = streams
                .iter()
                .zip(&plan.spans)
                .map(|(stream, spans)| {
                    let groups = spans.in_bounds(bounds);
                    Box::new(stream.segment(&groups, bounds.clone())) as Box<dyn RowSource>
                })
                .collect();
            // The threads stop only once `work` is dropped.
            let _ = work.send((number, segment, sinks.part(headers)));
        };
        let mut next = count.min(ahead);
        (0..next).for_each(|number| give(number, sinks));
        let mut taken = 0;
        let mut done: BTreeMap<usize, Result<SegmentDone>> = BTreeMap::new();
        while taken < next {
            let Ok((number, result)) = results.recv() else {
                break;
            };
            done.insert(number, result);
            while let Some(result) = done.remove(&taken) {
                taken += 1;
                if failure.is_some() {
                    continue;
                }
                let absorbed = result.and_then(|(part, segment_reads)| {
                    progress.inc(part.sites as u64);
                    if let Some(end) = &plan.bounds[taken - 1].end {
                        progress.set_message(end.to_string());
                    }
                    sinks.absorb(part)?;
                    Ok(segment_reads)
                });
                match absorbed {
                    Ok(segment_reads) => {
                        for (input, read) in reads.iter_mut().zip(segment_reads) {
                            input.push(read);
                        }
                        if next < count {
                            give(next, sinks);
                            next += 1;
                        }
                    }
                    Err(e) => failure = Some(e),
                }
            }
        }
        drop(work);
        if taken < count && failure.is_none() {
            // Only if a segment's thread stopped without a result (a panic, passed on below).
            failure = Some(Error::inputs("a segment of the merge was not merged"));
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let mut decoded = 0;
    for ((stream, reads), spans) in streams.iter().zip(&reads).zip(&plan.spans) {
        crate::summary::segment::check_reads(stream.path(), stream.total_rows(), reads)?;
        let groups = reads.iter().flat_map(|read| &read.groups);
        decoded += groups.map(|g| spans.rows[g.group]).sum::<usize>();
    }
    Ok(decoded)
}

/// A segment to merge: its number, each input's read of it, and its part of the files.
type SegmentJob = (usize, Vec<Box<dyn RowSource>>, WindowSinks);

/// A segment merged: its part of the files, and what it read of each input.
type SegmentDone = (WindowSinks, Vec<SegmentRead>);

/// Merges one segment (`sources`: each input's read of it) into `sinks`, a part of the
/// merge's: its windows read, joined and taken one after another on this worker; returns
/// what it read of each input.
fn merge_segment(
    reading: &Reading,
    sources: Vec<Box<dyn RowSource>>,
    sinks: &mut WindowSinks,
) -> Result<Vec<SegmentRead>> {
    let mut windows = Windows::new(sources, &reading.widths, reading.window_rows);
    let recycler = windows.recycler();
    while let Some(window) = windows.next_window()? {
        let mut merged = Merged::from_window(reading.templates, window, reading.kind)?;
        sinks.take(&mut merged, reading.options, reading.with_info)?;
        recycler.give_back(merged.into_window());
    }
    Ok(windows
        .into_sources()
        .iter_mut()
        .map(|source| source.take_segment_read().unwrap_or_default())
        .collect())
}

/// The merge itself, once the arguments are checked and the outputs locked.
///
/// The inputs are read in genomic order a window at a time ([`Windows`]); each window is
/// joined, tested for every phenotype and appended to the outputs ([`WindowSinks`]), so memory
/// holds a few windows, never every variant: split into segments merged side by side, one per
/// core ([`merge_segments`]), or as one stream read on a thread of its own ([`merge_windows`]).
fn run_merge(job: &MergeJob, print: &mut dyn FnMut(&str)) -> Result<MergeReport> {
    let started = Instant::now();
    let mut log = Vec::new();
    let mut note = |line: String| {
        print(&line);
        log.push(line);
    };
    note(format!(
        "dash {} merge of {} summaries",
        env!("CARGO_PKG_VERSION"),
        job.summaries.len()
    ));
    if let Some(region) = &job.region {
        note(format!("--region {region}: only the variants in it"));
    }
    let Inputs {
        summaries,
        sources,
        kind,
        secure,
    } = open_inputs(&job.summaries, job.region.as_ref())?;
    // The headers of the inputs, as a window with no rows: what layouts and models come from.
    let empty: Vec<Rows> = summaries.iter().map(|s| s.rows.clone()).collect();
    let headers = Merged::from_window(&summaries, empty, kind)?;
    note(format!(
        "sex chromosomes: {}; non-PAR chrX {}",
        headers.sex_chromosomes.describe(),
        if job.options.no_x_sex {
            "without the sex covariate (--no-x-sex)"
        } else {
            "with the sex covariate, as plink2 --glm"
        }
    ));
    if let Some(info) = &secure {
        note(describe_secure(&headers, info));
        note(format!(
            "--min-cell {}: variants with 1 to {} pooled ALT or REF carriers are skipped (reason min_cell)",
            job.options.min_cell,
            job.options.min_cell.saturating_sub(1)
        ));
    }

    let options = &job.options;
    kind.check(options)?;
    crate::merge::party_filter::check_single_parties(
        &summaries,
        &options.party_qc,
        kind == InputKind::SecureSet,
    )?;
    if job.locus.is_some() && options.party_qc.any() {
        return Err(Error::usage(
            "--condition/--ld-out/--cojo-select do not take the per-party filters (--party-*): run them in a merge of their own",
        ));
    }
    let phenotypes = options
        .phenotypes
        .clone()
        .unwrap_or_else(|| headers.default_phenotypes());
    check_phenotypes(&headers, &phenotypes)?;
    if options.qc.any() {
        note(describe_qc(&options.qc));
    }
    if options.qc.needs_genotype_counts() || options.party_qc.needs_genotype_counts() {
        lacking_sex_split(&summaries).for_each(&mut note);
    }
    let party_filtered = match options.party_qc.any() {
        true => {
            note(format!(
                "per-party QC, each party on its own counts (a party failing it is left out of that variant): {}",
                describe_filters(&options.party_qc, "--party-")
            ));
            Some(PartyFilteredWriter::create(&party_filtered::path(
                &job.out,
            ))?)
        }
        false => None,
    };
    // Imputation quality is reported when some party's calls are dosages.
    let with_info = headers
        .inputs
        .iter()
        .flat_map(|s| &s.header.components)
        .any(|c| c.source.dosage_field != "GT");
    let mut runs = Vec::new();
    for phenotype in &phenotypes {
        let layout = PhenotypeLayout::new(&headers, phenotype, options)?;
        let case_control = CaseControlCounts::new(&headers, &layout);
        runs.push(PhenotypeRun {
            chrx: ChrXTests::new(&headers, &layout, options),
            writer: PhenotypeWriter::create(
                &job.out,
                phenotype,
                with_info,
                case_control.clone(),
                phenotypes.len(),
                job.min_neg_log10_p,
            )
            .map(|writer| match &job.report {
                // Only the phenotypes the report may draw (`--report-pheno` names them).
                Some(report)
                    if report
                        .phenotypes
                        .as_ref()
                        .is_none_or(|shown| shown.contains(phenotype)) =>
                {
                    writer.collecting_plot_points()
                }
                _ => writer,
            })?,
            layout,
            case_control,
            models: Models::new(),
        });
    }
    let families = Families::new(&headers, &runs);
    // The check runs on the samples of the first phenotype (the regression's samples).
    let allele_check = match (kind, phenotypes.first()) {
        (InputKind::Plaintext, Some(first)) => Some(AlleleCheckWriter::create(
            &job.out,
            &headers,
            first,
            job.allele_check,
        )?),
        _ => None,
    };
    let summary_out = match &job.summary_out {
        Some(path) => {
            let region = job.region.as_ref().map(ToString::to_string);
            Some(SummaryOut::create(
                &headers,
                &phenotypes,
                options,
                region,
                path,
            )?)
        }
        None => None,
    };

    let progress = if options.progress {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("merge {spinner} {msg} {pos} variants {per_sec}")
            .expect("valid template"),
    );
    let window_rows = job
        .window_rows
        .or_else(|| families.window_rows(summaries.len()));
    let mut sinks = WindowSinks {
        runs,
        families,
        allele_check,
        summary_out,
        party_filtered,
        rows_read: vec![0; summaries.len()],
        sites: 0,
    };
    let reading = Reading {
        templates: &summaries,
        kind,
        widths: summaries
            .iter()
            .map(|s| s.header.groups.iter().map(|g| g.fields.len()).collect())
            .collect(),
        window_rows,
        options,
        with_info,
    };
    match plan_segments(job, &sources, phenotypes.len()).transpose()? {
        Some(plan) => {
            note(format!(
                "split into {} segments at row-group starts of {} (about {} of its rows each), merged side by side on the pool",
                plan.bounds.len(),
                summaries[plan.largest].path.display(),
                plan.rows
            ));
            let decoded =
                merge_segments(&reading, &plan, &sources, &headers, &mut sinks, &progress)?;
            let rows: usize = plan.spans.iter().flat_map(|s| &s.rows).sum();
            note(format!(
                "segments decoded {decoded} rows for the inputs' {rows} ({:.2}×: row groups that straddle a segment's end are decoded by both segments)",
                decoded as f64 / rows.max(1) as f64
            ));
        }
        None => merge_windows(&reading, sources, &mut sinks, &progress)?,
    }
    progress.finish_and_clear();
    let WindowSinks {
        runs,
        allele_check,
        summary_out,
        party_filtered,
        rows_read,
        sites,
        ..
    } = sinks;

    if secure.is_none() {
        for (summary, rows) in summaries.iter().zip(&rows_read) {
            note(describe_plaintext(summary, *rows));
        }
        note(format!(
            "{sites} distinct variants across {} parties",
            headers.component_count()
        ));
    }
    let date = output::meta::today();
    let mut files = Vec::new();
    let parties = headers.parties();
    note(phenotypes_with_hits(&runs));
    let report_options = job.report.as_ref().map(|options| {
        let mut options = options.clone();
        if options.phenotypes.is_none() && runs.len() > REPORT_MAX_PHENOTYPES {
            let shown = phenotypes_to_report(&runs);
            note(format!(
                "report: {} phenotypes are too many for one page: it shows {} ({}); `dash report {} --pheno …` draws others",
                runs.len(),
                shown.len(),
                if runs.iter().any(|run| run.writer.hits() > 0) {
                    "those with the most variants at p < 5e-8"
                } else {
                    "the first ones: none has a variant at p < 5e-8"
                },
                job.out.display()
            ));
            options.phenotypes = Some(shown);
        }
        options
    });
    // What the report draws of each GWAS-SSF file, collected while it was written.
    let mut report_rows: Vec<(String, crate::report::read::Association)> = Vec::new();
    // Each phenotype's last blocks, MD5, metadata, covariate table and loci are finished on
    // the pool: one after another they left a core idle at the end of a many-phenotype merge.
    let finished = runs
        .into_par_iter()
        .map(|mut run| {
            let covariate_models = run.models.covariate_models(&run.layout, &headers, options);
            let model = PhenotypeModel {
                case_control: run.case_control.as_ref().map(CaseControlCounts::total),
                covariate_models,
                party_sets: run.models.party_sets(),
                parties: &parties,
                date: &date,
                genome_assembly: headers.sex_chromosomes.build.map(|b| b.to_string()),
                description: &job.description,
            };
            let shown = report_options.as_ref().is_some_and(|options| {
                options
                    .phenotypes
                    .as_ref()
                    .is_none_or(|shown| shown.iter().any(|p| p == run.writer.phenotype()))
            });
            if !shown {
                run.writer.drop_plot_points();
            }
            let phenotype = run.writer.phenotype().to_string();
            run.writer
                .finish(&model)
                .map(|finished| (phenotype, shown, finished))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut tallies = Vec::with_capacity(finished.len());
    for (phenotype, shown, finished) in finished {
        finished.lines.into_iter().for_each(&mut note);
        files.extend(finished.files);
        tallies.push(finished.tally);
        if let (true, Some(collected)) = (shown, finished.report) {
            report_rows.push((phenotype, collected));
        }
    }
    let table = output::phenotypes::path(&job.out);
    note(format!(
        "phenotype table (tested, skipped, hits at p < 5e-8, smallest p, λGC) → {}",
        table.display()
    ));
    files.push(output::phenotypes::write(&job.out, &tallies)?);
    let (written, lines) = match (allele_check, &secure, phenotypes.first()) {
        (Some(check), _, _) => check.finish()?,
        (None, Some(info), Some(first)) => {
            let (files, line) =
                report::secure_allele_check(&job.out, &info.parties, first, job.allele_check)?;
            (files, vec![line])
        }
        _ => (Vec::new(), Vec::new()),
    };
    lines.into_iter().for_each(&mut note);
    files.extend(written);
    if let Some(list) = party_filtered {
        let (file, line) = list.finish();
        note(line);
        files.push(file);
    }
    // The merged summary is renamed into place by its writer; it stays only if the whole set
    // of per-phenotype files is committed too.
    let mut summary_written = None;
    if let (Some(out), Some(path)) = (summary_out, &job.summary_out) {
        let rows = out.finish()?;
        summary_written = Some(Provisional::new(path));
        note(format!(
            "merged summary: {rows} variants of {} parties → {}",
            headers.component_count(),
            path.display()
        ));
    }
    if let Some(locus) = &job.locus {
        let (written, lines) =
            super::locus::write_locus(&job.summaries, &job.out, &phenotypes, options, locus)?;
        lines.into_iter().for_each(&mut note);
        files.extend(written);
    }
    note(format!(
        "finished in {:.2}s",
        started.elapsed().as_secs_f64()
    ));
    files.push(report::write_log(&job.out, &log)?);
    let mut files = commit_all(files)?;
    if let (Some(kept), Some(path)) = (summary_written, &job.summary_out) {
        kept.keep();
        files.push(path.clone());
    }
    if let Some(options) = &report_options {
        // The rows as `dash report` would read them back from the files just committed,
        // collected while they were written; any other file beside the prefix is read.
        // (Phenotypes are drawn side by side: each takes its own rows out of the shared list.)
        let report_rows = std::sync::Mutex::new(report_rows);
        let rows = |phenotype: &str| {
            let collected = {
                let mut report_rows = report_rows.lock().unwrap_or_else(|e| e.into_inner());
                report_rows
                    .iter()
                    .position(|(p, collected)| {
                        p == phenotype && collected.digest.options() == options.digest
                    })
                    .map(|k| report_rows.swap_remove(k).1)
            };
            match collected {
                Some(collected) => Ok(collected),
                None => crate::report::read::read_gwas_ssf(
                    &report::PhenotypePaths::new(&job.out, phenotype).tsv,
                    options.digest,
                ),
            }
        };
        let written = crate::report::build::build_from(
            &job.out,
            options,
            &mut |line| print(&format!("report: {line}")),
            &rows,
        )
        .map_err(|e| {
            Error::inputs(format!(
                "the merge's files are written, but its report failed ({e}); run dash report {} once that is fixed",
                job.out.display()
            ))
        })?;
        files.extend(written);
    }
    Ok(MergeReport { files })
}

/// The most phenotypes merge's own report draws: each takes two plots (about 0.7 MB of the
/// self-contained page, and 46 ms to draw on the benchmark machine), so a PheWAS-scale merge
/// would write a page of hundreds of MB; `dash report --pheno` draws any others.
const REPORT_MAX_PHENOTYPES: usize = 20;

/// The phenotypes merge's report draws when there are more than [`REPORT_MAX_PHENOTYPES`]: those
/// with the most variants at p < 5e-8 (then in merge order), or the first ones when none has any.
fn phenotypes_to_report(runs: &[PhenotypeRun]) -> Vec<String> {
    let mut order: Vec<&PhenotypeRun> = runs.iter().collect();
    // A stable sort keeps merge order among equal counts.
    order.sort_by_key(|run| std::cmp::Reverse(run.writer.hits()));
    let with_hits = order.iter().filter(|run| run.writer.hits() > 0).count();
    order
        .iter()
        .take(if with_hits > 0 {
            with_hits.min(REPORT_MAX_PHENOTYPES)
        } else {
            REPORT_MAX_PHENOTYPES
        })
        .map(|run| run.writer.phenotype().to_string())
        .collect()
}

/// The log line listing the phenotypes with a tested variant below p 5e-8, and how many.
fn phenotypes_with_hits(runs: &[PhenotypeRun]) -> String {
    let hits: Vec<String> = runs
        .iter()
        .filter(|run| run.writer.hits() > 0)
        .map(|run| format!("{} ({})", run.writer.phenotype(), run.writer.hits()))
        .collect();
    format!(
        "phenotypes with hits (p < 5e-8): {} of {}{}{}",
        hits.len(),
        runs.len(),
        if hits.is_empty() { "" } else { ": " },
        hits.join(", ")
    )
}

/// One log line per input whose rows carry no per-sex chrX QC counts by construction (format
/// version 4 or 5, a secure summary), whose non-PAR chrX variants the chrX QC filters skip.
fn lacking_sex_split(summaries: &[Summary]) -> impl Iterator<Item = String> + '_ {
    use crate::summary::schema::SEX_QC_VERSION;
    use crate::summary::sex::XchrModel;
    summaries
        .iter()
        .filter(|s| s.header.sex_chromosomes.xchr_model != XchrModel::Skip)
        .filter_map(|s| {
            let why = match (&s.header.secure, s.header.format_version) {
                (Some(_), _) => "is a secure summary".to_string(),
                (None, version) if version < SEX_QC_VERSION => {
                    format!("is summary format version {version}")
                }
                _ => return None,
            };
            Some(format!(
                "{} {why}, without per-sex chrX QC counts: its non-PAR chrX variants are skipped under --maf/--mac/--geno/--hwe (reason xchr_qc_no_sex_split){}",
                s.path.display(),
                match s.header.secure {
                    Some(_) => "",
                    None => "; recompress it with this dash to apply plink2's chrX rules",
                }
            ))
        })
}

/// The log line of the pooled QC filters.
fn describe_qc(filters: &crate::qc::QcFilters) -> String {
    format!(
        "pooled QC on the contributed samples: {} (removed variants are in the skipped lists, reason = the filter)",
        describe_filters(filters, "--")
    )
}

/// The QC filters that are on, as flags (`--geno 0.1, --hwe 1e-6 midp`, …) with `flag` before
/// each name (`--` or `--party-`).
fn describe_filters(filters: &crate::qc::QcFilters, flag: &str) -> String {
    let mut on = Vec::new();
    if let Some(geno) = filters.geno {
        on.push(format!("{flag}geno {geno}"));
    }
    if let Some(hwe) = filters.hwe {
        let midp = if hwe.midp { " midp" } else { "" };
        on.push(format!("{flag}hwe {}{midp}", hwe.threshold));
    }
    if let Some(maf) = filters.maf {
        on.push(format!("{flag}maf {maf}"));
    }
    if let Some(mac) = filters.mac {
        on.push(format!("{flag}mac {mac}"));
    }
    if let Some(r2) = filters.min_info {
        on.push(format!("{flag}min-info {r2}"));
    }
    on.join(", ")
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
        secure.rows,
        n.join("/")
    )
}

/// The log line of one plaintext summary, of which `rows` were read.
fn describe_plaintext(summary: &Summary, rows: usize) -> String {
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
        rows,
        parties.join(", ")
    )
}
