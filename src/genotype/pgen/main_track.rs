//! The main track: one variant's 2-bit categories, decoded from any storage ([`MainTrack`]),
//! and their conversion to PLINK 1 `.bed` coding so that the `.bed` table kernel sums them.
//!
//! Categories are packed four per byte, low bits first, in pgen coding (0 hom-REF, 1 het, 2 two
//! ALT alleles, 3 missing); the padding bits past the last sample are kept 0.

use super::bytes::{two_bit_bytes, Cursor, RecordResult};
use super::difflist;
use super::record::MainTrack;

/// pgen category → `.bed` code of the ALT1 dosage: hom-REF `11`, het `10`, hom-ALT `00`,
/// missing `01`.
const TO_BED: [u8; 4] = [0b11, 0b10, 0b00, 0b01];

/// [`TO_BED`] applied to the four calls of a byte.
static BED_OF_BYTE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut out = 0u8;
        let mut k = 0;
        while k < 4 {
            out |= TO_BED[(byte >> (2 * k)) & 3] << (2 * k);
            k += 1;
        }
        table[byte] = out;
        byte += 1;
    }
    table
};

/// For a nibble of a 1-bit array, the byte with bit `2j` set for each set bit `j`.
static SPREAD: [u8; 16] = {
    let mut table = [0u8; 16];
    let mut nibble = 0;
    while nibble < 16 {
        let mut k = 0;
        while k < 4 {
            if nibble >> k & 1 == 1 {
                table[nibble] |= 1 << (2 * k);
            }
            k += 1;
        }
        nibble += 1;
    }
    table
};

/// The mask of the last byte's bits that hold samples (all of them when N is a multiple of 4).
pub fn last_byte_mask(n: usize) -> u8 {
    match n % 4 {
        0 => 0xff,
        r => (1u8 << (2 * r)) - 1,
    }
}

/// Sets entry `sample` of packed 2-bit categories to `code`.
#[inline]
pub fn set(genotypes: &mut [u8], sample: usize, code: u8) {
    let shift = 2 * (sample % 4);
    let byte = &mut genotypes[sample / 4];
    *byte = (*byte & !(3 << shift)) | (code << shift);
}

/// Entry `sample` of packed 2-bit categories.
#[inline]
pub fn get(genotypes: &[u8], sample: usize) -> u8 {
    (genotypes[sample / 4] >> (2 * (sample % 4))) & 3
}

/// Decodes a main track into `out` (`ceil(n/4)` bytes). `ld_base` is the categories of the last
/// record that is not LD-compressed (read only by LD-compressed tracks).
pub fn decode(
    cursor: &mut Cursor,
    track: MainTrack,
    n: usize,
    ld_base: &[u8],
    out: &mut Vec<u8>,
) -> RecordResult<()> {
    let bytes = two_bit_bytes(n);
    out.clear();
    match track {
        MainTrack::Plain => out.extend_from_slice(cursor.take(bytes, "genotypes")?),
        MainTrack::OneBit => {
            let pair = cursor.byte("1-bit genotypes")?;
            // The two most common categories, low and high: codes 1, 2, 3, 5, 6, 9.
            let (low, delta) = (pair / 4, pair & 3);
            if delta == 0 || low + delta > 3 {
                return Err(format!(
                    "its 1-bit genotype track names category pair {pair} (expected 1, 2, 3, 5, 6 or 9)"
                ));
            }
            let bits = cursor.take(n.div_ceil(8), "1-bit genotypes")?;
            // No carries: each 2-bit field gets low + delta·bit ≤ 3.
            let base = low * 0x55;
            out.reserve(bytes);
            for &b in bits {
                out.push(base + delta * SPREAD[usize::from(b & 0x0f)]);
                out.push(base + delta * SPREAD[usize::from(b >> 4)]);
            }
            out.truncate(bytes);
            patch(cursor, n, out)?;
        }
        MainTrack::Ld { inverted } => {
            out.extend_from_slice(ld_base);
            patch(cursor, n, out)?;
            if inverted {
                for byte in out.iter_mut() {
                    // Swap categories 0 and 2: flip the high bit where the low bit is 0.
                    *byte ^= (!*byte & 0x55) << 1;
                }
            }
        }
        MainTrack::Sparse { common } => {
            out.resize(bytes, common * 0x55);
            patch(cursor, n, out)?;
        }
    }
    if let Some(last) = out.last_mut() {
        *last &= last_byte_mask(n);
    }
    Ok(())
}

/// Reads a difflist with categories and writes them over `out`.
fn patch(cursor: &mut Cursor, n: usize, out: &mut [u8]) -> RecordResult<()> {
    difflist::visit(cursor, n, true, "genotype difflist", |sample, code| {
        set(out, sample as usize, code)
    })?;
    Ok(())
}

/// The `.bed` codes of 32 pgen categories in a word: high bit `!h`, low bit `!(h ^ l)` (0 → 11,
/// 1 → 10, 2 → 00, 3 → 01, as [`TO_BED`]).
#[inline(always)]
fn bed_word(word: u64) -> u64 {
    const LOW: u64 = 0x5555_5555_5555_5555;
    let low = word & LOW;
    let high = (word >> 1) & LOW;
    (!(high ^ low) & LOW) | ((!high & LOW) << 1)
}

