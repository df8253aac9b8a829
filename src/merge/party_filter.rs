//! Per-party QC filters (`--party-maf`, `--party-mac`, `--party-geno`, `--party-hwe`,
//! `--party-min-info`): a party whose own counts of a variant fail is left out of that variant,
//! exactly as if its summary did not hold it.
//!
//! The filters are plink2's ([`QcFilters`]), applied to each party's own row instead of the
//! pooled counts, before anything is summed: the party's samples then leave that variant's n,
//! its sums leave the regression, and the remaining parties are pooled exactly (DESIGN §1's
//! partial overlap). A variant every holder of which fails is not tested at all. Which party was
//! left out of which variant, and why, is returned for the merge's accounting
//! ([`crate::output::party_filtered`]).
//!
//! Each input must be one party's own summary: a merged summary's counts are pooled over its
//! parties, and a secure set reveals only pooled counts, so neither can be filtered per party
//! (see [`check_single_parties`]).

use super::join::{reference_aware, sort_for_output, Member, Site};
use super::Merged;
use crate::error::{Error, Result};
use crate::qc::QcFilters;
use crate::regression::SkipReason;
use crate::summary::{Summary, Variant};

/// One party left out of one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyLeftOut {
    /// The variant, in the orientation it was reported in before the filter.
    pub variant: Variant,
    /// The party's name.
    pub party: String,
    /// The first per-party filter its counts failed.
    pub reason: SkipReason,
    /// How many parties still hold the variant (0: it is not tested).
    pub parties_left: usize,
}

/// Refuses per-party filters on inputs that do not carry one party's own counts: a merged
/// summary (several parties per row) or a secure set.
pub fn check_single_parties(inputs: &[Summary], filters: &QcFilters, secure: bool) -> Result<()> {
    if !filters.any() {
        return Ok(());
    }
    if secure {
        return Err(Error::usage(
            "--party-maf/--party-mac/--party-geno/--party-hwe/--party-min-info need each party's own counts, which secure summaries do not reveal (use the pooled --maf/--mac/--geno/--hwe/--min-info)",
        ));
    }
    for input in inputs {
        let parties = input.header.components.len();
        if parties > 1 {
            return Err(Error::input(
                &input.path,
                format!(
                    "is a merged summary of {parties} parties whose QC counts are pooled: per-party filters (--party-*) need each party's own summary"
                ),
            ));
        }
    }
    Ok(())
}

impl Merged {
    /// Leaves every party whose own counts fail `filters` out of the variants they fail on:
    /// their rows leave the sites, a site's reported row and flips are chosen again among the
    /// rows left (as the join chooses them), and a site with no row left is removed. Returns
    /// who was left out of what, in site order; the sites removed are in
    /// [`Merged::party_removed`].
    pub(crate) fn apply_party_filters(&mut self, filters: &QcFilters) -> Vec<PartyLeftOut> {
        let mut left_out = Vec::new();
        if !filters.any() {
            return left_out;
        }
        let reference = reference_aware(&self.inputs);
        let mut members: Vec<Member> = Vec::with_capacity(self.members.len());
        let mut sites: Vec<Site> = Vec::with_capacity(self.sites.len());
        let mut failed: Vec<(Member, SkipReason)> = Vec::new();
        let mut removed: Vec<Variant> = Vec::new();
        for site in &self.sites {
            let start = members.len();
            failed.clear();
            for &m in self.members(site) {
                let qc = &self.inputs[m.input as usize].rows.qc[m.row as usize];
                let non_par_x = self.is_non_par_x(self.row_variant(m));
                match filters.removes(qc, non_par_x) {
                    Some(reason) => failed.push((m, reason)),
                    None => members.push(m),
                }
            }
            let kept = members.len() - start;
            if !failed.is_empty() {
                let variant = self.variant(site);
                for &(m, reason) in &failed {
                    left_out.push(PartyLeftOut {
                        variant: variant.clone(),
                        party: self.party_of(m),
                        reason,
                        parties_left: kept,
                    });
                }
            }
            if kept == 0 {
                removed.push(self.variant(site).clone());
                continue;
            }
            let rows = &mut members[start..];
            let reported = rows
                .iter()
                .position(|m| reference[m.input as usize])
                .unwrap_or(0);
            let alt = self.row_variant(rows[reported]).alt_allele.clone();
            for m in rows.iter_mut() {
                m.flipped = self.row_variant(*m).alt_allele != alt;
            }
            sites.push(Site {
                start: start as u32,
                end: members.len() as u32,
                reported: (start + reported) as u32,
                chrom: site.chrom,
            });
        }
        // A site reported in the other orientation now may sort differently among the
        // variants at its position.
        sort_for_output(&self.inputs, &members, &mut sites);
        self.members = members;
        self.sites = sites;
        self.party_removed = removed;
        left_out
    }

    /// The variant of one summary row, in that row's own orientation.
    fn row_variant(&self, m: Member) -> &Variant {
        &self.inputs[m.input as usize].rows.variants[m.row as usize]
    }

    /// The party of a row of a single-party summary ([`check_single_parties`]).
    fn party_of(&self, m: Member) -> String {
        let held = &self.inputs[m.input as usize].rows.components[m.row as usize];
        let global = held
            .first()
            .map(|&c| self.component_map[m.input as usize][c as usize]);
        global.map_or_else(
            || self.inputs[m.input as usize].path.display().to_string(),
            |g| self.components[g as usize].party.clone(),
        )
    }
}
