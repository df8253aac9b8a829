//! Calls → ALT dosages, shared by the VCF and BCF readers.
//!
//! A site with several ALT alleles is tested one ALT at a time, with the dosage of that allele,
//! exactly as if it had been split with `bcftools norm -m-`: for ALT `j`,
//!
//! * from `GT`, the dosage is the number of called alleles equal to `j` (`1/2` is 1 for ALT 1 and
//!   1 for ALT 2; `2/2` is 0 for ALT 1). A call with any allele missing (`./.`, `.`, `./1`) is
//!   missing. A haploid call counts as the homozygous diploid one (0 or 2), as plink2 imports
//!   it. A call of more than two alleles (a triploid call in a
//!   diploid file) has no dosage in 0–2: it is read as missing and counted for the notes.
//! * from `DS` (`Number=A`), the dosage is the `j`-th value; `.` is missing; a value outside
//!   [0, 2] or not finite is an error.
//!
//! Symbolic ALT alleles (`<DEL>`, `<*>`, breakends), the spanning deletion `*` and a missing ALT
//! (`.`) cannot be tested: they get no column and are counted in [`SkipCounts`].
//!
//! The readers' QC counts ([`QcCounts`]) are over all samples of the file (compress recounts them
//! over the samples the party contributes, or takes them as they are when it contributes every
//! sample: [`super::GenotypeBlock::qc_sums_dosages`]): `missing`, `observed` and the dosage sums always;
//! `hom_ref`/`het`/`hom_alt` only for hard calls from `GT` (a haploid call as the homozygous
//! one, as plink2 imports it); with `DS` all three stay 0: an expected dosage is not a genotype.
//!
//! ```
//! use dash::genotype::dosage::{AltColumn, Call};
//! let mut d1 = vec![0.0; 3];
//! let mut d2 = vec![0.0; 3];
//! let mut columns = [AltColumn::new(&mut d1), AltColumn::new(&mut d2)];
//! let alts = [1, 2];
//! for (sample, call) in [Call::Diploid(1, 2), Call::Diploid(2, 2), Call::Missing]
//!     .into_iter()
//!     .enumerate()
//! {
//!     dash::genotype::dosage::put_call(&mut columns, &alts, sample, call);
//! }
//! assert_eq!(columns[0].dosages, &[1.0, 0.0, 0.0]);
//! assert_eq!(columns[1].dosages, &[1.0, 2.0, 0.0]);
//! assert_eq!(columns[1].missing, &[2]);
//! assert_eq!((columns[1].qc.het, columns[1].qc.hom_alt), (1, 1));
//! ```

use super::{DosageField, QcCounts, Variant};
use crate::error::{Error, Result};

/// The per-sample field the dosage is read from, once resolved against the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Hard calls.
    Gt,
    /// Expected ALT dosage, one value per ALT.
    Ds,
}

impl Field {
    /// The FORMAT key.
    pub fn key(self) -> &'static str {
        match self {
            Field::Gt => "GT",
            Field::Ds => "DS",
        }
    }

    /// Resolves `--dosage-field` against the FORMAT keys the header declares: `auto` is `DS`
    /// when declared, else `GT`; an explicit field must be declared.
    ///
    /// ```
    /// use dash::genotype::{dosage::Field, DosageField};
    /// let declared = |k: &str| k == "GT";
    /// assert_eq!(Field::resolve(DosageField::Auto, declared, "x.vcf".as_ref()).unwrap(), Field::Gt);
    /// assert!(Field::resolve(DosageField::Ds, declared, "x.vcf".as_ref()).is_err());
    /// ```
    pub fn resolve(
        requested: DosageField,
        declared: impl Fn(&str) -> bool,
        path: &std::path::Path,
    ) -> Result<Field> {
        let field = match requested {
            DosageField::Gt => Field::Gt,
            DosageField::Ds => Field::Ds,
            DosageField::Auto if declared("DS") => Field::Ds,
            DosageField::Auto => Field::Gt,
        };
        if !declared(field.key()) {
            let hint = match requested {
                DosageField::Auto => "neither FORMAT/DS nor FORMAT/GT is declared".to_string(),
                _ => format!(
                    "--dosage-field {}: the header declares no FORMAT/{}",
                    field.key(),
                    field.key()
                ),
            };
            return Err(Error::input(path, hint).at("header"));
        }
        Ok(field)
    }
}

