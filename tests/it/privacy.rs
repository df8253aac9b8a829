//! Disclosure control and input hardening at compress (the privacy part of the hardening issue):
//! covariates are categorical only when declared, `-9` is missing as in plink2, sums that
//! overflow are refused, names given twice are refused, and `--min-cell` keeps every released
//! sum over 0 or at least K samples (groups, levels, carriers; few missing calls imputed locally),
//! recorded in the summary header.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;
use dash::summary::{read_summary, Summary, SummaryWriter};

fn with_ext(prefix: &Path, ext: &str) -> String {
    format!("{}.{ext}", prefix.display())
}

/// Rewrites field `column` (0-based, whitespace-separated) of 1-based line `line` of `path`.
fn edit_field(path: &str, line: usize, column: usize, value: &str) {
    let text = fs::read_to_string(path).unwrap();
    let tab = text.lines().next().unwrap().contains('\t');
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 != line {
                return l.to_string();
            }
            let mut fields: Vec<&str> = if tab {
                l.split('\t').collect()
            } else {
                l.split_whitespace().collect()
            };
            fields[column] = value;
            fields.join(if tab { "\t" } else { " " })
        })
        .collect();
    fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// `dash compress PREFIX.bed --pheno PREFIX.pheno --covar PREFIX.covar --out OUT EXTRA…`.
fn compress_args(prefix: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "compress".to_string(),
        with_ext(prefix, "bed"),
        "--pheno".to_string(),
        with_ext(prefix, "pheno"),
        "--covar".to_string(),
        with_ext(prefix, "covar"),
        "--out".to_string(),
        out.display().to_string(),
    ]
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn compress_ok(prefix: &Path, out: &Path, extra: &[&str]) -> String {
    let args = compress_args(prefix, out, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    String::from_utf8_lossy(&dash_ok(&args).stderr).into_owned()
}

const SITE: [&str; 2] = ["--covar-categorical", "site"];

#[test]
fn a_typo_in_a_numeric_covariate_names_file_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    // party_c.covar: `IID age sex pc1 pc2 site`; age is the file's column 2.
    edit_field(&with_ext(&p, "covar"), 7, 1, "5O.2");
    let out = dir.path().join("out.parquet");
    expect_error(
        dir.path(),
        &compress_args(&p, &out, &SITE),
        "out",
        &[
            "party_c.covar",
            "line 7",
            "column 2 ('age')",
            "'5O.2'",
            "--covar-categorical",
        ],
    );
}

#[test]
fn an_undeclared_categorical_covariate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let out = dir.path().join("out.parquet");
    expect_error(
        dir.path(),
        &compress_args(&p, &out, &[]),
        "out",
        &[
            "party_c.covar",
            "line 2",
            "column 6 ('site')",
            "'north'",
            "--covar-categorical site",
        ],
    );
    // Declared, it compresses; a declaration naming no column is refused.
    compress_ok(&p, &out, &SITE);
    let other = dir.path().join("other.parquet");
    expect_error(
        dir.path(),
        &compress_args(&p, &other, &["--covar-categorical", "sit"]),
        "other",
        &["--covar-categorical", "'sit'", "not a covariate column"],
    );
}

/// Samples per group of a summary's single component.
fn group_sizes(summary: &Path) -> Vec<u64> {
    let s = read_summary(summary).unwrap();
    s.header.components[0].groups.iter().map(|g| g.n).collect()
}

/// The "N with a missing covariate" count of compress's matching report.
fn missing_covariate(log: &str) -> usize {
    let before = log
        .split(" with a missing covariate")
        .next()
        .expect("a matching report");
    before
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{log}"))
}

#[test]
fn minus_nine_is_missing_in_covariates_unless_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let plain = dir.path().join("plain.parquet");
    let base = missing_covariate(&compress_ok(&p, &plain, &SITE));
    // One sample's age becomes -9: by default (plink2) missing, so that sample is dropped.
    edit_field(&with_ext(&p, "covar"), 7, 1, "-9");
    let missing = dir.path().join("missing.parquet");
    let log = compress_ok(&p, &missing, &SITE);
    assert_eq!(missing_covariate(&log), base + 1, "{log}");
    let kept = dir.path().join("kept.parquet");
    let log = compress_ok(
        &p,
        &kept,
        &[SITE[0], SITE[1], "--no-input-missing-phenotype"],
    );
    assert_eq!(missing_covariate(&log), base, "{log}");
    let (n, n_missing, n_kept) = (
        group_sizes(&plain),
        group_sizes(&missing),
        group_sizes(&kept),
    );
    // (n_kept differs from n too: the flag also makes party_c.pheno's -9 phenotypes values.)
    assert!(n_kept.iter().sum::<u64>() > n.iter().sum::<u64>());
    let fewer: u64 = n.iter().zip(&n_missing).map(|(a, b)| a - b).sum();
    assert!(fewer >= 1, "{n:?} vs {n_missing:?}");
    // In a phenotype, -9 is a value with the flag.
    edit_field(&with_ext(&p, "covar"), 7, 1, "40");
    edit_field(&with_ext(&p, "pheno"), 5, 2, "-9");
    let pheno_missing = dir.path().join("pheno_missing.parquet");
    let pheno_value = dir.path().join("pheno_value.parquet");
    compress_ok(&p, &pheno_missing, &SITE);
    compress_ok(
        &p,
        &pheno_value,
        &[SITE[0], SITE[1], "--no-input-missing-phenotype"],
    );
    let a: u64 = group_sizes(&pheno_missing).iter().sum();
    let b: u64 = group_sizes(&pheno_value).iter().sum();
    assert!(a < b, "{a} vs {b}");
}

