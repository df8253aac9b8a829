//! The non-PAR chrX QC counts split by sex ([`crate::summary::sex_qc`]), over the samples the
//! party contributes, at compress.
//!
//! The counts are of the calls as read, under every `--xchr-model`: model 1 halves a male's
//! dosage before summing ([`crate::genotype::xchr`]), so a male's coded dosage is doubled back
//! here (½ → a het, 1 → a hemizygous ALT). Samples of unknown sex count in neither sex, as they
//! are in no non-PAR chrX fit. Only non-PAR chrX rows are counted (a few percent of a genome):
//! a plain scan of their calls, no kernel of its own.
//!
//! Disclosure: a party with 1 … K−1 contributed males or females (`--min-cell` K) writes no
//! split at all, as its groups then carry no `sex` field (each sex is a cell); the per-variant
//! per-sex cells are [`super::disclosure`]'s.

use crate::genotype::GenotypeBlock;
use crate::samples::sex::Sex;
use crate::samples::SampleFields;
use crate::summary::sex::{SexChromosomes, XchrModel};
use crate::summary::sex_qc::{SexCalls, SexQc};
use crate::summary::Rows;

/// Counts the per-sex calls of a block's non-PAR chrX rows.
pub(super) struct SexCounter {
    /// Per genotype sample: its sex when it is contributed and known, else `None`.
    sex: Vec<Option<Sex>>,
    record: SexChromosomes,
    /// Whether the dosages are hard calls (`GT`), counted as genotypes.
    hard_calls: bool,
}

impl SexCounter {
    /// The counter of a party whose contributed samples are flagged in `contributed`; `None`
    /// when there is nothing to split: no non-PAR chrX row (model 0), no sex known, or a sex
    /// with 1 … K−1 contributed samples (`min_cell` K).
    pub fn new(
        fields: &SampleFields,
        contributed: &[f64],
        record: SexChromosomes,
        hard_calls: bool,
        min_cell: u64,
    ) -> Option<SexCounter> {
        if record.xchr_model == XchrModel::Skip || fields.sample_sex.is_empty() {
            return None;
        }
        let sex: Vec<Option<Sex>> = fields
            .sample_sex
            .iter()
            .zip(contributed)
            .map(|(&sex, &c)| sex.filter(|_| c != 0.0))
            .collect();
        let count = |which: Sex| sex.iter().filter(|&&s| s == Some(which)).count() as u64;
        let small = |count: u64| count > 0 && count < min_cell;
        if small(count(Sex::Male)) || small(count(Sex::Female)) {
            return None;
        }
        Some(SexCounter {
            sex,
            record,
            hard_calls,
        })
    }

    /// Sets the split of every non-PAR chrX row of `rows` from `block`, whose calls they are
    /// (its variants already moved into `rows`).
    pub fn fill(&self, block: &GenotypeBlock, rows: &mut Rows) {
        for (v, (variant, qc)) in rows.variants.iter().zip(rows.qc.iter_mut()).enumerate() {
            if self.record.is_sex_modelled(&variant.chrom, variant.pos) {
                qc.by_sex = Some(Box::new(match block.is_packed() {
                    true => self.packed(block, v),
                    false => self.dense(block, v),
                }));
            }
        }
    }

    /// The split of packed hard calls (`.bed` codes: 00 hom-ALT, 01 missing, 10 het, 11
    /// hom-REF).
    fn packed(&self, block: &GenotypeBlock, v: usize) -> SexQc {
        let bpv = block.bytes_per_variant;
        let bytes = &block.packed[v * bpv..(v + 1) * bpv];
        let mut tally = [[0u64; 4]; 2];
        for (i, sex) in self.sex.iter().enumerate() {
            if let Some(sex) = sex {
                let code = (bytes[i / 4] >> (2 * (i % 4))) & 3;
                tally[usize::from(*sex == Sex::Female)][usize::from(code)] += 1;
            }
        }
        let calls = |t: [u64; 4]| SexCalls::from_hard_calls(t[3], t[2], t[0], t[1]);
        SexQc {
            male: calls(tally[0]),
            female: calls(tally[1]),
        }
    }

    /// The split of dense dosages (hard calls as 0/1/2, or `DS`), a male's model-1 coding
    /// undone.
    fn dense(&self, block: &GenotypeBlock, v: usize) -> SexQc {
        let n = block.n_samples;
        let column = &block.dosages[v * n..(v + 1) * n];
        // The missing calls are ascending (GenotypeBlock::missing): walked beside the samples
        // rather than expanded into an N-wide mask for every chrX variant.
        let mut missing = block.missing[v].iter().map(|&i| i as usize).peekable();
        let male_scale = 2.0 / self.record.xchr_model.male_ploidy();
        let mut split = SexQc::default();
        for (i, sex) in self.sex.iter().enumerate() {
            let is_missing = missing.next_if_eq(&i).is_some();
            let Some(sex) = sex else { continue };
            let (calls, scale) = match sex {
                Sex::Male => (&mut split.male, male_scale),
                Sex::Female => (&mut split.female, 1.0),
            };
            if is_missing {
                calls.missing += 1;
                continue;
            }
            let x = column[i] * scale;
            calls.observed += 1;
            calls.dosage_sum += x;
            if self.hard_calls {
                match x.round() as u8 {
                    0 => calls.hom_ref += 1,
                    1 => calls.het += 1,
                    _ => calls.hom_alt += 1,
                }
            }
        }
        split
    }
}
