//! VCF and BCF input (fixtures/vcf/, made by fixtures/make_vcf_fixtures.sh).
//!
//! * party_c as `.bed`, `.vcf.gz` and `.bcf` (converted by plink2/bcftools) gives the same sums
//!   and the same merge results;
//! * non-integer `DS` from two VCFs merges to an independent pooled least-squares oracle;
//! * a multi-allelic VCF gives what its `bcftools norm -m-` split gives;
//! * `--region` shards (through `.tbi` and `.csi`) add up to the whole file;
//! * malformed input is one error line naming the file and record, and no output.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::common::*;
use dash::genotype::{DosageField, GenotypeBlock};
use dash::summary::{read_summary, Summary};

fn vcf_dir() -> PathBuf {
    fixtures().join("vcf")
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `dash compress GENOTYPES --pheno P --covar C --party PARTY --out OUT --min-cell 1 EXTRA…`,
/// declaring `site` categorical when the covariate file has it (the PLINK fixtures' party files);
/// returns stderr. `--min-cell 1`: these compare against pooled oracles and across formats at
/// 1e-12, sums of every call.
fn compress(
    genotypes: &Path,
    pheno: &Path,
    covar: &Path,
    party: &str,
    out: &Path,
    extra: &[&str],
) -> String {
    let mut args = vec![
        "compress",
        s(genotypes),
        "--pheno",
        s(pheno),
        "--covar",
        s(covar),
        "--party",
        party,
        "--out",
        s(out),
        "--min-cell",
        "1",
    ];
    let header = fs::read_to_string(covar).unwrap();
    if header
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .any(|c| c == "site")
    {
        args.extend(["--covar-categorical", "site"]);
    }
    args.extend(extra);
    String::from_utf8_lossy(&dash_ok(&args).stderr).into_owned()
}

/// Compresses party_c's genotypes from `genotypes` (any format) into `dir/NAME.parquet`.
fn compress_c(dir: &Path, genotypes: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.parquet"));
    compress(
        genotypes,
        &fixtures().join("party_c.pheno"),
        &fixtures().join("party_c.covar"),
        "c",
        &out,
        extra,
    );
    out
}

/// `dash merge SUMMARIES… --out dir/NAME`; returns the prefix.
fn merge(dir: &Path, summaries: &[&Path], name: &str) -> String {
    let prefix = dir.join(name);
    let mut args = vec!["merge"];
    args.extend(summaries.iter().map(|p| s(p)));
    // These VCFs carry no sex: chrX without the sex covariate (tests/it/chrx.rs has it).
    args.extend(["--out", s(&prefix), "--no-x-sex"]);
    dash_ok(&args);
    prefix.to_str().unwrap().to_string()
}

/// The decompressed text of a merge output `PREFIX.<pheno>.tsv.gz`.
fn results_text(prefix: &str, phenotype: &str) -> String {
    let file = fs::File::open(format!("{prefix}.{phenotype}.tsv.gz")).unwrap();
    let mut text = String::new();
    noodles_bgzf::io::Reader::new(file)
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Two merges wrote the same results (to 1e-12 at the scale of each quantity; see
/// `assert_same_results`) and the same skipped lists.
fn assert_same_merge(a: &str, b: &str, phenotypes: &[&str]) {
    for phenotype in phenotypes {
        assert!(
            results_text(a, phenotype).lines().count() > 1,
            "{a}.{phenotype}: no results"
        );
        assert_same_results(a, b, phenotype, 1e-12);
        let skipped = |p: &str| fs::read_to_string(format!("{p}.{phenotype}.skipped.tsv")).unwrap();
        assert_eq!(skipped(a), skipped(b), "{phenotype}: skipped lists differ");
    }
}

/// Worst relative difference of two sums; `b == 0` compared absolutely.
/// Worst normwise relative difference over vectors of `width` values (one variant's sums, one
/// row of G): max|a − b| / max|b| per vector. Centred sums can be ~0 in single entries, where
/// different summation orders (table kernel for .bed, GEMM for dosages) differ in the last bits.
fn worst(a: &[f64], b: &[f64], width: usize, what: &str) -> f64 {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    a.chunks(width.max(1))
        .zip(b.chunks(width.max(1)))
        .map(|(x, y)| {
            let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let diff = x
                .iter()
                .zip(y)
                .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
            if scale == 0.0 {
                diff
            } else {
                diff / scale
            }
        })
        .fold(0.0, f64::max)
}

/// Asserts two summaries of the same party hold the same groups, variants, QC counts and sums
/// (to `tolerance` relative); returns the worst relative difference of any sum.
fn assert_same_sums(a: &Summary, b: &Summary, tolerance: f64) -> f64 {
    let (ha, hb) = (&a.header, &b.header);
    assert_eq!(ha.groups.len(), hb.groups.len());
    let (ca, cb) = (&ha.components[0], &hb.components[0]);
    assert_eq!(ca.id, cb.id, "component ids differ");
    let mut err: f64 = 0.0;
    for (ga, gb) in ca.groups.iter().zip(&cb.groups) {
        assert_eq!(ga.n, gb.n);
        let j = (ga.gram.len() as f64).sqrt() as usize;
        err = err.max(worst(&ga.gram, &gb.gram, j, "G"));
    }
    assert_eq!(a.rows.variants, b.rows.variants, "variant rows differ");
    for (qa, qb) in a.rows.qc.iter().zip(&b.rows.qc) {
        assert_eq!(
            (qa.hom_ref, qa.het, qa.hom_alt, qa.missing),
            (qb.hom_ref, qb.het, qb.hom_alt, qb.missing)
        );
        err = err.max(relative_error(qa.dosage_sum, qb.dosage_sum));
    }
    for (ga, gb) in a.rows.groups.iter().zip(&b.rows.groups) {
        err = err.max(worst(&ga.atx0, &gb.atx0, ga.width, "Aᵀx0"));
        err = err.max(worst(&ga.atu, &gb.atu, ga.width, "Aᵀu"));
        err = err.max(worst(&ga.x0x0, &gb.x0x0, 1, "x0·x0"));
    }
    assert!(
        err <= tolerance,
        "{} vs {}: sums differ by {err:e} relative",
        a.path.display(),
        b.path.display()
    );
    err
}

#[test]
fn bed_vcf_gz_and_bcf_give_identical_summaries_and_merges() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bed = compress_c(d, &fixtures().join("party_c.bed"), "bed", &[]);
    let vcf = compress_c(d, &vcf_dir().join("party_c.vcf.gz"), "vcf", &[]);
    let bcf = compress_c(d, &vcf_dir().join("party_c.bcf"), "bcf", &[]);
    let (bed, vcf, bcf) = (
        read_summary(&bed).unwrap(),
        read_summary(&vcf).unwrap(),
        read_summary(&bcf).unwrap(),
    );
    assert_eq!(bed.rows.len(), 1320);
    let e1 = assert_same_sums(&vcf, &bed, 1e-12);
    let e2 = assert_same_sums(&bcf, &bed, 1e-12);
    eprintln!("worst relative sum difference: vcf.gz {e1:e}, bcf {e2:e}");
    // Reading inline (one thread) or ahead on a thread of its own changes nothing.
    for (file, threaded) in [("party_c.vcf.gz", &vcf), ("party_c.bcf", &bcf)] {
        let inline = compress_c(d, &vcf_dir().join(file), "inline", &["--threads", "1"]);
        assert_same_sums(&read_summary(&inline).unwrap(), threaded, 0.0);
    }
    for (summary, format) in [(&vcf, "vcf"), (&bcf, "bcf")] {
        let source = &summary.header.components[0].source;
        assert_eq!(
            (source.format.as_str(), source.dosage_field.as_str()),
            (format, "GT")
        );
        assert_eq!(source.orientation, dash::summary::Orientation::Reference);
    }

    // Merged with parties a and b (from .bed): the same results whichever form c came in.
    let a = compress_party(d, "a");
    let b = compress_party(d, "b");
    let with = |c: &Path, name: &str| merge(d, &[&a, &b, c], name);
    let from_bed = with(&bed.path, "m_bed");
    let from_vcf = with(&vcf.path, "m_vcf");
    let from_bcf = with(&bcf.path, "m_bcf");
    assert_same_merge(&from_vcf, &from_bed, &["y1", "y2"]);
    assert_same_merge(&from_bcf, &from_bed, &["y1", "y2"]);
}

#[test]
fn plain_vcf_with_chr_names_equals_the_bed_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vcf = compress_c(d, &vcf_dir().join("party_c.chr1-2.vcf"), "plain", &[]);
    let bed = compress_c(d, &fixtures().join("party_c.bed"), "bed", &[]);
    let (vcf, bed) = (read_summary(&vcf).unwrap(), read_summary(&bed).unwrap());
    // chr1/chr2 in the VCF are 1/2 in the summary, and match the .bed's first 120 rows.
    assert_eq!(vcf.rows.len(), 120);
    assert_eq!(vcf.rows.variants[..], bed.rows.variants[..120]);
    let width = bed.rows.groups[0].width;
    for (gv, gb) in vcf.rows.groups.iter().zip(&bed.rows.groups) {
        let w = gb.width;
        assert!(worst(&gv.atx0, &gb.atx0[..120 * w], w, "Aᵀx0") <= 1e-12);
        assert!(worst(&gv.atu, &gb.atu[..120 * w], w, "Aᵀu") <= 1e-12);
        assert!(worst(&gv.x0x0, &gb.x0x0[..120], 1, "x0·x0") <= 1e-12);
    }
    assert!(width > 0);
}

/// One golden row: (n, eaf, beta, se, t, −log10 p, status).
type GoldenRow = HashMap<String, String>;

/// The DS oracle's rows keyed by `CHROM:POS:REF:ALT`.
fn ds_golden(phenotype: &str) -> Vec<(String, GoldenRow)> {
    let golden = Tsv::read(&vcf_dir().join("golden").join(format!("ds_{phenotype}.tsv")));
    golden
        .rows
        .iter()
        .map(|row| {
            let map: GoldenRow = golden.header.iter().cloned().zip(row.clone()).collect();
            let key = format!(
                "{}:{}:{}:{}",
                map["chrom"], map["pos"], map["ref"], map["alt"]
            );
            (key, map)
        })
        .collect()
}

/// dash's results (`tested`) and skipped list keyed by `CHROM:POS:REF:ALT`.
fn keyed_results(
    prefix: &str,
    phenotype: &str,
) -> (HashMap<String, GoldenRow>, HashMap<String, GoldenRow>) {
    let key_by = |tsv: &Tsv, chrom: &str, pos: &str| -> HashMap<String, GoldenRow> {
        tsv.rows
            .iter()
            .map(|row| {
                let map: GoldenRow = tsv.header.iter().cloned().zip(row.clone()).collect();
                let key = format!(
                    "{}:{}:{}:{}",
                    map[chrom], map[pos], map["other_allele"], map["effect_allele"]
                );
                (key, map)
            })
            .collect()
    };
    let tested = Tsv::read(format!("{prefix}.{phenotype}.tsv.gz").as_ref());
    let skipped = Tsv::read(format!("{prefix}.{phenotype}.skipped.tsv").as_ref());
    (
        key_by(&tested, "chromosome", "base_pair_location"),
        key_by(&skipped, "chromosome", "base_pair_location"),
    )
}

#[test]
fn ds_merge_equals_pooled_least_squares() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut summaries = Vec::new();
    for party in ["ds_a", "ds_b"] {
        // auto: the header declares DS, so DS is read.
        let out = compress_ds_party(d, party);
        let summary = read_summary(&out).unwrap();
        assert_eq!(summary.header.components[0].source.dosage_field, "DS");
        summaries.push(out);
    }
    let refs: Vec<&Path> = summaries.iter().map(PathBuf::as_path).collect();
    let prefix = merge(d, &refs, "ds");

    const TOLERANCE: f64 = 1e-9;
    for phenotype in ["y1", "y2"] {
        let (tested, skipped) = keyed_results(&prefix, phenotype);
        let mut worst = [0.0f64; 5];
        let mut count = 0;
        let mut ns = std::collections::BTreeSet::new();
        for (key, golden) in ds_golden(phenotype) {
            if golden["status"] != "ok" {
                let skip = skipped
                    .get(&key)
                    .unwrap_or_else(|| panic!("{phenotype} {key}: not in the skipped list"));
                assert_eq!(skip["reason"], golden["status"], "{phenotype} {key}");
                assert!(!tested.contains_key(&key), "{phenotype} {key}: tested");
                continue;
            }
            let ours = tested
                .get(&key)
                .unwrap_or_else(|| panic!("{phenotype} {key}: missing from the output"));
            assert_eq!(ours["n"], golden["n"], "{phenotype} {key}: n");
            ns.insert(golden["n"].clone());
            let pairs = GOLDEN_COLUMNS;
            for (k, (ours_name, golden_name)) in pairs.iter().enumerate() {
                let a: f64 = ours[*ours_name].parse().unwrap();
                let b: f64 = golden[*golden_name].parse().unwrap();
                let err = relative_error(a, b);
                assert!(
                    err <= TOLERANCE,
                    "{phenotype} {key} {ours_name}: dash {a} vs oracle {b} ({err:e})"
                );
                worst[k] = worst[k].max(err);
            }
            count += 1;
        }
        assert_eq!(
            count,
            tested.len(),
            "{phenotype}: dash tested extra variants"
        );
        // A variant only party ds_a has is tested on ds_a's samples alone.
        assert_eq!(
            ns.len(),
            2,
            "{phenotype}: expected two sample sizes, got {ns:?}"
        );
        eprintln!(
            "DS {phenotype}: {count} variants, worst relative error beta {:.1e}, se {:.1e}, t {:.1e}, -log10 p {:.1e}, eaf {:.1e}",
            worst[0], worst[1], worst[2], worst[3], worst[4]
        );
    }
}

