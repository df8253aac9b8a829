//! Pooled quality control at merge, exact on the samples the parties contribute.
//!
//! Every summary row carries hard-call counts and dosage sums over the party's contributed
//! samples ([`crate::summary::QcCounts`]); their sum over the parties holding a variant is what
//! plink2 would count on the pooled file. From those pooled counts:
//!
//! * [`hwe`] — the Hardy–Weinberg exact test (Wigginton et al. 2005, as plink2 computes it);
//! * [`info`] — the MACH/minimac r² of imputed dosages;
//! * [`filters`] — plink2's `--maf`, `--mac`, `--geno`, `--hwe`, and `--min-info`;
//! * [`xchr`] — plink2's rules for those counts on non-PAR chrX, from the per-sex counts
//!   (a male's allele once; Graffelman & Weir's chrX exact test, [`hwe::hwe_x_p`]).

pub mod filters;
pub mod hwe;
pub mod info;
pub mod xchr;

pub use filters::QcFilters;
