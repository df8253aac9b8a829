//! Shared helpers for the end-to-end tests: run the binary, read its outputs and the goldens.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Runs `dash ARGS…`.
pub fn dash(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dash"))
        .args(args)
        .output()
        .expect("run dash")
}

/// Runs `dash ARGS…` and panics with its stderr unless it succeeds.
pub fn dash_ok(args: &[&str]) -> Output {
    let out = dash(args);
    assert!(
        out.status.success(),
        "dash {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// What every compress of a fixture party for an exact pooled comparison passes: the fixtures'
/// categorical covariate `site` declared, and `--min-cell 1` — the oracles pool every call and
/// mean-impute missing calls with the pooled mean, while the default `--min-cell 5` suppresses a
/// party's variants with 1–4 carriers and imputes its 1–4 missing calls with the party's mean.
pub const EXACT: [&str; 4] = ["--covar-categorical", "site", "--min-cell", "1"];

/// Compresses party `name` (a, b, c) of the fixtures into `dir/name.parquet` (with [`EXACT`]).
pub fn compress_party(dir: &Path, name: &str) -> PathBuf {
    let f = fixtures();
    let out = dir.join(format!("party_{name}.parquet"));
    dash_ok(&[
        "compress",
        f.join(format!("party_{name}.bed")).to_str().unwrap(),
        "--pheno",
        f.join(format!("party_{name}.pheno")).to_str().unwrap(),
        "--covar",
        f.join(format!("party_{name}.covar")).to_str().unwrap(),
        "--party",
        name,
        "--out",
        out.to_str().unwrap(),
        EXACT[0],
        EXACT[1],
        EXACT[2],
        EXACT[3],
    ]);
    out
}

/// A tab-separated table: header and rows keyed by column name.
pub struct Tsv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Tsv {
    pub fn parse(text: &str) -> Tsv {
        let mut lines = text.lines();
        let header = lines
            .next()
            .expect("header")
            .split('\t')
            .map(str::to_string)
            .collect();
        let rows = lines
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect();
        Tsv { header, rows }
    }

    pub fn read(path: &Path) -> Tsv {
        let text = if path.extension().is_some_and(|e| e == "gz") {
            let mut reader = noodles_bgzf::io::Reader::new(std::fs::File::open(path).unwrap());
            let mut text = String::new();
            reader.read_to_string(&mut text).unwrap();
            text
        } else {
            std::fs::read_to_string(path).unwrap()
        };
        Tsv::parse(&text)
    }

    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// Rows keyed by the value of column `key`.
    pub fn by(&self, key: &str) -> HashMap<String, HashMap<String, String>> {
        let k = self.column(key);
        self.rows
            .iter()
            .map(|row| {
                let map = self
                    .header
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .collect();
                (row[k].clone(), map)
            })
            .collect()
    }
}

/// Lines of a golden file after its header, split on tabs.
pub fn golden_rows(path: &Path) -> Vec<Vec<String>> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

/// |a − b| / |b|, with b = 0 compared absolutely.
pub fn relative_error(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        a.abs()
    } else {
        (a - b).abs() / b.abs()
    }
}

/// Files in `dir` whose names start with `prefix` (including temporaries `.prefix…`).
pub fn files_starting_with(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) || n.starts_with(&format!(".{prefix}")))
        .collect()
}

/// Worst relative errors found by [`assert_matches_golden`].
#[derive(Debug, Default)]
pub struct GoldenReport {
    pub tested: usize,
    pub skipped: usize,
    /// beta, se, t, −log10 p, eaf.
    pub worst: [f64; 5],
}

