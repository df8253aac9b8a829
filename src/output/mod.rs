//! Output of a merge: GWAS-SSF summary statistics, their metadata, the skipped list, the log.
//!
//! Formatting only: every number arrives computed from [`crate::merge`].

pub mod allele_check;
pub mod bgzf_writer;
pub mod cojo;
pub mod covariates;
pub mod finemap;
pub mod float_text;
pub mod gwas_ssf;
pub mod joint;
pub mod loci;
pub mod meta;
pub mod part;
pub mod party_filtered;
pub mod phenotypes;
pub mod skipped;
pub mod table;
pub mod variant_columns;

/// The GWAS-SSF missing-value marker.
pub const MISSING: &str = "#NA";
