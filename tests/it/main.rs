//! The end-to-end tests, as one test binary (one link, and `common` compiled once).

mod common;

mod allele_check;
mod analysis;
mod bad_input;
mod bgen;
mod chrx;
mod chrx_qc;
mod cojo;
mod conditional;
mod consortium;
mod files;
mod fuzz;
mod integrity;
mod naive_ols;
mod party_filters;
mod pgen;
mod phenotypes;
mod pooled_oracle;
mod privacy;
mod pvalue_golden;
mod qc;
mod readers;
mod report;
mod secure;
mod selection;
mod streaming;
mod traits;
mod vcf_bcf;
