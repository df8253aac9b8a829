//! The streaming merge (issue 12): summaries sorted at compress, merged a window at a time.
//!
//! Oracle for "same result as before": `fixtures/consortium/golden/in_memory/`, the GWAS-SSF
//! files (BGZF bytes) and skipped lists that the in-memory merge (dash before issue 12) wrote
//! for the consortium fixtures — shards, flips, absent variants, an incremental merge, model
//! options — made by `fixtures/make_in_memory_golden.sh`. The streaming merge must write the
//! same bytes (since issue 15 added the `source_id` column: the same text in every other column),
//! with the default windows, with windows of a few rows (which cut every chromosome into many
//! windows), and split into segments merged side by side (the summaries rewritten with row groups
//! of a few rows, so that every chromosome is cut into many segments).

use std::fs;
use std::path::{Path, PathBuf};

use dash::summary::{read_summary, Rows};

use crate::common::*;

fn consortium() -> PathBuf {
    fixtures().join("consortium")
}

fn golden(name: &str) -> PathBuf {
    consortium().join("golden").join("in_memory").join(name)
}

/// Compresses `genotypes` of fixture party `party` into `dir/name.parquet`.
fn compress(dir: &Path, name: &str, genotypes: &Path, party: &str, extra: &[&str]) -> PathBuf {
    let f = fixtures();
    let out = dir.join(format!("{name}.parquet"));
    compress_to(
        genotypes,
        &f.join(format!("party_{party}.pheno")),
        &f.join(format!("party_{party}.covar")),
        party,
        &out,
        extra,
    );
    out
}

/// The middle position of chromosome 2 in party b's VCF, where the golden script cuts a shard.
fn middle_of_chromosome_2() -> u64 {
    let mut reader =
        noodles_bgzf::io::Reader::new(fs::File::open(consortium().join("party_b.vcf.gz")).unwrap());
    let mut text = String::new();
    std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
    let positions: Vec<u64> = text
        .lines()
        .filter(|l| l.starts_with("2\t"))
        .map(|l| l.split('\t').nth(1).unwrap().parse().unwrap())
        .collect();
    positions[positions.len() / 2]
}

