//! Per-party QC filters (`--party-maf`, `--party-geno`, …) and per-variant case/control counts,
//! against a naive pooled least-squares fit written here.
//!
//! Three parties with hard calls in `.bed` files (generated here, so the oracle knows every
//! call): party c lacks every fifth variant; party b is all but monomorphic on every fourth
//! (one het call: its own MAF is below 0.01); party c misses a fifth of its calls on every sixth
//! (its own missing rate is above 0.1); party a, the first input, is all but monomorphic on every
//! seventh from the fourth, which is then reported in the orientation of party b, whose `.bim`
//! has the alleles the other way round (G counted); no party has an ALT allele of variant 7. The oracle
//! decides from each party's own calls which parties plink2's `--maf 0.01`/`--geno 0.1` would
//! keep, pools the samples of those parties, mean-imputes missing calls with the pooled mean,
//! orthonormalises the covariates (modified Gram-Schmidt twice) and regresses the residual
//! phenotype on the residual dosage. Tolerances: n and the case/control counts exact; se and t
//! 1e-9 relative; β 1e-9 × max(|β|, se).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common::*;
use crate::naive_ols::{
    assert_row_matches, bed_bytes, bim_line, compress_written, covariate_basis, residualise,
    test_calls, write_party, Fit, Rng,
};

const TOLERANCE: f64 = 1e-9;
const VARIANTS: usize = 40;
/// The variant no party has an ALT allele of.
const MONOMORPHIC: usize = 7;
const PARTY_FLAGS: [&str; 4] = ["--party-maf", "0.01", "--party-geno", "0.1"];

/// One party: calls per variant (`None` where the party lacks the variant; `None` calls
/// missing), covariates, a quantitative and a 1/2-coded case/control phenotype.
struct Party {
    name: &'static str,
    calls: Vec<Option<Vec<Option<u8>>>>,
    covariates: Vec<[f64; 2]>,
    y: Vec<f64>,
    cc: Vec<u8>,
}

impl Party {
    fn generate(index: usize, name: &'static str, n: usize, rng: &mut Rng) -> Party {
        let calls: Vec<Option<Vec<Option<u8>>>> = (0..VARIANTS)
            .map(|v| {
                if name == "c" && v % 5 == 0 {
                    return None;
                }
                let frequency = 0.1 + 0.3 * ((v * 37 % 100) as f64 / 100.0);
                let calls = (0..n)
                    .map(|i| {
                        if v == MONOMORPHIC
                            || (name == "b" && v % 4 == 1)
                            || (name == "a" && v % 7 == 3)
                        {
                            return Some(u8::from(v != MONOMORPHIC && i == 0));
                        }
                        let missing_rate = if name == "c" && v % 6 == 2 { 0.0 } else { 0.02 };
                        if (name == "c" && v % 6 == 2 && i % 5 == 0) || rng.uniform() < missing_rate
                        {
                            return None;
                        }
                        let alt = |r: &mut Rng| u8::from(r.uniform() < frequency);
                        Some(alt(rng) + alt(rng))
                    })
                    .collect();
                Some(calls)
            })
            .collect();
        let covariates: Vec<[f64; 2]> = (0..n)
            .map(|_| [40.0 + 20.0 * rng.uniform() + index as f64, rng.noise()])
            .collect();
        let dosage = |v: usize, i: usize| -> f64 {
            calls[v].as_ref().and_then(|c| c[i]).map_or(1.0, f64::from)
        };
        let y = (0..n)
            .map(|i| 1.0 + 0.3 * dosage(3, i) + 0.03 * covariates[i][0] + rng.noise())
            .collect();
        let cc = (0..n)
            .map(|i| 1 + u8::from(0.4 * dosage(3, i) - 0.5 * covariates[i][1] + rng.noise() > 0.3))
            .collect();
        Party {
            name,
            calls,
            covariates,
            y,
            cc,
        }
    }

    fn n(&self) -> usize {
        self.covariates.len()
    }

