//! The `.pgen` header: storage mode, counts, and where each variant's record is and of what
//! type.
//!
//! Bytes 0–1 are `6c 1b`; byte 2 the storage mode:
//!
//! | mode | layout |
//! |------|--------|
//! | `01` | a PLINK 1 variant-major `.bed` (3-byte header, `.bed` coding) |
//! | `02`, `03`, `04` | fixed-width records of type 0, `0x40` (dosages) or `0xc0` (phased dosages) |
//! | `10`, `11` | variable-width records with an index in the header (`11`: extensions after it) |
//! | `20`, `21` | the index in a separate `.pgen.pgi` file (not read here) |
//!
//! Other modes then hold the variant and sample counts (`u32` each) and a control byte: bits 0–3
//! the widths of record types (4 or 8 bits) and lengths (1–4 bytes), bits 4–5 the bytes of
//! stored allele counts, bits 6–7 how provisional REF alleles are flagged. Variable-width files
//! index records in blocks of 2^16 variants: the file offset of each block, then per block the
//! record types, the record lengths, the allele counts and the provisional-REF flags.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::record::RecordType;
use crate::error::{Error, IoResultExt, Result};

/// Variants per block of the index.
const BLOCK: usize = 1 << 16;

/// Where a record is and how it is stored.
#[derive(Debug, Clone)]
enum Layout {
    /// Every record has the same width and type.
    Fixed {
        start: u64,
        width: u64,
        record_type: RecordType,
    },
    /// Per-variant types and offsets (`offsets` has one more entry: the end of the last).
    Variable { types: Vec<u8>, offsets: Vec<u64> },
}

/// The parsed header of a `.pgen`.
#[derive(Debug, Clone)]
pub struct Header {
    /// The storage-mode byte.
    pub mode: u8,
    layout: Layout,
    /// Alleles per variant (REF included), when the header stores them.
    pub alleles: Option<Vec<u8>>,
    /// Whether any REF allele is flagged provisional (`Some(true)`/`Some(false)`), or `None`
    /// when the header leaves that to the `.pvar`.
    pub provisional: Option<bool>,
}

/// What the header must agree with: the `.pvar` and `.psam` counts and names for messages.
pub struct Expected<'a> {
    /// Variants in the `.pvar`.
    pub variants: usize,
    /// The `.pvar` path.
    pub pvar: &'a Path,
    /// Samples in the `.psam`.
    pub samples: usize,
    /// The `.psam` path.
    pub psam: &'a Path,
}

fn read_exact(file: &mut File, path: &Path, buf: &mut [u8], what: &str) -> Result<()> {
    file.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            Error::input(path, format!("truncated: the file ends inside its {what}"))
        }
        _ => Error::io(path, e),
    })
}

