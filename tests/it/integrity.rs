//! Integrity and authentication (issue 6): every changed byte of a summary is refused, a secure
//! summary must be signed by its roster party, impossible values are refused naming the
//! variant or component, and the same party under two compressions is never counted twice.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::common::*;
use dash::secure::keys::SecretKey;
use dash::summary::integrity::{find_seal, Parts, Seal};
use dash::summary::{read_summary, Summary, SummaryWriter};

/// `dash merge INPUTS --out dir/NAME` must fail with one error line holding every needle, and
/// leave no output.
fn expect_merge_error(dir: &Path, inputs: &[&Path], needles: &[&str]) {
    expect_merge_error_with(dir, inputs, &[], needles);
}

/// [`expect_merge_error`] with `extra` arguments after the inputs.
fn expect_merge_error_with(dir: &Path, inputs: &[&Path], extra: &[&str], needles: &[&str]) {
    let prefix = dir.join("refused");
    let mut args = vec!["merge".to_string()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["--out".to_string(), prefix.display().to_string()]);
    args.extend(extra.iter().map(|a| a.to_string()));
    expect_error(dir, &args, "refused", needles);
}

/// Party `name` of the fixtures compressed into `dir/file` with extra arguments.
fn compress_extra(dir: &Path, name: &str, file: &str, extra: &[&str]) -> PathBuf {
    let f = fixtures();
    let out = dir.join(file);
    compress_to(
        &f.join(format!("party_{name}.bed")),
        &f.join(format!("party_{name}.pheno")),
        &f.join(format!("party_{name}.covar")),
        name,
        &out,
        extra,
    );
    out
}

/// A tiny secure consortium: keys a, b, c from fixed bytes, their roster, and a manifest of the
/// first `rows` variants of party a's .bim.
struct Secure {
    dir: tempfile::TempDir,
    roster: PathBuf,
    manifest: PathBuf,
}

const SEEDS: [(&str, u8); 3] = [("a", 11), ("b", 22), ("c", 33)];

