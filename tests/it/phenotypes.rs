//! Many phenotypes in one pass (issue 17): 50 phenotypes in 3 missingness patterns across 2
//! parties, against a naive pooled least-squares fit written here.
//!
//! The data are generated here (hard calls in `.bed` files, so the oracle knows every call
//! without a reader). The oracle pools the samples of both parties that have the phenotype,
//! mean-imputes missing calls with the pooled mean of the observed ones, orthonormalises the
//! covariate columns (intercept and 3 covariates, modified Gram-Schmidt applied twice) and
//! regresses the residual phenotype on the residual dosage (Frisch–Waugh–Lovell). Nothing is
//! shared with dash's normal-equation sums or Cholesky projection. Tolerances: n exact; se and
//! t 1e-9 relative; β 1e-9 × max(|β|, se).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common::*;
use crate::naive_ols::{
    assert_row_matches, bed_bytes, bim_line, compress_written, covariate_basis, residualise,
    test_calls, write_party, Fit, Rng,
};

const TOLERANCE: f64 = 1e-9;
const PHENOTYPES: usize = 50;
const COVARIATES: usize = 3;
const VARIANTS: usize = 120;

/// Pattern of phenotype `j`: 20 phenotypes with none missing, 15 and 15 with two different
/// sample sets missing.
fn pattern(j: usize) -> usize {
    match j {
        0..20 => 0,
        20..35 => 1,
        _ => 2,
    }
}

/// Whether sample `i` of party `party` lacks the phenotypes of `pattern`.
fn lacks(party: usize, i: usize, pattern: usize) -> bool {
    match pattern {
        0 => false,
        1 => (i * 7 + 3) % 10 < 2,
        _ => (i + party).is_multiple_of(3 + party),
    }
}

/// One party's data: calls (`None` missing), covariates, phenotypes (`None` missing).
struct Party {
    name: &'static str,
    calls: Vec<Vec<Option<u8>>>,
    covariates: Vec<[f64; COVARIATES]>,
    phenotypes: Vec<Vec<Option<f64>>>,
}

impl Party {
    fn generate(index: usize, name: &'static str, n: usize, rng: &mut Rng) -> Party {
        let calls: Vec<Vec<Option<u8>>> = (0..VARIANTS)
            .map(|v| {
                let frequency = 0.05 + 0.4 * ((v * 37 % 100) as f64 / 100.0);
                (0..n)
                    .map(|_| {
                        if rng.uniform() < 0.02 {
                            return None;
                        }
                        let alt = |r: &mut Rng| u8::from(r.uniform() < frequency);
                        Some(alt(rng) + alt(rng))
                    })
                    .collect()
            })
            .collect();
        let covariates: Vec<[f64; COVARIATES]> = (0..n)
            .map(|_| {
                [
                    40.0 + 20.0 * rng.uniform() + index as f64,
                    rng.noise(),
                    f64::from(u8::from(rng.uniform() < 0.5)),
                ]
            })
            .collect();
        let phenotypes = (0..n)
            .map(|i| {
                (0..PHENOTYPES)
                    .map(|j| {
                        if lacks(index, i, pattern(j)) {
                            return None;
                        }
                        let c = &covariates[i];
                        let g = f64::from(calls[j % VARIANTS][i].unwrap_or(1));
                        let effect = 0.2 * (j % 4) as f64;
                        Some(1.0 + effect * g + 0.03 * c[0] - 0.5 * c[1] + rng.noise())
                    })
                    .collect()
            })
            .collect();
        Party {
            name,
            calls,
            covariates,
            phenotypes,
        }
    }

    fn iid(&self, i: usize) -> String {
        format!("{}{i:04}", self.name)
    }

