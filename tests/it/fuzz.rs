//! Mutation fuzzing of every input kind through the `dash` binary.
//!
//! Each run copies one fixture with one targeted mutation, runs `dash` on it (with a time and a
//! memory limit) and checks what must always hold:
//!
//! - no panic (exit 101, "panicked"), no abort or other signal, no hang;
//! - a failure is exit 1 with exactly one `dash: error` line, and the output folder is empty
//!   (no partial output, no temporary, no lock);
//! - a success leaves exactly the expected outputs;
//! - a **structural** mutation (magic bytes, headers, lengths, counts, separators, footers,
//!   block checksums, truncation) is refused, or is provably a no-op: the outputs are
//!   byte-identical to those of the unmutated input;
//! - only a **value** mutation (a genotype, phenotype or covariate value) may change the result.
//!
//! The runs are seeded and deterministic. A short run is part of the suite; a long one is
//! `DASH_FUZZ_RUNS=20000 cargo test --test it fuzz -- --include-ignored` (runs per target),
//! with `DASH_FUZZ_SEED` to explore other seeds. A failure names the seed, the run and the
//! mutation, and keeps the mutated file in `target/fuzz-failures/`.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Runs per target in the suite (CI); `DASH_FUZZ_RUNS` overrides.
const CI_RUNS: usize = 40;

/// A run taking longer than this is a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Address-space limit for a run, in KiB (`ulimit -v`): a run that tries to allocate far more
/// than its input needs fails (and aborts) instead of swapping the machine.
const MEMORY_KIB: u64 = 3 << 20;

/// A small deterministic PRNG (SplitMix64).
struct Rng(u64);

impl Rng {
    fn new(seed: u64, target: &str, run: usize) -> Rng {
        let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in target.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        Rng(h ^ (run as u64).wrapping_mul(0xd1b5_4a32_d192_ed03))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo)
    }

    /// A byte other than 0.
    fn nonzero(&mut self) -> u8 {
        1 + self.below(255) as u8
    }
}

/// What a mutation may do to the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Must be refused, or leave the outputs byte-identical.
    Structure,
    /// A genotype, phenotype or covariate value: may change the result (or be refused).
    Value,
}

/// A mutator: a name, its class, and the function (None when it does not apply to this input).
type Mutate = fn(&mut Rng, &[u8]) -> Option<Vec<u8>>;

struct Mutator {
    name: &'static str,
    class: Class,
    apply: Mutate,
}

const fn structure(name: &'static str, apply: Mutate) -> Mutator {
    Mutator {
        name,
        class: Class::Structure,
        apply,
    }
}

const fn value(name: &'static str, apply: Mutate) -> Mutator {
    Mutator {
        name,
        class: Class::Value,
        apply,
    }
}

/// The command of a target, given the input folder and the output folder.
type Args = Box<dyn Fn(&Path, &Path) -> Vec<String>>;

/// One input kind under test: the files of a run, the file mutated, the command.
struct Target {
    name: &'static str,
    /// (name in the run folder, contents).
    files: Vec<(String, Vec<u8>)>,
    /// The file mutated.
    mutated: String,
    /// The arguments, given the input folder and the output folder.
    args: Args,
    /// Outputs a success leaves in the output folder, and whether each is compared
    /// byte-for-byte with the unmutated run's (the log has timings: not compared).
    outputs: &'static [(&'static str, bool)],
}