    /// Whether plink2's `--maf 0.01 --geno 0.1` on this party's own calls keeps variant `v`
    /// (`None`: the party lacks it); `Err` names the filter that removes it.
    fn passes(&self, v: usize) -> Option<Result<(), &'static str>> {
        let calls = self.calls[v].as_ref()?;
        let observed: Vec<f64> = calls.iter().flatten().map(|&g| f64::from(g)).collect();
        let missing = calls.len() - observed.len();
        if missing as f64 > 0.1 * calls.len() as f64 {
            return Some(Err("geno"));
        }
        let alt: f64 = observed.iter().sum();
        let alleles = 2.0 * observed.len() as f64;
        if alt.min(alleles - alt) / alleles < 0.01 {
            return Some(Err("maf"));
        }
        Some(Ok(()))
    }

    /// Writes `dir/NAME.{bed,bim,fam,pheno,covar}`; returns the `.bed` path.
    fn write(&self, dir: &Path) -> PathBuf {
        let n = self.n();
        let held = || (0..VARIANTS).filter(|&v| self.calls[v].is_some());
        // Party b counts G: its calls are 2 − x of the A dosage x.
        let swapped = self.name == "b";
        let counted: Vec<Vec<Option<u8>>> = held()
            .map(|v| {
                let calls = self.calls[v].as_ref().unwrap();
                calls
                    .iter()
                    .map(|c| c.map(|x| if swapped { 2 - x } else { x }))
                    .collect()
            })
            .collect();
        let bed = bed_bytes(counted.iter().map(Vec::as_slice), n);
        let mut bim = String::new();
        held().for_each(|v| bim_line(&mut bim, v, swapped));
        let (mut fam, mut pheno, mut covar) = (
            String::new(),
            "FID\tIID\ty1\tcc\n".to_string(),
            "FID\tIID\tage\tpc1\n".to_string(),
        );
        for i in 0..n {
            let iid = format!("{}{i:04}", self.name);
            writeln!(fam, "F{iid}\t{iid}\t0\t0\t0\t-9").unwrap();
            writeln!(pheno, "F{iid}\t{iid}\t{:.17e}\t{}", self.y[i], self.cc[i]).unwrap();
            let c = &self.covariates[i];
            writeln!(covar, "F{iid}\t{iid}\t{:.17e}\t{:.17e}", c[0], c[1]).unwrap();
        }
        write_party(dir, self.name, bed, [&bim, &fam, &pheno, &covar])
    }
}

/// The oracle's result for one variant and phenotype, with the cases among its samples.
struct CaseFit {
    fit: Fit,
    cases: usize,
}

/// The pooled fit of variant `v` over the samples of `parties[p]` for every p in `set`
/// (`cc`: the case/control phenotype, else y1); `None` when x is constant.
fn pooled_fit(parties: &[Party], set: &[usize], v: usize, cc: bool) -> Option<CaseFit> {
    let samples: Vec<(usize, usize)> = set
        .iter()
        .flat_map(|&p| (0..parties[p].n()).map(move |i| (p, i)))
        .collect();
    // The samples in party order, as `samples` lists them.
    let covariates = set.iter().flat_map(|&p| &parties[p].covariates);
    let q = covariate_basis(&covariates.map(|c| &c[..]).collect::<Vec<_>>());
    let phenotype = |p: usize, i: usize| match cc {
        true => f64::from(parties[p].cc[i]),
        false => parties[p].y[i],
    };
    let mut y: Vec<f64> = samples.iter().map(|&(p, i)| phenotype(p, i)).collect();
    let cases = samples
        .iter()
        .filter(|&&(p, i)| parties[p].cc[i] == 2)
        .count();
    residualise(&mut y, &q);
    let calls: Vec<Option<u8>> = samples
        .iter()
        .map(|&(p, i)| parties[p].calls[v].as_ref().expect("held")[i])
        .collect();
    Some(CaseFit {
        fit: test_calls(&q, &y, &calls)?,
        cases,
    })
}