impl Header {
    /// Reads and checks the header of the `.pgen` at `path` (open as `file`).
    pub fn read(file: &mut File, path: &Path, expected: &Expected) -> Result<Header> {
        let size = file.metadata().with_path(path)?.len();
        let mut start = [0u8; 3];
        read_exact(file, path, &mut start, "header")?;
        if start[..2] != [0x6c, 0x1b] {
            return Err(Error::input(
                path,
                format!(
                    "not a .pgen file (first bytes {:02x?}, expected 6c 1b)",
                    &start[..2]
                ),
            ));
        }
        let mode = start[2];
        let n = expected.samples;
        let m = expected.variants;
        let genotype_bytes = n.div_ceil(4) as u64;
        match mode {
            0x00 => {
                return Err(Error::input(
                    path,
                    "storage mode 00 is a sample-major PLINK 1 .bed; rewrite it with `plink2 --bfile PREFIX --make-pgen`",
                ))
            }
            0x01 => {
                let header = Header {
                    mode,
                    layout: Layout::Fixed {
                        start: 3,
                        width: genotype_bytes,
                        record_type: RecordType(0),
                    },
                    alleles: None,
                    provisional: Some(true),
                };
                header.check_size(path, size, m)?;
                return Ok(header);
            }
            0x02..=0x04 | 0x10 | 0x11 => {}
            0x20 | 0x21 => {
                return Err(Error::input(
                    path,
                    format!("storage mode {mode:02x} keeps the record index in a separate .pgen.pgi file, which dash does not read; rewrite the fileset with `plink2 --pfile PREFIX --make-pgen`"),
                ))
            }
            0x30 | 0x31 => {
                return Err(Error::input(
                    path,
                    "this is a .pgen.pgi index file, not a .pgen",
                ))
            }
            other => {
                return Err(Error::input(
                    path,
                    format!("unknown storage mode {other:02x} (byte 3; known: 01–04, 10, 11, 20, 21)"),
                ))
            }
        }
        let mut counts = [0u8; 9];
        read_exact(file, path, &mut counts, "header")?;
        let header_m = u32::from_le_bytes(counts[..4].try_into().expect("4 bytes")) as usize;
        let header_n = u32::from_le_bytes(counts[4..8].try_into().expect("4 bytes")) as usize;
        if header_m != m {
            return Err(Error::input(
                path,
                format!(
                    "the header says {header_m} variants, but {} lists {m}",
                    expected.pvar.display()
                ),
            ));
        }
        if header_n != n {
            return Err(Error::input(
                path,
                format!(
                    "the header says {header_n} samples, but {} lists {n}",
                    expected.psam.display()
                ),
            ));
        }
        let control = counts[8];
        let flags = control >> 6;
        if mode < 0x10 {
            if control & 0x3f != 0 {
                return Err(Error::input(
                    path,
                    format!("fixed-width storage mode {mode:02x} with control byte {control:02x} (its low 6 bits must be 0)"),
                ));
            }
            let flag_bytes = if flags == 3 { m.div_ceil(8) } else { 0 };
            let mut flag_bits = vec![0u8; flag_bytes];
            read_exact(file, path, &mut flag_bits, "provisional-REF flags")?;
            let (record_type, width) = match mode {
                0x02 => (0x00, genotype_bytes),
                0x03 => (0x40, genotype_bytes + 2 * n as u64),
                _ => (0xc0, genotype_bytes + 4 * n as u64),
            };
            let header = Header {
                mode,
                layout: Layout::Fixed {
                    start: 12 + flag_bytes as u64,
                    width,
                    record_type: RecordType(record_type),
                },
                alleles: None,
                provisional: provisional(flags, &flag_bits),
            };
            header.check_size(path, size, m)?;
            return Ok(header);
        }
        let storage = control & 0x0f;
        if storage >= 8 {
            return Err(Error::input(
                path,
                format!("control byte {control:02x}: record-type encoding {storage} (single-sample forms) is not supported"),
            ));
        }
        let allele_bytes = usize::from((control >> 4) & 3);
        if allele_bytes > 1 {
            return Err(Error::input(
                path,
                format!("control byte {control:02x}: {allele_bytes}-byte allele counts (more than 254 ALT alleles) are not supported"),
            ));
        }
        let type_bits = if storage < 4 { 4 } else { 8 };
        let length_bytes = usize::from(storage & 3) + 1;
        let blocks = m.div_ceil(BLOCK);
        // The whole index is read at once: its size follows from M, which the .pvar bounds.
        let mut index_size = 8 * blocks;
        for b in 0..blocks {
            let count = BLOCK.min(m - b * BLOCK);
            index_size += (count * type_bits).div_ceil(8) + count * (length_bytes + allele_bytes);
            if flags == 3 {
                index_size += count.div_ceil(8);
            }
        }
        if 12 + index_size as u64 > size {
            return Err(Error::input(
                path,
                format!(
                    "truncated: {size} bytes, but the header's record index of {m} variants takes {} bytes",
                    12 + index_size
                ),
            ));
        }
        let mut index = vec![0u8; index_size];
        read_exact(file, path, &mut index, "record index")?;
        let (block_starts, mut body) = index.split_at(8 * blocks);
        let mut types = Vec::with_capacity(m);
        let mut offsets = Vec::with_capacity(m + 1);
        let mut alleles = (allele_bytes == 1).then(|| Vec::with_capacity(m));
        let mut flag_bits = Vec::new();
        let index_end = 12 + index_size as u64;
        for b in 0..blocks {
            let count = BLOCK.min(m - b * BLOCK);
            let block_start =
                u64::from_le_bytes(block_starts[8 * b..8 * b + 8].try_into().expect("8 bytes"));
            // Block 0 may start after extensions (mode 11); later blocks start where the
            // lengths of the records before them end.
            let consistent = match offsets.last() {
                None => block_start >= index_end,
                Some(&end) => block_start == end,
            };
            if !consistent {
                let expected = offsets.last().copied().unwrap_or(index_end);
                return Err(Error::input(
                    path,
                    format!("corrupt record index: block {b} of variants starts at byte {block_start}, but the header and record lengths before it end at byte {expected}"),
                ));
            }
            if offsets.is_empty() {
                offsets.push(block_start);
            }
            let type_bytes = (count * type_bits).div_ceil(8);
            let (type_part, rest) = body.split_at(type_bytes);
            if type_bits == 4 {
                types.extend((0..count).map(|k| (type_part[k / 2] >> (4 * (k % 2))) & 0x0f));
            } else {
                types.extend_from_slice(type_part);
            }
            let (length_part, rest) = rest.split_at(count * length_bytes);
            let mut at = block_start;
            for k in 0..count {
                let mut length = 0u64;
                for (i, &byte) in length_part[k * length_bytes..(k + 1) * length_bytes]
                    .iter()
                    .enumerate()
                {
                    length |= u64::from(byte) << (8 * i);
                }
                at += length;
                offsets.push(at);
            }
            let (allele_part, rest) = rest.split_at(count * allele_bytes);
            if let Some(alleles) = alleles.as_mut() {
                alleles.extend_from_slice(allele_part);
            }
            let flag_bytes = if flags == 3 { count.div_ceil(8) } else { 0 };
            let (flag_part, rest) = rest.split_at(flag_bytes);
            flag_bits.extend_from_slice(flag_part);
            body = rest;
        }
        let header = Header {
            mode,
            layout: Layout::Variable { types, offsets },
            alleles,
            provisional: provisional(flags, &flag_bits),
        };
        header.check_size(path, size, m)?;
        Ok(header)
    }

