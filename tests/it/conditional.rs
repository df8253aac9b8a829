//! Exact pooled conditional and joint analysis from LD sums (issue 19).
//!
//! Oracle: `fixtures/oracle_conditional.py` — numpy `lstsq` of y on the covariates, the
//! conditioning dosages and the tested dosage over the pooled samples of exactly the parties
//! holding every variant of the fit, missing calls mean-imputed over those samples. Three
//! parties: a (PLINK 1, alleles swapped at half the variants), b (VCF, lacking 1:37743446 and
//! 1:39579921), c (PLINK 1); the fixtures have missing calls. Tolerance 1e-9 relative; n exact.

use std::path::{Path, PathBuf};

use crate::common::*;

const ORACLE_TOLERANCE: f64 = 1e-9;
const REGION: &str = "1:37000001-40000000";

/// Compresses the three consortium parties with the LD sums of [`REGION`].
fn compress_with_ld(dir: &Path) -> [PathBuf; 3] {
    crate::consortium::compress_consortium_with(dir, &["--ld-region", REGION])
}

/// `dash compress GENOTYPES --pheno party_NAME.pheno [--covar party_NAME.covar] --out OUT
/// EXTRA…` (the fixture party's phenotype and, with `covar`, covariate files).
fn compress_args(
    genotypes: &Path,
    name: &str,
    covar: bool,
    out: &Path,
    extra: &[&str],
) -> Vec<String> {
    let f = fixtures();
    let mut args = vec!["compress".to_string(), genotypes.display().to_string()];
    let mut files = vec![("--pheno", f.join(format!("party_{name}.pheno")))];
    if covar {
        files.push(("--covar", f.join(format!("party_{name}.covar"))));
    }
    files.push(("--out", out.to_path_buf()));
    for (flag, value) in files {
        args.push(flag.to_string());
        args.push(value.display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Compares dash's rows (a GWAS-SSF file or the joint TSV) with an oracle golden file: the
/// same variants, alleles and n; β, se and −log10 p within [`ORACLE_TOLERANCE`] relative.
fn assert_matches(ours: &Path, golden: &str) -> usize {
    let golden = Tsv::read(&fixtures().join("consortium/golden").join(golden));
    let ours = Tsv::read(ours);
    let key = |chrom: &str, pos: &str| format!("{chrom}:{pos}");
    let by_position: std::collections::HashMap<String, _> = ours
        .by("base_pair_location")
        .into_values()
        .map(|row| (key(&row["chromosome"], &row["base_pair_location"]), row))
        .collect();
    assert_eq!(
        by_position.len(),
        golden.rows.len(),
        "rows: {by_position:?}"
    );
    for row in &golden.rows {
        let get = |name: &str| row[golden.column(name)].as_str();
        assert_eq!(get("status"), "ok");
        let id = key(get("chrom"), get("pos"));
        let found = by_position
            .get(&id)
            .unwrap_or_else(|| panic!("{id}: not in dash's output"));
        assert_eq!(found["effect_allele"], get("effect_allele"), "{id}");
        assert_eq!(found["other_allele"], get("other_allele"), "{id}");
        assert_eq!(found["n"], get("n"), "{id}: n");
        for (name, golden_name) in [
            ("beta", "beta"),
            ("standard_error", "se"),
            ("neg_log_10_p_value", "neg_log10_p"),
        ] {
            let (a, b): (f64, f64) = (
                found[name].parse().unwrap(),
                get(golden_name).parse().unwrap(),
            );
            let err = relative_error(a, b);
            assert!(
                err <= ORACLE_TOLERANCE,
                "{id} {name}: dash {a} vs oracle {b} ({err:e})"
            );
        }
    }
    golden.rows.len()
}

#[test]
fn conditional_and_joint_fits_equal_pooled_least_squares() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_with_ld(dir.path());
    // (golden stem, phenotype, conditioning variants, conditional rows, joint rows); in the
    // second, 1:37743446 is absent from party b, so b takes part in no fit.
    let scenarios = [
        ("y1.one", "y1", "1:38855618:A:T", 5, 1),
        ("y2.two", "y2", "1:37743446:A:C,1:39303363:G:A", 4, 2),
    ];
    for (stem, phenotype, condition, conditional_rows, joint_rows) in scenarios {
        let prefix = merge_to(
            &[&a, &b, &c],
            &dir.path().join(stem),
            &["--pheno", phenotype, "--condition", condition, "--joint"],
        );
        let ours = |file: &str| PathBuf::from(format!("{prefix}.{phenotype}.{file}"));
        let cond = assert_matches(&ours("cond.tsv.gz"), &format!("cond.{stem}.tsv"));
        assert_eq!(cond, conditional_rows);
        let joint = assert_matches(&ours("joint.tsv"), &format!("joint.{stem}.tsv"));
        assert_eq!(joint, joint_rows);
    }
}

/// `--ld-out`: FINEMAP's `.z` and `.ld` of the region, on the samples of every party over the
/// variants all three hold, against the correlation of numpy-residualised pooled dosages
/// (≤ 1e-10) and numpy OLS z-score parts (≤ 1e-9).
#[test]
fn ld_export_equals_the_correlation_of_residualised_pooled_dosages() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_with_ld(dir.path());
    let prefix = merge_to(&[&a, &b, &c], &dir.path().join("ld"), &["--ld-out"]);
    for phenotype in ["y1", "y2"] {
        assert_ld_matches(&prefix, phenotype, "ld");
    }
}

/// A space-separated matrix file (FINEMAP `.ld`, or the oracle's).
fn read_matrix(path: &Path) -> Vec<Vec<f64>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect())
        .collect()
}

