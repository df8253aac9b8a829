//! The BGEN reader against an independent decoder and across plink2's exports.
//!
//! * Golden dosages: fixtures/bgen/bgen_oracle.py decodes every fixture from the BGEN spec with
//!   exact fractions (cross-checked against the `bgen` Python package when the fixtures were
//!   made); dash must give the same f64 values, bit for bit — both round the same exact ratio
//!   of stored integers once.
//! * plink2's exports of one dataset (BGEN v1.1, v1.2 at 8 and 16 bits, v1.3/zstd, VCF with DS)
//!   give per-variant dosage sums that agree within each format's quantisation.
//! * `.bgi` region queries, `.sample` files, `--bgen-ref`, and bad input.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;
use dash::genotype::bgen::{BgenOptions, RefMode};
use dash::genotype::{self, DosageField, GenotypeBlock, Orientation, QcCounts, Region};

fn bgen_dir() -> PathBuf {
    fixtures().join("bgen")
}

/// A tested ALT allele: chrom, pos, id, ref, alt.
type Key = (String, u64, String, String, String);

/// Per variant (chrom, pos, ref, alt): the dosage sum and the missing samples.
type Sums = BTreeMap<(String, u64, String, String), (f64, Vec<usize>)>;

/// Everything read from one file: per tested ALT, (chrom, pos, id, ref, alt) and the dosages
/// with `None` for missing; plus the reader's notes and orientation.
struct Read {
    rows: Vec<(Key, Vec<Option<f64>>)>,
    /// The reader's QC counts of each row (over every sample).
    qc: Vec<QcCounts>,
    samples: Vec<String>,
    notes: Vec<String>,
    orientation: Orientation,
}

fn options(reference: RefMode, sample: Option<&Path>) -> BgenOptions {
    BgenOptions {
        reference: Some(reference),
        sample_file: sample.map(Path::to_path_buf),
    }
}

fn read(path: &Path, region: Option<&str>, options: &BgenOptions) -> Result<Read, String> {
    let region = region.map(|r| Region::parse(r).unwrap());
    let mut reader = if genotype::bgen::is_bgen(path) {
        genotype::open_with(path, region.as_ref(), DosageField::Auto, options)
    } else {
        genotype::open(path, region.as_ref(), DosageField::Ds)
    }
    .map_err(|e| e.to_string())?;
    let n = reader.samples().len();
    let mut block = GenotypeBlock::default();
    let (mut rows, mut qc) = (Vec::new(), Vec::new());
    while reader
        .read_block(5, &mut block)
        .map_err(|e| e.to_string())?
    {
        block.finish_decoding();
        assert!(block.qc_sums_dosages, "the reader sums what it decodes");
        qc.extend_from_slice(&block.qc);
        for (v, variant) in block.variants.iter().enumerate() {
            let mut dosages: Vec<Option<f64>> =
                block.dosages_of(v, n).into_iter().map(Some).collect();
            for &m in &block.missing[v] {
                assert_eq!(dosages[m as usize], Some(0.0), "a missing call is 0");
                dosages[m as usize] = None;
            }
            let key = (
                variant.chrom.to_string(),
                variant.pos,
                variant.id.to_string(),
                variant.ref_allele.to_string(),
                variant.alt_allele.to_string(),
            );
            rows.push((key, dosages));
        }
    }
    Ok(Read {
        rows,
        qc,
        samples: reader.samples().to_vec(),
        notes: reader.notes(),
        orientation: reader.orientation(),
    })
}