fn seed() -> u64 {
    std::env::var("DASH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11)
}

fn runs() -> usize {
    std::env::var("DASH_FUZZ_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CI_RUNS)
}

/// What one run of `dash` did.
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: String,
    seconds: f64,
}

/// Runs `dash ARGS` under the memory limit and the timeout, stderr to a file.
fn run_dash(args: &[String], stderr_path: &Path) -> Run {
    let stderr = fs::File::create(stderr_path).unwrap();
    let started = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_dash"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("run dash");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dash {args:?} hung (killed after {TIMEOUT:?})");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut text = String::new();
    fs::File::open(stderr_path)
        .unwrap()
        .read_to_string(&mut text)
        .ok();
    if text.is_empty() {
        // Not UTF-8: keep it readable.
        text = String::from_utf8_lossy(&fs::read(stderr_path).unwrap()).into_owned();
    }
    Run {
        code: status.code(),
        signal: status.signal(),
        stderr: text,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// A fresh empty folder.
fn fresh(dir: &Path) {
    if dir.exists() {
        fs::remove_dir_all(dir).unwrap();
    }
    fs::create_dir_all(dir).unwrap();
}

/// Fuzzes `target` with `mutators` for `runs` runs; returns the runs made.
fn fuzz(target: &Target, mutators: &[Mutator], runs: usize) -> usize {
    let seed = seed();
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("in");
    let out = work.path().join("out");
    let stderr_path = work.path().join("stderr");
    fresh(&input);
    for (name, bytes) in &target.files {
        fs::write(input.join(name), bytes).unwrap();
    }
    let original = target
        .files
        .iter()
        .find(|(n, _)| *n == target.mutated)
        .map(|(_, b)| b.clone())
        .expect("the mutated file is one of the target's");
    let args = (target.args)(&input, &out);
    let expected: Vec<String> = {
        let mut v: Vec<String> = target.outputs.iter().map(|(n, _)| n.to_string()).collect();
        v.sort();
        v
    };

    // The unmutated run, twice: it succeeds and its compared outputs are deterministic.
    let mut baseline: Vec<(String, Vec<u8>)> = Vec::new();
    for attempt in 0..2 {
        fresh(&out);
        let run = run_dash(&args, &stderr_path);
        assert_eq!(
            run.code,
            Some(0),
            "{}: the unmutated run failed: {}",
            target.name,
            run.stderr
        );
        assert_eq!(file_names(&out), expected, "{}: outputs", target.name);
        let outputs: Vec<(String, Vec<u8>)> = target
            .outputs
            .iter()
            .filter(|(_, compared)| *compared)
            .map(|(n, _)| (n.to_string(), fs::read(out.join(n)).unwrap()))
            .collect();
        if attempt == 0 {
            baseline = outputs;
        } else {
            assert!(
                baseline == outputs,
                "{}: two unmutated runs differ",
                target.name
            );
        }
    }

    let started = Instant::now();
    let (mut refused, mut same, mut changed) = (0, 0, 0);
    let mut made = 0;
    for run_index in 0..runs {
        let mut rng = Rng::new(seed, target.name, run_index);
        // Pick a mutator that applies (each applies to some inputs only).
        let mut mutation = None;
        for _ in 0..20 {
            let m = &mutators[rng.below(mutators.len())];
            if let Some(bytes) = (m.apply)(&mut rng, &original) {
                if bytes != original {
                    mutation = Some((m, bytes));
                    break;
                }
            }
        }
        let Some((mutator, bytes)) = mutation else {
            continue;
        };
        made += 1;
        fs::write(input.join(&target.mutated), &bytes).unwrap();
        fresh(&out);
        let run = run_dash(&args, &stderr_path);
        let context = format!(
            "{} run {run_index} (DASH_FUZZ_SEED={seed}), {:?} mutation '{}' of {}",
            target.name, mutator.class, mutator.name, target.mutated
        );
        let check = || -> Result<&'static str, String> {
            if let Some(signal) = run.signal {
                return Err(format!("killed by signal {signal}: {}", run.stderr));
            }
            if run.code == Some(101) || run.stderr.contains("panicked") {
                return Err(format!("panicked: {}", run.stderr));
            }
            let left = file_names(&out);
            if run.code != Some(0) {
                let errors = run
                    .stderr
                    .lines()
                    .filter(|l| l.starts_with("dash: error"))
                    .count();
                if run.code != Some(1) || errors != 1 {
                    return Err(format!(
                        "failed with exit {:?} and {errors} error lines (expected exit 1, one line): {}",
                        run.code, run.stderr
                    ));
                }
                if !left.is_empty() {
                    return Err(format!("failed, but left {left:?} in the output folder"));
                }
                return Ok("refused");
            }
            if left != expected {
                return Err(format!(
                    "succeeded, but left {left:?} (expected {expected:?})"
                ));
            }
            let identical = baseline
                .iter()
                .all(|(name, bytes)| fs::read(out.join(name)).unwrap() == *bytes);
            match (identical, mutator.class) {
                (true, _) => Ok("same"),
                (false, Class::Value) => Ok("changed"),
                (false, Class::Structure) => {
                    Err("a structural mutation was accepted and changed the result".to_string())
                }
            }
        };
        match check() {
            Ok("refused") => refused += 1,
            Ok("same") => same += 1,
            Ok(_) => changed += 1,
            Err(problem) => {
                let keep = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("target/fuzz-failures")
                    .join(format!(
                        "{}-{seed}-{run_index}-{}",
                        target.name, target.mutated
                    ));
                let _ = fs::create_dir_all(keep.parent().unwrap());
                let _ = fs::write(&keep, &bytes);
                panic!(
                    "{context}: {problem}\n(mutated file kept as {}; {:.2}s)",
                    keep.display(),
                    run.seconds
                );
            }
        }
    }
    fs::write(input.join(&target.mutated), &original).unwrap();
    eprintln!(
        "fuzz {}: {made} runs in {:.1}s ({refused} refused, {same} unchanged, {changed} changed by a value mutation)",
        target.name,
        started.elapsed().as_secs_f64()
    );
    made
}

// ---- mutation helpers ------------------------------------------------------------------------

/// Line spans `(start, end)` (end at the newline or the end of the file).
fn line_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            spans.push((start, i));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        spans.push((start, bytes.len()));
    }
    spans
}