/// dash's `--ld-out` files of `phenotype` against the goldens `GOLDEN.<pheno>.matrix.tsv`
/// (≤ 1e-10) and `GOLDEN.<pheno>.z.tsv` (≤ [`ORACLE_TOLERANCE`]).
fn assert_ld_matches(prefix: &str, phenotype: &str, golden_stem: &str) {
    let stem = format!("{prefix}.{phenotype}.1_37000001_40000000");
    let golden = fixtures().join("consortium/golden");
    let matrix = read_matrix;
    let ours = matrix(format!("{stem}.ld").as_ref());
    let oracle = matrix(&golden.join(format!("{golden_stem}.{phenotype}.matrix.tsv")));
    assert_eq!(ours.len(), oracle.len());
    for (row, expected) in ours.iter().zip(&oracle) {
        for (r, e) in row.iter().zip(expected) {
            let err = relative_error(*r, *e);
            assert!(
                err <= 1e-10,
                "{phenotype} LD: dash {r} vs numpy {e} ({err:e})"
            );
        }
    }
    let z = std::fs::read_to_string(format!("{stem}.z")).unwrap();
    let z: Vec<Vec<&str>> = z.lines().skip(1).map(|l| l.split(' ').collect()).collect();
    let expected = Tsv::read(&golden.join(format!("{golden_stem}.{phenotype}.z.tsv")));
    assert_eq!(z.len(), expected.rows.len());
    for (ours, row) in z.iter().zip(&expected.rows) {
        assert_eq!(
            (ours[1], ours[2], ours[4]),
            (row[0].as_str(), row[1].as_str(), row[2].as_str())
        );
        for (value, golden_value) in [(ours[6], &row[3]), (ours[7], &row[4])] {
            let (a, b): (f64, f64) = (value.parse().unwrap(), golden_value.parse().unwrap());
            assert!(
                relative_error(a, b) <= ORACLE_TOLERANCE,
                "{phenotype} z: {a} vs {b}"
            );
        }
    }
}

