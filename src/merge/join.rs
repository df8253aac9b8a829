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

    /// The key of a variant's allele pair, and whether its REF sorts after its ALT (the pair
    /// in byte order is ALT, REF).
    fn of(v: &Variant) -> (AlleleKey, bool) {
        let (ref_allele, alt_allele) = (v.ref_allele.as_bytes(), v.alt_allele.as_bytes());
        // Most variants are SNPs: one byte each, packed at once (issue 12: the general path
        // below was a third of the join's instructions).
        if let (&[r], &[a]) = (ref_allele, alt_allele) {
            if r != 0 && a != 0 {
                let (low, high) = if r > a { (a, r) } else { (r, a) };
                let key = (u64::from(low) << 56) | (u64::from(high) << 24);
                return (AlleleKey(key), r > a);
            }
        }
        let swapped = short_text::compare(&v.ref_allele, &v.alt_allele).is_gt();
        let (low, high) = match swapped {
            false => (ref_allele, alt_allele),
            true => (alt_allele, ref_allele),
        };
        let fits = |x: &[u8]| x.len() <= Self::FIELD && !x.contains(&0);
        if !(fits(low) && fits(high)) {
            return (AlleleKey::TEXT, swapped);
        }
        // Shifted in byte by byte rather than copied into a buffer read back as an integer:
        // two copies of a few bytes and the wider read after them stalled every row (issue 12).
        let field = |x: &[u8]| {
            let packed = x.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            packed << (8 * (Self::FIELD - x.len()))
        };
        (
            AlleleKey((field(low) << (8 * Self::FIELD)) | field(high)),
            swapped,
        )
    }
}

/// Joins the rows of all inputs into sites, in output order, with their members.
///
/// Rows join on (chromosome, position, allele pair in byte order, so either orientation gives
/// the same key). They are taken in that key's order rather than hashed, position by position
/// (then a position's few rows by allele pair): each site's rows then lie side by side (so
/// members are one flat vector), and as both orders are stable they stay in argument and row
/// order, which decides the reported orientation and the row a double-count error names.
///
/// Inputs whose rows are in genomic order (every window of a merge) are walked together, a
/// k-way merge ([`walk_positions`]); otherwise (a summary of the old, unsorted kind read whole)
/// every row is sorted by position first. Both give the same positions in the same order.
pub(crate) fn join_sites(
    inputs: &[Summary],
    component_map: &[Vec<u32>],
    components: &[GlobalComponent],
) -> Result<(Vec<Site>, Vec<Member>)> {
    let variants: Vec<&[Variant]> = inputs.iter().map(|i| &i.rows.variants[..]).collect();
    let mut sites = SiteBuilder::new(inputs, component_map, components);
    let walked = walk_positions(&variants, |position, order| {
        sites.add_position(position, order)
    });
    if walked.is_err() {
        sites = SiteBuilder::new(inputs, component_map, components);
        let (mut rows, chromosomes) = join_rows(&variants);
        // Stable: a position's rows stay in argument and row order.
        rows.sort_by_key(|r| (r.chrom, r.pos));
        for position in rows.chunk_by_mut(|a, b| (a.chrom, a.pos) == (b.chrom, b.pos)) {
            let order = chromosomes.order[position[0].chrom as usize];
            sites.add_position(position, order);
        }
    }
    sites.finish()
}

/// The sites and members of a join as they are made, position by position.
struct SiteBuilder<'a> {
    inputs: &'a [Summary],
    component_map: &'a [Vec<u32>],
    components: &'a [GlobalComponent],
    /// Per input, whether its source knows the reference allele ([`reference_aware`]).
    reference: Vec<bool>,
    /// No component is in two inputs (no shards of one party): two rows of a site can then
    /// share a component only when both are of one input, and the other sites skip the check.
    disjoint: bool,
    members: Vec<Member>,
    sites: Vec<Site>,
    /// The double count met first in argument and row order, as a row-by-row join would report.
    conflict: Option<(Member, Error)>,
    /// Per global component, the last site (numbered from 1) a row of which holds it: a row
    /// meets a double count only if one of its components is marked for its own site, so a
    /// site's rows are checked in one pass rather than pair by pair (O(parties²) per site).
    held_at: Vec<u32>,
    site_number: u32,
    in_output_order: bool,
    last_position: Option<(u32, u64)>,
}

