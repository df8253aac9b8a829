//! Merging secure summaries: check they belong together, add them mod 2^128, check the canary,
//! decode into one pooled plaintext [`Summary`].
//!
//! The result has one component (the pooled roster) with n and G per group and one row per
//! manifest variant holding the pooled sums; the ordinary merge then tests it as any summary.
//! The rows are pooled a batch at a time, every file read in step ([`open_combined`]), so memory
//! does not grow with the manifest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::keys::Roster;
use super::ring::{decode, recentre_gram, recentre_vector, round_shift, shift_numerator};
use crate::error::{Error, Result};
use crate::genotype::Region;
use crate::genotype::{QcCounts, Variant};
use crate::merge::RowSource;
use crate::summary::id::{component_id, short};
use crate::summary::integrity::Seal;
use crate::summary::ld::LdRow;
use crate::summary::secure::{read_secure_header, word_from_hex, SecureBatches};
use crate::summary::stream::BATCH_ROWS;
use crate::summary::{
    Component, ComponentGroup, GroupLayout, Header, Orientation, Rows, Source, Summary,
};
use ed25519_dalek::VerifyingKey;

/// What a secure merge pooled.
#[derive(Debug, Clone)]
pub struct SecureInfo {
    /// Every roster party (all present).
    pub parties: Vec<String>,
    /// The roster fingerprint.
    pub roster_hash: String,
    /// The manifest fingerprint.
    pub manifest_hash: String,
    /// The secure files, in argument order.
    pub files: Vec<PathBuf>,
    /// The manifest's variants (rows of every file).
    pub rows: u64,
}

/// Checks that the secure summaries at `paths` are intact (checksums), one complete set, each
/// signed by its roster party, and returns their decoded pooled sums, every row in memory (merge
/// streams them instead: [`open_combined`]).
pub fn combine(paths: &[PathBuf]) -> Result<(Summary, SecureInfo)> {
    let (mut summary, mut source, info) = open_combined(paths, None)?;
    while let Some(mut rows) = source.next_rows()? {
        summary.rows.append(&mut rows);
    }
    Ok((summary, info))
}