/// Appends the `.bed` coding of pgen categories (padding bits stay `00`).
pub fn append_bed(genotypes: &[u8], n: usize, out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + genotypes.len(), 0);
    let target = &mut out[start..];
    let mut words = target.chunks_exact_mut(8);
    let mut sources = genotypes.chunks_exact(8);
    for (to, from) in (&mut words).zip(&mut sources) {
        let word = u64::from_le_bytes(from.try_into().expect("8 bytes"));
        to.copy_from_slice(&bed_word(word).to_le_bytes());
    }
    for (to, &from) in words.into_remainder().iter_mut().zip(sources.remainder()) {
        *to = BED_OF_BYTE[usize::from(from)];
    }
    if let Some(last) = target.last_mut() {
        *last &= last_byte_mask(n);
    }
}

/// Converts `.bed` codes (storage mode 01) into categories in `out`.
pub fn from_bed(bytes: &[u8], n: usize, out: &mut Vec<u8>) {
    out.clear();
    // `.bed` 00 hom-ALT, 01 missing, 10 het, 11 hom-REF → 2, 3, 1, 0: the inverse of TO_BED.
    out.extend(bytes.iter().map(|&b| {
        let mut category = 0u8;
        for k in 0..4 {
            let code = (b >> (2 * k)) & 3;
            category |= [2u8, 3, 1, 0][usize::from(code)] << (2 * k);
        }
        category
    }));
    if let Some(last) = out.last_mut() {
        *last &= last_byte_mask(n);
    }
}

/// Counts of categories 0–3 over `n` samples.
pub fn counts(genotypes: &[u8], n: usize) -> [u64; 4] {
    let mut counts = [0u64; 4];
    for sample in 0..n {
        counts[usize::from(get(genotypes, sample))] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::super::difflist::tests::encode;
    use super::*;

    fn pack(codes: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; two_bit_bytes(codes.len())];
        for (i, &c) in codes.iter().enumerate() {
            set(&mut out, i, c);
        }
        out
    }

    fn run(track: MainTrack, bytes: &[u8], n: usize, base: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut c = Cursor::new(bytes);
        decode(&mut c, track, n, base, &mut out).unwrap();
        assert!(c.rest().is_empty(), "{track:?} left bytes");
        (0..n).map(|i| get(&out, i)).collect()
    }

    #[test]
    fn every_storage() {
        let n = 11;
        let want: Vec<u8> = vec![0, 1, 2, 3, 0, 0, 1, 1, 0, 2, 1];
        assert_eq!(run(MainTrack::Plain, &pack(&want), n, &[]), want);

        // 1-bit: categories 0 and 1 (pair 1) by bit, 2 and 3 in the difflist.
        let mut bytes = vec![1u8];
        let bits: u16 = want
            .iter()
            .enumerate()
            .map(|(i, &c)| u16::from(c == 1) << i)
            .sum();
        bytes.extend_from_slice(&bits.to_le_bytes());
        bytes.extend(encode(&[2, 3, 9], Some(&[2, 3, 2]), n));
        assert_eq!(run(MainTrack::OneBit, &bytes, n, &[]), want);

        // Sparse around category 0.
        let others: Vec<u32> = (0..n as u32).filter(|&i| want[i as usize] != 0).collect();
        let codes: Vec<u8> = others.iter().map(|&i| want[i as usize]).collect();
        let bytes = encode(&others, Some(&codes), n);
        assert_eq!(run(MainTrack::Sparse { common: 0 }, &bytes, n, &[]), want);

        // LD against a base, plain and inverted (patch, then swap 0 and 2).
        let base = pack(&[0; 11]);
        assert_eq!(
            run(MainTrack::Ld { inverted: false }, &bytes, n, &base),
            want
        );
        let inverted: Vec<u8> = want.iter().map(|&c| [2, 1, 0, 3][c as usize]).collect();
        assert_eq!(
            run(MainTrack::Ld { inverted: true }, &bytes, n, &base),
            inverted
        );
    }

    #[test]
    fn word_conversion_is_the_table() {
        for byte in 0..=255u8 {
            let word = u64::from_le_bytes([byte; 8]);
            assert_eq!(
                bed_word(word),
                u64::from_le_bytes([BED_OF_BYTE[byte as usize]; 8])
            );
        }
    }

    #[test]
    fn bed_codes_and_padding() {
        let genotypes = pack(&[0, 1, 2, 3, 2]);
        let mut bed = Vec::new();
        append_bed(&genotypes, 5, &mut bed);
        assert_eq!(bed, vec![0b01_00_10_11, 0b00]);
        assert_eq!(counts(&genotypes, 5), [1, 1, 2, 1]);
    }

    #[test]
    fn bad_one_bit_pair() {
        let mut out = Vec::new();
        let err = decode(
            &mut Cursor::new(&[4, 0]),
            MainTrack::OneBit,
            4,
            &[],
            &mut out,
        )
        .unwrap_err();
        assert!(err.contains("category pair 4"), "{err}");
    }
}
