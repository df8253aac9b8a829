//! The genotype readers on the files the world writes, and on damaged ones.
//!
//! * BGZF blocks are checked (CRC32, ISIZE), also when stored uncompressed;
//! * every VCF record is validated whatever its FORMAT; a cut last line is refused;
//! * a corrupt BCF record length is refused before it is allocated;
//! * a duplicated variant is dropped at compress (and listed), so merge never fails on it;
//! * a `.fam` short of samples is caught through the `.bed` padding bits;
//! * headers and records htslib reads are read (lenient header, trailing tabs, triploid calls,
//!   contigs with `:` in `--region`).
//!
//! The small VCFs are written by the tests; the indexed one is in fixtures/vcf/world/.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::common::*;
use dash::genotype::{DosageField, QcCounts, Region, Variant};

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Everything a reader yields: variants, dosage columns, QC counts, and its notes.
#[derive(Debug, PartialEq)]
struct ReadOut {
    variants: Vec<Variant>,
    dosages: Vec<Vec<f64>>,
    missing: Vec<Vec<u32>>,
    qc: Vec<QcCounts>,
    notes: Vec<String>,
}

fn read_all(path: &Path, region: Option<&str>) -> Result<ReadOut, String> {
    let all = decode_all(path, region, DosageField::Auto)?;
    Ok(ReadOut {
        variants: all.variants,
        dosages: all.dosages,
        missing: all.missing,
        qc: all.qc,
        notes: all.notes,
    })
}

/// The first `n` sample IDs of party_c (so party_c.pheno covers them).
fn sample_ids(n: usize) -> Vec<String> {
    fs::read_to_string(fixtures().join("party_c.fam"))
        .unwrap()
        .lines()
        .take(n)
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect()
}

const N: usize = 8;

/// The records of the small test VCF: 1:100 … 1:1000, GT:GQ, genotypes from a fixed pattern.
fn records() -> Vec<String> {
    let calls = ["0/0", "0/1", "1/1", "0|1", "./.", "1|0", "0/0", "1/1"];
    (0..10)
        .map(|k| {
            let samples: Vec<String> = (0..N)
                .map(|i| format!("{}:{}", calls[(i * 3 + k) % calls.len()], 10 + i))
                .collect();
            format!(
                "1\t{}\trs{k}\tA\t{}\t.\tPASS\tDP={}\tGT:GQ\t{}",
                100 * (k + 1),
                ["C", "G", "T"][k % 3],
                20 + k,
                samples.join("\t")
            )
        })
        .collect()
}

fn header_lines() -> Vec<String> {
    let mut lines: Vec<String> = [
        "##fileformat=VCFv4.2",
        "##FILTER=<ID=PASS,Description=\"All filters passed\">",
        "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">",
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">",
        "##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype quality\">",
        "##contig=<ID=1>",
    ]
    .map(String::from)
    .to_vec();
    lines.push(format!(
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}",
        sample_ids(N).join("\t")
    ));
    lines
}

fn write_vcf(dir: &Path, name: &str, header: &[String], records: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut text = header.join("\n") + "\n";
    for r in records {
        text.push_str(r);
        text.push('\n');
    }
    fs::write(&path, text).unwrap();
    path
}

/// Runs `dash compress FILE --pheno party_c.pheno --out DIR/out.parquet`, expecting one error
/// line holding every needle, a non-zero exit and no output.
fn expect_refused(genotypes: &Path, needles: &[&str]) {
    let dir = genotypes.parent().unwrap();
    let out = dir.join("out.parquet");
    let pheno = fixtures().join("party_c.pheno");
    let args = [
        "compress",
        s(genotypes),
        "--pheno",
        s(&pheno),
        "--min-cell",
        "1",
        "--out",
        s(&out),
    ];
    expect_error(dir, &args, "out", needles);
}

/// Compresses with party_c's phenotypes; returns stderr (the log lines).
fn compress_ok(genotypes: &Path, out: &Path) -> String {
    let pheno = fixtures().join("party_c.pheno");
    let output = dash_ok(&[
        "compress",
        s(genotypes),
        "--pheno",
        s(&pheno),
        "--min-cell",
        "1",
        "--out",
        s(out),
    ]);
    String::from_utf8_lossy(&output.stderr).into_owned()
}

