//! Axes: round tick values and the mapping from data to pixels.

/// A linear map from data `[low, high]` to pixels `[from, to]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Data low end.
    pub low: f64,
    /// Data high end.
    pub high: f64,
    /// Pixel of `low`.
    pub from: f32,
    /// Pixel of `high`.
    pub to: f32,
}

impl Scale {
    /// The scale from data 0 to `high` onto pixels `from` to `to` (every plot's axes start at 0).
    pub fn from_zero(high: f64, from: f32, to: f32) -> Scale {
        Scale {
            low: 0.0,
            high,
            from,
            to,
        }
    }

    /// The scale from 0 to the last of `ticks` (1 without ticks) onto pixels `from` to `to`.
    pub fn to_last_tick(ticks: &[f64], from: f32, to: f32) -> Scale {
        Scale::from_zero(*ticks.last().unwrap_or(&1.0), from, to)
    }

    /// The pixel of `value`.
    pub fn px(&self, value: f64) -> f32 {
        let span = (self.high - self.low).max(f64::MIN_POSITIVE);
        self.from + ((value - self.low) / span) as f32 * (self.to - self.from)
    }
}

/// Round ticks from 0 to at least `max`: steps of 1, 2 or 5 × 10ᵏ, at most `count` + 1 ticks.
///
/// ```
/// use dash::report::plot::axis::ticks;
/// assert_eq!(ticks(7.3, 8), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
/// assert_eq!(ticks(42.0, 5), [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
/// ```
pub fn ticks(max: f64, count: usize) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let rough = max / count.max(1) as f64;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= rough)
        .unwrap_or(10.0 * magnitude);
    let last = (max / step).ceil() as usize;
    (0..=last).map(|k| k as f64 * step).collect()
}

/// A tick's label: no trailing `.0`.
pub fn label(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

use super::scene::{Anchor, Color, Scene, Shape, Text, INK};

/// Light grid lines.
const GRID: Color = Color::rgb(0xe4, 0xe4, 0xe4);

/// The y axis at pixel `left`: grid lines to `right`, tick labels, and `title` turned upright.
pub fn y_axis(scene: &mut Scene, scale: &Scale, ticks: &[f64], left: f32, right: f32, title: &str) {
    for &t in ticks {
        let y = scale.px(t);
        scene.line((left, y), (right, y), GRID, 1.0);
        scene.line((left - 5.0, y), (left, y), INK, 1.0);
        scene.text(left - 8.0, y + 4.0, label(t), 12.0, Anchor::End);
    }
    scene.line((left, scale.from), (left, scale.to), INK, 1.0);
    let widest = ticks
        .iter()
        .map(|&t| super::font::width(&label(t), 12.0))
        .fold(0.0, f32::max);
    scene.shapes.push(Shape::Text(Text {
        x: left - widest - 18.0,
        y: 0.5 * (scale.from + scale.to),
        text: title.to_string(),
        size: 14.0,
        anchor: Anchor::Middle,
        vertical: true,
        fill: INK,
    }));
}

/// The x axis at pixel `bottom` with numeric ticks and `title` below.
pub fn x_axis(scene: &mut Scene, scale: &Scale, ticks: &[f64], bottom: f32, title: &str) {
    for &t in ticks {
        let x = scale.px(t);
        scene.line((x, bottom), (x, bottom + 5.0), INK, 1.0);
        scene.text(x, bottom + 19.0, label(t), 12.0, Anchor::Middle);
    }
    scene.line((scale.from, bottom), (scale.to, bottom), INK, 1.0);
    scene.text(
        0.5 * (scale.from + scale.to),
        bottom + 42.0,
        title,
        14.0,
        Anchor::Middle,
    );
}
