//! Per-sex chrX QC counts and plink2's chrX QC rules at merge (issue 15), against plink2 and an
//! independent exact enumeration:
//!
//! * `fixtures/chrx_qc/make_golden.sh` runs plink2 2.00a3.5 on the pooled fixture
//!   (`make_chrx_qc.py`: a `.bed` party with males, some with heterozygous or missing chrX
//!   calls; a `.bed` party of females only; a VCF party with haploid male calls) restricted to
//!   the contributed samples: its `--freq`, `--missing`, `--hardy` (`.hardy.x`, with and without
//!   `midp`) and the variants `--maf/--mac/--geno/--hwe` keep. plink2 prints 6 significant
//!   digits: frequencies and p-values are compared to 1e-5 relative, counts exactly.
//! * `fixtures/chrx_qc/hwe_x_oracle.py` enumerates Graffelman & Weir's chrX exact test in
//!   integers (`golden/hwe_x_cases.tsv`): dash's p-values to 1e-9 relative.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use dash::qc::hwe::{hwe_x_p, XchrCounts};
use dash::qc::xchr;
use dash::summary::sex_qc::SexQc;
use dash::summary::{read_summary, SummaryWriter};

use crate::common::*;

fn here() -> PathBuf {
    fixtures().join("chrx_qc")
}

fn golden(name: &str) -> PathBuf {
    here().join("golden").join(name)
}

/// Compresses fixture party `name` (`a`, `a_swapped`, `b`: `.bed`; `c`: VCF, sex from its
/// covariate column) into `dir/NAME.parquet`, `--min-cell 1 --build 38` and `extra`.
fn compress(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let file = |ext: &str| here().join(format!("party_{name}.{ext}"));
    let out = dir.join(format!("{name}.parquet"));
    let mut options = vec!["--min-cell", "1", "--build", "38"];
    let genotypes = if name == "c" {
        options.extend(["--sex-col", "sex", "--covar-name", "age"]);
        file("vcf")
    } else {
        file("bed")
    };
    options.extend(extra);
    compress_with(
        &genotypes,
        &file("pheno"),
        &file("covar"),
        name,
        &out,
        &options,
    );
    out
}

/// The pooled per-sex counts of `parties` (a merged summary's rows), by variant ID.
fn pooled_split(dir: &Path, parties: &[&Path], name: &str) -> HashMap<String, Option<SexQc>> {
    let merged = dir.join(format!("{name}.merged.parquet"));
    // Without the sex covariate: a party of one sex (b) cannot be fitted with it.
    merge_to(
        parties,
        &dir.join(name),
        &["--summary-out", merged.to_str().unwrap(), "--no-x-sex"],
    );
    let summary = read_summary(&merged).unwrap();
    summary
        .rows
        .variants
        .iter()
        .zip(&summary.rows.qc)
        .map(|(v, qc)| (v.id.to_string(), qc.by_sex.as_deref().copied()))
        .collect()
}

fn close(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= tolerance * want.abs().max(1e-300)
}

/// The chrX test's counts of a split, with allele 1 = plink2's A1 (REF or ALT).
fn hwe_counts(split: &SexQc, a1_is_ref: bool) -> XchrCounts {
    let counts = xchr::hwe_counts(split).expect("hard calls");
    match a1_is_ref {
        true => counts,
        false => XchrCounts {
            female_hom_1: counts.female_hom_2,
            female_hom_2: counts.female_hom_1,
            male_1: counts.male_2,
            male_2: counts.male_1,
            ..counts
        },
    }
}

/// Checks a `.hardy.x` golden row (ID, A1, female A1/A1, A1/AX, AX/AX, male A1, AX, P) against
/// a pooled split: the counts exactly, the chrX exact test (`midp`) to plink2's 6 digits.
fn assert_hardy_x_row(row: &[String], split: &SexQc, midp: bool) {
    let c = hwe_counts(split, row[1] == "C");
    let want: Vec<u64> = row[2..7].iter().map(|v| v.parse().unwrap()).collect();
    let got = [
        c.female_hom_1,
        c.female_het,
        c.female_hom_2,
        c.male_1,
        c.male_2,
    ];
    assert_eq!(got.to_vec(), want, "{}", row[0]);
    let (got, want) = (hwe_x_p(&c, midp), row[7].parse::<f64>().unwrap());
    assert!(
        close(got, want, 1e-5),
        "{} midp={midp}: {got} vs plink2 {want}",
        row[0]
    );
}