impl<'a> SiteBuilder<'a> {
    fn new(
        inputs: &'a [Summary],
        component_map: &'a [Vec<u32>],
        components: &'a [GlobalComponent],
    ) -> SiteBuilder<'a> {
        let mut holder = vec![usize::MAX; components.len()];
        let mut disjoint = true;
        for (input, map) in component_map.iter().enumerate() {
            for &global in map {
                let held = &mut holder[global as usize];
                disjoint &= *held == usize::MAX || *held == input;
                *held = input;
            }
        }
        SiteBuilder {
            inputs,
            component_map,
            components,
            reference: reference_aware(inputs),
            disjoint,
            members: Vec::with_capacity(inputs.iter().map(|i| i.rows.len()).sum()),
            sites: Vec::with_capacity(inputs.iter().map(|i| i.rows.len()).max().unwrap_or(0)),
            conflict: None,
            held_at: vec![0; components.len()],
            site_number: 0,
            in_output_order: true,
            last_position: None,
        }
    }

    /// Adds the sites of one position's rows (in argument and row order), whose chromosome
    /// has output order `order`.
    fn add_position(&mut self, position: &mut [JoinRow], order: u32) {
        let inputs = self.inputs;
        // Within one position: by packed allele pair, by text where either pair is too long.
        let allele_order = |a: &JoinRow, b: &JoinRow| {
            if a.alleles == AlleleKey::TEXT || b.alleles == AlleleKey::TEXT {
                text_alleles(inputs, &a.member).cmp(&text_alleles(inputs, &b.member))
            } else {
                a.alleles.cmp(&b.alleles)
            }
        };
        if !position.is_sorted_by(|a, b| allele_order(a, b).is_le()) {
            position.sort_by(allele_order);
        }
        for run in position.chunk_by(|a, b| allele_order(a, b).is_eq()) {
            self.add_site(run, order);
        }
    }

    /// Adds the site of `run`, the rows of one variant.
    fn add_site(&mut self, run: &[JoinRow], order: u32) {
        let inputs = self.inputs;
        let (component_map, reference) = (self.component_map, &self.reference);
        let start = self.members.len();
        self.members.extend(run.iter().map(|r| r.member));
        let site = &mut self.members[start..];
        let mut reported = 0;
        self.site_number += 1;
        let site_number = self.site_number;
        let globals = |m: Member| {
            let input = m.input as usize;
            inputs[input].rows.components[m.row as usize]
                .iter()
                .map(move |&c| component_map[input][c as usize] as usize)
        };
        let check =
            site.len() > 1 && (!self.disjoint || site.windows(2).any(|w| w[0].input == w[1].input));
        if check {
            globals(site[0]).for_each(|g| self.held_at[g] = site_number);
        }
        for k in 1..site.len() {
            if check {
                let shares = globals(site[k]).any(|g| self.held_at[g] == site_number);
                globals(site[k]).for_each(|g| self.held_at[g] = site_number);
                if shares
                    && self.conflict.as_ref().is_none_or(|(first, _)| {
                        (site[k].input, site[k].row) < (first.input, first.row)
                    })
                {
                    let m = site[reported];
                    let reported_variant = &inputs[m.input as usize].rows.variants[m.row as usize];
                    if let Err(e) = check_no_double_count(
                        inputs,
                        component_map,
                        self.components,
                        &site[..k],
                        reported_variant,
                        site[k],
                    ) {
                        self.conflict = Some((site[k], e));
                    }
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
        // Sites come by chromosome rank and position; only where two share a chromosome
        // order and position (or names that order alike interleave) may the output order
        // differ, and only then is it sorted.
        self.in_output_order &= self.last_position < Some((order, run[0].pos));
        self.last_position = Some((order, run[0].pos));
        self.sites.push(Site {
            start: start as u32,
            end: self.members.len() as u32,
            reported: (start + reported) as u32,
            chrom: order,
        });
    }

    /// The sites in output order and their members, or the first double count.
    fn finish(mut self) -> Result<(Vec<Site>, Vec<Member>)> {
        if let Some((_, error)) = self.conflict {
            return Err(error);
        }
        if !self.in_output_order {
            sort_for_output(self.inputs, &self.members, &mut self.sites);
        }
        Ok((self.sites, self.members))
    }
}

/// A row's allele pair as text, in byte order.
fn text_alleles<'a>(inputs: &'a [Summary], m: &Member) -> (&'a str, &'a str) {
    let v = &inputs[m.input as usize].rows.variants[m.row as usize];
    if v.ref_allele <= v.alt_allele {
        (&v.ref_allele, &v.alt_allele)
    } else {
        (&v.alt_allele, &v.ref_allele)
    }
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

/// A join row of row `row` of input `input`, at chromosome rank `chrom`.
fn join_row(v: &Variant, chrom: u32, input: usize, row: usize) -> JoinRow {
    let (alleles, swapped) = AlleleKey::of(v);
    JoinRow {
        pos: v.pos,
        chrom,
        alleles,
        swapped,
        member: Member {
            input: input as u32,
            row: row as u32,
            flipped: false,
        },
    }
}

/// Every row of every input (their variants) as a [`JoinRow`], in argument and row order, and
/// the inputs' chromosomes.
fn join_rows(inputs: &[&[Variant]]) -> (Vec<JoinRow>, Chromosomes) {
    let total: usize = inputs.iter().map(|input| input.len()).sum();
    let mut rows: Vec<JoinRow> = Vec::with_capacity(total);
    // Distinct chromosome names in the order met.
    let mut names: Vec<&str> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let mut last: Option<(&str, u32)> = None;
        for (r, v) in input.iter().enumerate() {
            let chrom = match last {
                Some((name, id)) if short_text::same(name, &v.chrom) => id,
                _ => {
                    let id = name_id(&mut names, &v.chrom);
                    last = Some((&v.chrom, id));
                    id
                }
            };
            rows.push(join_row(v, chrom, i, r));
        }
    }
    let chromosomes = Chromosomes::new(&names);
    for row in &mut rows {
        row.chrom = chromosomes.rank[row.chrom as usize];
    }
    (rows, chromosomes)
}

/// The number of chromosome `name` among `names` (distinct, in the order met), adding it if new.
fn name_id<'a>(names: &mut Vec<&'a str>, name: &'a str) -> u32 {
    match names.iter().position(|n| short_text::same(n, name)) {
        Some(id) => id as u32,
        None => {
            names.push(name);
            (names.len() - 1) as u32
        }
    }
}

