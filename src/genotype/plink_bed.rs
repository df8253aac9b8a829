//! PLINK 1 binary genotypes: `.bed` + `.bim` + `.fam`.
//!
//! The `.bed` is SNP-major (magic `6c 1b 01`): per variant, `ceil(N/4)` bytes, four samples per
//! byte, low bits first; the padding bits of the last byte are `00`. Its size must be exactly
//! `3 + M·ceil(N/4)` for the M variants of the `.bim` and the N samples of the `.fam`; and as a
//! `.fam` a few samples short can need the same bytes per variant, a padding bit that is not 0
//! (a call past the last sample) is refused too. A variant repeating an earlier one's
//! chromosome, position and alleles is dropped and listed in the notes
//! ([`super::duplicates`]). Codes are counted as the
//! `.bim` 5th-column allele (A1), which PLINK 2 reads as ALT, so A1 is the effect allele:
//!
//! | code | call | ALT dosage |
//! |------|------|------------|
//! | `00` | A1/A1 | 2 |
//! | `01` | missing | — |
//! | `10` | A1/A2 | 1 |
//! | `11` | A2/A2 | 0 |
//!
//! ```no_run
//! use dash::genotype::{plink_bed::BedReader, BlockReader, GenotypeBlock};
//! let mut reader = BedReader::open("cohort.bed".as_ref(), None)?;
//! let mut block = GenotypeBlock::default();
//! while reader.read_block(256, &mut block)? {
//!     println!("{} variants, first {}", block.len(), block.variants[0].id);
//! }
//! # Ok::<(), dash::error::Error>(())
//! ```

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::io::read_up_to;
use super::{BlockReader, GenotypeBlock, Orientation, QcCounts, Region, Variant};
use crate::chrom;
use crate::error::{Error, IoResultExt, Result};

const MAGIC: [u8; 3] = [0x6c, 0x1b, 0x01];

/// Dosage of each of the four samples packed in one byte (missing as 0).
static DOSAGE_LUT: [[f64; 4]; 256] = build_dosage_lut();

const fn code_dosage(code: u8) -> f64 {
    match code {
        0b00 => 2.0,
        0b10 => 1.0,
        _ => 0.0, // 0b11 hom A2, 0b01 missing (recorded separately)
    }
}

const fn build_dosage_lut() -> [[f64; 4]; 256] {
    let mut lut = [[0.0; 4]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut k = 0;
        while k < 4 {
            lut[byte][k] = code_dosage(((byte >> (2 * k)) & 0b11) as u8);
            k += 1;
        }
        byte += 1;
    }
    lut
}

/// The three files of a PLINK 1 fileset.
#[derive(Debug, Clone)]
pub struct BedPaths {
    /// Genotypes.
    pub bed: PathBuf,
    /// Variants.
    pub bim: PathBuf,
    /// Samples.
    pub fam: PathBuf,
}

impl BedPaths {
    /// Accepts the `.bed`, `.bim` or `.fam` path or the bare prefix.
    pub fn from_any(path: &Path) -> BedPaths {
        let text = path.to_string_lossy();
        let prefix = ["bed", "bim", "fam"]
            .iter()
            .find_map(|ext| text.strip_suffix(&format!(".{ext}")))
            .unwrap_or(&text)
            .to_string();
        BedPaths {
            bed: PathBuf::from(format!("{prefix}.bed")),
            bim: PathBuf::from(format!("{prefix}.bim")),
            fam: PathBuf::from(format!("{prefix}.fam")),
        }
    }
}

/// Reads a `.bed` fileset in blocks of variants.
#[derive(Debug)]
pub struct BedReader {
    paths: BedPaths,
    file: BufReader<File>,
    samples: Vec<String>,
    variants: Vec<Variant>,
    /// Indices into `variants` that the reader yields (all, or those in `--region`).
    selected: Vec<usize>,
    next: usize,
    bytes_per_variant: usize,
    /// File offset the reader is positioned at, to skip needless seeks.
    position: u64,
    /// Bits of a variant's last byte past the last sample (0 when N is a multiple of 4).
    padding_mask: u8,
    /// Lines for the log (duplicates dropped).
    notes: Vec<String>,
}

