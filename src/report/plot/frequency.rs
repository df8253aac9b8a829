//! The per-party allele-frequency plot: a party's ALT frequency (y) against the pooled
//! frequency of the other parties (x). Agreeing parties lie along the diagonal; a party with
//! swapped allele labels mirrors it (y = 1 − x), a build or sample mix-up scatters it.
//!
//! The variants are drawn as the merge's 50 × 50 histogram (one shaded square per non-empty
//! cell, darker for more variants), so the plot costs the same for any number of variants; every
//! outlier is drawn on top as a dot of its own, never thinned.

use super::axis::{self, Scale};
use super::manhattan::LINE;
use super::scene::{Anchor, Color, Scene, Shape};
use crate::merge::allele_check::BINS;

/// Plot size in pixels (square).
pub const SIZE: u32 = 620;
const LEFT: f32 = 80.0;
const RIGHT: f32 = 24.0;
const TOP: f32 = 40.0;
const BOTTOM: f32 = 64.0;

/// The lightest and darkest shade of a histogram cell.
const LIGHT: Color = Color::rgb(0xd6, 0xe6, 0xf5);
const DARK: Color = Color::rgb(0x1f, 0x4e, 0x79);

/// What one party's plot shows.
#[derive(Debug, Clone, Copy)]
pub struct FrequencyPlot<'a> {
    /// Title.
    pub title: &'a str,
    /// The histogram, `bins[others * BINS + own]`.
    pub bins: &'a [u64],
    /// Every outlier as (others, own) frequency.
    pub outliers: &'a [(f32, f32)],
    /// The outlier threshold on |own − others|.
    pub max_difference: f64,
}

/// Draws one party's plot. (Its text avoids Δ: the bundled font subset has no Greek capitals.)
pub fn plot(p: &FrequencyPlot) -> Scene {
    let mut scene = Scene::new(SIZE, SIZE);
    // Written out: 3 × 0.2 is not 0.6 in f64, and the label would show it.
    let ticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
    let x = Scale::from_zero(1.0, LEFT, SIZE as f32 - RIGHT);
    let y = Scale::from_zero(1.0, SIZE as f32 - BOTTOM, TOP);
    axis::y_axis(&mut scene, &y, &ticks, LEFT, x.to, "party's ALT frequency");
    axis::x_axis(
        &mut scene,
        &x,
        &ticks,
        y.from,
        "pooled ALT frequency of the other parties",
    );

    let most = p.bins.iter().copied().max().unwrap_or(0);
    let width = 1.0 / BINS as f64;
    for (cell, &count) in p.bins.iter().enumerate().filter(|(_, c)| **c > 0) {
        let (others, own) = ((cell / BINS) as f64 * width, (cell % BINS) as f64 * width);
        let (left, top) = (x.px(others), y.px(own + width));
        scene.shapes.push(Shape::Rect {
            x: left,
            y: top,
            w: x.px(others + width) - left,
            h: y.px(own) - top,
            fill: shade(count, most),
        });
    }

    scene.line((x.px(0.0), y.px(0.0)), (x.px(1.0), y.px(1.0)), LINE, 1.2);
    let d = p.max_difference;
    for (from, to) in [((0.0, d), (1.0 - d, 1.0)), ((d, 0.0), (1.0, 1.0 - d))] {
        scene.shapes.push(Shape::Line {
            from: (x.px(from.0), y.px(from.1)),
            to: (x.px(to.0), y.px(to.1)),
            stroke: LINE,
            width: 1.0,
            dashed: true,
        });
    }
    scene.shapes.push(Shape::Dots {
        centres: p
            .outliers
            .iter()
            .map(|&(others, own)| (x.px(f64::from(others)), y.px(f64::from(own))))
            .collect(),
        radius: 2.4,
        fill: LINE,
    });

    let compared: u64 = p.bins.iter().sum();
    scene.text(
        LEFT + 12.0,
        TOP + 20.0,
        format!(
            "{compared} variants, {} outliers (frequencies differ by > {d})",
            p.outliers.len()
        ),
        13.0,
        Anchor::Start,
    );
    scene.text(LEFT, 24.0, p.title, 16.0, Anchor::Start);
    scene
}

/// A cell's colour: from [`LIGHT`] (one variant) to [`DARK`] (the fullest cell), on a log scale
/// so sparse cells stay visible beside dense ones.
fn shade(count: u64, most: u64) -> Color {
    let t = if most > 1 {
        ((count as f64).ln() / (most as f64).ln()) as f32
    } else {
        1.0
    };
    let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    Color::rgb(
        mix(LIGHT.r, DARK.r),
        mix(LIGHT.g, DARK.g),
        mix(LIGHT.b, DARK.b),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outlier_is_drawn_and_cells_are_shaded_by_count() {
        let mut bins = vec![0u64; BINS * BINS];
        bins[10 * BINS + 10] = 1000;
        bins[20 * BINS + 20] = 1;
        let outliers: Vec<(f32, f32)> = (0..5000).map(|k| (0.9, k as f32 / 5000.0)).collect();
        let scene = plot(&FrequencyPlot {
            title: "a",
            bins: &bins,
            outliers: &outliers,
            max_difference: 0.2,
        });
        let dots = scene.shapes.iter().find_map(|s| match s {
            Shape::Dots { centres, .. } => Some(centres.len()),
            _ => None,
        });
        assert_eq!(dots, Some(5000));
        let fills: Vec<Color> = scene
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { fill, .. } => Some(*fill),
                _ => None,
            })
            .collect();
        assert_eq!(fills, [DARK, LIGHT]);
    }
}