/// Checks dash's `PREFIX.<pheno>.tsv.gz` and `.skipped.tsv` against an oracle golden TSV
/// (`chrom pos variant_id effect_allele other_allele n eaf beta se t neg_log10_p status`):
/// every `ok` row tested with the same alleles and n and numbers within `tolerance` relative;
/// every other row in the skipped list with the same reason; nothing tested the oracle skips.
pub fn assert_matches_golden(
    golden: &Path,
    prefix: &str,
    phenotype: &str,
    tolerance: f64,
) -> GoldenReport {
    let golden = Tsv::read(golden);
    let results = Tsv::read(format!("{prefix}.{phenotype}.tsv.gz").as_ref()).by("rsid");
    let skipped = Tsv::read(format!("{prefix}.{phenotype}.skipped.tsv").as_ref()).by("variant_id");
    let mut report = GoldenReport::default();
    for row in &golden.rows {
        let get = |name: &str| row[golden.column(name)].as_str();
        let id = get("variant_id");
        if get("status") != "ok" {
            let skip = skipped
                .get(id)
                .unwrap_or_else(|| panic!("{phenotype} {id}: not in the skipped list"));
            assert_eq!(skip["reason"], get("status"), "{phenotype} {id}");
            assert!(
                !results.contains_key(id),
                "{phenotype} {id}: tested, but the oracle skips it"
            );
            report.skipped += 1;
            continue;
        }
        let ours = results
            .get(id)
            .unwrap_or_else(|| panic!("{phenotype} {id}: missing from the output"));
        assert_eq!(
            ours["effect_allele"],
            get("effect_allele"),
            "{phenotype} {id}: effect allele"
        );
        assert_eq!(
            ours["other_allele"],
            get("other_allele"),
            "{phenotype} {id}: other allele"
        );
        assert_eq!(ours["n"], get("n"), "{phenotype} {id}: n");
        let pairs = GOLDEN_COLUMNS;
        for (k, (ours_name, golden_name)) in pairs.iter().enumerate() {
            let a: f64 = ours[*ours_name].parse().unwrap();
            let b: f64 = get(golden_name).parse().unwrap();
            let err = relative_error(a, b);
            assert!(
                err <= tolerance,
                "{phenotype} {id} {ours_name}: dash {a} vs oracle {b} (relative error {err:e})"
            );
            report.worst[k] = report.worst[k].max(err);
        }
        report.tested += 1;
    }
    assert_eq!(
        report.tested,
        results.len(),
        "{phenotype}: dash tested variants the oracle did not"
    );
    eprintln!(
        "{phenotype}: {} tested, {} skipped; worst relative error beta {:.1e}, se {:.1e}, t {:.1e}, -log10 p {:.1e}, eaf {:.1e}",
        report.tested, report.skipped, report.worst[0], report.worst[1], report.worst[2], report.worst[3], report.worst[4]
    );
    report
}

/// Compresses `genotypes` with the given phenotype/covariate files into `out` (with [`EXACT`]).
pub fn compress_to(
    genotypes: &Path,
    pheno: &Path,
    covar: &Path,
    party: &str,
    out: &Path,
    extra: &[&str],
) {
    let options: Vec<&str> = EXACT.iter().chain(extra).copied().collect();
    compress_with(genotypes, pheno, covar, party, out, &options);
}

/// [`compress_to`] with only the `options` given (no [`EXACT`]).
pub fn compress_with(
    genotypes: &Path,
    pheno: &Path,
    covar: &Path,
    party: &str,
    out: &Path,
    options: &[&str],
) {
    let mut args = vec![
        "compress",
        genotypes.to_str().unwrap(),
        "--pheno",
        pheno.to_str().unwrap(),
        "--covar",
        covar.to_str().unwrap(),
        "--party",
        party,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(options);
    dash_ok(&args);
}

/// Compresses DS party `party` (`ds_a`, `ds_b`) of `fixtures/vcf` into `dir/party.parquet` with
/// `--min-cell 1` (the DS oracles pool every call; the DS fixtures have no categorical covariate).
pub fn compress_ds_party(dir: &Path, party: &str) -> PathBuf {
    let v = fixtures().join("vcf");
    let out = dir.join(format!("{party}.parquet"));
    let path = |ext: &str| v.join(format!("{party}.{ext}"));
    dash_ok(&[
        "compress",
        path("vcf.gz").to_str().unwrap(),
        "--pheno",
        path("pheno").to_str().unwrap(),
        "--covar",
        path("covar").to_str().unwrap(),
        "--party",
        party,
        "--out",
        out.to_str().unwrap(),
        "--min-cell",
        "1",
    ]);
    out
}

/// Runs `dash merge SUMMARIES… --out PREFIX EXTRA…`; returns the prefix.
pub fn merge_to(summaries: &[&Path], prefix: &Path, extra: &[&str]) -> String {
    let mut args = vec!["merge"];
    args.extend(summaries.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", prefix.to_str().unwrap()]);
    args.extend(extra);
    dash_ok(&args);
    prefix.to_str().unwrap().to_string()
}

/// Two merge outputs agree: same variants, alleles and n; se within `tolerance` relative; β
/// within `tolerance`·max(|β|, se) (β near 0 has no relative digits beyond its se's);
/// t and −log10 p within `tolerance`·max(|v|, 1).
pub fn assert_same_results(a: &str, b: &str, phenotype: &str, tolerance: f64) -> f64 {
    let ra = Tsv::read(format!("{a}.{phenotype}.tsv.gz").as_ref()).by("variant_id");
    let rb = Tsv::read(format!("{b}.{phenotype}.tsv.gz").as_ref()).by("variant_id");
    assert_eq!(
        ra.len(),
        rb.len(),
        "{phenotype}: {a} and {b} test different numbers of variants"
    );
    let mut worst = 0.0f64;
    for (id, x) in &ra {
        let y = rb
            .get(id)
            .unwrap_or_else(|| panic!("{phenotype} {id}: only in {a}"));
        for column in ["effect_allele", "other_allele", "n"] {
            assert_eq!(x[column], y[column], "{phenotype} {id} {column}");
        }
        let num = |r: &HashMap<String, String>, c: &str| r[c].parse::<f64>().unwrap();
        let se = num(y, "standard_error");
        let checks = [
            ("standard_error", se.abs()),
            ("beta", num(y, "beta").abs().max(se)),
            ("t_statistic", num(y, "t_statistic").abs().max(1.0)),
            (
                "neg_log_10_p_value",
                num(y, "neg_log_10_p_value").abs().max(1.0),
            ),
        ];
        for (column, scale) in checks {
            let err = (num(x, column) - num(y, column)).abs() / scale;
            assert!(
                err <= tolerance,
                "{phenotype} {id} {column}: {} vs {} ({err:e})",
                x[column],
                y[column]
            );
            worst = worst.max(err);
        }
    }
    worst
}

/// Runs dash, expects failure with one stderr line containing every `needles`, and no output
/// starting with `out_name` in `dir`.
pub fn expect_error<S: AsRef<str>>(dir: &Path, args: &[S], out_name: &str, needles: &[&str]) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = dash(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "dash {args:?} succeeded");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("dash: error"))
        .collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {stderr}");
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "error line lacks '{needle}': {}",
            lines[0]
        );
    }
    let left = files_starting_with(dir, out_name);
    assert!(left.is_empty(), "output left behind: {left:?}");
}

