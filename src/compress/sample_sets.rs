//! The sums of the sex-chromosome sample sets ([`crate::samples::Group::sample_set`]): the
//! known-sex subsets on non-PAR chrX, the males on chrY.
//!
//! The sets are groups of the summary like any other, but their rows hold sums only where the
//! set is used ([`SampleSet::holds`]) and zeros elsewhere. So the main kernel sums the groups of
//! all samples, and a second kernel, over the sets alone, sums only a block's chrX and chrY
//! variants (a few percent of a genome): the sets cost nothing on the autosomes.

use super::fields::StackedFields;
use super::{block_rows, BlockSummer, HardCallKernel};
use crate::genotype::select::retain;
use crate::genotype::GenotypeBlock;
use crate::samples::SampleFields;
use crate::summary::sex::{SampleSet, SexChromosomes};
use crate::summary::{GroupSums, Rows};

/// Sums the sample-set groups of a party on the rows that use them.
pub(super) struct SampleSetSums {
    /// The kernel over the set groups only.
    summer: Box<BlockSummer>,
    /// Per set group, in the summary's group order after the main groups: its set.
    sets: Vec<SampleSet>,
    record: SexChromosomes,
}

impl SampleSetSums {
    /// The sets of `fields` (`None` when it has none); they follow its main groups.
    pub fn new(
        fields: &SampleFields,
        hard_calls: bool,
        record: SexChromosomes,
    ) -> Option<SampleSetSums> {
        let sets: Vec<SampleSet> = fields.groups.iter().filter_map(|g| g.sample_set).collect();
        if sets.is_empty() {
            return None;
        }
        let stacked = StackedFields::new(&fields.only_groups(|g| g.sample_set.is_some()));
        let kernel = HardCallKernel::for_width(stacked.width);
        Some(SampleSetSums {
            summer: Box::new(BlockSummer::with_kernel(stacked, kernel, hard_calls)),
            sets,
            record,
        })
    }

    /// A copy of the block's variants that some set holds, and which they are; `None` when
    /// there are none. Taken before the block is summed (which moves its variants out).
    pub fn scoped(&self, block: &GenotypeBlock) -> Option<(GenotypeBlock, Vec<bool>)> {
        let keep: Vec<bool> = block
            .variants
            .iter()
            .map(|v| self.record.row_sample_set(&v.chrom, v.pos).is_some())
            .collect();
        if !keep.contains(&true) {
            return None;
        }
        let mut scoped = block.clone();
        retain(&mut scoped, &keep);
        Some((scoped, keep))
    }

    /// Appends the set groups' sums to `rows` (the block's rows of the main groups): the sums of
    /// the `scoped` variants where the row uses the set, zeros everywhere else.
    pub fn append(&self, rows: &mut Rows, scoped: Option<(GenotypeBlock, Vec<bool>)>) {
        let b = rows.variants.len();
        let mut sums: Vec<GroupSums> = self
            .summer
            .stacked
            .groups
            .iter()
            .map(|&(_, j)| GroupSums {
                width: j,
                atx0: vec![0.0; b * j],
                atu: vec![0.0; b * j],
                x0x0: vec![0.0; b],
            })
            .collect();
        if let Some((mut block, keep)) = scoped {
            let set_rows = block_rows(&self.summer, &mut block);
            let rows_of_block = keep.iter().enumerate().filter(|(_, &k)| k).map(|(v, _)| v);
            for (r, v) in rows_of_block.enumerate() {
                let variant = &rows.variants[v];
                for ((to, from), &set) in sums.iter_mut().zip(&set_rows.groups).zip(&self.sets) {
                    if !set.holds(&self.record, &variant.chrom, variant.pos) {
                        continue;
                    }
                    let j = to.width;
                    to.atx0[v * j..(v + 1) * j].copy_from_slice(from.atx0(r));
                    to.atu[v * j..(v + 1) * j].copy_from_slice(from.atu(r));
                    to.x0x0[v] = from.x0x0[r];
                }
            }
        }
        rows.groups.extend(sums);
    }
}