#[test]
fn ds_from_bcf_is_the_float32_of_the_vcf_text() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v = vcf_dir();
    let run = |file: &str, extra: &[&str]| {
        let out = d.join(format!("{file}.parquet"));
        compress(
            &v.join(file),
            &v.join("ds_a.pheno"),
            &v.join("ds_a.covar"),
            "ds_a",
            &out,
            extra,
        );
        read_summary(&out).unwrap()
    };
    // BCF stores DS as float32: every dosage is the float32 rounding of the VCF text's value.
    let decode_all = |file: &str| {
        let mut reader = dash::genotype::open(&v.join(file), None, DosageField::Ds).expect("open");
        let mut block = GenotypeBlock::default();
        let (mut dosages, mut missing) = (Vec::new(), Vec::new());
        while reader.read_block(16, &mut block).unwrap() {
            dosages.extend_from_slice(&block.dosages);
            missing.extend(block.missing.iter().cloned());
        }
        (dosages, missing)
    };
    let (text, text_missing) = decode_all("ds_a.vcf.gz");
    let (binary, binary_missing) = decode_all("ds_a.bcf");
    assert_eq!(text_missing, binary_missing);
    assert_eq!(text.len(), binary.len());
    assert!(text.iter().any(|x| x.fract() != 0.0));
    for (t, b) in text.iter().zip(&binary) {
        assert_eq!(*b, f64::from(*t as f32));
    }
    // GT from the same files: exact.
    let text = run("ds_a.vcf.gz", &["--dosage-field", "GT"]);
    let binary = run("ds_a.bcf", &["--dosage-field", "GT"]);
    assert_same_sums(&binary, &text, 1e-12);
    assert_eq!(text.header.components[0].source.dosage_field, "GT");
}

