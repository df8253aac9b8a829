//! Which variants a reader yields: those in `--region` (by binary search in the `.pvar`'s
//! positions), each with its testable ALT alleles, without repeats of an earlier variant.

use std::path::Path;

use crate::genotype::dosage::{RecordSite, SkipCounts};
use crate::genotype::{Region, Variant};

/// The ALT alleles of one `.pvar` line that are tested.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Index of the variant in the `.pvar`/`.pgen`.
    pub site: usize,
    /// Allele numbers (1 = ALT1) of the tested ALT alleles.
    pub alts: Vec<u32>,
}

/// The variants to read: those in `region` (all without one), each with its tested ALT
/// alleles, duplicates of an earlier (chromosome, position, allele pair) dropped; the skip
/// counts; the note on duplicates.
pub fn plan(
    sites: &[RecordSite],
    region: Option<&Region>,
    pvar: &Path,
) -> (Vec<Unit>, SkipCounts, Option<String>) {
    let selected = match region {
        None => (0..sites.len()).collect(),
        Some(r) => in_region(sites, r),
    };
    let mut skipped = SkipCounts::default();
    let mut flat: Vec<(usize, u32)> = Vec::new();
    let mut variants: Vec<Variant> = Vec::new();
    for &s in &selected {
        for alt in sites[s].tested_alts(&mut skipped) {
            flat.push((s, alt));
            variants.push(sites[s].variant(alt));
        }
    }
    let order: Vec<usize> = (0..flat.len()).collect();
    let (dropped, note) = crate::genotype::duplicates::duplicates_among(&variants, &order, |i| {
        let (s, _) = flat[i];
        let v = &variants[i];
        format!("{} (variant {} of {}, {v})", v.id, s + 1, pvar.display(),)
    });
    let mut units: Vec<Unit> = Vec::new();
    for (i, &(site, alt)) in flat.iter().enumerate() {
        if dropped.contains(&i) {
            continue;
        }
        match units.last_mut() {
            Some(unit) if unit.site == site => unit.alts.push(alt),
            _ => units.push(Unit {
                site,
                alts: vec![alt],
            }),
        }
    }
    (units, skipped, note)
}

/// The variants in `region`: by binary search when the region's chromosome is one run of
/// sorted positions (as plink2 writes a sorted fileset), else by a scan.
fn in_region(sites: &[RecordSite], region: &Region) -> Vec<usize> {
    let first = sites.iter().position(|s| s.chrom == region.chrom);
    let Some(first) = first else {
        return Vec::new();
    };
    let run_end = first + sites[first..].partition_point(|s| s.chrom == region.chrom);
    let run = &sites[first..run_end];
    let one_sorted_run = run.windows(2).all(|w| w[0].pos <= w[1].pos)
        && !sites[run_end..].iter().any(|s| s.chrom == region.chrom);
    if one_sorted_run {
        let start = run.partition_point(|s| s.pos < region.start);
        let end = run.partition_point(|s| s.pos <= region.end);
        return (first + start..first + end).collect();
    }
    (0..sites.len())
        .filter(|&i| region.contains(&sites[i].chrom, sites[i].pos))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(chrom: &str, pos: u64) -> RecordSite {
        RecordSite {
            chrom: chrom.into(),
            pos,
            id: ".".into(),
            ref_allele: "A".into(),
            alts: vec!["C".into()],
        }
    }

    #[test]
    fn region_by_binary_search_or_scan() {
        let sorted = [
            site("1", 5),
            site("2", 1),
            site("2", 7),
            site("2", 7),
            site("2", 9),
        ];
        let r = Region::parse("2:7-8").unwrap();
        assert_eq!(in_region(&sorted, &r), [2, 3]);
        assert_eq!(
            in_region(&sorted, &Region::parse("3").unwrap()),
            Vec::<usize>::new()
        );
        // Chromosome 2 in two runs, and unsorted: scanned.
        let unsorted = [site("2", 9), site("1", 5), site("2", 7), site("2", 1)];
        assert_eq!(
            in_region(&unsorted, &Region::parse("2:1-7").unwrap()),
            [2, 3]
        );
    }
}
