//! The Manhattan plot: −log10 p along the genome, chromosomes side by side in alternating
//! colours, the genome-wide significance line, the top loci labelled.

use super::axis::{self, Scale};
use super::scene::{Anchor, Color, Scene, Shape, INK};
use super::thin::thin;
use super::Points;
use crate::chrom;
use crate::report::loci::Locus;

/// Plot size in pixels.
pub const WIDTH: u32 = 1600;
/// Plot height in pixels.
pub const HEIGHT: u32 = 560;
const LEFT: f32 = 80.0;
const RIGHT: f32 = 20.0;
const TOP: f32 = 40.0;
const BOTTOM: f32 = 64.0;
/// Width of the plotting area in pixels (the genome axis).
pub const PLOT_WIDTH: u32 = (WIDTH as f32 - LEFT - RIGHT) as u32;

/// The alternating colours of the chromosomes.
pub const COLORS: [Color; 2] = [Color::rgb(0x1f, 0x4e, 0x79), Color::rgb(0x6f, 0xa8, 0xdc)];
/// The significance line's colour.
pub const LINE: Color = Color::rgb(0xc0, 0x39, 0x2b);

/// Where each chromosome sits on the genome axis.
#[derive(Debug, Clone, PartialEq)]
pub struct GenomeLayout {
    /// Per chromosome index of [`Points::chromosomes`]: its start on the axis (bp units) and its
    /// first position; `None` for a chromosome without points.
    pub placed: Vec<Option<(f64, u64)>>,
    /// Chromosome indices in genome order with their span [start, end) on the axis.
    pub order: Vec<(usize, f64, f64)>,
    /// Length of the whole axis.
    pub total: f64,
}

impl GenomeLayout {
    /// Chromosomes in genome order (1–22, X, Y, XY, MT, then others by name), each as wide as
    /// its first to last position, with gaps of 1% of the genome between them.
    pub fn new(points: &Points) -> GenomeLayout {
        let k = points.chromosomes.len();
        let mut range: Vec<Option<(u64, u64)>> = vec![None; k];
        for (&c, &pos) in points.chrom.iter().zip(&points.pos) {
            let r = &mut range[usize::from(c)];
            *r = Some(match *r {
                None => (pos, pos),
                Some((low, high)) => (low.min(pos), high.max(pos)),
            });
        }
        let mut present: Vec<usize> = (0..k).filter(|&c| range[c].is_some()).collect();
        let names: Vec<String> = points
            .chromosomes
            .iter()
            .map(|n| chrom::normalize(n))
            .collect();
        present.sort_by(|&a, &b| chrom::order(&names[a]).cmp(&chrom::order(&names[b])));
        let spans: f64 = present
            .iter()
            .filter_map(|&c| range[c].map(|(low, high)| (high - low + 1) as f64))
            .sum();
        let gap = (spans * 0.01).max(1.0);
        let mut placed = vec![None; k];
        let mut order = Vec::with_capacity(present.len());
        let mut at = 0.0;
        for &c in &present {
            if let Some((low, high)) = range[c] {
                placed[c] = Some((at, low));
                let end = at + (high - low + 1) as f64;
                order.push((c, at, end));
                at = end + gap;
            }
        }
        GenomeLayout {
            placed,
            order,
            total: (at - gap).max(1.0),
        }
    }

    /// The axis coordinate of a position on chromosome index `c`.
    pub fn locate(&self, c: usize, pos: u64) -> f64 {
        match self.placed.get(c).copied().flatten() {
            Some((start, first)) => start + pos.saturating_sub(first) as f64,
            None => 0.0,
        }
    }
}

/// Points at or above this −log10 p are all drawn; below it, one per pixel.
pub const THIN_BELOW: f64 = 5.0;