#[test]
fn multiallelic_sites_equal_the_bcftools_split_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v = vcf_dir();
    for field in ["GT", "DS"] {
        let run = |file: &str| {
            let out = d.join(format!("{file}.{field}.parquet"));
            let stderr = compress(
                &v.join(file),
                &v.join("multi.pheno"),
                &v.join("multi.covar"),
                "multi",
                &out,
                &["--dosage-field", field],
            );
            (out, stderr)
        };
        let (whole, log) = run("multi.vcf");
        let (split, split_log) = run("multi.split.vcf");
        let (a, b) = (read_summary(&whole).unwrap(), read_summary(&split).unwrap());
        // 16 sites: 2 symbolic and 2 '*' alleles and one '.' site drop out, 24 tests remain.
        assert_eq!(a.rows.len(), 24);
        assert_same_sums(&a, &b, 0.0);
        for line in [
            "dash compress: 10 multi-allelic record(s) split into one test per ALT allele",
            "dash compress: skipped 2 symbolic and 2 '*' ALT alleles (not testable)",
            "dash compress: skipped 1 record(s) without an ALT allele ('.')",
        ] {
            assert!(log.contains(line), "{field}: log lacks '{line}':\n{log}");
        }
        assert!(split_log.contains("skipped 2 symbolic and 2 '*'"));
        // Blocks narrower than a record's ALT alleles: still the same sums.
        for block_size in ["1", "2", "5"] {
            let out = d.join(format!("blocks{block_size}.{field}.parquet"));
            compress(
                &v.join("multi.vcf"),
                &v.join("multi.pheno"),
                &v.join("multi.covar"),
                "multi",
                &out,
                &[
                    "--dosage-field",
                    field,
                    "--block-size",
                    block_size,
                    "--threads",
                    "1",
                ],
            );
            // (The GEMM's summation order depends on the block width: not bit-identical.)
            assert_same_sums(&read_summary(&out).unwrap(), &a, 1e-12);
        }
        let pa = merge(d, &[&whole], &format!("whole_{field}"));
        let pb = merge(d, &[&split], &format!("split_{field}"));
        assert_same_merge(&pa, &pb, &["y1"]);
    }
}

