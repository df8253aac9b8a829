//! Pooled QC at merge against independent oracles (issue 15):
//!
//! * the variants `plink2 --maf/--mac/--geno/--hwe` keeps on the pooled `.bed` restricted to the
//!   contributed samples, and its `--hardy` genotype counts and p-values
//!   (`fixtures/make_qc_golden.sh` → `fixtures/qc/`);
//! * the MACH r² of the pooled DS dosages in numpy (`fixtures/vcf/info_oracle.py` →
//!   `fixtures/vcf/golden/ds_info.tsv`).

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use dash::qc::hwe::hwe_p;
use dash::summary::read_summary;

use crate::common::*;

/// Skipped-list reasons of the QC filters.
const QC_REASONS: [&str; 5] = ["geno", "hwe", "maf", "mac", "min_info"];

fn qc_dir() -> PathBuf {
    fixtures().join("qc")
}

/// The three fixture parties compressed into `dir`.
fn parties(dir: &Path) -> Vec<PathBuf> {
    ["a", "b", "c"]
        .iter()
        .map(|name| compress_party(dir, name))
        .collect()
}

#[test]
fn filters_keep_what_plink2_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let summaries = parties(dir.path());
    let inputs: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let all_ids: BTreeSet<String> = fs::read_to_string(fixtures().join("pooled.bim"))
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    for run in ["geno_maf_hwe", "hwe_midp_mac", "maf_bare"] {
        let flags = fs::read_to_string(qc_dir().join(format!("{run}.flags"))).unwrap();
        let flags: Vec<&str> = flags.split_whitespace().collect();
        let prefix = merge_to(&inputs, &dir.path().join(run), &flags);
        let skipped = Tsv::read(format!("{prefix}.y1.skipped.tsv").as_ref());
        let reason = skipped.column("reason");
        let id = skipped.column("variant_id");
        let removed: BTreeSet<String> = skipped
            .rows
            .iter()
            .filter(|r| QC_REASONS.contains(&r[reason].as_str()))
            .map(|r| r[id].clone())
            .collect();
        let kept: BTreeSet<String> = all_ids.difference(&removed).cloned().collect();
        let plink2: BTreeSet<String> = fs::read_to_string(qc_dir().join(format!("{run}.snplist")))
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        assert!(
            removed.len() < all_ids.len() && !removed.is_empty(),
            "{run}: the filters should remove some variants, not all"
        );
        assert_eq!(
            kept.symmetric_difference(&plink2).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{run} ({flags:?}): kept set differs from plink2's"
        );
        // A removed variant is not in the results.
        let results = Tsv::read(format!("{prefix}.y1.tsv.gz").as_ref());
        let rsid = results.column("rsid");
        assert!(results.rows.iter().all(|r| !removed.contains(&r[rsid])));
    }
}

/// The pooled counts of the merged summary agree with plink2's `--hardy` counts on the
/// contributed samples, and the exact test with its p-values: plink2 prints 6 significant
/// digits, so the tolerance is 1e-5 relative (plus 1e-300 absolute).
#[test]
fn pooled_counts_and_hwe_p_match_plink2_hardy() {
    let dir = tempfile::tempdir().unwrap();
    let summaries = parties(dir.path());
    let inputs: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let merged = dir.path().join("merged.parquet");
    merge_to(
        &inputs,
        &dir.path().join("m"),
        &["--summary-out", merged.to_str().unwrap()],
    );
    let summary = read_summary(&merged).unwrap();
    let counts: HashMap<String, dash::summary::QcCounts> = summary
        .rows
        .variants
        .iter()
        .zip(&summary.rows.qc)
        .map(|(v, qc)| (v.id.to_string(), qc.clone()))
        .collect();
    for (file, midp) in [("hardy.tsv", false), ("hardy_midp.tsv", true)] {
        let rows = golden_rows(&qc_dir().join(file));
        assert_eq!(rows.len(), 1320);
        let mut worst = 0.0f64;
        for row in rows {
            let qc = &counts[&row[0]];
            let [hom_a1, het, hom_other]: [u64; 3] = [1, 2, 3].map(|c| row[c].parse().unwrap());
            assert_eq!(qc.het, het, "{}", row[0]);
            assert_eq!(
                (qc.hom_ref.min(qc.hom_alt), qc.hom_ref.max(qc.hom_alt)),
                (hom_a1.min(hom_other), hom_a1.max(hom_other)),
                "{}",
                row[0]
            );
            let want: f64 = row[4].parse().unwrap();
            let got = hwe_p(qc.het, qc.hom_ref, qc.hom_alt, midp);
            let error = (got - want).abs() / want.max(1e-300);
            assert!(error <= 1e-5, "{file} {}: {got} vs plink2 {want}", row[0]);
            worst = worst.max(error);
        }
        eprintln!("{file}: worst relative error {worst:.2e}");
    }
}

