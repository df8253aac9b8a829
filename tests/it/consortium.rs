//! Real consortium merges (issue 4): swapped alleles, a VCF party, partial variant overlap,
//! model choices at merge, incremental updates, shards, and the refusals that prevent double
//! counting.
//!
//! Oracle: `fixtures/oracle_consortium.py` (numpy `lstsq` on the full design of the pooled samples
//! of exactly the parties holding each variant; mpmath p-values). Tolerance 1e-9 relative; n exact.

use std::path::{Path, PathBuf};

use crate::common::*;

const ORACLE_TOLERANCE: f64 = 1e-9;
/// dash against dash along two routes (incremental/shards vs all at once): see
/// [`assert_same_results`] for the scale each quantity is compared at.
const SAME_TOLERANCE: f64 = 1e-12;

fn consortium() -> PathBuf {
    fixtures().join("consortium")
}

/// Compresses the three consortium parties: a (PLINK 1, half the alleles swapped), b (VCF,
/// lacking some variants), c (PLINK 1, lacking others).
fn compress_consortium(dir: &Path) -> [PathBuf; 3] {
    compress_consortium_with(dir, &[])
}

/// [`compress_consortium`] with more compress arguments.
pub(crate) fn compress_consortium_with(dir: &Path, extra: &[&str]) -> [PathBuf; 3] {
    let f = fixtures();
    let c = consortium();
    let parties = [
        ("a", c.join("party_a_swapped.bed")),
        ("b", c.join("party_b.vcf.gz")),
        ("c", c.join("party_c_subset.bed")),
    ];
    parties.map(|(name, genotypes)| {
        let out = dir.join(format!("{name}.parquet"));
        compress_to(
            &genotypes,
            &f.join(format!("party_{name}.pheno")),
            &f.join(format!("party_{name}.covar")),
            name,
            &out,
            extra,
        );
        out
    })
}

fn golden(name: &str) -> PathBuf {
    consortium().join("golden").join(name)
}

#[test]
fn mixed_parties_equal_pooled_least_squares() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_consortium(dir.path());
    let prefix = merge_to(&[&a, &b, &c], &dir.path().join("all"), &[]);
    for phenotype in ["y1", "y2"] {
        let report = assert_matches_golden(
            &golden(&format!("{phenotype}.tsv")),
            &prefix,
            phenotype,
            ORACLE_TOLERANCE,
        );
        assert!(report.tested > 1200, "{report:?}");
    }
}

#[test]
fn covariate_subset_equals_its_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_consortium(dir.path());
    let prefix = merge_to(
        &[&a, &b, &c],
        &dir.path().join("sub"),
        &["--pheno", "y1", "--covar", "age,sex"],
    );
    assert_matches_golden(
        &golden("y1.covar_age_sex.tsv"),
        &prefix,
        "y1",
        ORACLE_TOLERANCE,
    );
    assert!(
        !Path::new(&format!("{prefix}.y2.tsv.gz")).exists(),
        "--pheno y1 wrote y2"
    );
}

#[test]
fn per_party_intercept_equals_its_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_consortium(dir.path());
    let prefix = merge_to(
        &[&a, &b, &c],
        &dir.path().join("ppi"),
        &["--pheno", "y1", "--per-party-intercept"],
    );
    assert_matches_golden(
        &golden("y1.per_party_intercept.tsv"),
        &prefix,
        "y1",
        ORACLE_TOLERANCE,
    );
}

#[test]
fn no_intercept_equals_its_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_consortium(dir.path());
    let prefix = merge_to(
        &[&a, &b, &c],
        &dir.path().join("noi"),
        &["--pheno", "y1", "--no-intercept"],
    );
    assert_matches_golden(
        &golden("y1.no_intercept.tsv"),
        &prefix,
        "y1",
        ORACLE_TOLERANCE,
    );
}

#[test]
fn min_parties_skips_variants_seen_at_fewer_parties() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_consortium(dir.path());
    let prefix = merge_to(
        &[&a, &b, &c],
        &dir.path().join("min3"),
        &["--pheno", "y1", "--min-parties", "3"],
    );
    let skipped = Tsv::read(format!("{prefix}.y1.skipped.tsv").as_ref());
    let reason = skipped.column("reason");
    let too_few = skipped
        .rows
        .iter()
        .filter(|r| r[reason] == "too_few_parties")
        .count();
    let golden = Tsv::read(&golden("y1.tsv"));
    let n = golden.column("n");
    let status = golden.column("status");
    // The oracle's n is below the all-party n exactly where a party lacks the variant.
    let full: u64 = golden
        .rows
        .iter()
        .map(|r| r[n].parse::<u64>().unwrap())
        .max()
        .unwrap();
    let partial = golden
        .rows
        .iter()
        .filter(|r| r[n].parse::<u64>().unwrap() < full && r[status] != "all_missing")
        .count();
    assert!(partial > 0);
    assert_eq!(too_few, partial);
}

