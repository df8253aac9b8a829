//! The join: every input's rows matched by variant into sites, in output order.

use std::collections::HashMap;

use super::components::GlobalComponent;
use crate::chrom;
use crate::error::{Error, Result};
use crate::summary::{Summary, Variant};

/// One summary's row of one variant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member {
    pub input: u32,
    pub row: u32,
    /// The row's ALT is the site's REF.
    pub flipped: bool,
}

/// A variant across summaries, in its reported orientation.
///
/// It borrows nothing and owns nothing: its rows are a run of [`Merged`]'s members (one flat
/// vector rather than a vector per site, which dominated the join's cost), and its variant is
/// one of those rows' (see [`Merged::variant`]).
#[derive(Debug, Clone, Copy)]
pub struct Site {
    /// Its members: `Merged::members[start..end]`, in argument and row order.
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// The member whose variant is reported (effect allele = its ALT): the first from a
    /// reference-aware source, else the first.
    pub(crate) reported: u32,
    /// The output rank of its chromosome, for sorting sites.
    pub(crate) chrom: u32,
}

/// The chromosome names of all inputs, numbered once so that sorting rows compares integers
/// rather than text.
struct Chromosomes<'a> {
    /// Name → rank in (output order, name) order: equal ranks are equal names.
    rank: HashMap<&'a str, u32>,
    /// Per rank, the rank of its output order alone: names that order alike (`1` and `01`, say)
    /// share it.
    order: Vec<u32>,
}

impl<'a> Chromosomes<'a> {
    fn new(inputs: &'a [Summary]) -> Chromosomes<'a> {
        let mut names: Vec<&str> = Vec::new();
        for input in inputs {
            let mut last = None;
            for v in &input.rows.variants {
                if last != Some(v.chrom.as_str()) {
                    last = Some(v.chrom.as_str());
                    names.push(&v.chrom);
                }
            }
        }
        names.sort_unstable_by(|a, b| (chrom::order(a), a).cmp(&(chrom::order(b), b)));
        names.dedup();
        let mut order: Vec<u32> = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            order.push(match i.checked_sub(1) {
                Some(p) if chrom::order(names[p]) == chrom::order(name) => order[p],
                _ => i as u32,
            });
        }
        let rank = names
            .iter()
            .enumerate()
            .map(|(i, &n)| (n, i as u32))
            .collect();
        Chromosomes { rank, order }
    }
}

/// A row of an input in the join: its join key (chromosome rank, position, allele pair) and
/// the row.
#[derive(Clone, Copy)]
struct JoinRow {
    pos: u64,
    chrom: u32,
    /// The allele pair packed into an integer that orders and compares like the pair itself
    /// ([`AlleleKey`]), so that rows tying on position compare without reading allele text.
    alleles: AlleleKey,
    member: Member,
}

/// A variant's allele pair in byte order (either orientation gives the same pair), packed into
/// an integer when both alleles are short: each allele's bytes, zero-padded, in a fixed field.
/// No allele byte is zero, so the integers order as the pairs of text do, and are equal exactly
/// when the pairs are. Longer alleles (rare) get [`AlleleKey::TEXT`] and are compared as text.
///
/// ```text
/// A/G   → 0x41_00_00_00_47_00_00_00
/// G/A   → the same (the pair is in byte order)
/// AC/A  → 0x41_00_00_00_41_43_00_00
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AlleleKey(u64);

impl AlleleKey {
    /// Not a packed pair: compare the allele text (no packed pair has 0xFF bytes, which UTF-8
    /// never holds).
    const TEXT: AlleleKey = AlleleKey(u64::MAX);

    /// Bytes per allele in a packed pair.
    const FIELD: usize = 4;

    fn of(v: &Variant) -> AlleleKey {
        let (a, b) = (v.ref_allele.as_bytes(), v.alt_allele.as_bytes());
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let fits = |x: &[u8]| x.len() <= Self::FIELD && !x.contains(&0);
        if !(fits(low) && fits(high)) {
            return AlleleKey::TEXT;
        }
        let mut bytes = [0u8; 8];
        bytes[..low.len()].copy_from_slice(low);
        bytes[Self::FIELD..Self::FIELD + high.len()].copy_from_slice(high);
        AlleleKey(u64::from_be_bytes(bytes))
    }
}