#[test]
fn a_small_phenotype_group_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    // y1 (column 2 of `FID IID y1 y2`) present on 3 rows only.
    let pheno = with_ext(&p, "pheno");
    let rows = fs::read_to_string(&pheno).unwrap().lines().count();
    for line in 5..=rows {
        edit_field(&pheno, line, 2, "NA");
    }
    let out = dir.path().join("out.parquet");
    expect_error(
        dir.path(),
        &compress_args(&p, &out, &SITE),
        "out",
        &[
            "party_c.pheno",
            "phenotype group [y1] has 3 samples",
            "fewer than --min-cell 5",
        ],
    );
    // Groups y1 and y2 that differ by two samples are refused too: their difference is a cell.
    let dir = tempfile::tempdir().unwrap();
    let p2 = copy_party(dir.path(), "c");
    let pheno = with_ext(&p2, "pheno");
    let out = dir.path().join("out.parquet");
    let text = fs::read_to_string(&pheno).unwrap();
    // y2 := y1 everywhere, then two y2 values missing where y1 is present.
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            // party_c.pheno is tab-separated (empty fields are missing values).
            let mut f: Vec<&str> = l.split('\t').collect();
            if i > 0 {
                f[3] = f[2];
            }
            f.join("\t")
        })
        .collect();
    fs::write(&pheno, lines.join("\n") + "\n").unwrap();
    let present: Vec<usize> = lines
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !matches!(l.split('\t').nth(2), Some("NA" | "-9" | "" | ".")))
        .map(|(i, _)| i + 1)
        .take(2)
        .collect();
    for line in present {
        edit_field(&pheno, line, 3, "NA");
    }
    expect_error(
        dir.path(),
        &compress_args(&p2, &out, &SITE),
        "out",
        &["phenotype groups [y1] and [y2] differ by 2 and 0 samples"],
    );
    compress_ok(&p2, &out, &[SITE[0], SITE[1], "--min-cell", "2"]);
}

#[test]
fn a_rare_level_is_refused_without_naming_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let covar = with_ext(&p, "covar");
    for line in [2, 3, 4] {
        edit_field(&covar, line, 5, "west");
    }
    let out = dir.path().join("out.parquet");
    let args = compress_args(&p, &out, &SITE);
    expect_error(
        dir.path(),
        &args,
        "out",
        &[
            "party_c.covar",
            "covariate 'site' level 'west'",
            "fewer than --min-cell 5",
        ],
    );
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let stderr = String::from_utf8_lossy(&dash(&a).stderr).into_owned();
    let iids: Vec<String> = fs::read_to_string(&covar)
        .unwrap()
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    for iid in &iids {
        assert!(!stderr.contains(iid.as_str()), "{stderr}");
    }
    // A level held by every sample but a few: its complement is the small cell.
    let dir = tempfile::tempdir().unwrap();
    let p2 = copy_party(dir.path(), "c");
    let out = dir.path().join("out.parquet");
    let covar = with_ext(&p2, "covar");
    let rows = fs::read_to_string(&covar).unwrap().lines().count();
    for line in 5..=rows {
        edit_field(&covar, line, 5, "north");
    }
    for line in 2..=4 {
        edit_field(&covar, line, 5, "south");
    }
    expect_error(
        dir.path(),
        &compress_args(&p2, &out, &SITE),
        "out",
        &["covariate 'site' level", "fewer than --min-cell 5"],
    );
}

/// Party `name`'s genotypes at `prefix` (`.bed/.bim/.fam`, default: the fixtures) compressed at
/// `--min-cell k` into `dir/name.kK.parquet`; returns the summary path and compress's stderr.
fn compress_at(dir: &Path, name: &str, k: &str) -> (PathBuf, String) {
    compress_prefix_at(dir, &fixtures().join(format!("party_{name}")), name, k)
}