// ------------------------------------------------------------------------------ BGZF

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// BGZF with stored (uncompressed) deflate blocks. The CRC32 and ISIZE are of the original
/// data; then `flip` (an offset into `data`) is changed in the output, or `isize_delta` added to
/// the first block's ISIZE.
fn bgzf_stored(data: &[u8], flip: Option<usize>, isize_delta: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, chunk) in data.chunks(60_000).enumerate() {
        let len = chunk.len() as u16;
        let bsize = (18 + 5 + chunk.len() + 8 - 1) as u16;
        out.extend_from_slice(&[
            0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, b'B', b'C', 2, 0,
        ]);
        out.extend_from_slice(&bsize.to_le_bytes());
        out.push(1); // BFINAL, stored
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        let at = out.len();
        out.extend_from_slice(chunk);
        if let Some(f) = flip {
            if (k * 60_000..k * 60_000 + chunk.len()).contains(&f) {
                out[at + f - k * 60_000] ^= 0x01;
            }
        }
        out.extend_from_slice(&crc32(chunk).to_le_bytes());
        let isize = chunk.len() as u32 + if k == 0 { isize_delta } else { 0 };
        out.extend_from_slice(&isize.to_le_bytes());
    }
    out.extend_from_slice(&BGZF_EOF);
    out
}

fn inflate(path: &Path) -> Vec<u8> {
    let mut data = Vec::new();
    noodles_bgzf::io::Reader::new(fs::File::open(path).unwrap())
        .read_to_end(&mut data)
        .unwrap();
    data
}

#[test]
fn bgzf_stored_blocks_are_checksummed() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = fixtures().join("vcf/party_c.vcf.gz");
    let text = inflate(&vcf);
    // A genotype byte of the first record: its first sample's first allele ('0' ↔ '1').
    let first = text
        .windows(3)
        .position(|w| w == b"\n1\t")
        .expect("a record on chromosome 1")
        + 1;
    let line_end = first + text[first..].iter().position(|&b| b == b'\n').unwrap();
    let tab9 = first
        + text[first..line_end]
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\t')
            .nth(8)
            .unwrap()
            .0;
    let genotype = tab9
        + 1
        + text[tab9 + 1..]
            .iter()
            .position(|&b| b == b'0' || b == b'1')
            .unwrap();

    let intact = dir.path().join("stored.vcf.gz");
    fs::write(&intact, bgzf_stored(&text, None, 0)).unwrap();
    assert_eq!(
        read_all(&intact, None).unwrap(),
        read_all(&vcf, None).unwrap(),
        "stored blocks read as the compressed file"
    );

    let flipped = dir.path().join("flipped.vcf.gz");
    fs::write(&flipped, bgzf_stored(&text, Some(genotype), 0)).unwrap();
    expect_refused(&flipped, &["flipped.vcf.gz", "checksum", "byte offset 0"]);

    // A byte of the eleventh block (each stored block is 18 + 5 + 60,000 + 8 bytes): the
    // error names that block's offset and the line being read; the lines before were read.
    let later = dir.path().join("later.vcf.gz");
    fs::write(&later, bgzf_stored(&text, Some(10 * 60_000 + 123), 0)).unwrap();
    let line = text[..10 * 60_000 + 123]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    expect_refused(
        &later,
        &[
            "later.vcf.gz",
            &format!("line {line}"),
            &format!(
                "BGZF block at byte offset {}: CRC32 checksum mismatch",
                10 * 60_031
            ),
        ],
    );

    let isize = dir.path().join("isize.vcf.gz");
    fs::write(&isize, bgzf_stored(&text, None, 1)).unwrap();
    expect_refused(
        &isize,
        &[
            "isize.vcf.gz",
            "BGZF block at byte offset 0",
            "ISIZE says 60001",
        ],
    );

    // BCF: the last byte is the last sample's GT of the last record.
    let bcf = fixtures().join("vcf/party_c.bcf");
    let data = inflate(&bcf);
    let flipped = dir.path().join("flipped.bcf");
    fs::write(&flipped, bgzf_stored(&data, Some(data.len() - 1), 0)).unwrap();
    expect_refused(&flipped, &["flipped.bcf", "checksum"]);
    let intact = dir.path().join("stored.bcf");
    fs::write(&intact, bgzf_stored(&data, None, 0)).unwrap();
    assert_eq!(
        read_all(&intact, None).unwrap(),
        read_all(&bcf, None).unwrap()
    );
}