/// Joins the rows of all inputs into sites, in output order, with their members.
///
/// Rows join on (chromosome, position, allele pair in byte order, so either orientation gives
/// the same key). They are sorted by that key rather than hashed: each site's rows then lie
/// side by side (so members are one flat vector), and as the sort is stable they stay in
/// argument and row order, which decides the reported orientation and the row a double-count
/// error names.
pub(crate) fn join_sites(
    inputs: &[Summary],
    component_map: &[Vec<u32>],
    components: &[GlobalComponent],
) -> Result<(Vec<Site>, Vec<Member>)> {
    let reference = reference_aware(inputs);
    let variant = |m: &Member| &inputs[m.input as usize].rows.variants[m.row as usize];
    let alleles = |m: &Member| {
        let v = variant(m);
        if v.ref_allele <= v.alt_allele {
            (&v.ref_allele, &v.alt_allele)
        } else {
            (&v.alt_allele, &v.ref_allele)
        }
    };
    // Within one position: by packed allele pair, by text where either pair is too long.
    let allele_order = |a: &JoinRow, b: &JoinRow| {
        if a.alleles == AlleleKey::TEXT || b.alleles == AlleleKey::TEXT {
            alleles(&a.member).cmp(&alleles(&b.member))
        } else {
            a.alleles.cmp(&b.alleles)
        }
    };

    let chromosomes = Chromosomes::new(inputs);
    let mut rows = join_rows(inputs, &chromosomes);
    let total = rows.len();
    // By chromosome and position first, comparing integers only (every input of a window is
    // in genomic order already, so this stable sort merges sorted runs); then each position's
    // few rows by allele pair. Both sorts are stable, so this is the stable sort by the whole
    // key, without comparing allele strings across the whole window (issue 12).
    if !rows.is_sorted_by_key(|r| (r.chrom, r.pos)) {
        rows.sort_by_key(|r| (r.chrom, r.pos));
    }

    let mut members: Vec<Member> = Vec::with_capacity(total);
    let mut sites: Vec<Site> = Vec::with_capacity(total);
    // The double count met first in argument and row order, as a row-by-row join would report.
    let mut conflict: Option<(Member, Error)> = None;
    // Per global component, the last site (numbered from 1) a row of which holds it: a row
    // meets a double count only if one of its components is marked for its own site, so a
    // site's rows are checked in one pass rather than pair by pair (O(parties²) per site).
    let mut held_at: Vec<u32> = vec![0; components.len()];
    let mut site_number: u32 = 0;
    let globals = |m: Member| {
        let input = m.input as usize;
        inputs[input].rows.components[m.row as usize]
            .iter()
            .map(move |&c| component_map[input][c as usize] as usize)
    };
    for position in rows.chunk_by_mut(|a, b| (a.chrom, a.pos) == (b.chrom, b.pos)) {
        if !position.is_sorted_by(|a, b| allele_order(a, b).is_le()) {
            position.sort_by(allele_order);
        }
        for run in position.chunk_by(|a, b| allele_order(a, b).is_eq()) {
            let start = members.len();
            members.extend(run.iter().map(|r| r.member));
            let site = &mut members[start..];
            let mut reported = 0;
            site_number += 1;
            if site.len() > 1 {
                globals(site[0]).for_each(|g| held_at[g] = site_number);
            }
            for k in 1..site.len() {
                let shares = globals(site[k]).any(|g| held_at[g] == site_number);
                globals(site[k]).for_each(|g| held_at[g] = site_number);
                if shares
                    && conflict.as_ref().is_none_or(|(first, _)| {
                        (site[k].input, site[k].row) < (first.input, first.row)
                    })
                {
                    let reported_variant = variant(&site[reported]);
                    if let Err(e) = check_no_double_count(
                        inputs,
                        component_map,
                        components,
                        &site[..k],
                        reported_variant,
                        site[k],
                    ) {
                        conflict = Some((site[k], e));
                    }
                }
                if reference[site[k].input as usize] && !reference[site[reported].input as usize] {
                    reported = k;
                }
            }
            // A site of one row is never flipped (most sites, when one summary is merged).
            if site.len() > 1 {
                let alt = &variant(&site[reported]).alt_allele;
                for m in site.iter_mut() {
                    m.flipped = variant(m).alt_allele != *alt;
                }
            }
            sites.push(Site {
                start: start as u32,
                end: members.len() as u32,
                reported: (start + reported) as u32,
                chrom: chromosomes.order[run[0].chrom as usize],
            });
        }
    }
    if let Some((_, error)) = conflict {
        return Err(error);
    }

    sort_for_output(inputs, &members, &mut sites);
    Ok((sites, members))
}

/// Per input, whether it comes from a source that knows the reference allele: the first such
/// row of a site gives its reported orientation (DESIGN §1, Alleles).
pub(crate) fn reference_aware(inputs: &[Summary]) -> Vec<bool> {
    inputs
        .iter()
        .map(|input| {
            input
                .header
                .components
                .iter()
                .any(|c| c.source.orientation.is_reference())
        })
        .collect()
}

