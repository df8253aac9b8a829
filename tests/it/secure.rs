//! Secure combine (issue 5): masked summaries merge to the plaintext result, a single masked file
//! looks random, and every way of combining the wrong files is refused.
//!
//! Keys are made from fixed bytes (through the library) so that every run masks with the same
//! streams and the statistical checks are deterministic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::common::*;
use dash::secure::keys::SecretKey;

/// Secure vs plaintext merge, relative error in β, se and −log10 p.
const SECURE_TOLERANCE: f64 = 1e-9;

/// Secure merges compared exactly with plaintext merges or the pooled oracle: `--min-cell 1`
/// (by default a secure merge skips variants with 1–4 pooled carriers of either allele, which the
/// oracle and the `--min-cell 1` plaintext summaries test).
pub(crate) const EXACT_MERGE: [&str; 2] = ["--min-cell", "1"];

pub(crate) struct Consortium {
    dir: tempfile::TempDir,
    pub(crate) roster: PathBuf,
    pub(crate) manifest: PathBuf,
}

impl Consortium {
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn key(&self, party: &str) -> PathBuf {
        self.path(&format!("{party}.key"))
    }
}

/// Writes deterministic key pairs `PARTY.key`/`.pub` in `dir`.
pub(crate) fn write_keys(dir: &Path, parties: &[(&str, u8)]) {
    for &(party, seed) in parties {
        SecretKey::from_bytes([seed; 32])
            .write_pair(&dir.join(party), party)
            .unwrap();
    }
}

/// Keys for a, b, c, the roster of their .pub files, and the union manifest of the fixture .bims.
pub(crate) fn consortium() -> Consortium {
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), &[("a", 11), ("b", 22), ("c", 33)]);
    let roster = dir.path().join("roster.txt");
    let pubs: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|p| dir.path().join(format!("{p}.pub")).display().to_string())
        .collect();
    let mut args = vec!["roster"];
    args.extend(pubs.iter().map(String::as_str));
    args.extend(["--out", roster.to_str().unwrap()]);
    dash_ok(&args);
    let manifest = dir.path().join("manifest.tsv");
    let f = fixtures();
    dash_ok(&[
        "manifest",
        f.join("party_a.bim").to_str().unwrap(),
        f.join("party_b.bim").to_str().unwrap(),
        f.join("party_c.bim").to_str().unwrap(),
        "--out",
        manifest.to_str().unwrap(),
    ]);
    Consortium {
        dir,
        roster,
        manifest,
    }
}

