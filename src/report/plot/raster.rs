//! A [`Scene`] drawn into RGB pixels, antialiased by coverage: discs and lines by their
//! distance to the pixel centre, polygons by 4 sub-rows per pixel row, text by the font's own
//! glyph coverage.

use ab_glyph::Font;

use super::font;
use super::scene::{Anchor, Color, Scene, Shape, Text};

/// An RGB image, rows top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Pixmap {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height` RGB triples.
    pub rgb: Vec<u8>,
}

impl Pixmap {
    /// Blends `color` into pixel (x, y) with coverage `c` in [0, 1]; outside the image, nothing.
    fn blend(&mut self, x: i64, y: i64, color: Color, c: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) || c <= 0.0 {
            return;
        }
        let at = 3 * (y as usize * self.width as usize + x as usize);
        if c >= 1.0 && color.a == 255 {
            // Opaque and fully covered (a dot's inside, a filled rectangle): the mix below
            // would give the colour itself exactly, at ten times the cost.
            self.rgb[at..at + 3].copy_from_slice(&[color.r, color.g, color.b]);
            return;
        }
        let alpha = c.min(1.0) * f32::from(color.a) / 255.0;
        for (channel, value) in self.rgb[at..at + 3]
            .iter_mut()
            .zip([color.r, color.g, color.b])
        {
            let mixed = f32::from(*channel) * (1.0 - alpha) + f32::from(value) * alpha;
            *channel = round_half_away(mixed) as u8;
        }
    }
}

/// `x.round() as i64` (halves away from zero), without the call to `roundf` that `f32::round`
/// compiles to on baseline x86-64 (no SSE4.1 `roundss`): blending rounds every channel of every
/// covered pixel, and that call was 5% of a report's time. The truncation is exact, and so is
/// `x` minus it (both lie within one unit, or `x` is already an integer); `x` beyond the `i64`
/// range saturates, as the cast does.
fn round_half_away(x: f32) -> i64 {
    let whole = x as i64;
    let fraction = x - whole as f32;
    // Without branches: which way a channel rounds is a coin toss the CPU cannot predict.
    whole + i64::from(fraction >= 0.5) - i64::from(fraction <= -0.5)
}

/// Draws `scene` on white.
pub fn render(scene: &Scene) -> Pixmap {
    let mut pixmap = Pixmap {
        width: scene.width,
        height: scene.height,
        rgb: vec![255; 3 * scene.width as usize * scene.height as usize],
    };
    for shape in &scene.shapes {
        match shape {
            Shape::Rect { x, y, w, h, fill } => {
                for py in x_range(*y, *y + *h) {
                    for px in x_range(*x, *x + *w) {
                        pixmap.blend(px, py, *fill, 1.0);
                    }
                }
            }
            Shape::Line {
                from,
                to,
                stroke,
                width,
                dashed,
            } => {
                // A thin axis-parallel line on a pixel boundary would blur over two rows:
                // it is moved to the pixel centres, as a crisp one-pixel line.
                let (mut from, mut to) = (*from, *to);
                if *width <= 1.5 && from.1 == to.1 {
                    from.1 = from.1.floor() + 0.5;
                    to.1 = from.1;
                }
                if *width <= 1.5 && from.0 == to.0 {
                    from.0 = from.0.floor() + 0.5;
                    to.0 = from.0;
                }
                line(&mut pixmap, from, to, *stroke, *width, *dashed)
            }
            Shape::Polygon { points, fill } => polygon(&mut pixmap, points, *fill),
            Shape::Dots {
                centres,
                radius,
                fill,
            } => {
                for &(cx, cy) in centres {
                    disc(&mut pixmap, cx, cy, *radius, *fill);
                }
            }
            Shape::Text(text) => draw_text(&mut pixmap, text),
        }
    }
    pixmap
}

/// The pixels whose centres lie in [a, b).
fn x_range(a: f32, b: f32) -> std::ops::Range<i64> {
    (a - 0.5).ceil() as i64..(b - 0.5).ceil() as i64
}

fn disc(pixmap: &mut Pixmap, cx: f32, cy: f32, r: f32, fill: Color) {
    for py in x_range(cy - r - 1.0, cy + r + 1.0) {
        for px in x_range(cx - r - 1.0, cx + r + 1.0) {
            let (dx, dy) = (px as f32 + 0.5 - cx, py as f32 + 0.5 - cy);
            let distance = (dx * dx + dy * dy).sqrt();
            pixmap.blend(px, py, fill, r + 0.5 - distance);
        }
    }
}

fn line(
    pixmap: &mut Pixmap,
    a: (f32, f32),
    b: (f32, f32),
    stroke: Color,
    width: f32,
    dashed: bool,
) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length_sq = (dx * dx + dy * dy).max(f32::MIN_POSITIVE);
    let length = length_sq.sqrt();
    let half = width / 2.0;
    let (x0, x1) = (a.0.min(b.0) - half - 1.0, a.0.max(b.0) + half + 1.0);
    let (y0, y1) = (a.1.min(b.1) - half - 1.0, a.1.max(b.1) + half + 1.0);
    for py in x_range(y0, y1) {
        for px in x_range(x0, x1) {
            let (qx, qy) = (px as f32 + 0.5 - a.0, py as f32 + 0.5 - a.1);
            let t = ((qx * dx + qy * dy) / length_sq).clamp(0.0, 1.0);
            let (ex, ey) = (qx - t * dx, qy - t * dy);
            let distance = (ex * ex + ey * ey).sqrt();
            let coverage = half + 0.5 - distance;
            // Most pixels of a slanted line's box are off the line: tested first, they skip
            // the dash's remainder (an `fmodf` call, 8 % of a report's time).
            if coverage <= 0.0 || dashed && (t * length) % 10.0 >= 6.0 {
                continue;
            }
            pixmap.blend(px, py, stroke, coverage);
        }
    }
}

