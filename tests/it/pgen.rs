//! PLINK 2 `.pgen` input (fixtures/pgen/, made by fixtures/pgen/make_pgen_fixtures.sh with
//! plink2; every golden here was written by plink2 or bcftools, or is the generated input itself):
//!
//! * hard calls of the same data as `.pgen` (variable-width with LD/difflist records,
//!   fixed-width mode 02, zstd `.pvar` with extra columns, a `.bed` in pgen clothing) are the
//!   bytes of plink2's `--make-bed`, and compress to the same results;
//! * dosages are the 1/16384 grid values plink2 stored, exactly (plink2's VCF export and the
//!   imported VCF's own values as oracles);
//! * multi-allelic sites give what plink2's VCF export split by `bcftools norm -m-` gives;
//! * `plink2 --glm` on the same data agrees to its 6 printed digits on variants without missing
//!   calls;
//! * `--region`, a bare prefix, and damaged filesets (one error line naming file and variant).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::common::*;
use dash::genotype::pgen::header::{Expected, Header};
use dash::genotype::{DosageField, QcCounts, Variant};

fn dir() -> PathBuf {
    fixtures().join("pgen")
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn same_site(a: &Variant, b: &Variant) -> bool {
    (&a.chrom, a.pos, &a.ref_allele, &a.alt_allele)
        == (&b.chrom, b.pos, &b.ref_allele, &b.alt_allele)
}

/// One VCF record: site and per-sample (GT, DS) text.
struct VcfRecord {
    chrom: String,
    pos: u64,
    ref_allele: String,
    alt: String,
    calls: Vec<(String, Option<String>)>,
}

/// The records of a bgzipped VCF (plink2's export, or the generated input).
fn vcf_records(path: &Path) -> Vec<VcfRecord> {
    let mut text = String::new();
    noodles_bgzf::io::Reader::new(fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut records = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let keys: Vec<&str> = f[8].split(':').collect();
        let ds_at = keys.iter().position(|&k| k == "DS");
        records.push(VcfRecord {
            chrom: f[0].to_string(),
            pos: f[1].parse().unwrap(),
            ref_allele: f[3].to_string(),
            alt: f[4].to_string(),
            calls: f[9..]
                .iter()
                .map(|c| {
                    let parts: Vec<&str> = c.split(':').collect();
                    (parts[0].to_string(), ds_at.map(|k| parts[k].to_string()))
                })
                .collect(),
        });
    }
    records
}

/// ALT copies in a split record's GT (`None` when any allele is missing).
fn alt_copies(gt: &str) -> Option<f64> {
    let alleles: Vec<&str> = gt.split(['/', '|']).collect();
    if alleles.contains(&".") {
        return None;
    }
    Some(alleles.iter().filter(|&&a| a == "1").count() as f64)
}

/// The record types of fixture `name` (its header read against its .pvar/.psam counts).
fn record_types(name: &str) -> std::collections::BTreeSet<u8> {
    let path = dir().join(format!("{name}.pgen"));
    let count = |ext: &str| {
        fs::read_to_string(dir().join(format!("{name}.{ext}")))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count()
    };
    let (m, n) = (count("pvar"), count("psam"));
    let header = Header::read(
        &mut fs::File::open(&path).unwrap(),
        &path,
        &Expected {
            variants: m,
            pvar: &dir().join(format!("{name}.pvar")),
            samples: n,
            psam: &dir().join(format!("{name}.psam")),
        },
    )
    .unwrap();
    (0..m).map(|v| header.record_type(v).0).collect()
}

#[test]
fn hard_calls_are_plink2_bed_bytes_in_every_storage() {
    let bed = decode_all(&dir().join("dummy.bed"), None, DosageField::Gt).unwrap();
    // A .bed in pgen clothing (storage mode 01), with the .pvar/.psam.
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(dir().join("dummy.bed"), tmp.path().join("bedmode.pgen")).unwrap();
    fs::copy(dir().join("dummy.pvar"), tmp.path().join("bedmode.pvar")).unwrap();
    fs::copy(dir().join("dummy.psam"), tmp.path().join("bedmode.psam")).unwrap();
    for pgen in [
        dir().join("dummy.pgen"),
        dir().join("dummy_fixed.pgen"),
        dir().join("dummy_zst.pgen"),
        tmp.path().join("bedmode.pgen"),
    ] {
        let got = decode_all(&pgen, None, DosageField::Gt).unwrap();
        assert_eq!(got.field, "GT");
        assert_eq!(got.variants.len(), 300, "{}", pgen.display());
        for (v, (a, b)) in got.variants.iter().zip(&bed.variants).enumerate() {
            assert!(
                same_site(a, b),
                "{} variant {v}: {a:?} vs {b:?}",
                pgen.display()
            );
            assert_eq!(a.id, b.id);
            assert_eq!(
                got.packed[v],
                bed.packed[v],
                "{} variant {v}",
                pgen.display()
            );
            assert_eq!(got.qc[v], bed.qc[v], "{} variant {v}", pgen.display());
        }
    }
}

#[test]
fn dosages_are_the_stored_grid_values() {
    // plink2's export prints the fewest digits whose nearest 1/16384 grid value is the stored
    // one (e.g. 0.0445 for 729/16384), so that grid value is the oracle.
    let got = decode_all(&dir().join("dummy.pgen"), None, DosageField::Auto).unwrap();
    assert_eq!(got.field, "DS");
    let golden = vcf_records(&dir().join("dummy.vcf.gz"));
    assert_eq!(got.variants.len(), golden.len());
    let mut off_grid_integers = 0;
    for (v, record) in golden.iter().enumerate() {
        assert_eq!(
            (got.variants[v].pos, got.variants[v].alt_allele.as_str()),
            (record.pos, record.alt.as_str())
        );
        let mut missing = Vec::new();
        for (i, (_, ds)) in record.calls.iter().enumerate() {
            match ds.as_deref() {
                Some(".") | None => {
                    missing.push(i as u32);
                    assert_eq!(got.dosages[v][i], 0.0);
                }
                Some(text) => {
                    let printed: f64 = text.parse().unwrap();
                    let grid = (printed * 16384.0).round() / 16384.0;
                    assert_eq!(got.dosages[v][i], grid, "variant {v} sample {i}: DS {text}");
                    assert!(
                        (grid - printed).abs() < 0.5 / 16384.0,
                        "variant {v} sample {i}"
                    );
                    off_grid_integers += usize::from(grid.fract() != 0.0);
                }
            }
        }
        assert_eq!(got.missing[v], missing, "variant {v}");
        assert_eq!(got.qc[v].missing, missing.len() as u64);
    }
    assert!(
        off_grid_integers > 5000,
        "only {off_grid_integers} fractional dosages"
    );
}

#[test]
fn imported_ds_values_come_back_exactly() {
    // ds.vcf's DS values are k/16384 written exactly; plink2 stored k, in all three dosage
    // track layouts between ds and dummy (list, bit array, one value per sample).
    let layouts: std::collections::BTreeSet<u8> = record_types("ds")
        .into_iter()
        .chain(record_types("dummy"))
        .map(|t| t & 0x60)
        .collect();
    assert_eq!(layouts, [0x20, 0x40, 0x60].into_iter().collect());
    let got = decode_all(&dir().join("ds.pgen"), None, DosageField::Ds).unwrap();
    let input = vcf_records(&dir().join("ds.vcf.gz"));
    for (v, record) in input.iter().enumerate() {
        for (i, (_, ds)) in record.calls.iter().enumerate() {
            match ds.as_deref().unwrap() {
                "." => assert!(got.missing[v].contains(&(i as u32))),
                text => assert_eq!(got.dosages[v][i], text.parse::<f64>().unwrap(), "{v} {i}"),
            }
        }
        let sum: f64 = got.dosages[v].iter().sum();
        assert_eq!(got.qc[v].dosage_sum, sum);
    }
    // Its hard calls are plink2's --make-bed.
    let hard = decode_all(&dir().join("ds.pgen"), None, DosageField::Gt).unwrap();
    let bed = decode_all(&dir().join("ds.bed"), None, DosageField::Gt).unwrap();
    assert_eq!(hard.packed, bed.packed);
}

#[test]
fn ld_sparse_and_multiallelic_records_match_the_split_export() {
    // The fixture has every main-track storage plink2 writes, with multi-allelic and phase
    // tracks (checked here, so a regenerated fixture cannot silently lose one).
    let path = dir().join("ld.pgen");
    let types = record_types("ld");
    for storage in [0, 1, 2, 3, 4, 6, 7] {
        assert!(
            types.iter().any(|t| t & 7 == storage),
            "no storage {storage}: {types:?}"
        );
    }
    assert!(types.iter().any(|t| t & 0x08 != 0) && types.iter().any(|t| t & 0x10 != 0));

    let got = decode_all(&path, None, DosageField::Auto).unwrap();
    assert_eq!(got.field, "GT");
    let golden = vcf_records(&dir().join("ld.split.vcf.gz"));
    assert_eq!(got.variants.len(), golden.len());
    for (v, record) in golden.iter().enumerate() {
        let ours = &got.variants[v];
        assert_eq!(
            (
                ours.chrom.as_str(),
                ours.pos,
                ours.ref_allele.as_str(),
                ours.alt_allele.as_str()
            ),
            (
                record.chrom.as_str(),
                record.pos,
                record.ref_allele.as_str(),
                record.alt.as_str()
            ),
            "variant {v}"
        );
        let mut qc = QcCounts::default();
        let mut missing = Vec::new();
        for (i, (gt, _)) in record.calls.iter().enumerate() {
            match alt_copies(gt) {
                None => {
                    missing.push(i as u32);
                    qc.missing += 1;
                    assert_eq!(got.dosages[v][i], 0.0);
                }
                Some(d) => {
                    assert_eq!(got.dosages[v][i], d, "variant {v} sample {i}: {gt}");
                    qc.dosage_sum += d;
                    qc.dosage_sq_sum += d * d;
                    qc.observed += 1;
                    match d as u8 {
                        0 => qc.hom_ref += 1,
                        1 => qc.het += 1,
                        _ => qc.hom_alt += 1,
                    }
                }
            }
        }
        assert_eq!(got.missing[v], missing, "variant {v}");
        assert_eq!(got.qc[v], qc, "variant {v}");
    }
    assert!(
        got.notes.iter().any(|n| n.contains("10 multi-allelic")),
        "{:?}",
        got.notes
    );
}

#[test]
fn region_is_a_slice_of_the_whole() {
    let path = dir().join("ld.pgen");
    let all = decode_all(&path, None, DosageField::Gt).unwrap();
    for (region, chrom, start, end) in [
        ("2", "2", 1, u64::MAX),
        ("1:1200-1900", "1", 1200, 1900),
        ("chr2:700-", "2", 700, u64::MAX),
        ("5", "5", 1, u64::MAX),
    ] {
        let got = decode_all(&path, Some(region), DosageField::Gt).unwrap();
        let want: Vec<usize> = (0..all.variants.len())
            .filter(|&v| {
                let x = &all.variants[v];
                x.chrom == chrom && (start..=end).contains(&x.pos)
            })
            .collect();
        assert_eq!(got.variants.len(), want.len(), "{region}");
        for (k, &v) in want.iter().enumerate() {
            assert_eq!(got.variants[k], all.variants[v], "{region}");
            assert_eq!(got.packed[k], all.packed[v], "{region} variant {v}");
        }
    }
}

/// The decompressed text of `PREFIX.y.tsv.gz`.
fn results_text(prefix: &str) -> String {
    let mut text = String::new();
    noodles_bgzf::io::Reader::new(fs::File::open(format!("{prefix}.y.tsv.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// `dash compress GENOTYPES` on the dummy cohort, then merge; returns stderr and the prefix.
fn compress_and_merge(tmp: &Path, genotypes: &str, name: &str, extra: &[&str]) -> (String, String) {
    let out = tmp.join(format!("{name}.parquet"));
    let (pheno, covar) = (dir().join("dummy.pheno"), dir().join("covar.txt"));
    let mut args = vec![
        "compress",
        genotypes,
        "--pheno",
        s(&pheno),
        "--covar",
        s(&covar),
        "--min-cell",
        "1",
        "--out",
        s(&out),
    ];
    args.extend(extra);
    let stderr = String::from_utf8_lossy(&dash_ok(&args).stderr).into_owned();
    let prefix = merge_to(&[&out], &tmp.join(name), &[]);
    (stderr, prefix)
}

#[test]
fn compress_of_pgen_hard_calls_equals_bed_and_a_prefix_finds_the_pgen() {
    let tmp = tempfile::tempdir().unwrap();
    // The prefix `dummy` has both .pgen and .bed beside it: the .pgen is read, and said so.
    for ext in ["pgen", "pvar", "psam", "bed", "bim", "fam"] {
        fs::copy(
            dir().join(format!("dummy.{ext}")),
            tmp.path().join(format!("dummy.{ext}")),
        )
        .unwrap();
    }
    let prefix = tmp.path().join("dummy");
    let (stderr, by_prefix) = compress_and_merge(
        tmp.path(),
        s(&prefix),
        "by_prefix",
        &["--dosage-field", "GT"],
    );
    assert!(
        stderr.contains("read ") && stderr.contains("dummy.pgen") && stderr.contains("dummy.bed"),
        "{stderr}"
    );
    let (_, bed) = compress_and_merge(tmp.path(), s(&tmp.path().join("dummy.bed")), "bed", &[]);
    let (_, zst) = compress_and_merge(
        tmp.path(),
        s(&dir().join("dummy_zst.pgen")),
        "zst",
        &["--dosage-field", "GT"],
    );
    assert!(results_text(&bed).lines().count() > 250);
    assert_eq!(results_text(&by_prefix), results_text(&bed));
    assert_eq!(results_text(&zst), results_text(&bed));
}

#[test]
fn dosage_regression_agrees_with_plink2_glm() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, prefix) = compress_and_merge(tmp.path(), s(&dir().join("dummy.pgen")), "glm", &[]);
    let ours = Tsv::read(format!("{prefix}.y.tsv.gz").as_ref()).by("variant_id");
    let glm = Tsv::read(&dir().join("dummy.glm.linear"));
    let col = |name: &str| glm.column(name);
    let mut compared = 0;
    for row in &glm.rows {
        // Only variants without missing calls: plink2 drops them, dash mean-imputes.
        if row[col("OBS_CT")] != "256" {
            continue;
        }
        let id = format!(
            "{}_{}_{}_{}",
            row[col("#CHROM")],
            row[col("POS")],
            row[col("REF")],
            row[col("ALT")]
        );
        let r = &ours[&id];
        // plink2 counts A1, which may be REF: then β changes sign.
        let sign = if row[col("A1")] == row[col("ALT")] {
            1.0
        } else {
            -1.0
        };
        let num = |text: &str| text.parse::<f64>().unwrap();
        for (a, b, what) in [
            (num(&r["beta"]), sign * num(&row[col("BETA")]), "beta"),
            (num(&r["standard_error"]), num(&row[col("SE")]), "se"),
            (num(&r["p_value"]), num(&row[col("P")]), "p"),
        ] {
            // 6 significant digits: within half a unit of the 6th.
            let err = relative_error(a, b);
            assert!(
                err <= 5.0001e-6,
                "{id} {what}: dash {a} vs plink2 {b} ({err:e})"
            );
        }
        compared += 1;
    }
    assert!(compared > 80, "only {compared} variants compared");
}

/// Copies the dummy fileset into `tmp` as `name.*`; returns the .pgen path.
fn copy_dummy(tmp: &Path, name: &str) -> PathBuf {
    for ext in ["pgen", "pvar", "psam"] {
        fs::copy(
            dir().join(format!("dummy.{ext}")),
            tmp.join(format!("{name}.{ext}")),
        )
        .unwrap();
    }
    tmp.join(format!("{name}.pgen"))
}

fn expect_compress_error(tmp: &Path, genotypes: &Path, needles: &[&str], extra: &[&str]) {
    let out = tmp.join("out.parquet");
    let mut args = vec![
        "compress".to_string(),
        s(genotypes).to_string(),
        "--pheno".to_string(),
        s(&dir().join("dummy.pheno")).to_string(),
        "--out".to_string(),
        s(&out).to_string(),
    ];
    args.extend(extra.iter().map(|e| e.to_string()));
    expect_error(tmp, &args, "out", needles);
}

#[test]
fn damaged_filesets_are_one_error_naming_file_and_variant() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();

    let pgen = copy_dummy(t, "cut");
    let bytes = fs::read(&pgen).unwrap();
    fs::write(&pgen, &bytes[..bytes.len() - 300]).unwrap();
    expect_compress_error(t, &pgen, &["cut.pgen", "truncated", "variant 29"], &[]);

    let pgen = copy_dummy(t, "short_pvar");
    let pvar = t.join("short_pvar.pvar");
    let text = fs::read_to_string(&pvar).unwrap();
    let kept: Vec<&str> = text.lines().take(text.lines().count() - 1).collect();
    fs::write(&pvar, kept.join("\n") + "\n").unwrap();
    expect_compress_error(
        t,
        &pgen,
        &[
            "short_pvar.pgen",
            "300 variants",
            "short_pvar.pvar lists 299",
        ],
        &[],
    );

    let pgen = copy_dummy(t, "long_psam");
    let psam = t.join("long_psam.psam");
    let mut text = fs::read_to_string(&psam).unwrap();
    text.push_str("extra\t1\t0.5\n");
    fs::write(&psam, text).unwrap();
    expect_compress_error(
        t,
        &pgen,
        &["long_psam.pgen", "256 samples", "lists 257"],
        &[],
    );

    let pgen = copy_dummy(t, "mode");
    let mut bytes = fs::read(&pgen).unwrap();
    bytes[2] = 0x05;
    fs::write(&pgen, &bytes).unwrap();
    expect_compress_error(t, &pgen, &["mode.pgen", "unknown storage mode 05"], &[]);

    // 8-bit record types start at byte 20 (12 + one block offset): variant 11's type → 5.
    let pgen = copy_dummy(t, "rtype");
    let mut bytes = fs::read(&pgen).unwrap();
    assert_eq!(bytes[11] & 0x0f, 5, "the fixture's index layout changed");
    bytes[20 + 10] = 0x05;
    fs::write(&pgen, &bytes).unwrap();
    expect_compress_error(
        t,
        &pgen,
        &["rtype.pgen", "variant 11 (snp10)", "unknown record type 05"],
        &[],
    );

    // A record's own bytes damaged: a sparse record's difflist says it lists 127 samples.
    let ld = dir().join("ld.pgen");
    let m = 126;
    let header = Header::read(
        &mut fs::File::open(&ld).unwrap(),
        &ld,
        &Expected {
            variants: m,
            pvar: &dir().join("ld.pvar"),
            samples: 600,
            psam: &dir().join("ld.psam"),
        },
    )
    .unwrap();
    let v = (0..m).find(|&v| header.record_type(v).0 == 0x04).unwrap();
    for ext in ["pvar", "psam"] {
        fs::copy(
            dir().join(format!("ld.{ext}")),
            t.join(format!("bad_list.{ext}")),
        )
        .unwrap();
    }
    let mut bytes = fs::read(&ld).unwrap();
    bytes[header.range(v).0 as usize] = 0x7f;
    let pgen = t.join("bad_list.pgen");
    fs::write(&pgen, &bytes).unwrap();
    let variant = format!("variant {} (v", v + 1);
    // (decode: the ld cohort's samples are not in the dummy phenotype file)
    expect_error(
        t,
        &["decode", s(&pgen)],
        "out",
        &["bad_list.pgen", &variant, "genotype difflist"],
    );

    let pgen = copy_dummy(t, "fixed");
    fs::copy(dir().join("dummy_fixed.pgen"), &pgen).unwrap();
    expect_compress_error(
        t,
        &pgen,
        &["fixed.pgen", "--dosage-field DS", "no dosages"],
        &["--dosage-field", "DS"],
    );

    expect_compress_error(
        t,
        &t.join("nothing"),
        &["nothing.pgen", "nothing.bed", "nothing.vcf.gz"],
        &[],
    );
}

#[test]
fn damaged_bytes_are_errors_never_panics() {
    // Byte flips anywhere in .pgen files with every record storage and dosage layout: each read
    // ends in a result or an error, never a panic or an unbounded allocation.
    let tmp = tempfile::tempdir().unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut errors, mut reads) = (0, 0);
    for name in ["ld", "dummy", "ds"] {
        for ext in ["pvar", "psam"] {
            fs::copy(
                dir().join(format!("{name}.{ext}")),
                tmp.path().join(format!("{name}.{ext}")),
            )
            .unwrap();
        }
        let original = fs::read(dir().join(format!("{name}.pgen"))).unwrap();
        let path = tmp.path().join(format!("{name}.pgen"));
        for _ in 0..60 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                // Half the flips in the header and index, where one byte moves everything.
                let at = if next() % 2 == 0 {
                    (next() % 40) as usize
                } else {
                    (next() % bytes.len() as u64) as usize
                };
                bytes[at] ^= 1 << (next() % 8);
            }
            fs::write(&path, &bytes).unwrap();
            for field in [DosageField::Gt, DosageField::Auto] {
                reads += 1;
                if let Err(e) = decode_all(&path, None, field) {
                    assert!(e.contains(&format!("{name}.pgen")), "{e}");
                    assert!(!e.contains('\n'), "{e}");
                    errors += 1;
                }
            }
        }
    }
    assert!(
        errors > reads / 4,
        "only {errors} of {reads} damaged reads refused"
    );
}