/// `data` compressed by noodles' BGZF writer, one block per `chunk` bytes (the EOF block last).
fn bgzf_chunked(data: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    use std::io::Write;
    data.chunks(chunk)
        .map(|c| {
            let mut writer = noodles_bgzf::io::Writer::new(Vec::new());
            writer.write_all(c).unwrap();
            let mut block = writer.finish().unwrap();
            block.truncate(block.len() - BGZF_EOF.len());
            block
        })
        .collect()
}

#[test]
fn bgzf_deflate_block_with_a_wrong_crc_is_refused_naming_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["party_c.vcf.gz", "party_c.bcf"] {
        let data = inflate(&fixtures().join("vcf").join(name));
        let chunk = 20_000;
        let blocks = bgzf_chunked(&data, chunk);
        // Change one byte of block 5 and deflate it again: the block inflates cleanly, to the
        // right size, but its CRC32 is the original's.
        let mut changed = data.clone();
        changed[5 * chunk + 77] ^= 0x01;
        let mut damaged = bgzf_chunked(&changed, chunk)[5].clone();
        let n = damaged.len();
        damaged[n - 8..n - 4].copy_from_slice(&blocks[5][blocks[5].len() - 8..][..4]);
        let offset: usize = blocks[..5].iter().map(Vec::len).sum();

        let mut file: Vec<u8> = blocks[..5].concat();
        file.extend_from_slice(&damaged);
        file.extend(blocks[6..].concat());
        file.extend_from_slice(&BGZF_EOF);
        let path = dir.path().join(format!("crc-{name}"));
        fs::write(&path, &file).unwrap();
        let message = format!("BGZF block at byte offset {offset}: CRC32 checksum mismatch");
        expect_refused(&path, &[&format!("crc-{name}"), &message]);

        // The intact blocks read as the original file.
        let mut intact: Vec<u8> = blocks.concat();
        intact.extend_from_slice(&BGZF_EOF);
        let path = dir.path().join(format!("intact-{name}"));
        fs::write(&path, &intact).unwrap();
        assert_eq!(
            read_all(&path, None).unwrap(),
            read_all(&fixtures().join("vcf").join(name), None).unwrap()
        );

        // ISIZE one less than the data: the block inflates past it.
        let mut short = blocks.clone();
        let n = short[3].len();
        let isize = u32::from_le_bytes(short[3][n - 4..].try_into().unwrap()) - 1;
        short[3][n - 4..].copy_from_slice(&isize.to_le_bytes());
        let mut file: Vec<u8> = short.concat();
        file.extend_from_slice(&BGZF_EOF);
        let path = dir.path().join(format!("isize-{name}"));
        fs::write(&path, &file).unwrap();
        let offset: usize = blocks[..3].iter().map(Vec::len).sum();
        expect_refused(
            &path,
            &[&format!(
                "BGZF block at byte offset {offset}: the data inflate to {} bytes, but ISIZE says {isize}",
                isize + 1
            )],
        );
    }
}

// ------------------------------------------------------------------------------ BCF lengths

#[test]
fn corrupt_bcf_record_length_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = inflate(&fixtures().join("vcf/party_c.bcf"));
    let l_text = u32::from_le_bytes(data[5..9].try_into().unwrap()) as usize;
    let first = 9 + l_text;
    // l_indiv of record 1: ~4 GiB.
    data[first + 4..first + 8].copy_from_slice(&0xF000_0000u32.to_le_bytes());
    for (name, bytes) in [
        ("long.bcf", bgzf_stored(&data, None, 0)),
        ("long_plain.bcf", data.clone()),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        expect_refused(&path, &[name, "record 1", "corrupt record lengths"]);
    }
}

// ------------------------------------------------------------------------------ VCF records

