//! Samples: phenotype and covariate files, matched to the genotype samples, split into groups.
//!
//! [`table`] parses the files; [`fields`] turns them into the sample fields of DESIGN §1 — the
//! matrix `A` of each phenotype group (intercept, covariates, the group's phenotypes).

pub mod fields;
pub mod table;

/// Transitional alias of [`SampleField`] under its old name, so that code written against
/// `samples::Field` still compiles; new code names `crate::summary::SampleField`.
pub use crate::summary::SampleField as Field;
pub use crate::summary::{FieldKind, SampleField};
pub use fields::{BuildOptions, Group, MatchReport, SampleFields};
pub use table::Table;