/// Generates and compresses the three parties; returns them and their summaries.
fn compress_parties(dir: &Path) -> (Vec<Party>, Vec<PathBuf>) {
    let mut rng = Rng(0x9a47_7f11_7e25_0015);
    let parties = vec![
        Party::generate(0, "a", 160, &mut rng),
        Party::generate(1, "b", 130, &mut rng),
        Party::generate(2, "c", 100, &mut rng),
    ];
    let summaries = parties
        .iter()
        .map(|party| {
            party.write(dir);
            compress_written(dir, party.name)
        })
        .collect();
    (parties, summaries)
}

/// With and without `--party-maf 0.01 --party-geno 0.1`: every variant's β, se, t and n equal
/// the pooled fit over the parties that hold it and (with the filters) pass them on their own
/// calls; `n_cases`/`n_controls` of the case/control phenotype count those parties' cases and
/// controls; the party-filter list names exactly the parties the oracle leaves out, and a
/// variant no party passes is skipped with reason `party_filters`.
#[test]
fn party_filters_pool_exactly_the_parties_that_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (parties, summaries) = compress_parties(dir.path());
    let summaries: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let mut worst = 0.0f64;
    for (name, flags) in [("plain", &[][..]), ("filtered", &PARTY_FLAGS[..])] {
        let filtered = !flags.is_empty();
        let mut reported_g = 0;
        let prefix = merge_to(&summaries, &dir.path().join(name), flags);
        // Who the oracle leaves out of what: (variant, party, reason).
        let mut left_out = BTreeSet::new();
        for v in 0..VARIANTS {
            let mut set = Vec::new();
            for (p, party) in parties.iter().enumerate() {
                match party.passes(v) {
                    None => {}
                    Some(Err(reason)) if filtered => {
                        left_out.insert((1000 * (v + 1), party.name.to_string(), reason));
                    }
                    Some(_) => set.push(p),
                }
            }
            for (phenotype, cc) in [("y1", false), ("cc", true)] {
                let results = Tsv::read(format!("{prefix}.{phenotype}.tsv.gz").as_ref()).by("rsid");
                let rsid = format!("rs{}", 1000 + v);
                let fit = match set.is_empty() {
                    true => None,
                    false => pooled_fit(&parties, &set, v, cc),
                };
                let (Some(fit), Some(row)) = (&fit, results.get(&rsid)) else {
                    assert!(
                        fit.is_none() && !results.contains_key(&rsid),
                        "{name} {phenotype} {rsid}: tested by only one of dash and the oracle"
                    );
                    continue;
                };
                let context = format!("{name} {phenotype} {rsid}");
                // The effect allele of the first input that holds the variant (after the
                // filters): A, or G when party a is left out and party b (which counts G)
                // holds it; the oracle counts A.
                let reported = set.first().map(|&p| parties[p].name);
                let effect = if reported == Some("b") { "G" } else { "A" };
                assert_eq!(row["effect_allele"], effect, "{context}");
                let oriented = match effect {
                    "G" => {
                        reported_g += 1;
                        Fit {
                            beta: -fit.fit.beta,
                            t: -fit.fit.t,
                            ..fit.fit
                        }
                    }
                    _ => fit.fit,
                };
                worst = worst.max(assert_row_matches(row, &oriented, TOLERANCE, &context));
                match cc {
                    true => {
                        assert_eq!(row["n_cases"], fit.cases.to_string(), "{rsid}");
                        assert_eq!(row["n_controls"], (fit.fit.n - fit.cases).to_string());
                    }
                    false => assert!(!row.contains_key("n_cases")),
                }
            }
        }
        assert_eq!(
            reported_g > 0,
            filtered,
            "{name}: {reported_g} rows reported as G"
        );
        let list = format!("{prefix}.party_filtered.tsv");
        if !filtered {
            assert!(!Path::new(&list).exists());
            continue;
        }
        let table = Tsv::read(list.as_ref());
        let c = |name: &str| table.column(name);
        let listed: BTreeSet<(usize, String, &str)> = table
            .rows
            .iter()
            .map(|r| {
                let reason = ["geno", "maf"]
                    .into_iter()
                    .find(|&x| x == r[c("reason")])
                    .unwrap_or_else(|| panic!("reason {}", r[c("reason")]));
                (
                    r[c("base_pair_location")].parse().unwrap(),
                    r[c("party")].clone(),
                    reason,
                )
            })
            .collect();
        assert_eq!(listed, left_out);
        assert!(left_out.len() > 10, "{left_out:?}");
        for row in &table.rows {
            let pos: usize = row[c("base_pair_location")].parse().unwrap();
            let held = parties
                .iter()
                .filter(|p| p.passes(pos / 1000 - 1) == Some(Ok(())))
                .count();
            assert_eq!(row[c("parties_left")], held.to_string(), "{pos}");
        }
        for phenotype in ["y1", "cc"] {
            let skipped = Tsv::read(format!("{prefix}.{phenotype}.skipped.tsv").as_ref());
            let (pos, reason) = (
                skipped.column("base_pair_location"),
                skipped.column("reason"),
            );
            let removed: Vec<&str> = skipped
                .rows
                .iter()
                .filter(|r| r[reason] == "party_filters")
                .map(|r| r[pos].as_str())
                .collect();
            assert_eq!(removed, [(1000 * (MONOMORPHIC + 1)).to_string()]);
        }
        let log = std::fs::read_to_string(format!("{prefix}.log")).unwrap();
        assert!(log.contains("per-party QC"), "{log}");

        // --summary-out holds the sums of the parties left: merged again on its own (no
        // filters), it gives the same results.
        let merged = dir.path().join("filtered.parquet");
        let mut flags = PARTY_FLAGS.to_vec();
        flags.extend(["--no-report", "--summary-out", merged.to_str().unwrap()]);
        merge_to(&summaries, &dir.path().join("with_summary"), &flags);
        let again = merge_to(&[merged.as_path()], &dir.path().join("again"), &[]);
        for phenotype in ["y1", "cc"] {
            assert_same_results(&prefix, &again, phenotype, 1e-12);
        }
    }
    println!("worst relative error: {worst:e}");
}

