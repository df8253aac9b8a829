//! The multi-allelic hard-call track (record type bit 3): which category-1 calls are REF/ALTx
//! for x ≥ 2 rather than REF/ALT1, and which category-2 calls are ALTx/ALTy other than
//! ALT1/ALT1.
//!
//! Its first byte gives the form of each of the two patch sets (low nibble: category 1, high
//! nibble: category 2): 0, a bit array over the samples of the category; 1, a deltalist of
//! sample indices; 15, empty. Then come the allele indices of the patched calls, packed at a
//! width set by the allele count.

use super::bytes::{bit, count_ones, entry, Cursor, RecordResult};
use super::difflist::{self, Difflist};
use super::main_track::get;

/// The calls a multi-allelic track changes (allele indices: 0 REF, 1 ALT1, …).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Patches {
    /// Category-1 calls that are REF/ALTx: (sample, x), x ≥ 2.
    pub het: Vec<(u32, u8)>,
    /// Category-2 calls that are ALTx/ALTy, x ≤ y, other than ALT1/ALT1: (sample, x, y).
    pub two: Vec<(u32, u8, u8)>,
}

/// The samples of one patch set, in order: from a bit array over the samples in `category`, or
/// a deltalist.
fn patched_samples(
    cursor: &mut Cursor,
    form: u8,
    genotypes: &[u8],
    n: usize,
    category: u8,
    list: &mut Difflist,
    what: &str,
) -> RecordResult<Vec<u32>> {
    match form {
        15 => Ok(Vec::new()),
        0 => {
            let members: Vec<u32> = (0..n)
                .filter(|&s| get(genotypes, s) == category)
                .map(|s| s as u32)
                .collect();
            let bits = cursor.take(members.len().div_ceil(8), what)?;
            Ok(members
                .iter()
                .enumerate()
                .filter(|&(j, _)| bit(bits, j))
                .map(|(_, &s)| s)
                .collect())
        }
        1 => {
            difflist::read(cursor, n, false, what, list)?;
            if let Some(&s) = list
                .samples
                .iter()
                .find(|&&s| get(genotypes, s as usize) != category)
            {
                return Err(format!(
                    "its {what} patches sample index {s}, whose main-track call is not in category {category}"
                ));
            }
            Ok(list.samples.clone())
        }
        other => Err(format!("its {what} has unknown form {other}")),
    }
}

/// Reads the track of a variant with `alleles` alleles (REF included, ≥ 3) over the main-track
/// categories `genotypes`.
pub fn read(
    cursor: &mut Cursor,
    genotypes: &[u8],
    n: usize,
    alleles: usize,
    list: &mut Difflist,
) -> RecordResult<Patches> {
    if !(3..=255).contains(&alleles) {
        return Err(format!(
            "it has a multi-allelic track, but its variant has {alleles} alleles"
        ));
    }
    let forms = cursor.byte("multi-allelic track")?;
    let mut patches = Patches::default();

    let what = "multi-allelic het patch";
    let samples = patched_samples(cursor, forms & 15, genotypes, n, 1, list, what)?;
    // 0 bits for 3 alleles (always ALT2), then 1, 2, 4 or 8.
    let width = match alleles {
        3 => 0,
        4 => 1,
        5 | 6 => 2,
        7..=18 => 4,
        _ => 8,
    };
    let values = cursor.take((samples.len() * width).div_ceil(8), what)?;
    for (k, &s) in samples.iter().enumerate() {
        let x = if width == 0 {
            0
        } else {
            entry(values, k, width)
        } + 2;
        if x as usize >= alleles {
            return Err(format!("its {what} names allele {x} of {alleles}"));
        }
        patches.het.push((s, x as u8));
    }

    let what = "multi-allelic hom patch";
    let samples = patched_samples(cursor, forms >> 4, genotypes, n, 2, list, what)?;
    let k_count = samples.len();
    if alleles == 3 {
        // One bit: set ALT2/ALT2, clear ALT1/ALT2.
        let bits = cursor.take(k_count.div_ceil(8), what)?;
        for (k, &s) in samples.iter().enumerate() {
            let y = 2;
            let x = if bit(bits, k) { 2 } else { 1 };
            patches.two.push((s, x, y));
        }
        return Ok(patches);
    }
    // Pairs of (allele index − 1), low value first.
    let width = match alleles {
        4 | 5 => 2,
        6..=17 => 4,
        _ => 8,
    };
    let values = cursor.take((2 * k_count * width).div_ceil(8), what)?;
    for (k, &s) in samples.iter().enumerate() {
        let x = entry(values, 2 * k, width) + 1;
        let y = entry(values, 2 * k + 1, width) + 1;
        if x > y || y as usize >= alleles || (x, y) == (1, 1) {
            return Err(format!(
                "its {what} names the call {x}/{y} (of {alleles} alleles)"
            ));
        }
        patches.two.push((s, x as u8, y as u8));
    }
    Ok(patches)
}