fn compress_prefix_at(dir: &Path, prefix: &Path, name: &str, k: &str) -> (PathBuf, String) {
    let f = fixtures();
    let out = dir.join(format!("{name}.k{k}.parquet"));
    let bed = with_ext(prefix, "bed");
    let file = |ext: &str| f.join(format!("party_{name}.{ext}")).display().to_string();
    let (pheno, covar) = (file("pheno"), file("covar"));
    let args: &[&str] = &[
        "compress",
        &bed,
        "--pheno",
        &pheno,
        "--covar",
        &covar,
        "--covar-categorical",
        "site",
        "--min-cell",
        k,
        "--out",
        out.to_str().unwrap(),
    ];
    let stderr = String::from_utf8_lossy(&dash_ok(args).stderr).into_owned();
    (out, stderr)
}

fn row_of(summary: &Summary, id: &str) -> Option<usize> {
    summary.rows.variants.iter().position(|v| v.id == id)
}

#[test]
fn a_variant_with_two_alt_carriers_is_absent_and_listed_locally() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Party c's first variant rewritten: every sample hom-REF (`11`) but the first two, het
    // (`10`); 302 samples, 76 bytes, the last byte's padding bits 0.
    let p = copy_party(d, "c");
    let bed = with_ext(&p, "bed");
    let mut bytes = fs::read(&bed).unwrap();
    let variant = &mut bytes[3..3 + 76];
    variant.fill(0xFF);
    variant[0] = 0b1111_1010;
    variant[75] = 0b0000_1111;
    fs::write(&bed, &bytes).unwrap();
    let first = fs::read_to_string(with_ext(&p, "bim")).unwrap();
    let first: Vec<&str> = first.lines().next().unwrap().split_whitespace().collect();
    let id = first[1];

    let (all_path, _) = compress_prefix_at(d, &p, "c", "1");
    let (k5_path, log) = compress_prefix_at(d, &p, "c", "5");
    let all = read_summary(&all_path).unwrap();
    let k5 = read_summary(&k5_path).unwrap();
    let r = row_of(&all, id).unwrap();
    assert_eq!((all.rows.qc[r].het, all.rows.qc[r].hom_alt), (2, 0));
    assert!(row_of(&k5, id).is_none(), "{id} released");

    let list_path = d.join("c.k5.suppressed.tsv");
    let list = Tsv::read(&list_path);
    assert_eq!(list.header, ["chrom", "pos", "id", "ref", "alt", "reason"]);
    let listed = list.by("id");
    let entry = &listed[id];
    assert_eq!(entry["reason"], "alt_carriers=2");
    let v = &all.rows.variants[r];
    assert_eq!(
        (entry["chrom"].as_str(), entry["pos"].as_str()),
        (v.chrom.as_str(), v.pos.to_string().as_str())
    );
    assert_eq!(
        (entry["ref"].as_str(), entry["alt"].as_str()),
        (v.ref_allele.as_str(), v.alt_allele.as_str())
    );
    // Every variant is in the summary or in the list, never both; the header counts the list.
    assert_eq!(k5.rows.len() + list.rows.len(), all.rows.len(), "{log}");
    let disclosure = k5.header.components[0].disclosure.clone().unwrap();
    assert_eq!(disclosure.suppressed_variants, list.rows.len() as u64);
    assert!(log.contains("suppressed"), "{log}");
    // The list is the party's own: readable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&list_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    // Merge handles the variant as absent for this party: with another party it is tested on
    // that party's samples only.
    let (b, _) = compress_at(d, "b", "1");
    let prefix = merge_to(&[&k5_path, &b], &d.join("m"), &["--pheno", "y1"]);
    let results = Tsv::read(format!("{prefix}.y1.tsv.gz").as_ref()).by("rsid");
    let b_only = read_summary(&b).unwrap().header.components[0].groups[0].n;
    if let Some(row) = results.get(id) {
        assert_eq!(row["n"], b_only.to_string());
    }
}

