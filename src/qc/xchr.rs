//! plink2's QC counts on non-PAR chrX, from the per-sex calls ([`SexQc`]).
//!
//! As plink2 2.00a3.5 counts them (docs/formats.md, measured):
//!
//! * allele frequency and count (`--freq`, `--maf`, `--mac`): a male's call is one allele — a
//!   hemizygous call 1 observed allele, a heterozygous male call 1 observed allele with ½ ALT —
//!   and a female's two; so ALT = Σx_female + Σx_male / 2 over 2·females + males observed
//!   alleles (dosages on the 0..2 scale of the calls as read);
//! * missing-call rate (`--geno`, `--missing`): the missing calls of both sexes over the
//!   samples of both (a heterozygous male is observed);
//! * Hardy–Weinberg (`--hardy`, `--hwe`): Graffelman & Weir's chrX exact test
//!   ([`super::hwe::hwe_x_p`]) on the female genotypes and the male alleles, heterozygous
//!   males left out.
//!
//! ```
//! use dash::qc::xchr;
//! use dash::summary::sex_qc::{SexCalls, SexQc};
//! let split = SexQc {
//!     male: SexCalls::from_hard_calls(6, 1, 3, 0),   // 3 hemizygous ALT, 1 het male
//!     female: SexCalls::from_hard_calls(5, 4, 1, 2), // 2 missing
//! };
//! let alleles = xchr::allele_counts(&split);
//! assert_eq!((alleles.alt, alleles.observed), (6.0 + 3.5, 20.0 + 10.0));
//! assert_eq!(xchr::missing_calls(&split), (2, 22));
//! ```

use super::hwe::XchrCounts;
use crate::summary::sex_qc::SexQc;

/// ALT allele count and observed alleles of a variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlleleCounts {
    /// ALT alleles (a dosage count: a het male adds ½).
    pub alt: f64,
    /// Observed alleles.
    pub observed: f64,
}

/// plink2's chrX allele counts: a female's two alleles, a male's one.
pub fn allele_counts(split: &SexQc) -> AlleleCounts {
    AlleleCounts {
        alt: split.female.dosage_sum + split.male.dosage_sum / 2.0,
        observed: 2.0 * split.female.observed as f64 + split.male.observed as f64,
    }
}

/// Missing calls and samples (both sexes).
pub fn missing_calls(split: &SexQc) -> (u64, u64) {
    let (male, female) = (&split.male, &split.female);
    let missing = male.missing + female.missing;
    (missing, missing + male.observed + female.observed)
}

/// The counts of the chrX exact test (allele 1 = REF), or `None` when some calls are dosages
/// without genotypes.
pub fn hwe_counts(split: &SexQc) -> Option<XchrCounts> {
    split.all_hard().then_some(XchrCounts {
        female_hom_1: split.female.hom_ref,
        female_het: split.female.het,
        female_hom_2: split.female.hom_alt,
        male_1: split.male.hom_ref,
        male_2: split.male.hom_alt,
    })
}