#[test]
fn haploid_and_partial_calls() {
    // multi.vcf chrX x1: males are haploid (0/1 dosage, not in hom/het counts); './1' is missing.
    let dir = tempfile::tempdir().unwrap();
    let v = vcf_dir();
    let out = dir.path().join("m.parquet");
    compress(
        &v.join("multi.vcf"),
        &v.join("multi.pheno"),
        &v.join("multi.covar"),
        "multi",
        &out,
        &["--dosage-field", "GT"],
    );
    let summary = read_summary(&out).unwrap();
    let text = fs::read_to_string(v.join("multi.vcf")).unwrap();
    for (row, variant) in summary.rows.variants.iter().enumerate() {
        let line = text
            .lines()
            .find(|l| l.split('\t').nth(2) == Some(variant.id.as_str()))
            .unwrap();
        let fields: Vec<&str> = line.split('\t').collect();
        let alts: Vec<&str> = fields[4].split(',').collect();
        let alt = alts.iter().position(|a| *a == variant.alt_allele).unwrap() as u32 + 1;
        // Count independently from the text.
        let (mut hom_ref, mut het, mut hom_alt, mut missing, mut sum) = (0, 0, 0, 0, 0u32);
        for sample in &fields[9..] {
            let gt = sample.split(':').next().unwrap();
            let alleles: Vec<&str> = gt.split(['/', '|']).collect();
            if alleles.contains(&".") {
                missing += 1;
                continue;
            }
            let count = alleles
                .iter()
                .filter(|a| a.parse::<u32>().unwrap() == alt)
                .count() as u32;
            // A haploid call counts as the homozygous one, as plink2 imports it.
            let count = if alleles.len() == 1 { 2 * count } else { count };
            sum += count;
            // Counted by ALT dosage; every sample of multi.vcf is contributed.
            match count {
                0 => hom_ref += 1,
                1 => het += 1,
                _ => hom_alt += 1,
            }
        }
        let qc = &summary.rows.qc[row];
        assert_eq!(
            (qc.hom_ref, qc.het, qc.hom_alt, qc.missing),
            (hom_ref, het, hom_alt, missing),
            "{} {}",
            variant.id,
            variant.alt_allele
        );
        assert_eq!(qc.dosage_sum, f64::from(sum), "{}", variant.id);
    }
}