#[test]
fn incremental_merge_equals_merging_every_party() {
    let dir = tempfile::tempdir().unwrap();
    let parties: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|p| compress_party(dir.path(), p))
        .collect();
    let total = dir.path().join("ab.parquet");
    merge_to(
        &[&parties[0], &parties[1]],
        &dir.path().join("ab"),
        &["--summary-out", total.to_str().unwrap()],
    );
    let incremental = merge_to(&[&total, &parties[2]], &dir.path().join("inc"), &[]);
    let direct = merge_to(
        &[&parties[0], &parties[1], &parties[2]],
        &dir.path().join("all"),
        &[],
    );
    for phenotype in ["y1", "y2"] {
        let worst = assert_same_results(&incremental, &direct, phenotype, SAME_TOLERANCE);
        eprintln!("incremental {phenotype}: worst scaled difference {worst:.1e}");
    }
    // And a merged summary of everything reproduces the merge.
    let abc = dir.path().join("abc.parquet");
    merge_to(
        &[&total, &parties[2]],
        &dir.path().join("inc2"),
        &["--summary-out", abc.to_str().unwrap()],
    );
    let again = merge_to(&[&abc], &dir.path().join("again"), &[]);
    assert_same_results(&again, &direct, "y1", SAME_TOLERANCE);
}

#[test]
fn incremental_merge_with_mixed_parties() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = compress_consortium(dir.path());
    let total = dir.path().join("ab.parquet");
    merge_to(
        &[&a, &b],
        &dir.path().join("ab"),
        &["--summary-out", total.to_str().unwrap()],
    );
    let incremental = merge_to(&[&total, &c], &dir.path().join("inc"), &[]);
    let direct = merge_to(&[&a, &b, &c], &dir.path().join("all"), &[]);
    for phenotype in ["y1", "y2"] {
        assert_same_results(&incremental, &direct, phenotype, SAME_TOLERANCE);
    }
}

#[test]
fn shards_of_one_party_equal_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    let mut shards = Vec::new();
    for chrom in 1..=22 {
        let out = dir.path().join(format!("a_chr{chrom}.parquet"));
        compress_to(
            &f.join("party_a.bed"),
            &f.join("party_a.pheno"),
            &f.join("party_a.covar"),
            "a",
            &out,
            &["--region", &format!("chr{chrom}")],
        );
        shards.push(out);
    }
    let b = compress_party(dir.path(), "b");
    let a = compress_party(dir.path(), "a");
    let mut inputs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    inputs.push(&b);
    let sharded = merge_to(&inputs, &dir.path().join("sharded"), &[]);
    let whole = merge_to(&[&a, &b], &dir.path().join("whole"), &[]);
    for phenotype in ["y1", "y2"] {
        assert_same_results(&sharded, &whole, phenotype, SAME_TOLERANCE);
    }
}

/// `dash merge ARGS` must fail with one error line holding every needle, and write nothing.
fn expect_merge_error(dir: &Path, inputs: &[&Path], extra: &[&str], needles: &[&str]) {
    let prefix = dir.join("refused");
    let mut args = vec!["merge"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", prefix.to_str().unwrap()]);
    args.extend(extra);
    expect_error(dir, &args, "refused", needles);
}

#[test]
fn refusals_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = fixtures();
    let a = compress_party(d, "a");
    let b = compress_party(d, "b");
    let c = compress_party(d, "c");

    // Overlapping shards of one party (the same region twice under two names).
    let shard = |name: &str| {
        let out = d.join(name);
        compress_to(
            &f.join("party_a.bed"),
            &f.join("party_a.pheno"),
            &f.join("party_a.covar"),
            "a",
            &out,
            &["--region", "3"],
        );
        out
    };
    let (s1, s2) = (shard("a_chr3.parquet"), shard("a_chr3_again.parquet"));
    expect_merge_error(
        d,
        &[&s1, &s2, &b],
        &[],
        &["a_chr3_again.parquet", "a_chr3.parquet", "twice"],
    );

    // A merged summary plus one of its own parties.
    let ab = d.join("ab.parquet");
    merge_to(
        &[&a, &b],
        &d.join("ab"),
        &["--summary-out", ab.to_str().unwrap()],
    );
    expect_merge_error(
        d,
        &[&ab, &a, &c],
        &[],
        &["ab.parquet", "a.parquet", "twice"],
    );

    // Per-party intercepts need single-party summaries.
    expect_merge_error(
        d,
        &[&ab, &c],
        &["--per-party-intercept"],
        &["ab.parquet", "single-party"],
    );

    // A covariate some party lacks: compress c without pc2, then ask for it.
    let c_no_pc2 = d.join("c_no_pc2.parquet");
    compress_to(
        &f.join("party_c.bed"),
        &f.join("party_c.pheno"),
        &f.join("party_c.covar"),
        "c",
        &c_no_pc2,
        &["--covar-name", "age,sex,pc1,site"],
    );
    expect_merge_error(
        d,
        &[&a, &c_no_pc2],
        &["--covar", "age,pc2"],
        &["c_no_pc2.parquet lacks 'pc2'"],
    );
    // By default all of the first party's covariates are used: the same refusal, with advice.
    expect_merge_error(d, &[&a, &c_no_pc2], &[], &["lacks 'pc2'", "--covar"]);

    // A phenotype some party lacks.
    let c_y2 = d.join("c_y2.parquet");
    compress_to(
        &f.join("party_c.bed"),
        &f.join("party_c.pheno"),
        &f.join("party_c.covar"),
        "c",
        &c_y2,
        &["--pheno-name", "y2"],
    );
    expect_merge_error(
        d,
        &[&a, &c_y2],
        &["--pheno", "y1"],
        &["'y1' is missing from", "c_y2.parquet (has y2)"],
    );
}