/// The independent decoder's dosages of `file` under `--bgen-ref mode` (`None` missing), per
/// tested ALT; symbolic ALTs are not tested by dash and left out.
fn golden(file: &str, mode: &str) -> Vec<(Key, Vec<Option<f64>>)> {
    let golden_path = bgen_dir().join(format!(
        "{}.{mode}.golden.tsv",
        file.trim_end_matches(".bgen")
    ));
    let golden = fs::read_to_string(&golden_path).unwrap();
    let mut expected = Vec::new();
    for line in golden.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f[4].starts_with('<') {
            continue;
        }
        let key = (
            dash::chrom::normalize(f[0]),
            f[1].parse::<u64>().unwrap(),
            f[2].to_string(),
            f[3].to_string(),
            f[4].to_string(),
        );
        let values: Vec<Option<f64>> = f[5..]
            .iter()
            .map(|v| (*v != "NA").then(|| v.parse().unwrap()))
            .collect();
        expected.push((key, values));
    }
    expected
}

/// Compares every dosage with the golden file, exactly, and the reader's sums with sums of it.
fn assert_golden(file: &str, mode: &str, sample: Option<&str>) {
    let reference = RefMode::parse(mode).unwrap();
    let sample = sample.map(|s| bgen_dir().join(s));
    let got = read(
        &bgen_dir().join(file),
        None,
        &options(reference, sample.as_deref()),
    )
    .unwrap();
    let expected = golden(file, mode);
    assert_eq!(got.rows.len(), expected.len(), "{file}: tested ALT alleles");
    for (((key, dosages), qc), (want_key, want)) in got.rows.iter().zip(&got.qc).zip(&expected) {
        assert_eq!(key, want_key, "{file}");
        // The reader's sums, made in its decoding pass (integer sums of the numerators on the
        // 8- and 16-bit path), against sums of the independent decoder's dosages: 1e-13
        // relative, above the rounding of two 40-term f64 sums of non-negative terms.
        let observed: Vec<f64> = want.iter().flatten().copied().collect();
        let missing = (want.len() - observed.len()) as u64;
        assert_eq!(
            (qc.missing, qc.observed),
            (missing, observed.len() as u64),
            "{file} {key:?}"
        );
        let sum: f64 = observed.iter().sum();
        let sum_sq: f64 = observed.iter().map(|x| x * x).sum();
        for (got, want, what) in [
            (qc.dosage_sum, sum, "Σx"),
            (qc.dosage_sq_sum, sum_sq, "Σx²"),
        ] {
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "{file} {key:?} {what}: {got} vs {want}"
            );
        }
        for (i, (d, w)) in dosages.iter().zip(want).enumerate() {
            // Exact: both sides round the same ratio of integers once.
            assert_eq!(
                d.map(f64::to_bits),
                w.map(f64::to_bits),
                "{file} {key:?} sample {i}: {d:?} vs {w:?}"
            );
        }
    }
}

#[test]
fn plink2_exports_match_the_independent_decoder() {
    assert_golden("dummy.v11.bgen", "last", Some("dummy.v11.sample"));
    assert_golden("dummy.v12_8.bgen", "first", None);
    assert_golden("dummy.v12_16.bgen", "last", None);
    assert_golden("dummy.v13.bgen", "first", None);
}

#[test]
fn phased_haploid_multiallelic_and_any_bits_match_the_independent_decoder() {
    assert_golden("edge_phased.bgen", "first", None);
    assert_golden("edge_multi.bgen", "first", None);
    assert_golden("edge_multi.bgen", "last", None);
    assert_golden("edge_bits.bgen", "first", Some("edge_bits.sample"));
    assert_golden("edge_v11.bgen", "first", Some("edge_v11.sample"));
    assert_golden("edge_v11_raw.bgen", "first", None);
}

#[test]
fn ploidy_three_is_missing_and_counted() {
    let got = read(
        &bgen_dir().join("edge_phased.bgen"),
        None,
        &options(RefMode::First, None),
    )
    .unwrap();
    // Sample 5 is triploid in the two mixed-ploidy variants (when not flagged missing).
    assert!(got.rows[1].1[4].is_none() && got.rows[2].1[4].is_none());
    assert!(
        got.notes
            .iter()
            .any(|n| n.contains("more than two alleles")),
        "{:?}",
        got.notes
    );
}

