//! The QQ plot: observed against expected −log10 p, with the null's 95% band ([`super::band`])
//! and λGC.

use super::axis::{self, Scale};
use super::band::band;
use super::manhattan::{COLORS, LINE, THIN_BELOW};
use super::scene::{Anchor, Color, Scene, Shape};
use super::thin::thin;
use crate::error::{Error, Result};

/// Plot size in pixels (square).
pub const SIZE: u32 = 620;
const LEFT: f32 = 80.0;
const RIGHT: f32 = 24.0;
const TOP: f32 = 40.0;
const BOTTOM: f32 = 64.0;

/// Band colour.
const BAND: Color = Color::rgb(0xb0, 0xb0, 0xb0).with_alpha(110);

/// Variants up to which [`Observed::collect`] keeps every value, sorted: the plot is then drawn
/// from the values themselves (at 4 bytes each, 4 MiB).
pub const EXACT_UP_TO: usize = 1 << 20;

/// Past [`EXACT_UP_TO`], the largest values kept exactly: the tail where a QQ plot's points
/// stand apart (and every hit is).
pub const TOP_EXACT: usize = 1 << 16;

/// Past [`EXACT_UP_TO`], the bins the other values are counted in, between the smallest value
/// and the smallest of the [`TOP_EXACT`]: a bin is ~1/2¹⁶ of that span (at 10 M variants,
/// −log10 p ≤ ~2.2, so ~3·10⁻⁵), far under one of the plot's pixels.
pub const BULK_BINS: usize = 1 << 16;

/// A QQ plot's observed −log10 p, readable in descending order, in memory bounded whatever the
/// number of variants (issue 12): every value while there are at most [`EXACT_UP_TO`]; past that
/// the [`TOP_EXACT`] largest exactly and the rest as counts in [`BULK_BINS`] bins, each value
/// read as its bin's midpoint (never above the smallest exact value). The ranks — and so the
/// expected −log10 p each point is drawn at — are exact either way.
///
/// ```
/// use dash::report::plot::qq::Observed;
/// let values = [0.5_f32, 3.0, 1.25, 0.0];
/// let observed = Observed::collect(values.len(), 1 << 20, |f| {
///     values.iter().for_each(|&v| f(v));
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(observed.descending().collect::<Vec<_>>(), [3.0, 1.25, 0.5, 0.0]);
/// assert_eq!(observed.value(1), 1.25);
/// ```
pub enum Observed {
    /// Every value, in descending order.
    Sorted(Vec<f32>),
    /// The largest values exactly and the others counted in bins.
    Bounded(Binned),
}

/// [`Observed`] past [`EXACT_UP_TO`] values.
pub struct Binned {
    /// The [`TOP_EXACT`] largest values, descending.
    top: Vec<f32>,
    /// Of the other values, how many fall in the highest bin, the two highest, … (cumulative,
    /// highest bin first).
    through: Vec<u64>,
    /// The lowest bin's lower edge (the smallest value) and each bin's width.
    low: f64,
    width: f64,
    /// The smallest exact value: no binned value reads above it.
    ceiling: f32,
}