/// The three parties (a, b, c) compressed with `extra` into `dir`.
fn parties(dir: &Path, first: &str, extra: &[&str]) -> Vec<PathBuf> {
    fs::create_dir_all(dir).unwrap();
    [first, "b", "c"]
        .iter()
        .map(|p| compress(dir, p, extra))
        .collect()
}

fn as_paths(files: &[PathBuf]) -> Vec<&Path> {
    files.iter().map(PathBuf::as_path).collect()
}

/// The pooled split of parties a, b, c equals plink2's counts on the pooled `.bed`: its
/// `.hardy.x` female genotype and male allele counts, its `--missing` counts, its `--freq`
/// ALT frequency and observed alleles (a male's allele once); the chrX exact test on those
/// counts gives its `.hardy.x` p-values, with and without `midp`.
#[test]
fn pooled_split_counts_are_plink2s() {
    let dir = tempfile::tempdir().unwrap();
    let files = parties(dir.path(), "a", &[]);
    let split = pooled_split(dir.path(), &as_paths(&files), "m");
    let x_ids: Vec<String> = golden_rows(&golden("hardy_x.tsv"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(x_ids.len(), 40);
    for (id, s) in &split {
        assert_eq!(s.is_some(), x_ids.contains(id), "{id}: split only on chrX");
    }
    let mut het_males = 0;
    for (file, midp) in [("hardy_x.tsv", false), ("hardy_x_midp.tsv", true)] {
        for row in golden_rows(&golden(file)) {
            let s = split[&row[0]].expect("a chrX row has the split");
            assert_hardy_x_row(&row, &s, midp);
            het_males += s.male.het;
        }
    }
    assert!(het_males > 0, "the fixture has heterozygous males");
    for row in golden_rows(&golden("vmiss.tsv")) {
        let Some(s) = split[&row[0]] else { continue };
        let (missing, samples) = xchr::missing_calls(&s);
        assert_eq!(
            (missing.to_string(), samples.to_string()),
            (row[1].clone(), row[2].clone()),
            "{}",
            row[0]
        );
    }
    for row in golden_rows(&golden("freq.tsv")) {
        let Some(s) = split[&row[0]] else { continue };
        let alleles = xchr::allele_counts(&s);
        assert_eq!(alleles.observed.to_string(), row[2], "{}", row[0]);
        let (got, want) = (alleles.alt / alleles.observed, row[1].parse().unwrap());
        assert!(
            close(got, want, 1e-5),
            "{}: ALT frequency {got} vs plink2 {want}",
            row[0]
        );
    }
}

/// The variants each filter set keeps, as plink2 keeps them: from parties a, b, c; from the
/// swapped copy of a (REF/ALT the other way round, flipped at merge); and under
/// `--xchr-model 1`, whose counts are the same genotype counts.
#[test]
fn filters_keep_what_plink2_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let all_ids: BTreeSet<String> = fs::read_to_string(here().join("party_a.bim"))
        .unwrap()
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap().to_string())
        .collect();
    let model2 = parties(&d.join("2"), "a", &[]);
    let swapped = parties(&d.join("s"), "a_swapped", &[]);
    let model1 = parties(&d.join("1"), "a", &["--xchr-model", "1"]);
    for (label, files) in [
        ("model 2", &model2),
        ("a swapped", &swapped),
        ("model 1", &model1),
    ] {
        for run in ["maf_geno_hwe", "hwe_midp_mac", "maf", "geno"] {
            let flags = fs::read_to_string(golden(&format!("{run}.flags"))).unwrap();
            let flags: Vec<&str> = flags.split_whitespace().collect();
            let out = d.join(format!("{}_{run}", label.replace(' ', "_")));
            let prefix = merge_to(&as_paths(files), &out, &flags);
            let skipped = Tsv::read(format!("{prefix}.y.skipped.tsv").as_ref());
            let (reason, id) = (skipped.column("reason"), skipped.column("variant_id"));
            assert!(
                skipped
                    .rows
                    .iter()
                    .all(|r| r[reason] != "xchr_qc_no_sex_split"),
                "{label} {run}"
            );
            let removed: BTreeSet<String> = skipped
                .rows
                .iter()
                .filter(|r| ["geno", "hwe", "maf", "mac"].contains(&r[reason].as_str()))
                .map(|r| r[id].clone())
                .collect();
            let kept: BTreeSet<String> = all_ids.difference(&removed).cloned().collect();
            let plink2: BTreeSet<String> = fs::read_to_string(golden(&format!("{run}.snplist")))
                .unwrap()
                .lines()
                .map(String::from)
                .collect();
            assert!(!removed.is_empty(), "{label} {run}: nothing removed");
            assert_eq!(
                kept.symmetric_difference(&plink2).collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "{label} {run} ({flags:?}): kept set differs from plink2's"
            );
        }
    }
}