/// Even-odd scanline fill, each pixel row sampled on 4 sub-rows at pixel-exact spans.
fn polygon(pixmap: &mut Pixmap, points: &[(f32, f32)], fill: Color) {
    const SUB: usize = 4;
    if points.len() < 3 {
        return;
    }
    let top = points.iter().map(|p| p.1).fold(f32::INFINITY, f32::min);
    let bottom = points.iter().map(|p| p.1).fold(f32::NEG_INFINITY, f32::max);
    let width = pixmap.width as usize;
    let mut coverage = vec![0u8; width];
    let mut crossings = Vec::new();
    for py in x_range(top, bottom + 1.0) {
        coverage.iter_mut().for_each(|c| *c = 0);
        for s in 0..SUB {
            let y = py as f32 + (s as f32 + 0.5) / SUB as f32;
            crossings.clear();
            for (k, &(xa, ya)) in points.iter().enumerate() {
                let (xb, yb) = points[(k + 1) % points.len()];
                if (ya <= y) != (yb <= y) {
                    crossings.push(xa + (y - ya) / (yb - ya) * (xb - xa));
                }
            }
            crossings.sort_by(f32::total_cmp);
            for pair in crossings.chunks_exact(2) {
                for px in x_range(pair[0], pair[1]) {
                    if let Ok(px) = usize::try_from(px) {
                        if px < width {
                            coverage[px] += 1;
                        }
                    }
                }
            }
        }
        for (px, &c) in coverage.iter().enumerate() {
            if c > 0 {
                pixmap.blend(px as i64, py, fill, f32::from(c) / SUB as f32);
            }
        }
    }
}

fn draw_text(pixmap: &mut Pixmap, text: &Text) {
    let (glyphs, width) = font::layout(&text.text, text.size);
    let shift = match text.anchor {
        Anchor::Start => 0.0,
        Anchor::Middle => -width / 2.0,
        Anchor::End => -width,
    };
    let font = font::font();
    let scale = font::scale(text.size);
    for (id, pen) in glyphs {
        // Laid out on a horizontal baseline at the origin, then placed: as is, or turned 90°
        // counter-clockwise about the anchor ((u, v) → (x + v, y − u)).
        let glyph = id.with_scale_and_position(scale, ab_glyph::point(pen + shift, 0.0));
        let Some(outline) = font.outline_glyph(glyph) else {
            continue; // a space
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, c| {
            let u = bounds.min.x + gx as f32;
            let v = bounds.min.y + gy as f32;
            let (x, y) = if text.vertical {
                (text.x + v, text.y - u - 1.0)
            } else {
                (text.x + u, text.y + v)
            };
            pixmap.blend(round_half_away(x), round_half_away(y), text.fill, c);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plot::scene::INK;

    fn pixel(p: &Pixmap, x: u32, y: u32) -> [u8; 3] {
        let at = 3 * (y * p.width + x) as usize;
        [p.rgb[at], p.rgb[at + 1], p.rgb[at + 2]]
    }

    #[test]
    fn rounding_matches_std_round() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let below_half = 0.5 - f32::EPSILON / 4.0;
        let mut values = vec![
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            254.5,
            below_half,
            -below_half,
            8e6,
        ];
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(f32::from_bits(state as u32) % 1e4);
        }
        for x in values.into_iter().filter(|x| x.is_finite()) {
            assert_eq!(round_half_away(x), x.round() as i64, "{x}");
        }
    }

    #[test]
    fn shapes_cover_their_pixels_and_nothing_far_away() {
        let mut scene = Scene::new(40, 30);
        let red = Color::rgb(255, 0, 0);
        scene.shapes.push(Shape::Dots {
            centres: vec![(10.0, 10.0)],
            radius: 3.0,
            fill: red,
        });
        scene.shapes.push(Shape::Polygon {
            points: vec![(20.0, 20.0), (30.0, 20.0), (30.0, 28.0), (20.0, 28.0)],
            fill: red,
        });
        scene.line((0.0, 2.0), (40.0, 2.0), INK, 1.0);
        let p = render(&scene);
        assert_eq!(pixel(&p, 10, 10), [255, 0, 0]);
        assert_eq!(pixel(&p, 16, 10), [255, 255, 255]);
        assert_eq!(pixel(&p, 25, 24), [255, 0, 0]);
        assert_eq!(pixel(&p, 31, 24), [255, 255, 255]);
        // The 1-pixel line on the boundary y = 2 fills row 2 only.
        assert_eq!(pixel(&p, 5, 2), [0x22, 0x22, 0x22]);
        assert_eq!(pixel(&p, 5, 1), [255, 255, 255]);
        assert_eq!(pixel(&p, 5, 3), [255, 255, 255]);
    }

    #[test]
    fn text_leaves_ink_inside_its_box_only() {
        let mut scene = Scene::new(60, 20);
        scene.text(30.0, 15.0, "88", 12.0, Anchor::Middle);
        let p = render(&scene);
        let inked: Vec<(u32, u32)> = (0..20)
            .flat_map(|y| (0..60).map(move |x| (x, y)))
            .filter(|&(x, y)| pixel(&p, x, y) != [255, 255, 255])
            .collect();
        assert!(inked.len() > 20);
        // Two digits of 0.636 em at 12 px: 15.3 px wide, centred on 30; above the baseline.
        assert!(inked
            .iter()
            .all(|&(x, y)| (21..=38).contains(&x) && (4..=15).contains(&y)));
    }
}
