//! Duplicate variants within one file: the same chromosome, position and allele pair twice.
//!
//! Merge joins rows on (chromosome, position, unordered allele pair); two rows of one file at
//! the same key would count its samples twice, and merge refuses the file much later. So every
//! reader keeps the first occurrence, drops the others, and lists them in its notes (the log).
//!
//! * VCF and BCF are read as a stream, so the check holds the variants of the current position
//!   only; it needs records sorted by position within each chromosome and each chromosome in one
//!   run (as `bcftools sort` writes, and as an index requires). A record out of that order is
//!   refused, naming both positions.
//! * A PLINK `.bim` is in memory: its variants are checked all at once, in any order
//!   ([`duplicates_among`]).
//!
//! ```
//! use dash::genotype::duplicates::DuplicateCheck;
//! let mut check = DuplicateCheck::default();
//! check.advance("1", 100).unwrap();
//! assert!(check.keep("A", "C", || "line 5".into()));
//! check.advance("1", 100).unwrap();
//! assert!(!check.keep("C", "A", || "line 6".into())); // the same pair, either order
//! check.advance("1", 200).unwrap();
//! assert!(check.advance("1", 150).is_err()); // not sorted
//! assert_eq!(check.dropped(), 1);
//! ```

use std::collections::HashSet;

use super::Variant;

/// Duplicates listed by name in the notes; the rest are counted.
const LISTED: usize = 5;

/// The unordered allele pair, as merge joins them.
fn pair<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The streaming check of a sorted VCF or BCF.
#[derive(Debug, Default)]
pub struct DuplicateCheck {
    chrom: String,
    pos: u64,
    /// Allele pairs kept at (`chrom`, `pos`).
    here: Vec<(String, String)>,
    /// Chromosomes already left behind.
    done: HashSet<String>,
    dropped: u64,
    listed: Vec<String>,
}

impl DuplicateCheck {
    /// Moves to the next record's site; errors when the records are not sorted.
    pub fn advance(&mut self, chrom: &str, pos: u64) -> Result<(), String> {
        if chrom == self.chrom {
            if pos < self.pos {
                return Err(format!(
                    "records are not sorted: {chrom}:{pos} comes after {chrom}:{}; sort the file (`bcftools sort`): duplicates are found in sorted input",
                    self.pos
                ));
            }
            if pos > self.pos {
                self.pos = pos;
                self.here.clear();
            }
            return Ok(());
        }
        if self.done.contains(chrom) {
            return Err(format!(
                "records are not sorted: chromosome {chrom} appears again after {}; sort the file (`bcftools sort`): duplicates are found in sorted input",
                self.chrom
            ));
        }
        let left = std::mem::replace(&mut self.chrom, chrom.to_string());
        if !left.is_empty() {
            self.done.insert(left);
        }
        self.pos = pos;
        self.here.clear();
        Ok(())
    }

    /// Whether the variant `ref_allele`/`alt` at the current site is new (then it is kept);
    /// `where_` names it in the notes when it is not (e.g. `line 12 (1:300)`).
    pub fn keep(&mut self, ref_allele: &str, alt: &str, where_: impl FnOnce() -> String) -> bool {
        let key = pair(ref_allele, alt);
        if self
            .here
            .iter()
            .any(|(a, b)| (a.as_str(), b.as_str()) == key)
        {
            self.list(format!("{} {ref_allele}/{alt}", where_()));
            return false;
        }
        self.here.push((key.0.to_string(), key.1.to_string()));
        true
    }

    fn list(&mut self, what: String) {
        self.dropped += 1;
        if self.listed.len() < LISTED {
            self.listed.push(what);
        }
    }

    /// Variants dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The line for the notes, when anything was dropped.
    pub fn note(&self) -> Option<String> {
        note(self.dropped, &self.listed)
    }
}

fn note(dropped: u64, listed: &[String]) -> Option<String> {
    if dropped == 0 {
        return None;
    }
    let more = if dropped > listed.len() as u64 {
        format!(", and {} more", dropped - listed.len() as u64)
    } else {
        String::new()
    };
    Some(format!(
        "dropped {dropped} duplicate variant(s) (chromosome, position and alleles of an earlier one, which is kept): {}{more}",
        listed.join(", ")
    ))
}

/// The indices (into `order`, which lists variant indices in file order) of the variants that
/// repeat an earlier one's chromosome, position and allele pair, and the note listing them;
/// `name(i)` names variant `i` for the note.
pub fn duplicates_among(
    variants: &[Variant],
    order: &[usize],
    name: impl Fn(usize) -> String,
) -> (HashSet<usize>, Option<String>) {
    let key = |i: usize| {
        let v = &variants[i];
        (v.chrom.as_str(), v.pos, pair(&v.ref_allele, &v.alt_allele))
    };
    let mut sorted: Vec<usize> = order.to_vec();
    // Stable: among equal keys, file order, so the first occurrence leads.
    sorted.sort_by(|&a, &b| key(a).cmp(&key(b)));
    let mut dropped = HashSet::new();
    for run in sorted.chunk_by(|&a, &b| key(a) == key(b)) {
        dropped.extend(run[1..].iter().copied());
    }
    let mut listed: Vec<usize> = dropped.iter().copied().collect();
    listed.sort_unstable();
    let names: Vec<String> = listed.iter().take(LISTED).map(|&i| name(i)).collect();
    let text = note(dropped.len() as u64, &names);
    (dropped, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(chrom: &str, pos: u64, id: &str, a1: &str, a2: &str) -> Variant {
        Variant {
            chrom: chrom.into(),
            pos,
            id: id.into(),
            ref_allele: a2.into(),
            alt_allele: a1.into(),
        }
    }

    #[test]
    fn bim_duplicates_in_any_order() {
        let variants = [
            v("1", 10, "a", "A", "G"),
            v("2", 5, "b", "C", "T"),
            v("1", 10, "c", "G", "A"),
            v("1", 10, "d", "A", "C"),
            v("2", 5, "e", "C", "T"),
        ];
        let order: Vec<usize> = (0..variants.len()).collect();
        let (dropped, note) = duplicates_among(&variants, &order, |i| variants[i].id.to_string());
        let mut dropped: Vec<usize> = dropped.into_iter().collect();
        dropped.sort();
        assert_eq!(dropped, [2, 4]);
        let note = note.unwrap();
        assert!(
            note.starts_with("dropped 2 duplicate") && note.ends_with(": c, e"),
            "{note}"
        );
    }

    #[test]
    fn stream_check() {
        let mut check = DuplicateCheck::default();
        check.advance("1", 5).unwrap();
        assert!(check.keep("A", "C", || "line 1".into()));
        assert!(check.keep("A", "G", || "line 1".into()));
        check.advance("2", 5).unwrap();
        assert!(check.keep("A", "C", || "line 2".into()));
        check.advance("2", 5).unwrap();
        assert!(!check.keep("A", "C", || "line 3".into()));
        assert!(check
            .advance("1", 9)
            .unwrap_err()
            .contains("chromosome 1 appears again"));
        assert_eq!(
            check.note().unwrap(),
            "dropped 1 duplicate variant(s) (chromosome, position and alleles of an earlier one, which is kept): line 3 A/C"
        );
    }
}