impl Observed {
    /// Collects `n` values, which `each` hands (in any order, as often as it is called: once
    /// for at most `exact_up_to` values, else twice) to the function it is given.
    pub fn collect(
        n: usize,
        exact_up_to: usize,
        mut each: impl FnMut(&mut dyn FnMut(f32)) -> Result<()>,
    ) -> Result<Observed> {
        use rayon::prelude::*;
        if n <= exact_up_to {
            let mut values = Vec::with_capacity(n);
            each(&mut |v| values.push(v))?;
            values.par_sort_unstable_by(|a, b| b.total_cmp(a));
            return Ok(Observed::Sorted(values));
        }
        // First pass: the TOP_EXACT largest (a buffer of twice that, cut back when full) and
        // the smallest value.
        let descending = |a: &f32, b: &f32| b.total_cmp(a);
        let mut top = Vec::with_capacity(2 * TOP_EXACT);
        let mut lowest = f32::INFINITY;
        each(&mut |v| {
            lowest = lowest.min(v);
            top.push(v);
            if top.len() == 2 * TOP_EXACT {
                top.select_nth_unstable_by(TOP_EXACT - 1, descending);
                top.truncate(TOP_EXACT);
            }
        })?;
        if top.len() > TOP_EXACT {
            top.select_nth_unstable_by(TOP_EXACT - 1, descending);
            top.truncate(TOP_EXACT);
        }
        top.sort_unstable_by(descending);
        let ceiling = top[top.len() - 1];
        let low = f64::from(lowest);
        let width = (f64::from(ceiling) - low) / BULK_BINS as f64;
        let bin_of = |v: f32| -> usize {
            if width > 0.0 && width.is_finite() {
                // `as` saturates (NaN → 0); the top bin is closed.
                (((f64::from(v) - low) / width) as usize).min(BULK_BINS - 1)
            } else {
                0
            }
        };
        // Second pass: every value not above the ceiling counted in its bin; the copies of the
        // ceiling already among the exact values taken back out.
        let mut counts = vec![0u64; BULK_BINS];
        each(&mut |v| {
            if v.total_cmp(&ceiling).is_le() {
                counts[bin_of(v)] += 1;
            }
        })?;
        let ceilings_on_top = top.iter().filter(|v| v.total_cmp(&ceiling).is_eq()).count();
        counts[bin_of(ceiling)] -= ceilings_on_top as u64;
        let mut through = Vec::with_capacity(BULK_BINS);
        let mut sum = 0u64;
        for &count in counts.iter().rev() {
            sum += count;
            through.push(sum);
        }
        if sum as usize + top.len() != n {
            return Err(Error::inputs(format!(
                "the QQ plot was handed {} values where {n} were expected",
                sum as usize + top.len()
            )));
        }
        Ok(Observed::Bounded(Binned {
            top,
            through,
            low,
            width,
            ceiling,
        }))
    }