/// Quantisation of one dosage in each export: two stored probabilities each rounded to the
/// format's grid (8 or 16 bits, 1/32768 in v1.1), and the VCF's printed DS.
const EXPORTS: [(&str, &str, f64); 5] = [
    ("dummy.v11.bgen", "last", 3.0 / 32768.0),
    ("dummy.v12_8.bgen", "first", 3.0 / 255.0),
    ("dummy.v12_16.bgen", "last", 3.0 / 65535.0),
    ("dummy.v13.bgen", "first", 3.0 / 65535.0),
    ("dummy.ds.vcf.gz", "", 1e-4),
];

#[test]
fn plink2_exports_agree_within_their_quantisation() {
    let mut sums: Vec<Sums> = Vec::new();
    for (file, mode, _) in EXPORTS {
        let sample = (file == "dummy.v11.bgen").then(|| bgen_dir().join("dummy.v11.sample"));
        let reference = RefMode::parse(if mode.is_empty() { "first" } else { mode }).unwrap();
        let got = read(
            &bgen_dir().join(file),
            None,
            &options(reference, sample.as_deref()),
        )
        .unwrap();
        assert_eq!(got.rows.len(), 50, "{file}");
        assert_eq!(got.samples.len(), 40, "{file}");
        assert_eq!(got.samples[0], "per0", "{file}");
        let mut by_variant = BTreeMap::new();
        for ((chrom, pos, _, r, a), d) in got.rows {
            let missing: Vec<usize> = (0..d.len()).filter(|&i| d[i].is_none()).collect();
            let sum: f64 = d.iter().flatten().sum();
            by_variant.insert((chrom, pos, r, a), (sum, missing));
        }
        sums.push(by_variant);
    }
    let mut worst = vec![0.0f64; EXPORTS.len()];
    for (k, (file, _, q)) in EXPORTS.iter().enumerate().skip(1) {
        let q0 = EXPORTS[0].2;
        for (key, (sum, missing)) in &sums[k] {
            let (sum0, missing0) = sums[0]
                .get(key)
                .unwrap_or_else(|| panic!("{file}: {key:?} not in {}", EXPORTS[0].0));
            assert_eq!(missing, missing0, "{file} {key:?}: missing calls");
            let bound = (40 - missing.len()) as f64 * (q + q0);
            let err = (sum - sum0).abs();
            assert!(
                err <= bound,
                "{file} {key:?}: sum {sum} vs {sum0} (bound {bound})"
            );
            worst[k] = worst[k].max(err / bound);
        }
    }
    println!("worst |Δsum| / quantisation bound vs v1.1: {worst:?}");
}