/// The swapped party's split, flipped at merge, and model 1's split pool to exactly the counts
/// of parties a, b, c under model 2.
#[test]
fn flips_and_model_1_give_the_same_split() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = pooled_split(d, &as_paths(&parties(&d.join("2"), "a", &[])), "m2");
    let swapped = pooled_split(d, &as_paths(&parties(&d.join("s"), "a_swapped", &[])), "ms");
    let model1 = pooled_split(
        d,
        &as_paths(&parties(&d.join("1"), "a", &["--xchr-model", "1"])),
        "m1",
    );
    assert_eq!(base.values().filter(|s| s.is_some()).count(), 40);
    assert_eq!(base, swapped);
    assert_eq!(base, model1);
}

/// A party without males: its males' counts are 0, and its own chrX test is plink2's on its
/// `.bed` alone (the females-only `.hardy.x`).
#[test]
fn a_party_without_males() {
    let dir = tempfile::tempdir().unwrap();
    let b = compress(dir.path(), "b", &[]);
    let split = pooled_split(dir.path(), &[&b], "b");
    for row in golden_rows(&golden("hardy_x_party_b.tsv")) {
        let s = split[&row[0]].unwrap();
        assert_eq!(s.male, Default::default(), "{}", row[0]);
        assert_eq!(s.female.observed + s.female.missing, 120);
        assert_hardy_x_row(&row, &s, false);
    }
}

/// Graffelman & Weir's p and mid-p against the exact integer enumeration, to 1e-9 relative.
#[test]
fn hwe_x_p_is_the_exact_enumeration() {
    let mut worst = 0.0f64;
    for row in golden_rows(&golden("hwe_x_cases.tsv")) {
        let v: Vec<u64> = row[..5].iter().map(|x| x.parse().unwrap()).collect();
        let counts = XchrCounts {
            female_hom_1: v[0],
            female_het: v[1],
            female_hom_2: v[2],
            male_1: v[3],
            male_2: v[4],
        };
        for (midp, column) in [(false, 5), (true, 6)] {
            let (got, want) = (hwe_x_p(&counts, midp), row[column].parse().unwrap());
            assert!(close(got, want, 1e-9), "{v:?} midp={midp}: {got} vs {want}");
            worst = worst.max(relative_error(got, want));
        }
    }
    eprintln!("hwe_x_p: worst relative error {worst:.2e}");
}

/// A summary without the split (format version 5, or a party whose sexes are unknown): under a
/// chrX QC filter its non-PAR chrX variants are skipped as `xchr_qc_no_sex_split`, never judged
/// by the totals; the autosomes are filtered as before, and without a filter nothing changes.
#[test]
fn inputs_without_the_split_skip_chrx_qc() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = parties(d, "a", &[]);
    let mut old = read_summary(&files[0]).unwrap();
    old.header.format_version = 5;
    old.rows.qc.iter_mut().for_each(|qc| qc.by_sex = None);
    let v5 = d.join("a_v5.parquet");
    let mut writer = SummaryWriter::create(&v5, &old.header).unwrap();
    writer.write(&old.rows).unwrap();
    writer.finish().unwrap();
    // Party c without --sex-col: no sex, no split.
    let c_nosex = d.join("c_nosex.parquet");
    let file = |ext: &str| here().join(format!("party_c.{ext}"));
    compress_with(
        &file("vcf"),
        &file("pheno"),
        &file("covar"),
        "c",
        &c_nosex,
        &["--min-cell", "1", "--build", "38", "--covar-name", "age"],
    );
    for (label, inputs) in [
        (
            "v5",
            vec![v5.as_path(), files[1].as_path(), files[2].as_path()],
        ),
        (
            "no sex",
            vec![files[0].as_path(), files[1].as_path(), c_nosex.as_path()],
        ),
    ] {
        let prefix = merge_to(&inputs, &d.join("f"), &["--maf", "0.1", "--no-x-sex"]);
        let skipped = Tsv::read(format!("{prefix}.y.skipped.tsv").as_ref());
        let (reason, chrom) = (skipped.column("reason"), skipped.column("chromosome"));
        let chrx: Vec<&String> = skipped
            .rows
            .iter()
            .filter(|r| r[chrom] == "X")
            .map(|r| &r[reason])
            .collect();
        assert_eq!(chrx.len(), 40, "{label}");
        assert!(chrx.iter().all(|r| *r == "xchr_qc_no_sex_split"), "{label}");
        assert!(skipped
            .rows
            .iter()
            .any(|r| r[chrom] == "1" && r[reason] == "maf"));
        let plain = merge_to(&inputs, &d.join("p"), &["--no-x-sex"]);
        let skipped = Tsv::read(format!("{plain}.y.skipped.tsv").as_ref());
        let reason = skipped.column("reason");
        assert!(
            skipped
                .rows
                .iter()
                .all(|r| r[reason] != "xchr_qc_no_sex_split"),
            "{label}: without a filter nothing is skipped for the split"
        );
    }
}

