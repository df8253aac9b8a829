//! The join: every input's rows matched by variant into sites, in output order.

use super::components::GlobalComponent;
use crate::chrom;
use crate::error::{Error, Result};
use crate::summary::{short_text, Summary, Variant};

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
struct Chromosomes {
    /// Per name (in the order [`join_rows`] met them), its rank in (output order, name) order:
    /// equal ranks are equal names.
    rank: Vec<u32>,
    /// Per rank, the rank of its output order alone: names that order alike (`1` and `01`, say)
    /// share it.
    order: Vec<u32>,
}

impl Chromosomes {
    /// Ranks `names` (distinct, in any order).
    fn new(names: &[&str]) -> Chromosomes {
        let mut sorted: Vec<(usize, &str)> = names.iter().copied().enumerate().collect();
        sorted.sort_unstable_by(|(_, a), (_, b)| (chrom::order(a), a).cmp(&(chrom::order(b), b)));
        let mut rank = vec![0; names.len()];
        let mut order: Vec<u32> = Vec::with_capacity(names.len());
        for (i, &(met, name)) in sorted.iter().enumerate() {
            rank[met] = i as u32;
            order.push(match i.checked_sub(1) {
                Some(p) if chrom::order(sorted[p].1) == chrom::order(name) => order[p],
                _ => i as u32,
            });
        }
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
    /// REF sorts after ALT: rows of one site are flipped against each other exactly when this
    /// differs (their allele pairs are equal), which spares comparing allele text per row.
    swapped: bool,
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
        let (low, high) = match swapped(v) {
            false => (v.ref_allele.as_bytes(), v.alt_allele.as_bytes()),
            true => (v.alt_allele.as_bytes(), v.ref_allele.as_bytes()),
        };
        let fits = |x: &[u8]| x.len() <= Self::FIELD && !x.contains(&0);
        if !(fits(low) && fits(high)) {
            return AlleleKey::TEXT;
        }
        // Shifted in byte by byte rather than copied into a buffer read back as an integer:
        // two copies of a few bytes and the wider read after them stalled every row (issue 12).
        let field = |x: &[u8]| {
            let packed = x.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            packed << (8 * (Self::FIELD - x.len()))
        };
        AlleleKey((field(low) << (8 * Self::FIELD)) | field(high))
    }
}

/// Whether a variant's REF sorts after its ALT (the pair in byte order is ALT, REF).
fn swapped(v: &Variant) -> bool {
    short_text::compare(&v.ref_allele, &v.alt_allele).is_gt()
}

/// Joins the rows of all inputs into sites, in output order, with their members.
///
/// Rows join on (chromosome, position, allele pair in byte order, so either orientation gives
/// the same key). They are put in that key's order rather than hashed ([`by_position`], then a
/// position's few rows by allele pair): each site's rows then lie side by side (so members are
/// one flat vector), and as both orders are stable they stay in argument and row order, which
/// decides the reported orientation and the row a double-count error names.
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

    let (rows, ends, chromosomes) = join_rows(inputs);
    let total = rows.len();
    // By chromosome and position first, comparing integers only; then each position's few
    // rows by allele pair. Both orders are stable, so this is the stable sort by the whole key,
    // without comparing allele strings across the whole window (issue 12).
    let mut rows = by_position(rows, &ends);

    let mut members: Vec<Member> = Vec::with_capacity(total);
    let mut sites: Vec<Site> = Vec::with_capacity(total);
    // The double count met first in argument and row order, as a row-by-row join would report.
    let mut conflict: Option<(Member, Error)> = None;
    // Per global component, the last site (numbered from 1) a row of which holds it: a row
    // meets a double count only if one of its components is marked for its own site, so a
    // site's rows are checked in one pass rather than pair by pair (O(parties²) per site).
    let mut held_at: Vec<u32> = vec![0; components.len()];
    let mut site_number: u32 = 0;
    let mut in_output_order = true;
    let mut last_position: Option<(u32, u64)> = None;
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
                let swapped = run[reported].swapped;
                for (m, row) in site.iter_mut().zip(run) {
                    m.flipped = row.swapped != swapped;
                }
            }
            let order = chromosomes.order[run[0].chrom as usize];
            // Sites come by chromosome rank and position; only where two share a chromosome
            // order and position (or names that order alike interleave) may the output order
            // differ, and only then is it sorted.
            in_output_order &= last_position < Some((order, run[0].pos));
            last_position = Some((order, run[0].pos));
            sites.push(Site {
                start: start as u32,
                end: members.len() as u32,
                reported: (start + reported) as u32,
                chrom: order,
            });
        }
    }
    if let Some((_, error)) = conflict {
        return Err(error);
    }

    if !in_output_order {
        sort_for_output(inputs, &members, &mut sites);
    }
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

