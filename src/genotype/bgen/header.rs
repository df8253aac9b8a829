//! The BGEN header block: where the variants start, the counts, and the flags that say how
//! every variant is stored (BGEN spec, "Header block").
//!
//! ```text
//! offset u32 | LH u32 | M u32 | N u32 | magic "bgen" (or 4 zero bytes) | free data | flags u32
//! ```
//!
//! Flags: bits 0–1 the compression of probability blocks (0 none, 1 zlib, 2 zstd — zstd came
//! with v1.3), bits 2–5 the layout (1: v1.1, 2: v1.2 and v1.3), bit 31 whether a sample
//! identifier block follows the header.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// How probability blocks are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored as is.
    None,
    /// zlib (`compress()`, with the zlib header).
    Zlib,
    /// Zstandard (BGEN v1.3).
    Zstd,
}

/// How variants are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// BGEN v1.1: two alleles, three 16-bit probabilities per sample.
    One,
    /// BGEN v1.2/v1.3: any alleles, ploidy, phasing and bits per probability.
    Two,
}

/// The header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// File offset of the first variant block.
    pub first_variant: u64,
    /// Length of the header block.
    pub header_len: u32,
    /// Variants in the file.
    pub n_variants: u32,
    /// Samples in the file.
    pub n_samples: u32,
    /// Probability block compression.
    pub compression: Compression,
    /// Variant layout.
    pub layout: Layout,
    /// Whether a sample identifier block follows the header.
    pub has_sample_ids: bool,
}

/// The largest sample count accepted: more would not fit the sample index type downstream.
const MAX_SAMPLES: u32 = u32::MAX / 2;

impl Header {
    /// Reads the header from the start of `input`; errors name `path`.
    pub fn read(input: &mut impl Read, path: &Path) -> Result<Header> {
        let bad = |message: String| Error::input(path, message).at("header");
        let mut fixed = [0u8; 20];
        input.read_exact(&mut fixed).map_err(|e| {
            bad(match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    "truncated: shorter than a BGEN header (20 bytes)".to_string()
                }
                _ => format!("cannot read: {e}"),
            })
        })?;
        let word = |k: usize| u32::from_le_bytes(fixed[k..k + 4].try_into().expect("4 bytes"));
        let magic = &fixed[16..20];
        if magic != b"bgen" && magic != [0u8; 4] {
            return Err(bad(format!(
                "not a BGEN file: magic {:?} is not \"bgen\"",
                String::from_utf8_lossy(magic)
            )));
        }
        let (offset, header_len) = (word(0), word(4));
        if header_len < 20 || header_len > offset {
            return Err(bad(format!(
                "header length {header_len} is outside 20..={offset} (the first variant's offset)"
            )));
        }
        // The free data, then the flags in the header's last four bytes.
        let free = u64::from(header_len - 20);
        let skipped = std::io::copy(&mut input.take(free), &mut std::io::sink())
            .map_err(|e| bad(format!("cannot read: {e}")))?;
        let mut flags = [0u8; 4];
        if skipped < free || input.read_exact(&mut flags).is_err() {
            return Err(bad("truncated inside the header block".to_string()));
        }
        let flags = u32::from_le_bytes(flags);
        let compression = match flags & 3 {
            0 => Compression::None,
            1 => Compression::Zlib,
            2 => Compression::Zstd,
            other => {
                return Err(bad(format!(
                    "compression type {other} is not defined (0 none, 1 zlib, 2 zstd)"
                )))
            }
        };
        let layout =
            match (flags >> 2) & 0xf {
                1 => Layout::One,
                2 => Layout::Two,
                0 => return Err(bad(
                    "layout 0 (BGEN v1.0) is not supported; convert with qctool or plink2 to v1.2"
                        .to_string(),
                )),
                other => {
                    return Err(bad(format!(
                        "layout {other} is not defined (1: v1.1, 2: v1.2/v1.3)"
                    )))
                }
            };
        if layout == Layout::One && compression == Compression::Zstd {
            return Err(bad(
                "zstd compression with layout 1: BGEN allows zstd only with layout 2".to_string(),
            ));
        }
        let n_samples = word(12);
        if n_samples > MAX_SAMPLES {
            return Err(bad(format!("{n_samples} samples: more than dash reads")));
        }
        Ok(Header {
            // The offset counts from the end of its own four bytes.
            first_variant: u64::from(offset) + 4,
            header_len,
            n_variants: word(8),
            n_samples,
            compression,
            layout,
            has_sample_ids: flags >> 31 == 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(offset: u32, len: u32, magic: &[u8; 4], flags: u32) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [offset, len, 7, 3] {
            b.extend(v.to_le_bytes());
        }
        b.extend(magic);
        b.resize(4 + len as usize - 4, 0);
        b.extend(flags.to_le_bytes());
        b
    }

    #[test]
    fn reads_flags() {
        let bytes = header(20, 20, b"bgen", 1 | 2 << 2 | 1 << 31);
        let h = Header::read(&mut bytes.as_slice(), "x.bgen".as_ref()).unwrap();
        assert_eq!((h.first_variant, h.n_variants, h.n_samples), (24, 7, 3));
        assert_eq!(
            (h.compression, h.layout, h.has_sample_ids),
            (Compression::Zlib, Layout::Two, true)
        );
        let bytes = header(30, 26, &[0; 4], 1 << 2);
        let h = Header::read(&mut bytes.as_slice(), "x.bgen".as_ref()).unwrap();
        assert_eq!(
            (h.compression, h.layout, h.has_sample_ids),
            (Compression::None, Layout::One, false)
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let err = |bytes: Vec<u8>| {
            Header::read(&mut bytes.as_slice(), "x.bgen".as_ref())
                .unwrap_err()
                .to_string()
        };
        assert!(err(header(20, 20, b"BGEN", 2 << 2)).contains("magic"));
        assert!(err(header(20, 20, b"bgen", 3 | 2 << 2)).contains("compression type 3"));
        assert!(err(header(20, 20, b"bgen", 3 << 2)).contains("layout 3"));
        assert!(err(header(20, 20, b"bgen", 0)).contains("layout 0"));
        assert!(err(header(20, 20, b"bgen", 2 | 1 << 2)).contains("zstd"));
        assert!(err(header(20, 20, b"bgen", 2 << 2)[..10].to_vec()).contains("truncated"));
        assert!(err(header(10, 20, b"bgen", 2 << 2)).contains("header length"));
    }
}