#[test]
fn a_last_line_cut_short_is_refused_and_a_whole_one_read() {
    let dir = tempfile::tempdir().unwrap();
    let header = header_lines();
    let mut rows = records();
    let clean = write_vcf(dir.path(), "clean.vcf", &header, &rows);
    let want = read_all(&clean, None).unwrap();

    // Without the final newline, a whole last line reads as with it (as bcftools reads it).
    let text = fs::read_to_string(&clean).unwrap();
    let whole = dir.path().join("whole.vcf");
    fs::write(&whole, text.trim_end_matches('\n')).unwrap();
    assert_eq!(read_all(&whole, None).unwrap(), want);

    // Cut inside the last sample's GT:GQ, and inside its GT ('1/1' → '1').
    let last = rows.pop().unwrap();
    let line = header.len() + rows.len() + 1;
    for (name, cut) in [
        ("cut_gq.vcf", last.rsplit_once(':').unwrap().0.to_string()),
        ("cut_gt.vcf", {
            let (head, tail) = last.rsplit_once('\t').unwrap();
            assert!(tail.starts_with("1/1") || tail.starts_with("0/0"), "{tail}");
            format!("{head}\t{}", &tail[..1])
        }),
    ] {
        let mut text = header.join("\n") + "\n";
        for r in &rows {
            text.push_str(r);
            text.push('\n');
        }
        text.push_str(&cut);
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        expect_refused(
            &path,
            &[name, &format!("line {line}:"), "ends inside this line"],
        );
    }
}

#[test]
fn every_record_is_validated_whatever_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let header = header_lines();
    let line = header.len() + 3;
    type Edit = Box<dyn Fn(&str) -> String>;
    let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
        (
            // FORMAT without GT, one sample column short.
            "columns.vcf",
            Box::new(|r: &str| {
                let r = r.replace("\tGT:GQ\t", "\tGQ\t");
                r.rsplit_once('\t').unwrap().0.to_string()
            }),
            vec!["7 sample columns", "8 samples"],
        ),
        (
            // FORMAT without GT, one sample column too many (not a trailing tab).
            "columns_more.vcf",
            Box::new(|r: &str| format!("{}\t0/1:9", r.replace("\tGT:GQ\t", "\tGQ\t"))),
            vec!["9 sample columns", "8 samples"],
        ),
        (
            "pos0.vcf",
            Box::new(|r: &str| {
                let f: Vec<&str> = r.split('\t').collect();
                format!("1\t0\t{}\tA\t<DEL>\t{}", f[2], f[5..].join("\t"))
            }),
            vec!["POS 0"],
        ),
        (
            "nul_nogt.vcf",
            Box::new(|r: &str| r.replace("\tGT:GQ\t", "\tGQ\t").replacen(":1", ":\u{0}", 1)),
            vec!["0x00", "control character"],
        ),
        (
            "nul_info.vcf",
            Box::new(|r: &str| r.replace("DP=", "D\u{0}P=")),
            vec!["0x00", "column INFO"],
        ),
        (
            "nul_gq.vcf",
            Box::new(|r: &str| r.replacen(":1", ":\u{0}", 1)),
            vec!["0x00", "control character", "sample '"],
        ),
    ];
    for (name, edit, needles) in cases {
        let mut rows = records();
        rows[2] = edit(&rows[2]);
        let path = write_vcf(dir.path(), name, &header, &rows);
        let mut all = vec![name];
        let at = format!("line {line}");
        all.push(&at);
        all.extend(needles);
        expect_refused(&path, &all);
    }
}

// ------------------------------------------------------------------------------ duplicates

