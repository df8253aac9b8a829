//! The bundled font: DejaVu Sans cut to Basic Latin and a few symbols
//! (`assets/fonts/make_subset.sh`; licence in `assets/fonts/LICENSE-DejaVu.txt`). The PNGs are
//! drawn with it and the SVGs embed it, so no machine needs a font package.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

/// The font file.
pub static FONT_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-subset.ttf");

/// The parsed font.
pub fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        // A constant of the build, checked by the tests: not an input that could be bad.
        FontRef::try_from_slice(FONT_TTF).expect("the bundled font parses")
    })
}

/// ab_glyph's scale for a font size of `size` pixels per em (CSS's and SVG's `font-size`):
/// ab_glyph scales the height from descender to ascender, not the em.
pub fn scale(size: f32) -> PxScale {
    let font = font();
    let em = font.units_per_em().unwrap_or(2048.0);
    PxScale::from(size * font.height_unscaled() / em)
}

/// Glyph ids and their pen positions along the baseline for `text` at `size` pixels per em.
pub fn layout(text: &str, size: f32) -> (Vec<(ab_glyph::GlyphId, f32)>, f32) {
    let font = font().as_scaled(scale(size));
    let mut caret = 0.0;
    let mut previous = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = previous {
            caret += font.kern(p, id);
        }
        glyphs.push((id, caret));
        caret += font.h_advance(id);
        previous = Some(id);
    }
    (glyphs, caret)
}

/// Width of `text` at `size` pixels.
pub fn width(text: &str, size: f32) -> f32 {
    layout(text, size).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_has_the_plots_characters() {
        for c in "0123456789 λGC −log₁₀ p χ² Manhattan QQ".chars() {
            assert_ne!(font().glyph_id(c).0, 0, "no glyph for {c:?}");
        }
        // Wider text is wider; a digit of DejaVu Sans is 0.636 em.
        assert!(
            (width("0", 100.0) - 63.6).abs() < 0.1,
            "{}",
            width("0", 100.0)
        );
        assert!(width("10", 12.0) > width("1", 12.0));
    }
}