/// The Manhattan plot of `points`; `threshold` is −log10 of the genome-wide p (5e-8 → 7.3),
/// `labels` the loci to name (most significant first).
pub fn plot(points: &Points, threshold: f64, labels: &[Locus], title: &str) -> Scene {
    let mut scene = Scene::new(WIDTH, HEIGHT);
    let layout = GenomeLayout::new(points);
    let x = Scale {
        low: 0.0,
        high: layout.total,
        from: LEFT,
        to: WIDTH as f32 - RIGHT,
    };
    let top_y = points
        .neg_log10_p
        .iter()
        .copied()
        .fold(0.0f32, f32::max)
        .max(threshold as f32) as f64;
    let ticks = axis::ticks(top_y * 1.08, 8);
    let y = Scale::to_last_tick(&ticks, HEIGHT as f32 - BOTTOM, TOP);
    axis::y_axis(&mut scene, &y, &ticks, LEFT, x.to, "−log₁₀ p");
    scene.line((LEFT, y.from), (x.to, y.from), INK, 1.0);

    // Pixel positions, thinned, split by colour.
    let pixel = |i: usize| {
        let c = usize::from(points.chrom[i]);
        let px = x.px(layout.locate(c, points.pos[i]));
        let py = y.px(f64::from(points.neg_log10_p[i]));
        (px, py)
    };
    let kept = thin(
        (0..points.len()).map(|i| {
            let (px, py) = pixel(i);
            (px, py, f64::from(points.neg_log10_p[i]) >= THIN_BELOW)
        }),
        WIDTH,
        HEIGHT,
    );
    let mut rank = vec![0usize; points.chromosomes.len()];
    for (k, &(c, _, _)) in layout.order.iter().enumerate() {
        rank[c] = k;
    }
    let mut dots: [Vec<(f32, f32)>; 2] = Default::default();
    for i in kept {
        dots[rank[usize::from(points.chrom[i])] % 2].push(pixel(i));
    }
    for (centres, fill) in dots.into_iter().zip(COLORS) {
        scene.shapes.push(Shape::Dots {
            centres,
            radius: 2.2,
            fill,
        });
    }
    let line_y = y.px(threshold);
    scene.shapes.push(Shape::Line {
        from: (LEFT, line_y),
        to: (x.to, line_y),
        stroke: LINE,
        width: 1.2,
        dashed: true,
    });

    // Chromosome names under their middles, skipping one that would overlap the previous.
    let mut free_from = f32::NEG_INFINITY;
    for &(c, start, end) in &layout.order {
        let name = chrom::normalize(&points.chromosomes[c]);
        let middle = x.px(0.5 * (start + end));
        let half = 0.5 * super::font::width(&name, 11.0);
        if middle - half >= free_from {
            scene.line((middle, y.from), (middle, y.from + 4.0), INK, 1.0);
            scene.text(middle, y.from + 17.0, name, 11.0, Anchor::Middle);
            free_from = middle + half + 3.0;
        }
    }
    scene.text(
        0.5 * (LEFT + x.to),
        HEIGHT as f32 - 18.0,
        "chromosome",
        14.0,
        Anchor::Middle,
    );
    scene.text(LEFT, 24.0, title, 16.0, Anchor::Start);

    for locus in labels {
        let lead = &locus.lead;
        let Some(c) = points
            .chromosomes
            .iter()
            .position(|n| chrom::normalize(n) == lead.chrom)
        else {
            continue;
        };
        let px = x.px(layout.locate(c, lead.pos));
        let py = y.px(lead.neg_log10_p.min(y.high));
        let name = if lead.rsid.is_empty() {
            &lead.variant_id
        } else {
            &lead.rsid
        };
        scene.text(
            px,
            (py - 6.0).max(TOP + 10.0),
            name.clone(),
            10.5,
            Anchor::Middle,
        );
    }
    scene
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(rows: &[(&str, u64, f32)]) -> Points {
        let mut points = Points::default();
        for &(c, pos, y) in rows {
            points.push(c, pos, y);
        }
        points
    }

    #[test]
    fn chromosomes_follow_genome_order_with_gaps() {
        // Chromosome names as GWAS-SSF writes them (23 = X), out of order in the input.
        let p = points(&[
            ("23", 500, 1.0),
            ("2", 100, 1.0),
            ("2", 300, 2.0),
            ("10", 50, 1.0),
            ("1", 1000, 1.0),
            ("1", 1100, 1.0),
        ]);
        let layout = GenomeLayout::new(&p);
        let order: Vec<&str> = layout
            .order
            .iter()
            .map(|&(c, _, _)| p.chromosomes[c].as_str())
            .collect();
        assert_eq!(order, ["1", "2", "10", "23"]);
        // Spans 101, 201, 1, 1 = 304 bp; gaps of 3.04.
        let gap = 3.04;
        let starts: Vec<f64> = layout.order.iter().map(|&(_, s, _)| s).collect();
        let want = [0.0, 101.0 + gap, 302.0 + 2.0 * gap, 303.0 + 3.0 * gap];
        for (s, w) in starts.iter().zip(want) {
            assert!((s - w).abs() < 1e-9, "{starts:?}");
        }
        assert!((layout.total - (304.0 + 3.0 * gap)).abs() < 1e-9);
        // Chromosome 2's position 300 is 200 into its span.
        let two = p.chromosomes.iter().position(|c| c == "2").unwrap();
        assert!((layout.locate(two, 300) - (starts[1] + 200.0)).abs() < 1e-9);
    }

    #[test]
    fn every_significant_point_is_drawn_and_the_rest_thinned() {
        let mut rows = Vec::new();
        for k in 0..20_000u64 {
            rows.push(("1", k, 0.5 + (k % 7) as f32 * 0.01)); // a dense band: one per pixel
        }
        for k in 0..50u64 {
            rows.push(("1", 5_000 + k, 9.0)); // hits, several per pixel
        }
        let scene = plot(&points(&rows), 7.3, &[], "t");
        let drawn: usize = scene
            .shapes
            .iter()
            .map(|s| match s {
                Shape::Dots { centres, .. } => centres.len(),
                _ => 0,
            })
            .sum();
        // 1,520 pixel columns × the ~3 pixel rows the band spans: one point per cell.
        assert!(drawn < 4 * 1_521 + 50, "{drawn}");
        let hits: usize = scene
            .shapes
            .iter()
            .map(|s| match s {
                Shape::Dots { centres, .. } => centres.iter().filter(|(_, y)| *y < 300.0).count(),
                _ => 0,
            })
            .sum();
        assert_eq!(hits, 50);
    }
}
