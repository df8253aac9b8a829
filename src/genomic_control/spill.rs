//! The p-values λGC is taken over, with memory bounded whatever their number: the exact median
//! of millions of `ln p` without holding them.
//!
//! λGC needs the median of every tested variant's p-value, printed to full `f64` precision (the
//! report's `data-lambda`), so an approximate quantile sketch will not do. [`LnPSpill`] keeps
//! up to [`BUFFERED`] values in memory and appends the rest, 9 bytes each (a bin tag and the
//! `f64`), to a temporary file (removed when it is dropped, also on error or a signal: see
//! [`AtomicFile`]). The order statistics are then found by radix selection: each pass over the
//! values counts, among those whose key starts with the bits fixed so far, the next 16 bits of
//! their order-preserving key; once few values are left (at most [`COLLECTED`]) they are
//! gathered and selected in memory. At most four counting passes, one more to gather; memory is
//! the buffer, the counts (2^16 per statistic) and the gathered values.
//!
//! ```
//! use dash::genomic_control::{lambda_gc, spill::LnPSpill};
//! let mut spill = LnPSpill::new(3);
//! let ln_p: Vec<f64> = [0.1f64, 0.5, 0.9, 0.3].iter().map(|p| p.ln()).collect();
//! for (k, &value) in ln_p.iter().enumerate() {
//!     spill.push(k % 3, value);
//! }
//! let mut all = ln_p.clone();
//! assert_eq!(spill.lambda_gc(&[0, 1, 2]).unwrap(), lambda_gc(&mut all));
//! assert_eq!(spill.len(&[1]), 1);
//! ```

use std::fs::File;
use std::io::{BufReader, Read, Write};

use crate::atomic_file::AtomicFile;
use crate::error::{Error, IoResultExt, Result};

/// Values held in memory before they go to the temporary file.
pub const BUFFERED: usize = 8_192;

/// Values few enough to gather and select in memory.
pub const COLLECTED: usize = 1 << 16;

/// Bits of the key a counting pass resolves.
const RADIX_BITS: u32 = 16;

/// Bytes per value in the temporary file: its bin, then the `f64` (little-endian).
const RECORD: usize = 9;

/// The values a median is made of: the value of rank ⌊n/2⌋ (0-based, ascending) and, for an
/// even count n, the one ranked just below it ([`super::lambda_of_middle`]'s arguments).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Middle {
    /// The value of rank ⌊n/2⌋.
    pub pivot: f64,
    /// The value of rank n/2 − 1, for an even count.
    pub other: Option<f64>,
}

/// `ln p` values in bins (MAF bins, say), their median exact; see the [module docs](self).
#[derive(Debug)]
pub struct LnPSpill {
    /// Values per bin.
    counts: Vec<usize>,
    /// Values not yet in the file, as the file holds them ([`RECORD`] bytes each): a merge of
    /// 1,000 phenotypes holds 1,000 of these buffers, so each is kept as small as the file's
    /// records, and goes to the file as it is.
    buffer: Vec<u8>,
    /// The temporary file, once the buffer has overflowed.
    file: Option<AtomicFile>,
    /// Values held back in memory before spilling (tests spill sooner).
    buffered: usize,
    /// The first error writing the file, reported by [`LnPSpill::lambda_gc`].
    failed: Option<String>,
}

impl LnPSpill {
    /// An empty store of `bins` bins (at most 256).
    pub fn new(bins: usize) -> LnPSpill {
        assert!(bins <= 256, "at most 256 bins");
        LnPSpill {
            counts: vec![0; bins],
            buffer: Vec::new(),
            file: None,
            buffered: BUFFERED,
            failed: None,
        }
    }

    /// A store that keeps only `buffered` values in memory (tests: spill and select in passes
    /// over small data).
    pub fn with_buffer(bins: usize, buffered: usize) -> LnPSpill {
        LnPSpill {
            buffered: buffered.max(1),
            ..LnPSpill::new(bins)
        }
    }

