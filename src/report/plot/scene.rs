//! A plot as a list of shapes in pixel coordinates (origin top left, y down), drawn the same
//! way by the SVG writer ([`super::svg`]) and the rasterizer ([`super::raster`]): the two files
//! of a plot cannot disagree.

/// An sRGB colour with opacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Opacity, 255 = opaque.
    pub a: u8,
}

impl Color {
    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color { r, g, b, a: 255 }
    }

    /// The same colour with opacity `a`.
    pub const fn with_alpha(self, a: u8) -> Color {
        Color { a, ..self }
    }

    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// Where a text's anchor point sits along it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The text starts at the anchor.
    Start,
    /// The text is centred on the anchor.
    Middle,
    /// The text ends at the anchor.
    End,
}

/// A line of text; `(x, y)` is the anchor on the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// Anchor x.
    pub x: f32,
    /// Anchor y (baseline).
    pub y: f32,
    /// The text.
    pub text: String,
    /// Font size in pixels.
    pub size: f32,
    /// Alignment on the anchor.
    pub anchor: Anchor,
    /// Turned 90° counter-clockwise (reads bottom to top), as a y-axis title.
    pub vertical: bool,
    /// Colour.
    pub fill: Color,
}

/// One drawing primitive.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A filled axis-aligned rectangle.
    Rect {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Fill.
        fill: Color,
    },
    /// A straight line.
    Line {
        /// Start.
        from: (f32, f32),
        /// End.
        to: (f32, f32),
        /// Colour.
        stroke: Color,
        /// Width in pixels.
        width: f32,
        /// Dashed (6 on, 4 off).
        dashed: bool,
    },
    /// A filled polygon (non-self-intersecting).
    Polygon {
        /// Corners in order.
        points: Vec<(f32, f32)>,
        /// Fill.
        fill: Color,
    },
    /// Discs of one radius and colour: the points of a scatter plot.
    Dots {
        /// Centres.
        centres: Vec<(f32, f32)>,
        /// Radius in pixels.
        radius: f32,
        /// Fill.
        fill: Color,
    },
    /// Text.
    Text(Text),
}

/// A plot: its size and its shapes, drawn in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Shapes, back to front.
    pub shapes: Vec<Shape>,
}

impl Scene {
    /// An empty (white) scene.
    pub fn new(width: u32, height: u32) -> Scene {
        Scene {
            width,
            height,
            shapes: Vec::new(),
        }
    }

    /// Adds text.
    pub fn text(&mut self, x: f32, y: f32, text: impl Into<String>, size: f32, anchor: Anchor) {
        self.shapes.push(Shape::Text(Text {
            x,
            y,
            text: text.into(),
            size,
            anchor,
            vertical: false,
            fill: INK,
        }));
    }

    /// Adds a line.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), stroke: Color, width: f32) {
        self.shapes.push(Shape::Line {
            from,
            to,
            stroke,
            width,
            dashed: false,
        });
    }
}

/// The colour of axes and labels.
pub const INK: Color = Color::rgb(0x22, 0x22, 0x22);
