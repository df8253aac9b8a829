//! chrX under plink2's `--xchr-model`, the build and the PARs (issue 15, sex chromosomes).
//!
//! The fixture (`fixtures/chrx/make_chrx.py`, seed 20261127) is one cohort split into three
//! parties: two `.bed` filesets whose males' non-PAR chrX calls are diploid-coded (0/2) and a
//! VCF whose males' calls there are haploid (`0`/`1`, sex from a covariate column). The same
//! script's oracle fits numpy `lstsq` on the pooled samples, `y ~ 1 + age [+ sex] + x`, with
//! the sex covariate and the male coding on non-PAR chrX as plink2 does; nothing here shares
//! code or formulas with dash. Tolerance: 1e-9 relative in β, se, t, −log10 p and EAF; n exact.

use std::path::{Path, PathBuf};

use crate::common::*;

const TOLERANCE: f64 = 1e-9;

fn chrx() -> PathBuf {
    fixtures().join("chrx")
}

/// Compresses party `name` from `dir` (a, b: `.bed`; c: VCF with `--sex-col sex`) into
/// `out`, with `extra` options.
fn compress_from(dir: &Path, name: &str, out: &Path, extra: &[&str]) {
    let file = |ext: &str| dir.join(format!("party_{name}.{ext}"));
    let mut extra = [&["--min-cell", "1"], extra].concat();
    let genotypes = if name == "c" {
        extra.extend(["--sex-col", "sex", "--covar-name", "age"]);
        file("vcf")
    } else {
        file("bed")
    };
    compress_with(
        &genotypes,
        &file("pheno"),
        &file("covar"),
        name,
        out,
        &extra,
    );
}

/// Compresses fixture party `name` into `dir/NAME.parquet`.
fn compress(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.parquet"));
    compress_from(&chrx(), name, &out, extra);
    out
}

/// `dash merge X Y --out DIR/m`, as arguments.
fn merge_args(x: &Path, y: &Path, dir: &Path) -> Vec<String> {
    let out = dir.join("m");
    [
        "merge",
        x.to_str().unwrap(),
        y.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]
    .map(str::to_string)
    .to_vec()
}

/// Copies these files of fixture party `name` into `dir`.
fn copy_files(dir: &Path, name: &str, extensions: &[&str]) {
    for ext in extensions {
        let file = format!("party_{name}.{ext}");
        std::fs::copy(chrx().join(&file), dir.join(&file)).unwrap();
    }
}

/// Compresses the three parties with `extra` and merges them; returns the output prefix.
fn merge_parties(dir: &Path, extra: &[&str]) -> String {
    let parts: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|p| compress(dir, p, extra))
        .collect();
    let parts: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    merge_to(&parts, &dir.join("m"), &[])
}

fn check(extra: &[&str], golden: &str, tested: usize) {
    let dir = tempfile::tempdir().unwrap();
    let prefix = merge_parties(dir.path(), extra);
    let golden = chrx().join("golden").join(format!("{golden}.tsv"));
    let report = assert_matches_golden(&golden, &prefix, "y", TOLERANCE);
    assert_eq!(report.tested, tested, "{report:?}");
}

#[test]
fn default_model_2_equals_pooled_least_squares_with_sex_on_chrx() {
    check(&["--build", "38"], "model2", 40);
}

#[test]
fn build_goes_into_the_metadata_and_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = merge_parties(dir.path(), &["--build", "38"]);
    let meta = std::fs::read_to_string(format!("{prefix}.y.tsv.gz-meta.yaml")).unwrap();
    assert!(meta.contains("genome_assembly: GRCh38\n"), "{meta}");
    let log = std::fs::read_to_string(format!("{prefix}.log")).unwrap();
    assert!(log.contains("--xchr-model 2, build GRCh38"), "{log}");
}

#[test]
fn model_1_codes_males_0_to_1() {
    check(&["--build", "38", "--xchr-model", "1"], "model1", 40);
}

#[test]
fn model_0_skips_non_par_chrx() {
    // PAR1 and PAR2 are chrX too without --split-par: all 30 chrX variants go.
    check(&["--build", "38", "--xchr-model", "0"], "model0", 10);
}

#[test]
fn split_par_treats_the_pars_as_autosomal() {
    check(&["--build", "38", "--split-par"], "model2_split", 40);
}

