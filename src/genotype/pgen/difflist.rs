//! Difflists: sparse, increasing lists of sample indices, optionally with a 2-bit genotype
//! category per sample.
//!
//! A difflist is a varint length L; then, for each group of 64 entries, the group's first sample
//! index (1–4 bytes: the bytes needed to write N itself, as pgenlib sizes them, so N = 256 takes
//! 2); G − 1 bytes of group sizes (only needed to skip a list, not to read it); with
//! genotypes, `ceil(L/4)` bytes of 2-bit categories; and the L − G gaps between consecutive
//! indices within a group, as varints. A "deltalist" is the same without the categories.

use super::bytes::{two_bit_bytes, Cursor, RecordResult};

/// Entries per group.
const GROUP: usize = 64;

/// One parsed difflist.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Difflist {
    /// Sample indices, strictly increasing, each below N.
    pub samples: Vec<u32>,
    /// Packed 2-bit categories, one per entry (empty for a deltalist).
    pub codes: Vec<u8>,
}

impl Difflist {
    /// Category of entry `k` (0–3); only for a list read with genotypes.
    #[inline]
    pub fn code(&self, k: usize) -> u8 {
        (self.codes[k / 4] >> (2 * (k % 4))) & 3
    }
}

/// Bytes of each group's first sample index: the fewest bytes representing `n` (as the format
/// defines it: 1 byte up to N = 255, 2 up to 65535, …).
fn index_width(n: usize) -> usize {
    match n {
        0..=0xff => 1,
        0x100..=0xffff => 2,
        0x1_0000..=0xff_ffff => 3,
        _ => 4,
    }
}

/// Reads a difflist over `n` samples into `list` (reusing its buffers); `with_codes`: whether it
/// carries 2-bit categories. `what` names the list in errors.
pub fn read(
    cursor: &mut Cursor,
    n: usize,
    with_codes: bool,
    what: &str,
    list: &mut Difflist,
) -> RecordResult<()> {
    list.samples.clear();
    list.codes.clear();
    let samples = &mut list.samples;
    let codes = visit(cursor, n, with_codes, what, |sample, _| {
        samples.push(sample)
    })?;
    list.codes.extend_from_slice(codes);
    Ok(())
}

/// Walks a difflist over `n` samples, calling `each(sample, category)` per entry in order (the
/// category is 0 for a list without them), without storing it; returns the packed categories.
#[inline]
pub fn visit<'a>(
    cursor: &mut Cursor<'a>,
    n: usize,
    with_codes: bool,
    what: &str,
    mut each: impl FnMut(u32, u8),
) -> RecordResult<&'a [u8]> {
    let len = cursor.varint(what)? as usize;
    if len == 0 {
        return Ok(&[]);
    }
    if len > n {
        return Err(format!("its {what} lists {len} samples, but there are {n}"));
    }
    let groups = len.div_ceil(GROUP);
    let width = index_width(n);
    let firsts = cursor.take(groups * width, what)?;
    cursor.take(groups - 1, what)?; // group byte sizes: only for skipping
    let codes = if with_codes {
        cursor.take(two_bit_bytes(len), what)?
    } else {
        &[]
    };
    let code = |k: usize| {
        if with_codes {
            (codes[k / 4] >> (2 * (k % 4))) & 3
        } else {
            0
        }
    };
    // One past the previous entry: each group's first must not go back.
    let mut floor = 0u64;
    for g in 0..groups {
        let mut first = Cursor::new(&firsts[g * width..(g + 1) * width]);
        let mut sample = u64::from(first.uint(width, what)?);
        if sample < floor {
            return Err(format!("its {what} is not in increasing sample order"));
        }
        let in_group = GROUP.min(len - g * GROUP);
        for k in 0..in_group {
            if k > 0 {
                let gap = cursor.varint(what)?;
                if gap == 0 {
                    return Err(format!("its {what} repeats sample index {sample}"));
                }
                sample += u64::from(gap);
            }
            if sample >= n as u64 {
                return Err(format!(
                    "its {what} names sample index {sample}, but there are {n} samples"
                ));
            }
            each(sample as u32, code(g * GROUP + k));
        }
        floor = sample + 1;
    }
    Ok(codes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a difflist as the spec describes it (an independent encoder for tests).
    pub fn encode(samples: &[u32], codes: Option<&[u8]>, n: usize) -> Vec<u8> {
        fn varint(mut v: u32, out: &mut Vec<u8>) {
            while v >= 0x80 {
                out.push((v as u8 & 0x7f) | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        let mut out = Vec::new();
        varint(samples.len() as u32, &mut out);
        if samples.is_empty() {
            return out;
        }
        let width = index_width(n);
        let mut gaps = Vec::new();
        let mut sizes = Vec::new();
        for group in samples.chunks(GROUP) {
            out.extend_from_slice(&group[0].to_le_bytes()[..width]);
            let before = gaps.len();
            for pair in group.windows(2) {
                varint(pair[1] - pair[0], &mut gaps);
            }
            sizes.push((gaps.len() - before) as u8);
        }
        // Group sizes as the spec stores them (size − 63); a reader does not need them.
        out.extend(sizes[..sizes.len() - 1].iter().map(|s| s.wrapping_sub(63)));
        if let Some(codes) = codes {
            let mut packed = vec![0u8; samples.len().div_ceil(4)];
            for (k, c) in codes.iter().enumerate() {
                packed[k / 4] |= c << (2 * (k % 4));
            }
            out.extend(packed);
        }
        out.extend(gaps);
        out
    }

    #[test]
    fn reads_what_the_spec_example_writes() {
        // The spec's example: N = 488377, 79 entries 5000, 10000, …, 395000, with genotypes.
        let samples: Vec<u32> = (1..=79).map(|k| k * 5000).collect();
        let codes: Vec<u8> = (0..79).map(|k| (k % 4) as u8).collect();
        let bytes = encode(&samples, Some(&codes), 488_377);
        assert_eq!(
            &bytes[..8],
            &[0x4f, 0x88, 0x13, 0x00, 0x88, 0xf5, 0x04, 0x3f]
        );
        let mut list = Difflist::default();
        let mut c = Cursor::new(&bytes);
        read(&mut c, 488_377, true, "difflist", &mut list).unwrap();
        assert_eq!(list.samples, samples);
        assert!((0..79).all(|k| list.code(k) == (k % 4) as u8));
        assert!(c.rest().is_empty());
    }

    #[test]
    fn refuses_bad_lists() {
        let mut list = Difflist::default();
        let bytes = encode(&[3, 9], None, 10);
        assert!(read(&mut Cursor::new(&bytes), 9, false, "x", &mut list)
            .unwrap_err()
            .contains("sample index 9"));
        assert!(
            read(&mut Cursor::new(&bytes[..2]), 10, false, "x", &mut list)
                .unwrap_err()
                .contains("ends inside")
        );
        assert!(read(&mut Cursor::new(&[5]), 4, false, "x", &mut list)
            .unwrap_err()
            .contains("lists 5 samples"));
    }
}