#[test]
fn reference_allele_follows_bgen_ref() {
    let path = bgen_dir().join("dummy.v12_8.bgen");
    let first = read(&path, None, &options(RefMode::First, None)).unwrap();
    let last = read(&path, None, &options(RefMode::Last, None)).unwrap();
    let unknown = read(&path, None, &options(RefMode::Unknown, None)).unwrap();
    assert_eq!(first.orientation, Orientation::Reference);
    assert_eq!(last.orientation, Orientation::Reference);
    // Provisional REF: not a reference-aware source.
    assert_eq!(unknown.orientation, Orientation::Plink1);
    for ((a, da), (b, db)) in first.rows.iter().zip(&last.rows) {
        assert_eq!((&a.3, &a.4), (&b.4, &b.3));
        for (x, y) in da.iter().zip(db) {
            if let (Some(x), Some(y)) = (x, y) {
                assert!((x + y - 2.0).abs() < 1e-12);
            }
        }
    }
    assert_eq!(
        last.rows.iter().map(|r| &r.0).collect::<Vec<_>>(),
        unknown.rows.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    let err = read(&path, None, &BgenOptions::default()).err().unwrap();
    assert!(err.contains("--bgen-ref"), "{err}");
}

#[test]
fn sample_ids_from_the_file_or_a_sample_file() {
    let dir = tempfile::tempdir().unwrap();
    let bits = bgen_dir().join("edge_bits.bgen");
    let err = read(&bits, None, &options(RefMode::First, None))
        .err()
        .unwrap();
    assert!(
        err.contains("edge_bits.bgen") && err.contains("--sample"),
        "{err}"
    );
    let got = read(
        &bits,
        None,
        &options(RefMode::First, Some(&bgen_dir().join("edge_bits.sample"))),
    )
    .unwrap();
    assert_eq!(
        got.samples,
        (1..=9).map(|i| format!("s{i}")).collect::<Vec<_>>()
    );
    // A .sample replaces the file's own IDs.
    let renamed = dir.path().join("renamed.sample");
    let mut text = "ID_1 ID_2 missing\n0 0 0\n".to_string();
    for i in 0..40 {
        text.push_str(&format!("f{i} new{i} 0\n"));
    }
    fs::write(&renamed, &text).unwrap();
    let got = read(
        &bgen_dir().join("dummy.v13.bgen"),
        None,
        &options(RefMode::First, Some(&renamed)),
    )
    .unwrap();
    assert_eq!(got.samples[39], "new39");
}

#[test]
fn region_through_the_bgi_index_or_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let indexed = bgen_dir().join("dummy.v12_8.bgen");
    let bare = dir.path().join("bare.bgen");
    fs::copy(&indexed, &bare).unwrap();
    let opts = options(RefMode::First, None);
    let all = read(&indexed, None, &opts).unwrap();
    for region in ["2:4100-4500", "2", "1:1-1500", "chr1:2950-", "3", "2:1-10"] {
        let r = Region::parse(region).unwrap();
        let want: Vec<_> = all
            .rows
            .iter()
            .filter(|(k, _)| r.contains(&k.0, k.1))
            .collect();
        let via_index = read(&indexed, Some(region), &opts).unwrap();
        let via_scan = read(&bare, Some(region), &opts).unwrap();
        assert_eq!(via_index.rows.iter().collect::<Vec<_>>(), want, "{region}");
        assert_eq!(via_scan.rows.iter().collect::<Vec<_>>(), want, "{region}");
        assert!(via_index.notes.iter().all(|n| !n.contains("bgenix")));
        assert!(
            via_scan.notes.iter().any(|n| n.contains("bgenix")),
            "{:?}",
            via_scan.notes
        );
    }
}

#[test]
fn a_bgi_with_interior_and_overflow_pages() {
    // 1500 variants on chromosomes 1-3 in 1 KiB pages, two with 5000-base alleles: bgenix's
    // index has interior pages and overflow chains.
    let dir = tempfile::tempdir().unwrap();
    let indexed = bgen_dir().join("many.bgen");
    let bare = dir.path().join("many.bgen");
    fs::copy(&indexed, &bare).unwrap();
    let opts = options(RefMode::First, None);
    for region in ["2", "1:70-80", "3:4990-", "2:2000-2500", "1:1-10", "4"] {
        let via_index = read(&indexed, Some(region), &opts).unwrap();
        let via_scan = read(&bare, Some(region), &opts).unwrap();
        assert_eq!(via_index.rows, via_scan.rows, "{region}");
        assert!(via_index.notes.iter().all(|n| !n.contains("bgenix")));
    }
    let long = read(&indexed, Some("2:80-80"), &opts).unwrap();
    assert_eq!(long.rows.len(), 1);
    assert_eq!(long.rows[0].0 .3.len(), 5000);
    assert_eq!(read(&indexed, Some("2"), &opts).unwrap().rows.len(), 500);
}