/// The disclosure rule: with `--min-cell 5`, a variant with 1 … 4 ALT (or REF) carriers among a
/// party's males or females, or 1 … 4 observed calls of a sex, gets no row for that party
/// (listed in its local suppressed list with the sex), counted here from the `.bed` itself; a
/// sex's 1 … 4 missing calls are imputed locally (its missing count 0).
#[test]
fn per_sex_cells_below_min_cell_withhold_the_variant() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("a5.parquet");
    let file = |ext: &str| here().join(format!("party_a.{ext}"));
    compress_with(
        &file("bed"),
        &file("pheno"),
        &file("covar"),
        "a",
        &out,
        &["--min-cell", "5", "--build", "38"],
    );
    let calls = read_bed_calls(&here().join("party_a"));
    let no_y = contributed_exclusions(&file("pheno"));
    let suppressed = Tsv::read(&d.join("a5.suppressed.tsv"));
    let reason = suppressed.column("reason");
    let id = suppressed.column("id");
    let by_sex_reasons: BTreeSet<String> = suppressed
        .rows
        .iter()
        .filter(|r| r[reason].starts_with("males: ") || r[reason].starts_with("females: "))
        .map(|r| r[id].clone())
        .collect();
    let summary = read_summary(&out).unwrap();
    let kept: HashMap<String, SexQc> = summary
        .rows
        .variants
        .iter()
        .zip(&summary.rows.qc)
        .filter_map(|(v, qc)| qc.by_sex.as_deref().map(|s| (v.id.to_string(), *s)))
        .collect();
    let mut small_sex_cells = 0;
    for (vid, per_sample) in &calls.variants {
        if !vid.starts_with("rs30000") || calls.chrom[vid] != "23" {
            continue;
        }
        // Per sex: ALT carriers, REF carriers, observed, missing (contributed samples only).
        let mut cells = [[0u64; 4]; 2];
        for (i, &g) in per_sample.iter().enumerate() {
            if no_y.contains(&calls.iids[i]) {
                continue;
            }
            let s = usize::from(!calls.male[i]);
            match g {
                None => cells[s][3] += 1,
                Some(alt) => {
                    cells[s][2] += 1;
                    cells[s][0] += u64::from(alt > 0);
                    cells[s][1] += u64::from(alt < 2);
                }
            }
        }
        let small = |c: u64| (1..5).contains(&c);
        let withheld = cells
            .iter()
            .any(|c| small(c[0]) || small(c[1]) || small(c[2]));
        let overall_alt = cells[0][0] + cells[1][0];
        let overall_ref = cells[0][1] + cells[1][1];
        let overall_small = small(overall_alt) || small(overall_ref);
        if withheld && !overall_small {
            small_sex_cells += 1;
            assert!(
                by_sex_reasons.contains(vid),
                "{vid}: {cells:?} should be withheld"
            );
            assert!(!kept.contains_key(vid));
        } else if !withheld && !overall_small {
            let s = kept.get(vid).unwrap_or_else(|| panic!("{vid} kept"));
            // Any sex's (or the total's) 1 … 4 missing calls impute the row's missing calls.
            let total_missing = cells[0][3] + cells[1][3];
            let imputed = small(cells[0][3]) || small(cells[1][3]) || small(total_missing);
            for (sex, calls) in [(0, s.male), (1, s.female)] {
                let missing = if imputed { 0 } else { cells[sex][3] };
                assert_eq!(calls.missing, missing, "{vid}");
                assert_eq!(calls.observed, cells[sex][2], "{vid}");
            }
        }
    }
    assert!(small_sex_cells > 0, "the fixture has per-sex small cells");
}