    /// How many values.
    pub fn len(&self) -> usize {
        match self {
            Observed::Sorted(values) => values.len(),
            Observed::Bounded(b) => b.top.len() + b.through.last().map_or(0, |&t| t as usize),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of rank `i` (0 the largest).
    pub fn value(&self, i: usize) -> f32 {
        match self {
            Observed::Sorted(values) => values[i],
            Observed::Bounded(b) => match b.top.get(i) {
                Some(&v) => v,
                None => {
                    let rank = (i - b.top.len()) as u64;
                    let from_top = b.through.partition_point(|&t| t <= rank);
                    b.bin_value(BULK_BINS - 1 - from_top)
                }
            },
        }
    }

    /// Every value, largest first.
    pub fn descending(&self) -> Box<dyn Iterator<Item = f32> + '_> {
        match self {
            Observed::Sorted(values) => Box::new(values.iter().copied()),
            Observed::Bounded(b) => {
                let counts = b.through.iter().scan(0u64, |before, &through| {
                    let count = through - *before;
                    *before = through;
                    Some(count)
                });
                Box::new(b.top.iter().copied().chain(counts.enumerate().flat_map(
                    move |(from_top, count)| {
                        let value = b.bin_value(BULK_BINS - 1 - from_top);
                        std::iter::repeat_n(value, count as usize)
                    },
                )))
            }
        }
    }
}

impl Binned {
    /// What a value counted in `bin` reads as: the bin's midpoint, capped at the ceiling.
    fn bin_value(&self, bin: usize) -> f32 {
        if self.width > 0.0 && self.width.is_finite() {
            ((self.low + (bin as f64 + 0.5) * self.width) as f32).min(self.ceiling)
        } else {
            self.ceiling
        }
    }
}

/// The QQ plot of `observed` (−log10 p of every tested variant, in descending order).
pub fn plot(observed: &Observed, lambda_gc: Option<f64>, title: &str) -> Scene {
    let n = observed.len() as u64;
    let expected = |i: usize| -(((i as f64) + 0.5) / n as f64).log10();
    let band = band(n, 120);
    let top_expected = if n == 0 { 1.0 } else { expected(0) };
    let top_observed = if n == 0 {
        0.0
    } else {
        f64::from(observed.value(0))
    };
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

    let pixel_of = |i: usize, value: f32| (x.px(expected(i)), y.px(f64::from(value)));
    let kept = thin(
        observed.descending().enumerate().map(|(i, value)| {
            let (px, py) = pixel_of(i, value);
            (px, py, f64::from(value) >= THIN_BELOW)
        }),
        SIZE,
        SIZE,
    );
    scene.shapes.push(Shape::Dots {
        centres: kept
            .into_iter()
            .map(|i| pixel_of(i, observed.value(i)))
            .collect(),
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

    fn collect(values: &[f32], exact_up_to: usize) -> Observed {
        Observed::collect(values.len(), exact_up_to, |f| {
            values.iter().for_each(|&v| f(v));
            Ok(())
        })
        .unwrap()
    }

    fn dots(scene: &Scene) -> Vec<(f32, f32)> {
        scene
            .shapes
            .iter()
            .find_map(|s| match s {
                Shape::Dots { centres, .. } => Some(centres.clone()),
                _ => None,
            })
            .unwrap()
    }

    /// 1.5 M uniform p-values (a fixed pseudo-random sequence), ties at p = 1, and 40 hits.
    fn many_values() -> Vec<f32> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut values: Vec<f32> = (0..1_500_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let p = ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
                -p.log10() as f32
            })
            .collect();
        values.extend(std::iter::repeat_n(0.0, 1_000));
        values.extend((0..40).map(|k| 8.0 + 0.5 * k as f32));
        values
    }

    #[test]
    fn past_the_exact_limit_values_are_within_a_bin_and_the_top_exact() {
        let values = many_values();
        let exact = collect(&values, usize::MAX);
        let bounded = collect(&values, EXACT_UP_TO);
        assert!(matches!(bounded, Observed::Bounded(_)));
        assert_eq!(bounded.len(), values.len());
        let Observed::Sorted(sorted) = &exact else {
            panic!("not sorted")
        };
        // The naive oracle: every value, sorted.
        let mut naive = values.clone();
        naive.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(sorted, &naive);
        let ceiling = naive[TOP_EXACT - 1];
        let lowest = naive[naive.len() - 1];
        let width = (ceiling - lowest) / BULK_BINS as f32;
        let read: Vec<f32> = bounded.descending().collect();
        assert_eq!(read.len(), naive.len());
        for (i, (&b, &e)) in read.iter().zip(&naive).enumerate() {
            assert_eq!(b, bounded.value(i), "rank {i}");
            if i < TOP_EXACT {
                assert_eq!(b, e, "rank {i}");
            } else {
                assert!(b <= ceiling, "rank {i}");
                assert!((b - e).abs() <= width * 1.001, "rank {i}: {b} against {e}");
            }
        }
    }

    #[test]
    fn past_the_exact_limit_every_dot_is_within_a_pixel_of_the_full_plot() {
        let values = many_values();
        let full = dots(&plot(&collect(&values, usize::MAX), Some(1.0), "y"));
        let bounded = dots(&plot(&collect(&values, EXACT_UP_TO), Some(1.0), "y"));
        let near = |d: &(f32, f32), others: &[(f32, f32)]| {
            others
                .iter()
                .any(|o| (o.0 - d.0).abs() <= 1.0 && (o.1 - d.1).abs() <= 1.0)
        };
        assert!(full.iter().all(|d| near(d, &bounded)));
        assert!(bounded.iter().all(|d| near(d, &full)));
        // The hits are drawn exactly.
        let top = |dots: &[(f32, f32)]| -> Vec<(f32, f32)> {
            dots.iter().copied().filter(|d| d.1 < 300.0).collect()
        };
        assert_eq!(top(&full), top(&bounded));
        assert!(!top(&full).is_empty());
    }

    #[test]
    fn a_wrong_count_is_an_error() {
        let values = many_values();
        let wrong = Observed::collect(values.len() + 1, EXACT_UP_TO, |f| {
            values.iter().for_each(|&v| f(v));
            Ok(())
        });
        assert!(wrong.is_err());
    }

    #[test]
    fn hits_survive_thinning_and_the_text_gives_lambda() {
        // 100,000 uniform-looking p-values and 30 hits.
        let mut observed: Vec<f32> = (0..100_000)
            .map(|i| -(((i as f64) + 0.5) / 100_000.0).log10() as f32)
            .collect();
        observed.extend((0..30).map(|k| 20.0 + k as f32));
        let scene = plot(&collect(&observed, EXACT_UP_TO), Some(1.0123), "y");
        let dots = dots(&scene);
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