/// Checks that the secure summaries at `paths` are intact (checksums), one complete set, each
/// signed by its roster party, and that their masks cancel; returns the pooled summary's header
/// (with no rows) and the source of its decoded rows, read from all files in step, in manifest
/// order (restricted to `region` when given).
pub fn open_combined(
    paths: &[PathBuf],
    region: Option<Region>,
) -> Result<(Summary, Box<dyn RowSource>, SecureInfo)> {
    let (headers, seals): (Vec<Header>, Vec<Seal>) = paths
        .par_iter()
        .map(|p| read_secure_header(p))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    check_one_set(paths, &headers)?;
    check_signatures(paths, &headers, &seals)?;
    check_every_party(paths, &headers)?;
    let records: Vec<_> = paths
        .iter()
        .zip(&headers)
        .map(|(p, h)| (p.as_path(), h.sex_chromosomes))
        .collect();
    let sex_chromosomes = crate::summary::sex::agreed(&records)?;
    let first = headers[0].secure.as_ref().expect("validated");
    let mut header_total = vec![0u128; first.header_words.len()];
    for header in &headers {
        let section = header.secure.as_ref().expect("validated");
        for (t, w) in header_total.iter_mut().zip(&section.header_words) {
            *t = t.wrapping_add(word_from_hex(w).expect("validated"));
        }
    }
    if header_total[0] != 0 {
        return Err(Error::model(format!(
            "secure merge: the masks did not cancel (the canary is not zero): a party compressed with a key other than its roster key, or a file was altered; files: {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }

    let set = secure_set_label(paths);
    check_header_counts(&set, &headers[0], &header_total)?;
    let (shifts, numerators) = recentre_header(&headers[0], &mut header_total);
    let header = Header {
        sex_chromosomes,
        ..pooled_header(&headers, &header_total, shifts)
    };
    crate::summary::validate::check_components(&set, &header)?;
    let files = paths
        .iter()
        .map(|p| {
            Ok(FileRows {
                batches: SecureBatches::open(p)?,
                variants: Vec::new(),
                words: Vec::new(),
                ld: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let widths: Vec<usize> = header.groups.iter().map(|g| g.fields.len()).collect();
    let source = PooledRows {
        paths: paths.to_vec(),
        set,
        files,
        rows: first.manifest_rows as usize,
        width: first.words_per_row as usize,
        widths,
        numerators,
        header: header.clone(),
        row: 0,
        last: None,
        region,
        batch_rows: BATCH_ROWS,
    };
    let info = SecureInfo {
        parties: first.roster.clone(),
        roster_hash: first.roster_hash.clone(),
        manifest_hash: first.manifest_hash.clone(),
        files: paths.to_vec(),
        rows: first.manifest_rows,
    };
    let rows = Rows::with_widths(header.groups.iter().map(|g| g.fields.len()));
    let summary = Summary {
        path: paths[0].clone(),
        header,
        rows,
    };
    Ok((summary, Box::new(source), info))
}

/// Every file was made for the first one's roster, manifest and field layout.
fn check_one_set(paths: &[PathBuf], headers: &[Header]) -> Result<()> {
    let first = headers[0].secure.as_ref().expect("validated");
    let (first_path, first_header) = (&paths[0], &headers[0]);
    for (path, header) in paths.iter().zip(headers).skip(1) {
        let section = header.secure.as_ref().expect("validated");
        let differs = |what: &str, a: &str, b: &str| {
            Error::input(
                path,
                format!(
                    "made for another {what} than {} (fingerprint {}… vs {}…); every party must use the same roster, manifest and field layout",
                    first_path.display(),
                    short(a),
                    short(b)
                ),
            )
        };
        if section.roster_hash != first.roster_hash {
            return Err(differs("roster", &section.roster_hash, &first.roster_hash));
        }
        if section.manifest_hash != first.manifest_hash {
            return Err(differs(
                "manifest",
                &section.manifest_hash,
                &first.manifest_hash,
            ));
        }
        let regions = |h: &Header| -> String {
            let list: Vec<&str> = h.ld_regions.iter().map(|r| r.region.as_str()).collect();
            match list.is_empty() {
                true => "none".to_string(),
                false => list.join(", "),
            }
        };
        if header.ld_regions != first_header.ld_regions {
            return Err(Error::input(
                path,
                format!(
                    "LD regions ({}) differ from {}'s ({}); every party must compress with the same --ld-region list",
                    regions(header),
                    first_path.display(),
                    regions(first_header)
                ),
            ));
        }
        if section.layout_hash != first.layout_hash || header.groups != first_header.groups {
            let names = |h: &Header| -> String {
                h.groups
                    .iter()
                    .map(|g| {
                        g.fields
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            return Err(Error::input(
                path,
                format!(
                    "field layout [{}] differs from {}'s [{}]; every party must use the same phenotypes, covariates and --covar-levels",
                    names(header),
                    first_path.display(),
                    names(first_header)
                ),
            ));
        }
    }

    Ok(())
}

/// Every file is signed by its party's key in the roster it embeds (one roster for all files:
/// [`check_one_set`] compared the fingerprints, and the header check its text's).
fn check_signatures(paths: &[PathBuf], headers: &[Header], seals: &[Seal]) -> Result<()> {
    let first = headers[0].secure.as_ref().expect("validated");
    let text = first.roster_text.as_deref().expect("validated");
    let roster = Roster::parse(text, &paths[0])
        .map_err(|e| Error::input(&paths[0], format!("embedded roster: {}", e.message())))?;
    if roster.names() != first.roster {
        return Err(Error::input(
            &paths[0],
            "the roster's party list differs from its embedded roster",
        ));
    }
    for ((path, header), seal) in paths.iter().zip(headers).zip(seals) {
        let party = &header.secure.as_ref().expect("validated").party;
        let verified = roster
            .find(party)
            .and_then(|i| VerifyingKey::from_bytes(roster.signing_key(i)).ok())
            .is_some_and(|key| seal.verify(&key));
        if !verified {
            return Err(Error::input(
                path,
                format!(
                    "signature does not verify with party '{party}''s signing key in roster {}…: the file was not signed by that party's key, or was altered",
                    short(&first.roster_hash)
                ),
            ));
        }
    }
    Ok(())
}

/// The files of a secure set, for errors about their pooled sums.
fn secure_set_label(paths: &[PathBuf]) -> PathBuf {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    PathBuf::from(format!("secure set ({})", names.join(", ")))
}

/// Every roster party's file, each once.
fn check_every_party(paths: &[PathBuf], headers: &[Header]) -> Result<()> {
    let first = headers[0].secure.as_ref().expect("validated");
    let mut present: Vec<(&str, &Path)> = Vec::new();
    for (path, header) in paths.iter().zip(headers) {
        let party = header.secure.as_ref().expect("validated").party.as_str();
        if let Some((_, other)) = present.iter().find(|(p, _)| *p == party) {
            return Err(Error::input(
                path,
                format!(
                    "party '{party}' is also in {}; each roster party's summary may be given once",
                    other.display()
                ),
            ));
        }
        present.push((party, path));
    }
    let have: BTreeSet<&str> = present.iter().map(|(p, _)| *p).collect();
    let missing: Vec<&str> = first
        .roster
        .iter()
        .map(String::as_str)
        .filter(|p| !have.contains(p))
        .collect();
    if !missing.is_empty() {
        return Err(Error::usage(format!(
            "secure merge needs the summary of every roster party: missing {} (have {}); the masks cancel only over the whole roster",
            missing.join(", "),
            have.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }

    Ok(())
}

/// Pooled header words that hold counts — n per group — must decode to whole non-negative
/// numbers, each the Gram matrix's intercept entry: otherwise a party sent malformed words.
fn check_header_counts(set: &Path, header: &Header, header_total: &[u128]) -> Result<()> {
    let mut at = 1;
    for (k, group) in header.groups.iter().enumerate() {
        let j = group.fields.len();
        if !whole(header_total[at]) || header_total[at] != header_total[at + 1] {
            return Err(Error::input(
                set,
                format!(
                    "group {k}: the pooled n ({}) is not a whole number equal to the Gram matrix's intercept entry ({}): a party's words are malformed",
                    decode(header_total[at]),
                    decode(header_total[at + 1])
                ),
            ));
        }
        at += 1 + j * j;
    }
    Ok(())
}

/// Whether a pooled word is a whole non-negative number.
fn whole(w: u128) -> bool {
    w as u64 == 0 && w >> 127 == 0
}

/// Centres the pooled (uncentred) Gram matrices on the pooled means rounded to multiples of
/// 2^−SHIFT_BITS, exactly in the ring, so that decoding to f64 keeps the digits that matter
/// (see [`crate::summary::GroupLayout::shift`]). Returns the shifts per group and the ring
/// numerators that centre the rows alike ([`PooledRows`]).
fn recentre_header(header: &Header, header_total: &mut [u128]) -> (Vec<Vec<f64>>, Vec<Vec<i128>>) {
    let mut shifts = Vec::new();
    let mut numerators = Vec::new();
    let mut at = 1;
    for group in &header.groups {
        let j = group.fields.len();
        let gram = &mut header_total[at + 1..at + 1 + j * j];
        let n = decode(gram[0]);
        let shift: Vec<f64> = (0..j)
            .map(|a| match a {
                0 => 0.0,
                _ if n > 0.0 => round_shift(decode(gram[a]) / n),
                _ => 0.0,
            })
            .collect();
        let d: Vec<i128> = shift.iter().map(|&s| -shift_numerator(s)).collect();
        recentre_gram(gram, &d);
        shifts.push(shift);
        numerators.push(d);
        at += 1 + j * j;
    }
    (shifts, numerators)
}

/// The header of the pooled plaintext summary: one component, the roster, with the decoded n
/// and G per group.
fn pooled_header(headers: &[Header], header_total: &[u128], shifts: Vec<Vec<f64>>) -> Header {
    let first = &headers[0];
    let section = first.secure.as_ref().expect("validated");
    let mut groups = Vec::new();
    let mut at = 1;
    for group in &first.groups {
        let j = group.fields.len();
        let n = decode(header_total[at]).round().max(0.0) as u64;
        let gram = header_total[at + 1..at + 1 + j * j]
            .iter()
            .map(|&w| decode(w))
            .collect();
        groups.push(ComponentGroup { n, gram });
        at += 1 + j * j;
    }
    let mut dosage_fields: Vec<String> = headers
        .iter()
        .map(|h| h.components[0].source.dosage_field.clone())
        .collect();
    dosage_fields.sort();
    dosage_fields.dedup();
    let id = component_id(
        format!(
            "{}|{}|{}",
            section.roster_hash, section.manifest_hash, section.layout_hash
        )
        .as_bytes(),
    );
    Header {
        format: first.format.clone(),
        format_version: first.format_version,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        groups: first
            .groups
            .iter()
            .zip(shifts)
            .map(|(g, shift)| GroupLayout { shift, ..g.clone() })
            .collect(),
        components: vec![Component {
            id,
            party: section.roster.join("+"),
            source: Source {
                format: "secure-sum".to_string(),
                file: String::new(),
                dosage_field: dosage_fields.join(","),
                orientation: Orientation::Manifest,
                haploid_ds_doubled: dosage_fields.iter().any(|f| f == "DS")
                    && headers
                        .iter()
                        .all(|h| h.components[0].source.haploid_as_plink2()),
                selection: Vec::new(),
            },
            groups,
            // The smallest K any party compressed with (the pooled rule is merge's `--min-cell`).
            disclosure: headers
                .iter()
                .filter_map(|h| h.components[0].disclosure.clone())
                .min_by_key(|d| d.min_cell),
            parties: section.roster.clone(),
            sex_source: None,
            // Case/control where every party's values are 1/2-coded.
            case_control: headers[0].components[0]
                .case_control
                .iter()
                .filter(|p| {
                    headers
                        .iter()
                        .all(|h| h.components[0].case_control.contains(p))
                })
                .cloned()
                .collect(),
        }],
        region: None,
        row_order: Some(crate::summary::RowOrder::Genomic),
        ld_regions: first.ld_regions.clone(),
        secure: None,
        sex_chromosomes: first.sex_chromosomes,
    }
}

/// One secure file's rows read but not yet pooled.
struct FileRows {
    batches: SecureBatches,
    variants: Vec<Variant>,
    words: Vec<u128>,
    /// Per row, its masked LD words.
    ld: Vec<Option<Vec<u128>>>,
}

/// Rows taken from one file: variants, W words per row, masked LD words per row.
type Taken = (Vec<Variant>, Vec<u128>, Vec<Option<Vec<u128>>>);

impl FileRows {
    /// Up to `count` next rows (fewer at the end of the file), `width` words each.
    fn take(&mut self, count: usize, width: usize) -> Result<Taken> {
        while self.variants.len() < count {
            match self.batches.next_batch_with_ld()? {
                Some((variants, words, ld)) => {
                    self.variants.extend(variants);
                    self.words.extend(words);
                    self.ld.extend(ld);
                }
                None => break,
            }
        }
        let count = count.min(self.variants.len());
        let rest_variants = self.variants.split_off(count);
        let rest_words = self.words.split_off(count * width);
        let rest_ld = self.ld.split_off(count);
        Ok((
            std::mem::replace(&mut self.variants, rest_variants),
            std::mem::replace(&mut self.words, rest_words),
            std::mem::replace(&mut self.ld, rest_ld),
        ))
    }
}

/// The pooled rows of a secure set: every file's words of a batch of rows added mod 2^128,
/// centred and decoded, batch by batch.
struct PooledRows {
    paths: Vec<PathBuf>,
    /// The set's label in errors about pooled values.
    set: PathBuf,
    files: Vec<FileRows>,
    /// The manifest's rows.
    rows: usize,
    /// Words per row.
    width: usize,
    widths: Vec<usize>,
    numerators: Vec<Vec<i128>>,
    header: Header,
    /// Rows pooled so far.
    row: usize,
    last: Option<Variant>,
    region: Option<Region>,
    /// Rows pooled per batch.
    batch_rows: usize,
}

impl RowSource for PooledRows {
    fn set_batch_rows(&mut self, rows: usize) {
        self.batch_rows = rows.max(1);
    }

    fn next_rows(&mut self) -> Result<Option<Rows>> {
        loop {
            let width = self.width;
            let (variants, mut total, mut ld_total) = self.files[0].take(self.batch_rows, width)?;
            let count = variants.len();
            if count == 0 {
                for (path, file) in self.paths.iter().zip(&mut self.files) {
                    if !file.take(1, width)?.0.is_empty() {
                        return Err(Error::input(
                            path,
                            format!("has more rows than {}", self.paths[0].display()),
                        ));
                    }
                }
                if self.row != self.rows {
                    return Err(Error::input(
                        &self.paths[0],
                        format!("has {} rows, its manifest {}", self.row, self.rows),
                    ));
                }
                return Ok(None);
            }
            if self.row + count > self.rows {
                return Err(Error::input(
                    &self.paths[0],
                    format!("has more rows than its manifest's {}", self.rows),
                ));
            }
            for (path, file) in self.paths.iter().zip(&mut self.files).skip(1) {
                let (theirs, words, ld) = file.take(count, width)?;
                if theirs.len() < count {
                    return Err(Error::input(
                        path,
                        format!(
                            "has {} rows, its manifest {}",
                            self.row + theirs.len(),
                            self.rows
                        ),
                    ));
                }
                for (k, (v, want)) in theirs.iter().zip(&variants).enumerate() {
                    if (&v.chrom, v.pos, &v.ref_allele, &v.alt_allele)
                        != (&want.chrom, want.pos, &want.ref_allele, &want.alt_allele)
                    {
                        return Err(Error::input(
                            path,
                            format!(
                                "row {} is {v}, but {want} in {}",
                                self.row + k + 1,
                                self.paths[0].display()
                            ),
                        ));
                    }
                }
                for (t, w) in total.iter_mut().zip(&words) {
                    *t = t.wrapping_add(*w);
                }
                // Every file's rows were checked against the same header: an LD row has the
                // same length in each.
                for (t, w) in ld_total.iter_mut().zip(&ld) {
                    if let (Some(t), Some(w)) = (t, w) {
                        t.iter_mut()
                            .zip(w)
                            .for_each(|(t, w)| *t = t.wrapping_add(*w));
                    }
                }
            }
            let first = self.row;
            self.row += count;
            self.check_counts(&variants, &total, first)?;
            let mut rows = self.decode(variants, &mut total);
            rows.ld = self.decode_ld(&rows.variants, ld_total);
            crate::summary::validate::check_rows(&self.set, &self.header, &rows, first)?;
            crate::summary::stream::check_order(
                &self.paths[0],
                &mut self.last,
                &rows.variants,
                first,
            )?;
            if let Some(region) = &self.region {
                rows = crate::summary::stream::in_region(rows, region);
            }
            if !rows.is_empty() {
                return Ok(Some(rows));
            }
        }
    }
}

impl PooledRows {
    /// Pooled words that hold counts — per row the QC counts and each group's missing count —
    /// must decode to whole non-negative numbers: otherwise a party sent malformed words.
    fn check_counts(&self, variants: &[Variant], total: &[u128], first_row: usize) -> Result<()> {
        let widths = &self.widths;
        let bad_row = total.par_chunks(self.width).position_first(|row| {
            let mut at = 0;
            for &j in widths {
                if !whole(row[at + j]) {
                    return true;
                }
                at += 2 * j + 1;
            }
            // hom-REF, het, hom-ALT, missing, observed.
            !row[at..at + 5].iter().all(|&w| whole(w))
        });
        if let Some(r) = bad_row {
            let v = &variants[r];
            return Err(Error::input(
                &self.set,
                "pooled missing-call or genotype counts are not whole non-negative numbers: a party's words are malformed",
            )
            .at(format!(
                "row {} (variant {v})",
                first_row + r + 1,
            )));
        }
        Ok(())
    }

    /// Decodes the pooled LD words of a batch's rows ([`crate::secure::ld`]): per group the
    /// four pair sums, then the four joint-carrier counts, m each.
    fn decode_ld(
        &self,
        variants: &[Variant],
        pooled: Vec<Option<Vec<u128>>>,
    ) -> Vec<Option<LdRow>> {
        if self.header.ld_regions.is_empty() {
            return Vec::new();
        }
        pooled
            .into_iter()
            .zip(variants)
            .map(|(words, variant)| {
                let words = words?;
                let region = self.header.ld_regions.iter().position(|record| {
                    Region::parse(&record.region)
                        .is_ok_and(|r| r.contains(&variant.chrom, variant.pos))
                })?;
                let per_group = words.len() / self.widths.len();
                let (mut groups, mut cells) = (Vec::new(), Vec::new());
                for group in words.chunks_exact(per_group) {
                    let values: Vec<f64> = group.iter().map(|&w| decode(w)).collect();
                    let (sums, counts) = values.split_at(per_group / 2);
                    groups.push(sums.to_vec());
                    cells.push(counts.to_vec());
                }
                Some(LdRow {
                    region: region as u32,
                    groups,
                    cells,
                })
            })
            .collect()
    }

    /// Centres pooled row words on the header's shifts and decodes them.
    fn decode(&self, variants: Vec<Variant>, total: &mut [u128]) -> Rows {
        let (width, widths, numerators) = (self.width, &self.widths, &self.numerators);
        total.par_chunks_mut(width).for_each(|row| {
            let mut at = 0;
            for (d, &j) in numerators.iter().zip(widths) {
                recentre_vector(&mut row[at..at + j], d);
                recentre_vector(&mut row[at + j..at + 2 * j], d);
                at += 2 * j + 1;
            }
        });
        let mut rows = Rows::with_widths(widths.iter().copied());
        for words in total.chunks(width) {
            let mut at = 0;
            for (sums, &j) in rows.groups.iter_mut().zip(widths) {
                sums.atx0
                    .extend(words[at..at + j].iter().map(|&w| decode(w)));
                sums.atu
                    .extend(words[at + j..at + 2 * j].iter().map(|&w| decode(w)));
                sums.x0x0.push(decode(words[at + 2 * j]));
                at += 2 * j + 1;
            }
            let count = |w: u128| decode(w).round().max(0.0) as u64;
            rows.qc.push(QcCounts {
                hom_ref: count(words[at]),
                het: count(words[at + 1]),
                hom_alt: count(words[at + 2]),
                missing: count(words[at + 3]),
                observed: count(words[at + 4]),
                dosage_sum: decode(words[at + 5]),
                dosage_sq_sum: decode(words[at + 6]),
                // A secure set carries no per-sex counts: merge's chrX QC skips its non-PAR
                // chrX variants (`xchr_qc_no_sex_split`).
                by_sex: None,
            });
        }
        rows.components = vec![crate::summary::ComponentSet::One(0); variants.len()];
        rows.variants = variants;
        rows
    }
}
