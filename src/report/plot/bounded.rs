//! Plot points held in bounded memory: a merge collects the Manhattan points of every
//! phenotype while it writes them, so 10 M variants × 20 phenotypes must not all be kept.
//!
//! Points are kept as they come until [`CAPACITY`] are held; then they are thinned to one per
//! cell of a grid no coarser than the Manhattan plot's pixels, and so on. A cell is
//! [`manhattan::PLOT_WIDTH`]th of the genome seen so far by 1/[`LEVELS_PER_UNIT`] of −log10 p.
//! The genome only grows as rows come, so the cells are never wider than the final plot's
//! pixels, and the y axis reaches at least 8 (above the 5e-8 line), 456 pixels high, so a
//! level is never taller than one. What is kept:
//!
//! - every point at or above [`manhattan::THIN_BELOW`] (the plot draws them all);
//! - the first and last position of each chromosome (they set its width on the axis);
//! - the first point of every occupied cell, at its own coordinates.
//!
//! A dropped point lies within a pixel of a kept one, under the kept one's 4.4-pixel dot. The
//! QQ plot and λGC do not use these points (they take every p-value from the
//! [`crate::report::digest::Digest`]). Both `dash report` and merge's own report collect
//! through this type, so they draw the same points.
//!
//! ```
//! use dash::report::plot::bounded::BoundedPoints;
//! let mut points = BoundedPoints::default();
//! points.push("1", 100, 0.3);
//! points.push("1", 200, 9.0);
//! let points = points.finish();
//! assert_eq!(points.pos, [100, 200]);
//! ```

use super::manhattan::{PLOT_WIDTH, THIN_BELOW};
use super::Points;

/// Points held before the first thinning (14 bytes each: 14 MiB).
pub const CAPACITY: usize = 1 << 20;

/// Grid rows per unit of −log10 p.
pub const LEVELS_PER_UNIT: f32 = 64.0;

/// Plot points gathered row by row, thinned whenever [`CAPACITY`] are held.
#[derive(Debug, Clone)]
pub struct BoundedPoints {
    points: Points,
    capacity: usize,
}

impl Default for BoundedPoints {
    fn default() -> BoundedPoints {
        BoundedPoints::with_capacity(CAPACITY)
    }
}

impl BoundedPoints {
    /// Points thinned whenever `capacity` are held (tests use a small one).
    pub fn with_capacity(capacity: usize) -> BoundedPoints {
        BoundedPoints {
            points: Points::default(),
            capacity: capacity.max(1),
        }
    }

    /// Index of chromosome `name` (see [`Points::chromosome_index`]).
    pub fn chromosome_index(&mut self, name: &str) -> Option<u16> {
        self.points.chromosome_index(name)
    }

    /// Adds a point of chromosome index `chrom` (from [`BoundedPoints::chromosome_index`]).
    pub fn push_at(&mut self, chrom: u16, pos: u64, neg_log10_p: f32) {
        self.points.chrom.push(chrom);
        self.points.pos.push(pos);
        self.points.neg_log10_p.push(neg_log10_p);
        if self.points.len() >= self.capacity {
            self.thin();
        }
    }

    /// Adds a point (chromosomes past the 65,536th are dropped).
    pub fn push(&mut self, chromosome: &str, pos: u64, neg_log10_p: f32) {
        if let Some(c) = self.chromosome_index(chromosome) {
            self.push_at(c, pos, neg_log10_p);
        }
    }

    /// The points kept.
    pub fn finish(self) -> Points {
        self.points
    }

    /// Keeps the points listed in the module documentation, in their order.
    fn thin(&mut self) {
        let points = &mut self.points;
        let chromosomes = points.chromosomes.len();
        // First and last position of every chromosome, and the row holding each.
        let mut extent: Vec<Option<[(u64, usize); 2]>> = vec![None; chromosomes];
        for (i, (&c, &pos)) in points.chrom.iter().zip(&points.pos).enumerate() {
            let e = &mut extent[usize::from(c)];
            *e = Some(match *e {
                None => [(pos, i), (pos, i)],
                Some([low, high]) => [
                    if pos < low.0 { (pos, i) } else { low },
                    if pos > high.0 { (pos, i) } else { high },
                ],
            });
        }
        let genome: u64 = extent
            .iter()
            .flatten()
            .map(|[low, high]| high.0 - low.0 + 1)
            .sum();
        let cell_bp = (genome / u64::from(PLOT_WIDTH)).max(1);
        // Each chromosome's cells start where the previous one's end.
        let mut first_cell = vec![0usize; chromosomes];
        let mut columns = 0usize;
        for (c, e) in extent.iter().enumerate() {
            first_cell[c] = columns;
            if let Some([low, high]) = e {
                columns += ((high.0 - low.0) / cell_bp) as usize + 1;
            }
        }
        let levels = (THIN_BELOW as f32 * LEVELS_PER_UNIT) as usize + 1;
        let mut taken = vec![false; columns * levels];
        let mut keep = vec![false; points.len()];
        for [low, high] in extent.iter().flatten() {
            keep[low.1] = true;
            keep[high.1] = true;
        }
        for (i, kept) in keep.iter_mut().enumerate() {
            let v = points.neg_log10_p[i];
            if f64::from(v) >= THIN_BELOW || v.is_nan() {
                *kept = true;
                continue;
            }
            let c = usize::from(points.chrom[i]);
            let Some([low, _]) = extent[c] else { continue };
            let column = first_cell[c] + ((points.pos[i] - low.0) / cell_bp) as usize;
            // `as` saturates: a negative or tiny value falls in level 0.
            let level = ((v * LEVELS_PER_UNIT) as usize).min(levels - 1);
            let cell = &mut taken[column * levels + level];
            if !*cell {
                *cell = true;
                *kept = true;
            }
        }
        let mut k = 0;
        points.chrom.retain(|_| (keep[k], k += 1).0);
        k = 0;
        points.pos.retain(|_| (keep[k], k += 1).0);
        k = 0;
        points.neg_log10_p.retain(|_| (keep[k], k += 1).0);
        // Never thin on every push: leave room for at least half the capacity again.
        if points.len() * 2 > self.capacity {
            self.capacity = points.len() * 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_capacity_every_point_is_kept() {
        let mut points = BoundedPoints::with_capacity(10);
        for k in 0..9 {
            points.push("1", 100 + k, 0.5);
        }
        assert_eq!(points.finish().len(), 9);
    }

    #[test]
    fn thinning_keeps_hits_ends_and_one_point_per_cell() {
        let mut points = BoundedPoints::with_capacity(8);
        // Chromosome spans 4 + 3000 bp: a cell is 2 bp wide, 1/64 high.
        points.push("1", 1, 0.5); // first of its cell: kept (also the first position)
        points.push("1", 2, 0.5); // same cell: dropped
        points.push("1", 3, 0.5); // next column: kept
        points.push("1", 4, 9.0); // a hit: kept
        points.push("1", 4, 9.0); // and again
        points.push("1", 4, 0.52); // level 33, not 32: kept
        points.push("2", 1, 0.1); // first of chromosome 2
        points.push("2", 3000, 0.1); // its last: thinning happens here, keeping it
        let points = points.finish();
        assert_eq!(points.pos, [1, 3, 4, 4, 4, 1, 3000]);
        assert_eq!(points.chrom, [0, 0, 0, 0, 0, 1, 1]);
    }
}
