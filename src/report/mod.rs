//! What an analyst looks at first, computed from a merge's results: λGC overall and by
//! allele-frequency bin ([`digest`], using [`crate::genomic_control`]), the top loci
//! ([`loci`]), the Manhattan and QQ plots ([`plot`]), all on one HTML page ([`page`]) built
//! from the merge's files by [`build()`] (`dash report`, and merge at its end).

pub mod build;
pub mod digest;
pub mod loci;
pub mod page;
pub mod plot;
pub mod read;

pub use build::{build, ReportOptions};