/// An input's rows were found out of genomic order: they must be sorted to be joined.
#[derive(Debug)]
struct OutOfOrder;

/// One input in [`walk_positions`]: its rows and the key of the next one.
struct Cursor<'a> {
    input: usize,
    rows: &'a [Variant],
    /// The next row not yet taken.
    next: usize,
    /// Its chromosome's name and (chromosome rank, position).
    name: &'a str,
    key: (u32, u64),
}

/// Walks inputs whose rows are each in genomic order together (a k-way merge), giving each
/// position's rows to `each` in argument and row order, with its chromosome's output order:
/// the positions of the stable sort of every row by position, without sorting, moving or even
/// listing the rows (issue 12: the list and its sorted copy were half of the join's time).
///
/// O(inputs) per position, O(1) per row. `Err` when a row comes before the one above it in its
/// input (nothing given to `each` can then be used); the caller sorts instead.
fn walk_positions(
    inputs: &[&[Variant]],
    mut each: impl FnMut(&mut [JoinRow], u32),
) -> std::result::Result<(), OutOfOrder> {
    // The chromosomes: each input's rows of one chromosome are one run, found by bisection.
    let mut names: Vec<&str> = Vec::new();
    for rows in inputs {
        let mut start = 0;
        while let Some(first) = rows.get(start) {
            let name: &str = &first.chrom;
            name_id(&mut names, name);
            start += rows[start..]
                .partition_point(|v| short_text::same(&v.chrom, name))
                .max(1);
        }
    }
    let chromosomes = Chromosomes::new(&names);
    let rank_of = |name: &str| -> std::result::Result<u32, OutOfOrder> {
        let id = names
            .iter()
            .position(|n| short_text::same(n, name))
            .ok_or(OutOfOrder)?;
        Ok(chromosomes.rank[id])
    };
    let mut cursors: Vec<Cursor> = Vec::with_capacity(inputs.len());
    for (input, rows) in inputs.iter().enumerate() {
        if let Some(first) = rows.first() {
            cursors.push(Cursor {
                input,
                rows,
                next: 0,
                name: &first.chrom,
                key: (rank_of(&first.chrom)?, first.pos),
            });
        }
    }
    let mut position: Vec<JoinRow> = Vec::with_capacity(2 * inputs.len());
    while let Some(next) = cursors.iter().map(|c| c.key).min() {
        position.clear();
        let mut emptied = false;
        for cursor in &mut cursors {
            while cursor.key == next {
                let row = cursor.next;
                position.push(join_row(&cursor.rows[row], next.0, cursor.input, row));
                cursor.next += 1;
                if let Some(ahead) = cursor.rows.get(cursor.next + super::prefetch::AHEAD) {
                    super::prefetch::hint(ahead);
                }
                let Some(v) = cursor.rows.get(cursor.next) else {
                    emptied = true;
                    break;
                };
                if !short_text::same(cursor.name, &v.chrom) {
                    cursor.name = &v.chrom;
                    cursor.key.0 = rank_of(&v.chrom)?;
                }
                cursor.key.1 = v.pos;
                if cursor.key < next {
                    return Err(OutOfOrder);
                }
            }
        }
        if emptied {
            cursors.retain(|c| c.next < c.rows.len());
        }
        each(&mut position, chromosomes.order[next.0 as usize]);
    }
    Ok(())
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
                let (kx, ky) = (AlleleKey::of(x).0, AlleleKey::of(y).0);
                if kx == AlleleKey::TEXT || ky == AlleleKey::TEXT {
                    continue;
                }
                assert_eq!(kx.cmp(&ky), pair(x).cmp(&pair(y)), "{x:?} vs {y:?}");
            }
        }
        assert!(AlleleKey::of(&variant("ACGTA", "A")).0 == AlleleKey::TEXT);
        assert!(AlleleKey::of(&variant("G", "A")).0 == AlleleKey::of(&variant("A", "G")).0);
        // The orientation, against the text's own order.
        for x in &variants {
            let swapped = x.ref_allele.as_str() > x.alt_allele.as_str();
            assert_eq!(AlleleKey::of(x).1, swapped, "{x:?}");
        }
    }

    /// The positions of a walk: per position, its chromosome order and its rows' (input, row,
    /// allele key, swapped).
    type Walked = Vec<(u32, Vec<(u32, u32, u64, bool)>)>;

    fn walk(inputs: &[Vec<Variant>]) -> std::result::Result<Walked, OutOfOrder> {
        let slices: Vec<&[Variant]> = inputs.iter().map(|i| &i[..]).collect();
        let mut walked = Vec::new();
        walk_positions(&slices, |position, order| {
            walked.push((order, identify(position)))
        })?;
        Ok(walked)
    }

    /// The oracle: every row listed and stably sorted by position (the standard library's
    /// sort), cut where the position changes.
    fn sorted(inputs: &[Vec<Variant>]) -> Walked {
        let slices: Vec<&[Variant]> = inputs.iter().map(|i| &i[..]).collect();
        let (mut rows, chromosomes) = join_rows(&slices);
        rows.sort_by_key(|r| (r.chrom, r.pos));
        rows.chunk_by(|a, b| (a.chrom, a.pos) == (b.chrom, b.pos))
            .map(|position| {
                (
                    chromosomes.order[position[0].chrom as usize],
                    identify(position),
                )
            })
            .collect()
    }

    /// A position's rows as (input, row, allele key, swapped).
    fn identify(position: &[JoinRow]) -> Vec<(u32, u32, u64, bool)> {
        position
            .iter()
            .map(|r| (r.member.input, r.member.row, r.alleles.0, r.swapped))
            .collect()
    }

    /// An input's variants from `CHR:POS REF/ALT` texts.
    fn input(rows: &[&str]) -> Vec<Variant> {
        rows.iter()
            .map(|row| {
                let (site, alleles) = row.split_once(' ').unwrap();
                let (chrom, pos) = site.split_once(':').unwrap();
                let (ref_allele, alt_allele) = alleles.split_once('/').unwrap();
                Variant {
                    chrom: chrom.into(),
                    pos: pos.parse().unwrap(),
                    id: ".".into(),
                    ref_allele: ref_allele.into(),
                    alt_allele: alt_allele.into(),
                }
            })
            .collect()
    }

    /// Walking inputs in genomic order gives the positions of the stable sort by position:
    /// inputs holding the same positions, some, none, or their own, across chromosomes that
    /// sort by number and by name, with several rows of one position in one input and either
    /// orientation.
    #[test]
    fn walking_sorted_inputs_gives_the_positions_of_the_stable_sort() {
        let inputs = vec![
            input(&[
                "1:1 A/G", "1:2 A/C", "1:2 A/T", "1:5 C/G", "2:1 G/T", "X:3 A/C",
            ]),
            input(&[]),
            input(&["1:2 C/A", "1:3 G/T", "2:1 T/G", "2:4 A/G", "10:1 A/C"]),
            input(&["1:1 G/A", "1:5 G/C", "1:5 G/T"]),
            input(&["2:7 A/C", "X:3 C/A", "chrUn:9 A/C"]),
        ];
        let walked = walk(&inputs).expect("in order");
        assert_eq!(walked, sorted(&inputs));
        assert_eq!(walked.len(), 10);
    }

    /// An input out of genomic order, by position or by a chromosome met again after another,
    /// stops the walk; the join then sorts.
    #[test]
    fn an_input_out_of_order_stops_the_walk() {
        assert!(walk(&[input(&["1:5 A/C", "1:2 A/C"])]).is_err());
        let chromosome_again = [
            input(&["1:5 A/C", "2:1 A/C", "1:7 A/C"]),
            input(&["1:6 A/C"]),
        ];
        assert!(walk(&chromosome_again).is_err());
        assert!(walk(&[input(&["2:1 A/C", "1:1 A/C"])]).is_err());
    }
}