/// Region shards of `genotypes` (in `regions`) together equal the whole file: the same rows and
/// sums, and merge(shards) = merge(whole).
fn assert_shards_add_up(genotypes: &Path, pheno: &Path, covar: &Path, regions: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let whole_path = d.join("whole.parquet");
    compress(genotypes, pheno, covar, "p", &whole_path, &[]);
    let whole = read_summary(&whole_path).unwrap();
    let mut shard_paths = Vec::new();
    let mut rows = 0;
    for (k, region) in regions.iter().enumerate() {
        let out = d.join(format!("shard{k}.parquet"));
        compress(genotypes, pheno, covar, "p", &out, &["--region", region]);
        let shard = read_summary(&out).unwrap();
        assert_eq!(
            shard.header.components[0].id, whole.header.components[0].id,
            "shards share the component"
        );
        // Every shard row is the whole file's row with the same sums.
        let index: HashMap<_, _> = whole
            .rows
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| ((v.chrom.clone(), v.pos, v.alt_allele.clone()), i))
            .collect();
        for (r, v) in shard.rows.variants.iter().enumerate() {
            let i = index[&(v.chrom.clone(), v.pos, v.alt_allele.clone())];
            assert_eq!(&whole.rows.variants[i], v);
            for (gs, gw) in shard.rows.groups.iter().zip(&whole.rows.groups) {
                assert_eq!(gs.atx0(r), gw.atx0(i));
                assert_eq!(gs.atu(r), gw.atu(i));
                assert_eq!(gs.x0x0[r], gw.x0x0[i]);
            }
        }
        rows += shard.rows.len();
        shard_paths.push(out);
    }
    assert_eq!(rows, whole.rows.len(), "shards miss or repeat rows");
    let refs: Vec<&Path> = shard_paths.iter().map(PathBuf::as_path).collect();
    let from_shards = merge(d, &refs, "shards");
    let from_whole = merge(d, &[&whole_path], "whole");
    assert_same_merge(&from_shards, &from_whole, &["y1", "y2"]);
}