/// Secure-compresses `genotypes` with party `name`'s phenotypes/covariates.
pub(crate) fn secure_args(
    genotypes: &Path,
    name: &str,
    key: &Path,
    roster: &Path,
    manifest: &Path,
    out: &Path,
) -> Vec<String> {
    let f = fixtures();
    [
        "compress",
        genotypes.to_str().unwrap(),
        "--pheno",
        f.join(format!("party_{name}.pheno")).to_str().unwrap(),
        "--covar",
        f.join(format!("party_{name}.covar")).to_str().unwrap(),
        "--secure",
        "--roster",
        roster.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
        "--covar-categorical",
        "site",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run(args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    dash(&args)
}

fn run_ok(args: &[String]) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    dash_ok(&args);
}

/// The fixture party `name` secure-compressed with the consortium's roster and manifest.
fn secure_party(c: &Consortium, name: &str) -> PathBuf {
    let out = c.path(&format!("secure_{name}.parquet"));
    let bed = fixtures().join(format!("party_{name}.bed"));
    run_ok(&secure_args(
        &bed,
        name,
        &c.key(name),
        &c.roster,
        &c.manifest,
        &out,
    ));
    out
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Secure and plaintext outputs agree to `tolerance` relative in β, se and −log10 p, with the
/// same variants, alleles and n. Returns the worst errors on the scales of
/// [`assert_same_results`] (β against max(|β|, se), −log10 p against max(|v|, 1)), then the
/// worst pure relative errors.
fn assert_relative(a: &str, b: &str, phenotype: &str, tolerance: f64) -> [f64; 6] {
    let ra = Tsv::read(format!("{a}.{phenotype}.tsv.gz").as_ref()).by("variant_id");
    let rb = Tsv::read(format!("{b}.{phenotype}.tsv.gz").as_ref()).by("variant_id");
    assert_eq!(ra.len(), rb.len(), "{phenotype}: tested variants differ");
    assert!(ra.len() > 1300, "{phenotype}: {} tested", ra.len());
    let mut worst = [0.0f64; 6];
    for (id, x) in &ra {
        let y = &rb[id];
        for column in ["effect_allele", "other_allele", "n"] {
            assert_eq!(x[column], y[column], "{phenotype} {id} {column}");
        }
        let num = |r: &HashMap<String, String>, c: &str| r[c].parse::<f64>().unwrap();
        let se = num(y, "standard_error");
        let scales = [
            ("standard_error", se.abs()),
            ("beta", num(y, "beta").abs().max(se)),
            (
                "neg_log_10_p_value",
                num(y, "neg_log_10_p_value").abs().max(1.0),
            ),
        ];
        for (k, (column, scale)) in scales.into_iter().enumerate() {
            let (u, v) = (num(x, column), num(y, column));
            let err = (u - v).abs() / scale;
            let relative = relative_error(u, v);
            assert!(
                relative <= tolerance,
                "{phenotype} {id} {column}: {u} vs {v} (relative error {relative:e})"
            );
            worst[k] = worst[k].max(err);
            worst[3 + k] = worst[3 + k].max(relative);
        }
    }
    worst
}

#[test]
fn secure_merge_equals_plaintext_merge() {
    let c = consortium();
    let secure: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|p| secure_party(&c, p))
        .collect();
    let plain: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|p| compress_party(c.dir.path(), p))
        .collect();
    let s = merge_to(
        &secure.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        &c.path("secure"),
        &EXACT_MERGE,
    );
    let p = merge_to(
        &plain.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        &c.path("plain"),
        &[],
    );
    for phenotype in ["y1", "y2"] {
        let w = assert_relative(&s, &p, phenotype, SECURE_TOLERANCE);
        eprintln!(
            "{phenotype}: secure vs plaintext, worst error se {:.1e}, beta {:.1e}, -log10 p {:.1e} (pure relative: se {:.1e}, beta {:.1e}, -log10 p {:.1e})",
            w[0], w[1], w[2], w[3], w[4], w[5]
        );
    }
    // A covariate subset chosen at merge works the same way.
    let s = merge_to(
        &secure.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        &c.path("secure_sub"),
        &["--pheno", "y1", "--covar", "age,sex", "--min-cell", "1"],
    );
    let p = merge_to(
        &plain.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        &c.path("plain_sub"),
        &["--pheno", "y1", "--covar", "age,sex"],
    );
    assert_relative(&s, &p, "y1", SECURE_TOLERANCE);
    let log = std::fs::read_to_string(c.path("secure.log")).unwrap();
    assert!(
        log.contains("every roster party present (a, b, c)"),
        "{log}"
    );
    // A secure set has no per-party sums: the allele-frequency check lists every party as not
    // checkable, and the report (written by merge) says why.
    let parties = std::fs::read_to_string(c.path("secure.af_parties.tsv")).unwrap();
    let unchecked = parties.lines().filter(|l| l.contains("\tsecure\t")).count();
    assert_eq!(unchecked, 3, "{parties}");
    let html = std::fs::read_to_string(c.path("secure.report.html")).unwrap();
    assert!(html.contains("a secure set reveals only pooled sums"));
}