#[test]
fn a_damaged_bgi_is_an_error_naming_it_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bgen = dir.path().join("x.bgen");
    fs::copy(bgen_dir().join("dummy.v12_8.bgen"), &bgen).unwrap();
    let good = fs::read(bgen_dir().join("dummy.v12_8.bgen.bgi")).unwrap();
    let bgi = dir.path().join("x.bgen.bgi");
    let opts = options(RefMode::First, None);
    let mut state = 12345u64;
    for round in 0..300 {
        let mut bytes = good.clone();
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if round % 10 == 0 {
            bytes.truncate((state >> 33) as usize % bytes.len());
        } else {
            for _ in 0..1 + round % 4 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let at = (state >> 33) as usize % bytes.len();
                bytes[at] = (state >> 20) as u8;
            }
        }
        fs::write(&bgi, &bytes).unwrap();
        if let Err(e) = read(&bgen, Some("2"), &opts) {
            assert!(e.contains("x.bgen"), "round {round}: {e}");
        }
    }
}

/// A phenotype file for the dummy dataset's samples.
fn pheno(dir: &Path, samples: &[String]) -> PathBuf {
    let path = dir.join("y.pheno");
    let mut text = "IID y\n".to_string();
    for (i, s) in samples.iter().enumerate() {
        text.push_str(&format!("{s} {}\n", (i * 7 % 11) as f64 * 0.3));
    }
    fs::write(&path, text).unwrap();
    path
}

