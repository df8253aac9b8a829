//! What a merge keeps of its results for the report: every p-value (for λGC), by allele-frequency
//! bin, and the hits below the clumping threshold.
//!
//! The merge streams its rows to the GWAS-SSF file and hands each tested variant to a
//! [`Digest`]; memory is bounded plus the hits: the p-values beyond a few thousand go to a
//! temporary file ([`LnPSpill`]), λGC stays exact.
//!
//! ```
//! use dash::report::digest::{Digest, DigestOptions};
//! use dash::report::loci::Hit;
//! let mut digest = Digest::new(DigestOptions::default());
//! for (p, eaf) in [(0.5f64, 0.3), (0.1, 0.004), (0.9, 0.7)] {
//!     digest.add(p.ln(), eaf, Hit::default);
//! }
//! let lambda = digest.lambda().unwrap();
//! assert_eq!(lambda[0].variants, 3);
//! assert!((lambda[0].lambda_gc.unwrap() - 1.0).abs() < 1e-14); // median p = 0.5
//! ```

use super::loci::{clump, Hit, Locus};
use super::plot::qq::{self, Observed};
use crate::error::Result;
use crate::genomic_control::spill::LnPSpill;

/// The minor-allele-frequency bins λGC is also reported by.
pub const MAF_BINS: [(&str, f64, f64); 3] = [
    ("maf<0.01", 0.0, 0.01),
    ("0.01<=maf<0.05", 0.01, 0.05),
    ("maf>=0.05", 0.05, 1.0),
];

/// Settings of the loci table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigestOptions {
    /// Hits: variants with p below this (default 5e-8).
    pub clump_p: f64,
    /// Half-width of a locus in bp (default 500 kb).
    pub clump_window: u64,
}

impl Default for DigestOptions {
    fn default() -> DigestOptions {
        DigestOptions {
            clump_p: 5e-8,
            clump_window: 500_000,
        }
    }
}

/// λGC of one bin.
#[derive(Debug, Clone, PartialEq)]
pub struct BinLambda {
    /// `all` or a [`MAF_BINS`] name.
    pub bin: &'static str,
    /// Tested variants in the bin.
    pub variants: usize,
    /// λGC (`None` for an empty bin).
    pub lambda_gc: Option<f64>,
}

/// The p-values and hits of one phenotype.
#[derive(Debug)]
pub struct Digest {
    options: DigestOptions,
    /// ln p, binned by [`MAF_BINS`].
    ln_p: LnPSpill,
    hits: Vec<Hit>,
}

impl Digest {
    /// An empty digest.
    pub fn new(options: DigestOptions) -> Digest {
        Digest {
            options,
            ln_p: LnPSpill::new(MAF_BINS.len()),
            hits: Vec::new(),
        }
    }

    /// Adds a tested variant: its `ln p` and pooled effect allele frequency; `hit` describes it
    /// for the loci table, called only when it is below the threshold.
    pub fn add(&mut self, ln_p: f64, effect_allele_frequency: f64, hit: impl FnOnce() -> Hit) {
        let eaf = effect_allele_frequency;
        let maf = eaf.min(1.0 - eaf);
        let bin = MAF_BINS
            .iter()
            .position(|&(_, low, high)| maf >= low && maf < high)
            .unwrap_or(MAF_BINS.len() - 1);
        self.ln_p.push(bin, ln_p);
        if ln_p < self.options.clump_p.ln() {
            self.hits.push(hit());
        }
    }

    /// λGC overall, then by MAF bin (an error only if the temporary file of p-values failed).
    pub fn lambda(&mut self) -> Result<Vec<BinLambda>> {
        let all: Vec<usize> = (0..MAF_BINS.len()).collect();
        let mut out = vec![BinLambda {
            bin: "all",
            variants: self.ln_p.len(&all),
            lambda_gc: self.ln_p.lambda_gc(&all)?,
        }];
        for (b, (name, _, _)) in MAF_BINS.iter().enumerate() {
            out.push(BinLambda {
                bin: name,
                variants: self.ln_p.len(&[b]),
                lambda_gc: self.ln_p.lambda_gc(&[b])?,
            });
        }
        Ok(out)
    }

    /// The loci of the hits (see [`clump`]).
    pub fn loci(&self) -> Vec<Locus> {
        clump(self.hits.clone(), self.options.clump_window)
    }

    /// Variants below the clumping threshold (the hits, before clumping).
    pub fn hit_count(&self) -> usize {
        self.hits.len()
    }

    /// The clumping settings.
    pub fn options(&self) -> DigestOptions {
        self.options
    }

    /// −log10 p of every variant for the QQ plot, in memory bounded whatever their number
    /// ([`Observed`]); an error only if the temporary file of p-values cannot be read back.
    pub fn qq_observed(&mut self) -> Result<Observed> {
        let all: Vec<usize> = (0..MAF_BINS.len()).collect();
        let n = self.ln_p.len(&all);
        let ln_p = &mut self.ln_p;
        Observed::collect(n, qq::EXACT_UP_TO, |f| {
            ln_p.for_each(|_, v| f(neg_log10_p_read_back(v) as f32))
        })
    }

    /// This digest as [`crate::report::read`] would make it from the GWAS-SSF file written
    /// from it: only the variants with −log10 p at least `min_neg_log10_p` (the rows written),
    /// each p-value as read back from its `neg_log_10_p_value` text (the shortest text of
    /// [`crate::pvalue::neg_log10_p`], which reads back to the same f64), the hits' text as
    /// the file has it (`hit_text`). The p-values stream from one bounded store into another:
    /// a merge hands its digest to its report without holding them all.
    pub fn read_back(
        mut self,
        min_neg_log10_p: f64,
        hit_text: impl Fn(Hit) -> Hit,
    ) -> Result<Digest> {
        let as_written = |ln_p: f64| ln_p_read_back(crate::pvalue::neg_log10_p(ln_p));
        let mut kept = LnPSpill::new(MAF_BINS.len());
        self.ln_p.for_each(|bin, ln_p| {
            if crate::pvalue::neg_log10_p(ln_p) >= min_neg_log10_p {
                kept.push(bin as usize, as_written(ln_p));
            }
        })?;
        self.ln_p = kept;
        let hit_below = self.options.clump_p.ln();
        self.hits = std::mem::take(&mut self.hits)
            .into_iter()
            .filter_map(|hit| {
                let ln_p = ln_p_read_back(hit.neg_log10_p);
                (hit.neg_log10_p >= min_neg_log10_p && ln_p < hit_below).then(|| Hit {
                    neg_log10_p: neg_log10_p_read_back(ln_p),
                    ..hit_text(hit)
                })
            })
            .collect();
        Ok(self)
    }
}

/// `ln p` of a `neg_log_10_p_value` read from a GWAS-SSF file.
pub fn ln_p_read_back(neg_log10_p: f64) -> f64 {
    -neg_log10_p * std::f64::consts::LN_10
}

/// −log10 p of an `ln p` read back ([`ln_p_read_back`]), as the report keeps it.
pub fn neg_log10_p_read_back(ln_p: f64) -> f64 {
    -ln_p / std::f64::consts::LN_10
}