impl Secure {
    fn new(rows: usize) -> Secure {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (party, seed) in SEEDS {
            SecretKey::from_bytes([seed; 32])
                .write_pair(&d.join(party), party)
                .unwrap();
        }
        let roster = d.join("roster.txt");
        let pubs: Vec<String> = SEEDS
            .iter()
            .map(|(p, _)| d.join(format!("{p}.pub")).display().to_string())
            .collect();
        let mut args = vec!["roster"];
        args.extend(pubs.iter().map(String::as_str));
        args.extend(["--out", roster.to_str().unwrap()]);
        dash_ok(&args);
        let bim = d.join("few.bim");
        let text = std::fs::read_to_string(fixtures().join("party_a.bim")).unwrap();
        let lines: Vec<&str> = text.lines().take(rows).collect();
        std::fs::write(&bim, lines.join("\n") + "\n").unwrap();
        let manifest = d.join("manifest.tsv");
        dash_ok(&[
            "manifest",
            bim.to_str().unwrap(),
            "--out",
            manifest.to_str().unwrap(),
        ]);
        Secure {
            dir,
            roster,
            manifest,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Party `name` secure-compressed with key file `key` into `file`.
    fn compress_with(&self, name: &str, key: &str, file: &str) -> PathBuf {
        compress_extra(
            self.dir.path(),
            name,
            file,
            &[
                "--secure",
                "--roster",
                self.roster.to_str().unwrap(),
                "--key",
                self.path(&format!("{key}.key")).to_str().unwrap(),
                "--manifest",
                self.manifest.to_str().unwrap(),
            ],
        )
    }

    fn compress(&self, name: &str) -> PathBuf {
        self.compress_with(name, name, &format!("secure_{name}.parquet"))
    }
}

/// The footer of a Parquet file: its start and bytes.
fn footer(bytes: &[u8]) -> (usize, &[u8]) {
    let len = bytes.len();
    let footer_len = u32::from_le_bytes(bytes[len - 8..len - 4].try_into().unwrap()) as usize;
    let start = len - 8 - footer_len;
    (start, &bytes[start..len - 8])
}

/// `bytes` with their seal recomputed over the (changed) content, signed by `signer` when the
/// file is signed: what someone who rewrites a file and knows the format can do. The digests
/// of the data's parts are recomputed, then the footer's (from the data's end on, seal
/// zeroed); a file without parts (format 6) gets the digest of all of it.
fn reseal(bytes: &[u8], signer: Option<&SecretKey>) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let (start, foot) = footer(bytes);
    let covered_from = match Parts::find(foot) {
        Some(mut parts) => {
            let ends: Vec<u64> = parts.parts.iter().skip(1).map(|p| p.0).collect();
            for (k, end) in ends.into_iter().chain([parts.end]).enumerate() {
                let from = parts.parts[k].0 as usize;
                parts.parts[k].1 = Sha256::digest(&bytes[from..end as usize]).into();
            }
            let at = start + memchr_last(foot, b"sha256-parts:");
            let text = parts.text();
            out[at..at + text.len()].copy_from_slice(text.as_bytes());
            parts.end as usize
        }
        None => 0,
    };
    let (_, foot) = footer(&out);
    let (at, seal) = find_seal(foot).unwrap();
    let placeholder = Seal::placeholder(seal.signature.is_some()).text();
    out[start + at..start + at + placeholder.len()].copy_from_slice(placeholder.as_bytes());
    let digest: [u8; 32] = Sha256::digest(&out[covered_from..]).into();
    let signature = seal.signature.map(|old| match signer {
        Some(key) => {
            use ed25519_dalek::Signer;
            key.signing_key().sign(&Seal::message(&digest)).to_bytes()
        }
        None => old,
    });
    let text = Seal { digest, signature }.text();
    out[start + at..start + at + text.len()].copy_from_slice(text.as_bytes());
    out
}

/// Where `needle` last occurs in `haystack`.
fn memchr_last(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .rposition(|w| w == needle)
        .unwrap()
}

/// Flips every bit of `original` (one at a time, written to `target`) and asks `accepts`
/// whether the altered file is read; returns (flips, refused). Every byte is also flipped
/// whole (XOR 0xFF).
#[cfg(unix)]
fn flip_all(original: &[u8], target: &Path, accepts: impl Fn() -> bool) -> (usize, usize) {
    // Bytes are changed in place (rewriting the whole file each time makes the file system
    // flush it on every truncation).
    use std::os::unix::fs::FileExt;
    std::fs::write(target, original).unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(target)
        .unwrap();
    let (mut flips, mut refused) = (0, 0);
    for (i, &byte) in original.iter().enumerate() {
        for mask in [1u8, 2, 4, 8, 16, 32, 64, 128, 0xff] {
            file.write_all_at(&[byte ^ mask], i as u64).unwrap();
            flips += 1;
            if accepts() {
                eprintln!("byte {i} ^ {mask:#04x} was accepted");
            } else {
                refused += 1;
            }
        }
        file.write_all_at(&[byte], i as u64).unwrap();
    }
    drop(file);
    assert_eq!(std::fs::read(target).unwrap(), original);
    (flips, refused)
}

/// Runs `dash merge` on altered copies of `inputs[which]` at `count` spread byte positions; each
/// must fail with one error line naming that file.
fn spot_check_cli(dir: &Path, inputs: &[&Path], which: usize, count: usize) {
    let original = std::fs::read(inputs[which]).unwrap();
    let name = inputs[which].file_name().unwrap().to_str().unwrap();
    let step = (original.len() / count).max(1);
    for i in (0..original.len()).step_by(step) {
        let mut bytes = original.clone();
        bytes[i] ^= 0x10;
        std::fs::write(inputs[which], &bytes).unwrap();
        expect_merge_error(dir, inputs, &[name]);
    }
    std::fs::write(inputs[which], original).unwrap();
}

#[cfg(unix)]
#[test]
fn every_flipped_bit_of_a_plaintext_summary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = compress_extra(d, "a", "a.parquet", &["--region", "1:1-2700000"]);
    let b = compress_party(d, "b");
    // The intact file merges.
    merge_to(&[&a, &b], &d.join("intact"), &[]);
    let original = std::fs::read(&a).unwrap();
    let (flips, refused) = flip_all(&original, &a, || read_summary(&a).is_ok());
    eprintln!(
        "plaintext summary of {} bytes: {flips} single-bit and whole-byte flips, {refused} refused",
        original.len()
    );
    assert_eq!(refused, flips);
    // Through the command line: a non-zero exit and one line naming the file.
    spot_check_cli(d, &[&b, &a], 1, 40);