#[test]
fn merged_summary_keeps_the_sex_field() {
    let dir = tempfile::tempdir().unwrap();
    let a = compress(dir.path(), "a", &["--build", "38"]);
    let b = compress(dir.path(), "b", &["--build", "38"]);
    let c = compress(dir.path(), "c", &["--build", "38"]);
    let ab = dir.path().join("ab.parquet");
    merge_to(
        &[&a, &b],
        &dir.path().join("ab"),
        &["--summary-out", ab.to_str().unwrap()],
    );
    let prefix = merge_to(&[&ab, &c], &dir.path().join("m"), &[]);
    let golden = chrx().join("golden").join("model2.tsv");
    assert_matches_golden(&golden, &prefix, "y", TOLERANCE);
}

#[test]
fn different_models_or_builds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = compress(d, "a", &["--build", "38", "--xchr-model", "1"]);
    let b = compress(d, "b", &["--build", "38"]);
    expect_error(
        d,
        &merge_args(&a, &b, d),
        "m.",
        &["a.parquet", "b.parquet", "--xchr-model 1"],
    );
    let a37 = d.join("a37");
    std::fs::create_dir(&a37).unwrap();
    let a37 = compress(&a37, "a", &["--build", "37"]);
    expect_error(
        d,
        &merge_args(&a37, &b, d),
        "m.",
        &["--build GRCh37", "GRCh38", "b.parquet"],
    );
}

#[test]
fn model_1_refuses_a_flip_on_chrx() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Party b with A1/A2 swapped in its .bim and its .bed recoded to match (00 ↔ 11; its 200
    // samples fill whole bytes, no padding): the same calls, its ALT the others' REF.
    let bed = std::fs::read(chrx().join("party_b.bed")).unwrap();
    let swap = |byte: u8| -> u8 {
        (0..4).fold(0, |out, k| {
            let code = (byte >> (2 * k)) & 3;
            let code = if code == 0 || code == 3 {
                3 - code
            } else {
                code
            };
            out | code << (2 * k)
        })
    };
    let recoded: Vec<u8> = bed[..3]
        .iter()
        .copied()
        .chain(bed[3..].iter().map(|&b| swap(b)))
        .collect();
    std::fs::write(d.join("party_b.bed"), recoded).unwrap();
    copy_files(d, "b", &["fam", "pheno", "covar"]);
    let bim = std::fs::read_to_string(chrx().join("party_b.bim")).unwrap();
    let swapped: String = bim
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                f[0], f[1], f[2], f[3], f[5], f[4]
            )
        })
        .collect();
    std::fs::write(d.join("party_b.bim"), swapped).unwrap();
    let b = d.join("b.parquet");
    compress_from(d, "b", &b, &["--xchr-model", "1", "--build", "38"]);
    let c = compress(d, "c", &["--xchr-model", "1", "--build", "38"]);
    expect_error(
        d,
        &merge_args(&c, &b, d),
        "m.",
        &["b.parquet", "X:", "--xchr-model 1", "per-sex sums"],
    );
    // Model 2 flips it exactly: the same as the unswapped party.
    let b2 = d.join("b2.parquet");
    compress_from(d, "b", &b2, &["--build", "38"]);
    let a = compress(d, "a", &["--build", "38"]);
    let c2dir = d.join("c2");
    std::fs::create_dir(&c2dir).unwrap();
    let c2 = compress(&c2dir, "c", &["--build", "38"]);
    let prefix = merge_to(&[&c2, &a, &b2], &d.join("flipped"), &[]);
    let golden = chrx().join("golden").join("model2.tsv");
    assert_matches_golden(&golden, &prefix, "y", TOLERANCE);
}

#[test]
fn bad_sex_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = chrx();
    // A sex code that is not 1/2/0.
    let covar = std::fs::read_to_string(f.join("party_c.covar")).unwrap();
    let mut lines: Vec<String> = covar.lines().map(str::to_string).collect();
    lines[3] = lines[3]
        .rsplit_once('\t')
        .map(|(a, _)| format!("{a}\t3"))
        .unwrap();
    let bad = d.join("bad.covar");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let base = |covar: &Path, extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "compress",
            f.join("party_c.vcf").to_str().unwrap(),
            "--pheno",
            f.join("party_c.pheno").to_str().unwrap(),
            "--covar",
            covar.to_str().unwrap(),
            "--covar-name",
            "age",
            "--out",
            d.join("c.parquet").to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    expect_error(
        d,
        &base(&bad, &["--sex-col", "sex"]),
        "c.",
        &["bad.covar", "line 4", "sex '3'"],
    );
    let good = f.join("party_c.covar");
    expect_error(
        d,
        &base(&good, &["--split-par"]),
        "c.",
        &["--split-par", "--build"],
    );
    expect_error(d, &base(&good, &["--build", "36"]), "c.", &["--build 36"]);
    expect_error(d, &base(&good, &["--sex-col", "nosuch"]), "c.", &["nosuch"]);
    // The VCF header's chrX is GRCh38's length.
    expect_error(
        d,
        &base(&good, &["--build", "37"]),
        "c.",
        &["party_c.vcf", "156040895", "GRCh38", "--build says GRCh37"],
    );
}

