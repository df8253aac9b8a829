//! plink2's variant filters, on pooled counts: `--maf`, `--mac`, `--geno`, `--hwe` (with
//! `midp`), and `--min-info` for imputed dosages.
//!
//! Semantics follow `plink2 --help maf mac geno hwe` (2.00a3.5):
//!
//! * `--maf F` removes a variant whose non-major allele frequency is below F; the frequency is
//!   Σx / 2n over observed dosages (hard calls are dosages 0/1/2). A variant with no observed
//!   call has no frequency and is kept, as plink2 keeps it.
//! * `--mac C` removes a variant whose non-major allele dosage count is below C.
//! * `--geno F` removes a variant whose missing-call rate (missing / contributed samples) is
//!   above F.
//! * `--hwe P [midp]` removes a variant whose Hardy–Weinberg exact-test p-value ([`super::hwe`])
//!   is below P. It needs hard-call genotype counts: a pooled variant some of whose calls are
//!   dosages without genotypes cannot be tested and is removed with reason `hwe_no_hard_calls`
//!   rather than passed silently.
//! * `--min-info R` removes a variant whose pooled MACH r² ([`super::info`]) is below R (an
//!   undefined r², from a monomorphic variant, is not filtered: such a variant is not tested).
//!
//! A threshold is compared with a margin of 2⁻⁴⁴ relative, as plink2 does, so that a value equal
//! to the threshold in decimal is not lost to rounding. The counts are over founders and
//! non-founders alike (dash does not read pedigrees): plink2 matches with `--nonfounders`, or on
//! files without parents.

use crate::regression::SkipReason;
use crate::summary::QcCounts;

/// Relative margin of threshold comparisons.
const MARGIN: f64 = 1.0 / (1u64 << 44) as f64;

/// The filters asked for at merge; `None` filters nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QcFilters {
    /// `--maf`: minimum non-major allele frequency.
    pub maf: Option<f64>,
    /// `--mac`: minimum non-major allele dosage count.
    pub mac: Option<f64>,
    /// `--geno`: maximum missing-call rate.
    pub geno: Option<f64>,
    /// `--hwe`: minimum exact-test p-value, and whether it is the mid-p.
    pub hwe: Option<HweFilter>,
    /// `--min-info`: minimum MACH r².
    pub min_info: Option<f64>,
}

/// `--hwe P [midp]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HweFilter {
    /// The p-value threshold.
    pub threshold: f64,
    /// Use the mid-p.
    pub midp: bool,
}

impl QcFilters {
    /// Whether any filter is on.
    pub fn any(&self) -> bool {
        *self != QcFilters::default()
    }

    /// The first filter (in the order `--geno`, `--hwe`, `--maf`, `--mac`, `--min-info`) that
    /// removes a variant with these pooled counts, if any.
    ///
    /// ```
    /// use dash::qc::QcFilters;
    /// use dash::summary::QcCounts;
    /// let qc = QcCounts { hom_ref: 95, het: 5, hom_alt: 0, missing: 0, observed: 100, dosage_sum: 5.0, dosage_sq_sum: 5.0 };
    /// let filters = QcFilters { maf: Some(0.05), ..QcFilters::default() };
    /// assert_eq!(filters.removes(&qc).map(|r| r.as_str()), Some("maf"));
    /// ```
    pub fn removes(&self, qc: &QcCounts) -> Option<SkipReason> {
        let samples = (qc.observed + qc.missing) as f64;
        if let Some(geno) = self.geno {
            if qc.missing as f64 > geno * samples * (1.0 + MARGIN) {
                return Some(SkipReason::Geno);
            }
        }
        if let Some(hwe) = self.hwe {
            if qc.hom_ref + qc.het + qc.hom_alt != qc.observed {
                return Some(SkipReason::HweNoHardCalls);
            }
            let p = super::hwe::hwe_p(qc.het, qc.hom_ref, qc.hom_alt, hwe.midp);
            if p < hwe.threshold * (1.0 - MARGIN) {
                return Some(SkipReason::Hwe);
            }
        }
        let alleles = 2.0 * qc.observed as f64;
        let minor = qc.dosage_sum.min(alleles - qc.dosage_sum);
        if let Some(maf) = self.maf {
            // No observed call, no frequency: plink2 keeps such a variant under --maf (its
            // --geno or --mac removes it).
            if qc.observed > 0 && minor / alleles < maf * (1.0 - MARGIN) {
                return Some(SkipReason::Maf);
            }
        }
        if let Some(mac) = self.mac {
            if minor < mac * (1.0 - MARGIN) {
                return Some(SkipReason::Mac);
            }
        }
        if let Some(min_info) = self.min_info {
            let r2 = super::info::mach_r2(qc.dosage_sum, qc.dosage_sq_sum, qc.observed);
            if r2.is_some_and(|r2| r2 < min_info * (1.0 - MARGIN)) {
                return Some(SkipReason::Info);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hard(hom_ref: u64, het: u64, hom_alt: u64, missing: u64) -> QcCounts {
        QcCounts::from_hard_calls(hom_ref, het, hom_alt, missing)
    }

    #[test]
    fn geno_is_a_ceiling_on_the_missing_rate() {
        let filters = QcFilters {
            geno: Some(0.1),
            ..QcFilters::default()
        };
        assert_eq!(filters.removes(&hard(50, 30, 10, 10)), None); // exactly 10 %
        assert_eq!(
            filters.removes(&hard(50, 30, 9, 11)),
            Some(SkipReason::Geno)
        );
    }

    #[test]
    fn maf_and_mac_use_the_non_major_allele() {
        let qc = hard(0, 10, 90, 0); // ALT frequency 0.95: the minor allele is REF
        let maf = |f| QcFilters {
            maf: Some(f),
            ..QcFilters::default()
        };
        assert_eq!(maf(0.05).removes(&qc), None);
        assert_eq!(maf(0.06).removes(&qc), Some(SkipReason::Maf));
        let mac = |c| QcFilters {
            mac: Some(c),
            ..QcFilters::default()
        };
        assert_eq!(mac(10.0).removes(&qc), None);
        assert_eq!(mac(11.0).removes(&qc), Some(SkipReason::Mac));
    }

    #[test]
    fn hwe_needs_genotype_counts() {
        let filters = QcFilters {
            hwe: Some(HweFilter {
                threshold: 1e-6,
                midp: false,
            }),
            ..QcFilters::default()
        };
        assert_eq!(filters.removes(&hard(25, 50, 25, 0)), None);
        assert_eq!(filters.removes(&hard(50, 0, 50, 0)), Some(SkipReason::Hwe));
        let dosages = QcCounts {
            observed: 100,
            dosage_sum: 50.0,
            dosage_sq_sum: 40.0,
            ..QcCounts::default()
        };
        assert_eq!(filters.removes(&dosages), Some(SkipReason::HweNoHardCalls));
    }
}