impl BedReader {
    /// Opens the fileset and checks that the `.bed` size matches the `.bim` and `.fam` counts.
    pub fn open(path: &Path, region: Option<&Region>) -> Result<BedReader> {
        let paths = BedPaths::from_any(path);
        // The .bed first: a wrong path is named as the .bed the user gave.
        let mut file = File::open(&paths.bed).with_path(&paths.bed)?;
        let samples = read_fam(&paths.fam)?;
        let variants = read_bim(&paths.bim)?;
        let bytes_per_variant = samples.len().div_ceil(4);

        let mut magic = [0u8; 3];
        let got = read_up_to(&mut file, &mut magic).with_path(&paths.bed)?;
        if got < 3 || magic[..2] != MAGIC[..2] {
            return Err(Error::input(
                &paths.bed,
                format!(
                    "not a PLINK 1 .bed file (first bytes {:02x?}, expected 6c 1b)",
                    &magic[..got]
                ),
            ));
        }
        if magic[2] == 0x00 {
            return Err(Error::input(
                &paths.bed,
                "sample-major .bed (mode byte 00) is not supported; rewrite it with `plink2 --make-bed`",
            ));
        }
        if magic[2] != MAGIC[2] {
            return Err(Error::input(
                &paths.bed,
                format!(
                    "unknown .bed mode byte {:02x} (first bytes {:02x?}; expected 01, SNP-major)",
                    magic[2], magic
                ),
            ));
        }
        let size = file.metadata().with_path(&paths.bed)?.len();
        let expected = 3 + (variants.len() as u64) * (bytes_per_variant as u64);
        if size != expected {
            let what = if size < expected {
                "truncated"
            } else {
                "too long"
            };
            return Err(Error::input(
                &paths.bed,
                format!(
                    "{what}: {size} bytes, but the {} variants of {} × {} samples of {} need 3 + {} × {bytes_per_variant} = {expected}",
                    variants.len(),
                    paths.bim.display(),
                    samples.len(),
                    paths.fam.display(),
                    variants.len()
                ),
            ));
        }

        let mut selected: Vec<usize> = match region {
            None => (0..variants.len()).collect(),
            Some(r) => (0..variants.len())
                .filter(|&i| r.contains(&variants[i].chrom, variants[i].pos))
                .collect(),
        };
        let (dropped, note) = super::duplicates::duplicates_among(&variants, &selected, |i| {
            let v = &variants[i];
            format!(
                "{} (variant {} of {}, {v})",
                v.id,
                i + 1,
                paths.bim.display(),
            )
        });
        selected.retain(|i| !dropped.contains(i));
        let padding_mask = match samples.len() % 4 {
            0 => 0,
            r => !((1u8 << (2 * r)) - 1),
        };
        Ok(BedReader {
            paths,
            file: BufReader::with_capacity(1 << 20, file),
            samples,
            variants,
            selected,
            next: 0,
            bytes_per_variant,
            position: 3,
            padding_mask,
            notes: note.into_iter().collect(),
        })
    }

    /// The fileset's paths.
    pub fn paths(&self) -> &BedPaths {
        &self.paths
    }

    /// Reads the raw bytes of `count` selected variants starting at `self.next` into `raw`, one
    /// contiguous read per run of adjacent variants.
    fn read_raw(&mut self, count: usize, raw: &mut Vec<u8>) -> Result<()> {
        let bpv = self.bytes_per_variant;
        // Every byte is read over, so a recycled buffer is not cleared first (zero-filling 30 MiB
        // per block costs more than the read's own copy).
        raw.resize(count * bpv, 0);
        let mut k = 0;
        while k < count {
            let first = self.selected[self.next + k];
            let mut run = 1;
            while k + run < count && self.selected[self.next + k + run] == first + run {
                run += 1;
            }
            let offset = 3 + (first * bpv) as u64;
            if offset != self.position {
                self.file
                    .seek(SeekFrom::Start(offset))
                    .with_path(&self.paths.bed)?;
            }
            self.file
                .read_exact(&mut raw[k * bpv..(k + run) * bpv])
                .map_err(|e| Error::io(&self.paths.bed, e).at(format!("variant {}", first + 1)))?;
            self.position = offset + (run * bpv) as u64;
            k += run;
        }
        Ok(())
    }
}

impl BlockReader for BedReader {
    fn samples(&self) -> &[String] {
        &self.samples
    }

    fn variant_count_hint(&self) -> Option<u64> {
        Some(self.selected.len() as u64)
    }

    fn orientation(&self) -> Orientation {
        Orientation::Plink1
    }

