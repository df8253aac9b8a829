//! Comparisons of the short texts rows are keyed by (chromosome names, alleles: a byte or two
//! each), made inline.
//!
//! Comparing `str`s calls `memcmp`, whose call and dispatch cost more than comparing two bytes;
//! the reader, the order check and the merge's join compare these texts several times per row,
//! and at 20 parties `memcmp` was 4 % of a merge's CPU time (issue 12).
//!
//! ```
//! use dash::summary::short_text::{compare, same};
//! use std::cmp::Ordering;
//! assert!(same("X", "X") && !same("1", "11"));
//! assert_eq!(compare("AC", "A"), Ordering::Greater);
//! assert_eq!(compare("A", "AC"), "A".cmp("AC"));
//! ```

use std::cmp::Ordering;

/// Whether `a` and `b` are the same text.
#[inline]
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// `a` against `b` in byte order, as `str`'s `Ord` compares them.
#[inline]
pub fn compare(a: &str, b: &str) -> Ordering {
    a.bytes()
        .zip(b.bytes())
        .find(|(x, y)| x != y)
        .map_or_else(|| a.len().cmp(&b.len()), |(x, y)| x.cmp(&y))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both agree with `str`'s own `==` and `Ord` (the oracle) on every pair of a set of texts
    /// with shared prefixes, empty text and multi-byte characters.
    #[test]
    fn agree_with_the_standard_comparisons() {
        let texts = [
            "", "A", "AC", "ACG", "C", "CA", "T", "1", "10", "2", "X", "chr1", "é", "*",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
                assert_eq!(compare(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }
}