    /// Writes `dir/NAME.{bed,bim,fam,pheno,covar}`; returns the `.bed` path.
    fn write(&self, dir: &Path) -> PathBuf {
        let n = self.covariates.len();
        let bed = bed_bytes(self.calls.iter().map(Vec::as_slice), n);
        let mut bim = String::new();
        for v in 0..VARIANTS {
            bim_line(&mut bim, v, false);
        }
        let (mut fam, mut pheno, mut covar) = (String::new(), String::new(), String::new());
        pheno.push_str("FID\tIID");
        for j in 0..PHENOTYPES {
            write!(pheno, "\ty{j}").unwrap();
        }
        pheno.push('\n');
        covar.push_str("FID\tIID\tage\tpc1\tsex01\n");
        for i in 0..n {
            let iid = self.iid(i);
            writeln!(fam, "F{iid}\t{iid}\t0\t0\t0\t-9").unwrap();
            write!(pheno, "F{iid}\t{iid}").unwrap();
            for y in &self.phenotypes[i] {
                match y {
                    Some(y) => write!(pheno, "\t{y:.17e}").unwrap(),
                    None => pheno.push_str("\tNA"),
                }
            }
            pheno.push('\n');
            let c = &self.covariates[i];
            writeln!(
                covar,
                "F{iid}\t{iid}\t{:.17e}\t{:.17e}\t{}",
                c[0], c[1], c[2]
            )
            .unwrap();
        }
        write_party(dir, self.name, bed, [&bim, &fam, &pheno, &covar])
    }
}

/// The pooled fit of phenotype `j` on every variant (None where the variant is constant).
fn pooled_fits(parties: &[Party], j: usize) -> Vec<Option<Fit>> {
    // The pooled samples with phenotype j: (party, sample).
    let samples: Vec<(usize, usize)> = parties
        .iter()
        .enumerate()
        .flat_map(|(p, party)| {
            (0..party.covariates.len())
                .filter(move |&i| party.phenotypes[i][j].is_some())
                .map(move |i| (p, i))
        })
        .collect();
    let rows: Vec<&[f64]> = samples
        .iter()
        .map(|&(p, i)| &parties[p].covariates[i][..])
        .collect();
    let q = covariate_basis(&rows);
    let mut y: Vec<f64> = samples
        .iter()
        .map(|&(p, i)| parties[p].phenotypes[i][j].unwrap())
        .collect();
    residualise(&mut y, &q);
    (0..VARIANTS)
        .map(|v| {
            let calls: Vec<Option<u8>> = samples
                .iter()
                .map(|&(p, i)| parties[p].calls[v][i])
                .collect();
            test_calls(&q, &y, &calls)
        })
        .collect()
}

/// Compresses each party with all 50 phenotypes, merges them, returns the parties and prefix.
fn compress_and_merge(dir: &Path, merge_extra: &[&str]) -> (Vec<Party>, String) {
    let mut rng = Rng(0x5eed_1234_abcd_0017);
    let parties = vec![
        Party::generate(0, "pa", 410, &mut rng),
        Party::generate(1, "pb", 290, &mut rng),
    ];
    let mut summaries = Vec::new();
    for party in &parties {
        party.write(dir);
        let out = compress_written(dir, party.name);
        summaries.push(out);
    }
    let summaries: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let prefix = merge_to(&summaries, &dir.join("many"), merge_extra);
    (parties, prefix)
}

#[test]
fn fifty_phenotypes_in_three_patterns_equal_pooled_least_squares() {
    let dir = tempfile::tempdir().unwrap();
    let (parties, prefix) = compress_and_merge(dir.path(), &[]);
    let mut worst = 0.0f64;
    for j in 0..PHENOTYPES {
        let results = Tsv::read(format!("{prefix}.y{j}.tsv.gz").as_ref()).by("rsid");
        let fits = pooled_fits(&parties, j);
        let mut tested = 0;
        for (v, fit) in fits.iter().enumerate() {
            let rsid = format!("rs{}", 1000 + v);
            let (Some(fit), Some(row)) = (fit, results.get(&rsid)) else {
                assert!(
                    fit.is_none() && !results.contains_key(&rsid),
                    "y{j} {rsid}: tested by only one of dash and the oracle"
                );
                continue;
            };
            let error = assert_row_matches(row, fit, TOLERANCE, &format!("y{j} {rsid}"));
            worst = worst.max(error);
            tested += 1;
        }
        assert!(
            tested >= VARIANTS - 2,
            "y{j}: only {tested} variants tested"
        );
    }
    println!("worst relative error over 50 phenotypes: {worst:e}");
}