/// Copies party `name`'s fixture files into `dir`; returns the file prefix.
pub fn copy_party(dir: &Path, name: &str) -> PathBuf {
    for ext in ["bed", "bim", "fam", "pheno", "covar"] {
        fs::copy(
            fixtures().join(format!("party_{name}.{ext}")),
            dir.join(format!("party_{name}.{ext}")),
        )
        .unwrap();
    }
    dir.join(format!("party_{name}"))
}

/// Every file name in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// GWAS-SSF columns and the oracle's golden column each is compared with.
pub const GOLDEN_COLUMNS: [(&str, &str); 5] = [
    ("beta", "beta"),
    ("standard_error", "se"),
    ("t_statistic", "t"),
    ("neg_log_10_p_value", "neg_log10_p"),
    ("effect_allele_frequency", "eaf"),
];

/// Everything a genotype reader yields, variant by variant.
#[derive(Debug, Default)]
pub struct Decoded {
    pub variants: Vec<dash::genotype::Variant>,
    pub dosages: Vec<Vec<f64>>,
    pub missing: Vec<Vec<u32>>,
    pub qc: Vec<dash::genotype::QcCounts>,
    /// Packed `.bed` bytes per variant (hard-call readers).
    pub packed: Vec<Vec<u8>>,
    pub notes: Vec<String>,
    /// The dosage field the reader reports.
    pub field: String,
}

/// Reads every block of `path` (7 variants a block, so multi-allelic sites, LD runs and BGZF
/// blocks cross block boundaries), completing each block's decoding.
pub fn decode_all(
    path: &Path,
    region: Option<&str>,
    field: dash::genotype::DosageField,
) -> Result<Decoded, String> {
    let region = region.map(|r| dash::genotype::Region::parse(r).unwrap());
    let mut reader =
        dash::genotype::open(path, region.as_ref(), field).map_err(|e| e.to_string())?;
    let n = reader.samples().len();
    let mut block = dash::genotype::GenotypeBlock::default();
    let mut all = Decoded {
        field: reader.dosage_field().to_string(),
        ..Decoded::default()
    };
    while reader
        .read_block(7, &mut block)
        .map_err(|e| e.to_string())?
    {
        block.finish_decoding();
        for v in 0..block.len() {
            all.dosages.push(block.dosages_of(v, n));
            if block.is_packed() {
                let bpv = block.bytes_per_variant;
                all.packed
                    .push(block.packed[v * bpv..(v + 1) * bpv].to_vec());
            }
        }
        all.variants.extend(block.variants.iter().cloned());
        all.missing.extend(block.missing.iter().cloned());
        all.qc.extend(block.qc.iter().cloned());
    }
    all.notes = reader.notes();
    Ok(all)
}
