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
use crate::genomic_control::lambda_of_middle;
use crate::genomic_control::spill::{LnPSpill, Middle};

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
    /// Whether some `ln p` is NaN (a NaN's place in the order is not kept by the read-back).
    any_nan: bool,
    /// The medians' values found by the last [`Digest::lambda`], `all` then by bin.
    middles: Option<Vec<Option<Middle>>>,
    /// λGC when it is known without a selection ([`Digest::read_back`] of every variant).
    known_lambda: Option<Vec<BinLambda>>,
}

impl Digest {
    /// An empty digest.
    pub fn new(options: DigestOptions) -> Digest {
        Digest {
            options,
            ln_p: LnPSpill::new(MAF_BINS.len()),
            hits: Vec::new(),
            any_nan: false,
            middles: None,
            known_lambda: None,
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
        self.any_nan |= ln_p.is_nan();
        self.middles = None;
        self.known_lambda = None;
        if self.is_hit(ln_p) {
            self.hits.push(hit());
        }
    }

    /// Whether a variant of this `ln p` is a hit (what [`Digest::add`] describes with its `hit`).
    pub fn is_hit(&self, ln_p: f64) -> bool {
        ln_p < self.options.clump_p.ln()
    }

    /// λGC overall, then by MAF bin (an error only if the temporary file of p-values failed).
    pub fn lambda(&mut self) -> Result<Vec<BinLambda>> {
        if let Some(known) = &self.known_lambda {
            return Ok(known.clone());
        }
        let middles = Digest::bin_lists()
            .map(|bins| self.ln_p.middle(&bins))
            .collect::<Result<Vec<_>>>()?;
        let lambda = self.lambda_of(&middles, |ln_p| ln_p);
        self.middles = Some(middles);
        Ok(lambda)
    }

    /// The bins λGC is reported over: all of them, then each [`MAF_BINS`] bin.
    fn bin_lists() -> impl Iterator<Item = Vec<usize>> {
        std::iter::once((0..MAF_BINS.len()).collect()).chain((0..MAF_BINS.len()).map(|b| vec![b]))
    }

    /// λGC overall, then by bin, from the medians' values `middles` (as [`Digest::bin_lists`])
    /// each mapped by `value`.
    fn lambda_of(&self, middles: &[Option<Middle>], value: impl Fn(f64) -> f64) -> Vec<BinLambda> {
        let names = std::iter::once("all").chain(MAF_BINS.iter().map(|&(name, _, _)| name));
        names
            .zip(Digest::bin_lists())
            .zip(middles)
            .map(|((bin, bins), middle)| BinLambda {
                bin,
                variants: self.ln_p.len(&bins),
                lambda_gc: middle.map(|m| lambda_of_middle(value(m.pivot), m.other.map(&value))),
            })
            .collect()
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
        // Every value kept, each mapped by `as_written`, which never lowers a larger value
        // below a smaller one (a negation, a division and a product, each rounded, are
        // monotone): the values of each median's ranks are those of before, mapped. λGC of
        // the read-back values is then known without a second selection — the same f64s as
        // selecting again — unless a NaN (whose place in the order the mapping may move) is
        // among them.
        self.known_lambda = match (&self.middles, min_neg_log10_p, self.any_nan) {
            (Some(middles), f64::NEG_INFINITY, false) => Some(self.lambda_of(middles, as_written)),
            _ => None,
        };
        self.middles = None;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `ln p` and EAF of `n` variants (a fixed pseudo-random sequence), with ties, p = 1
    /// (ln p = ±0) and p-values far below f64's range among them.
    fn variants(n: usize) -> Vec<(f64, f64)> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|k| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                let ln_p = match k % 11 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => -1500.0 * u,
                    3 => -std::f64::consts::LN_2, // p = 0.5: a tie at the median
                    _ => (u.max(1e-300)).ln(),
                };
                (ln_p, (k % 97) as f64 / 96.0)
            })
            .collect()
    }

    /// λGC of every variant read back, known without a second selection, is the λGC a
    /// selection over the read-back values finds (a digest filled with them), bit for bit: odd
    /// and even counts, every bin, spilled to the temporary file and not.
    #[test]
    fn the_read_back_lambda_is_the_lambda_of_the_values_read_back() {
        for n in [1, 2, 3, 10, 101, 5_000, 20_001] {
            let mut digest = Digest::new(DigestOptions::default());
            let mut fresh = Digest::new(DigestOptions::default());
            for &(ln_p, eaf) in &variants(n) {
                digest.add(ln_p, eaf, Hit::default);
                let read_back = ln_p_read_back(crate::pvalue::neg_log10_p(ln_p));
                fresh.add(read_back, eaf, Hit::default);
            }
            digest.lambda().unwrap();
            let mut read_back = digest.read_back(f64::NEG_INFINITY, |hit| hit).unwrap();
            assert!(read_back.known_lambda.is_some(), "n = {n}");
            let known = read_back.lambda().unwrap();
            let selected = fresh.lambda().unwrap();
            assert_eq!(known.len(), selected.len());
            for (k, s) in known.iter().zip(&selected) {
                assert_eq!(k.variants, s.variants, "n = {n} {}", k.bin);
                assert_eq!(
                    k.lambda_gc.map(f64::to_bits),
                    s.lambda_gc.map(f64::to_bits),
                    "n = {n} {}",
                    k.bin
                );
            }
        }
    }

    /// With a threshold (rows left out) or a NaN among the values, λGC is selected again.
    #[test]
    fn the_read_back_lambda_is_selected_again_when_rows_are_left_out_or_nan() {
        let mut digest = Digest::new(DigestOptions::default());
        for &(ln_p, eaf) in &variants(1_000) {
            digest.add(ln_p, eaf, Hit::default);
        }
        digest.lambda().unwrap();
        let read_back = digest.read_back(1.0, |hit| hit).unwrap();
        assert!(read_back.known_lambda.is_none());
        let mut digest = Digest::new(DigestOptions::default());
        digest.add(f64::NAN, 0.3, Hit::default);
        digest.add(-1.0, 0.3, Hit::default);
        digest.lambda().unwrap();
        let read_back = digest.read_back(f64::NEG_INFINITY, |hit| hit).unwrap();
        assert!(read_back.known_lambda.is_none());
    }
}
