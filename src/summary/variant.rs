//! The variant row key and its QC counts: what every summary row is about.

use serde::{Deserialize, Serialize};
/// The text of a variant's names: a string kept inline up to 23 bytes (every chromosome name,
/// most identifiers and alleles), so reading a row allocates nothing for them and cloning one
/// is a copy (issue 12: four `String`s per row were a third of merge's read floor).
pub use smol_str::SmolStr;

/// One tested allele at one site: the effect allele is `alt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Normalised chromosome name (see [`crate::chrom::normalize`]).
    pub chrom: SmolStr,
    /// 1-based position.
    pub pos: u64,
    /// The source's variant identifier (`.` when none).
    pub id: SmolStr,
    /// Reference (other) allele.
    pub ref_allele: SmolStr,
    /// Alternate (effect) allele.
    pub alt_allele: SmolStr,
}

impl std::fmt::Display for Variant {
    /// `CHR:POS REF/ALT`, as every message names a variant.
    ///
    /// ```
    /// use dash::summary::Variant;
    /// let v = Variant { chrom: "1".into(), pos: 5, id: ".".into(), ref_allele: "A".into(), alt_allele: "G".into() };
    /// assert_eq!(v.to_string(), "1:5 A/G");
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{} {}/{}",
            self.chrom, self.pos, self.ref_allele, self.alt_allele
        )
    }
}

/// Hard-call genotype counts and the dosage sums of one variant, over the samples the party
/// contributes (those in at least one phenotype group), not every sample of the file.
///
/// The counts are what plink2's `--maf`, `--mac`, `--geno` and `--hwe` read, and `dosage_sum`
/// with `dosage_sq_sum` give the pooled MACH r² ([`crate::qc::info`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QcCounts {
    /// Samples homozygous for the reference allele.
    pub hom_ref: u64,
    /// Heterozygous samples.
    pub het: u64,
    /// Samples homozygous for the alternate allele.
    pub hom_alt: u64,
    /// Samples with a missing call.
    pub missing: u64,
    /// Samples with an observed call (hard or dosage): with `missing`, every contributed sample.
    pub observed: u64,
    /// Sum of alternate-allele dosages over observed calls.
    pub dosage_sum: f64,
    /// Sum of squared alternate-allele dosages over observed calls (Σx², for the r² of
    /// imputed dosages).
    pub dosage_sq_sum: f64,
    /// On a non-PAR chrX row, the same calls split by sex (format version 6), from which
    /// plink2's chrX rules follow; `None` elsewhere, and where a party's summary lacks it.
    ///
    /// Boxed: few rows have it, and every row is held in a merge's windows. Inline it made
    /// every row's counts 160 bytes rather than 64; boxed, a merge of 20 parties × 500 k
    /// variants peaks at 245 MiB instead of 276 (issue 12).
    pub by_sex: Option<Box<super::sex_qc::SexQc>>,
}

impl QcCounts {
    /// The counts of diploid hard calls: observed calls, Σx and Σx² follow from the genotypes.
    ///
    /// ```
    /// use dash::summary::QcCounts;
    /// let qc = QcCounts::from_hard_calls(5, 3, 2, 1);
    /// assert_eq!((qc.observed, qc.dosage_sum, qc.dosage_sq_sum), (10, 7.0, 11.0));
    /// ```
    pub fn from_hard_calls(hom_ref: u64, het: u64, hom_alt: u64, missing: u64) -> QcCounts {
        QcCounts {
            hom_ref,
            het,
            hom_alt,
            missing,
            observed: hom_ref + het + hom_alt,
            dosage_sum: (het + 2 * hom_alt) as f64,
            dosage_sq_sum: (het + 4 * hom_alt) as f64,
            by_sex: None,
        }
    }

    /// Adds another set of counts (pooling parties). The split by sex survives only when both
    /// have it: pooled over some of the parties it would not be plink2's count.
    pub fn add(&mut self, other: &QcCounts) {
        self.hom_ref += other.hom_ref;
        self.het += other.het;
        self.hom_alt += other.hom_alt;
        self.missing += other.missing;
        self.observed += other.observed;
        self.dosage_sum += other.dosage_sum;
        self.dosage_sq_sum += other.dosage_sq_sum;
        match (&mut self.by_sex, &other.by_sex) {
            (Some(mine), Some(theirs)) => mine.add(theirs),
            (mine, _) => *mine = None,
        }
    }

    /// The counts with REF and ALT swapped: hom-REF and hom-ALT trade places and the dosage sum
    /// becomes `2·observed − sum` (x' = 2 − x on observed calls, DESIGN §1), the sum of squares
    /// `4·observed − 4·sum + sum of squares`.
    ///
    /// ```
    /// use dash::summary::QcCounts;
    /// let qc = QcCounts { hom_ref: 3, het: 2, hom_alt: 1, missing: 1, observed: 6, dosage_sum: 4.0, dosage_sq_sum: 6.0, by_sex: None };
    /// let flipped = qc.flipped();
    /// assert_eq!((flipped.hom_ref, flipped.hom_alt, flipped.dosage_sum, flipped.dosage_sq_sum), (1, 3, 8.0, 14.0));
    /// ```
    pub fn flipped(&self) -> QcCounts {
        let observed = self.observed as f64;
        QcCounts {
            hom_ref: self.hom_alt,
            hom_alt: self.hom_ref,
            dosage_sum: 2.0 * observed - self.dosage_sum,
            dosage_sq_sum: 4.0 * observed - 4.0 * self.dosage_sum + self.dosage_sq_sum,
            by_sex: self.by_sex.as_ref().map(|split| Box::new(split.flipped())),
            ..*self
        }
    }
}

/// Where a source's allele orientation comes from; decides which file sets the reported
/// orientation at merge (DESIGN §1). Written into the header as `reference`, `plink1` or
/// `manifest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    /// The source knows the reference allele (VCF, BCF, BGEN, pgen).
    Reference,
    /// PLINK 1: A1/A2 may be in minor/major order, not REF/ALT.
    Plink1,
    /// A pooled secure set: alleles as the consortium's variant manifest lists them.
    Manifest,
}

impl Orientation {
    /// Whether REF is known to be the reference allele: such a source decides the reported
    /// orientation of a variant at merge.
    pub fn is_reference(self) -> bool {
        self == Orientation::Reference
    }
}