/// What kind of ALT allele this is; only [`AltKind::Testable`] alleles get a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AltKind {
    /// A sequence allele.
    Testable,
    /// `<ID>` or a breakend (`G]17:198982]`).
    Symbolic,
    /// `*`: the allele is missing because of an overlapping deletion.
    Star,
    /// `.`: no ALT allele at all.
    Missing,
}

/// Classifies one ALT allele.
///
/// ```
/// use dash::genotype::dosage::{alt_kind, AltKind};
/// assert_eq!(alt_kind(b"AT"), AltKind::Testable);
/// assert_eq!(alt_kind(b"<DEL>"), AltKind::Symbolic);
/// assert_eq!(alt_kind(b"*"), AltKind::Star);
/// ```
pub fn alt_kind(allele: &[u8]) -> AltKind {
    match allele {
        b"*" => AltKind::Star,
        b"." | b"" => AltKind::Missing,
        a if a.starts_with(b"<") || a.iter().any(|&c| c == b'[' || c == b']') => AltKind::Symbolic,
        _ => AltKind::Testable,
    }
}

/// Alleles and records that got no test, reported once at the end (`notes`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkipCounts {
    /// Symbolic ALT alleles skipped.
    pub symbolic: u64,
    /// `*` ALT alleles skipped.
    pub star: u64,
    /// Records without an ALT allele (`.`).
    pub no_alt: u64,
    /// Multi-allelic records (more than one ALT), each split into one test per testable ALT.
    pub multiallelic: u64,
    /// Records without the dosage field in FORMAT: every call missing.
    pub without_field: u64,
}

impl SkipCounts {
    /// Human-readable lines for the log, empty when there is nothing to say.
    pub fn notes(&self, field: Field) -> Vec<String> {
        let mut notes = Vec::new();
        if self.multiallelic > 0 {
            notes.push(format!(
                "{} multi-allelic record(s) split into one test per ALT allele",
                self.multiallelic
            ));
        }
        if self.symbolic + self.star > 0 {
            notes.push(format!(
                "skipped {} symbolic and {} '*' ALT alleles (not testable)",
                self.symbolic, self.star
            ));
        }
        if self.no_alt > 0 {
            notes.push(format!(
                "skipped {} record(s) without an ALT allele ('.')",
                self.no_alt
            ));
        }
        if self.without_field > 0 {
            notes.push(format!(
                "{} record(s) without FORMAT/{}: all their calls are missing",
                self.without_field,
                field.key()
            ));
        }
        notes
    }
}

/// A VCF/BCF record's site fields (CHROM, POS, ID, REF, ALT), as read from the file, before the
/// record is split into one [`Variant`] per tested ALT allele.
#[derive(Debug, Clone, Default)]
pub struct RecordSite {
    /// Normalised chromosome.
    pub chrom: String,
    /// 1-based position.
    pub pos: u64,
    /// Variant ID (`.` when none).
    pub id: String,
    /// Reference allele.
    pub ref_allele: String,
    /// ALT alleles in file order (allele number `k + 1`).
    pub alts: Vec<String>,
}

impl RecordSite {
    /// The allele numbers (1-based) of the testable ALT alleles, counting what is skipped.
    pub fn tested_alts(&self, skipped: &mut SkipCounts) -> Vec<u32> {
        let mut tested = Vec::with_capacity(self.alts.len());
        for (k, alt) in self.alts.iter().enumerate() {
            match alt_kind(alt.as_bytes()) {
                AltKind::Testable => tested.push(k as u32 + 1),
                AltKind::Symbolic => skipped.symbolic += 1,
                AltKind::Star => skipped.star += 1,
                AltKind::Missing => {}
            }
        }
        let real_alts = self
            .alts
            .iter()
            .filter(|a| alt_kind(a.as_bytes()) != AltKind::Missing)
            .count();
        if real_alts == 0 {
            skipped.no_alt += 1;
        } else if real_alts > 1 {
            skipped.multiallelic += 1;
        }
        tested
    }

    /// The tested variant for allele number `alt`.
    pub fn variant(&self, alt: u32) -> Variant {
        Variant {
            chrom: self.chrom.as_str().into(),
            pos: self.pos,
            id: self.id.as_str().into(),
            ref_allele: self.ref_allele.as_str().into(),
            alt_allele: self.alts[alt as usize - 1].as_str().into(),
        }
    }
}