/// Secure mode: the three consortium parties (a swapped, b VCF lacking two variants of the
/// region, c lacking some) compress with `--secure --ld-region`; the secure merge's
/// conditional, joint and LD results equal the numpy oracle in which every party takes part
/// and a party lacking a variant has every call of it missing, mean-imputed over all samples
/// (`*.secure.*` goldens of fixtures/oracle_conditional.py; ≤ 1e-9, LD ≤ 1e-10).
#[test]
fn secure_conditional_joint_and_ld_equal_the_oracle() {
    let c = crate::secure::consortium();
    let cons = fixtures().join("consortium");
    let sources = [
        ("a", cons.join("party_a_swapped.bed")),
        ("b", cons.join("party_b.vcf.gz")),
        ("c", cons.join("party_c_subset.bed")),
    ];
    let files: Vec<PathBuf> = sources
        .iter()
        .map(|(name, genotypes)| {
            let out = c.path(&format!("secure_ld_{name}.parquet"));
            let mut args = crate::secure::secure_args(
                genotypes,
                name,
                &c.key(name),
                &c.roster,
                &c.manifest,
                &out,
            );
            args.extend(["--ld-region".to_string(), REGION.to_string()]);
            dash_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
            out
        })
        .collect();
    let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let exact = crate::secure::EXACT_MERGE;
    for (stem, phenotype, condition, conditional_rows, joint_rows) in [
        ("y1.one", "y1", "1:38855618:A:T", 5, 1),
        ("y2.two", "y2", "1:37743446:A:C,1:39303363:G:A", 4, 2),
    ] {
        let mut extra = vec!["--pheno", phenotype, "--condition", condition, "--joint"];
        extra.extend(exact);
        let prefix = merge_to(&inputs, &c.path(stem), &extra);
        let ours = |file: &str| PathBuf::from(format!("{prefix}.{phenotype}.{file}"));
        let cond = assert_matches(&ours("cond.tsv.gz"), &format!("cond.secure.{stem}.tsv"));
        assert_eq!(cond, conditional_rows);
        let joint = assert_matches(&ours("joint.tsv"), &format!("joint.secure.{stem}.tsv"));
        assert_eq!(joint, joint_rows);
    }
    let mut extra = vec!["--ld-out"];
    extra.extend(exact);
    let prefix = merge_to(&inputs, &c.path("ld"), &extra);
    for phenotype in ["y1", "y2"] {
        assert_ld_matches(&prefix, phenotype, "ld.secure");
    }

    // With --min-cell 200 the pooled pair rule withholds some of the six variants: the export
    // holds the others, and its matrix is the oracle's restricted to them.
    let prefix = merge_to(
        &inputs,
        &c.path("k200"),
        &["--pheno", "y1", "--ld-out", "--min-cell", "200"],
    );
    let stem = format!("{prefix}.y1.1_37000001_40000000");
    let positions = |text: &str, column: usize| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|l| l.split([' ', '\t']).nth(column).unwrap().to_string())
            .collect()
    };
    let ours = positions(&std::fs::read_to_string(format!("{stem}.z")).unwrap(), 2);
    let golden = fixtures().join("consortium/golden");
    let all = positions(
        &std::fs::read_to_string(golden.join("ld.secure.y1.z.tsv")).unwrap(),
        1,
    );
    assert!(
        !ours.is_empty() && ours.len() < all.len(),
        "kept {ours:?} of {all:?}"
    );
    let index: Vec<usize> = ours
        .iter()
        .map(|p| all.iter().position(|q| q == p).unwrap())
        .collect();
    let matrix = read_matrix;
    let (ld, oracle) = (
        matrix(format!("{stem}.ld").as_ref()),
        matrix(&golden.join("ld.secure.y1.matrix.tsv")),
    );
    for (i, &a) in index.iter().enumerate() {
        for (j, &b) in index.iter().enumerate() {
            assert!(
                relative_error(ld[i][j], oracle[a][b]) <= 1e-10,
                "({a}, {b})"
            );
        }
    }
}

/// A region file and the caps are refused with one line and no output.
#[test]
fn bad_ld_regions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    let out = dir.path().join("a.parquet");
    let bed = f.join("party_a.bed");
    let base = |extra: &[&str]| compress_args(&bed, "a", false, &out, extra);
    expect_error(
        dir.path(),
        &base(&["--ld-region", "1:1-5000000"]),
        "a.",
        &["wider than"],
    );
    expect_error(
        dir.path(),
        &base(&[
            "--ld-region",
            "1:1-2000000",
            "--ld-region",
            "1:1500000-3000000",
        ]),
        "a.",
        &["overlaps"],
    );
    let bed = dir.path().join("loci.bed");
    std::fs::write(&bed, "1\t100\t200\n1\t500\tx\n").unwrap();
    expect_error(
        dir.path(),
        &base(&["--ld-regions", bed.to_str().unwrap()]),
        "a.",
        &["loci.bed", "line 2", "END 'x'"],
    );
    std::fs::write(&bed, "1\t300\t200\n").unwrap();
    expect_error(
        dir.path(),
        &base(&["--ld-regions", bed.to_str().unwrap()]),
        "a.",
        &["line 1", "greater than START"],
    );
}

