//! The sample identifier block that may follow the BGEN header (flag bit 31):
//!
//! ```text
//! LSI u32 | N u32 | N × (length u16, identifier)
//! ```

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Reads the sample block; `n_samples` is the header's count, which the block must repeat.
/// `room` is the number of bytes before the first variant: the block must fit in it.
pub fn read(input: &mut impl Read, path: &Path, n_samples: u32, room: u64) -> Result<Vec<String>> {
    let bad = |message: String| Error::input(path, message).at("sample identifier block");
    let truncated = || bad("truncated inside the sample identifier block".to_string());
    let mut fixed = [0u8; 8];
    input.read_exact(&mut fixed).map_err(|_| truncated())?;
    let length = u32::from_le_bytes(fixed[..4].try_into().expect("4 bytes"));
    let count = u32::from_le_bytes(fixed[4..].try_into().expect("4 bytes"));
    if u64::from(length) > room {
        return Err(bad(format!(
            "its length {length} runs past the first variant ({room} bytes after the header)"
        )));
    }
    if count != n_samples {
        return Err(bad(format!(
            "{count} sample identifiers, but the header says {n_samples} samples"
        )));
    }
    // Every identifier takes at least its 2-byte length, so `length` bounds the count.
    if u64::from(count) * 2 + 8 > u64::from(length) {
        return Err(bad(format!(
            "{count} identifiers cannot fit in its {length} bytes"
        )));
    }
    let mut block = Vec::new();
    input
        .take(u64::from(length) - 8)
        .read_to_end(&mut block)
        .map_err(|_| truncated())?;
    if block.len() as u64 != u64::from(length) - 8 {
        return Err(truncated());
    }
    let mut samples = Vec::with_capacity(count as usize);
    let mut at = 0usize;
    for k in 0..count {
        let id_len = block
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or_else(|| bad(format!("sample {}'s identifier runs past the block", k + 1)))?;
        let id = block
            .get(at + 2..at + 2 + id_len)
            .ok_or_else(|| bad(format!("sample {}'s identifier runs past the block", k + 1)))?;
        samples.push(String::from_utf8_lossy(id).into_owned());
        at += 2 + id_len;
    }
    if at != block.len() {
        return Err(bad(format!(
            "{} bytes left over after the {count} identifiers",
            block.len() - at
        )));
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(ids: &[&str], extra: usize) -> Vec<u8> {
        let body: usize = ids.iter().map(|i| 2 + i.len()).sum();
        let mut b = ((8 + body + extra) as u32).to_le_bytes().to_vec();
        b.extend((ids.len() as u32).to_le_bytes());
        for id in ids {
            b.extend((id.len() as u16).to_le_bytes());
            b.extend(id.as_bytes());
        }
        b.resize(b.len() + extra, 0);
        b
    }

    #[test]
    fn reads_identifiers() {
        let b = block(&["s1", "sample_2"], 0);
        let got = read(&mut b.as_slice(), "x.bgen".as_ref(), 2, 100).unwrap();
        assert_eq!(got, ["s1", "sample_2"]);
    }

    #[test]
    fn refuses_bad_blocks() {
        let path: &Path = "x.bgen".as_ref();
        let err = |b: Vec<u8>, n: u32| {
            read(&mut b.as_slice(), path, n, 100)
                .unwrap_err()
                .to_string()
        };
        assert!(err(block(&["a", "b"], 0), 3).contains("header says 3"));
        assert!(err(block(&["a", "b"], 2), 2).contains("left over"));
        let mut cut = block(&["a", "b"], 0);
        cut.truncate(12);
        assert!(err(cut, 2).contains("truncated"));
        assert!(read(&mut block(&["a"], 0).as_slice(), path, 1, 5).is_err());
    }
}
