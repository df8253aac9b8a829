//! `dash merge --cojo-select P`: the exact stepwise selection (issue 19).
//!
//! Oracle: `fixtures/oracle_cojo.py` — the same stepwise procedure on the pooled samples of
//! fixtures/cojo/ (two PLINK 1 parties, b with a third of its alleles swapped, ~2% missing
//! calls, two causal variants), every step a full numpy least-squares fit. The selected set is
//! compared exactly; β, se and −log10 p of the joint and marginal fits within 1e-9 relative;
//! n exactly.

use std::path::{Path, PathBuf};

use crate::common::*;

const ORACLE_TOLERANCE: f64 = 1e-9;
const REGION: &str = "1:100000-200000";

/// Compresses the two cojo parties into `dir/NAME.parquet`, with `extra(NAME)` added.
fn compress_cojo(dir: &Path, extra: impl Fn(&str) -> Vec<String>) -> [PathBuf; 2] {
    let f = fixtures().join("cojo");
    ["a", "b"].map(|name| {
        let out = dir.join(format!("{name}.parquet"));
        let file = |ext: &str| f.join(format!("party_{name}.{ext}"));
        let mut args: Vec<String> = vec!["compress".into(), file("bed").display().to_string()];
        for (flag, value) in [
            ("--pheno", file("pheno").display().to_string()),
            ("--covar", file("covar").display().to_string()),
            ("--party", name.to_string()),
            ("--min-cell", "1".to_string()),
            ("--out", out.display().to_string()),
        ] {
            args.extend([flag.to_string(), value]);
        }
        args.extend(extra(name));
        dash_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        out
    })
}

/// `--ld-region REGION`, as every party passes it.
fn with_region(_: &str) -> Vec<String> {
    vec!["--ld-region".to_string(), REGION.to_string()]
}

/// Compares `PREFIX.ycojo.cojo.tsv` with the golden `cojo.<stem>.tsv`: the same variants in
/// the same order, alleles and n; joint and marginal β, se and −log10 p within
/// [`ORACLE_TOLERANCE`] relative. Returns the selected positions.
fn assert_selection_matches(prefix: &str, stem: &str) -> Vec<String> {
    let golden = Tsv::read(&fixtures().join(format!("cojo/golden/cojo.{stem}.tsv")));
    let ours = Tsv::read(Path::new(&format!("{prefix}.ycojo.cojo.tsv")));
    let positions = |t: &Tsv, column: &str| -> Vec<String> {
        t.rows.iter().map(|r| r[t.column(column)].clone()).collect()
    };
    let selected = positions(&ours, "base_pair_location");
    assert_eq!(selected, positions(&golden, "pos"), "{stem}: selected set");
    for (row, expected) in ours.rows.iter().zip(&golden.rows) {
        let get = |name: &str| row[ours.column(name)].as_str();
        let want = |name: &str| expected[golden.column(name)].as_str();
        assert_eq!(get("region"), REGION);
        assert_eq!(get("effect_allele"), want("effect_allele"));
        assert_eq!(get("other_allele"), want("other_allele"));
        assert_eq!(get("n"), want("n"));
        assert_eq!(get("marginal_n"), want("marginal_n"));
        for (column, golden_column) in [
            ("beta", "beta"),
            ("standard_error", "se"),
            ("neg_log_10_p_value", "neg_log10_p"),
            ("marginal_beta", "marginal_beta"),
            ("marginal_standard_error", "marginal_se"),
            ("marginal_neg_log_10_p_value", "marginal_neg_log10_p"),
        ] {
            let (a, b): (f64, f64) = (
                get(column).parse().unwrap(),
                want(golden_column).parse().unwrap(),
            );
            let err = relative_error(a, b);
            assert!(
                err <= ORACLE_TOLERANCE,
                "{stem} {} {column}: {a} vs oracle {b} ({err:e})",
                get("base_pair_location")
            );
        }
    }
    selected
}

/// The selection equals the oracle's for a strict P (the two causal variants), a loose P (a
/// third variant enters) and the loose P with a strict collinearity bound (it is kept out).
#[test]
fn stepwise_selection_equals_the_naive_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b] = compress_cojo(dir.path(), with_region);
    for (stem, p, r2, count) in [
        ("p1e-6", "1e-6", None, 2),
        ("p0.2", "0.2", None, 3),
        ("p0.2.r0.1", "0.2", Some("0.1"), 2),
    ] {
        let mut extra = vec!["--cojo-select", p, "--no-report"];
        if let Some(r2) = r2 {
            extra.extend(["--cojo-collinear", r2]);
        }
        let prefix = merge_to(&[&a, &b], &dir.path().join(stem), &extra);
        let selected = assert_selection_matches(&prefix, stem);
        assert_eq!(selected.len(), count, "{stem}: {selected:?}");
        let log = std::fs::read_to_string(format!("{prefix}.log")).unwrap();
        assert!(
            log.contains(&format!(
                "{count} of 12 variants selected; steps add 1:110210:"
            )),
            "{log}"
        );
    }
}