/// Secure parties that compressed different LD regions are refused at merge, naming the file
/// and both lists, with no output; a manifest region with more variants than the cap is
/// refused at compress.
#[test]
fn secure_parties_with_different_ld_regions_are_refused() {
    let c = crate::secure::consortium();
    let f = fixtures();
    let compress = |name: &str, regions: &[&str]| {
        let out = c.path(&format!("regions_{name}.parquet"));
        let mut args = crate::secure::secure_args(
            &f.join(format!("party_{name}.bed")),
            name,
            &c.key(name),
            &c.roster,
            &c.manifest,
            &out,
        );
        for region in regions {
            args.extend(["--ld-region".to_string(), region.to_string()]);
        }
        dash_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        out
    };
    let files = [
        compress("a", &[REGION]),
        compress("b", &[REGION]),
        compress("c", &["1:37000001-38000000"]),
    ];
    let prefix = c.path("mixed");
    let mut args = vec!["merge".to_string()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    args.extend(["--out".to_string(), prefix.display().to_string()]);
    args.extend(["--ld-out".to_string()]);
    expect_error(
        c.path("").as_path(),
        &args,
        "mixed",
        &[
            "regions_c.parquet",
            "LD regions (1:37000001-38000000) differ",
            REGION,
        ],
    );
}

/// `--condition` naming a variant outside every LD region, or without any LD sums, is refused.
#[test]
fn conditioning_on_a_variant_without_ld_sums_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_with_ld(dir.path());
    let args = |variant: &str| -> Vec<String> {
        let mut args = vec!["merge".to_string()];
        args.extend([&a, &b, &c].iter().map(|p| p.to_str().unwrap().to_string()));
        args.extend(
            [
                "--out",
                dir.path().join("x").to_str().unwrap(),
                "--condition",
                variant,
            ]
            .map(String::from),
        );
        args
    };
    expect_error(
        dir.path(),
        &args("1:1382775:T:G"),
        "x.",
        &["1:1382775", "--ld-region"],
    );
    expect_error(
        dir.path(),
        &args("1:38855618:A:C"),
        "x.",
        &["1:38855618:A:C", "no summary holds LD sums"],
    );
    expect_error(dir.path(), &args("1:38855618"), "x.", &["CHR:POS:REF:ALT"]);
}

/// With the default `--min-cell 5` the LD sums are screened (joint carrier cells) and local
/// imputation applies to them too; the summaries still merge into conditional fits and an LD
/// export whose matrix is a correlation matrix.
#[test]
fn screened_ld_sums_still_merge() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    let c = f.join("consortium");
    let mut summaries = Vec::new();
    for (name, genotypes) in [
        ("a", c.join("party_a_swapped.bed")),
        ("b", c.join("party_b.vcf.gz")),
        ("c", c.join("party_c_subset.bed")),
    ] {
        let out = dir.path().join(format!("{name}.parquet"));
        let extra = ["--covar-categorical", "site", "--ld-region", REGION];
        let args = compress_args(&genotypes, name, true, &out, &extra);
        let output = dash_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("withheld by --min-cell 5"), "{stderr}");
        summaries.push(out);
    }
    let paths: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let prefix = merge_to(
        &paths,
        &dir.path().join("k5"),
        &["--pheno", "y1", "--condition", "1:38855618:A:T", "--ld-out"],
    );
    let cond = Tsv::read(format!("{prefix}.y1.cond.tsv.gz").as_ref());
    assert!(!cond.rows.is_empty());
    let ld = std::fs::read_to_string(format!("{prefix}.y1.1_37000001_40000000.ld")).unwrap();
    for (a, line) in ld.lines().enumerate() {
        for (b, value) in line.split(' ').enumerate() {
            let r: f64 = value.parse().unwrap();
            assert!(
                r.abs() <= 1.0 + 1e-12 && (a != b || r == 1.0),
                "r[{a},{b}] = {r}"
            );
        }
    }
}