#[test]
fn duplicate_vcf_records_are_dropped_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let header = header_lines();
    let rows = records();
    let clean = write_vcf(dir.path(), "clean.vcf", &header, &rows);
    let want = read_all(&clean, None).unwrap();

    // Record 3 twice (another ID), and record 5's ALT again inside a multi-allelic record.
    let mut dup = rows.clone();
    dup.insert(3, rows[2].replace("\trs2\t", "\trs2b\t"));
    let f: Vec<&str> = rows[4].split('\t').collect();
    let multi = format!(
        "{}\t{}\tm5\tA\t{},T\t{}",
        f[0],
        f[1],
        f[4],
        f[5..].join("\t")
    );
    dup.insert(6, multi);
    let path = write_vcf(dir.path(), "dup.vcf", &header, &dup);
    let got = read_all(&path, None).unwrap();
    // The multi-allelic record keeps its new ALT (T) only.
    let t_row = got
        .variants
        .iter()
        .position(|v| v.id == "m5" && v.alt_allele == "T")
        .unwrap();
    assert_eq!(got.variants.len(), want.variants.len() + 1);
    let mut without_t = got.variants.clone();
    without_t.remove(t_row);
    assert_eq!(without_t, want.variants);
    let line = header.len() + 4;
    assert!(
        got.notes
            .iter()
            .any(|n| n.starts_with("dropped 2 duplicate")
                && n.contains(&format!("line {line} (1:300) A/T"))),
        "{:?}",
        got.notes
    );

    // Through the command line: the note is in the log, and the summary merges.
    let out = dir.path().join("dup.parquet");
    let log = compress_ok(&path, &out);
    assert!(log.contains("dropped 2 duplicate variant(s)"), "{log}");
    merge_to(&[&out], &dir.path().join("merged"), &[]);
}

#[test]
fn unsorted_vcf_records_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let header = header_lines();
    let mut rows = records();
    rows.swap(3, 4);
    let path = write_vcf(dir.path(), "unsorted.vcf", &header, &rows);
    let line = header.len() + 5;
    expect_refused(
        &path,
        &[
            "unsorted.vcf",
            &format!("line {line} "),
            "not sorted",
            "1:400 comes after 1:500",
        ],
    );
}

/// Copies party_c's .bed/.bim/.fam into `dir`; returns the .bed path.
fn copy_party_c(dir: &Path) -> PathBuf {
    for ext in ["bed", "bim", "fam"] {
        fs::copy(
            fixtures().join(format!("party_c.{ext}")),
            dir.join(format!("party_c.{ext}")),
        )
        .unwrap();
    }
    dir.join("party_c.bed")
}

#[test]
fn a_snp_twice_in_a_bed_is_dropped_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let bed = copy_party_c(dir.path());
    let bim = dir.path().join("party_c.bim");
    // Variant 5 again at the end, under another ID and with A1/A2 swapped.
    let text = fs::read_to_string(&bim).unwrap();
    let fifth: Vec<&str> = text.lines().nth(4).unwrap().split_whitespace().collect();
    let again = format!(
        "{}\t{}_again\t{}\t{}\t{}\t{}\n",
        fifth[0], fifth[1], fifth[2], fifth[3], fifth[5], fifth[4]
    );
    fs::write(&bim, text.clone() + &again).unwrap();
    let mut bytes = fs::read(&bed).unwrap();
    let bpv = 302usize.div_ceil(4);
    let copy = bytes[3 + 4 * bpv..3 + 5 * bpv].to_vec();
    bytes.extend(copy);
    fs::write(&bed, bytes).unwrap();

    let got = read_all(&bed, None).unwrap();
    let want = read_all(&fixtures().join("party_c.bed"), None).unwrap();
    assert_eq!(got.variants, want.variants);
    assert_eq!(got.dosages, want.dosages);
    let note = got.notes.join("\n");
    assert!(
        note.contains("dropped 1 duplicate") && note.contains(&format!("{}_again", fifth[1])),
        "{note}"
    );
    let out = dir.path().join("c.parquet");
    let log = compress_ok(&bed, &out);
    assert!(log.contains("dropped 1 duplicate variant(s)"), "{log}");
    merge_to(&[&out], &dir.path().join("merged"), &[]);
}

// ------------------------------------------------------------------------------ .bed/.fam

#[test]
fn a_fam_short_of_samples_with_the_same_bytes_per_variant() {
    let dir = tempfile::tempdir().unwrap();
    let bed = copy_party_c(dir.path());
    let fam = dir.path().join("party_c.fam");
    let text = fs::read_to_string(&fam).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // 302 → 301 samples: both need 76 bytes per variant.
    fs::write(&fam, lines[..301].join("\n") + "\n").unwrap();
    expect_refused(
        &bed,
        &["party_c.bed", "301 samples", "party_c.fam", "padding"],
    );
}