#[test]
fn unknown_sex_stops_chrx_at_merge_not_silently() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_files(d, "a", &["bed", "bim", "pheno", "covar"]);
    let fam = std::fs::read_to_string(chrx().join("party_a.fam")).unwrap();
    let fam = fam.replacen(" 0 0 1 -9", " 0 0 0 -9", 1);
    std::fs::write(d.join("party_a.fam"), fam).unwrap();
    let a = d.join("a.parquet");
    let file = |ext: &str| d.join(format!("party_a.{ext}"));
    let compressed = dash_ok(&[
        "compress",
        file("bed").to_str().unwrap(),
        "--pheno",
        file("pheno").to_str().unwrap(),
        "--covar",
        file("covar").to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
    ]);
    let log = String::from_utf8_lossy(&compressed.stderr);
    assert!(log.contains("1 unknown (no sex field"), "{log}");
    assert!(
        log.contains("no known_sex sample set (259 samples)"),
        "{log}"
    );
    let b = compress(d, "b", &[]);
    expect_error(
        d,
        &merge_args(&a, &b, d),
        "m.",
        &["non-PAR chrX", "a.parquet", "--xchr-model 0"],
    );
    // Model 0 needs no sex: autosomes merge.
    let a0 = d.join("a0.parquet");
    compress_from(d, "a", &a0, &["--xchr-model", "0"]);
    merge_to(&[&a0], &d.join("m0"), &[]);
}

/// The sex-chromosome sample-set fixture (`fixtures/chrx/sets/`, same script, seed 20261128):
/// samples of unknown sex in two parties, chrY and MT variants.
fn sets() -> PathBuf {
    chrx().join("sets")
}

/// Compresses the three parties of the sets fixture with `extra` and merges them with
/// `merge_extra`; returns the output prefix.
fn merge_sets(dir: &Path, extra: &[&str], merge_extra: &[&str]) -> String {
    let parts: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|name| {
            let out = dir.join(format!("{name}.parquet"));
            compress_from(&sets(), name, &out, extra);
            out
        })
        .collect();
    let parts: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    merge_to(&parts, &dir.join("m"), merge_extra)
}