    // A merged summary (--summary-out) is sealed the same way.
    let ab = d.join("ab.parquet");
    merge_to(
        &[&a, &b],
        &d.join("ab"),
        &["--summary-out", ab.to_str().unwrap()],
    );
    read_summary(&ab).unwrap();
    spot_check_cli(d, &[&ab], 0, 40);
}

#[cfg(unix)]
#[test]
fn every_flipped_bit_of_a_secure_summary_is_refused() {
    let s = Secure::new(3);
    let files: Vec<PathBuf> = ["a", "b", "c"].iter().map(|p| s.compress(p)).collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    merge_to(&refs, &s.path("intact"), &[]);
    let original = std::fs::read(&files[0]).unwrap();
    let (flips, refused) = flip_all(&original, &files[0], || {
        dash::secure::combine::combine(&files).is_ok()
    });
    eprintln!(
        "secure summary of {} bytes: {flips} single-bit and whole-byte flips, {refused} refused",
        original.len()
    );
    assert_eq!(refused, flips);
    spot_check_cli(s.dir.path(), &refs, 0, 40);
}

#[test]
fn a_resealed_secure_summary_needs_its_partys_signature() {
    let s = Secure::new(3);
    let files: Vec<PathBuf> = ["a", "b", "c"].iter().map(|p| s.compress(p)).collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let original = std::fs::read(&files[0]).unwrap();
    // Change one masked byte (in the data, before the footer), then recompute the checksum.
    let (start, _) = footer(&original);
    let mut altered = original.clone();
    altered[start - 100] ^= 1;
    // Keeping a's old signature, or signing as b (whose key b holds): both refused.
    for signer in [None, Some(SecretKey::from_bytes([22; 32]))] {
        std::fs::write(&files[0], reseal(&altered, signer.as_ref())).unwrap();
        expect_merge_error(
            s.dir.path(),
            &refs,
            &[
                "secure_a.parquet",
                "signature does not verify with party 'a''s signing key",
            ],
        );
    }
    // Resealing the intact content with a's key gives back a's file (Ed25519 is deterministic).
    let resigned = reseal(&original, Some(&SecretKey::from_bytes([11; 32])));
    assert_eq!(resigned, original);
}

#[test]
fn a_rewritten_plaintext_summary_is_refused_unless_resealed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = compress_extra(d, "a", "a.parquet", &["--region", "1:1-2700000"]);
    let original = std::fs::read(&a).unwrap();
    let (start, _) = footer(&original);
    let mut altered = original.clone();
    altered[start / 2] ^= 1;
    std::fs::write(&a, &altered).unwrap();
    expect_merge_error(d, &[&a], &["a.parquet", "checksum mismatch"]);
    // Without the seal at all (a file from an older dash, or one stripped of it): refused.
    let (start, foot) = footer(&original);
    let (at, _) = find_seal(foot).unwrap();
    let mut stripped = original.clone();
    stripped[start + at..start + at + 7].copy_from_slice(b"SHA256:");
    std::fs::write(&a, &stripped).unwrap();
    expect_merge_error(d, &[&a], &["a.parquet", "has no integrity checksum"]);
}