#[test]
fn bed_paths_and_mode_bytes_are_named_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    // A .bed that does not exist is named, not the .fam beside it.
    let bed = copy_party_c(dir.path());
    fs::remove_file(&bed).unwrap();
    expect_refused(&bed, &["party_c.bed"]);
    let typo = dir.path().join("typo.bed");
    expect_refused(&typo, &["typo.bed"]);

    let bed = copy_party_c(dir.path());
    let mut bytes = fs::read(&bed).unwrap();
    bytes[2] = 0x02;
    fs::write(&bed, &bytes).unwrap();
    expect_refused(&bed, &["party_c.bed", "mode byte 02"]);
}

// ------------------------------------------------------------------------------ the world's VCFs

#[test]
fn vcfs_the_world_writes_read_as_the_clean_file() {
    let dir = tempfile::tempdir().unwrap();
    let header = header_lines();
    let rows = records();
    let clean = write_vcf(dir.path(), "clean.vcf", &header, &rows);
    let want = read_all(&clean, None).unwrap();
    assert_eq!(want.variants.len(), 10);

    let replace = |from: &str, to: &str| -> Vec<String> {
        header
            .iter()
            .map(|l| {
                if l.starts_with(from) {
                    to.to_string()
                } else {
                    l.clone()
                }
            })
            .collect()
    };
    let headers: Vec<(&str, Vec<String>)> = vec![
        (
            "filter_no_description",
            replace("##FILTER", "##FILTER=<ID=PASS>"),
        ),
        (
            "info_no_number",
            replace(
                "##INFO",
                "##INFO=<ID=DP,Type=Integer,Description=\"Depth\">",
            ),
        ),
        ("v43_redefinitions", {
            let mut h = replace("##fileformat", "##fileformat=VCFv4.3");
            h.insert(
                2,
                "##INFO=<ID=DB,Number=1,Type=String,Description=\"dbSNP id\">".into(),
            );
            h.insert(
                3,
                "##FORMAT=<ID=AD,Number=.,Type=Integer,Description=\"AD\">".into(),
            );
            h.insert(
                3,
                "##FORMAT=<ID=GQ,Number=1,Type=Float,Description=\"GQ\">".into(),
            );
            h
        }),
        (
            "spaces_around_equals",
            replace(
                "##INFO",
                "##INFO=<ID = DP, Number = 1, Type = Integer, Description = \"Depth, total\">",
            ),
        ),
        (
            "gt_not_declared",
            header
                .iter()
                .filter(|l| !l.starts_with("##FORMAT=<ID=GT"))
                .cloned()
                .collect(),
        ),
    ];
    for (name, h) in headers {
        let path = write_vcf(dir.path(), &format!("{name}.vcf"), &h, &rows);
        let got = read_all(&path, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }

    // A trailing tab on every record.
    let tabbed: Vec<String> = rows.iter().map(|r| format!("{r}\t")).collect();
    let path = write_vcf(dir.path(), "trailing_tab.vcf", &header, &tabbed);
    assert_eq!(read_all(&path, None).unwrap(), want, "trailing tab");
}

#[test]
fn a_triploid_call_is_missing_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let header = header_lines();
    let mut rows = records();
    let original = rows[4].clone();
    let (head, tail) = original.split_once("\tGT:GQ\t").unwrap();
    let samples: Vec<String> = tail.split('\t').map(str::to_string).collect();
    let with = |call: &str| {
        let mut s = samples.clone();
        s[2] = format!("{call}:30");
        format!("{head}\tGT:GQ\t{}", s.join("\t"))
    };
    rows[4] = with("./.");
    let clean = write_vcf(dir.path(), "clean.vcf", &header, &rows);
    let mut want = read_all(&clean, None).unwrap();
    rows[4] = with("0/1/1");
    let path = write_vcf(dir.path(), "triploid.vcf", &header, &rows);
    let got = read_all(&path, None).unwrap();
    let note = "1 call(s) of more than two alleles (e.g. triploid) read as missing";
    assert_eq!(got.notes, [note]);
    want.notes = vec![note.to_string()];
    assert_eq!(got, want);
    let log = compress_ok(&path, &dir.path().join("t.parquet"));
    assert!(log.contains(note), "{log}");
}

