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
    /// removes a variant with these pooled counts, if any; `non_par_x` for a non-PAR chrX
    /// variant, whose `--geno`, `--hwe`, `--maf` and `--mac` follow plink2's chrX rules on the
    /// per-sex counts ([`super::xchr`]). Without those counts (a summary of format version 4 or
    /// 5, a secure set, a party of unknown sexes) such a variant is removed as
    /// `xchr_qc_no_sex_split` rather than judged by the totals, which plink2's rules do not
    /// read.
    ///
    /// ```
    /// use dash::qc::QcFilters;
    /// use dash::summary::QcCounts;
    /// let qc = QcCounts { hom_ref: 95, het: 5, hom_alt: 0, missing: 0, observed: 100, dosage_sum: 5.0, dosage_sq_sum: 5.0, by_sex: None };
    /// let filters = QcFilters { maf: Some(0.05), ..QcFilters::default() };
    /// assert_eq!(filters.removes(&qc, false).map(|r| r.as_str()), Some("maf"));
    /// assert_eq!(filters.removes(&qc, true).map(|r| r.as_str()), Some("xchr_qc_no_sex_split"));
    /// ```
    pub fn removes(&self, qc: &QcCounts, non_par_x: bool) -> Option<SkipReason> {
        let counts = match non_par_x {
            false => Counts::autosomal(qc),
            true => match &qc.by_sex {
                Some(split) => Counts::xchr(split),
                None if self.needs_genotype_counts() => return Some(SkipReason::XchrNoSexSplit),
                None => Counts::autosomal(qc),
            },
        };
        self.first_failure(&counts)
            .or_else(|| self.removes_by_info(qc))
    }

    /// Whether a filter other than `--min-info` is on (on non-PAR chrX these need the per-sex
    /// counts).
    pub fn needs_genotype_counts(&self) -> bool {
        self.maf.is_some() || self.mac.is_some() || self.geno.is_some() || self.hwe.is_some()
    }

    fn first_failure(&self, counts: &Counts) -> Option<SkipReason> {
        if let Some(geno) = self.geno {
            if counts.missing > geno * counts.samples * (1.0 + MARGIN) {
                return Some(SkipReason::Geno);
            }
        }
        if let Some(hwe) = self.hwe {
            // The chrX test decides against this very cut, so its early exits agree with it.
            let cut = hwe.threshold * (1.0 - MARGIN);
            let p = match counts.genotypes {
                Genotypes::Autosomal {
                    het,
                    hom_ref,
                    hom_alt,
                } => super::hwe::hwe_p(het, hom_ref, hom_alt, hwe.midp),
                Genotypes::Xchr(counts) => super::hwe::hwe_x_p_decided(&counts, hwe.midp, cut),
                Genotypes::NotHard => return Some(SkipReason::HweNoHardCalls),
            };
            if p < cut {
                return Some(SkipReason::Hwe);
            }
        }
        let minor = counts.alt.min(counts.alleles - counts.alt);
        if let Some(maf) = self.maf {
            // No observed call, no frequency: plink2 keeps such a variant under --maf (its
            // --geno or --mac removes it).
            if counts.alleles > 0.0 && minor / counts.alleles < maf * (1.0 - MARGIN) {
                return Some(SkipReason::Maf);
            }
        }
        if let Some(mac) = self.mac {
            if minor < mac * (1.0 - MARGIN) {
                return Some(SkipReason::Mac);
            }
        }
        None
    }

    fn removes_by_info(&self, qc: &QcCounts) -> Option<SkipReason> {
        let min_info = self.min_info?;
        let r2 = super::info::mach_r2(qc.dosage_sum, qc.dosage_sq_sum, qc.observed);
        r2.is_some_and(|r2| r2 < min_info * (1.0 - MARGIN))
            .then_some(SkipReason::Info)
    }
}

/// What the filters compare, by the autosomal or the chrX rule.
struct Counts {
    missing: f64,
    samples: f64,
    /// ALT alleles (a dosage count) and observed alleles.
    alt: f64,
    alleles: f64,
    genotypes: Genotypes,
}

/// The genotype counts the exact test reads.
enum Genotypes {
    Autosomal {
        het: u64,
        hom_ref: u64,
        hom_alt: u64,
    },
    Xchr(super::hwe::XchrCounts),
    /// Some calls are dosages without genotypes.
    NotHard,
}

impl Counts {
    fn autosomal(qc: &QcCounts) -> Counts {
        let (het, hom_ref, hom_alt) = (qc.het, qc.hom_ref, qc.hom_alt);
        Counts {
            missing: qc.missing as f64,
            samples: (qc.observed + qc.missing) as f64,
            alt: qc.dosage_sum,
            alleles: 2.0 * qc.observed as f64,
            genotypes: match hom_ref + het + hom_alt == qc.observed {
                true => Genotypes::Autosomal {
                    het,
                    hom_ref,
                    hom_alt,
                },
                false => Genotypes::NotHard,
            },
        }
    }

    fn xchr(split: &crate::summary::sex_qc::SexQc) -> Counts {
        let alleles = super::xchr::allele_counts(split);
        let (missing, samples) = super::xchr::missing_calls(split);
        Counts {
            missing: missing as f64,
            samples: samples as f64,
            alt: alleles.alt,
            alleles: alleles.observed,
            genotypes: super::xchr::hwe_counts(split).map_or(Genotypes::NotHard, Genotypes::Xchr),
        }
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
        assert_eq!(filters.removes(&hard(50, 30, 10, 10), false), None); // exactly 10 %
        assert_eq!(
            filters.removes(&hard(50, 30, 9, 11), false),
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
        assert_eq!(maf(0.05).removes(&qc, false), None);
        assert_eq!(maf(0.06).removes(&qc, false), Some(SkipReason::Maf));
        let mac = |c| QcFilters {
            mac: Some(c),
            ..QcFilters::default()
        };
        assert_eq!(mac(10.0).removes(&qc, false), None);
        assert_eq!(mac(11.0).removes(&qc, false), Some(SkipReason::Mac));
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
        assert_eq!(filters.removes(&hard(25, 50, 25, 0), false), None);
        assert_eq!(
            filters.removes(&hard(50, 0, 50, 0), false),
            Some(SkipReason::Hwe)
        );
        let dosages = QcCounts {
            observed: 100,
            dosage_sum: 50.0,
            dosage_sq_sum: 40.0,
            ..QcCounts::default()
        };
        assert_eq!(
            filters.removes(&dosages, false),
            Some(SkipReason::HweNoHardCalls)
        );
    }
}