/// Rewrites summary `path` through `change` (header and rows) and a fresh seal: a buggy or
/// crafted file that is intact as a file.
fn rewrite(path: &Path, out: &Path, change: impl FnOnce(&mut Summary)) {
    let mut summary = read_summary(path).unwrap();
    change(&mut summary);
    let mut writer = SummaryWriter::create(out, &summary.header).unwrap();
    writer.write(&summary.rows).unwrap();
    writer.finish().unwrap();
}

#[test]
fn impossible_values_are_refused_naming_the_variant_or_component() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = compress_extra(d, "a", "a.parquet", &["--region", "1"]);
    let bad = d.join("bad.parquet");
    let variant = "row 2 (variant 1:1405356 ";
    type Change = Box<dyn Fn(&mut Summary)>;
    let cases: Vec<(Change, Vec<&str>)> = vec![
        (
            Box::new(|s: &mut Summary| s.rows.qc[1].dosage_sum = f64::NAN),
            vec![variant, "non-finite dosage_sum"],
        ),
        (
            Box::new(|s: &mut Summary| {
                let w = s.rows.groups[0].width;
                s.rows.groups[0].atx0[w + 1] = f64::INFINITY;
            }),
            vec![variant, "non-finite value in the sums of group 0"],
        ),
        (
            Box::new(|s: &mut Summary| {
                let w = s.rows.groups[0].width;
                s.rows.groups[0].atu[w] = 1e6;
            }),
            vec![variant, "missing-call count"],
        ),
        (
            Box::new(|s: &mut Summary| {
                let w = s.rows.groups[0].width;
                s.rows.groups[0].atx0[w] = -3.0;
            }),
            vec![variant, "ALT dosage sum"],
        ),
        (
            Box::new(|s: &mut Summary| s.rows.groups[0].x0x0[1] = 1e9),
            vec![variant, "sum of squared dosages"],
        ),
        (
            Box::new(|s: &mut Summary| {
                s.rows.qc[1].missing = 0;
                let width = s.rows.groups[0].width;
                s.rows.groups[0].atu[width] = 1.0;
            }),
            vec![variant, "QC missing count"],
        ),
        (
            Box::new(|s: &mut Summary| {
                let qc = &mut s.rows.qc[1];
                (qc.hom_ref, qc.het, qc.hom_alt) = (0, 0, 0);
            }),
            vec![variant, "QC counts"],
        ),
        (
            Box::new(|s: &mut Summary| s.rows.qc[1].dosage_sum += 1.0),
            vec![variant, "dosage_sum"],
        ),
        (
            Box::new(|s: &mut Summary| s.header.components[0].groups[0].n *= 2),
            vec!["component 'a' group 0", "n = "],
        ),
        (
            Box::new(|s: &mut Summary| {
                let j = s.header.groups[0].fields.len();
                s.header.components[0].groups[0].gram[1] += 1.0;
                assert!(j > 1);
            }),
            vec!["component 'a' group 0", "not symmetric"],
        ),
        (
            Box::new(|s: &mut Summary| {
                let j = s.header.groups[0].fields.len();
                s.header.components[0].groups[0].gram[j + 1] = -1.0;
            }),
            vec!["component 'a' group 0", "negative diagonal"],
        ),
        // A row naming its party twice would count its samples twice there.
        (
            Box::new(|s: &mut Summary| s.rows.components[1] = vec![0, 0].into()),
            vec!["row 2", "component list [0, 0] names a component twice"],
        ),
        (
            Box::new(|s: &mut Summary| s.rows.components[1] = vec![1].into()),
            vec!["row 2", "component list [1] out of range"],
        ),
    ];
    for (change, needles) in cases {
        rewrite(&a, &bad, change);
        let mut needles = needles;
        needles.push("bad.parquet");
        expect_merge_error(d, &[&bad], &needles);
    }
}