/// `dash compress GENOTYPES` of sets-fixture party `name`'s phenotypes and covariates with
/// `extra`, into `out`, as arguments.
fn set_party_args(genotypes: &Path, name: &str, out: &Path, extra: &[&str]) -> Vec<String> {
    let file = |ext: &str| sets().join(format!("party_{name}.{ext}"));
    let mut args: Vec<String> = ["compress", genotypes.to_str().unwrap(), "--pheno"]
        .map(str::to_string)
        .to_vec();
    for path in [
        file("pheno"),
        "--covar".into(),
        file("covar"),
        "--out".into(),
    ] {
        args.push(path.to_str().unwrap().to_string());
    }
    args.push(out.to_str().unwrap().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// [`set_party_args`], run; its stderr (the log).
fn compress_set_party(genotypes: &Path, name: &str, out: &Path, extra: &[&str]) -> String {
    let args = set_party_args(genotypes, name, out, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    String::from_utf8_lossy(&dash_ok(&args).stderr).into_owned()
}

/// `dash merge INPUT --out DIR/m`, as arguments.
fn merge_alone(input: &Path, dir: &Path) -> Vec<String> {
    let out = dir.join("m");
    [
        "merge",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]
    .map(str::to_string)
    .to_vec()
}

#[test]
fn unknown_sex_drops_out_on_chrx_and_chry_is_fitted_on_males() {
    // plink2 --glm (2.00a3.5): chrX on the samples of known sex with the sex covariate, chrY on
    // the males without it, chrY and MT calls coded 0..1; autosomes and MT on every sample.
    let dir = tempfile::tempdir().unwrap();
    let prefix = merge_sets(dir.path(), &["--build", "38"], &[]);
    let golden = sets().join("golden").join("model2.tsv");
    let report = assert_matches_golden(&golden, &prefix, "y", TOLERANCE);
    assert_eq!(report.tested, 26, "{report:?}");
    // The sets repeat their group's phenotype in the header; it is merged once.
    let log = std::fs::read_to_string(format!("{prefix}.log")).unwrap();
    assert_eq!(log.matches("phenotype y: λGC").count(), 1, "{log}");
}

#[test]
fn no_x_sex_fits_chrx_on_every_sample() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = merge_sets(dir.path(), &["--build", "38"], &["--no-x-sex"]);
    let golden = sets().join("golden").join("nosex.tsv");
    let report = assert_matches_golden(&golden, &prefix, "y", TOLERANCE);
    assert_eq!(report.tested, 26, "{report:?}");
}

#[test]
fn sample_sets_obey_min_cell_and_a_missing_set_stops_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Party a has 14 samples of unknown sex: under --min-cell 20 its known-sex set would
    // single them out (the group minus the set), so it is left out and the log says why.
    let a = d.join("a.parquet");
    let bed = sets().join("party_a.bed");
    let log = compress_set_party(&bed, "a", &a, &["--min-cell", "20"]);
    assert!(
        log.contains("no known_sex sample set (226 samples)"),
        "{log}"
    );
    assert!(log.contains("chrY on the"), "{log}");
    let b = d.join("b.parquet");
    compress_from(&sets(), "b", &b, &[]);
    expect_error(
        d,
        &merge_args(&a, &b, d),
        "m.",
        &["non-PAR chrX", "a.parquet", "sex"],
    );
    // Party c without --sex-col: no sex, so no set of males for its chrY rows.
    let c = d.join("c.parquet");
    let vcf = sets().join("party_c.vcf");
    let no_sex = [
        "--covar-name",
        "age",
        "--min-cell",
        "1",
        "--xchr-model",
        "0",
    ];
    compress_set_party(&vcf, "c", &c, &no_sex);
    expect_error(
        d,
        &merge_alone(&c, d),
        "m.",
        &["chrY", "c.parquet", "males"],
    );
}

/// Sets-fixture parties a and b compressed into `dir` (`--build 38`), and the path party c's
/// summary goes to: `[a, b, c]`.
fn sets_parties_ab(dir: &Path) -> Vec<PathBuf> {
    let parts: Vec<PathBuf> = ["a", "b", "c"]
        .map(|name| dir.join(format!("{name}.parquet")))
        .to_vec();
    for (name, out) in ["a", "b"].iter().zip(&parts) {
        compress_from(&sets(), name, out, &["--build", "38"]);
    }
    parts
}

/// Merges `parts` into `dir/m_GOLDEN` with `extra` and checks the result against sets golden
/// `golden` (all 26 variants tested); `what` names the case in a failure.
fn check_sets_golden(parts: &[&Path], dir: &Path, extra: &[&str], golden: &str, what: &str) {
    let prefix = merge_to(parts, &dir.join(format!("m_{golden}")), extra);
    let golden = sets().join("golden").join(format!("{golden}.tsv"));
    let report = assert_matches_golden(&golden, &prefix, "y", TOLERANCE);
    assert_eq!(report.tested, 26, "{what}: {report:?}");
}

#[test]
fn haploid_ds_is_doubled_as_plink2_imports_it() {
    // Party c's calls as GT:DS with fractional dosages (`party_c_ds.vcf`, and its BCF by
    // `bcftools view -Ob`): plink2 2.00a3.5 doubles the DS of a sample whose GT in that record
    // is haploid (males' non-PAR chrX and chrY, everyone's MT), and the golden is the pooled
    // numpy OLS on the dosages so imported (fixtures/chrx/make_chrx.py).
    for source in ["party_c_ds.vcf", "party_c_ds.bcf"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let parts = sets_parties_ab(d);
        let with_sex = [
            "--covar-name",
            "age",
            "--sex-col",
            "sex",
            "--min-cell",
            "1",
            "--build",
            "38",
        ];
        compress_set_party(&sets().join(source), "c", &parts[2], &with_sex);
        let parts: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
        check_sets_golden(&parts, d, &[], "model2_ds", source);
    }
}

/// Party c's DS VCF with `edit` applied to each record line (header lines kept).
fn edited_ds_vcf(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let vcf = std::fs::read_to_string(sets().join("party_c_ds.vcf")).unwrap();
    let text: String = vcf
        .lines()
        .map(|line| {
            if line.starts_with('#') {
                format!("{line}\n")
            } else {
                edit(line) + "\n"
            }
        })
        .collect();
    let path = dir.join("party_c_ds.vcf");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn haploid_ds_above_one_and_ds_without_gt_on_chrx_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let with_sex = ["--covar-name", "age", "--sex-col", "sex", "--min-cell", "1"];
    // A haploid call's DS is on a 0..1 scale: 1.5 is an error (plink2: "invalid DS field").
    let above_one = edited_ds_vcf(d, |line| {
        if line.starts_with("MT\t500\t") {
            let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
            fields[9] = "1:1.5".to_string();
            fields.join("\t")
        } else {
            line.to_string()
        }
    });
    let args = set_party_args(&above_one, "c", &d.join("c.parquet"), &with_sex);
    expect_error(
        d,
        &args,
        "c.",
        &["party_c_ds.vcf", "MT:500", "C0001", "1.5", "haploid"],
    );
    // chrX, chrY and MT need GT to tell a haploid DS; autosomes do not.
    let ds_only = edited_ds_vcf(d, |line| {
        let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
        fields[8] = "DS".to_string();
        for call in &mut fields[9..] {
            *call = call.split(':').nth(1).unwrap().to_string();
        }
        fields.join("\t")
    });
    let args = set_party_args(&ds_only, "c", &d.join("c.parquet"), &with_sex);
    expect_error(
        d,
        &args,
        "c.",
        &["party_c_ds.vcf", "X:150000", "without GT"],
    );
    // The same two in BCF (made by fixtures/chrx/make_chrx.py with bcftools).
    let bad = sets().join("bad_ds");
    for (file, needles) in [
        (
            "haploid_above_one.bcf",
            ["haploid_above_one.bcf", "MT:500", "C0001", "1.5"],
        ),
        (
            "ds_only.bcf",
            ["ds_only.bcf", "record 7", "X:150000", "without GT"],
        ),
    ] {
        let args = set_party_args(&bad.join(file), "c", &d.join("c.parquet"), &with_sex);
        expect_error(d, &args, "c.", &needles);
    }
    let text = std::fs::read_to_string(&ds_only).unwrap();
    let autosomal: String = text
        .lines()
        .filter(|line| line.starts_with('#') || line.starts_with("1\t"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&ds_only, autosomal).unwrap();
    compress_set_party(&ds_only, "c", &d.join("c.parquet"), &with_sex);
}

#[test]
fn ld_region_on_chrx_with_a_known_sex_set_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bed = sets().join("party_a.bed");
    let extra = ["--min-cell", "1", "--ld-region", "X:1-3000000"];
    let args = set_party_args(&bed, "a", &d.join("a.parquet"), &extra);
    expect_error(d, &args, "a.", &["--ld-region X:1-3000000", "sample sets"]);
}

#[test]
fn case_control_counts_follow_each_rows_sample_set() {
    // The sets fixture with y turned into plink2's 1/2 case/control coding (2 above the party's
    // median). Counted here from the fixture's own files: autosomes and MT test every sample,
    // non-PAR chrX the samples of known sex, chrY the males; n_cases + n_controls = n.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // (cases, controls) over every sample, the samples of known sex, and the males.
    let mut expected = [(0u64, 0u64); 3];
    let parts: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|name| {
            let file = |ext: &str| format!("party_{name}.{ext}");
            let genotypes: &[&str] = match *name {
                "c" => &["vcf"],
                _ => &["bed", "bim", "fam"],
            };
            for ext in genotypes.iter().chain(&["covar"]) {
                std::fs::copy(sets().join(file(ext)), d.join(file(ext))).unwrap();
            }
            // Sex by IID: the .fam's fifth column, or party c's covariate column (NA unknown).
            let (sex_file, iid, sex, sep) = match *name {
                "c" => (file("covar"), 1, 3, '\t'),
                _ => (file("fam"), 1, 4, ' '),
            };
            let sexes: std::collections::HashMap<String, String> =
                std::fs::read_to_string(sets().join(sex_file))
                    .unwrap()
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .map(|l| {
                        let f: Vec<&str> = l.split(sep).collect();
                        (f[iid].to_string(), f[sex].to_string())
                    })
                    .collect();
            let pheno = std::fs::read_to_string(sets().join(file("pheno"))).unwrap();
            let rows: Vec<Vec<&str>> = pheno
                .lines()
                .skip(1)
                .map(|l| l.split('\t').collect())
                .collect();
            let mut ys: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
            ys.sort_by(f64::total_cmp);
            let median = ys[ys.len() / 2];
            let mut text = String::from("#FID\tIID\ty\n");
            for r in &rows {
                let case = r[2].parse::<f64>().unwrap() > median;
                text.push_str(&format!("{}\t{}\t{}\n", r[0], r[1], 1 + u8::from(case)));
                let sex = sexes[r[1]].as_str();
                let known = sex == "1" || sex == "2";
                for (class, member) in [(0, true), (1, known), (2, sex == "1")] {
                    if member {
                        let counts = &mut expected[class];
                        match case {
                            true => counts.0 += 1,
                            false => counts.1 += 1,
                        }
                    }
                }
            }
            std::fs::write(d.join(file("pheno")), text).unwrap();
            let out = d.join(format!("{name}.parquet"));
            compress_from(d, name, &out, &["--build", "38"]);
            out
        })
        .collect();
    let parts: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let prefix = merge_to(&parts, &d.join("m"), &[]);
    let results = Tsv::read(format!("{prefix}.y.tsv.gz").as_ref());
    let column = |name: &str| results.header.iter().position(|c| c == name).unwrap();
    let (chrom, n, cases, controls) = (
        column("chromosome"),
        column("n"),
        column("n_cases"),
        column("n_controls"),
    );
    let mut seen = [0; 3];
    for row in &results.rows {
        // The fixture's chrX variants are all outside the PARs of GRCh38 but the first two.
        let class = match row[chrom].as_str() {
            "23" | "X" => 1,
            "24" | "Y" => 2,
            _ => 0,
        };
        let got: (u64, u64) = (row[cases].parse().unwrap(), row[controls].parse().unwrap());
        assert_eq!(got.0 + got.1, row[n].parse::<u64>().unwrap(), "{row:?}");
        if class != 1 || got != expected[0] {
            assert_eq!(got, expected[class], "{row:?}");
        }
        seen[class] += usize::from(got == expected[class]);
    }
    assert!(seen.iter().all(|&s| s > 0), "{seen:?} {expected:?}");
}