    /// Adds `ln_p` to `bin`.
    pub fn push(&mut self, bin: usize, ln_p: f64) {
        self.counts[bin] += 1;
        if self.buffer.capacity() == 0 {
            // Exactly one buffer's worth: growing by doubling would reserve 128 KiB for 72.
            self.buffer.reserve_exact(self.buffered * RECORD);
        }
        self.buffer.push(bin as u8);
        self.buffer.extend_from_slice(&ln_p.to_le_bytes());
        if self.buffer.len() >= self.buffered * RECORD {
            self.spill();
        }
    }

    /// Values in `bins`.
    pub fn len(&self, bins: &[usize]) -> usize {
        bins.iter().map(|&b| self.counts[b]).sum()
    }

    /// Whether it holds no values at all.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }

    /// Moves the buffer to the temporary file; a failure is kept for [`LnPSpill::lambda_gc`].
    fn spill(&mut self) {
        if self.failed.is_some() {
            self.buffer.clear();
            return;
        }
        let written = (|| -> Result<()> {
            if self.file.is_none() {
                let target = std::env::temp_dir().join("dash-lambda-gc-values");
                self.file = Some(AtomicFile::create(target)?);
            }
            let file = self.file.as_mut().expect("opened above");
            let path = file.temp_path().to_path_buf();
            // Straight to the file, past the AtomicFile's 1 MiB buffer: a merge of 1,000
            // phenotypes holds 1,000 of these stores, and the bytes come in 72 KiB chunks anyway.
            file.writer()
                .get_mut()
                .write_all(&self.buffer)
                .with_path(&path)
        })();
        if let Err(e) = written {
            self.failed = Some(e.to_string());
        }
        self.buffer.clear();
    }

    /// λGC of the values in `bins` (see [`super::lambda_gc`], which it equals bit for bit):
    /// `None` when they hold none.
    pub fn lambda_gc(&mut self, bins: &[usize]) -> Result<Option<f64>> {
        Ok(self
            .middle(bins)?
            .map(|middle| super::lambda_of_middle(middle.pivot, middle.other)))
    }

    /// The median's values among those in `bins` (what λGC is made of): `None` when they hold
    /// none.
    pub fn middle(&mut self, bins: &[usize]) -> Result<Option<Middle>> {
        let n = self.len(bins);
        if n == 0 {
            return Ok(None);
        }
        let middle = n / 2;
        let ranks: Vec<usize> = match n % 2 {
            1 => vec![middle],
            _ => vec![middle, middle - 1],
        };
        let keys = self.select(bins, &ranks)?;
        let values: Vec<f64> = keys.into_iter().map(from_key).collect();
        Ok(Some(Middle {
            pivot: values[0],
            other: values.get(1).copied(),
        }))
    }

    /// The values of ranks `ranks` (0-based, ascending order) among those in `bins`, as keys.
    fn select(&mut self, bins: &[usize], ranks: &[usize]) -> Result<Vec<u64>> {
        if let Some(message) = &self.failed {
            return Err(Error::inputs(format!(
                "cannot keep the p-values for λGC in a temporary file: {message}"
            )));
        }
        let mut in_bin = [false; 256];
        for &b in bins {
            in_bin[b] = true;
        }
        let n = self.len(bins);
        let mut searches: Vec<Search> = ranks.iter().map(|&rank| Search::new(rank, n)).collect();
        while searches.iter().any(|s| s.found.is_none()) {
            let mut counts: Vec<Vec<u64>> = searches
                .iter()
                .map(|s| match s.found.is_none() && s.matching > COLLECTED {
                    true => vec![0; 1 << RADIX_BITS],
                    false => Vec::new(),
                })
                .collect();
            let mut gathered: Vec<Vec<u64>> = searches.iter().map(|_| Vec::new()).collect();
            self.for_each(|bin, value| {
                if !in_bin[bin as usize] {
                    return;
                }
                let key = to_key(value);
                for (s, search) in searches.iter().enumerate() {
                    if search.found.is_some() || !search.matches(key) {
                        continue;
                    }
                    match counts[s].is_empty() {
                        true => gathered[s].push(key),
                        false => counts[s][search.digit(key)] += 1,
                    }
                }
            })?;
            for ((search, counts), mut gathered) in searches.iter_mut().zip(counts).zip(gathered) {
                if search.found.is_some() {
                    continue;
                }
                match counts.is_empty() {
                    true => {
                        let (_, key, _) = gathered.select_nth_unstable(search.rank);
                        search.found = Some(*key);
                    }
                    false => search.narrow(&counts),
                }
            }
        }
        Ok(searches
            .into_iter()
            .map(|s| s.found.expect("found"))
            .collect())
    }