#[test]
fn malformed_secure_words_are_refused() {
    let s = Secure::new(3);
    let files: Vec<PathBuf> = ["a", "b", "c"].iter().map(|p| s.compress(p)).collect();
    // Party a sends half a missing call in row 1 (a word with a fraction), signed properly.
    let (header, _) = dash::summary::secure::read_secure_header(&files[0]).unwrap();
    let width = header.secure.as_ref().unwrap().words_per_row as usize;
    let mut variants = Vec::new();
    let mut words = Vec::new();
    dash::summary::secure::for_each_batch(&files[0], |v, w| {
        variants.extend(v);
        words.extend(w);
        Ok(())
    })
    .unwrap();
    words[width - 4] = words[width - 4].wrapping_add(1u128 << 63);
    let out = s.path("secure_a_bad.parquet");
    let mut writer = dash::summary::secure::SecureWriter::create(
        &out,
        &header,
        SecretKey::from_bytes([11; 32]).signing_key(),
        Default::default(),
    )
    .unwrap();
    writer.write(&variants, &words).unwrap();
    writer.finish().unwrap();
    expect_merge_error(
        s.dir.path(),
        &[&out, &files[1], &files[2]],
        &["secure set (", "row 1 (variant", "not whole non-negative"],
    );
}

#[test]
fn the_same_party_compressed_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = compress_party(d, "a");
    let b = compress_party(d, "b");
    let reordered = compress_extra(d, "a", "a_y2y1.parquet", &["--pheno-name", "y2,y1"]);
    expect_merge_error(
        d,
        &[&a, &b, &reordered],
        &["a_y2y1.parquet", "party_a.parquet", "party 'a'", "twice"],
    );
    let subset = compress_extra(d, "a", "a_y1.parquet", &["--pheno-name", "y1"]);
    expect_merge_error(d, &[&a, &subset], &["a_y1.parquet", "party 'a'"]);
    let covars = compress_extra(d, "a", "a_cov.parquet", &["--covar-name", "age,sex"]);
    expect_merge_error(d, &[&covars, &a], &["party_a.parquet", "a_cov.parquet"]);
    // A shard compressed with another phenotype order, with the whole file.
    let shard = compress_extra(
        d,
        "a",
        "a_chr3.parquet",
        &["--region", "3", "--pheno-name", "y2,y1"],
    );
    expect_merge_error(d, &[&a, &shard], &["a_chr3.parquet", "party 'a'"]);
    // Shards of one run are still one party.
    let shard1 = compress_extra(d, "a", "a_chr1.parquet", &["--region", "1"]);
    let shard2 = compress_extra(d, "a", "a_chr2.parquet", &["--region", "2"]);
    merge_to(&[&shard1, &shard2, &b], &d.join("shards"), &[]);
}

#[test]
fn a_pooled_secure_total_merged_with_one_of_its_parties_is_refused() {
    let s = Secure::new(20);
    let files: Vec<PathBuf> = ["a", "b", "c"].iter().map(|p| s.compress(p)).collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let pooled = s.path("pooled.parquet");
    merge_to(
        &refs,
        &s.path("pooled"),
        &["--summary-out", pooled.to_str().unwrap()],
    );
    let total = read_summary(&pooled).unwrap();
    assert_eq!(total.header.components[0].parties, ["a", "b", "c"]);
    let plain_a = compress_party(s.dir.path(), "a");
    expect_merge_error(
        s.dir.path(),
        &[&pooled, &plain_a],
        &["party_a.parquet", "pooled.parquet", "party 'a'"],
    );
    // With a party outside the roster it merges.
    let f = fixtures();
    let d = s.path("party_d.parquet");
    compress_to(
        &f.join("party_b.bed"),
        &f.join("party_b.pheno"),
        &f.join("party_b.covar"),
        "d",
        &d,
        &[],
    );
    merge_to(&[&pooled, &d], &s.path("with_d"), &[]);
}