#[test]
fn swapped_alleles_and_vcf_party_are_aligned_to_the_manifest() {
    // Party a with half its alleles swapped and party c as VCF give the same secure result as
    // the plain fixtures: each row is flipped exactly to the manifest's orientation.
    let c = consortium();
    let a = c.path("secure_a_swapped.parquet");
    let out = run(&secure_args(
        &fixtures().join("consortium/party_a_swapped.bed"),
        "a",
        &c.key("a"),
        &c.roster,
        &c.manifest,
        &a,
    ));
    assert!(
        stderr(&out).contains("660 of them flipped"),
        "{}",
        stderr(&out)
    );
    let vcf = c.path("secure_c_vcf.parquet");
    run_ok(&secure_args(
        &fixtures().join("vcf/party_c.vcf.gz"),
        "c",
        &c.key("c"),
        &c.roster,
        &c.manifest,
        &vcf,
    ));
    let b = secure_party(&c, "b");
    let s = merge_to(&[&a, &b, &vcf], &c.path("mixed"), &EXACT_MERGE);
    let plain: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|p| compress_party(c.dir.path(), p))
        .collect();
    let p = merge_to(
        &plain.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        &c.path("plain"),
        &[],
    );
    for phenotype in ["y1", "y2"] {
        assert_relative(&s, &p, phenotype, SECURE_TOLERANCE);
    }
}

