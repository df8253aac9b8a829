//! `dash compress --secure`: the masked sink — one party's sums, in manifest order, encoded and
//! masked.
//!
//! Blocks are summed by the ordinary compress driver ([`compress_into`]); this
//! [`Sink`] matches each variant is matched to its
//! manifest row (flipped exactly when its alleles are the other way round), encoded
//! ([`super::ring`]) and masked at its row's stream position — in the worker pool. Rows
//! are written in manifest order; a manifest row the party lacks is written as all missing
//! (`Aᵀx0 = 0`, `Aᵀu = Aᵀ1`, `x0·x0 = 0`, every call missing). The genotype file must list
//! positions in manifest order (the ALTs of one position may come in any order); a variant the
//! manifest lacks is skipped and counted.

use std::collections::BTreeMap;
use std::path::Path;

use super::ld::{masked_ld, MaskedLd};
use super::manifest::Manifest;
use super::mask::{Binding, Masks, MAX_WORDS};
use super::ring::{self, FRACTION_BITS};
use super::{layout_hash, SecureSetup, SCHEME};
use crate::compress::{compress_into, CompressOptions, Sink};
use crate::error::{Error, Result};
use crate::genotype::{BlockReader, Region, Variant};
use crate::samples::SampleFields;
use crate::summary::id::component_id;
use crate::summary::secure::{header_word_count, word_to_hex, words_per_row, SecureWriter};
use crate::summary::{
    Component, GroupLayout, Header, Rows, SecureSection, FORMAT_NAME, FORMAT_VERSION,
};

/// What a secure compress run did.
#[derive(Debug, Clone, Default)]
pub struct SecureStats {
    /// Rows written (= manifest rows).
    pub rows: u64,
    /// Manifest rows found in the genotypes.
    pub matched: u64,
    /// Of those, rows whose alleles were flipped to the manifest's orientation.
    pub flipped: u64,
    /// Genotype variants not in the manifest (skipped).
    pub not_in_manifest: u64,
    /// Samples per group.
    pub group_sizes: Vec<usize>,
    /// Peers whose masks were added.
    pub peers: usize,
}

/// The party's constants that rows are built from.
struct Frame {
    widths: Vec<usize>,
    /// Words per row.
    width: usize,
    /// Header words before row 0 in the streams.
    header_words: u64,
    /// Per group, `A'ᵀ1 = G'[:, 0]` of the centred fields (entry 0: n).
    column_sums: Vec<Vec<f64>>,
    /// Samples in some group: the QC counts' samples.
    n_contributed: usize,
    /// Per group and field, the party's centring shift over 2^−SHIFT_BITS.
    shifts: Vec<Vec<i128>>,
}

impl Frame {
    /// Values of one row, in word order.
    fn values(&self, rows: &Rows, v: usize, flip: bool) -> Vec<f64> {
        let mut values = Vec::with_capacity(self.width);
        for (sums, ones) in rows.groups.iter().zip(&self.column_sums) {
            let (atx0, atu, x0x0) = (sums.atx0(v), sums.atu(v), sums.x0x0[v]);
            if flip {
                // x' = 2 − x on observed calls (DESIGN §1), with G'[:, 0] = A'ᵀ1.
                let n_obs = ones[0] - atu[0];
                values.extend((0..sums.width).map(|a| 2.0 * (ones[a] - atu[a]) - atx0[a]));
                values.extend_from_slice(atu);
                values.push(x0x0 + 4.0 * n_obs - 4.0 * atx0[0]);
            } else {
                values.extend_from_slice(atx0);
                values.extend_from_slice(atu);
                values.push(x0x0);
            }
        }
        let qc = if flip {
            rows.qc[v].flipped()
        } else {
            rows.qc[v].clone()
        };
        values.extend([
            qc.hom_ref as f64,
            qc.het as f64,
            qc.hom_alt as f64,
            qc.missing as f64,
            qc.observed as f64,
            qc.dosage_sum,
            qc.dosage_sq_sum,
        ]);
        values
    }

    /// Encodes a row's (centred) values and undoes the centring in the ring.
    fn encode_row(&self, values: &[f64], what: impl Fn() -> String) -> Result<Vec<u128>> {
        let mut words = encode_all(values, what)?;
        let mut at = 0;
        for (shift, &j) in self.shifts.iter().zip(&self.widths) {
            ring::recentre_vector(&mut words[at..at + j], shift);
            ring::recentre_vector(&mut words[at + j..at + 2 * j], shift);
            at += 2 * j + 1;
        }
        Ok(words)
    }