/// The lines that hold data: not `#` lines, and not the first line when `header`.
fn data_lines(bytes: &[u8], header: bool) -> Vec<(usize, usize)> {
    line_spans(bytes)
        .into_iter()
        .enumerate()
        .filter(|&(k, (s, e))| !(header && k == 0) && e > s && bytes[s] != b'#')
        .map(|(_, span)| span)
        .collect()
}

/// Positions of `sep` within `bytes[start..end]`.
fn positions(bytes: &[u8], (start, end): (usize, usize), sep: &[u8]) -> Vec<usize> {
    (start..end).filter(|&i| sep.contains(&bytes[i])).collect()
}

/// Removes the bytes `at..at + n`.
fn cut(bytes: &[u8], at: usize, n: usize) -> Vec<u8> {
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(&bytes[at + n..]);
    out
}

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> Option<T> {
    (!items.is_empty()).then(|| items[rng.below(items.len())])
}

/// Deletes one whole data line.
fn delete_line(rng: &mut Rng, b: &[u8], header: bool) -> Option<Vec<u8>> {
    let (s, e) = pick(rng, &data_lines(b, header))?;
    Some(cut(b, s, (e + 1).min(b.len()) - s))
}

/// Writes a data line twice.
fn duplicate_line(rng: &mut Rng, b: &[u8], header: bool) -> Option<Vec<u8>> {
    let (s, e) = pick(rng, &data_lines(b, header))?;
    let mut out = b[..e].to_vec();
    out.push(b'\n');
    out.extend_from_slice(&b[s..]);
    Some(out)
}

/// Deletes one field separator (`seps`) of a data line (after a header line when `header`).
fn delete_separator(rng: &mut Rng, b: &[u8], header: bool, seps: &[u8]) -> Option<Vec<u8>> {
    let span = pick(rng, &data_lines(b, header))?;
    let at = pick(rng, &positions(b, span, seps))?;
    Some(cut(b, at, 1))
}

/// The first line (the header of a table).
fn first_line(b: &[u8]) -> Option<(usize, usize)> {
    line_spans(b).first().copied()
}

/// Ends the file just before a field separator of a data line: its last line is short whole
/// fields (and every later line is gone).
fn truncate_before_separator(
    rng: &mut Rng,
    b: &[u8],
    header: bool,
    seps: &[u8],
) -> Option<Vec<u8>> {
    let span = pick(rng, &data_lines(b, header))?;
    let at = pick(rng, &positions(b, span, seps))?;
    Some(b[..at].to_vec())
}