#[test]
fn party_lacking_variants_contributes_them_as_missing() {
    let c = consortium();
    let a = secure_party(&c, "a");
    let b = secure_party(&c, "b");
    let subset = c.path("secure_c_subset.parquet");
    let out = run(&secure_args(
        &fixtures().join("consortium").join("party_c_subset.bed"),
        "c",
        &c.key("c"),
        &c.roster,
        &c.manifest,
        &subset,
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("198 all missing"), "{}", stderr(&out));
    let s = merge_to(&[&a, &b, &subset], &c.path("subset"), &["--pheno", "y1"]);
    let results = Tsv::read(format!("{s}.y1.tsv.gz").as_ref()).by("variant_id");
    let lacking: Vec<String> = {
        let held: std::collections::HashSet<String> =
            std::fs::read_to_string(fixtures().join("consortium").join("party_c_subset.bim"))
                .unwrap()
                .lines()
                .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
                .collect();
        std::fs::read_to_string(fixtures().join("party_a.bim"))
            .unwrap()
            .lines()
            .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
            .filter(|id| !held.contains(id))
            .collect()
    };
    assert_eq!(lacking.len(), 198);
    // Every variant has every party's samples (c's imputed), so one n throughout.
    let by_rsid: HashMap<&str, &HashMap<String, String>> =
        results.values().map(|r| (r["rsid"].as_str(), r)).collect();
    let ns: std::collections::HashSet<&str> = results.values().map(|r| r["n"].as_str()).collect();
    assert_eq!(ns.len(), 1, "{ns:?}");
    assert!(lacking.iter().any(|id| by_rsid.contains_key(id.as_str())));
}

#[test]
fn a_single_masked_file_looks_random() {
    let c = consortium();
    let masked = secure_party(&c, "a");
    // The same party under a roster of one: no peer, so no mask — the plain encoded sums.
    let solo_roster = c.path("solo.txt");
    std::fs::copy(c.path("a.pub"), &solo_roster).unwrap();
    let plain = c.path("plain_a.parquet");
    run_ok(&secure_args(
        &fixtures().join("party_a.bed"),
        "a",
        &c.key("a"),
        &solo_roster,
        &c.manifest,
        &plain,
    ));
    let words = |path: &Path| -> Vec<u128> {
        let mut all = Vec::new();
        dash::summary::secure::for_each_batch(path, |_, words| {
            all.extend(words);
            Ok(())
        })
        .unwrap();
        all
    };
    let (m, p) = (words(&masked), words(&plain));
    assert_eq!(m.len(), p.len());
    assert!(m.len() > 50_000, "{}", m.len());

    let chi_square = |counts: &[f64], total: f64| -> f64 {
        let expected = total / counts.len() as f64;
        counts
            .iter()
            .map(|c| (c - expected).powi(2) / expected)
            .sum()
    };
    let byte_chi = |words: &[u128]| -> f64 {
        let mut counts = [0.0f64; 256];
        for w in words {
            for b in w.to_le_bytes() {
                counts[b as usize] += 1.0;
            }
        }
        chi_square(&counts, (words.len() * 16) as f64)
    };
    let top_chi = |words: &[u128]| -> f64 {
        let mut counts = [0.0f64; 256];
        for w in words {
            counts[(w >> 120) as usize] += 1.0;
        }
        chi_square(&counts, words.len() as f64)
    };
    // 255 degrees of freedom: mean 255, sd 22.6; 400 is beyond 6 sd.
    let (masked_bytes, masked_top) = (byte_chi(&m), top_chi(&m));
    assert!(masked_bytes < 400.0, "byte chi-square {masked_bytes}");
    assert!(masked_top < 400.0, "top-byte chi-square {masked_top}");
    // The test has power: the unmasked encodings fail it by far.
    assert!(byte_chi(&p) > 100_000.0 && top_chi(&p) > 100_000.0);

    // No correlation between the masked words and the plaintext sums they hide.
    let correlation = |x: &[f64], y: &[f64]| -> f64 {
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for (a, b) in x.iter().zip(y) {
            sxy += (a - mx) * (b - my);
            sxx += (a - mx).powi(2);
            syy += (b - my).powi(2);
        }
        sxy / (sxx * syy).sqrt()
    };
    let top53 = |w: &u128| (w >> 75) as f64;
    let masked_top53: Vec<f64> = m.iter().map(top53).collect();
    let plain_values: Vec<f64> = p.iter().map(|&w| dash::secure::ring::decode(w)).collect();
    let plain_top53: Vec<f64> = p.iter().map(top53).collect();
    // 1/sqrt(56,000) ≈ 0.004: 0.03 is about 7 sd.
    for (what, plain) in [("values", &plain_values), ("words", &plain_top53)] {
        let r = correlation(&masked_top53, plain);
        assert!(r.abs() < 0.03, "correlation with the plaintext {what}: {r}");
    }
    let equal = m.iter().zip(&p).filter(|(a, b)| a == b).count();
    assert_eq!(equal, 0);
}

#[test]
fn merge_refuses_a_missing_roster_party() {
    let c = consortium();
    let a = secure_party(&c, "a");
    let b = secure_party(&c, "b");
    let prefix = c.path("out");
    let out = dash(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with(
            "dash: error: secure merge needs the summary of every roster party: missing c (have a, b)"
        ),
        "{err}"
    );
    assert!(files_starting_with(c.dir.path(), "out").is_empty());
}

#[test]
fn merge_refuses_files_from_another_roster_or_manifest() {
    let c = consortium();
    let a = secure_party(&c, "a");
    let b = secure_party(&c, "b");
    // c under a roster where c has a new key.
    let other = c.path("other");
    std::fs::create_dir(&other).unwrap();
    write_keys(&other, &[("c", 44)]);
    let roster2 = c.path("roster2.txt");
    let text = format!(
        "{}{}{}",
        std::fs::read_to_string(c.path("a.pub")).unwrap(),
        std::fs::read_to_string(c.path("b.pub")).unwrap(),
        std::fs::read_to_string(other.join("c.pub")).unwrap()
    );
    std::fs::write(&roster2, text).unwrap();
    let c2 = c.path("c_roster2.parquet");
    run_ok(&secure_args(
        &fixtures().join("party_c.bed"),
        "c",
        &other.join("c.key"),
        &roster2,
        &c.manifest,
        &c2,
    ));
    let prefix = c.path("out");
    let out = dash(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        c2.to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("c_roster2.parquet: made for another roster"),
        "{err}"
    );

    // c under another manifest (the intersection with the subset party's variants).
    let manifest2 = c.path("manifest2.tsv");
    dash_ok(&[
        "manifest",
        c.manifest.to_str().unwrap(),
        fixtures()
            .join("consortium/party_c_subset.bim")
            .to_str()
            .unwrap(),
        "--intersect",
        "--out",
        manifest2.to_str().unwrap(),
    ]);
    let c3 = c.path("c_manifest2.parquet");
    run_ok(&secure_args(
        &fixtures().join("party_c.bed"),
        "c",
        &c.key("c"),
        &c.roster,
        &manifest2,
        &c3,
    ));
    let out = dash(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        c3.to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("c_manifest2.parquet: made for another manifest"),
        "{err}"
    );

    // c with a different covariate set: another layout.
    let c4 = c.path("c_layout.parquet");
    let mut args = secure_args(
        &fixtures().join("party_c.bed"),
        "c",
        &c.key("c"),
        &c.roster,
        &c.manifest,
        &c4,
    );
    args.extend(["--covar-name".to_string(), "age,sex".to_string()]);
    run_ok(&args);
    let out = dash(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        c4.to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("c_layout.parquet: field layout"), "{err}");
    assert!(files_starting_with(c.dir.path(), "out").is_empty());
}

#[test]
fn a_wrong_key_is_refused_at_compress_and_caught_by_the_canary() {
    let c = consortium();
    // At compress: a key whose public half is not in the roster.
    let other = c.path("other");
    std::fs::create_dir(&other).unwrap();
    write_keys(&other, &[("c", 55)]);
    let out_path = c.path("c_wrong.parquet");
    let out = run(&secure_args(
        &fixtures().join("party_c.bed"),
        "c",
        &other.join("c.key"),
        &c.roster,
        &c.manifest,
        &out_path,
    ));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("c.key: its public key") && err.contains("is not in the roster"),
        "{err}"
    );
    assert!(files_starting_with(c.dir.path(), "c_wrong").is_empty());

    // A file masked with the wrong key anyway (bypassing that check through the library), but
    // signed with c's roster signing key: the masks do not cancel and merge says so from the
    // canary.
    let f = fixtures();
    let mut reader = dash::genotype::open(
        &f.join("party_c.bed"),
        None,
        dash::genotype::DosageField::Auto,
    )
    .unwrap();
    let pheno = dash::samples::Table::read(&f.join("party_c.pheno")).unwrap();
    let covar = dash::samples::Table::read(&f.join("party_c.covar")).unwrap();
    let names = |t: &dash::samples::Table| {
        let mut n = t.columns().to_vec();
        n.sort();
        n
    };
    let fields = dash::samples::SampleFields::build_with(
        reader.samples(),
        &pheno,
        Some(&names(&pheno)),
        Some(&covar),
        Some(&names(&covar)),
        &dash::samples::BuildOptions {
            categorical: ["site".to_string()].into(),
            ..dash::secure::secure_field_options(Default::default())
        },
    )
    .unwrap();
    let roster = dash::secure::keys::Roster::read(&c.roster).unwrap();
    let setup = dash::secure::SecureSetup {
        me: 2,
        roster,
        roster_path: c.roster.clone(),
        manifest: dash::secure::manifest::Manifest::read(&c.manifest).unwrap(),
        key: SecretKey::from_bytes([55; 32]),
        signing: SecretKey::from_bytes([33; 32]).signing_key(),
    };
    let options = dash::compress::CompressOptions {
        party: "c".into(),
        source_file: "party_c.bed".into(),
        region: None,
        block_size: None,
        progress: false,
        min_cell: 1,
        selection: Vec::new(),
        sex_chromosomes: Default::default(),
    };
    dash::secure::compress_secure(reader.as_mut(), &fields, &options, &setup, None, &out_path)
        .unwrap();
    let a = secure_party(&c, "a");
    let b = secure_party(&c, "b");
    let prefix = c.path("out");
    let merge = |c_file: &Path| {
        dash(&[
            "merge",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            c_file.to_str().unwrap(),
            "--out",
            prefix.to_str().unwrap(),
        ])
    };
    let out = merge(&out_path);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("the masks did not cancel (the canary is not zero)"),
        "{err}"
    );
    assert!(files_starting_with(c.dir.path(), "out").is_empty());

    // Signed with the wrong key too (the whole key file is another): refused on the signature.
    let wrong_signer = c.path("c_wrong_signer.parquet");
    let setup = dash::secure::SecureSetup {
        signing: SecretKey::from_bytes([55; 32]).signing_key(),
        ..setup
    };
    let mut reader = dash::genotype::open(
        &f.join("party_c.bed"),
        None,
        dash::genotype::DosageField::Auto,
    )
    .unwrap();
    dash::secure::compress_secure(
        reader.as_mut(),
        &fields,
        &options,
        &setup,
        None,
        &wrong_signer,
    )
    .unwrap();
    let out = merge(&wrong_signer);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(
            "c_wrong_signer.parquet: signature does not verify with party 'c''s signing key"
        ),
        "{err}"
    );
    assert!(files_starting_with(c.dir.path(), "out").is_empty());
}