    fn format_name(&self) -> &'static str {
        "plink1-bed"
    }

    fn sex_file(&self) -> Option<&Path> {
        Some(&self.paths.fam)
    }

    fn delivers_packed(&self) -> bool {
        true
    }

    fn dosage_field(&self) -> &str {
        "GT"
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn read_block(&mut self, max_variants: usize, block: &mut GenotypeBlock) -> Result<bool> {
        // The raw bytes are the packed calls: read them straight into the block's buffer.
        let mut raw = std::mem::take(&mut block.packed);
        block.clear();
        let count = max_variants.min(self.selected.len() - self.next);
        if count == 0 {
            return Ok(false);
        }
        self.read_raw(count, &mut raw)?;
        let n = self.samples.len();
        let bpv = self.bytes_per_variant;
        if self.padding_mask != 0 {
            // One byte per variant: calls past the last sample mean the .fam is short.
            let bad = raw
                .chunks_exact(bpv)
                .position(|bytes| bytes[bpv - 1] & self.padding_mask != 0);
            if let Some(k) = bad {
                let v = &self.variants[self.selected[self.next + k]];
                return Err(Error::input(
                    &self.paths.bed,
                    format!(
                        "calls past the last of the {n} samples of {}: the padding bits of the variant's last byte are not 0, so the .bed was written for more samples than the .fam lists",
                        self.paths.fam.display()
                    ),
                )
                .at(format!("variant {} ({})", self.selected[self.next + k] + 1, v.id)));
            }
        }
        block.packed = raw;
        block.bytes_per_variant = bpv;
        block.n_samples = n;
        let selected = &self.selected[self.next..self.next + count];
        block
            .variants
            .extend(selected.iter().map(|&i| self.variants[i].clone()));
        // Counting genotypes and listing missing calls is left to `finish_decoding`, which runs
        // on the worker that sums the block: this thread only does I/O.
        self.next += count;
        Ok(true)
    }
}

/// Unpacks one variant's bytes into dosages (missing as 0), four per byte from a table.
pub fn unpack(bytes: &[u8], dosages: &mut [f64]) {
    let n = dosages.len();
    let full = n / 4;
    for (chunk, &byte) in dosages[..full * 4].chunks_exact_mut(4).zip(bytes) {
        chunk.copy_from_slice(&DOSAGE_LUT[byte as usize]);
    }
    let tail = n - full * 4;
    if tail > 0 {
        let lut = &DOSAGE_LUT[bytes[full] as usize];
        dosages[full * 4..].copy_from_slice(&lut[..tail]);
    }
}

/// Decodes one variant's bytes into `dosages` (length N), appending missing sample indices.
pub fn decode_variant(bytes: &[u8], dosages: &mut [f64], missing: &mut Vec<u32>) -> QcCounts {
    unpack(bytes, dosages);
    scan_variant(bytes, dosages.len(), missing)
}

/// Low bit of every 2-bit call in a 64-bit word.
const LOW_BITS: u64 = 0x5555_5555_5555_5555;

/// Walks one variant's calls 32 at a time: `visit(lo, hi, valid, base)` gets, for the samples
/// `base..base + 32`, the low and high bit of each 2-bit call at its low-bit position (`00`
/// hom-ALT, `01` missing, `10` het, `11` hom-REF), masked by `valid`, the low bits of the
/// samples before `n` (the last byte's padding is not a call).
#[inline(always)]
fn for_each_word(bytes: &[u8], n: usize, mut visit: impl FnMut(u64, u64, u64, usize)) {
    let mut visit_word = |word: u64, base: usize| {
        let valid = if base + 32 <= n {
            LOW_BITS
        } else {
            LOW_BITS & ((1u64 << (2 * (n - base))) - 1)
        };
        visit(word & valid, (word >> 1) & valid, valid, base);
    };
    let words = bytes.len() / 8;
    for (w, chunk) in bytes[..words * 8].chunks_exact(8).enumerate() {
        visit_word(
            u64::from_le_bytes(chunk.try_into().expect("8 bytes")),
            w * 32,
        );
    }
    let rest = &bytes[words * 8..];
    if !rest.is_empty() {
        let mut buffer = [0u8; 8];
        buffer[..rest.len()].copy_from_slice(rest);
        visit_word(u64::from_le_bytes(buffer), words * 32);
    }
}

/// Appends the samples of the missing calls (`lo & !hi`) in one word to `missing`; returns
/// their number.
#[inline(always)]
fn push_missing(lo: u64, hi: u64, base: usize, missing: &mut Vec<u32>) -> u64 {
    let mut is_missing = lo & !hi;
    let count = u64::from(is_missing.count_ones());
    while is_missing != 0 {
        let bit = is_missing.trailing_zeros() as usize;
        missing.push((base + bit / 2) as u32);
        is_missing &= is_missing - 1;
    }
    count
}

/// Counts one variant's genotypes over `n` samples and lists its missing calls.
///
/// Works on 64-bit words (32 samples) with popcounts.
pub fn scan_variant(bytes: &[u8], n: usize, missing: &mut Vec<u32>) -> QcCounts {
    let (mut hom_alt, mut het, mut missing_count) = (0u64, 0u64, 0u64);
    for_each_word(bytes, n, |lo, hi, valid, base| {
        hom_alt += u64::from((!lo & !hi & valid).count_ones());
        het += u64::from((!lo & hi).count_ones());
        missing_count += push_missing(lo, hi, base, missing);
    });
    let hom_ref = n as u64 - hom_alt - het - missing_count;
    QcCounts::from_hard_calls(hom_ref, het, hom_alt, missing_count)
}