    /// Calls `f` with every value and its bin: those in the file, then those in the buffer.
    pub fn for_each(&mut self, mut f: impl FnMut(u8, f64)) -> Result<()> {
        if let Some(file) = &mut self.file {
            let path = file.temp_path().to_path_buf();
            file.writer().flush().with_path(&path)?;
            let mut reader = BufReader::with_capacity(1 << 16, File::open(&path).with_path(&path)?);
            let mut record = [0u8; RECORD];
            let spilled = self.counts.iter().sum::<usize>() - self.buffer.len() / RECORD;
            for _ in 0..spilled {
                reader.read_exact(&mut record).with_path(&path)?;
                let (bin, value) = decode(&record);
                f(bin, value);
            }
        }
        for record in self.buffer.chunks_exact(RECORD) {
            let (bin, value) = decode(record);
            f(bin, value);
        }
        Ok(())
    }
}

/// The bin and value of one [`RECORD`].
fn decode(record: &[u8]) -> (u8, f64) {
    let value = f64::from_le_bytes(record[1..RECORD].try_into().expect("8 bytes"));
    (record[0], value)
}

/// One order statistic being selected: the key bits fixed so far and the rank among the values
/// that start with them.
#[derive(Debug)]
struct Search {
    /// Rank among the values matching `prefix`.
    rank: usize,
    /// Values matching `prefix`.
    matching: usize,
    /// The key's leading bits found so far (the rest 0).
    prefix: u64,
    /// How many leading bits `prefix` fixes.
    fixed: u32,
    /// The key, once found.
    found: Option<u64>,
}

impl Search {
    fn new(rank: usize, n: usize) -> Search {
        Search {
            rank,
            matching: n,
            prefix: 0,
            fixed: 0,
            found: None,
        }
    }

    /// Whether `key` starts with the bits fixed so far.
    fn matches(&self, key: u64) -> bool {
        self.fixed == 0 || key >> (64 - self.fixed) == self.prefix >> (64 - self.fixed)
    }

    /// The next [`RADIX_BITS`] bits of `key` after the fixed ones.
    fn digit(&self, key: u64) -> usize {
        ((key << self.fixed) >> (64 - RADIX_BITS)) as usize
    }

    /// Fixes the next digit: the one whose values hold the rank, given the count of each.
    fn narrow(&mut self, counts: &[u64]) {
        let mut below = 0usize;
        for (digit, &count) in counts.iter().enumerate() {
            let count = count as usize;
            if self.rank < below + count {
                self.prefix |= (digit as u64) << (64 - RADIX_BITS - self.fixed);
                self.fixed += RADIX_BITS;
                self.rank -= below;
                self.matching = count;
                if self.fixed == 64 {
                    // Every bit fixed: the key is the prefix.
                    self.found = Some(self.prefix);
                }
                return;
            }
            below += count;
        }
        unreachable!("the rank is below the number of matching values");
    }
}

/// The key of `value` whose unsigned order is [`f64::total_cmp`]'s.
fn to_key(value: f64) -> u64 {
    let bits = value.to_bits();
    match bits >> 63 {
        1 => !bits,
        _ => bits | (1 << 63),
    }
}