    /// Values of a row the party lacks: every call missing.
    fn missing_values(&self) -> Vec<f64> {
        let mut values = Vec::with_capacity(self.width);
        for (ones, &j) in self.column_sums.iter().zip(&self.widths) {
            values.extend(std::iter::repeat_n(0.0, j));
            values.extend_from_slice(ones);
            values.push(0.0);
        }
        // hom-REF, het, hom-ALT, missing (every contributed sample), observed, Σx, Σx².
        values.extend([0.0, 0.0, 0.0, self.n_contributed as f64, 0.0, 0.0, 0.0]);
        values
    }
}

fn encode_all(values: &[f64], what: impl Fn() -> String) -> Result<Vec<u128>> {
    values
        .iter()
        .map(|&v| {
            ring::encode(v).map_err(|_| {
                Error::model(format!(
                    "{}: the sum {v:e} is outside the secure encoding's range (|value| < 2^56); rescale the phenotype or covariate",
                    what()
                ))
            })
        })
        .collect()
}

/// The LD regions of a secure compress (`--ld-region`) and how to read one.
pub struct SecureLdJob<'a> {
    /// The regions, checked.
    pub regions: &'a [Region],
    /// Opens the genotypes restricted to a region.
    pub open: &'a dyn Fn(&Region) -> Result<Box<dyn BlockReader>>,
}

