//! Top loci by distance-based clumping.
//!
//! Among the variants below the p threshold, the most significant one is a lead; every other
//! hit within ±`window` bp of a lead on its chromosome joins that lead's locus; the next most
//! significant unassigned hit leads the next locus, and so on. Only hits are kept (a merge of
//! millions of variants holds a few thousand), so this costs nothing next to the merge.
//!
//! ```
//! use dash::report::loci::{clump, Hit};
//! let hit = |pos, neg_log10_p| Hit { chrom: "1".into(), pos, neg_log10_p, ..Hit::default() };
//! let loci = clump(vec![hit(1_000_000, 9.0), hit(1_200_000, 12.0), hit(3_000_000, 8.0)], 500_000);
//! assert_eq!(loci.len(), 2);
//! assert_eq!((loci[0].lead.pos, loci[0].variants, loci[0].start), (1_200_000, 2, 1_000_000));
//! assert_eq!(loci[1].lead.pos, 3_000_000);
//! ```

use std::collections::HashMap;

/// A tested variant below the threshold, with what the loci table shows of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hit {
    /// Normalised chromosome.
    pub chrom: String,
    /// Position.
    pub pos: u64,
    /// GWAS-SSF `variant_id`.
    pub variant_id: String,
    /// rsID, or empty.
    pub rsid: String,
    /// Effect allele.
    pub effect_allele: String,
    /// Other allele.
    pub other_allele: String,
    /// β.
    pub beta: f64,
    /// Its standard error.
    pub se: f64,
    /// −log10 p (exact far below 1e-308).
    pub neg_log10_p: f64,
}

/// One locus: its lead and the span of its hits.
#[derive(Debug, Clone, PartialEq)]
pub struct Locus {
    /// The most significant hit.
    pub lead: Hit,
    /// Hits in the locus, the lead included.
    pub variants: usize,
    /// Position of the first hit of the locus.
    pub start: u64,
    /// Position of the last hit of the locus.
    pub end: u64,
}

/// Clumps `hits` into loci, most significant first (ties by genomic position).
pub fn clump(mut hits: Vec<Hit>, window: u64) -> Vec<Locus> {
    hits.sort_by(|a, b| {
        b.neg_log10_p
            .total_cmp(&a.neg_log10_p)
            .then_with(|| crate::chrom::order(&a.chrom).cmp(&crate::chrom::order(&b.chrom)))
            .then(a.pos.cmp(&b.pos))
    });
    let mut loci: Vec<Locus> = Vec::new();
    // Per chromosome, the loci's indices, to find a lead within the window.
    let mut by_chrom: HashMap<String, Vec<usize>> = HashMap::new();
    for hit in hits {
        let leads = by_chrom.entry(hit.chrom.clone()).or_default();
        let near = leads
            .iter()
            .copied()
            .find(|&l| loci[l].lead.pos.abs_diff(hit.pos) <= window);
        match near {
            Some(l) => {
                let locus = &mut loci[l];
                locus.variants += 1;
                locus.start = locus.start.min(hit.pos);
                locus.end = locus.end.max(hit.pos);
            }
            None => {
                leads.push(loci.len());
                loci.push(Locus {
                    start: hit.pos,
                    end: hit.pos,
                    variants: 1,
                    lead: hit,
                });
            }
        }
    }
    loci
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_joins_the_first_lead_within_the_window_only_on_its_chromosome() {
        let hit = |chrom: &str, pos, neg_log10_p| Hit {
            chrom: chrom.into(),
            pos,
            neg_log10_p,
            ..Hit::default()
        };
        let loci = clump(
            vec![
                hit("2", 100, 20.0),
                hit("1", 100, 10.0),
                hit("2", 600, 9.0),   // within 500 of the chr2 lead
                hit("2", 1_200, 8.0), // 1,100 from the lead: its own locus
                hit("1", 650, 7.5),   // chromosome 1's lead is 550 away
            ],
            500,
        );
        let leads: Vec<(&str, u64, usize)> = loci
            .iter()
            .map(|l| (l.lead.chrom.as_str(), l.lead.pos, l.variants))
            .collect();
        assert_eq!(
            leads,
            [("2", 100, 2), ("1", 100, 1), ("2", 1_200, 1), ("1", 650, 1)]
        );
        assert_eq!((loci[0].start, loci[0].end), (100, 600));
    }
}