/// Heterozygous calls after patching: category 1, plus ALTx/ALTy with x ≠ y (the calls the
/// phase track covers).
pub fn het_count(genotypes: &[u8], n: usize, patches: Option<&Patches>) -> usize {
    let mut count = 0;
    let full = n / 4;
    for &b in &genotypes[..full] {
        // Category 1: low bit set, high bit clear.
        count += (b & 0x55 & !(b >> 1)).count_ones() as usize;
    }
    count += (full * 4..n).filter(|&s| get(genotypes, s) == 1).count();
    if let Some(p) = patches {
        count += p.two.iter().filter(|&&(_, x, y)| x != y).count();
    }
    count
}

/// Skips the hard-call phase track (record type bit 4) of a variant with `hets` heterozygous
/// calls: a flag bit, then either `hets` bits saying which calls are phased and a byte-aligned
/// bit per phased call, or (flag clear) a bit per call.
pub fn skip_phase(cursor: &mut Cursor, hets: usize) -> RecordResult<()> {
    let first = cursor.take(1 + hets / 8, "phase track")?;
    if first[0] & 1 == 1 {
        let phased = count_ones(first, 1 + hets) - 1;
        cursor.take(phased.div_ceil(8), "phase track")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::difflist::tests::encode;
    use super::*;

    fn pack(codes: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; codes.len().div_ceil(4)];
        for (i, &c) in codes.iter().enumerate() {
            super::super::main_track::set(&mut out, i, c);
        }
        out
    }

    #[test]
    fn three_alleles_bit_array_forms() {
        // Samples: 0 het, 1 het, 2 hom, 3 hom, 4 ref. Het patch: sample 1 is REF/ALT2.
        // Hom patch: sample 2 ALT1/ALT2 (bit clear), sample 3 ALT2/ALT2 (bit set).
        let g = pack(&[1, 1, 2, 2, 0]);
        let bytes = [0x00, 0b10, 0b11, 0b10];
        let mut list = Difflist::default();
        let p = read(&mut Cursor::new(&bytes), &g, 5, 3, &mut list).unwrap();
        assert_eq!(p.het, vec![(1, 2)]);
        assert_eq!(p.two, vec![(2, 1, 2), (3, 2, 2)]);
        assert_eq!(het_count(&g, 5, Some(&p)), 3);
    }

    #[test]
    fn five_alleles_deltalist_forms() {
        // Het patch by deltalist: sample 0 is REF/ALT4 (value 2, 2 bits). Hom patch: empty.
        let g = pack(&[1, 0, 0]);
        let mut bytes = vec![0xf1];
        bytes.extend(encode(&[0], None, 3));
        bytes.push(0b10);
        let mut list = Difflist::default();
        let p = read(&mut Cursor::new(&bytes), &g, 3, 5, &mut list).unwrap();
        assert_eq!(p.het, vec![(0, 4)]);
        assert!(p.two.is_empty());
        // A deltalist naming a sample outside category 1 is refused.
        let g = pack(&[0, 1, 0]);
        assert!(read(&mut Cursor::new(&bytes), &g, 3, 5, &mut list)
            .unwrap_err()
            .contains("not in category 1"));
    }

    #[test]
    fn phase_track_lengths() {
        // Flag clear: 1 + 10 bits → 2 bytes.
        let mut c = Cursor::new(&[0, 0, 9]);
        skip_phase(&mut c, 10).unwrap();
        assert_eq!(c.rest(), &[9]);
        // Flag set, 3 of 10 phased: 2 bytes, then 1 byte of phase bits.
        let mut c = Cursor::new(&[0b0000_1111, 0, 0, 9]);
        skip_phase(&mut c, 10).unwrap();
        assert_eq!(c.rest(), &[9]);
    }
}