/// Summaries under their names.
type Named = [(&'static str, PathBuf)];

/// Every summary the golden script makes, under the same names.
fn summaries(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let c = consortium();
    let b = c.join("party_b.vcf.gz");
    let mid = middle_of_chromosome_2();
    let (first, second) = (format!("2:1-{mid}"), format!("2:{}-", mid + 1));
    vec![
        (
            "a",
            compress(dir, "a", &c.join("party_a_swapped.bed"), "a", &[]),
        ),
        ("b", compress(dir, "b", &b, "b", &[])),
        (
            "c",
            compress(dir, "c", &c.join("party_c_subset.bed"), "c", &[]),
        ),
        ("b1", compress(dir, "b1", &b, "b", &["--region", "1"])),
        ("b2a", compress(dir, "b2a", &b, "b", &["--region", &first])),
        ("b2b", compress(dir, "b2b", &b, "b", &["--region", &second])),
    ]
}

/// The merges of the golden script: (config, summaries, extra arguments).
const MERGES: [(&str, &[&str], &[&str]); 5] = [
    ("all", &["a", "b", "c"], &[]),
    ("shards", &["a", "c", "b1", "b2a", "b2b"], &[]),
    ("incremental", &["ab", "c"], &[]),
    (
        "options",
        &["a", "b", "c"],
        &["--pheno", "y1", "--covar", "age,sex", "--min-parties", "2"],
    ),
    ("per_party", &["a", "b", "c"], &["--per-party-intercept"]),
];

#[test]
fn streaming_merge_writes_the_in_memory_merges_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut files = summaries(d);
    let path = |files: &[(&str, PathBuf)], name: &str| {
        files.iter().find(|(n, _)| *n == name).unwrap().1.clone()
    };
    let ab = d.join("ab.parquet");
    let (a, b) = (path(&files, "a"), path(&files, "b"));
    let summary_out = ["--summary-out", ab.to_str().unwrap()];
    merge_to(&[&a, &b], &d.join("ab"), &summary_out);
    files.push(("ab", ab));

    // The same summaries with row groups of 4 rows: merged in segments of about 5 rows.
    let small = d.join("small_row_groups");
    fs::create_dir(&small).unwrap();
    let small_files: Vec<(&str, PathBuf)> = files
        .iter()
        .map(|(name, file)| (*name, with_row_groups_of_4(file, &small.join(name))))
        .collect();

    let mut compared = 0;
    let ways: [(&str, &Named, &[&str]); 3] = [
        ("default", &files, &[]),
        ("windows", &files, &["--window-rows", "7"]),
        (
            "segments",
            &small_files,
            &["--segment-rows", "5", "--window-rows", "3"],
        ),
    ];
    for (window, files, way) in ways {
        for (config, inputs, extra) in MERGES {
            let inputs: Vec<PathBuf> = inputs.iter().map(|n| path(files, n)).collect();
            let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
            let mut args = extra.to_vec();
            args.extend(way);
            let prefix = merge_to(&inputs, &d.join(format!("{config}.{window}")), &args);
            if window == "segments" {
                let log = fs::read_to_string(format!("{prefix}.log")).unwrap();
                assert!(log.contains("split into"), "{config}: not split: {log}");
            }
            for phenotype in ["y1", "y2"] {
                let tsv = golden(&format!("{config}.{phenotype}.tsv.gz"));
                if !tsv.exists() {
                    continue;
                }
                // The goldens predate the `source_id` column (issue 15): every other column,
                // value for value.
                let mut got = Tsv::read(format!("{prefix}.{phenotype}.tsv.gz").as_ref());
                assert_eq!(got.header.pop().as_deref(), Some("source_id"));
                got.rows.iter_mut().for_each(|r| {
                    r.pop();
                });
                let want = Tsv::read(&tsv);
                assert!(
                    (got.header == want.header) && (got.rows == want.rows),
                    "{config} {phenotype} ({window}): GWAS-SSF differs from the in-memory merge's"
                );
                let skipped = golden(&format!("{config}.{phenotype}.skipped.tsv"));
                assert_eq!(
                    fs::read_to_string(format!("{prefix}.{phenotype}.skipped.tsv")).unwrap(),
                    fs::read_to_string(&skipped).unwrap(),
                    "{config} {phenotype} ({window}): skipped list"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 3 * 9);
}

/// The log accounts for every variant: read per input, and tested or skipped per phenotype.
#[test]
fn every_variant_is_accounted_for_with_small_windows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = summaries(d);
    let inputs: Vec<&Path> = files[..3].iter().map(|(_, p)| p.as_path()).collect();
    let prefix = merge_to(&inputs, &d.join("w"), &["--window-rows", "3"]);
    let log = fs::read_to_string(format!("{prefix}.log")).unwrap();
    let sites: usize = log
        .lines()
        .find_map(|l| l.strip_suffix(" distinct variants across 3 parties"))
        .unwrap_or_else(|| panic!("{log}"))
        .parse()
        .unwrap();
    for phenotype in ["y1", "y2"] {
        let tested = Tsv::read(format!("{prefix}.{phenotype}.tsv.gz").as_ref())
            .rows
            .len();
        let skipped = Tsv::read(format!("{prefix}.{phenotype}.skipped.tsv").as_ref())
            .rows
            .len();
        assert_eq!(tested + skipped, sites, "{phenotype}");
    }
    for (name, path) in &files[..3] {
        let rows = read_summary(path).unwrap().rows.len();
        assert!(
            log.contains(&format!("{}: {rows} variants", path.display())),
            "{name}: {log}"
        );
    }
}

/// Rows of two summaries are the same, sums exactly.
fn assert_same_rows(a: &Rows, b: &Rows) {
    assert_eq!(a.variants, b.variants);
    assert_eq!(a.components, b.components);
    assert_eq!(a.qc, b.qc);
    assert_eq!(a.groups, b.groups);
}

/// Writes a copy of PLINK 1 fileset `from` (prefix) at `to` (prefix) with its variants in the
/// order `order` (indices into the .bim): the .bed's variant blocks moved alike.
fn permute_bed(from: &Path, to: &Path, order: &[usize]) {
    let with = |p: &Path, ext: &str| p.with_extension(ext);
    let fam = fs::read_to_string(with(from, "fam")).unwrap();
    let samples = fam.lines().filter(|l| !l.trim().is_empty()).count();
    let block = samples.div_ceil(4);
    let bim: Vec<String> = fs::read_to_string(with(from, "bim"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let bed = fs::read(with(from, "bed")).unwrap();
    assert_eq!(bed.len(), 3 + block * bim.len());
    let mut out_bed = bed[..3].to_vec();
    let mut out_bim = String::new();
    for &i in order {
        out_bed.extend_from_slice(&bed[3 + i * block..3 + (i + 1) * block]);
        out_bim.push_str(&bim[i]);
        out_bim.push('\n');
    }
    fs::write(with(to, "bed"), out_bed).unwrap();
    fs::write(with(to, "bim"), out_bim).unwrap();
    fs::write(with(to, "fam"), fam).unwrap();
}

/// A .bim in no order at all (a fixed pseudo-random shuffle) gives the summary of the sorted one.
#[test]
fn an_unsorted_bim_gives_the_sorted_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let original = consortium().join("party_a_swapped.bed");
    let variants = fs::read_to_string(original.with_extension("bim"))
        .unwrap()
        .lines()
        .count();
    // A fixed permutation: multiply by a number coprime with the count, modulo the count.
    let step = (7919..).find(|s| gcd(*s, variants) == 1).unwrap();
    let order: Vec<usize> = (0..variants).map(|i| i * step % variants).collect();
    let shuffled = d.join("shuffled.bed");
    permute_bed(&original, &shuffled, &order);
    let sorted = compress(d, "sorted", &original, "a", &[]);
    let unsorted = compress(d, "unsorted", &shuffled, "a", &[]);
    let (a, b) = (
        read_summary(&sorted).unwrap(),
        read_summary(&unsorted).unwrap(),
    );
    assert_same_rows(&a.rows, &b.rows);
    assert_eq!(a.header.row_order, Some(dash::summary::RowOrder::Genomic));
    assert_eq!(b.header.row_order, Some(dash::summary::RowOrder::Genomic));
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A VCF whose contigs come in another order than the chromosome order (10 … 22, then 1 … 9:
/// `chr1, chr10, chr2` sorting) gives the summary of the one in chromosome order.
#[test]
fn a_vcf_with_contigs_out_of_chromosome_order_gives_the_sorted_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut reader =
        noodles_bgzf::io::Reader::new(fs::File::open(consortium().join("party_b.vcf.gz")).unwrap());
    let mut text = String::new();
    std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
    let rank = |chrom: &str| {
        let n: u32 = chrom.parse().unwrap();
        if n >= 10 {
            n - 10
        } else {
            n + 100
        }
    };
    let (mut contigs, mut header, mut records) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("##contig=<ID=") {
            contigs.push((rank(id.split([',', '>']).next().unwrap()), line));
        } else if line.starts_with('#') {
            header.push(line);
        } else {
            records.push((rank(line.split('\t').next().unwrap()), line));
        }
    }
    contigs.sort_by_key(|(r, _)| *r);
    records.sort_by_key(|(r, _)| *r); // stable: positions stay sorted within a contig
    let column_line = header.pop().unwrap();
    let mut out: Vec<&str> = header;
    out.extend(contigs.iter().map(|(_, l)| *l));
    out.push(column_line);
    out.extend(records.iter().map(|(_, l)| *l));
    let reordered = d.join("reordered.vcf");
    fs::write(&reordered, out.join("\n") + "\n").unwrap();
    let first = records[0].1.split('\t').next().unwrap();
    assert_eq!(first, "10", "the records start with chromosome 10");

    let sorted = compress(d, "sorted", &consortium().join("party_b.vcf.gz"), "b", &[]);
    let unsorted = compress(d, "unsorted", &reordered, "b", &[]);
    let (a, b) = (
        read_summary(&sorted).unwrap(),
        read_summary(&unsorted).unwrap(),
    );
    assert_same_rows(&a.rows, &b.rows);
}

/// `--region` merges only the variants in it: the lines of the whole merge in the region.
#[test]
fn region_merges_the_lines_of_the_whole_merge_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = summaries(d);
    let inputs: Vec<&Path> = files[..3].iter().map(|(_, p)| p.as_path()).collect();
    let whole = merge_to(&inputs, &d.join("whole"), &[]);
    let lines = |prefix: &str| Tsv::read(format!("{prefix}.y1.tsv.gz").as_ref()).rows;
    let all = lines(&whole);
    let mid = middle_of_chromosome_2();
    for (region, keep) in [
        (
            "2".to_string(),
            Box::new(|_: u64| true) as Box<dyn Fn(u64) -> bool>,
        ),
        (format!("chr2:{mid}-"), Box::new(move |pos: u64| pos >= mid)),
        ("22:1-1".to_string(), Box::new(|pos: u64| pos <= 1)),
    ] {
        let total = d.join(format!("region{}.parquet", region.len()));
        let prefix = merge_to(
            &inputs,
            &d.join(format!("region{}", region.len())),
            &[
                "--region",
                &region,
                "--summary-out",
                total.to_str().unwrap(),
            ],
        );
        // The merged summary of a region records it, as a shard does.
        let header = read_summary(&total).unwrap().header;
        assert!(
            header.region.is_some_and(|r| r.starts_with(['2'])),
            "{region}"
        );
        let want: Vec<Vec<String>> = all
            .iter()
            .filter(|row| {
                let chrom_wanted = if region.starts_with("22") { "22" } else { "2" };
                row[0] == chrom_wanted && keep(row[1].parse().unwrap())
            })
            .cloned()
            .collect();
        assert_eq!(lines(&prefix), want, "--region {region}");
    }
}

/// A bad row far into a party's file stops the merge: the error names the file, the row and the
/// variant, and no output is left, though earlier windows were already written — in one stream
/// of windows, and split into segments (the file written with row groups of 4 rows).
#[test]
fn a_bad_row_late_in_a_file_leaves_no_partial_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = summaries(d);
    let c = &files[2].1;
    let mut summary = read_summary(c).unwrap();
    let last = summary.rows.len() - 1;
    let width = summary.rows.groups[0].width;
    summary.rows.groups[0].atu[last * width] = -1.0;
    let v = summary.rows.variants[last].clone();
    let bad = d.join("bad.parquet");
    let mut writer =
        dash::summary::SummaryWriter::create_with_row_groups(&bad, &summary.header, 4).unwrap();
    writer.write(&summary.rows).unwrap();
    writer.finish().unwrap();

    for (k, way) in [["--window-rows", "16"], ["--segment-rows", "5"]]
        .iter()
        .enumerate()
    {
        refused_with_nothing_left(d, &files, &bad, last, &v, way, k);
    }
}

/// Merges fixture summaries a and b with `bad` (whose row `last` is bad) the `way` given; checks
/// the error and that nothing is left in the output directory.
fn refused_with_nothing_left(
    d: &Path,
    files: &[(&str, PathBuf)],
    bad: &Path,
    last: usize,
    v: &dash::summary::Variant,
    way: &[&str],
    k: usize,
) {
    let out_dir = d.join(format!("out{k}"));
    fs::create_dir(&out_dir).unwrap();
    let prefix = out_dir.join("gwas");
    let summary_out = out_dir.join("merged.parquet");
    let out = dash(&[
        "merge",
        files[0].1.to_str().unwrap(),
        files[1].1.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
        "--summary-out",
        summary_out.to_str().unwrap(),
        way[0],
        way[1],
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for want in [
        "bad.parquet".to_string(),
        format!("row {}", last + 1),
        format!("variant {}:{}", v.chrom, v.pos),
        "missing-call count -1".to_string(),
    ] {
        assert!(stderr.contains(&want), "{want} not in: {stderr}");
    }
    let left: Vec<_> = fs::read_dir(&out_dir).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// The summary `file` rewritten at `to` (`.parquet` added) with row groups of 4 rows, so that a
/// merge of it can be split into many segments.
fn with_row_groups_of_4(file: &Path, to: &Path) -> PathBuf {
    let summary = read_summary(file).unwrap();
    let out = to.with_extension("parquet");
    let mut writer =
        dash::summary::SummaryWriter::create_with_row_groups(&out, &summary.header, 4).unwrap();
    writer.write(&summary.rows).unwrap();
    writer.finish().unwrap();
    out
}

/// The summaries of fixture parties a, b and c with row groups of 4 rows.
fn with_small_row_groups(dir: &Path) -> Vec<PathBuf> {
    summaries(dir)[..3]
        .iter()
        .map(|(name, file)| with_row_groups_of_4(file, &dir.join(format!("{name}_small"))))
        .collect()
}

/// A file's bytes (inflated when BGZF).
fn bytes_of(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(
            &mut noodles_bgzf::io::Reader::new(&bytes[..]),
            &mut inflated,
        )
        .unwrap();
        return inflated;
    }
    bytes
}

/// A merge split into many segments writes every file as the merge of one stream of windows
/// does: the GWAS-SSF rows, skipped lists, loci, phenotype table, covariate models, allele
/// check (with outliers), per-party filter list, the report's plots, metadata (but the MD5 of
/// the differently cut BGZF blocks) and the merged summary's rows.
#[test]
fn a_merge_in_segments_writes_the_files_of_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inputs = with_small_row_groups(d);
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let run = |name: &str, way: &[&str]| {
        let out = d.join(name);
        fs::create_dir(&out).unwrap();
        let summary_out = out.join("merged.parquet");
        let mut args = vec![
            "--party-maf",
            "0.2",
            "--af-diff",
            "0.05",
            "--summary-out",
            summary_out.to_str().unwrap(),
        ];
        args.extend(way);
        merge_to(&inputs, &out.join("m"), &args);
        out
    };
    let one = run("one", &["--segment-rows", "1000000"]);
    let split = run("split", &["--segment-rows", "5", "--window-rows", "2"]);
    let log = |dir: &Path| fs::read_to_string(dir.join("m.log")).unwrap();
    assert!(!log(&one).contains("split into"), "{}", log(&one));
    assert!(log(&split).contains("split into"), "{}", log(&split));

    let mut names: Vec<String> = fs::read_dir(&one)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The report page embeds the log, which tells how the merge was split; its plots are
        // compared.
        .filter(|n| !n.ends_with(".log") && !n.ends_with(".parquet") && !n.ends_with(".html"))
        .collect();
    names.sort();
    let png = names.iter().filter(|n| n.ends_with(".png")).count();
    assert!(png >= 2, "no plots to compare: {names:?}");
    for want in [
        "m.party_filtered.tsv",
        "m.af_outliers.tsv",
        "m.y1.tsv.gz",
        "m.y1.loci.tsv",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
    let lines = |name: &str| bytes_of(&one.join(name)).split(|&b| b == b'\n').count();
    assert!(lines("m.af_outliers.tsv") > 2, "no outliers to compare");
    assert!(
        lines("m.party_filtered.tsv") > 2,
        "no party left out to compare"
    );
    for name in &names {
        let (a, b) = (bytes_of(&one.join(name)), bytes_of(&split.join(name)));
        if name.ends_with("-meta.yaml") {
            // The BGZF blocks are cut elsewhere: the file's MD5 differs, nothing else.
            let without_md5 = |t: &[u8]| {
                let t = String::from_utf8_lossy(t).into_owned();
                t.lines()
                    .filter(|l| !l.contains("md5"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(without_md5(&a), without_md5(&b), "{name}");
        } else {
            assert!(a == b, "{name} differs");
        }
    }
    let merged = |dir: &Path| read_summary(&dir.join("merged.parquet")).unwrap();
    assert_same_rows(&merged(&one).rows, &merged(&split).rows);
}
