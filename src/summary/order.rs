//! Genomic order: the order of a summary's rows (format version 3, DESIGN §6 "Rows sorted").
//!
//! Rows are ordered by chromosome ([`crate::chrom::order`]: autosomes numerically, X, Y, XY, MT,
//! then other contigs by name; names that order alike by name), then position, then REF, then
//! ALT (bytes). Merge reads its inputs in this order and joins the rows of one position, so every
//! reader and writer of summaries shares these two comparisons.
//!
//! ```
//! use dash::summary::order::genomic;
//! use dash::summary::Variant;
//! let v = |chrom: &str, pos, alt: &str| Variant {
//!     chrom: chrom.into(), pos, id: ".".into(), ref_allele: "A".into(), alt_allele: alt.into(),
//! };
//! let mut rows = vec![v("10", 5, "G"), v("2", 9, "T"), v("X", 1, "C"), v("2", 9, "C")];
//! rows.sort_by(genomic);
//! let got: Vec<String> = rows.iter().map(|r| format!("{}:{}{}", r.chrom, r.pos, r.alt_allele)).collect();
//! assert_eq!(got, ["2:9C", "2:9T", "10:5G", "X:1C"]);
//! ```

use std::cmp::Ordering;

use super::{short_text, Variant};
use crate::chrom;

/// Compares chromosome and position only: rows of one position are one group at merge.
pub fn position(a: &Variant, b: &Variant) -> Ordering {
    position_of(&a.chrom, a.pos, &b.chrom, b.pos)
}

/// Compares (chromosome, position) pairs in genomic order.
pub fn position_of(a_chrom: &str, a_pos: u64, b_chrom: &str, b_pos: u64) -> Ordering {
    if short_text::same(a_chrom, b_chrom) {
        return a_pos.cmp(&b_pos);
    }
    (chrom::order(a_chrom), a_chrom)
        .cmp(&(chrom::order(b_chrom), b_chrom))
        .then(a_pos.cmp(&b_pos))
}

/// The full genomic order of rows: [`position`], then REF, then ALT.
pub fn genomic(a: &Variant, b: &Variant) -> Ordering {
    position(a, b).then_with(|| {
        short_text::compare(&a.ref_allele, &b.ref_allele)
            .then_with(|| short_text::compare(&a.alt_allele, &b.alt_allele))
    })
}
