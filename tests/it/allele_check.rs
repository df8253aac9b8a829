//! The per-party allele-frequency check of merge: each party's frequency and the other parties'
//! pooled frequency against the numpy oracle on the pooled fixture genotypes
//! (golden/allele_freq.tsv, fixtures/oracle_allele_freq.py, ≤ 1e-12 relative), a party with its
//! allele labels swapped caught as outliers, the report's per-party plots, and bad inputs.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::common::*;

/// Oracle tolerance on frequencies (relative; f64 sums of whole dosages).
const TOLERANCE: f64 = 1e-12;

/// A frequency difference this close to the threshold is not used to decide outlier membership
/// (the last bit of a difference may fall either way).
const MARGIN: f64 = 1e-9;

/// (party, id) → (af_party, af_others, observed_party, observed_others) from a table with those
/// columns: golden/allele_freq.tsv (rows without a comparison, `NA`, left out) or a merge's
/// PREFIX.af_outliers.tsv.
fn frequencies(path: &Path) -> HashMap<(String, String), [f64; 4]> {
    let t = Tsv::read(path);
    let c = |n: &str| t.column(n);
    let (party, id) = (c("party"), c("id"));
    let cols = [
        c("af_party"),
        c("af_others"),
        c("observed_party"),
        c("observed_others"),
    ];
    t.rows
        .iter()
        .filter(|r| r[cols[0]] != "NA")
        .map(|r| {
            (
                (r[party].clone(), r[id].clone()),
                cols.map(|k| r[k].parse().unwrap()),
            )
        })
        .collect()
}

fn golden() -> HashMap<(String, String), [f64; 4]> {
    frequencies(&fixtures().join("golden").join("allele_freq.tsv"))
}

fn outliers(prefix: &str) -> HashMap<(String, String), [f64; 4]> {
    frequencies(format!("{prefix}.af_outliers.tsv").as_ref())
}

fn merged(dir: &Path, parties: &[PathBuf], name: &str, extra: &[&str]) -> String {
    let paths: Vec<&Path> = parties.iter().map(PathBuf::as_path).collect();
    merge_to(&paths, &dir.join(name), extra)
}

#[test]
fn party_and_others_frequencies_match_the_numpy_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let parties: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|p| compress_party(dir.path(), p))
        .collect();
    // A threshold far below any real difference lists every variant whose party and others'
    // frequencies differ at all: every frequency merge computed, to compare with the oracle.
    let prefix = merged(dir.path(), &parties, "all", &["--af-diff", "1e-15"]);
    let golden = golden();
    let found = outliers(&prefix);
    let mut worst = 0.0f64;
    for (key, want) in &golden {
        if (want[0] - want[1]).abs() <= MARGIN {
            continue;
        }
        let got = found
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} not listed"));
        for k in 0..4 {
            let e = relative_error(got[k], want[k]);
            worst = worst.max(e);
            assert!(
                e <= TOLERANCE,
                "{key:?} column {k}: {} vs {}",
                got[k],
                want[k]
            );
        }
    }
    assert!(
        found.len() + 100 > golden.len(),
        "{} of {}",
        found.len(),
        golden.len()
    );
    eprintln!(
        "allele frequencies: {} party-variants against the oracle, worst relative error {worst:.1e}",
        found.len()
    );

    // The party table: every input checked, its counts those of the histogram and the list.
    let table = Tsv::read(format!("{prefix}.af_parties.tsv").as_ref());
    let bins = Tsv::read(format!("{prefix}.af_bins.tsv").as_ref());
    for row in &table.rows {
        let r = |n: &str| row[table.column(n)].clone();
        assert_eq!(r("status"), "checked");
        assert_eq!(r("phenotype"), "y1");
        let input = r("input");
        let binned: u64 = bins
            .rows
            .iter()
            .filter(|b| b[0] == input)
            .map(|b| b[3].parse::<u64>().unwrap())
            .sum();
        assert_eq!(binned, r("compared").parse::<u64>().unwrap());
        let listed = found.keys().filter(|(p, _)| *p == r("party")).count();
        assert_eq!(listed, r("outliers").parse::<usize>().unwrap());
        assert_eq!(
            r("compared").parse::<usize>().unwrap(),
            golden.keys().filter(|(p, _)| *p == r("party")).count()
        );
    }

    // At the default threshold the fixture parties (one cohort split three ways) agree.
    let prefix = merged(dir.path(), &parties, "default", &[]);
    assert!(outliers(&prefix).is_empty());
    let html = std::fs::read_to_string(format!("{prefix}.report.html")).unwrap();
    for k in 1..=3 {
        assert!(
            html.contains(&format!("default.af_party{k}.png")),
            "party {k}"
        );
        assert!(Path::new(&format!("{prefix}.af_party{k}.svg")).exists());
    }
}