/// Runs secure compress; `fields` must be built with [`super::secure_field_options`]; with
/// `ld`, the rows of its regions also carry masked LD words ([`super::ld`]).
pub fn compress_secure(
    reader: &mut dyn BlockReader,
    fields: &SampleFields,
    options: &CompressOptions,
    setup: &SecureSetup,
    ld: Option<SecureLdJob>,
    out: &Path,
) -> Result<SecureStats> {
    // The words hold uncentred sums (the party's own centring is undone in the ring), so the
    // published layout has shift 0 and reveals nothing of the party's means.
    let layouts: Vec<GroupLayout> = fields
        .groups
        .iter()
        .map(|g| GroupLayout {
            shift: vec![0.0; g.fields.len()],
            ..g.layout()
        })
        .collect();
    let ld_names: Vec<String> = ld
        .as_ref()
        .map(|job| job.regions.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let binding = Binding {
        roster_hash: setup.roster.hash(),
        manifest_hash: setup.manifest.hash(),
        layout_hash: layout_hash(&layouts, &ld_names),
    };
    let names = setup.roster.names();
    let publics: Vec<[u8; 32]> = (0..setup.roster.len())
        .map(|i| *setup.roster.key(i))
        .collect();
    let masks = Masks::new(&setup.key, setup.me, &names, &publics, &binding)
        .map_err(|m| Error::input(&setup.roster_path, m))?;
    let frame = Frame::new(fields, &layouts);
    if frame.header_words + setup.manifest.len() as u64 * frame.width as u64 > MAX_WORDS {
        return Err(Error::usage(format!(
            "the manifest has too many rows for one secure summary with {} words per row; split it by chromosome",
            frame.width
        )));
    }
    let header_words = frame.masked_header_words(fields, &masks)?;
    let masked_ld = match ld {
        None => MaskedLd::default(),
        Some(job) => {
            let first_word = frame.header_words + setup.manifest.len() as u64 * frame.width as u64;
            masked_ld(
                job.open,
                fields,
                &setup.manifest,
                job.regions,
                &masks,
                first_word,
            )?
        }
    };
    let mut header = masked_header(
        reader,
        options,
        setup,
        &binding,
        layouts,
        &frame,
        header_words,
    );
    header.components[0].case_control = fields.case_control.clone();
    header.ld_regions = masked_ld.regions;

    let encoder = MaskedEncoder {
        missing: frame.encode_row(&frame.missing_values(), || "an all-missing row".to_string())?,
        frame,
        masks,
        manifest: &setup.manifest,
    };
    let sink = MaskedSink {
        writer: SecureWriter::create(out, &header, setup.signing.clone(), masked_ld.rows)?,
        source: &options.source_file,
        encoder: &encoder,
        starts: setup.manifest.position_starts(),
        next: 0,
        pending: BTreeMap::new(),
        batch_start: 0,
        batch_words: Vec::new(),
        stats: SecureStats {
            rows: setup.manifest.len() as u64,
            group_sizes: fields.groups.iter().map(|g| g.n()).collect(),
            peers: encoder.masks.peers(),
            ..SecureStats::default()
        },
    };
    compress_into(reader, fields, options, &encoder, sink)
}

impl Frame {
    /// The constants of a party's rows for these fields and (uncentred) layouts.
    fn new(fields: &SampleFields, layouts: &[GroupLayout]) -> Frame {
        let widths: Vec<usize> = layouts.iter().map(|l| l.fields.len()).collect();
        Frame {
            width: words_per_row(&widths),
            header_words: header_word_count(&widths) as u64,
            column_sums: fields
                .groups
                .iter()
                .zip(&widths)
                .map(|(g, &j)| {
                    let gram = g.gram();
                    (0..j).map(|a| gram[a * j]).collect()
                })
                .collect(),
            widths,
            n_contributed: fields.n_contributed(),
            shifts: fields
                .groups
                .iter()
                .map(|g| g.shift.iter().map(|&s| ring::shift_numerator(s)).collect())
                .collect(),
        }
    }

    /// The header words, masked: the zero canary, then per group n and G (uncentred in the
    /// ring).
    fn masked_header_words(&self, fields: &SampleFields, masks: &Masks) -> Result<Vec<u128>> {
        let mut values = vec![0.0];
        for group in &fields.groups {
            values.push(group.n() as f64);
            values.extend_from_slice(&group.gram());
        }
        let mut words = encode_all(&values, || "the Gram matrix".to_string())?;
        let mut at = 1;
        for (shift, &j) in self.shifts.iter().zip(&self.widths) {
            ring::recentre_gram(&mut words[at + 1..at + 1 + j * j], shift);
            at += 1 + j * j;
        }
        masks.apply(0, &mut words);
        Ok(words)
    }
}

/// The header of a party's secure summary: one component without plaintext groups, and the
/// `secure` section binding its masks.
fn masked_header(
    reader: &dyn BlockReader,
    options: &CompressOptions,
    setup: &SecureSetup,
    binding: &Binding,
    layouts: Vec<GroupLayout>,
    frame: &Frame,
    header_words: Vec<u128>,
) -> Header {
    let party = setup.roster.name(setup.me).to_string();
    let id = component_id(
        format!(
            "{}|{}|{}|{party}",
            binding.roster_hash, binding.manifest_hash, binding.layout_hash
        )
        .as_bytes(),
    );
    Header {
        format: FORMAT_NAME.to_string(),
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        groups: layouts,
        components: vec![Component {
            id,
            party: party.clone(),
            source: crate::compress::source_record(reader, options),
            groups: Vec::new(),
            disclosure: Some(crate::compress::disclosure_record(
                options.min_cell,
                &crate::compress::disclosure::SECURE_RULES,
            )),
            parties: Vec::new(),
            case_control: Vec::new(),
            sex_source: None,
        }],
        region: None,
        row_order: Some(crate::summary::RowOrder::Genomic),
        sex_chromosomes: options.sex_chromosomes,
        ld_regions: Vec::new(),
        secure: Some(SecureSection {
            scheme: SCHEME.to_string(),
            party,
            roster: setup.roster.names(),
            roster_hash: binding.roster_hash.clone(),
            manifest_hash: binding.manifest_hash.clone(),
            manifest_rows: setup.manifest.len() as u64,
            layout_hash: binding.layout_hash.clone(),
            fraction_bits: FRACTION_BITS,
            words_per_row: frame.width as u32,
            header_words: header_words.iter().map(|&w| word_to_hex(w)).collect(),
            roster_text: Some(setup.roster.canonical()),
        }),
    }
}

/// The parallel half of the masked sink: matches a block's variants to manifest rows, encodes
/// and masks them.
pub struct MaskedEncoder<'a> {
    frame: Frame,
    masks: Masks,
    manifest: &'a Manifest,
    /// The encoded (unmasked) words of a row the party lacks.
    missing: Vec<u128>,
}