/// A hard call: allele numbers (0 = REF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// No call, or a partial one (`./1`).
    Missing,
    /// One allele.
    Haploid(u32),
    /// Two alleles, phased or not.
    Diploid(u32, u32),
    /// More than two alleles: read as missing (a dosage could exceed 2), and counted.
    Polyploid,
}

impl Call {
    /// Builds a call from allele numbers, `None` for a missing allele.
    ///
    /// More than two alleles is [`Call::Polyploid`]: the dosage could exceed 2.
    pub fn from_alleles(alleles: &[Option<u32>]) -> Call {
        match alleles {
            [] => Call::Missing,
            [Some(a)] => Call::Haploid(*a),
            [Some(a), Some(b)] => Call::Diploid(*a, *b),
            [_] | [_, _] => Call::Missing,
            _ => Call::Polyploid,
        }
    }

    /// The largest allele number in the call (0 when missing).
    pub fn max_allele(self) -> u32 {
        match self {
            Call::Missing | Call::Polyploid => 0,
            Call::Haploid(a) => a,
            Call::Diploid(a, b) => a.max(b),
        }
    }
}

/// One ALT allele's column of a block being filled.
#[derive(Debug)]
pub struct AltColumn<'a> {
    /// Dosages of every sample (missing as 0).
    pub dosages: &'a mut [f64],
    /// Missing sample indices, ascending.
    pub missing: Vec<u32>,
    /// QC counts over all samples.
    pub qc: QcCounts,
    /// Calls of more than two alleles, read as missing.
    pub polyploid: u64,
}

impl<'a> AltColumn<'a> {
    /// A column over `dosages` (one entry per sample), nothing counted yet.
    pub fn new(dosages: &'a mut [f64]) -> AltColumn<'a> {
        AltColumn {
            dosages,
            missing: Vec::new(),
            qc: QcCounts::default(),
            polyploid: 0,
        }
    }

    /// Records a missing call.
    #[inline(always)]
    pub fn put_missing(&mut self, sample: usize) {
        self.dosages[sample] = 0.0;
        self.missing.push(sample as u32);
        self.qc.missing += 1;
    }

    /// Records an observed dosage (already checked to be in [0, 2]).
    #[inline(always)]
    pub fn put_dosage(&mut self, sample: usize, dosage: f64) {
        self.dosages[sample] = dosage;
        self.qc.observed += 1;
        self.qc.dosage_sum += dosage;
        self.qc.dosage_sq_sum += dosage * dosage;
    }

    /// Records `count` copies of the tested ALT allele in a hard call.
    #[inline(always)]
    fn put_count(&mut self, sample: usize, count: u32, diploid: bool) {
        self.put_dosage(sample, f64::from(count));
        if diploid {
            match count {
                0 => self.qc.hom_ref += 1,
                1 => self.qc.het += 1,
                _ => self.qc.hom_alt += 1,
            }
        }
    }

    /// Records one sample's hard call, counting the copies of allele number `alt`.
    #[inline(always)]
    pub fn put_call(&mut self, alt: u32, sample: usize, call: Call) {
        match call {
            Call::Missing => self.put_missing(sample),
            Call::Polyploid => {
                self.put_missing(sample);
                self.polyploid += 1;
            }
            // plink2 imports a haploid call as the homozygous one (a hemizygous ALT on a male's
            // chrX is a homozygous ALT); the chrX model then codes it (`genotype::xchr`).
            Call::Haploid(a) => self.put_count(sample, 2 * u32::from(a == alt), true),
            Call::Diploid(a, b) => {
                self.put_count(sample, u32::from(a == alt) + u32::from(b == alt), true)
            }
        }
    }

    /// Marks every sample missing (the record lacks the dosage field).
    pub fn all_missing(&mut self) {
        self.dosages.fill(0.0);
        self.missing = (0..self.dosages.len() as u32).collect();
        self.qc = QcCounts {
            missing: self.dosages.len() as u64,
            ..QcCounts::default()
        };
    }
}

/// Records one sample's hard call in the column of every tested ALT (`alts[k]` is the allele
/// number of `columns[k]`).
#[inline]
pub fn put_call(columns: &mut [AltColumn], alts: &[u32], sample: usize, call: Call) {
    for (column, &alt) in columns.iter_mut().zip(alts) {
        column.put_call(alt, sample, call);
    }
}

/// Checks one `DS` value: finite and within [0, 2].
pub fn check_ds(value: f64) -> Result<f64, String> {
    if value.is_finite() && (0.0..=2.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("DS value {value} is outside [0, 2]"))
    }
}