#[test]
fn a_party_with_swapped_allele_labels_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    // Party b's .bim with A1 and A2 exchanged but its genotypes untouched: every call now counts
    // the other allele, which merge (matching alleles by label) flips back the wrong way.
    let b = copy_party(dir.path(), "b");
    let bim = std::fs::read_to_string(format!("{}.bim", b.display())).unwrap();
    let swapped: Vec<String> = bim
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split('\t').collect();
            f.swap(4, 5);
            f.join("\t")
        })
        .collect();
    std::fs::write(format!("{}.bim", b.display()), swapped.join("\n") + "\n").unwrap();
    let swapped_b = dir.path().join("swapped_b.parquet");
    compress_to(
        &b.with_extension("bed"),
        &b.with_extension("pheno"),
        &b.with_extension("covar"),
        "b",
        &swapped_b,
        &[],
    );
    let parties = vec![
        compress_party(dir.path(), "a"),
        swapped_b,
        compress_party(dir.path(), "c"),
    ];
    let prefix = merged(dir.path(), &parties, "swap", &[]);

    // Expected from the oracle's sums: b's frequency becomes 1 − f, and so do b's sums inside
    // the others' pooled frequency of a and c.
    let golden = golden();
    let get = |p: &str, id: &str| golden.get(&(p.to_string(), id.to_string()));
    let ids: HashSet<String> = golden.keys().map(|(_, id)| id.clone()).collect();
    let found = outliers(&prefix);
    let mut expected_b = 0;
    for id in &ids {
        let (Some(a), Some(bb), Some(c)) = (get("a", id), get("b", id), get("c", id)) else {
            continue;
        };
        let alt_sum = |f: [f64; 4]| 2.0 * f[0] * f[2];
        let (sa, sc, na, nb, nc) = (alt_sum(*a), alt_sum(*c), a[2], bb[2], c[2]);
        let sb = 2.0 * nb - alt_sum(*bb);
        let own = |s: f64, n: f64| s / (2.0 * n);
        let cases = [
            ("a", own(sa, na), own(sb + sc, nb + nc)),
            ("b", own(sb, nb), own(sa + sc, na + nc)),
            ("c", own(sc, nc), own(sa + sb, na + nb)),
        ];
        for (party, f, others) in cases {
            let d = (f - others).abs();
            if (d - 0.2).abs() <= MARGIN {
                continue;
            }
            let listed = found.get(&(party.to_string(), id.clone()));
            assert_eq!(listed.is_some(), d > 0.2, "{party} {id}: |Δ| {d}");
            if let Some(got) = listed {
                assert!(relative_error(got[0], f) <= TOLERANCE, "{party} {id}");
                assert!(relative_error(got[1], others) <= TOLERANCE, "{party} {id}");
            }
            expected_b += usize::from(party == "b" && d > 0.2);
        }
    }
    // Most variants are far enough from 0.5 for the mirror image to stand out.
    assert!(expected_b > ids.len() / 2, "{expected_b} of {}", ids.len());
    let table = Tsv::read(format!("{prefix}.af_parties.tsv").as_ref()).by("party");
    assert_eq!(table["b"]["outliers"], expected_b.to_string());

    // The report shows b's plot and its outlier table; the log counts them.
    let html = std::fs::read_to_string(format!("{prefix}.report.html")).unwrap();
    assert!(html.contains(&format!("data-outliers=\"{expected_b}\"")));
    assert!(html.contains("class=\"outliers\""));
    let log = std::fs::read_to_string(format!("{prefix}.log")).unwrap();
    assert!(log.contains(&format!("{expected_b} outliers")), "{log}");
}

