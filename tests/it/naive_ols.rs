//! The naive pooled least-squares oracle shared by tests that generate their own hard calls:
//! a deterministic generator, PLINK 1 files written from calls, and a fit that mean-imputes
//! missing calls, orthonormalises the covariates (modified Gram-Schmidt, twice) and regresses
//! the residual phenotype on the residual dosage (Frisch–Waugh–Lovell). Nothing is shared with
//! dash's normal-equation sums or Cholesky projection.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common::{compress_with, relative_error};

/// A small deterministic generator (xorshift64*), uniform in [0, 1).
pub struct Rng(pub u64);

impl Rng {
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal: the sum of 4 uniforms, centred.
    pub fn noise(&mut self) -> f64 {
        (0..4).map(|_| self.uniform()).sum::<f64>() - 2.0
    }
}

/// A PLINK 1 `.bed` (SNP-major) of `n` samples from each variant's calls (`None` missing), the
/// A1 allele (the first of `.bim`) counted.
pub fn bed_bytes<'a>(variants: impl IntoIterator<Item = &'a [Option<u8>]>, n: usize) -> Vec<u8> {
    let mut bed = vec![0x6c, 0x1b, 0x01];
    for calls in variants {
        let mut bytes = vec![0u8; n.div_ceil(4)];
        for (i, call) in calls.iter().enumerate() {
            // PLINK 1 codes: 00 two copies of A1, 10 one, 11 none, 01 missing.
            let code = match call {
                Some(2) => 0b00,
                Some(1) => 0b10,
                Some(_) => 0b11,
                None => 0b01,
            };
            bytes[i / 4] |= code << (2 * (i % 4));
        }
        bed.extend(bytes);
    }
    bed
}

/// The `.bim` line of variant `v`: chromosome 1, `rs{1000 + v}` at 1000·(v + 1), A1 = A, A2 = G
/// (the counted allele A), or the other way round when `swapped` (then count G).
pub fn bim_line(bim: &mut String, v: usize, swapped: bool) {
    let (a1, a2) = if swapped { ("G", "A") } else { ("A", "G") };
    writeln!(bim, "1\trs{}\t0\t{}\t{a1}\t{a2}", 1000 + v, 1000 * (v + 1)).unwrap();
}

/// Writes `dir/NAME.{bed,bim,fam,pheno,covar}` with these contents; returns the `.bed` path.
pub fn write_party(dir: &Path, name: &str, bed: Vec<u8>, texts: [&str; 4]) -> PathBuf {
    let path = |ext: &str| dir.join(format!("{name}.{ext}"));
    std::fs::write(path("bed"), bed).unwrap();
    for (ext, text) in ["bim", "fam", "pheno", "covar"].iter().zip(texts) {
        std::fs::write(path(ext), text).unwrap();
    }
    path("bed")
}

/// Compresses the files [`write_party`] wrote for party `name` into `dir/NAME.parquet`, with
/// `--min-cell 1` (the oracle pools every call); returns its path.
pub fn compress_written(dir: &Path, name: &str) -> PathBuf {
    let file = |ext: &str| dir.join(format!("{name}.{ext}"));
    let out = file("parquet");
    compress_with(
        &file("bed"),
        &file("pheno"),
        &file("covar"),
        name,
        &out,
        &["--min-cell", "1"],
    );
    out
}

/// Removes from `v` its projection on the orthonormal columns `q`, twice (modified
/// Gram-Schmidt; the second pass restores the digits the first loses).
pub fn residualise(v: &mut [f64], q: &[Vec<f64>]) {
    for _ in 0..2 {
        for column in q {
            let along: f64 = column.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(column).for_each(|(x, c)| *x -= along * c);
        }
    }
}

/// An orthonormal basis of the intercept and the covariates, from each sample's covariate row.
pub fn covariate_basis(rows: &[&[f64]]) -> Vec<Vec<f64>> {
    let width = rows.first().map_or(0, |r| r.len());
    orthonormal(
        (0..=width)
            .map(|c| match c {
                0 => vec![1.0; rows.len()],
                _ => rows.iter().map(|r| r[c - 1]).collect(),
            })
            .collect(),
    )
}

/// An orthonormal basis of `columns`.
fn orthonormal(columns: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let mut q: Vec<Vec<f64>> = Vec::new();
    for mut column in columns {
        residualise(&mut column, &q);
        let norm = column.iter().map(|x| x * x).sum::<f64>().sqrt();
        column.iter_mut().for_each(|x| *x /= norm);
        q.push(column);
    }
    q
}

/// The oracle's test of one variant: its samples, β, se, t.
#[derive(Clone, Copy)]
pub struct Fit {
    pub n: usize,
    pub beta: f64,
    pub se: f64,
    pub t: f64,
}

/// Regresses `y` (already residualised on `q`) on the calls, missing ones mean-imputed with the
/// mean of the observed calls; `None` when every call is missing, or the dosage is constant or
/// in the span of `q`.
pub fn test_calls(q: &[Vec<f64>], y: &[f64], calls: &[Option<u8>]) -> Option<Fit> {
    let dosages: Vec<Option<f64>> = calls.iter().map(|g| g.map(f64::from)).collect();
    test_dosages(q, y, &dosages)
}

/// [`test_calls`] on real-valued dosages (`None` missing).
pub fn test_dosages(q: &[Vec<f64>], y: &[f64], dosages: &[Option<f64>]) -> Option<Fit> {
    let observed: Vec<f64> = dosages.iter().flatten().copied().collect();
    if observed.is_empty() {
        return None; // every call missing: no test (DESIGN §1, step 5)
    }
    let mean = observed.iter().sum::<f64>() / observed.len() as f64;
    let mut x: Vec<f64> = dosages.iter().map(|g| g.unwrap_or(mean)).collect();
    let xx_raw: f64 = x.iter().map(|a| a * a).sum();
    residualise(&mut x, q);
    let xx: f64 = x.iter().map(|a| a * a).sum();
    if xx <= 1e-10 * xx_raw {
        return None;
    }
    let beta = x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() / xx;
    let rss: f64 = y.iter().zip(&x).map(|(b, a)| (b - beta * a).powi(2)).sum();
    let df = (y.len() - q.len() - 1) as f64;
    let se = (rss / df / xx).sqrt();
    Some(Fit {
        n: y.len(),
        beta,
        se,
        t: beta / se,
    })
}

/// Asserts that a GWAS-SSF row (by column name) has the oracle's n exactly, se and t within
/// `tolerance` relative and β within `tolerance`·max(|β|, se) (β near 0 has no relative digits
/// beyond its se's); returns the largest error. `context` names the row in a failure.
pub fn assert_row_matches(
    row: &HashMap<String, String>,
    fit: &Fit,
    tolerance: f64,
    context: &str,
) -> f64 {
    let value = |column: &str| row[column].parse::<f64>().unwrap();
    assert_eq!(value("n") as usize, fit.n, "{context}: n");
    let errors = [
        (value("beta") - fit.beta).abs() / fit.beta.abs().max(fit.se),
        relative_error(value("standard_error"), fit.se),
        relative_error(value("t_statistic"), fit.t),
    ];
    for (error, what) in errors.iter().zip(["beta", "se", "t"]) {
        assert!(*error <= tolerance, "{context} {what}: error {error:e}");
    }
    errors.into_iter().fold(0.0, f64::max)
}