/// Why one sample of one record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleError {
    /// The sample index, when the problem is one sample's value.
    pub sample: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl SampleError {
    /// A problem with one sample's value.
    pub fn at(sample: usize, message: impl Into<String>) -> SampleError {
        SampleError {
            sample: Some(sample),
            message: message.into(),
        }
    }

    /// A problem with the record's sample data as a whole.
    pub fn record(message: impl Into<String>) -> SampleError {
        SampleError {
            sample: None,
            message: message.into(),
        }
    }

    /// The message with the sample named.
    pub fn describe(&self, samples: &[String]) -> String {
        match self.sample {
            Some(i) => format!("sample '{}': {}", samples[i], self.message),
            None => self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(alts: &[&str]) -> RecordSite {
        RecordSite {
            chrom: "1".into(),
            pos: 10,
            id: ".".into(),
            ref_allele: "A".into(),
            alts: alts.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn tested_alts_skip_symbolic_and_star() {
        let mut skipped = SkipCounts::default();
        assert_eq!(site(&["C"]).tested_alts(&mut skipped), [1]);
        assert_eq!(
            site(&["C", "<DEL>", "*", "G"]).tested_alts(&mut skipped),
            [1, 4]
        );
        assert_eq!(site(&["."]).tested_alts(&mut skipped), Vec::<u32>::new());
        assert_eq!(
            site(&["<DUP>"]).tested_alts(&mut skipped),
            Vec::<u32>::new()
        );
        assert_eq!(
            skipped,
            SkipCounts {
                symbolic: 2,
                star: 1,
                no_alt: 1,
                multiallelic: 1,
                without_field: 0
            }
        );
    }

    #[test]
    fn calls_count_the_tested_allele_like_a_split_file() {
        // (call, dosage of ALT 1, dosage of ALT 2), as `bcftools norm -m-` would write them.
        let cases = [
            (Call::Diploid(0, 0), Some(0.0), Some(0.0)),
            (Call::Diploid(0, 1), Some(1.0), Some(0.0)),
            (Call::Diploid(1, 2), Some(1.0), Some(1.0)),
            (Call::Diploid(2, 2), Some(0.0), Some(2.0)),
            (Call::Haploid(2), Some(0.0), Some(2.0)),
            (Call::Missing, None, None),
        ];
        let n = cases.len();
        let (mut d1, mut d2) = (vec![f64::NAN; n], vec![f64::NAN; n]);
        let mut columns = [AltColumn::new(&mut d1), AltColumn::new(&mut d2)];
        for (i, (call, _, _)) in cases.iter().enumerate() {
            put_call(&mut columns, &[1, 2], i, *call);
        }
        for (i, (_, a, b)) in cases.iter().enumerate() {
            assert_eq!(columns[0].dosages[i], a.unwrap_or(0.0), "case {i}");
            assert_eq!(columns[1].dosages[i], b.unwrap_or(0.0), "case {i}");
        }
        assert_eq!(columns[0].missing, [5]);
        let qc = &columns[1].qc;
        assert_eq!((qc.hom_ref, qc.het, qc.hom_alt, qc.missing), (2, 1, 2, 1));
        assert_eq!(qc.dosage_sum, 5.0);
    }

    #[test]
    fn partial_and_polyploid_calls() {
        assert_eq!(Call::from_alleles(&[None, Some(1)]), Call::Missing);
        assert_eq!(Call::from_alleles(&[Some(1)]), Call::Haploid(1));
        assert_eq!(
            Call::from_alleles(&[Some(1), Some(1), Some(0)]),
            Call::Polyploid
        );
        let mut d = vec![1.0];
        let mut column = AltColumn::new(&mut d);
        column.put_call(1, 0, Call::Polyploid);
        assert_eq!((column.dosages[0], column.polyploid), (0.0, 1));
        assert_eq!(
            (column.missing.as_slice(), column.qc.missing),
            (&[0u32][..], 1)
        );
    }

    #[test]
    fn ds_range() {
        assert_eq!(check_ds(0.0), Ok(0.0));
        assert_eq!(check_ds(2.0), Ok(2.0));
        assert!(check_ds(2.0001).is_err());
        assert!(check_ds(-0.1).is_err());
        assert!(check_ds(f64::NAN).is_err());
        assert!(check_ds(f64::INFINITY).is_err());
    }
}