#[test]
fn few_missing_calls_are_imputed_locally_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (all_path, _) = compress_at(d, "a", "1");
    let (k5_path, log) = compress_at(d, "a", "5");
    let all = read_summary(&all_path).unwrap();
    let k5 = read_summary(&k5_path).unwrap();
    let disclosure = k5.header.components[0].disclosure.clone().unwrap();
    assert!(disclosure.locally_imputed_variants > 0, "{log}");
    assert!(log.contains("imputed locally"), "{log}");
    let mut imputed = 0;
    for (r, v) in all.rows.variants.iter().enumerate() {
        let Some(k) = row_of(&k5, &v.id) else {
            continue;
        };
        let qc = &all.rows.qc[r];
        let group_missing: Vec<f64> = all.rows.groups.iter().map(|g| g.atu(r)[0]).collect();
        let small = |m: f64| m > 0.0 && m < 5.0;
        if !(small(qc.missing as f64) || group_missing.iter().any(|&m| small(m))) {
            // Untouched: the same sums.
            assert_eq!(&k5.rows.qc[k], qc, "{}", v.id);
            continue;
        }
        imputed += 1;
        assert_eq!(k5.rows.qc[k].missing, 0, "{}", v.id);
        let mean = qc.dosage_sum / qc.observed as f64;
        for (g, (before, after)) in all.rows.groups.iter().zip(&k5.rows.groups).enumerate() {
            assert!(after.atu(k).iter().all(|&u| u == 0.0), "{} group {g}", v.id);
            for (j, (x0, u)) in before.atx0(r).iter().zip(before.atu(r)).enumerate() {
                let expected = x0 + mean * u;
                assert!(
                    relative_error(after.atx0(k)[j], expected) < 1e-12,
                    "{} group {g} field {j}",
                    v.id
                );
            }
            let expected = before.x0x0[r] + mean * mean * before.atu(r)[0];
            assert!(relative_error(after.x0x0[k], expected) < 1e-12);
        }
    }
    assert_eq!(imputed, disclosure.locally_imputed_variants);
}

#[test]
fn sums_that_overflow_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let out = dir.path().join("out.parquet");
    // party_c.pheno: `FID IID y1 y2`.
    edit_field(&with_ext(&p, "pheno"), 5, 2, "1e200");
    expect_error(
        dir.path(),
        &compress_args(&p, &out, &SITE),
        "out",
        &["party_c.pheno", "line 5", "'y1'", "'1e200'", "overflows"],
    );
    let p = copy_party(dir.path(), "c");
    edit_field(&with_ext(&p, "covar"), 6, 1, "1e300");
    expect_error(
        dir.path(),
        &compress_args(&p, &out, &SITE),
        "out",
        &["party_c.covar", "line 6", "'age'", "'1e300'", "overflows"],
    );
}

#[test]
fn a_name_given_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let out = dir.path().join("out.parquet");
    expect_error(
        dir.path(),
        &compress_args(&p, &out, &[SITE[0], SITE[1], "--pheno-name", "y1,y1"]),
        "out",
        &["--pheno-name: 'y1' is given twice"],
    );
    expect_error(
        dir.path(),
        &compress_args(&p, &out, &[SITE[0], SITE[1], "--covar-name", "age,sex,age"]),
        "out",
        &["--covar-name: 'age' is given twice"],
    );
    expect_error(
        dir.path(),
        &compress_args(&p, &out, &[SITE[0], SITE[1], "--min-cell", "0"]),
        "out",
        &["--min-cell must be at least 1"],
    );
}

#[test]
fn the_header_records_min_cell_and_version_1_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (k5, _) = compress_at(d, "c", "5");
    let (k1, _) = compress_at(d, "c", "1");
    let s5 = read_summary(&k5).unwrap();
    assert_eq!(s5.header.format_version, dash::summary::FORMAT_VERSION);
    let rules5 = s5.header.components[0].disclosure.clone().unwrap();
    assert_eq!(rules5.min_cell, 5);
    assert!(rules5.rules.iter().any(|r| r == "variant_carriers"));
    let rules1 = read_summary(&k1).unwrap().header.components[0]
        .disclosure
        .clone()
        .unwrap();
    assert_eq!((rules1.min_cell, rules1.rules.len()), (1, 0));
    assert_eq!(
        rules1.suppressed_variants + rules1.locally_imputed_variants,
        0
    );

    // A version 1 file (no disclosure entry) is refused with the command that regenerates it.
    let mut old = read_summary(&k1).unwrap();
    old.header.format_version = 1;
    old.header.components[0].disclosure = None;
    let v1 = d.join("v1.parquet");
    let mut writer = SummaryWriter::create(&v1, &old.header).unwrap();
    writer.write(&old.rows).unwrap();
    writer.finish().unwrap();
    let prefix = d.join("old");
    expect_error(
        d,
        &[
            "merge",
            v1.to_str().unwrap(),
            "--out",
            prefix.to_str().unwrap(),
        ],
        "old",
        &["v1.parquet", "format version 1", "dash compress"],
    );
    let current = merge_to(&[&k1], &d.join("new"), &[]);
    let log = fs::read_to_string(format!("{current}.log")).unwrap();
    assert!(log.contains("--min-cell 1: 0 variants suppressed"), "{log}");
}