/// chr1 in two halves (spelled `chr1`), then every other chromosome.
fn party_c_regions() -> Vec<String> {
    let mut regions = vec!["chr1:1-120000000".to_string(), "1:120000001-".to_string()];
    regions.extend((2..=22).map(|c| c.to_string()));
    regions
}

#[test]
fn region_shards_of_vcf_gz_through_tbi_add_up() {
    let regions = party_c_regions();
    let refs: Vec<&str> = regions.iter().map(String::as_str).collect();
    assert_shards_add_up(
        &vcf_dir().join("party_c.vcf.gz"),
        &fixtures().join("party_c.pheno"),
        &fixtures().join("party_c.covar"),
        &refs,
    );
}

#[test]
fn region_shards_of_bcf_through_csi_add_up() {
    let regions = party_c_regions();
    let refs: Vec<&str> = regions.iter().map(String::as_str).collect();
    assert_shards_add_up(
        &vcf_dir().join("party_c.bcf"),
        &fixtures().join("party_c.pheno"),
        &fixtures().join("party_c.covar"),
        &refs,
    );
}

#[test]
fn region_shards_of_vcf_gz_through_csi_add_up() {
    // ds_b.vcf.gz has a CSI index (bcftools index) rather than a .tbi.
    let v = vcf_dir();
    assert_shards_add_up(
        &v.join("ds_b.vcf.gz"),
        &v.join("ds_b.pheno"),
        &v.join("ds_b.covar"),
        &["1:1-50000", "1:50001-", "2", "3"],
    );
}

#[test]
fn region_on_a_bed_equals_the_vcf_region() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bed = compress_c(
        d,
        &fixtures().join("party_c.bed"),
        "bed",
        &["--region", "7:1-80000000"],
    );
    let bcf = compress_c(
        d,
        &vcf_dir().join("party_c.bcf"),
        "bcf",
        &["--region", "chr7:1-80000000"],
    );
    // The same query read inline (one thread), through the .tbi.
    let vcf = compress_c(
        d,
        &vcf_dir().join("party_c.vcf.gz"),
        "vcf",
        &["--region", "7:1-80000000", "--threads", "1"],
    );
    let (bed, bcf) = (read_summary(&bed).unwrap(), read_summary(&bcf).unwrap());
    assert!(!bed.rows.is_empty());
    assert_same_sums(&bcf, &bed, 1e-12);
    assert_same_sums(&read_summary(&vcf).unwrap(), &bed, 1e-12);
}

// ------------------------------------------------------------------------------ bad input

/// Runs `dash compress GENOTYPES` (with party_c's phenotypes) expecting one error line with
/// every needle, a non-zero exit and no output.
fn expect_compress_error(genotypes: &Path, extra: &[&str], needles: &[&str]) {
    let dir = genotypes.parent().unwrap();
    let out = dir.join("out.parquet");
    let pheno = fixtures().join("party_c.pheno");
    let mut args = vec![
        "compress",
        s(genotypes),
        "--pheno",
        s(&pheno),
        "--out",
        s(&out),
    ];
    args.extend(extra);
    expect_error(dir, &args, "out", needles);
}

/// Writes party_c.chr1-2.vcf into a temp dir with line `line_no` (1-based) rewritten.
fn edited_vcf(dir: &Path, name: &str, line_no: usize, edit: impl Fn(&str) -> String) -> PathBuf {
    let text = fs::read_to_string(vcf_dir().join("party_c.chr1-2.vcf")).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line_no {
                edit(l)
            } else {
                l.to_string()
            }
        })
        .collect();
    let path = dir.join(name);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The 1-based line number of the first record of party_c.chr1-2.vcf.
fn first_record_line() -> usize {
    let text = fs::read_to_string(vcf_dir().join("party_c.chr1-2.vcf")).unwrap();
    text.lines().position(|l| !l.starts_with('#')).unwrap() + 1
}

