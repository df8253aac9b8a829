//! The report's plots, drawn by dash itself: a plot is a [`scene::Scene`] of shapes, written as
//! SVG text ([`svg`]) and rasterized to PNG ([`raster`], [`png`]) with a bundled font
//! ([`font`]). Millions of points are thinned to one per pixel ([`thin`]), never the
//! significant ones.

pub mod axis;
pub mod band;
pub mod bounded;
pub mod font;
pub mod frequency;
pub mod manhattan;
pub mod png;
pub mod qq;
pub mod raster;
pub mod scene;
pub mod svg;
pub mod thin;

/// The tested variants of one phenotype as the plots need them (14 bytes per variant).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Points {
    /// Chromosome names as the file gives them; `chrom` indexes this.
    pub chromosomes: Vec<String>,
    /// Chromosome index per variant.
    pub chrom: Vec<u16>,
    /// Position per variant.
    pub pos: Vec<u64>,
    /// −log10 p per variant (f32: plenty for a pixel; +∞ past f32's range).
    pub neg_log10_p: Vec<f32>,
}

impl Points {
    /// Variants held.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// Index of chromosome `name`, added if new; `None` past 65,536 distinct names.
    pub fn chromosome_index(&mut self, name: &str) -> Option<u16> {
        // Rows come sorted by chromosome: the last one is almost always the one.
        if let Some(last) = self.chromosomes.len().checked_sub(1) {
            if self.chromosomes[last] == name {
                return u16::try_from(last).ok();
            }
        }
        match self.chromosomes.iter().position(|c| c == name) {
            Some(i) => u16::try_from(i).ok(),
            None => {
                let i = u16::try_from(self.chromosomes.len()).ok()?;
                self.chromosomes.push(name.to_string());
                Some(i)
            }
        }
    }

    /// Adds a variant (tests and small inputs; chromosomes past the 65,536th are dropped).
    pub fn push(&mut self, chromosome: &str, pos: u64, neg_log10_p: f32) {
        if let Some(c) = self.chromosome_index(chromosome) {
            self.chrom.push(c);
            self.pos.push(pos);
            self.neg_log10_p.push(neg_log10_p);
        }
    }
}

/// A plot in both formats.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The PNG file.
    pub png: Vec<u8>,
    /// The SVG file.
    pub svg: String,
    /// Size in pixels.
    pub size: (u32, u32),
}

/// Writes `scene` as PNG and SVG (in parallel: rasterizing is the slower).
pub fn render(scene: &scene::Scene) -> Rendered {
    let (png, svg) = rayon::join(
        || png::encode(&raster::render(scene)),
        || svg::render(scene),
    );
    Rendered {
        png,
        svg,
        size: (scene.width, scene.height),
    }
}
