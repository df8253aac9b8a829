//! Thinning: of points that would land on the same pixel, one is drawn. Points at or above a
//! significance level are always kept, so no hit is lost; below it, the first point of each
//! pixel cell stands for the rest (they are indistinguishable at the plot's resolution).

/// Indices of the points to draw, in input order. `points` are pixel positions with whether
/// the point is significant; cells are the whole pixels of a `width × height` canvas (points
/// outside it are clamped to its edge).
pub fn thin(points: impl Iterator<Item = (f32, f32, bool)>, width: u32, height: u32) -> Vec<usize> {
    let (w, h) = (width.max(1) as usize, height.max(1) as usize);
    let mut taken = vec![false; w * h];
    let mut kept = Vec::new();
    for (i, (x, y, significant)) in points.enumerate() {
        if significant {
            kept.push(i);
            continue;
        }
        // `as` saturates (NaN → 0), and the clamp keeps the cell on the canvas.
        let cx = (x.floor().max(0.0) as usize).min(w - 1);
        let cy = (y.floor().max(0.0) as usize).min(h - 1);
        let cell = &mut taken[cy * w + cx];
        if !*cell {
            *cell = true;
            kept.push(i);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_per_cell_except_the_significant_ones() {
        let points = [
            (1.2, 1.5, false),
            (1.9, 1.1, false),   // same cell as 0
            (2.0, 1.1, false),   // next cell
            (1.5, 1.5, true),    // significant: kept although the cell is taken
            (1.6, 1.4, true),    // and again
            (-5.0, 99.0, false), // clamped to (0, 9)
            (0.5, 9.5, false),   // the same clamped cell
        ];
        let kept = thin(points.into_iter(), 10, 10);
        assert_eq!(kept, [0, 2, 3, 4, 5]);
    }
}
