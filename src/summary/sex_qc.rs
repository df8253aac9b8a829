//! QC counts of non-PAR chrX split by sex (format version 6): what plink2's chrX rules for
//! `--maf`, `--mac`, `--geno` and `--hwe` need ([`crate::qc::xchr`]), which the totals of
//! [`super::QcCounts`] cannot give (a male's allele counts once there).
//!
//! The counts are genotype counts over the party's contributed samples of known sex, under every
//! `--xchr-model`: a male's call is counted as read (a hemizygous ALT is a hom-ALT, a diploid
//! heterozygous call a het), never as the model codes its dosage. Samples of unknown sex are in
//! neither sex, as they are in no non-PAR chrX fit.
//!
//! The Parquet columns (nullable; null on every row but the non-PAR chrX rows that carry the
//! split) are [`COLUMNS`]: `hom_ref_male`, `het_male`, `hom_alt_male`, `missing_male`,
//! `observed_male`, `dosage_sum_male`, then the same six for `_female`.

use super::QcCounts;

/// The count columns of one sex, in order (each with the `_male`/`_female` suffix).
const COUNT_NAMES: [&str; 5] = ["hom_ref", "het", "hom_alt", "missing", "observed"];

/// The per-sex columns, in file order: the five uint64 counts then the float64 `dosage_sum`,
/// for males, then for females.
pub const COLUMNS: [&str; 12] = [
    "hom_ref_male",
    "het_male",
    "hom_alt_male",
    "missing_male",
    "observed_male",
    "dosage_sum_male",
    "hom_ref_female",
    "het_female",
    "hom_alt_female",
    "missing_female",
    "observed_female",
    "dosage_sum_female",
];

/// Whether column `k` of [`COLUMNS`] is a count (uint64) rather than the dosage sum (float64).
pub fn is_count_column(k: usize) -> bool {
    k % 6 < COUNT_NAMES.len()
}

/// The calls of one sex at one variant: the first six of [`QcCounts`]' fields, over that sex.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SexCalls {
    /// Hom-REF calls; for a male, a hemizygous REF.
    pub hom_ref: u64,
    /// Het calls; for a male, a diploid-coded heterozygous call (which plink2 keeps).
    pub het: u64,
    /// Hom-ALT calls; for a male, a hemizygous ALT.
    pub hom_alt: u64,
    /// Missing calls of this sex.
    pub missing: u64,
    /// Observed calls (hard or dosage) of this sex.
    pub observed: u64,
    /// Σ ALT dosage of this sex's observed calls, on the 0..2 scale of the calls as read (a
    /// hemizygous ALT is 2, whatever the model codes).
    pub dosage_sum: f64,
}

impl From<QcCounts> for SexCalls {
    /// The calls of `counts`, without Σx² (which merge's chrX rules do not read).
    fn from(counts: QcCounts) -> SexCalls {
        let QcCounts {
            hom_ref,
            het,
            hom_alt,
            missing,
            observed,
            dosage_sum,
            ..
        } = counts;
        SexCalls {
            hom_ref,
            het,
            hom_alt,
            missing,
            observed,
            dosage_sum,
        }
    }
}

impl SexCalls {
    /// Counts of hard calls: observed and the dosage sum follow ([`QcCounts::from_hard_calls`]).
    ///
    /// ```
    /// use dash::summary::sex_qc::SexCalls;
    /// let males = SexCalls::from_hard_calls(10, 1, 4, 2);
    /// assert_eq!((males.observed, males.dosage_sum), (15, 9.0));
    /// ```
    pub fn from_hard_calls(hom_ref: u64, het: u64, hom_alt: u64, missing: u64) -> SexCalls {
        QcCounts::from_hard_calls(hom_ref, het, hom_alt, missing).into()
    }

    /// Whether every observed call is a genotype (hard calls, not dosages).
    pub fn all_hard(&self) -> bool {
        self.hom_ref + self.het + self.hom_alt == self.observed
    }

    /// These calls as totals (Σx² 0), to pool and flip them by [`QcCounts`]' rules.
    fn as_totals(&self) -> QcCounts {
        QcCounts {
            hom_ref: self.hom_ref,
            het: self.het,
            hom_alt: self.hom_alt,
            missing: self.missing,
            observed: self.observed,
            dosage_sum: self.dosage_sum,
            ..QcCounts::default()
        }
    }

    fn add(&mut self, other: &SexCalls) {
        let mut total = self.as_totals();
        total.add(&other.as_totals());
        *self = total.into();
    }

    /// REF and ALT swapped ([`QcCounts::flipped`]): x' = 2 − x on the observed calls, exact on
    /// the 0..2 scale of the calls as read under every model.
    fn flipped(&self) -> SexCalls {
        self.as_totals().flipped().into()
    }

    /// The six column values, counts as f64 (for writing).
    fn values(&self) -> [f64; 6] {
        [
            self.hom_ref as f64,
            self.het as f64,
            self.hom_alt as f64,
            self.missing as f64,
            self.observed as f64,
            self.dosage_sum,
        ]
    }
}

/// The per-sex calls of one non-PAR chrX variant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SexQc {
    /// The males' calls.
    pub male: SexCalls,
    /// The females' calls.
    pub female: SexCalls,
}

impl SexQc {
    /// The column values in [`COLUMNS`] order (counts as f64, exact below 2⁵³).
    pub fn values(&self) -> [f64; 12] {
        let mut out = [0.0; 12];
        out[..6].copy_from_slice(&self.male.values());
        out[6..].copy_from_slice(&self.female.values());
        out
    }

    /// From column values in [`COLUMNS`] order (counts given as u64, the sums as f64).
    pub fn from_values(counts: [u64; 10], sums: [f64; 2]) -> SexQc {
        let calls = |c: &[u64], sum: f64| SexCalls {
            hom_ref: c[0],
            het: c[1],
            hom_alt: c[2],
            missing: c[3],
            observed: c[4],
            dosage_sum: sum,
        };
        SexQc {
            male: calls(&counts[..5], sums[0]),
            female: calls(&counts[5..], sums[1]),
        }
    }

    /// Both sexes pooled with another party's.
    pub fn add(&mut self, other: &SexQc) {
        self.male.add(&other.male);
        self.female.add(&other.female);
    }

    /// REF and ALT swapped in both sexes.
    ///
    /// ```
    /// use dash::summary::sex_qc::{SexCalls, SexQc};
    /// let qc = SexQc { male: SexCalls::from_hard_calls(7, 0, 3, 1), female: SexCalls::from_hard_calls(4, 4, 2, 0) };
    /// let flipped = qc.flipped();
    /// assert_eq!(flipped.male, SexCalls::from_hard_calls(3, 0, 7, 1));
    /// assert_eq!(flipped.female, SexCalls::from_hard_calls(2, 4, 4, 0));
    /// ```
    pub fn flipped(&self) -> SexQc {
        SexQc {
            male: self.male.flipped(),
            female: self.female.flipped(),
        }
    }

    /// Both sexes' calls are genotypes (hard calls).
    pub fn all_hard(&self) -> bool {
        self.male.all_hard() && self.female.all_hard()
    }
}