    /// The type of variant `v`'s record.
    #[inline]
    pub fn record_type(&self, v: usize) -> RecordType {
        match &self.layout {
            Layout::Fixed { record_type, .. } => *record_type,
            Layout::Variable { types, .. } => RecordType(types[v]),
        }
    }

    /// The byte range of variant `v`'s record.
    #[inline]
    pub fn range(&self, v: usize) -> (u64, u64) {
        match &self.layout {
            Layout::Fixed { start, width, .. } => {
                let at = start + width * v as u64;
                (at, at + width)
            }
            Layout::Variable { offsets, .. } => (offsets[v], offsets[v + 1]),
        }
    }

    /// Whether records are in PLINK 1 `.bed` coding (storage mode 01).
    pub fn bed_coded(&self) -> bool {
        self.mode == 0x01
    }

    /// Whether any record has a dosage track.
    pub fn has_dosages(&self) -> bool {
        match &self.layout {
            Layout::Fixed { record_type, .. } => record_type.dosage().is_some(),
            Layout::Variable { types, .. } => {
                types.iter().any(|&t| RecordType(t).dosage().is_some())
            }
        }
    }

    /// The index of the last record before `v` that is not LD-compressed (records of a block
    /// refer only to records of the same block, and its first record is never LD-compressed).
    pub fn ld_base(&self, v: usize) -> Option<usize> {
        let block_start = v / BLOCK * BLOCK;
        (block_start..v)
            .rev()
            .find(|&u| !self.record_type(u).is_ld())
    }

    /// Refuses a file shorter than its records' end, naming the first record past the end.
    fn check_size(&self, path: &Path, size: u64, m: usize) -> Result<()> {
        if m == 0 || self.range(m - 1).1 <= size {
            return Ok(());
        }
        // The first record that does not fit (records are in file order).
        let first = (0..m).find(|&v| self.range(v).1 > size).unwrap_or(m - 1);
        Err(Error::input(
            path,
            format!(
                "truncated: {size} bytes, but the records of {m} variants end at byte {}",
                self.range(m - 1).1
            ),
        )
        .at(format!("variant {}", first + 1)))
    }
}

/// Whether any REF allele is provisional, from the control byte's bits 6–7 and the flag bits.
fn provisional(flags: u8, bits: &[u8]) -> Option<bool> {
    match flags {
        0 => None,
        1 => Some(false),
        2 => Some(true),
        _ => Some(bits.iter().any(|&b| b != 0)),
    }
}

/// Seeks `file` to `offset`.
pub fn seek(file: &mut impl Seek, path: &Path, offset: u64) -> Result<()> {
    file.seek(SeekFrom::Start(offset)).with_path(path)?;
    Ok(())
}
