//! Locus (LD) sums: the pairwise sums among the variants of an `--ld-region`, stored in the rows.
//!
//! For the exact pooled joint regression of several variants (conditional analysis,
//! fine-mapping LD), merge needs, per party and phenotype group, besides each variant's own sums
//! the products of every pair (a, b) of the region's variants over the group's samples:
//! `x0_a·x0_b`, `x0_a·u_b`, `u_a·x0_b` (not symmetric) and `u_a·u_b`. With them, pooled mean
//! imputation stays exact for pairs too:
//! `x_a·x_b = x0_a·x0_b + μ_b·x0_a·u_b + μ_a·u_a·x0_b + μ_a·μ_b·u_a·u_b`.
//!
//! **Storage.** Each row of a region carries its row of the region's four m × m matrices, per
//! group, in a nullable list column `g{k}_ld` (4·m values: `x0_a·x0_b` for b = 1…m, then
//! `x0_a·u_b`, then `u_a·x0_b`, then `u_a·u_b`), and the region's index in the header's
//! [`LdRegion`] list in the nullable `ld_region` column. Entry b refers to the b-th row of the
//! file that carries sums of the same region (rows are in genomic order, so b is the rank of the
//! variant within the region). Rows outside every region hold nulls. The columns exist only in a
//! file whose header lists regions, so a summary without LD is byte for byte what it was.

use serde::{Deserialize, Serialize};

/// Most variants of one LD region: its sums take 4·m² values per group (`4 · 2000² · 8` bytes =
/// 128 MB per group in memory at compress, about as much on disk before compression).
pub const MAX_REGION_VARIANTS: usize = 2_000;

/// Widest LD region, in base pairs (the usual fine-mapping window is 1–3 Mb).
pub const MAX_REGION_BP: u64 = 3_000_000;

/// Names of the LD columns: the region index, then one list column per group.
pub const REGION_COLUMN: &str = "ld_region";

/// The LD column of group `k`.
pub fn group_column(k: usize) -> String {
    format!("g{k}_ld")
}

/// The header's record of one LD region of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdRegion {
    /// `CHR:START-END`, 1-based inclusive.
    pub region: String,
    /// Rows of the file carrying this region's sums (m).
    pub variants: u64,
    /// Variants of the region with a row but no LD sums: a pairwise cell below `--min-cell`
    /// (see docs/security.md).
    #[serde(default)]
    pub withheld_variants: u64,
}

/// The pair rule of docs/security.md: the variants 0…m−1 taken in order, each kept unless one
/// of its joint cells with an already kept variant holds 1 … K−1 samples (`min_cell` = K);
/// `cells(a, b)` gives the cell counts of the pair. Every variant when K ≤ 1.
///
/// ```
/// // Variant 1 shares one carrier with variant 0: withheld at K = 2, kept at K = 1.
/// let cells = |a: usize, b: usize| [if a == b { 3.0 } else { 1.0 }];
/// assert_eq!(dash::summary::ld::releasable(2, 2, cells), vec![0]);
/// assert_eq!(dash::summary::ld::releasable(2, 1, cells), vec![0, 1]);
/// ```
pub fn releasable<I: IntoIterator<Item = f64>>(
    m: usize,
    min_cell: u64,
    cells: impl Fn(usize, usize) -> I,
) -> Vec<usize> {
    if min_cell <= 1 {
        return (0..m).collect();
    }
    let small = |count: f64| small_cell(count, min_cell);
    let mut kept: Vec<usize> = Vec::new();
    for a in 0..m {
        if !kept.iter().any(|&b| cells(a, b).into_iter().any(small)) {
            kept.push(a);
        }
    }
    kept
}

/// Whether a cell count is 1 … K−1 (`min_cell` = K). Pooled secure counts decode from fixed
/// point: they are whole up to rounding.
pub fn small_cell(count: f64, min_cell: u64) -> bool {
    let count = count.round();
    count >= 1.0 && count < min_cell as f64
}

/// One row's LD sums.
#[derive(Debug, Clone, PartialEq)]
pub struct LdRow {
    /// Index into the header's [`LdRegion`] list.
    pub region: u32,
    /// Per file group, 4·m values (see the [module docs](self)).
    pub groups: Vec<Vec<f64>>,
    /// Only in the pooled rows of a secure set, never stored in a plaintext summary: per group
    /// the row's pooled joint-carrier counts with every variant of the region (4·m: ALT·ALT,
    /// REF·REF, ALT·REF, REF·ALT), which merge screens with [`releasable`] before any fit.
    pub cells: Vec<Vec<f64>>,
}

impl LdRow {
    /// The four length-m slices of group `g`: `x0·x0'`, `x0·u'`, `u·x0'`, `u·u'`.
    pub fn parts(&self, g: usize) -> [&[f64]; 4] {
        let values = &self.groups[g];
        let m = values.len() / 4;
        [
            &values[..m],
            &values[m..2 * m],
            &values[2 * m..3 * m],
            &values[3 * m..],
        ]
    }
}