/// Cuts the file at a byte strictly before the start of its last line.
fn truncate_before_last_line(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let (last, _) = *line_spans(b).last()?;
    (last > 0).then(|| b[..rng.below(last)].to_vec())
}

/// Replaces a digit of a value field (field index `>= first_field`) of a data line with
/// another digit, keeping it a number.
fn change_digit(
    rng: &mut Rng,
    b: &[u8],
    header: bool,
    first_field: usize,
    seps: &[u8],
) -> Option<Vec<u8>> {
    let span = pick(rng, &data_lines(b, header))?;
    let mut field = 0;
    let mut digits = Vec::new();
    for (i, byte) in b.iter().enumerate().take(span.1).skip(span.0) {
        if seps.contains(byte) {
            field += 1;
        } else if field >= first_field && byte.is_ascii_digit() {
            digits.push(i);
        }
    }
    let at = pick(rng, &digits)?;
    let mut out = b.to_vec();
    out[at] = b'0' + ((out[at] - b'0' + 1 + rng.below(9) as u8) % 10);
    Some(out)
}

/// Swaps a `0` and `1` in a sample column (field index `>= 9`) of a VCF record: another
/// allele in GT, or another dosage in DS (both stay valid).
fn swap_01(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let span = pick(rng, &data_lines(b, false))?;
    let mut field = 0;
    let mut at = Vec::new();
    for (i, &byte) in b.iter().enumerate().take(span.1).skip(span.0) {
        if byte == b'\t' {
            field += 1;
        } else if field >= 9 && (byte == b'0' || byte == b'1') {
            at.push(i);
        }
    }
    let i = pick(rng, &at)?;
    let mut out = b.to_vec();
    out[i] = if out[i] == b'0' { b'1' } else { b'0' };
    Some(out)
}

/// Flips a byte in `range` of the file.
fn flip_in(rng: &mut Rng, b: &[u8], lo: usize, hi: usize) -> Option<Vec<u8>> {
    if hi > b.len() || lo >= hi {
        return None;
    }
    let mut out = b.to_vec();
    out[rng.range(lo, hi)] ^= rng.nonzero();
    Some(out)
}

/// Truncates the file to a random shorter length.
fn truncate_any(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    (!b.is_empty()).then(|| b[..rng.below(b.len())].to_vec())
}

// ---- BGZF --------------------------------------------------------------------------------------

/// The blocks of a BGZF file: (start, size).
fn bgzf_blocks(b: &[u8]) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while at + 18 <= b.len() && b[at] == 0x1f && b[at + 1] == 0x8b {
        let size = u16::from_le_bytes([b[at + 16], b[at + 17]]) as usize + 1;
        if at + size > b.len() {
            break;
        }
        blocks.push((at, size));
        at += size;
    }
    blocks
}

fn bgzf_decompress(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    noodles_bgzf::io::Reader::new(b)
        .read_to_end(&mut out)
        .expect("fixture decompresses");
    out
}

fn bgzf_compress(b: &[u8]) -> Vec<u8> {
    let mut writer = noodles_bgzf::io::Writer::new(Vec::new());
    writer.write_all(b).unwrap();
    writer.finish().unwrap()
}