/// `--pheno-out-min-log10p X` keeps in each GWAS-SSF file exactly the rows of the full run with
/// −log10 p ≥ X, the same bytes per row; the log lists the phenotypes with hits (p < 5e-8) as the
/// full files show them, and every other file is as in the full run.
#[test]
fn min_log10p_keeps_the_strong_rows_and_the_log_lists_hits() {
    let dir = tempfile::tempdir().unwrap();
    let (_, full) = compress_and_merge(dir.path(), &[]);
    let summaries = [dir.path().join("pa.parquet"), dir.path().join("pb.parquet")];
    let summaries: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let kept = merge_to(
        &summaries,
        &dir.path().join("kept"),
        &["--pheno-out-min-log10p", "3"],
    );
    let genome_wide = -(5e-8f64.log10());
    let log = std::fs::read_to_string(format!("{kept}.log")).unwrap();
    // The phenotype table describes the full files, with or without the threshold.
    let table = Tsv::read(format!("{full}.phenotypes.tsv").as_ref());
    assert_eq!(
        std::fs::read(format!("{full}.phenotypes.tsv")).unwrap(),
        std::fs::read(format!("{kept}.phenotypes.tsv")).unwrap()
    );
    assert_eq!(
        table
            .rows
            .iter()
            .map(|row| row[0].clone())
            .collect::<Vec<_>>(),
        (0..PHENOTYPES).map(|j| format!("y{j}")).collect::<Vec<_>>()
    );
    let mut with_hits = Vec::new();
    let mut hit_counts: Vec<(usize, usize)> = Vec::new();
    for j in 0..PHENOTYPES {
        let all = Tsv::read(format!("{full}.y{j}.tsv.gz").as_ref());
        let strong = Tsv::read(format!("{kept}.y{j}.tsv.gz").as_ref());
        assert_eq!(all.header, strong.header);
        let p = all.column("neg_log_10_p_value");
        let expected: Vec<&Vec<String>> = all
            .rows
            .iter()
            .filter(|row| row[p].parse::<f64>().unwrap() >= 3.0)
            .collect();
        assert_eq!(strong.rows.iter().collect::<Vec<_>>(), expected, "y{j}");
        let hits = all
            .rows
            .iter()
            .filter(|row| row[p].parse::<f64>().unwrap() > genome_wide)
            .count();
        if hits > 0 {
            with_hits.push(format!("y{j} ({hits})"));
            hit_counts.push((j, hits));
        }
        assert_tally_matches_files(&table, &full, j, &all, hits);
        let counts = format!(
            "phenotype y{j}: {} of {} tested variants written",
            expected.len(),
            all.rows.len()
        );
        assert!(log.contains(&counts), "{counts}\nnot in\n{log}");
        for file in ["skipped.tsv", "loci.tsv", "covariates.tsv"] {
            assert_eq!(
                std::fs::read(format!("{full}.y{j}.{file}")).unwrap(),
                std::fs::read(format!("{kept}.y{j}.{file}")).unwrap(),
                "y{j}.{file}"
            );
        }
    }
    assert!(
        with_hits.len() > 10 && with_hits.len() < PHENOTYPES,
        "{with_hits:?}"
    );
    let expected = format!(
        "phenotypes with hits (p < 5e-8): {} of {PHENOTYPES}: {}",
        with_hits.len(),
        with_hits.join(", ")
    );
    assert!(
        log.lines().any(|l| l == expected),
        "{expected}\nnot in\n{log}"
    );
    assert!(log.contains("tested variants written (--pheno-out-min-log10p 3"));

    // 50 phenotypes are too many for one page: merge's report draws the 20 with the most hits
    // (merge order among equal counts), and says how to draw the others.
    hit_counts.sort_by_key(|&(_, hits)| std::cmp::Reverse(hits));
    let drawn: Vec<usize> = hit_counts.iter().take(20).map(|&(j, _)| j).collect();
    for j in 0..PHENOTYPES {
        let plot = PathBuf::from(format!("{kept}.y{j}.manhattan.png"));
        assert_eq!(plot.exists(), drawn.contains(&j), "y{j}");
    }
    assert!(
        log.contains("report: 50 phenotypes are too many for one page: it shows 20"),
        "{log}"
    );
}