#[test]
fn keys_bind_party_names_to_signing_keys() {
    let s = Secure::new(3);
    // The .pub line carries both public keys.
    let public = std::fs::read_to_string(s.path("a.pub")).unwrap();
    let key = SecretKey::from_bytes([11; 32]);
    assert_eq!(public.trim(), key.pub_line("a"));
    assert_eq!(public.split_whitespace().count(), 3);
    // A roster line without a signing key (an old .pub) is refused.
    let old = s.path("old.pub");
    std::fs::write(&old, format!("a {}\n", key.public_hex())).unwrap();
    let out = dash(&["roster", old.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("old.pub: line 1: party 'a' has no Ed25519 signing key"));
    // A roster whose signing key for c is another: c's key no longer matches it at compress.
    let text = std::fs::read_to_string(&s.roster).unwrap();
    let forged = text.replace(
        &SecretKey::from_bytes([33; 32]).signing_public_hex(),
        &SecretKey::from_bytes([44; 32]).signing_public_hex(),
    );
    assert_ne!(forged, text);
    let forged_roster = s.path("forged.txt");
    std::fs::write(&forged_roster, forged).unwrap();
    let f = fixtures();
    let out = dash(&[
        "compress",
        f.join("party_c.bed").to_str().unwrap(),
        "--pheno",
        f.join("party_c.pheno").to_str().unwrap(),
        "--covar",
        f.join("party_c.covar").to_str().unwrap(),
        "--covar-categorical",
        "site",
        "--secure",
        "--roster",
        forged_roster.to_str().unwrap(),
        "--key",
        s.path("c.key").to_str().unwrap(),
        "--manifest",
        s.manifest.to_str().unwrap(),
        "--out",
        s.path("c_forged.parquet").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("c.key: its signing key") && err.contains("is not party 'c''s in the roster"),
        "{err}"
    );
    // Every secure summary embeds the roster it was made for.
    let a = s.compress("a");
    let (header, seal) = dash::summary::secure::read_secure_header(&a).unwrap();
    let section = header.secure.unwrap();
    assert_eq!(section.roster_text.as_deref(), Some(text.as_str()));
    assert!(seal.verify(&key.signing_key().verifying_key()));
}

/// The most rows a summary's row group holds (`ROW_GROUP_MAX` in src/summary/write.rs); row
/// groups hold 16,384 on average.
const ROW_GROUP_MAX: u64 = 65_536;

/// Rows of chromosome 1 in [`two_chromosomes`] for the region tests: more than a row group
/// holds, so chromosome 1 spans several.
const CHROM1_ROWS: u64 = ROW_GROUP_MAX + 3_000;

/// A summary of `chrom1 + chrom2` rows (chromosome 1 at positions 1…, then 2), every row a copy
/// of party a's first one: more than one row group, so that a region reads some of them.
fn two_chromosomes(dir: &Path, chrom1: u64, chrom2: u64) -> PathBuf {
    let a = compress_party(dir, "a");
    let summary = read_summary(&a).unwrap();
    let mut rows = summary.rows.empty_like();
    for (chrom, count) in [("1", chrom1), ("2", chrom2)] {
        for pos in 1..=count {
            rows.push_row(&summary.rows, 0);
            let v = rows.variants.last_mut().unwrap();
            (v.chrom, v.pos, v.id) = (chrom.into(), pos, format!("{chrom}_{pos}").into());
        }
    }
    let out = dir.join("two.parquet");
    let mut writer = SummaryWriter::create(&out, &summary.header).unwrap();
    writer.write(&rows).unwrap();
    writer.finish().unwrap();
    out
}

/// The rows a `--region` read of `path` gives, as `CHR:POS` strings; or the error.
fn region_rows(path: &Path, region: &str) -> Result<Vec<String>, String> {
    let region = dash::genotype::Region::parse(region).unwrap();
    let mut stream =
        dash::summary::read::open_stream(path, Some(region)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(rows) = stream.next_rows().map_err(|e| e.to_string())? {
        out.extend(
            rows.variants
                .iter()
                .map(|v| format!("{}:{}", v.chrom, v.pos)),
        );
    }
    Ok(out)
}

/// Each row group's chromosome and first position, from its statistics (a row group holds one
/// chromosome).
fn row_group_starts(path: &Path) -> Vec<(String, u64)> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::statistics::Statistics;
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let groups = reader.metadata().row_groups();
    groups
        .iter()
        .map(
            |group| match (group.column(0).statistics(), group.column(1).statistics()) {
                (Some(Statistics::ByteArray(chrom)), Some(Statistics::Int64(pos))) => {
                    assert_eq!(
                        chrom.min_opt(),
                        chrom.max_opt(),
                        "one chromosome per row group"
                    );
                    let chrom = chrom.min_opt().unwrap().as_utf8().unwrap().to_string();
                    (chrom, *pos.min_opt().unwrap() as u64)
                }
                other => panic!("no chromosome and position statistics: {other:?}"),
            },
        )
        .collect()
}

/// The data parts of a sealed summary (format 7), from its raw footer.
fn parts_of(bytes: &[u8]) -> Parts {
    Parts::find(footer(bytes).1).expect("a format 7 summary lists its parts")
}

/// A `--region` read verifies the footer and the parts of the row groups it reads, nothing
/// else: a changed byte in a row group outside the region is not read (and a whole read still
/// refuses it); one inside, or in the footer, is refused naming the file.
#[test]
fn a_region_read_verifies_the_row_groups_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Row groups end where a chromosome does: some hold chromosome 1, the others 2.
    let path = two_chromosomes(d, CHROM1_ROWS, 2_000);
    let original = std::fs::read(&path).unwrap();
    let parts = parts_of(&original);
    let groups = row_group_starts(&path);
    assert_eq!(parts.parts.len(), groups.len(), "{parts:?}");
    let middle = |group: usize| {
        let end = parts.parts.get(group + 1).map_or(parts.end, |p| p.0);
        ((parts.parts[group].0 + end) / 2) as usize
    };
    let in_chrom2: Vec<String> = (1..=2_000).map(|p| format!("2:{p}")).collect();
    assert_eq!(region_rows(&path, "2").unwrap(), in_chrom2);

    // A byte of a row group of chromosome 1 changed: region 2 never reads it; a whole read
    // refuses the file, and so does a region that reads the changed row group.
    let of_chrom1: Vec<usize> = (0..groups.len()).filter(|&g| groups[g].0 == "1").collect();
    assert!(of_chrom1.len() > 1, "{groups:?}");
    for group in of_chrom1 {
        let mut outside = original.clone();
        outside[middle(group)] ^= 0x10;
        std::fs::write(&path, &outside).unwrap();
        assert_eq!(region_rows(&path, "2").unwrap(), in_chrom2);
        let error = read_summary(&path).unwrap_err().to_string();
        assert!(
            error.contains("two.parquet") && error.contains("checksum mismatch"),
            "{error}"
        );
        let first = groups[group].1;
        let error = region_rows(&path, &format!("1:{first}-{first}")).unwrap_err();
        assert!(
            error.contains("two.parquet") && error.contains("checksum mismatch"),
            "{error}"
        );
    }

    // A byte of the first row group of chromosome 2 (which region 2 reads), or of the footer:
    // refused.
    let of_chrom2 = groups.iter().position(|g| g.0 == "2").unwrap();
    let footer_start = footer(&original).0;
    for at in [
        middle(of_chrom2) as u64,
        parts.end + 10,
        footer_start as u64 + 20,
    ] {
        let mut inside = original.clone();
        inside[at as usize] ^= 0x10;
        std::fs::write(&path, &inside).unwrap();
        let error = region_rows(&path, "2").unwrap_err();
        assert!(error.contains("two.parquet"), "byte {at}: {error}");
        assert!(error.lines().count() == 1, "{error}");
    }
    // Through the command line: one line naming the file, no output.
    let mut inside = original.clone();
    inside[middle(of_chrom2)] ^= 0x10;
    std::fs::write(&path, &inside).unwrap();
    let needles = ["two.parquet", "checksum mismatch"];
    expect_merge_error_with(d, &[&path], &["--region", "2"], &needles);
}

/// A region across a row-group boundary reads the rows of both groups in it, exactly those of a
/// whole read.
#[test]
fn a_region_across_a_row_group_boundary_reads_every_row_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_chromosomes(dir.path(), CHROM1_ROWS, 2_000);
    // The second row group of chromosome 1 starts at position `start` (row `start`).
    let start = row_group_starts(&path)[1].1;
    assert!((701..=ROW_GROUP_MAX).contains(&start), "{start}");
    let (from, to) = (start - 700, start + 900);
    let whole: Vec<String> = read_summary(&path)
        .unwrap()
        .rows
        .variants
        .iter()
        .filter(|v| v.chrom == "1" && (from..=to).contains(&v.pos))
        .map(|v| format!("{}:{}", v.chrom, v.pos))
        .collect();
    assert_eq!(whole.len(), 1_601);
    assert_eq!(
        region_rows(&path, &format!("1:{from}-{to}")).unwrap(),
        whole
    );
    assert_eq!(region_rows(&path, "1").unwrap().len(), CHROM1_ROWS as usize);
}

