//! The QQ plot: observed against expected −log10 p, with the null's 95% band ([`super::band`])
//! and λGC.

use super::axis::{self, Scale};
use super::band::band;
use super::manhattan::{COLORS, LINE, THIN_BELOW};
use super::scene::{Anchor, Color, Scene, Shape};
use super::thin::thin;

/// Plot size in pixels (square).
pub const SIZE: u32 = 620;
const LEFT: f32 = 80.0;
const RIGHT: f32 = 24.0;
const TOP: f32 = 40.0;
const BOTTOM: f32 = 64.0;

/// Band colour.
const BAND: Color = Color::rgb(0xb0, 0xb0, 0xb0).with_alpha(110);

/// The QQ plot of `observed` (−log10 p of every tested variant, any order; sorted here).
pub fn plot(observed: &mut [f32], lambda_gc: Option<f64>, title: &str) -> Scene {
    use rayon::prelude::*;
    observed.par_sort_unstable_by(|a, b| b.total_cmp(a));
    let n = observed.len() as u64;
    let expected = |i: usize| -(((i as f64) + 0.5) / n as f64).log10();
    let band = band(n, 120);
    let top_expected = if n == 0 { 1.0 } else { expected(0) };
    let top_observed = observed.first().map_or(0.0, |&v| f64::from(v));
    let top_band = band.first().map_or(0.0, |b| b.high);

    let mut scene = Scene::new(SIZE, SIZE);
    let x_ticks = axis::ticks(top_expected * 1.05, 6);
    let y_ticks = axis::ticks(top_observed.max(top_band) * 1.05, 8);
    let x = Scale::to_last_tick(&x_ticks, LEFT, SIZE as f32 - RIGHT);
    let y = Scale::to_last_tick(&y_ticks, SIZE as f32 - BOTTOM, TOP);
    axis::y_axis(&mut scene, &y, &y_ticks, LEFT, x.to, "observed −log₁₀ p");
    axis::x_axis(&mut scene, &x, &x_ticks, y.from, "expected −log₁₀ p");

    if !band.is_empty() {
        let mut corners: Vec<(f32, f32)> = band
            .iter()
            .map(|b| (x.px(b.expected), y.px(b.high)))
            .collect();
        corners.extend(band.iter().rev().map(|b| (x.px(b.expected), y.px(b.low))));
        scene.shapes.push(Shape::Polygon {
            points: corners,
            fill: BAND,
        });
    }
    let diagonal_end = top_expected.min(y.high);
    scene.line(
        (x.px(0.0), y.px(0.0)),
        (x.px(diagonal_end), y.px(diagonal_end)),
        LINE,
        1.2,
    );

    let pixel = |i: usize| (x.px(expected(i)), y.px(f64::from(observed[i])));
    let kept = thin(
        (0..observed.len()).map(|i| {
            let (px, py) = pixel(i);
            (px, py, f64::from(observed[i]) >= THIN_BELOW)
        }),
        SIZE,
        SIZE,
    );
    scene.shapes.push(Shape::Dots {
        centres: kept.into_iter().map(pixel).collect(),
        radius: 2.2,
        fill: COLORS[0],
    });

    let lambda = match lambda_gc {
        Some(l) => format!("λGC = {l:.4}"),
        None => "λGC: no variants".to_string(),
    };
    scene.text(LEFT + 12.0, TOP + 20.0, lambda, 14.0, Anchor::Start);
    scene.text(
        LEFT + 12.0,
        TOP + 38.0,
        format!("{n} variants"),
        12.0,
        Anchor::Start,
    );
    scene.text(LEFT, 24.0, title, 16.0, Anchor::Start);
    scene
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_survive_thinning_and_the_text_gives_lambda() {
        // 100,000 uniform-looking p-values and 30 hits.
        let mut observed: Vec<f32> = (0..100_000)
            .map(|i| -(((i as f64) + 0.5) / 100_000.0).log10() as f32)
            .collect();
        observed.extend((0..30).map(|k| 20.0 + k as f32));
        let scene = plot(&mut observed, Some(1.0123), "y");
        let dots: Vec<(f32, f32)> = scene
            .shapes
            .iter()
            .find_map(|s| match s {
                Shape::Dots { centres, .. } => Some(centres.clone()),
                _ => None,
            })
            .unwrap();
        assert!(dots.len() < 5_000, "{}", dots.len());
        // The hits: expected −log10 p of ranks 1–30 and observed 20–49.
        let top: Vec<&(f32, f32)> = dots.iter().filter(|d| d.1 < 400.0).collect();
        assert_eq!(top.len(), 30);
        let texts: Vec<&str> = scene
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect();
        assert!(texts.contains(&"λGC = 1.0123"), "{texts:?}");
    }
}