#[test]
fn bad_header_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_vcf(dir.path(), "bad.vcf", 3, |_| {
        "##FORMAT=<ID=GT,Number=1,Type=String".to_string()
    });
    expect_compress_error(&path, &[], &["bad.vcf", "line 3", "bad header"]);
}

#[test]
fn header_without_chrom_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nochrom.vcf");
    fs::write(
        &path,
        "##fileformat=VCFv4.2\n1\t100\t.\tA\tC\t.\t.\t.\tGT\t0/1\n",
    )
    .unwrap();
    expect_compress_error(&path, &[], &["nochrom.vcf", "line 2", "bad header"]);
}

#[test]
fn truncated_bgzf_block() {
    let dir = tempfile::tempdir().unwrap();
    for threads in ["1", "2"] {
        let bytes = fs::read(vcf_dir().join("party_c.vcf.gz")).unwrap();
        let path = dir.path().join("cut.vcf.gz");
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        expect_compress_error(
            &path,
            &["--threads", threads],
            &["cut.vcf.gz", "line ", "truncated"],
        );

        let bytes = fs::read(vcf_dir().join("party_c.bcf")).unwrap();
        let path = dir.path().join("cut.bcf");
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        expect_compress_error(
            &path,
            &["--threads", threads],
            &["cut.bcf", "record ", "truncated"],
        );
    }
}

#[test]
fn bgzf_cut_at_a_block_boundary() {
    // Dropping whole BGZF blocks at the end leaves a file that inflates cleanly; only the
    // missing end-of-file block tells.
    let dir = tempfile::tempdir().unwrap();
    let bytes = fs::read(vcf_dir().join("party_c.bcf")).unwrap();
    let mut at = 0;
    let mut starts = Vec::new();
    while at + 18 <= bytes.len() {
        starts.push(at);
        let bsize = u16::from_le_bytes([bytes[at + 16], bytes[at + 17]]) as usize;
        at += bsize + 1;
    }
    let cut = starts[starts.len() - 3]; // keep all but the last two blocks (data + EOF marker)
    let path = dir.path().join("blocks.bcf");
    fs::write(&path, &bytes[..cut]).unwrap();
    expect_compress_error(&path, &[], &["blocks.bcf", "truncated"]);
}

#[test]
fn wrong_number_of_sample_columns() {
    let dir = tempfile::tempdir().unwrap();
    let line = first_record_line() + 9;
    let path = edited_vcf(dir.path(), "cols.vcf", line, |l| {
        l.rsplit_once('\t').unwrap().0.to_string()
    });
    expect_compress_error(
        &path,
        &[],
        &[
            "cols.vcf",
            &format!("line {line} "),
            "301 sample columns",
            "302 samples",
        ],
    );
}

#[test]
fn unparsable_gt() {
    let dir = tempfile::tempdir().unwrap();
    let line = first_record_line() + 4;
    let path = edited_vcf(dir.path(), "gt.vcf", line, |l| {
        let mut fields: Vec<&str> = l.split('\t').collect();
        fields[9 + 5] = "0/x";
        fields.join("\t")
    });
    expect_compress_error(
        &path,
        &[],
        &[
            "gt.vcf",
            &format!("line {line} "),
            "sample 'C0006'",
            "GT '0/x'",
        ],
    );
}

#[test]
fn gt_allele_beyond_the_alt_alleles() {
    let dir = tempfile::tempdir().unwrap();
    let line = first_record_line();
    let path = edited_vcf(dir.path(), "allele.vcf", line, |l| {
        let mut fields: Vec<&str> = l.split('\t').collect();
        fields[9] = "0/2";
        fields.join("\t")
    });
    expect_compress_error(&path, &[], &["allele.vcf", "GT allele 2", "1 ALT"]);
}

