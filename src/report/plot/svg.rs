//! A [`Scene`] as SVG text. The bundled font is embedded (`@font-face`, ~30 KB), so the file
//! looks the same on a machine without DejaVu Sans and loads nothing from elsewhere.

use std::fmt::Write as _;

use base64::Engine as _;

use super::font::FONT_TTF;
use super::scene::{Anchor, Color, Scene, Shape};
use crate::output::float_text::push_fixed;

/// The SVG document of `scene`.
pub fn render(scene: &Scene) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let (w, h) = (scene.width, scene.height);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"'DejaVu Sans dash', 'DejaVu Sans', sans-serif\">\n\
         <style>@font-face {{ font-family: 'DejaVu Sans dash'; src: url(data:font/ttf;base64,{font}); }}</style>\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
        font = base64::engine::general_purpose::STANDARD.encode(FONT_TTF),
    );
    for shape in &scene.shapes {
        shape_svg(&mut out, shape);
    }
    out.push_str("</svg>\n");
    out
}

/// ` fill="#rrggbb"` and its opacity when not opaque (`what` is `fill` or `stroke`).
fn paint(out: &mut String, what: &str, color: Color) {
    let _ = write!(out, " {what}=\"{}\"", color.hex());
    if color.a != 255 {
        let _ = write!(out, " {what}-opacity=\"{:.3}\"", f32::from(color.a) / 255.0);
    }
}

fn shape_svg(out: &mut String, shape: &Shape) {
    match shape {
        Shape::Rect { x, y, w, h, fill } => {
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\""
            );
            paint(out, "fill", *fill);
            out.push_str("/>\n");
        }
        Shape::Line {
            from,
            to,
            stroke,
            width,
            dashed,
        } => {
            let _ = write!(
                out,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke-width=\"{width:.1}\"",
                from.0, from.1, to.0, to.1
            );
            paint(out, "stroke", *stroke);
            if *dashed {
                out.push_str(" stroke-dasharray=\"6 4\"");
            }
            out.push_str("/>\n");
        }
        Shape::Polygon { points, fill } => {
            out.push_str("<polygon points=\"");
            for &(x, y) in points {
                coordinate(out, x);
                out.push(',');
                coordinate(out, y);
                out.push(' ');
            }
            out.push('"');
            paint(out, "fill", *fill);
            out.push_str("/>\n");
        }
        Shape::Dots {
            centres,
            radius,
            fill,
        } => {
            if centres.is_empty() {
                return;
            }
            // One path of zero-length segments with round caps: a disc per point in ~14 bytes,
            // against ~50 for a <circle> element.
            out.push_str("<path d=\"");
            for &(x, y) in centres {
                out.push('M');
                coordinate(out, x);
                out.push(' ');
                coordinate(out, y);
                out.push_str("h0");
            }
            let _ = write!(
                out,
                "\" fill=\"none\" stroke-linecap=\"round\" stroke-width=\"{:.2}\"",
                2.0 * radius
            );
            paint(out, "stroke", *fill);
            out.push_str("/>\n");
        }
        Shape::Text(t) => {
            let anchor = match t.anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.1}\" text-anchor=\"{anchor}\"",
                t.x, t.y, t.size
            );
            if t.vertical {
                let _ = write!(out, " transform=\"rotate(-90 {:.1} {:.1})\"", t.x, t.y);
            }
            paint(out, "fill", t.fill);
            out.push('>');
            escape_into(out, &t.text);
            out.push_str("</text>\n");
        }
    }
}

/// Appends `{v:.1}`: a plot's thousands of dots and polygon points are written this way, and
/// `write!` with a precision takes the general exact-digit path for each.
fn coordinate(out: &mut String, v: f32) {
    push_fixed(out, f64::from(v), 1);
}

/// Appends `text` with XML's special characters escaped.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plot::scene::{Text, INK};

    #[test]
    fn text_is_escaped_and_dots_share_one_path() {
        let mut scene = Scene::new(10, 10);
        scene.shapes.push(Shape::Text(Text {
            x: 1.0,
            y: 2.0,
            text: "a<b & \"c\"".into(),
            size: 9.0,
            anchor: Anchor::Middle,
            vertical: true,
            fill: INK,
        }));
        scene.shapes.push(Shape::Dots {
            centres: vec![(1.0, 1.0), (2.0, 3.0)],
            radius: 1.5,
            fill: INK,
        });
        let svg = render(&scene);
        assert!(svg.contains(">a&lt;b &amp; &quot;c&quot;</text>"), "{svg}");
        assert!(svg.contains("rotate(-90 1.0 2.0)"));
        assert!(svg.contains("d=\"M1.0 1.0h0M2.0 3.0h0\""));
        assert_eq!(svg.matches("<path").count(), 1);
    }
}