/// Males, females and unknowns of a covariate file's `sex` column (1, 2, anything else), read
/// here from the fixture's text: the sexes inference must find.
fn sex_counts(covar: &Path) -> (usize, usize, usize) {
    let text = std::fs::read_to_string(covar).unwrap();
    let mut counts = (0, 0, 0);
    for line in text.lines().skip(1) {
        match line.rsplit('\t').next().unwrap() {
            "1" => counts.0 += 1,
            "2" => counts.1 += 1,
            _ => counts.2 += 1,
        }
    }
    counts
}

/// Compresses `genotypes` (party c's calls) with party c's tables of `dir`, sex inferred from
/// its calls, into `out`; returns the log.
fn compress_inferring_sex(dir: &Path, genotypes: &Path, out: &Path, extra: &[&str]) -> String {
    let file = |ext: &str| dir.join(format!("party_c.{ext}"));
    let mut args: Vec<String> = ["compress", genotypes.to_str().unwrap(), "--pheno"]
        .map(str::to_string)
        .to_vec();
    for arg in [
        file("pheno"),
        "--covar".into(),
        file("covar"),
        "--out".into(),
    ] {
        args.push(arg.to_str().unwrap().to_string());
    }
    args.push(out.to_str().unwrap().to_string());
    for arg in ["--covar-name", "age", "--min-cell", "1", "--sex-from-calls"]
        .iter()
        .chain(extra)
    {
        args.push(arg.to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    String::from_utf8_lossy(&dash_ok(&args).stderr).into_owned()
}

#[test]
fn sex_inferred_from_haploid_chrx_calls_equals_pooled_least_squares_with_the_true_sex() {
    // Party c's sex is not given: inferred from its haploid male calls (the VCF by a first
    // scan, the BCF through its .csi). The goldens are the numpy OLS with the true sex.
    let (males, females, _) = sex_counts(&chrx().join("party_c.covar"));
    let expected = format!("{males} male, {females} female, 0 unknown");
    for (source, model, golden) in [
        ("party_c.vcf", "2", "model2"),
        ("party_c.bcf", "1", "model1"),
        ("party_c.bcf", "2", "model2_split"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut extra = vec!["--xchr-model", model];
        if golden.ends_with("split") {
            // --split-par asks for --build before any header is read.
            extra.extend(["--split-par", "--build", "38"]);
        }
        // Otherwise the VCF/BCF header gives c's build; the .bed parties get --build.
        let bed = match extra.contains(&"--build") {
            true => extra.clone(),
            false => [extra.as_slice(), &["--build", "38"]].concat(),
        };
        let a = compress(d, "a", &bed);
        let b = compress(d, "b", &bed);
        let c = d.join("c.parquet");
        let log = compress_inferring_sex(&chrx(), &chrx().join(source), &c, &extra);
        assert!(log.contains(&expected), "{source}: {log}");
        assert!(log.contains("sex from chrx_ploidy"), "{log}");
        match source.ends_with(".bcf") {
            true => assert!(log.contains("read through"), "{log}"),
            false => assert!(log.contains("a first scan of the whole file"), "{log}"),
        }
        // 22 non-PAR records: the 8 in PAR1/PAR2 are left out by the header's build.
        assert!(log.contains("22 non-PAR chrX records (GRCh38"), "{log}");
        let prefix = merge_to(&[&a, &b, &c], &d.join("m"), &[]);
        let golden = chrx().join("golden").join(format!("{golden}.tsv"));
        let report = assert_matches_golden(&golden, &prefix, "y", TOLERANCE);
        assert_eq!(report.tested, 40, "{source}: {report:?}");
    }
}

#[test]
fn samples_with_mixed_ploidy_or_no_chrx_call_are_of_unknown_sex() {
    // The sets fixture's party c has samples whose sex column is NA; their calls follow their
    // true sex. Here those samples get no non-PAR chrX call (odd ones) or one call of the
    // other ploidy (even ones): inference finds them of unknown sex, so they drop out of
    // non-PAR chrX and chrY exactly as the golden's unknown-sex samples do.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let covar = std::fs::read_to_string(sets().join("party_c.covar")).unwrap();
    let unknown: Vec<&str> = covar
        .lines()
        .skip(1)
        .filter(|l| l.ends_with("\tNA"))
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    assert!(unknown.len() >= 2, "{unknown:?}");
    let vcf = std::fs::read_to_string(sets().join("party_c.vcf")).unwrap();
    let samples: Vec<&str> = vcf
        .lines()
        .find(|l| l.starts_with("#CHROM"))
        .unwrap()
        .split('\t')
        .skip(9)
        .collect();
    let mut first_non_par = true;
    let edited: String = vcf
        .lines()
        .map(|line| {
            let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
            let non_par = fields[0] == "X" && fields[1].parse::<u64>().unwrap() > 2_781_479;
            if line.starts_with('#') || !non_par {
                return format!("{line}\n");
            }
            for (k, iid) in unknown.iter().enumerate() {
                let i = 9 + samples.iter().position(|s| s == iid).unwrap();
                let call = &mut fields[i];
                if k % 2 == 1 {
                    *call = if call.contains('/') { "./." } else { "." }.to_string();
                } else if first_non_par {
                    *call = match call.contains('/') {
                        true => "1".to_string(),
                        false => "0/1".to_string(),
                    };
                }
            }
            first_non_par = false;
            fields.join("\t") + "\n"
        })
        .collect();
    let edited_path = d.join("party_c.vcf");
    std::fs::write(&edited_path, edited).unwrap();
    let parts = sets_parties_ab(d);
    let log = compress_inferring_sex(&sets(), &edited_path, &parts[2], &[]);
    let (males, females, _) = sex_counts(&sets().join("party_c.covar"));
    let (mixed, no_calls) = (unknown.len().div_ceil(2), unknown.len() / 2);
    let expected = format!(
        "{males} male, {females} female, {} unknown ({mixed} with haploid and diploid calls, {no_calls} without a non-missing call)",
        unknown.len()
    );
    assert!(log.contains(&expected), "{expected}\n{log}");
    let parts: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    check_sets_golden(&parts, d, &[], "model2", "inferred");
}

#[test]
fn sex_from_calls_is_refused_where_calls_cannot_tell_sex() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = chrx();
    let args = |genotypes: &Path, extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "compress",
            genotypes.to_str().unwrap(),
            "--pheno",
            f.join("party_c.pheno").to_str().unwrap(),
            "--covar",
            f.join("party_c.covar").to_str().unwrap(),
            "--covar-name",
            "age",
            "--sex-from-calls",
            "--out",
            d.join("c.parquet").to_str().unwrap(),
        ]
        .map(str::to_string)
        .to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let vcf = f.join("party_c.vcf");
    expect_error(
        d,
        &args(&vcf, &["--sex-col", "sex"]),
        "c.",
        &["--sex-from-calls and --sex-col"],
    );
    expect_error(
        d,
        &args(&f.join("party_a.bed"), &[]),
        "c.",
        &["party_a.bed", "plink1-bed", ".fam/.psam"],
    );
    // Edits of the VCF: each record line through `edit`, header lines through `header`.
    let text = std::fs::read_to_string(&vcf).unwrap();
    let edited = |name: &str, header: &dyn Fn(&str) -> bool, edit: &dyn Fn(&str) -> String| {
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('#') || header(l))
            .map(|l| match l.starts_with('#') {
                true => format!("{l}\n"),
                false => edit(l),
            })
            .collect();
        let path = d.join(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    // No contig lengths and no --build: PAR1/PAR2 cannot be left out.
    let no_build = edited("nobuild.vcf", &|l| !l.starts_with("##contig"), &|l| {
        format!("{l}\n")
    });
    expect_error(
        d,
        &args(&no_build, &[]),
        "c.",
        &["nobuild.vcf", "--build 37 or 38"],
    );
    // Males written diploid (a haploid `g` as `g/g`): every sample would be female.
    let diploid = edited("diploid.vcf", &|_| true, &|l| {
        let fields: Vec<String> = l
            .split('\t')
            .enumerate()
            .map(|(k, c)| match k >= 9 && !c.contains('/') {
                true if c == "." => "./.".to_string(),
                true => format!("{c}/{c}"),
                false => c.to_string(),
            })
            .collect();
        fields.join("\t") + "\n"
    });
    expect_error(
        d,
        &args(&diploid, &[]),
        "c.",
        &["diploid.vcf", "no sample has a haploid call", "--sex-col"],
    );
    // No chrX at all.
    let autosomal = edited(
        "autosomal.vcf",
        &|_| true,
        &|l| match l.starts_with("1\t") {
            true => format!("{l}\n"),
            false => String::new(),
        },
    );
    expect_error(
        d,
        &args(&autosomal, &[]),
        "c.",
        &["autosomal.vcf", "no non-PAR chrX record"],
    );
}

#[test]
fn a_missing_ds_beside_a_gt_call_is_the_hard_call_as_plink2_imports_it() {
    // party_c_dsgt.vcf: party c's GT:DS with DS `.` for a tenth of the observed calls (haploid
    // ones too). plink2 2.00a3.5 `dosage=DS` imports those as their hard calls (a haploid call
    // as the homozygous one); the golden is the pooled numpy OLS on the dosages so imported.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let parts = sets_parties_ab(d);
    let with_sex = ["--covar-name", "age", "--sex-col", "sex", "--min-cell", "1"];
    // The BCF (`bcftools view -Ob` of the VCF) gives the same.
    for source in ["party_c_dsgt.vcf", "party_c_dsgt.bcf"] {
        compress_set_party(&sets().join(source), "c", &parts[2], &with_sex);
        let parts: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
        check_sets_golden(&parts, d, &[], "model2_dsgt", source);
    }
}

#[test]
fn a_record_with_gt_and_no_ds_is_read_as_its_hard_calls() {
    // Read for DS, plink2 2.00a3.5 (`--vcf F dosage=DS --export A`, measured on this very file)
    // imports v1 (FORMAT GT alone) as its hard calls 1, 2, 0; v2 (GT:DS, DS `.` twice) as 1,
    // 0.5, 0; v3 (DS:GT: a VCF's GT after DS does not count) as missing, 1.5, missing. The ALT
    // dosages sum to 6.
    let dir = tempfile::tempdir().unwrap();
    let vcf = dir.path().join("gt_beside_ds.vcf");
    let text = "##fileformat=VCFv4.2\n##contig=<ID=1,length=248956422>\n\
        ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
        ##FORMAT=<ID=DS,Number=A,Type=Float,Description=\"ALT dosage\">\n\
        #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\n\
        1\t1000\tv1\tC\tT\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\n\
        1\t2000\tv2\tC\tT\t.\tPASS\t.\tGT:DS\t0/1:.\t1/1:0.5\t0/0:.\n\
        1\t3000\tv3\tC\tT\t.\tPASS\t.\tDS:GT\t.:0/1\t1.5:1/1\t.:./.\n";
    std::fs::write(&vcf, text).unwrap();
    let out = dash_ok(&["decode", vcf.to_str().unwrap(), "--dosage-field", "DS"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("decoded 3 variants"), "{stdout}");
    assert!(stdout.contains("dosage sum 6)"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("without FORMAT/DS"), "{stderr}");
}

#[test]
fn a_merged_summary_carries_the_sample_sets_and_merges_again_as_its_parties() {
    // The sets fixture has samples of unknown sex (known-sex sets) and chrY (sets of males):
    // the --summary-out of a merge carries both, so merging it again — with a further party,
    // or alone, with or without --no-x-sex — gives the goldens of the direct merge.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let parts = sets_parties_ab(d);
    compress_from(&sets(), "c", &parts[2], &["--build", "38"]);
    let (a, b, c) = (&parts[0], &parts[1], &parts[2]);
    let ab = d.join("ab.parquet");
    merge_to(
        &[a, b],
        &d.join("ab"),
        &["--summary-out", ab.to_str().unwrap()],
    );
    let abc = d.join("abc.parquet");
    merge_to(
        &[a, b, c],
        &d.join("abc"),
        &["--summary-out", abc.to_str().unwrap()],
    );
    check_sets_golden(&[&ab, c], d, &[], "model2", "ab + c");
    let alone = d.join("alone");
    std::fs::create_dir(&alone).unwrap();
    check_sets_golden(&[&abc], &alone, &[], "model2", "abc alone");
    check_sets_golden(&[&abc], d, &["--no-x-sex"], "nosex", "abc --no-x-sex");
}