/// Applies `f` to the decompressed content and compresses it again.
fn inside_bgzf(
    rng: &mut Rng,
    b: &[u8],
    f: impl Fn(&mut Rng, &[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let plain = bgzf_decompress(b);
    Some(bgzf_compress(&f(rng, &plain)?))
}

/// Truncates a BGZF file inside a block (not at a block boundary).
fn bgzf_truncate_inside_block(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let blocks = bgzf_blocks(b);
    let (start, size) = pick(rng, &blocks)?;
    Some(b[..start + rng.range(1, size)].to_vec())
}

/// Drops every block from a data block on (keeping a complete, shorter BGZF stream, with or
/// without the end-of-file block).
fn bgzf_truncate_at_block(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let blocks = bgzf_blocks(b);
    if blocks.len() < 3 {
        return None;
    }
    let (start, _) = blocks[rng.range(1, blocks.len() - 1)];
    let mut out = b[..start].to_vec();
    if rng.below(2) == 0 {
        out.extend_from_slice(&b[blocks[blocks.len() - 1].0..]);
    }
    Some(out)
}

/// Flips a byte of a block header's magic (1f 8b 08 04) or size field.
fn bgzf_flip_header(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let (start, _) = pick(rng, &bgzf_blocks(b))?;
    let offset = [0, 1, 2, 3, 16, 17][rng.below(6)];
    flip_in(rng, b, start + offset, start + offset + 1)
}

/// Flips a byte of a block's CRC32 or uncompressed size (its last 8 bytes).
fn bgzf_flip_trailer(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let blocks = bgzf_blocks(b);
    let (start, size) = pick(rng, &blocks[..blocks.len().saturating_sub(1)])?;
    flip_in(rng, b, start + size - 8, start + size)
}

/// Flips a byte of a block's deflate data.
fn bgzf_flip_payload(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let blocks = bgzf_blocks(b);
    let (start, size) = pick(rng, &blocks[..blocks.len().saturating_sub(1)])?;
    flip_in(rng, b, start + 18, start + size - 8)
}

// ---- targets -------------------------------------------------------------------------------------

fn read(relative: &str) -> Vec<u8> {
    fs::read(fixtures().join(relative)).unwrap()
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

fn compress_args(genotypes: String, pheno: String, covar: String, out: &Path) -> Vec<String> {
    // The bundled parties' categorical covariate, declared when the covariate file has it.
    let header = fs::read_to_string(&covar).unwrap_or_default();
    let site = header
        .lines()
        .next()
        .is_some_and(|line| line.split_whitespace().any(|c| c == "site"));
    let mut args: Vec<String> = vec![
        "compress".into(),
        genotypes,
        "--pheno".into(),
        pheno,
        "--covar".into(),
        covar,
    ];
    if site {
        args.extend(["--covar-categorical".into(), "site".into()]);
    }
    args.extend([
        "--min-cell".into(),
        "1".into(),
        "--party".into(),
        "fuzz".into(),
        "--threads".into(),
        "1".into(),
        "--out".into(),
        p(out, "out.parquet"),
    ]);
    args
}

/// The summary, and compress's local list of suppressed variants (disclosure control).
const SUMMARY_OUT: &[(&str, bool)] = &[("out.parquet", true), ("out.suppressed.tsv", true)];

/// party_a's .bed/.bim/.fam/.pheno/.covar, compressed.
fn plink_target(name: &'static str, mutated: &str) -> Target {
    Target {
        name,
        files: ["bed", "bim", "fam", "pheno", "covar"]
            .iter()
            .map(|ext| (format!("party_a.{ext}"), read(&format!("party_a.{ext}"))))
            .collect(),
        mutated: mutated.to_string(),
        args: Box::new(|input: &Path, out: &Path| {
            compress_args(
                p(input, "party_a.bed"),
                p(input, "party_a.pheno"),
                p(input, "party_a.covar"),
                out,
            )
        }),
        outputs: SUMMARY_OUT,
    }
}

/// A VCF-family file of the fixtures with its phenotypes and covariates, compressed.
fn vcf_target(
    name: &'static str,
    file: &'static str,
    pheno: &'static str,
    covar: &'static str,
) -> Target {
    let base = file.rsplit('/').next().unwrap().to_string();
    Target {
        name,
        files: vec![
            (base.clone(), read(file)),
            ("samples.pheno".into(), read(pheno)),
            ("samples.covar".into(), read(covar)),
        ],
        mutated: base.clone(),
        args: Box::new(move |i: &Path, o: &Path| {
            compress_args(p(i, &base), p(i, "samples.pheno"), p(i, "samples.covar"), o)
        }),
        outputs: SUMMARY_OUT,
    }
}

/// Party a's summary (made by compress here) merged with party c's.
fn summary_target() -> Target {
    let dir = tempfile::tempdir().unwrap();
    let a = fs::read(compress_party(dir.path(), "a")).unwrap();
    let c = fs::read(compress_party(dir.path(), "c")).unwrap();
    Target {
        name: "summary",
        files: vec![("a.parquet".into(), a), ("c.parquet".into(), c)],
        mutated: "a.parquet".to_string(),
        args: Box::new(|input: &Path, out: &Path| {
            vec![
                "merge".into(),
                p(input, "a.parquet"),
                p(input, "c.parquet"),
                "--threads".into(),
                "1".into(),
                "--no-report".into(),
                "--out".into(),
                p(out, "result"),
            ]
        }),
        outputs: &[
            ("result.log", false),
            ("result.af_bins.tsv", true),
            ("result.af_outliers.tsv", true),
            ("result.af_parties.tsv", true),
            ("result.y1.tsv.gz", true),
            ("result.y1.tsv.gz-meta.yaml", true),
            ("result.y1.skipped.tsv", true),
            ("result.y1.covariates.tsv", true),
            ("result.y1.loci.tsv", true),
            ("result.y2.tsv.gz", true),
            ("result.y2.tsv.gz-meta.yaml", true),
            ("result.y2.skipped.tsv", true),
            ("result.y2.covariates.tsv", true),
            ("result.y2.loci.tsv", true),
            ("result.phenotypes.tsv", true),
        ],
    }
}

// ---- the tests -------------------------------------------------------------------------------------

const TABS: &[u8] = b"\t";
const WHITE: &[u8] = b" \t";

#[test]
fn fuzz_bed() {
    let mutators = [
        structure("truncate", truncate_any),
        structure("flip a magic byte", |r, b| flip_in(r, b, 0, 3)),
        structure("append bytes", |r, b| {
            let mut out = b.to_vec();
            let n = r.range(1, 300);
            out.extend((0..n).map(|_| r.next() as u8));
            Some(out)
        }),
        value("change a genotype byte", |r, b| flip_in(r, b, 3, b.len())),
    ];
    assert!(fuzz(&plink_target("bed", "party_a.bed"), &mutators, runs()) > 0);
}

#[test]
fn fuzz_bim() {
    let mutators = [
        structure("delete a line", |r, b| delete_line(r, b, false)),
        structure("duplicate a line", |r, b| duplicate_line(r, b, false)),
        structure("delete a separator", |r, b| {
            let span = pick(r, &data_lines(b, false))?;
            let at = pick(r, &positions(b, span, TABS))?;
            Some(cut(b, at, 1))
        }),
        structure("truncate", truncate_before_last_line),
    ];
    assert!(fuzz(&plink_target("bim", "party_a.bim"), &mutators, runs()) > 0);
}

#[test]
fn fuzz_fam() {
    let mutators = [
        structure("delete a line", |r, b| delete_line(r, b, false)),
        structure("duplicate a line", |r, b| duplicate_line(r, b, false)),
        structure("truncate", truncate_before_last_line),
    ];
    assert!(fuzz(&plink_target("fam", "party_a.fam"), &mutators, runs()) > 0);
}

#[test]
fn fuzz_fam_separators() {
    let mutators = [structure("delete a separator", |r, b| {
        let span = pick(r, &data_lines(b, false))?;
        let at = pick(r, &positions(b, span, WHITE))?;
        Some(cut(b, at, 1))
    })];
    assert!(
        fuzz(
            &plink_target("fam_separators", "party_a.fam"),
            &mutators,
            runs()
        ) > 0
    );
}

/// Mutators of a phenotype or covariate table.
fn table_mutators() -> [Mutator; 6] {
    [
        structure("delete a separator of a data line", |r, b| {
            delete_separator(r, b, true, WHITE)
        }),
        structure("delete a separator of the header", |r, b| {
            let span = first_line(b)?;
            let at = pick(r, &positions(b, span, WHITE))?;
            Some(cut(b, at, 1))
        }),
        structure("truncate before a separator", |r, b| {
            truncate_before_separator(r, b, true, WHITE)
        }),
        structure("duplicate a data line", |r, b| duplicate_line(r, b, true)),
        structure("empty the file", |_, _| Some(Vec::new())),
        value("change a digit of a value", |r, b| {
            change_digit(r, b, true, 2, WHITE)
        }),
    ]
}

#[test]
fn fuzz_pheno() {
    assert!(
        fuzz(
            &plink_target("pheno", "party_a.pheno"),
            &table_mutators(),
            runs()
        ) > 0
    );
}

#[test]
fn fuzz_covar() {
    assert!(
        fuzz(
            &plink_target("covar", "party_a.covar"),
            &table_mutators(),
            runs()
        ) > 0
    );
}

/// Mutators of VCF text.
fn vcf_text_mutators() -> Vec<Mutator> {
    vec![
        structure("delete the #CHROM line", |_, b| {
            let (s, e) = *line_spans(b)
                .iter()
                .find(|(s, _)| b[*s..].starts_with(b"#CHROM"))?;
            Some(cut(b, s, (e + 1).min(b.len()) - s))
        }),
        structure("delete a separator of the #CHROM line", |r, b| {
            let span = *line_spans(b)
                .iter()
                .find(|(s, _)| b[*s..].starts_with(b"#CHROM"))?;
            let at = pick(r, &positions(b, span, TABS))?;
            Some(cut(b, at, 1))
        }),
        structure("break the fileformat line", |r, b| {
            b.starts_with(b"##fileformat=VCF").then_some(())?;
            flip_in(r, b, 0, 16)
        }),
        value("change a genotype digit", |r, b| {
            change_digit(r, b, false, 9, TABS)
        }),
        value("swap a 0 and a 1 of a genotype", swap_01),
    ]
}

/// Mutators of VCF records that need every line checked (column counts, short lines).
fn vcf_line_mutators() -> Vec<Mutator> {
    vec![
        structure("delete a separator of a record", |r, b| {
            let span = pick(r, &data_lines(b, false))?;
            let at = pick(r, &positions(b, span, TABS))?;
            Some(cut(b, at, 1))
        }),
        structure("truncate a record before a separator", |r, b| {
            truncate_before_separator(r, b, false, TABS)
        }),
    ]
}

fn vcf() -> Target {
    vcf_target(
        "vcf",
        "vcf/party_c.chr1-2.vcf",
        "party_c.pheno",
        "party_c.covar",
    )
}

fn vcf_gz() -> Target {
    vcf_target(
        "vcf_gz",
        "vcf/ds_a.vcf.gz",
        "vcf/ds_a.pheno",
        "vcf/ds_a.covar",
    )
}

fn bcf() -> Target {
    vcf_target("bcf", "vcf/ds_a.bcf", "vcf/ds_a.pheno", "vcf/ds_a.covar")
}

#[test]
fn fuzz_vcf() {
    assert!(fuzz(&vcf(), &vcf_text_mutators(), runs()) > 0);
}

#[test]
fn fuzz_vcf_lines() {
    assert!(fuzz(&vcf(), &vcf_line_mutators(), runs()) > 0);
}

#[test]
fn fuzz_vcf_gz() {
    let mutators = vec![
        structure("truncate inside a block", bgzf_truncate_inside_block),
        structure("flip a block header byte", bgzf_flip_header),
        value("change a genotype digit (recompressed)", |r, b| {
            inside_bgzf(r, b, |r, plain| change_digit(r, plain, false, 9, TABS))
        }),
        value("swap a 0 and a 1 of a genotype (recompressed)", |r, b| {
            inside_bgzf(r, b, swap_01)
        }),
    ];
    assert!(fuzz(&vcf_gz(), &mutators, runs()) > 0);
}

#[test]
fn fuzz_vcf_gz_blocks() {
    let mutators = vec![
        structure("drop blocks at a block boundary", bgzf_truncate_at_block),
        structure("flip a block CRC or size byte", bgzf_flip_trailer),
        structure("flip a deflate byte", bgzf_flip_payload),
    ];
    assert!(fuzz(&vcf_gz(), &mutators, runs()) > 0);
}

/// Where the first BCF record starts in decompressed BCF (after magic, l_text and the text).
fn bcf_first_record(plain: &[u8]) -> Option<usize> {
    let l_text = u32::from_le_bytes(plain.get(5..9)?.try_into().ok()?) as usize;
    let at = 9 + l_text;
    (at + 8 <= plain.len()).then_some(at)
}

/// The records of decompressed BCF: (start, length).
fn bcf_records(plain: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut at = bcf_first_record(plain)?;
    let mut records = Vec::new();
    while at + 8 <= plain.len() {
        let word = |k: usize| u32::from_le_bytes(plain[k..k + 4].try_into().unwrap()) as usize;
        let len = 8 + word(at) + word(at + 4);
        if at + len > plain.len() {
            return None;
        }
        records.push((at, len));
        at += len;
    }
    Some(records)
}

#[test]
fn fuzz_bcf() {
    let mutators = vec![
        structure("truncate inside a block", bgzf_truncate_inside_block),
        structure("flip a block header byte", bgzf_flip_header),
        structure("flip a BCF magic byte", |r, b| {
            inside_bgzf(r, b, |r, plain| flip_in(r, plain, 0, 5))
        }),
        structure("truncate inside a record", |r, b| {
            inside_bgzf(r, b, |r, plain| {
                let records = bcf_records(plain)?;
                let (start, len) = pick(r, &records)?;
                Some(plain[..start + r.range(1, len)].to_vec())
            })
        }),
    ];
    assert!(fuzz(&bcf(), &mutators, runs()) > 0);
}

#[test]
fn fuzz_bcf_lengths() {
    let mutators = vec![
        structure("change the header length", |r, b| {
            inside_bgzf(r, b, |r, plain| flip_in(r, plain, 5, 9))
        }),
        structure("change a record length", |r, b| {
            inside_bgzf(r, b, |r, plain| {
                let (start, _) = pick(r, &bcf_records(plain)?)?;
                flip_in(r, plain, start, start + 8)
            })
        }),
    ];
    assert!(fuzz(&bcf(), &mutators, runs()) > 0);
}

#[test]
fn fuzz_bcf_blocks() {
    let mutators = vec![
        structure("drop blocks at a block boundary", bgzf_truncate_at_block),
        structure("flip a block CRC or size byte", bgzf_flip_trailer),
        structure("flip a deflate byte", bgzf_flip_payload),
    ];
    assert!(fuzz(&bcf(), &mutators, runs()) > 0);
}

/// The footer of a Parquet file: (start of the metadata, its length).
fn parquet_footer(b: &[u8]) -> Option<(usize, usize)> {
    let n = b.len();
    let len = u32::from_le_bytes(b.get(n - 8..n - 4)?.try_into().ok()?) as usize;
    (len + 8 <= n).then(|| (n - 8 - len, len))
}

#[test]
fn fuzz_summary() {
    let mutators = vec![
        structure("truncate", truncate_any),
        structure("flip a leading magic byte", |r, b| flip_in(r, b, 0, 4)),
        structure("flip a trailing magic byte", |r, b| {
            flip_in(r, b, b.len() - 4, b.len())
        }),
        structure("change the footer length", |r, b| {
            flip_in(r, b, b.len() - 8, b.len() - 4)
        }),
    ];
    assert!(fuzz(&summary_target(), &mutators, runs()) > 0);
}

#[test]
fn fuzz_summary_bytes() {
    let mutators = vec![
        structure("flip a data byte", |r, b| {
            let (footer, _) = parquet_footer(b)?;
            flip_in(r, b, 4, footer)
        }),
        structure("flip a footer byte", |r, b| {
            let (footer, len) = parquet_footer(b)?;
            flip_in(r, b, footer, footer + len)
        }),
    ];
    assert!(fuzz(&summary_target(), &mutators, runs()) > 0);
}