impl MaskedEncoder<'_> {
    fn encode_block(&self, rows: Rows) -> Result<BlockOut> {
        let frame = &self.frame;
        let mut result = BlockOut::default();
        for (v, variant) in rows.variants.iter().enumerate() {
            let Some((row, flip)) = self.manifest.find(
                &variant.chrom,
                variant.pos,
                &variant.ref_allele,
                &variant.alt_allele,
            ) else {
                result.not_in_manifest += 1;
                continue;
            };
            let describe = || format!("variant {variant}");
            let words = frame.encode_row(&frame.values(&rows, v, flip), describe)?;
            result.flipped += u64::from(flip);
            result.rows.push((row, variant.clone(), words));
        }
        // Mask runs of consecutive manifest rows with one keystream pass each.
        let mut start = 0;
        while start < result.rows.len() {
            let mut end = start + 1;
            while end < result.rows.len() && result.rows[end].0 == result.rows[end - 1].0 + 1 {
                end += 1;
            }
            let mut run: Vec<u128> = result.rows[start..end]
                .iter()
                .flat_map(|(_, _, w)| w.iter().copied())
                .collect();
            let first = result.rows[start].0 as u64;
            self.masks
                .apply(frame.header_words + first * frame.width as u64, &mut run);
            for (k, chunk) in run.chunks_exact(frame.width).enumerate() {
                result.rows[start + k].2.copy_from_slice(chunk);
            }
            start = end;
        }
        Ok(result)
    }

    /// The masked words of manifest row `row` for a party that lacks it.
    fn missing_row(&self, row: usize) -> Vec<u128> {
        let mut words = self.missing.clone();
        self.masks.apply(
            self.frame.header_words + row as u64 * self.frame.width as u64,
            &mut words,
        );
        words
    }
}

/// One block's matched rows: (manifest row, the file's variant, masked words).
#[derive(Default)]
pub struct BlockOut {
    rows: Vec<(usize, Variant, Vec<u128>)>,
    not_in_manifest: u64,
    flipped: u64,
}

/// The masked summary: writes rows in manifest order, filling rows the party lacks.
pub struct MaskedSink<'a> {
    writer: SecureWriter,
    /// The genotype file, for messages.
    source: &'a str,
    encoder: &'a MaskedEncoder<'a>,
    /// Per manifest row, the first row at its position ([`Manifest::position_starts`]).
    starts: Vec<usize>,
    /// Next manifest row to write.
    next: usize,
    pending: BTreeMap<usize, Vec<u128>>,
    /// First manifest row of the batch being gathered (the batch ends at `next`).
    batch_start: usize,
    batch_words: Vec<u128>,
    stats: SecureStats,
}

impl<'a> Sink for MaskedSink<'a> {
    type Encoder = MaskedEncoder<'a>;
    type Block = BlockOut;
    type Stats = SecureStats;
    const LABEL: &'static str = "compress --secure";

    fn encode(encoder: &MaskedEncoder<'a>, rows: Rows) -> Result<BlockOut> {
        encoder.encode_block(rows)
    }

    fn write(&mut self, block: BlockOut) -> Result<u64> {
        self.stats.not_in_manifest += block.not_in_manifest;
        self.stats.flipped += block.flipped;
        self.stats.matched += block.rows.len() as u64;
        let variants = (block.rows.len() as u64) + block.not_in_manifest;
        for (row, variant, words) in block.rows {
            self.insert(row, self.starts[row], &variant, words)?;
        }
        Ok(variants)
    }

    fn finish(mut self) -> Result<SecureStats> {
        self.flush_until(self.encoder.manifest.len())?;
        self.write_batch()?;
        self.writer.finish()?;
        Ok(self.stats)
    }
}

impl MaskedSink<'_> {
    fn insert(
        &mut self,
        row: usize,
        position_start: usize,
        variant: &Variant,
        words: Vec<u128>,
    ) -> Result<()> {
        if row < self.next || self.pending.contains_key(&row) {
            let previous = &self.encoder.manifest.rows()[self.next.saturating_sub(1)];
            return Err(Error::input(
                self.source,
                format!(
                    "variant {variant} comes twice in the genotypes, or after {}:{} although the manifest lists it before; the genotypes must follow the manifest's order of positions",
                    previous.chrom, previous.pos
                ),
            ));
        }
        self.flush_until(position_start)?;
        self.pending.insert(row, words);
        Ok(())
    }

    /// Writes every row before `limit`: pending ones, and the rest as all missing.
    fn flush_until(&mut self, limit: usize) -> Result<()> {
        while self.next < limit {
            let words = match self.pending.remove(&self.next) {
                Some(words) => words,
                None => self.encoder.missing_row(self.next),
            };
            self.batch_words.extend_from_slice(&words);
            self.next += 1;
            if self.next - self.batch_start >= 8192 {
                self.write_batch()?;
            }
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<()> {
        self.writer.write(
            &self.encoder.manifest.rows()[self.batch_start..self.next],
            &self.batch_words,
        )?;
        self.batch_start = self.next;
        self.batch_words.clear();
        Ok(())
    }
}
