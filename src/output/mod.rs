//! Output of a merge: GWAS-SSF summary statistics, their metadata, the skipped list, the log.
//!
//! Formatting only: every number arrives computed from [`crate::merge`].

pub mod gwas_ssf;
pub mod meta;
pub mod skipped;

/// Formats an f64 in the shortest text that reads back to the same value (`0.0123`, `1.5e-20`).
pub fn format_f64(value: f64) -> String {
    format!("{value:?}")
}

/// The GWAS-SSF missing-value marker.
pub const MISSING: &str = "#NA";
