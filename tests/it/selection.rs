//! Sample and variant selection at compress (`--keep`, `--remove`, `--chr`, `--not-chr`,
//! `--autosome`, `--extract`, `--exclude`).
//!
//! The oracle is the same analysis on inputs the test cut down itself: `--keep`/`--remove` must
//! equal a phenotype file holding only the selected samples, and a variant selection must equal
//! the full run's rows for exactly the variants the test picks from the `.bim` with its own
//! reading of plink2's rules. Both comparisons are exact (the same sums in the same order).
//! plink2's own `--keep`/`--extract` are compared live in `scripts/check_live_oracles.sh`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::common::*;

/// Samples of party a's `.fam` (IIDs), in file order.
fn fam_iids() -> Vec<String> {
    fs::read_to_string(fixtures().join("party_a.fam"))
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect()
}

/// Compresses party a with `extra` flags into `dir/NAME.parquet` and merges it alone.
fn run_a(dir: &Path, name: &str, pheno: &Path, extra: &[&str]) -> (String, String) {
    let summary = dir.join(format!("{name}.parquet"));
    let f = fixtures();
    let mut args: Vec<String> = vec![
        "compress".into(),
        f.join("party_a.bed").to_str().unwrap().into(),
        "--pheno".into(),
        pheno.to_str().unwrap().into(),
        "--covar".into(),
        f.join("party_a.covar").to_str().unwrap().into(),
        "--party".into(),
        "a".into(),
        "--out".into(),
        summary.to_str().unwrap().into(),
    ];
    args.extend(EXACT.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = dash_ok(&args);
    let prefix = merge_to(&[&summary], &dir.join(name), &[]);
    (prefix, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn keep_and_remove_equal_a_phenotype_file_of_the_selected_samples() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let iids = fam_iids();
    // --keep: every other sample, as `FID IID` lines with a header; --remove: a .fam-like file
    // naming some of them (and a sample the file does not have).
    let kept: Vec<&String> = iids.iter().step_by(2).collect();
    let removed: Vec<&String> = kept.iter().copied().step_by(7).collect();
    let keep = d.join("keep.txt");
    let mut text = String::from("#FID\tIID\n");
    for iid in &kept {
        text.push_str(&format!("F{iid}\t{iid}\n"));
    }
    fs::write(&keep, text).unwrap();
    let remove = d.join("remove.txt");
    let mut text = String::new();
    for iid in removed.iter().map(|s| s.as_str()).chain(["NOT_A_SAMPLE"]) {
        text.push_str(&format!("F{iid} {iid} 0 0 0 -9\n"));
    }
    fs::write(&remove, text).unwrap();

    let selected: BTreeSet<&str> = kept
        .iter()
        .filter(|s| !removed.contains(s))
        .map(|s| s.as_str())
        .collect();
    let pheno_text = fs::read_to_string(fixtures().join("party_a.pheno")).unwrap();
    let mut lines = pheno_text.lines();
    let mut filtered = format!("{}\n", lines.next().unwrap());
    for line in lines.filter(|l| selected.contains(l.split('\t').nth(1).unwrap())) {
        filtered.push_str(line);
        filtered.push('\n');
    }
    let filtered_pheno = d.join("selected.pheno");
    fs::write(&filtered_pheno, filtered).unwrap();

    let pheno = fixtures().join("party_a.pheno");
    let keep_arg = keep.to_str().unwrap();
    let remove_arg = remove.to_str().unwrap();
    let (selected_run, log) = run_a(
        d,
        "sel",
        &pheno,
        &["--keep", keep_arg, "--remove", remove_arg],
    );
    let (oracle, _) = run_a(d, "cut", &filtered_pheno, &[]);
    let left_out = iids.len() - selected.len();
    assert!(
        log.contains(&format!("{left_out} left out by --keep/--remove")),
        "{log}"
    );
    for phenotype in ["y1", "y2"] {
        assert_eq!(
            assert_same_results(&selected_run, &oracle, phenotype, 0.0),
            0.0
        );
        let n: BTreeSet<String> = Tsv::read(format!("{selected_run}.{phenotype}.tsv.gz").as_ref())
            .by("variant_id")
            .values()
            .map(|r| r["n"].clone())
            .collect();
        let n: u64 = n.iter().map(|v| v.parse::<u64>().unwrap()).max().unwrap();
        assert!(n <= selected.len() as u64 && n > 200, "n = {n}");
    }
}

#[test]
fn variant_selection_keeps_exactly_the_named_variants() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bim: Vec<(String, u64, String)> = fs::read_to_string(fixtures().join("party_a.bim"))
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[3].parse().unwrap(), f[1].to_string())
        })
        .collect();
    // --extract: every third ID on chromosomes 1-3 and 22 and a few elsewhere; --exclude bed1:
    // one interval on chromosome 1 holding some of them; --not-chr 2.
    let ids: Vec<&str> = bim.iter().step_by(3).map(|v| v.2.as_str()).collect();
    let extract = d.join("extract.txt");
    fs::write(&extract, ids.join("\n")).unwrap();
    let chrom1: Vec<u64> = bim.iter().filter(|v| v.0 == "1").map(|v| v.1).collect();
    let (low, high) = (chrom1[5], chrom1[20]);
    let exclude = d.join("exclude.bed");
    fs::write(&exclude, format!("chr1\t{low}\t{high}\tblock\n")).unwrap();

    let expected: BTreeSet<&str> = bim
        .iter()
        .enumerate()
        .filter(|(i, v)| {
            let on_chromosome = ["1", "3", "22"].contains(&v.0.as_str());
            let excluded = v.0 == "1" && (low..=high).contains(&v.1);
            i % 3 == 0 && on_chromosome && !excluded
        })
        .map(|(_, v)| v.2.as_str())
        .collect();

    let pheno = fixtures().join("party_a.pheno");
    let (full, _) = run_a(d, "full", &pheno, &[]);
    let (selected, log) = run_a(
        d,
        "sel",
        &pheno,
        &[
            "--chr",
            "1-3,22",
            "--not-chr",
            "chr2",
            "--extract",
            extract.to_str().unwrap(),
            "--exclude",
            "bed1",
            exclude.to_str().unwrap(),
        ],
    );
    assert!(
        log.contains(&format!("{} variants kept", expected.len())),
        "{log}"
    );
    for phenotype in ["y1", "y2"] {
        let rows = Tsv::read(format!("{selected}.{phenotype}.tsv.gz").as_ref()).by("rsid");
        let skipped = fs::read_to_string(format!("{selected}.{phenotype}.skipped.tsv")).unwrap();
        let got: BTreeSet<&str> = rows
            .keys()
            .map(String::as_str)
            .chain(
                skipped
                    .lines()
                    .skip(1)
                    .map(|l| l.split('\t').nth(2).unwrap()),
            )
            .collect();
        assert_eq!(got, expected, "{phenotype}");
        let all = Tsv::read(format!("{full}.{phenotype}.tsv.gz").as_ref()).by("rsid");
        for (id, row) in &rows {
            assert_eq!(row, &all[id], "{phenotype} {id}");
        }
    }
}

