//! # dash — exact pooled GWAS from per-biobank summaries
//!
//! DASH ("compress within, combine across"): each party compresses its genotypes, phenotypes and
//! covariates into sums ([`compress`] → [`summary`]); anyone holding the summaries merges them
//! ([`merge`] → [`regression`] → [`output`]) into summary statistics equal, to floating-point
//! accuracy, to a linear regression on all samples pooled.
//!
//! The pipeline, module by module:
//!
//! * [`genotype`] — genotype formats behind one block reader ([`genotype::BlockReader`]);
//! * [`samples`] — phenotype/covariate files, sample matching, phenotype groups;
//! * [`compress`] — blocks of dosages → per-variant sums;
//! * [`summary`] — the Parquet summary file, the contract between parties and mergers;
//! * [`merge`] — join by variant, harmonise alleles, pool sums, impute;
//! * [`qc`] — pooled QC filters (`--maf`, `--mac`, `--geno`, `--hwe`, `--min-info`) and the
//!   Hardy–Weinberg exact test;
//! * [`regression`] — the projection math; [`pvalue`] — log-space Student-t tails;
//!   [`genomic_control`] — λGC from the p-values;
//! * [`output`] — GWAS-SSF, metadata, skipped list; [`report`] — λGC and top loci;
//! * [`secure`] — keys, roster, manifest, fixed-point ring encoding and pairwise masks for
//!   secure combine (`--secure`): a sink on the compress side, an input kind on the merge side;
//! * [`run`] — the jobs behind the commands (compress, merge, decode) with typed options; the
//!   command line (`src/cli/`, in the binary) only parses and prints.

pub mod atomic_file;
pub mod chrom;
pub mod compress;
pub mod error;
pub mod genomic_control;
pub mod genotype;
pub mod malloc_tuning;
pub mod merge;
pub mod output;
pub mod pvalue;
pub mod qc;
pub mod regression;
pub mod report;
pub mod run;
pub mod samples;
pub mod secure;
pub mod summary;