/// Sorts sites into output order: chromosome, position, REF, ALT of the reported variant, then
/// (for chromosome spellings that order alike) the first row, i.e. order of first appearance.
pub(crate) fn sort_for_output(inputs: &[Summary], members: &[Member], sites: &mut [Site]) {
    let variant = |m: &Member| &inputs[m.input as usize].rows.variants[m.row as usize];
    let key = |site: &Site| {
        let first = members[site.start as usize];
        let v = variant(&members[site.reported as usize]);
        let alleles = (&v.ref_allele, &v.alt_allele);
        (site.chrom, v.pos, alleles, first.input, first.row)
    };
    if !sites.is_sorted_by_key(key) {
        sites.sort_by(|a, b| key(a).cmp(&key(b)));
    }
}

/// Every row of every input as a [`JoinRow`], in argument and row order.
fn join_rows(inputs: &[Summary], chromosomes: &Chromosomes) -> Vec<JoinRow> {
    let total: usize = inputs.iter().map(|input| input.rows.len()).sum();
    let mut rows: Vec<JoinRow> = Vec::with_capacity(total);
    for (i, input) in inputs.iter().enumerate() {
        let mut last: Option<(&str, u32)> = None;
        for (r, v) in input.rows.variants.iter().enumerate() {
            let chrom = match last {
                Some((name, rank)) if name == v.chrom => rank,
                _ => {
                    let rank = chromosomes.rank[v.chrom.as_str()];
                    last = Some((&v.chrom, rank));
                    rank
                }
            };
            let member = Member {
                input: i as u32,
                row: r as u32,
                flipped: false,
            };
            rows.push(JoinRow {
                pos: v.pos,
                chrom,
                alleles: AlleleKey::of(v),
                member,
            });
        }
    }
    rows
}

/// A component may hold a variant once: two rows of it (one summary given twice under two
/// names, overlapping shards, a merged summary with one of its own parts) would double count.
/// `earlier` are the site's rows before `new`, `v` the variant reported so far.
fn check_no_double_count(
    inputs: &[Summary],
    component_map: &[Vec<u32>],
    components: &[GlobalComponent],
    earlier: &[Member],
    v: &Variant,
    new: Member,
) -> Result<()> {
    let (input, row) = (new.input as usize, new.row as usize);
    let new_global = |global: u32| {
        inputs[input].rows.components[row]
            .iter()
            .any(|&c| component_map[input][c as usize] == global)
    };
    for m in earlier {
        let held = &inputs[m.input as usize].rows.components[m.row as usize];
        for &c in held {
            let global = component_map[m.input as usize][c as usize];
            if new_global(global) {
                return Err(Error::input(
                    &inputs[input].path,
                    format!(
                        "party '{}' (component {}) is also in {} at variant {}:{} {}/{}; merging both would count its samples twice",
                        components[global as usize].party,
                        components[global as usize].id,
                        inputs[m.input as usize].path.display(),
                        v.chrom,
                        v.pos,
                        v.ref_allele,
                        v.alt_allele
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(ref_allele: &str, alt_allele: &str) -> Variant {
        Variant {
            chrom: "1".into(),
            pos: 1,
            id: ".".into(),
            ref_allele: ref_allele.into(),
            alt_allele: alt_allele.into(),
        }
    }

    /// The packed keys order and compare exactly as the allele pairs' text (the oracle: the
    /// pair of strings in byte order, compared as Rust compares string tuples), for every pair
    /// of alleles from a set with prefixes, lengths up to the field and past it.
    #[test]
    fn packed_allele_keys_order_as_the_text() {
        let alleles = [
            "A", "C", "G", "T", "AC", "AG", "CA", "ACG", "ACGT", "TTTT", "ACGTA", "N", "*",
        ];
        let pair = |v: &Variant| {
            let (a, b) = (v.ref_allele.to_string(), v.alt_allele.to_string());
            if a <= b {
                (a, b)
            } else {
                (b, a)
            }
        };
        let mut variants = Vec::new();
        for a in alleles {
            for b in alleles {
                variants.push(variant(a, b));
            }
        }
        for x in &variants {
            for y in &variants {
                let (kx, ky) = (AlleleKey::of(x), AlleleKey::of(y));
                if kx == AlleleKey::TEXT || ky == AlleleKey::TEXT {
                    continue;
                }
                assert_eq!(kx.cmp(&ky), pair(x).cmp(&pair(y)), "{x:?} vs {y:?}");
            }
        }
        assert!(AlleleKey::of(&variant("ACGTA", "A")) == AlleleKey::TEXT);
        assert!(AlleleKey::of(&variant("G", "A")) == AlleleKey::of(&variant("A", "G")));
    }
}
