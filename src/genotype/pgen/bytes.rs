//! A bounds-checked reader over one variant record's bytes.
//!
//! Every field of a record is read through [`Cursor`], so a record that ends early, or a varint
//! that runs past its end, is an error message rather than a panic or a read of the next
//! record's bytes.

/// Reads fields in order from a record's bytes.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// What went wrong inside a record (the caller adds the file and variant).
pub type RecordResult<T> = Result<T, String>;

fn short(what: &str) -> String {
    format!("the record ends inside its {what}")
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, at: 0 }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &str) -> RecordResult<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| short(what))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// The next byte.
    pub fn byte(&mut self, what: &str) -> RecordResult<u8> {
        Ok(self.take(1, what)?[0])
    }

    /// A little-endian unsigned integer of `width` bytes (1–4).
    pub fn uint(&mut self, width: usize, what: &str) -> RecordResult<u32> {
        let bytes = self.take(width, what)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u32, |value, &b| (value << 8) | u32::from(b)))
    }

    /// A base-128 varint of at most 31 bits (the format's counts and sample-ID gaps).
    #[inline(always)]
    pub fn varint(&mut self, what: &str) -> RecordResult<u32> {
        // Most gaps of a difflist fit in one byte.
        if let Some(&b) = self.bytes.get(self.at) {
            if b < 0x80 {
                self.at += 1;
                return Ok(u32::from(b));
            }
        }
        self.long_varint(what)
    }

    /// [`Cursor::varint`] past its one-byte case.
    #[inline(never)]
    fn long_varint(&mut self, what: &str) -> RecordResult<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let b = self.byte(what)?;
            let part = u32::from(b & 0x7f);
            if shift == 28 && part > 0x07 {
                return Err(format!("a varint in its {what} exceeds 2^31"));
            }
            value |= part << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("a varint in its {what} exceeds 2^31"))
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at..]
    }
}

/// Bytes holding `n` 2-bit entries.
pub fn two_bit_bytes(n: usize) -> usize {
    n.div_ceil(4)
}

/// Bit `i` of a little-endian bit array.
#[inline]
pub fn bit(bits: &[u8], i: usize) -> bool {
    bits[i / 8] >> (i % 8) & 1 == 1
}

/// Entry `i` of a packed array of `width`-bit entries (1, 2, 4 or 8), low bits first.
#[inline]
pub fn entry(bytes: &[u8], i: usize, width: usize) -> u32 {
    let per_byte = 8 / width;
    let shift = (i % per_byte) * width;
    u32::from(bytes[i / per_byte] >> shift) & ((1u32 << width) - 1)
}

/// Number of set bits among the first `n` bits of `bits`.
pub fn count_ones(bits: &[u8], n: usize) -> usize {
    let full = n / 8;
    let mut count: usize = bits[..full].iter().map(|b| b.count_ones() as usize).sum();
    if !n.is_multiple_of(8) {
        count += (bits[full] & ((1u8 << (n % 8)) - 1)).count_ones() as usize;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_bounds() {
        // 5000 is 0x88 0x27 (the pgen spec's example); 127 one byte; 128 two.
        let mut c = Cursor::new(&[0x88, 0x27, 0x7f, 0x80, 0x01, 0xff]);
        assert_eq!(c.varint("x"), Ok(5000));
        assert_eq!(c.varint("x"), Ok(127));
        assert_eq!(c.varint("x"), Ok(128));
        assert!(c.varint("x").unwrap_err().contains("ends inside"));
        let mut c = Cursor::new(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(c.varint("x").unwrap_err().contains("2^31"));
        let mut c = Cursor::new(&[0x01, 0x02, 0x03]);
        assert_eq!(c.uint(3, "x"), Ok(0x030201));
        assert!(c.take(1, "x").is_err());
    }

    #[test]
    fn packed_entries() {
        assert_eq!(entry(&[0b1110_0100], 0, 2), 0);
        assert_eq!(entry(&[0b1110_0100], 3, 2), 3);
        assert_eq!(entry(&[0xa5], 1, 4), 0xa);
        assert!(bit(&[0, 0b10], 9));
        assert_eq!(count_ones(&[0xff, 0b0000_0111], 10), 10);
    }
}