fn compress_bgen(dir: &Path, bgen: &Path, extra: &[&str], needles: &[&str]) {
    // The dummy dataset's samples and the hand-made files'.
    let samples: Vec<String> = (0..40)
        .map(|i| format!("per{i}"))
        .chain((1..=9).map(|i| format!("s{i}")))
        .collect();
    let y = pheno(dir, &samples);
    let out = dir.join("out.parquet");
    let mut args = vec![
        "compress",
        bgen.to_str().unwrap(),
        "--pheno",
        y.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    expect_error(dir, &args, "out", needles);
}

fn damaged(dir: &Path, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = fs::read(bgen_dir().join("dummy.v12_8.bgen")).unwrap();
    edit(&mut bytes);
    let path = dir.join("bad.bgen");
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn bad_bgen_input_is_one_line_naming_file_and_variant() {
    let ref_first = ["--bgen-ref", "first"];
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let len = fs::metadata(bgen_dir().join("dummy.v12_8.bgen"))
        .unwrap()
        .len() as usize;
    let cut = damaged(d, |b| b.truncate(len - 30));
    compress_bgen(
        d,
        &cut,
        &ref_first,
        &["bad.bgen", "variant 50 of 50", "truncated"],
    );
    let magic = damaged(d, |b| b[16..20].copy_from_slice(b"BGEM"));
    compress_bgen(d, &magic, &ref_first, &["bad.bgen", "magic"]);
    let compression = damaged(d, |b| b[20] |= 3);
    compress_bgen(
        d,
        &compression,
        &ref_first,
        &["bad.bgen", "compression type 3"],
    );
    let layout = damaged(d, |b| b[20] = (b[20] & !0x3c) | 3 << 2);
    compress_bgen(d, &layout, &ref_first, &["bad.bgen", "layout 3"]);
    // A zlib stream damaged in the middle of the file.
    let corrupt = damaged(d, |b| {
        let at = b.len() / 2;
        b[at..at + 8].fill(0xff);
    });
    compress_bgen(d, &corrupt, &ref_first, &["bad.bgen", "variant"]);
    // Layout-2 probability data shorter than its header says (fixture).
    let short = d.join("bad_length.bgen");
    fs::copy(bgen_dir().join("bad_length.bgen"), &short).unwrap();
    compress_bgen(
        d,
        &short,
        &ref_first,
        &["bad_length.bgen", "variant 2", "needs"],
    );
    // A .sample with a sample too few.
    let sample = d.join("short.sample");
    let mut text = "ID_1 ID_2 missing\n0 0 0\n".to_string();
    for i in 0..39 {
        text.push_str(&format!("0 per{i} 0\n"));
    }
    fs::write(&sample, &text).unwrap();
    let good = d.join("good.bgen");
    fs::copy(bgen_dir().join("dummy.v12_8.bgen"), &good).unwrap();
    compress_bgen(
        d,
        &good,
        &["--bgen-ref", "first", "--sample", sample.to_str().unwrap()],
        &["short.sample", "39 samples", "holds 40"],
    );
    let twice = d.join("twice.sample");
    fs::write(&twice, text.replace("per3 ", "per2 ") + "0 per39 0\n").unwrap();
    compress_bgen(
        d,
        &good,
        &["--bgen-ref", "first", "--sample", twice.to_str().unwrap()],
        &["twice.sample", "duplicate sample ID 'per2'"],
    );
    compress_bgen(d, &good, &[], &["--bgen-ref"]);
    compress_bgen(
        d,
        &good,
        &["--bgen-ref", "middle"],
        &["--bgen-ref", "middle"],
    );
}

#[test]
fn compress_and_merge_a_bgen_as_its_vcf_export() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let samples: Vec<String> = (0..40).map(|i| format!("per{i}")).collect();
    let y = pheno(d, &samples);
    let run = |input: &Path, extra: &[&str], name: &str| {
        let out = d.join(format!("{name}.parquet"));
        let mut args = vec![
            "compress",
            input.to_str().unwrap(),
            "--pheno",
            y.to_str().unwrap(),
            "--min-cell",
            "1",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        dash_ok(&args);
        merge_to(&[&out], &d.join(name), &[])
    };
    let bgen = run(
        &bgen_dir().join("dummy.v12_16.bgen"),
        &["--bgen-ref", "last"],
        "bgen",
    );
    let vcf = run(&bgen_dir().join("dummy.ds.vcf.gz"), &[], "vcf");
    // 16-bit probabilities vs DS printed to ~5 digits: the results agree to that rounding.
    let worst = assert_same_results(&bgen, &vcf, "y", 5e-4);
    println!("BGEN 16-bit vs VCF DS merge: worst relative difference {worst:e}");
}

/// `dash manifest` reads a `.bgen` (with `--bgen-ref`) and a `.pgen` as it reads a VCF: the
/// plink2 exports of one dataset give one manifest, fingerprint and all.
#[test]
fn a_manifest_from_bgen_pgen_and_vcf_of_one_dataset_is_one_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_of = |name: &str, extra: &[&str]| {
        let out = dir.path().join(format!("{name}.manifest.tsv"));
        let input = bgen_dir().join(name);
        let mut args = vec![
            "manifest",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        dash_ok(&args);
        fs::read_to_string(&out).unwrap()
    };
    let from_vcf = manifest_of("dummy.ds.vcf.gz", &[]);
    assert!(from_vcf.lines().count() > 40, "{from_vcf}");
    assert_eq!(manifest_of("dummy.pgen", &[]), from_vcf);
    assert_eq!(
        manifest_of("dummy.v12_8.bgen", &["--bgen-ref", "first"]),
        from_vcf
    );
    // dummy.v11.bgen was exported REF last: read so, it is the same manifest; read REF first,
    // every site is the other way round.
    let sample = bgen_dir().join("dummy.v11.sample");
    let v11 = |reference: &str| {
        manifest_of(
            "dummy.v11.bgen",
            &[
                "--bgen-ref",
                reference,
                "--sample",
                sample.to_str().unwrap(),
            ],
        )
    };
    assert_eq!(v11("last"), from_vcf);
    let swapped = v11("first");
    assert_ne!(swapped, from_vcf);
    assert_eq!(swapped.lines().count(), from_vcf.lines().count());

    // As for compress, a .bgen without --bgen-ref is refused, naming the flag.
    let out = dash(&[
        "manifest",
        bgen_dir().join("dummy.v12_8.bgen").to_str().unwrap(),
        "--out",
        dir.path().join("refused.tsv").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--bgen-ref"), "{err}");
    assert!(!dir.path().join("refused.tsv").exists());
}

/// Compress and merge of a BGEN (8 and 16 bits) equal a naive pooled least-squares fit written
/// here on the independent decoder's dosages (the golden files), mean-imputing missing calls:
/// once with every sample contributing (compress then takes the reader's sums, made while it
/// decoded) and once with the phenotype missing for every sixth sample (compress sums over the
/// samples with a phenotype). Tolerances: n exact; se and t 1e-9 relative; β 1e-9 × max(|β|, se).
#[test]
fn bgen_merge_equals_pooled_least_squares_on_the_decoded_dosages() {
    use crate::naive_ols::{assert_row_matches, covariate_basis, residualise, test_dosages, Rng};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Both files hold the same samples, in the order of the golden files' columns.
    let samples = read(
        &bgen_dir().join("dummy.v12_8.bgen"),
        None,
        &options(RefMode::First, None),
    )
    .unwrap()
    .samples;
    let mut rng = Rng(0x5eed_b9e7);
    let covariates: Vec<[f64; 2]> = samples
        .iter()
        .map(|_| [rng.noise(), rng.uniform()])
        .collect();
    let mut covar = "IID c1 c2\n".to_string();
    for (iid, c) in samples.iter().zip(&covariates) {
        covar.push_str(&format!("{iid} {:.17e} {:.17e}\n", c[0], c[1]));
    }
    let covar_path = d.join("c.covar");
    fs::write(&covar_path, covar).unwrap();
    let y: Vec<f64> = covariates
        .iter()
        .map(|c| 0.3 * c[0] - c[1] + rng.noise())
        .collect();
    let mut worst = 0.0f64;
    for (file, mode) in [("dummy.v12_8.bgen", "first"), ("dummy.v12_16.bgen", "last")] {
        let golden = golden(file, mode);
        let file_samples = read(&bgen_dir().join(file), None, &options(RefMode::First, None));
        assert_eq!(file_samples.unwrap().samples, samples, "{file}");
        for every in [None, Some(6)] {
            let kept: Vec<usize> = (0..samples.len())
                .filter(|i| every.is_none_or(|k| i % k != 3))
                .collect();
            let mut pheno = "IID y\n".to_string();
            for (i, iid) in samples.iter().enumerate() {
                match kept.contains(&i) {
                    true => pheno.push_str(&format!("{iid} {:.17e}\n", y[i])),
                    false => pheno.push_str(&format!("{iid} NA\n")),
                }
            }
            let pheno_path = d.join("y.pheno");
            fs::write(&pheno_path, pheno).unwrap();
            let name = format!("{}_{}", file.trim_end_matches(".bgen"), every.unwrap_or(0));
            let out = d.join(format!("{name}.parquet"));
            let extra = ["--bgen-ref", mode, "--min-cell", "1"];
            let bgen = bgen_dir().join(file);
            compress_with(&bgen, &pheno_path, &covar_path, "party", &out, &extra);
            let prefix = merge_to(&[&out], &d.join(name), &[]);
            let rows = Tsv::read(format!("{prefix}.y.tsv.gz").as_ref()).by("base_pair_location");
            let rows_of: Vec<&[f64]> = kept.iter().map(|&i| &covariates[i][..]).collect();
            let q = covariate_basis(&rows_of);
            let mut y_kept: Vec<f64> = kept.iter().map(|&i| y[i]).collect();
            residualise(&mut y_kept, &q);
            let mut tested = 0;
            for ((_, pos, ..), dosages) in &golden {
                let dosages: Vec<Option<f64>> = kept.iter().map(|&i| dosages[i]).collect();
                let context = format!("{file} every {every:?} at {pos}");
                match (
                    test_dosages(&q, &y_kept, &dosages),
                    rows.get(&pos.to_string()),
                ) {
                    (Some(fit), Some(row)) => {
                        worst = worst.max(assert_row_matches(row, &fit, 1e-9, &context));
                        tested += 1;
                    }
                    (None, None) => {}
                    (fit, row) => panic!(
                        "{context}: tested by only one of dash ({}) and the oracle ({})",
                        row.is_some(),
                        fit.is_some()
                    ),
                }
            }
            assert!(tested >= 45, "{file}: only {tested} variants tested");
        }
    }
    println!("BGEN merge vs pooled least squares: worst relative error {worst:e}");
}