/// Phenotype `y{j}`'s row of `table` (`PREFIX.phenotypes.tsv`) against its files: the rows of
/// its GWAS-SSF file `all`, the lines of its skipped list, `hits` counted from `all`, and the
/// p-value text of the row with the largest −log10 p.
fn assert_tally_matches_files(table: &Tsv, prefix: &str, j: usize, all: &Tsv, hits: usize) {
    let row = &table.rows[j];
    let at = |name: &str| &row[table.column(name)];
    assert_eq!(at("tested"), &all.rows.len().to_string(), "y{j}");
    let skipped = std::fs::read_to_string(format!("{prefix}.y{j}.skipped.tsv")).unwrap();
    assert_eq!(
        at("skipped"),
        &(skipped.lines().count() - 1).to_string(),
        "y{j}"
    );
    assert_eq!(at("hits"), &hits.to_string(), "y{j}");
    let (p, neg_log10_p) = (all.column("p_value"), all.column("neg_log_10_p_value"));
    let strongest = all
        .rows
        .iter()
        .max_by(|a, b| {
            let (a, b) = (&a[neg_log10_p], &b[neg_log10_p]);
            a.parse::<f64>().unwrap().total_cmp(&b.parse().unwrap())
        })
        .unwrap();
    assert_eq!(at("p_value"), &strongest[p], "y{j}");
    assert_eq!(at("neg_log_10_p_value"), &strongest[neg_log10_p], "y{j}");
}

/// A threshold that is not a −log10 p is a usage error, before anything is read or written.
#[test]
fn min_log10p_must_be_a_number_at_least_zero() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.parquet");
    let out = dir.path().join("out");
    for bad in [
        "--pheno-out-min-log10p=-1",
        "--pheno-out-min-log10p=nan",
        "--pheno-out-min-log10p=inf",
    ] {
        expect_error(
            dir.path(),
            &[
                "merge",
                missing.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                bad,
            ],
            "out",
            &["--pheno-out-min-log10p must be a number ≥ 0"],
        );
    }
}

/// A phenotype written among 50 side by side (each file formatted and compressed by one worker
/// of the pool, rows formatted into one reused buffer, written past the file's buffer) has the
/// same text as written alone (rows formatted in parallel chunks, blocks compressed on the
/// pool); each metadata file carries the MD5 of its own compressed file (`md5sum`'s).
#[test]
fn a_phenotype_alone_is_written_as_among_fifty() {
    let dir = tempfile::tempdir().unwrap();
    let (_, many) = compress_and_merge(dir.path(), &["--threads", "2"]);
    let summaries = [dir.path().join("pa.parquet"), dir.path().join("pb.parquet")];
    let summaries: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let text = |prefix: &str, j: usize| {
        let path = format!("{prefix}.y{j}.tsv.gz");
        let mut reader = noodles_bgzf::io::Reader::new(std::fs::File::open(&path).unwrap());
        let mut text = String::new();
        std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
        text
    };
    for j in [0, 27, 49] {
        let pheno = format!("y{j}");
        let alone = merge_to(
            &summaries,
            &dir.path().join(format!("alone{j}")),
            &["--threads", "2", "--pheno", &pheno],
        );
        let written = text(&many, j);
        assert!(written.lines().count() > VARIANTS / 2, "{pheno}: rows");
        assert_eq!(written, text(&alone, j), "{pheno}: alone and among 50");
        for prefix in [&many, &alone] {
            let tsv = format!("{prefix}.y{j}.tsv.gz");
            let md5sum = std::process::Command::new("md5sum")
                .arg(&tsv)
                .output()
                .unwrap();
            let md5sum = String::from_utf8(md5sum.stdout).unwrap();
            let md5 = md5sum.split_whitespace().next().unwrap();
            let meta = std::fs::read_to_string(format!("{tsv}-meta.yaml")).unwrap();
            assert!(
                meta.contains(&format!("data_file_md5sum: {md5}")),
                "{tsv}: md5sum {md5}"
            );
        }
    }
}