#[test]
fn no_report_skips_the_page_and_report_remakes_it_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let parties: Vec<PathBuf> = ["a", "b"]
        .iter()
        .map(|p| compress_party(dir.path(), p))
        .collect();
    let prefix = merged(dir.path(), &parties, "g", &["--no-report"]);
    let names = file_names(dir.path());
    assert!(!names
        .iter()
        .any(|n| n.contains("report.html") || n.ends_with(".png")));
    assert!(names.contains(&"g.af_outliers.tsv".to_string()));
    dash_ok(&["report", &prefix]);
    assert!(Path::new(&format!("{prefix}.report.html")).exists());
    assert!(Path::new(&format!("{prefix}.af_party2.png")).exists());

    // A single summary has nothing to compare with; the page says so.
    let one = merged(dir.path(), &parties[..1], "one", &[]);
    let table = Tsv::read(format!("{one}.af_parties.tsv").as_ref());
    assert_eq!(table.rows[0][table.column("status")], "no_other_input");
    let html = std::fs::read_to_string(format!("{one}.report.html")).unwrap();
    assert!(html.contains("there is no other party to compare it with"));
}

#[test]
fn bad_allele_check_files_and_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let parties: Vec<PathBuf> = ["a", "c"]
        .iter()
        .map(|p| compress_party(dir.path(), p))
        .collect();
    let x = dir.path().join("x");
    for value in ["0", "1", "1.5", "nan"] {
        let args = [
            "merge",
            parties[0].to_str().unwrap(),
            parties[1].to_str().unwrap(),
            "--out",
            x.to_str().unwrap(),
            "--af-diff",
            value,
        ];
        let out = dash(&args);
        assert_eq!(out.status.code(), Some(2), "--af-diff {value}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--af-diff"));
        assert!(files_starting_with(dir.path(), "x").is_empty());
    }

    let prefix = merged(
        dir.path(),
        &parties,
        "g",
        &["--no-report", "--af-diff", "0.01"],
    );
    let bins = format!("{prefix}.af_bins.tsv");
    let good = std::fs::read_to_string(&bins).unwrap();
    let cases = [
        (
            "af_bins.tsv",
            good.replacen("\n1\t", "\n1\t50", 1),
            "outside",
        ),
        (
            "af_bins.tsv",
            good.replacen("\n1\t", "\nx\t", 1),
            "not a number",
        ),
        ("af_bins.tsv", good.replacen("\n1\t", "\n9\t", 1), "input 9"),
        (
            "af_bins.tsv",
            good.replacen("variants", "count", 1),
            "header",
        ),
    ];
    for (file, text, needle) in cases {
        std::fs::write(&bins, &text).unwrap();
        let line = if needle == "header" {
            "line 1"
        } else {
            "line 2"
        };
        expect_error(
            dir.path(),
            &["report", prefix.as_str()],
            "g.report",
            &[file, line, needle],
        );
        assert!(!files_starting_with(dir.path(), "g.af_party")
            .iter()
            .any(|_| true));
    }
    std::fs::write(&bins, &good).unwrap();
    let outliers = format!("{prefix}.af_outliers.tsv");
    let text = std::fs::read_to_string(&outliers).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut fields: Vec<String> = lines[1].split('\t').map(str::to_string).collect();
    fields[7] = "1.5".to_string();
    lines[1] = fields.join("\t");
    std::fs::write(&outliers, lines.join("\n") + "\n").unwrap();
    expect_error(
        dir.path(),
        &["report", prefix.as_str()],
        "g.report",
        &[
            "af_outliers.tsv",
            "line 2",
            "af_party 1.5 is not a frequency",
        ],
    );
}
