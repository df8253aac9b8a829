//! `dash compress --secure --ld-region`: a region's pairwise sums, encoded and masked like every
//! other sum.
//!
//! The manifest fixes a region's variants: its rows inside the region, in manifest order (m of
//! them, the same m at every party). Each party forms, per group, the four pair-sum matrices of
//! [`crate::summary::ld`] over those rows in the manifest's orientation (a flipped variant as
//! x' = 2 − x on observed calls, a row the party lacks as every call missing: x0 = 0, u = 1),
//! and the four joint-carrier count matrices of the pair rule (ALT·ALT, REF·REF, ALT·REF,
//! REF·ALT), which merge needs to apply that rule to the pooled counts. Row a of a region
//! carries, per group, 8·m words: row a of the four sums, then of the four counts.
//!
//! The words are masked at stream positions after every row's words
//! (`header words + manifest rows · W`), the LD rows in manifest order, so they cancel across
//! parties exactly as the rows do. Memory: `16 · 8 · m²` bytes per group for the words (512 MB
//! per group at m = 2,000) on top of the plaintext LD pass.

use std::collections::BTreeMap;

use super::manifest::Manifest;
use super::mask::{Masks, MAX_WORDS};
use super::ring;
use crate::compress::fields::StackedFields;
use crate::compress::ld::cells::Carriers;
use crate::compress::ld::group_masks;
use crate::compress::ld::sums::{pair_sums, RegionCalls};
use crate::error::{Error, Result};
use crate::genotype::{BlockReader, GenotypeBlock, Region};
use crate::samples::SampleFields;
use crate::summary::ld::{LdRegion, MAX_REGION_VARIANTS};

/// Words per group and region variant: four pair sums and four carrier counts.
pub const WORDS_PER_PAIR: usize = 8;

/// The masked LD words of one party, by manifest row.
#[derive(Debug, Default)]
pub struct MaskedLd {
    /// The header's record of the regions (every manifest row in a region carries words).
    pub regions: Vec<LdRegion>,
    /// Per manifest row in some region, its masked words.
    pub rows: BTreeMap<usize, Vec<u128>>,
}

/// The manifest rows inside `region` (contiguous: the manifest is in genomic order).
pub fn region_rows(manifest: &Manifest, region: &Region) -> std::ops::Range<usize> {
    let rows = manifest.rows();
    let start = rows
        .iter()
        .position(|v| region.contains(&v.chrom, v.pos))
        .unwrap_or(rows.len());
    let end = start
        + rows[start..]
            .iter()
            .take_while(|v| region.contains(&v.chrom, v.pos))
            .count();
    start..end
}

/// Computes, encodes and masks the LD words of `regions` (checked, non-overlapping); `open`
/// reads the genotypes of a region, `first_word` is the stream position after every row's
/// words.
pub fn masked_ld(
    open: &dyn Fn(&Region) -> Result<Box<dyn BlockReader>>,
    fields: &SampleFields,
    manifest: &Manifest,
    regions: &[Region],
    masks: &Masks,
    first_word: u64,
) -> Result<MaskedLd> {
    let stacked = StackedFields::new(fields);
    let group_masks = group_masks(&stacked);
    let mut out = MaskedLd::default();
    for region in regions {
        let rows = region_rows(manifest, region);
        if rows.len() > MAX_REGION_VARIANTS {
            return Err(Error::usage(format!(
                "--ld-region {region}: the manifest has {} variants in it, more than {MAX_REGION_VARIANTS} (the most an LD region may hold); narrow it",
                rows.len()
            )));
        }
        let calls = manifest_calls(open(region)?.as_mut(), manifest, &rows, stacked.n)?;
        let carriers = Carriers::of(&calls);
        let m = rows.len();
        let per_group: Vec<(Vec<f64>, [Vec<f64>; 4])> = group_masks
            .iter()
            .map(|mask| {
                let sums = pair_sums(&calls, mask);
                let every: Vec<usize> = (0..m).collect();
                let stored: Vec<f64> = (0..m).flat_map(|a| sums.stored_row(a, &every)).collect();
                (stored, carriers.cells(mask))
            })
            .collect();
        for (a, row) in rows.clone().enumerate() {
            let mut values = Vec::with_capacity(per_group.len() * WORDS_PER_PAIR * m);
            for (stored, cells) in &per_group {
                values.extend_from_slice(&stored[a * 4 * m..(a + 1) * 4 * m]);
                for matrix in cells {
                    values.extend_from_slice(&matrix[a * m..(a + 1) * m]);
                }
            }
            let words = values
                .iter()
                .map(|&v| {
                    ring::encode(v).map_err(|_| {
                        Error::model(format!(
                            "--ld-region {region}: the pair sum {v:e} is outside the secure encoding's range (|value| < 2^56)"
                        ))
                    })
                })
                .collect::<Result<Vec<u128>>>()?;
            out.rows.insert(row, words);
        }
        out.regions.push(LdRegion {
            region: region.to_string(),
            variants: m as u64,
            withheld_variants: 0,
        });
    }
    // Mask the rows' words in manifest order, one after another.
    let mut at = first_word;
    for words in out.rows.values_mut() {
        if at + words.len() as u64 > MAX_WORDS {
            return Err(Error::usage(
                "the LD regions need more masked words than one secure summary holds; use fewer or narrower regions",
            ));
        }
        masks.apply(at, words);
        at += words.len() as u64;
    }
    Ok(out)
}

/// The calls of the manifest rows `rows` as the party has them, in the manifest's orientation:
/// a row it lacks has every call missing.
fn manifest_calls(
    reader: &mut dyn BlockReader,
    manifest: &Manifest,
    rows: &std::ops::Range<usize>,
    n: usize,
) -> Result<RegionCalls> {
    let m = rows.len();
    let mut calls = RegionCalls {
        n,
        x0: vec![0.0; n * m],
        missing: vec![(0..n as u32).collect(); m],
    };
    let mut block = GenotypeBlock::default();
    while reader.read_block(256, &mut block)? {
        block.finish_decoding();
        for (v, variant) in block.variants.iter().enumerate() {
            let Some((row, flip)) = manifest.find(
                &variant.chrom,
                variant.pos,
                &variant.ref_allele,
                &variant.alt_allele,
            ) else {
                continue;
            };
            if !rows.contains(&row) {
                continue;
            }
            let a = row - rows.start;
            let mut x0 = block.dosages_of(v, n);
            let missing = block.missing[v].clone();
            if flip {
                // x' = 2 − x on observed calls; missing calls stay 0.
                x0.iter_mut().for_each(|x| *x = 2.0 - *x);
                for &i in &missing {
                    x0[i as usize] = 0.0;
                }
            }
            calls.x0[a * n..(a + 1) * n].copy_from_slice(&x0);
            calls.missing[a] = missing;
        }
    }
    Ok(calls)
}