/// Every row of every input as a [`JoinRow`], in argument and row order; where each input's
/// rows end; and the inputs' chromosomes.
///
/// One pass over the rows reads each variant once: a window's variants are far larger than
/// the cache, and a pass for the chromosome names, one for the keys and one for the flips each
/// waited on memory (issue 12).
fn join_rows(inputs: &[Summary]) -> (Vec<JoinRow>, Vec<usize>, Chromosomes) {
    let total: usize = inputs.iter().map(|input| input.rows.len()).sum();
    let mut rows: Vec<JoinRow> = Vec::with_capacity(total);
    let mut ends = Vec::with_capacity(inputs.len());
    // Distinct chromosome names in the order met (a window holds one or two).
    let mut names: Vec<&str> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let mut last: Option<(&str, u32)> = None;
        for (r, v) in input.rows.variants.iter().enumerate() {
            let chrom = match last {
                Some((name, id)) if short_text::same(name, &v.chrom) => id,
                _ => {
                    let id = match names.iter().position(|&n| n == v.chrom) {
                        Some(id) => id,
                        None => {
                            names.push(&v.chrom);
                            names.len() - 1
                        }
                    } as u32;
                    last = Some((&v.chrom, id));
                    id
                }
            };
            rows.push(JoinRow {
                pos: v.pos,
                chrom,
                alleles: AlleleKey::of(v),
                swapped: swapped(v),
                member: Member {
                    input: i as u32,
                    row: r as u32,
                    flipped: false,
                },
            });
        }
        ends.push(rows.len());
    }
    let chromosomes = Chromosomes::new(&names);
    // Most windows hold one chromosome, met first: its rank is its number already, and a pass
    // over every row is spared.
    if chromosomes
        .rank
        .iter()
        .enumerate()
        .any(|(id, &rank)| rank != id as u32)
    {
        for row in &mut rows {
            row.chrom = chromosomes.rank[row.chrom as usize];
        }
    }
    (rows, ends, chromosomes)
}

/// The rows in (chromosome rank, position) order, rows of one position in argument and row
/// order: the stable sort by position of `rows`, which hold each input's rows in turn (`ends`:
/// where each input's rows end).
///
/// An input's rows of a window are in genomic order already, so when every input's are, this
/// merges them, taking each position's rows from every input at once: O(inputs) per position,
/// O(1) per row where most inputs hold most variants, rather than a sort's log(inputs) moves
/// of every row (issue 12). Otherwise (a summary of the old, unsorted kind read whole) it sorts.
fn by_position(mut rows: Vec<JoinRow>, ends: &[usize]) -> Vec<JoinRow> {
    let key = |r: &JoinRow| (r.chrom, r.pos);
    let mut runs: Vec<std::ops::Range<usize>> = Vec::with_capacity(ends.len());
    let mut start = 0;
    for &end in ends {
        if end > start {
            runs.push(start..end);
        }
        start = end;
    }
    if runs.len() < 2
        || !runs
            .iter()
            .all(|run| rows[run.clone()].is_sorted_by_key(key))
    {
        if !rows.is_sorted_by_key(key) {
            rows.sort_by_key(key);
        }
        return rows;
    }
    let mut ordered: Vec<JoinRow> = Vec::with_capacity(rows.len());
    while let Some(next) = runs.iter().map(|run| key(&rows[run.start])).min() {
        let mut emptied = false;
        for run in &mut runs {
            while run.start < run.end && key(&rows[run.start]) == next {
                ordered.push(rows[run.start]);
                run.start += 1;
            }
            emptied |= run.start == run.end;
        }
        if emptied {
            runs.retain(|run| run.start < run.end);
        }
    }
    ordered
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

    fn join_row(chrom: u32, pos: u64, input: u32, row: u32) -> JoinRow {
        JoinRow {
            pos,
            chrom,
            alleles: AlleleKey(0),
            swapped: false,
            member: Member {
                input,
                row,
                flipped: false,
            },
        }
    }

    /// The merge of sorted inputs gives what the standard library's stable sort by position
    /// gives (the oracle): inputs holding the same positions, some, none, or their own, across
    /// two chromosomes, with ties within an input.
    #[test]
    fn merging_sorted_inputs_is_the_stable_sort_by_position() {
        let inputs: Vec<Vec<(u32, u64)>> = vec![
            vec![(0, 1), (0, 2), (0, 2), (0, 5), (1, 1)],
            vec![],
            vec![(0, 2), (0, 3), (1, 1), (1, 4)],
            vec![(0, 1), (0, 5), (0, 5), (1, 0)],
            vec![(1, 7)],
        ];
        let mut rows = Vec::new();
        let mut ends = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            for (r, &(chrom, pos)) in input.iter().enumerate() {
                rows.push(join_row(chrom, pos, i as u32, r as u32));
            }
            ends.push(rows.len());
        }
        let identity = |rows: &[JoinRow]| -> Vec<(u32, u64, u32, u32)> {
            rows.iter()
                .map(|r| (r.chrom, r.pos, r.member.input, r.member.row))
                .collect()
        };
        let mut expected = rows.clone();
        expected.sort_by_key(|r| (r.chrom, r.pos));
        assert_eq!(
            identity(&by_position(rows.clone(), &ends)),
            identity(&expected)
        );

        // An input out of order (an old summary read whole): sorted, as stably.
        rows.swap(0, 3);
        let mut expected = rows.clone();
        expected.sort_by_key(|r| (r.chrom, r.pos));
        assert_eq!(identity(&by_position(rows, &ends)), identity(&expected));
    }
}