fn read_lines(path: &Path) -> Result<impl Iterator<Item = (usize, Result<String>)> + '_> {
    let file = File::open(path).with_path(path)?;
    Ok(BufReader::new(file)
        .lines()
        .enumerate()
        .map(move |(i, line)| (i + 1, line.with_path(path)))
        .filter(|(_, line)| !matches!(line, Ok(l) if l.trim().is_empty())))
}

/// Reads the `.fam`: one sample per line, IID in column 2; IIDs must be unique.
pub fn read_fam(path: &Path) -> Result<Vec<String>> {
    let mut samples = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (line_no, line) in read_lines(path)? {
        let line = line?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        // Six fields, as PLINK 1 writes them: a lost separator would otherwise shift the IID.
        if fields.len() != 6 {
            return Err(Error::input(
                path,
                format!(
                    "expected 6 fields (FID IID father mother sex phenotype), found {}",
                    fields.len()
                ),
            )
            .at(format!("line {line_no}")));
        }
        let iid = fields[1].to_string();
        if let Some(first) = seen.insert(iid.clone(), line_no) {
            return Err(Error::input(
                path,
                format!("duplicate sample IID '{iid}' (first on line {first})"),
            )
            .at(format!("line {line_no}")));
        }
        samples.push(iid);
    }
    if samples.is_empty() {
        return Err(Error::input(path, "no samples"));
    }
    Ok(samples)
}

/// Reads the `.bim`: chrom, id, cM, position, A1 (ALT, the effect allele), A2 (REF).
pub fn read_bim(path: &Path) -> Result<Vec<Variant>> {
    let mut variants = Vec::new();
    for (line_no, line) in read_lines(path)? {
        let line = line?;
        let at = || format!("line {line_no}");
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(Error::input(
                path,
                format!(
                    "expected 6 columns (chrom id cM pos A1 A2), found {}",
                    fields.len()
                ),
            )
            .at(at()));
        }
        let pos: u64 = fields[3].parse().map_err(|_| {
            Error::input(
                path,
                format!("position '{}' is not a whole number", fields[3]),
            )
            .at(at())
        })?;
        variants.push(Variant {
            chrom: chrom::normalize(fields[0]).into(),
            pos,
            id: fields[1].into(),
            ref_allele: fields[5].into(),
            alt_allele: fields[4].into(),
        });
    }
    Ok(variants)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(calls: &[Option<u8>]) -> Vec<u8> {
        // Inverse of the table above, written independently: dosage → code.
        let mut bytes = vec![0u8; calls.len().div_ceil(4)];
        for (i, call) in calls.iter().enumerate() {
            let code = match call {
                Some(2) => 0b00,
                None => 0b01,
                Some(1) => 0b10,
                Some(0) => 0b11,
                _ => unreachable!(),
            };
            bytes[i / 4] |= code << (2 * (i % 4));
        }
        bytes
    }

    #[test]
    fn decodes_every_code_and_ignores_padding() {
        for n in 1..=13 {
            let calls: Vec<Option<u8>> = (0..n)
                .map(|i| {
                    if i % 5 == 3 {
                        None
                    } else {
                        Some((i % 3) as u8)
                    }
                })
                .collect();
            let mut bytes = encode(&calls);
            // Set padding bits to a pattern that would read as missing/het if not ignored.
            if n % 4 != 0 {
                *bytes.last_mut().unwrap() |= 0b0110_0101 & !((1u8 << (2 * (n % 4))) - 1);
            }
            let mut dosages = vec![f64::NAN; n];
            let mut missing = Vec::new();
            let qc = decode_variant(&bytes, &mut dosages, &mut missing);
            for (i, call) in calls.iter().enumerate() {
                assert_eq!(dosages[i], call.map_or(0.0, f64::from), "n={n} i={i}");
            }
            let want_missing: Vec<u32> = (0..n as u32).filter(|&i| i % 5 == 3).collect();
            assert_eq!(missing, want_missing, "n={n}");
            let count = |d: u8| calls.iter().filter(|c| **c == Some(d)).count() as u64;
            assert_eq!(qc.hom_ref, count(0));
            assert_eq!(qc.het, count(1));
            assert_eq!(qc.hom_alt, count(2));
            assert_eq!(qc.missing, want_missing.len() as u64);
            assert_eq!(qc.dosage_sum, (count(1) + 2 * count(2)) as f64);
        }
    }

    #[test]
    fn paths_from_prefix_or_any_member() {
        for p in ["a/b", "a/b.bed", "a/b.bim", "a/b.fam"] {
            let paths = BedPaths::from_any(Path::new(p));
            assert_eq!(paths.bed, Path::new("a/b.bed"));
            assert_eq!(paths.fam, Path::new("a/b.fam"));
        }
    }
}