/// The value of a key from [`to_key`].
fn from_key(key: u64) -> f64 {
    f64::from_bits(match key >> 63 {
        1 => key & !(1 << 63),
        _ => !key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The median the oracle way: sort a copy, take the middle (numpy's mean of the middle two
    /// for an even count happens on the quantiles, so compare the middle values themselves).
    fn sorted_middle(values: &[f64]) -> (f64, Option<f64>) {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        match n % 2 {
            1 => (sorted[n / 2], None),
            _ => (sorted[n / 2], Some(sorted[n / 2 - 1])),
        }
    }

    fn middle_of(spill: &mut LnPSpill, bins: &[usize]) -> (f64, Option<f64>) {
        let n = spill.len(bins);
        let ranks: Vec<usize> = match n % 2 {
            1 => vec![n / 2],
            _ => vec![n / 2, n / 2 - 1],
        };
        let found: Vec<f64> = spill
            .select(bins, &ranks)
            .unwrap()
            .into_iter()
            .map(from_key)
            .collect();
        (found[0], found.get(1).copied())
    }

    /// A deterministic spread of ln p values with ties, zeros and extremes.
    fn values(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|k| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                match k % 7 {
                    0 => -0.5, // many equal values
                    1 => 0.0,  // p = 1
                    2 => -1e-300 * u,
                    3 => -800.0 * u, // p far below 1e-308
                    _ => u.max(1e-300).ln(),
                }
            })
            .collect()
    }

    #[test]
    fn keys_keep_the_total_order() {
        let mut v = values(500, 3);
        v.extend([
            -0.0,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
        ]);
        let mut by_key = v.clone();
        by_key.sort_by_key(|&x| to_key(x));
        v.sort_by(f64::total_cmp);
        assert_eq!(
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            by_key.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert!(v
            .iter()
            .all(|&x| from_key(to_key(x)).to_bits() == x.to_bits()));
    }

    #[test]
    fn spilled_median_equals_the_sorted_one() {
        // Sizes past COLLECTED force counting passes; a tiny buffer forces the file.
        for (n, buffered) in [
            (1, 4),
            (2, 4),
            (7, 3),
            (1000, 64),
            (COLLECTED * 3 + 1, 4096),
        ] {
            let all = values(n, n as u64);
            let mut spill = LnPSpill::with_buffer(3, buffered);
            for (k, &v) in all.iter().enumerate() {
                spill.push(k % 3, v);
            }
            assert_eq!(
                middle_of(&mut spill, &[0, 1, 2]),
                sorted_middle(&all),
                "n {n}"
            );
            let bin1: Vec<f64> = all.iter().skip(1).step_by(3).copied().collect();
            if !bin1.is_empty() {
                assert_eq!(middle_of(&mut spill, &[1]), sorted_middle(&bin1), "n {n}");
            }
        }
    }

    #[test]
    fn all_equal_values_fix_every_bit() {
        let mut spill = LnPSpill::with_buffer(1, 100);
        for _ in 0..COLLECTED + 10 {
            spill.push(0, -0.25);
        }
        assert_eq!(middle_of(&mut spill, &[0]), (-0.25, Some(-0.25)));
    }

    #[test]
    fn lambda_equals_the_in_memory_one_bit_for_bit() {
        let all = values(20_001, 9);
        let mut spill = LnPSpill::with_buffer(2, 1000);
        for &v in &all {
            spill.push(0, v);
        }
        let mut copy = all.clone();
        let expected = super::super::lambda_gc(&mut copy).unwrap();
        assert_eq!(
            spill.lambda_gc(&[0]).unwrap().unwrap().to_bits(),
            expected.to_bits()
        );
        assert_eq!(spill.lambda_gc(&[1]).unwrap(), None);
    }

    #[test]
    fn no_temporary_file_is_left() {
        let mut spill = LnPSpill::with_buffer(1, 2);
        for v in [-1.0, -2.0, -3.0] {
            spill.push(0, v);
        }
        let path = spill.file.as_ref().unwrap().temp_path().to_path_buf();
        assert!(path.exists());
        drop(spill);
        assert!(!path.exists());
    }
}