/// multi.vcf with one DS value replaced.
fn multi_with_ds(dir: &Path, value: &str) -> PathBuf {
    let text = fs::read_to_string(vcf_dir().join("multi.vcf")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let index = lines.iter().position(|l| l.contains("\tm4\t")).unwrap();
    let mut fields: Vec<String> = lines[index].split('\t').map(str::to_string).collect();
    fields[9 + 2] = format!("0/1:{value}");
    lines[index] = fields.join("\t");
    let path = dir.join("ds.vcf");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn ds_out_of_range_or_not_finite() {
    for (value, needle) in [
        ("2.5", "DS value 2.5 is outside [0, 2]"),
        ("-0.25", "DS value -0.25 is outside [0, 2]"),
        ("nan", "DS value NaN is outside [0, 2]"),
        ("inf", "DS value inf is outside [0, 2]"),
        ("abc", "DS value 'abc' is not a number"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = multi_with_ds(dir.path(), value);
        let pheno = vcf_dir().join("multi.pheno");
        let out = dir.path().join("out.parquet");
        let output = dash(&[
            "compress",
            s(&path),
            "--pheno",
            s(&pheno),
            "--dosage-field",
            "DS",
            "--out",
            s(&out),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("dash: error"))
            .collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        for needle in ["ds.vcf", "(4:54222)", "sample 'M003'", needle] {
            assert!(
                errors[0].contains(needle),
                "lacks '{needle}': {}",
                errors[0]
            );
        }
        assert!(files_starting_with(dir.path(), "out").is_empty());
    }
}

#[test]
fn region_needs_an_index() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["party_c.vcf.gz", "party_c.bcf"] {
        let path = dir.path().join(name);
        fs::copy(vcf_dir().join(name), &path).unwrap();
        expect_compress_error(&path, &["--region", "1"], &[name, "bcftools index"]);
    }
    let plain = dir.path().join("plain.vcf");
    fs::copy(vcf_dir().join("party_c.chr1-2.vcf"), &plain).unwrap();
    expect_compress_error(&plain, &["--region", "1"], &["plain.vcf", "bgzip"]);
}

#[test]
fn ds_requested_but_not_declared() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gt_only.vcf.gz");
    fs::copy(vcf_dir().join("party_c.vcf.gz"), &path).unwrap();
    expect_compress_error(
        &path,
        &["--dosage-field", "DS"],
        &["gt_only.vcf.gz", "header", "no FORMAT/DS"],
    );
}

#[test]
fn record_without_the_dosage_field_has_every_call_missing() {
    let dir = tempfile::tempdir().unwrap();
    let v = vcf_dir();
    let text = fs::read_to_string(v.join("multi.vcf")).unwrap();
    // m1 keeps neither DS nor GT (FORMAT FT): with --dosage-field DS all its calls are missing.
    // m4 keeps GT only: read as its hard calls, as plink2 2.00a3.5 `dosage=DS` imports it
    // (genotype::missing_ds), counted here from the GT text.
    let mut gt_dosage_sum = 0.0;
    let mut gt_missing = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let keep_gt = match (l.contains("\tm4\t"), l.contains("\tm1\t")) {
                (true, _) => true,
                (false, true) => false,
                (false, false) => return l.to_string(),
            };
            let fields: Vec<String> = l
                .split('\t')
                .enumerate()
                .map(|(i, f)| match i {
                    8 if keep_gt => "GT".to_string(),
                    8 => "FT".to_string(),
                    i if i > 8 && keep_gt => {
                        let gt = f.split(':').next().unwrap();
                        match gt.contains('.') {
                            true => gt_missing += 1,
                            false => gt_dosage_sum += gt.matches('1').count() as f64,
                        }
                        gt.to_string()
                    }
                    i if i > 8 => "PASS".to_string(),
                    _ => f.to_string(),
                })
                .collect();
            fields.join("\t")
        })
        .collect();
    let path = dir.path().join("no_ds.vcf");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out.parquet");
    let log = compress(
        &path,
        &v.join("multi.pheno"),
        &v.join("multi.covar"),
        "multi",
        &out,
        &["--dosage-field", "DS"],
    );
    assert!(
        log.contains("dash compress: 1 record(s) without FORMAT/DS: all their calls are missing"),
        "{log}"
    );
    let summary = read_summary(&out).unwrap();
    let row = |id: &str| {
        summary
            .rows
            .variants
            .iter()
            .position(|v| v.id == id)
            .unwrap()
    };
    assert_eq!(summary.rows.qc[row("m1")].missing, 150);
    assert_eq!(summary.rows.qc[row("m1")].dosage_sum, 0.0);
    assert_eq!(summary.rows.qc[row("m4")].missing, gt_missing);
    assert_eq!(summary.rows.qc[row("m4")].dosage_sum, gt_dosage_sum);
    assert!(gt_dosage_sum > 0.0);
}

#[test]
fn bcf_named_as_a_vcf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("really_a_bcf.vcf.gz");
    fs::copy(vcf_dir().join("party_c.bcf"), &path).unwrap();
    expect_compress_error(&path, &[], &["really_a_bcf.vcf.gz", "BCF file"]);
}