/// The calls of a `.bed` (A1 = ALT copies, `None` missing), its IIDs, sexes and chromosomes.
struct BedCalls {
    iids: Vec<String>,
    male: Vec<bool>,
    chrom: HashMap<String, String>,
    variants: Vec<(String, Vec<Option<u8>>)>,
}

/// Reads `PREFIX.bed/.bim/.fam` by the PLINK 1 layout, independently of dash's reader.
fn read_bed_calls(prefix: &Path) -> BedCalls {
    let read = |ext: &str| fs::read_to_string(prefix.with_extension(ext)).unwrap();
    let fam: Vec<Vec<String>> = read("fam")
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect();
    let bim: Vec<Vec<String>> = read("bim")
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect();
    let bed = fs::read(prefix.with_extension("bed")).unwrap();
    let n = fam.len();
    let per = n.div_ceil(4);
    let variants = bim
        .iter()
        .enumerate()
        .map(|(j, b)| {
            let bytes = &bed[3 + j * per..3 + (j + 1) * per];
            let calls = (0..n)
                .map(|i| match (bytes[i / 4] >> (2 * (i % 4))) & 3 {
                    0b00 => Some(2),
                    0b10 => Some(1),
                    0b11 => Some(0),
                    _ => None,
                })
                .collect();
            (b[1].clone(), calls)
        })
        .collect();
    BedCalls {
        iids: fam.iter().map(|f| f[1].clone()).collect(),
        male: fam.iter().map(|f| f[4] == "1").collect(),
        chrom: bim.iter().map(|b| (b[1].clone(), b[0].clone())).collect(),
        variants,
    }
}

/// The IIDs of a phenotype file whose y is `NA` (not contributed).
fn contributed_exclusions(pheno: &Path) -> BTreeSet<String> {
    fs::read_to_string(pheno)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.split('\t').nth(2) == Some("NA"))
        .map(|l| l.split('\t').nth(1).unwrap().to_string())
        .collect()
}

/// Bad per-sex counts in a summary are refused at merge, one line naming the file and the row:
/// a split on a row that is not non-PAR chrX, counts above the totals, a dosage sum impossible
/// for the observed calls, hard calls that do not add up. No output is left.
#[test]
fn bad_per_sex_counts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = compress(d, "a", &[]);
    let good = read_summary(&a).unwrap();
    let chrx = good
        .rows
        .qc
        .iter()
        .position(|qc| qc.by_sex.is_some())
        .unwrap();
    let refused = |name: &str, broken: &dyn Fn(&mut dash::summary::Rows), needle: &str| {
        let mut bad = good.clone();
        broken(&mut bad.rows);
        let path = d.join(format!("{name}.parquet"));
        let mut writer = SummaryWriter::create(&path, &bad.header).unwrap();
        writer.write(&bad.rows).unwrap();
        writer.finish().unwrap();
        let out = format!("out_{name}");
        let prefix = d.join(&out);
        let args = [
            "merge",
            path.to_str().unwrap(),
            "--out",
            prefix.to_str().unwrap(),
        ];
        expect_error(
            d,
            &args,
            &out,
            &[&format!("{name}.parquet"), "row ", needle],
        );
    };
    fn split(rows: &mut dash::summary::Rows, r: usize) -> &mut SexQc {
        rows.qc[r].by_sex.as_mut().unwrap()
    }
    let on_autosome =
        |rows: &mut dash::summary::Rows| rows.qc[0].by_sex = rows.qc[chrx].by_sex.clone();
    refused(
        "autosome",
        &on_autosome,
        "per-sex QC counts on a row that is not non-PAR chrX",
    );
    refused(
        "above",
        &|rows| split(rows, chrx).male.missing += 1000,
        "exceed the totals",
    );
    let impossible = |rows: &mut dash::summary::Rows| {
        let female = &mut split(rows, chrx).female;
        female.dosage_sum = 2.0 * female.observed as f64 + 1.0;
    };
    refused("dosage", &impossible, "female dosage sum");
    refused(
        "hard",
        &|rows| split(rows, chrx).male.het += 1,
        "male counts (hom-ref",
    );
}
