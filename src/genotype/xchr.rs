//! The chrX model at compress (plink2's `--xchr-model`): which non-PAR chrX variants enter the
//! summary, and how male calls are coded there.
//!
//! * model 0 skips non-PAR chrX, as plink2 does: those variants get no row;
//! * model 1 codes males 0..1: their dosages (0..2 as read; a haploid call counts as a
//!   homozygous one, as plink2 imports it) are halved. Packed hard calls are expanded to
//!   dosages for a block that holds such a variant (chrX is a small share of a genome);
//! * model 2 (plink2's default) codes males 0..2: the calls as read.
//!
//! QC counts stay those of the calls as read. Which variants are non-PAR chrX is the summary
//! contract's [`SexChromosomes::is_sex_modelled`].

use super::select::retain;
use super::{BlockReader, GenotypeBlock, Orientation};
use crate::error::Result;
use crate::summary::sex::{SexChromosomes, XchrModel};

/// A reader applying the chrX model to another.
pub struct XchrReader {
    inner: Box<dyn BlockReader>,
    record: SexChromosomes,
    /// Per genotype sample: whether it is male (unknown sex: not).
    males: Vec<bool>,
    /// Non-PAR chrX variants skipped (model 0) or recoded (model 1).
    handled: u64,
}

impl XchrReader {
    /// Wraps `inner`; `males` flags the male genotype samples. Under model 2 nothing changes,
    /// so the reader is better left unwrapped.
    pub fn new(
        inner: Box<dyn BlockReader>,
        record: SexChromosomes,
        males: Vec<bool>,
    ) -> XchrReader {
        XchrReader {
            inner,
            record,
            males,
            handled: 0,
        }
    }

    /// Halves the male dosages of the non-PAR chrX variants flagged in `modelled`.
    fn code_males_haploid(&self, block: &mut GenotypeBlock, modelled: &[bool]) {
        let n = block.n_samples;
        // The QC counts stay those of the calls as read, so they no longer sum the dosages.
        block.qc_sums_dosages = false;
        if block.is_packed() {
            block.finish_decoding();
            let dosages: Vec<f64> = (0..block.len())
                .flat_map(|v| block.dosages_of(v, n))
                .collect();
            block.dosages = dosages;
            block.packed.clear();
        }
        for (column, _) in block
            .dosages
            .chunks_exact_mut(n)
            .zip(modelled)
            .filter(|(_, &m)| m)
        {
            for (dosage, _) in column.iter_mut().zip(&self.males).filter(|(_, &male)| male) {
                *dosage *= 0.5;
            }
        }
    }
}

impl BlockReader for XchrReader {
    super::describe_as_inner!(inner);

    fn read_block(&mut self, max_variants: usize, block: &mut GenotypeBlock) -> Result<bool> {
        loop {
            if !self.inner.read_block(max_variants, block)? {
                return Ok(false);
            }
            let modelled: Vec<bool> = block
                .variants
                .iter()
                .map(|v| self.record.is_sex_modelled(&v.chrom, v.pos))
                .collect();
            let count = modelled.iter().filter(|&&m| m).count();
            self.handled += count as u64;
            match self.record.xchr_model {
                XchrModel::Skip if count == block.len() => continue,
                XchrModel::Skip if count > 0 => {
                    let keep: Vec<bool> = modelled.iter().map(|m| !m).collect();
                    retain(block, &keep);
                }
                XchrModel::Haploid if count > 0 => self.code_males_haploid(block, &modelled),
                _ => {}
            }
            return Ok(true);
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = self.inner.notes();
        notes.push(match self.record.xchr_model {
            XchrModel::Skip => format!(
                "--xchr-model 0: {} non-PAR chrX variants skipped, as plink2 skips them",
                self.handled
            ),
            _ => format!(
                "--xchr-model {}: {} non-PAR chrX variants with males coded 0..{}",
                self.record.xchr_model.number(),
                self.handled,
                self.record.xchr_model.male_ploidy()
            ),
        });
        notes
    }
}