/// The `info` column of a DS merge is the numpy r² of the pooled contributed dosages (clamped
/// to [0, 1]), to 1e-9 relative; `--min-info` removes exactly the variants below it.
#[test]
fn info_is_the_pooled_mach_r2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v = fixtures().join("vcf");
    let summaries: Vec<PathBuf> = ["ds_a", "ds_b"]
        .iter()
        .map(|party| compress_ds_party(d, party))
        .collect();
    let inputs: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let golden: HashMap<String, Option<f64>> = golden_rows(&v.join("golden/ds_info.tsv"))
        .into_iter()
        .map(|r| {
            let key = format!("{}_{}_{}_{}", r[0], r[1], r[2], r[3]);
            (key, r[5].parse().ok())
        })
        .collect();
    let prefix = merge_to(&inputs, &d.join("all"), &[]);
    let results = Tsv::read(format!("{prefix}.y1.tsv.gz").as_ref());
    let (id, info) = (results.column("variant_id"), results.column("info"));
    assert!(results.rows.len() > 100);
    let mut below = BTreeSet::new();
    for row in &results.rows {
        let want = golden[&row[id]].expect("a tested variant has an r²");
        let got: f64 = row[info].parse().unwrap();
        let clamped = want.clamp(0.0, 1.0);
        assert!(
            (got - clamped).abs() <= 1e-9 * clamped.max(1e-300),
            "{}: info {got} vs numpy {want}",
            row[id]
        );
        if want < 0.9 {
            below.insert(row[id].clone());
        }
    }
    assert!(!below.is_empty());
    let prefix = merge_to(&inputs, &d.join("filtered"), &["--min-info", "0.9"]);
    let skipped = Tsv::read(format!("{prefix}.y1.skipped.tsv").as_ref());
    let reason = skipped.column("reason");
    let removed: BTreeSet<String> = skipped
        .rows
        .iter()
        .filter(|r| r[reason] == "min_info")
        .map(|r| {
            let c = |name: &str| r[skipped.column(name)].clone();
            format!(
                "{}_{}_{}_{}",
                c("chromosome"),
                c("base_pair_location"),
                c("other_allele"),
                c("effect_allele")
            )
        })
        .collect();
    assert_eq!(removed, below);
}

/// Hard-call merges have no `info` column; a non-rsID source ID is kept in `source_id`.
#[test]
fn identity_columns() {
    let dir = tempfile::tempdir().unwrap();
    let summaries = parties(dir.path());
    let prefix = merge_to(&[summaries[2].as_path()], &dir.path().join("c"), &[]);
    let results = Tsv::read(format!("{prefix}.y1.tsv.gz").as_ref());
    assert!(!results.header.iter().any(|h| h == "info"));
    let (rsid, source) = (results.column("rsid"), results.column("source_id"));
    assert!(results
        .rows
        .iter()
        .all(|r| r[rsid].starts_with("rs") && r[source] == "#NA"));
}

#[test]
fn bad_qc_values_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let summary = compress_party(dir.path(), "c");
    for (flags, needle) in [
        (vec!["--maf", "0.7"], "--maf 0.7: must be between 0 and 0.5"),
        (vec!["--geno", "1.5"], "--geno 1.5: must be between 0 and 1"),
        (
            vec!["--hwe", "1e-6", "mid"],
            "--hwe: unknown modifier 'mid'",
        ),
        (vec!["--hwe", "x"], "--hwe 'x': not a number"),
        (vec!["--min-info", "1.5"], "--min-info 1.5"),
    ] {
        let mut args = vec!["merge", summary.to_str().unwrap(), "--out"];
        let prefix = dir.path().join("bad");
        args.push(prefix.to_str().unwrap());
        args.extend(&flags);
        let out = dash(&args);
        assert!(!out.status.success(), "{flags:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{flags:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(files_starting_with(dir.path(), "bad").is_empty());
    }
}