/// A merged summary holds pooled counts: per-party filters refuse it, naming the file, and
/// leave nothing behind; so do `--ld-out` with them, and out-of-range values (usage errors
/// naming the flag). Secure sets are refused in `secure.rs`.
#[test]
fn party_filters_need_single_party_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = compress_party(d, "a");
    let b = compress_party(d, "b");
    let merged = d.join("ab.parquet");
    let prefix = d.join("ab");
    dash_ok(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
        "--no-report",
        "--summary-out",
        merged.to_str().unwrap(),
    ]);
    let merged = merged.to_str().unwrap();
    let out = d.join("bad").to_str().unwrap().to_string();
    expect_error(
        d,
        &["merge", merged, "--out", &out, "--party-maf", "0.01"],
        "bad",
        &[merged, "merged summary of 2 parties", "--party-"],
    );
    let a_path = a.to_str().unwrap();
    expect_error(
        d,
        &[
            "merge",
            a_path,
            "--out",
            &out,
            "--party-maf",
            "0.01",
            "--ld-out",
        ],
        "bad",
        &["--condition/--ld-out/--cojo-select do not take the per-party filters"],
    );
    for (flags, needle) in [
        (
            ["--party-maf", "0.7"],
            "--party-maf 0.7: must be between 0 and 0.5",
        ),
        (
            ["--party-geno", "2"],
            "--party-geno 2: must be between 0 and 1",
        ),
        (["--party-hwe", "x"], "--party-hwe 'x': not a number"),
    ] {
        let a = a.to_str().unwrap();
        let mut args = vec!["merge", a, "--out", &out];
        args.extend(flags);
        expect_error(d, &args, "bad", &[needle]);
    }
}