/// A summary sealed as a whole (format version 6: no parts) is still read, whole or by region,
/// with the same rows; a changed byte in it is refused.
#[test]
fn a_format_6_summary_sealed_whole_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = two_chromosomes(d, CHROM1_ROWS, 2_000);
    let current = read_summary(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    // Turn it into what dash wrote before version 7: no parts entry, version 6 in the header,
    // the seal over every byte.
    let (start, foot) = footer(&bytes);
    let tag = start + memchr_last(foot, b"sha256-parts:");
    let version = start + memchr_last(foot, b"\"format_version\":7");
    bytes[tag..tag + 13].copy_from_slice(b"sha256-PARTS:");
    bytes[version + 17] = b'6';
    let old = reseal(&bytes, None);
    assert!(Parts::find(footer(&old).1).is_none());
    std::fs::write(&path, &old).unwrap();
    let read = read_summary(&path).unwrap();
    assert_eq!(read.header.format_version, 6);
    assert_eq!(read.rows.variants, current.rows.variants);
    assert_eq!(region_rows(&path, "2").unwrap().len(), 2_000);
    // Sealed whole, so even a byte outside the region is refused by a region read.
    let mut changed = old.clone();
    changed[100] ^= 0x10;
    std::fs::write(&path, &changed).unwrap();
    let error = region_rows(&path, "2").unwrap_err();
    assert!(error.contains("checksum mismatch"), "{error}");
}

/// A summary holding one variant twice for its one party (a crafted or buggy file, intact as a
/// file and in order) double counts that party at the variant: refused, naming the file and the
/// variant, even where no party is in two inputs (the join then checks only a site's rows of
/// one input).
#[test]
fn a_variant_held_twice_by_one_summary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = compress_extra(d, "a", "a.parquet", &["--region", "1"]);
    let b = compress_extra(d, "b", "b.parquet", &["--region", "1"]);
    let doubled = d.join("doubled.parquet");
    let mut variant = String::new();
    rewrite(&a, &doubled, |s: &mut Summary| {
        let mut rows = s.rows.empty_like();
        for r in 0..s.rows.len() {
            rows.push_row(&s.rows, r);
            if r == 1 {
                rows.push_row(&s.rows, r);
                let v = &s.rows.variants[r];
                variant = format!("{}:{}", v.chrom, v.pos);
            }
        }
        s.rows = rows;
    });
    expect_merge_error(d, &[&b, &doubled], &["doubled.parquet", &variant, "twice"]);
}
