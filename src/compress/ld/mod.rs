//! LD sums at compress (`--ld-region`): per region and phenotype group, the pairwise sums among
//! the region's variants that the exact pooled joint regression needs ([`crate::summary::ld`]).
//!
//! Each region is read a second time, on its own (a region query of the genotype source), before
//! the summary is written: its variants are summed and screened exactly as the main pass will
//! ([`super::BlockSummer`], [`super::disclosure`]), so the variants that get a row are known; a
//! variant whose few missing calls the disclosure rules impute locally enters the pairwise sums
//! imputed the same way (`x0 + μ·u`, no missing call). The survivors, in genomic order, are held
//! as an n × m matrix, their pairwise sums formed per group ([`sums`]) and screened pair by pair
//! ([`cells`]); [`LdSums::attach`] then gives each written row its row of the matrices.
//!
//! Memory: about `8·n·m·3` bytes for the calls and the carrier indicators plus `4·8·m²` per
//! group — at n = 20,000 and m = 2,000, 1 GB and 128 MB per group. Hence
//! [`MAX_REGION_VARIANTS`].

pub(crate) mod cells;
pub mod regions;
pub(crate) mod sums;

use std::collections::HashMap;

use super::disclosure::VariantRules;
use super::fields::StackedFields;
use super::BlockSummer;
use crate::error::{Error, Result};
use crate::genotype::{BlockReader, GenotypeBlock, Region};
use crate::samples::SampleFields;
use crate::summary::ld::{LdRegion, LdRow, MAX_REGION_VARIANTS};
use crate::summary::{order, Rows, SmolStr, Variant};
use sums::{pair_sums, RegionCalls};

/// The key rows are matched on: chromosome, position, REF, ALT.
type VariantKey = (SmolStr, u64, SmolStr, SmolStr);

fn key(v: &Variant) -> VariantKey {
    (
        v.chrom.clone(),
        v.pos,
        v.ref_allele.clone(),
        v.alt_allele.clone(),
    )
}

/// The LD sums of one party's regions, ready to go into its rows.
#[derive(Debug, Default)]
pub struct LdSums {
    /// The header's record of the regions.
    pub regions: Vec<LdRegion>,
    rows: HashMap<VariantKey, LdRow>,
}

impl LdSums {
    /// Gives every row of `rows` that carries LD sums its sums; returns how many did.
    pub fn attach(&self, rows: &mut Rows) -> u64 {
        let mut attached = 0;
        for r in 0..rows.len() {
            if let Some(ld) = self.rows.get(&key(&rows.variants[r])) {
                rows.ld.resize(rows.len(), None);
                rows.ld[r] = Some(ld.clone());
                attached += 1;
            }
        }
        attached
    }

    /// Rows that must carry sums (the checks of a finished file compare with it).
    pub fn expected_rows(&self) -> u64 {
        self.rows.len() as u64
    }
}

/// One surviving variant of a region: its calls as its row will have them.
struct RegionVariant {
    variant: Variant,
    x0: Vec<f64>,
    missing: Vec<u32>,
}

/// Computes the LD sums of `regions` (checked by [`regions::check`]); `open` opens the genotype
/// source restricted to a region, `rules` are the per-variant disclosure rules of the run.
pub fn compute(
    open: &dyn Fn(&Region) -> Result<Box<dyn BlockReader>>,
    fields: &SampleFields,
    rules: &VariantRules,
    regions: &[Region],
) -> Result<LdSums> {
    let stacked = StackedFields::new(fields);
    let n = stacked.n;
    let masks = group_masks(&stacked);
    let summer = BlockSummer::new(fields, rules.hard_calls);
    let mut out = LdSums::default();
    for (index, region) in regions.iter().enumerate() {
        let mut reader = open(region)?;
        let variants = surviving_variants(reader.as_mut(), &summer, rules, region)?;
        let calls = RegionCalls {
            n,
            x0: variants.iter().flat_map(|v| v.x0.iter().copied()).collect(),
            missing: variants.iter().map(|v| v.missing.clone()).collect(),
        };
        let kept = cells::releasable(&calls, &masks, rules.min_cell);
        let per_group: Vec<_> = masks.iter().map(|mask| pair_sums(&calls, mask)).collect();
        for &a in &kept {
            let row = LdRow {
                region: index as u32,
                groups: per_group.iter().map(|s| s.stored_row(a, &kept)).collect(),
                cells: Vec::new(),
            };
            out.rows.insert(key(&variants[a].variant), row);
        }
        out.regions.push(LdRegion {
            region: region.to_string(),
            variants: kept.len() as u64,
            withheld_variants: (variants.len() - kept.len()) as u64,
        });
    }
    Ok(out)
}

/// Each group's sample indicator (its intercept column) over the genotype samples.
pub(crate) fn group_masks(stacked: &StackedFields) -> Vec<&[f64]> {
    let n = stacked.n;
    stacked
        .groups
        .iter()
        .map(|&(offset, _)| &stacked.by_column[offset * n..(offset + 1) * n])
        .collect()
}

/// Reads a region and keeps the variants that will get a row, in genomic order, with their
/// calls as the row has them (imputed locally where the disclosure rules impute).
fn surviving_variants(
    reader: &mut dyn BlockReader,
    summer: &BlockSummer,
    rules: &VariantRules,
    region: &Region,
) -> Result<Vec<RegionVariant>> {
    let n = summer.n_samples();
    let mut block = GenotypeBlock::default();
    let mut kept: Vec<RegionVariant> = Vec::new();
    let mut read = 0usize;
    while reader.read_block(256, &mut block)? {
        block.finish_decoding();
        read += block.len();
        if read > MAX_REGION_VARIANTS {
            return Err(Error::usage(format!(
                "--ld-region {region}: more than {MAX_REGION_VARIANTS} variants (the most an LD region may hold); narrow it"
            )));
        }
        let columns: Vec<Vec<f64>> = (0..block.len()).map(|v| block.dosages_of(v, n)).collect();
        let missing = std::mem::take(&mut block.missing);
        let read_variants = block.variants.clone();
        block.missing = missing.clone();
        let rows = summer.rows(&mut block);
        // Missing calls among the contributed samples, before the rules impute any.
        let missing_before: Vec<u64> = rows.qc.iter().map(|q| q.missing).collect();
        // The rules keep rows in order and drop the suppressed ones: walk both in step.
        let screened = rules.screen(rows).rows;
        let mut next = 0;
        for (v, (mut x0, mut missing)) in columns.into_iter().zip(missing).enumerate() {
            if screened.variants.get(next) != Some(&read_variants[v]) {
                continue; // suppressed: no row, no LD sums
            }
            let qc = &screened.qc[next];
            if missing_before[v] > 0 && qc.missing == 0 {
                // Imputed locally by the disclosure rules (with the observed mean over the
                // contributed samples): so are its pairwise sums.
                let mean = qc.dosage_sum / qc.observed as f64;
                for &i in &missing {
                    x0[i as usize] = mean;
                }
                missing.clear();
            }
            kept.push(RegionVariant {
                variant: read_variants[v].clone(),
                x0,
                missing,
            });
            next += 1;
        }
    }
    kept.sort_by(|a, b| order::genomic(&a.variant, &b.variant));
    Ok(kept)
}
