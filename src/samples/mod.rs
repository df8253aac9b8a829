//! Samples: phenotype and covariate files, matched to the genotype samples, split into groups.
//!
//! [`table`] parses the files; [`fields`] turns them into the sample fields of DESIGN §1 — the
//! matrix `A` of each phenotype group (intercept, covariates, the group's phenotypes).

pub mod fields;
pub mod table;

pub use fields::{BuildOptions, Field, FieldKind, Group, MatchReport, SampleFields};
pub use table::Table;