#[test]
fn header_errors_name_the_line_the_key_and_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut header = header_lines();
    header.insert(
        2,
        "##INFO=<Number=1,Type=Integer,Description=\"no id\">".into(),
    );
    let path = write_vcf(dir.path(), "noid.vcf", &header, &records());
    expect_refused(&path, &["noid.vcf", "line 3", "##INFO line has no ID"]);

    let mut header = header_lines();
    header.insert(
        2,
        "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"open>".into(),
    );
    let path = write_vcf(dir.path(), "quote.vcf", &header, &records());
    expect_refused(
        &path,
        &[
            "quote.vcf",
            "line 3",
            "##FORMAT",
            "'Description' is not closed",
        ],
    );
}

#[test]
fn region_names_a_contig_holding_colons_in_braces() {
    // fixtures/vcf/world/colon_contig.vcf.gz: contigs NC_000074.7 and
    // NC_000074.7:89373943-89415103, three records each at positions 100, 200, 300.
    let path = fixtures().join("vcf/world/colon_contig.vcf.gz");
    let positions = |region: &str| -> Vec<(String, u64)> {
        read_all(&path, Some(region))
            .unwrap()
            .variants
            .iter()
            .map(|v| (v.chrom.to_string(), v.pos))
            .collect()
    };
    let colon = "NC_000074.7:89373943-89415103".to_string();
    assert_eq!(
        positions("{NC_000074.7:89373943-89415103}:150-300"),
        [(colon.clone(), 200), (colon.clone(), 300)]
    );
    assert_eq!(
        positions("{NC_000074.7:89373943-89415103}"),
        [(colon.clone(), 100), (colon.clone(), 200), (colon, 300)]
    );
    let plain = "NC_000074.7".to_string();
    assert_eq!(
        positions("{NC_000074.7}:100-200"),
        [(plain.clone(), 100), (plain.clone(), 200)]
    );
    assert_eq!(positions("NC_000074.7:300-"), [(plain, 300)]);
    assert!(Region::parse("{NC_000074.7").is_err());
    assert!(Region::parse("{NC_000074.7}100").is_err());
}

#[test]
fn a_world_vcf_and_the_bcf_bcftools_made_of_it_read_alike() {
    // fixtures/vcf/world/world.{vcf,bcf}: the header quirks, trailing tabs and a triploid call;
    // bcftools kept the quirks in the BCF header (without IDX).
    let world = fixtures().join("vcf/world");
    let vcf = read_all(&world.join("world.vcf"), None).unwrap();
    let bcf = read_all(&world.join("world.bcf"), None).unwrap();
    assert_eq!(vcf, bcf);
    let ids: Vec<&str> = vcf.variants.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["rs1", "rs2", "rs3"]);
    assert_eq!(
        vcf.dosages,
        [[1.0, 2.0, 0.0], [0.0, 2.0, 0.0], [1.0, 2.0, 0.0]]
    );
    assert_eq!(vcf.missing, [vec![], vec![0], vec![2]]);
    assert_eq!(
        vcf.notes,
        ["1 call(s) of more than two alleles (e.g. triploid) read as missing"]
    );
}

#[test]
fn a_corrupt_index_count_is_refused_not_allocated() {
    // A tabix index whose first bin count says 2^31 − 1: noodles would size a map from it.
    let dir = tempfile::tempdir().unwrap();
    let vcf = dir.path().join("c.vcf.gz");
    fs::copy(fixtures().join("vcf/party_c.vcf.gz"), &vcf).unwrap();
    let mut tbi = inflate(&fixtures().join("vcf/party_c.vcf.gz.tbi"));
    let l_nm = i32::from_le_bytes(tbi[32..36].try_into().unwrap()) as usize;
    let n_bin = 36 + l_nm;
    tbi[n_bin..n_bin + 4].copy_from_slice(&i32::MAX.to_le_bytes());
    fs::write(dir.path().join("c.vcf.gz.tbi"), bgzf_stored(&tbi, None, 0)).unwrap();
    let pheno = fixtures().join("party_c.pheno");
    let out = dir.path().join("out.parquet");
    let args = [
        "compress",
        s(&vcf),
        "--pheno",
        s(&pheno),
        "--min-cell",
        "1",
        "--region",
        "1",
        "--out",
        s(&out),
    ];
    expect_error(
        dir.path(),
        &args,
        "out",
        &["c.vcf.gz.tbi", "corrupt index", "n_bin 2147483647"],
    );
}