/// Party b lacks cv9 (`--exclude`): every fit holding cv9 uses party a's samples alone (the
/// rule of `--condition`), and the selection still equals the oracle's, which fits each step on
/// the parties holding every variant in it.
/// With b lacking cv3 instead and P = 0.5, a selected variant is dropped again on the way (the
/// log shows the drop step), and the result is still the oracle's.
#[test]
fn selection_with_a_party_lacking_a_variant_equals_the_oracle() {
    for (exclude, p, stem, count) in [
        ("exclude_b.txt", "0.2", "p0.2.b-cv9", 4),
        ("exclude_b_cv3.txt", "0.5", "p0.5.b-cv3", 6),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let exclude = fixtures().join("cojo").join(exclude);
        let [a, b] = compress_cojo(dir.path(), |name| {
            let mut args = with_region(name);
            if name == "b" {
                args.extend(["--exclude".to_string(), exclude.display().to_string()]);
            }
            args
        });
        let prefix = merge_to(
            &[&a, &b],
            &dir.path().join("lacking"),
            &["--cojo-select", p, "--no-report"],
        );
        assert_eq!(assert_selection_matches(&prefix, stem).len(), count);
        let steps =
            std::fs::read_to_string(fixtures().join(format!("cojo/golden/cojo.{stem}.steps")))
                .unwrap();
        let log = std::fs::read_to_string(format!("{prefix}.log")).unwrap();
        for kind in ["add", "drop"] {
            let golden = steps.lines().filter(|l| l.starts_with(kind)).count();
            assert_eq!(
                log.matches(&format!(" {kind} 1:")).count(),
                golden,
                "{stem} {kind}: {log}"
            );
        }
    }
}

/// P outside (0, 1], R² outside (0, 1], --cojo-collinear alone, and summaries without LD sums
/// are refused with one line and no output.
#[test]
fn bad_cojo_arguments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let with_ld = compress_cojo(dir.path(), with_region);
    let merge = |inputs: &[PathBuf], extra: &[&str]| -> Vec<String> {
        let mut args = vec!["merge".to_string()];
        args.extend(inputs.iter().map(|p| p.display().to_string()));
        args.extend([
            "--out".to_string(),
            dir.path().join("x").display().to_string(),
        ]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    for p in ["0", "1.5", "-0.1", "nan"] {
        let flag = format!("--cojo-select={p}");
        expect_error(
            dir.path(),
            &merge(&with_ld, &[&flag]),
            "x.",
            &["--cojo-select", "above 0 and at most 1"],
        );
    }
    for r2 in ["0", "1.01"] {
        expect_error(
            dir.path(),
            &merge(&with_ld, &["--cojo-select", "1e-6", "--cojo-collinear", r2]),
            "x.",
            &["--cojo-collinear", "R²"],
        );
    }
    expect_error(
        dir.path(),
        &merge(
            &with_ld,
            &["--cojo-select", "1e-6", "--per-party-intercept"],
        ),
        "x.",
        &["--cojo-select", "--per-party-intercept"],
    );
    expect_error(
        dir.path(),
        &merge(&with_ld, &["--cojo-select", "1e-6", "--party-maf", "0.01"]),
        "x.",
        &["--cojo-select", "--party-*"],
    );
    // A command-line error of clap's own: no `dash: error` line, but refused with nothing written.
    let args = merge(&with_ld, &["--cojo-collinear", "0.5"]);
    let out = dash(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cojo-select"));
    assert!(files_starting_with(dir.path(), "x.").is_empty());
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let without_ld = compress_cojo(&plain, |_| Vec::new());
    let summary_out = dir.path().join("x.merged.parquet");
    expect_error(
        dir.path(),
        &merge(
            &without_ld,
            &[
                "--cojo-select",
                "1e-6",
                "--summary-out",
                summary_out.to_str().unwrap(),
            ],
        ),
        "x.",
        &["--cojo-select", "no summary holds LD sums", "--ld-region"],
    );
}

/// Secure mode: the two parties secure-compress with `--ld-region` (every party holds every
/// variant, so the pooled fits are the plaintext ones); the secure merge selects the oracle's
/// variants with the oracle's joint and marginal fits.
#[test]
fn secure_selection_equals_the_naive_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    crate::secure::write_keys(dir.path(), &[("a", 11), ("b", 22)]);
    let roster = path("roster.txt");
    let pubs = ["a", "b"].map(|p| path(&format!("{p}.pub")).display().to_string());
    let mut args = vec!["roster"];
    args.extend(pubs.iter().map(String::as_str));
    args.extend(["--out", roster.to_str().unwrap()]);
    dash_ok(&args);
    let f = fixtures().join("cojo");
    let manifest = path("manifest.tsv");
    dash_ok(&[
        "manifest",
        f.join("party_a.bim").to_str().unwrap(),
        f.join("party_b.bim").to_str().unwrap(),
        "--out",
        manifest.to_str().unwrap(),
    ]);
    let files = compress_cojo(dir.path(), |name| {
        let mut args = with_region(name);
        for (flag, value) in [
            ("--secure", None),
            ("--roster", Some(&roster)),
            ("--manifest", Some(&manifest)),
            ("--key", Some(&path(&format!("{name}.key")))),
        ] {
            args.push(flag.to_string());
            args.extend(value.map(|v| v.display().to_string()));
        }
        args
    });
    let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let mut extra = vec!["--cojo-select", "0.2", "--no-report"];
    extra.extend(crate::secure::EXACT_MERGE);
    let prefix = merge_to(&inputs, &path("secure"), &extra);
    assert_eq!(assert_selection_matches(&prefix, "p0.2").len(), 3);
}