#[test]
fn secure_and_plaintext_summaries_do_not_mix() {
    let c = consortium();
    let a = secure_party(&c, "a");
    let b = secure_party(&c, "b");
    let plain_c = compress_party(c.dir.path(), "c");
    let prefix = c.path("out");
    let out = dash(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        plain_c.to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("party_c.parquet: a plaintext summary cannot be merged with secure summaries"),
        "{err}"
    );

    // Nor do per-party intercepts, which need per-party sums.
    let cc = secure_party(&c, "c");
    let out = dash(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        cc.to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
        "--per-party-intercept",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--per-party-intercept needs each party's own sums"),
        "{}",
        stderr(&out)
    );
    // Nor per-party QC filters, which need per-party counts.
    let mut args: Vec<&str> = vec!["merge"];
    let files = [&a, &b, &cc].map(|p| p.to_str().unwrap());
    args.extend(files);
    args.extend(["--out", prefix.to_str().unwrap(), "--party-maf", "0.01"]);
    let out = dash(&args);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("need each party's own counts, which secure summaries do not reveal"),
        "{}",
        stderr(&out)
    );
    assert!(files_starting_with(c.dir.path(), "out").is_empty());
}

#[test]
fn keygen_writes_a_private_key_and_a_roster_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ukb");
    dash_ok(&["keygen", "--out", out.to_str().unwrap()]);
    let key = dir.path().join("ukb.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let public = std::fs::read_to_string(dir.path().join("ukb.pub")).unwrap();
    let fields: Vec<&str> = public.split_whitespace().collect();
    assert_eq!(fields[0], "ukb");
    assert_eq!(
        fields[1],
        SecretKey::read(&key).unwrap().public_hex(),
        "the .pub holds the key's public half"
    );
    // Never overwrites a key.
    let again = dash(&["keygen", "--out", out.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("refusing to overwrite a key"));
    // A roster with a party twice is refused, naming the file.
    let roster = dir.path().join("r.txt");
    let pub_path = dir.path().join("ukb.pub");
    let out = dash(&[
        "roster",
        pub_path.to_str().unwrap(),
        pub_path.to_str().unwrap(),
        "--out",
        roster.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("party 'ukb' listed twice"),
        "{}",
        stderr(&out)
    );
    assert!(!roster.exists());
}

#[test]
fn secure_merge_equals_the_pooled_oracle() {
    let c = consortium();
    let secure: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|p| secure_party(&c, p))
        .collect();
    let s = merge_to(
        &secure.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        &c.path("secure"),
        &EXACT_MERGE,
    );
    for phenotype in ["y1", "y2"] {
        assert_matches_golden(
            &fixtures().join("golden").join(format!("{phenotype}.tsv")),
            &s,
            phenotype,
            SECURE_TOLERANCE,
        );
    }
}

/// Party `name`'s fixture `.bed/.bim/.fam` copied into the consortium folder with its first
/// variant rewritten: every sample hom-REF but the first `hets`, heterozygous.
fn with_rare_first_variant(c: &Consortium, name: &str, hets: usize) -> PathBuf {
    let f = fixtures();
    for ext in ["bim", "fam"] {
        std::fs::copy(
            f.join(format!("party_{name}.{ext}")),
            c.path(&format!("rare_{name}.{ext}")),
        )
        .unwrap();
    }
    let n = std::fs::read_to_string(f.join(format!("party_{name}.fam")))
        .unwrap()
        .lines()
        .count();
    let mut bytes = std::fs::read(f.join(format!("party_{name}.bed"))).unwrap();
    let per_variant = n.div_ceil(4);
    let variant = &mut bytes[3..3 + per_variant];
    variant.fill(0xFF);
    if !n.is_multiple_of(4) {
        variant[per_variant - 1] = (1u8 << (2 * (n % 4))) - 1; // padding bits 0
    }
    for i in 0..hets {
        variant[i / 4] &= !(1 << (2 * (i % 4))); // 11 (hom-REF) → 10 (het)
    }
    let bed = c.path(&format!("rare_{name}.bed"));
    std::fs::write(&bed, bytes).unwrap();
    bed
}

#[test]
fn secure_merge_skips_variants_with_few_pooled_carriers() {
    // Only pooled sums are revealed, so the carrier rule applies to the pooled counts at merge
    // (default --min-cell 5): the first variant, with 2 ALT carriers in a and none in b or c,
    // is skipped as `min_cell`; with --min-cell 1 it is tested.
    let c = consortium();
    let secure: Vec<PathBuf> = [("a", 2), ("b", 0), ("c", 0)]
        .iter()
        .map(|&(name, hets)| {
            let out = c.path(&format!("secure_rare_{name}.parquet"));
            run_ok(&secure_args(
                &with_rare_first_variant(&c, name, hets),
                name,
                &c.key(name),
                &c.roster,
                &c.manifest,
                &out,
            ));
            out
        })
        .collect();
    let id = std::fs::read_to_string(fixtures().join("party_a.bim")).unwrap();
    let id = id
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap();
    let inputs: Vec<&Path> = secure.iter().map(PathBuf::as_path).collect();
    let s = merge_to(&inputs, &c.path("k5"), &["--pheno", "y1"]);
    let skipped = Tsv::read(format!("{s}.y1.skipped.tsv").as_ref()).by("variant_id");
    assert_eq!(skipped[id]["reason"], "min_cell");
    let tested = Tsv::read(format!("{s}.y1.tsv.gz").as_ref()).by("rsid");
    assert!(!tested.contains_key(id));
    let log = std::fs::read_to_string(format!("{s}.log")).unwrap();
    assert!(log.contains("--min-cell 5"), "{log}");
    // Nor are its pooled sums in a merged summary.
    let pooled = c.path("k5_summary.parquet");
    merge_to(
        &inputs,
        &c.path("k5s"),
        &["--pheno", "y1", "--summary-out", pooled.to_str().unwrap()],
    );
    let summary = dash::summary::read_summary(&pooled).unwrap();
    assert!(summary.rows.variants.iter().all(|v| v.id != id));

    let all = merge_to(
        &inputs,
        &c.path("k1"),
        &["--pheno", "y1", "--min-cell", "1"],
    );
    let tested = Tsv::read(format!("{all}.y1.tsv.gz").as_ref()).by("rsid");
    assert!(tested.contains_key(id), "{id}");
}