#[test]
fn selection_errors_name_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = fixtures();
    let base = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "compress",
            f.join("party_a.bed").to_str().unwrap(),
            "--pheno",
            f.join("party_a.pheno").to_str().unwrap(),
            "--covar",
            f.join("party_a.covar").to_str().unwrap(),
            "--covar-categorical",
            "site",
            "--out",
            d.join("out.parquet").to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let empty = d.join("empty.txt");
    fs::write(&empty, "#IID\n").unwrap();
    expect_error(
        d,
        &base(&["--keep", empty.to_str().unwrap()]),
        "out",
        &["empty.txt", "names no sample"],
    );
    let nobody = d.join("nobody.txt");
    fs::write(&nobody, "X1\nX2\n").unwrap();
    expect_error(
        d,
        &base(&["--keep", nobody.to_str().unwrap()]),
        "out",
        &["--keep nobody.txt: no genotype sample is left of the 701"],
    );
    let bed = d.join("r.bed");
    fs::write(&bed, "1\t100\t200\n1\t300\n").unwrap();
    expect_error(
        d,
        &base(&["--extract", "bed0", bed.to_str().unwrap()]),
        "out",
        &["r.bed", "line 2", "at least 3 columns"],
    );
    expect_error(
        d,
        &base(&["--chr", "5-2"]),
        "out",
        &["--chr '5-2'", "reversed"],
    );
    let out = dash(
        &base(&["--chr", "5-2"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad --chr list is a usage error"
    );
    expect_error(
        d,
        &base(&["--extract", d.join("missing.txt").to_str().unwrap()]),
        "out",
        &["missing.txt"],
    );
}
